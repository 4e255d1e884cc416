/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * SHA-256 compression with the SHA instructions of x86-64 (SHA-NI) or
 * ARMv8, written from FIPS 180-4 and the two instruction set manuals.
 *
 * Both instruction sets do the same work: four words of the message
 * schedule at a time (W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) +
 * W[t-16], split into a "message 1" step that adds s0 and a "message 2"
 * step that adds W[t-7] and s1), and the rounds on the eight working
 * variables, given W[t] + K[t].  They differ in how the state is split
 * between two 128-bit registers (see each function).
 *
 * The x86 function carries a target attribute, so the build needs no
 * -msha and the instructions run only after CPUID said they exist.
 */
#include <stdlib.h>
#include <string.h>

#include "hwcap.h"
#include "sha256_hw.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SHA256_HW_X86	1
#include <cpuid.h>
#include <immintrin.h>
#elif defined(__aarch64__) && defined(__ARM_FEATURE_SHA2)
#define SHA256_HW_ARM	1
#include <arm_neon.h>
#endif

#if defined(SHA256_HW_X86) || defined(SHA256_HW_ARM)
/* FIPS 180-4 §4.2.2: the cube roots of the first 64 primes. */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
#endif

#ifdef SHA256_HW_X86
/*
 * SHA256RNDS2 does two rounds.  It wants the state as ABEF and CDGH
 * (A in the high 32 bits, F and H in the low ones), W[t] + K[t] of its
 * two rounds in the low 64 bits of the third operand, and returns the
 * new ABEF; the old ABEF is then the new CDGH.  SHA256MSG1(W0..3,
 * W4..7) gives W[i] + s0(W[i+1]); SHA256MSG2(that + W9..12, W12..15)
 * gives W16..19.
 */
/* Four rounds, t = 4i .. 4i+3, with W[t] in m. */
#define X86_ROUNDS4(i, m) do {						\
	wk = _mm_add_epi32((m), _mm_loadu_si128(			\
	    (const __m128i *)&K[4 * (i)]));				\
	cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);			\
	abef = _mm_sha256rnds2_epu32(abef, cdgh,			\
	    _mm_shuffle_epi32(wk, 0x0e));				\
} while (0)
/* m0 = W[t-16..t-13] becomes W[t..t+3]; W[t-7..t-4] from m3:m2. */
#define X86_SCHEDULE(m0, m1, m2, m3)					\
	(m0) = _mm_sha256msg2_epu32(_mm_add_epi32(			\
	    _mm_sha256msg1_epu32((m0), (m1)),				\
	    _mm_alignr_epi8((m3), (m2), 4)), (m3))

__attribute__((target("sha,sse4.1,ssse3")))
static void
compress_x86(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
	    0x0405060700010203ULL);
	__m128i abef, cdgh, abef0, cdgh0, t, wk, m0, m1, m2, m3;
	int i;

	/* h = A B C D | E F G H, low word first */
	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]),
	    0xb1);					/* B A D C */
	cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]),
	    0x1b);					/* H G F E */
	abef = _mm_alignr_epi8(t, cdgh, 8);		/* F E B A */
	cdgh = _mm_blend_epi16(cdgh, t, 0xf0);		/* H G D C */

	for (; nblocks > 0; nblocks--, p += SHA256_HW_BLOCK) {
		abef0 = abef;
		cdgh0 = cdgh;
		m0 = _mm_shuffle_epi8(_mm_loadu_si128(
		    (const __m128i *)(p + 0)), bswap);
		m1 = _mm_shuffle_epi8(_mm_loadu_si128(
		    (const __m128i *)(p + 16)), bswap);
		m2 = _mm_shuffle_epi8(_mm_loadu_si128(
		    (const __m128i *)(p + 32)), bswap);
		m3 = _mm_shuffle_epi8(_mm_loadu_si128(
		    (const __m128i *)(p + 48)), bswap);
		X86_ROUNDS4(0, m0);
		X86_ROUNDS4(1, m1);
		X86_ROUNDS4(2, m2);
		X86_ROUNDS4(3, m3);
		for (i = 4; i < 16; i += 4) {
			X86_SCHEDULE(m0, m1, m2, m3);
			X86_ROUNDS4(i, m0);
			X86_SCHEDULE(m1, m2, m3, m0);
			X86_ROUNDS4(i + 1, m1);
			X86_SCHEDULE(m2, m3, m0, m1);
			X86_ROUNDS4(i + 2, m2);
			X86_SCHEDULE(m3, m0, m1, m2);
			X86_ROUNDS4(i + 3, m3);
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}

	t = _mm_shuffle_epi32(abef, 0x1b);		/* A B E F */
	cdgh = _mm_shuffle_epi32(cdgh, 0xb1);		/* G H C D */
	_mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(t, cdgh, 0xf0));
	_mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(cdgh, t, 8));
}

