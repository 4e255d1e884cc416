#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# End-to-end pass-through: messages go through a real smtpd (private,
# loopback) with the filter, and must be delivered byte-identical.
#
# Filter: $FILTER if set (relative to the repo top), else
# obj/asan/filter-smime, else ./filter-smime.
# Run as root: sh regress/e2e/passthrough.sh (regress/run.sh does).
#
# Comparison: a delivered copy, minus what smtpd adds on delivery
# (Return-Path, Delivered-To, its Received header; see h_strip_delivery),
# must equal the sent file.  Sent files use LF line ends (smtpsend.py
# turns them into CRLF on the wire, the mda writes LF) and carry their own
# Date and Message-ID, so smtpd adds neither.  A file without a final
# newline arrives with one: SMTP cannot transmit a partial last line
# (the end-of-data sequence is CRLF.CRLF), so the expected copy gets "\n".
#
# Each group runs its own smtpd instance (own W and port), so a filter
# crash in one group does not cascade into the others.
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/lib/harness.sh

if [ -z "${FILTER:-}" ]; then
	if [ -x obj/asan/filter-smime ]; then
		FILTER=obj/asan/filter-smime
	else
		FILTER=./filter-smime
	fi
fi
if [ ! -f "$FILTER" ]; then
	echo "FAIL passthrough-filter: no filter at $FILTER (run make)"
	exit 1
fi

FROM=sender@test.example
DATE="Wed, 25 Nov 2026 14:00:00 +0000"
nfail=0

# Test names carry the file's prefix, unique in the whole `make check`.
ok() { echo "ok passthrough-$1"; }
fail() { echo "FAIL passthrough-$1: $2"; nfail=$((nfail + 1)); }

# Standard headers for message NAME, addressed to NAME@test.example.
hdrs() {
	printf 'From: Sender <%s>\n' "$FROM"
	printf 'To: %s@test.example\n' "$1"
	printf 'Subject: passthrough %s\n' "$1"
	printf 'Date: %s\n' "$DATE"
	printf 'Message-ID: <%s.%s@test.example>\n' "$1" "$$"
	printf 'MIME-Version: 1.0\n'
}

# A line of N copies of character C (no newline).
repeat() {
	printf "%0$1d" 0 | tr 0 "$2"
}

start_group() {
	h_new
	if ! h_start "$FILTER"; then
		fail "$1-start" "$H_WHY"
		return 1
	fi
}

end_group() {
	if h_health; then
		ok "$1-health"
	else
		fail "$1-health" "$H_WHY"
		tail -n 20 "$W/smtpd.log" | sed 's/^/# /'
	fi
	h_stop
	# The filter has exited now: LeakSanitizer reports only then.
	if why=$(h_sanitizer_reports); then
		fail "$1-exit" "$why"
		find "$W/san" -type f -size +0 -exec cat {} + | head -n 40 |
		    sed 's/^/# /'
	else
		ok "$1-exit"
	fi
}

# "RECIPIENT FILE" for every delivered copy, into $W/rcpt-index (one awk
# over all files: the mda writes Delivered-To as the second line).
index_deliveries() {
	# shellcheck disable=SC2046
	LC_ALL=C awk 'FNR > 3 { nextfile }
	    /^Delivered-To: / { print $2, FILENAME; nextfile }' \
	    $(h_delivered) /dev/null > "$W/rcpt-index"
}

# The delivered copy for recipient $1 (after index_deliveries), or nothing.
delivered_for() {
	awk -v r="$1" '$1 == r { print $2; f = 1; exit } END { exit !f }' \
	    "$W/rcpt-index"
}

# compare NAME SENTFILE DELIVEREDFILE: prints nothing, returns 1 with
# $why set on a difference.
compare() {
	exp=$W/$1.expected
	cp "$2" "$exp"
	# SMTP adds the missing final newline, see the top of this file.
	if [ -s "$exp" ] && [ "$(tail -c 1 "$exp" | od -An -c | tr -d ' ')" != '\n' ]; then
		printf '\n' >> "$exp"
	fi
	h_strip_delivery "$3" > "$W/$1.got"
	if ! c=$(LC_ALL=C cmp "$exp" "$W/$1.got" 2>&1); then
		# "X Y differ: byte B, line L" or "cmp: EOF on X after byte B..."
		l=$(echo "$c" | sed -n 's/.*line \([0-9]*\).*/\1/p')
		why="delivered copy differs ($(echo "$c" | sed 's|[^ ]*/||g'))"
		if [ -n "$l" ]; then
			why="$why; want [$(sed -n "${l}p" "$exp" | cut -c1-60 | cat -v)]"
			why="$why got [$(sed -n "${l}p" "$W/$1.got" | cut -c1-60 | cat -v)]"
		fi
		return 1
	fi
}

