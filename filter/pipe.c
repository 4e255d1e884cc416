/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Pipe mode: one message on standard input, the result on standard
 * output, a sysexits status (for Exim's transport_filter and scripts).
 * The message is spooled like in filter mode: in memory up to a bound,
 * then in an unlinked temporary file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "engine.h"
#include "hooks.h"
#include "log.h"
#include "spool.h"


#define PIPE_MEM	(4 * 1024 * 1024)

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
	int rc;

	spool_pool_init(&pool, 2 * PIPE_MEM, PIPE_MEM, tmp && *tmp ? tmp :
	    "/tmp");
	spool_init(&in, &pool);
	spool_init(&out, &pool);
	if (read_stdin(&in) == -1 || spool_map(&in, &msg, &len) == -1) {
		log_warnx("reading the message: %s", strerror(errno));
		spool_clear(&in);
		return EX_TEMPFAIL;
	}
	pipe_log_context(msg, len, rcpts, nrcpts);
	if (engine_is_inbound(g, sender, rcpts, (size_t)nrcpts))
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
