/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * smimectl crl fetch: the CRLs that the store's certificates name in
 * their CRL distribution points, fetched over HTTP, their signatures
 * checked against an issuer that chains to a trust anchor, and kept in
 * STORE/crls/ where the filter loads them (fetched-HASH.der, one file
 * per distribution point, replaced only by a CRL at least as new).
 *
 * Each fetch runs in a child of its own (fetch.h) that holds only the
 * public issuer certificates: it connects, enters the sandbox (no file
 * opened, no new socket), then reads and parses what the server sent.
 * The parent takes back only a CRL whose signature it checks again
 * with our own DER reader before mbedTLS parses it.
 */
#ifndef CRLFETCH_H
#define CRLFETCH_H

#include <stddef.h>
#include <time.h>

#include "ks.h"

#define CRLFETCH_POINTS_MAX	256	/* distribution points a run */
#define CRLFETCH_REDIRECTS	3

struct crlfetch_opts {
	int		 timeout;	/* seconds, a distribution point */
	size_t		 max_size;	/* octets, a response */
	const char	*ca_bundle;	/* the system's anchors, or NULL */
	time_t		 now;
};

struct crlfetch_tally {
	size_t		 points;
	size_t		 updated;
	size_t		 unchanged;
	size_t		 failed;	/* not fetched: retry later */
	size_t		 refused;	/* fetched, not taken */
	size_t		 stale;		/* taken, past its nextUpdate */
	size_t		 skipped;	/* not http:// (ldap://, ...) */
};

/* Told for each distribution point that was not simply updated. */
typedef void	(*crlfetch_report_fn)(const char *, const char *);

int	 ks_crl_fetch(const struct ks_store *, const struct crlfetch_opts *,
	    struct crlfetch_tally *, crlfetch_report_fn);

#endif /* CRLFETCH_H */
