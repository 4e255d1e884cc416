/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Worker processes.  Each is forked from the filter after the engine is
 * loaded and gets one job at a time over a SOCK_SEQPACKET socketpair:
 * the envelope the message hook needs and, as SCM_RIGHTS, the file
 * descriptor of the message's spool.  It runs the same hook the loop
 * would and answers with its outcome and the descriptor of the result.
 * Jobs wait in a FIFO while every worker is busy.  A worker that dies
 * fails its message with a temporary error and is replaced.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "harvestpkt.h"
#include "keyproc.h"
#include "ks.h"
#include "log.h"
#include "newproc.h"
#include "packet.h"
#include "proto.h"
#include "revproc.h"
#include "sandbox.h"
#include "worker.h"

/*
 * A packet: a job's envelope and, when it fits, the message itself; or
 * an answer and, when it fits, the result.  What does not fit goes as a
 * file descriptor (a larger envelope: the job is done in the loop).
 */
#define JOB_MAX		(128 * 1024)

struct job_hdr {
	uint64_t	 sid;
	uint64_t	 seq;
	uint32_t	 nrcpts;
	uint32_t	 deferred;
	uint32_t	 len;		/* sender, first RCPT, login, client
					   address, RCPTs; NUL ended */
	uint32_t	 msglen;	/* the message after them, or 0: a fd */
	uint32_t	 clean;		/* the loop found every line clean */
};

/* What a worker sends: a job's result, or a harvest (harvestpkt.h). */
struct job_result {
	uint32_t	 kind;		/* PKT_RESULT */
	uint64_t	 sid;
	uint64_t	 seq;
	struct outcome	 o;		/* the message hook's */
	char		 verdict[24];
	char		 detail[200];
	uint32_t	 len;		/* the result after this, or 0: a fd */
};

/* The worker's side: the envelope back into a session, the hook run. */
static void
run_job(struct filter *f, int sock, const char *buf, size_t n, int fd,
    char *rbuf)
{
	struct job_hdr h;
	struct job_result res;
	struct session s;
	struct spool in, out;
	const char *p, *end, *msg;
	size_t len, i;
	int outfd = -1;

	memset(&res, 0, sizeof(res));
	res.kind = PKT_RESULT;
	memset(&s, 0, sizeof(s));
	spool_init(&in, &f->pool);
	spool_init(&out, &f->pool);
	res.o.rc = -1;
	(void)strlcpy(res.o.reply, REPLY_TEMPFAIL, sizeof(res.o.reply));
	(void)strlcpy(res.o.why, "worker: bad job", sizeof(res.o.why));
	memcpy(&h, buf, sizeof(h));
	res.sid = h.sid;
	res.seq = h.seq;
	p = buf + sizeof(h);
	end = p + h.len;
	if (h.len > n - sizeof(h) || h.msglen != n - sizeof(h) - h.len ||
	    h.len == 0 || end[-1] != '\0' || (fd == -1) != (h.msglen > 0) ||
	    h.nrcpts > h.len ||
	    (s.rcpts = calloc(h.nrcpts + 1, sizeof(*s.rcpts))) == NULL)
		goto answer;
	s.id = h.sid;
	s.sender = (char *)(uintptr_t)p;
	p += strlen(p) + 1;
	if (p >= end)
		goto answer;
	s.first_rcpt = *p ? (char *)(uintptr_t)p : NULL;
	p += strlen(p) + 1;
	if (p >= end)
		goto answer;
	s.login = *p ? (char *)(uintptr_t)p : NULL;
	p += strlen(p) + 1;
	if (p >= end)
		goto answer;
	(void)strlcpy(s.src, p, sizeof(s.src));
	p += strlen(p) + 1;
	for (i = 0; i < h.nrcpts && p < end; i++) {
		s.rcpts[i].addr = (char *)(uintptr_t)p;
		s.rcpts[i].result = RCPT_OK;
		p += strlen(p) + 1;
	}
	if (i != h.nrcpts)
		goto answer;
	s.nrcpts = h.nrcpts;
	s.deferred = h.deferred;
	(void)strlcpy(s.verdict, "pass", sizeof(s.verdict));
	if (fd == -1) {
		msg = end;
		len = h.msglen;
	} else if (spool_adopt(&in, fd) == -1 ||
	    spool_map(&in, &msg, &len) == -1) {
		(void)strlcpy(res.o.why, "worker: the message cannot be read",
		    sizeof(res.o.why));
		goto answer;
	}
	fd = -1;
	memset(&res.o, 0, sizeof(res.o));
	/* tested as it came (spool_scan): no body needs a pass to see */
	if (h.clean)
		mime_set_clean(msg, len);
	f->hooks.message(f->hooks.arg, &s, msg, len, &out, &res.o);
	mime_set_clean(NULL, 0);
	(void)strlcpy(res.verdict, s.verdict, sizeof(res.verdict));
	(void)strlcpy(res.detail, s.detail, sizeof(res.detail));
	if (res.o.rc == 1 && !spool_in_file(&out) &&
	    out.memlen <= JOB_MAX - sizeof(res)) {
		res.len = (uint32_t)out.memlen;
		memcpy(rbuf + sizeof(res), out.mem, out.memlen);
	} else if (res.o.rc == 1 && (outfd = spool_file_fd(&out)) == -1) {
		res.o.rc = -1;
		(void)strlcpy(res.o.reply, REPLY_TEMPFAIL, sizeof(res.o.reply));
		(void)strlcpy(res.o.why, "worker: spool", sizeof(res.o.why));
	}
answer:
	if (fd != -1)
		(void)close(fd);
	memcpy(rbuf, &res, sizeof(res));
	if (packet_send(sock, rbuf, sizeof(res) + res.len, outfd) == -1 &&
	    res.len > 0 && (outfd = spool_file_fd(&out)) != -1) {
		/* too big for the socket's buffer: the file after all */
		res.len = 0;
		memcpy(rbuf, &res, sizeof(res));
		if (packet_send(sock, rbuf, sizeof(res), outfd) == -1)
			log_warnx("worker: answering: %s", strerror(errno));
	}
	spool_clear(&in);
	spool_clear(&out);
	free(s.rcpts);
}

