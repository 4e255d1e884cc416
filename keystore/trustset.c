/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The certificates of a store and the CAs among them that may be
 * believed: the trust anchors (the system bundle, STORE/anchors/) and
 * every CA certificate of the store that chains to one.  What CRLs and
 * OCSP responses fetched from the network are checked against.
 */
#include <string.h>

#include <mbedtls/x509_crt.h>

#include "mbedtls_compat.h"
#include "trustset.h"
#include "x509sig.h"

/* Append a copy of c to list (its raw DER); 0 or -1. */
static int
crt_add(mbedtls_x509_crt *list, const mbedtls_x509_crt *c)
{
	return mbedtls_x509_crt_parse_der(list, c->raw.p, c->raw.len) == 0 ?
	    0 : -1;
}

static int
crt_in(const mbedtls_x509_crt *list, const mbedtls_x509_crt *c)
{
	for (; list != NULL && list->raw.p != NULL; list = list->next)
		if (list->raw.len == c->raw.len &&
		    memcmp(list->raw.p, c->raw.p, c->raw.len) == 0)
			return 1;
	return 0;
}

/* Every certificate of the store: its entries, their chains, anchors. */
void
ks_store_certs(const struct ks_store *s, mbedtls_x509_crt *all)
{
	const mbedtls_x509_crt *c;
	mbedtls_x509_crt one;
	struct ks_error e;
	size_t i;

	for (i = 0; i < s->nentries; i++) {
		mbedtls_x509_crt_init(&one);
		if (ks_load_cert(s, s->entries[i], &one, &e) == 0) {
			(void)ks_load_chain(s, s->entries[i], &one);
			for (c = &one; c != NULL && c->raw.p; c = c->next)
				/* chains share their CAs */
				if (!crt_in(all, c))
					(void)crt_add(all, c);
		}
		mbedtls_x509_crt_free(&one);
	}
	(void)ks_trust_anchors(s, all);
}

/*
 * The certificates a CRL may be signed by: the anchors, then every CA
 * certificate of the store that chains to one (a round for each level).
 */
void
ks_trusted_issuers(const mbedtls_x509_crt *all, const struct ks_store *s,
    const char *bundle, mbedtls_x509_crt *trusted)
{
	const mbedtls_x509_crt *c;
	mbedtls_x509_crt one;
	uint32_t flags;
	int round, added = 1;

	if (bundle != NULL)
		(void)mbedtls_x509_crt_parse_file(trusted, bundle);
	(void)ks_trust_anchors(s, trusted);
	for (round = 0; round < 8 && added; round++) {
		added = 0;
		for (c = all; c != NULL && c->raw.p != NULL; c = c->next) {
			if (!compat_crt_is_ca(c) || crt_in(trusted, c))
				continue;
			mbedtls_x509_crt_init(&one);
			flags = 0;
			if (crt_add(&one, c) == 0 && trusted->raw.p != NULL &&
			    mbedtls_x509_crt_verify(&one, trusted, NULL, NULL,
			    &flags, NULL, NULL) == 0 &&
			    crt_add(trusted, c) == 0)
				added = 1;
			mbedtls_x509_crt_free(&one);
		}
	}
}

/*
 * The issuer of cert among list: named as its issuer, and its key made
 * cert's signature (our reader).  NULL when none.
 */
mbedtls_x509_crt *
ks_issuer_of(mbedtls_x509_crt *list, const mbedtls_x509_crt *cert)
{
	struct x509_signed xs;
	char why[128];

	if (x509_signed_read(cert->raw.p, cert->raw.len, 0, &xs) == -1)
		return NULL;
	for (; list != NULL && list->raw.p != NULL; list = list->next)
		if (list->subject_raw.len == cert->issuer_raw.len &&
		    memcmp(list->subject_raw.p, cert->issuer_raw.p,
		    cert->issuer_raw.len) == 0 &&
		    x509_signed_by(&xs, &list->pk, why, sizeof(why)) == 0)
			return list;
	return NULL;
}
