/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Certificates out of what a directory entry or a file holds: a bare
 * Certificate (userCertificate;binary, a .cer file) or a PKCS#7 / CMS
 * SignedData that carries certificates (userSMIMECertificate of RFC
 * 2798, a .p7b or .p7c file; its signers, if any, are not looked at).
 * Only the shape is read, with our BER reader: each certificate's
 * octets come back for whoever believes it to parse and check.
 */
#ifndef P7CERTS_H
#define P7CERTS_H

#include <stddef.h>
#include <stdint.h>

#define P7CERTS_MAX	16	/* certificates taken; the rest skipped */

struct p7certs {
	const uint8_t	*der[P7CERTS_MAX];	/* inside the input */
	size_t		 len[P7CERTS_MAX];
	size_t		 n;
	size_t		 skipped;	/* beyond P7CERTS_MAX, or not X.509 */
};

/* 0 with at least one certificate, or -1 (not such a value, or none). */
int	 p7certs_read(const uint8_t *, size_t, struct p7certs *);

#endif /* P7CERTS_H */
