#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# smimectl directory lookup against a real OpenLDAP slapd on loopback,
# started here with a generated configuration and entries holding test
# certificates in userSMIMECertificate (a PKCS#7 bag) and in
# userCertificate;binary: found, shown, kept only with --import; an
# address that tries to widen the filter finds nothing; a hostile value
# is skipped; servers are tried in order; a bind with a password; a
# server stopped mid-test gives 75; the lookup runs in the sandbox.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. regress/lib/harness.sh
. regress/lib/expect.sh
h_new
C=${SMIMECTL:-$top/obj/asan/smimectl}
[ -x "$C" ] || C=$top/smimectl
ok() { echo "ok directory-$1"; }
fail() { echo "FAIL directory-$1: $2"; }
SLAPD=$(command -v slapd || echo /usr/sbin/slapd)
if [ ! -x "$SLAPD" ] || ! "$C" directory lookup --uri ldap://127.0.0.1:1 \
    --base dc=x x@y 2>&1 | grep -qv "built without libldap"; then
	fail setup "no slapd, or smimectl built without libldap (make deps)"
	exit 0
fi
slapd_pid=""
trap '[ -n "$slapd_pid" ] && kill $slapd_pid 2>/dev/null; h_cleanup' EXIT

P=$W/pki
mkdir -p "$P"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$P/ca.key" -subj "/CN=Directory Test CA" -days 30 \
    -addext "basicConstraints=critical,CA:true" \
    -addext "keyUsage=critical,keyCertSign" -out "$P/ca.pem" 2>/dev/null
leaf() {	# leaf NAME: NAME@example.org, under the CA; DER too
	printf 'subjectAltName=email:%s@example.org\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\n' "$1" > "$P/$1.ext"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$P/$1.key" \
	    -subj "/CN=$1" 2>/dev/null |
	    openssl x509 -req -CA "$P/ca.pem" -CAkey "$P/ca.key" \
	    -CAcreateserial -days 30 -extfile "$P/$1.ext" -out "$P/$1.pem" 2>/dev/null
	openssl x509 -in "$P/$1.pem" -outform DER -out "$P/$1.der"
}
leaf alice
leaf bob
# frank: a certificate of its own making, under no CA we trust
printf 'subjectAltName=email:frank@example.org\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\n' > "$P/frank.ext"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/frank.key" -subj "/CN=frank" \
    -days 30 -addext "subjectAltName=email:frank@example.org" \
    -addext "keyUsage=critical,keyEncipherment" -outform DER -out "$P/frank.der" 2>/dev/null
openssl crl2pkcs7 -nocrl -certfile "$P/alice.pem" -certfile "$P/ca.pem" \
    -outform DER -out "$P/alice.p7b"
b64() { base64 -w0 "$1"; }

# ---- the server -------------------------------------------------------------
D=$W/slapd
mkdir -p "$D/db"
PORT=$(h_free_port)
U=ldap://127.0.0.1:$PORT
cat > "$D/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $D/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "dc=example,dc=org"
rootdn "cn=admin,dc=example,dc=org"
rootpw secret
directory $D/db
maxsize 10485760
access to attrs=userPassword by anonymous auth by * none
access to * by * read
CONF
start_slapd() {
	"$SLAPD" -f "$D/slapd.conf" -h "$U/" -d 0 > "$D/log" 2>&1 &
	slapd_pid=$!
	for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		ldapsearch -x -H "$U" -b "" -s base > /dev/null 2>&1 && return 0
		sleep 0.2
	done
	fail slapd-start "$(tail -n 3 "$D/log")"
	exit 0
}
start_slapd
printf 'secret-reader\n' > "$W/reader.pw"
cat > "$W/entries.ldif" <<LDIF
dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
o: example
dc: example

dn: cn=alice,dc=example,dc=org
objectClass: inetOrgPerson
cn: alice
sn: alice
mail: alice@example.org
userSMIMECertificate:: $(b64 "$P/alice.p7b")

dn: cn=bob,dc=example,dc=org
objectClass: inetOrgPerson
cn: bob
sn: bob
mail: bob@example.org
userCertificate;binary:: $(b64 "$P/bob.der")