# check NAME: send $W/NAME.eml to NAME@test.example, wait for its
# delivery, compare.
ndeliv=0
check() {
	name=$1
	msg=$W/$name.eml
	if ! h_alive "$H_PID"; then
		fail "$name" "smtpd is not running (died in an earlier test)"
		return
	fi
	if ! h_send --from "$FROM" --to "$name@test.example" --file "$msg" \
	    > "$W/$name.send" 2>&1; then
		fail "$name" "not accepted: $(tr '\n' ' ' < "$W/$name.send")"
		return
	fi
	ndeliv=$((ndeliv + 1))
	if ! h_wait_delivered "$ndeliv" 30; then
		fail "$name" "$H_WHY"
		ndeliv=$(h_delivered | wc -l)
		return
	fi
	index_deliveries
	f=$(delivered_for "$name@test.example") || {
		fail "$name" "no copy delivered to $name@test.example"
		return
	}
	if compare "$name" "$msg" "$f"; then
		ok "$name"
	else
		fail "$name" "$why"
	fi
}

# --- group 1: message shapes -------------------------------------------

group_shapes() {
	start_group shapes || return
	ndeliv=0

	{ hdrs ascii
	  printf 'Content-Type: text/plain; charset=us-ascii\n\n'
	  printf 'Hello,\n\nplain ASCII text.\nTrailing spaces   \n\t tab led\n'
	  printf 'Pipes | in || the |line| (the protocol separator)\n'
	  printf 'Backslash \\ and %% percent\n-- \nsig\n'
	} > "$W/ascii.eml"
	check ascii

	# 8-bit UTF-8 body: smtpsend.py asks for BODY=8BITMIME.
	{ hdrs utf8
	  printf 'Content-Type: text/plain; charset=utf-8\n'
	  printf 'Content-Transfer-Encoding: 8bit\n\n'
	  printf 'Gr\303\274\303\237e aus K\303\266ln, \303\251t\303\251, '
	  printf '\316\272\317\214\317\203\316\274\316\265, \346\227\245\346\234\254, '
	  printf '\360\237\230\200\n'
	  printf '\303\204\303\226\303\234 at line start and end \303\270\n'
	} > "$W/utf8.eml"
	check utf8

	# Lines starting with dots: dot-stuffed on the wire, in the
	# filter's data-lines and its output, unstuffed by smtpd.
	{ hdrs dots
	  printf '\n.leading dot\n..two dots\n...\n.. \n. space\n.\tTAB\nend\n'
	} > "$W/dots.eml"
	check dots

	# A line that is only "." inside the body (and as the last line):
	# must not end the message early.
	{ hdrs lonedot
	  printf '\nbefore\n.\nafter\n\n.\n'
	} > "$W/lonedot.eml"
	check lonedot

	# 998 octets is the RFC 5322 limit; the one starting with '.' is
	# 999 on the wire after stuffing.
	{ hdrs longlines
	  printf 'X-Long: %s\n\n' "$(repeat 990 h)"
	  repeat 998 a; printf '\n'
	  printf '.'; repeat 997 b; printf '\n'
	  repeat 997 c; printf '|\n'
	  printf 'short\n'
	  repeat 998 d; printf '\n'
	} > "$W/longlines.eml"
	check longlines

	# Headers, the separating empty line, no body.
	{ hdrs headersonly
	  printf '\n'
	} > "$W/headersonly.eml"
	check headersonly

	# Headers only, without even the empty line.
	hdrs headersnoblank > "$W/headersnoblank.eml"
	check headersnoblank

	# Last line without newline (arrives with one, see compare()).
	{ hdrs nofinalnl
	  printf '\nfirst line\nlast line without newline'
	} > "$W/nofinalnl.eml"
	check nofinalnl

	# Empty lines at the end of the body must survive.
	{ hdrs trailingblank
	  printf '\nbody\n\n\n\n'
	} > "$W/trailingblank.eml"
	check trailingblank

	# Folded headers (TAB and space continuations).  Not To/Cc/From:
	# smtpd itself re-emits those unfolded (see the protocol notes §6).
	{ printf 'From: Sender <%s>\n' "$FROM"
	  printf 'To: folded@test.example\n'
	  printf 'Subject: a folded subject line that goes on\n'
	  printf '\tand on over a TAB continuation\n'
	  printf '  and a space continuation\n'
	  printf 'Date: %s\n' "$DATE"
	  printf 'Message-ID: <folded.%s@test.example>\n' "$$"
	  printf 'References: <a1@test.example>\n <a2@test.example>\n'
	  printf '\t<a3@test.example>\n'
	  printf 'X-Folded:\n value on the next line only\n'
	  printf 'Content-Type: text/plain;\n\tcharset=us-ascii;\n\tformat=flowed\n'
	  printf '\nbody\n'
	} > "$W/folded.eml"
	check folded

	end_group shapes
}

