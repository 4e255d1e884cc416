# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Regression harness: a private Exim 4.96 (Debian's binary, unpacked by
# regress/deps.sh with dpkg -x, never installed) on loopback, relaying
# through filter-smime as a transport filter to a loopback SMTP sink.
# POSIX sh (dash); source it after regress/lib/harness.sh (which owns the
# traps, the work dir $W and h_free_port):  . regress/lib/exim.sh
#
#   ex_available           0 if the unpacked Exim is there and runs, else 1
#                          with $EX_WHY set (run "make deps")
#   ex_install_filter BIN  copy BIN to $W/bin/filter-smime (readable by the
#                          Exim user) and set $EX_FILTER
#   ex_start               write $W/exim.conf (the README's snippets with
#                          this instance's paths, see ex_config) and start
#                          the sink on $EX_SINK_PORT and Exim on $EX_PORT
#   ex_exim ARG...         the private Exim with -C $W/exim.conf
#   ex_send ARG...         swaks against the private Exim, quiet
#   ex_wait_sink N [SECS]  wait for N complete transactions in the sink
#   ex_wait_log RE [SECS]  wait until Exim's mainlog has a line matching RE
#   ex_sink_files          the sink's message files, one a line, in order
#   ex_stop                stop Exim and the sink (also done on exit)
#   ex_syslog FILE CMD...  run CMD (stdin passed on) in a private mount
#                          namespace whose /dev/log is a listener writing
#                          every datagram to FILE, one a line; prints
#                          "rc=N" last.  Returns 2 if there is no unshare
#                          or it is not allowed (the caller skips).
#
# Files the filter reads (all in $W, owned by the Exim user): $W/keystore,
# $W/rules.yaml, $W/senders (the signing senders, one a line),
# $W/mailboxes (local parts delivered to $W/mail/LOCALPART through the
# inbound verification) and $W/dkim.key for the transport's DKIM signing.

EX_ROOT=${EXIM_DIR:-/var/cache/filter-smime-exim}/root
EX_BIN=$EX_ROOT/usr/sbin/exim4
EX_USER=Debian-exim
EX_PID=""
EX_SINK_PID=""
EX_WHY=""

ex_available() {
	if [ ! -x "$EX_BIN" ]; then
		EX_WHY="no Exim binary at $EX_BIN (run make deps)"
		return 1
	fi
	if ! id "$EX_USER" > /dev/null 2>&1; then
		EX_WHY="no $EX_USER user (run make deps)"
		return 1
	fi
	if ldd "$EX_BIN" | grep -q 'not found'; then
		EX_WHY="Exim lacks libraries: $(ldd "$EX_BIN" | grep 'not found' | tr '\n' ' ')"
		return 1
	fi
	return 0
}

ex_install_filter() {
	cp "$1" "$W/bin/filter-smime" && chmod 755 "$W/bin/filter-smime" &&
	    EX_FILTER=$W/bin/filter-smime
}

# The snippets the README's Exim section shows, verbatim; ex_config puts
# this instance's paths and ports in.  The test checks that the README
# still holds them word for word.
ex_snippet_main() {
	cat <<'EOF'
acl_smtp_mail = acl_check_mail
acl_smtp_rcpt = acl_check_rcpt
EOF
}

