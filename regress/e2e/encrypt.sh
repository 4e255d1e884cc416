#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# End-to-end outbound encryption through a real smtpd: sign-then-encrypt
# to several recipients (RSA and EC certificates from the keystore), each
# copy decrypted with openssl by its own key and the signature inside
# verified; the key-missing actions at RCPT TO (bounce 550 5.7.1,
# tempfail 451 4.7.1, plain); opportunistic encryption; AES-GCM when every
# recipient advertised it (harvested capabilities); a 10 MB message.
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh
. regress/interop/pki.sh

FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
C=$(pwd)/smimectl
KT=$(pwd)/obj/asan/kstool

ok() { echo "ok encrypt-$1"; }
fail() { echo "FAIL encrypt-$1: $2"; }

h_new
P=$W/pki
pki_make "$P" > /dev/null 2>&1 || { fail pki "cannot make the test PKI"; exit 0; }
S=$W/store
"$C" -k "$S" init > /dev/null
"$C" -k "$S" selfsign --rsa 2048 alice@example.org > /dev/null
"$C" -k "$S" export alice@example.org > "$W/alice.pem"
"$C" -k "$S" selfsign --ec P-256 --usage sign signer@example.org > /dev/null
"$C" -k "$S" export signer@example.org > "$W/signer.pem"
"$C" -k "$S" import "$P/bob.pem" > /dev/null
"$C" -k "$S" import "$P/ecbob.pem" > /dev/null
"$C" -k "$S" import "$P/p256.pem" > /dev/null
# rsa@example.org is harvested, advertising AES-256-GCM (and CBC)
"$KT" harvest "$S" "$P/rsa.pem" rsa@example.org \
    3021300b060960864801650304012e300b060960864801650304012a
cat > "$W/rules.yaml" <<'YAML'
version: 1
# the test's client on loopback, without AUTH, may sign
signers:
  trusted: [127.0.0.1]
rules:
  - recipient: "*@example.net"
    encrypt: required
    key-missing: bounce
  - recipient: "*@temp.example"
    encrypt: required
    key-missing: tempfail
  - recipient: "*@plain.example"
    encrypt: required
    key-missing: plain
  - recipient: "*@example.org"
    encrypt: opportunistic
YAML
chown -R opensmtpd "$S"
chmod 644 "$W/rules.yaml"
if ! h_start "$FILTER" -v -f "$W/rules.yaml" -k "$S"; then
	fail start "$H_WHY"
	exit 0
fi

msg() {	# msg TAG
	printf 'From: alice@example.org\nTo: recipients\nSubject: %s\nDate: Wed, 25 Nov 2026 14:00:00 +0000\nMessage-ID: <%s@example.org>\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nConfidential: grüße, %s.\n.dot line\n' "$1" "$1" "$1"
}
send() {	# send TAG RCPT... -> $W/reply
	tag=$1; shift
	msg "$tag" > "$W/$tag.eml"
	args=""
	for r in "$@"; do args="$args --to $r"; done
	h_send --from alice@example.org $args --file "$W/$tag.eml" > "$W/reply" 2>&1
}
copy_for() {	# copy_for TAG RCPT: the delivered copy, delivery headers off
	for f in $(h_delivered); do
		if grep -q "^Subject: $1\$" "$f" && grep -q "^Delivered-To: $2\$" "$f"; then
			h_strip_delivery "$f"
			return 0
		fi
	done
	return 1
}
# decrypt_check TAG RCPT KEYNAME: decrypts with its key, inner verifies
decrypt_check() {
	copy_for "$1" "$2" > "$W/c" || { fail "$1-$3-delivered" "no copy for $2"; return; }
	if openssl cms -decrypt -in "$W/c" -recip "$P/$3.pem" -inkey "$P/$3.key" \
	    -out "$W/dec" 2>"$W/err" &&
	    openssl smime -verify -in "$W/dec" -CAfile "$W/alice.pem" \
	    -purpose smimesign -out "$W/inner" 2>>"$W/err" &&
	    grep -q "Confidential: gr=C3=BC=C3=9Fe, $1" "$W/inner"; then
		ok "$1-$3-decrypts-and-verifies"
	else
		fail "$1-$3-decrypts-and-verifies" "$(head -c 300 "$W/err")"
	fi
}

