/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * SHA-256 with the CPU's instructions (sha256_hw) and through the
 * digest interface, against known answers and against mbedTLS.
 *
 * Known answers: the FIPS 180-4 examples ("abc", the 448-bit and
 * 896-bit messages, one million 'a'), the empty message and two CAVP
 * SHA256ShortMsg entries (Len = 8 and 64).  Then every length 0..300
 * and 400 random lengths up to 10 000 in random chunks, compared with
 * mbedtls_md.  regress/run.sh runs this twice: as the CPU allows, and
 * with FILTER_SMIME_NO_HW=1, so digest_* takes each path (its name is
 * in the test names); the direct sha256_hw and mbedTLS checks run in
 * the first run only, when the CPU has the instructions.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>

#include "digest.h"
#include "sha256_hw.h"
#include "unit.h"

struct kat {
	const char	*name;
	const char	*msg;		/* or NULL: the million 'a' */
	size_t		 len;
	const char	*hex;
};

static const struct kat kats[] = {
	{ "empty", "", 0,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", "abc", 3,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "448bit", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    56,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "896bit", "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112,
	    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	{ "cavp-len8", "\xd3", 1,
	    "28969cdfa74a12c82f3bad960b0b000aca2ac329deea5c2328ebc6f2ba9802c1" },
	{ "cavp-len64", "\x57\x38\xc9\x29\xc4\xf4\xcc\xb6", 8,
	    "963bb88f27f512777aab6c8b1a02c70ec0ad651d428f870036e1917120fb48bf" },
	{ "million-a", NULL, 1000000,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
};

static const char *path;	/* digest_sha256_engine() */
static int hw;			/* test sha256_hw and mbedTLS directly */

/* xorshift64*: the same "random" lengths and chunks every run. */
static uint64_t rs = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return (uint32_t)((rs * 0x2545f4914f6cdd1dULL) >> 32) % n;
}

static void
unhex(const char *h, uint8_t *out)
{
	size_t i;
	unsigned int v;

	for (i = 0; i < 32; i++) {
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static void
ref(const uint8_t *p, size_t n, uint8_t out[32])
{
	if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), p, n,
	    out) != 0)
		abort();
}

/* Each chunk in turn (chunk 0: the whole message at once). */
static void
by_hw(const uint8_t *p, size_t n, size_t chunk, uint8_t out[32])
{
	struct sha256_hw c;
	size_t k;

	sha256_hw_init(&c);
	for (; n > 0; p += k, n -= k) {
		k = chunk == 0 || chunk > n ? n : chunk;
		sha256_hw_update(&c, p, k);
	}
	sha256_hw_finish(&c, out);
}

static int
by_digest(mbedtls_md_type_t t, const uint8_t *p, size_t n, size_t chunk,
    uint8_t out[MBEDTLS_MD_MAX_SIZE])
{
	struct digest d;
	size_t k;
	int rc = -1;

	digest_init(&d);
	if (digest_setup(&d, t) != 0)
		goto done;
	for (; n > 0; p += k, n -= k) {
		k = chunk == 0 || chunk > n ? n : chunk;
		if (digest_update(&d, p, k) != 0)
			goto done;
	}
	rc = digest_finish(&d, out);
done:
	digest_free(&d);
	return rc;
}

/* Random chunks: sizes 0..max (zero-length updates included). */
static void
by_hw_random(const uint8_t *p, size_t n, uint32_t max, uint8_t out[32])
{
	struct sha256_hw c;
	size_t k;

	sha256_hw_init(&c);
	while (n > 0) {
		k = rnd(max + 1);
		if (k > n)
			k = n;
		sha256_hw_update(&c, p, k);
		p += k;
		n -= k;
	}
	sha256_hw_finish(&c, out);
}

static int
by_digest_random(const uint8_t *p, size_t n, uint32_t max, uint8_t out[32])
{
	struct digest d;
	size_t k;
	int rc = -1;

	digest_init(&d);
	if (digest_setup(&d, MBEDTLS_MD_SHA256) != 0)
		goto done;
	while (n > 0) {
		k = rnd(max + 1);
		if (k > n)
			k = n;
		if (digest_update(&d, p, k) != 0)
			goto done;
		p += k;
		n -= k;
	}
	rc = digest_finish(&d, out);
done:
	digest_free(&d);
	return rc;
}

static void
test_kats(void)
{
	static const size_t chunks[] = { 0, 1, 3, 55, 63, 64, 65, 4096 };
	uint8_t want[32], got[MBEDTLS_MD_MAX_SIZE], *m;
	char name[96];
	size_t i, j;
	int bad_hw, bad_dg;

	for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		const struct kat *k = &kats[i];

		unhex(k->hex, want);
		if ((m = malloc(k->len + 1)) == NULL)
			abort();
		if (k->msg != NULL)
			memcpy(m, k->msg, k->len);
		else
			memset(m, 'a', k->len);
		bad_hw = bad_dg = 0;
		for (j = 0; j < sizeof(chunks) / sizeof(chunks[0]); j++) {
			if (hw) {
				by_hw(m, k->len, chunks[j], got);
				bad_hw |= memcmp(got, want, 32) != 0;
			}
			if (by_digest(MBEDTLS_MD_SHA256, m, k->len, chunks[j],
			    got) != 0 || memcmp(got, want, 32) != 0)
				bad_dg = 1;
		}
		if (hw) {
			ref(m, k->len, got);
			snprintf(name, sizeof(name), "sha256-kat-%s-mbedtls-ref",
			    k->name);
			UNIT_OK(name, memcmp(got, want, 32) == 0);
			snprintf(name, sizeof(name), "sha256-kat-%s-%s", k->name,
			    sha256_hw_engine());
			UNIT_OK(name, !bad_hw);
		}
		snprintf(name, sizeof(name), "sha256-kat-%s-digest-%s", k->name,
		    path);
		UNIT_OK(name, !bad_dg);
		free(m);
	}
}

