#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Memory stays bounded whatever the message's size (architecture.md):
# a 64 MB message is signed (detached and opaque), signed and encrypted,
# decrypted, verified and passed through, in pipe mode and through the
# filter protocol, and each run's peak RSS (the kernel's ru_maxrss) must
# stay within MEM_LIMIT_KB, the 16 MB target (of issue 4).  Every output is checked
# too: a bounded run that produced the wrong octets would be no answer.
#
# This runs the optimised ./filter-smime: ASan's shadow memory and
# quarantine would measure the sanitizer, not us.
set -u
cd "$(dirname "$0")/../.." || exit 1

F=$(pwd)/filter-smime
C=$(pwd)/smimectl
MB=${MEM_MB:-64}
LIMIT=${MEM_LIMIT_KB:-16384}

ok() { echo "ok memory-$1"; }
fail() { echo "FAIL memory-$1: $2"; }

W=$(mktemp -d "${TMPDIR:-/tmp}/fsmem.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
export TMPDIR="$W"

# run NAME IN OUT ARGS...: filter-smime ARGS < IN > OUT, its peak RSS
# in kB (GNU time's %M, ru_maxrss of the process it execs) on stdout;
# the exit status is filter-smime's.
run() {
	name=$1 src=$2 dst=$3
	shift 3
	/usr/bin/time -f '%M' -o "$dst.rss" "$@" < "$src" > "$dst" \
	    2> "$dst.err"
	rc=$?
	cat "$dst.rss" 2>/dev/null | tail -n 1
	return $rc
}

# check NAME RSS RC: the bound and the exit status
check() {
	if [ "$3" != 0 ]; then
		fail "$1" "exit $3: $(head -c 300 "$W/$1.out.err")"
		return 1
	fi
	if [ "$2" -gt "$LIMIT" ]; then
		fail "$1" "peak RSS $2 kB > $LIMIT kB for $MB MB"
		return 1
	fi
	ok "$1-rss ($2 kB)"
	return 0
}

S=$W/store
"$C" -k "$S" init > /dev/null
"$C" -k "$S" selfsign --rsa 2048 alice@example.org > /dev/null
"$C" -k "$S" selfsign --rsa 2048 bob@example.net > /dev/null
"$C" -k "$S" export alice@example.org > "$W/alice.pem"
printf 'version: 1\ndefaults:\n  encrypt: required\n' > "$W/enc.yaml"
printf 'version: 1\ndefaults:\n  signature: opaque\n' > "$W/opaque.yaml"

# text with 8-bit lines (re-encoded as quoted-printable when signed)
# and a large base64 attachment: the canonical form walks both
{
	printf 'From: alice@example.org\nTo: bob@example.net\n'
	printf 'Subject: big\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary="b1"\n\n'
	printf -- '--b1\nContent-Type: text/plain; charset=utf-8\n'
	printf 'Content-Transfer-Encoding: 8bit\n\ncaf\303\251 trailing \nFrom here\n'
	printf -- '--b1\nContent-Type: application/octet-stream\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	head -c $((MB * 1000000 * 3 / 4)) /dev/urandom | base64 -w 76
	printf -- '--b1--\n'
} > "$W/big.eml"

P="-k $S -s alice@example.org -r bob@example.net"

# signed, detached: openssl verifies it; its content is our reference
rss=$(run sign "$W/big.eml" "$W/sign.out" "$F" -p $P); rc=$?
if check sign "$rss" $rc; then
	if openssl cms -verify -noverify -in "$W/sign.out" \
	    -out "$W/ref.content" 2>/dev/null; then
		ok sign-verifies
	else
		fail sign-verifies "openssl cms -verify failed"
	fi
fi

rss=$(run opaque "$W/big.eml" "$W/opaque.out" "$F" -p -f "$W/opaque.yaml" \
    $P); rc=$?
if check opaque "$rss" $rc; then
	if openssl cms -verify -noverify -in "$W/opaque.out" \
	    -out "$W/opaque.content" 2>/dev/null &&
	    cmp -s "$W/opaque.content" "$W/ref.content"; then
		ok opaque-verifies-same-content
	else
		fail opaque-verifies-same-content "openssl or content differs"
	fi
fi

# signed then encrypted, and decrypted again by the inbound path
rss=$(run encrypt "$W/big.eml" "$W/enc.out" "$F" -p -f "$W/enc.yaml" $P)
rc=$?
check encrypt "$rss" $rc
rss=$(run decrypt "$W/enc.out" "$W/dec.out" "$F" -p -a decrypt $P); rc=$?
if check decrypt "$rss" $rc; then
	if grep -q '^X-SMIME-Decrypted: ' "$W/dec.out" &&
	    openssl cms -verify -noverify -in "$W/dec.out" \
	    -out "$W/dec.content" 2>/dev/null &&
	    cmp -s "$W/dec.content" "$W/ref.content"; then
		ok decrypt-same-content
	else
		fail decrypt-same-content "not decrypted to the signed original"
	fi
fi

# inbound verification of the detached and the opaque one
for form in sign opaque; do
	rss=$(run "verify-$form" "$W/$form.out" "$W/v$form.out" "$F" -p \
	    -a verify $P); rc=$?
	if check "verify-$form" "$rss" $rc; then
		if grep -q 'smime=policy (untrusted' "$W/v$form.out"; then
			ok "verify-$form-result"
		else
			fail "verify-$form-result" "$(grep -m1 'smime=' \
			    "$W/v$form.out")"
		fi
	fi
done

# unsigned mail on the inbound path: byte for byte
rss=$(run passthrough "$W/big.eml" "$W/pass.out" "$F" -p -a verify $P); rc=$?
if check passthrough "$rss" $rc; then
	cmp -s "$W/pass.out" "$W/big.eml" && ok passthrough-unchanged ||
	    fail passthrough-unchanged "output differs from input"
fi

# as Exim's transport filter runs it, with pipes in and out: the result
# goes out by sendfile(2), which the sandbox must let through
cat "$W/big.eml" | "$F" -p $P 2> "$W/piped.err" | cat > "$W/piped.out"
if openssl cms -verify -noverify -in "$W/piped.out" \
    -out "$W/piped.content" 2>/dev/null &&
    cmp -s "$W/piped.content" "$W/ref.content"; then
	ok sign-piped
else
	fail sign-piped "$(tail -n 1 "$W/piped.err")"
fi
cat "$W/big.eml" | "$F" -p -a verify $P 2> "$W/piped.err" |
    cat > "$W/piped.pass"
cmp -s "$W/piped.pass" "$W/big.eml" && ok passthrough-piped ||
    fail passthrough-piped "$(tail -n 1 "$W/piped.err")"

# the filter protocol: one session whose DATA is the big message
awk 'BEGIN {
	print "config|smtpd-version|6.8.0p2"; print "config|ready"
	s = "0000000000000001"
	printf "report|0.6|1|smtp-in|link-auth|%s|alice@example.org|pass\n", s
	printf "report|0.6|1|smtp-in|tx-mail|%s|00000001|ok|alice@example.org\n", s
	printf "report|0.6|1|smtp-in|tx-rcpt|%s|00000001|ok|bob@example.net\n", s
}
{ printf "filter|0.6|1|smtp-in|data-line|0000000000000001|00000000000000aa|%s\n", $0 }
END {
	print "filter|0.6|1|smtp-in|data-line|0000000000000001|00000000000000aa|."
	print "filter|0.6|1|smtp-in|commit|0000000000000001|00000000000000bb|"
}' "$W/big.eml" > "$W/t.in"
rss=$(run filter "$W/t.in" "$W/t.out" "$F" -k "$S"); rc=$?
if check filter "$rss" $rc; then
	# the data lines back, as a message, verify
	sed -n 's/^filter-dataline|0000000000000001|00000000000000aa|//p' \
	    "$W/t.out" | sed '$d' > "$W/t.msg"
	if grep -q '|proceed$' "$W/t.out" &&
	    openssl cms -verify -noverify -in "$W/t.msg" \
	    -out "$W/t.content" 2>/dev/null &&
	    cmp -s "$W/t.content" "$W/ref.content"; then
		ok filter-signed-verifies
	else
		fail filter-signed-verifies "the filter's output does not verify"
	fi
fi
