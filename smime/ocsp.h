/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * OCSP (RFC 6960): a request for one certificate, and the checks of
 * what a responder answers.  The answer is read with our own BER reader
 * (fuzzed: regress/fuzz/fuzz_ocsp.c); it is believed only when signed
 * by the certificate's issuer, or by a responder certificate that the
 * issuer signed for id-kp-OCSPSigning (proven with our reader before
 * mbedTLS parses that certificate), names the certificate asked about,
 * is current, and carries our nonce when it carries one.
 *
 * CertID hashes are SHA-1, as RFC 5019 responders expect: identifiers,
 * not signatures.
 */
#ifndef OCSP_H
#define OCSP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mbedtls/x509_crt.h>

#include "ber.h"
#include "x509sig.h"

#define OCSP_NONCE_LEN		16
#define OCSP_SERIAL_MAX		32
#define OCSP_CERTS_MAX		4	/* responder certificates tried */
#define OCSP_SINGLES_MAX	64	/* SingleResponses looked through */
#define OCSP_NO_NEXT_UPDATE	3600	/* current this long without one */
#define OCSP_SKEW		300	/* thisUpdate ahead of us: taken */

struct ocsp_certid {
	uint8_t		 name_hash[20];
	uint8_t		 key_hash[20];
	uint8_t		 serial[OCSP_SERIAL_MAX];
	size_t		 seriallen;
};

enum ocsp_status { OCSP_GOOD, OCSP_REVOKED, OCSP_UNKNOWN };

/* What a response says, read but not yet believed. */
struct ocsp_response {
	long		 status;	/* responseStatus: 0 successful */
	struct x509_signed basic;	/* ResponseData, signature, [0] certs */
	time_t		 produced_at;
	struct ber_elem	 responses;	/* SEQUENCE OF SingleResponse */
	const uint8_t	*nonce;
	size_t		 noncelen;
};

struct ocsp_single {
	enum ocsp_status status;
	time_t		 this_update;
	time_t		 next_update;	/* 0: none given */
	time_t		 revoked_at;
};

int	 ocsp_certid_make(const mbedtls_x509_crt *, const mbedtls_x509_crt *,
	    struct ocsp_certid *);
int	 ocsp_request_make(const struct ocsp_certid *, const uint8_t *, size_t,
	    uint8_t **, size_t *);
int	 ocsp_response_read(const uint8_t *, size_t, struct ocsp_response *);
int	 ocsp_single_find(const struct ocsp_response *,
	    const struct ocsp_certid *, struct ocsp_single *);
int	 ocsp_check(const uint8_t *, size_t, const struct ocsp_certid *,
	    mbedtls_x509_crt *, const uint8_t *, size_t, time_t,
	    struct ocsp_single *, char *, size_t);
const char *ocsp_status_str(enum ocsp_status);

#endif /* OCSP_H */
