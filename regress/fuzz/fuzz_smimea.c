/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz SMIMEA RDATA (smime/smimea.c) as a DNS answer could carry it:
 * a record taken has its data inside the input, a hash of its type's
 * length; matching it against the input itself as a certificate walks
 * the certificate reader too; the input as a local-part gives an owner
 * name of 56 hex digits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smimea.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smimea s;
	char owner[SMIMEA_OWNER_MAX];
	size_t i;

	if (smimea_rdata_read(data, size, &s) == 0) {
		if (s.data != data + 3 || s.len != size - 3 ||
		    (s.mtype == 1 && s.len != 32) ||
		    (s.mtype == 2 && s.len != 64) || s.selector > 1)
			abort();
		(void)smimea_matches(&s, data, size);
		(void)smimea_has_cert(&s);
	}
	if (smimea_owner((const char *)data, size, "example.org", owner,
	    sizeof(owner)) != 0 ||
	    strcmp(owner + 56, "._smimecert.example.org") != 0)
		abort();
	for (i = 0; i < 56; i++)
		if (strchr("0123456789abcdef", owner[i]) == NULL)
			abort();
	return 0;
}
