#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Key custody: private keys live in the key process only.  Driven
# through the filter protocol as smtpd drives it (as workers.sh):
#   - a compromised worker (the regress build's test hook) asks the key
#     process to sign with another account's key, or to decrypt for a
#     recipient not in the message: refused and logged, and the message
#     itself is signed as it should be; the same hook asking for the
#     sender's own key is answered, so the refusals are the policy's;
#   - with messages signed, a private prime of the sender's key is in
#     the key process's memory and in no worker's and not the loop's
#     (read from /proc/PID/mem, both byte orders);
#   - a respawned worker holds no other session's descriptors.
set -u
cd "$(dirname "$0")/../.." || exit 1

RB=obj/asan/filter-smime	# with the test hooks
PROD=./filter-smime		# what is installed
C=$(pwd)/smimectl
[ -x "$RB" ] && [ -x "$PROD" ] || { echo "FAIL custody-build: make and make unit first"; exit 1; }

ok() { echo "ok custody-$1"; }
fail() { echo "FAIL custody-$1: $2"; }

W=$(mktemp -d "${TMPDIR:-/tmp}/fscustody.XXXXXX") || exit 1
fpid=
trap 'exec 8>&- 2>/dev/null; [ -n "$fpid" ] && kill $fpid 2>/dev/null; rm -rf "$W"' EXIT

S=$W/store
"$C" -k "$S" init > /dev/null
# alice's key made here, so that the test knows its primes
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/alice.key" \
    -subj "/CN=alice/emailAddress=alice@example.org" \
    -addext "subjectAltName=email:alice@example.org" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment" \
    -addext "extendedKeyUsage=emailProtection" -days 30 \
    -out "$W/alice.pem" 2>/dev/null &&
    "$C" -k "$S" import --key "$W/alice.key" "$W/alice.pem" > /dev/null &&
    "$C" -k "$S" selfsign --rsa 2048 carol@other.example > /dev/null ||
    { fail store "cannot make the store"; exit 0; }
fpr() { "$C" -k "$S" list | awk -v a="$1" '$1 == a { print $2; exit }'; }
AF=$(fpr alice@example.org)
CF=$(fpr carol@other.example)
prime=$(openssl rsa -in "$W/alice.key" -noout -text 2>/dev/null |
    awk '/^prime1:/ { on = 1; next } /^prime2:/ { on = 0 } on' |
    tr -d ' :\n')

head_lines() {
	echo 'config|smtpd-version|6.8.0p2'
	echo 'config|ready'
}

# session SID FROM RCPT: one transaction, logged in as FROM
session() {
	printf 'report|0.6|1|smtp-in|link-auth|%s|%s|pass\n' "$1" "$2"
	printf 'report|0.6|1|smtp-in|tx-mail|%s|%s|ok|%s\n' "$1" "${1#????????}" "$2"
	printf 'report|0.6|1|smtp-in|tx-rcpt|%s|%s|ok|%s\n' "$1" "${1#????????}" "$3"
	for l in "From: $2" "To: $3" "Subject: session $1" "" "body of session $1"; do
		printf 'filter|0.6|1|smtp-in|data-line|%s|00000000000000aa|%s\n' "$1" "$l"
	done
	printf 'filter|0.6|1|smtp-in|data-line|%s|00000000000000aa|.\n' "$1"
	printf 'filter|0.6|1|smtp-in|commit|%s|00000000000000bb|\n' "$1"
}

message() {	# message SID OUT: the data lines given back
	sed -n "s/^filter-dataline|$1|00000000000000aa|//p" "$2" | sed '$d'
}

# ---- a compromised worker -------------------------------------------
forged() {	# forged NAME REQUEST: one alice session under the hook
	{ head_lines; session 0000000000000001 alice@example.org bob@example.net; } |
	    env FILTER_SMIME_TEST_EVIL="$2" "$RB" -j 1 -k "$S" \
	    > "$W/$1.out" 2> "$W/$1.err"
}
signed_by_alice() {	# signed_by_alice OUT
	message 0000000000000001 "$1" > "$W/m.eml"
	openssl smime -verify -in "$W/m.eml" -CAfile "$W/alice.pem" \
	    -purpose smimesign > /dev/null 2>&1
}

