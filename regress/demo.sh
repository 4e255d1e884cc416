#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# The README's demo: a throwaway keystore with a self-signed identity, a
# private smtpd on loopback with filter-smime in its filter line, one
# message sent through it, what arrived, and openssl verifying it.
# FILTER and SMIMECTL name the programs (default: the ones built here;
# regress/package/deb.sh runs the demo against the installed package).
set -u
cd "$(dirname "$0")/.." || exit 1
FILTER=${FILTER:-./filter-smime}
SMIMECTL=${SMIMECTL:-./smimectl}
. regress/lib/harness.sh

say() { printf '\n=== %s\n' "$*"; }

h_new
S=$W/store
say "a throwaway keystore with a self-signed identity for alice@example.org"
"$SMIMECTL" -k "$S" init | sed 's/^/    /'
printf '    fingerprint: '
"$SMIMECTL" -k "$S" selfsign --rsa 2048 alice@example.org
"$SMIMECTL" -k "$S" list | sed 's/^/    /'
"$SMIMECTL" -k "$S" export alice@example.org > "$W/alice.pem"
chown -R opensmtpd "$S"		# the filter runs as smtpd's user

say "smtpd.conf of a private smtpd on 127.0.0.1:$H_PORT"
say "rules.yaml: this demo's client (127.0.0.1, no AUTH) may sign"
printf 'version: 1\nsigners:\n  trusted: [127.0.0.1]\n' > "$W/rules.yaml"
sed 's/^/    /' "$W/rules.yaml"
h_start "$FILTER" -v -f "$W/rules.yaml" -k "$S" ||
    { echo "demo: smtpd did not start: $H_WHY"; exit 1; }
sed 's/^/    /' "$W/smtpd.conf"

cat > "$W/demo.eml" <<MSG
From: Alice <alice@example.org>
To: Bob <bob@example.net>
Subject: filter-smime demo
Date: $(date -R)
Message-ID: <demo.$$@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello Bob,

this message went through filter-smime inside a real OpenSMTPD.
.A line that starts with a dot, and 8-bit text: grüße.
MSG

say "sending with swaks"
swaks --server "127.0.0.1:$H_PORT" --from alice@example.org \
    --to bob@example.net --data "@$W/demo.eml" 2>&1 |
    grep -E '^ *(<-|->) +([0-9]{3} |EHLO|MAIL|RCPT|DATA|QUIT)' | sed 's/^/    /'
h_wait_delivered 1 20 || { echo "demo: nothing delivered"; exit 1; }

say "delivered to the sink ($(h_delivered))"
sed 's/^/    /' "$(h_delivered | head -n 1)"

say "filter-smime's log lines (in smtpd's log)"
grep 'filter-smime:' "$W/smtpd.log" | sed 's/^/    /'

say "openssl smime -verify (trusting alice's self-signed certificate)"
h_strip_delivery "$(h_delivered | head -n 1)" > "$W/signed.eml"
openssl smime -verify -in "$W/signed.eml" -CAfile "$W/alice.pem" \
    -purpose smimesign 2>&1 | sed 's/^/    /'
h_stop
