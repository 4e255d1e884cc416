/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The nonce mbedTLS's deterministic ECDSA (RFC 6979) signs with, for
 * test_ecpool and fuzz_ecpool: HMAC_DRBG with md over the private key
 * and the reduced hash, then mbedtls_ecp_gen_privkey drawing from it,
 * as mbedtls_ecdsa_sign_det_ext does.  0, or -1.
 */
#ifndef ECDET_H
#define ECDET_H

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/hmac_drbg.h>
#include <mbedtls/md.h>

static inline int
ecdet_nonce(const mbedtls_ecp_group *grp, const mbedtls_mpi *d,
    const uint8_t *h, size_t hlen, mbedtls_md_type_t md, mbedtls_mpi *k)
{
	unsigned char seed[2 * MBEDTLS_ECP_MAX_BYTES];
	mbedtls_hmac_drbg_context drbg;
	size_t glen = (grp->nbits + 7) / 8, use = hlen < glen ? hlen : glen;
	mbedtls_mpi e;
	int rc = -1;

	mbedtls_mpi_init(&e);
	mbedtls_hmac_drbg_init(&drbg);
	if (mbedtls_mpi_write_binary(d, seed, glen) == 0 &&
	    mbedtls_mpi_read_binary(&e, h, use) == 0 &&
	    (use * 8 <= grp->nbits ||
	    mbedtls_mpi_shift_r(&e, use * 8 - grp->nbits) == 0) &&
	    (mbedtls_mpi_cmp_mpi(&e, &grp->N) < 0 ||
	    mbedtls_mpi_sub_mpi(&e, &e, &grp->N) == 0) &&
	    mbedtls_mpi_write_binary(&e, seed + glen, glen) == 0 &&
	    mbedtls_hmac_drbg_seed_buf(&drbg, mbedtls_md_info_from_type(md),
	    seed, 2 * glen) == 0 &&
	    mbedtls_ecp_gen_privkey(grp, k, mbedtls_hmac_drbg_random,
	    &drbg) == 0)
		rc = 0;
	mbedtls_hmac_drbg_free(&drbg);
	mbedtls_mpi_free(&e);
	return rc;
}

#endif