dn: cn=mallory,dc=example,dc=org
objectClass: inetOrgPerson
cn: mallory
sn: mallory
mail: mallory@example.org
userSMIMECertificate:: $(head -c 300 /dev/urandom | base64 -w0)

dn: cn=frank,dc=example,dc=org
objectClass: inetOrgPerson
cn: frank
sn: frank
mail: frank@example.org
userCertificate;binary:: $(b64 "$P/frank.der")

dn: cn=reader,dc=example,dc=org
objectClass: inetOrgPerson
cn: reader
sn: reader
userPassword: secret-reader
LDIF
ldapadd -x -H "$U" -D cn=admin,dc=example,dc=org -w secret \
    -f "$W/entries.ldif" > "$D/add.log" 2>&1 ||
    { fail slapd-entries "$(tail -n 3 "$D/add.log")"; exit 0; }

S=$W/store
"$C" -k "$S" init > /dev/null
L() { "$C" -k "$S" directory lookup --uri "$U" --base dc=example,dc=org "$@"; }
afpr=$(openssl x509 -in "$P/alice.pem" -outform DER | sha256sum | cut -c1-64)

# ---- found, shown, not kept ---------------------------------------------------
run smime-attribute 0 "^directory alice@example.org $afpr (from $U)" L alice@example.org
grep -q "does not name the address" "$W/run.out" && ok bag-ca-shown-as-such ||
    fail bag-ca-shown-as-such "the bag's CA line: $(cat "$W/run.out")"
run not-kept-without-import 1 "^none" "$C" -k "$S" lookup encrypt alice@example.org
run binary-attribute 0 "^directory bob@example.org [0-9a-f]\{64\} (from $U)" L bob@example.org
run nobody 1 "^none nobody@example.org" L nobody@example.org
# "*" would match every entry, unescaped: escaped it matches none
run filter-injection-star 1 "^none" L '*'
run filter-injection-paren 1 "^none" L 'x@example.org)(mail=*'
run hostile-value-skipped 1 "^none mallory@example.org" L mallory@example.org
run own-filter 0 "^directory alice $afpr" L --filter '(&(objectClass=inetOrgPerson)(cn=%s))' alice
run bad-filter 64 "filter cannot be made" L --filter '(mail=x)' alice@example.org

# ---- kept when asked ----------------------------------------------------------
run import 0 "^imported alice@example.org $afpr external sign+encrypt (from $U)" L --import alice@example.org
grep -c '^imported' "$W/run.out" | grep -qx 1 && ok import-only-the-address ||
    fail import-only-the-address "$(cat "$W/run.out")"
run kept-after-import 0 "^found alice@example.org $afpr external from directory $U\$" "$C" -k "$S" lookup encrypt alice@example.org
run show-origin 0 "^  from: directory $U\$" "$C" -k "$S" show "$afpr"

# ---- binding, failover, the sandbox -------------------------------------------
run bind-password 0 "^directory bob@example.org" L --bind-dn cn=reader,dc=example,dc=org \
    --password-file "$W/reader.pw" bob@example.org
printf 'wrong\n' > "$W/wrong.pw"
run bind-wrong-password 75 "bind: Invalid credentials" L \
    --bind-dn cn=reader,dc=example,dc=org --password-file "$W/wrong.pw" bob@example.org
DOWN=ldap://127.0.0.1:$(h_free_port)
run failover 0 "(from $U)" "$C" -k "$S" directory lookup --uri "$DOWN" --uri "$U" \
    --base dc=example,dc=org bob@example.org
strace -f -e trace=prctl -o "$W/strace" "$C" -k "$S" directory lookup --uri "$U" \
    --base dc=example,dc=org bob@example.org > /dev/null 2>&1
grep -q 'PR_SET_SECCOMP' "$W/strace" && ok lookup-sandboxed ||
    fail lookup-sandboxed "no PR_SET_SECCOMP: $(head -c 300 "$W/strace")"

