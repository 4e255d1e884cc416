/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz the key process's decoder: what a compromised worker can send.
 * A message that decodes must encode back to the same octets and decode
 * the same again, and a grant's strings must stay inside it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keymsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t again[KM_MAX];
	struct km_msg m, m2;
	const char *s;
	size_t n, off = 0, k = 0;

	if (size > KM_MAX || km_decode(data, size, &m) == -1)
		return 0;
	if (m.type == KM_GRANT) {
		while ((s = km_grant_next(&m, &off)) != NULL) {
			if ((const uint8_t *)s + strlen(s) >= m.d1 + m.l1)
				abort();
			k++;
		}
		if (k != (size_t)m.count + 1)
			abort();
	}
	n = km_encode(&m, again, sizeof(again));
	if (n != size || km_decode(again, n, &m2) == -1 ||
	    m2.type != m.type || m2.l1 != m.l1 || m2.l2 != m.l2 ||
	    memcmp(m2.d1, m.d1, m.l1) != 0 || memcmp(m2.fpr, m.fpr,
	    sizeof(m.fpr)) != 0)
		abort();
	return 0;
}
