# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Test PKI, made with openssl at test time (sourced; POSIX sh).
#   pki_make DIR   root CA (RSA) -> intermediate CA (P-384) -> leaves:
#     rsa (RSA-2048), p256, p384, p521 (EC), expired (RSA, valid in 2020),
#     future (RSA, valid from 2040), noku (RSA, keyUsage keyEncipherment
#     only), noeku (RSA, extKeyUsage serverAuth only), revoked (RSA, in the
#     intermediate's CRL), bob (RSA, second recipient), ecbob (P-256).
#   Each leaf: DIR/NAME.pem (cert), DIR/NAME.key (PKCS#8), email
#   NAME@example.org in the SAN (bob: bob@example.net).  DIR/root.pem,
#   DIR/inter.pem, DIR/chain.pem (inter), DIR/crl.pem (inter's CRL).

pki_ext() {	# pki_ext FILE KU EKU EMAIL
	cat > "$1" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,$2
extendedKeyUsage=$3
subjectAltName=email:$4
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
}

pki_leaf() {	# pki_leaf DIR NAME KEYALG KU EKU EMAIL [DAYS-ARGS]
	d=$1 n=$2 alg=$3
	case "$alg" in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$d/$n.key" 2>/dev/null ;;
	P-*) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$alg" \
	    -out "$d/$n.key" 2>/dev/null ;;
	esac
	openssl req -new -key "$d/$n.key" -subj "/CN=$n/emailAddress=$6" \
	    -out "$d/$n.csr" 2>/dev/null
	pki_ext "$d/$n.ext" "$4" "$5" "$6"
	shift 6
	if [ "$1" = -days ]; then
		openssl x509 -req -in "$d/$n.csr" -CA "$d/inter.pem" \
		    -CAkey "$d/inter.key" -CAcreateserial -extfile "$d/$n.ext" \
		    -sha384 "$@" -out "$d/$n.pem" 2>/dev/null
	else	# -startdate X -enddate Y: openssl 3.0's x509 cannot
		openssl ca -batch -config "$d/ca.cnf" -cert "$d/inter.pem" \
		    -keyfile "$d/inter.key" -in "$d/$n.csr" -notext \
		    -extfile "$d/$n.ext" "$@" -out "$d/$n.pem" 2>/dev/null
	fi
}

pki_ca_config() {
	mkdir -p "$1/ca/new"
	: > "$1/ca/index.txt"
	printf '01\n' > "$1/ca/crlnumber"
	printf '1000\n' > "$1/ca/serial"
	cat > "$1/ca.cnf" <<CNF
[ca]
default_ca = t
[t]
database = $1/ca/index.txt
crlnumber = $1/ca/crlnumber
serial = $1/ca/serial
new_certs_dir = $1/ca/new
unique_subject = no
policy = any
default_md = sha384
default_crl_days = 30
[any]
commonName = supplied
emailAddress = optional
CNF
}

pki_make() {
	d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:3072 -nodes -keyout "$d/root.key" \
	    -subj "/O=filter-smime test/CN=Test Root CA" -days 3650 \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -out "$d/root.pem" 2>/dev/null || return 1
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
	    -out "$d/inter.key" 2>/dev/null
	openssl req -new -key "$d/inter.key" \
	    -subj "/O=filter-smime test/CN=Test Intermediate CA" \
	    -out "$d/inter.csr" 2>/dev/null
	printf '%s\n' "basicConstraints=critical,CA:TRUE,pathlen:0" \
	    "keyUsage=critical,keyCertSign,cRLSign" \
	    "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" \
	    > "$d/inter.ext"
	openssl x509 -req -in "$d/inter.csr" -CA "$d/root.pem" \
	    -CAkey "$d/root.key" -CAcreateserial -extfile "$d/inter.ext" \
	    -days 3650 -sha256 -out "$d/inter.pem" 2>/dev/null || return 1
	cp "$d/inter.pem" "$d/chain.pem"
	pki_ca_config "$d"
	S="digitalSignature,nonRepudiation,keyEncipherment"
	E="digitalSignature,keyAgreement"
	pki_leaf "$d" rsa rsa "$S" emailProtection rsa@example.org -days 365
	pki_leaf "$d" bob rsa "$S" emailProtection bob@example.net -days 365
	pki_leaf "$d" p256 P-256 "$E" emailProtection p256@example.org -days 365
	pki_leaf "$d" ecbob P-256 "$E" emailProtection ecbob@example.net -days 365
	pki_leaf "$d" p384 P-384 "$E" emailProtection p384@example.org -days 365
	pki_leaf "$d" p521 P-521 "$E" emailProtection p521@example.org -days 365
	pki_leaf "$d" expired rsa "$S" emailProtection expired@example.org \
	    -startdate 20200101000000Z -enddate 20200201000000Z
	pki_leaf "$d" future rsa "$S" emailProtection future@example.org \
	    -startdate 20400101000000Z -enddate 20410101000000Z
	pki_leaf "$d" noku rsa keyEncipherment emailProtection noku@example.org -days 365
	pki_leaf "$d" noeku rsa "$S" serverAuth noeku@example.org -days 365
	pki_leaf "$d" revoked rsa "$S" emailProtection revoked@example.org -days 365
	# the intermediate's CRL, revoking "revoked"
	openssl ca -config "$d/ca.cnf" -keyfile "$d/inter.key" \
	    -cert "$d/inter.pem" -revoke "$d/revoked.pem" 2>/dev/null &&
	openssl ca -config "$d/ca.cnf" -keyfile "$d/inter.key" \
	    -cert "$d/inter.pem" -gencrl -out "$d/crl.pem" 2>/dev/null
}
