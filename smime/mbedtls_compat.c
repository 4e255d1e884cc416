/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* mbedTLS 2.28 and 3.6 behind one interface: see mbedtls_compat.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/entropy.h>
#include <mbedtls/pkcs5.h>

#include "mbedtls_compat.h"

#ifdef COMPAT_MBEDTLS3
#include <psa/crypto.h>
#endif

const char *
compat_version(void)
{
	return "mbedTLS " MBEDTLS_VERSION_STRING;
}

int
compat_init(void)
{
#ifdef COMPAT_MBEDTLS3
	return psa_crypto_init() == PSA_SUCCESS ? 0 : -1;
#else
	return 0;
#endif
}

int
compat_rng(void *arg, unsigned char *out, size_t len)
{
	size_t n;

	(void)arg;
	while (len > 0) {
		/* getentropy gives at most 256 octets a call */
		n = len < 256 ? len : 256;
		if (getentropy(out, n) == -1)
			return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
		out += n;
		len -= n;
	}
	return 0;
}

int
compat_pk_parse_key(mbedtls_pk_context *pk, const unsigned char *key,
    size_t keylen, const unsigned char *pw, size_t pwlen)
{
#ifdef COMPAT_MBEDTLS3
	return mbedtls_pk_parse_key(pk, key, keylen, pw, pwlen, compat_rng,
	    NULL);
#else
	return mbedtls_pk_parse_key(pk, key, keylen, pw, pwlen);
#endif
}

int
compat_pk_parse_keyfile(mbedtls_pk_context *pk, const char *path,
    const char *pw)
{
#ifdef COMPAT_MBEDTLS3
	return mbedtls_pk_parse_keyfile(pk, path, pw, compat_rng, NULL);
#else
	return mbedtls_pk_parse_keyfile(pk, path, pw);
#endif
}

int
compat_pk_check_pair(const mbedtls_pk_context *pub,
    const mbedtls_pk_context *prv)
{
#ifdef COMPAT_MBEDTLS3
	return mbedtls_pk_check_pair(pub, prv, compat_rng, NULL);
#else
	return mbedtls_pk_check_pair(pub, prv);
#endif
}

int
compat_pk_sign(mbedtls_pk_context *pk, mbedtls_md_type_t md,
    const unsigned char *hash, size_t hashlen, unsigned char *sig,
    size_t sigsize, size_t *siglen,
    int (*f_rng)(void *, unsigned char *, size_t), void *p_rng)
{
#ifdef COMPAT_MBEDTLS3
	return mbedtls_pk_sign(pk, md, hash, hashlen, sig, sigsize, siglen,
	    f_rng, p_rng);
#else
	/* 2.28 takes no size: the buffer must hold the largest signature */
	if (sigsize < MBEDTLS_PK_SIGNATURE_MAX_SIZE)
		return MBEDTLS_ERR_PK_BAD_INPUT_DATA;
	return mbedtls_pk_sign(pk, md, hash, hashlen, sig, siglen, f_rng,
	    p_rng);
#endif
}

int
compat_gcm_starts(mbedtls_gcm_context *ctx, int mode,
    const unsigned char *iv, size_t ivlen, const unsigned char *aad,
    size_t aadlen)
{
#ifdef COMPAT_MBEDTLS3
	int rc;

	if ((rc = mbedtls_gcm_starts(ctx, mode, iv, ivlen)) != 0)
		return rc;
	return aadlen > 0 ? mbedtls_gcm_update_ad(ctx, aad, aadlen) : 0;
#else
	return mbedtls_gcm_starts(ctx, mode, iv, ivlen, aad, aadlen);
#endif
}

int
compat_gcm_update(mbedtls_gcm_context *ctx, const unsigned char *in,
    size_t len, unsigned char *out)
{
#ifdef COMPAT_MBEDTLS3
	size_t olen;
	int rc;

	/*
	 * 3.x may hold back a partial block; the caller feeds whole blocks
	 * (but the last), so anything else is a broken promise.
	 */
	if ((rc = mbedtls_gcm_update(ctx, in, len, out, len, &olen)) != 0)
		return rc;
	return olen == len ? 0 : MBEDTLS_ERR_GCM_BAD_INPUT;
#else
	return mbedtls_gcm_update(ctx, len, in, out);
#endif
}

