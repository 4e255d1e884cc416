#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# smimectl crl fetch against an HTTP server on loopback
# (regress/lib/crlserver.py, Python's http.server): CRLs named in the
# store's certificates fetched, checked and kept; then each way a
# server or a network attacker can make it go wrong (forged, replayed,
# stale, from the future, not a CRL, silent, endless, chunked, short,
# redirect loops, down) gets its exit status and message, and a refused
# CRL leaves the store as it was.  The fetcher runs sandboxed.  Last, a
# real smtpd verifying inbound mail (-a verify) with the fetched CRLs:
# the revoked signer's message says so, the good one passes.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. regress/lib/harness.sh
. regress/lib/expect.sh
FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
h_new
# the sanitizer build where there is one: the fetch plumbing runs in it
C=${SMIMECTL:-$top/obj/asan/smimectl}
[ -x "$C" ] || C=$top/smimectl
D=$W/www
mkdir -p "$D"

ok() { echo "ok crlfetch-$1"; }
fail() { echo "FAIL crlfetch-$1: $2"; }

# (the harness's exit trap removes $W; timeout ends the server with us)
timeout 900 python3 regress/lib/crlserver.py "$D" "$W/port" 2> "$W/server.err" &
srv=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$W/port" ] && break; sleep 0.3; done
PORT=$(cat "$W/port" 2>/dev/null)
[ -n "$PORT" ] || { fail server "crlserver.py did not start: $(cat "$W/server.err")"; exit 0; }
U=http://127.0.0.1:$PORT

# ---- a PKI whose certificates name the server --------------------------
P=$W/pki
mkdir -p "$P"
ca_config() {	# ca_config NAME
	mkdir -p "$P/$1/new"
	: > "$P/$1/index.txt"
	printf '01\n' > "$P/$1/crlnumber"
	cat > "$P/$1.cnf" <<CNF
[ca]
default_ca = t
[t]
database = $P/$1/index.txt
crlnumber = $P/$1/crlnumber
new_certs_dir = $P/$1/new
default_md = sha256
default_crl_days = 30
CNF
}
crl() {	# crl CA OUT [openssl ca options]: a DER CRL
	_ca=$1 _out=$2; shift 2
	openssl ca -config "$P/$_ca.cnf" -keyfile "$P/$_ca.key" \
	    -cert "$P/$_ca.pem" -gencrl "$@" -out "$W/crl.pem" 2>/dev/null &&
	openssl crl -in "$W/crl.pem" -outform DER -out "$_out"
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/root.key" \
    -subj "/O=crlfetch test/CN=CRL Test Root" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$P/root.pem" 2>/dev/null
# the rogue: its own key under the intermediate's very name
for ca in inter rogue; do
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/$ca.key" \
	    -subj "/O=crlfetch test/CN=CRL Test Intermediate" -days 3650 \
	    -out "$P/$ca-self.pem" 2>/dev/null
done
openssl x509 -x509toreq -in "$P/inter-self.pem" -signkey "$P/inter.key" \
    -out "$P/inter.csr" 2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:TRUE,pathlen:0" \
    "keyUsage=critical,keyCertSign,cRLSign" \
    "crlDistributionPoints=URI:ldap://127.0.0.1/cn=CRL%20Test%20Root,URI:$U/root.crl" \
    > "$P/inter.ext"
openssl x509 -req -in "$P/inter.csr" -CA "$P/root.pem" -CAkey "$P/root.key" \
    -CAcreateserial -extfile "$P/inter.ext" -days 3650 -sha256 \
    -out "$P/inter.pem" 2>/dev/null
cp "$P/rogue-self.pem" "$P/rogue.pem"
ca_config root
ca_config inter
ca_config rogue
openssl req -new -newkey rsa:2048 -nodes -keyout "$P/leaf.key" \
    -subj "/CN=leaf" -out "$P/leaf.csr" 2>/dev/null
leaf() {	# leaf NAME PATH: NAME@example.org, CRL at the server's PATH
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
	    "keyUsage=critical,digitalSignature,keyEncipherment" \
	    "extendedKeyUsage=emailProtection" \
	    "subjectAltName=email:$1@example.org" \
	    "crlDistributionPoints=URI:$U/$2" > "$P/$1.ext"
	openssl x509 -req -in "$P/leaf.csr" -CA "$P/inter.pem" \
	    -CAkey "$P/inter.key" -CAcreateserial -extfile "$P/$1.ext" \
	    -days 365 -sha256 -out "$P/$1.pem" 2>/dev/null
	cat "$P/$1.pem" "$P/inter.pem" > "$P/$1-bundle.pem"
}
leaf good inter.crl
leaf revoked inter.crl
for p in redirect relative loop silent chunked endless short missing; do
	case $p in
	redirect|relative) leaf $p $p/inter.crl ;;
	missing) leaf $p nothing-here.crl ;;
	*) leaf $p $p ;;
	esac
