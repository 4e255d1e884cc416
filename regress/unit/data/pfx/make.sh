#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Re-make the committed PKCS#12 test files (run once, by hand; the unit
# test reads the results, it does not run this).  Needs openssl 3,
# NSS certutil/pk12util and gpgsm 2.2.  See README for what each file is.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A P-256 root, a P-256 intermediate, leaves with RSA-2048, P-256, P-384.
ext="$tmp/ext.cnf"
cat > "$ext" <<'X'
[ca]
basicConstraints=critical,CA:true
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
[leaf]
basicConstraints=CA:false
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=emailProtection
X
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/root.key"
openssl req -x509 -new -key "$tmp/root.key" -subj "/CN=PFX Test Root" -days 7300 \
    -config /dev/null -extfile "$ext" -extensions ca -out "$tmp/root.pem" 2>/dev/null ||
openssl req -x509 -new -key "$tmp/root.key" -subj "/CN=PFX Test Root" -days 7300 \
    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$tmp/root.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/int.key"
openssl req -new -key "$tmp/int.key" -subj "/CN=PFX Test Intermediate" -out "$tmp/int.csr"
openssl x509 -req -in "$tmp/int.csr" -CA "$tmp/root.pem" -CAkey "$tmp/root.key" \
    -set_serial 2 -days 7300 -extfile "$ext" -extensions ca -out "$tmp/int.pem"
leaf() {	# name keyalg-args... ; email name@example.org
	n=$1; shift
	openssl genpkey "$@" -out "$tmp/$n.key"
	openssl req -new -key "$tmp/$n.key" -subj "/CN=$n/emailAddress=$n@example.org" \
	    -out "$tmp/$n.csr"
	openssl x509 -req -in "$tmp/$n.csr" -CA "$tmp/int.pem" -CAkey "$tmp/int.key" \
	    -set_serial 0x$(openssl rand -hex 8) -days 7300 -extfile "$ext" -extensions leaf \
	    -out "$tmp/$n.pem"
	cat "$tmp/int.pem" "$tmp/root.pem" > "$tmp/$n.chain"
}
leaf rsa -algorithm RSA -pkeyopt rsa_keygen_bits:2048
leaf p256 -algorithm EC -pkeyopt ec_paramgen_curve:P-256
leaf p384 -algorithm EC -pkeyopt ec_paramgen_curve:P-384

exp() {	# out key-name password extra-args...
	o=$1; k=$2; pw=$3; shift 3
	openssl pkcs12 -export -inkey "$tmp/$k.key" -in "$tmp/$k.pem" \
	    -certfile "$tmp/$k.chain" -name "$k leaf" -passout "pass:$pw" "$@" -out "$o"
}
# OpenSSL 3 default: PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC, SHA-256 MAC, 2048.
exp ossl3-rsa.p12 rsa test
exp ossl3-p256.p12 p256 test
# -legacy: RC2-40 certs, SHA1-3DES key, SHA-1 MAC.
exp legacy-rsa.p12 rsa test -legacy
exp legacy-p384.p12 p384 test -legacy
# Windows style: SHA1-3DES for both, SHA-1 MAC.
exp win3des-p256.p12 p256 test -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1
# Nothing encrypted (MAC only).
exp noenc-p384.p12 p384 test -certpbe NONE -keypbe NONE
# RC2-128 certs, 2-key 3DES key.
exp rc2-128-2des-p256.p12 p256 test -legacy -certpbe PBE-SHA1-RC2-128 -keypbe PBE-SHA1-2DES
# AES-128 PBES2, SHA-512 MAC.
exp aes128-sha512mac-p256.p12 p256 test -keypbe AES-128-CBC -certpbe AES-128-CBC -macalg sha512
# Non-ASCII UTF-8 password.
exp utf8pw-p256.p12 p256 'pässwörd'
exp utf8pw-legacy-p256.p12 p256 'pässwörd' -legacy
# 40-character password: BMPString of 82 bytes (past mbedTLS's 64-byte limit).
exp longpw-p256.p12 p256 'correct horse battery staple 0123456789!' -legacy
# Empty password.
exp emptypw-p256.p12 p256 '' -legacy
# MAC with the absent password (no bytes, not 00 00) over an unencrypted file.
python3 remac-absent.py noenc-p384.p12 emptypw-absent-p384.p12
# No MAC at all; no MAC and nothing encrypted (fuzz seeds reach the bags).
exp nomac-p256.p12 p256 test -nomac
exp nomac-noenc-p256.p12 p256 test -nomac -certpbe NONE -keypbe NONE
# Leaf only, no chain, no localKeyId relation needed.
openssl pkcs12 -export -inkey "$tmp/p256.key" -in "$tmp/p256.pem" -passout pass:test \
    -out leafonly-p256.p12
