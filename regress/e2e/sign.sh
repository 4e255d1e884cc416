#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# End-to-end outbound signing through a real smtpd: the filter runs with
# a keystore (-k) and signs for senders that have an identity.  What
# arrives is verified with openssl and gpgsm; an expired identity gets
# the exact 451 at MAIL FROM; already-signed mail and senders without an
# identity pass unchanged.  Pipe mode is checked on the same messages.
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh
. regress/lib/gpgsm.sh

FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
C=$(pwd)/smimectl

ok() { echo "ok sign-$1"; }
fail() { echo "FAIL sign-$1: $2"; }

h_new
S=$W/store
"$C" -k "$S" init > /dev/null
"$C" -k "$S" selfsign --rsa 2048 alice@example.org > /dev/null
"$C" -k "$S" selfsign --ec P-256 ec@example.org > /dev/null
"$C" -k "$S" selfsign --days 1 --rsa 2048 old@example.org > "$W/oldfp"
"$C" -k "$S" export alice@example.org > "$W/alice.pem"
"$C" -k "$S" export ec@example.org > "$W/ec.pem"
cat "$W/alice.pem" "$W/ec.pem" > "$W/anchors.pem"
# make old@example.org's only identity expired: rewrite its validity in
# the index (what the filter decides on) to the past
awk -F'\t' -v OFS='\t' -v fp="$(cat "$W/oldfp")" \
    'NR > 1 && $2 == fp { $7 = 1577836800; $8 = 1580515200 } { print }' \
    "$S/index" > "$S/index.new" && mv "$S/index.new" "$S/index"
chmod 600 "$S/index"
# the filter runs as smtpd's user
chown -R opensmtpd "$S"

# the test's client on loopback, without AUTH, may sign as anyone
printf 'version: 1\nsigners:\n  trusted: [127.0.0.1]\n' > "$W/trust.yaml"
if ! h_start "$FILTER" -v -f "$W/trust.yaml" -k "$S"; then
	fail start "$H_WHY"
	exit 0
fi

msg() {	# msg FROM SUBJECT [content-type]
	printf 'From: %s\nTo: bob@example.net\nSubject: %s\nDate: Wed, 25 Nov 2026 14:00:00 +0000\nMessage-ID: <%s.%s@example.org>\nMIME-Version: 1.0\nContent-Type: %s\nContent-Transfer-Encoding: 8bit\n\nHello Bob,\n\nsigned at the gateway: grüße.\n.line with a dot\nFrom the start of a line, trailing space \n' \
	    "$1" "$2" "$2" "$$" "${3:-text/plain; charset=utf-8}"
}

msg alice@example.org rsa > "$W/m-rsa.eml"
msg ec@example.org ec > "$W/m-ec.eml"
msg carol@example.org nokey > "$W/m-nokey.eml"
# a sender writing our trace field does not stop signing
{ printf 'X-SMIME-Gateway: %s; signed\n' "$(hostname)"; msg alice@example.org forged; } \
    > "$W/m-forged.eml"
cp "$W/m-rsa.eml" "$W/m-rsa-pipe.eml"

send() {	# send FROM FILE -> $W/reply
	h_send --from "$1" --to bob@example.net --file "$2" > "$W/reply" 2>&1
}

send alice@example.org "$W/m-rsa.eml" || fail send-rsa "$(cat "$W/reply")"
send ec@example.org "$W/m-ec.eml" || fail send-ec "$(cat "$W/reply")"
send carol@example.org "$W/m-nokey.eml" || fail send-nokey "$(cat "$W/reply")"
send alice@example.org "$W/m-forged.eml" || fail send-forged "$(cat "$W/reply")"
send old@example.org "$W/m-rsa.eml"
# smtpsend.py prints "CODE STEP: TEXT"
if grep -q '^0 451 MAIL: 4.7.0 S/MIME certificate is expired$' "$W/reply"; then
	ok expired-451-at-mail-from
else
	fail expired-451-at-mail-from "$(cat "$W/reply")"
fi
h_wait_delivered 4 30 || fail delivered "$(h_delivered | wc -l) of 4"
if grep -l '^From: old@example.org' $(h_delivered) > /dev/null 2>&1; then
	fail expired-nothing-delivered "a copy from old@example.org arrived"
else
	ok expired-nothing-delivered
fi

# find a delivered copy by its subject, without smtpd's delivery headers
got() {
	for f in $(h_delivered); do
		if grep -q "^Subject: $1\$" "$f"; then
			h_strip_delivery "$f"
			return 0
		fi
	done
	return 1
}

