#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# smimectl ocsp fetch against openssl ocsp as the responder on loopback,
# with an index of good and revoked test certificates: answers signed by
# the CA itself and by a delegated responder (id-kp-OCSPSigning) are
# believed and kept; a responder the CA never authorized, a certificate
# the responder does not know, a responder that does not answer and one
# that is down each get their exit status and message.  The fetcher
# parses in the sandbox.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. regress/lib/harness.sh
. regress/lib/expect.sh
h_new
# the sanitizer build where there is one: the fetch plumbing runs in it
C=${SMIMECTL:-$top/obj/asan/smimectl}
[ -x "$C" ] || C=$top/smimectl

ok() { echo "ok ocsp-$1"; }
fail() { echo "FAIL ocsp-$1: $2"; }
. regress/lib/ocsppki.sh

# ---- answered by the CA's own key ------------------------------------------
responder "$P/inter.pem" "$P/inter.key"
S=$W/direct
store "$S" good revoked
run direct-revoked-found 65 "revoked@example.org [0-9a-f]\{16\}: revoked (since" \
    "$C" -k "$S" ocsp fetch
grep -q "^2 certificates asked: 1 good, 1 revoked, 0 unknown, 0 failed, 0 refused; 0 without a responder" "$W/run.out" &&
    ok direct-summary || fail direct-summary "$(tail -n 1 "$W/run.out")"
n=$(ls "$S/ocsp" 2>/dev/null | grep -c '^[0-9a-f]\{64\}\.der$')
[ "$n" = 2 ] && ok direct-kept || fail direct-kept "ocsp/: $(ls "$S/ocsp")"
# what was kept is what openssl believes too
f=$(ls "$S/ocsp" | head -n 1)
openssl ocsp -respin "$S/ocsp/$f" -CAfile "$P/root.pem" \
    -verify_other "$P/inter.pem" -resp_text > "$W/respin" 2>&1 &&
    grep -q "Cert Status: \(good\|revoked\)" "$W/respin" && ok kept-openssl-reads ||
    fail kept-openssl-reads "$(head -c 300 "$W/respin")"
