#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
"""Re-MAC a DER PFX whose MacData uses SHA-256 with the *absent* password
(RFC 7292 B.1: zero password bytes, not the two-zero-byte BMPString of "").
Usage: remac-absent.py in.p12 out.p12.  Made emptypw-absent-p384.p12 from
noenc-p384.p12 (nothing encrypted, so only the MAC depends on the password).
"""
import hashlib, hmac, sys

def tlv(b, off):
    tag = b[off]; l = b[off + 1]; hl = 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[off + 2:off + 2 + n], 'big'); hl += n
    return tag, off + hl, l          # tag, content offset, content length

def kdf(pw, salt, ident, it, n, h=hashlib.sha256, v=64):
    u = h().digest_size
    def fill(x):
        n = v * ((len(x) + v - 1) // v)
        return (x * (n // len(x) + 1))[:n] if x else b''
    S = fill(salt)
    P = fill(pw)
    I = bytearray(S + P); out = b''
    while len(out) < n:
        A = h(bytes([ident]) * v + bytes(I)).digest()
        for _ in range(it - 1):
            A = h(A).digest()
        out += A
        B = int.from_bytes((A * (v // u + 1))[:v], 'big')
        for j in range(0, len(I), v):
            x = (int.from_bytes(I[j:j + v], 'big') + B + 1) % (1 << (8 * v))
            I[j:j + v] = x.to_bytes(v, 'big')
    return out[:n]

b = bytearray(open(sys.argv[1], 'rb').read())
_, c, _ = tlv(b, 0)                       # PFX
t, c2, l = tlv(b, c); c = c2 + l          # version
t, c2, l = tlv(b, c); auth = (c2, l); c = c2 + l   # authSafe
t, ac, al = tlv(b, auth[0]); t, ac, al = tlv(b, ac + al)  # OID, [0]
t, oc, ol = tlv(b, ac)                    # OCTET STRING
data = bytes(b[oc:oc + ol])
t, mc, ml = tlv(b, c)                     # MacData
t, dc, dl = tlv(b, mc)                    # DigestInfo
t, ac2, al2 = tlv(b, dc); t, dgc, dgl = tlv(b, ac2 + al2)   # alg, digest
t, sc, sl = tlv(b, dc + dl); salt = bytes(b[sc:sc + sl])
t, ic, il = tlv(b, sc + sl); it = int.from_bytes(b[ic:ic + il], 'big')
key = kdf(b'', salt, 3, it, 32)
b[dgc:dgc + dgl] = hmac.new(key, data, hashlib.sha256).digest()
open(sys.argv[2], 'wb').write(b)
