# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Regression harness: a private OpenSMTPD on loopback, optionally with a
# proc-exec filter, delivering every copy into a directory.
# POSIX sh (dash); source it:  . regress/lib/harness.sh
#
#   h_new                  new work dir $W (mode 755) and free port $H_PORT;
#                          stops nothing: call h_stop first to replace a
#                          running instance
#   h_install SRC [NAME]   copy a file or directory into $W (readable by the
#                          smtpd user), print the copy's path
#   h_start [FILTER [ARG...]]
#                          write $W/smtpd.conf and start smtpd; FILTER is
#                          copied into $W/bin and run from there with the
#                          ARGs (shell words, joined by spaces; no '"').
#                          No FILTER (or ""): no filter line at all.
#                          H_FILTER_INSTALLED=1: run FILTER where it is
#                          (an installed package), not a copy;
#                          H_FILTER_ENV="TMPDIR=..." more environment.
#                          $H_CONF_EXTRA: extra smtpd.conf lines (before the
#                          listen line); $H_LISTEN_EXTRA: appended to the
#                          listen line; $H_SMTPD_FLAGS: e.g. "-v -T filters"
#   h_wait_port [SECS]     wait until smtpd listens (done by h_start)
#   h_wait_delivered N [SECS]  wait for N delivered files in $W/out
#   h_delivered            print the delivered file names, one a line
#   h_health               0 if smtpd (and the filter) are alive, the log
#                          has no fatal lines and there is no sanitizer
#                          report; else 1 with $H_WHY set
#   h_sanitizer_reports    after h_stop: did the filter's ASan/LSan/UBSan
#                          write a report ($W/san), e.g. leaks at its exit
#   h_filter_pid           print the filter's pid (child of smtpd)
#   h_smtpctl ARG...       smtpctl inside the instance's mount namespace
#   h_stop                 SIGTERM, wait, kill -9 after a timeout
#   h_strip_delivery FILE  print FILE without the headers smtpd adds on
#                          delivery (Return-Path, Delivered-To, first Received)
#   h_send ARG...          regress/lib/smtpsend.py --port $H_PORT ARG...
#                          (with $H_PYTHON, default /usr/bin/python3)
#
# The harness owns the EXIT/INT/TERM/HUP traps: on exit every smtpd it
# started is stopped and every work dir removed (H_KEEP=1 keeps them, for
# debugging).  Work dirs live under $H_TMP (default /tmp): not under /run
# or /var/spool, which get tmpfs mounts in the instance's namespace.

# Sourced scripts cannot find their own path in POSIX sh: tests run from
# the repo top (as regress/run.sh does) or set H_TOP.
H_TOP=${H_TOP:-$(pwd)}
H_LIB=$H_TOP/regress/lib
H_TMP=${H_TMP:-/tmp}
H_ALL_DIRS=""
H_ALL_PIDS=""
H_PID=""
H_FILTER=""
H_WHY=""
W=""
H_PORT=""

h_cleanup() {
	for _h_p in $H_ALL_PIDS; do
		h_kill_instance "$_h_p"
	done
	if [ "${H_KEEP:-0}" = 1 ]; then
		[ -n "$H_ALL_DIRS" ] && echo "# kept:$H_ALL_DIRS" >&2
	else
		for _h_d in $H_ALL_DIRS; do
			rm -rf "$_h_d"
		done
	fi
	H_ALL_PIDS=""
	H_ALL_DIRS=""
}
trap h_cleanup EXIT
# A signal must still run the EXIT trap, so turn it into an exit.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# A pid counts as alive while it exists and is not a zombie: smtpd is our
# child, so after it exits it stays a zombie until we reap it.
h_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_h_st=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$_h_st" ] && [ "$_h_st" != Z ]
}

# All descendants of pid $1 (smtpd's privsep children, the filter, mdas).
h_descendants() {
	ps -eo pid=,ppid= | awk -v root="$1" '
	    { kids[$2] = kids[$2] " " $1 }
	    END {
		n = split(kids[root], q, " ")
		for (i = 1; i <= n; i++) {
			print q[i]
			m = split(kids[q[i]], more, " ")
			for (j = 1; j <= m; j++) q[++n] = more[j]
		}
	    }'
}

