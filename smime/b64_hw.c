/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Base64 with SSSE3 (see b64_hw.h).  Each step takes twelve octets,
 * four groups of three, from a 16-octet load: a shuffle puts the octets
 * of a group where two 16-bit multiplications move its four 6-bit
 * values into four octets, and a 16-entry table (one more shuffle)
 * gives each value the offset from it to its character.
 */
#include <stddef.h>

#include "b64_hw.h"
#include "hwcap.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <cpuid.h>
#include <immintrin.h>

#define B64_HW_TARGET	__attribute__((target("ssse3")))

/* Sixteen characters for the first twelve octets at p. */
B64_HW_TARGET static __m128i
b64_step(const unsigned char *p)
{
	__m128i in, lo, hi, idx, sel, less;

	in = _mm_loadu_si128((const __m128i *)(const void *)p);
	/* each group's octets a b c as b a c b: one 32-bit lane a group */
	in = _mm_shuffle_epi8(in, _mm_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4,
	    7, 6, 8, 7, 10, 9, 11, 10));
	/* a>>2 into octet 0, (b&15)<<2|c>>6 into octet 2 */
	lo = _mm_mulhi_epu16(_mm_and_si128(in, _mm_set1_epi32(0x0fc0fc00)),
	    _mm_set1_epi32(0x04000040));
	/* (a&3)<<4|b>>4 into octet 1, c&63 into octet 3 */
	hi = _mm_mullo_epi16(_mm_and_si128(in, _mm_set1_epi32(0x003f03f0)),
	    _mm_set1_epi32(0x01000010));
	idx = _mm_or_si128(lo, hi);
	/*
	 * Which offset: values 0-25 take entry 13 ('A'), 26-51 entry 0
	 * ('a' - 26), 52-61 entries 1-10 ('0' - 52), 62 entry 11, 63
	 * entry 12.
	 */
	sel = _mm_subs_epu8(idx, _mm_set1_epi8(51));
	less = _mm_cmpgt_epi8(_mm_set1_epi8(26), idx);
	sel = _mm_or_si128(sel, _mm_and_si128(less, _mm_set1_epi8(13)));
	return _mm_add_epi8(idx, _mm_shuffle_epi8(_mm_setr_epi8(
	    'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
	    '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62,
	    '/' - 63, 'A', 0, 0), sel));
}

B64_HW_TARGET void
b64_hw_48(char *d, const unsigned char *p)
{
	int s;

	for (s = 0; s < 4; s++)
		_mm_storeu_si128((__m128i *)(void *)(d + 16 * s),
		    b64_step(p + 12 * s));
}

const char *
b64_hw_engine(void)
{
	static int have = -1;	/* CPUID once: in a VM it traps */
	unsigned int a, b, c, d;

	/* leaf 1: SSSE3 ECX 9, SSE2 EDX 26 */
	if (have == -1)
		have = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 9)) &&
		    (d & (1u << 26));
	return have ? "ssse3" : NULL;
}

#else

const char *
b64_hw_engine(void)
{
	return NULL;
}

void
b64_hw_48(char *d, const unsigned char *p)
{
	(void)d;
	(void)p;
}

#endif

int
b64_hw_available(void)
{
	return !hwcap_off() && b64_hw_engine() != NULL;
}