done
openssl ca -config "$P/inter.cnf" -keyfile "$P/inter.key" \
    -cert "$P/inter.pem" -revoke "$P/revoked.pem" > /dev/null 2>&1
openssl ca -config "$P/rogue.cnf" -keyfile "$P/rogue.key" \
    -cert "$P/rogue.pem" -revoke "$P/good.pem" > /dev/null 2>&1
ago=$(date -u -d '-2 minutes' +%Y%m%d%H%M%SZ)
ahead=$(date -u -d '+10 minutes' +%Y%m%d%H%M%SZ)
crl root "$D/root.crl" -crl_lastupdate "$ago" &&
    crl inter "$W/inter-now.crl" -crl_lastupdate "$ago" &&
    crl inter "$W/inter-ahead.crl" -crl_lastupdate "$ahead" &&
    crl inter "$W/inter-old.crl" -crl_lastupdate 20260101000000Z &&
    crl inter "$W/inter-newer.crl" &&
    crl inter "$W/inter-stale.crl" -crl_lastupdate 20250101000000Z \
	-crl_nextupdate 20250201000000Z &&
    crl inter "$W/inter-future.crl" -crl_lastupdate 20400101000000Z \
	-crl_nextupdate 20400201000000Z &&
    crl rogue "$W/inter-forged.crl" ||
    { fail pki "cannot make the test CRLs"; exit 0; }
cp "$W/inter-now.crl" "$D/inter.crl"

. regress/lib/leafstore.sh
snapshot() { (cd "$1" && find crls -type f | sort | xargs -r sha256sum) | sha256sum; }

# ---- fetched, checked, kept, used -----------------------------------------
S=$W/main
store "$S" good revoked
run verify-before 0 ": ok" "$C" -k "$S" verify revoked@example.org
run fetch 0 "^2 distribution points: 2 updated, 0 unchanged, 0 failed, 0 refused, 0 stale; 1 not http:// skipped" \
    "$C" -k "$S" crl fetch
