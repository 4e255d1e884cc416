/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * What the revocation policy (rules.h: revocation:, revocation-fail:)
 * makes of an inbound signer whose signature and chain passed: asked
 * over OCSP (revq.h) where the policy says so, the store's CRLs where
 * they decide, and a verdict of pass, policy (revoked) or temperror
 * (revocation-fail: hard and nothing known), with the reason for the
 * Authentication-Results comment.
 */
#ifndef REVCHECK_H
#define REVCHECK_H

#include <stddef.h>
#include <stdio.h>

#include "cms.h"
#include "engine.h"

/* The RFC 7281 result for a signer that passed so far; why updated. */
const char *revcheck_signer(struct engine *,
	    const struct cms_signer_result *, char *why, size_t whysz);
enum revcheck_rcpt {
	REVCHECK_PASS,
	REVCHECK_REVOKED,
	REVCHECK_UNKNOWN,	/* revocation-fail: hard, nothing learnt */
	REVCHECK_ASK,		/* in the loop: g->ask set, ask and retry */
	REVCHECK_LOOKUP_DOWN	/* (engine.c) no answer from a lookup */
};
/* A recipient's certificate before encrypting to it (OCSP policies). */
/* en is NULL for a certificate looked up (lookrcpt.h). */
enum revcheck_rcpt revcheck_recipient(struct engine *, const char *rcpt,
	    const struct ks_entry *en, const mbedtls_x509_crt *, int may_ask);
/* In the loop: what was learnt about the certificate of hash. */
void	 revcheck_learnt(struct engine *, const uint8_t [32],
	    const struct revq_reply *);
/* Whether the policy asks OCSP responders (ocsp, ocsp-then-crl). */
int	 revcheck_asks_ocsp(const struct engine *);
/* Whether the chain check takes the store's CRLs under the policy. */
int	 revcheck_uses_crls(const struct engine *);
/* What the policy checks, a line for filter-smime -n. */
void	 revcheck_print(const struct engine *, FILE *);
/* A question answered in this process (the revocation process, pipe
 * mode's parent, or the loop running a message itself). */
void	 revcheck_answer(struct engine *, const struct revq_question *,
	    struct revq_reply *);

#endif /* REVCHECK_H */
