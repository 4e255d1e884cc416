/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Revocation questions, which a sandboxed process (perhaps taken over)
 * sends towards the one that may reach OCSP responders: a question
 * round-trips; every truncation, extra octet, count or length out of
 * range, and timeout out of range is refused; replies are checked.
 * The answering side asks about nothing that does not chain to its
 * anchors, and keeps what it learnt (a certificate naming no responder,
 * from regress/unit/data/ocsp/, needs no network).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harvestpkt.h"
#include "revq.h"
#include "unit.h"

#define DATA	"regress/unit/data/ocsp/"

static uint8_t buf[REVQ_PKT_MAX + 64];

static void
sample(struct revq_question *q, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
	memset(q, 0, sizeof(*q));
	q->qid = 42;
	q->timeout = 5;
	q->nonce = 1;
	q->cert[0] = a;
	q->len[0] = alen;
	q->cert[1] = b;
	q->len[1] = blen;
	q->n = 2;
}

static void
test_packets(void)
{
	static const uint8_t a[300] = { 0x30 }, b[200] = { 0x31 };
	struct revq_question q, d;
	struct revq_reply r, rc;
	size_t n, i, bad = 0;
	uint32_t v;

	sample(&q, a, sizeof(a), b, sizeof(b));
	n = revq_encode(&q, buf, sizeof(buf));
	UNIT_OK("revq.encode", n > sizeof(a) + sizeof(b));
	UNIT_OK("revq.roundtrip", revq_decode(buf, n, &d) == 0 && d.n == 2 &&
	    d.qid == 42 && d.timeout == 5 && d.nonce == 1 &&
	    d.len[0] == sizeof(a) && memcmp(d.cert[0], a, sizeof(a)) == 0 &&
	    d.len[1] == sizeof(b) && memcmp(d.cert[1], b, sizeof(b)) == 0);
	for (i = 0; i < n; i++)
		bad += revq_decode(buf, i, &d) == 0;
	UNIT_OK("revq.truncated-refused", bad == 0);
	UNIT_OK("revq.extra-octet-refused", revq_decode(buf, n + 1, &d) == -1);
	UNIT_OK("revq.too-small-buffer", revq_encode(&q, buf, n - 1) == 0);
	/* header fields: kind, n, timeout, a length */
	v = PKT_HARVEST;
	memcpy(buf, &v, 4);
	UNIT_OK("revq.kind-refused", revq_decode(buf, n, &d) == -1);
	v = PKT_REVQ;
	memcpy(buf, &v, 4);
	v = 0;
	memcpy(buf + 4, &v, 4);
	UNIT_OK("revq.no-cert-refused", revq_decode(buf, n, &d) == -1);
	v = REVQ_CERTS_MAX + 1;
	memcpy(buf + 4, &v, 4);
	UNIT_OK("revq.too-many-refused", revq_decode(buf, n, &d) == -1);
	n = revq_encode(&q, buf, sizeof(buf));
	v = 0;
	memcpy(buf + 16, &v, 4);
	UNIT_OK("revq.timeout-0-refused", revq_decode(buf, n, &d) == -1);
	v = 61;
	memcpy(buf + 16, &v, 4);
	UNIT_OK("revq.timeout-61-refused", revq_decode(buf, n, &d) == -1);
	n = revq_encode(&q, buf, sizeof(buf));
	v = 0xffffffff;
	memcpy(buf + 24, &v, 4);
	UNIT_OK("revq.length-huge-refused", revq_decode(buf, n, &d) == -1);
	v = 0;
	memcpy(buf + 24, &v, 4);
	UNIT_OK("revq.length-0-refused", revq_decode(buf, n, &d) == -1);
	q.n = 0;
	UNIT_OK("revq.encode-none", revq_encode(&q, buf, sizeof(buf)) == 0);
	/* replies */
	memset(&r, 0, sizeof(r));
	r.kind = PKT_REVA;
	r.status = REVQ_REVOKED;
	memset(r.text, 'x', sizeof(r.text));	/* no NUL: one is put */
	UNIT_OK("reply.ok", revq_reply_check((uint8_t *)&r, sizeof(r),
	    &rc) == 0 && rc.status == REVQ_REVOKED &&
	    strlen(rc.text) == sizeof(rc.text) - 1);
	UNIT_OK("reply.short", revq_reply_check((uint8_t *)&r, sizeof(r) - 1,
	    &rc) == -1);
	r.status = REVQ_UNTRUSTED + 1;
	UNIT_OK("reply.status-range", revq_reply_check((uint8_t *)&r,
	    sizeof(r), &rc) == -1);
	r.status = REVQ_GOOD;
	r.kind = PKT_REVQ;
	UNIT_OK("reply.kind", revq_reply_check((uint8_t *)&r, sizeof(r),
	    &rc) == -1);
}

static void
test_answer(void)
{
	static struct revq_server s;
	mbedtls_x509_crt anchors, other;
	struct revq_question q;
	struct revq_reply r;
	uint8_t *good, *ca, junk[64];
	size_t goodlen, calen;

	mbedtls_x509_crt_init(&anchors);
	mbedtls_x509_crt_init(&other);
	good = unit_slurp(DATA "good.der", &goodlen);
	ca = unit_slurp(DATA "ca.der", &calen);
	if (good == NULL || ca == NULL ||
	    mbedtls_x509_crt_parse_der(&anchors, ca, calen) != 0 ||
	    mbedtls_x509_crt_parse_der(&other, good, goodlen) != 0) {
		UNIT_FAIL("answer.data", "cannot read " DATA);
		goto done;
	}
	sample(&q, good, goodlen, ca, calen);
	q.n = 1;
	revq_answer(&s, &anchors, &q, &r);
	UNIT_OK("answer.no-responder", r.status == REVQ_NO_RESPONDER &&
	    r.kind == PKT_REVA && r.qid == 42 && s.asked == 0);
	q.qid = 43;
	revq_answer(&s, &anchors, &q, &r);
	UNIT_OK("answer.kept", r.status == REVQ_NO_RESPONDER && r.qid == 43 &&
	    strstr(r.text, "(kept)") != NULL);
	/* not chaining to the anchors: never asked about */
	revq_answer(&s, &other, &q, &r);
	UNIT_OK("answer.kept-before-trust", r.status == REVQ_NO_RESPONDER);
	memset(&s, 0, sizeof(s));
	revq_answer(&s, &other, &q, &r);
	UNIT_OK("answer.untrusted", r.status == REVQ_UNTRUSTED && s.asked == 0);
	revq_answer(&s, NULL, &q, &r);
	UNIT_OK("answer.no-anchors", r.status == REVQ_UNTRUSTED);
	memset(junk, 0x30, sizeof(junk));
	sample(&q, junk, sizeof(junk), ca, calen);
	revq_answer(&s, &anchors, &q, &r);
	UNIT_OK("answer.junk", r.status == REVQ_UNTRUSTED && s.asked == 0);
done:
	mbedtls_x509_crt_free(&anchors);
	mbedtls_x509_crt_free(&other);
	free(good);
	free(ca);
}

int
main(void)
{
	test_packets();
	test_answer();
	UNIT_EXIT();
}
