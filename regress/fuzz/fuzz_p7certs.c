/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz directory values and certificate files (smime/p7certs.c): what
 * is taken lies inside the input, is a SEQUENCE, and at most
 * P7CERTS_MAX of them; each is then parsed as mbedTLS would be asked to.
 */
#include <stdint.h>
#include <stdlib.h>

#include <mbedtls/x509_crt.h>

#include "p7certs.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mbedtls_x509_crt c;
	struct p7certs pc;
	size_t i;

	if (p7certs_read(data, size, &pc) == -1)
		return 0;
	if (pc.n == 0 || pc.n > P7CERTS_MAX)
		abort();
	for (i = 0; i < pc.n; i++) {
		if (pc.der[i] < data || pc.len[i] == 0 ||
		    pc.der[i] + pc.len[i] > data + size || pc.der[i][0] != 0x30)
			abort();
		mbedtls_x509_crt_init(&c);
		(void)mbedtls_x509_crt_parse_der(&c, pc.der[i], pc.len[i]);
		mbedtls_x509_crt_free(&c);
	}
	return 0;
}
