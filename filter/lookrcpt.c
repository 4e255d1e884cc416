/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Recipients' certificates from lookups (lookrcpt.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lookfind.h"
#include "lookrcpt.h"

int
lookrcpt_covers(const struct engine *g, const char *addr)
{
	return rules_source_covers(rules_directory(g->rules), addr) ||
	    rules_source_covers(rules_smimea(g->rules), addr);
}

int
lookrcpt_deadline(const struct engine *g)
{
	const struct rules_source *d = rules_directory(g->rules);
	const struct rules_source *s = rules_smimea(g->rules);
	int t = 0;

	if (d != NULL)
		t += d->timeout * (int)d->nuri + 1;
	if (s != NULL)
		t += s->timeout + 1;
	return t;
}

/* Asked here and now (a worker, pipe mode, the filter by hand). */
static const struct lookmem_entry *
ask_now(struct engine *g, const struct lookq_question *q)
{
	uint8_t *buf;
	size_t len;
	const struct lookmem_entry *e = NULL;

	if ((buf = malloc(LOOKQ_PKT_MAX)) == NULL)
		return NULL;
	len = g->look_ask != NULL ? g->look_ask(q, buf, LOOKQ_PKT_MAX) :
	    lookfind_answer(g, q, buf, LOOKQ_PKT_MAX);
	if (len > 0 && lookmem_put(g->looked, buf, len) == 0)
		e = lookmem_get(g->looked, q->addr, time(NULL));
	free(buf);
	return e;
}

enum lookrcpt
lookrcpt_cert(struct engine *g, const char *rcpt, int may_ask,
    const mbedtls_x509_crt **crt)
{
	static uint64_t qid;
	const struct lookmem_entry *e;
	struct lookq_question q;

	if (!lookrcpt_covers(g, rcpt) || lookq_question_set(&q, rcpt) == -1)
		return LOOKRCPT_NONE;
	if (g->looked == NULL && (g->looked = lookmem_new()) == NULL)
		return LOOKRCPT_DOWN;
	q.qid = ++qid;
	if ((e = lookmem_get(g->looked, rcpt, time(NULL))) == NULL) {
		if (g->revq_async) {
			/* the loop: a guess where it may not wait */
			if (!may_ask)
				return LOOKRCPT_NONE;
			if (g->rcpt_asked & ENGINE_ASK_LOOKUP)
				return LOOKRCPT_DOWN;	/* answered, not kept */
			g->ask.what = ENGINE_ASK_LOOKUP;
			g->ask.lq = q;
			return LOOKRCPT_ASK;
		}
		if ((e = ask_now(g, &q)) == NULL)
			return LOOKRCPT_DOWN;
	}
	switch (e->status) {
	case LOOKQ_FOUND:
		*crt = &e->crt;
		return LOOKRCPT_FOUND;
	case LOOKQ_DOWN:
		return LOOKRCPT_DOWN;
	default:
		return LOOKRCPT_NONE;
	}
}

static void
print_list(FILE *fp, char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(fp, "%s%s", i ? ", " : "", v[i]);
}

void
lookrcpt_print(const struct engine *g, FILE *fp)
{
	const struct rules_source *d = rules_directory(g->rules);
	const struct rules_source *s = rules_smimea(g->rules);

	if (d != NULL) {
		fprintf(fp, "directory: ");
		print_list(fp, d->uri, d->nuri);
		fprintf(fp, " under %s, %s, ", d->base, d->filter);
		print_list(fp, d->attr, d->nattr);
		fprintf(fp, "; for ");
		if (d->ndomain == 0)
			fprintf(fp, "every domain");
		print_list(fp, d->domain, d->ndomain);
		fprintf(fp, "; %d s a server; kept %d s, none %d s\n",
		    d->timeout, d->cache_ttl, d->negative_ttl);
	}
	if (s != NULL) {
		fprintf(fp, "smimea: for ");
		print_list(fp, s->domain, s->ndomain);
		fprintf(fp, "; anchor %s%s%s; %d s; kept %d s, none %d s\n",
		    s->trust_anchor, s->forward ? "; forward " : "",
		    s->forward ? s->forward : "", s->timeout, s->cache_ttl,
		    s->negative_ttl);
	}
}

void
lookrcpt_log(struct engine *g, const char *rcpt)
{
	const struct lookmem_entry *e;
	char l[128];

	if ((e = lookmem_get(g->looked, rcpt, time(NULL))) != NULL)
		log_info("recipient %s: certificate from %s (not in the "
		    "store)", log_quote(l, sizeof(l), rcpt, strlen(rcpt)),
		    e->source);
}
