#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# End-to-end: "already S/MIME" is proven, not claimed (issue 18).  Mail
# whose Content-Type says S/MIME leaves unchanged only when its structure
# holds: a real signature is encrypted as it stands where encryption is
# required (and left alone where only signing is), a real envelope for
# the recipient leaves byte for byte, and every fake label (a garbage
# signature, a missing second part, plaintext base64 labelled
# enveloped-data, a truncated envelope, an envelope for somebody else, an
# S/MIME attachment inside multipart/mixed) is processed like any
# message.  Every copy that policy requires to be encrypted is checked
# with openssl: it decrypts with the recipient's key, and the plaintext
# marker is nowhere in what was delivered.  Pipe mode (-p) alike.
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh
. regress/interop/pki.sh

FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
C=$(pwd)/smimectl

ok() { echo "ok labels-$1"; }
fail() { echo "FAIL labels-$1: $2"; }

MARK=MARKER-CONFIDENTIAL-4711

h_new
P=$W/pki
pki_make "$P" > /dev/null 2>&1 || { fail pki "cannot make the test PKI"; exit 0; }
S=$W/store
"$C" -k "$S" init > /dev/null
"$C" -k "$S" selfsign --rsa 2048 alice@example.org > /dev/null
"$C" -k "$S" export alice@example.org > "$W/alice.pem"
"$C" -k "$S" import "$P/bob.pem" > /dev/null
"$C" -k "$S" import "$P/rsa.pem" > /dev/null
cat > "$W/rules.yaml" <<'YAML'
version: 1
# the test's client on loopback, without AUTH, may sign
signers:
  trusted: [127.0.0.1]
defaults:
  sign: yes
  no-signing-key: tempfail
rules:
  - recipient: "*@example.net"
    encrypt: required
    key-missing: bounce
YAML
chown -R opensmtpd "$S"
chmod 644 "$W/rules.yaml"

# ---- the messages, made with openssl at test time ---------------------------
# each has its TAG as Subject and the marker in its plaintext
printf 'Content-Type: text/plain; charset=us-ascii\n\nConfidential %s.\n' \
    "$MARK" > "$W/part.txt"
hdrs() {	# hdrs TAG: the routing header fields
	printf 'From: alice@example.org\nTo: bob@example.net\nSubject: %s\nDate: Sun, 06 Dec 2026 14:00:00 +0000\nMessage-ID: <%s.%s@example.org>\n' \
	    "$1" "$1" "$$"
}
ossl_sign() {	# ossl_sign TAG [-nodetach]: signed by rsa@example.org
	tag=$1; shift
	{ hdrs "$tag"; openssl cms -sign -in "$W/part.txt" -signer "$P/rsa.pem" \
	    -inkey "$P/rsa.key" "$@"; } > "$W/$tag.eml"
}
ossl_env() {	# ossl_env TAG CIPHER-OPTIONS... CERT...: body only
	tag=$1; shift
	openssl cms -encrypt -in "$W/part.txt" "$@"
}
mk_messages() {
	ossl_sign signed
	ossl_sign opaque -nodetach
	# multipart/signed whose signature part is garbage
	{ hdrs fake-garbage
	  printf 'MIME-Version: 1.0\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="b1"\n\n--b1\n'
	  cat "$W/part.txt"
	  printf -- '--b1\nContent-Type: application/pkcs7-signature; name=smime.p7s\nContent-Transfer-Encoding: base64\n\n'
	  printf 'this is no signature at all' | base64
	  printf -- '--b1--\n'; } > "$W/fake-garbage.eml"
	# multipart/signed with its signature part missing
	{ hdrs fake-onepart
	  printf 'MIME-Version: 1.0\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="b1"\n\n--b1\n'
	  cat "$W/part.txt"
	  printf -- '--b1--\n'; } > "$W/fake-onepart.eml"
	# labelled enveloped-data, the body plaintext in base64
	{ hdrs fake-b64
	  printf 'MIME-Version: 1.0\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\n'
	  base64 < "$W/part.txt"; } > "$W/fake-b64.eml"
	# a real envelope for bob, cut in half
	openssl cms -encrypt -in "$W/part.txt" -aes256 -outform DER \
	    "$P/bob.pem" > "$W/env.der"
	n=$(wc -c < "$W/env.der")
	{ hdrs fake-truncated
	  printf 'MIME-Version: 1.0\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\n'
	  head -c $((n / 2)) "$W/env.der" | base64; } > "$W/fake-truncated.eml"
	# real envelopes: for somebody else (rsa@example.org), for bob
	{ hdrs env-other; ossl_env env-other -aes256 "$P/rsa.pem"; } > "$W/env-other.eml"
	{ hdrs env-bob; ossl_env env-bob -aes256 "$P/bob.pem"; } > "$W/env-bob.eml"
	# bob named by subject key identifier; AES-GCM; bob among others
	{ hdrs env-bob-ski; ossl_env env-bob-ski -aes256 -keyid "$P/bob.pem"; } \
	    > "$W/env-bob-ski.eml"
	{ hdrs env-bob-gcm; ossl_env env-bob-gcm -aes-256-gcm "$P/bob.pem"; } \
	    > "$W/env-bob-gcm.eml"
	{ hdrs env-bob-many; ossl_env env-bob-many -aes256 "$P/rsa.pem" \
	    "$P/bob.pem"; } > "$W/env-bob-many.eml"
	# an S/MIME attachment does not make the message encrypted
	{ hdrs attached
	  printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="m1"\n\n--m1\n'
	  cat "$W/part.txt"
	  printf -- '--m1\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=smime.p7m\n\n'
	  base64 < "$W/env.der"
	  printf -- '--m1--\n'; } > "$W/attached.eml"
}
mk_messages
for t in signed opaque fake-garbage fake-onepart fake-b64 fake-truncated \
    env-other env-bob env-bob-ski env-bob-gcm env-bob-many attached; do
	[ -s "$W/$t.eml" ] || { fail "make-$t" "openssl made no message"; exit 0; }
