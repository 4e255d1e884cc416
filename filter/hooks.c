/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Filter mode: the protocol engine's hooks, served by the engine. */
#define _GNU_SOURCE	/* memmem(3) in glibc */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine.h"
#include "hooks.h"
#include "log.h"
#include "lookfind.h"
#include "lookrcpt.h"
#include "revcheck.h"

static char	*fix_received_for(const char *, size_t, const char *, size_t *);

/* Who is sending, as smtpd reported it: the AUTH login, the address. */
static void
client_of(const struct session *s, struct signers_client *c)
{
	c->login = s->login;
	/* no link-connect seen: an unknown client, never a trusted one */
	c->src = s->src[0] != '\0' ? s->src : "unknown";
}

static void
hook_message(void *arg, struct session *s, const char *msg, size_t len,
    struct spool *out, struct outcome *o)
{
	struct engine_result r;
	struct signers_client c;
	char **rcpts, *fixed = NULL;
	size_t i, n = 0, fixedlen = 0;

	/* the recipients smtpd accepted */
	if ((rcpts = calloc(s->nrcpts + 1, sizeof(*rcpts))) == NULL) {
		o->rc = -1;
		(void)strlcpy(o->reply, REPLY_INTERNAL, sizeof(o->reply));
		(void)strlcpy(o->why, "out of memory", sizeof(o->why));
		return;
	}
	for (i = 0; i < s->nrcpts; i++)
		if (s->rcpts[i].result == RCPT_OK)
			rcpts[n++] = s->rcpts[i].addr;
	if (s->deferred && s->first_rcpt &&
	    (fixed = fix_received_for(msg, len, s->first_rcpt, &fixedlen))) {
		msg = fixed;
		len = fixedlen;
	}
	if (engine_is_inbound(arg, s->sender ? s->sender : "", rcpts, n))
		engine_inbound(arg, rcpts, n, msg, len, spool_write_cb, out,
		    &r);
	else {
		client_of(s, &c);
		engine_process(arg, &c, s->sender ? s->sender : "", rcpts, n,
		    msg, len, spool_write_cb, out, &r);
	}
	free(rcpts);
	/* not signed for a client not allowed to: in the commit log line */
	if (r.verdict == VERDICT_PASS && r.notice)
		(void)strlcpy(s->detail, r.why, sizeof(s->detail));
	if (fixed && r.verdict == VERDICT_PASS) {
		/* passed unchanged but for the header: send the fixed copy */
		(void)spool_write(out, fixed, fixedlen);
		(void)strlcpy(o->why, "Received header corrected",
		    sizeof(o->why));
		free(fixed);
		o->rc = 1;
		return;
	}
	free(fixed);
	(void)strlcpy(s->verdict, engine_verdict_str(r.verdict),
	    sizeof(s->verdict));
	(void)strlcpy(o->why, r.why, sizeof(o->why));
	switch (r.verdict) {
	case VERDICT_SIGNED:
	case VERDICT_ENCRYPTED:
	case VERDICT_SIGNED_ENCRYPTED:
	case VERDICT_CHECKED:
	case VERDICT_KEPT:
		(void)strlcpy(s->detail, r.why, sizeof(s->detail));
		o->rc = 1;
		return;
	case VERDICT_PASS:
		log_debug("%016llx unchanged: %s", (unsigned long long)s->id,
		    r.why);
		o->rc = 0;
		return;
	default:
		(void)strlcpy(o->reply, r.reply, sizeof(o->reply));
		o->rc = -1;
		return;
	}
}

static int
hook_mail_from(void *arg, struct session *s, const char *sender, char *reply,
    size_t replysz)
{
	struct engine_result r;
	struct signers_client c;

	client_of(s, &c);
	if (engine_sender_check(arg, &c, sender, &r) == 0)
		return 0;
	if (r.verdict == VERDICT_REJECT)
		log_info("%016llx %s", (unsigned long long)s->id, r.why);
	(void)strlcpy(reply, r.reply, replysz);
	return -1;
}

/*
 * RCPT TO: refuse a recipient encryption needs but cannot have; in
 * per-recipient mode defer every recipient after the first, in
 * per-class mode those treated differently from the first (452 4.5.3:
 * the client sends them again in another transaction).
 */
