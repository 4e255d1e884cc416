#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Test helper, not part of the product: the smallest pass-through filter
# (protocol 0.6).  It lets the harness be exercised without filter-smime:
# every data-line is echoed back unchanged, every commit proceeds.
# System python only: the filter runs as the smtpd user, which cannot read
# a per-user installation.
import sys

inp = sys.stdin.buffer
out = sys.stdout.buffer

for raw in inp:
    line = raw.rstrip(b"\n")
    if line == b"config|ready":
        out.write(b"register|filter|smtp-in|data-line\n"
                  b"register|filter|smtp-in|commit\n"
                  b"register|ready\n")
        out.flush()
        continue
    if not line.startswith(b"filter|"):
        continue
    # filter|ver|ts|smtp-in|phase|session|token[|params]; only the last
    # field may contain '|', so split at most 7 times.
    f = line.split(b"|", 7)
    if len(f) < 7:
        continue
    phase, sid, tok = f[4], f[5], f[6]
    if phase == b"data-line":
        data = f[7] if len(f) > 7 else b""
        out.write(b"filter-dataline|" + sid + b"|" + tok + b"|" + data + b"\n")
    elif phase == b"commit":
        out.write(b"filter-result|" + sid + b"|" + tok + b"|proceed\n")
    out.flush()
