#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Inbound verdict integrity (issue 13), through a real smtpd on an
# inbound listener (-a verify) and again in pipe mode: smime=pass only
# for the single From: author among the signer's certificate addresses;
# every Authentication-Results that claims our authserv-id, however it is
# spelled, and every X-SMIME-* field we write are removed on the way in;
# what we write is well-formed RFC 8601 whatever the certificate holds
# (regress/lib/authres_check.py reads back every field written).
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh
. regress/interop/pki.sh

FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
C=$(pwd)/smimectl
CHECK="$H_PYTHON regress/lib/authres_check.py"

ok() { echo "ok inbound-verdict-$1"; }
fail() { echo "FAIL inbound-verdict-$1: $2"; }

h_new
P=$W/pki
pki_make "$P" > /dev/null 2>&1 || { fail pki "cannot make the test PKI"; exit 0; }
S=$W/store
"$C" -k "$S" init > /dev/null
"$C" -k "$S" anchor import "$P/root.pem" > /dev/null
printf 'version: 1\nauthserv-id: mx.test.example\n' > "$W/rules.yaml"
chmod 644 "$W/rules.yaml"
chown -R opensmtpd "$S"

# leaves of the test CA: two rfc822Names; an emailAddress only
leaf() {	# leaf NAME SUBJECT [SAN]
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$P/$1.key" 2>/dev/null
	openssl req -new -key "$P/$1.key" -subj "$2" -out "$P/$1.csr" 2>/dev/null
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature,nonRepudiation"
		echo "extendedKeyUsage=emailProtection"
		[ -n "${3:-}" ] && echo "subjectAltName=$3"
	} > "$P/$1.ext"
	openssl x509 -req -in "$P/$1.csr" -CA "$P/inter.pem" -CAkey "$P/inter.key" \
	    -CAcreateserial -extfile "$P/$1.ext" -sha384 -days 30 \
	    -out "$P/$1.pem" 2>/dev/null
}
leaf multi "/CN=multi" "email:first@example.org,email:Second@Example.ORG"
leaf legacy "/CN=legacy/emailAddress=legacy@example.org"
# self-signed, with '"', '\', '(', ')', ';', CR, LF and 8-bit octets in its
# subject (so in its issuer too), and one with a DN of 600 octets
subj=$(printf '/CN=Evil "q" \\\\back (paren) ;x\rCR\nLF\303\244/emailAddress=hostile@example.org')
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/hostile.key" -days 30 -utf8 \
    -subj "$subj" -addext "subjectAltName=email:hostile@example.org" \
    -out "$P/hostile.pem" 2>/dev/null
long=$(printf '%060d' 0 | tr 0 L)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/long.key" -days 30 \
    -subj "/O=$long/OU=$long/OU=$long/OU=$long/OU=$long/OU=$long/OU=$long/OU=$long/OU=$long/CN=$long" \
    -addext "subjectAltName=email:long@example.org" -out "$P/long.pem" 2>/dev/null

