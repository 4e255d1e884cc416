#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Keystore and smimectl: every PKCS#12 flavour (made here with openssl,
# NSS pk12util and gpgsm), certificates alone, bundles, each refusal with
# its message and exit code and the store unchanged after it, sealing,
# the master key, concurrent readers, selfsign, a 100 000-account store.
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/interop/lib.sh
interop_setup
C=$(pwd)/smimectl
KT=$(pwd)/obj/asan/kstool
S=$W/store

ok() { echo "ok keystore-$1"; }
fail() { echo "FAIL keystore-$1: $2"; }

# run NAME WANT_RC PATTERN CMD...: exit status and a stderr/stdout pattern
run() {
	_n=$1 _rc=$2 _pat=$3; shift 3
	"$@" > "$W/out" 2>&1
	_got=$?
	if [ "$_got" != "$_rc" ]; then
		fail "$_n" "exit $_got, want $_rc: $(head -c 300 "$W/out")"
	elif [ -n "$_pat" ] && ! grep -q -- "$_pat" "$W/out"; then
		fail "$_n" "output lacks '$_pat': $(head -c 300 "$W/out")"
	else
		ok "$_n"
	fi
}

# A digest of the whole store, to show a refused import changed nothing.
snapshot() {
	(cd "$S" && find . -type f ! -name lock | sort | xargs sha256sum) |
	    sha256sum
}

unchanged() {	# unchanged NAME BEFORE
	if [ "$(snapshot)" = "$2" ]; then ok "$1-store-unchanged"; else
		fail "$1-store-unchanged" "the store changed"; fi
}

"$C" -k "$S" init > /dev/null

# ---- PKCS#12 flavours ---------------------------------------------------
mkp12() {	# mkp12 NAME SOURCE-ID [openssl options]
	n=$1 id=$2; shift 2
	openssl pkcs12 -export -in "$P/$id.pem" -inkey "$P/$id.key" \
	    -certfile "$P/chain.pem" -name "$id" -passout pass:test \
	    -out "$W/$n.p12" "$@" 2>/dev/null
}
mkp12 openssl3 rsa
mkp12 legacy rsa -legacy
mkp12 windows rsa -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1
mkp12 ec p256
mkp12 nomac-cleartext-certs bob -certpbe NONE -keypbe PBE-SHA1-3DES
# NSS exports what it imported
pk12util -i "$W/windows.p12" -d "$NSSDB" -W test > /dev/null 2>&1
pk12util -o "$W/nss.p12" -n rsa -d "$NSSDB" -W test > /dev/null 2>&1
# gpgsm exports what it imported (RSA: gpgsm 2.2.40 crashes importing
# an EC PKCS#12)
# (bob was imported at setup; under load gpgsm's agent now and then fails
# an export: three tries, the agent restarted between them)
for try in 1 2 3; do
	fp=$(gpgsm --with-colons --list-secret-keys bob@example.net 2>/dev/null |
	    awk -F: '/^fpr/ { print $10; exit }')
	printf 'test\ntest\ntest\n' | gpgsm --batch --pinentry-mode loopback \
	    --passphrase-fd 0 --export-secret-key-p12 -o "$W/gpgsm.p12" "$fp" \
	    > /dev/null 2>&1
	[ -s "$W/gpgsm.p12" ] && break
	gpgconf --kill gpg-agent > /dev/null 2>&1
	sleep 1
done

for n in openssl3 legacy windows ec nss gpgsm; do
	if [ ! -s "$W/$n.p12" ]; then
		fail "p12-$n" "the tool did not make $n.p12"
		continue
	fi
	case $n in ec) who=p256@example.org ;; gpgsm) who=bob@example.net ;;
	*) who=rsa@example.org ;; esac
	rm -rf "$S"; "$C" -k "$S" init > /dev/null
	SMIMECTL_PASSWORD=test run "p12-$n" 0 "imported $who .* internal" \
	    "$C" -k "$S" import "$W/$n.p12"
	run "p12-$n-check" 0 "1 entries, 0 bad" "$C" -k "$S" check
	run "p12-$n-lookup" 0 "found $who" "$C" -k "$S" lookup sign "$who"
	# the chain inside the file is kept
	run "p12-$n-chain" 0 "Test Intermediate CA" sh -c "'$C' -k '$S' export \
	    --chain $who | openssl crl2pkcs7 -nocrl -certfile /dev/stdin |
	    openssl pkcs7 -print_certs -noout"
done
echo test > "$W/pw"
rm -rf "$S"; "$C" -k "$S" init > /dev/null
run p12-password-file 0 "imported rsa@example.org" \
    "$C" -k "$S" import --password-file "$W/pw" "$W/openssl3.p12"