done
ALL="signed opaque fake-garbage fake-onepart fake-b64 fake-truncated env-other env-bob env-bob-ski env-bob-gcm env-bob-many attached"

if ! h_start "$FILTER" -v -f "$W/rules.yaml" -k "$S"; then
	fail start "$H_WHY"
	exit 0
fi

# the same message for a second recipient, only signing required
for t in $ALL; do
	sed "s/^Subject: $t\$/Subject: $t-sign/; s/^To: bob@example.net\$/To: dave@sign.example/" \
	    "$W/$t.eml" > "$W/$t-sign.eml"
done

n=0
for t in $ALL; do
	h_send --from alice@example.org --to bob@example.net --file "$W/$t.eml" \
	    > "$W/reply-$t" 2>&1 || fail "send-$t" "$(cat "$W/reply-$t")"
	h_send --from alice@example.org --to dave@sign.example \
	    --file "$W/$t-sign.eml" > "$W/reply-$t-sign" 2>&1 ||
	    fail "send-$t-sign" "$(cat "$W/reply-$t-sign")"
	n=$((n + 2))
done
h_wait_delivered $n 60 || fail delivered "$H_WHY"

copy_for() {	# copy_for SUBJECT RCPT: the delivered copy, delivery headers off
	for f in $(h_delivered); do
		if grep -q "^Subject: $1\$" "$f" && grep -q "^Delivered-To: $2\$" "$f"; then
			h_strip_delivery "$f"
			return 0
		fi
	done
	return 1
}
body_of() {	# the body of a message, LF line ends
	tr -d '\r' < "$1" | sed '1,/^$/d'
}
trace_is() {	# trace_is FILE TEXT: our field says TEXT
	grep -q "^X-SMIME-Gateway: .*; $2\$" "$1"
}

# ---- encrypt: required (bob@example.net) --------------------------------------
# encrypted_for NAME FILE: bob's key opens it, the marker is not in it
encrypted_for() {
	if grep -q "$MARK" "$2"; then
		fail "$1-marker-hidden" "the plaintext marker is in the delivered copy"
		return 1
	fi
	if ! openssl cms -decrypt -in "$2" -recip "$P/bob.pem" \
	    -inkey "$P/bob.key" -out "$W/dec-$1" 2>"$W/err"; then
		fail "$1-decrypts" "$(head -c 300 "$W/err")"
		return 1
	fi
	return 0
}
check_encrypted() {	# check_encrypted TAG TRACE [inner-check]
	copy_for "$1" bob@example.net > "$W/got-$1" ||
	    { fail "$1-delivered" "no copy for bob"; return; }
	encrypted_for "$1" "$W/got-$1" || return
	if trace_is "$W/got-$1" "$2"; then
		ok "$1-encrypted"
	else
		fail "$1-encrypted" "$(grep '^X-SMIME-Gateway' "$W/got-$1")"
	fi
}

