/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * AES-CBC encryption with AES-NI (aes_hw) against known answers and
 * against mbedTLS.  Known answers: NIST SP 800-38A F.2.1 (CBC-AES128)
 * and F.2.5 (CBC-AES256), four blocks each, in one call and a block at
 * a time.  Then 300 random keys, IVs and lengths up to 600 blocks, both
 * key sizes, in random pieces and in place, against mbedtls_aes_crypt_cbc.
 * Where the CPU lacks AES-NI (or FILTER_SMIME_NO_HW is set) the test
 * says so and checks that aes_hw_available() said no.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/aes.h>

#include "aes_hw.h"
#include "unit.h"

static const char *pt_hex =
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
static const char *iv_hex = "000102030405060708090a0b0c0d0e0f";

struct kat {
	const char	*name;
	const char	*key;
	const char	*ct;
};

static const struct kat kats[] = {
	{ "sp800-38a-f.2.1-cbc-aes128", "2b7e151628aed2a6abf7158809cf4f3c",
	    "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
	    "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7" },
	{ "sp800-38a-f.2.5-cbc-aes256", "603deb1015ca71be2b73aef0857d7781"
	    "1f352c073b6108d72d9810a30914dff4",
	    "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
	    "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b" },
};

static uint64_t rs = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return (uint32_t)((rs * 0x2545f4914f6cdd1dULL) >> 32);
}

static void
test_kats(void)
{
	uint8_t key[32], pt[64], ct[64], iv[16], got[64];
	struct aes_hw a;
	size_t i, k, klen;
	char name[96];

	unit_unhex(pt_hex, pt);
	for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		klen = unit_unhex(kats[i].key, key);
		unit_unhex(kats[i].ct, ct);
		unit_unhex(iv_hex, iv);
		snprintf(name, sizeof(name), "aes-hw-%s", kats[i].name);
		UNIT_OK(name, aes_hw_setkey(&a, key, klen) == 0 &&
		    (aes_hw_cbc_encrypt(&a, iv, pt, got, 4), 1) &&
		    memcmp(got, ct, 64) == 0 && memcmp(iv, ct + 48, 16) == 0);
		/* a block at a time: the IV carries the chain */
		unit_unhex(iv_hex, iv);
		for (k = 0; k < 4; k++)
			aes_hw_cbc_encrypt(&a, iv, pt + 16 * k, got + 16 * k, 1);
		snprintf(name, sizeof(name), "aes-hw-%s-blockwise",
		    kats[i].name);
		UNIT_OK(name, memcmp(got, ct, 64) == 0);
		aes_hw_wipe(&a);
	}
	UNIT_OK("aes-hw-bad-key-length", aes_hw_setkey(&a, key, 24) == -1);
}

/* One random case: ours in pieces (and in place) against mbedTLS whole. */
static int
differs(size_t klen, size_t nblocks, uint8_t *buf, uint8_t *ref)
{
	uint8_t key[32], iv0[16], iv[16], ivref[16];
	mbedtls_aes_context m;
	struct aes_hw a;
	size_t i, done, k;
	int bad;

	for (i = 0; i < klen; i++)
		key[i] = (uint8_t)rnd();
	for (i = 0; i < 16; i++)
		iv0[i] = (uint8_t)rnd();
	for (i = 0; i < 16 * nblocks; i++)
		buf[i] = ref[i] = (uint8_t)rnd();
	memcpy(iv, iv0, 16);
	memcpy(ivref, iv0, 16);
	mbedtls_aes_init(&m);
	if (mbedtls_aes_setkey_enc(&m, key, (unsigned)klen * 8) != 0 ||
	    (nblocks > 0 && mbedtls_aes_crypt_cbc(&m, MBEDTLS_AES_ENCRYPT,
	    16 * nblocks, ivref, ref, ref) != 0) ||
	    aes_hw_setkey(&a, key, klen) != 0) {
		mbedtls_aes_free(&m);
		return 1;
	}
	for (done = 0; done < nblocks; done += k) {
		k = 1 + rnd() % 40;
		if (k > nblocks - done)
			k = nblocks - done;
		aes_hw_cbc_encrypt(&a, iv, buf + 16 * done, buf + 16 * done, k);
	}
	bad = (nblocks > 0 && memcmp(buf, ref, 16 * nblocks) != 0) ||
	    memcmp(iv, ivref, 16) != 0;
	aes_hw_wipe(&a);
	mbedtls_aes_free(&m);
	return bad;
}

static void
test_against_mbedtls(void)
{
	static uint8_t buf[16 * 600], ref[16 * 600];
	int round, bad128 = 0, bad256 = 0;

	for (round = 0; round < 300; round++) {
		bad128 += differs(16, rnd() % 600, buf, ref);
		bad256 += differs(32, rnd() % 600, buf, ref);
	}
	UNIT_OK("aes-hw-as-mbedtls-128", bad128 == 0);
	UNIT_OK("aes-hw-as-mbedtls-256", bad256 == 0);
}

int
main(void)
{
	const char *getenv_no = getenv("FILTER_SMIME_NO_HW");

	if (!aes_hw_available()) {
		UNIT_OK("aes-hw-off", aes_hw_engine() == NULL ||
		    (getenv_no != NULL && *getenv_no != '\0'));
		printf("# aes_hw: not used here (%s)\n", aes_hw_engine() ?
		    "FILTER_SMIME_NO_HW" : "no AES-NI");
		UNIT_EXIT();
	}
	test_kats();
	test_against_mbedtls();
	UNIT_EXIT();
}