# ---- refusals: message, exit code, store unchanged ---------------------
before=$(snapshot)
SMIMECTL_PASSWORD=wrong run p12-wrong-password 77 "wrong password" \
    "$C" -k "$S" import "$W/windows.p12"
unchanged p12-wrong-password "$before"
head -c 700 "$W/openssl3.p12" > "$W/trunc.p12"
SMIMECTL_PASSWORD=test run p12-truncated 65 "" "$C" -k "$S" import "$W/trunc.p12"
unchanged p12-truncated "$before"
cp "$W/legacy.p12" "$W/flip.p12"
flip_byte "$W/flip.p12" 300
SMIMECTL_PASSWORD=test "$C" -k "$S" import "$W/flip.p12" > "$W/out" 2>&1
case $? in 65|77) ok p12-bitflip ;; *) fail p12-bitflip "exit $?: $(cat "$W/out")" ;; esac
unchanged p12-bitflip "$before"
run cert-key-mismatch 65 "does not match" "$C" -k "$S" import --key "$P/p256.key" "$P/rsa.pem"
unchanged cert-key-mismatch "$before"

# encrypted keys beside a certificate: openssl 3's default PKCS#8
# (PBES2, AES-256), PKCS#8 DER with AES-128, the traditional PEM
# encryption; the key must match the certificate to be taken
openssl pkey -in "$P/rsa.key" -aes256 -passout pass:secret -out "$W/k8.pem"
openssl pkcs8 -topk8 -in "$P/rsa.key" -v2 aes-128-cbc -passout pass:secret \
    -outform DER -out "$W/k8.der"
openssl rsa -in "$P/rsa.key" -aes128 -traditional -passout pass:secret \
    -out "$W/ktrad.pem" 2>/dev/null
echo secret > "$W/kpw"
run key-encrypted-wrong-password 77 "wrong password for the private key" \
    env SMIMECTL_PASSWORD=wrong "$C" -k "$S" import --key "$W/k8.pem" "$P/rsa.pem"
unchanged key-encrypted-wrong-password "$before"
run key-encrypted-no-password 77 "the private key is encrypted" \
    "$C" -k "$S" import --key "$W/k8.pem" "$P/rsa.pem" < /dev/null
unchanged key-encrypted-no-password "$before"
for k in k8.pem k8.der ktrad.pem; do
	K=$W/store-$k
	"$C" -k "$K" init > /dev/null
	run "key-encrypted-$k" 0 "imported rsa@example.org" \
	    "$C" -k "$K" import --password-file "$W/kpw" --key "$W/$k" "$P/rsa.pem"
	# the key went in sealed, never in clear
	if grep -rqF "$(sed -n 2p "$P/rsa.key")" "$K"; then
		fail "key-encrypted-$k-sealed" "key text found in the store"
	else
		ok "key-encrypted-$k-sealed"
	fi
done
run cert-expired 65 "expired; --force imports it anyway" "$C" -k "$S" import "$P/expired.pem"
unchanged cert-expired "$before"
run cert-not-yet-valid 65 "not yet valid; --force" "$C" -k "$S" import "$P/future.pem"
run cert-expired-forced 0 "imported expired@example.org .* EXPIRED" \
    "$C" -k "$S" import --force "$P/expired.pem"
run cert-noeku 65 "does not include emailProtection" "$C" -k "$S" import "$P/noeku.pem"
run cert-noku-sign 65 "does not allow signing" \
    "$C" -k "$S" import --purpose sign "$P/noku.pem"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/nomail.key" \
    -subj "/CN=No Mail" -days 30 -addext basicConstraints=CA:FALSE \
    -out "$W/nomail.pem" 2>/dev/null
before=$(snapshot)
run cert-no-email 65 "no email address .* give --account" \
    "$C" -k "$S" import "$W/nomail.pem"
unchanged cert-no-email "$before"
run cert-no-email-account 0 "imported nomail@example.org" \
    "$C" -k "$S" import --account NoMail@Example.org "$W/nomail.pem"
run cert-garbage 65 "" sh -c "head -c 600 /dev/urandom | SMIMECTL_PASSWORD=x '$C' -k '$S' import -"

# ---- certificates alone: PEM, DER, bundles, stdin ------------------------
cat "$P/bob.pem" "$P/ecbob.pem" "$P/chain.pem" > "$W/bundle.pem"
run bundle-two-certs 0 "imported ecbob@example.net" "$C" -k "$S" import "$W/bundle.pem"
grep -c '^imported .* external' "$W/out" | grep -qx 2 && ok bundle-two-entries ||
    fail bundle-two-entries "$(cat "$W/out")"
openssl x509 -in "$P/p384.pem" -outform DER -out "$W/p384.der"
run der-cert 0 "imported p384@example.org .* external" "$C" -k "$S" import "$W/p384.der"
# a certs-only PKCS#7 bag (.p7b), as directories and Windows export them
openssl crl2pkcs7 -nocrl -certfile "$P/bob.pem" -certfile "$P/chain.pem" \
    -outform DER -out "$W/bob.p7b"
