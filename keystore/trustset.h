/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Whom a fetched CRL or OCSP response may be signed by (trustset.c).
 */
#ifndef TRUSTSET_H
#define TRUSTSET_H

#include <mbedtls/x509_crt.h>

#include "ks.h"

/* Every certificate of the store: its entries, their chains, anchors. */
void	 ks_store_certs(const struct ks_store *, mbedtls_x509_crt *);
/* The anchors (the bundle, if named; the store's) and the CAs of the
 * first list that chain to them. */
void	 ks_trusted_issuers(const mbedtls_x509_crt *, const struct ks_store *,
	    const char *, mbedtls_x509_crt *);
mbedtls_x509_crt *ks_issuer_of(mbedtls_x509_crt *, const mbedtls_x509_crt *);

#endif /* TRUSTSET_H */
