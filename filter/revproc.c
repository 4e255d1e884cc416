/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* The revocation process and the loop's side of it (revproc.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "harvestpkt.h"
#include "log.h"
#include "newproc.h"
#include "packet.h"
#include "proto.h"
#include "revproc.h"

static pid_t	 rp_pid = -1;
static int	 rp_fd = -1;
static uint64_t	 rp_qid;
static uint8_t	 rp_buf[REVQ_PKT_MAX];

/* The loop's own questions, for RCPTs parked until their answer. */
struct sessq {
	uint64_t	 qid;		/* 0: a free slot */
	uint64_t	 sid;
	uint8_t		 hash[32];
	time_t		 since;
	int		 timeout;
};
static struct sessq rp_sessq[REVPROC_SESSIONS];

int
revproc_fd(void)
{
	return rp_fd;
}

static void __attribute__((noreturn))
revproc_main(struct filter *f, int sock)
{
	struct revq_question q;
	struct revq_reply r;
	ssize_t n;
	int fd;

	no_dumps();
#ifdef __linux__
	(void)prctl(PR_SET_NAME, "smime-revoc", 0, 0, 0);
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
#endif
	(void)signal(SIGHUP, SIG_IGN);
	for (;;) {
		n = packet_recv(sock, rp_buf, sizeof(rp_buf), &fd);
		if (fd != -1)
			(void)close(fd);
		if (n == 0 || (n == -1 && errno != EINTR && errno != EMSGSIZE))
			break;
		/* the loop checked it: nonsense here is not answered */
		if (n <= 0 || revq_decode(rp_buf, (size_t)n, &q) == -1)
			continue;
		f->hooks.revq_answer(f->hooks.arg, &q, &r);
		if (packet_send(sock, &r, sizeof(r), -1) == -1)
			break;
	}
	_exit(0);
}

static int
revproc_start(struct filter *f)
{
	int sv[2], fl;
	pid_t pid;

	if (f->hooks.revq_answer == NULL ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* no session's spool, no worker's or key process's socket */
		close_all_but(sv[1], -1);
		revproc_main(f, sv[1]);
	}
	(void)close(sv[1]);
	(void)fcntl(sv[0], F_SETFD, FD_CLOEXEC);
	if ((fl = fcntl(sv[0], F_GETFL)) != -1)
		(void)fcntl(sv[0], F_SETFL, fl | O_NONBLOCK);
	rp_pid = pid;
	rp_fd = sv[0];
	log_debug("revocation process %ld started", (long)pid);
	return 0;
}

/* To the process, under a number of ours: 0, or -1 (no answer). */
static int
send_question(struct filter *f, struct revq_question *q, uint64_t *qid)
{
	size_t len;

	q->qid = *qid = ++rp_qid;
	if (rp_fd == -1 && revproc_start(f) == -1)
		return -1;
	if ((len = revq_encode(q, rp_buf, sizeof(rp_buf))) == 0 ||
	    packet_send(rp_fd, rp_buf, len, -1) == -1)
		return -1;
	return 0;
}

/* To worker i, under its own question's number. */
static void
answer_worker(struct filter *f, size_t i, struct revq_reply *r)
{
	struct worker *w = &f->workers.w[i];

	r->qid = w->revq_own;
	w->revq = 0;
	if (w->fd != -1 && packet_send(w->fd, r, sizeof(*r), -1) == -1)
		log_warnx("worker %ld: a revocation answer: %s", (long)w->pid,
		    strerror(errno));
}

static void
unanswered(struct filter *f, size_t i, const char *why)
{
	struct revq_reply r;

	memset(&r, 0, sizeof(r));
	r.kind = PKT_REVA;
	r.status = REVQ_UNANSWERED;
	(void)strlcpy(r.text, why, sizeof(r.text));
	answer_worker(f, i, &r);
}

void
revproc_question(struct filter *f, size_t i, const uint8_t *pkt, size_t n)
{
	struct worker *w = &f->workers.w[i];
	struct revq_question q;
	uint64_t qid;

	if (revq_decode(pkt, n, &q) == -1) {
		w->revq_own = 0;
		unanswered(f, i, "a malformed question");
		return;
	}
	w->revq_own = q.qid;
	/* no process, no network, unless the admin asked for OCSP */
	if (f->hooks.revq_wanted == NULL ||
	    !f->hooks.revq_wanted(f->hooks.arg)) {
		unanswered(f, i, "not asked: the policy asks no responder");
		return;
	}
	if (send_question(f, &q, &qid) == -1) {
		unanswered(f, i, "the revocation process cannot be asked");
		return;
	}
	w->revq = qid;
	w->revq_since = time(NULL);
	w->revq_timeout = q.timeout;
}

int
revproc_session_question(struct filter *f, uint64_t sid)
{
	const struct revq_question *asked;
	struct revq_question q;
	const uint8_t *hash;
	struct sessq *sq = NULL;
	size_t i;

	if (f->hooks.revq_out == NULL ||
	    (asked = f->hooks.revq_out(f->hooks.arg, &hash)) == NULL)
		return -1;
	for (i = 0; i < REVPROC_SESSIONS && sq == NULL; i++)
		if (rp_sessq[i].qid == 0)
			sq = &rp_sessq[i];
	if (sq == NULL) {
		log_warnx("revocation: %d RCPTs wait for answers already",
		    REVPROC_SESSIONS);
		return -1;
	}
	q = *asked;
	if (send_question(f, &q, &sq->qid) == -1) {
		sq->qid = 0;
		return -1;
	}
	sq->sid = sid;
	memcpy(sq->hash, hash, sizeof(sq->hash));
	sq->since = time(NULL);
	sq->timeout = q.timeout;
	return 0;
}

