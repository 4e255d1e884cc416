/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session.h"

#define INITIAL_BUCKETS	256

int
session_table_init(struct session_table *t)
{
	t->count = 0;
	t->nbuckets = INITIAL_BUCKETS;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	return t->buckets ? 0 : -1;
}

/* Session ids are random 64-bit numbers; mix anyway, they may not be. */
static size_t
bucket_of(const struct session_table *t, uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (size_t)(id & (t->nbuckets - 1));
}

static void
session_free(struct session *s)
{
	session_tx_clear(s);
	session_msg_clear(s);
	free(s->parked_rcpt);
	free(s->login);
	free(s->rbuf);
	free(s);
}

void
session_table_free(struct session_table *t)
{
	struct session *s, *n;
	size_t i;

	for (i = 0; i < t->nbuckets; i++)
		for (s = t->buckets[i]; s; s = n) {
			n = s->next;
			session_free(s);
		}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

struct session *
session_find(struct session_table *t, uint64_t id)
{
	struct session *s;

	for (s = t->buckets[bucket_of(t, id)]; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

/* Double the table when it is full; a failed grow just keeps chains longer. */
static void
grow(struct session_table *t)
{
	struct session_table nt;
	struct session *s, *n;
	size_t i, b;

	if (t->count < t->nbuckets || t->nbuckets > SIZE_MAX / 2 /
	    sizeof(*t->buckets))
		return;
	nt.nbuckets = t->nbuckets * 2;
	nt.count = t->count;
	if ((nt.buckets = calloc(nt.nbuckets, sizeof(*nt.buckets))) == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++)
		for (s = t->buckets[i]; s; s = n) {
			n = s->next;
			b = bucket_of(&nt, s->id);
			s->next = nt.buckets[b];
			nt.buckets[b] = s;
		}
	free(t->buckets);
	*t = nt;
}

/* Find a session, creating it when smtpd tells us of one we did not see. */
struct session *
session_get(struct session_table *t, uint64_t id, struct spool_pool *pool)
{
	struct session *s;
	size_t b;

	if ((s = session_find(t, id)) != NULL)
		return s;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->id = id;
	s->state = MSG_NONE;
	spool_init(&s->spool, pool);
	grow(t);
	b = bucket_of(t, id);
	s->next = t->buckets[b];
	t->buckets[b] = s;
	t->count++;
	return s;
}

void
session_remove(struct session_table *t, uint64_t id)
{
	struct session **sp, *s;

	for (sp = &t->buckets[bucket_of(t, id)]; (s = *sp); sp = &s->next)
		if (s->id == id) {
			*sp = s->next;
			t->count--;
			session_free(s);
			return;
		}
}

void
session_tx_clear(struct session *s)
{
	size_t i;

	for (i = 0; i < s->nrcpts; i++)
		free(s->rcpts[i].addr);
	free(s->rcpts);
	for (i = 0; i < s->ndropped; i++)
		free(s->dropped[i]);
	free(s->dropped);
	s->dropped = NULL;
	s->ndropped = 0;
	free(s->sender);
	free(s->first_rcpt);
	s->first_rcpt = NULL;
	s->accepted = s->deferred = 0;
	s->rcpts = NULL;
	s->nrcpts = s->rcptcap = 0;
	s->sender = NULL;
	s->msgid[0] = '\0';
}

int
session_set_sender(struct session *s, const char *addr)
{
	char *p;

	if ((p = strdup(addr)) == NULL)
		return -1;
	free(s->sender);
	s->sender = p;
	return 0;
}

int
session_add_rcpt(struct session *s, const char *addr, enum rcpt_result r)
{
	struct rcpt *n;
	size_t ncap;
	char *p;

	if (s->nrcpts == s->rcptcap) {
		ncap = s->rcptcap ? s->rcptcap * 2 : 4;
		n = reallocarray(s->rcpts, ncap, sizeof(*n));
		if (n == NULL)
			return -1;
		s->rcpts = n;
		s->rcptcap = ncap;
	}
	if ((p = strdup(addr)) == NULL)
		return -1;
	s->rcpts[s->nrcpts].addr = p;
	s->rcpts[s->nrcpts].result = r;
	s->nrcpts++;
	return 0;
}

/* Forget the message (not the transaction): spool, counters, verdict. */
void
session_msg_clear(struct session *s)
{
	spool_clear(&s->spool);
	s->state = MSG_NONE;
	s->lines = s->longest = 0;
	s->failed = 0;
	s->fail_reply[0] = s->fail_why[0] = '\0';
	(void)strlcpy(s->verdict, "pass", sizeof(s->verdict));
	s->detail[0] = '\0';
	s->commit_pending = 0;
	s->rlen = 0;
}

/*
 * Mark the message failed: it is still read to its end, the stream is
 * finished, and commit answers with reply.  The first reason wins.
 */
void
session_fail(struct session *s, const char *reply, const char *fmt, ...)
{
	va_list ap;

	if (s->failed)
		return;
	s->failed = 1;
	(void)strlcpy(s->fail_reply, reply, sizeof(s->fail_reply));
	va_start(ap, fmt);
	(void)vsnprintf(s->fail_why, sizeof(s->fail_why), fmt, ap);
	va_end(ap);
}

/* login NULL: AUTH failed, or was never given. */
int
session_set_login(struct session *s, const char *login)
{
	char *p = NULL;

	if (login != NULL && (p = strdup(login)) == NULL) {
		free(s->login);
		s->login = NULL;
		return -1;
	}
	free(s->login);
	s->login = p;
	return 0;
}

/*
 * A recipient we rewrote to drop-to: both its addresses are kept, since
 * the tx-rcpt report that follows may name either.
 */
int
session_add_dropped(struct session *s, const char *addr)
{
	char **v;

	if ((v = reallocarray(s->dropped, s->ndropped + 1, sizeof(*v))) ==
	    NULL)
		return -1;
	s->dropped = v;
	if ((v[s->ndropped] = strdup(addr)) == NULL)
		return -1;
	s->ndropped++;
	return 0;
}

int
session_is_dropped(const struct session *s, const char *addr)
{
	size_t i;

	for (i = 0; i < s->ndropped; i++)
		if (strcasecmp(s->dropped[i], addr) == 0)
			return 1;
	return 0;
}