/* Every length over the padding edges, whole and byte by byte. */
static void
test_lengths(void)
{
	uint8_t m[300], want[32], got[MBEDTLS_MD_MAX_SIZE];
	char name[96];
	size_t n;
	int bad_hw = 0, bad_dg = 0;

	for (n = 0; n < sizeof(m); n++)
		m[n] = (uint8_t)rnd(256);
	for (n = 0; n <= sizeof(m); n++) {
		ref(m, n, want);
		if (hw) {
			by_hw(m, n, 0, got);
			bad_hw |= memcmp(got, want, 32) != 0;
			by_hw(m, n, 1, got);
			bad_hw |= memcmp(got, want, 32) != 0;
		}
		if (by_digest(MBEDTLS_MD_SHA256, m, n, 0, got) != 0 ||
		    memcmp(got, want, 32) != 0)
			bad_dg = 1;
	}
	if (hw) {
		snprintf(name, sizeof(name), "sha256-lengths-0-300-%s",
		    sha256_hw_engine());
		UNIT_OK(name, !bad_hw);
	}
	snprintf(name, sizeof(name), "sha256-lengths-0-300-digest-%s", path);
	UNIT_OK(name, !bad_dg);
}

/* 400 random messages of 0..10 000 octets in random chunks. */
static void
test_differential(void)
{
	enum { N = 400, MAX = 10000 };
	uint8_t *m, want[32], got[32];
	char name[96];
	size_t i, n;
	int bad_hw = 0, bad_dg = 0;

	if ((m = malloc(MAX)) == NULL)
		abort();
	for (i = 0; i < N; i++) {
		n = rnd(MAX + 1);
		for (size_t j = 0; j < n; j++)
			m[j] = (uint8_t)rnd(256);
		ref(m, n, want);
		if (hw) {
			by_hw_random(m, n, i % 2 ? 200 : 3000, got);
			bad_hw |= memcmp(got, want, 32) != 0;
		}
		if (by_digest_random(m, n, i % 2 ? 130 : 5000, got) != 0 ||
		    memcmp(got, want, 32) != 0)
			bad_dg = 1;
	}
	if (hw) {
		snprintf(name, sizeof(name), "sha256-differential-%s",
		    sha256_hw_engine());
		UNIT_OK(name, !bad_hw);
	}
	snprintf(name, sizeof(name), "sha256-differential-digest-%s", path);
	UNIT_OK(name, !bad_dg);
	free(m);
}

/* SHA-384 and SHA-512 stay with mbedTLS, through the same interface. */
static void
test_other_md(void)
{
	static const mbedtls_md_type_t t[] = { MBEDTLS_MD_SHA384,
	    MBEDTLS_MD_SHA512 };
	uint8_t m[1000], want[MBEDTLS_MD_MAX_SIZE], got[MBEDTLS_MD_MAX_SIZE];
	struct digest d;
	char name[96];
	size_t i, n;
	int bad = 0;

	for (n = 0; n < sizeof(m); n++)
		m[n] = (uint8_t)rnd(256);
	for (i = 0; i < 2; i++) {
		const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(t[i]);

		for (n = 0; n <= sizeof(m); n += 37) {
			if (mbedtls_md(mi, m, n, want) != 0 ||
			    by_digest(t[i], m, n, 7, got) != 0 ||
			    memcmp(got, want, mbedtls_md_get_size(mi)) != 0)
				bad = 1;
		}
		digest_init(&d);
		if (digest_setup(&d, t[i]) != 0 || d.hw)
			bad = 1;
		digest_free(&d);
	}
	snprintf(name, sizeof(name), "sha384-sha512-digest-%s", path);
	UNIT_OK(name, !bad);
	digest_init(&d);
	snprintf(name, sizeof(name), "digest-unknown-type-%s", path);
	UNIT_OK(name, digest_setup(&d, MBEDTLS_MD_NONE) == -1);
	digest_free(&d);
}

/* The path follows FILTER_SMIME_NO_HW and the CPU. */
static void
test_path(void)
{
	const char *v = getenv("FILTER_SMIME_NO_HW");
	int off = v != NULL && *v != '\0' && strcmp(v, "0") != 0;
	const char *cpu = sha256_hw_engine();
	char name[96];

	printf("# sha256: %s (CPU: %s)\n", path,
	    cpu ? cpu : "no SHA instructions");
	snprintf(name, sizeof(name), "sha256-path-%s", path);
	if (off || cpu == NULL)
		UNIT_OK(name, strcmp(path, "mbedtls") == 0);
	else
		UNIT_OK(name, strcmp(path, sha256_hw_engine()) == 0);
}

int
main(void)
{
	path = digest_sha256_engine();
	hw = sha256_hw_engine() != NULL && strcmp(path, "mbedtls") != 0;
	test_path();
	test_kats();
	test_lengths();
	test_differential();
	test_other_md();
	UNIT_EXIT();
}
