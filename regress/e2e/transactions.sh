#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# One SMTP transaction carries one body.  A submission smtpd relays to a
# second smtpd whose listener runs the filter with per-class
# transactions and key-missing: split: the filter defers (452 4.5.3) the
# recipients treated differently from the first, smtpd queues them, and
# `smtpctl schedule all` makes it retry at once in a new transaction.
# Then per-recipient mode, bcc: skip-sign, and the RecipientInfos of an
# encrypted message with a Bcc recipient.
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh
. regress/interop/pki.sh

FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
C=$(pwd)/smimectl

ok() { echo "ok tx-$1"; }
fail() { echo "FAIL tx-$1: $2"; }

# ---- B: the relay listener with the filter -------------------------------
h_new
P=$W/pki
pki_make "$P" > /dev/null 2>&1 || { fail pki "cannot make the test PKI"; exit 0; }
S=$W/store
"$C" -k "$S" init > /dev/null
"$C" -k "$S" selfsign --rsa 2048 --usage sign alice@example.org > /dev/null
"$C" -k "$S" export alice@example.org > "$W/alice.pem"
"$C" -k "$S" import "$P/bob.pem" > /dev/null
cat > "$W/rules.yaml" <<'YAML'
version: 1
# the test's client on loopback, without AUTH, may sign
signers:
  trusted: [127.0.0.1]
defaults:
  transaction: per-class
rules:
  - recipient: "*@example.net"
    encrypt: required
    key-missing: split
YAML
chmod 644 "$W/rules.yaml"
chown -R opensmtpd "$S"
h_start "$FILTER" -v -f "$W/rules.yaml" -k "$S" || { fail start-b "$H_WHY"; exit 0; }
WB=$W PB=$H_PORT PIDB=$H_PID

# ---- A: submission, relaying everything to B ------------------------------
h_new
H_CONF_EXTRA="action \"relay\" relay host smtp://127.0.0.1:$PB
match from any for any action \"relay\""
h_start || { fail start-a "$H_WHY"; exit 0; }
WA=$W

printf 'From: alice@example.org\nTo: bob@example.net, carol@example.net\nSubject: split\nDate: Wed, 25 Nov 2026 14:00:00 +0000\nMessage-ID: <split@example.org>\n\nfor some eyes only\n' > "$W/m.eml"
h_send --from alice@example.org --to bob@example.net --to carol@example.net \
    --to dave@example.org --file "$W/m.eml" > "$W/reply" 2>&1 ||
    fail submit "$(cat "$W/reply")"

# first pass at B: one class only (smtpd picks the order of RCPTs), the
# other class deferred
W=$WB
h_wait_delivered 1 30 || fail first-pass "nothing at B: $(tail -n 5 "$WA/smtpd.log")"
sleep 2
first=$(grep -h '^Delivered-To:' $(h_delivered) | sort | tr '\n' ' ')
case "$first" in
"Delivered-To: bob@example.net "|"Delivered-To: carol@example.net Delivered-To: dave@example.org ")
	ok first-transaction-one-class ;;
*)	fail first-transaction-one-class "$first" ;;
esac
grep -q 'reject to=<.*> at RCPT TO: 452 4.5.3' "$WB/smtpd.log" &&
    ok deferred-452 || fail deferred-452 "$(grep 'RCPT TO' "$WB/smtpd.log" | head -n 3)"

# A retries now, in a new transaction: the other class.  Under load A may
# not have requeued the deferred recipients yet when it is first told to
# retry (it then waits minutes), so tell it again every 2 s.
for _try in $(seq 1 30); do
	W=$WA
	h_smtpctl schedule all > /dev/null 2>&1
	W=$WB
	h_wait_delivered 3 2 && break
done
h_wait_delivered 3 1 || fail retry "$(h_delivered | wc -l) of 3 at B"
f=$(grep -l '^Delivered-To: bob@example.net' $(h_delivered) | head -n 1)
if [ -n "$f" ] && openssl cms -decrypt -in "$f" -recip "$P/bob.pem" -inkey "$P/bob.key" 2>/dev/null |
    openssl smime -verify -CAfile "$W/alice.pem" -purpose smimesign 2>/dev/null | grep -q 'for some eyes'; then
	ok bob-encrypted-and-signed
else
	fail bob-encrypted-and-signed "$(grep Content-Type "$f" 2>/dev/null)"
fi
# bob's copy: its Received header names bob, never another recipient
awk '/^Received:/ { on = 1; print; next } on && /^[ \t]/ { print; next } { on = 0 }' "$f" > "$W/recv"
if ! grep -q -e 'carol@' -e 'dave@' "$W/recv"; then
	ok received-names-only-the-recipient
else
	fail received-names-only-the-recipient "$(cat "$W/recv")"
fi
for r in carol@example.net dave@example.org; do
	g=$(grep -l "^Delivered-To: $r" $(h_delivered) | head -n 1)
	if [ -n "$g" ] && grep -q 'multipart/signed' "$g" && ! grep -q pkcs7-mime "$g"; then
		ok "split-$r-signed-not-encrypted"
	else
		fail "split-$r-signed-not-encrypted" "$(grep Content-Type "$g" 2>/dev/null)"
	fi
done
W=$WA
h_stop
H_PID=$PIDB
W=$WB
h_health && ok filter-alive || fail filter-alive "$H_WHY"
h_stop

