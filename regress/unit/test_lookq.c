/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Lookup questions and answers (filter/lookq.c), which a sandboxed
 * worker (perhaps taken over) sends to the loop and the lookup process
 * sends back: a question is one address, nothing else; an answer's
 * counts, lengths and strings are checked, every truncation and extra
 * octet refused.  What the loop keeps (filter/lookmem.c): found, none
 * and down answers by address in any case, each at least LOOKMEM_MIN
 * seconds, recalled as the same answer under another question's
 * number, the soonest to go given up first when full.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookmem.h"
#include "lookq.h"
#include "unit.h"

#define DATA	"regress/unit/data/ocsp/"

static uint8_t buf[LOOKQ_PKT_MAX + 64];

static void
test_questions(void)
{
	struct lookq_question q, d;
	uint8_t raw[sizeof(q)];
	size_t i, bad = 0;

	UNIT_OK("question.set", lookq_question_set(&q, "Alice@example.org") ==
	    0 && q.kind == PKT_LOOKQ);
	q.qid = 7;
	memcpy(raw, &q, sizeof(q));
	UNIT_OK("question.roundtrip", lookq_question_check(raw, sizeof(raw),
	    &d) == 0 && d.qid == 7 && strcmp(d.addr, "Alice@example.org") == 0);
	for (i = 0; i < sizeof(raw); i++)
		bad += lookq_question_check(raw, i, &d) == 0;
	UNIT_OK("question.truncated-refused", bad == 0);
	UNIT_OK("question.no-at", lookq_question_set(&q, "alice") == -1);
	UNIT_OK("question.empty-local", lookq_question_set(&q, "@x") == -1);
	UNIT_OK("question.empty-domain", lookq_question_set(&q, "a@") == -1);
	UNIT_OK("question.space", lookq_question_set(&q, "a b@x") == -1);
	UNIT_OK("question.control", lookq_question_set(&q, "a\r@x") == -1);
	memset(raw, 'a', sizeof(raw));
	memcpy(raw + sizeof(raw) - 3, "@x", 3);	/* longer than addr[] */
	UNIT_OK("question.too-long", lookq_question_set(&q, (char *)raw) == -1);
	(void)lookq_question_set(&q, "a@x");
	memcpy(raw, &q, sizeof(q));
	memset(raw + offsetof(struct lookq_question, addr), 'a', LOOKQ_ADDR_MAX);
	UNIT_OK("question.unterminated", lookq_question_check(raw, sizeof(raw),
	    &d) == -1);
	memcpy(raw, &q, sizeof(q));
	raw[4] = 1;
	UNIT_OK("question.pad-set", lookq_question_check(raw, sizeof(raw), &d) ==
	    -1);
	memcpy(raw, &q, sizeof(q));
	raw[0] = PKT_LOOKA;
	UNIT_OK("question.kind", lookq_question_check(raw, sizeof(raw), &d) ==
	    -1);
}

static size_t
answer(enum lookq_status st, const char *addr, const uint8_t *der,
    size_t len, int64_t until)
{
	struct lookq_answer a;
	const uint8_t *v[1] = { der };

	memset(&a, 0, sizeof(a));
	a.status = st;
	a.qid = 9;
	a.until = until;
	a.n = der != NULL;
	a.len[0] = (uint32_t)len;
	(void)strlcpy(a.addr, addr, sizeof(a.addr));
	(void)strlcpy(a.source, "ldap://dir.example", sizeof(a.source));
	(void)strlcpy(a.text, "1 usable", sizeof(a.text));
	return lookq_answer_encode(&a, v, buf, sizeof(buf));
}

