#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Feed recorded and hand-written protocol transcripts to the filter (the
# ASan+UBSan build) and check its exact output.  Each case NAME has:
#   cases/NAME.in      what smtpd sends (0.6 ones recorded from smtpd 6.8)
#   cases/NAME.out     the exact expected stdout
#   cases/NAME.rc      expected exit status (default 0)
#   cases/NAME.stderr  lines that must appear in stderr (optional)
# Then generated cases: hundreds of interleaved sessions, and a message
# big enough to leave memory for the temporary file.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
F=${FILTER:-obj/asan/filter-smime}
W=$(mktemp -d /tmp/fsmime-transcript.XXXXXX)
trap 'rm -rf "$W"' EXIT

ok() { echo "ok transcript-$1"; }
fail() { echo "FAIL transcript-$1: $2"; }

run_case() {
	name=$1
	want_rc=0
	[ -f "regress/transcript/cases/$name.rc" ] &&
	    want_rc=$(cat "regress/transcript/cases/$name.rc")
	"$F" -v < "regress/transcript/cases/$name.in" > "$W/$name.out" \
	    2> "$W/$name.err"
	rc=$?
	if [ "$rc" != "$want_rc" ]; then
		fail "$name" "exit $rc, want $want_rc: $(tail -n 3 "$W/$name.err")"
		return
	fi
	if ! cmp -s "$W/$name.out" "regress/transcript/cases/$name.out"; then
		fail "$name" "output differs: $(diff "regress/transcript/cases/$name.out" \
		    "$W/$name.out" | head -n 5 | cut -c1-120)"
		return
	fi
	if [ -f "regress/transcript/cases/$name.stderr" ]; then
		while IFS= read -r pat; do
			if ! grep -qF -- "$pat" "$W/$name.err"; then
				fail "$name" "stderr lacks: $pat"
				return
			fi
		done < "regress/transcript/cases/$name.stderr"
	fi
	if grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$W/$name.err"; then
		fail "$name" "sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' "$W/$name.err")"
		return
	fi
	ok "$name"
}

for c in regress/transcript/cases/*.in; do
	run_case "$(basename "$c" .in)"
done

HANDSHAKE='config|smtpd-version|6.8.0p2
config|smtp-session-timeout|300
config|subsystem|smtp-in
config|admd|mx.test.example
config|ready'

# 300 sessions, their lines interleaved round-robin, 20 lines each.
gen_interleaved() {
	echo "$HANDSHAKE"
	awk -v n=300 -v lines=20 'BEGIN {
		for (l = 0; l <= lines + 1; l++)
			for (s = 1; s <= n; s++) {
				sid = sprintf("%016x", s * 7919);
				if (l < lines) {
					if (l % 7 == 3) c = ".dot-stuffed line " l;
					else c = "line " l " of session " s;
					if (substr(c, 1, 1) == ".") c = "." c;
					printf "filter|0.6|1.0|smtp-in|data-line|%s|%016x|%s\n", sid, s, c;
				} else if (l == lines)
					printf "filter|0.6|1.0|smtp-in|data-line|%s|%016x|.\n", sid, s;
				else
					printf "filter|0.6|1.0|smtp-in|commit|%s|%016x|\n", sid, s + 1;
			}
	}'
}

# What the filter must answer, grouped per session in order.
expect_interleaved() {
	grep '^filter|' "$1" | awk -F'|' '{
		rest = $0; for (i = 0; i < 7; i++) rest = substr(rest, index(rest, "|") + 1);
		if ($5 == "data-line")
			print "filter-dataline|" $6 "|" $7 "|" rest;
		else
			print "filter-result|" $6 "|" $7 "|proceed";
	}'
}

gen_interleaved > "$W/inter.in"
"$F" < "$W/inter.in" > "$W/inter.out" 2> "$W/inter.err"
rc=$?
expect_interleaved "$W/inter.in" | sort -s -t'|' -k2,2 > "$W/inter.want"
grep -v '^register|' "$W/inter.out" | sort -s -t'|' -k2,2 > "$W/inter.got"
if [ "$rc" = 0 ] && cmp -s "$W/inter.want" "$W/inter.got" &&
    [ "$(grep -c ' pass msgid=' "$W/inter.err")" = 300 ]; then
	ok interleaved-300-sessions
else
	fail interleaved-300-sessions "rc=$rc, $(diff "$W/inter.want" "$W/inter.got" | head -n 3)"
fi

# A 6 MB message: leaves memory for an unlinked temporary file, comes out
# exactly, and no temporary file is left behind.
mkdir "$W/tmp"
{
	echo "$HANDSHAKE"
	awk 'BEGIN {
		for (i = 0; i < 80000; i++)
			printf "filter|0.6|1.0|smtp-in|data-line|00000000000000ab|00000000000000cd|%s%06d %s\n",
			    (i % 50 == 0) ? ".." : "", i,
			    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
		print "filter|0.6|1.0|smtp-in|data-line|00000000000000ab|00000000000000cd|.";
		print "filter|0.6|1.0|smtp-in|commit|00000000000000ab|00000000000000ef|";
	}'
} > "$W/big.in"
TMPDIR=$W/tmp "$F" < "$W/big.in" > "$W/big.out" 2> "$W/big.err"
rc=$?
expect_interleaved "$W/big.in" > "$W/big.want"
grep -v '^register|' "$W/big.out" > "$W/big.got"
if [ "$rc" = 0 ] && cmp -s "$W/big.want" "$W/big.got" &&
    [ -z "$(ls -A "$W/tmp")" ]; then
	ok big-message-spilled
else
	fail big-message-spilled "rc=$rc, $(diff "$W/big.want" "$W/big.got" | head -n 3 | cut -c1-100), tmp: $(ls "$W/tmp")"
fi

# The spool directory is unwritable: that message fails with 451 at
# commit, the data stream is still finished, the filter goes on.
# (run as nobody, which root's permissions would not stop; the binary is
# copied where nobody can reach it)
chmod 755 "$W"
cp "$F" "$W/filter"
mkdir -m 555 "$W/ro"
TMPDIR=$W/ro setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$W/filter" < "$W/big.in" > "$W/ro.out" 2> "$W/ro.err"
rc=$?
if [ "$rc" = 0 ] && tail -n 2 "$W/ro.out" | head -n 1 | grep -q '|\.$' &&
    tail -n 1 "$W/ro.out" | grep -q '|reject|451 4\.3\.0 ' &&
    grep -q 'tempfail .*reason=spool write' "$W/ro.err"; then
	ok spool-failure-451
else
	fail spool-failure-451 "rc=$rc, $(tail -n 2 "$W/ro.out" | cut -c1-100) $(tail -n 2 "$W/ro.err")"
fi
exit 0
