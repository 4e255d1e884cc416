/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * RC2, written from RFC 2268: key expansion (section 2), encryption
 * (section 3) and decryption (section 4); CBC and PKCS#7 padding on top.
 *
 * The mash step indexes the key by data, so this is not free of cache
 * timing; it exists only to open old PKCS#12 files, never to send.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "rc2.h"

/* PITABLE, RFC 2268 section 2: a permutation of 0..255 from pi's digits. */
static const unsigned char rc2_pitable[256] = {
	0xd9, 0x78, 0xf9, 0xc4, 0x19, 0xdd, 0xb5, 0xed,
	0x28, 0xe9, 0xfd, 0x79, 0x4a, 0xa0, 0xd8, 0x9d,
	0xc6, 0x7e, 0x37, 0x83, 0x2b, 0x76, 0x53, 0x8e,
	0x62, 0x4c, 0x64, 0x88, 0x44, 0x8b, 0xfb, 0xa2,
	0x17, 0x9a, 0x59, 0xf5, 0x87, 0xb3, 0x4f, 0x13,
	0x61, 0x45, 0x6d, 0x8d, 0x09, 0x81, 0x7d, 0x32,
	0xbd, 0x8f, 0x40, 0xeb, 0x86, 0xb7, 0x7b, 0x0b,
	0xf0, 0x95, 0x21, 0x22, 0x5c, 0x6b, 0x4e, 0x82,
	0x54, 0xd6, 0x65, 0x93, 0xce, 0x60, 0xb2, 0x1c,
	0x73, 0x56, 0xc0, 0x14, 0xa7, 0x8c, 0xf1, 0xdc,
	0x12, 0x75, 0xca, 0x1f, 0x3b, 0xbe, 0xe4, 0xd1,
	0x42, 0x3d, 0xd4, 0x30, 0xa3, 0x3c, 0xb6, 0x26,
	0x6f, 0xbf, 0x0e, 0xda, 0x46, 0x69, 0x07, 0x57,
	0x27, 0xf2, 0x1d, 0x9b, 0xbc, 0x94, 0x43, 0x03,
	0xf8, 0x11, 0xc7, 0xf6, 0x90, 0xef, 0x3e, 0xe7,
	0x06, 0xc3, 0xd5, 0x2f, 0xc8, 0x66, 0x1e, 0xd7,
	0x08, 0xe8, 0xea, 0xde, 0x80, 0x52, 0xee, 0xf7,
	0x84, 0xaa, 0x72, 0xac, 0x35, 0x4d, 0x6a, 0x2a,
	0x96, 0x1a, 0xd2, 0x71, 0x5a, 0x15, 0x49, 0x74,
	0x4b, 0x9f, 0xd0, 0x5e, 0x04, 0x18, 0xa4, 0xec,
	0xc2, 0xe0, 0x41, 0x6e, 0x0f, 0x51, 0xcb, 0xcc,
	0x24, 0x91, 0xaf, 0x50, 0xa1, 0xf4, 0x70, 0x39,
	0x99, 0x7c, 0x3a, 0x85, 0x23, 0xb8, 0xb4, 0x7a,
	0xfc, 0x02, 0x36, 0x5b, 0x25, 0x55, 0x97, 0x31,
	0x2d, 0x5d, 0xfa, 0x98, 0xe3, 0x8a, 0x92, 0xae,
	0x05, 0xdf, 0x29, 0x10, 0x67, 0x6c, 0xba, 0xc9,
	0xd3, 0x00, 0xe6, 0xcf, 0xe1, 0x9e, 0xa8, 0x2c,
	0x63, 0x16, 0x01, 0x3f, 0x58, 0xe2, 0x89, 0xa9,
	0x0d, 0x38, 0x34, 0x1b, 0xab, 0x33, 0xff, 0xb0,
	0xbb, 0x48, 0x0c, 0x5f, 0xb9, 0xb1, 0xcd, 0x2e,
	0xc5, 0xf3, 0xdb, 0x47, 0xe5, 0xa5, 0x9c, 0x77,
	0x0a, 0xa6, 0x20, 0x68, 0xfe, 0x7f, 0xc1, 0xad
};

/* Rotation amounts s[0..3] of the mixing step (RFC 2268 section 3.1). */
static const unsigned int rc2_shift[4] = { 1, 2, 3, 5 };

