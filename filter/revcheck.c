/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* The revocation policy applied to an inbound signer (revcheck.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ks.h"
#include "log.h"
#include "revcheck.h"

int
revcheck_asks_ocsp(const struct engine *g)
{
	struct rules_rev rv;

	rules_revocation(g->rules, &rv);
	return rv.check == RULES_REV_OCSP || rv.check == RULES_REV_OCSP_THEN_CRL;
}

int
revcheck_uses_crls(const struct engine *g)
{
	struct rules_rev rv;

	rules_revocation(g->rules, &rv);
	return rv.check == RULES_REV_CRL || rv.check == RULES_REV_OCSP_THEN_CRL;
}

void
revcheck_print(const struct engine *g, FILE *fp)
{
	static const char *const what[] = {
		"none: no revocation check",
		"crl: the store's CRLs in every chain check",
		"ocsp: inbound signers' OCSP responders asked",
		("ocsp-then-crl: inbound signers' OCSP responders asked, "
		    "the store's CRLs when they cannot answer"),
	};
	struct rules_rev rv;

	rules_revocation(g->rules, &rv);
	fprintf(fp, "revocation: %s", what[rv.check]);
	if (rv.check == RULES_REV_CRL)
		fprintf(fp, "; no current CRL from the issuer: %s", rv.hard ?
		    "smime=temperror (hard)" : "passed as it is (soft)");
	else if (rv.check != RULES_REV_NONE)
		fprintf(fp, "; no answer: %s; %d s a question", rv.hard ?
		    "smime=temperror (hard)" : "smime=pass with a comment "
		    "(soft)", rv.timeout);
	fputc('\n', fp);
}

void
revcheck_answer(struct engine *g, const struct revq_question *q,
    struct revq_reply *r)
{
	if (g->revq_local == NULL &&
	    (g->revq_local = calloc(1, sizeof(*g->revq_local))) == NULL) {
		memset(r, 0, sizeof(*r));
		r->kind = PKT_REVA;
		r->qid = q->qid;
		r->status = REVQ_UNANSWERED;
		(void)strlcpy(r->text, "out of memory", sizeof(r->text));
		return;
	}
	idcache_trust(&g->ids, g->have_store ? &g->store : NULL);
	revq_answer(g->revq_local, g->ids.anchors.raw.p != NULL ?
	    &g->ids.anchors : NULL, q, r);
}

/* Does a current CRL of the store speak for the signer's certificate? */
static int
crl_decides(struct engine *g, const struct cms_signer_result *s)
{
	mbedtls_x509_crt c;
	int rc;

	mbedtls_x509_crt_init(&c);
	rc = s->cert != NULL && mbedtls_x509_crt_parse_der(&c, s->cert,
	    s->certlen) == 0 && idcache_crl_current(&g->ids, g->have_store ?
	    &g->store : NULL, &c);
	mbedtls_x509_crt_free(&c);
	return rc;
}

static void
ask(struct engine *g, const struct cms_signer_result *s,
    const struct rules_rev *rv, struct revq_reply *r)
{
	static uint64_t qid;
	struct revq_question q;
	size_t i;

	memset(&q, 0, sizeof(q));
	q.qid = ++qid;
	q.timeout = rv->timeout;
	q.nonce = 1;
	q.cert[0] = s->cert;
	q.len[0] = s->certlen;
	for (i = 0; i < s->nchain && i + 1 < REVQ_CERTS_MAX; i++) {
		q.cert[i + 1] = s->chain[i];
		q.len[i + 1] = s->chainlen[i];
	}
	q.n = i + 1;
	if (g->revq_ask != NULL)
		g->revq_ask(&q, r);
	else
		revcheck_answer(g, &q, r);
}

static struct revq_server *
memory(struct engine *g)
{
	if (g->revq_local == NULL)
		g->revq_local = calloc(1, sizeof(*g->revq_local));
	return g->revq_local;
}

void
revcheck_learnt(struct engine *g, const uint8_t hash[32],
    const struct revq_reply *r)
{
	if (memory(g) != NULL)
		revq_remember(g->revq_local, hash, r);
}

/* In the loop: the question set out for it to send (copies). */
static int
set_out(struct engine *g, const mbedtls_x509_crt *crt,
    const mbedtls_x509_crt *chain, const struct rules_rev *rv,
    const uint8_t hash[32])
{
	static uint64_t qid;
	struct revq_question *q = &g->ask.q;
	size_t off = 0;

	free(g->ask.buf);
	memset(&g->ask, 0, sizeof(g->ask));
	if ((g->ask.buf = malloc(REVQ_PKT_MAX)) == NULL)
		return -1;
	g->ask.what = ENGINE_ASK_REVOCATION;
	memcpy(g->ask.hash, hash, 32);
	q->qid = ++qid;
	q->timeout = rv->timeout;
	q->nonce = 1;
	for (; crt != NULL && crt->raw.len > 0 && q->n < REVQ_CERTS_MAX;
	    crt = q->n == 0 ? chain : crt->next) {
		if (crt->raw.len > REVQ_PKT_MAX / 2 - off)
			break;
		memcpy(g->ask.buf + off, crt->raw.p, crt->raw.len);
		q->cert[q->n] = g->ask.buf + off;
		q->len[q->n++] = crt->raw.len;
		off += crt->raw.len;
	}
	return q->n > 0 ? 0 : -1;
}

/* Where waiting is allowed: a recipient's certificate asked about now. */
static void
ask_now(struct engine *g, const struct ks_entry *en,
    const mbedtls_x509_crt *crt, const struct rules_rev *rv,
    struct revq_reply *r)
{
	struct cms_signer_result s;
	const mbedtls_x509_crt *c;
	mbedtls_x509_crt chain;

	memset(&s, 0, sizeof(s));
	s.cert = crt->raw.p;
	s.certlen = crt->raw.len;
	mbedtls_x509_crt_init(&chain);
	if (en != NULL)
		(void)ks_load_chain(&g->store, en, &chain);
	for (c = &chain; c != NULL && c->raw.len > 0 && s.nchain <
	    CMS_MAX_CHAIN; c = c->next) {
		s.chain[s.nchain] = c->raw.p;
		s.chainlen[s.nchain++] = c->raw.len;
	}
	ask(g, &s, rv, r);
	mbedtls_x509_crt_free(&chain);
}

enum revcheck_rcpt
revcheck_recipient(struct engine *g, const char *rcpt,
    const struct ks_entry *en, const mbedtls_x509_crt *crt, int may_ask)
{
	mbedtls_x509_crt chain;
	struct rules_rev rv;
	struct revq_reply r;
	uint8_t hash[32];
	enum revcheck_rcpt rc = REVCHECK_PASS;
	char q[128];

	if (!revcheck_asks_ocsp(g) ||
	    revq_hash(crt->raw.p, crt->raw.len, hash) == -1)
		return REVCHECK_PASS;
	rules_revocation(g->rules, &rv);
	memset(&r, 0, sizeof(r));
	if (g->revq_async && (memory(g) == NULL ||
	    revq_recall(g->revq_local, hash, time(NULL), &r) == -1)) {
		if (!may_ask)
			return REVCHECK_PASS;	/* a guess; the worker asks */
		r.status = REVQ_UNANSWERED;
		(void)strlcpy(r.text, "cannot ask", sizeof(r.text));
		mbedtls_x509_crt_init(&chain);
		if (en != NULL)
			(void)ks_load_chain(&g->store, en, &chain);
		/* a RCPT asked again finds what was learnt, or nothing */
		if (!(g->rcpt_asked & ENGINE_ASK_REVOCATION) &&
		    set_out(g, crt, &chain, &rv, hash) == 0)
			rc = REVCHECK_ASK;
		mbedtls_x509_crt_free(&chain);
		if (rc == REVCHECK_ASK)
			return rc;
	} else if (!g->revq_async)
		ask_now(g, en, crt, &rv, &r);
	if (r.status == REVQ_GOOD)
		return REVCHECK_PASS;
	if (r.status == REVQ_REVOKED) {
		log_info("recipient %s: certificate %.16s revoked, says its "
		    "OCSP responder: not encrypted to", log_quote(q, sizeof(q),
		    rcpt, strlen(rcpt)), en != NULL ? en->fpr : "(looked up)");
		return REVCHECK_REVOKED;
	}
	if (rv.check == RULES_REV_OCSP_THEN_CRL && idcache_crl_current(&g->ids,
	    &g->store, crt))
		return REVCHECK_PASS;
	log_info("recipient %s: certificate %.16s: OCSP %s (%s)%s",
	    log_quote(q, sizeof(q), rcpt, strlen(rcpt)), en != NULL ?
	    en->fpr : "(looked up)",
	    revq_status_str(r.status), r.text, rv.hard ? ": not encrypted "
	    "to (revocation-fail: hard)" : "");
	return rv.hard ? REVCHECK_UNKNOWN : REVCHECK_PASS;
}

/* Nothing known: soft passes with the reason, hard gives temperror. */
static const char *
not_known(const struct rules_rev *rv, const char *what, char *why,
    size_t whysz)
{
	if (rv->hard) {
		snprintf(why, whysz, "revocation status unknown: %s", what);
		return "temperror";
	}
	snprintf(why, whysz, "signature verified; revocation not checked: %s",
	    what);
	return "pass";
}

const char *
revcheck_signer(struct engine *g, const struct cms_signer_result *s,
    char *why, size_t whysz)
{
	struct rules_rev rv;
	struct revq_reply r;
	char what[200], when[40];

	rules_revocation(g->rules, &rv);
	if (rv.check == RULES_REV_NONE)
		return "pass";
	if (rv.check == RULES_REV_CRL) {
		/* a listed certificate failed the chain check already */
		if (!rv.hard || crl_decides(g, s))
			return "pass";
		return not_known(&rv, "no current CRL from the issuer", why,
		    whysz);
	}
	if (s->cert == NULL)
		return not_known(&rv, "no certificate to ask about", why,
		    whysz);
	ask(g, s, &rv, &r);
	switch (r.status) {
	case REVQ_GOOD:
		log_debug("OCSP: %s good (%s)", s->email, r.text);
		return "pass";
	case REVQ_REVOKED:
		ks_utc(when, sizeof(when), (time_t)r.revoked_at);
		snprintf(why, whysz, "certificate revoked since %s, says its "
		    "OCSP responder", when);
		return "policy";
	default:
		break;
	}
	snprintf(what, sizeof(what), "OCSP %s", revq_status_str(r.status));
	log_info("OCSP: %s: %s (%s)", s->email[0] ? s->email : "a signer",
	    what, r.text);
	if (rv.check == RULES_REV_OCSP_THEN_CRL && crl_decides(g, s)) {
		snprintf(why, whysz, "signature verified; not revoked by the "
		    "issuer's CRL; %s", what);
		return "pass";
	}
	if (rv.check == RULES_REV_OCSP_THEN_CRL)
		(void)strlcat(what, ", no current CRL", sizeof(what));
	return not_known(&rv, what, why, whysz);
}