run p7b-bag 0 "imported bob@example.net .* external" "$C" -k "$S" import "$W/bob.p7b"
run stdin-cert 0 "imported p521@example.org" sh -c "'$C' -k '$S' import - < '$P/p521.pem'"
run lookup-encrypt-external 0 "found bob@example.net" "$C" -k "$S" lookup encrypt bob@example.net
run lookup-sign-external-none 1 "none" "$C" -k "$S" lookup sign bob@example.net

# ---- primary, retire, remove, list --------------------------------------
"$C" -k "$S" selfsign --ec P-256 carol@example.org > "$W/fp1"
sleep 1
"$C" -k "$S" selfsign --ec P-256 carol@example.org > "$W/fp2"
fp1=$(cat "$W/fp1"); fp2=$(cat "$W/fp2")
run primary-first-stays 0 "found carol@example.org $fp1" "$C" -k "$S" lookup sign carol@example.org
run primary-set 0 "" "$C" -k "$S" primary carol@example.org "$fp2"
run primary-used 0 "found carol@example.org $fp2" "$C" -k "$S" lookup sign carol@example.org
run retire 0 "" "$C" -k "$S" retire carol@example.org "$fp2"
run retire-falls-back 0 "found carol@example.org $fp1" "$C" -k "$S" lookup sign carol@example.org
run retire-kept 0 "retired" "$C" -k "$S" list
run remove 0 "" "$C" -k "$S" remove carol@example.org "$fp1"
if [ ! -e "$S/keys/$fp1.key" ] && [ -e "$S/keys/$fp2.key" ]; then ok remove-key-gone; else
	fail remove-key-gone "keys: $(ls "$S/keys")"; fi
run list-expiring 0 "expired@example.org" "$C" -k "$S" list --expiring 30
if "$C" -k "$S" list --expiring 30 | grep -q carol; then
	fail list-expiring-only "carol is not expiring"; else ok list-expiring-only; fi
run list-json 0 "" sh -c "'$C' -k '$S' list --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d) > 5'"
run domain-identity 0 "" "$C" -k "$S" selfsign @example.com
run domain-fallback 0 "found @example.com" "$C" -k "$S" lookup sign anyone@example.com
run remove-unknown 66 "has no certificate" "$C" -k "$S" remove carol@example.org 00
run help-per-verb 0 "usage: smimectl .* import" "$C" import --help

# ---- sealing ---------------------------------------------------------------
# no private key bytes in clear in any store file (PKCS#1 and PKCS#8 forms)
openssl pkey -in "$P/rsa.key" -outform DER -out "$W/k8.der"
openssl rsa -in "$P/rsa.key" -traditional -outform DER -out "$W/k1.der" 2>/dev/null
run sealed-no-clear-key 0 "clean" python3 -c "
import os, sys
keys = [open('$W/k8.der','rb').read(), open('$W/k1.der','rb').read()]
# past the public modulus and exponent: d, p, q, dp, dq, qinv only
needles = [k[i:i+32] for k in keys for i in range(340, len(k) - 32, 61)]
for root, _, files in os.walk('$S'):
    for f in files:
        data = open(os.path.join(root, f), 'rb').read()
        for n in needles:
            if n in data:
                sys.exit('key bytes in ' + f)
print('clean')"
modes=$(find "$S" -type f ! -perm 600 | wc -l)$(find "$S" -type d ! -perm 700 | wc -l)
[ "$modes" = 00 ] && ok modes-0600-0700 || fail modes-0600-0700 "$(ls -laR "$S" | head)"
FILTER_SMIME_MASTER_KEY=$(printf '%064d' 0) run master-key-wrong 65 \
    "does not unseal (wrong master key or damaged file)" "$C" -k "$S" check
mv "$S/master.key" "$W/master.key"
run master-key-missing 65 "master key .*master.key: No such file" "$C" -k "$S" check
FILTER_SMIME_MASTER_KEY_FILE=$W/master.key run master-key-file 0 ", 0 bad" "$C" -k "$S" check
mv "$W/master.key" "$S/master.key"
chmod 755 "$S"
run store-open-refused 77 "open to others" "$C" -k "$S" list
chmod 700 "$S"

# ---- selfsign is a valid S/MIME signer -------------------------------------
"$C" -k "$S" selfsign --rsa 2048 --usage both dave@example.org > /dev/null
"$C" -k "$S" export dave@example.org > "$W/dave.pem"
run selfsign-smimesign 0 "OK" openssl verify -CAfile "$W/dave.pem" -purpose smimesign "$W/dave.pem"
printf 'Content-Type: text/plain\r\n\r\nsigned with a store key\r\n' > "$W/msg"
"$KT" sign "$S" dave@example.org "$W/msg" "$W/dave.p7s"
run selfsign-cms-verifies 0 "Verification successful" openssl cms -verify -binary \
    -inform DER -in "$W/dave.p7s" -content "$W/msg" -CAfile "$W/dave.pem" \
    -purpose smimesign -out /dev/null