printf 'Content-Type: text/plain; charset=us-ascii\n\nVerdict test body.\n' > "$W/body"
sig() {	# sig NAME CERT -> $W/NAME.ent, a detached signature
	openssl cms -sign -in "$W/body" -signer "$P/$2.pem" -inkey "$P/$2.key" \
	    -certfile "$P/chain.pem" > "$W/$1.ent" 2>/dev/null
}
sig rsa rsa
sig multi multi
sig legacy legacy
sig hostile hostile
sig long long
# mk TAG ENTITY [header lines...]: the header lines stand for From: and
# whatever else the case needs; every message also carries the forged
# and foreign fields below
mk() {
	t=$1 e=$2; shift 2
	{
		for l in "$@"; do printf '%s\n' "$l"; done
		printf 'To: alice@example.org\nSubject: %s\n' "$t"
		printf 'Message-ID: <%s@example.org>\n' "$t"
		printf 'Authentication-Results:   MX.Test.Example.; smime=pass (forged-1)\n'
		printf 'Authentication-Results: "mx.test.example"; smime=pass (forged-2)\n'
		printf 'Authentication-Results: (c) mx.test.example (c); smime=pass (forged-3)\n'
		printf 'Authentication-Results: mx.test.example\n\t; smime=pass (forged-4)\n'
		printf 'authentication-results: "MX.TEST.EXAMPLE."; smime=pass (forged-5)\n'
		printf 'Authentication-Results: other.example; smime=pass (foreign)\n'
		printf 'X-SMIME-Decrypted: aes256-CBC for alice@example.org (forged-6)\n'
		printf 'x-smime-decrypt: failed (forged-7)\n'
		printf 'X-SMIME-Gateway: mx.test.example; signed (forged-8)\n'
		printf 'Authentication-Results : mx.test.example(c); smime=pass (forged-9)\n'
		printf 'X-SMIME-Decrypted\t: aes256-CBC (forged-10)\n'
		cat "$W/$e.ent"
	} > "$W/$t.eml"
}
cp "$W/body" "$W/plain.ent"
# From: comments, quoted names and encoded words that hold the signer's
# address, around another real address
mk comment rsa 'From: (rsa@example.org) Mallory <mallory@example.org>'
mk commentangle rsa 'From: Mallory (<rsa@example.org>) <mallory@example.org>'
mk quotedname rsa 'From: "rsa@example.org" <mallory@example.org>'
mk eword rsa 'From: =?utf-8?q?rsa@example.org?= <mallory@example.org>'
mk twofrom rsa 'From: rsa@example.org' 'From: rsa@example.org'
mk twomailboxes rsa 'From: rsa@example.org, mallory@example.org'
mk grouptwo rsa 'From: Team: rsa@example.org, mallory@example.org;'
mk groupempty rsa 'From: undisclosed-recipients:;'
mk groupbeside rsa 'From: rsa@example.org, "ceo@bank.example":;'
mk nullfrom rsa 'From: <>'
mk nofrom rsa 'Sender: rsa@example.org'
mk noat rsa 'From: rsa'
# ...and what is the signer: folded, commented, other case, in a group of
# one, one of several SAN addresses, the legacy emailAddress
mk goodfolded rsa 'From: "R. S. A." (the signer)' ' <RSA@Example.ORG> (ok)'
mk groupone rsa 'From: Signers: rsa@example.org;'
mk multisecond multi 'From: second@example.org'
mk legacy legacy 'From: Legacy <legacy@example.org>'
mk hostile hostile 'From: hostile@example.org'
mk long long 'From: long@example.org'
mk unsigned plain 'From: rsa@example.org'
# Signature scope and structure: the signed entity as one part of an
# unsigned multipart, alone inside one, a signed mail forwarded as an
# attachment; multipart/signed with three parts, without protocol=, with
# a signature part of another type; duplicate Content-Type fields.
"$H_PYTHON" - "$W" <<'PY'
import re, sys
w = sys.argv[1]
ent = open(w + "/rsa.ent").read()
head, body = ent.split("\n\n", 1)
bnd = re.search(r'boundary="?([^";\s]+)"?', head).group(1)
def put(name, text):
    open("%s/%s.ent" % (w, name), "w").write(text)
def mixed(*parts):
    out = 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="OUTER"\n\n'
    for p in parts:
        out += "--OUTER\n" + p.rstrip("\n") + "\n"
    return out + "--OUTER--\n"
unsigned = "Content-Type: text/plain\n\nText the signer never wrote.\n"
put("inmixed", mixed(unsigned, ent))
put("wrapped", mixed(ent))
put("forwarded", mixed(unsigned, "Content-Type: message/rfc822\n\n"
    "From: rsa@example.org\nTo: alice@example.org\nSubject: old\n" + ent))
third = ("--%s\nContent-Type: text/plain\n\nA third part.\n--%s--" %
    (bnd, bnd))
put("threeparts", ent.replace("--%s--" % bnd, third))
put("noprotocol", re.sub(r'protocol="[^"]*";?\s*', "", head, count=1) +
    "\n\n" + body)
put("wrongsigtype", head + "\n\n" + re.sub(
    r"Content-Type: application/(x-)?pkcs7-signature",
    "Content-Type: text/plain", body, count=1))
put("dupct", head + "\nContent-Type: text/plain\n\n" + body)
PY
# over the parser's limits: delivered as it is, with permerror, the forged
# fields still removed (a limit is no reason to hold mail: never 451)
{ awk 'BEGIN { for (i = 0; i < 2500; i++) printf "X-Field-%d: v\n", i }'
    cat "$W/rsa.ent"; } > "$W/manyfields.ent"
for t in inmixed wrapped forwarded threeparts noprotocol wrongsigtype dupct manyfields; do
	mk "$t" "$t" 'From: rsa@example.org'
done
CASES="comment commentangle quotedname eword twofrom twomailboxes grouptwo
groupempty groupbeside nullfrom nofrom noat goodfolded groupone multisecond legacy hostile
long unsigned inmixed wrapped forwarded threeparts noprotocol wrongsigtype
dupct manyfields"
NCASES=$(echo $CASES | wc -w)

