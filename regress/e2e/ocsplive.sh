#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Live revocation checks of inbound signers (filter-smime.yaml(5):
# revocation:, revocation-fail:, ocsp-timeout:) through a real smtpd with
# -a verify and in pipe mode, against openssl ocsp on loopback: a good
# signer passes, a revoked one gets smime=policy, one the responder does
# not know passes with the reason; answers are kept (the responder
# stopped, a kept answer still decides); a responder that is down or
# silent soft-fails with a comment, or hard-fails to smime=temperror with
# the message delivered all the same, and a silent responder holds up
# only its own message; ocsp-then-crl falls back to the store's CRL;
# crl with hard-fail wants a current CRL; none checks nothing.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. regress/lib/harness.sh
. regress/lib/expect.sh
h_new
C=$top/smimectl
FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime

ok() { echo "ok ocsplive-$1"; }
fail() { echo "FAIL ocsplive-$1: $2"; }
. regress/lib/ocsppki.sh

S=$W/store
"$C" -k "$S" init > /dev/null
"$C" -k "$S" anchor import "$P/root.pem" > /dev/null
chown -R opensmtpd "$S"

# signed messages from each leaf (one key, three certificates)
printf 'Content-Type: text/plain; charset=us-ascii\n\nLive OCSP test.\n' > "$W/body"
for l in good revoked stranger; do
	openssl cms -sign -in "$W/body" -signer "$P/$l.pem" -inkey "$P/leaf.key" \
	    -certfile "$P/inter.pem" > "$W/$l.ent" 2>/dev/null ||
	    fail "sign-$l" "openssl cms -sign"
done
mk() {	# mk TAG LEAF: $W/TAG.eml, From: LEAF@example.org
	{
		printf 'From: <%s@example.org>\nTo: <alice@example.com>\n' "$2"
		printf 'Subject: %s\nMessage-ID: <%s@example.org>\n' "$1" "$1"
		cat "$W/$2.ent"
	} > "$W/$1.eml"
}
rules() {	# rules LINE...: $W/rules.yaml with those top-level lines
	{ echo "version: 1"; echo "authserv-id: mx.test.example"
	  for l in "$@"; do echo "$l"; done; } > "$W/rules.yaml"
	chmod 644 "$W/rules.yaml"
}
send() {	# send TAG...: through smtpd, each accepted
	for t in "$@"; do
		h_send --from x@example.net --to alice@example.com \
		    --file "$W/$t.eml" > "$W/reply" 2>&1 ||
		    fail "$t-accepted" "$(tail -n 2 "$W/reply")"
	done
}
got() {	# got TAG: the delivered message, or nothing
	for f in $(h_delivered); do
		grep -q "^Subject: $1\$" "$f" && { cat "$f"; return 0; }
	done
	return 1
}
verdict() {	# verdict TAG PATTERN: its Authentication-Results says so
	got "$1" | tr -d '\r' | awk '/^Authentication-Results: mx.test.example/{a=1; print; next} a && /^[ \t]/{print; next} {a=0}' \
	    > "$W/ar"
	grep -q -- "$2" "$W/ar" && ok "$1" || fail "$1" "want '$2': $(head -c 300 "$W/ar")"
}
start() {	# start: the filter with $W/rules.yaml, -a verify
	h_start "$FILTER" -v -a verify -f "$W/rules.yaml" -k "$S" ||
	    { fail start "$H_WHY"; exit 0; }
}

# ---- revocation: ocsp, the responder up ------------------------------------
responder "$P/inter.pem" "$P/inter.key"
rules "revocation: ocsp"
for t in a-good a-good2; do mk $t good; done
mk a-revoked revoked
mk a-stranger stranger
start
pgrep -x smime-revoc > /dev/null && fail revproc-lazy "started before a question" ||
    ok revproc-lazy
send a-good a-revoked a-stranger
h_wait_delivered 3 60 || fail a-delivered "$H_WHY"
verdict a-good 'smime=pass (signature verified)$'
verdict a-revoked 'smime=policy (certificate revoked since .*, says its OCSP responder)'
verdict a-stranger 'smime=pass (signature verified; revocation not checked: OCSP unknown to its responder)'
# the one process that asks responders: neither the loop nor a worker
rp=$(pgrep -x smime-revoc | head -n 1)
[ -n "$rp" ] && ok revproc-running || fail revproc-running "no smime-revoc process"
# kept until its nextUpdate: asked again with the responder gone, the
# answer kept decides (without it: "revocation not checked")
stop_responder
send a-good2
h_wait_delivered 4 60 || fail a-delivered2 "$H_WHY"
verdict a-good2 'smime=pass (signature verified)$'
h_health || fail a-health "$H_WHY"
h_stop

