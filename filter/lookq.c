/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Lookup questions and answers on the wire (lookq.h). */
#include <string.h>

#include "lookq.h"

/* An address as smtpd passes it: no controls, no spaces, one @. */
static int
addr_ok(const char *a)
{
	const char *at = strrchr(a, '@');
	const unsigned char *p;

	if (at == NULL || at == a || at[1] == '\0')
		return 0;
	for (p = (const unsigned char *)a; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

int
lookq_question_set(struct lookq_question *q, const char *addr)
{
	memset(q, 0, sizeof(*q));
	q->kind = PKT_LOOKQ;
	if (strlcpy(q->addr, addr, sizeof(q->addr)) >= sizeof(q->addr) ||
	    !addr_ok(q->addr))
		return -1;
	return 0;
}

int
lookq_question_check(const uint8_t *buf, size_t n, struct lookq_question *q)
{
	if (n != sizeof(*q))
		return -1;
	memcpy(q, buf, sizeof(*q));
	if (q->kind != PKT_LOOKQ || q->pad != 0 ||
	    memchr(q->addr, '\0', sizeof(q->addr)) == NULL ||
	    !addr_ok(q->addr))
		return -1;
	return 0;
}

static int
terminated(const char *s, size_t sz)
{
	return memchr(s, '\0', sz) != NULL;
}

int
lookq_answer_check(const uint8_t *buf, size_t n, struct lookq_answer *a,
    const uint8_t *der[LOOKQ_CERTS])
{
	size_t i, off = sizeof(*a);

	if (n < sizeof(*a) || n > LOOKQ_PKT_MAX)
		return -1;
	memcpy(a, buf, sizeof(*a));
	if (a->kind != PKT_LOOKA || a->status < LOOKQ_FOUND ||
	    a->status > LOOKQ_OFF || a->n > LOOKQ_CERTS ||
	    (a->status == LOOKQ_FOUND) != (a->n > 0) ||
	    !terminated(a->addr, sizeof(a->addr)) ||
	    !terminated(a->source, sizeof(a->source)) ||
	    !terminated(a->text, sizeof(a->text)))
		return -1;
	for (i = 0; i < LOOKQ_CERTS; i++) {
		der[i] = NULL;
		if (i >= a->n) {
			if (a->len[i] != 0)
				return -1;
			continue;
		}
		if (a->len[i] == 0 || a->len[i] > LOOKQ_CERT_MAX ||
		    a->len[i] > n - off)
			return -1;
		der[i] = buf + off;
		off += a->len[i];
	}
	return off == n ? 0 : -1;
}

size_t
lookq_answer_encode(const struct lookq_answer *a, const uint8_t *const der[],
    uint8_t *buf, size_t cap)
{
	struct lookq_answer h = *a;
	size_t i, off = sizeof(h);

	if (cap < sizeof(h) || h.n > LOOKQ_CERTS)
		return 0;
	h.kind = PKT_LOOKA;
	for (i = 0; i < LOOKQ_CERTS; i++) {
		if (i >= h.n) {
			h.len[i] = 0;
			continue;
		}
		if (h.len[i] == 0 || h.len[i] > LOOKQ_CERT_MAX ||
		    h.len[i] > cap - off)
			return 0;
		memcpy(buf + off, der[i], h.len[i]);
		off += h.len[i];
	}
	memcpy(buf, &h, sizeof(h));
	return off;
}

const char *
lookq_status_str(enum lookq_status s)
{
	switch (s) {
	case LOOKQ_FOUND:
		return "found";
	case LOOKQ_NONE:
		return "none";
	case LOOKQ_DOWN:
		return "no answer";
	case LOOKQ_OFF:
		return "not looked up";
	}
	return "?";
}