static int
hook_rcpt_to(void *arg, struct session *s, const char *rcpt, char *reply,
    size_t replysz)
{
	struct engine_result r;
	const char *sender = s->sender ? s->sender : "";
	struct engine *g = arg;
	char q[128];
	int mode, cls, rc = 0;

	if (g->action != ACTION_VERIFY) {
		/* a RCPT asked again asks no second question of a kind */
		g->rcpt_asked = s->rcpt_asked;
		g->ask.what = 0;
		rc = engine_rcpt_check(g, sender, rcpt, &r);
		g->rcpt_asked = 0;
		s->rcpt_asked = rc == 2 ? s->rcpt_asked | g->ask.what : 0;
	}
	if (rc == 2)
		return 2;	/* asked; proto_rcpt_resume() */
	if (rc == -1) {
		/* drop-to gone with a reload (checked at start only): refuse */
		if (r.verdict == VERDICT_DROP && r.reply[0] == '\0') {
			log_warnx("key-missing: drop without drop-to: <%s> "
			    "refused instead", log_quote(q, sizeof(q), rcpt,
			    strlen(rcpt)));
			(void)strlcpy(reply, REPLY_NO_CERT_BOUNCE, replysz);
			return -1;
		}
		(void)strlcpy(reply, r.reply, replysz);
		return r.verdict == VERDICT_DROP ? 1 : -1;
	}
	mode = engine_tx_mode(arg, sender);
	cls = engine_rcpt_class(arg, sender, rcpt);
	if (s->accepted > 0 && (mode == RULES_TX_PER_RECIPIENT ||
	    (mode == RULES_TX_PER_CLASS && cls != s->cls))) {
		s->deferred++;
		(void)strlcpy(reply, REPLY_DEFER, replysz);
		return -1;
	}
	if (s->accepted++ == 0) {
		s->cls = cls;
		free(s->first_rcpt);
		s->first_rcpt = strdup(rcpt);
	}
	return 0;
}

/*
 * smtpd's Received header names the last RCPT attempted when one was
 * accepted (a quirk of 6.8): after a deferral that is a recipient who
 * does not get this copy.  Name the accepted one instead, so nobody
 * learns of another (a Bcc recipient, say).
 */