# really signed: encrypted as it stands, the openssl signature inside
for t in signed opaque; do
	check_encrypted "$t" "encrypted the signed message"
	[ -s "$W/dec-$t" ] || continue
	if openssl cms -verify -noverify -in "$W/dec-$t" -out "$W/inner-$t" \
	    2>"$W/err" && grep -q "$MARK" "$W/inner-$t"; then
		ok "$t-signature-survives-inside"
	else
		fail "$t-signature-survives-inside" "$(head -c 300 "$W/err")"
	fi
done
# fake labels: processed (signed by us, then encrypted)
for t in fake-garbage fake-onepart fake-b64 fake-truncated; do
	check_encrypted "$t" "signed, encrypted; label not S/MIME: processed"
done
if [ -s "$W/dec-fake-b64" ] &&
    grep -q "$(base64 < "$W/part.txt" | head -n 1)" "$W/dec-fake-b64"; then
	ok fake-b64-content-inside
else
	fail fake-b64-content-inside "the decrypted copy lacks the original body"
fi
# an envelope for somebody else: encrypted again, for bob
check_encrypted env-other "signed, encrypted; not encrypted for the recipient: processed"
if [ -s "$W/dec-env-other" ] &&
    openssl smime -verify -noverify -in "$W/dec-env-other" -out "$W/in1" 2>/dev/null &&
    openssl cms -decrypt -in "$W/in1" -recip "$P/rsa.pem" -inkey "$P/rsa.key" \
    2>/dev/null | grep -q "$MARK"; then
	ok env-other-inner-envelope-kept
else
	fail env-other-inner-envelope-kept "the other recipient's envelope is not inside"
fi
# an attached .p7m inside multipart/mixed: the message is encrypted
check_encrypted attached "signed, encrypted"
# a real envelope for bob (by issuer and serial, by subject key
# identifier, AES-GCM, among other recipients): unchanged, byte for byte
for t in env-bob env-bob-ski env-bob-gcm env-bob-many; do
	if ! copy_for "$t" bob@example.net > "$W/got-$t"; then
		fail "$t-delivered" "no copy for bob"
		continue
	fi
	body_of "$W/$t.eml" > "$W/want-body"
	body_of "$W/got-$t" > "$W/got-body"
	if cmp -s "$W/want-body" "$W/got-body" &&
	    trace_is "$W/got-$t" "already encrypted for <bob@example.net>"; then
		ok "$t-unchanged"
	else
		fail "$t-unchanged" "$(grep '^X-SMIME-Gateway' "$W/got-$t"; diff "$W/want-body" "$W/got-body" | head -n 3)"
	fi
	encrypted_for "$t" "$W/got-$t" && grep -q "$MARK" "$W/dec-$t" &&
	    ok "$t-decrypts"
done

# ---- only signing required (dave@sign.example) --------------------------------
signed_by_us() {	# signed_by_us TAG TRACE
	copy_for "$1-sign" dave@sign.example > "$W/gs-$1" ||
	    { fail "$1-sign-delivered" "no copy for dave"; return; }
	if openssl smime -verify -in "$W/gs-$1" -CAfile "$W/alice.pem" \
	    -purpose smimesign -out /dev/null 2>"$W/err" &&
	    trace_is "$W/gs-$1" "$2"; then
		ok "$1-sign-signed"
	else
		fail "$1-sign-signed" "$(grep '^X-SMIME-Gateway' "$W/gs-$1") $(head -c 200 "$W/err")"
	fi
}
kept() {	# kept TAG TRACE: unchanged but for our field
	copy_for "$1-sign" dave@sign.example > "$W/gs-$1" ||
	    { fail "$1-sign-delivered" "no copy for dave"; return; }
	body_of "$W/$1-sign.eml" > "$W/want-body"
	body_of "$W/gs-$1" > "$W/got-body"
	if cmp -s "$W/want-body" "$W/got-body" && trace_is "$W/gs-$1" "$2"; then
		ok "$1-sign-unchanged"
	else
		fail "$1-sign-unchanged" "$(grep '^X-SMIME-Gateway' "$W/gs-$1")"
	fi
}
kept signed "already signed"
kept opaque "already signed"
kept env-bob "already encrypted"
for t in fake-garbage fake-onepart fake-b64 fake-truncated; do
	signed_by_us "$t" "signed; label not S/MIME: processed"
