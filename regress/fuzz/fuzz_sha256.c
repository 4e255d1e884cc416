/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * libFuzzer target for SHA-256 with the CPU's instructions: the input
 * is hashed by sha256_hw (when the CPU has the instructions), through
 * digest.h (whatever path it takes) and by mbedTLS in one call, and the
 * three must agree.
 *
 * Input: one octet k, then k % 16 chunk sizes (one octet each, 0 a
 * zero-length update), used in turn until the rest of the input, the
 * message, is all hashed; no sizes, or only zeros, hash it at once.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>

#include "digest.h"
#include "sha256_hw.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct chunks {
	const uint8_t	*size;
	size_t		 n, i;
	int		 any;		/* a size is not zero */
};

static size_t
next_chunk(struct chunks *c, size_t left)
{
	size_t k;

	if (!c->any)
		return left;
	k = c->size[c->i++ % c->n];
	return k < left ? k : left;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t want[32], got[MBEDTLS_MD_MAX_SIZE];
	struct sha256_hw h;
	struct digest d;
	struct chunks c;
	const uint8_t *m;
	size_t i, mlen, left, k;

	if (size < 1)
		return 0;
	c.n = data[0] % 16;
	if (size < 1 + c.n)
		return 0;
	c.size = data + 1;
	c.i = 0;
	c.any = 0;
	for (i = 0; i < c.n; i++)
		c.any |= c.size[i] != 0;
	m = data + 1 + c.n;
	mlen = size - 1 - c.n;

	if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), m, mlen,
	    want) != 0)
		abort();

	if (sha256_hw_engine() != NULL) {
		sha256_hw_init(&h);
		sha256_hw_update(&h, m, 0);
		for (left = mlen; left > 0; left -= k) {
			k = next_chunk(&c, left);
			sha256_hw_update(&h, m + (mlen - left), k);
		}
		sha256_hw_finish(&h, got);
		if (memcmp(got, want, 32) != 0)
			abort();
	}

	c.i = 0;
	digest_init(&d);
	if (digest_setup(&d, MBEDTLS_MD_SHA256) != 0)
		abort();
	for (left = mlen; left > 0; left -= k) {
		k = next_chunk(&c, left);
		if (digest_update(&d, m + (mlen - left), k) != 0)
			abort();
	}
	if (digest_finish(&d, got) != 0 || memcmp(got, want, 32) != 0)
		abort();
	digest_free(&d);
	return 0;
}
