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

#define WORKERS_MAX	16
#define WORKER_DEADLINE	120	/* seconds a job may take (-t) */

struct filter;
struct session;

struct worker {
	pid_t		 pid;
	int		 fd;		/* our end of its socketpair, or -1 */
	pid_t		 kpid;		/* its key process, or -1 */
	int		 kctl;		/* that one's control channel, or -1 */
	int		 busy;
	uint64_t	 sid;		/* the job it is on */
	uint64_t	 seq;
	time_t		 since;		/* the job's start */
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
};

int	 workers_start(struct filter *, size_t, volatile sig_atomic_t *);
void	 workers_stop(struct filter *);
int	 workers_submit(struct filter *, struct session *);
void	 workers_kick(struct filter *);
void	 workers_input(struct filter *, size_t);
int	 workers_busy(const struct filter *);
void	 workers_hup(struct filter *);
void	 workers_check(struct filter *);
size_t	 workers_default(void);
int	 workers_grant(int, uint32_t, const struct session *);

#endif
