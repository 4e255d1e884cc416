#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Who may sign as whom, through a real smtpd with STARTTLS and AUTH
# (swaks --tls --auth): the signer table (smtpd's senders format), the
# default that a login that is an address may sign as itself, trusted
# sources without AUTH, and the From: author bound to the certificate.
# Refused at MAIL FROM or at commit by default; passed unsigned with
# not-allowed: pass, except where signing is required.  Then the
# filter alone, fed the link-auth forms of protocol 0.6 and 0.7.
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh

FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
C=$(pwd)/smimectl

ok() { echo "ok signers-$1"; }
fail() { echo "FAIL signers-$1: $2"; }

command -v swaks > /dev/null || { fail swaks "swaks missing (make deps)"; exit 0; }

h_new
S=$W/store
"$C" -k "$S" init > /dev/null
for u in alice ceo bob; do
	"$C" -k "$S" selfsign --ec P-256 "$u@example.org" > /dev/null
	"$C" -k "$S" export "$u@example.org" >> "$W/anchors.pem"
done
"$C" -k "$S" selfsign --ec P-256 boss@example.com > /dev/null
chown -R opensmtpd "$S"

# the listener's certificate, and the logins smtpd knows
openssl req -x509 -newkey rsa:2048 -nodes \
    -keyout "$W/mx.key" -out "$W/mx.crt" -days 2 -subj /CN=mx.test.example \
    > /dev/null 2>&1
chmod 600 "$W/mx.key"
pw=$(smtpctl encrypt secret)
printf 'alice %s\nbob@example.org %s\nmallory %s\n' "$pw" "$pw" "$pw" \
    > "$W/creds"
chmod 644 "$W/creds"

# the signer table: alice may use her address; mallory nothing but
# another domain; bob@example.org only himself (the default)
cat > "$W/senders" <<'EOF'
# login	identities
alice	alice@example.org
mallory	@elsewhere.example
EOF
rules() {	# rules NOT-ALLOWED
	cat <<EOF
version: 1
signers:
  table: $W/senders
  trusted:
    - source: 127.0.0.3
      as: "@example.org"
  not-allowed: $1
rules:
  # ceo's mail must be signed: never passed unsigned
  - sender: "ceo@example.org"
    no-signing-key: tempfail
EOF
}
rules refuse > "$W/refuse.yaml"
rules pass > "$W/pass.yaml"
chmod 644 "$W"/*.yaml "$W/senders"

H_CONF_EXTRA="pki mx.test.example cert \"$W/mx.crt\"
pki mx.test.example key \"$W/mx.key\"
table creds file:$W/creds"
H_LISTEN_EXTRA="tls pki mx.test.example auth-optional <creds>"

msg() {	# msg FROM-FIELD SUBJECT
	printf 'From: %s\nTo: bob@example.net\nSubject: %s\nDate: Sun, 06 Dec 2026 12:00:00 +0000\nMessage-ID: <%s.%s@example.org>\n\nwritten by whom the From: names\n' \
	    "$1" "$2" "$2" "$$"
}

# send NAME LOGIN(or -) SOURCE MAIL-FROM FROM-FIELD -> $W/NAME.swaks
send() {
	_n=$1 _l=$2 _src=$3 _mf=$4
	msg "$5" "$_n" > "$W/$_n.eml"
	if [ "$_l" = - ]; then
		set --
	else
		set -- --tls --auth PLAIN --auth-user "$_l" --auth-password secret
	fi
	swaks --server 127.0.0.1 --port "$H_PORT" --local-interface "$_src" \
	    --from "$_mf" --to bob@example.net --data "@$W/$_n.eml" \
	    --timeout 30 "$@" > "$W/$_n.swaks" 2>&1
}

# the copy that arrived with this subject, or nothing
got() {
	for f in $(h_delivered); do
		grep -q "^Subject: $1\$" "$f" && { h_strip_delivery "$f"; return 0; }
	done
	return 1
}

signed_by() {	# signed_by NAME: delivered, signed, verifies
	got "$1" > "$W/$1.got" &&
	    grep -q '^Content-Type: multipart/signed;' "$W/$1.got" &&
	    openssl smime -verify -in "$W/$1.got" -CAfile "$W/anchors.pem" \
	    -purpose any -out /dev/null > /dev/null 2>&1
}

if ! h_start "$FILTER" -v -f "$W/refuse.yaml" -k "$S"; then
	fail start "$H_WHY"
	exit 0
fi

# without AUTH: a trusted source, and one that is not
send trusted - 127.0.0.3 ceo@example.org ceo@example.org
send untrusted - 127.0.0.2 alice@example.org alice@example.org
send from-ceo - 127.0.0.3 alice@example.org 'CEO <ceo@example.org>'
send quoted - 127.0.0.3 alice@example.org '"alice@example.org" <ceo@example.org>'
send two-from - 127.0.0.3 alice@example.org 'alice@example.org, ceo@example.org'
send other-trusted - 127.0.0.3 boss@example.com boss@example.com
# a duplicate From: field: no single author
{ printf 'From: ceo@example.org\n'; msg alice@example.org dup-from; } \
    > "$W/dup-from.eml"
swaks --server 127.0.0.1 --port "$H_PORT" --local-interface 127.0.0.3 \
    --from alice@example.org --to bob@example.net --data "@$W/dup-from.eml" \
    > "$W/dup-from.swaks" 2>&1

# with AUTH, which smtpd offers after STARTTLS only.  smtpd 6.8 built
# with OpenSSL 3 (Debian 12) fails every TLS handshake ("EVP lib",
# OpenSMTPD issue 1239): there these cases cannot run, and say so; the
# link-auth forms are checked below on every platform.
send own alice 127.0.0.2 alice@example.org 'Alice <alice@example.org>'
auth=1
if grep -q 'TLS startup failed' "$W/own.swaks"; then
	auth=0
	echo "# signers.sh: smtpd $(smtpd -h 2>&1 | sed -n 's/.*OpenSMTPD \([^ ]*\).*/\1/p' | head -n 1) cannot do STARTTLS here: AUTH cases skipped"