ex_snippet_acl() {
	cat <<'EOF'
acl_check_mail:
  # may this client (its AUTH login, else its address) sign as this
  # sender? (the signer table in rules.yaml; 77: not allowed)
  deny    condition = ${if eq{77}{${run{/usr/local/libexec/smtpd/filter-smime \
              -e -c -f /etc/filter-smime/rules.yaml -k /etc/filter-smime/keystore \
              -u "$authenticated_id" -i "$sender_host_address" \
              -s "$sender_address"}{0}{$runrc}}}}
          message = 5.7.1 Not allowed to sign as <$sender_address>
  accept

acl_check_rcpt:
  # may this recipient get mail from this sender? (no certificate where
  # the rules require encryption: key-missing decides)
  warn    set acl_m_smime = ${run{/usr/local/libexec/smtpd/filter-smime -e -c \
              -f /etc/filter-smime/rules.yaml -k /etc/filter-smime/keystore \
              -s "$sender_address" -r $local_part@$domain}{0}{$runrc}}
  # key-missing: drop: accepted, and silently not delivered
  discard condition = ${if eq{$acl_m_smime}{3}}
          log_message = no S/MIME certificate, dropped (key-missing: drop)
  deny    condition = ${if eq{$acl_m_smime}{77}}
          message = 5.7.1 No S/MIME certificate for this recipient, and policy requires encryption
  defer   condition = ${if eq{$acl_m_smime}{75}}
          message = 4.7.1 No S/MIME certificate for this recipient yet, try again later
EOF
}

ex_snippet_router() {
	cat <<'EOF'
smime_remote:
  driver = manualroute
  domains = ! +local_domains
  transport = smime_smtp
  route_list = * smarthost.example.org
  no_more
EOF
}

ex_snippet_transport() {
	cat <<'EOF'
smime_smtp:
  driver = smtp
  # one recipient per transaction: every copy is encrypted for its
  # recipient alone, and no Bcc recipient shows in another's copy
  max_rcpt = 1
  # S/MIME makes the message larger than the SIZE= Exim would announce
  size_addition = -1
  # the sender comes from the list of signing senders and the login
  # from the signer table (untainted lookups); an unknown sender or a
  # bounce gives -s "" (not signed), a login not in the table -u ""
  transport_filter = /usr/local/libexec/smtpd/filter-smime -e -p \
      -f /etc/filter-smime/rules.yaml -k /etc/filter-smime/keystore \
      -u "${lookup{$authenticated_id}lsearch,ret=key{/etc/filter-smime/signers}}" \
      -i "$sender_host_address" \
      -s "${lookup{$sender_address}lsearch,ret=key{/etc/filter-smime/senders}}" \
      -r $pipe_addresses
  # filter-smime -e gives up after 60 s (exit 75): well inside this
  transport_filter_timeout = 2m
  # DKIM signs what the filter wrote
  dkim_domain = example.org
  dkim_selector = s1
  dkim_private_key = /etc/filter-smime/dkim.key
EOF
}

# Inbound: local delivery through the filter's verification (-a verify
# adds Authentication-Results); appendfile delivers one address at a time.
ex_snippet_inbound() {
	cat <<'EOF'
smime_inbound:
  driver = accept
  domains = +local_domains
  local_parts = lsearch,ret=key;/etc/filter-smime/mailboxes
  transport = smime_mailbox
EOF
}

ex_snippet_mailbox() {
	cat <<'EOF'
smime_mailbox:
  driver = appendfile
  file = /var/mail/$local_part_data
  transport_filter = /usr/local/libexec/smtpd/filter-smime -e -p -a verify \
      -f /etc/filter-smime/rules.yaml -k /etc/filter-smime/keystore \
      -r $pipe_addresses
  transport_filter_timeout = 2m
EOF
}

# The instance's paths in place of the README's.
ex_paths() {
	sed -e "s|/usr/local/libexec/smtpd/filter-smime|$EX_FILTER|g" \
	    -e "s|/etc/filter-smime/|$W/|g" -e "s|/var/mail/|$W/mail/|g" \
	    -e "s|route_list = \* smarthost.example.org|route_list = * 127.0.0.1 byname\\
  self = send|"
}

