/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * ECDSA with its nonces made ahead of time.  The costly part of a
 * signature, the point R = kG, depends on neither the key nor the
 * message: a key process makes a few while it has nothing else to do,
 * and a signature then costs a handful of modular multiplications.
 *
 * Reusing a nonce gives the private key away, so an entry is wiped as
 * it is taken, before the signature is computed, and whoever forks a
 * process holding a pool empties the child's copy (ecpool_free) before
 * the child signs anything.
 */
#ifndef ECPOOL_H
#define ECPOOL_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

struct ecfix;

#define ECPOOL_DEPTH	4	/* nonces kept for one curve */

typedef int (*ecpool_rng_fn)(void *, unsigned char *, size_t);

struct ecpool {
	mbedtls_ecp_group_id	 id;	/* MBEDTLS_ECP_DP_NONE: not armed */
	mbedtls_ecp_group	 grp;
	struct ecfix		*fix;	/* kG by table, or NULL: mbedTLS */
	mbedtls_mpi		 k[ECPOOL_DEPTH];	/* the nonces */
	mbedtls_mpi		 r[ECPOOL_DEPTH];	/* x(kG) mod n */
	size_t			 n;	/* ready: entries [0, n) */
};

void	 ecpool_init(struct ecpool *);
/* Wipes every nonce and disarms. */
void	 ecpool_free(struct ecpool *);
/* Kept for curve id from now on: 0, or -1 (unknown curve, memory). */
int	 ecpool_arm(struct ecpool *, mbedtls_ecp_group_id);
/* 1 when armed and short of nonces. */
int	 ecpool_wants(const struct ecpool *);
/* One more nonce from rng: 0, or -1. */
int	 ecpool_fill(struct ecpool *, ecpool_rng_fn, void *);
/* The nonce k itself, for known-answer tests: 0, or -1. */
int	 ecpool_add(struct ecpool *, const mbedtls_mpi *, ecpool_rng_fn,
	    void *);
/*
 * An ECDSA signature (DER Ecdsa-Sig-Value) of hash with key, whose
 * curve must be the pool's, into sig (cap octets): 0 signed; 1 when no
 * nonce is ready (sign some other way); -1 on failure.  rng blinds the
 * inversion.
 */
int	 ecpool_sign(struct ecpool *, const mbedtls_pk_context *,
	    const uint8_t *, size_t, uint8_t *, size_t, size_t *,
	    ecpool_rng_fn, void *);

#endif
