/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * R = kG for the base point G of P-256 and P-384, in constant time, at
 * several times mbedTLS's speed: the nonce of every ECDSA signature a
 * key process makes (ecpool.c) is such a product.  And the rest of the
 * signature, s = (h + rd) / k mod n, in the same arithmetic.
 *
 * A table holds j 2^(4i) G for every 4-bit window i of the scalar and
 * every digit j, so kG is one addition per window and no doubling.
 * Which entry a digit picks never shows in time or in the addresses
 * read: every entry of the window is read, the right one kept by masks.
 * The field arithmetic (Montgomery form, 64-bit limbs) has no branch
 * and no address that depends on a value.
 *
 * Needs a compiler with 128-bit integers; without one, or for another
 * curve, or with FILTER_SMIME_NO_HW set, ecfix_new gives NULL and the
 * caller goes on with mbedTLS.
 */
#ifndef ECFIX_H
#define ECFIX_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ecp.h>

#define ECFIX_MAX_BYTES	48	/* P-384 */

struct ecfix;

/*
 * The table for grp's curve, checked against mbedTLS on one scalar
 * before it is used; NULL for a curve it does not know, on a failed
 * check, or without memory.
 */
struct ecfix	*ecfix_new(const mbedtls_ecp_group *);
void		 ecfix_free(struct ecfix *);
/* Octets of a field element and of a scalar: 32 or 48. */
size_t		 ecfix_len(const struct ecfix *);
/*
 * The affine coordinates of kG (each ecfix_len octets, big-endian) for
 * k big-endian in ecfix_len octets, 1 <= k < n.  y may be NULL.  k is
 * the caller's to check: for k = 0 or k >= n the result is no point.
 */
void		 ecfix_mul(const struct ecfix *, const uint8_t *, uint8_t *,
		    uint8_t *);
/*
 * s = (h + r d) / k mod n, the second half of an ECDSA signature, in
 * constant time; every value ecfix_len octets, big-endian, below n, and
 * k not 0 (for k = 0, s is 0).
 */
void		 ecfix_ecdsa_s(const struct ecfix *, const uint8_t *,
		    const uint8_t *, const uint8_t *, const uint8_t *,
		    uint8_t *);

#endif
