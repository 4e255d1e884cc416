/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Revocation questions: is this signer's certificate revoked?  A process
 * that verified a signature (a worker, pipe mode's child) may not reach
 * the network, so it asks one that may (the revocation process of
 * revproc.c; pipe mode's parent), which asks the OCSP responder the
 * certificate names (keystore/ocspask.h) and keeps the answer until its
 * nextUpdate.  The asking process may have been taken over by what it
 * parsed: the answering side asks only about a certificate that chains
 * to the trust anchors, and only the responder that certificate's CA
 * wrote into it, so a forged question cannot make the gateway talk to
 * an address of the sender's choosing.
 */
#ifndef REVQ_H
#define REVQ_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mbedtls/x509_crt.h>

#define REVQ_CERTS_MAX	8		/* the signer and its issuers */
#define REVQ_PKT_MAX	(64 * 1024)
#define REVQ_CACHE	1024		/* answers kept */
#define REVQ_DOWN	32		/* responders remembered as down */
#define REVQ_DOWN_FOR	60		/* seconds one is not asked again */
#define REVQ_NO_NEXT	3600		/* an answer without nextUpdate */
#define REVQ_KEEP_MAX	(7 * 86400)	/* no answer is kept longer */

enum revq_status {
	REVQ_GOOD,
	REVQ_REVOKED,
	REVQ_UNKNOWN,		/* the responder does not know it */
	REVQ_UNANSWERED,	/* no answer: unreachable, slow, down */
	REVQ_REFUSED,		/* an answer not believed */
	REVQ_NO_RESPONDER,	/* the certificate names none */
	REVQ_UNTRUSTED		/* not asked: no chain to an anchor */
};

struct revq_question {
	uint64_t	 qid;
	int		 timeout;		/* seconds */
	int		 nonce;
	const uint8_t	*cert[REVQ_CERTS_MAX];	/* [0] the signer's */
	size_t		 len[REVQ_CERTS_MAX];
	size_t		 n;
};

struct revq_reply {
	uint32_t	 kind;		/* PKT_REVA */
	int32_t		 status;
	uint64_t	 qid;
	int64_t		 revoked_at;
	int64_t		 until;		/* the answer holds till then */
	char		 text[160];	/* what happened, for the log */
};

/* The packet for q into buf: its length, or 0 when it does not fit. */
size_t	 revq_encode(const struct revq_question *, uint8_t *, size_t);
/* A packet (pointing into buf) back into q: 0, or -1 when malformed. */
int	 revq_decode(const uint8_t *, size_t, struct revq_question *);
/* A reply packet checked: 0, or -1 when it is not one. */
int	 revq_reply_check(const uint8_t *, size_t, struct revq_reply *);
const char *revq_status_str(enum revq_status);

/* The answering side's memory: answers, and responders that are down. */
struct revq_cached {
	uint8_t		 hash[32];	/* SHA-256 of the certificate */
	time_t		 until;
	int32_t		 status;
	int64_t		 revoked_at;
	char		 text[96];
};

struct revq_down {
	char		 url[128];	/* as much of it as fits */
	time_t		 until;
	time_t		 since;
};

struct revq_server {
	struct revq_cached	 cache[REVQ_CACHE];
	struct revq_down	 down[REVQ_DOWN];
	unsigned long		 asked;		/* questions sent out */
};

/* SHA-256 of a certificate, what answers are kept under: 0 or -1. */
int	 revq_hash(const uint8_t *, size_t, uint8_t [32]);
/* What is kept about hash and current: 0 and r, or -1. */
int	 revq_recall(struct revq_server *, const uint8_t [32], time_t,
	    struct revq_reply *);
/* Keep r about hash until r->until. */
void	 revq_remember(struct revq_server *, const uint8_t [32],
	    const struct revq_reply *);

/* Answer q, asking the responder when nothing current is kept. */
void	 revq_answer(struct revq_server *, const mbedtls_x509_crt *anchors,
	    const struct revq_question *, struct revq_reply *);

#endif /* REVQ_H */
