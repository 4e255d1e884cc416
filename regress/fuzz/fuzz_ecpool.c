/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * libFuzzer target for ECDSA with nonces made ahead (ecpool): the input
 * gives the curve and the hash length (first two octets), the private
 * key (as many octets as the curve, reduced into [1, n-1]), then the
 * hash.  Given the nonce mbedTLS's deterministic ECDSA derives, ecpool
 * must sign with the same r and s as mbedtls_ecdsa_sign_det_ext, and
 * the nonce must be gone from the pool afterwards.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/pk.h>

#include "../unit/ecdet.h"
#include "ecpool.h"
#include "mbedtls_compat.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
fixed_rng(void *arg, unsigned char *out, size_t len)
{
	(void)arg;
	memset(out, 0x5a, len);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const mbedtls_ecp_group_id curves[] = {
		MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1,
		MBEDTLS_ECP_DP_SECP521R1
	};
	static int inited;
	mbedtls_pk_context pk;
	mbedtls_ecp_keypair *kp;
	struct ecpool pool;
	mbedtls_mpi d, k, r, s, r2, s2;
	uint8_t sig[MBEDTLS_ECDSA_MAX_LEN];
	unsigned char *p;
	size_t glen, hlen, siglen = 0, n;
	int ok;

	if (!inited) {
		if (compat_init() != 0)
			abort();
		inited = 1;
	}
	if (size < 2)
		return 0;
	mbedtls_pk_init(&pk);
	ecpool_init(&pool);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&k);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	mbedtls_mpi_init(&r2);
	mbedtls_mpi_init(&s2);
	if (ecpool_arm(&pool, curves[data[0] % 3]) != 0)
		abort();
	glen = (pool.grp.nbits + 7) / 8;
	hlen = 1 + data[1] % 64;
	if (size < 2 + glen + hlen)
		goto out;
	/* d in [1, n-1]: read, reduced mod n - 1, plus one */
	if (mbedtls_mpi_read_binary(&d, data + 2, glen) != 0 ||
	    mbedtls_mpi_sub_int(&r, &pool.grp.N, 1) != 0 ||
	    mbedtls_mpi_mod_mpi(&d, &d, &r) != 0 ||
	    mbedtls_mpi_add_int(&d, &d, 1) != 0 ||
	    mbedtls_pk_setup(&pk,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
	    (kp = mbedtls_pk_ec(pk)) == NULL ||
	    mbedtls_mpi_write_binary(&d, sig, glen) != 0 ||
	    mbedtls_ecp_read_key(pool.id, kp, sig, glen) != 0)
		abort();
	if (ecdet_nonce(&pool.grp, &d, data + 2 + glen, hlen,
	    MBEDTLS_MD_SHA256, &k) != 0 ||
	    mbedtls_ecdsa_sign_det_ext(&pool.grp, &r, &s, &d, data + 2 + glen,
	    hlen, MBEDTLS_MD_SHA256, fixed_rng, NULL) != 0 ||
	    ecpool_add(&pool, &k, fixed_rng, NULL) != 0)
		abort();
	ok = ecpool_sign(&pool, &pk, data + 2 + glen, hlen, sig, sizeof(sig),
	    &siglen, fixed_rng, NULL) == 0 && pool.n == 0;
	p = sig;
	ok = ok && mbedtls_asn1_get_tag(&p, sig + siglen, &n,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) == 0 &&
	    mbedtls_asn1_get_mpi(&p, sig + siglen, &r2) == 0 &&
	    mbedtls_asn1_get_mpi(&p, sig + siglen, &s2) == 0 &&
	    p == sig + siglen && mbedtls_mpi_cmp_mpi(&r, &r2) == 0 &&
	    mbedtls_mpi_cmp_mpi(&s, &s2) == 0;
	if (!ok)
		abort();
out:
	mbedtls_mpi_free(&d);
	mbedtls_mpi_free(&k);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	mbedtls_mpi_free(&r2);
	mbedtls_mpi_free(&s2);
	ecpool_free(&pool);
	mbedtls_pk_free(&pk);
	return 0;
}