# ---- readers never see a torn store ----------------------------------------
"$KT" watch "$S" 8 > "$W/watch" 2>&1 &
wpid=$!
i=0
while [ $i -lt 12 ]; do
	"$C" -k "$S" selfsign --ec P-256 "w$i@example.org" > /dev/null
	i=$((i + 1))
done
wait $wpid
wrc=$?
gens=$(grep -c '^gen ' "$W/watch")
if [ "$wrc" = 0 ] && ! grep -q torn "$W/watch" && [ "$gens" -ge 2 ]; then
	ok concurrent-reader-no-torn-view
else
	fail concurrent-reader-no-torn-view "rc=$wrc gens=$gens $(grep torn "$W/watch" | head -n 2)"
fi

# ---- harvested certificates, CRLs, anchors, verify ------------------------
H=$W/hstore
"$C" -k "$H" init > /dev/null
"$KT" harvest "$H" "$P/bob.pem" bob@example.net 300b3009060760864801650304012e
run harvest-current 0 "found bob@example.net" "$C" -k "$H" lookup encrypt bob@example.net
fpbob=$(awk -F'\t' '$1 == "bob@example.net" { print $2 }' "$H/index")
"$KT" harvest "$H" "$P/ecbob.pem" bob@example.net "" pending
run harvest-pending-not-used 0 "found bob@example.net $fpbob" \
    "$C" -k "$H" lookup encrypt bob@example.net
run harvested-list 0 "harvested pending" "$C" -k "$H" harvested list
fpnew=$("$C" -k "$H" harvested | awk '/pending/ { print $2 }')
run harvested-approve 0 "" "$C" -k "$H" harvested approve "$fpnew"
run harvest-approved-used 0 "found bob@example.net $fpnew" \
    "$C" -k "$H" lookup encrypt bob@example.net
run harvest-history-kept 0 "$fpbob harvested retired" "$C" -k "$H" harvested
run harvested-reject 0 "" "$C" -k "$H" harvested reject "$fpnew"
run harvest-rejected-not-used 1 "none" "$C" -k "$H" lookup encrypt bob@example.net
run harvested-approve-unknown 66 "no harvested certificate" "$C" -k "$H" harvested approve 00
cat "$P/revoked.pem" "$P/chain.pem" > "$W/revoked-bundle.pem"
"$C" -k "$H" import --key "$P/revoked.key" "$W/revoked-bundle.pem" > /dev/null
run verify-untrusted 65 "not correctly signed by the trusted CA" "$C" -k "$H" verify revoked@example.org
run anchor-import 0 "anchors/" "$C" -k "$H" anchor import "$P/root.pem"
run anchor-import-leaf-refused 65 "not a CA certificate" "$C" -k "$H" anchor import "$P/rsa.pem"
run verify-chain-ok 0 ": ok" "$C" -k "$H" verify revoked@example.org
run crl-import 0 "crls/" "$C" -k "$H" crl import "$P/crl.pem"
run verify-revoked 65 "revoked" "$C" -k "$H" verify revoked@example.org
run crl-import-garbage 65 "not a CRL" "$C" -k "$H" crl import "$P/rsa.pem"

# ---- 100 000 accounts: correct answers from a big index ---------------------
big=$W/big
mkdir -m 700 "$big" "$big/certs" "$big/keys"
fpr=$(awk -F'\t' 'NR == 2 { print $2 }' "$S/index")
cp "$S/certs/$fpr.der" "$big/certs/"
awk -v fpr="$fpr" 'BEGIN {
	print "filter-smime-keystore 1 1"
	for (i = 0; i < 100000; i++)
		printf "user%d@example.org\t%s\texternal\tcurrent\t3\t3\t0\t4102444800\t0\t%032x\t-\t-\n", i, fpr, i
}' > "$big/index"
chmod 600 "$big/index"
"$KT" load "$big" user0@example.org user99999@example.org user100000@example.org > "$W/big.out" 2>&1
if grep -q '^entries 100000 ' "$W/big.out" && grep -q '^user99999@example.org none' "$W/big.out"; then
	# external entries cannot sign: "none" is the right answer
	ok scale-100000-load
else
	fail scale-100000-load "$(cat "$W/big.out")"
fi
run scale-100000-lookup-encrypt 0 "found user77777@example.org" \
    "$C" -k "$big" lookup encrypt user77777@example.org
echo "# keystore scale: $(tail -n 1 "$W/big.out")" >&2
exit 0
