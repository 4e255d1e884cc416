#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# CMS engine figures beside openssl speed on the same machine, and
# pipe-mode signing of 10 KB messages against a per-message openssl cms
# pipeline with the same key.  Prints figures; never fails on speed.
set -u
cd "$(dirname "$0")/../.." || exit 1
W=$(mktemp -d /tmp/fsmime-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
C=./smimectl
S=$W/store
$C -k "$S" init > /dev/null
$C -k "$S" selfsign --rsa 2048 rsa@example.org > /dev/null
$C -k "$S" selfsign --ec P-256 ec@example.org > /dev/null
# the other key types of the filter-mode figures
$C -k "$S" selfsign --rsa 3072 rsa3072@example.org > /dev/null
$C -k "$S" selfsign --rsa 4096 rsa4096@example.org > /dev/null
$C -k "$S" selfsign --ec P-384 p384@example.org > /dev/null
$C -k "$S" export rsa@example.org > "$W/rsa.pem"
$C -k "$S" export ec@example.org > "$W/ec.pem"

# 2.28 defines the version in version.h, 3.x in build_info.h
echo "== CMS engine (mbedTLS $(cat /usr/include/mbedtls/version.h /usr/include/mbedtls/build_info.h 2>/dev/null | grep -m1 -o 'MBEDTLS_VERSION_STRING *"[^"]*"' | cut -d'"' -f2))"
/usr/bin/time -f "   peak RSS %M kB (64 MB message held in memory)" \
    obj/bench/cmsbench "$S" rsa@example.org "$W/rsa.pem" "$W/ec.pem" |
    tee "$W/engine.rsa"
obj/bench/cmsbench "$S" ec@example.org "$W/rsa.pem" "$W/ec.pem" | head -n 3 |
    tee "$W/engine.ec"
for who in rsa3072 rsa4096 p384; do
	obj/bench/cmsbench -bare "$S" $who@example.org |
	    sed "s/\$/   ($who)/" | tee "$W/engine.$who"
done
echo "== openssl speed, same machine"
# OpenSSL 3.0 prints "rsa 2048 bits ...", 3.5 "rsa2048 ..." (sign/s 5th)
openssl speed -seconds 2 rsa2048 ecdsap256 2>/dev/null |
    grep -E '^rsa 2048|^ *rsa2048|nistp256' | sed 's/^ *//'
for a in sha256 aes-256-cbc aes-256-gcm; do
	openssl speed -seconds 2 -evp $a -bytes 65536 2>/dev/null | tail -n 1 |
	    awk '{ printf "%-14s %8.1f MB/s\n", $1, $2 / 1000 }'
done

echo "== 200 messages of 10 KB signed: pipe mode vs openssl cms per message"
awk 'BEGIN { print "From: rsa@example.org\nTo: bob@example.net\nSubject: bench\nContent-Type: text/plain\n";
	for (i = 0; i < 160; i++) printf "line %03d of a ten kilobyte message for the benchmark ........\n", i }' > "$W/m.eml"
FILTER_SMIME_MASTER_KEY_FILE= 
t0=$(date +%s.%N)
i=0
while [ $i -lt 200 ]; do
	./filter-smime -p -k "$S" -s rsa@example.org < "$W/m.eml" > /dev/null || break
	i=$((i + 1))
done
t1=$(date +%s.%N)
openssl pkey -in /dev/null > /dev/null 2>&1
# openssl needs the key in clear: make a separate one of the same kind
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/o.key" -subj /CN=o \
    -days 1 -out "$W/o.pem" 2>/dev/null
t2=$(date +%s.%N)
i=0
while [ $i -lt 200 ]; do
	openssl cms -sign -in "$W/m.eml" -signer "$W/o.pem" -inkey "$W/o.key" \
	    > /dev/null 2>&1 || break
	i=$((i + 1))
done
t3=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN {
	p = 200 / (b - a); o = 200 / (d - c)
	printf "pipe mode      %7.1f messages/s\nopenssl cms    %7.1f messages/s\nratio          %7.2f\n", p, o, p / o }'
awk -v c="$t2" -v d="$t3" 'BEGIN { printf "%f\n", 200 / (d - c) }' > "$W/openssl.rate"

echo "== filter protocol loop: 500 messages of 10 KB through a recorded transcript"
# the same message as 500 sessions' data-lines, fed to the filter as
# smtpd would; the filter signs each with rsa@ (then ec@) from the store
# each session logged in as its sender (the signer table's default: a
# client that is not may not sign as anyone)
gen() {	# gen SENDER [MESSAGE [RCPT]]
	echo 'config|smtpd-version|6.8.0p2'
	echo 'config|ready'
	awk -v from="$1" -v rcpt="${3:-bob@example.net}" 'BEGIN { n = 0 }
	{ lines[n++] = $0 }
	END {
		for (s = 1; s <= 500; s++) {
			sid = sprintf("%016x", s)
			printf "report|0.6|1|smtp-in|link-auth|%s|%s|pass\n", sid, from
			printf "report|0.6|1|smtp-in|tx-mail|%s|%08x|ok|%s\n", sid, s, from
			printf "report|0.6|1|smtp-in|tx-rcpt|%s|%08x|ok|%s\n", sid, s, rcpt
			for (i = 0; i < n; i++)
				printf "filter|0.6|1|smtp-in|data-line|%s|00000000000000aa|%s\n", sid, lines[i]
			printf "filter|0.6|1|smtp-in|data-line|%s|00000000000000aa|.\n", sid
			printf "filter|0.6|1|smtp-in|commit|%s|00000000000000bb|\n", sid
		}
	}' "${2:-$W/m.eml}"
}
# The machine's speed drifts by tens of percent from minute to minute
# here: each figure is set against the bare rate measured just before
# and just after its runs, not against the one at the top.
bare_now() {	# bare_now WHO [PIN...]: the bare mbedTLS rate of WHO's key, now
	_who=$1
	shift
	"$@" obj/bench/cmsbench -rate "$S" "$_who@example.org" |
	    awk '/^bare mbedTLS/ { print $4 }'
}
# The first CPU this script may run on: the one-CPU figures' CPU.  On a
# virtual machine a process woken on the other CPU costs tens of
# microseconds more than one woken on its own, each time.
cpu0=$(taskset -pc $$ | sed 's/.*: *//; s/[,-].*//')
# rsa, ec: RSA-2048 and P-256; then RSA-3072, RSA-4096 and P-384
for who in rsa ec rsa3072 rsa4096 p384; do
	sed "s/^From: [a-z0-9]*@/From: $who@/" "$W/m.eml" > "$W/m2.eml"
	mv "$W/m2.eml" "$W/m.eml"
	gen "$who@example.org" > "$W/t.in"
	# -j 0: one message at a time (the loop, one worker, its key
	# process), on one CPU as the bare rate is, and free to use any;
	# default: a worker per CPU ($(nproc))
	for j in 0/1cpu 0 default; do
		jopt="" pin=""
		case $j in
		0/1cpu) jopt="-j 0" pin="taskset -c $cpu0" ;;
		0) jopt="-j 0" ;;
		esac
		# the best of two runs, and the best bare rate of the three
		# measured around them (on the same CPU for the one-CPU
		# figure): the machine's slow phases last seconds, and either
		# side may fall into one
		bare=$(bare_now $who $pin)
		best=0
		for round in 1 2; do
			t0=$(date +%s.%N)
			$pin ./filter-smime $jopt -k "$S" < "$W/t.in" \
			    > "$W/t.out" 2>"$W/t.err"
			t1=$(date +%s.%N)
			after=$(bare_now $who $pin)
			n=$(grep -c '|proceed$' "$W/t.out")
			s=$(grep -c ' signed msgid=' "$W/t.err")
			best=$(awk -v a="$t0" -v b="$t1" -v n="$n" -v m="$best" \
			    'BEGIN { r = n / (b - a); print (r > m ? r : m) }')
			bare=$(awk -v a="$bare" -v b="$after" \
			    'BEGIN { print (b > a ? b : a) }')
		done
		awk -v r="$best" -v s="$s" -v w="$who" -v j="$j" -v o="$(cat "$W/openssl.rate")" -v bare="$bare" 'BEGIN {
			printf "filter mode %-7s -j %-7s %7.1f messages/s (%d signed)   vs openssl cms pipeline: %.2fx", w, j, r, s, r / o
			if (bare > 0) printf "   vs bare signing %.0f/s: %.2f", bare, r / bare
			printf "\n" }'
	done
