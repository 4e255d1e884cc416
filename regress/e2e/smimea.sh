#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# smimectl smimea lookup against a real authoritative server (NSD) on
# loopback, serving zones signed here (dnssec-signzone), with the
# resolver (libunbound) given their trust anchors: a valid record gives
# its certificate, kept only with --import; a record whose signature no
# longer verifies (bogus) and one in an unsigned zone (insecure) are not
# used; a usage 1 record that does not chain to our anchors is shown as
# not usable; no record, and a server that is down; the records are read
# in the sandbox.  The owner names are computed here by Python's hashlib.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. regress/lib/harness.sh
. regress/lib/expect.sh
h_new
C=${SMIMECTL:-$top/obj/asan/smimectl}
[ -x "$C" ] || C=$top/smimectl
ok() { echo "ok smimea-$1"; }
fail() { echo "FAIL smimea-$1: $2"; }
NSD=$(command -v nsd || echo /usr/sbin/nsd)
if [ ! -x "$NSD" ] || ! command -v dnssec-signzone > /dev/null ||
    "$C" smimea lookup x@example.org 2>&1 | grep -q "built without libunbound"; then
	fail setup "no nsd or dnssec-signzone, or smimectl built without libunbound (make deps)"
	exit 0
fi
nsd_pid=""
trap '[ -n "$nsd_pid" ] && kill $nsd_pid 2>/dev/null; h_cleanup' EXIT

P=$W/pki
Z=$W/zones
mkdir -p "$P" "$Z"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$P/ca.key" -subj "/CN=SMIMEA Test CA" -days 30 \
    -addext "basicConstraints=critical,CA:true" \
    -addext "keyUsage=critical,keyCertSign" -out "$P/ca.pem" 2>/dev/null
leaf() {	# leaf ADDR: a certificate for ADDR under the CA, DER
	printf 'subjectAltName=email:%s\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\n' "$1" > "$P/$1.ext"
	openssl req -new -newkey rsa:2048 -nodes \
	    -keyout "$P/$1.key" -subj "/CN=$1" 2>/dev/null |
	    openssl x509 -req -CA "$P/ca.pem" -CAkey "$P/ca.key" \
	    -CAcreateserial -days 30 -extfile "$P/$1.ext" -outform DER \
	    -out "$P/$1.der" 2>/dev/null
}
owner() {	# owner LOCAL: RFC 8162's hash, independently of ours
	python3 -c "import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:56])" "$1"
}
rr() {	# rr LOCAL USAGE FILE: an SMIMEA record with the full certificate
	echo "$(owner "$1")._smimecert IN SMIMEA $2 0 0 $(od -An -v -tx1 "$3" | tr -d ' \n')"
}
zone() {	# zone NAME RECORDS...: $Z/NAME.zone
	_n=$1; shift
	{
		printf '$ORIGIN %s.\n$TTL 300\n' "$_n"
		printf '@ IN SOA ns.%s. admin.%s. 1 3600 600 86400 300\n' "$_n" "$_n"
		printf '@ IN NS ns.%s.\nns IN A 127.0.0.1\n' "$_n"
		for _r in "$@"; do echo "$_r"; done
	} > "$Z/$_n.zone"
}
sign() {	# sign NAME: $Z/NAME.zone.signed, its DS added to the anchors
	(cd "$Z" && dnssec-keygen -q -a ECDSAP256SHA256 -f KSK "$1" > /dev/null &&
	    dnssec-keygen -q -a ECDSAP256SHA256 "$1" > /dev/null &&
	    cat K"$1".+*.key >> "$1.zone" &&
	    dnssec-signzone -q -o "$1" -S -K . -f "$1.zone.signed" "$1.zone" \
	    > /dev/null 2>&1 && cat "dsset-$1." >> "$Z/anchors")
}
leaf alice@example.org
leaf bob@example.org
# a CA of the domain's own, which no store trusts: gina publishes it
# with usage 2 (DANE-TA) beside her usage 1 record; hank does not
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$P/ca2.key" -subj "/CN=Domain CA" -days 30 \
    -addext "basicConstraints=critical,CA:true" \
    -addext "keyUsage=critical,keyCertSign" -out "$P/ca2.pem" 2>/dev/null