# expect FILE TAG RESULT [comment pattern [more patterns]]: our one field,
# its exact result, the forged ones gone, the foreign one kept
expect() {
	f=$1 t=$2 r=$3; shift 3
	ar=$(awk '/^Authentication-Results: mx\.test\.example;/ { on = 1; print; next }
	    on && /^[ \t]/ { print; next } { on = 0 }' "$f" | tr '\n\t' '  ')
	n=$(grep -c '^Authentication-Results: mx\.test\.example;' "$f")
	if [ "$r" = none ]; then
		[ "$n" = 0 ] && ok "$t-no-result" || fail "$t-no-result" "$ar"
	elif [ "$n" != 1 ]; then
		fail "$t-$r" "$n results of ours: $ar"
	else
		case "$ar" in
		*"smime=$r "*) ok "$t-$r" ;;
		*) fail "$t-$r" "header: $ar" ;;
		esac
		for pat in "$@"; do
			case "$ar" in
			*"$pat"*) ;;
			*) fail "$t-$r-says" "no [$pat] in: $ar" ;;
			esac
		done
	fi
	if grep -q 'forged-[0-9]' "$f"; then
		fail "$t-forged-removed" "$(grep 'forged-[0-9]' "$f" | head -n 3)"
	else
		ok "$t-forged-removed"
	fi
	grep -q '^Authentication-Results: other.example; smime=pass (foreign)$' "$f" &&
	    ok "$t-foreign-kept" || fail "$t-foreign-kept" "another authserv-id's field was removed"
}

check_all() {	# check_all MODE FILE-OF-TAG-FUNCTION
	m=$1 get=$2
	for t in $CASES; do
		$get "$t" > "$W/got" || { fail "$m-$t" "not delivered"; continue; }
		case "$t" in
		comment|commentangle|quotedname|eword)
			expect "$W/got" "$m-$t" policy \
			    "(signer rsa@example.org is not the From address)" ;;
		twofrom) expect "$W/got" "$m-$t" policy "(2 From: fields)" ;;
		twomailboxes|grouptwo)
			expect "$W/got" "$m-$t" policy "(From: holds 2 mailboxes)" ;;
		groupempty)
			expect "$W/got" "$m-$t" policy "(From: holds 0 mailboxes)" ;;
		groupbeside)
			expect "$W/got" "$m-$t" policy \
			    "(From: holds a group beside its mailbox)" ;;
		nullfrom)
			expect "$W/got" "$m-$t" policy "(From: null address <>)" ;;
		nofrom) expect "$W/got" "$m-$t" policy "(no From: field)" ;;
		noat) expect "$W/got" "$m-$t" policy "(From: address without @)" ;;
		goodfolded|groupone)
			expect "$W/got" "$m-$t" pass \
			    "body.smime-identifier=rsa@example.org" ;;
		multisecond)
			expect "$W/got" "$m-$t" pass \
			    "body.smime-identifier=Second@Example.ORG" ;;
		legacy)
			expect "$W/got" "$m-$t" pass \
			    "body.smime-identifier=legacy@example.org" ;;
		hostile)
			expect "$W/got" "$m-$t" policy \
			    "body.smime-identifier=hostile@example.org" \
			    'body.smime-issuer="CN=Evil \"q\" \\back (paren) ;x?CR?LF??, emailAddress=hostile@example.org"' ;;
		long)
			expect "$W/got" "$m-$t" policy \
			    "body.smime-issuer=\"O=$long, OU=$long, OU=" "LLL...\"" ;;
		unsigned|forwarded) expect "$W/got" "$m-$t" none ;;
		inmixed)
			expect "$W/got" "$m-$t" neutral \
			    "(only part 2 is signed: pass" "body.smime-part=2" ;;
		wrapped)
			expect "$W/got" "$m-$t" neutral \
			    "(only part 1 is signed: pass" "body.smime-part=1" ;;
		threeparts)
			expect "$W/got" "$m-$t" permerror \
			    "(multipart/signed without exactly two parts)" ;;
		noprotocol)
			expect "$W/got" "$m-$t" permerror \
			    "(multipart/signed without protocol)" ;;
		wrongsigtype)
			expect "$W/got" "$m-$t" permerror \
			    "(the signature part is not of the multipart/signed protocol)" ;;
		dupct)
			expect "$W/got" "$m-$t" permerror \
			    "(duplicate Content-Type or Content-Transfer-Encoding fields)" ;;
		manyfields)
			expect "$W/got" "$m-$t" permerror \
			    "(MIME: too many header fields)"
			[ "$(grep -c '^X-Field-' "$W/got")" = 2500 ] &&
			    ok "$m-manyfields-unchanged" ||
			    fail "$m-manyfields-unchanged" "fields lost" ;;
		esac
	done
}