# ---- -j 0: the loop waits for its one worker, and answers its question ----
responder "$P/inter.pem" "$P/inter.key"
mk j-good good
mk j-revoked revoked
h_start "$FILTER" -v -j 0 -a verify -f "$W/rules.yaml" -k "$S" ||
    { fail start "$H_WHY"; exit 0; }
send j-good j-revoked
h_wait_delivered 6 60 || fail j-delivered "$H_WHY"
verdict j-good 'smime=pass (signature verified)$'
verdict j-revoked 'smime=policy (certificate revoked since .*, says its OCSP responder)'
h_health || fail j-health "$H_WHY"
h_stop
stop_responder

# ---- the responder down: soft-fail (the default), once in the log ----------
mk b-good good; mk b-good2 good
start
send b-good b-good2
h_wait_delivered 8 60 || fail b-delivered "$H_WHY"
verdict b-good 'smime=pass (signature verified; revocation not checked: OCSP no answer)'
verdict b-good2 'smime=pass (signature verified; revocation not checked: OCSP no answer)'
n=$(grep -c "OCSP responder $U/: no answer" "$W/smtpd.log")
[ "$n" = 1 ] && ok b-logged-once || fail b-logged-once "$n lines: $(grep 'OCSP responder' "$W/smtpd.log" | head -n 3)"
h_stop

# ---- hard-fail: temperror, and the message delivered all the same ----------
rules "revocation: ocsp" "revocation-fail: hard"
mk c-good good
start
send c-good
h_wait_delivered 9 60 || fail c-delivered "$H_WHY"
verdict c-good 'smime=temperror (revocation status unknown: OCSP no answer)'
h_stop

# ---- a silent responder holds up its own message only -----------------------
silent_responder 60
rules "revocation: ocsp" "revocation-fail: hard" "ocsp-timeout: 3"
mk d-good good
printf 'From: <x@example.net>\nTo: <alice@example.com>\nSubject: d-plain\n\nplain\n' > "$W/d-plain.eml"
start
t0=$(date +%s)
( send d-good ) &
sp=$!
sleep 0.5
send d-plain
t1=$(date +%s)
[ $((t1 - t0)) -lt 3 ] && ok d-others-go-on ||
    fail d-others-go-on "an unsigned message waited $((t1 - t0)) s"
wait $sp
t2=$(date +%s)
[ $((t2 - t0)) -lt 12 ] && ok d-within-timeout ||
    fail d-within-timeout "the signed message took $((t2 - t0)) s with ocsp-timeout: 3"
h_wait_delivered 11 60 || fail d-delivered "$H_WHY"
verdict d-good 'smime=temperror (revocation status unknown: OCSP no answer)'
h_stop
stop_responder

# ---- ocsp-then-crl: the responder down, the store's CRL decides --------------
openssl ca -config "$P/ca.cnf" -cert "$P/inter.pem" -keyfile "$P/inter.key" \
    -gencrl -crldays 7 -out "$W/inter-crl.pem" 2>/dev/null
S2=$W/store-crl
"$C" -k "$S2" init > /dev/null
"$C" -k "$S2" anchor import "$P/root.pem" > /dev/null
run crl-import 0 "" "$C" -k "$S2" crl import "$W/inter-crl.pem"
chown -R opensmtpd "$S2"
rules "revocation: ocsp-then-crl" "revocation-fail: hard"
mk e-good good
mk e-revoked revoked
h_start "$FILTER" -v -a verify -f "$W/rules.yaml" -k "$S2" ||
    { fail start "$H_WHY"; exit 0; }
send e-good e-revoked
h_wait_delivered 13 60 || fail e-delivered "$H_WHY"
verdict e-good "smime=pass (signature verified; not revoked by the issuer's CRL; OCSP no answer)"
verdict e-revoked 'smime=policy (.*revoked'
# every field written above is well-formed (RFC 8601, RFC 7281)
if $H_PYTHON regress/lib/authres_check.py $(h_delivered) > "$W/check" 2>&1; then
	ok "authres-grammar ($(tail -n 1 "$W/check" | sed 's/^authres_check: //'))"
else
	fail authres-grammar "$(head -n 5 "$W/check")"
fi
h_stop