# Stop one instance by its recorded pid: SIGTERM lets smtpd stop its
# children and the filter; kill -9 (the whole tree) only after 10 s.
h_kill_instance() {
	_h_p=$1
	h_alive "$_h_p" || { wait "$_h_p" 2>/dev/null; return 0; }
	_h_tree=$(h_descendants "$_h_p")
	kill -TERM "$_h_p" 2>/dev/null
	_h_i=0
	while h_alive "$_h_p" && [ $_h_i -lt 100 ]; do
		sleep 0.1
		_h_i=$((_h_i + 1))
	done
	if h_alive "$_h_p"; then
		echo "# smtpd $_h_p ignored SIGTERM for 10 s, killing it" >&2
		# shellcheck disable=SC2086 # a list of pids, split on purpose
		kill -KILL "$_h_p" $_h_tree 2>/dev/null
	fi
	wait "$_h_p" 2>/dev/null
	# Children notice the parent's end through their imsg pipes; give
	# them a moment, then make sure none is left behind.
	_h_i=0
	for _h_c in $_h_tree; do
		while h_alive "$_h_c" && [ $_h_i -lt 30 ]; do
			sleep 0.1
			_h_i=$((_h_i + 1))
		done
		h_alive "$_h_c" && kill -KILL "$_h_c" 2>/dev/null
	done
	return 0
}

# A random port in 20000..59999 that nothing uses (any TCP state).
h_free_port() {
	while :; do
		_h_n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		_h_p=$((20000 + _h_n % 40000))
		[ -z "$(ss -Htan "sport = :$_h_p" 2>/dev/null)" ] && break
	done
	echo "$_h_p"
}

h_new() {
	W=$(mktemp -d "$H_TMP/fsmime-e2e.XXXXXX") || return 1
	H_ALL_DIRS="$H_ALL_DIRS $W"
	# The filter and the mda run unprivileged and must read their files.
	chmod 755 "$W"
	mkdir -p "$W/bin" "$W/out" "$W/san"
	chmod 755 "$W/bin"
	chmod 777 "$W/out" "$W/san"
	H_PORT=$(h_free_port)
	H_PID=""
	H_FILTER=""
}

h_install() {
	_h_dst=$W/${2:-$(basename "$1")}
	cp -R "$1" "$_h_dst" || return 1
	chmod -R a+rX "$_h_dst"
	echo "$_h_dst"
}

# The mda: one run per recipient, as user nobody, message on stdin.  Write
# to a temp name and link it into place, so a counted file is complete;
# ln fails rather than overwrite when a pid repeats.
h_write_mda() {
	cat > "$W/bin/deliver" <<EOF
#!/bin/sh
out=$W/out
t=\$out/.tmp.\$\$
cat > "\$t" || exit 75
n=\$\$
i=0
while ! ln "\$t" "\$out/msg.\$n" 2>/dev/null; do
	i=\$((i + 1))
	[ \$i -gt 50 ] && exit 75
	n=\$\$.\$i
done
rm -f "\$t"
EOF
	chmod 755 "$W/bin/deliver"
}

h_write_conf() {
	_h_flt=""
	if [ -n "$H_FILTER" ]; then
		echo "filter \"f\" proc-exec \"$H_FILTER_CMD\""
		_h_flt=' filter "f"'
	fi
	cat <<EOF
table vusers file:$W/vusers
${H_CONF_EXTRA:-}
listen on 127.0.0.1 port $H_PORT hostname mx.test.example$_h_flt ${H_LISTEN_EXTRA:-}
action "sink" mda "$W/bin/deliver" virtual <vusers>
match from any for any action "sink"
EOF
}

