/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The answers to lookup questions (lookq.h) a process keeps: the loop
 * until each answer's time (rules.yaml's cache-ttl and negative-ttl),
 * so one RCPT TO's answer serves its message and the next ones; a
 * worker for the message it encrypts.  Nothing here is written to the
 * store.  An entry holds the first certificate of a found answer,
 * parsed.  Every answer is kept at least LOOKMEM_MIN seconds: a RCPT
 * TO asked again after its answer came must find it.
 */
#ifndef LOOKMEM_H
#define LOOKMEM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mbedtls/x509_crt.h>

#include "lookq.h"

#define LOOKMEM_MAX	256
#define LOOKMEM_MIN	10	/* seconds */

struct lookmem_entry {
	char			 addr[LOOKQ_ADDR_MAX];	/* lowercased */
	time_t			 until;
	enum lookq_status	 status;
	char			 source[160];
	char			 text[160];
	mbedtls_x509_crt	 crt;			/* found: the one */
};

struct lookmem {
	struct lookmem_entry	 e[LOOKMEM_MAX];
};

struct lookmem *lookmem_new(void);
void	 lookmem_free(struct lookmem *);
/* What is kept about addr and still current, or NULL. */
const struct lookmem_entry *lookmem_get(struct lookmem *, const char *,
	    time_t);
/* A checked answer packet kept (over the soonest to go): 0 or -1. */
int	 lookmem_put(struct lookmem *, const uint8_t *, size_t);
/* What is kept about addr as an answer packet for question qid into
 * buf: its length, or 0 when nothing current is kept. */
size_t	 lookmem_recall(struct lookmem *, const char *, uint64_t, uint8_t *,
	    size_t);

#endif /* LOOKMEM_H */
