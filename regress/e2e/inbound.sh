#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Inbound verification through a real smtpd (-a verify on the inbound
# listener): messages signed at test time by openssl (detached, opaque,
# -stream BER), gpgsm and NSS; tampered, wrong signer, untrusted root,
# expired, revoked (CRL in the store), garbage; forged
# Authentication-Results removed; each exact verdict checked.  Then the
# harvested certificate encrypts the reply.
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh
. regress/interop/pki.sh
. regress/lib/gpgsm.sh

FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
C=$(pwd)/smimectl

ok() { echo "ok inbound-$1"; }
fail() { echo "FAIL inbound-$1: $2"; }

h_new
P=$W/pki
pki_make "$P" > /dev/null 2>&1 || { fail pki "cannot make the test PKI"; exit 0; }
# gpgsm (below) signs as rsa: a key of rsa's it cannot import is
# replaced now, before anything uses it (see gpgsm_identity)
G=$W/gnupg
mkdir -m 700 "$G"
printf '%s\n' disable-crl-checks disable-policy-checks > "$G/gpgsm.conf"
echo allow-loopback-pinentry > "$G/gpg-agent.conf"
GNUPGHOME=$G gpgsm --batch --import "$P/root.pem" > /dev/null 2>&1
fpr=$(GNUPGHOME=$G gpgsm --with-colons --list-keys 2>/dev/null |
    awk -F: '/^fpr/ { print $10; exit }')
echo "$fpr S relax" > "$G/trustlist.txt"
(GNUPGHOME=$G; export GNUPGHOME
    gpgsm_identity "$P" rsa rsa@example.org) ||
    fail gpgsm-import "$(tail -n 2 "$W/gpgsm-import.log")"
cp "$P/rsa.p12" "$W/rsa.p12"
S=$W/store
"$C" -k "$S" init > /dev/null
"$C" -k "$S" anchor import "$P/root.pem" > /dev/null
"$C" -k "$S" crl import "$P/crl.pem" > /dev/null
"$C" -k "$S" selfsign --rsa 2048 alice@example.org > /dev/null
# internal identities whose mail the gateway decrypts
"$C" -k "$S" import --key "$P/bob.key" "$P/bob.pem" > /dev/null
cat "$P/ecbob.pem" "$P/chain.pem" > "$W/ecbob-bundle.pem"
"$C" -k "$S" import --key "$P/ecbob.key" "$W/ecbob-bundle.pem" > /dev/null
printf 'version: 1\nauthserv-id: mx.test.example\n' > "$W/rules.yaml"
chmod 644 "$W/rules.yaml"
chown -R opensmtpd "$S"
if ! h_start "$FILTER" -v -a verify -f "$W/rules.yaml" -k "$S"; then
	fail start "$H_WHY"
	exit 0
fi

printf 'Content-Type: text/plain; charset=us-ascii\n\nInbound test body.\n' > "$W/body"
mk() {	# mk TAG FROM FILE-WITH-MIME-ENTITY -> $W/TAG.eml
	{
		printf 'From: Sender <%s>\nTo: alice@example.org\nSubject: %s\n' "$2" "$1"
		printf 'Date: Wed, 25 Nov 2026 14:00:00 +0000\nMessage-ID: <%s@example.org>\n' "$1"
		printf 'Authentication-Results: mx.test.example; smime=pass (forged)\n'
		printf 'Authentication-Results: other.example; smime=pass\n'
		cat "$3"
	} > "$W/$1.eml"
}
osign() {	# osign TAG KEY FROM [openssl options]
	t=$1 k=$2 f=$3; shift 3
	openssl cms -sign -in "$W/body" -signer "$P/$k.pem" -inkey "$P/$k.key" \
	    -certfile "$P/chain.pem" "$@" > "$W/$t.ent" 2>/dev/null
	mk "$t" "$f" "$W/$t.ent"
}
osign detached rsa rsa@example.org
osign opaque p256 p256@example.org -nodetach
osign stream p384 p384@example.org -nodetach -stream
osign wrongfrom rsa mallory@example.org
osign expired expired expired@example.org
osign revoked revoked revoked@example.org
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/o.key" -days 30 \
    -subj "/CN=other/emailAddress=other@example.org" \
    -addext "subjectAltName=email:other@example.org" -out "$W/o.pem" 2>/dev/null
