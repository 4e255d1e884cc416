/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz the inbound path: arbitrary bytes as a message, the MIME walk to
 * the signed part, base64, CMS parsing and verification.
 */
#include <stdint.h>
#include <string.h>

#include "smime.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cms_verify v;
	struct cms_error e;
	struct cms_trust t;

	memset(&t, 0, sizeof(t));
	t.at = 1800000000;
	memset(&v, 0, sizeof(v));
	if (smime_verify((const char *)data, size, &t, &v, &e) == 0)
		smime_verify_free(&v);
	return 0;
}
