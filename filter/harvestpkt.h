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

int	 harvestpkt_send(int, const uint8_t *, size_t, const char *,
	    const char *);
/* 0 and the fields (pointing into p), or -1: not one, or malformed. */
int	 harvestpkt_decode(const char *, size_t, const uint8_t **, size_t *,
	    const char **, const char **);

#endif