openssl x509 -in "$P/ca2.pem" -outform DER -out "$P/ca2.der"
leaf2() {	# leaf2 ADDR: under the domain's CA
	printf 'subjectAltName=email:%s\nkeyUsage=critical,keyEncipherment\nextendedKeyUsage=emailProtection\n' "$1" > "$P/$1.ext"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$P/$1.key" -subj "/CN=$1" 2>/dev/null |
	    openssl x509 -req -CA "$P/ca2.pem" -CAkey "$P/ca2.key" -CAcreateserial \
	    -days 30 -extfile "$P/$1.ext" -outform DER -out "$P/$1.der" 2>/dev/null
}
leaf2 gina@example.org
leaf2 hank@example.org
leaf carol@bogus.example
leaf dave@insecure.example
: > "$Z/anchors"
zone example.org "$(rr alice 3 "$P/alice@example.org.der")" \
    "$(rr bob 1 "$P/bob@example.org.der")" \
    "$(rr gina 1 "$P/gina@example.org.der")" "$(rr gina 2 "$P/ca2.der")" \
    "$(rr hank 1 "$P/hank@example.org.der")"
sign example.org || { fail zone-sign "dnssec-signzone"; exit 0; }
zone bogus.example "$(rr carol 3 "$P/carol@bogus.example.der")"
sign bogus.example || { fail zone-sign "dnssec-signzone"; exit 0; }
# the signed record changed afterwards: its signature no longer verifies
python3 - "$Z/bogus.example.zone.signed" <<'PY' || fail zone-tamper "python"
import re, sys
p = sys.argv[1]
s = open(p).read()
m = re.search(r"SMIMEA\s+3 0 0 \(?\s*([0-9A-Fa-f]{16})", s)
h = m.group(1)
s = s.replace(h, h[:15] + ("0" if h[15] != "0" else "1"), 1)
open(p, "w").write(s)
PY
zone insecure.example "$(rr dave 3 "$P/dave@insecure.example.der")"
cp "$Z/insecure.example.zone" "$Z/insecure.example.zone.signed"

PORT=$(h_free_port)
cat > "$Z/nsd.conf" <<CONF
server:
	ip-address: 127.0.0.1@$PORT
	zonesdir: "$Z"
	database: ""
	zonelistfile: "$Z/zone.list"
	pidfile: "$Z/nsd.pid"
	xfrdfile: "$Z/xfrd.state"
	username: ""
	logfile: "$Z/nsd.log"
	chroot: ""
remote-control:
	control-enable: no
zone:
	name: example.org
	zonefile: example.org.zone.signed
zone:
	name: bogus.example
	zonefile: bogus.example.zone.signed
zone:
	name: insecure.example
	zonefile: insecure.example.zone.signed
CONF
"$NSD" -c "$Z/nsd.conf" -d > "$Z/nsd.out" 2>&1 &
nsd_pid=$!
for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	grep -q "nsd started" "$Z/nsd.log" 2>/dev/null && break
	sleep 0.2
done
grep -q "nsd started" "$Z/nsd.log" 2>/dev/null ||
    { fail nsd-start "$(tail -n 3 "$Z/nsd.log" "$Z/nsd.out" 2>/dev/null)"; exit 0; }

S=$W/store
"$C" -k "$S" init > /dev/null
A="--trust-anchor $Z/anchors"
for z in example.org bogus.example insecure.example; do
	A="$A --stub $z=127.0.0.1@$PORT"
done
# shellcheck disable=SC2086
L() { "$C" -k "$S" smimea lookup $A --timeout 5 "$@"; }
afpr=$(sha256sum < "$P/alice@example.org.der" | cut -c1-64)

run valid 0 "^smimea alice@example.org $afpr usage 3 (secure, $(owner alice)._smimecert.example.org)" \
    L alice@example.org
run not-kept-without-import 1 "^none" "$C" -k "$S" lookup encrypt alice@example.org
run import 0 "^imported alice@example.org $afpr external .* (from DNS)" L --import alice@example.org
run kept-after-import 0 "^found alice@example.org $afpr external from SMIMEA $(owner alice)._smimecert.example.org\$" \
    "$C" -k "$S" lookup encrypt alice@example.org