openssl cms -sign -in "$W/body" -signer "$W/o.pem" -inkey "$W/o.key" > "$W/untrusted.ent"
mk untrusted other@example.org "$W/untrusted.ent"
sed 's/Inbound test body\./Inbound test b0dy./' "$W/detached.ent" > "$W/tampered.ent"
mk tampered rsa@example.org "$W/tampered.ent"
printf 'Content-Type: application/pkcs7-mime; smime-type=signed-data\nContent-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHAqCAMIA=\n' > "$W/garbage.ent"
mk garbage rsa@example.org "$W/garbage.ent"
mk unsigned rsa@example.org "$W/body"
# signed, then encrypted: RSA/AES-CBC to bob, EC/AES-GCM to ecbob, and to
# a stranger whose key the gateway does not hold
openssl cms -encrypt -aes256 "$P/bob.pem" < "$W/detached.ent" > "$W/encrsa.ent"
mk encrsa rsa@example.org "$W/encrsa.ent"
openssl cms -encrypt -aes-256-gcm "$P/ecbob.pem" < "$W/opaque.ent" > "$W/encgcm.ent"
mk encgcm p256@example.org "$W/encgcm.ent"
openssl cms -encrypt -aes256 "$P/p384.pem" < "$W/detached.ent" > "$W/encother.ent"
mk encother rsa@example.org "$W/encother.ent"
# encrypted, nothing signed inside: CBC has no integrity, GCM has
openssl cms -encrypt -aes256 "$P/bob.pem" < "$W/body" > "$W/encplain.ent"
mk encplain rsa@example.org "$W/encplain.ent"
openssl cms -encrypt -aes-256-gcm "$P/ecbob.pem" < "$W/body" > "$W/gcmplain.ent"
mk gcmplain rsa@example.org "$W/gcmplain.ent"
# CBC around a signature that is not the author's: no pass, so marked
openssl cms -encrypt -aes256 "$P/bob.pem" < "$W/detached.ent" > "$W/encwrong.ent"
mk encwrong mallory@example.org "$W/encwrong.ent"
# an envelope whose inner entity has its own From:, Subject:, Date:
printf 'From: CEO <ceo@bank.example>\nSubject: injected\nDate: Thu, 01 Jan 2026 00:00:00 +0000\nContent-Type: text/plain\n\nMerge test body.\n' > "$W/inner.ent"
openssl cms -encrypt -aes256 "$P/bob.pem" < "$W/inner.ent" > "$W/encmerge.ent"
mk encmerge rsa@example.org "$W/encmerge.ent"

# encrypted to bob, then signed by rsa@ (encrypt-then-sign), and triple
# wrapped: signed by rsa@, encrypted to bob, signed again by rsa@
openssl cms -sign -signer "$P/rsa.pem" -inkey "$P/rsa.key" -certfile "$P/chain.pem" \
    < "$W/encrsa.ent" > "$W/encsign.ent"
mk encsign rsa@example.org "$W/encsign.ent"
openssl cms -sign -signer "$P/rsa.pem" -inkey "$P/rsa.key" -certfile "$P/chain.pem" \
    -nodetach < "$W/encrsa.ent" > "$W/triple.ent"
mk triple rsa@example.org "$W/triple.ent"

# made by gpgsm and by NSS: signed (opaque) by rsa@, and encrypted to bob
GNUPGHOME=$G gpgsm --batch --import "$P/chain.pem" "$P/bob.pem" > /dev/null 2>&1
opaque_mime() {	# opaque_mime TYPE DERFILE -> an application/pkcs7-mime entity
	printf 'Content-Type: application/pkcs7-mime; smime-type=%s; name=smime.p7m\nContent-Transfer-Encoding: base64\n\n' "$1"
	base64 -w 76 < "$2"
}
echo test | GNUPGHOME=$G gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 \
    -u rsa@example.org --sign -o "$W/gpgsm-sig.der" "$W/body" 2>/dev/null
