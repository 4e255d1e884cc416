/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * A model in C of the AArch64 intrinsics smime/sha256_hw.c uses, so that
 * test_sha256_arm can run its ARMv8 path on any machine.  SHA256H,
 * SHA256H2, SHA256SU0 and SHA256SU1 follow the pseudocode of the Arm
 * Architecture Reference Manual (SHA256hash with its ROL(Y:X, 32), the
 * T, T0, T1 of the two schedule updates); the NEON loads, stores, adds
 * and byte reversal are the plain operations, lanes in little-endian
 * order as on AArch64.  Test only: found as <arm_neon.h> through
 * -Iregress/unit/neon, for that one test.
 */
#ifndef NEON_MODEL_H
#define NEON_MODEL_H

#include <stdint.h>
#include <string.h>
typedef struct { uint32_t v[4]; } uint32x4_t;
typedef struct { uint8_t v[16]; } uint8x16_t;
static inline uint32x4_t vld1q_u32(const uint32_t *p) { uint32x4_t r; memcpy(r.v, p, 16); return r; }
static inline void vst1q_u32(uint32_t *p, uint32x4_t a) { memcpy(p, a.v, 16); }
static inline uint8x16_t vld1q_u8(const uint8_t *p) { uint8x16_t r; memcpy(r.v, p, 16); return r; }
static inline uint8x16_t vrev32q_u8(uint8x16_t a) { uint8x16_t r; for (int i = 0; i < 16; i++) r.v[i] = a.v[(i & ~3) + 3 - (i & 3)]; return r; }
static inline uint32x4_t vreinterpretq_u32_u8(uint8x16_t a) { uint32x4_t r; memcpy(r.v, a.v, 16); return r; }
static inline uint32x4_t vaddq_u32(uint32x4_t a, uint32x4_t b) { for (int i = 0; i < 4; i++) a.v[i] += b.v[i]; return a; }
static inline uint32_t ror(uint32_t x, int n) { return x >> n | x << (32 - n); }
static inline uint32x4_t sha256hash(uint32x4_t X, uint32x4_t Y, uint32x4_t W, int part1)
{
	for (int e = 0; e < 4; e++) {
		uint32_t chs = (Y.v[0] & Y.v[1]) ^ (~Y.v[0] & Y.v[2]);
		uint32_t maj = (X.v[0] & X.v[1]) ^ (X.v[0] & X.v[2]) ^ (X.v[1] & X.v[2]);
		uint32_t t = Y.v[3] + (ror(Y.v[0], 6) ^ ror(Y.v[0], 11) ^ ror(Y.v[0], 25)) + chs + W.v[e];
		X.v[3] = t + X.v[3];
		Y.v[3] = t + (ror(X.v[0], 2) ^ ror(X.v[0], 13) ^ ror(X.v[0], 22)) + maj;
		/* <Y, X> = ROL(Y : X, 32) */
		uint32_t x3 = X.v[3], y3 = Y.v[3];
		X.v[3] = X.v[2]; X.v[2] = X.v[1]; X.v[1] = X.v[0]; X.v[0] = y3;
		Y.v[3] = Y.v[2]; Y.v[2] = Y.v[1]; Y.v[1] = Y.v[0]; Y.v[0] = x3;
	}
	return part1 ? X : Y;
}
static inline uint32x4_t vsha256hq_u32(uint32x4_t abcd, uint32x4_t efgh, uint32x4_t wk) { return sha256hash(abcd, efgh, wk, 1); }
static inline uint32x4_t vsha256h2q_u32(uint32x4_t efgh, uint32x4_t abcd, uint32x4_t wk) { return sha256hash(abcd, efgh, wk, 0); }
static inline uint32x4_t vsha256su0q_u32(uint32x4_t w0, uint32x4_t w4)
{
	uint32_t T[4] = { w0.v[1], w0.v[2], w0.v[3], w4.v[0] };
	for (int e = 0; e < 4; e++) w0.v[e] += ror(T[e], 7) ^ ror(T[e], 18) ^ (T[e] >> 3);
	return w0;
}
static inline uint32x4_t vsha256su1q_u32(uint32x4_t tw, uint32x4_t w8, uint32x4_t w12)
{
	uint32_t T0[4] = { w8.v[1], w8.v[2], w8.v[3], w12.v[0] };
	uint32x4_t r;
	for (int e = 0; e < 2; e++) { uint32_t x = w12.v[2 + e]; r.v[e] = (ror(x, 17) ^ ror(x, 19) ^ (x >> 10)) + tw.v[e] + T0[e]; }
	for (int e = 2; e < 4; e++) { uint32_t x = r.v[e - 2]; r.v[e] = (ror(x, 17) ^ ror(x, 19) ^ (x >> 10)) + tw.v[e] + T0[e]; }
	return r;
}

#endif