# Certificates only, no key.
openssl pkcs12 -export -nokeys -in "$tmp/rsa.pem" -certfile "$tmp/rsa.chain" \
    -passout pass:test -out certsonly.p12

# NSS pk12util export (its own defaults in NSS 3.87) of the 3DES files.
for k in rsa p256; do
	d="$tmp/nss-$k"; mkdir "$d"
	certutil -N -d "sql:$d" --empty-password
	openssl pkcs12 -export -inkey "$tmp/$k.key" -in "$tmp/$k.pem" \
	    -certfile "$tmp/$k.chain" -name "nss-$k" -passout pass:test \
	    -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 -out "$tmp/$k-3des.p12"
	pk12util -i "$tmp/$k-3des.p12" -d "sql:$d" -W test >/dev/null
	pk12util -o "nss-$k.p12" -n "nss-$k" -d "sql:$d" -W test >/dev/null
done

# gpgsm 2.2 --export-secret-key-p12 after importing a 3DES/SHA-1 file.
# RSA only: gpgsm 2.2.40 crashes (SIGSEGV) importing the P-256 file.
for k in rsa; do
	g="$tmp/gnupg-$k"; mkdir -m 700 "$g"
	echo allow-loopback-pinentry > "$g/gpg-agent.conf"
	echo disable-crl-checks > "$g/gpgsm.conf"
	openssl pkcs12 -export -inkey "$tmp/$k.key" -in "$tmp/$k.pem" \
	    -certfile "$tmp/$k.chain" -passout pass:test \
	    -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 -out "$tmp/$k-g.p12"
	echo test | GNUPGHOME=$g gpgsm --batch --pinentry-mode loopback \
	    --passphrase-fd 0 --import "$tmp/$k-g.p12" 2>/dev/null ||
	    echo "gpgsm import of $k failed" >&2
	printf 'test\ntest\n' | GNUPGHOME=$g gpgsm --batch --pinentry-mode loopback \
	    --passphrase-fd 0 --export-secret-key-p12 -o "gpgsm-$k.p12" "$k@example.org" \
	    2>/dev/null || echo "gpgsm export of $k failed" >&2
	GNUPGHOME=$g gpgconf --kill all 2>/dev/null || true
done

# Encrypted PKCS#8 keys (pfx_pkcs8_decrypt): the PBES2 and PKCS#12 PBE matrix.
p8() {	# out args...
	o=$1; shift
	openssl pkcs8 -topk8 -in "$tmp/p256.key" -outform DER -passout pass:test \
	    -iter 1000 "$@" -out "$o"
}
p8 p8-aes256-sha256.der -v2 aes-256-cbc -v2prf hmacWithSHA256
p8 p8-aes128-sha1.der -v2 aes-128-cbc -v2prf hmacWithSHA1
p8 p8-aes192-sha224.der -v2 aes-192-cbc -v2prf hmacWithSHA224
p8 p8-aes256-sha384.der -v2 aes-256-cbc -v2prf hmacWithSHA384
p8 p8-des3-sha512.der -v2 des3 -v2prf hmacWithSHA512
p8 p8-sha1-3des.der -v1 PBE-SHA1-3DES
p8 p8-sha1-2des.der -v1 PBE-SHA1-2DES
p8 p8-sha1-rc2-40.der -v1 PBE-SHA1-RC2-40 -provider default -provider legacy
p8 p8-sha1-rc2-128.der -v1 PBE-SHA1-RC2-128 -provider default -provider legacy
cp "$tmp/p256.pem" p256-leaf.pem
cp "$tmp/rsa.pem" rsa-leaf.pem
