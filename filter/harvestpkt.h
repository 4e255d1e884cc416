/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * A harvested certificate on its way from a sandboxed process (a worker,
 * pipe mode's child) to the one that checks it again and writes it.
 */
#ifndef HARVESTPKT_H
#define HARVESTPKT_H

#include <stddef.h>
#include <stdint.h>

#define PKT_RESULT	1	/* a job's result (worker.c) */
#define PKT_HARVEST	2
#define PKT_REVQ	3	/* a revocation question (revq.h) */
#define PKT_REVA	4	/* its answer */

/*
 * Harvests taken from one message: every signer of an outer and an
 * inner signature (CMS_MAX_SIGNERS each).  More come only from a
 * process taken over by a parser bug; they are dropped, so it cannot
 * keep the loop writing the store.
 */
#define HARVEST_PER_MESSAGE	20

/* A packet's bound: the certificate and the chain together. */
#define HARVEST_DER_MAX		(64 * 1024)
#define HARVEST_CHAIN		8	/* issuers sent along (CMS_MAX_CHAIN) */

/*
 * A signer's certificate to keep for encrypting replies, with the
 * message's certificates above it on the chain the sandboxed process
 * checked: the process that writes it checks that chain again.
 */
struct harvest {
	const uint8_t	*der;
	size_t		 len;
	const uint8_t	*chain[HARVEST_CHAIN];
	size_t		 chainlen[HARVEST_CHAIN];
	size_t		 nchain;
	const char	*email;
	const char	*caps;		/* hex */
};

/* The packet in buf; its length, or 0 when it does not fit. */
size_t	 harvestpkt_encode(const struct harvest *, char *, size_t);
int	 harvestpkt_send(int, const struct harvest *);
/* 0 and the fields (pointing into p), or -1: not one, or malformed. */
int	 harvestpkt_decode(const char *, size_t, struct harvest *);

#endif
