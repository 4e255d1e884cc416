#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# The key process through its socket (regress/tools/kptool.c): what the
# loop and a worker may ask, and what a compromised worker is refused,
# each refusal logged with the key and the channel.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
TOOL=$top/obj/asan/kptool
[ -x "$TOOL" ] || { echo "FAIL keyproc-sh: $TOOL not built (make unit)"; exit 1; }
W=$(mktemp -d /tmp/fsmime-kp.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
C=./smimectl
S=$W/store
"$C" -k "$S" init > /dev/null &&
    "$C" -k "$S" selfsign --rsa 2048 alice@example.org > /dev/null &&
    "$C" -k "$S" selfsign --ec P-256 bob@example.org > /dev/null &&
    "$C" -k "$S" selfsign --rsa 2048 carol@other.example > /dev/null ||
    { echo "FAIL keyproc-store: cannot make the store"; exit 1; }
"$TOOL" "$S" 2> "$W/log"
rc=$?
logged() {	# logged NAME PATTERN
	if grep -q -- "$2" "$W/log"; then echo "ok keyproc-logged-$1"; else
		echo "FAIL keyproc-logged-$1: no '$2' in: $(head -c 600 "$W/log")"; fi
}
logged other-account "refused signing with [0-9a-f]\{16\} (carol@other.example) to the loop: not the envelope sender's signing key"
logged not-recipient "refused decrypting with [0-9a-f]\{16\} (alice@example.org) to the loop: not a recipient's key"
logged worker "refused signing with [0-9a-f]\{16\} (alice@example.org) to worker slot 3"
logged misplaced "a malformed or misplaced request from worker slot 3"
logged unknown "asked for aaaaaaaaaaaaaaaa: no such key"
# no key material in the log, whatever was refused
if grep -qi "BEGIN\|PRIVATE" "$W/log"; then
	echo "FAIL keyproc-log-no-key-material: $(grep -i 'BEGIN\|PRIVATE' "$W/log" | head -n 2)"
else
	echo "ok keyproc-log-no-key-material"
fi
exit $rc