# two recipients, RSA and EC: one body encrypted to both (and the sender)
send two bob@example.net ecbob@example.net
h_wait_delivered 2 30
decrypt_check two bob@example.net bob
decrypt_check two ecbob@example.net ecbob
copy_for two bob@example.net > "$W/c"
grep -q 'smime-type=enveloped-data' "$W/c" && ok two-aes-cbc-by-default ||
    fail two-aes-cbc-by-default "$(grep Content-Type "$W/c")"
if ! grep -q 'Confidential' "$W/c" && grep -q '^Subject: two$' "$W/c"; then
	ok two-body-hidden-routing-kept
else
	fail two-body-hidden-routing-kept "$(head -n 8 "$W/c")"
fi
# RecipientInfos: bob (RSA: ktri), ecbob (EC: kari), the sender's copy
openssl cms -cmsout -print -in "$W/c" > "$W/print" 2>&1
if [ "$(grep -c 'd.ktri:' "$W/print")" = 2 ] && [ "$(grep -c 'd.kari:' "$W/print")" = 1 ]; then
	ok two-recipientinfos-with-sender-copy
else
	fail two-recipientinfos-with-sender-copy "$(grep -E 'd.(ktri|kari)' "$W/print")"
fi
# bounce: RCPT refused with 550 5.7.1, the others still get it encrypted
send bounce bob@example.net nocert@example.net
if grep -q '550.*5.7.1 No S/MIME certificate' "$W/reply"; then
	ok bounce-550-at-rcpt
else
	fail bounce-550-at-rcpt "$(cat "$W/reply")"
fi
h_wait_delivered 3 30
decrypt_check bounce bob@example.net bob
# tempfail: 451 4.7.1 at RCPT
send temp nocert@temp.example bob@example.net
grep -q '451.*4.7.1 No S/MIME certificate' "$W/reply" && ok tempfail-451-at-rcpt ||
    fail tempfail-451-at-rcpt "$(cat "$W/reply")"
h_wait_delivered 4 30
decrypt_check temp bob@example.net bob
# plain: accepted; the one body cannot be encrypted for all: signed only
send plain x@plain.example bob@example.net
h_wait_delivered 6 30
if copy_for plain x@plain.example > "$W/c" && grep -q 'multipart/signed' "$W/c" &&
    ! grep -q pkcs7-mime "$W/c"; then
	ok plain-signed-only
else
	fail plain-signed-only "$(grep Content-Type "$W/c")"
fi
# opportunistic: a recipient without a certificate -> signed only
send opp p256@example.org nocert@example.org
h_wait_delivered 8 30
if copy_for opp p256@example.org > "$W/c" && grep -q 'multipart/signed' "$W/c"; then
	ok opportunistic-missing-signed-only
else
	fail opportunistic-missing-signed-only "$(grep Content-Type "$W/c")"
fi
send opp2 p256@example.org
h_wait_delivered 9 30
copy_for opp2 p256@example.org > "$W/c"
grep -q 'smime-type=enveloped-data' "$W/c" && ok opportunistic-all-have-encrypted ||
    fail opportunistic-all-have-encrypted "$(grep Content-Type "$W/c")"
# GCM: the only recipient advertised AES-256-GCM (sent by an identity
# that signs only, so there is no sender copy that advertised nothing)
msg gcm | sed 's/^From: alice@/From: signer@/' > "$W/gcm.eml"
h_send --from signer@example.org --to rsa@example.org --file "$W/gcm.eml" > "$W/reply" 2>&1
h_wait_delivered 10 30
copy_for gcm rsa@example.org > "$W/c"
if grep -q 'smime-type=authEnveloped-data' "$W/c" &&
    openssl cms -decrypt -in "$W/c" -recip "$P/rsa.pem" -inkey "$P/rsa.key" \
    -out "$W/dec" 2>"$W/err" && openssl smime -verify -in "$W/dec" \
    -CAfile "$W/signer.pem" -purpose smimesign -out /dev/null 2>/dev/null; then
	ok gcm-when-advertised