int
rc2_setkey(struct rc2_key *rk, const unsigned char *key, size_t keylen,
    unsigned int effbits)
{
	unsigned char	 l[128];
	unsigned int	 t8, tm;
	size_t		 i;

	if (key == NULL || keylen < 1 || keylen > sizeof(l) ||
	    effbits < 1 || effbits > 1024) {
		rc2_clear(rk);
		return -1;
	}
	memcpy(l, key, keylen);
	for (i = keylen; i < sizeof(l); i++)
		l[i] = rc2_pitable[(l[i - 1] + l[i - keylen]) & 0xff];

	/* Cut the key down to effbits: T8 bytes, the top one masked by TM. */
	t8 = (effbits + 7) / 8;
	tm = 0xffu >> (8 * t8 - effbits);
	l[128 - t8] = rc2_pitable[l[128 - t8] & tm];
	for (i = 128 - t8; i-- > 0; )
		l[i] = rc2_pitable[l[i + 1] ^ l[i + t8]];

	for (i = 0; i < 64; i++)
		rk->k[i] = (uint16_t)(l[2 * i] | (l[2 * i + 1] << 8));
	explicit_bzero(l, sizeof(l));
	return 0;
}

void
rc2_clear(struct rc2_key *rk)
{
	explicit_bzero(rk, sizeof(*rk));
}

static void
rc2_load(const unsigned char in[RC2_BLOCK], uint16_t r[4])
{
	int	 i;

	for (i = 0; i < 4; i++)
		r[i] = (uint16_t)(in[2 * i] | (in[2 * i + 1] << 8));
}

static void
rc2_store(uint16_t r[4], unsigned char out[RC2_BLOCK])
{
	int	 i;

	for (i = 0; i < 4; i++) {
		out[2 * i] = (unsigned char)(r[i] & 0xff);
		out[2 * i + 1] = (unsigned char)(r[i] >> 8);
	}
	explicit_bzero(r, 4 * sizeof(r[0]));
}

/* R[i-1], R[i-2], R[i-3] of the RFC, indices taken mod 4. */
#define P1(i)	(((i) + 3) & 3)
#define P2(i)	(((i) + 2) & 3)
#define P3(i)	(((i) + 1) & 3)

static void
rc2_mix(const struct rc2_key *rk, uint16_t r[4], unsigned int *j)
{
	unsigned int	 i, x, r1, r2, r3;

	for (i = 0; i < 4; i++) {
		r1 = r[P1(i)];
		r2 = r[P2(i)];
		r3 = r[P3(i)];
		x = r[i] + rk->k[(*j)++] + (r1 & r2) + (~r1 & r3);
		x &= 0xffff;
		r[i] = (uint16_t)((x << rc2_shift[i]) |
		    (x >> (16 - rc2_shift[i])));
	}
}

static void
rc2_mash(const struct rc2_key *rk, uint16_t r[4])
{
	unsigned int	 i;

	for (i = 0; i < 4; i++)
		r[i] = (uint16_t)(r[i] + rk->k[r[P1(i)] & 63]);
}

static void
rc2_rmix(const struct rc2_key *rk, uint16_t r[4], unsigned int *j)
{
	unsigned int	 i, x, r1, r2, r3;

	for (i = 4; i-- > 0; ) {
		r1 = r[P1(i)];
		r2 = r[P2(i)];
		r3 = r[P3(i)];
		x = r[i];
		x = ((x >> rc2_shift[i]) | (x << (16 - rc2_shift[i]))) & 0xffff;
		x -= rk->k[(*j)--] + (r1 & r2) + (~r1 & r3);
		r[i] = (uint16_t)x;
	}
}

static void
rc2_rmash(const struct rc2_key *rk, uint16_t r[4])
{
	unsigned int	 i;

	for (i = 4; i-- > 0; )
		r[i] = (uint16_t)(r[i] - rk->k[r[P1(i)] & 63]);
}

void
rc2_encrypt_block(const struct rc2_key *rk, const unsigned char in[RC2_BLOCK],
    unsigned char out[RC2_BLOCK])
{
	uint16_t	 r[4];
	unsigned int	 j = 0, n;

	rc2_load(in, r);
	/* Five mixing rounds, mash, six mixing, mash, five mixing. */
	for (n = 0; n < 5; n++)
		rc2_mix(rk, r, &j);
	rc2_mash(rk, r);
	for (n = 0; n < 6; n++)
		rc2_mix(rk, r, &j);
	rc2_mash(rk, r);
	for (n = 0; n < 5; n++)
		rc2_mix(rk, r, &j);
	rc2_store(r, out);
}

void
rc2_decrypt_block(const struct rc2_key *rk, const unsigned char in[RC2_BLOCK],
    unsigned char out[RC2_BLOCK])
{
	uint16_t	 r[4];
	unsigned int	 j = 63, n;

	rc2_load(in, r);
	/* The encryption schedule run backwards (RFC 2268 section 4). */
	for (n = 0; n < 5; n++)
		rc2_rmix(rk, r, &j);
	rc2_rmash(rk, r);
	for (n = 0; n < 6; n++)
		rc2_rmix(rk, r, &j);
	rc2_rmash(rk, r);
	for (n = 0; n < 5; n++)
		rc2_rmix(rk, r, &j);
	rc2_store(r, out);
}

