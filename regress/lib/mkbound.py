#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
"""Messages that test the work bounds of SignedData verification.

mkbound.py DIR [BITS]  writes into DIR:
  root.pem            the trust anchor (RSA-2048)
  ok.der              one signer, signer <- root: verifies
  chain5.der          signer <- 5 intermediates <- root: verifies
  chain7.der          signer <- 7 intermediates <- root: chain too long
  certs60.der         ok.der with 60 certificates: over the bound
  certs50.der         ok.der with 50 certificates: verifies
  signers12.der       12 signers: over the bound
  exp40.der           a certificate with e = 2^40+1: over the bound
  rsa16384.der        a certificate with a 16384-bit modulus: over the bound
  hugeexp.der         a certificate whose exponent is as long as its modulus
  badsig.der          an intermediate whose signature does not verify
  unknown.der         signer <- intermediate, no anchor
  worst.der           the worst case the bounds allow: 8 signers, each
                      over 5 expired look-alike CA certificates of BITS
                      (default 8192) bits with e = 2^32-5; the signers'
                      keys are BITS bits with e = 2^32-5 too
  worst-ec.der        the same with brainpoolP512r1 CAs, P-521 signers
  attack.der          the message of issue 13: 31 self-issued expired
                      CAs, RSA-4096 with 4096-bit exponents, 8 signers
All SignedData are DER, opaque (content embedded), without signed
attributes.  Certificates of look-alike CAs carry keys nobody holds and
signatures of the right length that do not verify: mbedTLS does the
public-key operation in full before it finds that out.
"""
import datetime
import hashlib
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

CONTENT = b"Content-Type: text/plain\r\n\r\nBounded work.\r\n"
E_MAX = 2**32 - 5          # the largest prime at or below 2^32


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + body


def seq(*a):
    return tlv(0x30, b"".join(a))


def set_(*a):
    return tlv(0x31, b"".join(sorted(a)))


