#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# make check-all: every test here (Debian 12, mbedTLS 2.28) and again
# inside the Debian 13 root (mbedTLS 3.6 LTS, OpenSMTPD 7.6, Exim 4.98;
# regress/debian13.sh).  Each platform's ok/FAIL lines and totals are
# shown; the last line adds them up.  Exits non-zero if either failed.
set -u
cd "$(dirname "$0")/.." || exit 1
out=regress/out-both
rm -rf "$out"
mkdir -p "$out"

make check 2>&1 | tee "$out/host.log"
host_rc=$(grep -q '^[0-9]* passed, 0 failed$' "$out/host.log" && echo 0 ||
    echo 1)
sh regress/debian13.sh 2>&1 | tee "$out/debian13.log"
d13_rc=$(grep -q '^[0-9]* passed, 0 failed$' "$out/debian13.log" &&
    echo 0 || echo 1)

total() {
	awk '/^[0-9]+ passed, [0-9]+ failed$/ { p = $1; f = $3 }
	    END { printf "%d %d\n", p, (p == "" ? 1 : f) }' "$1"
}
set -- $(total "$out/host.log") $(total "$out/debian13.log")
echo "debian12: $1 passed, $2 failed"
echo "debian13: $3 passed, $4 failed"
echo "$(( $1 + $3 )) passed, $(( $2 + $4 )) failed"
[ "$host_rc" = 0 ] && [ "$d13_rc" = 0 ]
