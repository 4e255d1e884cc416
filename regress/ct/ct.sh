#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Constant time, checked with valgrind's memcheck (regress/ct/ct_*.c mark
# their secrets undefined): no branch or address may depend on them.
# Each control run branches on a secret once and must be caught.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
out=$top/regress/out/ct
mkdir -p "$out"
if ! command -v valgrind > /dev/null; then
	echo "FAIL ct: valgrind not installed (make deps)"
	exit 1
fi
vg() {
	FILTER_SMIME_NO_HW= valgrind -q --error-exitcode=3 \
	    --track-origins=yes "$@"
}
# check NAME TEST WHAT LINES: obj/ct_NAME prints LINES lines "WHAT ..."
check() {
	bin=obj/ct_$1
	if [ ! -x "$bin" ]; then
		echo "FAIL ct.$1: $bin not built"
		return
	fi
	vg "$bin" > "$out/$1.log" 2>&1
	rc=$?
	errs=$(grep -c 'depends on uninitialised\|uninitialised value' \
	    "$out/$1.log")
	if [ "$rc" = 0 ] && [ "$errs" = 0 ] &&
	    [ "$(grep -c "^$3 " "$out/$1.log")" = "$4" ]; then
		echo "ok ct.$1.$2"
	else
		echo "FAIL ct.$1.$2: exit $rc, $errs reports (see $out/$1.log)"
		sed -n 1,30p "$out/$1.log"
	fi
	vg "$bin" control > "$out/$1-control.log" 2>&1
	rc=$?
	if [ "$rc" = 3 ] &&
	    grep -q 'Conditional jump or move depends on uninitialised' \
	    "$out/$1-control.log"; then
		echo "ok ct.$1.control-caught"
	else
		echo "FAIL ct.$1.control-caught: exit $rc, the planted branch went unseen"
	fi
}
check ecfix p256-p384 curve 2
check rsafix rsa2048-3072-4096 key 3