fi
if [ $auth = 1 ]; then
	send self bob@example.org 127.0.0.2 bob@example.org bob@example.org
	send as-ceo alice 127.0.0.2 ceo@example.org 'CEO <ceo@example.org>'
	send a-from-ceo alice 127.0.0.2 alice@example.org 'CEO <ceo@example.org>'
	send other-domain mallory 127.0.0.2 alice@example.org alice@example.org
	# authenticated from the trusted source: the login decides
	send login-wins mallory 127.0.0.3 alice@example.org alice@example.org
fi

h_wait_delivered $((1 + 2 * auth)) 30 || true
sleep 1

signed=trusted
[ $auth = 1 ] && signed="$signed own self"
for n in $signed; do
	if signed_by "$n"; then ok "$n-signed"; else
		fail "$n-signed" "$(tail -n 4 "$W/$n.swaks" | tr '\n' ' ')"; fi
done
# refused: at MAIL FROM for who sends, at DATA (commit) for the author
refused() {	# refused NAME ADDRESS STEP
	[ "$3" = . ] && _at=commit || _at=mail-from
	if got "$1" > /dev/null; then
		fail "$1-refused" "a copy was delivered"
	elif awk -v step="$3" -v want="550 5.7.1 Not allowed to sign as <$2>" '
	    /^ *[-~]> / { last = $0; sub(/^ *[-~]> /, "", last) }
	    index($0, want) { f = step == "." ? last == "." : index(last, step) == 1 }
	    END { exit !f }' "$W/$1.swaks"; then
		ok "$1-refused-at-$_at"
	else
		fail "$1-refused-at-$_at" "$(grep -E '^ *(<~|<-|->|\*\*\*)' "$W/$1.swaks" | tail -n 4 | tr '\n' ' ')"
	fi
}
refused untrusted alice@example.org 'MAIL FROM'
refused from-ceo ceo@example.org '.'
refused quoted ceo@example.org '.'
refused two-from alice@example.org '.'
refused dup-from alice@example.org '.'
refused other-trusted boss@example.com 'MAIL FROM'
if [ $auth = 1 ]; then
	refused as-ceo ceo@example.org 'MAIL FROM'
	refused a-from-ceo ceo@example.org '.'
	refused other-domain alice@example.org 'MAIL FROM'
	refused login-wins alice@example.org 'MAIL FROM'
	# the log names the login and the identity used
	if grep -q 'signed msgid=.* from=<alice@example.org> login=alice .*(login alice)' "$W/smtpd.log"; then
		ok log-names-login
	else
		fail log-names-login "$(grep ' signed msgid=' "$W/smtpd.log" | head -n 2)"
	fi
