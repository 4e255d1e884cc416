/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * One OCSP question (RFC 6960) about one certificate: the request made
 * (SHA-1 CertID, a nonce unless told not to), POSTed to the responder
 * in a sandboxed child (fetch.h), the answer checked there and again
 * here (ocsp_check: signed by the issuer or its delegated responder,
 * about this certificate, current, our nonce).  For smimectl ocsp fetch
 * and for the filter's revocation process alike.
 */
#ifndef OCSPASK_H
#define OCSPASK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mbedtls/x509_crt.h>

#include "certid.h"
#include "ocsp.h"

struct ocsp_question {
	const mbedtls_x509_crt	*cert;
	const mbedtls_x509_crt	*issuer;
	const char		*url;		/* http:// */
	int			 timeout;	/* seconds */
	int			 nonce;		/* ask with one */
	time_t			 now;
};

enum ocsp_asked {
	OCSP_ASKED_ANSWER,	/* believed: single and der are set */
	OCSP_ASKED_FAILED,	/* no answer: the next try may do better */
	OCSP_ASKED_REFUSED	/* answered, not believed */
};

/*
 * Ask.  On OCSP_ASKED_ANSWER *der (malloc'd, the response as sent) and
 * *single hold the answer; otherwise why says what went wrong.
 */
enum ocsp_asked	 ocsp_ask(const struct ocsp_question *, struct ocsp_certid *,
		    struct ocsp_single *, uint8_t **der, size_t *len,
		    char *why, size_t whysz);
/* The first http:// responder cert names (authorityInfoAccess), or NULL;
 * the text lives in u. */
const char	*ocsp_responder_of(const mbedtls_x509_crt *,
		    struct certid_uris *u);

#endif /* OCSPASK_H */