# --- group 2: a 10 MB base64 attachment --------------------------------

group_big() {
	start_group big || return
	ndeliv=0
	{ hdrs big
	  printf 'Content-Type: multipart/mixed; boundary="=-b-="\n\n'
	  printf 'This is a multi-part message in MIME format.\n\n'
	  printf -- '--=-b-=\nContent-Type: text/plain; charset=us-ascii\n\n'
	  printf 'see attachment\n\n'
	  printf -- '--=-b-=\nContent-Type: application/octet-stream\n'
	  printf 'Content-Disposition: attachment; filename="big.bin"\n'
	  printf 'Content-Transfer-Encoding: base64\n\n'
	  head -c 7700000 /dev/urandom | base64 -w 76
	  printf -- '--=-b-=--\n'
	} > "$W/big.eml"
	check big
	end_group big
}

# --- group 3: 50 concurrent sessions through one filter ----------------

group_concurrent() {
	start_group concurrent || return
	n=50
	i=0
	files=""
	while [ $i -lt $n ]; do
		# Unique and of different lengths, so the filter's data-lines
		# of many sessions interleave and a mix-up shows.
		{ hdrs "c$i"
		  printf '\n'
		  awk -v i=$i 'BEGIN {
			for (j = 0; j < 20 + i * 7; j++) {
				z = ""
				for (k = 0; k < j % 60; k++) z = z "z"
				printf "message %d line %d %s\n", i, j, z
			}
		  }'
		  printf '.dot line of %d\n' "$i"
		} > "$W/c$i.eml"
		files="$files --file $W/c$i.eml"
		i=$((i + 1))
	done
	# 50 sessions open at once (threads), all held before DATA so the
	# 50 messages pass the filter together; message i to c<i>@test.example.
	# shellcheck disable=SC2086
	if h_send --from "$FROM" --to 'c{i}@test.example' $files \
	    --concurrency $n --together > "$W/concurrent.send" 2>&1; then
		ok concurrent-accept
	else
		fail concurrent-accept "not all accepted: $(grep -v '^[0-9]* 250 ' "$W/concurrent.send" | head -n 3 | tr '\n' ' ')"
	fi
	if ! h_wait_delivered $n 60; then
		fail concurrent-delivered "$H_WHY"
	elif [ "$(h_delivered | wc -l)" -ne $n ]; then
		fail concurrent-delivered "$(h_delivered | wc -l) files for $n messages"
	else
		ok concurrent-delivered
	fi
	index_deliveries
	i=0
	bad=""
	first=""
	while [ $i -lt $n ]; do
		if ! f=$(delivered_for "c$i@test.example"); then
			bad="$bad c$i"
			first=${first:-"c$i: not delivered"}
		elif ! compare "c$i" "$W/c$i.eml" "$f"; then
			bad="$bad c$i"
			first=${first:-"c$i: $why"}
		fi
		i=$((i + 1))
	done
	if [ -z "$bad" ]; then
		ok concurrent-intact
	else
		fail concurrent-intact "wrong or missing:$bad; first: $first"
	fi
	end_group concurrent
}

group_shapes
group_big
group_concurrent
[ $nfail -eq 0 ]