# The whole configuration; $EX_TRANSPORT_EXTRA and $EX_ROUTER_EXTRA add
# test-only routers (before smime_remote) and transports (@SINK_PORT@ in
# them becomes the sink's port).
ex_config() {
	cat <<EOF
# private Exim for regress/e2e/exim.sh (written by regress/lib/exim.sh)
exim_path = $EX_BIN
exim_user = $EX_USER
exim_group = $EX_USER
spool_directory = $W/spool
log_file_path = $W/log/%slog
pid_file_path = $W/exim.pid
local_interfaces = 127.0.0.1
daemon_smtp_ports = $EX_PORT
primary_hostname = gw.example.org
qualify_domain = example.org
domainlist local_domains = gw.example.org
host_lookup =
rfc1413_hosts =
keep_environment =
tls_advertise_hosts =
log_selector = +received_recipients +delivery_size
EOF
	ex_snippet_main | ex_paths
	echo
	echo "begin acl"
	echo
	ex_snippet_acl | ex_paths
	echo "  accept  hosts = 127.0.0.1"
	echo "  deny"
	echo
	echo "begin routers"
	echo
	printf '%s\n' "${EX_ROUTER_EXTRA:-}"
	ex_snippet_router | ex_paths
	echo
	ex_snippet_inbound | ex_paths
	echo
	echo "begin transports"
	echo
	ex_snippet_transport | ex_paths
	echo "  port = $EX_SINK_PORT"
	echo "  allow_localhost"
	echo "  hosts_avoid_tls = *"
	echo
	ex_snippet_mailbox | ex_paths
	echo "  user = $EX_USER"
	echo "  mode = 0644"
	echo
	printf '%s\n' "${EX_TRANSPORT_EXTRA:-}" | sed "s/@SINK_PORT@/$EX_SINK_PORT/g"
	echo
	echo "begin retry"
	echo
	echo "*  *  F,1d,15m"
	if [ -n "${EX_AUTH_EXTRA:-}" ]; then
		echo
		echo "begin authenticators"
		echo
		printf '%s\n' "$EX_AUTH_EXTRA"
	fi
}

