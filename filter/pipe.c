/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Pipe mode: one message on standard input, the result on standard
 * output, a sysexits status (for Exim's transport_filter and scripts).
 * The message is spooled like in filter mode: in memory up to a bound,
 * then in an unlinked temporary file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <signal.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "engine.h"
#include "harvestpkt.h"
#include "hooks.h"
#include "keyproc.h"
#include "log.h"
#include "lookfind.h"
#include "packet.h"
#include "revcheck.h"
#include "revproc.h"
#include "sandbox.h"
#include "spool.h"


/*
 * In memory up to 64 KB, past that a file: fresh anonymous memory costs
 * a page fault per 4 KB page (and a copy at each doubling), a file's
 * pages are mapped sixteen at a time.  Measured here (a 10 MB message
 * signed, perf stat): 4 MB in memory took 86 ms and 2755 page faults,
 * 64 KB 58 ms and 846; 1 MB: 29 and 23 ms; 10 KB: the same.
 */
#define PIPE_MEM	(64 * 1024)

/*
 * Syslog lines under -e name the Exim message id (from the Received:
 * header Exim added) and the recipients; both are quoted.
 */
void
pipe_log_context(const char *msg, size_t len, char **rcpts, int nrcpts)
{
	char ctx[400], id[64], q[200];
	size_t o = 0;
	int i, n;

	ctx[0] = '\0';
	if (msg != NULL && log_exim_id(msg, len, id, sizeof(id)) > 0) {
		n = snprintf(ctx, sizeof(ctx), "id=%s", id);
		o = n > 0 ? (size_t)n : 0;
	}
	for (i = 0; i < nrcpts && o + 1 < sizeof(ctx); i++) {
		log_quote(q, sizeof(q), rcpts[i], strlen(rcpts[i]));
		n = snprintf(ctx + o, sizeof(ctx) - o, "%s%s%s", i ? "," :
		    o ? " rcpt=" : "rcpt=", q, "");
		if (n < 0 || (size_t)n >= sizeof(ctx) - o)
			break;
		o += (size_t)n;
	}
	log_set_context(ctx);
}

static int
read_stdin(struct spool *sp)
{
	char buf[65536];
	ssize_t r;

	for (;;) {
		r = read(STDIN_FILENO, buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			return 0;
		if (spool_write(sp, buf, (size_t)r) == -1)
			return -1;
	}
}

/*
 * The result is written only after processing succeeded, so a refused
 * message leaves nothing on standard output.  Signed output goes to a
 * second spool first for the same reason.
 */
int
pipe_run(struct engine *g, const struct signers_client *c, const char *sender,
    char **rcpts, int nrcpts)
{
	struct spool_pool pool;
	struct spool in, out;
	struct engine_result r;
	const char *tmp = getenv("TMPDIR"), *msg;
	size_t len;
	int rc, inbound;

	inbound = engine_is_inbound(g, sender, rcpts, (size_t)nrcpts);
	spool_pool_init(&pool, 2 * PIPE_MEM, PIPE_MEM, tmp && *tmp ? tmp :
	    "/tmp");
	spool_init(&in, &pool);
	/* lines tested as they come, for the canonicaliser: outbound only */
	if (!inbound)
		spool_scan(&in);
	spool_init(&out, &pool);
	if (read_stdin(&in) == -1 || spool_map(&in, &msg, &len) == -1) {
		log_warnx("reading the message: %s", strerror(errno));
		spool_clear(&in);
		return EX_TEMPFAIL;
	}
	pipe_log_context(msg, len, rcpts, nrcpts);
	if (inbound)
		engine_inbound(g, rcpts, (size_t)nrcpts, msg, len,
		    spool_write_cb, &out, &r);
	else
		engine_process(g, c, sender, rcpts, (size_t)nrcpts, msg, len,
		    spool_write_cb, &out, &r);
	switch (r.verdict) {
	case VERDICT_PASS:
		spool_unmap(&in);
		rc = spool_copy_fd(&in, STDOUT_FILENO) == 0 ? EX_OK : EX_IOERR;
		break;
	case VERDICT_SIGNED:
	case VERDICT_ENCRYPTED:
	case VERDICT_SIGNED_ENCRYPTED:
	case VERDICT_CHECKED:
	case VERDICT_KEPT:
		rc = spool_copy_fd(&out, STDOUT_FILENO) == 0 ? EX_OK : EX_IOERR;
		break;
	case VERDICT_BADINPUT:
		rc = EX_DATAERR;
		break;
	case VERDICT_REJECT:
		rc = EX_NOPERM;
		break;
	default:
		rc = EX_TEMPFAIL;
		break;
	}
	if (rc == EX_OK && r.notice)
		log_info("%s: %s", engine_verdict_str(r.verdict), r.why);
	else if (rc != EX_OK)
		log_warnx("%s: %s%s%s", engine_verdict_str(r.verdict), r.why,
		    r.reply[0] ? " -- " : "", r.reply);
	else
		log_debug("%s: %s", engine_verdict_str(r.verdict), r.why);
	spool_clear(&in);
	spool_clear(&out);
	return rc;
}

/* In pipe mode's child: a harvested certificate for the parent. */
static int harvest_sock = -1;

static int
harvest_to_parent(void *arg, const struct harvest *h)
{
	(void)arg;
	return harvestpkt_send(harvest_sock, h);
}

/* In pipe mode's child: a revocation question, for the parent. */
static void
revq_to_parent(const struct revq_question *q, struct revq_reply *r)
{
	revproc_ask_from_worker(harvest_sock, q, r);
}

/* In pipe mode's child: a lookup question, for the parent. */
static size_t
look_to_parent(const struct lookq_question *q, uint8_t *buf, size_t cap)
{
	return revproc_look_from_worker(harvest_sock, q, buf, cap);
}

/* The parent: the child's lookup question, asked here. */
static void
look_for_child(struct engine *g, int sock, const struct lookq_question *q)
{
	uint8_t *ans;
	size_t len;

	if ((ans = malloc(LOOKQ_PKT_MAX)) == NULL)
		return;		/* the child waits no answer, then goes on */
	if ((len = lookfind_answer(g, q, ans, LOOKQ_PKT_MAX)) > 0 &&
	    packet_send(sock, ans, len, -1) == -1)
		log_warnx("a lookup answer: %s", strerror(errno));
	free(ans);
}

/* The parent: the child's harvests, checked again and written. */
static void
harvests_from_child(struct engine *g, int sock)
{
	static char buf[80 * 1024];
	struct harvest h;
	unsigned int taken = 0;
	ssize_t n;
	int fd;

	struct lookq_question lq;
	struct revq_question q;
	struct revq_reply r;

	while ((n = packet_recv(sock, buf, sizeof(buf), &fd)) > 0) {
		if (fd != -1)
			(void)close(fd);
		if (lookq_question_check((const uint8_t *)buf, (size_t)n,
		    &lq) == 0)
			look_for_child(g, sock, &lq);
		else if (revq_decode((const uint8_t *)buf, (size_t)n, &q) ==
		    0) {
			/* its question, asked here: it cannot reach out */
			revcheck_answer(g, &q, &r);
			if (packet_send(sock, &r, sizeof(r), -1) == -1)
				log_warnx("a revocation answer: %s",
				    strerror(errno));
		} else if (harvestpkt_decode(buf, (size_t)n, &h) == 0 &&
		    taken++ < HARVEST_PER_MESSAGE)
			engine_harvest_store(g, &h);
	}
}

/*
 * Pipe mode with the message parsed where no key can be read: a child
 * (the workers' sandbox: no file opened, certificates through the key
 * process, no random octets of ours) reads standard input and writes
 * standard output; this process writes what it harvested and exits with
 * its status.  Its deadline is the child's, one second later.
 */
int
pipe_run_sandboxed(struct engine *g, const struct signers_client *c,
    const char *sender, char **rcpts, int nrcpts)
{
	unsigned int left;
	int sv[2], status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1) {
		log_warnx("socketpair: %s", strerror(errno));
		return EX_TEMPFAIL;
	}
	left = alarm(0);
	if ((pid = fork()) == -1) {
		log_warnx("fork: %s", strerror(errno));
		(void)close(sv[0]);
		(void)close(sv[1]);
		(void)alarm(left);
		return EX_TEMPFAIL;
	}
	if (pid == 0) {
		(void)close(sv[0]);
		(void)alarm(left);
		if (cms_rng_reseed(&g->rng) == -1)
			_exit(EX_TEMPFAIL);
		harvest_sock = sv[1];
		g->harvest_to = harvest_to_parent;
		g->revq_ask = revq_to_parent;
		g->look_ask = look_to_parent;
		if (keyclient_fd() != -1)
			ks_set_blob_opener(keyclient_open_blob, NULL);
		engine_preload(g);
		(void)sandbox_worker(log_warnx);
#ifdef FILTER_SMIME_REGRESS
		/* the sandbox's proof, as in a worker (worker.c) */
		if (getenv("FILTER_SMIME_TEST_OPEN") != NULL &&
		    open(getenv("FILTER_SMIME_TEST_OPEN"), O_RDONLY) != -1)
			log_warnx("test hook: pipe mode OPENED %s",
			    getenv("FILTER_SMIME_TEST_OPEN"));
#endif
		_exit(pipe_run(g, c, sender, rcpts, nrcpts));
	}
	(void)close(sv[1]);
	if (left)
		(void)alarm(left + 1);
	harvests_from_child(g, sv[0]);
	(void)close(sv[0]);
	/* the child is done, and no other asks for a key: let it go */
	keyclient_release();
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			log_warnx("waitpid: %s", strerror(errno));
			return EX_TEMPFAIL;
		}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	log_warnx("the message's process ended (signal %d%s)",
	    WTERMSIG(status), WTERMSIG(status) == SIGSYS ?
	    ": the sandbox refused a system call" : "");
	return EX_TEMPFAIL;
}
