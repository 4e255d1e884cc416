/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * A lookup question (lookq.h) answered with the network: the directory
 * first when its section covers the address, then SMIMEA for the
 * domains its section lists.  Runs where the network may be reached
 * and no message is parsed (the revocation process; pipe mode's
 * parent; the filter run by hand).  What the directory or DNS sends is
 * read in sandboxed children (keystore/ldapdir.h, smimeadns.h); here
 * only certificates that are currently valid, fit for encryption,
 * name the address and (directory; SMIMEA usage 1) chain to the trust
 * anchors are passed on.  A source that gives no answer is logged
 * once when it goes down and once when it answers again, and is not
 * asked for LOOKFIND_DOWN_FOR seconds at a time meanwhile.
 */
#ifndef LOOKFIND_H
#define LOOKFIND_H

#include <stddef.h>
#include <stdint.h>

#include "lookq.h"

#define LOOKFIND_DOWN_FOR	30	/* seconds */

struct engine;

/* The answer to q into buf: its length (0: no room). */
size_t	 lookfind_answer(struct engine *, const struct lookq_question *,
	    uint8_t *, size_t);

#endif /* LOOKFIND_H */
