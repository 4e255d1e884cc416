/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz the harvest packet decoder: what a sandboxed process taken over
 * can send the loop.  What decodes stays inside the input and encodes
 * back to the same octets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harvestpkt.h"

#define CAP	(HARVEST_DER_MAX + 8192)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
inside(const void *p, size_t len, const uint8_t *data, size_t size)
{
	const uint8_t *q = p;

	return q >= data && len <= size && q - data <= (ptrdiff_t)(size - len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char again[CAP];
	struct harvest h;
	size_t i, n;

	if (harvestpkt_decode((const char *)data, size, &h) == -1)
		return 0;
	if (!inside(h.der, h.len, data, size) ||
	    !inside(h.email, strlen(h.email) + 1, data, size) ||
	    !inside(h.caps, strlen(h.caps) + 1, data, size) ||
	    h.nchain > HARVEST_CHAIN)
		abort();
	for (i = 0; i < h.nchain; i++)
		if (h.chainlen[i] == 0 ||
		    !inside(h.chain[i], h.chainlen[i], data, size))
			abort();
	n = harvestpkt_encode(&h, again, sizeof(again));
	/* a chain over the bound is cut when encoded: only then shorter */
	if (n == 0 || n > size)
		abort();
	if (n == size && memcmp(again, data, size) != 0)
		abort();
	return 0;
}
