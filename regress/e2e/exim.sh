#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# End-to-end with a real Exim 4.96 (Debian's binary, unpacked by make deps,
# never installed): filter-smime as the transport_filter of an smtp
# transport (max_rcpt = 1, sender through an untainted lsearch ret=key
# lookup, -r $pipe_addresses) relaying to a loopback sink, and as a
# ${run} check in acl_smtp_rcpt.  The configuration is the README's Exim
# snippets with this instance's paths.  Signed mail verifies (openssl,
# gpgsm); two encrypted recipients get two copies each only their own key
# opens; a recipient without a certificate is refused at RCPT with 5.7.1;
# an expired signing certificate and a filter past its deadline defer
# (message still queued); DKIM on the same transport signs the S/MIME
# output; a bounce (null sender) is not signed; nothing the filter logs
# ends up in the mail.
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh
. regress/lib/gpgsm.sh
. regress/lib/exim.sh
. regress/interop/pki.sh

FILTER=${FILTER:-./filter-smime}
[ -x "$FILTER" ] || FILTER=obj/asan/filter-smime
C=$(pwd)/smimectl

ok() { echo "ok exim-$1"; }
fail() { echo "FAIL exim-$1: $2"; }

h_new
# README: the Exim section shows the very snippets this test runs
for s in main acl router transport inbound mailbox; do
	"ex_snippet_$s" | sed 's/^/    /; s/ *$//' > "$W/snippet"
	if python3 - "$W/snippet" README <<'EOF'
import sys
sys.exit(0 if open(sys.argv[1]).read() in open(sys.argv[2]).read() else 1)
EOF
	then ok "readme-snippet-$s"; else fail "readme-snippet-$s" "README lacks it"; fi
done

if ! ex_available; then
	fail available "$EX_WHY"
	exit 0
fi
ex_install_filter "$FILTER"
# the ASan build needs its runtime environment; the release build not
P=$W/pki
pki_make "$P" > /dev/null 2>&1 || { fail pki "cannot make the test PKI"; exit 0; }
S=$W/keystore
"$C" -k "$S" init > /dev/null
"$C" -k "$S" selfsign --rsa 2048 alice@example.org > /dev/null
"$C" -k "$S" selfsign --days 1 --rsa 2048 old@example.org > "$W/oldfp"
"$C" -k "$S" export alice@example.org > "$W/alice.pem"
"$C" -k "$S" import "$P/bob.pem" > /dev/null
"$C" -k "$S" import "$P/ecbob.pem" > /dev/null
# old@example.org's only identity expired (its validity in the index)
awk -F'\t' -v OFS='\t' -v fp="$(cat "$W/oldfp")" \
    'NR > 1 && $2 == fp { $7 = 1577836800; $8 = 1580515200 } { print }' \
    "$S/index" > "$S/index.new" && mv "$S/index.new" "$S/index"
chmod 600 "$S/index"
cat > "$W/rules.yaml" <<YAML
version: 1
authserv-id: gw.example.org
signers:
  table: $W/signers
  # this test's clients without AUTH, on loopback
  trusted: [127.0.0.1]
rules:
  - recipient: "*@example.net"
    encrypt: required
    key-missing: bounce
  - recipient: "*@drop.example"
    encrypt: required
    key-missing: drop
exceptions:
  headers:
    # triple wrapping, asked for by the subject (this test only)
    - header: Subject
      contains: "triple-"
      action: triple
YAML
printf '%s\n' alice@example.org old@example.org > "$W/senders"
# the signer table: alice may sign as herself, mallory elsewhere only
printf 'alice\talice@example.org\nmallory\t@elsewhere.example\n' > "$W/signers"
printf '%s\n' alice > "$W/mailboxes"
"$C" -k "$S" anchor import "$P/root.pem" > /dev/null
openssl genrsa -out "$W/dkim.key" 2048 2> /dev/null
openssl rsa -in "$W/dkim.key" -pubout -out "$W/dkim.pub" 2> /dev/null
# the filter runs as the Exim user: it must read all of it
chown -R "$EX_USER" "$S" "$W/rules.yaml" "$W/senders" "$W/signers" \
    "$W/mailboxes" "$W/dkim.key"
