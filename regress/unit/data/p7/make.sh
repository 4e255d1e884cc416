#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Re-make the committed test files of test_p7certs (run once, by hand),
# from the OCSP unit test's certificates:
#   bag.p7b      openssl crl2pkcs7 -nocrl: good.der and ca.der, no signer
#   signed.p7m   openssl cms -sign of a line by a signer made here, with
#                the CA certificate added: two certificates and a signer
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
o=../ocsp
openssl x509 -inform DER -in "$o/good.der" -out "$tmp/good.pem"
openssl x509 -inform DER -in "$o/ca.der" -out "$tmp/ca.pem"
openssl crl2pkcs7 -nocrl -certfile "$tmp/good.pem" -certfile "$tmp/ca.pem" \
    -outform DER -out bag.p7b
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/k.pem" -subj /CN=p7signer -days 36500 -out "$tmp/s.pem" \
    2>/dev/null
echo hello > "$tmp/msg"
openssl cms -sign -in "$tmp/msg" -signer "$tmp/s.pem" -inkey "$tmp/k.pem" \
    -certfile "$tmp/ca.pem" -outform DER -out signed.p7m