fi
if grep -q 'signed msgid=.* from=<ceo@example.org> .*(trusted source 127.0.0.3)' "$W/smtpd.log"; then
	ok log-names-source
else
	fail log-names-source "$(grep ' signed msgid=' "$W/smtpd.log" | head -n 2)"
fi
n=$(h_delivered | wc -l)
[ "$n" = $((1 + 2 * auth)) ] && ok only-allowed-delivered ||
    fail only-allowed-delivered "$n copies"
h_health || fail health "$H_WHY"
h_stop

# ---- not-allowed: pass: delivered unsigned, said in the log --------------
O=$W
h_new
cp "$O"/mx.crt "$O"/mx.key "$O"/creds "$O"/senders "$W/"
sed "s|$O|$W|g" "$O/pass.yaml" > "$W/pass.yaml"
chmod 644 "$W/pass.yaml" "$W/senders" "$W/creds"
chmod 600 "$W/mx.key"
cp "$O/anchors.pem" "$W/"
S=$O/store
H_CONF_EXTRA="pki mx.test.example cert \"$W/mx.crt\"
pki mx.test.example key \"$W/mx.key\"
table creds file:$W/creds"
if ! h_start "$FILTER" -v -f "$W/pass.yaml" -k "$S"; then
	fail start-pass "$H_WHY"
	exit 0
fi
send p-from-other - 127.0.0.3 alice@example.org 'Bob <bob@example.org>'
send p-untrusted - 127.0.0.2 bob@example.org bob@example.org
send p-as-ceo - 127.0.0.2 ceo@example.org ceo@example.org
send p-own - 127.0.0.3 alice@example.org alice@example.org
h_wait_delivered 3 30 || true
sleep 1
for n in p-from-other p-untrusted; do
	if got "$n" > "$W/$n.got" && ! grep -q 'multipart/signed\|pkcs7' "$W/$n.got"; then
		ok "$n-passed-unsigned"
	else
		fail "$n-passed-unsigned" "$(head -n 5 "$W/$n.got" 2>/dev/null | tr '\n' ' ')"
	fi
done
if grep -q 'pass msgid=.* from=<bob@example.org> .*not signed: unauthenticated client 127.0.0.2:[0-9]* may not sign as this sender: <bob@example.org>' "$W/smtpd.log" &&
    grep -q 'pass msgid=.*not signed: From: is not an address of the certificate [0-9a-f]*: <bob@example.org>' "$W/smtpd.log"; then
	ok pass-logged
else
	fail pass-logged "$(grep -i 'not signed' "$W/smtpd.log" | head -n 3)"
fi
# ceo's mail is required to be signed: still refused
if grep -q '550 5.7.1 Not allowed to sign as <ceo@example.org>' "$W/p-as-ceo.swaks" &&
    ! got p-as-ceo > /dev/null; then
	ok required-still-refused
else
	fail required-still-refused "$(tail -n 4 "$W/p-as-ceo.swaks" | tr '\n' ' ')"
fi
signed_by p-own && ok pass-mode-own-signed || fail pass-mode-own-signed "not signed"
h_health || fail health-pass "$H_WHY"
h_stop