forged other-sign "sign:$CF"
if grep -q "key process: refused signing with ${CF%${CF#????????????????}} (carol@other.example) to worker slot 0: not the envelope sender's signing key" "$W/other-sign.err" &&
    grep -q "test hook: the forged request was refused" "$W/other-sign.err"; then
	ok worker-sign-other-account-refused-logged
else
	fail worker-sign-other-account-refused-logged "$(head -c 600 "$W/other-sign.err")"
fi
signed_by_alice "$W/other-sign.out" && ok worker-refused-message-still-signed ||
    fail worker-refused-message-still-signed "$(tail -n 3 "$W/other-sign.err")"

forged not-rcpt "unwrap:$AF"
if grep -q "key process: refused decrypting with ${AF%${AF#????????????????}} (alice@example.org) to worker slot 0: not a recipient's key" "$W/not-rcpt.err" &&
    grep -q "test hook: the forged request was refused" "$W/not-rcpt.err"; then
	ok worker-decrypt-not-recipient-refused-logged
else
	fail worker-decrypt-not-recipient-refused-logged "$(head -c 600 "$W/not-rcpt.err")"
fi

# the control: the sender's own key is answered, by the same hook
forged own-sign "sign:$AF"
if grep -q "test hook: the forged request WAS ANSWERED" "$W/own-sign.err" &&
    ! grep -q "key process: refused" "$W/own-sign.err"; then
	ok worker-own-key-answered
else
	fail worker-own-key-answered "$(head -c 600 "$W/own-sign.err")"
fi

# ---- the sandbox: a worker that opens a file is killed ---------------
# (the regress build's hook opens FILTER_SMIME_TEST_OPEN at each job):
# its message gets 451, the next one is signed by a new worker
for f in /etc/hostname "$S/master.key"; do
	n=$(basename "$f" | tr . -)
	{ head_lines; session 0000000000000001 alice@example.org bob@example.net
	    sleep 1
	    session 0000000000000002 alice@example.org bob@example.net; } |
	    env FILTER_SMIME_TEST_OPEN="$f" "$RB" -j 1 -k "$S" \
	    > "$W/open.out" 2> "$W/open.err"
	if grep -q '^filter-result|0000000000000001|00000000000000bb|reject|451 ' "$W/open.out" &&
	    grep -q "worker [0-9]* ended (signal 31: the sandbox refused a system call)" "$W/open.err" &&
	    ! grep -q "test hook: the worker OPENED" "$W/open.err"; then
		ok "sandbox-open-$n-kills-worker-451"
	else
		fail "sandbox-open-$n-kills-worker-451" "$(grep 0000000000000001 "$W/open.out" | tail -n 1; tail -n 3 "$W/open.err")"
	fi
done
# the second message went to a new worker, which is killed as well (the
# hook runs for every job): what matters is that a fresh worker took it
[ "$(grep -c 'ended (signal 31' "$W/open.err")" = 2 ] &&
    ok sandbox-new-worker-each-time ||
    fail sandbox-new-worker-each-time "$(grep -c 'ended (signal' "$W/open.err") ends"

# ---- -j 0 with a keystore: still parsed in a sandboxed worker -------
# the loop can read the keystore, so it parses no message: -j 0 is one
# worker the loop waits for (the hook's open() kills it: 451, and the
# loop's log never says OPENED); without the hook, messages are signed
{ head_lines; session 0000000000000001 alice@example.org bob@example.net
    session 0000000000000002 alice@example.org bob@example.net; } |
    env FILTER_SMIME_TEST_OPEN="$S/master.key" "$RB" -v -j 0 -k "$S" \
    > "$W/j0.out" 2> "$W/j0.err"