#ifdef FILTER_SMIME_REGRESS
/*
 * Test-only, compiled into the regress build alone: a compromised
 * worker's moves, made before each job.  FILTER_SMIME_TEST_EVIL=
 * "sign:FPR" or "unwrap:FPR" is asked of the key process, which must
 * refuse it unless FPR is that message's sender's or recipient's key;
 * "harvest:FILE:ADDR" hands the loop FILE's certificate as ADDR's,
 * which the loop must check again before it keeps it; "revq:FILE" asks
 * the loop about FILE's certificate (its issuers after it), which must
 * reach no responder unless the policy asks OCSP and the certificate
 * chains to an anchor.
 */
static mbedtls_x509_crt forged_certs;

/* "harvest:FILE:ADDR": FILE's certificates read before the sandbox */
static void
forged_harvest_load(void)
{
	const char *v = getenv("FILTER_SMIME_TEST_EVIL");
	char path[1024];
	size_t n;

	mbedtls_x509_crt_init(&forged_certs);
	if (v != NULL && strncmp(v, "revq:", 5) == 0)
		v += 5;
	else if (v != NULL && strncmp(v, "harvest:", 8) == 0)
		v += 8;
	else
		return;
	n = strcspn(v, ":");
	if (n < sizeof(path)) {
		memcpy(path, v, n);
		path[n] = '\0';
		if (mbedtls_x509_crt_parse_file(&forged_certs, path) != 0)
			log_warnx("test hook: cannot read %s", path);
	}
}

/* The first certificate as ADDR's, the others as its chain. */
static void
forged_harvest(const char *v)
{
	const mbedtls_x509_crt *c = &forged_certs;
	struct harvest h;

	if (strncmp(v, "harvest:", 8) != 0 || c->raw.len == 0 ||
	    strchr(v + 8, ':') == NULL)
		return;
	memset(&h, 0, sizeof(h));
	h.der = c->raw.p;
	h.len = c->raw.len;
	for (c = c->next; c != NULL && c->raw.len > 0 &&
	    h.nchain < HARVEST_CHAIN; c = c->next) {
		h.chain[h.nchain] = c->raw.p;
		h.chainlen[h.nchain++] = c->raw.len;
	}
	h.email = strchr(v + 8, ':') + 1;
	h.caps = "";
	log_warnx("test hook: a forged harvest for %s %s", h.email,
	    workers_send_harvest(&h) == 0 ? "sent" : "NOT SENT");
}

