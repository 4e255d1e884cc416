/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Repeatable pseudo-random octets for tests (xorshift64*): the same run
 * gives the same inputs, so a failure can be replayed.  Not for keys.
 */
#ifndef XORSHIFT_H
#define XORSHIFT_H

#include <stddef.h>
#include <stdint.h>

static inline void
xorshift_fill(uint64_t *state, uint8_t *out, size_t len)
{
	uint64_t x = *state;

	while (len-- > 0) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		*out++ = (uint8_t)((x * 0x2545f4914f6cdd1dULL) >> 56);
	}
	*state = x;
}

/* xorshift_fill as an mbedTLS random source: arg is the state. */
static inline int
xorshift_rng(void *state, unsigned char *out, size_t len)
{
	xorshift_fill(state, out, len);
	return 0;
}

#endif
