#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Triple wrapping (RFC 2634 section 1.1): signed, encrypted, signed
# again, through a real smtpd with -a triple and in pipe mode by the
# rules (triple-wrap: yes, a header rule's action: triple).  Each layer
# is checked on its own: openssl verifies the outer signature, decrypts
# with the recipient's key and verifies the inner one; gpgsm verifies
# both signatures; our own inbound verification reads all three layers.
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh
. regress/lib/gpgsm.sh
. regress/interop/pki.sh

FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
C=$(pwd)/smimectl

ok() { echo "ok triple-$1"; }
fail() { echo "FAIL triple-$1: $2"; }

h_new
P=$W/pki
pki_make "$P" > /dev/null 2>&1 || { fail pki "cannot make the test PKI"; exit 0; }
S=$W/store
"$C" -k "$S" init > /dev/null
# the signer: the PKI's rsa@example.org, its chain beside it
cat "$P/rsa.pem" "$P/chain.pem" > "$W/rsa-bundle.pem"
"$C" -k "$S" import --key "$P/rsa.key" "$W/rsa-bundle.pem" > /dev/null
"$C" -k "$S" import "$P/bob.pem" > /dev/null
printf 'version: 1\nsigners:\n  trusted: [127.0.0.1]\n' > "$W/trust.yaml"
chown -R opensmtpd "$S"
chmod 644 "$W/trust.yaml"

msg() {	# msg SUBJECT
	printf 'From: RSA <rsa@example.org>\nTo: Bob <bob@example.net>\nSubject: %s\nDate: Sun, 06 Dec 2026 12:00:00 +0000\nMessage-ID: <%s.%s@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nthree layers: grüße, %s.\n' \
	    "$1" "$1" "$$" "$1"
}

# layers NAME FILE OUTER-FORM: check every layer of a triple-wrapped file
layers() {
	_n=$1 _f=$2
	if head -n 1 "$_f" | grep -q '^X-SMIME-Gateway: .*; signed, encrypted, signed$'; then
		ok "$_n-trace"
	else
		fail "$_n-trace" "$(head -n 1 "$_f")"
	fi
	case $3 in
	detached) _ct='^Content-Type: multipart/signed; protocol="application/pkcs7-signature";' ;;
	opaque) _ct='^Content-Type: application/pkcs7-mime; smime-type=signed-data;' ;;
	esac
	if grep -q "$_ct" "$_f" &&
	    openssl smime -verify -in "$_f" -CAfile "$P/root.pem" \
	    -purpose smimesign -out "$W/$_n.env" 2> "$W/$_n.v1"; then
		ok "$_n-outer-verifies"
	else
		fail "$_n-outer-verifies" "$(head -c 300 "$W/$_n.v1")"
		return
	fi
	if grep -q '^Content-Type: application/pkcs7-mime; smime-type=enveloped-data' "$W/$_n.env" &&
	    openssl smime -decrypt -in "$W/$_n.env" -recip "$P/bob.pem" \
	    -inkey "$P/bob.key" -out "$W/$_n.inner" 2> "$W/$_n.d"; then
		ok "$_n-decrypts"
	else
		fail "$_n-decrypts" "$(head -c 300 "$W/$_n.d"; head -n 3 "$W/$_n.env")"
		return
	fi
	case $3 in
	detached) _ct='^Content-Type: multipart/signed;' ;;
	opaque) _ct='^Content-Type: application/pkcs7-mime; smime-type=signed-data;' ;;
	esac
	if grep -q "$_ct" "$W/$_n.inner" &&
	    openssl smime -verify -in "$W/$_n.inner" -CAfile "$P/root.pem" \
	    -purpose smimesign -out "$W/$_n.text" 2> "$W/$_n.v2" &&
	    grep -q 'three layers: gr=C3=BC=C3=9Fe' "$W/$_n.text"; then
		ok "$_n-inner-verifies"
	else
		fail "$_n-inner-verifies" "$(head -c 300 "$W/$_n.v2")"
	fi
}

# ---- through smtpd, -a triple --------------------------------------------
if ! h_start "$FILTER" -v -a triple -f "$W/trust.yaml" -k "$S"; then
	fail start "$H_WHY"
	exit 0
fi
msg smtpd > "$W/smtpd.eml"
h_send --from rsa@example.org --to bob@example.net --file "$W/smtpd.eml" \
    > "$W/reply" 2>&1 || fail send "$(cat "$W/reply")"
h_wait_delivered 1 30 || fail delivered "$H_WHY"
h_strip_delivery "$(h_delivered | head -n 1)" > "$W/got-smtpd"
layers smtpd "$W/got-smtpd" detached
if grep -q 'signed+encrypted msgid=.* aes256-cbc to 2 certificates, signed again (triple)$' "$W/smtpd.log"; then
	ok smtpd-log
else
	fail smtpd-log "$(grep 'msgid=' "$W/smtpd.log" | tail -n 1)"
