/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * AES key wrap, RFC 3394 section 2.2.1 and 2.2.2 (the indexed form),
 * over single-block AES from mbedTLS.
 */
#include <stdint.h>
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/constant_time.h>

#include "kw.h"

#define KW_BLOCK	8
#define KW_ROUNDS	6

static const unsigned char kw_iv[KW_BLOCK] = {
	0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6
};

/* A ^= t, t taken as a 64-bit big-endian number (RFC 3394 2.2.1). */
static void
kw_xor_t(unsigned char a[KW_BLOCK], uint64_t t)
{
	int	 i;

	for (i = KW_BLOCK - 1; i >= 0; i--) {
		a[i] ^= (unsigned char)(t & 0xff);
		t >>= 8;
	}
}

static int
kw_check_args(const unsigned char *kek, size_t keklen,
    const unsigned char *in, size_t inlen, size_t min,
    const unsigned char *out, size_t needed, size_t outsize)
{
	if (kek == NULL || in == NULL || out == NULL)
		return -1;
	if (keklen != 16 && keklen != 24 && keklen != 32)
		return -1;
	if (inlen < min || inlen % KW_BLOCK != 0)
		return -1;
	if (outsize < needed)
		return -1;
	return 0;
}

int
kw_wrap(const unsigned char *kek, size_t keklen, const unsigned char *in,
    size_t inlen, unsigned char *out, size_t outsize, size_t *outlen)
{
	mbedtls_aes_context	 aes;
	unsigned char		 b[2 * KW_BLOCK];
	unsigned char		*r;
	size_t			 n, i, j;
	uint64_t		 t;
	int			 rv = -1;

	*outlen = 0;
	if (inlen > SIZE_MAX - KW_OVERHEAD)
		return -1;
	if (kw_check_args(kek, keklen, in, inlen, 2 * KW_BLOCK, out,
	    inlen + KW_OVERHEAD, outsize) == -1)
		return -1;
	n = inlen / KW_BLOCK;

	mbedtls_aes_init(&aes);
	if (mbedtls_aes_setkey_enc(&aes, kek, (unsigned int)keklen * 8) != 0)
		goto done;

	/* R[1..n] sit in out after the slot for A; memmove allows in == out. */
	memmove(out + KW_BLOCK, in, inlen);
	memcpy(b, kw_iv, KW_BLOCK);
	t = 0;
	for (j = 0; j < KW_ROUNDS; j++) {
		for (i = 0; i < n; i++) {
			r = out + KW_BLOCK * (i + 1);
			memcpy(b + KW_BLOCK, r, KW_BLOCK);
			if (mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT,
			    b, b) != 0)
				goto done;
			kw_xor_t(b, ++t);
			memcpy(r, b + KW_BLOCK, KW_BLOCK);
		}
	}
	memcpy(out, b, KW_BLOCK);
	*outlen = inlen + KW_OVERHEAD;
	rv = 0;
 done:
	if (rv == -1)
		explicit_bzero(out, inlen + KW_OVERHEAD);
	explicit_bzero(b, sizeof(b));
	mbedtls_aes_free(&aes);
	return rv;
}

int
kw_unwrap(const unsigned char *kek, size_t keklen, const unsigned char *in,
    size_t inlen, unsigned char *out, size_t outsize, size_t *outlen)
{
	mbedtls_aes_context	 aes;
	unsigned char		 b[2 * KW_BLOCK];
	unsigned char		*r;
	size_t			 n, i, j, plen;
	uint64_t		 t;
	int			 rv = -1;

	*outlen = 0;
	if (inlen < KW_OVERHEAD)
		return -1;
	plen = inlen - KW_OVERHEAD;
	if (kw_check_args(kek, keklen, in, inlen, 3 * KW_BLOCK, out, plen,
	    outsize) == -1)
		return -1;
	n = plen / KW_BLOCK;

	mbedtls_aes_init(&aes);
	/* Read A before out (which may alias in) is overwritten. */
	memcpy(b, in, KW_BLOCK);
	memmove(out, in + KW_BLOCK, plen);
	if (mbedtls_aes_setkey_dec(&aes, kek, (unsigned int)keklen * 8) != 0)
		goto done;

	t = (uint64_t)n * KW_ROUNDS;
	for (j = 0; j < KW_ROUNDS; j++) {
		for (i = n; i > 0; i--) {
			r = out + KW_BLOCK * (i - 1);
			kw_xor_t(b, t--);
			memcpy(b + KW_BLOCK, r, KW_BLOCK);
			if (mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_DECRYPT,
			    b, b) != 0)
				goto done;
			memcpy(r, b + KW_BLOCK, KW_BLOCK);
		}
	}
	/* The IV is the integrity check: compare without an early exit. */
	if (mbedtls_ct_memcmp(b, kw_iv, KW_BLOCK) != 0)
		goto done;
	*outlen = plen;
	rv = 0;
 done:
	if (rv == -1)
		explicit_bzero(out, plen);
	explicit_bzero(b, sizeof(b));
	mbedtls_aes_free(&aes);
	return rv;
}