chmod 600 "$W/dkim.key"

# test-only: mail for slow.example goes through a filter whose input is
# held back past its 1 s deadline (-t 1); the wrapper records the
# filter's exit status and run time
cat > "$W/bin/slow-filter" <<EOF
#!/bin/sh
{ sleep 3; cat; } 2> /dev/null | {
	s=\$(date +%s)
	$EX_FILTER "\$@"
	rc=\$?
	echo "\$rc \$(( \$(date +%s) - s ))" > $W/slow/rc
	exit \$rc
}
EOF
chmod 755 "$W/bin/slow-filter"
mkdir -p "$W/slow"
chown "$EX_USER" "$W/slow"
EX_ROUTER_EXTRA="slow:
  driver = manualroute
  domains = slow.example
  transport = smime_slow
  route_list = * 127.0.0.1 byname
  self = send
  no_more
"
EX_TRANSPORT_EXTRA="smime_slow:
  driver = smtp
  max_rcpt = 1
  transport_filter = $W/bin/slow-filter -e -p -t 1 -k $S \\
      -s \"\${lookup{\$sender_address}lsearch,ret=key{$W/senders}}\" \\
      -r \$pipe_addresses
  transport_filter_timeout = 2m
  port = @SINK_PORT@
  allow_localhost
  hosts_avoid_tls = *
"

# test-only: AUTH PLAIN for alice and mallory (no TLS on loopback)
EX_AUTH_EXTRA="plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and {{inlist{\$auth2}{alice:mallory}}{eq{\$auth3}{secret}}}}
  server_set_id = \$auth2
"

if ! ex_start; then
	fail start "$EX_WHY"
	exit 0
fi

msg() {	# msg FROM TO SUBJECT
	printf 'From: %s\nTo: %s\nSubject: %s\nDate: Wed, 25 Nov 2026 14:00:00 +0000\nMessage-ID: <%s.%s@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nHello,\n\nthrough Exim: grüße, %s.\n.line with a dot\n' \
	    "$1" "$2" "$3" "$3" "$$" "$3"
}
send() {	# send FROM TO SUBJECT (TO: comma-separated) -> $W/swaks.out
	msg "$1" "$2" "$3" > "$W/$3.eml"
	swaks --server "127.0.0.1:$EX_PORT" --helo client.example \
	    --from "$1" --to "$2" --data "@$W/$3.eml" > "$W/swaks.out" 2>&1
}
# the sink's copy with SUBJECT for RCPT (the last one wins)
got() {
	_f=""
	for f in $(ex_sink_files); do
		tr -d '\r' < "$f" | grep -q "^Subject: $1\$" || continue
		n=${f%.eml}
		grep -qi "RCPT TO:<$2>" "$n.env" && _f=$f
	done
	[ -n "$_f" ] && cat "$_f"
}
queued() {	# queued SUBJECT: its Exim id if still in the queue
	id=$(grep -l " Subject: $1\$" "$W/spool/input/"*-H 2>/dev/null |
	    head -n 1 | xargs -r basename | sed 's/-H$//')
	[ -n "$id" ] && ex_exim -bp 2>/dev/null | grep -q "$id" && echo "$id"
}

# ---- signing: openssl and gpgsm verify what arrived ---------------------
send alice@example.org carol@example.com signed ||
    fail signed-send "$(tail -n 3 "$W/swaks.out")"
