#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Re-make the committed CRL test files (run once, by hand; test_crl reads
# the results).  Needs openssl 3.
#   ca-rsa.der, ca-ec.der        two CAs (cRLSign), RSA-2048 and P-256
#   rogue.der                    the RSA CA's name, another key
#   leaf.der                     a leaf under ca-rsa: CRL distribution
#                                points http://crl.example/ca.crl, an
#                                ldap:// URI, one relative to the issuer,
#                                a URI with a space (skipped)
#   rsa.crl, ec.crl, pss.crl     CRLs: thisUpdate 2026-01-01, nextUpdate
#                                2027-01-01 (rsa.crl revokes leaf; pss.crl
#                                is RSASSA-PSS, ec.crl ECDSA)
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ca() {	# ca NAME KEYALG-OPTIONS
	n=$1; shift
	openssl req -x509 -newkey "$@" -nodes -keyout "$tmp/$n.key" \
	    -subj "/O=crl unit test/CN=$n CA" -days 7300 \
	    -addext basicConstraints=critical,CA:true \
	    -addext keyUsage=critical,keyCertSign,cRLSign \
	    -out "$tmp/$n.pem" 2>/dev/null
	openssl x509 -in "$tmp/$n.pem" -outform DER -out "$n.der"
	mkdir -p "$tmp/$n.db/new"
	: > "$tmp/$n.db/index.txt"
	printf '01\n' > "$tmp/$n.db/crlnumber"
	printf '[ca]\ndefault_ca=t\n[t]\ndatabase=%s\ncrlnumber=%s\nnew_certs_dir=%s\ndefault_md=sha256\n' \
	    "$tmp/$n.db/index.txt" "$tmp/$n.db/crlnumber" "$tmp/$n.db/new" > "$tmp/$n.cnf"
}
crl() {	# crl CA OUT [options]
	c=$1 o=$2; shift 2
	openssl ca -config "$tmp/$c.cnf" -keyfile "$tmp/$c.key" -cert "$tmp/$c.pem" \
	    -gencrl -crl_lastupdate 20260101000000Z "$@" -out "$tmp/x.pem" 2>/dev/null
	openssl crl -in "$tmp/x.pem" -outform DER -out "$o"
}
ca ca-rsa rsa:2048
ca ca-ec ec -pkeyopt ec_paramgen_curve:P-256
# the rogue: same name as ca-rsa
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/rogue.key" \
    -subj "/O=crl unit test/CN=ca-rsa CA" -days 7300 \
    -addext basicConstraints=critical,CA:true \
    -addext keyUsage=critical,keyCertSign,cRLSign -out "$tmp/rogue.pem" 2>/dev/null
openssl x509 -in "$tmp/rogue.pem" -outform DER -out rogue.der
cat > "$tmp/leaf.ext" <<'X'
basicConstraints=critical,CA:false
keyUsage=critical,digitalSignature
subjectAltName=email:leaf@example.org
crlDistributionPoints=dp1,dp2,dp3,dp4
[dp1]
fullname=URI:http://crl.example/ca.crl,URI:ldap://ldap.example/cn=ca
[dp2]
relativename=rdn
[rdn]
CN=partition1
[dp3]
fullname=URI:http://crl.example/bad uri
[dp4]
fullname=URI:http://crl.example/ca.crl,URI:http://backup.example:8080/ca.crl
X
openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/leaf.key" \
    -subj "/CN=leaf" -out "$tmp/leaf.csr" 2>/dev/null
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/ca-rsa.pem" -CAkey "$tmp/ca-rsa.key" \
    -CAcreateserial -extfile "$tmp/leaf.ext" -days 7000 -out "$tmp/leaf.pem" 2>/dev/null
openssl x509 -in "$tmp/leaf.pem" -outform DER -out leaf.der
openssl ca -config "$tmp/ca-rsa.cnf" -keyfile "$tmp/ca-rsa.key" -cert "$tmp/ca-rsa.pem" \
    -revoke "$tmp/leaf.pem" 2>/dev/null
crl ca-rsa rsa.crl -crl_nextupdate 20270101000000Z
crl ca-ec ec.crl -crl_nextupdate 20270101000000Z
crl ca-rsa pss.crl -crl_nextupdate 20270101000000Z -sigopt rsa_padding_mode:pss \
    -sigopt rsa_pss_saltlen:32
# no nextUpdate: openssl ca always writes one; strip it with the DER
# left for test_crl to build (nonext is made there from rsa.crl's parts)
