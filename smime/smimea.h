/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * SMIMEA (RFC 8162): where a recipient's record lives, and what one
 * says.  The owner name is the SHA2-256 of the address's local-part,
 * truncated to 28 octets, in hexadecimal, under "_smimecert." and the
 * domain.  The RDATA is that of TLSA (RFC 6698): certificate usage,
 * selector, matching type, and the certificate association data.  Only
 * the record is read here; whoever asks DNS must have validated it.
 */
#ifndef SMIMEA_H
#define SMIMEA_H

#include <stddef.h>
#include <stdint.h>

/* 56 hex digits, "._smimecert.", the domain (at most 253), NUL */
#define SMIMEA_OWNER_MAX	(56 + 12 + 253 + 1)
#define SMIMEA_DATA_MAX		(16 * 1024)	/* a full certificate */

enum smimea_usage {
	SMIMEA_PKIX_TA = 0,	/* a CA on the path, which chains to ours */
	SMIMEA_PKIX_EE = 1,	/* the certificate, which chains to ours */
	SMIMEA_DANE_TA = 2,	/* a trust anchor for this address */
	SMIMEA_DANE_EE = 3	/* the certificate, DNSSEC its only proof */
};

struct smimea {
	uint8_t		 usage;
	uint8_t		 selector;	/* 0 the certificate, 1 its SPKI */
	uint8_t		 mtype;		/* 0 exact, 1 SHA2-256, 2 SHA2-512 */
	const uint8_t	*data;		/* inside the RDATA */
	size_t		 len;
};

/*
 * The owner name for local@domain (local as the address has it, without
 * the quotes of a quoted local-part): 0, or -1 when it does not fit or
 * the domain is empty.
 */
int	 smimea_owner(const char *local, size_t locallen, const char *domain,
	    char *out, size_t outsz);
/* One RDATA: 0, or -1 (too short, a hash of the wrong length, unknown
 * selector or matching type, data over SMIMEA_DATA_MAX). */
int	 smimea_rdata_read(const uint8_t *, size_t, struct smimea *);
/* Whether the record's association data matches this certificate. */
int	 smimea_matches(const struct smimea *, const uint8_t *cert,
	    size_t certlen);
/* A usage this gateway takes (0-3), with the certificate in the record
 * when selector 0 and matching type 0 (the only way DNS gives one). */
int	 smimea_has_cert(const struct smimea *);

#endif /* SMIMEA_H */