static void
forged_revq(void)
{
	const mbedtls_x509_crt *c;
	struct revq_question q;
	struct revq_reply r;

	memset(&q, 0, sizeof(q));
	q.qid = 7;
	q.timeout = 3;
	for (c = &forged_certs; c != NULL && c->raw.len > 0 &&
	    q.n < REVQ_CERTS_MAX; c = c->next) {
		q.cert[q.n] = c->raw.p;
		q.len[q.n++] = c->raw.len;
	}
	workers_ask_revocation(&q, &r);
	log_warnx("test hook: the forged revocation question: %s (%s)",
	    revq_status_str(r.status), r.text);
}

static void
forged_request(void)
{
	const char *v = getenv("FILTER_SMIME_TEST_EVIL");
	uint8_t in[256], out[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	struct key_remote k;
	size_t n = 0;
	int rc;

	if (v == NULL)
		return;
	memset(in, 1, sizeof(in));
	if (strncmp(v, "sign:", 5) == 0) {
		key_remote_init(&k, v + 5, MBEDTLS_PK_RSA);
		rc = k.op.sign(k.op.arg, MBEDTLS_MD_SHA256, 0, in, 32, out, &n);
	} else if (strncmp(v, "unwrap:", 7) == 0) {
		key_remote_init(&k, v + 7, MBEDTLS_PK_RSA);
		rc = k.op.unwrap(k.op.arg, 0, MBEDTLS_MD_NONE, in, sizeof(in),
		    out, 32);
	} else if (strncmp(v, "revq:", 5) == 0) {
		forged_revq();
		return;
	} else {
		forged_harvest(v);
		return;
	}
	log_warnx("test hook: the forged request %s", rc == 0 ? "WAS ANSWERED" :
	    rc > 0 ? "got random octets" : "was refused");
}
#endif

static int worker_sock = -1;	/* a worker's, to the loop */

/* In a worker: a certificate for the loop to check and keep. */
int
workers_send_harvest(const struct harvest *h)
{
	return harvestpkt_send(worker_sock, h);
}

/* In a worker: a revocation question, through the loop (revproc.h). */
void
workers_ask_revocation(const struct revq_question *q, struct revq_reply *r)
{
	revproc_ask_from_worker(worker_sock, q, r);
}

size_t
workers_ask_lookup(const struct lookq_question *q, uint8_t *buf, size_t cap)
{
	return revproc_look_from_worker(worker_sock, q, buf, cap);
}

static void __attribute__((noreturn))
worker_main(struct filter *f, int sock)
{
	char *buf, *rbuf;
	ssize_t n;
	int fd, had_keys = keyclient_fd() != -1;

	no_dumps();
#ifdef __linux__
	/* its name in ps and /proc: the tests find it so */
	(void)prctl(PR_SET_NAME, "smime-worker", 0, 0, 0);
	/* nothing it could execute gains privileges */
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
#endif
	if ((buf = malloc(JOB_MAX)) == NULL || (rbuf = malloc(JOB_MAX)) == NULL)
		_exit(1);
	worker_sock = sock;
	if (f->hooks.in_worker)
		f->hooks.in_worker(f->hooks.arg);
#ifdef FILTER_SMIME_REGRESS
	forged_harvest_load();
#endif
	/* certificates through its key process; then no file at all */
	if (had_keys)
		ks_set_blob_opener(keyclient_open_blob, NULL);
	(void)sandbox_worker(log_warnx);
	for (;;) {
		n = packet_recv(sock, buf, JOB_MAX, &fd);
		if (n == 0)
			break;
		if (n == -1) {
			if (errno == EMSGSIZE)
				continue;
			break;
		}
#ifdef FILTER_SMIME_REGRESS
		forged_request();
		/* the sandbox's proof: this ends the worker (see sandbox.h) */
		if (getenv("FILTER_SMIME_TEST_OPEN") != NULL &&
		    open(getenv("FILTER_SMIME_TEST_OPEN"), O_RDONLY) != -1)
			log_warnx("test hook: the worker OPENED %s",
			    getenv("FILTER_SMIME_TEST_OPEN"));
#endif
		if ((size_t)n < sizeof(struct job_hdr)) {
			if (fd != -1)
				(void)close(fd);
			continue;
		}
		run_job(f, sock, buf, (size_t)n, fd, rbuf);
		if (had_keys && keyclient_fd() == -1)
			break;	/* its key process hung: both are replaced */
	}
	_exit(0);
}

static void
close_pair(int *p)
{
	if (p[0] != -1)
		(void)close(p[0]);
	if (p[1] != -1)
		(void)close(p[1]);
}

/* A worker's key process: its control channel closed, it ends. */
static void
key_stop(struct worker *w)
{
	if (w->kctl != -1)
		(void)close(w->kctl);
	w->kctl = -1;
}

static int
spawn(struct filter *f, size_t i)
{
	struct worker *w = &f->workers.w[i];
	int sv[2], kv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		return -1;
	/* its own key process, and its channel to it */
	kv[0] = kv[1] = -1;
	w->kctl = -1;
	if (keyclient_fd() != -1 && (keyclient_fork(&w->kctl) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, kv) == -1 ||
	    keyclient_channel(w->kctl, 0, kv[0]) == -1)) {
		close_pair(kv);
		close_pair(sv);
		key_stop(w);
		return -1;
	}
	if ((pid = fork()) == -1) {
		close_pair(kv);
		close_pair(sv);
		key_stop(w);
		return -1;
	}
	if (pid == 0) {
		/* nothing of other sessions' or workers': only its sockets */
		close_all_but(sv[1], kv[1]);
		keyclient_set_fd(kv[1]);
		worker_main(f, sv[1]);
	}
	close_pair(kv);		/* the key process has its copy */
	(void)close(sv[1]);
	(void)fcntl(sv[0], F_SETFD, FD_CLOEXEC);
	if (w->kctl != -1)
		(void)fcntl(w->kctl, F_SETFD, FD_CLOEXEC);
	w->pid = pid;
	w->fd = sv[0];
	w->busy = 0;
	w->stale = 0;
	return 0;
}