opaque_mime signed-data "$W/gpgsm-sig.der" > "$W/gpgsmsig.ent"
mk gpgsmsig rsa@example.org "$W/gpgsmsig.ent"
GNUPGHOME=$G gpgsm --batch -r bob@example.net --encrypt \
    -o "$W/gpgsm-enc.der" "$W/detached.ent" 2>/dev/null
opaque_mime enveloped-data "$W/gpgsm-enc.der" > "$W/gpgsmenc.ent"
mk gpgsmenc rsa@example.org "$W/gpgsmenc.ent"
GNUPGHOME=$G gpgconf --kill all > /dev/null 2>&1
N=sql:$W/nss
mkdir "$W/nss"
certutil -N -d "$N" --empty-password
certutil -A -d "$N" -n root -t "C,C,C" -i "$P/root.pem"
pk12util -i "$W/rsa.p12" -d "$N" -W test > /dev/null 2>&1
certutil -A -d "$N" -n bob -t ",," -i "$P/bob.pem"
cmsutil -S -d "$N" -N rsa -G -P -i "$W/body" -o "$W/nss-sig.der" 2>/dev/null
opaque_mime signed-data "$W/nss-sig.der" > "$W/nsssig.ent"
mk nsssig rsa@example.org "$W/nsssig.ent"
cmsutil -E -d "$N" -r bob -i "$W/detached.ent" -o "$W/nss-enc.der" 2>/dev/null
opaque_mime enveloped-data "$W/nss-enc.der" > "$W/nssenc.ent"
mk nssenc rsa@example.org "$W/nssenc.ent"

# an envelope is decrypted only with a key of one of the message's
# recipients (the key process refuses any other): each encrypted message
# goes to the address it is encrypted for
cp "$W/encrsa.eml" "$W/misdirected.eml"
sed -i 's/^Subject: encrsa$/Subject: misdirected/' "$W/misdirected.eml"
for t in detached opaque stream wrongfrom expired revoked untrusted tampered garbage unsigned encrsa encgcm encother encplain gcmplain encwrong encmerge gpgsmsig gpgsmenc nsssig nssenc encsign triple misdirected; do
	case $t in
	encrsa|encplain|encwrong|encmerge|gpgsmenc|nssenc|encsign|triple)
		to=bob@example.net ;;
	encgcm|gcmplain) to=ecbob@example.net ;;
	*) to=alice@example.org ;;	# misdirected: bob's, sent to alice
	esac
	h_send --from x@example.net --to "$to" --file "$W/$t.eml" > /dev/null 2>&1 ||
	    fail "$t-accepted" "not accepted"
done
h_wait_delivered 24 60 || fail delivered "$(h_delivered | wc -l) of 24"

