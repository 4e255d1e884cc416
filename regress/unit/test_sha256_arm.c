/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The ARMv8 path of smime/sha256_hw.c, run on whatever machine this is:
 * the file is compiled here as for AArch64 with the SHA-2 instructions,
 * which regress/unit/neon/arm_neon.h models from the Arm ARM pseudocode,
 * its functions renamed arm_* beside the real ones.  The FIPS 180-4
 * known answers, then every length to 300 and 200 random messages in
 * random chunks against mbedTLS.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>

#include "unit.h"

#undef __x86_64__
#define __aarch64__		1
#define __ARM_FEATURE_SHA2	1
#define sha256_hw_engine	arm_sha256_hw_engine
#define sha256_hw_available	arm_sha256_hw_available
#define sha256_hw_init		arm_sha256_hw_init
#define sha256_hw_update	arm_sha256_hw_update
#define sha256_hw_finish	arm_sha256_hw_finish
#include "sha256_hw.c"

static uint64_t rs = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd(uint32_t n)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return (uint32_t)((rs * 0x2545f4914f6cdd1dULL) >> 32) % n;
}

/* chunk 0: all at once; else updates of chunk octets, or random ones */
static void
arm(const uint8_t *p, size_t n, size_t chunk, uint8_t out[32])
{
	struct sha256_hw c;
	size_t k;

	arm_sha256_hw_init(&c);
	for (; n > 0; p += k, n -= k) {
		k = chunk == 0 ? n : chunk == (size_t)-1 ? rnd(300) : chunk;
		if (k > n)
			k = n;
		arm_sha256_hw_update(&c, p, k);
	}
	arm_sha256_hw_finish(&c, out);
}

static int
same_as_mbedtls(const uint8_t *p, size_t n, size_t chunk)
{
	uint8_t want[32], got[32];

	if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), p, n,
	    want) != 0)
		return 0;
	arm(p, n, chunk, got);
	return memcmp(got, want, 32) == 0;
}

int
main(void)
{
	static const char *msgs[] = { "", "abc",
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu") };
	static const char *names[] = { "empty", "abc", "448bit", "896bit" };
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
		0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	uint8_t got[32], *m;
	char name[64];
	size_t i, n;
	int bad;

	UNIT_OK("sha256-arm-model-engine",
	    strcmp(arm_sha256_hw_engine(), "armv8-ce") == 0);
	arm((const uint8_t *)"abc", 3, 0, got);
	UNIT_OK("sha256-arm-model-kat-abc", memcmp(got, abc, 32) == 0);
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		snprintf(name, sizeof(name), "sha256-arm-model-%s", names[i]);
		UNIT_OK(name, same_as_mbedtls((const uint8_t *)msgs[i],
		    strlen(msgs[i]), 0) && same_as_mbedtls((const uint8_t *)
		    msgs[i], strlen(msgs[i]), 1));
	}
	if ((m = malloc(1000000)) == NULL)
		abort();
	memset(m, 'a', 1000000);
	UNIT_OK("sha256-arm-model-million-a", same_as_mbedtls(m, 1000000, 0) &&
	    same_as_mbedtls(m, 1000000, 4099));
	for (bad = 0, n = 0; n <= 300; n++) {
		for (i = 0; i < n; i++)
			m[i] = (uint8_t)rnd(256);
		bad |= !same_as_mbedtls(m, n, 0) || !same_as_mbedtls(m, n, 1);
	}
	UNIT_OK("sha256-arm-model-lengths-0-300", !bad);
	for (bad = 0, i = 0; i < 200; i++) {
		n = rnd(10001);
		for (size_t j = 0; j < n; j++)
			m[j] = (uint8_t)rnd(256);
		bad |= !same_as_mbedtls(m, n, (size_t)-1);
	}
	UNIT_OK("sha256-arm-model-differential", !bad);
	free(m);
	UNIT_EXIT();
}
