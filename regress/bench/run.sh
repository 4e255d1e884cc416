#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Pass-through benchmark through a real smtpd (private, loopback):
#   - messages/s WITH and WITHOUT the filter, and the ratio: $BENCH_N small
#     messages (default 300), $BENCH_C sessions at a time (default 10),
#     after a warm-up of 20, timed from the first connect until all are
#     accepted (SMTP and filter) and until the last copy is delivered;
#   - the filter's RSS when idle, and its peak RSS (VmHWM) after passing
#     one 10 MB message, plus that message's wall-clock time with and
#     without the filter.
# Prints figures only; never fails on speed (only when something breaks).
# `make bench` runs it from the repo top after `make all`; uses the release
# ./filter-smime unless $FILTER is set.
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh

FILTER=${FILTER:-./filter-smime}
N=${BENCH_N:-300}
C=${BENCH_C:-10}
FROM=sender@test.example

if [ ! -f "$FILTER" ]; then
	echo "bench: no filter at $FILTER (run make)" >&2
	exit 1
fi

now() { date +%s.%N; }
# fmt EXPR: evaluate a floating-point awk expression, 2 decimals.
fmt() { awk "BEGIN { printf \"%.2f\", $1 }"; }

die() { echo "bench: $*" >&2; exit 1; }

# Test messages, shared by both instances: only the sender (root) reads
# them, so they need not be in a W.
D=$(mktemp -d "${H_TMP:-/tmp}/fsmime-bench.XXXXXX") || exit 1
H_ALL_DIRS="$H_ALL_DIRS $D"
{
	printf 'From: Sender <%s>\nTo: rcpt@test.example\n' "$FROM"
	printf 'Subject: bench\nDate: Wed, 25 Nov 2026 14:00:00 +0000\n'
	printf 'Message-ID: <bench@test.example>\nMIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=us-ascii\n\n'
	i=0
	while [ $i -lt 40 ]; do
		printf 'A short line of text, number %d, like an ordinary mail.\n' $i
		i=$((i + 1))
	done
} > "$D/small.eml"
{
	printf 'From: Sender <%s>\nTo: rcpt@test.example\n' "$FROM"
	printf 'Subject: bench big\nDate: Wed, 25 Nov 2026 14:00:00 +0000\n'
	printf 'Message-ID: <bench-big@test.example>\nMIME-Version: 1.0\n'
	printf 'Content-Type: application/octet-stream\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	head -c 7700000 /dev/urandom | base64 -w 76
} > "$D/big.eml"

# warmup: 20 messages first, so the timed run does not pay for first
# connections, first queue directories and cold caches.
warmup() {
	h_send --from "$FROM" --to 'w{i}@test.example' --file "$D/small.eml" \
	    --count 20 --concurrency "$C" > "$W/warmup.log" 2>&1 ||
	    die "warm-up: not all accepted"
	h_wait_delivered 20 60 || die "warm-up: $H_WHY"
}

# throughput LABEL: send N small messages, print msgs/s; sets $rate.
throughput() {
	before=$(h_delivered | wc -l)
	t0=$(now)
	h_send --from "$FROM" --to 'r{i}@test.example' --file "$D/small.eml" \
	    --count "$N" --concurrency "$C" > "$W/send.log" 2>&1 ||
	    die "$1: not all accepted: $(grep -v ' 250 ' "$W/send.log" | head -n 2)"
	ta=$(now)
	h_wait_delivered $((before + N)) 300 || die "$1: $H_WHY"
	t1=$(now)
	rate=$(fmt "$N / ($t1 - $t0)")
	arate=$(fmt "$N / ($ta - $t0)")
	# Accepted = every 250 received (SMTP + filter); delivered adds the
	# queue and one mda run per message.
	echo "throughput $1: $N messages, concurrency $C: all accepted after $(fmt "$ta - $t0") s ($arate msg/s), all delivered after $(fmt "$t1 - $t0") s: $rate msg/s"
}

# big LABEL: one 10 MB message, wall-clock until delivered; sets $bigt.
big() {
	before=$(h_delivered | wc -l)
	t0=$(now)
	h_send --from "$FROM" --to big@test.example --file "$D/big.eml" \
	    > "$W/send-big.log" 2>&1 || die "$1: 10 MB message not accepted"
	h_wait_delivered $((before + 1)) 300 || die "$1: $H_WHY"
	t1=$(now)
	bigt=$(fmt "$t1 - $t0")
	echo "10 MB message $1: $bigt s"
}

# status FIELD PID: a /proc/PID/status value in kB.
status() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status"; }

# Without the filter.
h_new
h_start || die "smtpd without filter: $H_WHY"
warmup
throughput "without filter"
rate_plain=$rate
arate_plain=$arate
big "without filter"
big_plain=$bigt
h_health || die "without filter: $H_WHY"
h_stop

# With the filter.
h_new
h_start "$FILTER" || die "smtpd with filter: $H_WHY"
fpid=$(h_filter_pid) || die "filter process not found"
rss_idle=$(status VmRSS "$fpid")
warmup
throughput "with filter"
rate_filter=$rate
arate_filter=$arate
rss_small=$(status VmHWM "$fpid")
big "with filter"
big_filter=$bigt
rss_peak=$(status VmHWM "$fpid")
rss_after=$(status VmRSS "$fpid")
h_health || die "with filter: $H_WHY"
h_stop

echo "throughput ratio with/without filter: $(fmt "$rate_filter / $rate_plain") delivered, $(fmt "$arate_filter / $arate_plain") accepted"
echo "10 MB message time ratio with/without filter: $(fmt "$big_filter / $big_plain")"
echo "filter RSS idle: $rss_idle kB"
echo "filter peak RSS (VmHWM) after the $((N + 20)) small messages: $rss_small kB"
echo "filter peak RSS (VmHWM) after the 10 MB message: $rss_peak kB"
echo "filter RSS after the 10 MB message: $rss_after kB"
