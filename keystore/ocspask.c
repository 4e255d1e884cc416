/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* One OCSP question about one certificate (ocspask.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fetch.h"
#include "ocspask.h"

#define OCSP_RESPONSE_MAX	(64 * 1024)

/* What the sandboxed child checks, and the parent again. */
struct question {
	struct ocsp_certid	 id;
	mbedtls_x509_crt	 issuer;	/* alone: no list behind it */
	uint8_t			 nonce[OCSP_NONCE_LEN];
	size_t			 noncelen;
	time_t			 now;
};

static int
check_in_sandbox(void *arg, const uint8_t *der, size_t len, char *why,
    size_t whysz)
{
	struct question *q = arg;
	struct ocsp_single s;

	return ocsp_check(der, len, &q->id, &q->issuer, q->nonce, q->noncelen,
	    q->now, &s, why, whysz);
}

const char *
ocsp_responder_of(const mbedtls_x509_crt *c, struct certid_uris *u)
{
	size_t i;

	if (certid_ocsp_uris(c->raw.p, c->raw.len, u) == -1)
		return NULL;
	for (i = 0; i < u->n; i++)
		if (strncasecmp(u->uri[i], "http://", 7) == 0)
			return u->uri[i];
	return NULL;
}

static enum ocsp_asked
post(const struct ocsp_question *oq, struct question *q, const uint8_t *rq,
    size_t rqlen, struct ocsp_single *sg, uint8_t **der, size_t *len,
    char *why, size_t whysz)
{
	struct http_body body;
	struct fetch_req req;
	struct fetch_answer a;
	enum ocsp_asked rc;

	body.type = "application/ocsp-request";
	body.accept = "application/ocsp-response";
	body.data = rq;
	body.len = rqlen;
	memset(&req, 0, sizeof(req));
	req.url = oq->url;
	req.post = &body;
	req.timeout = oq->timeout;
	req.max_size = OCSP_RESPONSE_MAX;
	req.check = check_in_sandbox;
	req.arg = q;
	fetch_run(&req, &a);
	if (a.kind != FETCH_BODY) {
		snprintf(why, whysz, "%s", a.text);
		rc = a.kind == FETCH_REFUSED ? OCSP_ASKED_REFUSED :
		    OCSP_ASKED_FAILED;
	} else if (ocsp_check(a.body, a.len, &q->id, &q->issuer, q->nonce,
	    q->noncelen, oq->now, sg, why, whysz) == -1)
		rc = OCSP_ASKED_REFUSED;
	else {
		*der = a.body;
		*len = a.len;
		a.body = NULL;
		rc = OCSP_ASKED_ANSWER;
	}
	fetch_answer_free(&a);
	return rc;
}

enum ocsp_asked
ocsp_ask(const struct ocsp_question *oq, struct ocsp_certid *id,
    struct ocsp_single *sg, uint8_t **der, size_t *len, char *why,
    size_t whysz)
{
	struct question q;
	uint8_t *rq = NULL;
	size_t rqlen;
	enum ocsp_asked rc = OCSP_ASKED_FAILED;

	*der = NULL;
	*len = 0;
	memset(&q, 0, sizeof(q));
	mbedtls_x509_crt_init(&q.issuer);
	q.now = oq->now;
	q.noncelen = oq->nonce ? OCSP_NONCE_LEN : 0;
	if (ocsp_certid_make(oq->cert, oq->issuer, &q.id) == -1 ||
	    mbedtls_x509_crt_parse_der(&q.issuer, oq->issuer->raw.p,
	    oq->issuer->raw.len) != 0 ||
	    (q.noncelen && getentropy(q.nonce, q.noncelen) == -1) ||
	    ocsp_request_make(&q.id, q.nonce, q.noncelen, &rq, &rqlen) == -1)
		snprintf(why, whysz, "cannot make the request");
	else
		rc = post(oq, &q, rq, rqlen, sg, der, len, why, whysz);
	*id = q.id;
	free(rq);
	mbedtls_x509_crt_free(&q.issuer);
	return rc;
}
