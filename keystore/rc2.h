/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * RC2 (RFC 2268), only to read legacy PKCS#12 files: their certificate
 * bags are often encrypted with pbeWithSHAAnd40BitRC2-CBC (5-byte key,
 * 40 effective bits) or the 128-bit variant.  mbedTLS has no RC2.
 */
#ifndef RC2_H
#define RC2_H

#include <stddef.h>
#include <stdint.h>

#define RC2_BLOCK	8

/* Expanded key: 64 16-bit words (RFC 2268 section 2).  Secret. */
struct rc2_key {
	uint16_t	 k[64];
};

/*
 * Expand a key of keylen bytes (1..128) with effbits effective key bits
 * (1..1024).  Returns 0, or -1 on a bad argument (the key is then wiped).
 */
int	rc2_setkey(struct rc2_key *, const unsigned char *key, size_t keylen,
	    unsigned int effbits);
/* Wipe an expanded key. */
void	rc2_clear(struct rc2_key *);

/* One block; in and out may be the same buffer. */
void	rc2_encrypt_block(const struct rc2_key *,
	    const unsigned char in[RC2_BLOCK], unsigned char out[RC2_BLOCK]);
void	rc2_decrypt_block(const struct rc2_key *,
	    const unsigned char in[RC2_BLOCK], unsigned char out[RC2_BLOCK]);

/*
 * RC2-CBC with PKCS#7 padding.  Encrypt writes inlen rounded up to the
 * next multiple of 8 (always at least one pad byte) into out; decrypt
 * needs inlen (a non-zero multiple of 8) bytes of room, checks the
 * padding and sets *outlen to the plaintext length.  in and out may be
 * the same buffer.  The key schedule is wiped before returning.
 * Return 0, or -1 on a bad argument, a short buffer or bad padding; on
 * failure *outlen is 0 and out holds no plaintext.
 */
int	rc2_cbc_encrypt(const unsigned char *key, size_t keylen,
	    unsigned int effbits, const unsigned char iv[RC2_BLOCK],
	    const unsigned char *in, size_t inlen,
	    unsigned char *out, size_t outsize, size_t *outlen);
int	rc2_cbc_decrypt(const unsigned char *key, size_t keylen,
	    unsigned int effbits, const unsigned char iv[RC2_BLOCK],
	    const unsigned char *in, size_t inlen,
	    unsigned char *out, size_t outsize, size_t *outlen);

#endif /* RC2_H */
