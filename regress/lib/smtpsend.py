#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
"""Send message files over SMTP exactly as they are, for the regression tests.

  smtpsend.py --port P [--host H] --from A --to B [--to C ...]
              --file F [--file G ...] [--count N] [--concurrency C]
              [--8bitmime | --7bit] [--timeout S] [--together]

Message i (0 <= i < N, N defaults to the number of files) uses file
i % len(files) and goes to every --to, with "{i}" in an address replaced
by i (so "c{i}@x" gives each message its own recipient); each message is
its own SMTP session.  Sessions run in C
threads.  One line per message is printed: "INDEX CODE TEXT" with the
final reply (or "INDEX ERR why").  Exit status 0 only if every message got
250 at end of data.

The file is sent byte for byte: bytes, not str, so 8-bit octets pass
untouched; bare LF becomes CRLF (SMTP line ends), lines starting with '.'
are dot-stuffed (smtplib), and a last line without newline gets the CRLF
that the end-of-data sequence needs (so it arrives with a newline added).
Connections are opened one at a time (connect and greeting under a lock):
smtpd 6.8 listens with a backlog of 5, and a burst of simultaneous SYNs
overflows it; on Linux some of those connections then never get their
greeting (seen: stuck until the client timeout).  The sessions still run
concurrently once open.  --together (needs N <= C) also holds every
session at a barrier after RCPT, so all N messages go through DATA at the
same time and their lines interleave in the filter.

BODY=8BITMIME is requested when the file has any octet >= 0x80, unless
--7bit; --8bitmime forces it.  Stdlib only.
"""
import argparse
import re
import smtplib
import sys
import threading


def wire_bytes(data):
    # CRLF line ends; existing CRLF kept, bare LF expanded.
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


CONNECT_LOCK = threading.Lock()


def send_one(args, idx, data, eight_bit, before_data):
    """Return (code, text) of the final reply, raise on transport errors
    (with the SMTP step in the message)."""
    step = "connect/greeting"
    try:
        with CONNECT_LOCK:
            s = smtplib.SMTP(args.host, args.port,
                             local_hostname="client.test.example",
                             timeout=args.timeout)
    except Exception as e:
        raise RuntimeError("%s: %s: %s" % (step, type(e).__name__, e))
    try:
        step = "EHLO"
        s.ehlo()
        opts = []
        if eight_bit:
            if not s.has_extn("8bitmime"):
                return (0, "server lacks 8BITMIME")
            opts.append("BODY=8BITMIME")
        step = "MAIL"
        code, text = s.mail(args.sender, opts)
        if code != 250:
            return (code, "MAIL: " + text.decode(errors="replace"))
        ok = 0
        refused = []
        for r in args.to:
            r = r.replace("{i}", str(idx))
            step = "RCPT"
            code, text = s.rcpt(r)
            if code in (250, 251):
                ok += 1
            else:
                last = (code, "RCPT %s: %d %s" % (r, code, text.decode(errors="replace")))
                refused.append(last[1])
        if ok == 0:
            s.rset()
            return last
        # smtplib.data() with bytes: dot-stuffs, adds the final CRLF if
        # missing, then ".\r\n"; it does not touch line ends (done above).
        step = "barrier"
        before_data()
        step = "DATA"
        code, text = s.data(data)
        step = "QUIT"
        # Recipients refused while others were accepted are listed after
        # the final reply (the message still counts as accepted).
        return (code, "; ".join([text.decode(errors="replace")] + refused))
    except smtplib.SMTPDataError as e:
        return (e.smtp_code, e.smtp_error.decode(errors="replace"))
    except Exception as e:
        raise RuntimeError("%s: %s: %s" % (step, type(e).__name__, e))
    finally:
        try:
            s.quit()
        except Exception:
            s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--from", dest="sender", required=True)
    ap.add_argument("--to", action="append", required=True)
    ap.add_argument("--file", action="append", required=True)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--together", action="store_true")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--8bitmime", dest="force8", action="store_true")
    g.add_argument("--7bit", dest="force7", action="store_true")
    args = ap.parse_args()

    msgs = []
    for f in args.file:
        with open(f, "rb") as fh:
            raw = fh.read()
        eight = args.force8 or (not args.force7 and re.search(rb"[\x80-\xff]", raw) is not None)
        msgs.append((wire_bytes(raw), eight))
    count = args.count or len(msgs)

    nthreads = max(1, min(args.concurrency, count))
    if args.together and count > nthreads:
        ap.error("--together needs --count <= --concurrency")
    barrier = threading.Barrier(nthreads) if args.together else None

    results = [None] * count
    lock = threading.Lock()
    next_i = [0]

    def worker():
        while True:
            with lock:
                i = next_i[0]
                if i >= count:
                    return
                next_i[0] += 1
            data, eight = msgs[i % len(msgs)]
            waited = [False]

            def before_data():
                waited[0] = True
                if barrier:
                    barrier.wait(args.timeout)
            try:
                results[i] = send_one(args, i, data, eight, before_data)
            except Exception as e:  # connection refused/dropped, timeout
                results[i] = (None, "%s: %s" % (type(e).__name__, e))
            # A session that failed early still counts at the barrier,
            # or the others would wait for it until the timeout.
            if barrier and not waited[0]:
                try:
                    barrier.wait(args.timeout)
                except threading.BrokenBarrierError:
                    pass

    threads = [threading.Thread(target=worker) for _ in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    bad = 0
    for i, (code, text) in enumerate(results):
        if code is None:
            print("%d ERR %s" % (i, text))
        else:
            print("%d %d %s" % (i, code, text))
        if code != 250:
            bad += 1
    sys.stdout.flush()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
