#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
#
# Soak: SOAK_N messages (default 2000 here, 10 000 with make soak)
# signed by a real smtpd with filter-smime and two workers, from 8
# concurrent client sessions over persistent connections (a new session
# when smtpd's per-session message limit answers 452).  Halfway one
# worker is killed with SIGKILL and the filter gets SIGHUP.  Afterwards:
# every message smtpd accepted is delivered exactly once (Message-IDs
# counted), none is lost, a sample verifies with openssl, the filter's
# resident memory (all its processes) at the end is within 10% of what
# it was after the first 1000, and the rate is printed.
#
# The filter is the release build (./filter-smime): the sanitizers'
# quarantine would make the memory figure meaningless.
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh

N=${SOAK_N:-2000}
FILTER=./filter-smime
ok() { echo "ok soak-$1"; }
fail() { echo "FAIL soak-$1: $2"; }

[ -x "$FILTER" ] && [ -x ./smimectl ] ||
    { fail setup "build first: make"; exit 1; }

# RSS of the filter and its workers, in kB.
filter_rss() {
	_fp=$(h_filter_pid) || { echo 0; return; }
	for _p in $_fp $(h_descendants "$_fp"); do
		awk '/^VmRSS:/ { print $2 }' "/proc/$_p/status" 2>/dev/null
	done | awk '{ s += $1 } END { print s + 0 }'
}

h_new
S=$W/store
./smimectl -k "$S" init > /dev/null &&
    ./smimectl -k "$S" selfsign --ec P-256 alice@example.org > /dev/null &&
    ./smimectl -k "$S" export alice@example.org > "$W/alice.pem" ||
    { fail setup "keystore"; exit 1; }
printf 'version: 1\nsigners:\n  trusted: [127.0.0.1]\ndefaults:\n  sign: yes\n' > "$W/rules.yaml"
chmod 644 "$W/rules.yaml"
chown -R opensmtpd "$S"
h_start "$FILTER" -j 2 -f "$W/rules.yaml" -k "$S" ||
    { fail start "$H_WHY"; exit 1; }

# the memory figure is taken after the first 1000 (half, for fewer)
first=$(( N / 2 < 1000 ? N / 2 : 1000 ))
"$H_PYTHON" regress/lib/soak.py --port "$H_PORT" \
    --from alice@example.org --to bob@example.net --count "$N" \
    --concurrency 8 --mark-at $(( N / 2 )) --mark-file "$W/mark" \
    > "$W/soak.out" 2> "$W/soak.err" &
client=$!

# after the first 1000: the memory figure to compare with
h_wait_delivered "$first" 600 || fail early "$H_WHY"
rss1=$(filter_rss)

# halfway: a worker killed, the rules reloaded
i=0
while [ ! -f "$W/mark" ] && [ $i -lt 6000 ]; do sleep 0.1; i=$((i + 1)); done
fp=$(h_filter_pid)
victim=$(for p in $(h_descendants "$fp"); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = smime-worker ] && echo "$p"
done | head -n 1)
if [ -n "$victim" ] && kill -9 "$victim" 2> /dev/null; then
	ok worker-killed
else
	fail worker-killed "no worker to kill (filter $fp)"
fi
sleep 0.5
kill -HUP "$fp" 2> /dev/null

wait "$client"
crc=$?
summary=$(tail -n 1 "$W/soak.out")
accepted=$(grep -c '^accepted ' "$W/soak.out")
echo "# soak: $summary"
[ "$crc" = 0 ] && [ "$accepted" = "$N" ] && ok all-accepted ||
    fail all-accepted "$summary $(tail -n 3 "$W/soak.err")"

h_wait_delivered "$accepted" 300 ||
    fail delivered "$(h_delivered | wc -l) of $accepted: $H_WHY"
sleep 2			# anything more (a duplicate) would arrive now
rss2=$(filter_rss)

# exactly once: the delivered Message-IDs are the accepted ones, once each
h_delivered | xargs grep -h -m1 '^Message-ID: <soak-' |
    sed 's/^Message-ID: <soak-\([0-9]*\)@.*/\1/' | sort -n > "$W/got"
sed -n 's/^accepted //p' "$W/soak.out" | sort -n > "$W/want"
ndel=$(h_delivered | wc -l)
nuniq=$(sort -u "$W/got" | wc -l)
[ "$ndel" = "$accepted" ] && [ "$nuniq" = "$accepted" ] &&
    cmp -s "$W/got" "$W/want" && ok exactly-once ||
    fail exactly-once "delivered $ndel, distinct $nuniq, accepted $accepted: $(diff "$W/want" "$W/got" | head -n 4 | tr '\n' ' ')"

# a sample of 20 verifies
bad=0
for f in $(h_delivered | awk -v n="$ndel" 'NR % (n / 20 + 1) == 0'); do
	h_strip_delivery "$f" > "$W/v.eml"
	openssl smime -verify -in "$W/v.eml" -CAfile "$W/alice.pem" \
	    -purpose smimesign -out /dev/null 2> /dev/null || bad=$((bad + 1))
done
[ $bad = 0 ] && ok sample-verifies || fail sample-verifies "$bad did not"

# the kill and the reload were noticed, and the filter carried on
grep -q 'SIGHUP received' "$W/smtpd.log" && ok hup-seen ||
    fail hup-seen "no SIGHUP line in the log"
# two workers, a key process for each and the loop's own
comms=$(for p in $(h_descendants "$(h_filter_pid)"); do
	cat "/proc/$p/comm" 2>/dev/null; done | sort | uniq -c | tr -s ' \n' '  ')
[ "$comms" = " 3 smime-keys 2 smime-worker " ] && ok workers-replaced ||
    fail workers-replaced "at the end:$comms"
if h_health; then ok filter-alive; else fail filter-alive "$H_WHY"; fi

# memory: within 10% of the figure after the first 1000
echo "# soak: filter RSS ${rss1} kB after $first, ${rss2} kB after $N"
[ "$rss1" -gt 0 ] && [ $(( rss2 * 100 )) -le $(( rss1 * 110 )) ] &&
    ok rss-stable || fail rss-stable "${rss1} kB -> ${rss2} kB"
h_stop
exit 0
