/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * libFuzzer target for the RFC 5322 address parser (smime/addr.c): each
 * input is a From: field body.  Properties checked:
 *	- the result is ADDR_OK or one of the ADDR_E_* codes;
 *	- every mailbox kept is a NUL-terminated addr-spec with its "@" at
 *	  the offset given, no control (but HT) or 8-bit octet, and a
 *	  lowercase domain;
 *	- parsing a prefix never reads past it (ASan sees to that, since the
 *	  input is copied to a buffer of exactly that size).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const struct addr_list *l)
{
	const struct addr_mailbox *mb;
	size_t i, j, n;

	for (i = 0; i < l->count && i < ADDR_MAX; i++) {
		mb = &l->mb[i];
		n = strlen(mb->spec);
		if (n == 0 || n > ADDR_SPEC_MAX || mb->at == 0 ||
		    mb->at >= n - 1 || mb->spec[mb->at] != '@')
			abort();
		for (j = 0; j < n; j++) {
			unsigned char c = (unsigned char)mb->spec[j];

			/* HT stays only quoted, as a quoted-pair or FWS */
			if ((c < 0x20 && c != '\t') || c >= 0x7f)
				abort();
			if (j > mb->at && c >= 'A' && c <= 'Z')
				abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_list l;
	char *p;
	int rc;

	if ((p = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(p, data, size);
	rc = addr_parse_mailboxes(p, size, &l);
	if (rc > ADDR_OK || rc < ADDR_E_GROUP)
		abort();
	if (rc == ADDR_OK)
		check(&l);
	(void)addr_strerror(rc);
	free(p);
	return 0;
}
