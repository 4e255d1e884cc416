/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * libFuzzer target for the PKCS#12 reader.  Each input is read as a PFX
 * with the corpus password "test" (leaf and chain ordering on success)
 * and as an encrypted PKCS#8 key.  Iterations are capped very low so
 * that the corpus files (made with -iter 1) get through the MAC and the
 * decryption quickly; files with more iterations stop at the limit.
 * The seeds without a MAC (-nomac) let mutations reach the bags.
 */
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/pk.h>

#include "pfx.h"

#define FUZZ_MAX_ITERATIONS	4

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pfx_contents c;
	mbedtls_pk_context pk;
	char		 err[160];
	enum pfx_err	 rc;

	rc = pfx_parse_ex(data, size, "test", FUZZ_MAX_ITERATIONS, &c, err,
	    sizeof(err));
	(void)pfx_strerror(rc);
	if (rc == PFX_OK) {
		(void)pfx_order_chain(&c, err, sizeof(err));
		pfx_contents_free(&c);
	}
	mbedtls_pk_init(&pk);
	(void)pfx_pkcs8_decrypt(data, size, "test", FUZZ_MAX_ITERATIONS, &pk,
	    err, sizeof(err));
	mbedtls_pk_free(&pk);
	return 0;
}