got() {	# got TAG: the delivered copy
	for f in $(h_delivered); do
		grep -q "^Subject: $1\$" "$f" && { cat "$f"; return 0; }
	done
	return 1
}
# verdict TAG RESULT [reason pattern]
verdict() {
	got "$1" > "$W/got" || { fail "$1" "not delivered"; return; }
	ar=$(awk '/^Authentication-Results: mx.test.example;/ { on = 1; print; next }
	    on && /^[ \t]/ { print; next } { on = 0 }' "$W/got" | tr '\n' ' ')
	case "$ar" in
	*"smime=$2 "*"${3:-}"*) ok "$1-$2" ;;
	*) fail "$1-$2" "header: $ar" ;;
	esac
	# the sender's claim with our authserv-id is gone, others stay
	if grep -q 'smime=pass (forged)' "$W/got"; then
		fail "$1-forged-removed" "forged header delivered"
	fi
	grep -q '^Authentication-Results: other.example; smime=pass' "$W/got" ||
	    fail "$1-foreign-kept" "another authserv-id's header was removed"
}
verdict detached pass "body.smime-identifier=rsa@example.org"
verdict opaque pass "body.smime-identifier=p256@example.org"
verdict stream pass "body.smime-issuer=\"O=filter-smime test, CN=Test Intermediate CA\""
verdict wrongfrom policy "is not the From address"
verdict expired policy "certificate expired"
verdict revoked policy "certificate revoked"
verdict untrusted policy "untrusted certificate chain"
verdict tampered fail "content digest mismatch"
verdict garbage permerror
verdict gpgsmsig pass "body.smime-identifier=rsa@example.org"
verdict nsssig pass "body.smime-identifier=rsa@example.org"
verdict gpgsmenc pass "body.smime-identifier=rsa@example.org"
verdict nssenc pass "body.smime-identifier=rsa@example.org"
# both signatures of a layered message get their result
for t in encsign triple; do
	got "$t" > "$W/got"
	if [ "$(grep -c 'smime=pass (signature verified)' "$W/got")" = 2 ] &&
	    grep -q '^X-SMIME-Decrypted: ' "$W/got" && grep -q 'Inbound test body' "$W/got"; then
		ok "$t-both-layers"
	else
		fail "$t-both-layers" "$(grep -E 'smime=|^X-SMIME' "$W/got")"
	fi
done
for t in gpgsmenc nssenc; do
	got "$t" | grep -q '^X-SMIME-Decrypted: ' && ok "$t-decrypted" ||
	    fail "$t-decrypted" "$(got "$t" | grep -E '^(X-SMIME|Content-Type)')"
done
if got unsigned > "$W/got" && ! grep -q '^Authentication-Results: mx.test.example' "$W/got" &&
    grep -q '^Authentication-Results: other.example' "$W/got"; then
	ok unsigned-no-result-forged-removed
else
	fail unsigned-no-result-forged-removed "$(grep Authentication-Results "$W/got")"
fi
# decrypted for internal recipients, then verified
for t in encrsa encgcm; do
	got "$t" > "$W/got"
	# what was inside replaces the envelope (opaque-signed for encgcm)
	if grep -qi '^X-SMIME-Decrypted: \(id-\)\{0,1\}aes256-' "$W/got" &&
	    ! grep -qi 'smime-type=\(auth\)\{0,1\}enveloped-data' "$W/got"; then
		ok "$t-decrypted"
	else
		fail "$t-decrypted" "$(grep -E '^(X-SMIME|Content-Type)' "$W/got")"
	fi
done
verdict encrsa pass "body.smime-identifier=rsa@example.org"
verdict encgcm pass "body.smime-identifier=p256@example.org"
# CBC content is vouched for only by a signature that passes
unauth() {	# unauth TAG yes|no: is the decryption record marked?
	got "$1" > "$W/got"
	n=$(grep -c '^X-SMIME-Decrypted: .* (unauthenticated)$' "$W/got")
	d=$(grep -c '^X-SMIME-Decrypted: ' "$W/got")
	[ "$2" = yes ] && want=1 || want=0
	if [ "$d" = 1 ] && [ "$n" = "$want" ]; then
		ok "$1-unauthenticated-$2"
	else
		fail "$1-unauthenticated-$2" "$(sed -n 1,14p "$W/got" | tr "\n\t" "|  ")"
	fi
}
unauth encplain yes
unauth encwrong yes
unauth encrsa no
unauth gcmplain no
verdict encplain none "(decrypted content without integrity protection and without a signature)"
verdict encwrong policy "(signer rsa@example.org is not the From address)"
got gcmplain > "$W/got"
grep -q '^Authentication-Results: mx.test.example' "$W/got" &&
    fail gcmplain-no-result "$(grep smime= "$W/got")" || ok gcmplain-no-result
# bob's ciphertext sent to alice: a replay would make the gateway a
# decryption oracle; it is delivered as it came, and the refusal logged
got misdirected > "$W/got"
if grep -q '^X-SMIME-Decrypt: failed (no matching recipient' "$W/got" &&
    grep -q 'smime-type=enveloped-data' "$W/got" &&
    grep -q "refused decrypting with [0-9a-f]* (bob@example.net) to .*: not a recipient's key" "$W/smtpd.log"; then
	ok misdirected-not-decrypted