/* What came for a parked RCPT: kept by the engine, the RCPT answered. */
static void
session_answer(struct filter *f, struct sessq *sq, const struct revq_reply *r)
{
	uint64_t sid = sq->sid;

	sq->qid = 0;
	if (f->hooks.revq_learnt != NULL)
		f->hooks.revq_learnt(f->hooks.arg, sq->hash, r);
	proto_rcpt_resume(f, sid);
}

static void
session_unanswered(struct filter *f, struct sessq *sq, const char *why)
{
	struct revq_reply r;

	memset(&r, 0, sizeof(r));
	r.kind = PKT_REVA;
	r.status = REVQ_UNANSWERED;
	r.until = time(NULL) + REVQ_DOWN_FOR;
	(void)strlcpy(r.text, why, sizeof(r.text));
	session_answer(f, sq, &r);
}

/* Its end: what it had is answered, it is forked again when asked. */
static void
revproc_gone(struct filter *f)
{
	size_t i;
	int status;

	(void)close(rp_fd);
	rp_fd = -1;
	(void)kill(rp_pid, SIGKILL);
	if (waitpid(rp_pid, &status, 0) == rp_pid && WIFSIGNALED(status))
		log_warnx("revocation process %ld ended (signal %d)",
		    (long)rp_pid, WTERMSIG(status));
	else
		log_warnx("revocation process %ld ended", (long)rp_pid);
	rp_pid = -1;
	for (i = 0; i < f->workers.n; i++)
		if (f->workers.w[i].revq != 0)
			unanswered(f, i, "the revocation process ended");
	for (i = 0; i < REVPROC_SESSIONS; i++)
		if (rp_sessq[i].qid != 0)
			session_unanswered(f, &rp_sessq[i], "the revocation "
			    "process ended");
}

void
revproc_input(struct filter *f)
{
	struct revq_reply r;
	ssize_t n;
	size_t i;
	int fd;

	while (rp_fd != -1) {
		n = packet_recv(rp_fd, rp_buf, sizeof(rp_buf), &fd);
		if (fd != -1)
			(void)close(fd);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0 || revq_reply_check(rp_buf, (size_t)n, &r) == -1) {
			revproc_gone(f);
			return;
		}
		/* an answer the loop gave up on is dropped */
		for (i = 0; i < f->workers.n; i++)
			if (f->workers.w[i].revq == r.qid && r.qid != 0) {
				answer_worker(f, i, &r);
				break;
			}
		for (i = 0; i < REVPROC_SESSIONS; i++)
			if (rp_sessq[i].qid == r.qid && r.qid != 0) {
				session_answer(f, &rp_sessq[i], &r);
				break;
			}
	}
}

void
revproc_check(struct filter *f)
{
	time_t now = time(NULL);
	struct worker *w;
	size_t i;

	for (i = 0; i < f->workers.n; i++) {
		w = &f->workers.w[i];
		if (w->revq != 0 && now - w->revq_since >
		    (time_t)w->revq_timeout + REVPROC_GRACE)
			unanswered(f, i, "the revocation process did not "
			    "answer in time");
	}
	for (i = 0; i < REVPROC_SESSIONS; i++)
		if (rp_sessq[i].qid != 0 && now - rp_sessq[i].since >
		    (time_t)rp_sessq[i].timeout + REVPROC_GRACE)
			session_unanswered(f, &rp_sessq[i], "the revocation "
			    "process did not answer in time");
}

void
revproc_stop(void)
{
	if (rp_fd == -1)
		return;
	(void)close(rp_fd);	/* it sees the end and exits */
	rp_fd = -1;
	(void)waitpid(rp_pid, NULL, 0);
	rp_pid = -1;
}

/*
 * In a worker.  The loop answers every question, in time or not (its
 * own deadline is the question's timeout and a grace), so the wait here
 * is only against a loop gone wrong; an answer to an older question is
 * skipped.
 */
void
revproc_ask_from_worker(int sock, const struct revq_question *q,
    struct revq_reply *r)
{
	struct pollfd p;
	uint8_t *buf;
	size_t len;
	ssize_t n;
	time_t end = time(NULL) + q->timeout + 2 * REVPROC_GRACE;
	int fd;

	memset(r, 0, sizeof(*r));
	r->status = REVQ_UNANSWERED;
	(void)strlcpy(r->text, "not asked", sizeof(r->text));
	if ((buf = malloc(REVQ_PKT_MAX)) == NULL)
		return;
	if ((len = revq_encode(q, buf, REVQ_PKT_MAX)) == 0 ||
	    packet_send(sock, buf, len, -1) == -1)
		goto done;
	while (time(NULL) < end) {
		p.fd = sock;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, 1000) == -1 && errno != EINTR)
			break;
		if (p.revents == 0)
			continue;
		n = packet_recv(sock, buf, REVQ_PKT_MAX, &fd);
		if (fd != -1)
			(void)close(fd);
		if (n <= 0)
			break;
		if (revq_reply_check(buf, (size_t)n, r) == 0 &&
		    r->qid == q->qid)
			goto done;
	}
	memset(r, 0, sizeof(*r));
	r->status = REVQ_UNANSWERED;
	(void)strlcpy(r->text, "no answer from the loop", sizeof(r->text));
done:
	free(buf);
}
