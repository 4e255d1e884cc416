#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
#
# Faults through the real smtpd, each with the answer it must get and
# nothing lost: the filter's TMPDIR on a small tmpfs that a large message
# fills (451 4.3.0, nothing delivered; once there is room again the same
# message is signed and delivered); a new primary certificate made while
# 200 messages flow (each signed by the old or the new one, none fails);
# the store unreadable and the master key away while it runs (what was
# loaded keeps signing), then restored;
# smtpd stopped while the filter holds a message (the filter and its
# workers exit: no orphans).
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh

FILTER=${FILTER:-obj/asan/filter-smime}
[ -x "$FILTER" ] || FILTER=./filter-smime
ok() { echo "ok faults-$1"; }
fail() { echo "FAIL faults-$1: $2"; }

h_new
S=$W/store
./smimectl -k "$S" init > /dev/null &&
    ./smimectl -k "$S" selfsign --ec P-256 alice@example.org > /dev/null &&
    ./smimectl -k "$S" export alice@example.org > "$W/alice.pem" ||
    { fail setup keystore; exit 0; }
chown -R opensmtpd "$S"
T=$W/tmp
mkdir -p "$T"
if ! mount -t tmpfs -o size=256k,mode=1777 tmpfs "$T" 2> /dev/null; then
	echo "# faults: cannot mount a tmpfs (not root?): skipped"
	exit 0
fi
trap 'umount "$T" 2> /dev/null' EXIT

# 3 MB: past the filter's 1 MB in memory, the rest to TMPDIR, which holds
# 256 KB
{
	printf 'From: alice@example.org\nTo: bob@example.net\nSubject: big\n'
	printf 'Message-ID: <big@example.org>\nContent-Type: application/octet-stream\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	head -c 2200000 /dev/urandom | base64 -w 76
} > "$W/big.eml"

printf 'version: 1\nsigners:\n  trusted: [127.0.0.1]\n' > "$W/trust.yaml"
H_FILTER_ENV="TMPDIR=$T" h_start "$FILTER" -j 1 -f "$W/trust.yaml" -k "$S" ||
    { fail start "$H_WHY"; exit 0; }
h_send --from alice@example.org --to bob@example.net --file "$W/big.eml" \
    > "$W/r1" 2>&1
if grep -q ' 451 ' "$W/r1" && grep -q '4.3.0' "$W/r1"; then
	ok tmpdir-full-451
else
	fail tmpdir-full-451 "$(cat "$W/r1")"
fi
sleep 1
[ "$(h_delivered | wc -l)" = 0 ] && ok tmpdir-full-nothing-delivered ||
    fail tmpdir-full-nothing-delivered "$(h_delivered | wc -l) delivered"
grep -qE 'filter-smime: .*tempfail.*(No space left|could not be written)' "$W/smtpd.log" && ok tmpdir-full-logged ||
    fail tmpdir-full-logged "$(grep filter-smime "$W/smtpd.log" | tail -n 3)"

# room again: the retry goes through, signed
mount -o remount,size=64m "$T"
h_send --from alice@example.org --to bob@example.net --file "$W/big.eml" \
    > "$W/r2" 2>&1
if h_wait_delivered 1 60; then
	h_strip_delivery "$(h_delivered | head -n 1)" > "$W/got.eml"
	openssl smime -verify -in "$W/got.eml" -CAfile "$W/alice.pem" \
	    -purpose smimesign -out /dev/null 2> /dev/null &&
	    ok tmpdir-back-signed || fail tmpdir-back-signed "does not verify"
else
	fail tmpdir-back-signed "$(cat "$W/r2")"
fi
h_health && ok filter-alive || fail filter-alive "$H_WHY"

# Rotation under load: 200 messages from 4 sessions while a new
# certificate is made and becomes primary.  Each message is signed by
# the old or the new one, none fails.
rm -f "$W"/out/msg.*
"$H_PYTHON" regress/lib/soak.py --port "$H_PORT" --from alice@example.org \
    --to bob@example.net --count 200 --concurrency 4 --mark-at 60 \
    --mark-file "$W/mark" > "$W/rot.out" 2> "$W/rot.err" &
