/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Arithmetic modulo an odd m in Montgomery form, in constant time, for
 * ecfix.c (P-256, P-384) and rsafix.c (the primes and moduli of RSA).
 *
 * A number is n little-endian 64-bit limbs; in Montgomery form it is
 * a R mod m with R = 2^(64n).  Products are reduced word by word (CIOS)
 * and every result below m is reached by one subtraction kept or
 * dropped by a mask: nothing here branches on a value or reads an
 * address that depends on one.
 *
 * Every function is inline and takes n as an argument, so that a
 * caller passing a constant gets a copy whose loops the compiler
 * unrolls.  The includer defines MONT_MAX, its largest n, which sizes
 * the temporaries.  Needs 128-bit integers (__SIZEOF_INT128__).
 */
#ifndef MONT_H
#define MONT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef MONT_MAX
#error "define MONT_MAX, the most limbs a number has, before mont.h"
#endif

#define MONT_INLINE	static inline __attribute__((always_inline))

typedef unsigned __int128 mont_u128;

/* all ones when v != 0, else 0 */
MONT_INLINE uint64_t
mont_mask_nz(uint64_t v)
{
	return (uint64_t)0 - ((v | ((uint64_t)0 - v)) >> 63);
}

/* -1/m0 mod 2^64 for odd m0 (Newton: 3, 6, 12, 24, 48, 96 bits) */
MONT_INLINE uint64_t
mont_inv64(uint64_t m0)
{
	uint64_t inv = m0;
	int i;

	for (i = 0; i < 5; i++)
		inv *= 2 - m0 * inv;
	return (uint64_t)0 - inv;
}

/* len big-endian octets as n little-endian limbs (len <= 8 n) */
MONT_INLINE void
mont_be_limbs(const uint8_t *b, size_t len, uint64_t *v, size_t n)
{
	size_t i;

	memset(v, 0, n * sizeof(uint64_t));
	for (i = 0; i < len; i++)
		v[i / 8] |= (uint64_t)b[len - 1 - i] << (8 * (i % 8));
}

/* r = t - m when hi:t >= m, else t; hi:t < 2m */
MONT_INLINE void
mont_reduce_once(const uint64_t *m, size_t n, uint64_t *r,
    const uint64_t *t, uint64_t hi)
{
	uint64_t s[MONT_MAX], borrow = 0, keep;
	size_t i;
	mont_u128 d;

#pragma GCC unroll 6
	for (i = 0; i < n; i++) {
		d = (mont_u128)t[i] - m[i] - borrow;
		s[i] = (uint64_t)d;
		borrow = (uint64_t)(d >> 64) & 1;
	}
	keep = mont_mask_nz(hi | (borrow ^ 1));
#pragma GCC unroll 6
	for (i = 0; i < n; i++)
		r[i] = (s[i] & keep) | (t[i] & ~keep);
}

/* r = a + b mod m, for a, b < m */
MONT_INLINE void
mont_add(const uint64_t *m, size_t n, uint64_t *r, const uint64_t *a,
    const uint64_t *b)
{
	uint64_t t[MONT_MAX], carry = 0;
	size_t i;
	mont_u128 s;

#pragma GCC unroll 6
	for (i = 0; i < n; i++) {
		s = (mont_u128)a[i] + b[i] + carry;
		t[i] = (uint64_t)s;
		carry = (uint64_t)(s >> 64);
	}
	mont_reduce_once(m, n, r, t, carry);
}

/* r = a - b mod m, for a, b < m */
MONT_INLINE void
mont_sub(const uint64_t *m, size_t n, uint64_t *r, const uint64_t *a,
    const uint64_t *b)
{
	uint64_t t[MONT_MAX], borrow = 0, back, carry = 0;
	size_t i;
	mont_u128 d;

#pragma GCC unroll 6
	for (i = 0; i < n; i++) {
		d = (mont_u128)a[i] - b[i] - borrow;
		t[i] = (uint64_t)d;
		borrow = (uint64_t)(d >> 64) & 1;
	}
	back = (uint64_t)0 - borrow;	/* went below 0: add m back */
#pragma GCC unroll 6
	for (i = 0; i < n; i++) {
		d = (mont_u128)t[i] + (m[i] & back) + carry;
		r[i] = (uint64_t)d;
		carry = (uint64_t)(d >> 64);
	}
}

/* r = a b / R mod m, for a, b < m; inv = -1/m mod 2^64 */
MONT_INLINE void
mont_mul(const uint64_t *m, uint64_t inv, size_t n, uint64_t *r,
    const uint64_t *a, const uint64_t *b)
{
	uint64_t t[MONT_MAX + 2], c, q;
	size_t i, j;
	mont_u128 acc;

	memset(t, 0, (n + 2) * sizeof(uint64_t));
#pragma GCC unroll 6
	for (i = 0; i < n; i++) {
		c = 0;
#pragma GCC unroll 6
		for (j = 0; j < n; j++) {
			acc = (mont_u128)a[j] * b[i] + t[j] + c;
			t[j] = (uint64_t)acc;
			c = (uint64_t)(acc >> 64);
		}
		acc = (mont_u128)t[n] + c;
		t[n] = (uint64_t)acc;
		t[n + 1] = (uint64_t)(acc >> 64);

		q = t[0] * inv;
		acc = (mont_u128)q * m[0] + t[0];
		c = (uint64_t)(acc >> 64);
#pragma GCC unroll 6
		for (j = 1; j < n; j++) {
			acc = (mont_u128)q * m[j] + t[j] + c;
			t[j - 1] = (uint64_t)acc;
			c = (uint64_t)(acc >> 64);
		}
		acc = (mont_u128)t[n] + c;
		t[n - 1] = (uint64_t)acc;
		t[n] = t[n + 1] + (uint64_t)(acc >> 64);
	}
	mont_reduce_once(m, n, r, t, t[n]);
}

#endif