else
	fail misdirected-not-decrypted "$(grep -E '^(X-SMIME|Content-Type)' "$W/got"; grep 'key process' "$W/smtpd.log" | tail -n 2)"
fi
got encother > "$W/got"
if grep -q '^X-SMIME-Decrypt: failed (no matching recipient' "$W/got" &&
    grep -q 'smime-type=enveloped-data' "$W/got"; then
	ok undecryptable-passed-with-reason
else
	fail undecryptable-passed-with-reason "$(grep -E '^(X-SMIME|Content-Type)' "$W/got")"
fi
# the signed entity itself is delivered as it came
got detached > "$W/got"
if tr -d '\r' < "$W/detached.ent" | sed '1,/^$/d' > "$W/want-body" &&
    sed '1,/^$/d' "$W/got" > "$W/got-body" && cmp -s "$W/want-body" "$W/got-body"; then
	ok detached-body-unchanged
else
	fail detached-body-unchanged "$(diff "$W/want-body" "$W/got-body" | head -n 4)"
fi
# every Authentication-Results and X-SMIME-* field delivered is well-formed
"$H_PYTHON" regress/lib/authres_check.py $(h_delivered) > "$W/check" 2>&1 &&
    ok authres-grammar || fail authres-grammar "$(head -n 5 "$W/check")"
h_health && ok filter-alive || fail filter-alive "$H_WHY"
h_stop

# an inbound listener with per-recipient transactions and encryption at
# rest: each internal recipient gets a copy encrypted to its own keys
printf 'version: 1\nauthserv-id: mx.test.example\ndefaults:\n  transaction: per-recipient\ninbound:\n  encrypt-at-rest: yes\n' > "$W/pr.yaml"
chmod 644 "$W/pr.yaml"
WI=$W
h_new
cp "$WI/pr.yaml" "$W/pr.yaml"
if h_start "$FILTER" -a verify -f "$W/pr.yaml" -k "$S"; then
	h_send --from x@example.net --to bob@example.net --to ecbob@example.net \
	    --file "$WI/unsigned.eml" > "$W/reply" 2>&1
	grep -q '452.*4.5.3' "$W/reply" && ok at-rest-per-recipient-deferred ||
	    fail at-rest-per-recipient-deferred "$(cat "$W/reply")"
	h_wait_delivered 1 30
	f=$(h_delivered | head -n 1)
	openssl cms -cmsout -print -in "$f" > "$W/print" 2>&1
	if grep -q '^Delivered-To: bob@example.net' "$f" &&
	    openssl cms -decrypt -in "$f" -recip "$P/bob.pem" -inkey "$P/bob.key" 2>/dev/null |
	    grep -q 'Inbound test body' && [ "$(grep -c 'd.ktri:\|d.kari:' "$W/print")" = 1 ]; then
		ok at-rest-own-keys-only
	else
		fail at-rest-own-keys-only "$(grep -E '^Delivered-To|Content-Type' "$f")"
	fi
	h_stop
else
	fail at-rest-start "$H_WHY"
fi
W=$WI

# harvested from the passing signatures, not from the failing ones
"$C" -k "$S" harvested > "$W/h"
if grep -q '^rsa@example.org .* harvested current' "$W/h" &&
    grep -q '^p256@example.org ' "$W/h" && ! grep -q -e mallory -e expired -e revoked -e other "$W/h"; then
	ok harvest-only-valid
else
	fail harvest-only-valid "$(cat "$W/h")"
fi
# inbound options, in pipe mode: signature removal, harvest policy
V="$FILTER -p -a verify -k $S"
printf 'version: 1\nauthserv-id: mx.test.example\ninbound:\n  signature: remove\n' > "$W/rm.yaml"
$V -f "$W/rm.yaml" < "$W/detached.eml" > "$W/rm.out" 2>/dev/null
if grep -q 'smime=pass' "$W/rm.out" && ! grep -qi 'multipart/signed\|pkcs7' "$W/rm.out" &&
    grep -q '^Subject: detached$' "$W/rm.out" && grep -q '^Inbound test body' "$W/rm.out"; then
	ok signature-remove