done
echo "   (workers by default: $(nproc) online CPUs)"
# what two CPUs give here at best: two bare signers at once
obj/bench/cmsbench -rate "$S" rsa@example.org > "$W/two.1" &
obj/bench/cmsbench -rate "$S" rsa@example.org > "$W/two.2" &
wait
one=$(bare_now rsa)
cat "$W/two.1" "$W/two.2" | awk -v one="$one" '/^bare mbedTLS/ { t += $4 }
    END { printf "   two bare RSA-2048 signers at once: %.0f/s, %.2f times one alone (%.0f/s): the ceiling of the default figures\n", t, t / one, one }'

echo "== inbound, filter protocol loop (-a verify): 500 messages of 10 KB"
# signed by rsa@, and signed then encrypted to rsa@ (whose key the store
# holds): verified; decrypted (an RSA private key operation) and verified
sed "s/^From: [a-z0-9]*@/From: rsa@/" "$W/m.eml" > "$W/in.eml"
./filter-smime -p -k "$S" -s rsa@example.org < "$W/in.eml" > "$W/in-signed.eml"
printf 'version: 1\ndefaults:\n  encrypt: required\n' > "$W/enc-self.yaml"
./filter-smime -p -f "$W/enc-self.yaml" -k "$S" -s rsa@example.org \
    -r rsa@example.org < "$W/in.eml" > "$W/in-enc.eml"