static char *
fix_received_for(const char *msg, size_t len, const char *rcpt, size_t *outlen)
{
	const char *end = msg + len, *p, *lt, *gt;
	char *out;
	size_t n;

	/* the first Received field, to its first line not folded */
	if (len < 9 || strncasecmp(msg, "Received:", 9) != 0)
		return NULL;
	for (p = msg; p < end && (p == msg || *p == ' ' || *p == '\t');) {
		if ((p = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return NULL;
		p++;
	}
	if ((lt = memmem(msg, (size_t)(p - msg), "\tfor <", 6)) == NULL ||
	    (gt = memchr(lt, '>', (size_t)(p - lt))) == NULL)
		return NULL;
	lt += 6;
	n = strlen(rcpt);
	if ((size_t)(gt - lt) == n && strncasecmp(lt, rcpt, n) == 0)
		return NULL;
	*outlen = len - (size_t)(gt - lt) + n;
	if ((out = malloc(*outlen)) == NULL)
		return NULL;
	memcpy(out, msg, (size_t)(lt - msg));
	memcpy(out + (lt - msg), rcpt, n);
	memcpy(out + (lt - msg) + n, gt, (size_t)(end - gt));
	return out;
}

/* Inbound: MAIL FROM only starts the count of RCPTs (see proto.c). */
static int
hook_mail_from_inbound(void *arg, struct session *s, const char *sender,
    char *reply, size_t replysz)
{
	(void)arg;
	(void)s;
	(void)sender;
	(void)reply;
	(void)replysz;
	return 0;
}

static int
hook_tick(void *arg, int forced)
{
	return engine_refresh(arg, forced);
}

static int
harvest_forward(void *arg, const struct harvest *h)
{
	(void)arg;
	return workers_send_harvest(h);
}

static void
hook_in_worker(void *arg)
{
	struct engine *g = arg;

	/* never the loop's random octets, nor another worker's */
	if (cms_rng_reseed(&g->rng) == -1)
		fatalx("worker: the DRBG cannot be reseeded");
	g->harvest_to = harvest_forward;
	g->harvest_arg = NULL;
	g->look_ask = workers_ask_lookup;
	lookmem_free(g->looked);	/* the loop's: this one keeps its own */
	g->looked = NULL;
	g->revq_ask = workers_ask_revocation;
	g->revq_async = 0;	/* a worker may wait for its answer */
}

static int
hook_revq_wanted(void *arg)
{
	return revcheck_asks_ocsp(arg);
}

static const struct revq_question *
hook_revq_out(void *arg, const uint8_t **hash)
{
	struct engine *g = arg;

	*hash = g->ask.hash;
	return g->ask.what == ENGINE_ASK_REVOCATION && g->ask.q.n > 0 ?
	    &g->ask.q : NULL;
}

static size_t
hook_look_out(void *arg, uint8_t *buf, size_t cap, int *timeout)
{
	struct engine *g = arg;

	if (g->ask.what != ENGINE_ASK_LOOKUP || cap < sizeof(g->ask.lq))
		return 0;
	memcpy(buf, &g->ask.lq, sizeof(g->ask.lq));
	*timeout = lookrcpt_deadline(g);
	return sizeof(g->ask.lq);
}

static void
hook_look_learnt(void *arg, const uint8_t *pkt, size_t len)
{
	struct engine *g = arg;

	if (g->looked == NULL)
		g->looked = lookmem_new();
	(void)lookmem_put(g->looked, pkt, len);
}

static size_t
hook_look_recall(void *arg, const struct lookq_question *q, uint8_t *buf,
    size_t cap, int *timeout)
{
	struct engine *g = arg;
	struct lookq_answer a;

	*timeout = lookrcpt_deadline(g);
	if (lookrcpt_covers(g, q->addr))
		return lookmem_recall(g->looked, q->addr, q->qid, buf, cap);
	/* nothing to ask: no process is started, no network reached */
	memset(&a, 0, sizeof(a));
	a.kind = PKT_LOOKA;
	a.status = LOOKQ_OFF;
	a.qid = q->qid;
	a.until = time(NULL) + LOOKMEM_MIN;
	(void)strlcpy(a.addr, q->addr, sizeof(a.addr));
	(void)strlcpy(a.text, "no source covers it", sizeof(a.text));
	return lookq_answer_encode(&a, NULL, buf, cap);
}

/* In the revocation process: asked with the network. */
static size_t
hook_look_answer(void *arg, const struct lookq_question *q, uint8_t *buf,
    size_t cap)
{
	struct engine *g = arg;

	(void)engine_refresh(g, 0);
	return lookfind_answer(g, q, buf, cap);
}

static void
hook_revq_learnt(void *arg, const uint8_t *hash, const struct revq_reply *r)
{
	revcheck_learnt(arg, hash, r);
}

/* In the revocation process: a new keystore's anchors first. */
static void
hook_revq_answer(void *arg, const struct revq_question *q,
    struct revq_reply *r)
{
	struct engine *g = arg;

	(void)engine_refresh(g, 0);
	revcheck_answer(g, q, r);
}

static void
hook_harvest(void *arg, const struct harvest *h)
{
	engine_harvest_store(arg, h);
}

void
hooks_install(struct filter *f, struct engine *g)
{
	f->hooks.arg = g;
	f->hooks.message = hook_message;
	f->hooks.tick = hook_tick;
	f->hooks.in_worker = hook_in_worker;
	f->hooks.harvest = hook_harvest;
	f->hooks.revq_answer = hook_revq_answer;
	f->hooks.revq_out = hook_revq_out;
	f->hooks.revq_wanted = hook_revq_wanted;
	f->hooks.revq_learnt = hook_revq_learnt;
	f->hooks.look_out = hook_look_out;
	f->hooks.look_learnt = hook_look_learnt;
	f->hooks.look_recall = hook_look_recall;
	f->hooks.look_answer = hook_look_answer;
	g->revq_async = 1;	/* the loop: RCPT TO waits, the loop does not */
	engine_preload(g);	/* before the workers start */
	if (g->action == ACTION_VERIFY) {
		/* inbound: only a transaction mode has something to say */
		if (rules_uses_split_transactions(g->rules)) {
			f->hooks.mail_from = hook_mail_from_inbound;
			f->hooks.rcpt_to = hook_rcpt_to;
		}
		return;
	}
	if (g->have_store)
		f->hooks.mail_from = hook_mail_from;
	if (engine_checks_rcpt(g))
		f->hooks.rcpt_to = hook_rcpt_to;
}
