#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
"""Synthetic PKCS#12 variants that no exporter writes, from the openssl
files here.  Usage: synth.py SRCDIR OUTDIR MACITER.  Reads SRCDIR/
nomac-noenc-p256.p12 and SRCDIR/ossl3-p256.p12 (password "test") and
writes to OUTDIR, each with a fresh SHA-256 MAC (password "test", MACITER
iterations) unless noted:
  ber-noenc-p256.p12   everything re-encoded as BER: indefinite lengths,
                       OCTET STRINGs in 100-byte segments, at every level
                       but the PrivateKeyInfo (mbedTLS parses DER keys only)
  ber-ossl3-p256.p12   the same over the PBES2-AES file (ciphertexts kept)
  nested-p256.p12      the key bag inside a safeContentsBag
  twokeys-p256.p12     the key bag twice (refused: one key per file)
  deepnest-p256.p12    the key bag under 5 nested safeContentsBags (refused)
  sha384mac-p256.p12   MAC with SHA-384 (no exporter here writes it)
"""
import hashlib, hmac, os, sys

def parse(b, off=0, end=None):
    end = len(b) if end is None else end
    out = []
    while off < end:
        tag = b[off]; l = b[off + 1]; off += 2
        if l & 0x80:
            n = l & 0x7f; l = int.from_bytes(b[off:off + n], 'big'); off += n
        v = b[off:off + l]
        out.append((tag, parse(b, off, off + l) if tag & 0x20 else bytes(v)))
        off += l
    return out

def one(b):
    (n,) = parse(b); return n

def dlen(n):
    if n < 0x80: return bytes([n])
    s = n.to_bytes((n.bit_length() + 7) // 8, 'big'); return bytes([0x80 | len(s)]) + s

def enc(node, ber=False):
    if isinstance(node, bytes):     # kept as encoded (keys stay DER)
        return node
    tag, v = node
    if isinstance(v, Encap):
        v = enc(v.node, ber)
    if isinstance(v, list):
        c = b''.join(enc(x, ber) for x in v)
        return bytes([tag]) + (b'\x80' + c + b'\0\0' if ber else dlen(len(c)) + c)
    if ber and tag == 0x04 and len(v) > 100:
        segs = b''.join(b'\x04' + dlen(len(v[i:i + 100])) + v[i:i + 100]
                        for i in range(0, len(v), 100))
        return b'\x24\x80' + segs + b'\0\0'
    return bytes([tag]) + dlen(len(v)) + v

class Encap:            # an OCTET STRING whose content is a structure
    def __init__(self, node): self.node = node

def fill(x, v):
    n = v * ((len(x) + v - 1) // v)
    return (x * (n // len(x) + 1))[:n] if x else b''

def kdf(pw, salt, ident, it, n, h, v):
    u = h().digest_size; I = bytearray(fill(salt, v) + fill(pw, v)); out = b''
    while len(out) < n:
        A = h(bytes([ident]) * v + bytes(I)).digest()
        for _ in range(it - 1): A = h(A).digest()
        out += A
        B = int.from_bytes((A * (v // u + 1))[:v], 'big')
        for j in range(0, len(I), v):
            x = (int.from_bytes(I[j:j + v], 'big') + B + 1) % (1 << (8 * v))
            I[j:j + v] = x.to_bytes(v, 'big')
    return out[:n]

OID = {'sha256': bytes.fromhex('608648016503040201'), 'sha384': bytes.fromhex('608648016503040202')}
SCB = bytes.fromhex('2a864886f70d010c0a0106')     # safeContentsBag
KEYBAG = bytes.fromhex('2a864886f70d010c0a0101')
DATA = bytes.fromhex('2a864886f70d010701')

def pfx(authsafe, it, ber=False, md='sha256'):
    h = getattr(hashlib, md); v = 128 if md == 'sha384' else 64
    asb = enc(authsafe, ber)
    salt = os.urandom(8)
    key = kdf('test'.encode('utf-16-be') + b'\0\0', salt, 3, it, h().digest_size, h, v)
    mac = hmac.new(key, asb, h).digest()
    macdata = (0x30, [(0x30, [(0x30, [(0x06, OID[md]), (0x05, b'')]), (0x04, mac)]),
                      (0x04, salt), (0x02, it.to_bytes((it.bit_length() + 8) // 8, 'big'))])
    ci = (0x30, [(0x06, DATA), (0xa0, [(0x04, asb)])])
    return enc((0x30, [(0x02, b'\x03'), ci, macdata]), ber)

def open_pfx(b):
    """authSafe as a tree whose data ContentInfos hold Encap SafeContents."""
    p = one(b)
    asb = p[1][1][1][1][1][0][1]
    auth = one(asb)
    for ci in auth[1]:
        if ci[1][0][1] == DATA:
            octs = ci[1][1][1][0]
            sc = one(octs[1])
            for bag in sc[1]:
                if bag[1][0][1] == KEYBAG:
                    bag[1][1][1][0] = enc(bag[1][1][1][0])
            ci[1][1][1][0] = (0x04, Encap(sc))
    return auth

def key_sc(auth):
    for ci in auth[1]:
        if ci[1][0][1] == DATA:
            sc = ci[1][1][1][0][1].node
            if any(bag[1][0][1] == KEYBAG for bag in sc[1]):
                return sc
    raise SystemExit('no keyBag')

src, out, it = sys.argv[1], sys.argv[2], int(sys.argv[3])
plain = open(os.path.join(src, 'nomac-noenc-p256.p12'), 'rb').read()
ossl3 = open(os.path.join(src, 'ossl3-p256.p12'), 'rb').read()
def w(name, data): open(os.path.join(out, name), 'wb').write(data)

w('ber-noenc-p256.p12', pfx(open_pfx(plain), it, ber=True))
w('ber-ossl3-p256.p12', pfx(open_pfx(ossl3), it, ber=True))
w('sha384mac-p256.p12', pfx(open_pfx(plain), it, md='sha384'))

a = open_pfx(plain); sc = key_sc(a)
sc[1][:] = [(0x30, [(0x06, SCB), (0xa0, [(0x30, list(sc[1]))])])]
w('nested-p256.p12', pfx(a, it))

a = open_pfx(plain); sc = key_sc(a); sc[1].append(sc[1][0])
w('twokeys-p256.p12', pfx(a, it))

a = open_pfx(plain); sc = key_sc(a)
inner = list(sc[1])
for _ in range(5):
    inner = [(0x30, [(0x06, SCB), (0xa0, [(0x30, inner)])])]
sc[1][:] = inner
w('deepnest-p256.p12', pfx(a, it))
