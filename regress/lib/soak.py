#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
"""Soak client: N messages over C persistent SMTP sessions.

  soak.py --port P --from A --to B --count N [--concurrency C]
          [--size OCTETS] [--mark-at K --mark-file F] [--deadline S]

Each message has a unique Message-ID <soak-I@example.org> and Subject
"soak I".  Sessions stay open and send message after message; a 4xx
at MAIL FROM (smtpd's per-session message limit: 452) or a dropped
connection opens a new session; a message refused with 4xx at the end of
data (a worker killed under it: 451) is sent again later, a 5xx is
counted as refused and not retried.  When K messages have been accepted,
the line "K" is written to --mark-file (the test's signal to act).

Prints one line per accepted message, "accepted I", then a last line
"done accepted=A refused=R retried=T seconds=S rate=X".  Exit status 0
when every message was accepted.  Stdlib only.
"""
import argparse
import queue
import smtplib
import socket
import sys
import threading
import time


def body(idx, size):
    line = "The quick brown fox jumps over the lazy dog %d.\r\n" % idx
    text = line * max(1, size // len(line))
    return ("From: Alice <alice@example.org>\r\n"
            "To: Bob <bob@example.net>\r\n"
            "Subject: soak %d\r\n"
            "Message-ID: <soak-%d@example.org>\r\n"
            "Date: Sun, 06 Dec 2026 12:00:00 +0000\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n"
            "\r\n" % (idx, idx) + text).encode()


class State:
    def __init__(self, args):
        self.args = args
        self.todo = queue.Queue()
        for i in range(args.count):
            self.todo.put(i)
        self.lock = threading.Lock()
        self.accepted = 0
        self.refused = 0
        self.retried = 0
        self.marked = False
        self.out = []

    def done_one(self, idx):
        with self.lock:
            self.accepted += 1
            self.out.append("accepted %d" % idx)
            if (self.args.mark_file and not self.marked and
                    self.accepted >= self.args.mark_at):
                self.marked = True
                with open(self.args.mark_file, "w") as f:
                    f.write("%d\n" % self.accepted)


def session(st, conn_lock):
    a = st.args
    with conn_lock:
        s = smtplib.SMTP(a.host, a.port, timeout=a.timeout)
    s.ehlo("soak.example.org")
    return s


def worker(st, conn_lock, deadline):
    a = st.args
    s = None
    while time.time() < deadline:
        try:
            idx = st.todo.get_nowait()
        except queue.Empty:
            break
        try:
            if s is None:
                s = session(st, conn_lock)
            code, _ = s.mail(a.sender)
            if code != 250:
                # the session's message limit (452): a new session
                st.todo.put(idx)
                try:
                    s.quit()
                except (smtplib.SMTPException, OSError):
                    pass
                s = None
                continue
            code, _ = s.rcpt(a.to)
            if code != 250:
                s.rset()
                if 400 <= code < 500:
                    st.todo.put(idx)
                    with st.lock:
                        st.retried += 1
                else:
                    with st.lock:
                        st.refused += 1
                continue
            code, _ = s.data(body(idx, a.size))
            if code == 250:
                st.done_one(idx)
            elif 400 <= code < 500:
                st.todo.put(idx)
                with st.lock:
                    st.retried += 1
            else:
                with st.lock:
                    st.refused += 1
        except (smtplib.SMTPException, OSError, socket.timeout):
            # the message was not accepted: send it again
            st.todo.put(idx)
            with st.lock:
                st.retried += 1
            try:
                if s is not None:
                    s.close()
            except OSError:
                pass
            s = None
            time.sleep(0.2)
    if s is not None:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--from", dest="sender", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--size", type=int, default=2000)
    ap.add_argument("--mark-at", type=int, default=0)
    ap.add_argument("--mark-file", default="")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--deadline", type=float, default=1800)
    a = ap.parse_args()
    st = State(a)
    conn_lock = threading.Lock()
    start = time.time()
    deadline = start + a.deadline
    ts = [threading.Thread(target=worker, args=(st, conn_lock, deadline))
          for _ in range(a.concurrency)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    secs = time.time() - start
    print("\n".join(st.out))
    print("done accepted=%d refused=%d retried=%d seconds=%.1f rate=%.1f" %
          (st.accepted, st.refused, st.retried, secs,
           st.accepted / secs if secs > 0 else 0))
    sys.exit(0 if st.accepted == a.count else 1)


if __name__ == "__main__":
    main()