/* n workers; 0 keeps the work in the loop. */
int
workers_start(struct filter *f, size_t n, volatile sig_atomic_t *hup)
{
	size_t i;

	f->workers.hup = hup;
	f->workers.no_inline = keyclient_fd() != -1;
	if (n == 0 && f->workers.no_inline) {
		n = 1;
		f->workers.sync = 1;
	}
	if (n > WORKERS_MAX)
		n = WORKERS_MAX;
	if (n > 0 && (f->workers.buf = malloc(JOB_MAX)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		f->workers.w[i].fd = -1;
		if (spawn(f, i) == -1) {
			log_warnx("worker: %s", strerror(errno));
			break;
		}
		f->workers.n = i + 1;
	}
	if (n > 0)
		log_debug("%zu worker processes%s", f->workers.n,
		    f->workers.sync ? " (-j 0: one message at a time, the "
		    "loop waiting)" : "");
	return f->workers.n == n ? 0 : -1;
}

/* Online CPUs, at least one. */
size_t
workers_default(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > WORKERS_MAX ? WORKERS_MAX : (size_t)n;
}

void
workers_stop(struct filter *f)
{
	size_t i;

	/* idle ones see the end of their socket; busy ones are stopped */
	for (i = 0; i < f->workers.n; i++) {
		if (f->workers.w[i].fd == -1)
			continue;
		(void)close(f->workers.w[i].fd);
		f->workers.w[i].fd = -1;
		if (f->workers.w[i].busy)
			(void)kill(f->workers.w[i].pid, SIGTERM);
	}
	for (i = 0; i < f->workers.n; i++) {
		(void)waitpid(f->workers.w[i].pid, NULL, 0);
		key_stop(&f->workers.w[i]);
	}
	revproc_stop();
	free(f->workers.queue);
	f->workers.queue = NULL;
	free(f->workers.buf);
	f->workers.buf = NULL;
	f->workers.n = 0;
}

/* Idle workers forked before the last reload: ended, and forked anew. */
static void
renew_idle(struct filter *f)
{
	struct worker *w;
	size_t i;

	for (i = 0; i < f->workers.n; i++) {
		w = &f->workers.w[i];
		if (!w->stale || w->busy || w->fd == -1)
			continue;
		(void)close(w->fd);
		w->fd = -1;
		/* idle: nothing of a message lost; stopped or not, it ends */
		(void)kill(w->pid, SIGKILL);
		(void)waitpid(w->pid, NULL, 0);
		key_stop(w);
		w->stale = 0;
		if (spawn(f, i) == -1)
			log_warnx("worker: cannot start another: %s",
			    strerror(errno));
	}
}

/*
 * A job past the deadline: the worker is killed, which fails its
 * message (451) and brings a new worker, as when one dies.
 */
void
workers_check(struct filter *f)
{
	time_t now = time(NULL);
	size_t i;

	(void)keyclient_check();	/* the loop's own */
	renew_idle(f);
	revproc_check(f);

	for (i = 0; i < f->workers.n; i++)
		if (f->workers.w[i].busy && f->workers.w[i].fd != -1 &&
		    now - f->workers.w[i].since > (time_t)f->workers.deadline) {
			log_warnx("worker %ld: message over %u s, stopped",
			    (long)f->workers.w[i].pid, f->workers.deadline);
			(void)kill(f->workers.w[i].pid, SIGKILL);
			f->workers.w[i].since = now;	/* once */
		}
}

/*
 * Worker i's key process ended (its control channel hung up): the
 * worker is stopped and both are replaced, a busy worker's message
 * failing with 451 as when a worker dies.
 */
void
workers_key_gone(struct filter *f, size_t i)
{
	struct worker *w = &f->workers.w[i];

	log_warnx("the key process of worker %ld ended: replacing both",
	    (long)w->pid);
	key_stop(w);
	if (w->fd != -1)
		(void)kill(w->pid, SIGKILL);
}

/*
 * The loop has new rules or a new keystore index: every worker is
 * replaced by one forked now, idle ones at once, busy ones when their
 * message is done (a worker reads no file: it has what it was forked
 * with).
 */
void
workers_renew(struct filter *f)
{
	size_t i;

	for (i = 0; i < f->workers.n; i++)
		f->workers.w[i].stale = 1;
	renew_idle(f);
}

int
workers_busy(const struct filter *f)
{
	size_t i;

	if (f->workers.qlen > 0)
		return 1;
	for (i = 0; i < f->workers.n; i++)
		if (f->workers.w[i].busy)
			return 1;
	return 0;
}

/* Queue the session's message; 0, or -1 when it must be done inline. */
int
workers_submit(struct filter *f, struct session *s)
{
	struct workers *ws = &f->workers;
	struct job_ref *q;
	size_t i, ncap;

	if (ws->n == 0)
		return -1;
	if (ws->qlen == ws->qcap) {
		ncap = ws->qcap ? ws->qcap * 2 : 64;
		if ((q = calloc(ncap, sizeof(*q))) == NULL)
			return -1;
		for (i = 0; i < ws->qlen; i++)
			q[i] = ws->queue[(ws->qhead + i) % ws->qcap];
		free(ws->queue);
		ws->queue = q;
		ws->qcap = ncap;
		ws->qhead = 0;
	}
	s->job = ++ws->seq;
	ws->queue[(ws->qhead + ws->qlen++) % ws->qcap].sid = s->id;
	ws->queue[(ws->qhead + ws->qlen - 1) % ws->qcap].seq = s->job;
	return 0;
}

/*
 * The envelope of a job: sender, first RCPT, the AUTH login and the
 * client's address (the signer table's questions), accepted RCPTs.
 */
static size_t
job_build(const struct session *s, char *buf, size_t cap)
{
	struct job_hdr h;
	size_t off = sizeof(h), i, k;
	const char *str;

	memset(&h, 0, sizeof(h));
	h.sid = s->id;
	h.seq = s->job;
	h.deferred = (uint32_t)s->deferred;
	h.clean = (uint32_t)spool_clean(&s->spool);
	for (i = 0; i <= s->nrcpts + 3; i++) {
		if (i == 0)
			str = s->sender ? s->sender : "";
		else if (i == 1)
			str = s->first_rcpt ? s->first_rcpt : "";
		else if (i == 2)
			str = s->login ? s->login : "";
		else if (i == 3)
			str = s->src;
		else if (s->rcpts[i - 4].result == RCPT_OK) {
			str = s->rcpts[i - 4].addr;
			h.nrcpts++;
		} else
			continue;
		k = strlen(str) + 1;
		if (k > cap - off)
			return 0;
		memcpy(buf + off, str, k);
		off += k;
	}
	h.len = (uint32_t)(off - sizeof(h));
	memcpy(buf, &h, sizeof(h));
	return off;
}

/*
 * Tell the key process what chan's message may use: the envelope
 * sender's signing key, the accepted recipients' decryption keys.  s
 * NULL: nothing (the job is over).
 */
int
workers_grant(int ctl, uint32_t chan, const struct session *s)
{
	char **rcpts;
	size_t i, n = 0;
	int rc;

	if (ctl == -1)
		return 0;
	if (s == NULL)
		return keyclient_grant(ctl, chan, NULL, NULL, 0, 0);
	if ((rcpts = calloc(s->nrcpts + 1, sizeof(*rcpts))) == NULL)
		return -1;
	for (i = 0; i < s->nrcpts; i++)
		if (s->rcpts[i].result == RCPT_OK)
			rcpts[n++] = s->rcpts[i].addr;
	rc = keyclient_grant(ctl, chan, s->sender ? s->sender : "", rcpts, n,
	    0);
	free(rcpts);
	return rc;
}

/* The message in the packet when it fits (no file), else its fd. */
static int
dispatch(struct worker *w, struct session *s, char *buf)
{
	struct job_hdr h;
	const char *msg;
	size_t n, len;
	int fd = -1, rc = -1, sent = -1;

	if ((n = job_build(s, buf, JOB_MAX)) == 0 ||
	    workers_grant(w->kctl, 0, s) == -1)
		return -1;
	if (!spool_in_file(&s->spool) && s->spool.memlen <= JOB_MAX - n &&
	    spool_map(&s->spool, &msg, &len) == 0 && len > 0) {
		memcpy(buf + n, msg, len);
		memcpy(&h, buf, sizeof(h));
		h.msglen = (uint32_t)len;
		memcpy(buf, &h, sizeof(h));
		sent = packet_send(w->fd, buf, n + len, -1);
		h.msglen = 0;		/* for a retry with the fd */
		memcpy(buf, &h, sizeof(h));
	}
	/* too big for the packet (or for the socket's buffer): the file */
	if (sent == -1 && (fd = spool_file_fd(&s->spool)) != -1)
		sent = packet_send(w->fd, buf, n, fd);
	if (sent == 0) {
		w->busy = 1;
		w->harvests = 0;
		w->revq = 0;
		w->sid = s->id;
		w->seq = s->job;
		w->since = time(NULL);
		rc = 0;
	}
	return rc;
}

/* A job that ends without a worker's answer: 451. */
static void
fail_job(struct filter *f, uint64_t sid, uint64_t seq, const char *why)
{
	struct work_result wr;
	struct outcome o;

	memset(&o, 0, sizeof(o));
	o.rc = -1;
	(void)strlcpy(o.reply, REPLY_TEMPFAIL, sizeof(o.reply));
	(void)strlcpy(o.why, why, sizeof(o.why));
	memset(&wr, 0, sizeof(wr));
	wr.sid = sid;
	wr.seq = seq;
	wr.o = &o;
	wr.verdict = wr.detail = "";
	wr.fd = -1;
	f->workers.done(f, &wr);
}

/*
 * A job no worker can take: done in the loop, or, with keys about,
 * failed with 451: the loop can read the keystore and the master key,
 * so it never parses a message (a retry finds a worker).
 */
void
workers_inline(struct filter *f, struct session *s)
{
	if (!f->workers.no_inline) {
		f->workers.run_inline(f, s);
		return;
	}
	log_warnx("no worker could take a message: 451 (with a keystore, "
	    "messages are parsed by workers only)");
	fail_job(f, s->id, s->job, "no worker");
}

/*
 * -j 0 with a keystore: the loop waits for its one worker as it would
 * for work done in itself, under the same deadline, and a worker or key
 * process that dies ends the message as with more workers.
 */
static void
wait_sync(struct filter *f, size_t i)
{
	struct worker *w = &f->workers.w[i];
	struct pollfd p[3];

	while (w->busy && w->fd != -1) {
		p[0].fd = w->fd;
		p[0].events = POLLIN;
		p[1].fd = w->kctl;
		p[1].events = 0;
		/* its revocation questions are answered meanwhile */
		p[2].fd = revproc_fd();
		p[2].events = POLLIN;
		p[0].revents = p[1].revents = p[2].revents = 0;
		if (poll(p, 3, 1000) == -1 && errno != EINTR) {
			log_warnx("poll: %s", strerror(errno));
			return;		/* the loop's poll takes it up */
		}
		if (p[1].fd != -1 && (p[1].revents & (POLLHUP | POLLERR)))
			workers_key_gone(f, i);
		if (p[2].fd != -1 && (p[2].revents & (POLLIN | POLLHUP |
		    POLLERR)))
			revproc_input(f);
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
			workers_input(f, i);
		else
			workers_check(f);
	}
}

/* Hand queued jobs to idle workers; what cannot go is done inline. */
void
workers_kick(struct filter *f)
{
	struct workers *ws = &f->workers;
	struct job_ref j;
	struct session *s;
	size_t i;
	int live;

	while (ws->qlen > 0) {
		live = 0;
		for (i = 0; i < ws->n; i++) {
			live |= ws->w[i].fd != -1;
			if (!ws->w[i].busy && ws->w[i].fd != -1)
				break;
		}
		if (i == ws->n && live)
			return;		/* all busy: the next answer kicks */
		j = ws->queue[ws->qhead];
		ws->qhead = (ws->qhead + 1) % ws->qcap;
		ws->qlen--;
		s = session_find(&f->sessions, j.sid);
		if (s == NULL || s->state != MSG_WORK || s->job != j.seq)
			continue;	/* gone meanwhile */
		if (!live || dispatch(&ws->w[i], s, ws->buf) == -1)
			workers_inline(f, s);
		else if (ws->sync)
			wait_sync(f, i);
	}
}

/* A worker's answer, or its end: finish its session's message. */
void
workers_input(struct filter *f, size_t i)
{
	struct worker *w = &f->workers.w[i];
	struct job_result res;
	struct work_result wr;
	struct harvest h;
	ssize_t n;
	int fd, status;

	n = packet_recv(w->fd, f->workers.buf, JOB_MAX, &fd);
	if (n > 0 && fd == -1 && w->busy && harvestpkt_decode(f->workers.buf,
	    (size_t)n, &h) == 0) {
		if (f->hooks.harvest && w->harvests++ < HARVEST_PER_MESSAGE)
			f->hooks.harvest(f->hooks.arg, &h);
		return;
	}
	/* a revocation or lookup question: one at a time, by the loop */
	if (n >= 4 && fd == -1 && w->busy && w->revq == 0 &&
	    memcmp(f->workers.buf, &(uint32_t){ PKT_REVQ }, 4) == 0) {
		revproc_question(f, i, (const uint8_t *)f->workers.buf,
		    (size_t)n);
		return;
	}
	if (n >= 4 && fd == -1 && w->busy && w->revq == 0 &&
	    memcmp(f->workers.buf, &(uint32_t){ PKT_LOOKQ }, 4) == 0) {
		revproc_look_question(f, i, (const uint8_t *)f->workers.buf,
		    (size_t)n);
		return;
	}
	if (n >= (ssize_t)sizeof(res))
		memcpy(&res, f->workers.buf, sizeof(res));
	if (n >= (ssize_t)sizeof(res) && res.kind == PKT_RESULT &&
	    (size_t)n == sizeof(res) + res.len &&
	    (res.len == 0 || fd == -1) && w->busy && res.sid == w->sid &&
	    res.seq == w->seq) {
		w->busy = 0;
		w->revq = 0;	/* an answer still to come is dropped */
		res.o.reply[sizeof(res.o.reply) - 1] = '\0';
		res.o.why[sizeof(res.o.why) - 1] = '\0';
		res.verdict[sizeof(res.verdict) - 1] = '\0';
		res.detail[sizeof(res.detail) - 1] = '\0';
		memset(&wr, 0, sizeof(wr));
		wr.sid = res.sid;
		wr.seq = res.seq;
		wr.o = &res.o;
		wr.verdict = res.verdict;
		wr.detail = res.detail;
		wr.fd = fd;
		wr.res = res.len ? f->workers.buf + sizeof(res) : NULL;
		wr.reslen = res.len;
		f->workers.done(f, &wr);
		renew_idle(f);
		workers_kick(f);
		return;
	}
	if (fd != -1)
		(void)close(fd);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	/* gone (or talking nonsense): its message fails, a new one starts */
	(void)close(w->fd);
	w->fd = -1;
	(void)kill(w->pid, SIGKILL);	/* if it only talked nonsense */
	if (waitpid(w->pid, &status, 0) == w->pid && WIFSIGNALED(status))
		log_warnx("worker %ld ended (signal %d%s)", (long)w->pid,
		    WTERMSIG(status), WTERMSIG(status) == SIGSYS ?
		    ": the sandbox refused a system call" : "");
	else
		log_warnx("worker %ld ended", (long)w->pid);
	key_stop(w);
	if (w->busy) {
		w->busy = 0;
		fail_job(f, w->sid, w->seq, "worker ended");
	}
	if (spawn(f, i) == -1)
		log_warnx("worker: cannot start another: %s", strerror(errno));
	workers_kick(f);
}