if grep -q '^filter-result|0000000000000001|00000000000000bb|reject|451 ' "$W/j0.out" &&
    grep -q '^filter-result|0000000000000002|00000000000000bb|reject|451 ' "$W/j0.out" &&
    [ "$(grep -c "worker [0-9]* ended (signal 31" "$W/j0.err")" = 2 ] &&
    grep -q "1 worker processes (-j 0: one message at a time" "$W/j0.err" &&
    ! grep -q "OPENED" "$W/j0.err"; then
	ok j0-parses-in-sandboxed-worker
else
	fail j0-parses-in-sandboxed-worker "$(grep '^filter-result' "$W/j0.out"; tail -n 4 "$W/j0.err")"
fi
{ head_lines; session 0000000000000001 alice@example.org bob@example.net
    session 0000000000000002 alice@example.org bob@example.net; } |
    "$RB" -j 0 -k "$S" > "$W/j0s.out" 2> "$W/j0s.err"
message 0000000000000002 "$W/j0s.out" > "$W/m.eml"
signed_by_alice "$W/j0s.out" && openssl smime -verify -in "$W/m.eml" \
    -CAfile "$W/alice.pem" -purpose smimesign > /dev/null 2>&1 &&
    ok j0-worker-signs || fail j0-worker-signs "$(tail -n 3 "$W/j0s.err")"

# ---- a compromised worker's harvest ----------------------------------
# the loop checks a worker's harvest again, chain included: a worker
# taken over cannot plant its own key as someone's (replies to that
# address would be encrypted to it).  A CA of ours (an anchor of the
# store) with an intermediate; another CA that is no anchor.
issue() {	# issue NAME ISSUER EXTENSIONS: a P-256 certificate under ISSUER
	printf "$3" > "$W/$1.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$W/$1.key" -subj "/CN=$1" 2>/dev/null |
	    openssl x509 -req -CA "$W/$2.pem" -CAkey "$W/$2.key" \
	    -CAcreateserial -days 30 -extfile "$W/$1.ext" -out "$W/$1.pem" 2>/dev/null
}
CAEXT='basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n'
mkca() {	# mkca NAME [ISSUER]: a CA, self-signed or under ISSUER
	if [ $# = 1 ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$W/$1.key" -subj "/CN=$1" -days 30 \
		    -addext "basicConstraints=critical,CA:true" \
		    -addext "keyUsage=critical,keyCertSign,cRLSign" \
		    -out "$W/$1.pem" 2>/dev/null
	else
		issue "$1" "$2" "$CAEXT"
	fi
}
mkleaf() {	# mkleaf ADDR ISSUER: a mail certificate for ADDR
	issue "$1" "$2" "subjectAltName=email:$1\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\n"
}
mkca root && mkca inter root && mkca rogue && mkleaf dave@example.net inter &&
    mkleaf erin@example.net rogue && "$C" -k "$S" anchor import "$W/root.pem" > /dev/null &&
    cat "$W/dave@example.net.pem" "$W/inter.pem" > "$W/dave-chain.pem" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$W/self.key" -subj "/CN=victim" -days 30 \
    -addext "subjectAltName=email:victim@example.net" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment" \
    -addext "extendedKeyUsage=emailProtection" -out "$W/self.pem" 2>/dev/null ||
    fail harvest-setup "cannot make the certificates"
harvested() { "$C" -k "$S" harvested | grep -q "^$1 "; }
# forged_harvest NAME FILE ADDR [RULES]: one session, the hook's harvest
forged_harvest() {
	{ head_lines; session 0000000000000001 alice@example.org bob@example.net; } |
	    env FILTER_SMIME_TEST_EVIL="harvest:$2:$3" "$RB" -j 1 -k "$S" \
	    ${4:+-f "$4"} > "$W/$1.out" 2> "$W/$1.err"
	grep -q "test hook: a forged harvest for $3 sent" "$W/$1.err"
}
# refused TEST NAME FILE ADDR LOG [RULES]: the loop logs LOG, keeps nothing
refused() {
	if forged_harvest "$2" "$3" "$4" "${6:-}" &&
	    grep -qF "harvest $4: $5" "$W/$2.err" && ! harvested "$4"; then
		ok "$1"
	else
		fail "$1" "$(grep harvest "$W/$2.err")"
	fi
}
refused harvest-forged-self-signed-not-kept self "$W/self.pem" \
    victim@example.net "the certificate does not check out here (self-signed), not kept"
refused harvest-forged-untrusted-not-kept rogue "$W/erin@example.net.pem" \
    erin@example.net "the certificate does not check out here (no trust anchor for CN=rogue), not kept"
# a certificate for another address than the one it is harvested as
refused harvest-forged-other-address-not-kept other "$W/dave-chain.pem" \
    alice@example.org "not a certificate for it, not kept"
# our CA's certificate without the intermediate: no path, not kept;
# with it (sent along in the packet): kept, so the check is the chain's
refused harvest-without-intermediate-not-kept nointer \
    "$W/dave@example.net.pem" dave@example.net "the certificate does not check out here"
if forged_harvest chain "$W/dave-chain.pem" dave@example.net &&
    ! grep -q "harvest dave@example.net" "$W/chain.err" && harvested dave@example.net; then
	ok harvest-chain-to-anchor-kept
else
	fail harvest-chain-to-anchor-kept "$(grep harvest "$W/chain.err")"
fi
# the rules' word holds in the loop too: harvest: no keeps nothing
printf 'version: 1\ninbound:\n  harvest: no\n' > "$W/hno.yaml"
refused harvest-off-in-loop-too hno "$W/erin@example.net.pem" erin@example.net \
    "the certificate does not check out here (harvest: no), not kept" "$W/hno.yaml"

# ---- a compromised worker's revocation questions --------------------
# A listener that counts who connects: the responder the forged
# certificates name.  Only a certificate that chains to an anchor, under
# a policy that asks OCSP, may make the gateway connect anywhere.
LPORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d " ") % 40000))
: > "$W/conns"
python3 -c "import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $LPORT)); s.listen(8)
while True:
    c, a = s.accept(); open('$W/conns', 'a').write('conn\\n'); c.close()" &
