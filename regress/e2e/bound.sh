#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Bounded work per inbound message, end to end in pipe mode
# (filter-smime -p -a verify): messages over each bound of SignedData
# verification (certificates, signers, RSA modulus and exponent, chain
# length, public-key operations), the message of issue 13 (31 look-alike
# CA certificates with RSA-4096 keys and 4096-bit exponents, 8 signers)
# and the worst case the bounds allow.  Each gets its exact verdict in
# Authentication-Results, and in less than a time bound.
#
# The messages are made now by regress/lib/mkbound.py (python3 with
# cryptography); without it, the copies in regress/unit/data/bound/.
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh

FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
C=$(pwd)/smimectl
LIMIT=${BOUND_SECONDS:-60}	# wall clock, ASan, busy cores: never a hang

ok() { echo "ok bound-$1"; }
fail() { echo "FAIL bound-$1: $2"; }

h_new
D=$W/msg
if "$H_PYTHON" -c 'import cryptography' 2> /dev/null; then
	"$H_PYTHON" regress/lib/mkbound.py "$D" "${BOUND_BITS:-4096}" \
	    > "$W/mk.log" 2>&1 || { fail make "$(tail -n 3 "$W/mk.log")"; exit 0; }
else
	cp -r regress/unit/data/bound "$D"
fi
S=$W/store
"$C" -k "$S" init > /dev/null
"$C" -k "$S" anchor import "$D/root.pem" > /dev/null
printf 'version: 1\nauthserv-id: mx.test.example\n' > "$W/rules.yaml"
chmod 644 "$W/rules.yaml"
chown -R opensmtpd "$S"

mk() {	# mk NAME -> $W/NAME.eml, the SignedData as an opaque entity
	{
		printf 'From: Alice <alice@example.org>\nTo: bob@example.net\n'
		printf 'Subject: bound %s\nMessage-ID: <%s@example.org>\n' "$1" "$1"
		printf 'Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		base64 -w 76 < "$D/$1.der"
	} > "$W/$1.eml"
}

# case NAME RESULT REASON: the verdict, within the time bound
case_() {
	n=$1 want="smime=$2 ($3"
	[ -f "$D/$n.der" ] || { fail "$n" "no $n.der"; return; }
	mk "$n"
	s=$(date +%s%N)
	"$FILTER" -p -a verify -f "$W/rules.yaml" -k "$S" < "$W/$n.eml" \
	    > "$W/$n.out" 2> "$W/$n.err"
	rc=$?
	ms=$(( ($(date +%s%N) - s) / 1000000 ))
	if [ "$rc" != 0 ]; then
		fail "$n" "exit $rc: $(head -n 3 "$W/$n.err")"
	elif ! grep -qF "$want" "$W/$n.out"; then
		fail "$n" "want \"$want\", got: $(grep -A1 'smime=' "$W/$n.out" | head -n 2 | tr '\n\t' '  ')"
	elif [ "$ms" -ge $((LIMIT * 1000)) ]; then
		fail "$n-time" "${ms} ms, the bound is ${LIMIT} s"
	else
		ok "$n ($2, ${ms} ms)"
	fi
}

case_ ok pass "signature verified"
case_ chain5 pass "signature verified"
case_ certs50 pass "signature verified"
case_ certs60 permerror "more than 50 certificates"
case_ signers12 permerror "more than 10 signers"
case_ exp40 permerror "certificate 2 has an RSA public exponent of 41 bits"
# comments escape their own parentheses (RFC 8601 values we write)
case_ rsa16384 permerror "certificate 2 has an RSA key of 16384 bits \\(at most 8192\\)"
case_ hugeexp permerror "certificate 2 has an RSA public exponent of 40"
case_ chain7 permerror "certificate chain too long"
case_ badsig policy "certificate signature does not verify"
case_ unknown policy "untrusted certificate chain"
case_ attack permerror "certificate 2 has an RSA public exponent of 40"
# Inbound, a signed message is verified twice (once to look for an
# encrypted layer inside); both spend from the message's one budget,
# which the worst case spends in the first.
case_ worst permerror "public-key operation budget spent"
case_ worst-ec permerror "public-key operation budget spent"

# The worst case without sanitizers, in CPU seconds (the shell's times
# for its children): what the manual states.
if [ -x ./filter-smime ]; then
	cpu=$( (./filter-smime -p -a verify -f "$W/rules.yaml" -k "$S" \
	    < "$W/worst-ec.eml" > "$W/opt.out" 2> "$W/opt.err"; times) |
	    tail -n 1 | awk '{ for (i = 1; i <= 2; i++) {
		split($i, a, "m"); s += a[1] * 60 + a[2] } printf "%.2f", s }')
	if ! grep -qF "budget spent" "$W/opt.out"; then
		fail worst-ec-optimised "$(grep 'smime=' "$W/opt.out")"
	elif [ "$(echo "$cpu" | awk '{ print ($1 < 5) }')" != 1 ]; then
		fail worst-ec-optimised-time "${cpu} s of CPU, the bound is 5 s"
	else
		ok "worst-ec-optimised (${cpu} s of CPU for 64 operations)"
	fi
fi

# The same bounds through a real smtpd on an inbound listener: each
# message delivered, with its verdict, the filter alive after them all.
SMTPD_CASES="ok certs60 signers12 exp40 chain7 attack worst"
chown -R opensmtpd "$S"		# the pipe runs above (root) harvested
if ! h_start "$FILTER" -v -a verify -f "$W/rules.yaml" -k "$S"; then
	fail smtpd-start "$H_WHY"
	exit 0
fi
n=0
for c in $SMTPD_CASES; do
	h_send --from x@example.net --to alice@example.org \
	    --file "$W/$c.eml" > /dev/null 2>&1 || fail "smtpd-$c-accepted" "refused"
	n=$((n + 1))
done
h_wait_delivered "$n" 120 || fail smtpd-delivered "$(h_delivered | wc -l) of $n"
for c in $SMTPD_CASES; do
	f=$(grep -l "^Subject: bound $c\$" $(h_delivered) 2>/dev/null | head -n 1)
	want=$(grep -m1 -A1 'smime=' "$W/$c.out" | head -n 1 | tr -d '\t')
	got=$( [ -n "$f" ] && grep -m1 -A1 'smime=' "$f" | head -n 1 | tr -d '\t')
	[ -n "$got" ] && [ "$got" = "$want" ] && ok "smtpd-$c" ||
	    fail "smtpd-$c" "got [$got], pipe mode gave [$want]"
done
h_health && ok smtpd-filter-alive || fail smtpd-filter-alive "$H_WHY $(grep -i "filter-smime\|fatal\|error" "$W/smtpd.log" | head -n 5 | tr "\n" " ")"
h_stop
exit 0