for k in rsa ec; do
	got "$k" > "$W/got-$k" || { fail "$k-delivered" "no copy"; continue; }
	if head -n 1 "$W/got-$k" | grep -q '^X-SMIME-Gateway: .*; signed$'; then
		ok "$k-trace-field"
	else
		fail "$k-trace-field" "$(head -n 3 "$W/got-$k")"
	fi
	if grep -q '^Content-Type: multipart/signed; protocol="application/pkcs7-signature";' "$W/got-$k"; then
		ok "$k-multipart-signed"
	else
		fail "$k-multipart-signed" "$(head -n 12 "$W/got-$k")"
	fi
	if openssl smime -verify -in "$W/got-$k" -CAfile "$W/anchors.pem" \
	    -purpose smimesign -out "$W/inner-$k" 2>"$W/v.err"; then
		ok "$k-openssl-verifies"
	else
		fail "$k-openssl-verifies" "$(cat "$W/v.err")"
	fi
	if grep -q 'gr=C3=BC=C3=9Fe' "$W/inner-$k" && grep -q '^=2Eline with a dot' "$W/inner-$k" &&
	    grep -q '^=46rom the start' "$W/inner-$k"; then
		ok "$k-canonical-encoding"
	else
		fail "$k-canonical-encoding" "$(cat "$W/inner-$k")"
	fi
	# 8-bit content went out 7-bit (quoted-printable inside the
	# signature), so a relay's 8BITMIME->7bit downgrade has nothing to
	# change; the outer headers here are ASCII too
	if LC_ALL=C grep -q "$(printf '[\200-\377]')" "$W/got-$k"; then
		fail "$k-7bit-survives-downgrade" "8-bit octets in the signed message"
	else
		ok "$k-7bit-survives-downgrade"
	fi
	# routing headers stay outside, content headers went inside
	if grep -q '^Subject: '"$k"'$' "$W/got-$k" &&
	    grep -q '^Content-Type: text/plain; charset=utf-8' "$W/inner-$k"; then
		ok "$k-headers-placed"
	else
		fail "$k-headers-placed" "$(head -n 8 "$W/got-$k")"
	fi
done

if got forged > "$W/got-forged" &&
    grep -q '^Content-Type: multipart/signed;' "$W/got-forged" &&
    openssl smime -verify -in "$W/got-forged" -CAfile "$W/anchors.pem" \
    -purpose smimesign -out /dev/null 2>/dev/null; then
	ok forged-trace-field-still-signed
else
	fail forged-trace-field-still-signed "$(head -n 12 "$W/got-forged")"
fi

# gpgsm verifies the RSA one (detached: split with openssl's help)
mkdir "$W/gv"
if gpgsm_verify_mime "$W/got-rsa" "$W/alice.pem" "$W/gv"; then
	ok rsa-gpgsm-verifies
else
	fail rsa-gpgsm-verifies "gpgsm did not report a good signature"
fi

# no identity: unchanged
if got nokey > "$W/got-nokey" && cmp -s "$W/got-nokey" "$W/m-nokey.eml"; then
	ok no-identity-unchanged
else
	fail no-identity-unchanged "$(diff "$W/m-nokey.eml" "$W/got-nokey" | head -n 5)"
fi
# already signed (and proven so): never wrapped again, passed untouched
# behind our trace field (and smtpd's Received field under it)
sed 's/^Subject: rsa$/Subject: again/' "$W/got-rsa" > "$W/m-again.eml"
send alice@example.org "$W/m-again.eml"
h_wait_delivered 5 30 || fail again-delivered "$H_WHY"
got again > "$W/got-again"
tail -n +2 "$W/got-again" > "$W/got-again-rest"
if head -n 1 "$W/got-again" | grep -q '^X-SMIME-Gateway: .*; already signed$' &&
    h_strip_delivery "$W/got-again-rest" | cmp -s - "$W/m-again.eml"; then
	ok already-signed-untouched
else
	fail already-signed-untouched "$(h_strip_delivery "$W/got-again-rest" | diff "$W/m-again.eml" - | head -n 5)"
fi
if grep -q 'filter-smime: [0-9a-f]* signed msgid=.* from=<alice@example.org> rcpts=1 .* detached sha-256 with' "$W/smtpd.log"; then ok log-line; else
	fail log-line "$(grep filter-smime "$W/smtpd.log" | head -n 5)"; fi
if h_health; then ok filter-alive; else fail filter-alive "$H_WHY"; fi

# ---- pipe mode, same store --------------------------------------------------
P="$FILTER -p -k $S"
if $P -s alice@example.org -r bob@example.net < "$W/m-rsa-pipe.eml" > "$W/pipe.out" 2>"$W/pipe.err" &&
    openssl smime -verify -in "$W/pipe.out" -CAfile "$W/anchors.pem" -purpose smimesign -out /dev/null 2>/dev/null; then
	ok pipe-signs
else
	fail pipe-signs "$(cat "$W/pipe.err")"
fi
$P -s old@example.org -r bob@example.net < "$W/m-rsa-pipe.eml" > "$W/pipe.out" 2>"$W/pipe.err"
rc=$?
if [ $rc = 75 ] && [ ! -s "$W/pipe.out" ] && grep -q 'S/MIME certificate is expired' "$W/pipe.err"; then
	ok pipe-expired-75
else
	fail pipe-expired-75 "rc=$rc $(cat "$W/pipe.err")"
fi
if $P -s carol@example.org < "$W/m-nokey.eml" > "$W/pipe.out" 2>/dev/null && cmp -s "$W/pipe.out" "$W/m-nokey.eml"; then
	ok pipe-no-identity-unchanged