# ---- the filter: RCPT TO through a real smtpd looks recipients up ------------
FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
. regress/lib/lookout.sh
S4=$W/store-filter
lookout_store "$S4" "$P/ca.pem"
chmod 644 "$W/reader.pw"
cat > "$W/rules.yaml" <<YAML
version: 1
signers:
  trusted: [127.0.0.1]
directory:
  uri: [$DOWN, $U]
  base: dc=example,dc=org
  bind-dn: cn=reader,dc=example,dc=org
  password-file: $W/reader.pw
  timeout: 2
rules:
  - recipient: "*@example.org"
    encrypt: required
    key-missing: bounce
YAML
chmod 644 "$W/rules.yaml"
run f-rules 0 "^directory: $DOWN, $U" "$FILTER" -n -f "$W/rules.yaml" -k "$S4"
h_start "$FILTER" -v -f "$W/rules.yaml" -k "$S4" || { fail f-start "$H_WHY"; exit 0; }
n0=$(h_delivered | wc -l)
out f-alice alice@example.org && ok f-alice-accepted ||
    fail f-alice-accepted "$(tail -n 2 "$W/f-alice.reply")"
out f-bob bob@example.org && ok f-bob-accepted ||
    fail f-bob-accepted "$(tail -n 2 "$W/f-bob.reply")"
out f-carol carol@example.org
grep -q '550.*5.7.1 No S/MIME certificate' "$W/f-carol.reply" && ok f-none-refused ||
    fail f-none-refused "$(tail -n 2 "$W/f-carol.reply")"
out f-mallory mallory@example.org
grep -q '550.*5.7.1' "$W/f-mallory.reply" && ok f-hostile-value-refused ||
    fail f-hostile-value-refused "$(tail -n 2 "$W/f-mallory.reply")"
out f-frank frank@example.org
grep -q '550.*5.7.1' "$W/f-frank.reply" && ok f-unchained-refused ||
    fail f-unchained-refused "$(tail -n 2 "$W/f-frank.reply")"
grep -q "lookup frank@example.org: a certificate from $U does not chain to a trust anchor: not used" \
    "$W/smtpd.log" && ok f-unchained-logged || fail f-unchained-logged "no log line"
h_wait_delivered $((n0 + 2)) 60 || fail f-delivered "$H_WHY"
opens f-alice "$P/alice.pem" "$P/alice.key" encrypted-to-alice
opens f-bob "$P/bob.pem" "$P/bob.key" encrypted-to-bob
grep -q "recipient alice@example.org: certificate from $U (not in the store)" \
    "$W/smtpd.log" && ok f-source-logged || fail f-source-logged "no log line"
run f-store-untouched 1 "^none" "$C" -k "$S4" lookup encrypt alice@example.org
# -j 0: the one worker, waited for, asks the loop too
h_stop
h_start "$FILTER" -v -j 0 -f "$W/rules.yaml" -k "$S4" || { fail f-start-j0 "$H_WHY"; exit 0; }
n0=$(h_delivered | wc -l)
out f-bob-j0 bob@example.org || fail f-bob-j0-accepted "$(tail -n 2 "$W/f-bob-j0.reply")"
h_wait_delivered $((n0 + 1)) 60 || fail f-delivered-j0 "$H_WHY"
opens f-bob-j0 "$P/bob.pem" "$P/bob.key" encrypted-to-bob
# pipe mode (Exim): the parent looks up for its sandboxed child
"$FILTER" -p -f "$W/rules.yaml" -k "$S4" -s signer@example.net -r bob@example.org \
    < "$W/f-bob.eml" > "$W/p-bob.got" 2> "$W/p.err" || fail pipe-found "exit $?: $(head -c 300 "$W/p.err")"
openssl cms -decrypt -recip "$P/bob.pem" -inkey "$P/bob.key" -in "$W/p-bob.got" \
    2>/dev/null | grep -q "secret f-bob" && ok pipe-found-encrypted ||
    fail pipe-found-encrypted "$(head -c 300 "$W/p-bob.got")"