ex_wait_sink 1 20
got signed carol@example.com | tr -d '\r' > "$W/got-signed"
if grep -q '^Content-Type: multipart/signed; protocol="application/pkcs7-signature";' "$W/got-signed" &&
    openssl smime -verify -in "$W/got-signed" -CAfile "$W/alice.pem" \
    -purpose smimesign -out "$W/inner-signed" 2> "$W/v.err" &&
    grep -q 'gr=C3=BC=C3=9Fe, signed' "$W/inner-signed"; then
	ok signed-openssl-verifies
else
	fail signed-openssl-verifies "$(head -c 300 "$W/v.err"; head -n 5 "$W/got-signed")"
fi
# Exim adds the CR itself: CR CR LF would mean the filter wrote CRLF
got signed carol@example.com > "$W/raw-signed"
if [ -s "$W/raw-signed" ] && ! grep -q "$(printf '\r\r')" "$W/raw-signed"; then
	ok signed-no-cr-cr-lf
else
	fail signed-no-cr-cr-lf "empty or CR CR LF on the wire"
fi
if grep -q '^Received: .*' "$W/got-signed" && grep -q '^	id [0-9A-Za-z-]*$' "$W/got-signed" &&
    ! grep -q 'filter-smime' "$W/got-signed"; then
	ok signed-no-diagnostics-in-mail
else
	fail signed-no-diagnostics-in-mail "$(grep filter-smime "$W/got-signed")"
fi
if command -v gpgsm > /dev/null 2>&1; then
	mkdir "$W/gv"
	if gpgsm_verify_mime "$W/got-signed" "$W/alice.pem" "$W/gv"; then
		ok signed-gpgsm-verifies
	else
		fail signed-gpgsm-verifies "gpgsm did not report a good signature"
	fi
fi

# ---- DKIM on the same transport signs the S/MIME output -----------------
if grep -q '^DKIM-Signature: v=1; a=rsa-sha256; q=dns/txt; c=relaxed/relaxed; d=example.org' "$W/got-signed"; then
	ok dkim-signature-present
else
	fail dkim-signature-present "$(head -n 3 "$W/got-signed")"
fi
# the body hash and the signature over the signed headers (relaxed/relaxed)
if python3 - "$W/raw-signed" "$W/dkim.pub" > "$W/dkim.out" 2>&1 <<'EOF'
import base64, hashlib, re, subprocess, sys, tempfile
raw = open(sys.argv[1], "rb").read()
head, body = raw.split(b"\r\n\r\n", 1)
hdrs = []
for line in head.split(b"\r\n"):
    if line[:1] in (b" ", b"\t"):
        hdrs[-1] += b"\r\n" + line
    else:
        hdrs.append(line)
def relax_h(h):
    name, val = h.split(b":", 1)
    val = re.sub(rb"[ \t]+", b" ", re.sub(rb"\r\n", b"", val)).strip()
    return name.strip().lower() + b":" + val
sig = [h for h in hdrs if h.lower().startswith(b"dkim-signature:")][0]
tags = dict((k.strip(), v) for k, v in (t.split(b"=", 1) for t in
    re.sub(rb"\s+", b"", sig.split(b":", 1)[1]).split(b";") if b"=" in t))
lines = [re.sub(rb"[ \t]+", b" ", l).rstrip(b" ") for l in body.split(b"\r\n")]
canon = b"\r\n".join(lines).rstrip(b"\r\n")
canon = canon + b"\r\n" if canon else b""
bh = base64.b64encode(hashlib.sha256(canon).digest())
if bh != tags[b"bh"]:
    sys.exit("bh mismatch")
# headers in h=, each taken bottom-up once
used = {}
data = b""
for name in tags[b"h"].split(b":"):
    cands = [h for h in hdrs if h.split(b":", 1)[0].strip().lower() == name.lower()]
    k = used.get(name.lower(), 0)
    if k < len(cands):
        data += relax_h(cands[len(cands) - 1 - k]) + b"\r\n"
        used[name.lower()] = k + 1