# ---- the filter alone: link-auth as protocol 0.6 and 0.7 send it ---------
F=$FILTER
# auth VERSION SID AUTH-FIELDS SENDER: one session's MAIL FROM request
auth() {
	printf 'report|%s|1|smtp-in|link-connect|%s|localhost|pass|127.0.0.2:4711|127.0.0.1:25\n' "$1" "$2"
	printf 'report|%s|1|smtp-in|link-auth|%s|%s\n' "$1" "$2" "$3"
	printf 'filter|%s|1|smtp-in|mail-from|%s|00000000000000aa|%s\n' "$1" "$2" "$4"
}
transcript() {	# transcript VERSION SMTPD-VERSION
	printf 'config|smtpd-version|%s\nconfig|ready\n' "$2"
	if [ "$1" = 0.6 ]; then
		auth 0.6 0000000000000001 'alice|pass' alice@example.org
		auth 0.6 0000000000000002 'alice|fail' alice@example.org
		auth 0.6 0000000000000003 'alice|pass' ceo@example.org
		auth 0.6 0000000000000004 'x|pass|fail' alice@example.org
		auth 0.6 0000000000000005 'bob@example.org|pass' bob@example.org
	else
		auth 0.7 0000000000000001 'pass|alice' alice@example.org
		auth 0.7 0000000000000002 'fail|alice' alice@example.org
		auth 0.7 0000000000000003 'pass|alice' ceo@example.org
		auth 0.7 0000000000000004 'fail|x|pass' alice@example.org
		auth 0.7 0000000000000005 'pass|bob@example.org' bob@example.org
	fi
}
for v in 0.6 0.7; do
	[ $v = 0.6 ] && sv=6.8.0p2 || sv=7.6.0p1
	transcript $v $sv | "$F" -j 0 -f "$O/refuse.yaml" -k "$S" \
	    > "$W/t$v.out" 2> "$W/t$v.err"
	want='0000000000000001 proceed
0000000000000002 reject
0000000000000003 reject
0000000000000004 reject
0000000000000005 proceed'
	have=$(sed -n 's/^filter-result|\([0-9a-f]*\)|00000000000000aa|\([a-z]*\).*/\1 \2/p' "$W/t$v.out")
	if [ "$have" = "$want" ]; then
		ok "link-auth-$v"
	else
		fail "link-auth-$v" "$(echo $have) $(tail -n 2 "$W/t$v.err")"
	fi
	if grep -q '|reject|550 5.7.1 Not allowed to sign as <ceo@example.org>$' "$W/t$v.out"; then
		ok "link-auth-$v-reply"
	else
		fail "link-auth-$v-reply" "$(grep 0000000000000003 "$W/t$v.out")"
	fi
done

# ---- pipe mode and -c: the client from -u and -i ------------------------
msg alice@example.org pipe > "$W/pipe.eml"
msg 'CEO <ceo@example.org>' pipe-ceo > "$W/pipe-ceo.eml"
pipe() {	# pipe NAME WANT-RC [args...] < message
	_n=$1 _w=$2
	shift 2
	"$F" -p -f "$O/refuse.yaml" -k "$S" "$@" -r bob@example.net \
	    > "$W/$_n.out" 2> "$W/$_n.err"
	_rc=$?
	if [ $_rc = "$_w" ] && { [ $_w != 0 ] || grep -q multipart/signed "$W/$_n.out"; } &&
	    { [ $_w = 0 ] || [ ! -s "$W/$_n.out" ]; }; then
		ok "pipe-$_n"
	else
		fail "pipe-$_n" "rc=$_rc $(tail -n 2 "$W/$_n.err" | tr '\n' ' ')"
	fi
}
pipe login-own 0 -u alice -s alice@example.org < "$W/pipe.eml"
pipe login-other 77 -u mallory -s alice@example.org < "$W/pipe.eml"
pipe no-login-untrusted 77 -u '' -i 127.0.0.2 -s alice@example.org < "$W/pipe.eml"
pipe trusted 0 -i 127.0.0.3 -s alice@example.org < "$W/pipe.eml"
pipe local-not-trusted 77 -i '' -s alice@example.org < "$W/pipe.eml"
# no -u, no -i: the caller's own; the author must still be the signer
pipe caller-own 0 -s alice@example.org < "$W/pipe.eml"
pipe caller-from-other 77 -s alice@example.org < "$W/pipe-ceo.eml"
if grep -q 'Not allowed to sign as <ceo@example.org>' "$W/caller-from-other.err"; then
	ok pipe-caller-from-other-reason
else
	fail pipe-caller-from-other-reason "$(cat "$W/caller-from-other.err")"
fi
out=$("$F" -c -f "$O/refuse.yaml" -k "$S" -u mallory -s alice@example.org)
rc=$?
[ $rc = 77 ] && [ "$out" = bounce ] && ok check-login-bounce ||
    fail check-login-bounce "rc=$rc out=$out"
out=$("$F" -c -f "$O/refuse.yaml" -k "$S" -u alice -s alice@example.org)
rc=$?
[ $rc = 0 ] && [ "$out" = ok ] && ok check-login-ok || fail check-login-ok "rc=$rc out=$out"
exit 0
