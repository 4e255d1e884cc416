/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The session table: one entry per SMTP session smtpd multiplexes over our
 * stdin, keyed by its 64-bit session id.  A session holds the transaction
 * (sender, recipients with their results) and the message being received.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "spool.h"

#define TOKEN_LEN	16
#define MSGID_LEN	8

enum rcpt_result { RCPT_OK, RCPT_TEMPFAIL, RCPT_PERMFAIL,
    RCPT_DROPPED };	/* rewritten to drop-to: gets no copy from us */

struct rcpt {
	char		*addr;
	enum rcpt_result result;
};

enum msg_state {
	MSG_NONE,	/* no message data yet */
	MSG_DATA,	/* receiving data-lines */
	MSG_WORK,	/* with a worker, or waiting for one */
	MSG_EMIT,	/* writing the result back */
	MSG_COMMIT	/* final "." written, waiting for commit */
};

struct session {
	uint64_t	 id;
	struct session	*next;		/* hash chain */

	/* the client, from link-connect and link-auth reports */
	char		*login;		/* AUTH passed as this user, or NULL */
	char		 src[64];	/* "a.b.c.d:port", "unix:...", or "" */

	/* transaction, from tx-* reports */
	char		 msgid[MSGID_LEN + 1];
	char		*sender;
	struct rcpt	*rcpts;
	size_t		 nrcpts;
	size_t		 rcptcap;

	/* what we answered at RCPT TO (per-class/per-recipient modes) */
	size_t		 accepted;
	size_t		 deferred;
	int		 cls;			/* of the first accepted */
	char		*first_rcpt;
	char		**dropped;		/* as given, and as rewritten */
	size_t		 ndropped;
	/* an RCPT TO waiting for a revocation answer (revproc.h) */
	char		*parked_rcpt;
	char		 parked_token[TOKEN_LEN + 1];
	int		 rcpt_asked;	/* ENGINE_ASK_*: asked, parked */

	/* message, from data-line requests */
	enum msg_state	 state;
	char		 token[TOKEN_LEN + 1];
	struct spool	 spool;
	uint64_t	 lines;
	uint64_t	 longest;
	struct timespec	 started;
	int		 failed;
	char		 fail_reply[128];	/* SMTP reply at commit */
	char		 fail_why[160];		/* for the log only */
	char		 verdict[24];		/* for the log */
	char		 detail[200];		/* algorithm, identity */
	int		 commit_pending;
	uint64_t	 job;		/* its worker job, while MSG_WORK */
	char		 commit_token[TOKEN_LEN + 1];

	/* emission queue */
	struct session	*emit_next;
	int		 queued;
	char		*rbuf;
	size_t		 rlen;
	size_t		 rseen;		/* rbuf octets known to hold no '\n' */
	size_t		 rcap;
};

struct session_table {
	struct session	**buckets;
	size_t		 nbuckets;
	size_t		 count;
};

int		 session_table_init(struct session_table *);
void		 session_table_free(struct session_table *);
struct session	*session_find(struct session_table *, uint64_t);
struct session	*session_get(struct session_table *, uint64_t,
		    struct spool_pool *);
void		 session_remove(struct session_table *, uint64_t);
void		 session_tx_clear(struct session *);
int		 session_set_sender(struct session *, const char *);
int		 session_set_login(struct session *, const char *);
int		 session_add_dropped(struct session *, const char *);
int		 session_is_dropped(const struct session *, const char *);
int		 session_add_rcpt(struct session *, const char *,
		    enum rcpt_result);
void		 session_msg_clear(struct session *);
void		 session_fail(struct session *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

#endif