# ---- pipe mode: its parent asks for its sandboxed child ---------------------
responder "$P/inter.pem" "$P/inter.key"
pipe() {	# pipe TAG STORE PATTERN
	"$FILTER" -p -a verify -f "$W/rules.yaml" -k "$2" < "$W/$1.eml" \
	    > "$W/$1.out" 2> "$W/$1.err" || fail "$1-exit" "exit $?: $(head -c 300 "$W/$1.err")"
	grep -q -- "$3" "$W/$1.out" && ok "$1" ||
	    fail "$1" "want '$3': $(grep -A1 '^Authentication-Results' "$W/$1.out" | head -c 300)"
}
rules "revocation: ocsp"
mk p-revoked revoked; mk p-good good
pipe p-revoked "$S" 'smime=policy (certificate revoked since .*, says its OCSP responder)'
pipe p-good "$S" 'smime=pass (signature verified)$'
stop_responder
# crl, hard: a store without a CRL from the issuer cannot say
rules "revocation: crl" "revocation-fail: hard"
mk p-nocrl good
pipe p-nocrl "$S" 'smime=temperror (revocation status unknown: no current CRL from the issuer)'
mk p-crl good
pipe p-crl "$S2" 'smime=pass (signature verified)$'
# none: even a CRL that lists the signer is not looked at
rules "revocation: none"
mk p-none revoked
pipe p-none "$S2" 'smime=pass (signature verified)$'
# the default (crl): the CRL's listing counts
rules
mk p-default revoked
pipe p-default "$S2" 'smime=policy'

# ---- recipients before encrypting: RCPT TO waits for its answer -------------
S3=$W/store-out
"$C" -k "$S3" init > /dev/null
for l in good revoked; do
	"$C" -k "$S3" import "$P/$l-bundle.pem" > /dev/null || fail "out-import-$l" "import"
done
"$C" -k "$S3" anchor import "$P/root.pem" > /dev/null
"$C" -k "$S3" selfsign --ec P-256 --usage sign signer@example.org > /dev/null
chown -R opensmtpd "$S3"
outrules() {	# outrules LINE...: encryption required to example.org
	rules "$@" "signers:" "  trusted: [127.0.0.1]" "rules:" \
	    "  - recipient: \"*@example.org\"" "    encrypt: required" \
	    "    key-missing: bounce"
}
out() {	# out TAG RCPT: sent; the reply in $W/TAG.reply
	printf 'From: <signer@example.org>\nTo: <%s>\nSubject: %s\n\nbody\n' "$2" "$1" \
	    > "$W/$1.eml"
	h_send --from signer@example.org --to "$2" --file "$W/$1.eml" \
	    > "$W/$1.reply" 2>&1
}
responder "$P/inter.pem" "$P/inter.key"
outrules "revocation: ocsp"
h_start "$FILTER" -v -f "$W/rules.yaml" -k "$S3" || { fail start "$H_WHY"; exit 0; }
n=$(h_delivered | wc -l)
out r-good good@example.org && ok r-good-accepted ||
    fail r-good-accepted "$(tail -n 2 "$W/r-good.reply")"
out r-revoked revoked@example.org
grep -q '550.*5.7.1 No S/MIME certificate' "$W/r-revoked.reply" &&
    ok r-revoked-refused || fail r-revoked-refused "$(tail -n 2 "$W/r-revoked.reply")"
grep -q "recipient revoked@example.org: certificate [0-9a-f]* revoked, says its OCSP responder" \
    "$W/smtpd.log" && ok r-revoked-logged || fail r-revoked-logged "no log line"
h_wait_delivered $((n + 1)) 60 || fail r-delivered "$H_WHY"
got r-good | grep -q 'application/pkcs7-mime' && ok r-good-encrypted ||
    fail r-good-encrypted "$(got r-good | head -c 300)"
h_health || fail r-health "$H_WHY"
h_stop
stop_responder
# the responder down, hard-fail: a temporary refusal, never a bounce
outrules "revocation: ocsp" "revocation-fail: hard" "ocsp-timeout: 2"
h_start "$FILTER" -v -f "$W/rules.yaml" -k "$S3" || { fail start "$H_WHY"; exit 0; }
out r-hard good@example.org
grep -q "451.*4.7.0 Revocation status of the recipient's S/MIME certificate unknown" \
    "$W/r-hard.reply" && ok r-hard-451 || fail r-hard-451 "$(tail -n 2 "$W/r-hard.reply")"
h_stop
# soft-fail: encrypted all the same
outrules "revocation: ocsp" "ocsp-timeout: 2"
h_start "$FILTER" -v -f "$W/rules.yaml" -k "$S3" || { fail start "$H_WHY"; exit 0; }
n=$(h_delivered | wc -l)
out r-soft good@example.org && ok r-soft-accepted ||
    fail r-soft-accepted "$(tail -n 2 "$W/r-soft.reply")"
h_wait_delivered $((n + 1)) 60 || fail r-soft-delivered "$H_WHY"
got r-soft | grep -q 'application/pkcs7-mime' && ok r-soft-encrypted ||
    fail r-soft-encrypted "$(got r-soft | head -c 300)"
h_stop
exit 0
