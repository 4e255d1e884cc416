/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The one place that knows mbedTLS 2.28 from 3.6 LTS.  Everything else
 * calls these wrappers where the two generations differ (argument lists,
 * fields that 3.x made private, renamed or deprecated functions) and
 * mbedTLS directly where they agree.  No field is reached through
 * MBEDTLS_PRIVATE: each has a public accessor in 3.6.
 */
#ifndef MBEDTLS_COMPAT_H
#define MBEDTLS_COMPAT_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/version.h>
#include <mbedtls/cipher.h>
#include <mbedtls/ecp.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define COMPAT_MBEDTLS3	1
#endif

/* The version this was built against, e.g. "mbedTLS 3.6.6". */
const char	*compat_version(void);

/* Once at start-up, before any other mbedTLS call: PSA under 3.x. */
int	 compat_init(void);

/*
 * Randomness straight from the kernel (getentropy): for the blinding
 * 3.x wants while parsing and checking keys.  Keeps no state, so a
 * forked process never repeats its parent's output.
 */
int	 compat_rng(void *, unsigned char *, size_t);

int	 compat_pk_parse_key(mbedtls_pk_context *, const unsigned char *,
	    size_t, const unsigned char *, size_t);
int	 compat_pk_parse_keyfile(mbedtls_pk_context *, const char *,
	    const char *);
int	 compat_pk_check_pair(const mbedtls_pk_context *,
	    const mbedtls_pk_context *);
int	 compat_pk_sign(mbedtls_pk_context *, mbedtls_md_type_t,
	    const unsigned char *, size_t, unsigned char *, size_t, size_t *,
	    int (*)(void *, unsigned char *, size_t), void *);

/*
 * GCM streaming.  The additional data is given to starts.  update must
 * be given multiples of 16 octets except for the last piece: 2.28
 * corrupts the stream otherwise (see mbedtls-notes), and with whole
 * blocks both generations write exactly as many octets as they read.
 */
int	 compat_gcm_starts(mbedtls_gcm_context *, int, const unsigned char *,
	    size_t, const unsigned char *, size_t);
int	 compat_gcm_update(mbedtls_gcm_context *, const unsigned char *,
	    size_t, unsigned char *);
int	 compat_gcm_finish(mbedtls_gcm_context *, unsigned char *, size_t);

/* EC keys: the curve, and copies of the key's parts (free them). */
mbedtls_ecp_group_id compat_ec_group_id(const mbedtls_pk_context *);
int	 compat_ec_export(const mbedtls_pk_context *, mbedtls_ecp_group *,
	    mbedtls_mpi *, mbedtls_ecp_point *);

/* The padding an RSA context is set to (MBEDTLS_RSA_PKCS_V15 or _V21). */
int	 compat_rsa_padding(const mbedtls_rsa_context *);

/* basicConstraints cA: 1 for a CA certificate, else 0. */
int	 compat_crt_is_ca(const mbedtls_x509_crt *);

size_t	 compat_cipher_block_size(const mbedtls_cipher_info_t *);
const unsigned char *compat_pem_buffer(mbedtls_pem_context *, size_t *);
int	 compat_crt_set_serial(mbedtls_x509write_cert *, unsigned char *,
	    size_t);
int	 compat_pbkdf2_hmac(mbedtls_md_type_t, const unsigned char *, size_t,
	    const unsigned char *, size_t, unsigned int, uint32_t,
	    unsigned char *);

#endif
