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

/*
 * Harvests taken from one message: every signer of an outer and an
 * inner signature (CMS_MAX_SIGNERS each).  More come only from a
 * process taken over by a parser bug; they are dropped, so it cannot
 * keep the loop writing the store.
 */
#define HARVEST_PER_MESSAGE	20

int	 harvestpkt_send(int, const uint8_t *, size_t, const char *,
	    const char *);
/* 0 and the fields (pointing into p), or -1: not one, or malformed. */
int	 harvestpkt_decode(const char *, size_t, const uint8_t **, size_t *,
	    const char **, const char **);

#endif