else
	fail signature-remove "$(head -n 20 "$W/rm.out")"
fi
$V -f "$W/rm.yaml" < "$W/tampered.eml" > "$W/rm.out" 2>/dev/null
grep -q 'multipart/signed' "$W/rm.out" && ok signature-remove-keeps-failed ||
    fail signature-remove-keeps-failed "a failed signature was removed"
# Decrypted or unwrapped mail never has two From:, Subject: or Date:
# fields.  The entity inside an envelope is covered by no signature: the
# routing fields stay.  A signed entity that replaces the content
# (signature: remove) wins only with protected fields (RFC 9788 hp=),
# and never for From:, the field the verdict checked.
one_each() {	# one_each FILE: one From:, Subject:, Date: each
	for h in From Subject Date; do
		[ "$(grep -ci "^$h:" "$1")" = 1 ] || return 1
	done
}
merged() {	# merged TAG FILE SUBJECT
	if one_each "$2" && grep -q '^From: Sender <rsa@example.org>$' "$2" &&
	    grep -q "^Subject: $3\$" "$2" && ! grep -q 'ceo@bank' "$2" &&
	    grep -q '^Merge test body' "$2"; then
		ok "$1"
	else
		fail "$1" "$(grep -iE '^(from|subject|date|x-smime|content-type):|smime=' "$2" | tr '\n' '|')"
	fi
}
$V < "$W/encmerge.eml" > "$W/merge.out" 2>/dev/null
merged decrypted-fields-routing-wins "$W/merge.out" encmerge
# ...also when the inner entity brings more fields than the parser takes
{ printf 'From: CEO <ceo@bank.example>\nSubject: injected\n'
  awk 'BEGIN { for (i = 0; i < 2100; i++) printf "X-Inner-%d: v\n", i }'
  printf 'Content-Type: text/plain\n\nMerge test body.\n'; } > "$W/inner.ent"
openssl cms -encrypt -aes256 "$P/bob.pem" < "$W/inner.ent" > "$W/encmany.ent"
mk encmany rsa@example.org "$W/encmany.ent"
$V < "$W/encmany.eml" > "$W/merge.out" 2>/dev/null
merged decrypted-many-fields-routing-wins "$W/merge.out" encmany
got encmerge > "$W/merge-smtpd.out"
merged smtpd-decrypted-fields-routing-wins "$W/merge-smtpd.out" encmerge
for hp in no yes; do
	if [ $hp = yes ]; then
		ct='text/plain; hp="clear"' subj=protected
	else
		ct='text/plain' subj=opmerge-$hp
	fi
	printf 'From: CEO <ceo@bank.example>\nSubject: protected\nDate: Thu, 01 Jan 2026 00:00:00 +0000\nContent-Type: %s\n\nMerge test body.\n' "$ct" > "$W/inner.ent"
	openssl cms -sign -nodetach -in "$W/inner.ent" -signer "$P/rsa.pem" \
	    -inkey "$P/rsa.key" -certfile "$P/chain.pem" > "$W/opm.ent" 2>/dev/null
	mk "opmerge-$hp" rsa@example.org "$W/opm.ent"
	$V -f "$W/rm.yaml" < "$W/opmerge-$hp.eml" > "$W/merge.out" 2>/dev/null
	if grep -q 'smime=pass' "$W/merge.out" && ! grep -qi pkcs7 "$W/merge.out"; then
		merged "unwrapped-fields-protected-$hp" "$W/merge.out" "$subj"
	else
		fail "unwrapped-fields-protected-$hp" "not a removed pass: $(grep smime= "$W/merge.out")"
	fi