# ---- the server stopped: 4xx, logged once an outage; what is kept still serves
kill "$slapd_pid" 2>/dev/null; wait "$slapd_pid" 2>/dev/null; slapd_pid=""
out f-dave dave@example.org
out f-erin erin@example.org
for t in f-dave f-erin; do
	grep -q '451.*4.4.3 Directory lookup' "$W/$t.reply" && ok "$t-down-451" ||
	    fail "$t-down-451" "$(tail -n 2 "$W/$t.reply")"
done
n=$(grep -c "directory lookups: no answer" "$W/smtpd.log")
[ "$n" = 1 ] && ok f-down-logged-once || fail f-down-logged-once "$n lines"
n1=$(h_delivered | wc -l)
out f-bob2 bob@example.org && ok f-kept-while-down ||
    fail f-kept-while-down "$(tail -n 2 "$W/f-bob2.reply")"
h_wait_delivered $((n1 + 1)) 60 || fail f-delivered2 "$H_WHY"
opens f-bob2 "$P/bob.pem" "$P/bob.key" encrypted-to-bob
h_health || fail f-health "$H_WHY"
h_stop
# opportunistic: RCPT TO asks nothing; the worker asks the loop, which
# asks the lookup process, and encrypts to what comes back
start_slapd
sed 's/encrypt: required/encrypt: opportunistic/' "$W/rules.yaml" > "$W/opp.yaml"
chmod 644 "$W/opp.yaml"
h_start "$FILTER" -v -f "$W/opp.yaml" -k "$S4" || { fail f-start-opp "$H_WHY"; exit 0; }
n0=$(h_delivered | wc -l)
out f-opp-alice alice@example.org || fail f-opp-accepted "$(tail -n 2 "$W/f-opp-alice.reply")"
out f-opp-carol carol@example.org || fail f-opp-carol-accepted "$(tail -n 2 "$W/f-opp-carol.reply")"
h_wait_delivered $((n0 + 2)) 60 || fail f-delivered-opp "$H_WHY"
opens f-opp-alice "$P/alice.pem" "$P/alice.key" encrypted-to-alice
got f-opp-carol | grep -q "^secret f-opp-carol" && ok f-opp-none-plain ||
    fail f-opp-none-plain "$(got f-opp-carol | head -c 300)"
# SIGHUP with another filter template: what was kept is forgotten and
# the lookups follow the new rules (alice's mail is no cn: plain now)
sed 's/^  base: /  filter: "(cn=%s)"\n  base: /' "$W/opp.yaml" > "$W/opp2.yaml"
cat "$W/opp2.yaml" > "$W/opp.yaml"
kill -HUP "$(h_filter_pid)"
for _i in 1 2 3 4 5 6 7 8 9 10; do
	grep -q "rules reloaded" "$W/smtpd.log" && break
	sleep 0.5
done
n0=$(h_delivered | wc -l)
out f-opp-alice2 alice@example.org || fail f-opp-alice2-accepted "$(tail -n 2 "$W/f-opp-alice2.reply")"
h_wait_delivered $((n0 + 1)) 60 || fail f-delivered-opp2 "$H_WHY"
got f-opp-alice2 | grep -q "^secret f-opp-alice2" && ok f-reload-new-rules ||
    fail f-reload-new-rules "$(got f-opp-alice2 | head -c 300)"
h_stop
kill "$slapd_pid" 2>/dev/null; wait "$slapd_pid" 2>/dev/null; slapd_pid=""

# ---- the server stopped mid-test ----------------------------------------------
t0=$(date +%s)
run server-down 75 "Can't contact LDAP server" L --timeout 2 bob@example.org
t1=$(date +%s)
[ $((t1 - t0)) -lt 8 ] && ok server-down-quickly || fail server-down-quickly "$((t1 - t0)) s"
# pipe mode (Exim): down is 75, a retry may find it
"$FILTER" -p -f "$W/rules.yaml" -k "$S4" -s signer@example.net -r bob@example.org \
    < "$W/f-bob.eml" > "$W/p.out" 2> "$W/p.err"
rc=$?
[ $rc = 75 ] && ok pipe-down-75 || fail pipe-down-75 "exit $rc: $(head -c 300 "$W/p.err")"
exit 0