nob = re.sub(rb"(b=)[^;]*", rb"\1", sig.split(b":", 1)[1])
data += relax_h(b"dkim-signature:" + nob)
with tempfile.NamedTemporaryFile() as d, tempfile.NamedTemporaryFile() as s:
    d.write(data); d.flush()
    s.write(base64.b64decode(tags[b"b"])); s.flush()
    r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", sys.argv[2],
        "-signature", s.name, d.name], capture_output=True)
    sys.exit(0 if r.returncode == 0 else "signature does not verify")
EOF
then
	ok dkim-verifies-over-smime-output
else
	fail dkim-verifies-over-smime-output "$(cat "$W/dkim.out")"
fi

# ---- encryption: two recipients, two copies, each for its own key -------
send alice@example.org bob@example.net,ecbob@example.net two ||
    fail two-send "$(tail -n 3 "$W/swaks.out")"
ex_wait_sink 3 20
n=0
for f in $(ex_sink_files); do
	tr -d '\r' < "$f" | grep -q '^Subject: two$' && n=$((n + 1))
done
[ "$n" = 2 ] && ok two-recipients-two-messages || fail two-recipients-two-messages "$n copies"
for r in bob ecbob; do
	other=ecbob; [ $r = ecbob ] && other=bob
	got two "$r@example.net" | tr -d '\r' > "$W/c-$r"
	if openssl cms -decrypt -in "$W/c-$r" -recip "$P/$r.pem" -inkey "$P/$r.key" \
	    -out "$W/dec-$r" 2> "$W/err" &&
	    openssl smime -verify -in "$W/dec-$r" -CAfile "$W/alice.pem" \
	    -purpose smimesign -out "$W/inner-$r" 2>> "$W/err" &&
	    grep -q 'gr=C3=BC=C3=9Fe, two' "$W/inner-$r"; then
		ok "two-$r-decrypts-and-verifies"
	else
		fail "two-$r-decrypts-and-verifies" "$(head -c 300 "$W/err")"
	fi
	if openssl cms -decrypt -in "$W/c-$r" -recip "$P/$other.pem" \
	    -inkey "$P/$other.key" -out /dev/null 2> /dev/null; then
		fail "two-$r-not-for-$other" "$other's key opens $r's copy"
	else
		ok "two-$r-not-for-$other"
	fi
done

# ---- RCPT time: no certificate and key-missing: bounce ------------------
send alice@example.org dave@example.net nocert
# Exim folds the long text over several 550 lines
reply=$(sed -n 's/^<\*\* *550[- ]//p' "$W/swaks.out" | tr '\n' ' ')
if [ "$reply" = "5.7.1 No S/MIME certificate for this recipient, and policy requires encryption " ]; then
	ok rcpt-no-cert-550-5.7.1
else
	fail rcpt-no-cert-550-5.7.1 "$reply"
fi
# the check itself, as ${run} calls it
out=$(su -s /bin/sh "$EX_USER" -c "$EX_FILTER -e -c -f $W/rules.yaml -k $S -s alice@example.org -r dave@example.net")
rc=$?
[ "$rc" = 77 ] && [ "$out" = bounce ] && ok check-mode-bounce-77 ||
    fail check-mode-bounce-77 "rc=$rc out=$out"
out=$(su -s /bin/sh "$EX_USER" -c "$EX_FILTER -e -c -f $W/rules.yaml -k $S -s '' -r bob@example.net")
rc=$?
[ "$rc" = 0 ] && [ "$out" = ok ] && ok check-mode-ok-0 || fail check-mode-ok-0 "rc=$rc out=$out"

# ---- a bounce (null sender) is passed unsigned --------------------------
send '<>' carol@example.com bounce || fail bounce-send "$(tail -n 3 "$W/swaks.out")"
ex_wait_sink 4 20
got bounce carol@example.com | tr -d '\r' > "$W/got-bounce"
if grep -q '^Subject: bounce$' "$W/got-bounce" &&
    grep -q '^Content-Type: text/plain' "$W/got-bounce"; then
	ok null-sender-not-signed
