/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * libFuzzer target for the RSA private key operation by CRT (rsafix).
 * The first octet picks the key (RSA-2048 or 3072, from
 * regress/unit/data: run from the top of the tree) and the operation:
 * m^d mod n of the rest (zero-padded to the key's length; at or above
 * n it must fail as mbedTLS's fails), or the PKCS #1 v1.5 signature of
 * the rest as a hash for one of five digests.  Every result must be
 * mbedTLS's to the octet; a difference aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include "mbedtls_compat.h"
#include "rsafix.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static mbedtls_pk_context pks[2];
static struct rsafix *fixes[2];
static uint64_t rs = 0x853c49e6748fea9bULL;

/* the blinding's randomness: any will do, the results must not change */
static int
rng(void *arg, unsigned char *out, size_t len)
{
	size_t i;

	(void)arg;
	for (i = 0; i < len; i++) {
		rs ^= rs << 13;
		rs ^= rs >> 7;
		rs ^= rs << 17;
		out[i] = (unsigned char)rs;
	}
	return 0;
}

static int
setup(void)
{
	static const char *files[] = { "regress/unit/data/env_rsa.key",
	    "regress/unit/data/rsa3072.key" };
	static int done;
	size_t i;

	if (done)
		return 0;
	for (i = 0; i < 2; i++) {
		mbedtls_pk_init(&pks[i]);
		if (compat_pk_parse_keyfile(&pks[i], files[i], NULL) != 0 ||
		    (fixes[i] = rsafix_new(mbedtls_pk_rsa(pks[i]), rng,
		    NULL)) == NULL)
			return -1;
	}
	done = 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const mbedtls_md_type_t mds[] = { MBEDTLS_MD_SHA1,
	    MBEDTLS_MD_SHA224, MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA384,
	    MBEDTLS_MD_SHA512 };
	uint8_t in[384], ours[384], theirs[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	const mbedtls_md_info_t *info;
	mbedtls_md_type_t md;
	size_t c, len, hlen, tlen;
	int a, b;

	if (size < 1)
		return 0;
	if (setup() != 0)
		abort();
	c = data[0] & 1;
	len = rsafix_len(fixes[c]);
	memset(in, 0, sizeof(in));
	memcpy(in, data + 1, size - 1 < len ? size - 1 : len);
	if ((data[0] & 2) == 0) {
		a = rsafix_private(fixes[c], in, ours);
		b = mbedtls_rsa_private(mbedtls_pk_rsa(pks[c]), rng, NULL,
		    in, theirs);
		if ((a == 0) != (b == 0) ||
		    (a == 0 && memcmp(ours, theirs, len) != 0))
			abort();
		return 0;
	}
	md = mds[(data[0] >> 2) % 5];
	info = mbedtls_md_info_from_type(md);
	hlen = mbedtls_md_get_size(info);
	if (rsafix_sign(fixes[c], md, in, hlen, ours) != 0 ||
	    compat_pk_sign(&pks[c], md, in, hlen, theirs, sizeof(theirs),
	    &tlen, rng, NULL) != 0 || tlen != len ||
	    memcmp(ours, theirs, len) != 0)
		abort();
	return 0;
}
