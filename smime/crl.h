/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * A CRL (RFC 5280 5.1) read with our own BER reader, and its signature
 * checked against a candidate issuer, before anything else looks at
 * it: a CRL fetched from the network is parsed in full (mbedTLS) only
 * in a sandbox, or after its issuer's signature has proven who wrote
 * it.  No allocation; the fields point into the caller's buffer.
 */
#ifndef CRL_H
#define CRL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mbedtls/x509_crt.h>

#include "ber.h"
#include "x509sig.h"

struct crl_info {
	struct x509_signed signed_part;	/* TBSCertList, its signature */
	struct ber_elem	 issuer;	/* Name, as encoded */
	time_t		 this_update;
	time_t		 next_update;	/* 0: none given */
};

/* 0, or -1 when der is not one DER CertificateList. */
int	 crl_read(const uint8_t *, size_t, struct crl_info *);
/*
 * 0 when issuer is named as the CRL's issuer, may sign CRLs (a CA,
 * cRLSign where key usage is given) and its key made the signature;
 * -1 with the reason in why otherwise.
 */
int	 crl_signed_by(const struct crl_info *, mbedtls_x509_crt *, char *,
	    size_t);

#endif /* CRL_H */