done
signed_by_us attached signed

# ---- what the log says ----------------------------------------------------------
L=$W/smtpd.log
grep -q 'already-smime msgid=.* already encrypted for <bob@example.net>' "$L" &&
    ok log-already-encrypted || fail log-already-encrypted "$(grep filter-smime "$L" | tail -n 3)"
grep -q ' encrypted msgid=.* encrypted the signed message; ' "$L" &&
    ok log-encrypted-the-signed || fail log-encrypted-the-signed "no such line"
grep -q 'signed+encrypted msgid=.* label not S/MIME: processed; ' "$L" &&
    ok log-label-processed || fail log-label-processed "no such line"
if h_health; then ok filter-alive; else fail filter-alive "$H_WHY"; fi
# every X-SMIME-* (and Authentication-Results) field we wrote is well-formed
if $H_PYTHON regress/lib/authres_check.py $(h_delivered) > "$W/archeck" 2>&1; then
	ok x-smime-grammar
else
	fail x-smime-grammar "$(head -n 3 "$W/archeck")"
fi
h_stop

# ---- pipe mode, same store and rules --------------------------------------------
PM="$FILTER -p -f $W/rules.yaml -k $S -s alice@example.org"
pipe_enc() {	# pipe_enc TAG TRACE
	if $PM -r bob@example.net < "$W/$1.eml" > "$W/p-$1" 2>"$W/perr" &&
	    encrypted_for "pipe-$1" "$W/p-$1" && trace_is "$W/p-$1" "$2"; then
		ok "pipe-$1-encrypted"
	else
		fail "pipe-$1-encrypted" "rc=$? $(head -c 200 "$W/perr")"
	fi
}
pipe_enc signed "encrypted the signed message"
pipe_enc opaque "encrypted the signed message"
pipe_enc fake-garbage "signed, encrypted; label not S/MIME: processed"
pipe_enc fake-onepart "signed, encrypted; label not S/MIME: processed"
pipe_enc fake-b64 "signed, encrypted; label not S/MIME: processed"
pipe_enc fake-truncated "signed, encrypted; label not S/MIME: processed"
pipe_enc env-other "signed, encrypted; not encrypted for the recipient: processed"
pipe_enc attached "signed, encrypted"
if $PM -r bob@example.net < "$W/env-bob.eml" > "$W/p-env-bob" 2>"$W/perr" &&
    [ "$(body_of "$W/p-env-bob" | cksum)" = "$(body_of "$W/env-bob.eml" | cksum)" ] &&
    trace_is "$W/p-env-bob" "already encrypted for <bob@example.net>"; then
	ok pipe-env-bob-unchanged
else
	fail pipe-env-bob-unchanged "$(head -c 200 "$W/perr")"
fi
if $PM -r dave@sign.example < "$W/signed.eml" > "$W/p-signed-sign" 2>"$W/perr" &&
    [ "$(body_of "$W/p-signed-sign" | cksum)" = "$(body_of "$W/signed.eml" | cksum)" ] &&
    trace_is "$W/p-signed-sign" "already signed"; then
	ok pipe-signed-sign-unchanged
else
	fail pipe-signed-sign-unchanged "$(head -c 200 "$W/perr")"
fi
if $PM -r dave@sign.example < "$W/fake-b64.eml" > "$W/p-fake-b64-sign" 2>"$W/perr" &&
    openssl smime -verify -in "$W/p-fake-b64-sign" -CAfile "$W/alice.pem" \
    -purpose smimesign -out /dev/null 2>/dev/null; then
	ok pipe-fake-b64-sign-signed
else
	fail pipe-fake-b64-sign-signed "$(head -c 200 "$W/perr")"
fi
exit 0
