/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Worker processes for the filter loop: signing and encrypting take
 * milliseconds of CPU a message, so the loop hands whole messages to
 * forked workers and goes on serving other sessions, and every core of
 * the machine signs.  The loop itself stays single-threaded.
 */
#ifndef WORKER_H
#define WORKER_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>
#include <time.h>

#include "harvestpkt.h"

#define WORKERS_MAX	16
#define WORKER_DEADLINE	120	/* seconds a job may take (-t) */

struct filter;
struct outcome;
struct session;

/* A job's end, as the loop's callback gets it. */
struct work_result {
	uint64_t		 sid;
	uint64_t		 seq;
	const struct outcome	*o;
	const char		*verdict;	/* the session's, for the log */
	const char		*detail;
	int			 fd;		/* the result in a file, or -1 */
	const char		*res;		/* or in memory */
	size_t			 reslen;
};

struct worker {
	pid_t		 pid;
	int		 fd;		/* our end of its socketpair, or -1 */
	int		 kctl;		/* its key process's control channel */
	int		 busy;
	int		 stale;		/* forked before the last reload */
	unsigned int	 harvests;	/* taken from its current job */
	uint64_t	 sid;		/* the job it is on */
	uint64_t	 seq;
	time_t		 since;		/* the job's start */
	/* a revocation question out (revproc.c): ours, the worker's own */
	uint64_t	 revq;
	uint64_t	 revq_own;
	uint32_t	 revq_kind;	/* PKT_REVQ or PKT_LOOKQ */
	time_t		 revq_since;
	int		 revq_timeout;
};

struct job_ref {
	uint64_t	 sid;
	uint64_t	 seq;
};

struct workers {
	struct worker	 w[WORKERS_MAX];
	size_t		 n;
	volatile sig_atomic_t *hup;	/* the process's SIGHUP flag */
	struct job_ref	*queue;		/* waiting for a worker, FIFO */
	size_t		 qhead, qlen, qcap;
	uint64_t	 seq;
	unsigned int	 deadline;	/* seconds */
	char		*buf;		/* a packet */
	/*
	 * With keys about (a keystore), the loop parses no message: -j 0
	 * is then one worker the loop waits for, and a job no worker can
	 * take fails with 451 instead of running in the loop.
	 */
	int		 no_inline;
	int		 sync;
	/* the loop's: a job ended; a job no worker can take, run there */
	void		(*done)(struct filter *, const struct work_result *);
	void		(*run_inline)(struct filter *, struct session *);
};

int	 workers_start(struct filter *, size_t, volatile sig_atomic_t *);
void	 workers_stop(struct filter *);
int	 workers_submit(struct filter *, struct session *);
void	 workers_kick(struct filter *);
void	 workers_inline(struct filter *, struct session *);
void	 workers_input(struct filter *, size_t);
int	 workers_busy(const struct filter *);
void	 workers_renew(struct filter *);
void	 workers_check(struct filter *);
void	 workers_key_gone(struct filter *, size_t);
int	 workers_send_harvest(const struct harvest *);
struct revq_question;
struct revq_reply;
void	 workers_ask_revocation(const struct revq_question *,
	    struct revq_reply *);
struct lookq_question;
size_t	 workers_ask_lookup(const struct lookq_question *, uint8_t *, size_t);
size_t	 workers_default(void);
int	 workers_grant(int, uint32_t, const struct session *);

#endif
