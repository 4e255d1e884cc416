/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * ANSI X9.63 KDF over mbedtls_md, and the RFC 5753 SharedInfo encoding.
 */
#include <stdint.h>
#include <string.h>

#include <mbedtls/md.h>

#include "kdf.h"

/* Keeps every DER length below 2^24, so the sums below cannot overflow. */
#define KDF_FIELD_MAX	0xffffU

static int
kdf_md_allowed(mbedtls_md_type_t md)
{
	switch (md) {
	case MBEDTLS_MD_SHA1:
	case MBEDTLS_MD_SHA224:
	case MBEDTLS_MD_SHA256:
	case MBEDTLS_MD_SHA384:
	case MBEDTLS_MD_SHA512:
		return 1;
	default:
		return 0;
	}
}

static int
kdf_block(mbedtls_md_context_t *ctx, const unsigned char *z, size_t zlen,
    uint32_t counter, const unsigned char *info, size_t infolen,
    unsigned char *digest)
{
	unsigned char	 ctr[4];

	ctr[0] = (unsigned char)(counter >> 24);
	ctr[1] = (unsigned char)(counter >> 16);
	ctr[2] = (unsigned char)(counter >> 8);
	ctr[3] = (unsigned char)counter;
	if (mbedtls_md_starts(ctx) != 0 ||
	    mbedtls_md_update(ctx, z, zlen) != 0 ||
	    mbedtls_md_update(ctx, ctr, sizeof(ctr)) != 0 ||
	    (infolen > 0 && mbedtls_md_update(ctx, info, infolen) != 0) ||
	    mbedtls_md_finish(ctx, digest) != 0)
		return -1;
	return 0;
}

int
kdf_x963(mbedtls_md_type_t md, const unsigned char *z, size_t zlen,
    const unsigned char *info, size_t infolen, unsigned char *out,
    size_t outlen)
{
	const mbedtls_md_info_t	*mdi;
	mbedtls_md_context_t	 ctx;
	unsigned char		 digest[MBEDTLS_MD_MAX_SIZE];
	size_t			 hlen, done, n;
	uint32_t		 counter;
	int			 rv = -1;

	if (!kdf_md_allowed(md))
		goto fail;
	if ((mdi = mbedtls_md_info_from_type(md)) == NULL)
		goto fail;
	if (z == NULL || zlen == 0 || (info == NULL && infolen != 0) ||
	    (out == NULL && outlen != 0))
		goto fail;
	hlen = mbedtls_md_get_size(mdi);
	/* X9.63: the counter must not wrap, so at most 2^32 - 1 blocks. */
	if (outlen / hlen >= UINT32_MAX)
		goto fail;

	mbedtls_md_init(&ctx);
	if (mbedtls_md_setup(&ctx, mdi, 0) != 0)
		goto done;
	for (done = 0, counter = 1; done < outlen; done += n, counter++) {
		if (kdf_block(&ctx, z, zlen, counter, info, infolen,
		    digest) != 0)
			goto done;
		n = outlen - done < hlen ? outlen - done : hlen;
		memcpy(out + done, digest, n);
	}
	rv = 0;
 done:
	explicit_bzero(digest, sizeof(digest));
	mbedtls_md_free(&ctx);
 fail:
	if (rv == -1 && out != NULL)
		explicit_bzero(out, outlen);
	return rv;
}

/* Octets a DER length takes (n <= KDF_FIELD_MAX * 4 here). */
static size_t
kdf_der_len_size(size_t n)
{
	if (n < 0x80)
		return 1;
	if (n <= 0xff)
		return 2;
	if (n <= 0xffff)
		return 3;
	return 4;
}

/* Size of a whole TLV with content length n. */
static size_t
kdf_der_tlv_size(size_t n)
{
	return 1 + kdf_der_len_size(n) + n;
}

/* Write tag and length at p; the caller has checked the room. */
static unsigned char *
kdf_der_put_header(unsigned char *p, unsigned char tag, size_t n)
{
	size_t	 i, lsize;

	*p++ = tag;
	lsize = kdf_der_len_size(n);
	if (lsize == 1) {
		*p++ = (unsigned char)n;
		return p;
	}
	*p++ = (unsigned char)(0x80 | (lsize - 1));
	for (i = lsize - 1; i > 0; i--)
		*p++ = (unsigned char)(n >> (8 * (i - 1)));
	return p;
}

int
kdf_ecc_shared_info(const unsigned char *wrap_oid, size_t oidlen,
    const unsigned char *ukm, size_t ukmlen, uint32_t keybits,
    unsigned char *out, size_t outsize, size_t *outlen)
{
	unsigned char	*p;
	size_t		 alg, ent = 0, supp, seq, total;

	*outlen = 0;
	if (wrap_oid == NULL || oidlen == 0 || oidlen > KDF_FIELD_MAX ||
	    ukmlen > KDF_FIELD_MAX || (ukm == NULL && ukmlen != 0))
		return -1;

	alg = kdf_der_tlv_size(kdf_der_tlv_size(oidlen));
	if (ukm != NULL)
		ent = kdf_der_tlv_size(kdf_der_tlv_size(ukmlen));
	supp = kdf_der_tlv_size(kdf_der_tlv_size(4));
	seq = alg + ent + supp;
	total = kdf_der_tlv_size(seq);
	if (out == NULL || outsize < total)
		return -1;

	p = out;
	p = kdf_der_put_header(p, 0x30, seq);
	/* keyInfo: the wrap algorithm, parameters absent (RFC 5753 7.2). */
	p = kdf_der_put_header(p, 0x30, kdf_der_tlv_size(oidlen));
	p = kdf_der_put_header(p, 0x06, oidlen);
	memcpy(p, wrap_oid, oidlen);
	p += oidlen;
	if (ukm != NULL) {
		p = kdf_der_put_header(p, 0xa0, kdf_der_tlv_size(ukmlen));
		p = kdf_der_put_header(p, 0x04, ukmlen);
		if (ukmlen > 0)
			memcpy(p, ukm, ukmlen);
		p += ukmlen;
	}
	p = kdf_der_put_header(p, 0xa2, kdf_der_tlv_size(4));
	p = kdf_der_put_header(p, 0x04, 4);
	*p++ = (unsigned char)(keybits >> 24);
	*p++ = (unsigned char)(keybits >> 16);
	*p++ = (unsigned char)(keybits >> 8);
	*p++ = (unsigned char)keybits;
	if ((size_t)(p - out) != total)
		return -1;
	*outlen = total;
	return 0;
}
