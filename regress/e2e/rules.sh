#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# rules.yaml in action: per-sender policy (no signing, opaque, sha512,
# PSS), destination and header exceptions, no-signing-key tempfail, the
# shipped example, refusals of what this release does not carry out,
# and a SIGHUP reload through a real smtpd (a bad new file keeps the old
# rules).
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh

FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
C=./smimectl

ok() { echo "ok rules-$1"; }
fail() { echo "FAIL rules-$1: $2"; }

h_new
S=$W/store
$C -k "$S" init > /dev/null
for a in alice ceo noreply; do
	$C -k "$S" selfsign --rsa 2048 "$a@example.org" > /dev/null
done
for a in alice ceo noreply; do $C -k "$S" export "$a@example.org"; done > "$W/anchors.pem"

cat > "$W/rules.yaml" <<'YAML'
version: 1
# the test's client on loopback, without AUTH, may sign
signers:
  trusted: [127.0.0.1]
defaults:
  no-signing-key: pass
rules:
  - sender: "noreply@*"
    sign: no
  - sender: 're:^ceo@example\.org$'
    digest: sha512
    signature: opaque
  - sender: "@pss.example.org"
    rsa-padding: pss
  - sender: "strict@example.org"
    no-signing-key: tempfail
exceptions:
  destinations: ["*@legacy.example.net"]
  headers:
    - header: X-Mailer
      match: "re:^bulk"
      action: skip
YAML

msg() {	# msg FROM [extra header]
	printf 'From: %s\nTo: bob@example.net\nSubject: rules\n%s\nhello\n' "$1" "${2:-X-Test: 1}"
}
P="$FILTER -p -f $W/rules.yaml -k $S"

msg alice@example.org > "$W/m"
$P -s alice@example.org -r bob@example.net < "$W/m" > "$W/o" 2>"$W/e"
if grep -q 'micalg=sha-256' "$W/o" && openssl smime -verify -in "$W/o" -CAfile "$W/anchors.pem" -purpose smimesign -out /dev/null 2>/dev/null; then
	ok default-signs-detached
else
	fail default-signs-detached "$(head -c 300 "$W/e")"
fi
msg noreply@example.org > "$W/m"
$P -s noreply@example.org -r bob@example.net < "$W/m" > "$W/o" 2>/dev/null
cmp -s "$W/m" "$W/o" && ok sender-sign-no || fail sender-sign-no "changed"
msg ceo@example.org > "$W/m"
$P -s ceo@example.org -r bob@example.net < "$W/m" > "$W/o" 2>/dev/null
if grep -q 'application/pkcs7-mime; smime-type=signed-data' "$W/o" &&
    openssl smime -verify -in "$W/o" -CAfile "$W/anchors.pem" -purpose smimesign -out /dev/null 2>/dev/null &&
    openssl smime -pk7out -in "$W/o" | openssl pkcs7 -print 2>/dev/null | grep -q 'algorithm: sha512'; then
	ok regex-rule-opaque-sha512
else
	fail regex-rule-opaque-sha512 "$(head -n 8 "$W/o")"
fi
msg alice@example.org > "$W/m"
$P -s alice@example.org -r bob@example.net -r carol@legacy.example.net < "$W/m" > "$W/o" 2>/dev/null
cmp -s "$W/m" "$W/o" && ok destination-exception || fail destination-exception "changed"
$P -s alice@example.org -r x@docomo.ne.jp < "$W/m" > "$W/o" 2>/dev/null
cmp -s "$W/m" "$W/o" && ok carrier-exception || fail carrier-exception "changed"
msg alice@example.org "X-Mailer: bulk sender 3" > "$W/m"
$P -s alice@example.org -r bob@example.net < "$W/m" > "$W/o" 2>/dev/null
cmp -s "$W/m" "$W/o" && ok header-exception || fail header-exception "changed"
msg strict@example.org > "$W/m"
$P -s strict@example.org -r bob@example.net < "$W/m" > "$W/o" 2>"$W/e"
rc=$?
[ $rc = 75 ] && grep -q 'No S/MIME signing certificate' "$W/e" && ok no-signing-key-tempfail ||
    fail no-signing-key-tempfail "rc=$rc $(cat "$W/e")"
$FILTER -n -f rules.yaml.example > /dev/null 2>&1 && ok example-checks || fail example-checks "rc=$?"

printf 'version: 1\ndefaults:\n  sign: maybe\n' > "$W/bad.yaml"
$FILTER -n -f "$W/bad.yaml" 2>"$W/e"
grep -q "bad.yaml:3:9: sign: \"maybe\"" "$W/e" && ok error-position || fail error-position "$(cat "$W/e")"

# ---- SIGHUP reload through smtpd -------------------------------------------
cp "$W/rules.yaml" "$W/live.yaml"
chown -R opensmtpd "$S"
chmod 644 "$W/live.yaml"
if ! h_start "$FILTER" -v -f "$W/live.yaml" -k "$S"; then
	fail start "$H_WHY"
	exit 0
fi
msg alice@example.org "X-Seq: one" > "$W/m1"
h_send --from alice@example.org --to bob@example.net --file "$W/m1" > /dev/null 2>&1
h_wait_delivered 1 20
printf 'version: 1\ndefaults:\n  sign: no\n' > "$W/live.yaml"
kill -HUP "$(h_filter_pid)"
sleep 1
msg alice@example.org "X-Seq: two" > "$W/m2"
h_send --from alice@example.org --to bob@example.net --file "$W/m2" > /dev/null 2>&1
h_wait_delivered 2 20
printf 'version: 1\ndefaults:\n  sign: [\n' > "$W/live.yaml"
kill -HUP "$(h_filter_pid)"
sleep 1
msg alice@example.org "X-Seq: three" > "$W/m3"
h_send --from alice@example.org --to bob@example.net --file "$W/m3" > /dev/null 2>&1
h_wait_delivered 3 20
signed=""
for f in $(h_delivered); do
	s=$(sed -n 's/^X-Seq: //p' "$f" | head -n 1)
	grep -q 'multipart/signed' "$f" && signed="$signed $s"
done
# one: old rules sign; two: reloaded, sign: no; three: bad file, still no
if [ "$(echo $signed)" = "one" ]; then
	ok sighup-reload
else
	fail sighup-reload "signed:$signed"
fi
grep -q 'rules not reloaded, keeping the old ones: .*live.yaml:4:1' "$W/smtpd.log" &&
    ok sighup-bad-file-kept-old || fail sighup-bad-file-kept-old "$(grep filter-smime "$W/smtpd.log" | tail -n 3)"
h_health && ok filter-alive || fail filter-alive "$H_WHY"
h_stop
exit 0
