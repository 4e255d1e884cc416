/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz the CRL reader (smime/crl.c) that sees what a CRL server sent
 * before anything else does, and the signature algorithm it names
 * (cms_sigalg_md, RSASSA-PSS parameters included).  A CRL taken has
 * every part inside the input and its signed part inside the whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cms.h"
#include "crl.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
inside(const uint8_t *q, size_t len, const uint8_t *data, size_t size)
{
	return q >= data && len <= size && (size_t)(q - data) <= size - len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crl_info ci;
	uint8_t *p;

	if ((p = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(p, data, size);
	if (crl_read(p, size, &ci) == 0) {
		const struct x509_signed *x = &ci.signed_part;

		if (!inside(x->tbs.raw, x->tbs.rawlen, p, size) ||
		    !inside(ci.issuer.raw, ci.issuer.rawlen, x->tbs.raw,
		    x->tbs.rawlen) ||
		    !inside(x->sigalg.raw, x->sigalg.rawlen, p, size) ||
		    (x->siglen && !inside(x->sig, x->siglen, p, size)))
			abort();
		(void)cms_sigalg_md(&x->sigalg);
	}
	free(p);
	return 0;
}
