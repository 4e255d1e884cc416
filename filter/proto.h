/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The OpenSMTPD filter protocol (0.6 and 0.7): handshake, reports that keep
 * the session table, data-line and commit requests, and the responses.
 * Works on whole lines and an output buffer; loop.c does the I/O.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "session.h"
#include "spool.h"
#include "lookq.h"
#include "replies.h"
#include "revq.h"
#include "worker.h"


enum filter_phase {
	PHASE_CONFIG,		/* reading config|... lines */
	PHASE_RUNNING,		/* registered, serving requests */
	PHASE_REFUSED		/* smtpd speaks a version we do not */
};

/* 0.6 and earlier copy a response into char[LINE_MAX] (glibc: 2048). */
#define PROTO_06_RESPONSE_MAX	2047
/*
 * 0.7 parses responses in place, without a limit; smtpd itself takes no
 * client line of 65535 octets or more (SMTP_LINE_MAX), so a longer line
 * can only be one we made (decrypted content): refused like an
 * over-long 0.6 line, and never buffered without bound.
 */
#define PROTO_07_LINE_MAX	65535
/* queued messages are written while less than this is waiting */
#define PROTO_EMIT_ROOM		(256 * 1024)

/*
 * What became of one message, in the loop or in a worker (which sends it
 * back as it is): rc 0 pass the original, 1 the result is in the spool
 * given to fill, -1 refuse at commit with reply; why is for the log.
 * The hook also names the outcome in the session's verdict and detail.
 */
struct outcome {
	int32_t		 rc;
	char		 reply[128];
	char		 why[200];
};

/*
 * What the filter does beyond passing mail through: message (see struct
 * outcome); mail_from: 0 proceed, -1 reject with reply; rcpt_to also 1:
 * rewrite the recipient to reply.
 */
struct proto_hooks {
	void	*arg;
	void	(*message)(void *, struct session *, const char *, size_t,
		    struct spool *, struct outcome *);
	int	(*mail_from)(void *, struct session *, const char *, char *,
		    size_t);
	int	(*rcpt_to)(void *, struct session *, const char *, char *,
		    size_t);
	/* about once a second; 1: SIGHUP.  1 when rules or store changed */
	int	(*tick)(void *, int);
	/* in a new worker: it writes no file from now on */
	void	(*in_worker)(void *);
	/* in the loop: a worker's harvested certificate, to check and keep */
	void	(*harvest)(void *, const struct harvest *);
	/* in the loop: whether the policy asks responders at all */
	int	(*revq_wanted)(void *);
	/* in the revocation process (revproc.c): one question answered */
	void	(*revq_answer)(void *, const struct revq_question *,
		    struct revq_reply *);
	/* in the loop: the question a parked RCPT TO waits for (hash: of
	 * the certificate), and what came back for it */
	const struct revq_question *(*revq_out)(void *, const uint8_t **);
	void	(*revq_learnt)(void *, const uint8_t *,
		    const struct revq_reply *);
	/*
	 * Lookups (lookq.h).  In the loop: the question a parked RCPT TO
	 * waits for, as a packet into buf (its length, 0: none) and its
	 * deadline in seconds; an answer that came (kept); a worker's
	 * question answered from what is kept (0: nothing kept).  In the
	 * revocation process: a question answered with the network.
	 */
	size_t	(*look_out)(void *, uint8_t *, size_t, int *);
	void	(*look_learnt)(void *, const uint8_t *, size_t);
	size_t	(*look_recall)(void *, const struct lookq_question *,
		    uint8_t *, size_t, int *);
	size_t	(*look_answer)(void *, const struct lookq_question *,
		    uint8_t *, size_t);
};

struct filter {
	struct proto_hooks hooks;
	enum filter_phase phase;
	int		 proto_minor;	/* 6 or 7 */
	char		 smtpd_version[32];
	char		 protocol[16];	/* config|protocol, when sent */
	struct session_table sessions;
	struct spool_pool pool;
	struct buf	 out;
	struct session	*emit_head;
	struct session	*emit_tail;
	uint64_t	 nmessages;
	uint64_t	 nbadlines;
	int		 warned_version;
	struct workers	 workers;	/* none: hooks run in the loop */
};

int	 filter_init(struct filter *, size_t, size_t, const char *);
void	 filter_free(struct filter *);
void	 proto_line(struct filter *, char *, size_t, int);
void	 proto_rcpt_resume(struct filter *, uint64_t);
int	 proto_pump(struct filter *, size_t);
int	 proto_version_from(const char *, const char *);

#endif