# A loopback SMTP sink: every transaction's envelope and DATA go to
# $W/sink/N.env and N.eml (N.eml appears only once the final "." came);
# an aborted DATA leaves N.aborted.  Stdlib only, no SIZE, no CHUNKING.
ex_write_sink() {
	cat > "$W/sink.py" <<'EOF'
import os, socketserver, sys

port, outdir = int(sys.argv[1]), sys.argv[2]
count = [0]

class H(socketserver.StreamRequestHandler):
    def reply(self, s):
        self.wfile.write((s + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        self.reply("220 sink.example ESMTP")
        env = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("latin-1").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250-sink.example\r\n250 8BITMIME\r\n")
                self.wfile.flush()
            elif verb == "MAIL":
                env = [cmd]
                self.reply("250 ok")
            elif verb == "RCPT":
                env.append(cmd)
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                count[0] += 1
                n = "%s/%03d" % (outdir, count[0])
                with open(n + ".env", "w") as f:
                    f.write("\n".join(env) + "\n")
                data = []
                while True:
                    l = self.rfile.readline()
                    if not l:
                        open(n + ".aborted", "w").close()
                        return
                    if l == b".\r\n":
                        break
                    if l.startswith(b"."):
                        l = l[1:]
                    data.append(l)
                with open(n + ".tmp", "wb") as f:
                    f.write(b"".join(data))
                os.rename(n + ".tmp", n + ".eml")
                self.reply("250 queued as %d" % count[0])
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")

class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

S(("127.0.0.1", port), H).serve_forever()
EOF
}

ex_port_open() {
	[ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
}

# One try on fresh ports; ex_start tries three times, since a port found
# free can be taken before the daemon binds it.
ex_start_once() {
	EX_PORT=$(h_free_port)
	EX_SINK_PORT=$(h_free_port)
	while [ "$EX_SINK_PORT" = "$EX_PORT" ]; do
		EX_SINK_PORT=$(h_free_port)
	done
	mkdir -p "$W/spool" "$W/log" "$W/sink" "$W/mail"
	chown "$EX_USER:$EX_USER" "$W/spool" "$W/log" "$W/mail"
	ex_config > "$W/exim.conf"
	chmod 644 "$W/exim.conf"
	ex_write_sink
	"${H_PYTHON:-/usr/bin/python3}" "$W/sink.py" "$EX_SINK_PORT" "$W/sink" \
	    > "$W/sink.log" 2>&1 &
	EX_SINK_PID=$!
	H_ALL_PIDS="$H_ALL_PIDS $EX_SINK_PID"
	"$EX_BIN" -C "$W/exim.conf" -bdf -oX "$EX_PORT" > "$W/exim.out" 2>&1 &
	EX_PID=$!
	H_ALL_PIDS="$H_ALL_PIDS $EX_PID"
	_ex_i=0
	while ! { ex_port_open "$EX_PORT" && ex_port_open "$EX_SINK_PORT"; }; do
		_ex_i=$((_ex_i + 1))
		if [ $_ex_i -gt 100 ] || ! h_alive "$EX_PID" ||
		    ! h_alive "$EX_SINK_PID"; then
			EX_WHY="Exim or the sink did not start: $(cat "$W/exim.out" "$W/sink.log" "$W/log/paniclog" 2>/dev/null | head -n 5)"
			ex_stop
			return 1
		fi
		sleep 0.1
	done
	return 0
}

ex_start() {
	ex_start_once || ex_start_once || ex_start_once
}

ex_exim() {
	"$EX_BIN" -C "$W/exim.conf" "$@"
}

ex_send() {
	swaks --server "127.0.0.1:$EX_PORT" --helo client.example \
	    --suppress-data --hide-all "$@"
}

ex_sink_files() {
	ls "$W/sink/"*.eml 2>/dev/null
}

ex_wait_sink() {
	_ex_t=$(( ${2:-30} * 10 ))
	_ex_i=0
	while [ "$(ex_sink_files | wc -l)" -lt "$1" ]; do
		_ex_i=$((_ex_i + 1))
		[ $_ex_i -gt $_ex_t ] && return 1
		sleep 0.1
	done
	return 0
}

ex_wait_log() {
	_ex_t=$(( ${2:-30} * 10 ))
	_ex_i=0
	while ! grep -Eq "$1" "$W/log/mainlog" 2>/dev/null; do
		_ex_i=$((_ex_i + 1))
		[ $_ex_i -gt $_ex_t ] && return 1
		sleep 0.1
	done
	return 0
}

ex_syslog() {
	command -v unshare > /dev/null 2>&1 || return 2
	unshare -m --propagation private true 2> /dev/null || return 2
	_ex_f=$1
	shift
	rm -f "$_ex_f" "$_ex_f.ready"
	# a tmpfs on /dev, in the namespace only, with null, zero, urandom
	# and the listener's socket as /dev/log
	unshare -m --propagation private sh -c '
		f=$1; shift
		mount -t tmpfs none /dev || exit 2
		mknod -m 666 /dev/null c 1 3
		mknod -m 666 /dev/zero c 1 5
		mknod -m 666 /dev/urandom c 1 9
		"${H_PYTHON:-/usr/bin/python3}" -c "
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(\"/dev/log\")
os.chmod(\"/dev/log\", 0o666)
open(sys.argv[1] + \".ready\", \"w\").close()
while True:
    d = s.recv(65536)
    with open(sys.argv[1], \"ab\") as f:
        f.write(d + b\"\\n\")
" "$f" < /dev/null &
		lp=$!
		i=0
		while [ ! -e "$f.ready" ] && [ $i -lt 100 ]; do
			sleep 0.05; i=$((i + 1))
		done
		"$@"
		echo "rc=$?"
		sleep 0.2
		kill $lp
	' ex_syslog "$_ex_f" "$@"
}

ex_stop() {
	[ -n "$EX_PID" ] && h_kill_instance "$EX_PID"
	[ -n "$EX_SINK_PID" ] && h_kill_instance "$EX_SINK_PID"
	EX_PID=""
	EX_SINK_PID=""
}