static void
rc2_xor_block(unsigned char *dst, const unsigned char *a,
    const unsigned char *b)
{
	int	 i;

	for (i = 0; i < RC2_BLOCK; i++)
		dst[i] = a[i] ^ b[i];
}

int
rc2_cbc_encrypt(const unsigned char *key, size_t keylen, unsigned int effbits,
    const unsigned char iv[RC2_BLOCK], const unsigned char *in, size_t inlen,
    unsigned char *out, size_t outsize, size_t *outlen)
{
	struct rc2_key	 rk;
	unsigned char	 blk[RC2_BLOCK];
	const unsigned char *prev;
	size_t		 total, off, rem;

	*outlen = 0;
	if (iv == NULL || out == NULL || (in == NULL && inlen != 0) ||
	    inlen > SIZE_MAX - RC2_BLOCK)
		return -1;
	total = inlen - inlen % RC2_BLOCK + RC2_BLOCK;
	if (outsize < total)
		return -1;
	if (rc2_setkey(&rk, key, keylen, effbits) == -1)
		return -1;

	prev = iv;
	for (off = 0; inlen - off >= RC2_BLOCK; off += RC2_BLOCK) {
		rc2_xor_block(blk, in + off, prev);
		rc2_encrypt_block(&rk, blk, out + off);
		prev = out + off;
	}
	/* Last block: the 0..7 remaining bytes, then PKCS#7 padding. */
	rem = inlen - off;
	if (rem > 0)
		memcpy(blk, in + off, rem);
	memset(blk + rem, (int)(RC2_BLOCK - rem), RC2_BLOCK - rem);
	rc2_xor_block(blk, blk, prev);
	rc2_encrypt_block(&rk, blk, out + off);

	explicit_bzero(blk, sizeof(blk));
	rc2_clear(&rk);
	*outlen = total;
	return 0;
}

/*
 * PKCS#7 padding of the last block, checked without branching on the
 * plaintext.  Returns the pad length, or 0 when the padding is bad.
 */
static size_t
rc2_pad_len(const unsigned char last[RC2_BLOCK])
{
	unsigned int	 pad, bad, diff = 0, mask, i;

	pad = last[RC2_BLOCK - 1];
	/* Top bit set when pad == 0 or pad > RC2_BLOCK. */
	bad = ((pad - 1u) | (RC2_BLOCK - pad)) >> (sizeof(bad) * CHAR_BIT - 1);
	for (i = 0; i < RC2_BLOCK; i++) {
		/* All ones while i < pad: this byte belongs to the padding. */
		mask = 0u - ((i - pad) >> (sizeof(mask) * CHAR_BIT - 1));
		diff |= (last[RC2_BLOCK - 1 - i] ^ pad) & mask;
	}
	bad |= (0u - diff) >> (sizeof(diff) * CHAR_BIT - 1);
	return (size_t)(pad & (0u - (bad ^ 1u)));
}

int
rc2_cbc_decrypt(const unsigned char *key, size_t keylen, unsigned int effbits,
    const unsigned char iv[RC2_BLOCK], const unsigned char *in, size_t inlen,
    unsigned char *out, size_t outsize, size_t *outlen)
{
	struct rc2_key	 rk;
	unsigned char	 prev[RC2_BLOCK], cblk[RC2_BLOCK], blk[RC2_BLOCK];
	size_t		 off, pad;

	*outlen = 0;
	if (iv == NULL || in == NULL || out == NULL || inlen == 0 ||
	    inlen % RC2_BLOCK != 0 || outsize < inlen)
		return -1;
	if (rc2_setkey(&rk, key, keylen, effbits) == -1)
		return -1;

	memcpy(prev, iv, RC2_BLOCK);
	for (off = 0; off < inlen; off += RC2_BLOCK) {
		/* Keep the ciphertext block: out may be in. */
		memcpy(cblk, in + off, RC2_BLOCK);
		rc2_decrypt_block(&rk, cblk, blk);
		rc2_xor_block(out + off, blk, prev);
		memcpy(prev, cblk, RC2_BLOCK);
	}
	rc2_clear(&rk);
	explicit_bzero(blk, sizeof(blk));

	pad = rc2_pad_len(out + inlen - RC2_BLOCK);
	if (pad == 0) {
		explicit_bzero(out, inlen);
		return -1;
	}
	explicit_bzero(out + inlen - pad, pad);
	*outlen = inlen - pad;
	return 0;
}