done
H2=$W/hstore
"$C" -k "$H2" init > /dev/null
"$C" -k "$H2" anchor import "$P/root.pem" > /dev/null
printf 'version: 1\ninbound:\n  harvest: no\n' > "$W/hno.yaml"
$FILTER -p -a verify -f "$W/hno.yaml" -k "$H2" < "$W/detached.eml" > /dev/null 2>&1
[ -z "$("$C" -k "$H2" harvested)" ] && ok harvest-off || fail harvest-off "harvested anyway"
$FILTER -p -a verify -k "$H2" < "$W/untrusted.eml" > /dev/null 2>&1
[ -z "$("$C" -k "$H2" harvested)" ] && ok harvest-not-self-signed-by-default ||
    fail harvest-not-self-signed-by-default "harvested a self-signed certificate"
printf 'version: 1\ninbound:\n  harvest: [self-signed, on-failed-verify]\n' > "$W/hss.yaml"
$FILTER -p -a verify -f "$W/hss.yaml" -k "$H2" < "$W/untrusted.eml" > /dev/null 2>&1
"$C" -k "$H2" harvested | grep -q '^other@example.org' && ok harvest-self-signed-option ||
    fail harvest-self-signed-option "not harvested"
$FILTER -p -a verify -f "$W/hss.yaml" -k "$H2" < "$W/tampered.eml" > /dev/null 2>&1
"$C" -k "$H2" harvested | grep -q '^rsa@example.org' &&
    fail harvest-never-from-broken-signature "harvested from a tampered message" ||
    ok harvest-never-from-broken-signature
printf 'version: 1\ninbound:\n  harvest: sometimes\n' > "$W/hbad.yaml"
$FILTER -n -f "$W/hbad.yaml" 2>"$W/e"
grep -q 'hbad.yaml:3:12: harvest: "sometimes" is not' "$W/e" && ok harvest-bad-value ||
    fail harvest-bad-value "$(cat "$W/e")"

# one listener for both directions (inbound: internal:), and encryption
# at rest to the internal recipient's own current certificates
printf 'version: 1\nauthserv-id: mx.test.example\ninbound:\n  internal: ["@example.net"]\n  encrypt-at-rest: yes\n' > "$W/dir.yaml"
"$FILTER" -p -f "$W/dir.yaml" -k "$S" -s rsa@example.org -r bob@example.net \
    < "$W/detached.eml" > "$W/dir.out" 2>/dev/null
if grep -q '^Authentication-Results: mx.test.example;' "$W/dir.out" &&
    grep -q 'smime-type=enveloped-data' "$W/dir.out" &&
    openssl cms -decrypt -in "$W/dir.out" -recip "$P/bob.pem" -inkey "$P/bob.key" 2>/dev/null |
    grep -q 'multipart/signed'; then
	ok direction-by-address-and-encrypt-at-rest
else
	fail direction-by-address-and-encrypt-at-rest "$(head -n 12 "$W/dir.out")"
fi
# the other way through the same policy: outbound, signed not verified
# (bob's message: the From: author must be the signer)
sed 's/^From: .*/From: Bob <bob@example.net>/' "$W/unsigned.eml" > "$W/bobs.eml"
"$FILTER" -p -f "$W/dir.yaml" -k "$S" -s bob@example.net -r rsa@example.org \
    < "$W/bobs.eml" > "$W/dir.out" 2>/dev/null
if ! grep -q 'signature verified' "$W/dir.out" &&
    grep -q 'multipart/signed' "$W/dir.out"; then
	ok direction-outbound-same-policy
else
	fail direction-outbound-same-policy "$(head -n 8 "$W/dir.out")"
fi
# already encrypted mail is not encrypted again at rest
"$FILTER" -p -f "$W/dir.yaml" -k "$S" -s p384@example.org -r nobody@example.net \
    < "$W/encother.eml" > "$W/dir.out" 2>/dev/null
[ "$(grep -c 'smime-type=enveloped-data' "$W/dir.out")" = 1 ] &&
    ok encrypt-at-rest-skips-encrypted || fail encrypt-at-rest-skips-encrypted "wrapped again"