lpid=$!
AIA="authorityInfoAccess=OCSP;URI:http://127.0.0.1:$LPORT/"
issue aia-leaf inter "subjectAltName=email:aia@example.net\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=emailProtection\n$AIA\n"
cat "$W/aia-leaf.pem" "$W/inter.pem" > "$W/aia-chain.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$W/aia-self.key" -subj "/CN=aia self" -days 30 -addext "$AIA" \
    -out "$W/aia-self.pem" 2>/dev/null
printf 'version: 1\nrevocation: ocsp\nocsp-timeout: 2\n' > "$W/ocsp.yaml"
revq() {	# revq NAME FILE [RULES]: one session, the hook's question
	{ head_lines; session 0000000000000001 alice@example.org bob@example.net; } |
	    env FILTER_SMIME_TEST_EVIL="revq:$2" "$RB" -j 1 -k "$S" \
	    ${3:+-f "$3"} > "$W/$1.out" 2> "$W/$1.err"
}
conns() { wc -l < "$W/conns" | tr -d ' '; }
revq rq-crl "$W/aia-chain.pem"
grep -q "test hook: the forged revocation question: no answer (not asked: the policy asks no responder)" \
    "$W/rq-crl.err" && [ "$(conns)" = 0 ] && ok revq-forged-no-ocsp-policy-not-asked ||
    fail revq-forged-no-ocsp-policy-not-asked "$(conns) connections: $(grep 'test hook' "$W/rq-crl.err")"
revq rq-self "$W/aia-self.pem" "$W/ocsp.yaml"
grep -q "test hook: the forged revocation question: not asked (no chain to a trust anchor)" \
    "$W/rq-self.err" && [ "$(conns)" = 0 ] && ok revq-forged-self-signed-not-asked ||
    fail revq-forged-self-signed-not-asked "$(conns) connections: $(grep 'test hook' "$W/rq-self.err")"