else
	fail pipe-no-identity-unchanged "output differs"
fi
$P -a sign -s carol@example.org < "$W/m-nokey.eml" > "$W/pipe.out" 2>"$W/pipe.err"
rc=$?
[ $rc = 75 ] && [ ! -s "$W/pipe.out" ] && ok pipe-action-sign-no-key-75 ||
    fail pipe-action-sign-no-key-75 "rc=$rc"
if $P -a sign -s alice@example.org -r a@x.example -r b@y.example c@z.example \
    < "$W/m-rsa-pipe.eml" > /dev/null 2>&1; then
	ok pipe-recipient-forms
else
	fail pipe-recipient-forms "rc=$?"
fi
$P -x > /dev/null 2>&1
[ $? = 64 ] && ok pipe-bad-option-64 || fail pipe-bad-option-64 "rc=$?"

# The output cannot be written (TMPDIR full; here a file size limit, with
# SIGXFSZ ignored so that write(2) fails with EFBIG): a temporary failure,
# 75 with the reason, never 65 "not valid MIME".  The input (3.5 MB)
# fits under the 4 MB limit (512-octet blocks) in TMPDIR; the opaque
# result (4.7 MB) does not.
{ cat "$W/m-rsa-pipe.eml"; head -c 2600000 /dev/urandom | base64 -w 76; } \
    > "$W/m-3m.eml"
printf 'version: 1\ndefaults:\n  signature: opaque\n' > "$W/opaque.yaml"
(trap '' XFSZ; ulimit -f 8192; exec $P -s alice@example.org \
    -r bob@example.net -f "$W/opaque.yaml" < "$W/m-3m.eml" \
    > /dev/null 2> "$W/pipe.err")
rc=$?
if [ $rc = 75 ] && grep -q 'the output could not be written' "$W/pipe.err" &&
    ! grep -q 'not valid MIME' "$W/pipe.err"; then
	ok pipe-output-write-fails-75
else
	fail pipe-output-write-fails-75 "rc=$rc $(head -c 300 "$W/pipe.err")"
fi
# Over the parser's limits (2500 header fields): permanent, 65
{ awk 'BEGIN { for (i = 0; i < 2500; i++) printf "X-Field-%d: v\n", i }'
    cat "$W/m-rsa-pipe.eml"; } > "$W/m-fields.eml"
$P -s alice@example.org -r bob@example.net < "$W/m-fields.eml" \
    > "$W/pipe.out" 2> "$W/pipe.err"
rc=$?
[ $rc = 65 ] && [ ! -s "$W/pipe.out" ] && grep -q '554 5.6.0' "$W/pipe.err" &&
    ok pipe-over-limit-65 || fail pipe-over-limit-65 "rc=$rc $(head -c 200 "$W/pipe.err")"
# Out of memory (a 30 MB address space for a 40 MB message, so the spool
# cannot be mapped): temporary, 75.  The release build: the sanitizers
# reserve far more address space than that.
if [ -x ./filter-smime ]; then
	{ cat "$W/m-rsa-pipe.eml"; head -c 30000000 /dev/zero | base64 -w 76; } \
	    > "$W/m-40m.eml"
	(ulimit -v 30000; exec ./filter-smime -p -k "$S" -s alice@example.org \
	    -r bob@example.net < "$W/m-40m.eml" > "$W/pipe.out" 2> "$W/pipe.err")
	rc=$?
	[ $rc = 75 ] && [ ! -s "$W/pipe.out" ] &&
	    grep -q 'Cannot allocate memory' "$W/pipe.err" &&
	    ok pipe-out-of-memory-75 ||
	    fail pipe-out-of-memory-75 "rc=$rc $(head -c 200 "$W/pipe.err")"
	rm -f "$W/m-40m.eml"
fi
# The master key gone (being restored, say): temporary, 75; back: signed
mv "$S/master.key" "$W/master.key.away"
$P -s alice@example.org -r bob@example.net < "$W/m-rsa-pipe.eml" \
    > "$W/pipe.out" 2> "$W/pipe.err"
rc=$?
mv "$W/master.key.away" "$S/master.key"
[ $rc = 75 ] && [ ! -s "$W/pipe.out" ] && grep -q 'master key' "$W/pipe.err" &&
    ok pipe-master-key-missing-75 ||
    fail pipe-master-key-missing-75 "rc=$rc $(head -c 200 "$W/pipe.err")"
$P -s alice@example.org -r bob@example.net < "$W/m-rsa-pipe.eml" \
    > "$W/pipe.out" 2> "$W/pipe.err" && grep -q 'multipart/signed' "$W/pipe.out" &&
    ok pipe-master-key-restored || fail pipe-master-key-restored "$(head -c 200 "$W/pipe.err")"
# every X-SMIME-* (and Authentication-Results) field we wrote is well-formed
if $H_PYTHON regress/lib/authres_check.py $(h_delivered) > "$W/archeck" 2>&1; then
	ok x-smime-grammar
else
	fail x-smime-grammar "$(head -n 3 "$W/archeck")"
fi
h_stop
exit 0
