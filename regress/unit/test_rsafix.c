/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The RSA private key operation by CRT (rsafix) against mbedTLS's, for
 * RSA-2048, 3072, 4096 and a 2048-bit key with e = 3: m^d mod n must be
 * mbedTLS's for 0, 1, 2, n-1, n-2, numbers with one limb set and
 * random numbers below n; the PKCS #1 v1.5 signature of random hashes
 * (SHA-1, 224, 256, 384, 512) must be mbedTLS's to the octet, which is
 * deterministic.  Inputs at or above n, a wrong hash length and an
 * unknown digest are refused; a fault in the key's values gives no
 * signature.  A 1024-bit key and one of 2056 bits get no fast path,
 * and with FILTER_SMIME_NO_HW set no key does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include "hwcap.h"
#include "mbedtls_compat.h"
#include "rsafix.h"
#include "unit.h"
#include "xorshift.h"

#define DATA	"regress/unit/data/"
#define MAXLEN	512

static uint64_t rs = 0x9e3779b97f4a7c15ULL;

struct key {
	const char		*file;
	mbedtls_pk_context	 pk;
	mbedtls_rsa_context	*rsa;
	struct rsafix		*fix;
	size_t			 len;
};

static int
load(struct key *k)
{
	char path[256];

	mbedtls_pk_init(&k->pk);
	snprintf(path, sizeof(path), DATA "%s", k->file);
	if (compat_pk_parse_keyfile(&k->pk, path, NULL) != 0 ||
	    mbedtls_pk_get_type(&k->pk) != MBEDTLS_PK_RSA)
		return -1;
	k->rsa = mbedtls_pk_rsa(k->pk);
	k->len = mbedtls_rsa_get_len(k->rsa);
	k->fix = rsafix_new(k->rsa, xorshift_rng, &rs);
	return 0;
}

/* in^d both ways: 1 when they agree (and both succeed) */
static int
same_private(struct key *k, const uint8_t *in)
{
	uint8_t ours[MAXLEN], theirs[MAXLEN];

	return rsafix_private(k->fix, in, ours) == 0 &&
	    mbedtls_rsa_private(k->rsa, xorshift_rng, &rs, in, theirs) == 0 &&
	    memcmp(ours, theirs, k->len) == 0;
}

/* the input n - d (d small), big-endian, from n's octets */
static void
n_minus(const struct key *k, unsigned int d, uint8_t *out)
{
	mbedtls_mpi n, x;

	mbedtls_mpi_init(&n);
	mbedtls_mpi_init(&x);
	if (mbedtls_rsa_export(k->rsa, &n, NULL, NULL, NULL, NULL) != 0 ||
	    mbedtls_mpi_sub_int(&x, &n, (mbedtls_mpi_sint)d) != 0 ||
	    mbedtls_mpi_write_binary(&x, out, k->len) != 0)
		memset(out, 0, k->len);
	mbedtls_mpi_free(&n);
	mbedtls_mpi_free(&x);
}

static void
test_private(struct key *k, int randoms)
{
	uint8_t in[MAXLEN];
	char name[96];
	int i, bad = 0, tried = 0;
	size_t limb;

	memset(in, 0, sizeof(in));
	for (i = 0; i <= 2; i++) {		/* 0, 1, 2 */
		in[k->len - 1] = (uint8_t)i;
		bad += !same_private(k, in), tried++;
	}
	for (i = 1; i <= 2; i++) {		/* n-1, n-2 */
		n_minus(k, (unsigned int)i, in);
		bad += !same_private(k, in), tried++;
	}
	for (limb = 0; limb < k->len / 8; limb++) {	/* one limb set */
		memset(in, 0, sizeof(in));
		memset(in + k->len - 8 * (limb + 1), 0xa5, 8);
		in[0] &= 0x3f;			/* below n */
		bad += !same_private(k, in), tried++;
	}
	for (i = 0; i < randoms; i++) {
		xorshift_rng(&rs, in, k->len);
		in[0] &= 0x7f;
		if (i % 3 == 0)			/* short numbers too */
			memset(in, 0, k->len / 2);
		bad += !same_private(k, in), tried++;
	}
	snprintf(name, sizeof(name), "rsafix-private-%s", k->file);
	if (bad)
		UNIT_FAIL(name, "%d of %d inputs differ from mbedTLS", bad,
		    tried);
	else
		UNIT_PASS(name);
}

