/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Who a certificate names, read from its DER with our own BER reader:
 * every email address (rfc822Name in subjectAltName, emailAddress in the
 * subject, RFC 8550 §3), the issuer or subject as text, where its CRL
 * is published and its OCSP responder answers, and its key's bits.  No mbedTLS
 * and no allocation; the text is raw: pass it through authres_value()
 * before it goes into a header.
 */
#ifndef CERTID_H
#define CERTID_H

#include <stddef.h>
#include <stdint.h>

#define CERTID_ADDRS_MAX	16	/* addresses kept; the rest ignored */
#define CERTID_ADDR_LEN		255

struct certid_addrs {
	size_t	 n;
	char	 addr[CERTID_ADDRS_MAX][CERTID_ADDR_LEN + 1];
};

enum certid_name { CERTID_ISSUER, CERTID_SUBJECT };

#define CERTID_URIS_MAX		8	/* distribution points kept */
#define CERTID_URI_LEN		512

struct certid_uris {
	size_t	 n;
	char	 uri[CERTID_URIS_MAX][CERTID_URI_LEN + 1];
};

int	 certid_addrs(const uint8_t *, size_t, struct certid_addrs *);
int	 certid_dn(const uint8_t *, size_t, enum certid_name, char *, size_t);
int	 certid_crl_uris(const uint8_t *, size_t, struct certid_uris *);
int	 certid_ocsp_uris(const uint8_t *, size_t, struct certid_uris *);
int	 certid_spki_bits(const uint8_t *, size_t, const uint8_t **, size_t *);
int	 certid_spki(const uint8_t *, size_t, const uint8_t **, size_t *);

#endif /* CERTID_H */