# what the store now says: no mail is encrypted to the revoked one
run lookup-revoked 4 "^revoked revoked@example.org" "$C" -k "$W/direct" lookup encrypt revoked@example.org
run lookup-good 0 "^found good@example.org" "$C" -k "$W/direct" lookup encrypt good@example.org
grep -q '^revoked [0-9]* [0-9]* [1-9][0-9]*$' "$W"/direct/ocsp/*.status &&
    ok status-file || fail status-file "$(cat "$W"/direct/ocsp/*.status)"
S=$W/goodonly
store "$S" good
run direct-good 0 "^1 certificates asked: 1 good" "$C" -k "$S" ocsp fetch
run direct-good-no-nonce 0 "1 good" "$C" -k "$S" ocsp fetch --no-nonce
run stranger-unknown 65 "stranger@example.org [0-9a-f]\{16\}: unknown to its responder" \
    sh -c "store_dir=$W/stranger; '$C' -k \$store_dir init >/dev/null; '$C' -k \$store_dir import '$P/stranger-bundle.pem' >/dev/null; '$C' -k \$store_dir anchor import '$P/root.pem' >/dev/null; '$C' -k \$store_dir ocsp fetch"

# ---- a delegated responder: believed -----------------------------------------
responder "$P/resp.pem" "$P/resp.key"
S=$W/delegated
store "$S" good revoked
run delegated-believed 65 "1 good, 1 revoked" "$C" -k "$S" ocsp fetch

# ---- responders the CA never authorized: not believed, nothing kept ---------
responder "$P/rogue.pem" "$P/resp.key"
S=$W/rogue
store "$S" good
run rogue-refused 65 "not signed by the issuer or by a responder it authorized" \
    "$C" -k "$S" ocsp fetch
[ -z "$(ls "$S/ocsp")" ] && ok rogue-not-kept || fail rogue-not-kept "$(ls "$S/ocsp")"
responder "$P/noeku.pem" "$P/resp.key"
run no-ocsp-eku-refused 65 "not signed by the issuer or by a responder" \
    "$C" -k "$S" ocsp fetch

# ---- a replayed older answer is not kept over a newer one -------------------
responder "$P/inter.pem" "$P/inter.key"
S=$W/replay
store "$S" good
run replay-first 0 "1 good" "$C" -k "$S" ocsp fetch --no-nonce
f=$S/ocsp/$(ls "$S/ocsp" | head -n 1)
mkdir -p "$W/www"
cp "$f" "$W/www/ocsp-answer"
sleep 1.1
run replay-newer 0 "1 good" "$C" -k "$S" ocsp fetch --no-nonce
if [ -s "$f" ] && ! cmp -s "$f" "$W/www/ocsp-answer"; then ok replay-newer-kept; else
	fail replay-newer-kept "the newer answer did not replace the first"; fi
cp "$f" "$W/newer.der"
# the first answer again, from a server that answers every POST with it
stop_responder
timeout 120 python3 regress/lib/crlserver.py "$W/www" "$W/www.port" "$PORT" \
    2> "$W/www.err" &
resp=$!
for _i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$W/www.port" ] && break; sleep 0.3; done
run replay-refused 65 "older than the answer kept" "$C" -k "$S" ocsp fetch --no-nonce
cmp -s "$f" "$W/newer.der" && ok replay-store-unchanged ||
    fail replay-store-unchanged "the kept answer changed"
# with a nonce asked, the replayed answer (which has none) is taken only
# when current, and still not kept over the newer one
run replay-with-nonce-refused 65 "older than the answer kept" "$C" -k "$S" ocsp fetch
stop_responder

# ---- the fetcher parses in the sandbox ---------------------------------------
responder "$P/inter.pem" "$P/inter.key"
strace -f -e trace=prctl -o "$W/strace" "$C" -k "$W/goodonly" ocsp fetch \
    > /dev/null 2>&1
grep -q 'PR_SET_SECCOMP' "$W/strace" && ok fetcher-sandboxed ||
    fail fetcher-sandboxed "no PR_SET_SECCOMP: $(head -c 300 "$W/strace")"

# ---- a real smtpd, encryption required: the revoked recipient is refused ----
# (the filter starts before the fetch and takes its answers without SIGHUP)
S=$W/smtpd
store "$S" good revoked
"$C" -k "$S" selfsign --ec P-256 --usage sign signer@example.org > /dev/null
# an internal identity whose own signing certificate gets revoked
"$C" -k "$S" import --key "$P/leaf.key" "$P/rsigner-bundle.pem" > /dev/null ||
    fail smtpd-store "cannot import rsigner"
cat > "$W/rules.yaml" <<'YAML'
version: 1
signers:
  trusted: [127.0.0.1]
rules:
  - recipient: "*@example.org"
    encrypt: required
    key-missing: bounce
YAML
chmod 644 "$W/rules.yaml"
chown -R opensmtpd "$S"
FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
if h_start "$FILTER" -f "$W/rules.yaml" -k "$S"; then
	sleep 3
	msg() { printf 'From: <signer@example.org>\nTo: <%s>\nSubject: %s\n\nOCSP test body.\n' "$1" "$2"; }
	msg revoked@example.org before > "$W/before.eml"
	h_send --from signer@example.org --to revoked@example.org \
	    --file "$W/before.eml" > "$W/reply" 2>&1 &&
	    ok smtpd-revoked-before-fetch-accepted ||
	    fail smtpd-revoked-before-fetch-accepted "$(cat "$W/reply")"
	run smtpd-fetch-as-filter-user 65 "1 good, 2 revoked" \
	    runuser -u opensmtpd -- "$(h_install "$C" smimectl-copy)" -k "$S" ocsp fetch
	sleep 1.2
	msg revoked@example.org after > "$W/after.eml"
	h_send --from signer@example.org --to revoked@example.org \
	    --file "$W/after.eml" > "$W/reply" 2>&1
	grep -q '550.*5.7.1 No S/MIME certificate' "$W/reply" &&
	    ok smtpd-revoked-after-fetch-refused ||
	    fail smtpd-revoked-after-fetch-refused "$(cat "$W/reply")"
	# a revoked signing certificate: 451 at MAIL FROM, filter-smime(8)
	printf 'From: <rsigner@example.org>\nTo: <good@example.org>\nSubject: rs\n\nx\n' \
	    > "$W/rs.eml"
	h_send --from rsigner@example.org --to good@example.org \
	    --file "$W/rs.eml" > "$W/reply" 2>&1
	grep -q '451.*4.7.0 S/MIME certificate is revoked' "$W/reply" &&
	    ok smtpd-revoked-signer-451 ||
	    fail smtpd-revoked-signer-451 "$(cat "$W/reply")"
	msg good@example.org good > "$W/good.eml"
	h_send --from signer@example.org --to good@example.org \
	    --file "$W/good.eml" > "$W/reply" 2>&1 || fail smtpd-good "$(cat "$W/reply")"
	h_wait_delivered 2 60 || fail smtpd-delivered "$H_WHY"
	for f in $(h_delivered); do
		grep -q '^Subject: good$' "$f" || continue
		grep -q 'application/pkcs7-mime' "$f" && ok smtpd-good-encrypted ||
		    fail smtpd-good-encrypted "$(head -c 300 "$f")"
	done
	h_health || fail smtpd-health "$H_WHY"
	h_stop
else
	fail smtpd-start "$H_WHY"
fi

# ---- a responder that does not answer, and one that is down -------------------
silent_responder 30
t0=$(date +%s)
run silent-times-out 75 "timed out" "$C" -k "$W/goodonly" ocsp fetch --timeout 2
t1=$(date +%s)
[ $((t1 - t0)) -lt 8 ] && ok silent-within-timeout ||
    fail silent-within-timeout "took $((t1 - t0)) s with --timeout 2"
stop_responder
run down 75 "Connection refused" "$C" -k "$W/goodonly" ocsp fetch
run down-summary 75 "0 good, 0 revoked, 0 unknown, 1 failed" "$C" -k "$W/goodonly" ocsp fetch
exit 0