# kept(STORE FILE...): STORE/crls/ holds exactly these CRLs, byte for byte
kept() {
	_s=$1; shift
	[ "$(ls "$_s/crls" | grep -c '^fetched-[0-9a-f]\{32\}\.der$')" = $# ] &&
	    [ "$(ls "$_s/crls" | wc -l)" = $# ] || return 1
	for _f in "$@"; do
		_m=0
		for _k in "$_s"/crls/*; do cmp -s "$_k" "$_f" && _m=1; done
		[ $_m = 1 ] || return 1
	done
}
kept "$S" "$D/root.crl" "$D/inter.crl" && ok fetch-kept ||
	fail fetch-kept "crls/: $(ls "$S/crls")"
run fetch-quiet-stderr 0 "" sh -c "'$C' -k '$S' crl fetch 2>&1 >/dev/null | grep -c . | grep -qx 0"
run verify-revoked-after 65 "revoked" "$C" -k "$S" verify revoked@example.org
run verify-good-after 0 ": ok" "$C" -k "$S" verify good@example.org
run fetch-again-unchanged 0 "2 unchanged" "$C" -k "$S" crl fetch
grep -q '^GET /root.crl HTTP/1.0' "$W/requests.log" && ok request-http10 ||
    fail request-http10 "$(head -n 3 "$W/requests.log")"

# a replayed older CRL, validly signed, does not replace the newer one
before=$(snapshot "$S")
cp "$W/inter-old.crl" "$D/inter.crl"
run rollback-refused 65 "inter.crl: older than the CRL kept" "$C" -k "$S" crl fetch
[ "$(snapshot "$S")" = "$before" ] && ok rollback-store-unchanged ||
    fail rollback-store-unchanged "the kept CRL changed"
cp "$W/inter-newer.crl" "$D/inter.crl"
run newer-updates 0 "1 updated, 1 unchanged" "$C" -k "$S" crl fetch

# forged: the intermediate's name, another key
S=$W/forged
store "$S" good
cp "$W/inter-forged.crl" "$D/inter.crl"
run forged-refused 65 "inter.crl: bad signature" "$C" -k "$S" crl fetch
kept "$S" "$D/root.crl" && ok forged-not-kept ||
    fail forged-not-kept "crls/: $(ls "$S/crls")"
run forged-good-still-ok 0 ": ok" "$C" -k "$S" verify good@example.org

S=$W/stale
store "$S" good
cp "$W/inter-stale.crl" "$D/inter.crl"
run stale-reported 65 "inter.crl: stale: its nextUpdate, 2025-02-01 00:00:00 UTC, has passed" \
    "$C" -k "$S" crl fetch
grep -q "2 updated, 0 unchanged, 0 failed, 0 refused, 1 stale" "$W/run.out" &&
    kept "$S" "$D/root.crl" "$W/inter-stale.crl" && ok stale-counted-kept ||
    fail stale-counted-kept "$(tail -n 1 "$W/run.out"); crls/: $(ls "$S/crls")"
S=$W/future
store "$S" good
cp "$W/inter-future.crl" "$D/inter.crl"
run future-refused 65 "issued in the future" "$C" -k "$S" crl fetch
# ten minutes ahead: a clock's error, left for the next run (mbedTLS
# would call every chain under it untrusted until then)
S=$W/ahead
store "$S" good
cp "$W/inter-ahead.crl" "$D/inter.crl"
run ahead-left-for-later 75 "inter.crl: thisUpdate is ahead of this clock" "$C" -k "$S" crl fetch
kept "$S" "$D/root.crl" && ok ahead-not-kept || fail ahead-not-kept "crls/: $(ls "$S/crls")"
S=$W/notcrl
store "$S" good
openssl x509 -in "$P/good.pem" -outform DER -out "$D/inter.crl"
run not-a-crl-refused 65 "inter.crl: not a CRL" "$C" -k "$S" crl fetch
cp "$W/inter-now.crl" "$D/inter.crl"

# ---- servers that misbehave: failed (75), the next run may do better ----
one() {	# one NAME LEAF RC PATTERN [options]
	_n=$1 _l=$2 _rc=$3 _pat=$4; shift 4
	store "$W/$_n" "$_l"
	run "$_n" "$_rc" "$_pat" "$C" -k "$W/$_n" crl fetch "$@"
}
one redirect-followed redirect 0 "2 updated"
one redirect-relative-followed relative 0 "2 updated"
one redirect-loop loop 75 "/loop: too many redirects"
one http-404 missing 75 "nothing-here.crl: HTTP status 404"
one chunked-refused chunked 75 "Transfer-Encoding"
one short-body short 75 "body shorter than Content-Length"
one endless-bounded endless 75 "larger than the size limit" --max-size 100000
t0=$(date +%s)
one silent-times-out silent 75 "/silent: timed out" --timeout 2
t1=$(date +%s)
[ $((t1 - t0)) -lt 8 ] && ok silent-within-timeout ||
    fail silent-within-timeout "took $((t1 - t0)) s with --timeout 2"
run bad-timeout 64 "usage" "$C" -k "$W/main" crl fetch --timeout 0

# the fetcher parses in the sandbox (seccomp, entered after connecting)
# (strace comes with make deps)
strace -f -e trace=prctl -o "$W/strace" "$C" -k "$W/main" crl fetch \
    > /dev/null 2>&1
if grep -q 'PR_SET_SECCOMP' "$W/strace"; then ok fetcher-sandboxed; else
	fail fetcher-sandboxed "no PR_SET_SECCOMP: $(head -c 300 "$W/strace" 2>&1)"; fi

# ---- a real smtpd verifying with the CRLs fetched while it runs ------------
# The filter notices new files in crls/ as it notices a new index (at
# most a second later, no SIGHUP): the filter started before any CRL
# was kept, and the revoked signer's message after the fetch is
# reported revoked.
S=$W/e2e
store "$S" good revoked
printf 'version: 1\nauthserv-id: mx.test.example\n' > "$W/rules.yaml"
chmod 644 "$W/rules.yaml"
chown -R opensmtpd "$S"
CI=$(h_install "$C" smimectl-copy)
if ! h_start "$FILTER" -a verify -f "$W/rules.yaml" -k "$S"; then
	fail smtpd-start "$H_WHY"
	exit 0
fi
printf 'Content-Type: text/plain\n\nCRL fetch test body.\n' > "$W/body"
send() {	# send WHO TAG
	{
		printf 'From: <%s@example.org>\nTo: alice@example.org\n' $1
		printf 'Subject: %s\nMessage-ID: <%s@example.org>\n' $2 $2
		openssl cms -sign -in "$W/body" -signer "$P/$1.pem" \
		    -inkey "$P/leaf.key" -certfile "$P/inter.pem"
	} > "$W/$2.eml"
	h_send --from $1@example.org --to alice@example.org \
	    --file "$W/$2.eml" > /dev/null 2>&1 || fail "smtpd-$2" "not accepted"
}
verdict() {	# verdict TAG PATTERN
	for f in $(h_delivered); do
		grep -q "^Subject: $1\$" "$f" || continue
		if grep -q -- "$2" "$f"; then ok "smtpd-$1"; else
			fail "smtpd-$1" "$(grep -A2 '^Authentication-Results' "$f" | head -c 400)"; fi
		return
	done
	fail "smtpd-$1" "not delivered"
}
# (no message before the fetch: a harvest would change the index and
# reload the store for another reason; the pause lets the filter load
# its trust, CRLs none, and start its workers before the fetch)
sleep 3
# as the filter's user, as a cron job would run it
run smtpd-fetch-as-filter-user 0 "2 updated" runuser -u opensmtpd -- "$CI" -k "$S" crl fetch
sleep 1.2
send revoked revoked-after
send good good-after
h_wait_delivered 2 60 || fail smtpd-delivered-after "$H_WHY"
verdict revoked-after "smime=policy (certificate revoked)"
verdict good-after "smime=pass"
h_health || fail smtpd-health "$H_WHY"
h_stop

# ---- outbound: no mail is encrypted to a certificate a CRL revokes -------
"$C" -k "$S" selfsign --ec P-256 --usage sign signer@example.org > /dev/null
chown -R opensmtpd "$S"
cat > "$W/rules.yaml" <<'YAML'
version: 1
signers:
  trusted: [127.0.0.1]
rules:
  - recipient: "*@example.org"
    encrypt: required
    key-missing: bounce
YAML
if h_start "$FILTER" -f "$W/rules.yaml" -k "$S"; then
	for who in revoked good; do
		printf 'From: <signer@example.org>\nTo: <%s@example.org>\nSubject: out-%s\n\nx\n' \
		    $who $who > "$W/out-$who.eml"
		h_send --from signer@example.org --to $who@example.org \
		    --file "$W/out-$who.eml" > "$W/reply-$who" 2>&1
	done
	grep -q '550.*5.7.1 No S/MIME certificate' "$W/reply-revoked" &&
	    ok smtpd-crl-revoked-recipient-refused ||
	    fail smtpd-crl-revoked-recipient-refused "$(cat "$W/reply-revoked")"
	h_wait_delivered 3 60 || fail smtpd-out-delivered "$H_WHY"
	for f in $(h_delivered); do
		grep -q '^Subject: out-good$' "$f" || continue
		grep -q 'application/pkcs7-mime' "$f" &&
		    ok smtpd-crl-good-recipient-encrypted ||
		    fail smtpd-crl-good-recipient-encrypted "$(head -c 300 "$f")"
	done
	grep -q "recipient revoked@example.org: certificate [0-9a-f]\{16\} is revoked" \
	    "$W/smtpd.log" && ok smtpd-crl-revoked-logged ||
	    fail smtpd-crl-revoked-logged "$(grep -i revoked "$W/smtpd.log" | head -c 300)"
	h_health || fail smtpd-out-health "$H_WHY"
	h_stop
else
	fail smtpd-out-start "$H_WHY"
fi

# ---- the server down ---------------------------------------------------------
kill $srv
wait $srv 2>/dev/null
run server-down 75 "root.crl: Connection refused" "$C" -k "$W/main" crl fetch
run server-down-summary 75 "0 updated, 0 unchanged, 2 failed" "$C" -k "$W/main" crl fetch
run store-still-revokes 65 "revoked" "$C" -k "$W/main" verify revoked@example.org

exit 0
