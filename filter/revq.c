/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Revocation questions and their answers (revq.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>

#include "harvestpkt.h"
#include "ks.h"
#include "log.h"
#include "ocspask.h"
#include "revq.h"
#include "trustset.h"

struct revq_hdr {
	uint32_t	 kind;		/* PKT_REVQ */
	uint32_t	 n;
	uint64_t	 qid;
	int32_t		 timeout;
	int32_t		 nonce;
	uint32_t	 len[REVQ_CERTS_MAX];
};

size_t
revq_encode(const struct revq_question *q, uint8_t *buf, size_t cap)
{
	struct revq_hdr h;
	size_t i, off = sizeof(h);

	if (q->n == 0 || q->n > REVQ_CERTS_MAX || cap < sizeof(h))
		return 0;
	memset(&h, 0, sizeof(h));
	h.kind = PKT_REVQ;
	h.n = (uint32_t)q->n;
	h.qid = q->qid;
	h.timeout = q->timeout;
	h.nonce = q->nonce;
	for (i = 0; i < q->n; i++) {
		if (q->len[i] == 0 || q->len[i] > cap - off)
			return 0;
		h.len[i] = (uint32_t)q->len[i];
		memcpy(buf + off, q->cert[i], q->len[i]);
		off += q->len[i];
	}
	memcpy(buf, &h, sizeof(h));
	return off;
}

int
revq_decode(const uint8_t *buf, size_t n, struct revq_question *q)
{
	struct revq_hdr h;
	size_t i, off = sizeof(h);

	memset(q, 0, sizeof(*q));
	if (n < sizeof(h) || n > REVQ_PKT_MAX)
		return -1;
	memcpy(&h, buf, sizeof(h));
	if (h.kind != PKT_REVQ || h.n == 0 || h.n > REVQ_CERTS_MAX ||
	    h.timeout < 1 || h.timeout > 60)
		return -1;
	for (i = 0; i < h.n; i++) {
		if (h.len[i] == 0 || h.len[i] > n - off)
			return -1;
		q->cert[i] = buf + off;
		q->len[i] = h.len[i];
		off += h.len[i];
	}
	for (; i < REVQ_CERTS_MAX; i++)
		if (h.len[i] != 0)
			return -1;	/* one way to write each question */
	if (off != n)
		return -1;
	q->n = h.n;
	q->qid = h.qid;
	q->timeout = h.timeout;
	q->nonce = h.nonce != 0;
	return 0;
}

int
revq_reply_check(const uint8_t *buf, size_t n, struct revq_reply *r)
{
	if (n != sizeof(*r))
		return -1;
	memcpy(r, buf, sizeof(*r));
	if (r->kind != PKT_REVA || r->status < REVQ_GOOD ||
	    r->status > REVQ_UNTRUSTED)
		return -1;
	r->text[sizeof(r->text) - 1] = '\0';
	return 0;
}

const char *
revq_status_str(enum revq_status s)
{
	switch (s) {
	case REVQ_GOOD:
		return "good";
	case REVQ_REVOKED:
		return "revoked";
	case REVQ_UNKNOWN:
		return "unknown to its responder";
	case REVQ_UNANSWERED:
		return "no answer";
	case REVQ_REFUSED:
		return "answer not believed";
	case REVQ_NO_RESPONDER:
		return "no OCSP responder named";
	case REVQ_UNTRUSTED:
		return "not asked";
	}
	return "?";
}

/* ---- the answering side ---- */

int
revq_hash(const uint8_t *der, size_t len, uint8_t hash[32])
{
	return mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), der,
	    len, hash) == 0 ? 0 : -1;
}