# ---- per-recipient mode: every RCPT after the first deferred ----------------
H_CONF_EXTRA=""
h_new
S2=$W/store
"$C" -k "$S2" init > /dev/null
"$C" -k "$S2" selfsign --rsa 2048 alice@example.org > /dev/null
printf 'version: 1\nsigners:\n  trusted: [127.0.0.1]\ndefaults:\n  transaction: per-recipient\n  bcc: skip-sign\n' > "$W/pr.yaml"
chmod 644 "$W/pr.yaml"
chown -R opensmtpd "$S2"
h_start "$FILTER" -f "$W/pr.yaml" -k "$S2" || { fail start-pr "$H_WHY"; exit 0; }
printf 'From: alice@example.org\nTo: to@example.net\nSubject: pr\n\nhello\n' > "$W/m.eml"
h_send --from alice@example.org --to to@example.net --to hidden@example.net \
    --file "$W/m.eml" > "$W/reply" 2>&1
grep -q '452.*4.5.3' "$W/reply" && ok per-recipient-second-deferred ||
    fail per-recipient-second-deferred "$(cat "$W/reply")"
h_wait_delivered 1 30
f=$(h_delivered | head -n 1)
grep -q 'multipart/signed' "$f" && ok per-recipient-visible-signed ||
    fail per-recipient-visible-signed "$(grep Content-Type "$f")"
# smtpd 6.8 would name the deferred (last attempted) RCPT in "for <...>"
awk '/^Received:/ { on = 1; print; next } on && /^[ \t]/ { print; next } { on = 0 }' "$f" > "$W/recv"
if grep -q 'for <to@example.net>' "$W/recv" && ! grep -q 'hidden@' "$W/recv"; then
	ok received-quirk-corrected
else
	fail received-quirk-corrected "$(cat "$W/recv")"
fi
# the Bcc recipient's own transaction: left unsigned (bcc: skip-sign)
h_send --from alice@example.org --to hidden@example.net --file "$W/m.eml" > /dev/null 2>&1
h_wait_delivered 2 30
g=$(grep -l '^Delivered-To: hidden@example.net' $(h_delivered) | head -n 1)
if [ -n "$g" ] && ! grep -q 'multipart/signed' "$g"; then
	ok bcc-skip-sign
else
	fail bcc-skip-sign "$(grep Content-Type "$g" 2>/dev/null)"
fi
h_health && ok filter-alive-pr || fail filter-alive-pr "$H_WHY"
h_stop

# ---- BCC privacy when encrypting: one RecipientInfo per transaction --------
# per-recipient mode with encryption: the visible recipient's message
# and the Bcc recipient's (its own transaction) each name only that
# recipient's certificate (and the sender's copy), never the other's.
h_new
S3=$W/store
"$C" -k "$S3" init > /dev/null
"$C" -k "$S3" selfsign --rsa 2048 alice@example.org > /dev/null
for u in to hidden; do
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/$u.key" \
	    -subj "/CN=rcpt-$u" -addext "subjectAltName=email:$u@example.net" \
	    -addext "basicConstraints=critical,CA:FALSE" \
	    -addext "keyUsage=digitalSignature,keyEncipherment" \
	    -addext "extendedKeyUsage=emailProtection" \
	    -days 2 -out "$W/$u.pem" 2>/dev/null
	"$C" -k "$S3" import "$W/$u.pem" > /dev/null ||
	    fail "bcc-import-$u" "smimectl import"
done
printf 'version: 1\nsigners:\n  trusted: [127.0.0.1]\ndefaults:\n  transaction: per-recipient\n  encrypt: required\n' > "$W/bcc.yaml"
chmod 644 "$W/bcc.yaml"
chown -R opensmtpd "$S3"
h_start "$FILTER" -f "$W/bcc.yaml" -k "$S3" || { fail start-bcc "$H_WHY"; exit 0; }
printf 'From: alice@example.org\nTo: to@example.net\nSubject: bcc\n\nsealed\n' > "$W/m.eml"
h_send --from alice@example.org --to to@example.net --to hidden@example.net \
    --file "$W/m.eml" > "$W/reply" 2>&1
grep -q '452.*4.5.3' "$W/reply" && ok bcc-encrypt-deferred ||
    fail bcc-encrypt-deferred "$(cat "$W/reply")"
h_send --from alice@example.org --to hidden@example.net --file "$W/m.eml" \
    > /dev/null 2>&1
h_wait_delivered 2 30 || fail bcc-delivered "$(h_delivered | wc -l) of 2"
for u in to hidden; do
	case $u in to) other=hidden ;; *) other=to ;; esac
	f=$(grep -l "^Delivered-To: $u@example.net" $(h_delivered) | head -n 1)
	[ -n "$f" ] || { fail "bcc-$u-ri" "not delivered"; continue; }
	openssl cms -cmsout -print -in "$f" > "$W/$u.print" 2>/dev/null
	nri=$(grep -c 'd.ktri:' "$W/$u.print")
	if grep -q "CN=rcpt-$u" "$W/$u.print" &&
	    ! grep -q "CN=rcpt-$other" "$W/$u.print" && [ "$nri" -le 2 ]; then
		ok "bcc-$u-only-own-recipientinfo"
	else
		fail "bcc-$u-only-own-recipientinfo" "$nri RIs: $(grep 'CN=' "$W/$u.print" | tr -s ' ' | tr '\n' ' ')"
	fi
	if openssl cms -decrypt -in "$f" -recip "$W/$u.pem" -inkey "$W/$u.key" \
	    2>/dev/null | grep -q sealed &&
	    ! openssl cms -decrypt -in "$f" -recip "$W/$other.pem" \
	    -inkey "$W/$other.key" > /dev/null 2>&1; then
		ok "bcc-$u-decrypts-only-with-own-key"
	else
		fail "bcc-$u-decrypts-only-with-own-key" "decryption"
	fi
done
h_health && ok filter-alive-bcc || fail filter-alive-bcc "$H_WHY"
h_stop
exit 0
