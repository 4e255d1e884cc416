#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Worker processes (-j): the filter loop hands messages to forked
# workers.  Driven through the filter protocol as smtpd drives it:
# interleaved sessions all come back signed and verifiable, each with its
# own message; a worker killed while it holds a message fails that
# message with a 451 (never a lost or truncated one) and is replaced, as
# is one that hangs past the deadline (-t); SIGHUP to the filter reaches
# the workers' rules.
set -u
cd "$(dirname "$0")/../.." || exit 1

F=${FILTER:-obj/asan/filter-smime}
[ -x "$F" ] || F=./filter-smime
C=$(pwd)/smimectl

ok() { echo "ok workers-$1"; }
fail() { echo "FAIL workers-$1: $2"; }

W=$(mktemp -d "${TMPDIR:-/tmp}/fsworkers.XXXXXX") || exit 1
trap 'kill $fpid 2>/dev/null; rm -rf "$W"' EXIT
fpid=

S=$W/store
"$C" -k "$S" init > /dev/null
"$C" -k "$S" selfsign --rsa 2048 alice@example.org > /dev/null
"$C" -k "$S" export alice@example.org > "$W/alice.pem"

head_lines() {
	echo 'config|smtpd-version|6.8.0p2'
	echo 'config|ready'
}

# session SID [SENDER]: a whole transaction whose body names its
# session, sent by SENDER (alice), logged in as that sender (the signer
# table's default)
session() {
	from=${2:-alice@example.org}
	printf 'report|0.6|1|smtp-in|link-auth|%s|%s|pass\n' "$1" "$from"
	printf 'report|0.6|1|smtp-in|tx-mail|%s|%s|ok|%s\n' "$1" "${1#????????}" "$from"
	printf 'report|0.6|1|smtp-in|tx-rcpt|%s|%s|ok|bob@example.net\n' "$1" "${1#????????}"
	for l in "From: $from" "To: bob@example.net" \
	    "Subject: session $1" "" "body of session $1"; do
		printf 'filter|0.6|1|smtp-in|data-line|%s|00000000000000aa|%s\n' "$1" "$l"
	done
	printf 'filter|0.6|1|smtp-in|data-line|%s|00000000000000aa|.\n' "$1"
	printf 'filter|0.6|1|smtp-in|commit|%s|00000000000000bb|\n' "$1"
}

# message SID OUT: the data lines the filter gave back for a session
message() {
	sed -n "s/^filter-dataline|$1|00000000000000aa|//p" "$2" | sed '$d'
}

# ---- many sessions, interleaved: each its own message, signed ----------
{
	head_lines
	# the lines of 40 sessions shuffled together, each in its order
	i=1
	while [ $i -le 40 ]; do
		session "$(printf '%016x' $i)" | awk -v s=$i '{ print s, NR, $0 }'
		i=$((i + 1))
	done | sort -k2,2n -k1,1n -s | cut -d' ' -f3-
} > "$W/many.in"
"$F" -j 2 -k "$S" < "$W/many.in" > "$W/many.out" 2> "$W/many.err"
rc=$?
[ $rc = 0 ] && ok many-exit || fail many-exit "exit $rc: $(tail -n 3 "$W/many.err")"
n=$(grep -c '|proceed$' "$W/many.out")
[ "$n" = 40 ] && ok many-all-proceed || fail many-all-proceed "$n of 40"
bad=0
i=1
while [ $i -le 40 ]; do
	sid=$(printf '%016x' $i)
	message "$sid" "$W/many.out" > "$W/m.eml"
	if ! openssl smime -verify -in "$W/m.eml" -CAfile "$W/alice.pem" \
	    -purpose smimesign 2>/dev/null | grep -q "^body of session $sid"; then
		bad=$((bad + 1))
	fi
	i=$((i + 1))
done
[ $bad = 0 ] && ok many-each-own-message-verifies ||
    fail many-each-own-message-verifies "$bad of 40 do not"
n=$(grep -c ' signed msgid=' "$W/many.err")
[ "$n" = 40 ] && ok many-log-lines || fail many-log-lines "$n signed lines"
if grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$W/many.err"; then
	fail many-sanitizers "$(grep -m1 -E 'Sanitizer|runtime error' "$W/many.err")"
else
	ok many-sanitizers
fi