h_start() {
	if [ -z "$W" ]; then
		H_WHY="h_start without h_new"
		return 1
	fi
	H_FILTER=""
	H_FILTER_CMD=""
	if [ $# -gt 0 ] && [ -n "$1" ]; then
		# A copy smtpd's user can run, unless the program is
		# installed system-wide (H_FILTER_INSTALLED=1): then smtpd
		# runs it from where it is, as an admin's config would.
		if [ "${H_FILTER_INSTALLED:-0}" = 1 ]; then
			H_FILTER=$1
		else
			H_FILTER=$W/bin/$(basename "$1")
			cp "$1" "$H_FILTER" || return 1
			chmod 755 "$H_FILTER"
		fi
		shift
		# Sanitizer reports go to files in $W/san, not to stderr: a
		# leak report is written when the filter exits, after smtpd
		# (which logs the filter's stderr) is gone.  Harmless for
		# programs without sanitizers.
		H_FILTER_CMD="/usr/bin/env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$W/san/asan"
		H_FILTER_CMD="$H_FILTER_CMD UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$W/san/ubsan"
		# H_FILTER_ENV: more NAME=VALUE words for the filter's environment
		H_FILTER_CMD="$H_FILTER_CMD ${H_FILTER_ENV:-} $H_FILTER"
		for _h_a in "$@"; do
			H_FILTER_CMD="$H_FILTER_CMD $_h_a"
		done
	fi
	echo "@ nobody" > "$W/vusers"
	chmod 644 "$W/vusers"
	h_write_mda
	h_write_conf > "$W/smtpd.conf"
	if ! smtpd -n -f "$W/smtpd.conf" > "$W/conf-check.log" 2>&1; then
		H_WHY="smtpd.conf rejected: $(tr '\n' ' ' < "$W/conf-check.log")"
		return 1
	fi
	# No DNS: smtpd looks up every client's PTR (libasr asks the name
	# server before /etc/hosts), and an unreachable or flaky resolver
	# stalls connects for 5 s each.  The instance gets a resolv.conf
	# that reads /etc/hosts first and points at a port nothing answers.
	printf 'lookup file bind\nnameserver 127.0.0.1\n' > "$W/resolv.conf"
	chmod 644 "$W/resolv.conf"
	# Own mount namespace: tmpfs on /var/spool (queue) and /run (control
	# socket), so nothing is shared with a system smtpd or another test;
	# resolv.conf replaced in place (it may be a symlink into /run).
	# unshare and sh exec, so $! is smtpd itself.
	unshare -m --propagation private sh -c "
	    mount -t tmpfs -o mode=755 tmpfs /var/spool &&
	    mount -t tmpfs -o mode=755 tmpfs /run &&
	    mkdir -m 711 /var/spool/smtpd || exit 1
	    r=\$(readlink -m /etc/resolv.conf)
	    case \$r in
	    /run/*) mkdir -p \${r%/*} && cp $W/resolv.conf \$r ;;
	    *) [ -f \$r ] && mount --bind $W/resolv.conf \$r ;;
	    esac || echo 'harness: could not replace resolv.conf' >&2
	    exec smtpd -d ${H_SMTPD_FLAGS:-} -f $W/smtpd.conf" \
	    > "$W/smtpd.log" 2>&1 < /dev/null &
	H_PID=$!
	H_ALL_PIDS="$H_ALL_PIDS $H_PID"
	h_wait_port 15
}

h_wait_port() {
	_h_t=$(( ${1:-15} * 10 ))
	_h_i=0
	while [ -z "$(ss -Hltn "sport = :$H_PORT" 2>/dev/null)" ]; do
		if ! h_alive "$H_PID"; then
			H_WHY="smtpd died at startup: $(tail -n 3 "$W/smtpd.log" | tr '\n' ' ')"
			return 1
		fi
		_h_i=$((_h_i + 1))
		if [ $_h_i -gt "$_h_t" ]; then
			H_WHY="port $H_PORT not listening after ${1:-15} s"
			return 1
		fi
		sleep 0.1
	done
}

h_delivered() {
	find "$W/out" -name 'msg.*' -type f | sort
}

h_wait_delivered() {
	_h_want=$1
	_h_t=$(( ${2:-30} * 10 ))
	_h_i=0
	while :; do
		_h_got=$(h_delivered | wc -l)
		[ "$_h_got" -ge "$_h_want" ] && return 0
		# A dead smtpd delivers nothing more: no point waiting.
		if ! h_alive "$H_PID"; then
			H_WHY="$_h_got of $_h_want messages delivered, smtpd is gone"
			return 1
		fi
		_h_i=$((_h_i + 1))
		if [ $_h_i -gt "$_h_t" ]; then
			H_WHY="$_h_got of $_h_want messages delivered after ${2:-30} s"
			return 1
		fi
		sleep 0.1
	done
}

# The filter is a descendant of smtpd (forked child -> sh -c "exec CMD"),
# recognised by the path of its copy in $W.
h_filter_pid() {
	[ -n "$H_FILTER" ] || return 1
	for _h_c in $(h_descendants "$H_PID"); do
		_h_a=$(tr '\0' ' ' 2>/dev/null < "/proc/$_h_c/cmdline") ||
		    continue
		case "$_h_a" in
		*"$H_FILTER"*)
			case "$_h_a" in
			sh\ -c*|/bin/sh\ -c*|/usr/bin/env\ *) continue ;;
			esac
			echo "$_h_c"
			return 0
			;;
		esac
	done
	return 1
}

h_health() {
	H_WHY=""
	_h_log=$W/smtpd.log
	if ! h_alive "$H_PID"; then
		H_WHY="smtpd (pid $H_PID) is gone"
	elif [ -n "$H_FILTER" ] && ! h_filter_pid > /dev/null; then
		H_WHY="filter process is gone"
	fi
	# Fatal lines: a lost filter, a fatalx in the lookup process (which
	# runs the filter protocol), sanitizer reports on the filter's stderr.
	_h_bad=$(grep -E 'lost processor|^fatal|^(fatal: )?lookup: |fatal in lookup|AddressSanitizer|LeakSanitizer|runtime error' \
	    "$_h_log" 2>/dev/null | head -n 2 | tr '\n' ' ')
	if [ -n "$_h_bad" ]; then
		H_WHY="${H_WHY:+$H_WHY; }log: $_h_bad"
	fi
	if _h_bad=$(h_sanitizer_reports); then
		H_WHY="${H_WHY:+$H_WHY; }$_h_bad"
	fi
	[ -z "$H_WHY" ]
}

# Sanitizer reports of the filter (files in $W/san): prints the first
# one's name and SUMMARY/ERROR lines and returns 0 if there are any.
# Call after h_stop too: leaks are only reported when the filter exits.
h_sanitizer_reports() {
	_h_f=$(find "$W/san" -type f -size +0 2>/dev/null | sort | head -n 1)
	[ -n "$_h_f" ] || return 1
	printf 'sanitizer report %s: %s' "${_h_f##*/}" \
	    "$(grep -E 'ERROR|SUMMARY|runtime error' "$_h_f" | head -n 3 | tr '\n' ' ')"
	return 0
}

