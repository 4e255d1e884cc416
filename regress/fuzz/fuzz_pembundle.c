/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz PEM bundles (keystore/pembundle.c): any text is read without a
 * fault, and the count returned is the number of certificates that were
 * added to the chain, each a whole parsed certificate.
 */
#include <stdint.h>
#include <stdlib.h>

#include <mbedtls/x509_crt.h>

#include "pembundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mbedtls_x509_crt chain;
	const mbedtls_x509_crt *c;
	int n, k = 0;

	mbedtls_x509_crt_init(&chain);
	n = ks_pem_certs((const char *)data, size, &chain);
	for (c = &chain; c != NULL && c->raw.p != NULL; c = c->next) {
		if (c->raw.len == 0 || c->raw.p[0] != 0x30)
			abort();
		k++;
	}
	if (n != -1 && n != k)
		abort();
	mbedtls_x509_crt_free(&chain);
	return 0;
}