else
	fail null-sender-not-signed "$(grep -i '^content-type' "$W/got-bounce")"
fi

# ---- expired signing certificate: deferred, still queued ----------------
send old@example.org carol@example.com expired || fail expired-send "$(tail -n 3 "$W/swaks.out")"
if ex_wait_log '== carol@example.com R=smime_remote T=smime_smtp defer .*transport filter process failed \(75\)' 20 &&
    [ -n "$(queued expired)" ]; then
	ok expired-deferred-75-still-queued
else
	fail expired-deferred-75-still-queued "$(tail -n 3 "$W/log/mainlog")"
fi

# ---- the filter's own deadline: defers long before Exim's timeout --------
t0=$(date +%s)
send alice@example.org x@slow.example slow || fail slow-send "$(tail -n 3 "$W/swaks.out")"
if ex_wait_log '== x@slow.example R=slow T=smime_slow defer .*transport filter process failed \(75\)' 30 &&
    [ -n "$(queued slow)" ]; then
	ok deadline-deferred-75-still-queued
else
	fail deadline-deferred-75-still-queued "$(tail -n 3 "$W/log/mainlog")"
fi
read -r src secs < "$W/slow/rc" 2> /dev/null || src=none
if [ "$src" = 75 ] && [ "${secs:-9}" -le 2 ] && [ $(( $(date +%s) - t0 )) -lt 30 ]; then
	ok deadline-exit-75-in-time
else
	fail deadline-exit-75-in-time "filter rc=$src after ${secs:-?} s"
fi

# ---- inbound: local delivery verifies and adds Authentication-Results ----
printf 'Content-Type: text/plain; charset=us-ascii\n\nInbound through Exim.\n' > "$W/body"
openssl cms -sign -in "$W/body" -signer "$P/rsa.pem" -inkey "$P/rsa.key" \
    -certfile "$P/chain.pem" > "$W/in.ent" 2> /dev/null
{
	printf 'From: <rsa@example.org>\nTo: alice@gw.example.org\nSubject: inbound\n'
	printf 'Date: Wed, 25 Nov 2026 14:00:00 +0000\nMessage-ID: <inbound@example.org>\n'
	cat "$W/in.ent"
} > "$W/inbound.eml"
swaks --server "127.0.0.1:$EX_PORT" --helo client.example --from rsa@example.org \
    --to alice@gw.example.org --data "@$W/inbound.eml" > "$W/swaks.out" 2>&1 ||
    fail inbound-send "$(tail -n 3 "$W/swaks.out")"
ex_wait_log '=> alice <alice@gw.example.org> R=smime_inbound T=smime_mailbox' 20
ar=$(awk '/^Authentication-Results: gw.example.org;/ { on = 1; print; next }
    on && /^[ \t]/ { print; next } { on = 0 }' "$W/mail/alice" 2> /dev/null | tr '\n\t' '  ')
if case "$ar" in *"smime=pass "*"smime-identifier=rsa@example.org"*) true ;; *) false ;; esac &&
    ! grep -q '^filter-smime' "$W/mail/alice"; then
	ok inbound-verified-authentication-results
else
	fail inbound-verified-authentication-results "$ar $(tail -n 2 "$W/log/mainlog")"
fi

# ---- -e logs to syslog only, with the Exim id and the recipient -------
# (a private /dev/log in a mount namespace; skipped without unshare)
got signed carol@example.com | tr -d '\r' | sed '/^DKIM-Signature:/,/^[^ \t]/{/^DKIM-Signature:/d;/^[ \t]/d}' |
    sed -n '/^Received:/,$p' | sed '/^MIME-Version/,$d' > "$W/exim-in.eml"
printf 'MIME-Version: 1.0\nContent-Type: text/plain\n\nhello\n' >> "$W/exim-in.eml"
xid=$(sed -n 's/^	id \([0-9A-Za-z-]*\)$/\1/p' "$W/exim-in.eml" | head -n 1)
ex_syslog "$W/syslog" "$EX_FILTER" -e -p -k "$S" -s old@example.org -r carol@example.com \
    < "$W/exim-in.eml" > "$W/sl.out" 2> "$W/sl.err"