else
	fail gcm-when-advertised "$(grep Content-Type "$W/c") $(head -c 200 "$W/err")"
fi
# 10 MB signed and encrypted, decrypted to the exact content
{
	printf 'From: alice@example.org\nTo: bob@example.net\nSubject: big\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'
	head -c 7500000 /dev/urandom | base64 -w 76
} > "$W/big.eml"
h_send --from alice@example.org --to bob@example.net --file "$W/big.eml" > "$W/reply" 2>&1
h_wait_delivered 11 120
copy_for big bob@example.net > "$W/c"
if openssl cms -decrypt -in "$W/c" -recip "$P/bob.pem" -inkey "$P/bob.key" \
    -out "$W/dec" 2>"$W/err" && openssl smime -verify -in "$W/dec" \
    -CAfile "$W/alice.pem" -purpose smimesign -out "$W/inner" 2>>"$W/err" &&
    sed '1,/^\r\{0,1\}$/d' "$W/big.eml" | tr -d '\r' > "$W/want" &&
    sed '1,/^\r\{0,1\}$/d' "$W/inner" | tr -d '\r' > "$W/got" &&
    cmp -s "$W/want" "$W/got"; then
	ok big-10mb-roundtrip
else
	fail big-10mb-roundtrip "$(head -c 300 "$W/err")"
fi
# header protection (RFC 9788) and a stripped "[secure]" tag, pipe mode
cat > "$W/hp.yaml" <<'YAML'
version: 1
defaults:
  header-protection: yes
exceptions:
  headers:
    - header: Subject
      contains: "[secure]"
      action: sign-encrypt
      strip: yes
YAML
printf 'From: alice@example.org\nTo: bob@example.net\nSubject: [secure] Quarterly numbers\n\nsecret\n' > "$W/hp.eml"
"$FILTER" -p -f "$W/hp.yaml" -k "$S" -s alice@example.org -r bob@example.net \
    < "$W/hp.eml" > "$W/hp.out" 2>"$W/hp.err"
openssl cms -decrypt -in "$W/hp.out" -recip "$P/bob.pem" -inkey "$P/bob.key" \
    -out "$W/hp.dec" 2>/dev/null
openssl smime -verify -in "$W/hp.dec" -CAfile "$W/alice.pem" -purpose smimesign \
    -out "$W/hp.inner" 2>/dev/null
if grep -q '^Subject: \[\.\.\.\]$' "$W/hp.out" && ! grep -q Quarterly "$W/hp.out" &&
    grep -q '^Subject: Quarterly numbers' "$W/hp.inner" &&
    grep -q 'hp="cipher"' "$W/hp.inner" && grep -q '^From: alice@example.org' "$W/hp.inner"; then
	ok header-protection-and-strip
else
	fail header-protection-and-strip "$(cat "$W/hp.err") $(head -n 6 "$W/hp.inner" 2>/dev/null)"
fi
grep -q 'filter-smime: [0-9a-f]* signed+encrypted msgid=.* aes256-cbc to 3 certificates' "$W/smtpd.log" &&
    ok log-line || fail log-line "$(grep 'signed+encrypted' "$W/smtpd.log" | head -n 2)"
h_health && ok filter-alive || fail filter-alive "$H_WHY"
# every X-SMIME-* (and Authentication-Results) field we wrote is well-formed
if $H_PYTHON regress/lib/authres_check.py $(h_delivered) > "$W/archeck" 2>&1; then
	ok x-smime-grammar
else
	fail x-smime-grammar "$(head -n 3 "$W/archeck")"
fi
h_stop
exit 0
