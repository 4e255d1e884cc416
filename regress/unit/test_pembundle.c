/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * PEM bundles (keystore/pembundle.c) against mbedTLS's own reader: the
 * same certificates, in the same order, from the system's CA bundle and
 * from bundles put together here (CRLF, junk between blocks); a block
 * that does not decode or parse is skipped and the others kept; a file
 * without a block is one DER certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/x509_crt.h>

#include "pembundle.h"
#include "unit.h"

#define DATA	"regress/unit/data/"

/* The certificates of a and b: how many, or -1 when they differ. */
static int
same_chain(const mbedtls_x509_crt *a, const mbedtls_x509_crt *b)
{
	int n = 0;

	for (; a != NULL && a->raw.p != NULL; a = a->next, b = b->next, n++)
		if (b == NULL || b->raw.p == NULL || a->raw.len != b->raw.len ||
		    memcmp(a->raw.p, b->raw.p, a->raw.len) != 0)
			return -1;
	return b == NULL || b->raw.p == NULL ? n : -1;
}

/* text parsed both ways: the count when they agree, else -1. */
static int
both_ways(const char *text, size_t len, int *ours)
{
	mbedtls_x509_crt a, b;
	char *z;
	int n;

	mbedtls_x509_crt_init(&a);
	mbedtls_x509_crt_init(&b);
	*ours = ks_pem_certs(text, len, &a);
	/* mbedTLS wants PEM NUL-terminated, the NUL counted */
	if ((z = malloc(len + 1)) == NULL)
		return -1;
	memcpy(z, text, len);
	z[len] = '\0';
	(void)mbedtls_x509_crt_parse(&b, (const unsigned char *)z, len + 1);
	free(z);
	n = same_chain(&a, &b);
	mbedtls_x509_crt_free(&a);
	mbedtls_x509_crt_free(&b);
	return n;
}

/* Is chain's first certificate not the one in file? */
static int
same_first_not(const mbedtls_x509_crt *chain, const char *file)
{
	mbedtls_x509_crt one;
	int differ;

	mbedtls_x509_crt_init(&one);
	differ = mbedtls_x509_crt_parse_file(&one, file) == 0 &&
	    (chain->raw.len != one.raw.len ||
	    memcmp(chain->raw.p, one.raw.p, one.raw.len) != 0);
	mbedtls_x509_crt_free(&one);
	return differ;
}

/* Every LF made CRLF. */
static char *
crlf(const char *s, size_t n, size_t *outlen)
{
	char *o = malloc(2 * n + 1);
	size_t i, k = 0;

	if (o == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			o[k++] = '\r';
		o[k++] = s[i];
	}
	*outlen = k;
	return o;
}

static void
test_system_bundle(void)
{
	static const char *const paths[] = {
		"/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem",
	};
	uint8_t *text = NULL;
	size_t i, len = 0;
	int n, ours;

	for (i = 0; i < 2 && text == NULL; i++)
		text = unit_slurp(paths[i], &len);
	if (text == NULL) {
		printf("ok pembundle-system-bundle # SKIP no system bundle\n");
		return;
	}
	n = both_ways((const char *)text, len, &ours);
	UNIT_OK("pembundle-system-bundle", n > 10 && ours == n);
	free(text);
}

static void
test_made_bundles(void)
{
	static const char *const files[] = {
		DATA "env_rsa.pem", DATA "env_p256.pem", DATA "env_p384.pem",
		DATA "bound/root.pem",
	};
	char *bundle, *c, *bad, *p;
	uint8_t *one;
	size_t i, len, n = 0, cap = 1 << 16, clen;
	int ours, k;
	mbedtls_x509_crt der;

	if ((bundle = malloc(cap)) == NULL)
		return;
	for (i = 0; i < 4; i++) {
		if ((one = unit_slurp(files[i], &len)) == NULL ||
		    n + len + 64 > cap) {
			UNIT_FAIL("pembundle-data", "%s", files[i]);
			free(one);
			free(bundle);
			return;
		}
		/* junk and blank lines between blocks, as in real bundles */
		n += (size_t)snprintf(bundle + n, cap - n, "# cert %zu\n\n", i);
		memcpy(bundle + n, one, len);
		n += len;
		free(one);
	}
	k = both_ways(bundle, n, &ours);
	UNIT_OK("pembundle-as-mbedtls", k == 4 && ours == 4);
	if ((c = crlf(bundle, n, &clen)) != NULL) {
		k = both_ways(c, clen, &ours);
		UNIT_OK("pembundle-crlf-as-mbedtls", k == 4 && ours == 4);
		free(c);
	}
	/* the second block's base64 broken, the third's DER broken */
	if ((bad = malloc(n)) == NULL)
		return;
	memcpy(bad, bundle, n);
	p = bad;
	for (i = 0; i < 2; i++)
		p = strstr(p, "-----BEGIN CERTIFICATE-----") + 30;
	p[10] = '!';
	p = strstr(p, "-----BEGIN CERTIFICATE-----") + 28;
	memcpy(p, "AAAA", 4);
	mbedtls_x509_crt_init(&der);
	ours = ks_pem_certs(bad, n, &der);
	UNIT_OK("pembundle-bad-blocks-skipped", ours == 2 &&
	    der.next != NULL && der.next->next == NULL);
	mbedtls_x509_crt_free(&der);
	/* cut inside the last block: it has no end, the rest stand */
	mbedtls_x509_crt_init(&der);
	UNIT_OK("pembundle-truncated", ks_pem_certs(bundle, n - 40, &der) ==
	    3);
	mbedtls_x509_crt_free(&der);
	/* a block whose base64 is whole but followed by junk: not read */
	mbedtls_x509_crt_init(&der);
	p = strstr(bundle, "-----END CERTIFICATE-----");
	memmove(p + 1, p, (size_t)(bundle + n - p) - 1);
	*p = '*';
	UNIT_OK("pembundle-junk-after-base64", ks_pem_certs(bundle, n, &der) ==
	    3 && same_first_not(&der, files[0]));
	mbedtls_x509_crt_free(&der);
	free(bad);
	free(bundle);
}

static void
test_der_and_files(void)
{
	mbedtls_x509_crt a, b;
	uint8_t *pem;
	size_t len;

	/* a file without a block: one DER certificate, as mbedTLS reads it */
	mbedtls_x509_crt_init(&a);
	mbedtls_x509_crt_init(&b);
	if ((pem = unit_slurp(DATA "env_rsa.pem", &len)) == NULL ||
	    ks_pem_certs((const char *)pem, len, &a) != 1) {
		UNIT_FAIL("pembundle-der", "setup");
		free(pem);
		return;
	}
	UNIT_OK("pembundle-der-file", ks_pem_certs((const char *)a.raw.p,
	    a.raw.len, &b) == 1 && same_chain(&a, &b) == 1);
	UNIT_OK("pembundle-nothing", ks_pem_certs("no certificate here", 19,
	    &b) == 0);
	UNIT_OK("pembundle-file", ks_pem_bundle(DATA "env_p256.pem", &b) ==
	    1);
	UNIT_OK("pembundle-no-file", ks_pem_bundle(DATA "no-such.pem", &b) ==
	    -1);
	UNIT_OK("pembundle-empty-file", ks_pem_bundle("/dev/null", &b) == 0);
	mbedtls_x509_crt_free(&a);
	mbedtls_x509_crt_free(&b);
	free(pem);
}

int
main(void)
{
	test_system_bundle();
	test_made_bundles();
	test_der_and_files();
	UNIT_EXIT();
}
