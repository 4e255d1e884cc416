#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# key-missing: drop through a real smtpd: encryption is required, one of
# two recipients has no certificate.  The filter rewrites that recipient
# at RCPT TO to drop-to, which smtpd.conf sends to a discarding action
# (the README's lines); the other recipient gets the message encrypted,
# nothing reaches the dropped one, the sender gets no bounce and the log
# names the dropped recipient.
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh
. regress/interop/pki.sh

FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
C=$(pwd)/smimectl

ok() { echo "ok drop-$1"; }
fail() { echo "FAIL drop-$1: $2"; }

# the README's smtpd.conf lines for drop-to, verbatim
drop_conf() {
	cat <<'EOF'
action "discard" mda "cat > /dev/null"
match from any for rcpt-to dropped@localhost action "discard"
EOF
}
drop_conf | sed 's/^/    /' > "$H_TMP/drop-snippet.$$"
if python3 - "$H_TMP/drop-snippet.$$" README <<'EOF'
import sys
sys.exit(0 if open(sys.argv[1]).read() in open(sys.argv[2]).read() else 1)
EOF
then ok readme-snippet; else fail readme-snippet "README lacks the smtpd.conf lines"; fi
rm -f "$H_TMP/drop-snippet.$$"

h_new
P=$W/pki
pki_make "$P" > /dev/null 2>&1 || { fail pki "cannot make the test PKI"; exit 0; }
S=$W/store
"$C" -k "$S" init > /dev/null
"$C" -k "$S" selfsign --rsa 2048 alice@example.org > /dev/null
"$C" -k "$S" import "$P/bob.pem" > /dev/null
cat > "$W/rules.yaml" <<'YAML'
version: 1
signers:
  trusted: [127.0.0.1]
drop-to: dropped@localhost
rules:
  - recipient: "*@example.net"
    encrypt: required
    key-missing: drop
YAML
chown -R opensmtpd "$S"
chmod 644 "$W/rules.yaml"
H_CONF_EXTRA=$(drop_conf)
if ! h_start "$FILTER" -v -f "$W/rules.yaml" -k "$S"; then
	fail start "$H_WHY"
	exit 0
fi

printf 'From: alice@example.org\nTo: bob@example.net, dave@example.net\nSubject: two\nDate: Sun, 06 Dec 2026 12:00:00 +0000\nMessage-ID: <drop.%s@example.org>\n\nfor bob and dave\n' "$$" \
    > "$W/m.eml"
if h_send --from alice@example.org --to bob@example.net \
    --to dave@example.net --file "$W/m.eml" > "$W/reply" 2>&1; then
	ok accepted
else
	fail accepted "$(cat "$W/reply")"
fi
h_wait_delivered 1 30 || fail delivered "$H_WHY"
sleep 3		# time for a bounce or a second copy, if any came
n=$(h_delivered | wc -l)
[ "$n" = 1 ] && ok one-copy-no-bounce || fail one-copy-no-bounce "$n files"
f=$(h_delivered | head -n 1)
if grep -q '^Delivered-To: bob@example.net' "$f" &&
    h_strip_delivery "$f" > "$W/got" &&
    grep -q '^Content-Type: application/pkcs7-mime; smime-type=enveloped-data' "$W/got" &&
    openssl smime -decrypt -in "$W/got" -recip "$P/bob.pem" \
    -inkey "$P/bob.key" 2> /dev/null | grep -q 'for bob and dave'; then
	ok other-gets-it-encrypted
else
	fail other-gets-it-encrypted "$(head -n 6 "$f")"
fi
if grep -l 'dave@example.net' $(h_delivered) | xargs -r grep -l '^Delivered-To: dave' > /dev/null 2>&1; then
	fail nothing-for-dropped "a copy was delivered to dave"
else
	ok nothing-for-dropped
fi
if grep -q 'drop to=<dave@example.net> at RCPT TO: no certificate, rewritten to <dropped@localhost>' "$W/smtpd.log"; then
	ok log-names-dropped
else
	fail log-names-dropped "$(grep -i 'drop' "$W/smtpd.log" | head -n 3)"
fi
if grep -q 'rcpts=1 ' "$W/smtpd.log" && grep -q 'signed+encrypted msgid=.* to 2 certificates' "$W/smtpd.log"; then
	ok encrypted-for-the-rest
else
	fail encrypted-for-the-rest "$(grep 'msgid=' "$W/smtpd.log" | tail -n 2)"
fi
h_health || fail health "$H_WHY"
h_stop

# a policy with drop but no drop-to does not load
printf 'version: 1\ndefaults:\n  key-missing: drop\n' > "$W/nodrop.yaml"
"$FILTER" -n -f "$W/nodrop.yaml" 2> "$W/e"
rc=$?
if [ $rc = 78 ] && grep -q 'nodrop.yaml:3:1: key-missing: drop needs drop-to' "$W/e"; then
	ok needs-drop-to
else
	fail needs-drop-to "rc=$rc $(cat "$W/e")"
fi
# -c answers drop, exit 3 (Exim's discard)
out=$("$FILTER" -c -f "$W/rules.yaml" -k "$S" -s alice@example.org -r dave@example.net 2>/dev/null)
rc=$?
[ $rc = 3 ] && [ "$out" = drop ] && ok check-mode-drop-3 || fail check-mode-drop-3 "rc=$rc out=$out"
out=$("$FILTER" -c -f "$W/rules.yaml" -k "$S" -s alice@example.org -r bob@example.net 2>/dev/null)
rc=$?
[ $rc = 0 ] && [ "$out" = ok ] && ok check-mode-ok || fail check-mode-ok "rc=$rc out=$out"
exit 0