case $? in
2)	echo "# no private /dev/log (unshare): syslog checks skipped" ;;
*)	if grep -q '^rc=75$' "$W/sl.out" && [ "$(grep -vc '^rc=' "$W/sl.out")" = 0 ] &&
	    [ ! -s "$W/sl.err" ] && [ -n "$xid" ] &&
	    grep -q "^<[0-9]*>.*filter-smime\[[0-9]*\]: id=$xid rcpt=carol@example.com: tempfail: .*S/MIME certificate is expired" "$W/syslog"; then
		ok syslog-expired-line-with-exim-id
	else
		fail syslog-expired-line-with-exim-id "id=$xid $(cat "$W/sl.out" "$W/sl.err" "$W/syslog" 2>/dev/null | head -n 4)"
	fi
	ex_syslog "$W/syslog2" sh -c "sleep 3 | $EX_FILTER -e -p -t 1 -k $S -s alice@example.org -r x@slow.example" \
	    > "$W/sl.out" 2> "$W/sl.err"
	if grep -q '^rc=75$' "$W/sl.out" && [ ! -s "$W/sl.err" ] &&
	    grep -q 'filter-smime\[[0-9]*\]: rcpt=x@slow.example: deadline of 1 s reached, exiting 75' "$W/syslog2"; then
		ok syslog-deadline-line
	else
		fail syslog-deadline-line "$(cat "$W/sl.out" "$W/sl.err" "$W/syslog2" 2>/dev/null | head -n 4)"
	fi
	;;
esac

# ---- who may sign as whom: the AUTH login ($authenticated_id) ----------
# alice as herself: signed, the login through the signer table (-u)
asend() {	# asend LOGIN MAIL-FROM FROM-FIELD SUBJECT -> $W/SUBJECT.swaks
	msg "$3" carol@example.com "$4" > "$W/$4.eml"
	swaks --server "127.0.0.1:$EX_PORT" --helo client.example \
	    --auth PLAIN --auth-user "$1" --auth-password secret \
	    --from "$2" --to carol@example.com --data "@$W/$4.eml" \
	    > "$W/$4.swaks" 2>&1
}
n0=$(ex_sink_files | wc -l)
asend alice alice@example.org alice@example.org auth-own
ex_wait_sink $((n0 + 1)) 20
got auth-own carol@example.com | tr -d '\r' > "$W/got-auth-own"
if grep -q '^Content-Type: multipart/signed;' "$W/got-auth-own" &&
    openssl smime -verify -in "$W/got-auth-own" -CAfile "$W/alice.pem" \
    -purpose smimesign -out /dev/null 2> /dev/null; then
	ok auth-login-signed
else
	fail auth-login-signed "$(tail -n 3 "$W/auth-own.swaks"; head -n 3 "$W/got-auth-own")"
fi
# mallory as alice: 550 at MAIL FROM (acl_smtp_mail, -c -u), not queued
asend mallory alice@example.org alice@example.org auth-as-alice
if grep -q '<\*\{0,2\} *550 5.7.1 Not allowed to sign as <alice@example.org>' "$W/auth-as-alice.swaks" &&
    [ -z "$(queued auth-as-alice)" ]; then
	ok auth-mail-from-refused
else
	fail auth-mail-from-refused "$(grep -E '^ *(<~|<-|<\*\*)' "$W/auth-as-alice.swaks" | tail -n 3 | tr '\n' ' ')"