# the control: a certificate that chains is asked about, at its responder
revq rq-chain "$W/aia-chain.pem" "$W/ocsp.yaml"
[ "$(conns)" -ge 1 ] && grep -q "test hook: the forged revocation question: no answer" \
    "$W/rq-chain.err" && ok revq-chaining-certificate-asked ||
    fail revq-chaining-certificate-asked "$(conns) connections: $(grep 'test hook' "$W/rq-chain.err")"
kill $lpid 2>/dev/null

# ---- whose memory holds the key -------------------------------------
if [ -z "$prime" ]; then
	fail memory "no prime read from alice's key"
	exit 0
fi
mkfifo "$W/in"
"$PROD" -j 2 -k "$S" < "$W/in" > "$W/mem.out" 2> "$W/mem.err" &
fpid=$!
exec 8> "$W/in"
{
	head_lines
	for i in 1 2 3 4; do
		session "000000000000000$i" alice@example.org bob@example.net
	done
} >&8
i=0
while [ "$(grep -c '|proceed$' "$W/mem.out")" -lt 4 ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(grep -c '|proceed$' "$W/mem.out")" = 4 ] && ok memory-messages-signed ||
    fail memory-messages-signed "$(tail -n 3 "$W/mem.err")"
# every process below the filter, by name: workers are the loop's
# children, their key processes the children of the loop's key process
classify() {	# classify PID -> $keys, $workers
	keys="" workers=""
	for c in $(descendants "$1"); do
		case "$(cat "/proc/$c/comm" 2>/dev/null)" in
		smime-keys) keys="$keys $c" ;;
		smime-worker) workers="$workers $c" ;;
		esac
	done
}
descendants() {
	ps -eo pid=,ppid= | awk -v root="$1" '
	    { kids[$2] = kids[$2] " " $1 }
	    END { n = split(kids[root], q, " ")
		for (i = 1; i <= n; i++) { print q[i]
			m = split(kids[q[i]], more, " ")
			for (j = 1; j <= m; j++) q[++n] = more[j] } }'
}
classify "$fpid"
# one key process for the loop, one for each worker; those that signed
# hold the key (the control: the scan finds it where it is)
set -- $keys
[ $# = 3 ] && ok memory-three-key-processes ||
    fail memory-three-key-processes "key processes:$keys"
holders=0
for p in $keys; do
	[ "$(python3 regress/lib/memscan.py "$p" "$prime")" = found ] &&
	    holders=$((holders + 1))
done
[ $holders -ge 1 ] && ok memory-key-process-holds-key ||
    fail memory-key-process-holds-key "in none of$keys"
set -- $workers
[ $# = 2 ] && ok memory-two-workers || fail memory-two-workers "workers:$workers"
n=0
for p in $fpid $workers; do
	name=loop
	[ "$p" = "$fpid" ] || { n=$((n + 1)); name=worker-$n; }
	r=$(python3 regress/lib/memscan.py "$p" "$prime")
	[ "$r" = absent ] && ok "memory-no-key-in-$name" ||
	    fail "memory-no-key-in-$name" "$r (pid $p)"
done
# a worker's descriptors: stdio and its two sockets, nothing else
set -- $workers
extra=$(ls /proc/$1/fd | awk '$1 > 2' | while read -r d; do
	readlink "/proc/$1/fd/$d"; done | grep -vc '^socket:')
[ "$extra" = 0 ] && ok worker-only-its-sockets ||
    fail worker-only-its-sockets "$(ls -l /proc/$1/fd)"
# a worker's key process killed: it and its worker are replaced, and
# signing goes on
kp=$(for p in $keys; do [ "$(ps -o ppid= -p "$p" | tr -d ' ')" != "$fpid" ] &&
    echo "$p"; done | head -n 1)
set -- $kp
kill -9 "$1"
sleep 1
session 0000000000000005 alice@example.org bob@example.net >&8
i=0
while [ "$(grep -c '|proceed$' "$W/mem.out")" -lt 5 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
message 0000000000000005 "$W/mem.out" > "$W/m5.eml"
if grep -q "the key process of worker [0-9]* ended: replacing both" "$W/mem.err" &&
    openssl smime -verify -in "$W/m5.eml" -CAfile "$W/alice.pem" \
    -purpose smimesign > /dev/null 2>&1; then
	ok key-process-replaced
else
	fail key-process-replaced "$(tail -n 4 "$W/mem.err")"
fi
# the replaced worker keeps only its own sockets too
classify "$fpid"
set -- $workers
extra=$(for w in "$@"; do ls "/proc/$w/fd" | awk '$1 > 2' | while read -r d; do
	readlink "/proc/$w/fd/$d"; done; done | grep -vc '^socket:')
[ $# = 2 ] && [ "$extra" = 0 ] && ok replaced-worker-only-its-sockets ||
    fail replaced-worker-only-its-sockets "workers:$workers, $extra others"

exec 8>&-
wait "$fpid"
rc=$?
fpid=
[ $rc = 0 ] && ok filter-exits || fail filter-exits "exit $rc: $(tail -n 3 "$W/mem.err")"

# ---- pipe mode: the keys of -f and the -r recipients only ------------
printf 'From: x@outside.example\nTo: alice@example.org\nSubject: pipe\n\nfor alice\n' |
    openssl smime -encrypt -aes256 "$W/alice.pem" > "$W/enc.eml" 2>/dev/null
"$PROD" -p -a verify -k "$S" -s x@outside.example -r carol@other.example \
    < "$W/enc.eml" > "$W/p1.out" 2> "$W/p1.err"
if grep -q '^X-SMIME-Decrypt: failed (no matching recipient' "$W/p1.out" &&
    grep -q "refused decrypting with [0-9a-f]* (alice@example.org) to the loop: not a recipient's key" "$W/p1.err"; then
	ok pipe-other-recipient-not-decrypted
else
	fail pipe-other-recipient-not-decrypted "$(grep '^X-SMIME' "$W/p1.out"; tail -n 2 "$W/p1.err")"
fi
"$PROD" -p -a verify -k "$S" -s x@outside.example -r alice@example.org \
    < "$W/enc.eml" > "$W/p2.out" 2> "$W/p2.err"
grep -q '^X-SMIME-Decrypted: ' "$W/p2.out" && grep -q '^for alice' "$W/p2.out" &&
    ok pipe-recipient-decrypted ||
    fail pipe-recipient-decrypted "$(grep '^X-SMIME' "$W/p2.out"; tail -n 2 "$W/p2.err")"

# pipe mode parses in a sandboxed child: one that opens the master key
# file is killed, and the message gets 75 with nothing on stdout
printf 'From: alice@example.org\nTo: bob@example.net\nSubject: p\n\nbody\n' > "$W/p.eml"
env FILTER_SMIME_TEST_OPEN="$S/master.key" "$RB" -p -k "$S" \
    -s alice@example.org -r bob@example.net < "$W/p.eml" > "$W/p3.out" 2> "$W/p3.err"
rc=$?
if [ $rc = 75 ] && [ ! -s "$W/p3.out" ] &&
    grep -q "the message's process ended (signal 31: the sandbox refused a system call)" "$W/p3.err" &&
    ! grep -q "OPENED" "$W/p3.err"; then
	ok pipe-sandbox-open-kills-75
else
	fail pipe-sandbox-open-kills-75 "exit $rc: $(tail -n 2 "$W/p3.err")"
fi
"$RB" -p -k "$S" -s alice@example.org -r bob@example.net < "$W/p.eml" \
    > "$W/p4.out" 2> "$W/p4.err"
openssl smime -verify -in "$W/p4.out" -CAfile "$W/alice.pem" \
    -purpose smimesign > /dev/null 2>&1 && ok pipe-sandboxed-signs ||
    fail pipe-sandboxed-signs "$(tail -n 2 "$W/p4.err")"

# ---- a master key given in the environment --------------------------
# it stays in the key processes: the loop wipes its copy before forking
# any worker, so neither the loop's nor a worker's environment or memory
# holds it, and signing works without the file
mk=$(od -An -tx1 < "$S/master.key" | tr -d ' \n')
mv "$S/master.key" "$W/master.key.away"
rm -f "$W/in"
mkfifo "$W/in"
env FILTER_SMIME_MASTER_KEY="$mk" "$PROD" -j 2 -k "$S" < "$W/in" \
    > "$W/env.out" 2> "$W/env.err" &
fpid=$!
exec 8> "$W/in"
{ head_lines; session 0000000000000001 alice@example.org bob@example.net
    session 0000000000000002 alice@example.org bob@example.net; } >&8
i=0
while [ "$(grep -c '|proceed$' "$W/env.out")" -lt 2 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
message 0000000000000001 "$W/env.out" > "$W/e1.eml"
openssl smime -verify -in "$W/e1.eml" -CAfile "$W/alice.pem" \
    -purpose smimesign > /dev/null 2>&1 && ok env-master-key-signs ||
    fail env-master-key-signs "$(tail -n 3 "$W/env.err")"
mkascii=$(printf %s "$mk" | od -An -tx1 | tr -d ' \n')
classify "$fpid"
n=0
for p in $fpid $workers; do
	name=loop
	[ "$p" = "$fpid" ] || { n=$((n + 1)); name=worker-$n; }
	raw=$(python3 regress/lib/memscan.py "$p" "$mk")
	text=$(python3 regress/lib/memscan.py "$p" "$mkascii")
	if tr '\0' '\n' < "/proc/$p/environ" | grep -q "^FILTER_SMIME_MASTER_KEY=$mk"; then
		fail "env-master-key-not-in-$name" "in its environment"
	elif [ "$raw" != absent ] || [ "$text" != absent ]; then
		# what was seen: the key, its hex text, or no process to read
		fail "env-master-key-not-in-$name" "key: $raw, hex text: $text (pid $p: $(cat "/proc/$p/comm" 2>&1))"
	else
		ok "env-master-key-not-in-$name"
	fi
done
# the control: the key processes have it, as the variable they were given
found=0
for p in $keys; do
	tr '\0' '\n' < "/proc/$p/environ" | grep -q "^FILTER_SMIME_MASTER_KEY=$mk" &&
	    found=$((found + 1))
done
[ $found -ge 1 ] && ok env-master-key-in-key-processes ||
    fail env-master-key-in-key-processes "in none of$keys"
exec 8>&-
wait "$fpid"
fpid=
mv "$W/master.key.away" "$S/master.key"

# ---- another process of the filter's user cannot read a key process --
# (as a worker taken over by a parser bug would try: ptrace, or
# /proc/PID/mem); run as nobody, the key processes are not dumpable
if command -v setpriv > /dev/null 2>&1; then
	chmod 755 "$W"
	chown -R nobody "$S"
	rm -f "$W/in"
	mkfifo -m 666 "$W/in"
	: > "$W/nb.out"; : > "$W/nb.err"
	chown nobody "$W/nb.out" "$W/nb.err"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$PROD" -j 1 -k "$S" < "$W/in" > "$W/nb.out" 2> "$W/nb.err" &
	fpid=$!
	exec 8> "$W/in"
	{ head_lines; session 0000000000000001 alice@example.org bob@example.net; } >&8
	i=0
	while [ "$(grep -c '|proceed$' "$W/nb.out")" -lt 1 ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	classify "$fpid"
	set -- $keys
	kp=$1
	set -- $workers
	wk=$1
	if [ -n "$kp" ] && [ -n "$wk" ] &&
	    ! setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    head -c 1 "/proc/$kp/environ" > /dev/null 2>&1 &&
	    setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    head -c 1 "/proc/$wk/environ" > /dev/null 2>&1; then
		ok key-process-not-readable-by-its-user
	else
		fail key-process-not-readable-by-its-user "key process '$kp', worker '$wk': $(ls -l /proc/$kp/environ /proc/$wk/environ 2>&1 | tr '\n' ' ')"
	fi
	exec 8>&-
	wait "$fpid"
	fpid=
	chown -R root "$S"
fi
