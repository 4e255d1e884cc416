#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
"""memscan.py PID HEX: is the number HEX (a private key's prime) anywhere
in the memory of process PID?  Both byte orders are searched (bignum
libraries keep limbs little-endian), 32 octets from the middle of the
number, in every readable mapping under 1 GiB (skipping sanitizer shadow
reservations).  Prints "found" or "absent"; exit 2 when the process
cannot be read."""
import sys


def main():
    pid, num = sys.argv[1], bytes.fromhex(sys.argv[2].lstrip("0") if len(sys.argv[2].lstrip("0")) % 2 == 0 else "0" + sys.argv[2].lstrip("0"))
    mid = len(num) // 2
    be = num[mid - 16:mid + 16]
    le = num[::-1][mid - 16:mid + 16]
    try:
        maps = open(f"/proc/{pid}/maps").read().splitlines()
        mem = open(f"/proc/{pid}/mem", "rb", 0)
    except OSError as e:
        print(f"cannot read {pid}: {e}")
        sys.exit(2)
    for line in maps:
        f = line.split()
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        if "r" not in f[1] or hi - lo > 1 << 30 or line.endswith(("[vvar]", "[vsyscall]")):
            continue
        try:
            mem.seek(lo)
            data = mem.read(hi - lo)
        except OSError:
            continue
        if be in data or le in data:
            print("found")
            return
    print("absent")


main()
