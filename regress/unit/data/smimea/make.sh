#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Re-make the committed test files of test_smimea (run once, by hand),
# by openssl, from the OCSP unit test's good.der:
#   cert.sha256    SHA2-256 of the certificate (selector 0, type 1)
#   spki.der       its subjectPublicKeyInfo (selector 1, type 0)
#   spki.sha512    SHA2-512 of that (selector 1, type 2)
set -eu
cd "$(dirname "$0")"
c=../ocsp/good.der
openssl dgst -sha256 -binary "$c" > cert.sha256
openssl x509 -inform DER -in "$c" -noout -pubkey |
    openssl pkey -pubin -outform DER -out spki.der
openssl dgst -sha512 -binary spki.der > spki.sha512
