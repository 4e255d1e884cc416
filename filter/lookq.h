/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Lookup questions: which certificate does a recipient the store lacks
 * have in the LDAP directory or in DNS (SMIMEA), as rules.yaml's
 * directory: and smimea: sections say?  Asked by the loop for a RCPT
 * TO, and by a worker or pipe mode's child that encrypts; answered by
 * the process that may reach the network (lookfind.h).  A question is
 * one address; an answer is a status, a time it holds until, where it
 * came from, and the certificates (DER) that process found usable.
 * Both kinds carry the question's number at offset 8, as revq.h's do,
 * so the loop can route either kind by it.
 */
#ifndef LOOKQ_H
#define LOOKQ_H

#include <stddef.h>
#include <stdint.h>

#define PKT_LOOKQ	5
#define PKT_LOOKA	6

#define LOOKQ_ADDR_MAX	256
#define LOOKQ_CERTS	4
#define LOOKQ_CERT_MAX	(16 * 1024)

enum lookq_status {
	LOOKQ_FOUND,
	LOOKQ_NONE,		/* answered: nothing usable there */
	LOOKQ_DOWN,		/* no answer: try again later */
	LOOKQ_OFF		/* no source is asked about the address */
};

struct lookq_question {
	uint32_t	 kind;		/* PKT_LOOKQ */
	uint32_t	 pad;
	uint64_t	 qid;
	char		 addr[LOOKQ_ADDR_MAX];
};

struct lookq_answer {
	uint32_t	 kind;		/* PKT_LOOKA */
	int32_t		 status;
	uint64_t	 qid;
	int64_t		 until;
	uint32_t	 n;
	uint32_t	 len[LOOKQ_CERTS];
	char		 addr[LOOKQ_ADDR_MAX];
	char		 source[160];	/* the URI or the SMIMEA name */
	char		 text[160];	/* what happened, for the log */
	/* then the certificates' DER, one after the other */
};

#define LOOKQ_PKT_MAX	(sizeof(struct lookq_answer) + \
	LOOKQ_CERTS * LOOKQ_CERT_MAX)

/* A question for addr: 0, or -1 when addr is not one to ask about. */
int	 lookq_question_set(struct lookq_question *, const char *);
/* A question packet checked: 0, or -1. */
int	 lookq_question_check(const uint8_t *, size_t,
	    struct lookq_question *);
/* An answer packet checked, der[] pointing into buf: 0, or -1. */
int	 lookq_answer_check(const uint8_t *, size_t, struct lookq_answer *,
	    const uint8_t *der[LOOKQ_CERTS]);
/* a's header and the certificates into buf: the length, 0: no room. */
size_t	 lookq_answer_encode(const struct lookq_answer *,
	    const uint8_t *const der[], uint8_t *, size_t);
const char *lookq_status_str(enum lookq_status);

#endif /* LOOKQ_H */
