#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Re-make the committed OCSP test files (run once, by hand; test_ocsp
# reads the results).  Needs openssl 3, which answers here without a
# network: openssl ocsp -reqin/-respout.
#   ca.der                 the issuing CA (P-256)
#   good.der, revoked.der  leaves in its index (revoked revoked)
#   stranger.der           a leaf it issued outside its index
#   resp.der               a delegated responder (id-kp-OCSPSigning)
#   req-good.der           openssl's request for good.der, no nonce
#   req-nonce.der          openssl's request for good.der, with a nonce
#   good-ca.resp           about good, signed by the CA, answering
#                          req-nonce (every answer: nextUpdate in a century)
#   revoked-ca.resp        about revoked, signed by the CA
#   good-delegated.resp    about good, signed by the delegated responder
#   good-rogue.resp        about good, signed by a self-made responder
#   stranger.resp          about stranger: unknown
#   trylater.resp          responseStatus tryLater
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/ca.key" -subj "/O=ocsp unit test/CN=OCSP Unit CA" -days 36500 \
    -addext basicConstraints=critical,CA:true \
    -addext keyUsage=critical,keyCertSign,cRLSign -out "$tmp/ca.pem" 2>/dev/null
mkdir -p "$tmp/db/new"
: > "$tmp/db/index.txt"
printf '1000\n' > "$tmp/db/serial"
printf '[ca]\ndefault_ca=t\n[t]\ndatabase=%s\nserial=%s\nnew_certs_dir=%s\ndefault_md=sha256\ndefault_days=36500\npolicy=any\nunique_subject=no\n[any]\ncommonName=supplied\n' \
    "$tmp/db/index.txt" "$tmp/db/serial" "$tmp/db/new" > "$tmp/ca.cnf"
openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/leaf.key" -subj /CN=leaf \
    -out "$tmp/leaf.csr" 2>/dev/null
for n in good revoked; do
	openssl ca -batch -config "$tmp/ca.cnf" -cert "$tmp/ca.pem" -keyfile "$tmp/ca.key" \
	    -in "$tmp/leaf.csr" -subj "/CN=$n" -notext -out "$tmp/$n.pem" 2>/dev/null
	openssl x509 -in "$tmp/$n.pem" -outform DER -out "$n.der"
done
openssl ca -config "$tmp/ca.cnf" -cert "$tmp/ca.pem" -keyfile "$tmp/ca.key" \
    -revoke "$tmp/revoked.pem" 2>/dev/null
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
    -set_serial 77777 -days 36500 -out "$tmp/stranger.pem" 2>/dev/null
openssl x509 -in "$tmp/stranger.pem" -outform DER -out stranger.der
openssl x509 -in "$tmp/ca.pem" -outform DER -out ca.der
printf 'extendedKeyUsage=OCSPSigning\nkeyUsage=critical,digitalSignature\n' > "$tmp/resp.ext"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
    -set_serial 4242 -extfile "$tmp/resp.ext" -days 36500 -out "$tmp/resp.pem" 2>/dev/null
openssl x509 -in "$tmp/resp.pem" -outform DER -out resp.der
openssl req -x509 -key "$tmp/leaf.key" -subj "/CN=Rogue" -days 36500 \
    -addext extendedKeyUsage=OCSPSigning -out "$tmp/rogue.pem" 2>/dev/null
openssl ocsp -issuer "$tmp/ca.pem" -cert "$tmp/good.pem" -no_nonce -reqout req-good.der
openssl ocsp -issuer "$tmp/ca.pem" -cert "$tmp/good.pem" -nonce -reqout req-nonce.der
openssl ocsp -issuer "$tmp/ca.pem" -cert "$tmp/revoked.pem" -no_nonce -reqout "$tmp/req-revoked.der"
openssl ocsp -issuer "$tmp/ca.pem" -cert "$tmp/stranger.pem" -no_nonce -reqout "$tmp/req-stranger.der"
answer() {	# answer REQ OUT SIGNER KEY
	openssl ocsp -index "$tmp/db/index.txt" -CA "$tmp/ca.pem" -rsigner "$3" \
	    -rkey "$4" -reqin "$1" -respout "$2" -ndays 36500 > /dev/null 2>&1
}
answer req-nonce.der good-ca.resp "$tmp/ca.pem" "$tmp/ca.key"
answer "$tmp/req-revoked.der" revoked-ca.resp "$tmp/ca.pem" "$tmp/ca.key"
answer req-good.der good-delegated.resp "$tmp/resp.pem" "$tmp/leaf.key"
answer req-good.der good-rogue.resp "$tmp/rogue.pem" "$tmp/leaf.key"
answer "$tmp/req-stranger.der" stranger.resp "$tmp/ca.pem" "$tmp/ca.key"
# responseStatus tryLater (3), no responseBytes
printf '\060\003\012\001\003' > trylater.resp