# ---- through smtpd ------------------------------------------------------
if ! h_start "$FILTER" -v -a verify -f "$W/rules.yaml" -k "$S"; then
	fail start "$H_WHY"
	exit 0
fi
for t in $CASES; do
	h_send --from x@example.net --to alice@example.org --file "$W/$t.eml" > /dev/null 2>&1 ||
	    fail "smtpd-$t-accepted" "not accepted"
done
h_wait_delivered "$NCASES" 60 || fail delivered "$(h_delivered | wc -l) of $NCASES"
got_smtpd() {
	for f in $(h_delivered); do
		grep -q "^Subject: $1\$" "$f" && { cat "$f"; return 0; }
	done
	return 1
}
check_all smtpd got_smtpd
# every field we wrote (and every one we kept) is well-formed
if $CHECK $(h_delivered) > "$W/check" 2>&1; then
	ok "smtpd-authres-grammar ($(tail -n 1 "$W/check" | sed 's/^authres_check: //'))"
else
	fail smtpd-authres-grammar "$(head -n 5 "$W/check")"
fi
h_health && ok smtpd-filter-alive || fail smtpd-filter-alive "$H_WHY"
h_stop

# ---- pipe mode ------------------------------------------------------------
mkdir -p "$W/pipe"
for t in $CASES; do
	"$FILTER" -p -v -a verify -f "$W/rules.yaml" -k "$S" < "$W/$t.eml" \
	    > "$W/pipe/$t.out" 2> "$W/pipe/$t.err" || fail "pipe-$t-exit" "exit $?"
done
got_pipe() { cat "$W/pipe/$1.out"; }
check_all pipe got_pipe
if $CHECK "$W"/pipe/*.out > "$W/check" 2>&1; then
	ok "pipe-authres-grammar ($(tail -n 1 "$W/check" | sed 's/^authres_check: //'))"
else
	fail pipe-authres-grammar "$(head -n 5 "$W/check")"
fi
# the log says why, and which fields went; it carries no raw
# certificate octets either
grep -q 'smime=policy (2 From: fields) signer=rsa@example.org' "$W/pipe/twofrom.err" &&
    ok pipe-log-reason || fail pipe-log-reason "$(cat "$W/pipe/twofrom.err")"
grep -q 'forged fields removed (10)' "$W/pipe/unsigned.err" &&
    ok pipe-log-forged || fail pipe-log-forged "$(cat "$W/pipe/unsigned.err")"
if ! grep -q 'smime=policy (untrusted certificate chain) signer=hostile@example.org' \
    "$W/pipe/hostile.err"; then
	fail pipe-log-clean "no verdict line: $(cat "$W/pipe/hostile.err")"
elif LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177-\377]')" "$W/pipe/hostile.err"; then
	fail pipe-log-clean "$(od -c "$W/pipe/hostile.err" | head -n 5)"
else
	ok pipe-log-clean
fi
# a header line of 2 MB (smtpd itself takes no such line): delivered, 0
{ printf 'From: rsa@example.org\nSubject: longline\n'
  printf 'Authentication-Results: mx.test.example; smime=pass (forged-L)\n'
  printf 'X-Long: '; head -c 2000000 /dev/zero | tr '\0' a; printf '\n'
  cat "$W/rsa.ent"; } > "$W/longline.eml"
"$FILTER" -p -a verify -f "$W/rules.yaml" -k "$S" < "$W/longline.eml" \
    > "$W/pipe/longline.out" 2> /dev/null
rc=$?
if [ $rc = 0 ] && grep -q 'smime=permerror (MIME: header section too large)' \
    "$W/pipe/longline.out" && ! grep -q forged-L "$W/pipe/longline.out" &&
    [ "$(grep -c '^X-Long: a*$' "$W/pipe/longline.out")" = 1 ]; then
	ok pipe-header-line-2mb-delivered
else
	fail pipe-header-line-2mb-delivered "exit $rc: $(head -c 200 "$W/pipe/longline.out")"
fi
# a message the filter did not change otherwise still loses forged fields
grep -q '^Verdict test body' "$W/pipe/unsigned.out" && ok pipe-unsigned-delivered ||
    fail pipe-unsigned-delivered "$(head -n 5 "$W/pipe/unsigned.out")"
exit 0