# on_fifo NAME N ARGS...: the filter reading the fifo (fd 3 writes it),
# output in $W/NAME.out and .err, $fpid; $kids: its N workers once up
on_fifo() {
	name=$1 want=$2
	shift 2
	rm -f "$W/in"
	mkfifo "$W/in"
	"$F" "$@" -k "$S" < "$W/in" > "$W/$name.out" 2> "$W/$name.err" &
	fpid=$!
	exec 3> "$W/in"
	head_lines >&3
	kids=""
	for t in 1 2 3 4 5 6 7 8 9 10; do
		kids=$(pgrep -x -P $fpid smime-worker | tr '\n' ' ')
		[ "$(echo $kids | wc -w)" -ge "$want" ] && break
		sleep 0.2
	done
}

# ---- a worker killed while it holds a message ---------------------------
# The workers are stopped, a message is handed to one of them, then both
# are killed: that message must be refused with a 451 at commit, and the
# next one signed by a replacement worker.
on_fifo kill 2 -j 2
if [ "$(echo $kids | wc -w)" -lt 2 ]; then
	fail kill-workers-started "children: '$kids'"
else
	ok kill-workers-started
fi
kill -STOP $kids 2>/dev/null
session 00000000000000a1 >&3
sleep 1
kill -KILL $kids 2>/dev/null
sleep 1
session 00000000000000a2 >&3
exec 3>&-
wait $fpid
rc=$?
fpid=
[ $rc = 0 ] && ok kill-filter-survives || fail kill-filter-survives "exit $rc"
if grep -q '^filter-result|00000000000000a1|00000000000000bb|reject|451 ' "$W/kill.out"; then
	ok kill-held-message-451
else
	fail kill-held-message-451 "$(grep '00000000000000a1|00000000000000bb' "$W/kill.out")"
fi
if [ -z "$(message 00000000000000a1 "$W/kill.out")" ]; then
	ok kill-held-message-no-partial-data
else
	fail kill-held-message-no-partial-data "data lines were written"
fi
message 00000000000000a2 "$W/kill.out" > "$W/a2.eml"
if grep -q '^filter-result|00000000000000a2|00000000000000bb|proceed$' "$W/kill.out" &&
    openssl smime -verify -in "$W/a2.eml" -CAfile "$W/alice.pem" \
    -purpose smimesign > /dev/null 2>&1; then
	ok kill-replacement-signs
else
	fail kill-replacement-signs "$(grep 00000000000000a2 "$W/kill.out" | tail -n 2)"
fi
grep -q 'worker .* ended' "$W/kill.err" && ok kill-logged ||
    fail kill-logged "$(tail -n 3 "$W/kill.err")"

# ---- a worker that hangs: stopped at the deadline (-t) -------------------
# (-j 0 with a keystore: the loop waits for its one worker, same deadline)
for j in 1 0; do
	sfx=""
	[ $j = 0 ] && sfx=-j0
	on_fifo hang 1 -j $j -t 1
	kill -STOP $kids 2>/dev/null
	session 00000000000000c1 >&3
	# the deadline is 1 s, checked about every second
	for t in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		grep -q '00000000000000c1|00000000000000bb|reject' "$W/hang.out" && break
		sleep 0.5
	done
	session 00000000000000c2 >&3
	exec 3>&-
	wait $fpid
	fpid=
	if grep -q '^filter-result|00000000000000c1|00000000000000bb|reject|451 ' "$W/hang.out" &&
	    grep -q 'message over 1 s, stopped' "$W/hang.err"; then
		ok "hang-deadline-451$sfx"
	else
		fail "hang-deadline-451$sfx" "$(grep 00000000000000c1 "$W/hang.out" | tail -n 1)"
	fi
	message 00000000000000c2 "$W/hang.out" > "$W/c2.eml"
	openssl smime -verify -in "$W/c2.eml" -CAfile "$W/alice.pem" \
	    -purpose smimesign > /dev/null 2>&1 && ok "hang-replacement-signs$sfx" ||
	    fail "hang-replacement-signs$sfx" "$(grep 00000000000000c2 "$W/hang.out" | tail -n 1)"
done

# ---- the session goes away while its message is with a worker ----------
# its answer finds no session and is dropped; the filter goes on
on_fifo gone 1 -j 1
kill -STOP $kids 2>/dev/null
session 00000000000000d1 | grep -v '|commit|' >&3
sleep 0.5
printf 'report|0.6|1|smtp-in|link-disconnect|00000000000000d1\n' >&3
sleep 0.5
kill -CONT $kids 2>/dev/null
session 00000000000000d2 >&3
exec 3>&-
wait $fpid
rc=$?
fpid=
message 00000000000000d2 "$W/gone.out" > "$W/d2.eml"
if [ $rc = 0 ] && ! grep -q '00000000000000d1|00000000000000bb' "$W/gone.out" &&
    grep -q '^filter-result|00000000000000d2|00000000000000bb|proceed$' "$W/gone.out" &&
    openssl smime -verify -in "$W/d2.eml" -CAfile "$W/alice.pem" \
    -purpose smimesign > /dev/null 2>&1; then
	ok gone-session-answer-dropped