fi
# alice with another author in From:: the transport refuses to sign, and
# under Exim a transport filter can only defer (75): it stays queued
nd=$(grep -c 'T=smime_smtp defer .*transport filter process failed (75)' "$W/log/mainlog")
asend alice alice@example.org 'Mallory <mallory@elsewhere.example>' auth-from-other
i=0
while [ "$(grep -c 'T=smime_smtp defer .*transport filter process failed (75)' "$W/log/mainlog")" -le "$nd" ] &&
    [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ -n "$(queued auth-from-other)" ] && [ -z "$(got auth-from-other carol@example.com)" ]; then
	ok auth-from-mismatch-deferred-not-signed
else
	fail auth-from-mismatch-deferred-not-signed "$(tail -n 3 "$W/log/mainlog")"
fi

# ---- triple wrapping through the transport: every layer --------------
n0=$(ex_sink_files | wc -l)
send alice@example.org bob@example.net triple-exim ||
    fail triple-send "$(tail -n 3 "$W/swaks.out")"
ex_wait_sink $((n0 + 1)) 20
got triple-exim bob@example.net | tr -d '\r' > "$W/c-triple"
if grep -q '^Content-Type: multipart/signed;' "$W/c-triple" &&
    openssl smime -verify -in "$W/c-triple" -CAfile "$W/alice.pem" \
    -purpose smimesign -out "$W/env-triple" 2> "$W/err" &&
    openssl cms -decrypt -in "$W/env-triple" -recip "$P/bob.pem" \
    -inkey "$P/bob.key" -out "$W/dec-triple" 2>> "$W/err" &&
    openssl smime -verify -in "$W/dec-triple" -CAfile "$W/alice.pem" \
    -purpose smimesign -out "$W/inner-triple" 2>> "$W/err" &&
    grep -q 'gr=C3=BC=C3=9Fe, triple-exim' "$W/inner-triple"; then
	ok triple-every-layer
else
	fail triple-every-layer "$(head -c 300 "$W/err"; head -n 3 "$W/c-triple")"
fi

# ---- key-missing: drop: the ACL discards, the other recipient gets it --
n0=$(ex_sink_files | wc -l)
send alice@example.org bob@example.net,dave@drop.example dropped ||
    fail drop-send "$(tail -n 3 "$W/swaks.out")"
ex_wait_sink $((n0 + 1)) 20
sleep 3		# a copy for dave, or a bounce to alice, would come now
n=0
for f in $(ex_sink_files); do
	tr -d '\r' < "$f" | grep -q '^Subject: dropped$' && n=$((n + 1))
done
bounces=$(grep -c 'R=.* <= <>' "$W/log/mainlog")
got dropped bob@example.net | tr -d '\r' > "$W/c-dropped"
# dave's RCPT got a 250: the sender is not told
if [ "$n" = 1 ] && [ -z "$(got dropped dave@drop.example)" ] &&
    awk '/-> RCPT TO:<dave@drop.example>/ { r = 1; next }
        r && /<- / { exit !/<- +250 / } END { if (!r) exit 1 }' "$W/swaks.out" &&
    openssl cms -decrypt -in "$W/c-dropped" -recip "$P/bob.pem" \
    -inkey "$P/bob.key" -out /dev/null 2> /dev/null &&
    ! grep -q '<= <> .*dropped\|Mail delivery failed' "$W/log/mainlog"; then
	ok drop-discarded-other-encrypted
else
	fail drop-discarded-other-encrypted "$n copies, bounces=$bounces"
fi
if grep -q 'no S/MIME certificate, dropped (key-missing: drop)' "$W/log/mainlog" &&
    grep -q 'dave@drop.example' "$W/log/mainlog"; then
	ok drop-logged
else
	fail drop-logged "$(grep -i drop "$W/log/mainlog" | tail -n 2)"
fi

if grep -q 'Tainted arg' "$W/log/mainlog"; then
	fail no-taint-errors "$(grep 'Tainted' "$W/log/mainlog" | head -n 2)"
else
	ok no-taint-errors
fi
if h_alive "$EX_PID"; then ok exim-alive; else fail exim-alive "daemon gone"; fi
ex_stop
exit 0
