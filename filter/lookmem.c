/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Lookup answers kept (lookmem.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lookmem.h"

struct lookmem *
lookmem_new(void)
{
	struct lookmem *m;
	size_t i;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	for (i = 0; i < LOOKMEM_MAX; i++)
		mbedtls_x509_crt_init(&m->e[i].crt);
	return m;
}

void
lookmem_free(struct lookmem *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < LOOKMEM_MAX; i++)
		mbedtls_x509_crt_free(&m->e[i].crt);
	free(m);
}

static void
lower(char *dst, const char *src, size_t sz)
{
	size_t i;

	for (i = 0; i + 1 < sz && src[i] != '\0'; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

static struct lookmem_entry *
find(struct lookmem *m, const char *addr, time_t now)
{
	char a[LOOKQ_ADDR_MAX];
	size_t i;

	lower(a, addr, sizeof(a));
	for (i = 0; i < LOOKMEM_MAX; i++)
		if (m->e[i].until > now && strcmp(m->e[i].addr, a) == 0)
			return &m->e[i];
	return NULL;
}

const struct lookmem_entry *
lookmem_get(struct lookmem *m, const char *addr, time_t now)
{
	struct lookmem_entry *e;

	if (m == NULL || (e = find(m, addr, now)) == NULL)
		return NULL;
	/* a certificate that expired while kept is not one any more */
	if (e->status == LOOKQ_FOUND &&
	    mbedtls_x509_time_is_past(&e->crt.valid_to)) {
		e->until = 0;
		return NULL;
	}
	return e;
}

int
lookmem_put(struct lookmem *m, const uint8_t *pkt, size_t len)
{
	const uint8_t *der[LOOKQ_CERTS];
	struct lookq_answer a;
	struct lookmem_entry *e;
	time_t now = time(NULL);
	size_t i;

	if (m == NULL || lookq_answer_check(pkt, len, &a, der) == -1)
		return -1;
	if ((e = find(m, a.addr, now)) == NULL) {
		e = &m->e[0];
		for (i = 1; i < LOOKMEM_MAX; i++)
			if (m->e[i].until < e->until)
				e = &m->e[i];
	}
	mbedtls_x509_crt_free(&e->crt);
	mbedtls_x509_crt_init(&e->crt);
	e->until = 0;
	if (a.status == LOOKQ_FOUND &&
	    mbedtls_x509_crt_parse_der(&e->crt, der[0], a.len[0]) != 0)
		return -1;
	lower(e->addr, a.addr, sizeof(e->addr));
	e->status = (enum lookq_status)a.status;
	(void)strlcpy(e->source, a.source, sizeof(e->source));
	(void)strlcpy(e->text, a.text, sizeof(e->text));
	e->until = a.until > now + LOOKMEM_MIN ? (time_t)a.until :
	    now + LOOKMEM_MIN;
	return 0;
}

size_t
lookmem_recall(struct lookmem *m, const char *addr, uint64_t qid,
    uint8_t *buf, size_t cap)
{
	const struct lookmem_entry *e;
	const uint8_t *der[1];
	struct lookq_answer a;

	if (m == NULL || (e = lookmem_get(m, addr, time(NULL))) == NULL)
		return 0;
	memset(&a, 0, sizeof(a));
	a.kind = PKT_LOOKA;
	a.status = e->status;
	a.qid = qid;
	a.until = e->until;
	(void)strlcpy(a.addr, e->addr, sizeof(a.addr));
	(void)strlcpy(a.source, e->source, sizeof(a.source));
	(void)strlcpy(a.text, e->text, sizeof(a.text));
	if (e->status == LOOKQ_FOUND) {
		a.n = 1;
		a.len[0] = (uint32_t)e->crt.raw.len;
		der[0] = e->crt.raw.p;
	}
	return lookq_answer_encode(&a, der, buf, cap);
}
