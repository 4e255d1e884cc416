/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The three things a private key does for CMS, on a key held in this
 * process.  The filter's key process runs exactly these for its
 * workers, so that a key used across a socket behaves as one used
 * here, down to Bleichenbacher's case (a failed RSA unwrap yields
 * random octets, not an error).
 */
#include <string.h>

#include <mbedtls/ecdh.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>

#include "cms.h"
#include "kdf.h"
#include "mbedtls_compat.h"

static int
local_sign(void *arg, mbedtls_md_type_t md, int pss, const uint8_t *hash,
    size_t hashlen, uint8_t *sig, size_t *siglen)
{
	struct cms_keyop_local *l = arg;
	mbedtls_rsa_context *rsa;
	int rc;

	if (mbedtls_pk_get_type(l->key) == MBEDTLS_PK_RSA && pss) {
		/* padding is context state: set it for this call only */
		rsa = mbedtls_pk_rsa(*l->key);
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, md);
		rc = mbedtls_rsa_rsassa_pss_sign_ext(rsa, cms_rng_func, l->rng,
		    md, (unsigned)hashlen, hash, (int)hashlen, sig);
		*siglen = mbedtls_rsa_get_len(rsa);
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15,
		    MBEDTLS_MD_NONE);
		return rc;
	}
	if (pss)
		return -1;
	if (mbedtls_pk_get_type(l->key) == MBEDTLS_PK_RSA)
		mbedtls_rsa_set_padding(mbedtls_pk_rsa(*l->key),
		    MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
	return compat_pk_sign(l->key, md, hash, hashlen, sig,
	    MBEDTLS_PK_SIGNATURE_MAX_SIZE, siglen, cms_rng_func, l->rng);
}

/*
 * Bleichenbacher: the CEK starts random and is replaced only by a
 * well-formed result of the right length, so a failure runs on like
 * success and surfaces as a content decryption failure.
 */
static int
local_unwrap(void *arg, int oaep, mbedtls_md_type_t md, const uint8_t *ek,
    size_t eklen, uint8_t *cek, size_t ceklen)
{
	struct cms_keyop_local *l = arg;
	uint8_t out[MBEDTLS_MPI_MAX_SIZE];
	mbedtls_rsa_context *rsa;
	size_t olen = 0;
	int rc, failed = 0;

	if (mbedtls_pk_get_type(l->key) != MBEDTLS_PK_RSA ||
	    cms_rng_func(l->rng, cek, ceklen) != 0)
		return -1;
	rsa = mbedtls_pk_rsa(*l->key);
	if (oaep)
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, md);
	else
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15,
		    MBEDTLS_MD_NONE);
	/* the DRBG also blinds the private key operation */
	rc = mbedtls_pk_decrypt(l->key, ek, eklen, out, &olen, sizeof(out),
	    cms_rng_func, l->rng);
	mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
	if (rc == 0 && olen == ceklen)
		memcpy(cek, out, olen);
	else
		failed = 1;
	mbedtls_platform_zeroize(out, sizeof(out));
	return failed;
}

/* Z from our key and the originator's point, at full field width. */
static int
ecdh_z(const struct cms_keyop_local *l, mbedtls_ecp_group_id curve,
    const uint8_t *point, size_t pointlen, uint8_t *z, size_t *zlen)
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q, ours;
	mbedtls_mpi d, zz;
	int rc = -1;

	if (curve != MBEDTLS_ECP_DP_NONE && curve != compat_ec_group_id(l->key))
		return -1;
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_ecp_point_init(&ours);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&zz);
	if (compat_ec_export(l->key, &grp, &d, &ours) == 0 &&
	    (*zlen = (grp.pbits + 7) / 8) <= MBEDTLS_ECP_MAX_BYTES &&
	    mbedtls_ecp_point_read_binary(&grp, &q, point, pointlen) == 0 &&
	    mbedtls_ecp_check_pubkey(&grp, &q) == 0 &&
	    mbedtls_ecdh_compute_shared(&grp, &zz, &q, &d,
	    cms_rng_func, l->rng) == 0 &&
	    mbedtls_mpi_write_binary(&zz, z, *zlen) == 0)
		rc = 0;
	/* mbedtls_mpi_free wipes the copy of the private scalar */
	mbedtls_mpi_free(&d);
	mbedtls_mpi_free(&zz);
	mbedtls_ecp_point_free(&ours);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	return rc;
}

/* The KEK, not Z, leaves: a hashed answer is no raw DH oracle. */
static int
local_kek(void *arg, mbedtls_ecp_group_id curve, const uint8_t *point,
    size_t pointlen, mbedtls_md_type_t md, const uint8_t *info,
    size_t infolen, uint8_t *kek, size_t keklen)
{
	struct cms_keyop_local *l = arg;
	uint8_t z[MBEDTLS_ECP_MAX_BYTES];
	size_t zlen = 0;
	int rc;

	if (mbedtls_pk_get_type(l->key) != MBEDTLS_PK_ECKEY &&
	    mbedtls_pk_get_type(l->key) != MBEDTLS_PK_ECKEY_DH)
		return -1;
	rc = ecdh_z(l, curve, point, pointlen, z, &zlen) == 0 &&
	    kdf_x963(md, z, zlen, info, infolen, kek, keklen) == 0 ? 0 : -1;
	mbedtls_platform_zeroize(z, sizeof(z));
	return rc;
}

mbedtls_pk_type_t
cms_keyop_type(const mbedtls_pk_context *key)
{
	switch (mbedtls_pk_get_type(key)) {
	case MBEDTLS_PK_RSA:
		return MBEDTLS_PK_RSA;
	case MBEDTLS_PK_ECKEY:
	case MBEDTLS_PK_ECKEY_DH:
	case MBEDTLS_PK_ECDSA:
		return MBEDTLS_PK_ECKEY;
	default:
		return MBEDTLS_PK_NONE;
	}
}

void
cms_keyop_local(struct cms_keyop_local *l, mbedtls_pk_context *key,
    struct cms_rng *rng)
{
	memset(l, 0, sizeof(*l));
	l->key = key;
	l->rng = rng;
	l->op.type = cms_keyop_type(key);
	l->op.sign = local_sign;
	l->op.unwrap = local_unwrap;
	l->op.kek = local_kek;
	l->op.arg = l;
}