const char *
sha256_hw_engine(void)
{
	/*
	 * Asked once: every digest asks, and in a virtual machine each
	 * CPUID is a trap to the hypervisor (four of them here took about
	 * 1.6% of a filter-mode run).
	 */
	static int have = -1;
	unsigned int a, b, c, d;

	/* leaf 1: SSSE3 ECX 9, SSE4.1 ECX 19; leaf 7: SHA EBX 29 */
	if (have == -1)
		have = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 9)) &&
		    (c & (1u << 19)) && __get_cpuid_count(7, 0, &a, &b, &c,
		    &d) && (b & (1u << 29));
	return have ? "sha-ni" : NULL;
}

#define compress	compress_x86
#endif /* SHA256_HW_X86 */

#ifdef SHA256_HW_ARM
/*
 * SHA256H(ABCD, EFGH, WK) gives the new ABCD after four rounds and
 * SHA256H2(EFGH, ABCD, WK) the new EFGH, both from the old state;
 * SHA256SU0(W0..3, W4..7) adds s0, SHA256SU1(that, W8..11, W12..15)
 * gives W16..19.  Lane 0 is A (or E, or the first word).
 */
static void
compress_arm(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	uint32x4_t abcd, efgh, abcd0, efgh0, prev, wk, m[4];
	int i;

	abcd = vld1q_u32(&h[0]);
	efgh = vld1q_u32(&h[4]);
	for (; nblocks > 0; nblocks--, p += SHA256_HW_BLOCK) {
		abcd0 = abcd;
		efgh0 = efgh;
		for (i = 0; i < 4; i++)
			m[i] = vreinterpretq_u32_u8(vrev32q_u8(
			    vld1q_u8(p + 16 * i)));
		for (i = 0; i < 16; i++) {
			if (i >= 4)
				m[i & 3] = vsha256su1q_u32(vsha256su0q_u32(
				    m[i & 3], m[(i + 1) & 3]),
				    m[(i + 2) & 3], m[(i + 3) & 3]);
			wk = vaddq_u32(m[i & 3], vld1q_u32(&K[4 * i]));
			prev = abcd;
			abcd = vsha256hq_u32(abcd, efgh, wk);
			efgh = vsha256h2q_u32(efgh, prev, wk);
		}
		abcd = vaddq_u32(abcd, abcd0);
		efgh = vaddq_u32(efgh, efgh0);
	}
	vst1q_u32(&h[0], abcd);
	vst1q_u32(&h[4], efgh);
}

const char *
sha256_hw_engine(void)
{
	return "armv8-ce";
}

#define compress	compress_arm
#endif /* SHA256_HW_ARM */

#ifdef compress
int
sha256_hw_available(void)
{
	return !hwcap_off() && sha256_hw_engine() != NULL;
}

void
sha256_hw_init(struct sha256_hw *c)
{
	/* FIPS 180-4 §5.3.3: the square roots of the first 8 primes */
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
	c->n = 0;
}

void
sha256_hw_update(struct sha256_hw *c, const uint8_t *p, size_t len)
{
	size_t k;

	c->len += len;
	if (c->n > 0) {
		k = SHA256_HW_BLOCK - c->n < len ? SHA256_HW_BLOCK - c->n : len;
		memcpy(c->buf + c->n, p, k);
		c->n += k;
		p += k;
		len -= k;
		if (c->n < SHA256_HW_BLOCK)
			return;
		compress(c->h, c->buf, 1);
		c->n = 0;
	}
	if (len >= SHA256_HW_BLOCK) {
		compress(c->h, p, len / SHA256_HW_BLOCK);
		p += len - len % SHA256_HW_BLOCK;
		len %= SHA256_HW_BLOCK;
	}
	if (len > 0)
		memcpy(c->buf, p, len);
	c->n = len;
}

/* §5.1.1: 0x80, zeros to 56 mod 64, the length in bits (big-endian). */
void
sha256_hw_finish(struct sha256_hw *c, uint8_t out[SHA256_HW_SIZE])
{
	uint64_t bits = c->len * 8;
	int i;

	c->buf[c->n++] = 0x80;
	if (c->n > SHA256_HW_BLOCK - 8) {
		memset(c->buf + c->n, 0, SHA256_HW_BLOCK - c->n);
		compress(c->h, c->buf, 1);
		c->n = 0;
	}
	memset(c->buf + c->n, 0, SHA256_HW_BLOCK - 8 - c->n);
	for (i = 0; i < 8; i++)
		c->buf[SHA256_HW_BLOCK - 1 - i] = (uint8_t)(bits >> (8 * i));
	compress(c->h, c->buf, 1);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->h[i];
	}
	memset(c, 0, sizeof(*c));
}

#else /* no SHA instructions in this build */

const char *
sha256_hw_engine(void)
{
	return NULL;
}

int
sha256_hw_available(void)
{
	return 0;
}

void
sha256_hw_init(struct sha256_hw *c)
{
	(void)c;
	abort();
}

void
sha256_hw_update(struct sha256_hw *c, const uint8_t *p, size_t len)
{
	(void)c;
	(void)p;
	(void)len;
	abort();
}

void
sha256_hw_finish(struct sha256_hw *c, uint8_t out[SHA256_HW_SIZE])
{
	(void)c;
	(void)out;
	abort();
}
#endif