# -r -w: the instance's root and directory too; entering a mount
# namespace otherwise leaves a chroot (the Debian 13 root) behind.
h_smtpctl() {
	nsenter -t "$H_PID" -m -r -w smtpctl "$@"
}

h_stop() {
	[ -n "$H_PID" ] || return 0
	h_kill_instance "$H_PID"
	H_ALL_PIDS=$(echo "$H_ALL_PIDS" | tr ' ' '\n' | grep -vx "$H_PID" | tr '\n' ' ')
	H_PID=""
}

# Delivered copy minus what smtpd adds on delivery: the mda's Return-Path
# and Delivered-To lines and smtpd's own Received header (first line plus
# its TAB continuation lines).  Only the leading block is touched; the
# rest is copied byte for byte by tail (awk would add a final newline).
h_strip_delivery() {
	_h_skip=$(LC_ALL=C awk '
	    st == 0 && /^Return-Path: / { n++; next }
	    st == 0 && /^Delivered-To: / { n++; next }
	    st == 0 && /^Received: / { st = 1; n++; next }
	    st == 1 && /^\t/ { n++; next }
	    { exit }
	    END { print n + 0 }' "$1")
	tail -n +$((_h_skip + 1)) "$1"
}

# System python by default: a pyenv shim on PATH costs 0.15 s a call.
H_PYTHON=${H_PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)}

h_send() {
	"$H_PYTHON" "$H_LIB/smtpsend.py" --port "$H_PORT" "$@"
}
