/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * libFuzzer target for certificate identities (smime/certid.c): each
 * input is taken as a certificate's DER.  Properties checked:
 *	- every address kept is NUL-terminated printable ASCII without
 *	  spaces, at most CERTID_ADDR_LEN octets, at most CERTID_ADDRS_MAX;
 *	- a DN is NUL-terminated within its buffer, and one said to be cut
 *	  fills it;
 *	- CRL distribution point URIs are printable without spaces, unique
 *	  and bounded in length and number.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certid.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
addrs_or_die(const struct certid_addrs *a)
{
	size_t i, j, n;

	if (a->n > CERTID_ADDRS_MAX)
		abort();
	for (i = 0; i < a->n; i++) {
		n = strnlen(a->addr[i], CERTID_ADDR_LEN + 1);
		if (n == 0 || n > CERTID_ADDR_LEN)
			abort();
		for (j = 0; j < n; j++)
			if ((unsigned char)a->addr[i][j] < 0x21 ||
			    (unsigned char)a->addr[i][j] > 0x7e)
				abort();
	}
}

static void
dn_or_die(const uint8_t *der, size_t len, enum certid_name which)
{
	char out[64];
	size_t n;
	int rc;

	memset(out, 'x', sizeof(out));
	rc = certid_dn(der, len, which, out, sizeof(out));
	if (rc == -1)
		return;
	n = strnlen(out, sizeof(out));
	if (n == sizeof(out) || (rc == 1 && n != sizeof(out) - 1))
		abort();
}

/* CRL distribution points: printable, no spaces, unique, bounded */
static void
uris_or_die(const uint8_t *der, size_t len)
{
	static struct certid_uris u;
	size_t i, j, n;

	if (certid_crl_uris(der, len, &u) == -1)
		return;
	if (u.n > CERTID_URIS_MAX)
		abort();
	for (i = 0; i < u.n; i++) {
		n = strnlen(u.uri[i], CERTID_URI_LEN + 1);
		if (n == 0 || n > CERTID_URI_LEN)
			abort();
		for (j = 0; j < n; j++)
			if ((unsigned char)u.uri[i][j] < 0x21 ||
			    (unsigned char)u.uri[i][j] > 0x7e)
				abort();
		for (j = 0; j < i; j++)
			if (strcmp(u.uri[i], u.uri[j]) == 0)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certid_addrs a;
	uint8_t *p;

	/* an exact-size copy: a read past the end is an ASan report */
	if ((p = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(p, data, size);
	if (certid_addrs(p, size, &a) == 0)
		addrs_or_die(&a);
	uris_or_die(p, size);
	dn_or_die(p, size, CERTID_ISSUER);
	dn_or_die(p, size, CERTID_SUBJECT);
	free(p);
	return 0;
}
