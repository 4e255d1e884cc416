/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * A recipient's certificate from DNS: its SMIMEA records (RFC 8162),
 * validated with DNSSEC by libunbound (HAVE_UNBOUND; without it every
 * lookup says so).  Only an answer libunbound calls secure is used; a
 * bogus one (a signature that does not verify) and an insecure one (no
 * chain of trust from the anchors) are reported and not used.  The
 * question is asked in a child of its own (lookupchild.h), which
 * enters the sandbox before it reads the records and their
 * certificates; the parent reads them again.  A record gives a
 * certificate when its selector and matching type are 0 (the full
 * certificate); its usage says what it may be used for.
 */
#ifndef SMIMEADNS_H
#define SMIMEADNS_H

#include <stddef.h>
#include <stdint.h>

#define SMIMEADNS_STUBS		8
#define SMIMEADNS_CERTS		8

struct smimeadns_conf {
	const char	*anchor_file;	/* DS or DNSKEY records */
	const char	*stub[SMIMEADNS_STUBS];	/* "ZONE=ADDR[@PORT]" */
	size_t		 nstub;
	const char	*forward;	/* "ADDR[@PORT]", or NULL */
	int		 timeout;	/* seconds */
};

struct smimeadns_found {
	uint8_t		*der[SMIMEADNS_CERTS];	/* malloc'd */
	size_t		 len[SMIMEADNS_CERTS];
	uint8_t		 usage[SMIMEADNS_CERTS];
	size_t		 n;
	size_t		 records;	/* all SMIMEA records there */
	uint32_t	 ttl;		/* of the answer, seconds */
	char		 owner[400];	/* the name asked */
};

enum smimeadns_rc {
	SMIMEADNS_FOUND,
	SMIMEADNS_NONE,		/* secure: no record, or none with one */
	SMIMEADNS_INSECURE,	/* no chain of trust: not used */
	SMIMEADNS_BOGUS,	/* validation failed: not used */
	SMIMEADNS_DOWN,		/* no answer: try again later */
	SMIMEADNS_UNAVAILABLE	/* built without libunbound, or no address */
};

enum smimeadns_rc smimeadns_lookup(const struct smimeadns_conf *,
	    const char *, struct smimeadns_found *, char *, size_t);
void	 smimeadns_found_free(struct smimeadns_found *);
int	 smimeadns_available(void);

#endif /* SMIMEADNS_H */