# rotation: a retired key still decrypts old mail
R=$W/rstore
"$C" -k "$R" init > /dev/null
"$C" -k "$R" import --key "$P/bob.key" "$P/bob.pem" > /dev/null
fpb=$(awk -F'\t' '$1 == "bob@example.net" { print $2 }' "$R/index")
"$C" -k "$R" retire bob@example.net "$fpb" > /dev/null
"$FILTER" -p -a decrypt -k "$R" < "$W/encrsa.eml" > "$W/ret.out" 2>/dev/null
grep -q '^X-SMIME-Decrypted: aes256-CBC for bob@example.net' "$W/ret.out" &&
    ok retired-key-decrypts || fail retired-key-decrypts "$(grep X-SMIME "$W/ret.out")"
"$H_PYTHON" regress/lib/authres_check.py "$W/ret.out" "$W/rm.out" "$W/dir.out" > "$W/check" 2>&1 &&
    ok pipe-authres-grammar || fail pipe-authres-grammar "$(head -n 5 "$W/check")"

# bad input: still delivered (pipe mode exit 0), with the right result
python3 -c "
print('From: a@example.org\nSubject: many\nContent-Type: multipart/mixed; boundary=B\n')
for i in range(100000): print('--B\nContent-Type: text/plain\n\nx')
print('--B--')" > "$W/many.eml"
$V < "$W/many.eml" > "$W/bad.out" 2>/dev/null && cmp -s "$W/many.eml" "$W/bad.out" &&
    ok bad-100000-parts-unchanged || fail bad-100000-parts-unchanged "rc=$?"
python3 -c "
print('From: a@example.org\nSubject: deep')
for i in range(10000): print('Content-Type: multipart/mixed; boundary=B%d\n\n--B%d' % (i, i))
print('Content-Type: application/pkcs7-mime; smime-type=signed-data\n\nMIAG')" > "$W/deep.eml"
$V < "$W/deep.eml" > "$W/bad.out" 2>/dev/null
if grep -q "smime=permerror (MIME: " "$W/bad.out" && tail -n +3 "$W/bad.out" | cmp -s - "$W/deep.eml"; then
	ok bad-deep-nesting-permerror
else
	fail bad-deep-nesting-permerror "$(head -n 3 "$W/bad.out")"
fi
printf 'From: a@example.org\nSubject: b64\nContent-Type: application/pkcs7-mime; smime-type=signed-data\nContent-Transfer-Encoding: base64\n\n!!!not base64###\n' > "$W/b64.eml"
$V < "$W/b64.eml" > "$W/bad.out" 2>/dev/null
grep -q 'smime=permerror (the pkcs7-mime body cannot be decoded)' "$W/bad.out" &&
    ok bad-base64-permerror || fail bad-base64-permerror "$(head -n 3 "$W/bad.out")"
{
	printf 'From: a@example.org\nSubject: huge\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'
	head -c 75000000 /dev/zero | base64 -w 76
} > "$W/huge.eml"
$V < "$W/huge.eml" > "$W/bad.out" 2>/dev/null && cmp -s "$W/huge.eml" "$W/bad.out" &&
    ok bad-100mb-unchanged || fail bad-100mb-unchanged "rc=$?"
rm -f "$W/huge.eml" "$W/bad.out"

# ...and the reply is encrypted to the harvested certificate
printf 'version: 1\ndefaults:\n  encrypt: required\n' > "$W/out.yaml"
printf 'From: alice@example.org\nTo: rsa@example.org\nSubject: re\n\nreply\n' |
    "$FILTER" -p -f "$W/out.yaml" -k "$S" -s alice@example.org -r rsa@example.org \
    > "$W/reply.eml" 2>"$W/e"
if openssl cms -decrypt -in "$W/reply.eml" -recip "$P/rsa.pem" -inkey "$P/rsa.key" \
    2>/dev/null | grep -q reply; then
	ok harvest-then-reply-encrypted
else
	fail harvest-then-reply-encrypted "$(cat "$W/e") $(head -n 8 "$W/reply.eml")"
fi
exit 0