def integer(v):
    return tlv(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big"))


def oid(dotted):
    p = [int(x) for x in dotted.split(".")]
    out = bytes([40 * p[0] + p[1]])
    for v in p[2:]:
        s = [v & 0x7f]
        v >>= 7
        while v:
            s.append(0x80 | (v & 0x7f))
            v >>= 7
        out += bytes(reversed(s))
    return tlv(0x06, out)


def ctx(n, body, cons=True):
    return tlv((0xa0 if cons else 0x80) | n, body)


NULL = b"\x05\x00"
SHA256_RSA = seq(oid("1.2.840.113549.1.1.11"), NULL)
RSA_ENC = seq(oid("1.2.840.113549.1.1.1"), NULL)
SHA256 = seq(oid("2.16.840.1.101.3.4.2.1"), NULL)
ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"))


def name(cn, email=None):
    rdns = [set_(seq(oid("2.5.4.3"), tlv(0x0c, cn.encode())))]
    if email:
        rdns.append(set_(seq(oid("1.2.840.113549.1.9.1"),
                             tlv(0x16, email.encode()))))
    return seq(*rdns)


def gtime(t):
    return tlv(0x18, t.strftime("%Y%m%d%H%M%SZ").encode())


VALID = seq(gtime(datetime.datetime(2025, 1, 1)),
            gtime(datetime.datetime(2045, 1, 1)))
EXPIRED = seq(gtime(datetime.datetime(2001, 1, 1)),
              gtime(datetime.datetime(2002, 1, 1)))


def spki(n, e):
    return seq(RSA_ENC, tlv(0x03, b"\x00" + seq(integer(n), integer(e))))


def ext(o, critical, body):
    return seq(oid(o), b"\x01\x01\xff" if critical else b"", tlv(0x04, body))


def ca_exts():
    return ctx(3, seq(ext("2.5.29.19", True, seq(b"\x01\x01\xff")),
                      ext("2.5.29.15", True, tlv(0x03, b"\x01\x06"))))


def leaf_exts(email):
    return ctx(3, seq(ext("2.5.29.15", True, tlv(0x03, b"\x07\x80")),
                      ext("2.5.29.37", False, seq(oid("1.3.6.1.5.5.7.3.4"))),
                      ext("2.5.29.17", False, seq(tlv(0x81, email.encode())))))


class ECKey:
    """An EC key; with signs=False its signatures are random (r, s)."""

    def __init__(self, curve, signs=True):
        self.priv = ec.generate_private_key(curve)
        self.signs = signs
        self.alg = ECDSA_SHA256

    def spki(self):
        return self.priv.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, data):
        if self.signs:
            return self.priv.sign(data, ec.ECDSA(hashes.SHA256()))
        k = (self.priv.curve.key_size + 7) // 8
        r = int.from_bytes(hashlib.sha512(data).digest()[:k - 1], "big")
        return seq(integer(r | 1), integer(r // 3 | 1))


class Key:
    """A real private key, or only a public one (n, e) nobody holds."""

    alg = SHA256_RSA

    def spki(self):
        return spki(self.n, self.e)

    def __init__(self, priv=None, n=None, e=None):
        self.priv = priv
        if priv is not None:
            pn = priv.public_key().public_numbers()
            n, e = pn.n, pn.e
        self.n, self.e = n, e

    def sign(self, data):
        if self.priv is not None:
            return self.priv.sign(data, padding.PKCS1v15(), hashes.SHA256())
        # as long as the modulus, below it: a full operation, then a failure
        k = (self.n.bit_length() + 7) // 8
        return b"\x01" + hashlib.sha512(data).digest() * (k // 64) + \
            b"\x00" * (k - 1 - 64 * (k // 64))


serial = [1000]


def cert(subject, issuer, key, issuer_key, exts, validity=VALID):
    serial[0] += 1
    tbs = seq(ctx(0, integer(2)), integer(serial[0]), issuer_key.alg,
              issuer, validity, subject, key.spki(), exts)
    return seq(tbs, issuer_key.alg,
               tlv(0x03, b"\x00" + issuer_key.sign(tbs)))


def issuer_serial(der):
    """issuerAndSerialNumber of a certificate we wrote."""
    # tbs: [0] version, serial, alg, issuer: walk the encoding
    def read(b, i):
        tag, n = b[i], b[i + 1]
        j = i + 2
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(b[j:j + k], "big")
            j += k
        return tag, j, j + n
    _, s, _ = read(der, 0)
    _, s, _ = read(der, s)           # into tbs
    _, _, i = read(der, s)           # version
    _, a, i2 = read(der, i)          # serial
    ser = der[i:i2]
    _, _, i3 = read(der, i2)         # signature alg
    _, _, i4 = read(der, i3)         # issuer
    return seq(der[i3:i4], ser)


def signed_data(signers, certs):
    """signers: (certificate DER, Key) pairs; certs: every certificate."""
    infos = []
    for c, k in signers:
        alg = RSA_ENC if isinstance(k, Key) else ECDSA_SHA256
        infos.append(seq(integer(1), issuer_serial(c), SHA256, alg,
                         tlv(0x04, k.sign(CONTENT))))
    sd = seq(integer(1), set_(SHA256),
             seq(oid("1.2.840.113549.1.7.1"), ctx(0, tlv(0x04, CONTENT))),
             tlv(0xa0, b"".join(certs)), tlv(0x31, b"".join(infos)))
    return seq(oid("1.2.840.113549.1.7.2"), ctx(0, sd))


def gen(bits, e=65537):
    return Key(rsa.generate_private_key(e, bits))


def key_with_e(base, e):
    """base's primes with another public exponent."""
    pn = base.priv.private_numbers()
    p, q = pn.p, pn.q
    lam = (p - 1) * (q - 1)
    d = pow(e, -1, lam)
    nums = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1),
                                 pow(q, -1, p),
                                 rsa.RSAPublicNumbers(e, p * q))
    try:
        # cryptography >= 39 validates keys unless told not to
        priv = nums.private_key(unsafe_skip_rsa_key_validation=True)
    except TypeError:
        priv = nums.private_key()   # 38 (Debian 12) has no such argument
    return Key(priv)


def fake(bits, e):
    n = int.from_bytes(os.urandom(bits // 8), "big") | (1 << (bits - 1)) | 1
    return Key(n=n, e=e)


def big_e_key(bits, e):
    """A real key of bits bits with the prime exponent e."""
    while True:
        k = gen(bits)
        pn = k.priv.private_numbers()
        if (pn.p - 1) % e and (pn.q - 1) % e:
            return key_with_e(k, e)


def write(d, name_, data):
    with open(os.path.join(d, name_), "wb") as f:
        f.write(data)


def main():
    d = sys.argv[1]
    bits = int(sys.argv[2]) if len(sys.argv) > 2 else 8192
    os.makedirs(d, exist_ok=True)
    root_k, ik, lk = gen(2048), gen(2048), gen(2048)
    root_n = name("Bound Test Root")
    root = cert(root_n, root_n, root_k, root_k, ca_exts())
    write(d, "root.pem", b"-----BEGIN CERTIFICATE-----\n" +
          __import__("base64").encodebytes(root) +
          b"-----END CERTIFICATE-----\n")
    email = "alice@example.org"
    leaf_n = name("Alice", email)

    def leaf(issuer_n, issuer_k, k=lk):
        return cert(leaf_n, issuer_n, k, issuer_k, leaf_exts(email))

    def chain(n):
        """signer <- n intermediates <- root, real signatures."""
        up_n, up_k, cs = root_n, root_k, []
        for i in range(n):
            in_n = name("Bound Intermediate %d" % (i + 1))
            cs.insert(0, cert(in_n, up_n, ik, up_k, ca_exts()))
            up_n, up_k = in_n, ik
        s = leaf(up_n, up_k)
        return s, [s] + cs

    s, cs = chain(0)
    write(d, "ok.der", signed_data([(s, lk)], cs))
    # small keys nobody holds: fillers are counted, never verified
    extra = [cert(name("Filler %d" % i), root_n, fake(512, 65537),
                  fake(512, 65537), ca_exts()) for i in range(60)]
    write(d, "certs60.der", signed_data([(s, lk)], cs + extra))
    write(d, "certs50.der", signed_data([(s, lk)], cs + extra[:49]))
    write(d, "signers12.der", signed_data([(s, lk)] * 12, cs))
    c40 = cert(name("Exponent 2^40+1"), root_n, fake(2048, 2**40 + 1),
               root_k, ca_exts())
    write(d, "exp40.der", signed_data([(s, lk)], cs + [c40]))
    c16k = cert(name("RSA-16384"), root_n, fake(16384, 65537), root_k,
                ca_exts())
    write(d, "rsa16384.der", signed_data([(s, lk)], cs + [c16k]))
    chuge = cert(name("Huge exponent"), root_n,
                 fake(4096, int.from_bytes(os.urandom(511), "big") | 1),
                 root_k, ca_exts())
    write(d, "hugeexp.der", signed_data([(s, lk)], cs + [chuge]))
    s5, cs5 = chain(5)
    write(d, "chain5.der", signed_data([(s5, lk)], cs5))
    s7, cs7 = chain(7)
    write(d, "chain7.der", signed_data([(s7, lk)], cs7))
    in_n = name("Bound Intermediate 1")
    bad = cert(in_n, root_n, ik, fake(2048, 65537), ca_exts())
    sb = leaf(in_n, ik)
    write(d, "badsig.der", signed_data([(sb, lk)], [sb, bad]))
    other_n = name("Nobody's Root")
    orphan = cert(in_n, other_n, ik, ik, ca_exts())
    write(d, "unknown.der", signed_data([(sb, lk)], [sb, orphan]))
    worst(d, "worst.der", leaf_n, email, lambda: big_e_key(bits, E_MAX),
          lambda: fake(bits, E_MAX))
    worst(d, "worst-ec.der", leaf_n, email,
          lambda: ECKey(ec.SECP521R1()),
          lambda: ECKey(ec.BrainpoolP512R1(), signs=False))
    attack(d, leaf_n, email)


def worst(d, out, leaf_n, email, signer_key, ca_key):
    """8 signers x (signer + 5 expired look-alike CAs) = 48 certificates."""
    sk = signer_key()
    signers, certs = [], []
    for g in range(8):
        ca_n = name("Look-alike CA %d" % g)
        cas = [cert(ca_n, ca_n, ca_key(), ca_key(), ca_exts(), EXPIRED)
               for _ in range(5)]
        s = cert(leaf_n, ca_n, sk, ca_key(), leaf_exts(email))
        signers.append((s, sk))
        certs += [s] + cas
    write(d, out, signed_data(signers, certs))


def attack(d, leaf_n, email):
    """Issue 13: 31 self-issued expired "CA" certificates, RSA-4096 with
    exponents as long as the modulus, and 8 signers under them."""
    def hk():
        return fake(4096, int.from_bytes(os.urandom(511), "big") | 1)
    ca_n = name("Look-alike CA")
    certs = [cert(ca_n, ca_n, hk(), hk(), ca_exts(), EXPIRED)
             for _ in range(31)]
    sk = gen(2048)
    s = cert(leaf_n, ca_n, sk, hk(), leaf_exts(email))
    write(d, "attack.der", signed_data([(s, sk)] * 8, [s] + certs))


if __name__ == "__main__":
    main()