static void
test_answers(const uint8_t *der, size_t len)
{
	const uint8_t *got[LOOKQ_CERTS];
	struct lookq_answer a;
	size_t n, i, bad = 0;
	uint32_t v;

	n = answer(LOOKQ_FOUND, "a@x", der, len, 100);
	UNIT_OK("answer.roundtrip", n == sizeof(a) + len &&
	    lookq_answer_check(buf, n, &a, got) == 0 && a.n == 1 &&
	    a.qid == 9 && got[0] == buf + sizeof(a) &&
	    memcmp(got[0], der, len) == 0);
	for (i = 0; i < n; i++)
		bad += lookq_answer_check(buf, i, &a, got) == 0;
	UNIT_OK("answer.truncated-refused", bad == 0);
	UNIT_OK("answer.extra-refused", lookq_answer_check(buf, n + 1, &a,
	    got) == -1);
	v = LOOKQ_CERTS + 1;
	memcpy(buf + offsetof(struct lookq_answer, n), &v, 4);
	UNIT_OK("answer.count", lookq_answer_check(buf, n, &a, got) == -1);
	n = answer(LOOKQ_FOUND, "a@x", der, len, 100);
	v = 0;
	memcpy(buf + offsetof(struct lookq_answer, n), &v, 4);
	UNIT_OK("answer.found-without-cert", lookq_answer_check(buf, n, &a,
	    got) == -1);
	n = answer(LOOKQ_NONE, "a@x", NULL, 0, 100);
	UNIT_OK("answer.none", lookq_answer_check(buf, n, &a, got) == 0 &&
	    a.n == 0 && got[0] == NULL);
	v = 1;
	memcpy(buf + offsetof(struct lookq_answer, len) + 4, &v, 4);
	UNIT_OK("answer.stray-length", lookq_answer_check(buf, n, &a, got) ==
	    -1);
	n = answer(LOOKQ_NONE, "a@x", NULL, 0, 100);
	memset(buf + offsetof(struct lookq_answer, text), 'x', 160);
	UNIT_OK("answer.unterminated-text", lookq_answer_check(buf, n, &a,
	    got) == -1);
	n = answer(LOOKQ_NONE, "a@x", NULL, 0, 100);
	v = LOOKQ_OFF + 1;
	memcpy(buf + 4, &v, 4);
	UNIT_OK("answer.status", lookq_answer_check(buf, n, &a, got) == -1);
	n = answer(LOOKQ_FOUND, "a@x", der, len, 100);
	UNIT_OK("answer.no-room", lookq_answer_check(buf, n, &a, got) == 0 &&
	    lookq_answer_encode(&a, got, buf + n, sizeof(a) + len - 1) == 0);
}

static void
test_memory(const uint8_t *der, size_t len)
{
	const struct lookmem_entry *e;
	struct lookmem *m;
	time_t now = time(NULL);
	const uint8_t *got[LOOKQ_CERTS];
	struct lookq_answer a;
	size_t n, i;
	char addr[64];

	if ((m = lookmem_new()) == NULL) {
		UNIT_FAIL("memory.new", "out of memory");
		return;
	}
	n = answer(LOOKQ_FOUND, "Bob@Example.org", der, len, now + 100);
	UNIT_OK("memory.put-found", lookmem_put(m, buf, n) == 0);
	e = lookmem_get(m, "bob@example.ORG", now);
	UNIT_OK("memory.get-any-case", e != NULL && e->status == LOOKQ_FOUND &&
	    e->crt.raw.len == len && strcmp(e->source,
	    "ldap://dir.example") == 0);
	UNIT_OK("memory.expires", lookmem_get(m, "bob@example.org", now +
	    101) == NULL);
	n = lookmem_recall(m, "bob@example.org", 77, buf, sizeof(buf));
	UNIT_OK("memory.recall", n > 0 && lookq_answer_check(buf, n, &a,
	    got) == 0 && a.qid == 77 && a.status == LOOKQ_FOUND &&
	    a.len[0] == len && memcmp(got[0], der, len) == 0);
	UNIT_OK("memory.recall-nothing", lookmem_recall(m, "carol@x", 1, buf,
	    sizeof(buf)) == 0 && lookmem_recall(NULL, "a@x", 1, buf,
	    sizeof(buf)) == 0);
	n = answer(LOOKQ_NONE, "carol@x", NULL, 0, now);
	UNIT_OK("memory.kept-at-least-min", lookmem_put(m, buf, n) == 0 &&
	    (e = lookmem_get(m, "carol@x", now + LOOKMEM_MIN - 1)) != NULL &&
	    e->status == LOOKQ_NONE);
	n = answer(LOOKQ_DOWN, "carol@x", NULL, 0, now + 30);
	UNIT_OK("memory.replaced", lookmem_put(m, buf, n) == 0 &&
	    (e = lookmem_get(m, "carol@x", now)) != NULL &&
	    e->status == LOOKQ_DOWN);
	n = answer(LOOKQ_FOUND, "dave@x", der, len, now + 100);
	buf[n - len] ^= 0xff;	/* a certificate that does not parse */
	UNIT_OK("memory.bad-cert-refused", lookmem_put(m, buf, n) == -1 &&
	    lookmem_get(m, "dave@x", now) == NULL);
	/* full: the soonest to go makes room */
	for (i = 0; i < LOOKMEM_MAX + 10; i++) {
		snprintf(addr, sizeof(addr), "u%zu@x", i);
		n = answer(LOOKQ_NONE, addr, NULL, 0, now + 1000 + (int64_t)i);
		(void)lookmem_put(m, buf, n);
	}
	UNIT_OK("memory.full-newest-kept", lookmem_get(m, addr, now) != NULL &&
	    lookmem_get(m, "u0@x", now) == NULL);
	lookmem_free(m);
}

int
main(void)
{
	uint8_t *der;
	size_t len;

	test_questions();
	if ((der = unit_slurp(DATA "good.der", &len)) == NULL) {
		UNIT_FAIL("data", "cannot read " DATA "good.der");
		UNIT_EXIT();
	}
	test_answers(der, len);
	test_memory(der, len);
	free(der);
	UNIT_EXIT();
}
