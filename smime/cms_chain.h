/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The signer's certificate chain, with bounded work: the path is chosen
 * by names before any signature is checked, its cost in public-key
 * operations is counted against the message's budget, and only then
 * does mbedTLS verify it.
 */
#ifndef CMS_CHAIN_H
#define CMS_CHAIN_H

#include "cms.h"

/* 0 and n taken from the budget, or -1 when it does not hold n. */
int	 cms_budget_take(struct cms_budget *, unsigned);

/*
 * Check the chain from signer (one of certs[0..n-1]) to an anchor of t,
 * using at most lim->chain message certificates.  The status says the
 * first real cause: chain too long, budget, a bad signature, unknown
 * CA, validity, revocation; why gets the details.
 */
enum cms_vstatus cms_chain_check(mbedtls_x509_crt *, mbedtls_x509_crt *,
	    size_t, const struct cms_trust *, const struct cms_limits *,
	    struct cms_budget *, char *, size_t);

/*
 * The same, and which of certs[] the path took above the signer, lowest
 * first (used->n is 0 when no path was built): what another process
 * needs to check the chain again.
 */
struct cms_chain_used {
	size_t		 idx[CMS_MAX_CHAIN];
	size_t		 n;
};
enum cms_vstatus cms_chain_check_used(mbedtls_x509_crt *, mbedtls_x509_crt *,
	    size_t, const struct cms_trust *, const struct cms_limits *,
	    struct cms_budget *, char *, size_t, struct cms_chain_used *);

#endif /* CMS_CHAIN_H */
