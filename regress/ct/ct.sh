#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Constant time, checked with valgrind's memcheck (regress/ct/ct_*.c mark
# their secrets undefined): no branch or address may depend on them.
# The control run branches on a secret once and must be caught.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
out=$top/regress/out/ct
mkdir -p "$out"
bin=obj/ct_ecfix
if [ ! -x "$bin" ]; then
	echo "FAIL ct.ecfix: $bin not built"
	exit 1
fi
if ! command -v valgrind > /dev/null; then
	echo "FAIL ct.ecfix: valgrind not installed (make deps)"
	exit 1
fi
vg() {
	FILTER_SMIME_NO_HW= valgrind -q --error-exitcode=3 \
	    --track-origins=yes "$@"
}
vg "$bin" > "$out/ecfix.log" 2>&1
rc=$?
errs=$(grep -c 'depends on uninitialised\|uninitialised value' "$out/ecfix.log")
if [ "$rc" = 0 ] && [ "$errs" = 0 ] &&
    [ "$(grep -c '^curve ' "$out/ecfix.log")" = 2 ]; then
	echo "ok ct.ecfix.p256-p384"
else
	echo "FAIL ct.ecfix.p256-p384: exit $rc, $errs reports (see $out/ecfix.log)"
	sed -n 1,30p "$out/ecfix.log"
fi
vg "$bin" control > "$out/control.log" 2>&1
rc=$?
if [ "$rc" = 3 ] &&
    grep -q 'Conditional jump or move depends on uninitialised' \
    "$out/control.log"; then
	echo "ok ct.ecfix.control-caught"
else
	echo "FAIL ct.ecfix.control-caught: exit $rc, the planted branch went unseen"
fi