static void
test_sign(struct key *k, int rounds)
{
	static const mbedtls_md_type_t mds[] = { MBEDTLS_MD_SHA1,
	    MBEDTLS_MD_SHA224, MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA384,
	    MBEDTLS_MD_SHA512 };
	uint8_t hash[64], ours[MAXLEN], theirs[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	const mbedtls_md_info_t *info;
	size_t i, hlen, tlen;
	char name[96];
	int r, bad = 0;

	for (r = 0; r < rounds; r++)
		for (i = 0; i < sizeof(mds) / sizeof(mds[0]); i++) {
			info = mbedtls_md_info_from_type(mds[i]);
			hlen = mbedtls_md_get_size(info);
			xorshift_rng(&rs, hash, hlen);
			if (rsafix_sign(k->fix, mds[i], hash, hlen, ours) !=
			    0 || compat_pk_sign(&k->pk, mds[i], hash, hlen,
			    theirs, sizeof(theirs), &tlen, xorshift_rng,
			    &rs) != 0 || tlen != k->len ||
			    memcmp(ours, theirs, tlen) != 0)
				bad++;
		}
	snprintf(name, sizeof(name), "rsafix-sign-pkcs1-%s", k->file);
	if (bad)
		UNIT_FAIL(name, "%d signatures differ from mbedTLS's", bad);
	else
		UNIT_PASS(name);
}

static void
test_refused(struct key *k)
{
	uint8_t in[MAXLEN], out[MAXLEN], hash[32];
	char name[96];
	int at_n, above;

	n_minus(k, 0, in);			/* n itself */
	at_n = rsafix_private(k->fix, in, out);
	memset(in, 0xff, k->len);
	above = rsafix_private(k->fix, in, out);
	memset(hash, 7, sizeof(hash));
	snprintf(name, sizeof(name), "rsafix-refuses-%s", k->file);
	UNIT_OK(name, at_n == -1 && above == -1 &&
	    rsafix_sign(k->fix, MBEDTLS_MD_SHA256, hash, 31, out) == -1 &&
	    rsafix_sign(k->fix, MBEDTLS_MD_SHA384, hash, 32, out) == -1 &&
	    rsafix_sign(k->fix, MBEDTLS_MD_NONE, hash, 32, out) == -1 &&
	    rsafix_sign(k->fix, MBEDTLS_MD_SHA256, hash, 32, out) == 0);
}

static uint64_t *first_secret;

static void
note_first(const void *p, size_t len)
{
	(void)len;
	if (first_secret == NULL)
		first_secret = (uint64_t *)(uintptr_t)p;
}

/*
 * A fault (one bit of the first prime's second limb flipped) must give
 * no signature; mended, signing works again.
 */
static void
test_fault(struct key *k)
{
	uint8_t in[MAXLEN], out[MAXLEN];
	int faulty, mended;

	first_secret = NULL;
	rsafix_ct_hooks(k->fix, note_first, NULL);
	memset(in, 0x11, k->len);
	first_secret[1] ^= 1ULL << 17;
	memset(out, 0, sizeof(out));
	faulty = rsafix_private(k->fix, in, out);
	first_secret[1] ^= 1ULL << 17;
	mended = same_private(k, in);
	UNIT_OK("rsafix-fault-gives-nothing", faulty == -1 &&
	    out[0] == 0 && out[k->len - 1] == 0 && mended);
}

int
main(void)
{
	struct key keys[] = {
		{ .file = "env_rsa.key" },
		{ .file = "rsa2048_e3.key" },
		{ .file = "rsa3072.key" },
		{ .file = "rsa4096.key" },
	};
	struct key other[] = {
		{ .file = "rsa1024.key" },
		{ .file = "rsa2056.key" },
	};
	size_t i;
	int off = hwcap_off(), loaded = 1, none = 1, have = 1, skipped = 1;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (load(&keys[i]) == -1)
			loaded = 0;
		else if (keys[i].fix == NULL)
			have = 0;
		else
			none = 0;
	}
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (load(&other[i]) == -1)
			loaded = 0;
		else if (other[i].fix != NULL)
			skipped = 0;
	UNIT_OK("rsafix-keys-loaded", loaded);
	UNIT_OK("rsafix-none-for-1024-and-2056-bits", skipped);
	if (off)
		UNIT_OK("rsafix-none-with-no-hw", none);
	else
		UNIT_OK("rsafix-2048-3072-4096-e3", have);
	for (i = 0; have && !off && i < sizeof(keys) / sizeof(keys[0]);
	    i++) {
		test_private(&keys[i], i == 3 ? 12 : 40);
		test_sign(&keys[i], i == 3 ? 3 : 8);
		test_refused(&keys[i]);
	}
	if (have && !off)
		test_fault(&keys[0]);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		rsafix_free(keys[i].fix);
		mbedtls_pk_free(&keys[i].pk);
	}
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		mbedtls_pk_free(&other[i].pk);
	return unit_failed;
}
