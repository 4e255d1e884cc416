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


def octets(h):
    """HEX as octets.  A number's leading zero octets (a DER sign octet)
    are not in memory and are dropped; but never below 32 octets: a
    random key (a master key) that starts with 00 keeps it, or the
    search would be for a single octet and find it anywhere."""
    num = bytes.fromhex(h if len(h) % 2 == 0 else "0" + h)
    stripped = num.lstrip(b"\0")
    return stripped if len(stripped) >= 32 else num


def main():
    pid, num = sys.argv[1], octets(sys.argv[2])
    mid = len(num) // 2
    lo = max(mid - 16, 0)
    be = num[lo:lo + 32]
    le = num[::-1][lo:lo + 32]
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
