#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Make the fuzz seeds regress/fuzz/corpus/pfx/ from the committed test
# files: the same keys and chains re-exported with one iteration (the fuzz
# target caps iterations at 4), plus truncated copies.  Run by hand.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../../../fuzz/corpus/pfx
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for k in rsa p256 p384; do
	case $k in rsa) src=ossl3-rsa.p12 ;; p256) src=ossl3-p256.p12 ;;
	    p384) src=noenc-p384.p12 ;; esac
	openssl pkcs12 -in "$here/$src" -passin pass:test -nodes -nocerts \
	    -out "$tmp/$k.key" 2>/dev/null
	openssl pkcs12 -in "$here/$src" -passin pass:test -clcerts -nokeys \
	    -out "$tmp/$k.pem" 2>/dev/null
	openssl pkcs12 -in "$here/$src" -passin pass:test -cacerts -nokeys \
	    -out "$tmp/$k.chain" 2>/dev/null
done
exp() {	# out key extra-args
	o=$1; k=$2; shift 2
	openssl pkcs12 -export -inkey "$tmp/$k.key" -in "$tmp/$k.pem" \
	    -certfile "$tmp/$k.chain" -passout pass:test -iter 1 \
	    -name "fuzz leaf \342\234\223 \360\237\230\200" "$@" \
	    -out "$out/$o"
}
exp ossl3-rsa.p12 rsa
exp ossl3-p256.p12 p256
exp legacy-p384.p12 p384 -legacy
exp win3des-p256.p12 p256 -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1
exp noenc-p384.p12 p384 -certpbe NONE -keypbe NONE
exp rc2-128-2des-p256.p12 p256 -legacy -certpbe PBE-SHA1-RC2-128 -keypbe PBE-SHA1-2DES
exp aes128-sha512mac-p256.p12 p256 -keypbe AES-128-CBC -certpbe AES-128-CBC -macalg sha512
exp nomac-p256.p12 p256 -nomac
exp nomac-legacy-p256.p12 p256 -nomac -legacy
exp nomac-noenc-p256.p12 p256 -nomac -certpbe NONE -keypbe NONE
exp nomac-noenc-rsa.p12 rsa -nomac -certpbe NONE -keypbe NONE
openssl pkcs8 -topk8 -in "$tmp/p256.key" -outform DER -passout pass:test \
    -iter 1 -v2 aes-256-cbc -out "$out/p8-aes256.der"
openssl pkcs8 -topk8 -in "$tmp/p256.key" -outform DER -passout pass:test \
    -iter 1 -v1 PBE-SHA1-RC2-40 -provider default -provider legacy \
    -out "$out/p8-rc2-40.der"
# BER re-encodings, nested and refused variants (see synth.py).
python3 "$here/synth.py" "$out" "$out" 1
# The real-world files as they are (they stop at the iteration cap).
cp "$here/nss-p256.p12" "$here/gpgsm-rsa.p12" "$out/"
for f in ossl3-p256 legacy-p384 nomac-noenc-p256; do
	n=$(wc -c < "$out/$f.p12")
	head -c $((n / 2)) "$out/$f.p12" > "$out/$f-half.trunc"
	head -c $((n - 1)) "$out/$f.p12" > "$out/$f-less1.trunc"
done