client=$!
i=0
while [ ! -f "$W/mark" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
./smimectl -k "$S" selfsign --ec P-256 --primary alice@example.org \
    > /dev/null 2>&1 && chown -R opensmtpd "$S"
./smimectl -k "$S" export alice@example.org > "$W/alice-new.pem"
cat "$W/alice.pem" "$W/alice-new.pem" > "$W/both.pem"
wait "$client"
crc=$?
h_wait_delivered 200 120
bad=0 old=0 new=0
for f in $(h_delivered); do
	h_strip_delivery "$f" > "$W/v.eml"
	if openssl smime -verify -in "$W/v.eml" -CAfile "$W/alice.pem" \
	    -purpose smimesign -out /dev/null 2> /dev/null; then
		old=$((old + 1))
	elif openssl smime -verify -in "$W/v.eml" -CAfile "$W/alice-new.pem" \
	    -purpose smimesign -out /dev/null 2> /dev/null; then
		new=$((new + 1))
	else
		bad=$((bad + 1))
	fi
done
echo "# faults: rotation: $old signed by the old certificate, $new by the new"
[ "$crc" = 0 ] && [ $((old + new)) = 200 ] && [ $bad = 0 ] &&
    [ $new -gt 0 ] && ok rotation-under-load ||
    fail rotation-under-load "client $crc: $(tail -n 1 "$W/rot.out"), old $old, new $new, neither $bad"

# The keystore made unreadable to the filter, and the master key taken
# away, while it runs: what it has loaded keeps signing (identities are
# unsealed once and kept); never a 5xx, nothing lost.  Restored: signed.
small() {	# small TAG -> $W/TAG.eml
	printf 'From: alice@example.org\nTo: bob@example.net\nSubject: %s\nMessage-ID: <%s@example.org>\n\nsmall\n' "$1" "$1" > "$W/$1.eml"
}
sent_signed() {	# sent_signed TAG: 250, delivered, verifies (old or new key)
	h_send --from alice@example.org --to bob@example.net \
	    --file "$W/$1.eml" > "$W/r-$1" 2>&1 || return 1
	i=0
	while [ $i -lt 100 ]; do
		f=$(grep -l "^Subject: $1\$" $(h_delivered) 2> /dev/null | head -n 1)
		[ -n "$f" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$f" ] || return 1
	h_strip_delivery "$f" > "$W/v.eml"
	openssl smime -verify -in "$W/v.eml" -CAfile "$W/both.pem" \
	    -purpose smimesign -out /dev/null 2> /dev/null
}
chmod 000 "$S"
small unreadable
sent_signed unreadable && ok keystore-unreadable-still-signs ||
    fail keystore-unreadable-still-signs "$(cat "$W/r-unreadable")"
chmod 700 "$S"
mv "$S/master.key" "$W/master.key.away"
small nomaster
sent_signed nomaster && ok master-key-away-still-signs ||
    fail master-key-away-still-signs "$(cat "$W/r-nomaster")"
mv "$W/master.key.away" "$S/master.key"
small restored
sent_signed restored && ok keystore-restored-signs ||
    fail keystore-restored-signs "$(cat "$W/r-restored")"

# smtpd stopped while the filter holds a message: filter and workers go
fp=$(h_filter_pid)
kids=$(h_descendants "$fp")
"$H_PYTHON" regress/lib/smtpsend.py --port "$H_PORT" --from alice@example.org \
    --to bob@example.net --file "$W/big.eml" > /dev/null 2>&1 &
sleep 0.3
h_stop
wait
i=0
left="$fp $kids"
while [ $i -lt 50 ]; do
	alive=""
	for p in $left; do kill -0 "$p" 2> /dev/null && alive="$alive $p"; done
	[ -z "$alive" ] && break
	sleep 0.1
	i=$((i + 1))
done
[ -n "$fp" ] && [ -z "$alive" ] && ok smtpd-stop-no-orphans ||
    fail smtpd-stop-no-orphans "still running:$alive (filter $fp)"
exit 0