else
	fail gone-session-answer-dropped "exit $rc: $(tail -n 2 "$W/gone.out")"
fi
if grep -qE 'AddressSanitizer|runtime error' "$W/gone.err" "$W/kill.err" \
    "$W/hang.err"; then
	fail sanitizers "$(grep -h -m1 -E 'Sanitizer|runtime error' "$W"/*.err)"
else
	ok sanitizers
fi

# ---- SIGHUP reaches the workers' rules ---------------------------------
printf 'version: 1\ndefaults:\n  signature: detached\n' > "$W/rules.yaml"
on_fifo hup 0 -j 2 -f "$W/rules.yaml"
session 00000000000000b1 >&3
sleep 1
printf 'version: 1\ndefaults:\n  signature: opaque\n' > "$W/rules.yaml"
kill -HUP $fpid
sleep 1
session 00000000000000b2 >&3
exec 3>&-
wait $fpid
fpid=
message 00000000000000b1 "$W/hup.out" > "$W/b1.eml"
message 00000000000000b2 "$W/hup.out" > "$W/b2.eml"
if grep -q '^Content-Type: multipart/signed' "$W/b1.eml" &&
    grep -q '^Content-Type: application/pkcs7-mime; smime-type=signed-data' "$W/b2.eml"; then
	ok hup-new-rules-in-workers
else
	fail hup-new-rules-in-workers "$(grep -h '^Content-Type' "$W/b1.eml" "$W/b2.eml")"
fi

# ---- each worker its own random octets ---------------------------------
# Two workers forked from one loop start with its DRBG state unless they
# reseed: the same message to the same recipient, the first job of each,
# came out byte for byte the same (one content key, IV and RSA padding
# for both: with AES-GCM, two messages under one key and nonce).
"$C" -k "$S" selfsign --rsa 2048 bob@example.net > /dev/null
printf 'version: 1\ndefaults:\n  encrypt: required\n  sign: no\n' > "$W/enc.yaml"
same() {	# same SID: a session with the same message every time
	printf 'report|0.6|1|smtp-in|tx-mail|%s|%s|ok|alice@example.org\n' "$1" "${1#????????}"
	printf 'report|0.6|1|smtp-in|tx-rcpt|%s|%s|ok|bob@example.net\n' "$1" "${1#????????}"
	for l in "From: alice@example.org" "To: bob@example.net" "Subject: same" "" "the same body"; do
		printf 'filter|0.6|1|smtp-in|data-line|%s|00000000000000aa|%s\n' "$1" "$l"
	done
	printf 'filter|0.6|1|smtp-in|data-line|%s|00000000000000aa|.\n' "$1"
	printf 'filter|0.6|1|smtp-in|commit|%s|00000000000000bb|\n' "$1"
}
{ head_lines; same 00000000000000e1; same 00000000000000e2; } |
    "$F" -j 2 -f "$W/enc.yaml" -k "$S" > "$W/rng.out" 2> "$W/rng.err"
message 00000000000000e1 "$W/rng.out" | sed '1,/^$/d' > "$W/e1.body"
message 00000000000000e2 "$W/rng.out" | sed '1,/^$/d' > "$W/e2.body"
if [ "$(grep -c '|proceed$' "$W/rng.out")" = 2 ] && [ -s "$W/e1.body" ] &&
    ! cmp -s "$W/e1.body" "$W/e2.body" &&
    [ "$(grep -c ' encrypted msgid=' "$W/rng.err")" = 2 ] &&
    [ "$(grep -o 'worker [0-9]*' "$W/rng.err" | sort -u | wc -l)" -le 2 ]; then
	ok own-random-octets
else
	fail own-random-octets "$(grep -c '|proceed$' "$W/rng.out") proceeded; the two ciphertexts are $(cmp -s "$W/e1.body" "$W/e2.body" && echo the same || echo different)"
fi

