# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Sourced by the OCSP tests: a root, an intermediate CA with an index
# (openssl ca), leaves that name the responder at $U in their
# authorityInfoAccess (good, revoked, rsigner revoked; stranger outside
# the index), a delegated responder, one without OCSPSigning, a rogue
# one; responder/stop_responder run openssl ocsp on $PORT; store makes
# a keystore with leaves and the root as anchor.  Needs W (h_new), C
# (smimectl) and ok/fail; sets P, PORT, U, and an EXIT trap that stops
# the responder and cleans up.
P=$W/pki
mkdir -p "$P"
resp=""
trap '[ -n "$resp" ] && kill $resp 2>/dev/null; h_cleanup' EXIT
PORT=$(h_free_port)
U=http://127.0.0.1:$PORT

# ---- a CA whose leaves name the responder ---------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/root.key" \
    -subj "/O=ocsp test/CN=OCSP Test Root" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$P/root.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$P/inter.key" -subj "/O=ocsp test/CN=OCSP Test Intermediate" \
    -out "$P/inter.csr" 2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:TRUE,pathlen:0" \
    "keyUsage=critical,keyCertSign,cRLSign" > "$P/inter.ext"
openssl x509 -req -in "$P/inter.csr" -CA "$P/root.pem" -CAkey "$P/root.key" \
    -CAcreateserial -extfile "$P/inter.ext" -days 3650 -sha256 \
    -out "$P/inter.pem" 2>/dev/null
mkdir -p "$P/ca/new"
: > "$P/ca/index.txt"
printf '1000\n' > "$P/ca/serial"
cat > "$P/ca.cnf" <<CNF
[ca]
default_ca = t
[t]
database = $P/ca/index.txt
serial = $P/ca/serial
new_certs_dir = $P/ca/new
unique_subject = no
default_md = sha256
default_days = 365
policy = any
[any]
commonName = supplied
CNF
printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=emailProtection" \
    "authorityInfoAccess=OCSP;URI:$U/" > "$P/leaf.ext"
openssl req -new -newkey rsa:2048 -nodes -keyout "$P/leaf.key" \
    -subj "/CN=leaf" -out "$P/leaf.csr" 2>/dev/null
leaf() {	# leaf NAME: NAME@example.org, in the CA's index
	cp "$P/leaf.ext" "$P/$1.ext"
	echo "subjectAltName=email:$1@example.org" >> "$P/$1.ext"
	openssl ca -batch -config "$P/ca.cnf" -cert "$P/inter.pem" \
	    -keyfile "$P/inter.key" -in "$P/leaf.csr" -subj "/CN=$1" -notext \
	    -extfile "$P/$1.ext" -out "$P/$1.pem" 2>/dev/null
	cat "$P/$1.pem" "$P/inter.pem" > "$P/$1-bundle.pem"
}
leaf good
leaf revoked
leaf rsigner
for r in revoked rsigner; do
	openssl ca -config "$P/ca.cnf" -cert "$P/inter.pem" \
	    -keyfile "$P/inter.key" -revoke "$P/$r.pem" > /dev/null 2>&1
done
# known to no index: issued outside the CA's database
cp "$P/leaf.ext" "$P/stranger.ext"
echo "subjectAltName=email:stranger@example.org" >> "$P/stranger.ext"
openssl x509 -req -in "$P/leaf.csr" -CA "$P/inter.pem" -CAkey "$P/inter.key" \
    -set_serial 77777 -extfile "$P/stranger.ext" -days 365 \
    -out "$P/stranger.pem" 2>/dev/null
cat "$P/stranger.pem" "$P/inter.pem" > "$P/stranger-bundle.pem"
# a delegated responder, and one the CA never authorized
openssl req -new -newkey rsa:2048 -nodes -keyout "$P/resp.key" \
    -subj "/CN=OCSP Responder" -out "$P/resp.csr" 2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=OCSPSigning" \
    > "$P/resp.ext"
openssl x509 -req -in "$P/resp.csr" -CA "$P/inter.pem" -CAkey "$P/inter.key" \
    -set_serial 4242 -extfile "$P/resp.ext" -days 30 -out "$P/resp.pem" 2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=emailProtection" \
    > "$P/noeku.ext"
openssl x509 -req -in "$P/resp.csr" -CA "$P/inter.pem" -CAkey "$P/inter.key" \
    -set_serial 4343 -extfile "$P/noeku.ext" -days 30 -out "$P/noeku.pem" 2>/dev/null
openssl req -x509 -key "$P/resp.key" -subj "/CN=Rogue Responder" -days 30 \
    -addext "extendedKeyUsage=OCSPSigning" -out "$P/rogue.pem" 2>/dev/null

stop_responder() {
	[ -n "$resp" ] && kill $resp 2>/dev/null && wait $resp 2>/dev/null
	resp=""
}
responder() {	# responder SIGNER KEY [options]: openssl ocsp on $PORT
	stop_responder
	_sig=$1 _key=$2; shift 2
	openssl ocsp -index "$P/ca/index.txt" -CA "$P/inter.pem" \
	    -rsigner "$_sig" -rkey "$_key" -port "$PORT" -nmin 60 "$@" \
	    > "$W/responder.log" 2>&1 &
	resp=$!
	for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		grep -qi "waiting for OCSP client connections" "$W/responder.log" &&
		    return 0
		sleep 0.2
	done
	fail responder-start "$(cat "$W/responder.log")"
}
. regress/lib/leafstore.sh
silent_responder() {	# silent_responder SECONDS: accepts, never answers
	stop_responder
	python3 -c "import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $PORT)); s.listen(8); time.sleep($1)" &
	resp=$!
	sleep 0.5
}

