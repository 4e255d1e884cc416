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
#include "lookq.h"
#include "newproc.h"
#include "packet.h"
#include "proto.h"
#include "revproc.h"

static pid_t	 rp_pid = -1;
static int	 rp_fd = -1;
static uint64_t	 rp_qid;
/* a packet of either kind */
#define RP_BUF	(LOOKQ_PKT_MAX > REVQ_PKT_MAX ? LOOKQ_PKT_MAX : REVQ_PKT_MAX)
static uint8_t	 rp_buf[RP_BUF];

/* The loop's own questions, for RCPTs parked until their answer. */
struct sessq {
	uint64_t	 qid;		/* 0: a free slot */
	uint32_t	 kind;		/* PKT_REVQ or PKT_LOOKQ */
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
	struct lookq_question lq;
	struct revq_question q;
	struct revq_reply r;
	ssize_t n;
	size_t len;
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
		if (n > 0 && lookq_question_check(rp_buf, (size_t)n, &lq) ==
		    0 && f->hooks.look_answer != NULL) {
			len = f->hooks.look_answer(f->hooks.arg, &lq, rp_buf,
			    sizeof(rp_buf));
			if (len > 0 && packet_send(sock, rp_buf, len, -1) == -1)
				break;
			continue;
		}
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

/*
 * A question packet (either kind: its number at offset 8) to the
 * process, under a number of ours: 0, or -1 (no answer).
 */
static int
send_packet(struct filter *f, uint8_t *pkt, size_t len, uint64_t *qid)
{
	*qid = ++rp_qid;
	if (len < 16)
		return -1;
	memcpy(pkt + 8, qid, sizeof(*qid));
	if (rp_fd == -1 && revproc_start(f) == -1)
		return -1;
	return packet_send(rp_fd, pkt, len, -1) == -1 ? -1 : 0;
}

static int
send_question(struct filter *f, struct revq_question *q, uint64_t *qid)
{
	size_t len;

	if ((len = revq_encode(q, rp_buf, sizeof(rp_buf))) == 0)
		return -1;
	return send_packet(f, rp_buf, len, qid);
}

/* An answer packet to worker i, under its own question's number. */
static void
answer_worker(struct filter *f, size_t i, void *pkt, size_t len)
{
	struct worker *w = &f->workers.w[i];

	memcpy((uint8_t *)pkt + 8, &w->revq_own, sizeof(w->revq_own));
	w->revq = 0;
	if (w->fd != -1 && packet_send(w->fd, pkt, len, -1) == -1)
		log_warnx("worker %ld: an answer: %s", (long)w->pid,
		    strerror(errno));
}

/* A lookup answer for a worker that none came for: DOWN, try later. */
static size_t
look_down(uint8_t *buf, size_t cap, const char *why)
{
	struct lookq_answer a;

	memset(&a, 0, sizeof(a));
	a.kind = PKT_LOOKA;
	a.status = LOOKQ_DOWN;
	a.until = time(NULL) + 10;
	(void)strlcpy(a.addr, "?@?", sizeof(a.addr));	/* no recipient's */
	(void)strlcpy(a.text, why, sizeof(a.text));
	return lookq_answer_encode(&a, NULL, buf, cap);
}

static void
unanswered(struct filter *f, size_t i, const char *why)
{
	struct worker *w = &f->workers.w[i];
	struct revq_reply r;
	uint8_t buf[sizeof(struct lookq_answer)];
	size_t len;

	if (w->revq_kind == PKT_LOOKQ) {
		if ((len = look_down(buf, sizeof(buf), why)) > 0)
			answer_worker(f, i, buf, len);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.kind = PKT_REVA;
	r.status = REVQ_UNANSWERED;
	(void)strlcpy(r.text, why, sizeof(r.text));
	answer_worker(f, i, &r, sizeof(r));
}

void
revproc_question(struct filter *f, size_t i, const uint8_t *pkt, size_t n)
{
	struct worker *w = &f->workers.w[i];
	struct revq_question q;
	uint64_t qid;

	w->revq_kind = PKT_REVQ;
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

/*
 * Worker i asks for a recipient's certificate: what the loop keeps
 * (its RCPT TO asked already, as a rule), else the process is asked.
 * The worker waits; the loop does not.
 */
void
revproc_look_question(struct filter *f, size_t i, const uint8_t *pkt,
    size_t n)
{
	struct worker *w = &f->workers.w[i];
	struct lookq_question q;
	size_t len;
	int timeout = REVPROC_LOOK_WAIT;

	w->revq_kind = PKT_LOOKQ;
	w->revq_own = 0;
	if (lookq_question_check(pkt, n, &q) == -1) {
		unanswered(f, i, "a malformed question");
		return;
	}
	w->revq_own = q.qid;
	if (f->hooks.look_recall != NULL && (len = f->hooks.look_recall(
	    f->hooks.arg, &q, rp_buf, sizeof(rp_buf), &timeout)) > 0) {
		answer_worker(f, i, rp_buf, len);
		return;
	}
	memcpy(rp_buf, &q, sizeof(q));
	if (send_packet(f, rp_buf, sizeof(q), &w->revq) == -1) {
		w->revq = 0;
		unanswered(f, i, "the lookup process cannot be asked");
		return;
	}
	w->revq_since = time(NULL);
	w->revq_timeout = timeout;
}

int
revproc_session_question(struct filter *f, uint64_t sid)
{
	const struct revq_question *asked;
	struct revq_question q;
	const uint8_t *hash;
	struct sessq *sq = NULL;
	size_t i, len = 0;
	int timeout = 0, rc;

	for (i = 0; i < REVPROC_SESSIONS && sq == NULL; i++)
		if (rp_sessq[i].qid == 0)
			sq = &rp_sessq[i];
	if (sq == NULL) {
		log_warnx("%d RCPTs wait for answers already",
		    REVPROC_SESSIONS);
		return -1;
	}
	if (f->hooks.look_out != NULL)
		len = f->hooks.look_out(f->hooks.arg, rp_buf, sizeof(rp_buf),
		    &timeout);
	if (len > 0) {
		sq->kind = PKT_LOOKQ;
		rc = send_packet(f, rp_buf, len, &sq->qid);
	} else {
		if (f->hooks.revq_out == NULL || (asked =
		    f->hooks.revq_out(f->hooks.arg, &hash)) == NULL)
			return -1;
		q = *asked;
		sq->kind = PKT_REVQ;
		memcpy(sq->hash, hash, sizeof(sq->hash));
		timeout = q.timeout;
		rc = send_question(f, &q, &sq->qid);
	}
	if (rc == -1) {
		sq->qid = 0;
		return -1;
	}
	sq->sid = sid;
	sq->since = time(NULL);
	sq->timeout = timeout;
	return 0;
}

/*
 * What came for a parked RCPT (a revocation reply; a lookup answer was
 * kept as it came, revproc_input): kept by the engine, the RCPT
 * answered.
 */
static void
session_answer(struct filter *f, struct sessq *sq,
    const struct revq_reply *r)
{
	uint64_t sid = sq->sid;

	sq->qid = 0;
	if (r != NULL && f->hooks.revq_learnt != NULL)
		f->hooks.revq_learnt(f->hooks.arg, sq->hash, r);
	proto_rcpt_resume(f, sid);
}

static void
session_unanswered(struct filter *f, struct sessq *sq, const char *why)
{
	struct revq_reply r;

	if (sq->kind == PKT_LOOKQ) {
		/* nothing kept: the RCPT asked again gets 451 4.4.3 */
		log_info("a lookup: %s", why);
		session_answer(f, sq, NULL);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.kind = PKT_REVA;
	r.status = REVQ_UNANSWERED;
	r.until = time(NULL) + REVQ_DOWN_FOR;
	(void)strlcpy(r.text, why, sizeof(r.text));
	session_answer(f, sq, &r);
}

/* Its end: what it had is answered, it is forked again when asked. */
static void
revproc_gone(struct filter *f, int ended_here)
{
	size_t i;
	int status;

	(void)close(rp_fd);
	rp_fd = -1;
	(void)kill(rp_pid, SIGKILL);
	if (waitpid(rp_pid, &status, 0) == rp_pid && WIFSIGNALED(status) &&
	    !ended_here)
		log_warnx("revocation process %ld ended (signal %d)",
		    (long)rp_pid, WTERMSIG(status));
	else if (!ended_here)
		log_warnx("revocation process %ld ended", (long)rp_pid);
	else
		log_info("revocation process %ld ended for the new rules",
		    (long)rp_pid);
	rp_pid = -1;
	for (i = 0; i < f->workers.n; i++)
		if (f->workers.w[i].revq != 0)
			unanswered(f, i, "the revocation process ended");
	for (i = 0; i < REVPROC_SESSIONS; i++)
		if (rp_sessq[i].qid != 0)
			session_unanswered(f, &rp_sessq[i], "the revocation "
			    "process ended");
}

/* One answer packet of the process, checked: its kind, or 0. */
static uint32_t
answer_kind(size_t n, uint64_t *qid, struct revq_reply *r)
{
	const uint8_t *der[LOOKQ_CERTS];
	struct lookq_answer a;

	if (revq_reply_check(rp_buf, n, r) == 0) {
		*qid = r->qid;
		return PKT_REVQ;
	}
	if (lookq_answer_check(rp_buf, n, &a, der) == 0) {
		*qid = a.qid;
		return PKT_LOOKQ;
	}
	return 0;
}

void
revproc_renew(struct filter *f)
{
	if (rp_fd != -1)
		revproc_gone(f, 1);
}

void
revproc_input(struct filter *f)
{
	struct revq_reply reply;
	struct worker *w;
	uint64_t qid;
	uint32_t kind;
	ssize_t n;
	size_t i;
	int fd;

	while (rp_fd != -1) {
		n = packet_recv(rp_fd, rp_buf, sizeof(rp_buf), &fd);
		if (fd != -1)
			(void)close(fd);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0 || (kind = answer_kind((size_t)n, &qid, &reply)) ==
		    0) {
			revproc_gone(f, 0);
			return;
		}
		/*
		 * A lookup answer is kept whoever asked, even one the loop
		 * gave up waiting for: the next RCPT or worker finds it.
		 * Otherwise an answer the loop gave up on is dropped.
		 */
		if (kind == PKT_LOOKQ && f->hooks.look_learnt != NULL)
			f->hooks.look_learnt(f->hooks.arg, rp_buf, (size_t)n);
		for (i = 0; i < f->workers.n && qid != 0; i++) {
			w = &f->workers.w[i];
			if (w->revq != qid || w->revq_kind != kind)
				continue;
			answer_worker(f, i, rp_buf, (size_t)n);
			break;
		}
		for (i = 0; i < REVPROC_SESSIONS && qid != 0; i++)
			if (rp_sessq[i].qid == qid && rp_sessq[i].kind == kind) {
				session_answer(f, &rp_sessq[i], kind ==
				    PKT_REVQ ? &reply : NULL);
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
 * skipped.  The answer packet (of kind, to question qid) into buf: its
 * length, or 0.
 */
static size_t
ask_loop(int sock, const void *pkt, size_t len, uint32_t kind, uint64_t qid,
    int secs, uint8_t *buf, size_t cap)
{
	struct pollfd p;
	uint64_t got;
	uint32_t k;
	ssize_t n;
	time_t end = time(NULL) + secs + 2 * REVPROC_GRACE;
	int fd;

	if (packet_send(sock, pkt, len, -1) == -1)
		return 0;
	while (time(NULL) < end) {
		p.fd = sock;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, 1000) == -1 && errno != EINTR)
			break;
		if (p.revents == 0)
			continue;
		n = packet_recv(sock, buf, cap, &fd);
		if (fd != -1)
			(void)close(fd);
		if (n <= 0)
			break;
		if (n < 16)
			continue;
		memcpy(&k, buf, sizeof(k));
		memcpy(&got, buf + 8, sizeof(got));
		if (k == kind && got == qid)
			return (size_t)n;
	}
	return 0;
}

void
revproc_ask_from_worker(int sock, const struct revq_question *q,
    struct revq_reply *r)
{
	uint8_t *buf;
	size_t len;

	memset(r, 0, sizeof(*r));
	r->status = REVQ_UNANSWERED;
	(void)strlcpy(r->text, "not asked", sizeof(r->text));
	if ((buf = malloc(REVQ_PKT_MAX)) == NULL)
		return;
	if ((len = revq_encode(q, buf, REVQ_PKT_MAX)) == 0)
		goto done;
	if ((len = ask_loop(sock, buf, len, PKT_REVA, q->qid, q->timeout, buf,
	    REVQ_PKT_MAX)) == 0 || revq_reply_check(buf, len, r) == -1) {
		memset(r, 0, sizeof(*r));
		r->status = REVQ_UNANSWERED;
		(void)strlcpy(r->text, "no answer from the loop",
		    sizeof(r->text));
	}
done:
	free(buf);
}

size_t
revproc_look_from_worker(int sock, const struct lookq_question *q,
    uint8_t *buf, size_t cap)
{
	return ask_loop(sock, q, sizeof(*q), PKT_LOOKA, q->qid,
	    REVPROC_LOOK_WAIT, buf, cap);
}