static void
reply_set(struct revq_reply *r, enum revq_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reply_set(struct revq_reply *r, enum revq_status st, const char *fmt, ...)
{
	va_list ap;

	r->status = st;
	va_start(ap, fmt);
	(void)vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

static struct revq_cached *
cache_find(struct revq_server *s, const uint8_t *hash, time_t now)
{
	size_t i;

	for (i = 0; i < REVQ_CACHE; i++)
		if (s->cache[i].until > now &&
		    memcmp(s->cache[i].hash, hash, 32) == 0)
			return &s->cache[i];
	return NULL;
}

/* Kept until until: in a free or expired slot, else over the soonest. */
static void
cache_put(struct revq_server *s, const uint8_t *hash, time_t until,
    const struct revq_reply *r)
{
	struct revq_cached *c = &s->cache[0];
	size_t i;

	for (i = 0; i < REVQ_CACHE; i++) {
		if (memcmp(s->cache[i].hash, hash, 32) == 0) {
			c = &s->cache[i];
			break;
		}
		if (s->cache[i].until < c->until)
			c = &s->cache[i];
	}
	memcpy(c->hash, hash, 32);
	c->until = until;
	c->status = r->status;
	c->revoked_at = r->revoked_at;
	(void)strlcpy(c->text, r->text, sizeof(c->text));
}

int
revq_recall(struct revq_server *s, const uint8_t hash[32], time_t now,
    struct revq_reply *r)
{
	struct revq_cached *c;

	if ((c = cache_find(s, hash, now)) == NULL)
		return -1;
	r->status = c->status;
	r->revoked_at = c->revoked_at;
	r->until = c->until;
	(void)snprintf(r->text, sizeof(r->text), "%s (kept)", c->text);
	return 0;
}

void
revq_remember(struct revq_server *s, const uint8_t hash[32],
    const struct revq_reply *r)
{
	if (r->until > time(NULL))
		cache_put(s, hash, (time_t)r->until, r);
}

static struct revq_down *
down_find(struct revq_server *s, const char *url)
{
	size_t i;

	for (i = 0; i < REVQ_DOWN; i++)
		if (s->down[i].since != 0 &&
		    strncmp(s->down[i].url, url, sizeof(s->down[i].url) - 1) ==
		    0)
			return &s->down[i];
	return NULL;
}

/*
 * A responder that gave no answer is not asked again for a while:
 * every message would wait its timeout.  Logged once an outage.
 */
static void
down_mark(struct revq_server *s, const char *url, const char *why,
    time_t now)
{
	struct revq_down *d;
	size_t i;

	if ((d = down_find(s, url)) == NULL) {
		d = &s->down[0];
		for (i = 0; i < REVQ_DOWN; i++)
			if (s->down[i].until < d->until)
				d = &s->down[i];
		(void)strlcpy(d->url, url, sizeof(d->url));
		d->since = now;
		log_warnx("OCSP responder %s: no answer (%s); not asked again "
		    "for %d seconds at a time until it answers", url, why,
		    REVQ_DOWN_FOR);
	}
	d->until = now + REVQ_DOWN_FOR;
}

static void
down_clear(struct revq_server *s, const char *url, time_t now)
{
	struct revq_down *d;

	if ((d = down_find(s, url)) == NULL)
		return;
	log_info("OCSP responder %s answers again (after %lld seconds)", url,
	    (long long)(now - d->since));
	memset(d, 0, sizeof(*d));
}

/* The signer's certificate (first) and the message's issuers. */
static int
chain_parse(const struct revq_question *q, mbedtls_x509_crt *chain)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (mbedtls_x509_crt_parse_der(chain, q->cert[i], q->len[i]) !=
		    0 && i == 0)
			return -1;
	return 0;
}

/* Ask the responder: the reply, and how long it holds (0: not kept). */
static time_t
ask(struct revq_server *s, const mbedtls_x509_crt *cert,
    const mbedtls_x509_crt *issuer, const char *url,
    const struct revq_question *q, time_t now, struct revq_reply *r)
{
	struct ocsp_question oq;
	struct ocsp_certid id;
	struct ocsp_single sg;
	uint8_t *der;
	size_t len;
	char why[160];
	time_t until;

	oq.cert = cert;
	oq.issuer = issuer;
	oq.url = url;
	oq.timeout = q->timeout;
	oq.nonce = q->nonce;
	oq.now = now;
	s->asked++;
	switch (ocsp_ask(&oq, &id, &sg, &der, &len, why, sizeof(why))) {
	case OCSP_ASKED_FAILED:
		down_mark(s, url, why, now);
		reply_set(r, REVQ_UNANSWERED, "%s: %s", url, why);
		return 0;
	case OCSP_ASKED_REFUSED:
		down_mark(s, url, why, now);
		reply_set(r, REVQ_REFUSED, "%s: %s", url, why);
		return 0;
	case OCSP_ASKED_ANSWER:
		break;
	}
	free(der);
	down_clear(s, url, now);
	r->revoked_at = sg.revoked_at;
	reply_set(r, sg.status == OCSP_GOOD ? REVQ_GOOD :
	    sg.status == OCSP_REVOKED ? REVQ_REVOKED : REVQ_UNKNOWN,
	    "OCSP %s", url);
	until = sg.next_update != 0 ? sg.next_update :
	    sg.this_update + REVQ_NO_NEXT;
	if (until > now + REVQ_KEEP_MAX)
		until = now + REVQ_KEEP_MAX;
	return until;
}

void
revq_answer(struct revq_server *s, const mbedtls_x509_crt *anchors,
    const struct revq_question *q, struct revq_reply *r)
{
	mbedtls_x509_crt chain, *issuer;
	struct certid_uris *u;
	struct revq_down *d;
	uint8_t hash[32];
	const char *url;
	time_t now = time(NULL), until = 0;
	uint32_t flags = 0;

	memset(r, 0, sizeof(*r));
	r->kind = PKT_REVA;
	r->qid = q->qid;
	if (revq_hash(q->cert[0], q->len[0], hash) == -1) {
		reply_set(r, REVQ_UNANSWERED, "cannot hash the certificate");
		return;
	}
	if (revq_recall(s, hash, now, r) == 0)
		return;
	mbedtls_x509_crt_init(&chain);
	if ((u = malloc(sizeof(*u))) == NULL) {
		reply_set(r, REVQ_UNANSWERED, "out of memory");
		return;
	}
	/* what a taken-over worker could ask is what a CA signed */
	if (chain_parse(q, &chain) == -1 || anchors == NULL ||
	    mbedtls_x509_crt_verify(&chain, (mbedtls_x509_crt *)(uintptr_t)
	    anchors, NULL, NULL, &flags, NULL, NULL) != 0)
		reply_set(r, REVQ_UNTRUSTED, "no chain to a trust anchor");
	else if ((issuer = ks_issuer_of(chain.next, &chain)) == NULL &&
	    (issuer = ks_issuer_of((mbedtls_x509_crt *)(uintptr_t)anchors,
	    &chain)) == NULL)
		reply_set(r, REVQ_UNTRUSTED, "its issuer is not known");
	else if ((url = ocsp_responder_of(&chain, u)) == NULL) {
		reply_set(r, REVQ_NO_RESPONDER, "no http:// OCSP responder "
		    "named");
		until = now + REVQ_NO_NEXT;
	} else if ((d = down_find(s, url)) != NULL && d->until > now)
		reply_set(r, REVQ_UNANSWERED, "%s: no answer since %lld "
		    "seconds", url, (long long)(now - d->since));
	else
		until = ask(s, &chain, issuer, url, q, now, r);
	if (until > now)
		cache_put(s, hash, until, r);
	/* what was not learnt holds while the responder counts as down */
	r->until = until > now ? until : now + REVQ_DOWN_FOR;
	free(u);
	mbedtls_x509_crt_free(&chain);
}