# the encrypted ones go to rsa@ itself: only a recipient's key decrypts
for kind in signed enc; do
	gen rsa@example.org "$W/in-$kind.eml" rsa@example.org > "$W/t.in"
	for j in 0 default; do
		jopt=""
		[ $j = 0 ] && jopt="-j 0"
		t0=$(date +%s.%N)
		./filter-smime $jopt -a verify -k "$S" < "$W/t.in" > "$W/t.out" 2>"$W/t.err"
		t1=$(date +%s.%N)
		n=$(grep -c '|proceed$' "$W/t.out")
		c=$(grep -c ' checked msgid=' "$W/t.err")
		d=$(grep -c ' checked msgid=.* decrypted ' "$W/t.err")
		awk -v a="$t0" -v b="$t1" -v n="$n" -v c="$c" -v d="$d" -v k="$kind" -v j="$j" 'BEGIN {
			printf "%-16s -j %-7s %7.1f messages/s (%d checked, %d decrypted)\n",
			    k == "signed" ? "verify" : "decrypt+verify", j, n / (b - a), c, d }'
	done
done

# figure MB MODE: one line from $W/best.MODE, or why there is no figure;
# beside it openssl's figure for the same job ($W/ossl.MODE: MB/s, RSS
# kB, form)
figure() {
	set -- "$1" "$2" $(cat "$W/best.$2")
	if [ "$4" != 0 ]; then
		printf "%3d MB %-14s failed (exit %s)\n" "$1" "$2" "$4"
		return
	fi
	o=$(cat "$W/ossl.${2%-mbedtls}" 2>/dev/null)
	awk -v t="$3" -v mb="$1" -v m="$2" -v r="$5" -v o="$o" 'BEGIN {
		ours = mb / t
		printf "%3d MB %-14s %7.1f MB/s %6.1f MB", mb, m, ours, r / 1024
		if (split(o, f, " ") == 3 && f[1] > 0)
			printf "   openssl %7.1f MB/s %6.1f MB %-9s   ratio %5.2f", f[1], f[2] / 1024, "(" f[3] ")", ours / f[1]
		printf "\n" }'
}

# openssl cms for the same jobs, with a key of the same kind in clear:
# o signs, b receives.  A job is one command or a pipe of two (sign then
# encrypt; decrypt then verify), timed whole; its RSS is the larger.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/b.key" -subj /CN=b \
    -days 1 -out "$W/b.pem" 2>/dev/null
orun() {	# orun FORM IN OUT CMD1 [| CMD2]: seconds in $W/t, RSS in $W/r
	t0=$(date +%s.%N)
	case $1 in
	one) /usr/bin/time -f '%M' -o "$W/r1" sh -c "$4" < "$2" > "$3" 2>/dev/null
	     echo 0 > "$W/r2" ;;
	two) /usr/bin/time -f '%M' -o "$W/r1" sh -c "$4" < "$2" 2>/dev/null |
	     /usr/bin/time -f '%M' -o "$W/r2" sh -c "$5" > "$3" 2>/dev/null ;;
	esac
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ print $2 - $1 }' > "$W/t"
	cat "$W/r1" "$W/r2" | awk '$1 > m { m = $1 } END { print m }' > "$W/r"
}
# ossl MB MODE FORM LABEL CMD...: keep the faster of the forms tried
ossl() {
	mb=$1 mode=$2 label=$3
	shift 3
	rm -f "$3"
	orun "$@"
	# a job that wrote nothing failed: no figure from it
	[ -s "$3" ] || echo 0 > "$W/t"
	awk -v mb="$mb" -v t="$(cat "$W/t")" -v r="$(cat "$W/r")" -v l="$label" \
	    -v old="$(cat "$W/ossl.$mode" 2>/dev/null)" 'BEGIN {
		v = t > 0 ? mb / t : 0
		if (split(old, f, " ") == 3 && f[1] >= v) print old
		else print v, r, l }' > "$W/ossl.$mode.new"
	mv "$W/ossl.$mode.new" "$W/ossl.$mode"
}
SIGN="openssl cms -sign -signer $W/o.pem -inkey $W/o.key"
ENC="openssl cms -encrypt -aes256"	# then [-stream] and the certificate
VER="openssl cms -verify -CAfile $W/o.pem"
DEC="openssl cms -decrypt -recip $W/b.pem -inkey $W/b.key"
# openssl's run of each job: both forms where there are two
openssl_round() {	# openssl_round MB: into $W/ossl.{sign,encrypt,verify,decrypt}
	for st in "" "-stream"; do
		l=${st:-plain}
		ossl "$1" sign "$l" one "$W/big.eml" "$W/o.sig" "$SIGN $st"
		ossl "$1" encrypt "$l" two "$W/big.eml" "$W/o.enc" "$SIGN $st" \
		    "$ENC $st $W/b.pem"
	done
	$SIGN < "$W/big.eml" > "$W/o.sig" 2>/dev/null
	ossl "$1" verify plain one "$W/o.sig" "$W/o.out" "$VER"
	ossl "$1" decrypt plain two "$W/o.enc" "$W/o.out" "$DEC" "$VER"
}