# ---- messages that ask for no key: the loop never blocks -------------
# every job grants its key process the message's keys, whether or not
# the worker asks for one; unsigned mail under -a verify asks for none.
# 600 of them (several socket buffers of grants) through one worker and
# through -j 0: all answered, none waiting on a full socket
plain() {
	printf 'report|0.6|1|smtp-in|tx-mail|%s|%s|ok|carol@outside.example\n' "$1" "${1#????????}"
	printf 'report|0.6|1|smtp-in|tx-rcpt|%s|%s|ok|alice@example.org\n' "$1" "${1#????????}"
	for l in "From: carol@outside.example" "Subject: plain" "" "no signature"; do
		printf 'filter|0.6|1|smtp-in|data-line|%s|00000000000000aa|%s\n' "$1" "$l"
	done
	printf 'filter|0.6|1|smtp-in|data-line|%s|00000000000000aa|.\n' "$1"
	printf 'filter|0.6|1|smtp-in|commit|%s|00000000000000bb|\n' "$1"
}
{ head_lines; i=1; while [ $i -le 600 ]; do plain "$(printf '%016x' $i)"; i=$((i + 1)); done; } > "$W/plain.in"
for j in 1 0; do
	timeout 120 "$F" -j $j -a verify -k "$S" < "$W/plain.in" > "$W/plain.out" 2> "$W/plain.err"
	rc=$?
	n=$(grep -c '|proceed$' "$W/plain.out")
	[ $rc = 0 ] && [ "$n" = 600 ] && ok "keyless-600-answered-j$j" ||
	    fail "keyless-600-answered-j$j" "exit $rc, $n of 600 answered: $(tail -n 1 "$W/plain.err")"
done

# ---- ECDSA with nonces made ahead (smime/ecpool.c) ---------------------
# a P-256 key: the key processes make nonces while idle and sign with
# them.  Every signature verifies, and no two share r (the nonce's
# point): not within a key process, and not between the two workers'
# key processes, forked from one parent.  With FILTER_SMIME_NO_PRESIGN
# mbedTLS makes each nonce, and the filter says nothing of nonces.
"$C" -k "$S" selfsign --ec P-256 dave@example.org > /dev/null
"$C" -k "$S" export dave@example.org > "$W/dave.pem"
# sig_r MESSAGE: r of its one ECDSA signature, in hex (the signature is
# the structure's last OCTET STRING: 30 len 02 rlen r 02 slen s)
sig_r() {
	openssl smime -pk7out -in "$1" 2>/dev/null | openssl asn1parse 2>/dev/null |
	    sed -n 's/.*OCTET STRING *\[HEX DUMP\]://p' | tail -n 1 |
	    awk '{ s = toupper($0); n = 0
		for (i = 7; i <= 8; i++) n = n * 16 + index("0123456789ABCDEF", substr(s, i, 1)) - 1
		print substr(s, 9, 2 * n) }'
}
{ head_lines; i=1; while [ $i -le 30 ]; do session "$(printf '%016x' $i)" dave@example.org; i=$((i + 1)); done; } > "$W/ec.in"
for run in j2 j0 off; do
	case $run in
	j2) env= ; jopt="-j 2" ;;
	j0) env= ; jopt="-j 0" ;;
	off) env=FILTER_SMIME_NO_PRESIGN=1 ; jopt="-j 2" ;;
	esac
	env $env "$F" -v $jopt -k "$S" < "$W/ec.in" > "$W/ec-$run.out" 2> "$W/ec-$run.err"
	bad=0
	: > "$W/ec-$run.r"
	i=1
	while [ $i -le 30 ]; do
		sid=$(printf '%016x' $i)
		message "$sid" "$W/ec-$run.out" > "$W/m.eml"
		openssl smime -verify -in "$W/m.eml" -CAfile "$W/dave.pem" \
		    -purpose smimesign 2>/dev/null | grep -q "^body of session $sid" ||
		    bad=$((bad + 1))
		sig_r "$W/m.eml" >> "$W/ec-$run.r"
		i=$((i + 1))
	done
	[ $bad = 0 ] && [ "$(grep -c '|proceed$' "$W/ec-$run.out")" = 30 ] &&
	    ok "ecdsa-$run-all-verify" || fail "ecdsa-$run-all-verify" "$bad of 30 do not verify"
	n=$(grep -c '^[0-9A-F]\{60,\}$' "$W/ec-$run.r")
	u=$(sort -u "$W/ec-$run.r" | grep -c '^[0-9A-F]\{60,\}$')
	[ "$n" = 30 ] && [ "$u" = 30 ] && ok "ecdsa-$run-no-r-twice" ||
	    fail "ecdsa-$run-no-r-twice" "$n values of r read, $u distinct"
	m=$(grep -c 'ECDSA nonces for secp256r1 made ahead' "$W/ec-$run.err")
	if [ $run = off ]; then
		[ "$m" = 0 ] && ok ecdsa-off-none-made-ahead ||
		    fail ecdsa-off-none-made-ahead "$m key processes made nonces"
	else
		[ "$m" -ge 1 ] && ok "ecdsa-$run-made-ahead" ||
		    fail "ecdsa-$run-made-ahead" "no key process made nonces"
	fi
done
exit 0
