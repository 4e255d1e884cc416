/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz the OCSP response reader (smime/ocsp.c): what a responder sends
 * before anything else looks at it.  The CertID looked for is the one
 * of the seed corpus's "good" certificate (regress/unit/data/ocsp), so
 * mutations reach the SingleResponse reader.  A response taken has its
 * parts inside the input; an answer found has a status and times.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cms.h"
#include "ocsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct ocsp_certid good = {
	{ 0x3b, 0xb6, 0xd6, 0x31, 0xf1, 0x01, 0xd9, 0xf4, 0x16, 0xc5,
	  0xcd, 0x07, 0x29, 0xf8, 0xfc, 0x58, 0x5c, 0x5f, 0x3a, 0x14 },
	{ 0xf4, 0xe1, 0xf1, 0x88, 0x7d, 0x3f, 0x2e, 0x79, 0x6d, 0x11,
	  0xd0, 0xd0, 0x07, 0xee, 0x14, 0xdb, 0x9d, 0x3f, 0x20, 0x7d },
	{ 0x10, 0x00 }, 2
};

static int
inside(const uint8_t *q, size_t len, const uint8_t *data, size_t size)
{
	return q >= data && len <= size && (size_t)(q - data) <= size - len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocsp_response r;
	struct ocsp_single s;
	uint8_t *p;

	if ((p = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(p, data, size);
	if (ocsp_response_read(p, size, &r) == 0 && r.status == 0) {
		if (!inside(r.basic.tbs.raw, r.basic.tbs.rawlen, p, size) ||
		    !inside(r.responses.raw, r.responses.rawlen, p, size) ||
		    (r.nonce && !inside(r.nonce, r.noncelen, p, size)) ||
		    (r.basic.have_rest && !inside(r.basic.rest.raw,
		    r.basic.rest.rawlen, p, size)))
			abort();
		(void)cms_sigalg_md(&r.basic.sigalg);
		if (ocsp_single_find(&r, &good, &s) == 0 &&
		    (s.status > OCSP_UNKNOWN ||
		    (s.status != OCSP_REVOKED && s.revoked_at != 0)))
			abort();
	}
	free(p);
	return 0;
}