run pkix-ee-unchained 0 "^smimea bob@example.org [0-9a-f]\{64\} usage 1 not usable" L bob@example.org
"$C" -k "$S" anchor import "$P/ca.pem" > /dev/null
run pkix-ee-chained 0 "^smimea bob@example.org [0-9a-f]\{64\} usage 1 (secure" L bob@example.org
run dane-ta-chained 0 "^smimea gina@example.org [0-9a-f]\{64\} usage 1 (secure" L gina@example.org
run dane-ta-missing 0 "^smimea hank@example.org [0-9a-f]\{64\} usage 1 not usable" L hank@example.org
run no-record 1 "^none nobody@example.org (no SMIMEA record (secure))" L nobody@example.org
run bogus-not-used 65 "^not used $(owner carol)._smimecert.bogus.example: .*" L carol@bogus.example
run insecure-not-used 65 "^not used .*insecure" L dave@insecure.example
# the same record with no trust anchor at all: insecure, not used
run no-anchor-not-used 65 "insecure" "$C" -k "$S" smimea lookup \
    --trust-anchor /dev/null --stub "example.org=127.0.0.1@$PORT" alice@example.org
strace -f -e trace=prctl -o "$W/strace" "$C" -k "$S" smimea lookup $A \
    alice@example.org > /dev/null 2>&1
grep -q 'PR_SET_SECCOMP' "$W/strace" && ok lookup-sandboxed ||
    fail lookup-sandboxed "no PR_SET_SECCOMP: $(head -c 300 "$W/strace")"

# ---- the filter: RCPT TO through a real smtpd, smimea: in rules.yaml ---------
FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
. regress/lib/lookout.sh
S4=$W/store-filter
lookout_store "$S4" "$P/ca.pem"
chmod 644 "$Z/anchors"
cat > "$W/rules.yaml" <<YAML
version: 1
signers:
  trusted: [127.0.0.1]
smimea:
  domains: [example.org, bogus.example, insecure.example]
  trust-anchor: $Z/anchors
  stub: [example.org=127.0.0.1@$PORT, bogus.example=127.0.0.1@$PORT,
         insecure.example=127.0.0.1@$PORT]
  timeout: 3
rules:
  - recipient: "*"
    encrypt: required
    key-missing: bounce
YAML
chmod 644 "$W/rules.yaml"
refused() {	# refused TAG CODE
	grep -q "$2" "$W/$1.reply" && ok "$1-refused" ||
	    fail "$1-refused" "$(tail -n 2 "$W/$1.reply")"
}
h_start "$FILTER" -v -f "$W/rules.yaml" -k "$S4" || { fail f-start "$H_WHY"; exit 0; }
n0=$(h_delivered | wc -l)
out f-alice alice@example.org || fail f-alice-accepted "$(tail -n 2 "$W/f-alice.reply")"
out f-bob bob@example.org || fail f-bob-accepted "$(tail -n 2 "$W/f-bob.reply")"
out f-carol carol@bogus.example
refused f-carol '550.*5.7.1 No S/MIME certificate'
out f-dave dave@insecure.example
refused f-dave '550.*5.7.1 No S/MIME certificate'
out f-nobody nobody@example.org
refused f-nobody '550.*5.7.1 No S/MIME certificate'
out f-gina gina@example.org || fail f-gina-accepted "$(tail -n 2 "$W/f-gina.reply")"
out f-hank hank@example.org
refused f-hank '550.*5.7.1 No S/MIME certificate'
h_wait_delivered $((n0 + 3)) 60 || fail f-delivered "$H_WHY"
for a in alice bob gina; do
	openssl x509 -inform DER -in "$P/$a@example.org.der" -out "$P/$a.pem"
	opens "f-$a" "$P/$a.pem" "$P/$a@example.org.key" encrypted
done
grep -q "SMIMEA for carol@bogus.example: bogus" "$W/smtpd.log" &&
    ok f-bogus-logged || fail f-bogus-logged "no log line"
grep -q "SMIMEA for dave@insecure.example: insecure" "$W/smtpd.log" &&
    ok f-insecure-logged || fail f-insecure-logged "no log line"
grep -q "recipient alice@example.org: certificate from SMIMEA $(owner alice)._smimecert.example.org" \
    "$W/smtpd.log" && ok f-source-logged || fail f-source-logged "no log line"
# kept as long as DNS says (the zone's TTL, 300), not cache-ttl (3600)
grep -q "lookup alice@example.org: found from SMIMEA .* kept 300 s" "$W/smtpd.log" &&
    ok f-kept-for-dns-ttl || fail f-kept-for-dns-ttl "$(grep 'lookup alice' "$W/smtpd.log" | head -n 2)"
kill "$nsd_pid" 2>/dev/null; wait "$nsd_pid" 2>/dev/null; nsd_pid=""
out f-erin erin@example.org
refused f-erin '451.*4.4.3 Directory lookup'
h_health || fail f-health "$H_WHY"
h_stop
run server-down 75 "" L --timeout 2 alice@example.org
exit 0
