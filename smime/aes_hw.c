/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * AES-CBC encryption with AES-NI (aes_hw.h), written from FIPS 197 §5.2
 * (the key expansion) and the instruction set manual: AESKEYGENASSIST
 * gives SubWord(RotWord(w)) ^ rcon of a key's last word (or SubWord
 * alone, for AES-256's middle step), the rest is the running XOR of
 * §5.2 done with byte shifts.  The functions carry a target attribute,
 * so the build needs no -maes and they run only after CPUID said yes.
 */
#include <string.h>

#include <mbedtls/platform_util.h>

#include "aes_hw.h"
#include "hwcap.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

#define AES_HW_TARGET	__attribute__((target("aes,sse2")))

/* w0..w3 with the running XOR of §5.2, then ^ t (a word broadcast). */
AES_HW_TARGET
static __m128i
next_key(__m128i k, __m128i t)
{
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	return _mm_xor_si128(k, t);
}

/* AESKEYGENASSIST wants its rcon as an immediate: one line per round. */
#define K128(i, rc) do {						\
	k = next_key(k, _mm_shuffle_epi32(				\
	    _mm_aeskeygenassist_si128(k, (rc)), 0xff));			\
	_mm_storeu_si128((__m128i *)a->rk[(i)], k);			\
} while (0)

AES_HW_TARGET
static void
expand128(struct aes_hw *a, const uint8_t *key)
{
	__m128i k = _mm_loadu_si128((const __m128i *)key);

	_mm_storeu_si128((__m128i *)a->rk[0], k);
	K128(1, 0x01); K128(2, 0x02); K128(3, 0x04); K128(4, 0x08);
	K128(5, 0x10); K128(6, 0x20); K128(7, 0x40); K128(8, 0x80);
	K128(9, 0x1b); K128(10, 0x36);
	a->rounds = 10;
}

/* AES-256: rotate-and-rcon from k1 into k0, then SubWord of k0 into k1. */
#define K256(i, rc) do {						\
	k0 = next_key(k0, _mm_shuffle_epi32(				\
	    _mm_aeskeygenassist_si128(k1, (rc)), 0xff));		\
	_mm_storeu_si128((__m128i *)a->rk[2 * (i)], k0);		\
	if ((i) < 7) {							\
		k1 = next_key(k1, _mm_shuffle_epi32(			\
		    _mm_aeskeygenassist_si128(k0, 0), 0xaa));		\
		_mm_storeu_si128((__m128i *)a->rk[2 * (i) + 1], k1);	\
	}								\
} while (0)

AES_HW_TARGET
static void
expand256(struct aes_hw *a, const uint8_t *key)
{
	__m128i k0 = _mm_loadu_si128((const __m128i *)key);
	__m128i k1 = _mm_loadu_si128((const __m128i *)(key + 16));

	_mm_storeu_si128((__m128i *)a->rk[0], k0);
	_mm_storeu_si128((__m128i *)a->rk[1], k1);
	K256(1, 0x01); K256(2, 0x02); K256(3, 0x04); K256(4, 0x08);
	K256(5, 0x10); K256(6, 0x20); K256(7, 0x40);
	a->rounds = 14;
}

AES_HW_TARGET
static void
cbc_x86(const struct aes_hw *a, uint8_t iv[AES_HW_BLOCK], const uint8_t *in,
    uint8_t *out, size_t nblocks)
{
	__m128i rk[15], c = _mm_loadu_si128((const __m128i *)iv);
	size_t i;
	int r;

	for (r = 0; r <= a->rounds; r++)
		rk[r] = _mm_loadu_si128((const __m128i *)a->rk[r]);
	for (i = 0; i < nblocks; i++) {
		c = _mm_xor_si128(c, _mm_loadu_si128((const __m128i *)
		    (in + AES_HW_BLOCK * i)));
		c = _mm_xor_si128(c, rk[0]);
		for (r = 1; r < a->rounds; r++)
			c = _mm_aesenc_si128(c, rk[r]);
		c = _mm_aesenclast_si128(c, rk[a->rounds]);
		_mm_storeu_si128((__m128i *)(out + AES_HW_BLOCK * i), c);
	}
	_mm_storeu_si128((__m128i *)iv, c);
	mbedtls_platform_zeroize(rk, sizeof(rk));
}

const char *
aes_hw_engine(void)
{
	static int have = -1;	/* CPUID once: in a VM it traps */
	unsigned int a, b, c, d;

	/* leaf 1: AES ECX 25, SSE2 EDX 26 */
	if (have == -1)
		have = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 25)) &&
		    (d & (1u << 26));
	return have ? "aes-ni" : NULL;
}

int
aes_hw_setkey(struct aes_hw *a, const uint8_t *key, size_t keylen)
{
	if (keylen == 16)
		expand128(a, key);
	else if (keylen == 32)
		expand256(a, key);
	else
		return -1;
	return 0;
}

void
aes_hw_cbc_encrypt(const struct aes_hw *a, uint8_t iv[AES_HW_BLOCK],
    const uint8_t *in, uint8_t *out, size_t nblocks)
{
	cbc_x86(a, iv, in, out, nblocks);
}
#else
const char *
aes_hw_engine(void)
{
	return NULL;
}

int
aes_hw_setkey(struct aes_hw *a, const uint8_t *key, size_t keylen)
{
	(void)a;
	(void)key;
	(void)keylen;
	return -1;
}

void
aes_hw_cbc_encrypt(const struct aes_hw *a, uint8_t iv[AES_HW_BLOCK],
    const uint8_t *in, uint8_t *out, size_t nblocks)
{
	(void)a;
	(void)iv;
	(void)in;
	(void)out;
	(void)nblocks;
}
#endif

int
aes_hw_available(void)
{
	return !hwcap_off() && aes_hw_engine() != NULL;
}

void
aes_hw_wipe(struct aes_hw *a)
{
	mbedtls_platform_zeroize(a, sizeof(*a));
}