# ours MODE IN OUT CMD...: CMD < IN > OUT once; $W/best.MODE keeps the
# fastest run so far: "seconds exit-status peak-RSS-kB"
ours() {
	_mode=$1 _in=$2 _out=$3
	shift 3
	a=$(date +%s.%N)
	/usr/bin/time -f '%M' -o "$W/rss.try" "$@" < "$_in" > "$_out" \
	    2> "$W/err"
	r=$?
	b=$(date +%s.%N)
	awk -v a="$a" -v b="$b" -v r="$r" -v m="$(tail -n 1 "$W/rss.try")" \
	    -v old="$(cat "$W/best.$_mode" 2>/dev/null)" 'BEGIN {
		t = b - a
		if (split(old, f, " ") == 3 && f[1] <= t) print old
		else print t, r, m }' > "$W/best.$_mode.new"
	mv "$W/best.$_mode.new" "$W/best.$_mode"
}

echo "== pipe mode, large messages: ours beside openssl cms (sign; sign+encrypt; verify; decrypt+verify)"
echo "   MB/s and peak RSS; each the best of two runs, ours and openssl's in turns (openssl: of -stream and not); ratio > 1: we are faster"
echo "   $(obj/bench/cmsbench -engine); -mbedtls: all off (FILTER_SMIME_NO_HW=1)"
printf 'version: 1\ndefaults:\n  encrypt: required\n' > "$W/enc.yaml"
$C -k "$S" import "$W/rsa.pem" --account bob@example.net > /dev/null 2>&1 ||
    $C -k "$S" selfsign --rsa 2048 bob@example.net > /dev/null
for mb in 1 10 100; do
	{
		printf 'From: rsa@example.org\nTo: bob@example.net\nSubject: big\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'
		head -c $((mb * 1000000 * 3 / 4)) /dev/urandom | base64 -w 76
	} > "$W/big.eml"
	rm -f "$W"/ossl.* "$W"/best.*
	# openssl's runs and ours in turns, twice: the machine's speed
	# drifts, and a drift then weighs on both sides alike
	for round in 1 2; do
		openssl_round $mb
		# sign-mbedtls: SHA-256 by mbedTLS, not the CPU's instructions
		for mode in sign sign-mbedtls encrypt; do
			f=""
			[ $mode = encrypt ] && f="-f $W/enc.yaml"
			nohw=""
			[ $mode = sign-mbedtls ] && nohw=1
			ours $mode "$W/big.eml" "$W/big.$mode" \
			    env FILTER_SMIME_NO_HW=$nohw ./filter-smime -p $f \
			    -k "$S" -s rsa@example.org -r bob@example.net
		done
		# and back through the inbound path: verify, decrypt (+ verify)
		for mode in sign sign-mbedtls encrypt; do
			nohw=""
			[ $mode = sign-mbedtls ] && nohw=1
			case $mode in
			sign) m=verify ;;
			encrypt) m=decrypt ;;
			*) m=verify-mbedtls ;;
			esac
			ours $m "$W/big.$mode" /dev/null \
			    env FILTER_SMIME_NO_HW=$nohw ./filter-smime -p \
			    -a verify -k "$S" -s rsa@example.org \
			    -r bob@example.net
		done
	done
	for m in sign sign-mbedtls encrypt verify verify-mbedtls decrypt; do
		figure $mb $m
	done
done
