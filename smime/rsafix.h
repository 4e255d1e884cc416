/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The RSA private key operation for signing, m^d mod n, in constant
 * time, at about twice mbedTLS's speed: the key process's whole cost
 * per RSA signature is this product.
 *
 * By the Chinese remainder theorem (two exponentiations modulo the
 * primes), in Montgomery form on 64-bit limbs, with a fixed 5-bit
 * window whose table entry is picked by masks, never by address.  The
 * input is blinded as mbedTLS blinds it (vi = vf^-e, squared after
 * each use), and every result is checked with the public exponent
 * before it leaves: a fault in the computation gives no signature, so
 * it cannot leak a prime (Boneh, DeMillo and Lipton).
 *
 * For keys whose primes are 1024, 1536 or 2048 bits long each (RSA
 * 2048, 3072, 4096 as every tool makes them) and whose public exponent
 * fits 64 bits.  Needs a compiler with 128-bit integers; without one,
 * for another key, or with FILTER_SMIME_NO_HW set, rsafix_new gives
 * NULL and the caller signs with mbedTLS.
 */
#ifndef RSAFIX_H
#define RSAFIX_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md.h>
#include <mbedtls/rsa.h>

struct rsafix;

/*
 * The key's precomputed form; rng seeds the blinding.  NULL for a key
 * it does not take, or without memory.  No check against mbedTLS here:
 * pipe mode makes this once per message, and every result is checked.
 */
struct rsafix	*rsafix_new(const mbedtls_rsa_context *,
		    int (*)(void *, unsigned char *, size_t), void *);
void		 rsafix_free(struct rsafix *);
/* 1 when rsafix_new may take a key: 128-bit integers, no FILTER_SMIME_NO_HW. */
int		 rsafix_available(void);
/* Octets of the modulus, of an input, and of a signature. */
size_t		 rsafix_len(const struct rsafix *);
/*
 * out = in^d mod n, both rsafix_len octets, big-endian; in < n.  0, or
 * -1 (in >= n, or a result that fails the check: nothing is written).
 */
int		 rsafix_private(struct rsafix *, const uint8_t *, uint8_t *);
/*
 * The PKCS #1 v1.5 signature (RFC 8017, 8.2) of a hash made with md,
 * rsafix_len octets into sig: 0, or -1 (an unknown md, a hash of the
 * wrong length, a key too small for it, or a failed check).
 */
int		 rsafix_sign(struct rsafix *, mbedtls_md_type_t,
		    const uint8_t *, size_t, uint8_t *);

/*
 * For the constant-time check (regress/ct) only: secret is called now
 * on every secret value (the first prime's limbs first), to mark them;
 * publish on each signature once made, which is public from then on.
 */
void		 rsafix_ct_hooks(struct rsafix *,
		    void (*)(const void *, size_t),
		    void (*)(const void *, size_t));

#endif
