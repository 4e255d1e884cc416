/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The certificates of a PEM text, such as the system's CA bundle, added
 * to a chain.  Each "-----BEGIN CERTIFICATE-----" block is decoded with
 * our base64 decoder and parsed as DER.  mbedTLS's own PEM reader
 * decodes with a constant-time base64 decoder, made for secrets: for the
 * 144 public certificates of Debian's bundle that is 50M instructions,
 * paid by every pipe-mode process that verifies and every worker that
 * starts.  A block that does not decode or parse is skipped, and a text
 * without a single block is taken as one DER certificate, as
 * mbedtls_x509_crt_parse does.
 */
#define _GNU_SOURCE	/* memmem(3) in glibc */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ks.h"
#include "mime.h"
#include "pembundle.h"

#define PEM_BEGIN	"-----BEGIN CERTIFICATE-----"
#define PEM_END		"-----END CERTIFICATE-----"

/*
 * Certificates found in text[0..len) added to chain: how many, or -1
 * when memory ran out.
 */
int
ks_pem_certs(const char *text, size_t len, mbedtls_x509_crt *chain)
{
	const char *p = text, *end = text + len, *b, *e;
	struct mime_buf der;
	int n = 0, rc;

	if (memmem(text, len, PEM_BEGIN, sizeof(PEM_BEGIN) - 1) == NULL)
		return mbedtls_x509_crt_parse_der(chain,
		    (const unsigned char *)text, len) == 0 ? 1 : 0;
	mime_buf_init(&der, 0);
	while ((b = memmem(p, (size_t)(end - p), PEM_BEGIN,
	    sizeof(PEM_BEGIN) - 1)) != NULL) {
		b += sizeof(PEM_BEGIN) - 1;
		if ((e = memmem(b, (size_t)(end - b), PEM_END,
		    sizeof(PEM_END) - 1)) == NULL)
			break;
		p = e + sizeof(PEM_END) - 1;
		der.len = 0;
		if ((rc = mime_b64_decode(b, (size_t)(e - b), &der)) ==
		    MIME_E_NOMEM) {
			n = -1;
			break;
		}
		/* a block with anything but base64 in it is not read at all */
		if (rc == MIME_OK && der.len > 0 &&
		    mbedtls_x509_crt_parse_der(chain,
		    (const unsigned char *)der.data, der.len) == 0)
			n++;
	}
	mime_buf_clear(&der);
	return n;
}

/* The certificates of the bundle file at path: how many, or -1. */
int
ks_pem_bundle(const char *path, mbedtls_x509_crt *chain)
{
	uint8_t *text;
	size_t len;
	int n;

	if (ks_read_file(path, &text, &len, KS_PEM_BUNDLE_MAX) == -1)
		return -1;
	n = ks_pem_certs((const char *)text, len, chain);
	free(text);
	return n;
}