fi
if command -v gpgsm > /dev/null 2>&1; then
	mkdir "$W/g1" "$W/g2"
	if gpgsm_verify_mime "$W/got-smtpd" "$P/root.pem" "$W/g1"; then
		ok smtpd-gpgsm-outer
	else
		fail smtpd-gpgsm-outer "gpgsm did not report a good signature"
	fi
	# openssl writes the decrypted entity with CRLF
	tr -d '\r' < "$W/smtpd.inner" > "$W/smtpd.inner.lf"
	if [ -s "$W/smtpd.inner" ] &&
	    gpgsm_verify_mime "$W/smtpd.inner.lf" "$P/root.pem" "$W/g2"; then
		ok smtpd-gpgsm-inner
	else
		fail smtpd-gpgsm-inner "gpgsm did not report a good signature"
	fi
fi
h_health || fail health "$H_WHY"
h_stop

# ---- pipe mode, by the rules ----------------------------------------------
pipe() {	# pipe NAME RULES-YAML [filter args]
	_n=$1
	printf '%s' "$2" > "$W/$_n.yaml"
	shift 2
	msg "$_n" > "$W/$_n.eml"
	"$FILTER" -p -f "$W/$_n.yaml" -k "$S" -s rsa@example.org \
	    -r bob@example.net "$@" < "$W/$_n.eml" > "$W/$_n.out" 2> "$W/$_n.err" ||
	    fail "$_n-pipe" "rc=$? $(cat "$W/$_n.err")"
}
pipe policy 'version: 1
defaults:
  encrypt: required
  triple-wrap: yes
'
layers policy "$W/policy.out" detached
pipe opaque 'version: 1
defaults:
  encrypt: required
  triple-wrap: yes
  signature: opaque
'
layers opaque "$W/opaque.out" opaque
# NSS cmsutil, every layer of the opaque form: the outer SignedData
# verified (usage 4, email signer), the EnvelopedData decrypted with
# bob's key (NSS does RSA v1.5 with CBC, which bob gets), the inner
# SignedData verified
if command -v cmsutil > /dev/null 2>&1; then
	NSSDB=sql:$W/nss
	mkdir "$W/nss"
	certutil -N -d "$NSSDB" --empty-password > /dev/null 2>&1
	certutil -A -d "$NSSDB" -n root -t "C,C,C" -i "$P/root.pem"
	openssl pkcs12 -export -in "$P/bob.pem" -inkey "$P/bob.key" \
	    -certfile "$P/chain.pem" -name bob -passout pass:test \
	    -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 \
	    -out "$W/bob.p12"
	pk12util -i "$W/bob.p12" -d "$NSSDB" -W test > /dev/null 2>&1
	# the DER of an application/pkcs7-mime entity: its base64 body
	b64body() { tr -d '\r' < "$1" | awk 'b { print } /^$/ { b = 1 }' |
	    base64 -d > "$2"; }
	if b64body "$W/opaque.out" "$W/outer.der" &&
	    cmsutil -D -d "$NSSDB" -i "$W/outer.der" -u 4 \
	    -o "$W/nss.env" 2> "$W/nss.err" &&
	    b64body "$W/nss.env" "$W/env.der" &&
	    cmsutil -D -d "$NSSDB" -i "$W/env.der" -o "$W/nss.inner" \
	    2>> "$W/nss.err" &&
	    b64body "$W/nss.inner" "$W/inner.der" &&
	    cmsutil -D -d "$NSSDB" -i "$W/inner.der" -u 4 \
	    -o "$W/nss.text" 2>> "$W/nss.err" &&
	    grep -q 'three layers: gr=C3=BC=C3=9Fe' "$W/nss.text"; then
		ok opaque-nss-every-layer
	else
		fail opaque-nss-every-layer "$(head -c 300 "$W/nss.err")"
	fi
fi
pipe header 'version: 1
exceptions:
  headers:
    - header: Subject
      contains: "header"
      action: triple
'
layers header "$W/header.out" detached
# triple-wrap without encryption: signed once, as ever
pipe noenc 'version: 1
defaults:
  triple-wrap: yes
'
if grep -q '^X-SMIME-Gateway: .*; signed$' "$W/noenc.out" &&
    openssl smime -verify -in "$W/noenc.out" -CAfile "$P/root.pem" \
    -purpose smimesign -out /dev/null 2> /dev/null; then
	ok no-encryption-signed-once
else
	fail no-encryption-signed-once "$(head -n 1 "$W/noenc.out")"
fi
# ---- our own inbound verification reads the three layers ---------------
S2=$W/store2
"$C" -k "$S2" init > /dev/null
"$C" -k "$S2" import --key "$P/bob.key" "$P/bob.pem" > /dev/null
"$C" -k "$S2" anchor import "$P/root.pem" > /dev/null
printf 'version: 1\nauthserv-id: mx.test.example\n' > "$W/in.yaml"
"$FILTER" -p -a verify -f "$W/in.yaml" -k "$S2" -r bob@example.net \
    < "$W/policy.out" > "$W/in.out" 2> "$W/in.err"
if grep -q '^Authentication-Results: mx.test.example;' "$W/in.out" &&
    grep -q 'smime=pass' "$W/in.out" && grep -q 'smime-identifier=rsa@example.org' "$W/in.out" &&
    grep -q 'three layers' "$W/in.out"; then
	ok inbound-reads-all-layers
else
	fail inbound-reads-all-layers "$(grep -i -A2 '^Authentication-Results' "$W/in.out" | head -n 4; cat "$W/in.err")"
fi
exit 0
