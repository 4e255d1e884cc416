/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * smimectl ocsp fetch: for each current certificate of the store whose
 * issuer the store can believe (trustset.h) and which names an OCSP
 * responder (authorityInfoAccess), ask the responder (RFC 6960, POST,
 * with a nonce unless told not to) in a sandboxed child (fetch.h),
 * check the answer there and again here, and keep it in
 * STORE/ocsp/FINGERPRINT.der, replaced only by one at least as new.
 * The filter reads those answers: a recipient whose certificate is
 * revoked gets no mail encrypted to it.
 */
#ifndef OCSPFETCH_H
#define OCSPFETCH_H

#include <stddef.h>
#include <time.h>

#include "ks.h"

struct ocspfetch_opts {
	int		 timeout;	/* seconds, a certificate */
	int		 nonce;		/* ask with one */
	const char	*ca_bundle;
	time_t		 now;
};

struct ocspfetch_tally {
	size_t		 certs;		/* asked about */
	size_t		 good;
	size_t		 revoked;
	size_t		 unknown;
	size_t		 failed;	/* not answered: retry later */
	size_t		 refused;	/* answered, not believed */
	size_t		 no_responder;	/* names none, or no issuer known */
};

/* Told for each certificate whose answer is not simply good. */
typedef void	(*ocspfetch_report_fn)(const char *, const char *,
		    const char *);

int	 ks_ocsp_fetch(const struct ks_store *, const struct ocspfetch_opts *,
	    struct ocspfetch_tally *, ocspfetch_report_fn);

#endif /* OCSPFETCH_H */
