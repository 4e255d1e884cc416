/* Filter mode: the protocol engine's hooks, served by the engine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "hooks.h"
#include "log.h"

static int
hook_message(void *arg, struct session *s, const char *msg, size_t len,
    struct spool *out, char *reply, size_t replysz, char *why, size_t whysz)
{
	struct engine_result r;
	char **rcpts;
	size_t i, n = 0;

	/* the recipients smtpd accepted */
	if ((rcpts = calloc(s->nrcpts + 1, sizeof(*rcpts))) == NULL) {
		(void)strlcpy(reply, REPLY_INTERNAL, replysz);
		(void)strlcpy(why, "out of memory", whysz);
		return -1;
	}
	for (i = 0; i < s->nrcpts; i++)
		if (s->rcpts[i].result == RCPT_OK)
			rcpts[n++] = s->rcpts[i].addr;
	if (((struct engine *)arg)->action == ACTION_VERIFY)
		engine_inbound(arg, msg, len, spool_write_cb, out, &r);
	else
		engine_process(arg, s->sender ? s->sender : "", rcpts, n, msg,
		    len, spool_write_cb, out, &r);
	free(rcpts);
	(void)strlcpy(s->verdict, engine_verdict_str(r.verdict),
	    sizeof(s->verdict));
	(void)strlcpy(why, r.why, whysz);
	switch (r.verdict) {
	case VERDICT_SIGNED:
	case VERDICT_ENCRYPTED:
	case VERDICT_SIGNED_ENCRYPTED:
	case VERDICT_CHECKED:
		(void)strlcpy(s->detail, r.why, sizeof(s->detail));
		return 1;
	case VERDICT_PASS:
		log_debug("%016llx unchanged: %s", (unsigned long long)s->id,
		    r.why);
		return 0;
	default:
		(void)strlcpy(reply, r.reply, replysz);
		return -1;
	}
}

static int
hook_mail_from(void *arg, struct session *s, const char *sender, char *reply,
    size_t replysz)
{
	struct engine_result r;

	(void)s;
	if (engine_sender_check(arg, sender, &r) == 0)
		return 0;
	(void)strlcpy(reply, r.reply, replysz);
	return -1;
}

static int
hook_rcpt_to(void *arg, struct session *s, const char *rcpt, char *reply,
    size_t replysz)
{
	struct engine_result r;

	if (engine_rcpt_check(arg, s->sender ? s->sender : "", rcpt, &r) == 0)
		return 0;
	(void)strlcpy(reply, r.reply, replysz);
	return -1;
}

static void
hook_tick(void *arg, int forced)
{
	engine_refresh(arg, forced);
}

void
hooks_install(struct filter *f, struct engine *g)
{
	f->hooks.arg = g;
	f->hooks.message = hook_message;
	f->hooks.tick = hook_tick;
	if (g->action == ACTION_VERIFY)
		return;		/* inbound: nothing to refuse early */
	if (g->have_store)
		f->hooks.mail_from = hook_mail_from;
	if (engine_checks_rcpt(g))
		f->hooks.rcpt_to = hook_rcpt_to;
}