int
compat_gcm_finish(mbedtls_gcm_context *ctx, unsigned char *tag,
    size_t taglen)
{
#ifdef COMPAT_MBEDTLS3
	unsigned char rest[16];
	size_t olen;
	int rc;

	if ((rc = mbedtls_gcm_finish(ctx, rest, sizeof(rest), &olen, tag,
	    taglen)) != 0)
		return rc;
	/* nothing may be left: every octet went out with update */
	return olen == 0 ? 0 : MBEDTLS_ERR_GCM_BAD_INPUT;
#else
	return mbedtls_gcm_finish(ctx, tag, taglen);
#endif
}

mbedtls_ecp_group_id
compat_ec_group_id(const mbedtls_pk_context *pk)
{
	const mbedtls_ecp_keypair *kp = mbedtls_pk_ec(*pk);

	if (kp == NULL)
		return MBEDTLS_ECP_DP_NONE;
#ifdef COMPAT_MBEDTLS3
	return mbedtls_ecp_keypair_get_group_id(kp);
#else
	return kp->grp.id;
#endif
}

int
compat_ec_export(const mbedtls_pk_context *pk, mbedtls_ecp_group *grp,
    mbedtls_mpi *d, mbedtls_ecp_point *q)
{
	const mbedtls_ecp_keypair *kp = mbedtls_pk_ec(*pk);
	int rc;

	if (kp == NULL)
		return MBEDTLS_ERR_PK_TYPE_MISMATCH;
#ifdef COMPAT_MBEDTLS3
	(void)rc;
	return mbedtls_ecp_export(kp, grp, d, q);
#else
	if ((rc = mbedtls_ecp_group_copy(grp, &kp->grp)) != 0 ||
	    (rc = mbedtls_mpi_copy(d, &kp->d)) != 0)
		return rc;
	return mbedtls_ecp_copy(q, &kp->Q);
#endif
}

int
compat_rsa_padding(const mbedtls_rsa_context *rsa)
{
#ifdef COMPAT_MBEDTLS3
	return mbedtls_rsa_get_padding_mode(rsa);
#else
	return rsa->padding;
#endif
}

int
compat_crt_is_ca(const mbedtls_x509_crt *crt)
{
#ifdef COMPAT_MBEDTLS3
	/* 1 for cA TRUE; 0, or an error when there is no basicConstraints */
	return mbedtls_x509_crt_get_ca_istrue(crt) == 1;
#else
	return crt->ca_istrue != 0;
#endif
}

size_t
compat_cipher_block_size(const mbedtls_cipher_info_t *info)
{
#ifdef COMPAT_MBEDTLS3
	return mbedtls_cipher_info_get_block_size(info);
#else
	return info == NULL ? 0 : info->block_size;
#endif
}

const unsigned char *
compat_pem_buffer(mbedtls_pem_context *pem, size_t *len)
{
#ifdef COMPAT_MBEDTLS3
	return mbedtls_pem_get_buffer(pem, len);
#else
	*len = pem->buflen;
	return pem->buf;
#endif
}

int
compat_crt_set_serial(mbedtls_x509write_cert *w, unsigned char *serial,
    size_t len)
{
#ifdef COMPAT_MBEDTLS3
	return mbedtls_x509write_crt_set_serial_raw(w, serial, len);
#else
	mbedtls_mpi n;
	int rc;

	mbedtls_mpi_init(&n);
	if ((rc = mbedtls_mpi_read_binary(&n, serial, len)) == 0)
		rc = mbedtls_x509write_crt_set_serial(w, &n);
	mbedtls_mpi_free(&n);
	return rc;
#endif
}

int
compat_pbkdf2_hmac(mbedtls_md_type_t md, const unsigned char *pw,
    size_t pwlen, const unsigned char *salt, size_t saltlen,
    unsigned int iter, uint32_t keylen, unsigned char *out)
{
#ifdef COMPAT_MBEDTLS3
	return mbedtls_pkcs5_pbkdf2_hmac_ext(md, pw, pwlen, salt, saltlen,
	    iter, keylen, out);
#else
	mbedtls_md_context_t ctx;
	int rc;

	mbedtls_md_init(&ctx);
	if ((rc = mbedtls_md_setup(&ctx, mbedtls_md_info_from_type(md),
	    1)) == 0)
		rc = mbedtls_pkcs5_pbkdf2_hmac(&ctx, pw, pwlen, salt, saltlen,
		    iter, keylen, out);
	mbedtls_md_free(&ctx);
	return rc;
#endif
}
