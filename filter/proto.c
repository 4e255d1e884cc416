/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Protocol engine.  Every input line is handled here and answered (if it
 * is a request) through f->out.  Nothing in a line is trusted: a malformed
 * or unknown line is logged and dropped, never fatal, because smtpd stops
 * when its filter exits.  Conversely we must never write a line smtpd
 * cannot parse, since that is fatal for smtpd: ids are validated before
 * they are echoed.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keyproc.h"
#include "log.h"
#include "proto.h"
#include "revproc.h"

#define MAX_FIELDS	8
#define EMIT_CHUNK	(64 * 1024)


struct field {
	char	*p;
	size_t	 len;
};

static const char *registrations[] = {
	"register|report|smtp-in|link-connect",
	"register|report|smtp-in|link-auth",
	"register|report|smtp-in|link-disconnect",
	"register|report|smtp-in|tx-begin",
	"register|report|smtp-in|tx-mail",
	"register|report|smtp-in|tx-rcpt",
	"register|report|smtp-in|tx-reset",
	"register|report|smtp-in|tx-rollback",
	"register|filter|smtp-in|data-line",
	"register|filter|smtp-in|commit",
};

static void	work_done(struct filter *, const struct work_result *);
static void	work_inline(struct filter *, struct session *);

int
filter_init(struct filter *f, size_t mem_limit, size_t msg_limit,
    const char *tmpdir)
{
	memset(f, 0, sizeof(*f));
	f->phase = PHASE_CONFIG;
	f->workers.done = work_done;
	f->workers.run_inline = work_inline;
	spool_pool_init(&f->pool, mem_limit, msg_limit, tmpdir);
	return session_table_init(&f->sessions);
}

void
filter_free(struct filter *f)
{
	session_table_free(&f->sessions);
	buf_clear(&f->out);
}

/*
 * Split at '|' into at most max fields; the last one keeps any further
 * '|' (only the last field of a protocol line may contain them).
 */
static size_t
split(char *line, size_t len, struct field *fld, size_t max)
{
	char *p = line, *end = line + len, *bar;
	size_t n = 0;

	while (n + 1 < max && (bar = memchr(p, '|', (size_t)(end - p)))) {
		*bar = '\0';
		fld[n].p = p;
		fld[n].len = (size_t)(bar - p);
		n++;
		p = bar + 1;
	}
	fld[n].p = p;
	fld[n].len = (size_t)(end - p);
	return n + 1;
}

/* One more than a lower-case hex digit's value, else 0 (ids on every line). */
static const uint8_t hexval[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16
};

/*
 * The last two ids read, as text and value: every data line repeats its
 * session's id and token, so most lines are a comparison away.  Only
 * ids that parsed are kept, and the same text always has the same value.
 */
static struct {
	char		 text[16];
	uint64_t	 val;
	int		 have;
} ids_seen[2];
static unsigned int ids_next;

static int
parse_id(const struct field *fl, size_t want, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	unsigned int d, bad = 0;

	if (fl->len != want)
		return -1;
	if (want == sizeof(ids_seen[0].text))
		for (i = 0; i < 2; i++)
			if (ids_seen[i].have &&
			    memcmp(ids_seen[i].text, fl->p, want) == 0) {
				*out = ids_seen[i].val;
				return 0;
			}
	for (i = 0; i < fl->len; i++) {
		d = hexval[(unsigned char)fl->p[i]];
		bad |= d == 0;
		v = v << 4 | (uint64_t)((d - 1) & 0xf);
	}
	if (bad)
		return -1;
	if (want == sizeof(ids_seen[0].text)) {
		memcpy(ids_seen[ids_next].text, fl->p, want);
		ids_seen[ids_next].val = v;
		ids_seen[ids_next].have = 1;
		ids_next ^= 1;
	}
	*out = v;
	return 0;
}

static void
bad_line(struct filter *f, const char *why, const char *line, size_t len)
{
	char copy[80], q[4 * sizeof(copy) + 4];
	size_t i, n = len < sizeof(copy) ? len : sizeof(copy);

	/* split() cut the line at its bars: put them back for the log */
	for (i = 0; i < n; i++)
		copy[i] = line[i] == '\0' ? '|' : line[i];
	f->nbadlines++;
	log_warnx("ignoring %s line: %s%s", why, log_quote(q, sizeof(q), copy,
	    n), n < len ? "..." : "");
}

static void
out_line(struct filter *f, const char *s)
{
	if (buf_addstr(&f->out, s) == -1 || buf_add(&f->out, "\n", 1) == -1)
		log_warnx("out of memory writing a response");
}

static void
out_result(struct filter *f, uint64_t sid, const char *token,
    const char *decision, const char *param)
{
	char line[512];

	if (param)
		(void)snprintf(line, sizeof(line), "filter-result|%016" PRIx64
		    "|%s|%s|%s", sid, token, decision, param);
	else
		(void)snprintf(line, sizeof(line), "filter-result|%016" PRIx64
		    "|%s|%s", sid, token, decision);
	out_line(f, line);
}

/*
 * "filter-dataline|ID|TOKEN|" into prefix: its length, or -1.  Written
 * by hand: it starts every line of every message sent back, and
 * snprintf was a quarter of the loop's instructions.
 */
static int
dataline_prefix(const struct session *s, char *prefix, size_t sz)
{
	static const char hex[] = "0123456789abcdef";
	static const char head[] = "filter-dataline|";
	size_t tl = strlen(s->token), n = sizeof(head) - 1, i;

	if (n + 16 + 1 + tl + 1 >= sz)
		return -1;
	memcpy(prefix, head, n);
	for (i = 0; i < 16; i++)
		prefix[n + i] = hex[(s->id >> (60 - 4 * i)) & 0xf];
	n += 16;
	prefix[n++] = '|';
	memcpy(prefix + n, s->token, tl);
	n += tl;
	prefix[n++] = '|';
	prefix[n] = '\0';
	return (int)n;
}

/*
 * One data line back to smtpd after its prefix (dataline_prefix; plen -1
 * when there is none), dot-stuffed; -1 if it cannot be sent.
 */
static int
out_dataline(struct filter *f, const char *prefix, int plen,
    const char *line, size_t len)
{
	int stuff = len > 0 && line[0] == '.';
	char *w;

	if (plen == -1)
		return -1;
	if (f->proto_minor == 6 &&
	    (size_t)plen + (size_t)stuff + len > PROTO_06_RESPONSE_MAX)
		return -1;
	if (len > PROTO_07_LINE_MAX)
		return -1;
	if (buf_reserve(&f->out, (size_t)plen + 2 + len) == -1)
		return -1;
	/* room reserved: one copy per piece */
	w = f->out.data + f->out.len;
	memcpy(w, prefix, (size_t)plen);
	w += plen;
	if (stuff)
		*w++ = '.';
	memcpy(w, line, len);
	w += len;
	*w++ = '\n';
	f->out.len = (size_t)(w - f->out.data);
	return 0;
}

/* The stream's terminating ".", which is never stuffed. */
static void
out_end(struct filter *f, const struct session *s)
{
	char line[64];

	(void)snprintf(line, sizeof(line), "filter-dataline|%016" PRIx64
	    "|%s|.", s->id, s->token);
	out_line(f, line);
}

/* ---- handshake ---------------------------------------------------- */

/*
 * The protocol version: config|protocol when smtpd sends it (7.6+), else
 * from smtpd-version: 6.7-7.3 speak 0.6, 7.4 and later 0.7.  Returns the
 * minor number, or -1 for anything we do not speak.
 */
int
proto_version_from(const char *protocol, const char *smtpd_version)
{
	unsigned long major, minor;
	char *end;

	if (protocol && protocol[0]) {
		if (strcmp(protocol, "0.6") == 0)
			return 6;
		if (strcmp(protocol, "0.7") == 0)
			return 7;
		return -1;
	}
	if (smtpd_version == NULL || !isdigit((unsigned char)smtpd_version[0]))
		return -1;
	major = strtoul(smtpd_version, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return -1;
	minor = strtoul(end + 1, &end, 10);
	if (major == 6 && minor >= 7)
		return 6;
	if (major == 7 && minor <= 3)
		return 6;
	if (major == 7)
		return 7;
	return -1;
}

static void
config_line(struct filter *f, char *line, size_t len)
{
	struct field fl[3];
	size_t i, n;
	int v;

	n = split(line, len, fl, 3);
	if (n == 2 && strcmp(fl[1].p, "ready") == 0) {
		v = proto_version_from(f->protocol, f->smtpd_version);
		if (v == -1) {
			log_warnx("smtpd %s (filter protocol %s) is not "
			    "supported: filter-smime speaks protocol 0.6 "
			    "(smtpd 6.7-7.3) and 0.7 (smtpd 7.4 and later)",
			    f->smtpd_version[0] ? f->smtpd_version : "unknown",
			    f->protocol[0] ? f->protocol : "unknown");
			f->phase = PHASE_REFUSED;
			return;
		}
		f->proto_minor = v;
		for (i = 0; i < sizeof(registrations) /
		    sizeof(registrations[0]); i++)
			out_line(f, registrations[i]);
		/* only with a keystore: it blocks every MAIL FROM on us */
		if (f->hooks.mail_from)
			out_line(f, "register|filter|smtp-in|mail-from");
		if (f->hooks.rcpt_to)
			out_line(f, "register|filter|smtp-in|rcpt-to");
		out_line(f, "register|ready");
		f->phase = PHASE_RUNNING;
		log_debug("smtpd %s, filter protocol 0.%d", f->smtpd_version,
		    v);
		return;
	}
	if (n != 3)
		return;		/* unknown config keys are ignored */
	if (strcmp(fl[1].p, "smtpd-version") == 0)
		(void)strlcpy(f->smtpd_version, fl[2].p,
		    sizeof(f->smtpd_version));
	else if (strcmp(fl[1].p, "protocol") == 0)
		(void)strlcpy(f->protocol, fl[2].p, sizeof(f->protocol));
}

/* ---- reports ------------------------------------------------------ */

static enum rcpt_result
parse_result(const char *r)
{
	if (strcmp(r, "ok") == 0)
		return RCPT_OK;
	if (strcmp(r, "permfail") == 0)
		return RCPT_PERMFAIL;
	return RCPT_TEMPFAIL;
}

static void
emit_dequeue(struct filter *f, struct session *s)
{
	struct session **pp, *prev = NULL;

	if (!s->queued)
		return;
	for (pp = &f->emit_head; *pp; prev = *pp, pp = &(*pp)->emit_next)
		if (*pp == s) {
			*pp = s->emit_next;
			if (f->emit_tail == s)
				f->emit_tail = prev;
			break;
		}
	s->emit_next = NULL;
	s->queued = 0;
}

/*
 * tx-mail and tx-rcpt carry msgid|result|address in 0.6 and 0.7 (0.4 and
 * 0.5 had msgid|address|result; we do not run on those).
 */
static void
report_tx_addr(struct filter *f, struct session *s, const char *event,
    char *rest, size_t len)
{
	struct field fl[3];

	if (split(rest, len, fl, 3) != 3) {
		bad_line(f, "short tx report", event, strlen(event));
		return;
	}
	if (strcmp(event, "tx-mail") == 0) {
		if (parse_result(fl[1].p) != RCPT_OK)
			return;
		(void)strlcpy(s->msgid, fl[0].p, sizeof(s->msgid));
		if (session_set_sender(s, fl[2].p) == -1)
			log_warnx("%016" PRIx64 " out of memory", s->id);
	} else if (session_add_rcpt(s, fl[2].p, session_is_dropped(s, fl[2].p) ?
	    RCPT_DROPPED : parse_result(fl[1].p)) == -1)
		log_warnx("%016" PRIx64 " out of memory", s->id);
}

/*
 * link-connect: rdns|fcrdns|src|dest; the client's address is all we
 * keep (the signer table's trusted sources).
 */
static void
report_connect(struct filter *f, struct session *s, char *rest, size_t len)
{
	struct field fl[4];

	if (split(rest, len, fl, 4) != 4) {
		bad_line(f, "short link-connect report", rest, len);
		return;
	}
	(void)strlcpy(s->src, fl[2].p, sizeof(s->src));
}

/*
 * link-auth: 0.6 sends user|result, 0.7 result|user (smtpd 7.4 swapped
 * them).  The user is whatever the client sent and may hold '|': it is
 * the part that is not the result.  Only "pass" makes a login.
 */
static void
report_auth(struct filter *f, struct session *s, int v07, char *rest,
    size_t len)
{
	char *bar, *user, *result;

	bar = v07 ? memchr(rest, '|', len) : strrchr(rest, '|');
	if (bar == NULL) {
		bad_line(f, "short link-auth report", rest, len);
		(void)session_set_login(s, NULL);
		return;
	}
	*bar = '\0';
	user = v07 ? bar + 1 : rest;
	result = v07 ? rest : bar + 1;
	if (strcmp(result, "pass") != 0 || *user == '\0') {
		(void)session_set_login(s, NULL);
		return;
	}
	if (session_set_login(s, user) == -1)
		log_warnx("%016" PRIx64 " out of memory", s->id);
}

static void
report_line(struct filter *f, char *line, size_t len)
{
	struct field fl[7];
	struct session *s;
	uint64_t sid;
	size_t n;

	n = split(line, len, fl, 7);
	if (n < 6 || parse_id(&fl[5], 16, &sid) == -1) {
		bad_line(f, "malformed report", line, len);
		return;
	}
	if (strcmp(fl[1].p, "0.6") != 0 && strcmp(fl[1].p, "0.7") != 0) {
		bad_line(f, "unknown version report", fl[1].p, fl[1].len);
		return;
	}
	if (strcmp(fl[4].p, "link-disconnect") == 0) {
		if ((s = session_find(&f->sessions, sid)) != NULL) {
			emit_dequeue(f, s);
			session_remove(&f->sessions, sid);
		}
		return;
	}
	if ((s = session_get(&f->sessions, sid, &f->pool)) == NULL) {
		log_warnx("%016" PRIx64 " out of memory", sid);
		return;
	}
	if (strcmp(fl[4].p, "link-connect") == 0) {
		if (n == 7)
			report_connect(f, s, fl[6].p, fl[6].len);
	} else if (strcmp(fl[4].p, "link-auth") == 0) {
		if (n == 7)
			report_auth(f, s, strcmp(fl[1].p, "0.7") == 0,
			    fl[6].p, fl[6].len);
		else
			(void)session_set_login(s, NULL);
	} else if (strcmp(fl[4].p, "tx-begin") == 0) {
		session_tx_clear(s);
		if (n == 7)
			(void)strlcpy(s->msgid, fl[6].p, sizeof(s->msgid));
	} else if (strcmp(fl[4].p, "tx-mail") == 0 ||
	    strcmp(fl[4].p, "tx-rcpt") == 0) {
		if (n == 7)
			report_tx_addr(f, s, fl[4].p, fl[6].p, fl[6].len);
		else
			bad_line(f, "short tx report", fl[4].p, fl[4].len);
	} else if (strcmp(fl[4].p, "tx-reset") == 0 ||
	    strcmp(fl[4].p, "tx-rollback") == 0) {
		/* a late reset of an older transaction must not clear this one */
		if (n < 7 || s->msgid[0] == '\0' || strcmp(fl[6].p, s->msgid) == 0)
			session_tx_clear(s);
	}
}

/* ---- data-line and commit ----------------------------------------- */

static void
emit_enqueue(struct filter *f, struct session *s)
{
	s->emit_next = NULL;
	s->queued = 1;
	if (f->emit_tail)
		f->emit_tail->emit_next = s;
	else
		f->emit_head = s;
	f->emit_tail = s;
}

static void
message_start(struct session *s, const char *token)
{
	session_msg_clear(s);
	spool_scan(&s->spool);	/* its lines tested as they come */
	s->state = MSG_DATA;
	(void)strlcpy(s->token, token, sizeof(s->token));
	(void)clock_gettime(CLOCK_MONOTONIC, &s->started);
}

/*
 * Give the whole message to the hook; its result replaces the spool.
 * The hook runs in the loop: signing one message takes milliseconds.
 */
static void
message_hook(struct filter *f, struct session *s)
{
	struct spool out;
	struct outcome o;
	const char *msg;
	size_t len;

	if (spool_map(&s->spool, &msg, &len) == -1) {
		session_fail(s, REPLY_TEMPFAIL, "spool map: %s",
		    strerror(errno));
		return;
	}
	spool_init(&out, &f->pool);
	memset(&o, 0, sizeof(o));
	/* here, in the loop: the loop's own grant, until the next message */
	if (workers_grant(keyclient_fd(), KM_SELF, s) == -1)
		log_warnx("key process: %s", strerror(errno));
	f->hooks.message(f->hooks.arg, s, msg, len, &out, &o);
	spool_unmap(&s->spool);
	if (o.rc == 1) {
		spool_clear(&s->spool);
		s->spool = out;
		return;
	}
	spool_clear(&out);
	if (o.rc == -1)
		session_fail(s, o.reply[0] ? o.reply : REPLY_TEMPFAIL, "%s",
		    o.why);
}

static void	commit_answer(struct filter *, struct session *, const char *);

/* The message is what it will be: write it back, or just end it. */
static void
message_emit(struct filter *f, struct session *s)
{
	if (!s->failed && spool_rewind(&s->spool) == -1)
		session_fail(s, REPLY_TEMPFAIL, "spool rewind: %s",
		    strerror(errno));
	if (s->failed) {
		out_end(f, s);
		s->state = MSG_COMMIT;
		if (s->commit_pending)
			commit_answer(f, s, s->commit_token);
		return;
	}
	s->state = MSG_EMIT;
	emit_enqueue(f, s);
	/* start at once: a small message is out before the next line */
	(void)proto_pump(f, PROTO_EMIT_ROOM);
}

/*
 * The final "." from the client: the hook runs in a worker when there
 * are workers (the session waits in MSG_WORK), else here.
 */
static void
message_end(struct filter *f, struct session *s)
{
	if (!s->failed && f->hooks.message) {
		s->state = MSG_WORK;
		if (workers_submit(f, s) == 0)
			workers_kick(f);
		else
			workers_inline(f, s);
		return;
	}
	message_emit(f, s);
}

/* A job the workers could not take: done here after all. */
static void
work_inline(struct filter *f, struct session *s)
{
	message_hook(f, s);
	message_emit(f, s);
}

/*
 * A worker's outcome for its job (see message_hook): the loop's callback
 * (struct workers.done), so that worker.c calls nothing of ours.
 */
static void
work_done(struct filter *f, const struct work_result *wr)
{
	struct session *s = session_find(&f->sessions, wr->sid);
	const struct outcome *o = wr->o;

	if (s == NULL || s->state != MSG_WORK || s->job != wr->seq) {
		/* the session went away or moved on meanwhile */
		if (wr->fd != -1)
			(void)close(wr->fd);
		return;
	}
	if (o->rc == 1) {
		spool_clear(&s->spool);
		if (wr->fd == -1 ? spool_write(&s->spool, wr->res,
		    wr->reslen) == -1 : spool_adopt(&s->spool, wr->fd) == -1) {
			if (wr->fd != -1)
				(void)close(wr->fd);
			session_fail(s, REPLY_TEMPFAIL, "worker result: %s",
			    strerror(errno));
		}
	} else if (wr->fd != -1)
		(void)close(wr->fd);
	if (wr->verdict[0])
		(void)strlcpy(s->verdict, wr->verdict, sizeof(s->verdict));
	(void)strlcpy(s->detail, wr->detail, sizeof(s->detail));
	if (o->rc == -1)
		session_fail(s, o->reply[0] ? o->reply : REPLY_TEMPFAIL, "%s",
		    o->why);
	message_emit(f, s);
}

static void
dataline(struct filter *f, struct session *s, const char *token,
    char *data, size_t len, int truncated)
{
	if (s->state == MSG_EMIT || s->state == MSG_COMMIT ||
	    s->state == MSG_WORK) {
		/* smtpd sends commit before any new data: cannot happen */
		log_warnx("%016" PRIx64 " data-line while the previous "
		    "message is pending", s->id);
		return;
	}
	if (s->state == MSG_NONE)
		message_start(s, token);
	if (!truncated && len == 1 && data[0] == '.') {
		message_end(f, s);
		return;
	}
	if (truncated)
		session_fail(s, REPLY_LONGLINE, "protocol line over the limit");
	if (s->failed)
		return;
	/* smtpd keeps the client's dot-stuffing: undo it for the spool */
	if (len > 0 && data[0] == '.') {
		data++;
		len--;
	}
	data[len] = '\n';
	if (spool_write(&s->spool, data, len + 1) == -1)
		session_fail(s, REPLY_TEMPFAIL, "spool write: %s",
		    strerror(errno));
	s->lines++;
	if (len > s->longest)
		s->longest = len;
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec t1;

	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
log_message(const struct session *s, const char *verdict)
{
	char from[128], login[140] = "";
	size_t i, nok = 0;

	for (i = 0; i < s->nrcpts; i++)
		if (s->rcpts[i].result == RCPT_OK)
			nok++;
	if (s->login != NULL) {
		(void)strlcpy(login, " login=", sizeof(login));
		log_quote(login + 7, sizeof(login) - 7, s->login,
		    strlen(s->login));
	}
	log_info("%016" PRIx64 " %s msgid=%s from=<%s>%s rcpts=%zu size=%"
	    PRIu64 " lines=%" PRIu64 " time=%.3fs%s%s%s%s", s->id, verdict,
	    s->msgid[0] ? s->msgid : "-",
	    s->sender ? log_quote(from, sizeof(from), s->sender,
	    strlen(s->sender)) : "", login, nok, s->spool.size, s->lines,
	    elapsed(&s->started), s->failed ? " reason=" : "",
	    s->failed ? s->fail_why : "", s->detail[0] ? " " : "", s->detail);
}

static void
commit_answer(struct filter *f, struct session *s, const char *token)
{
	if (s->state == MSG_NONE && !s->failed) {
		/* no data seen (state lost to a disconnect): nothing to do */
		log_debug("%016" PRIx64 " commit without data", s->id);
		out_result(f, s->id, token, "proceed", NULL);
		return;
	}
	f->nmessages++;
	if (s->failed) {
		log_message(s, s->fail_reply[0] == '5' ? "reject" : "tempfail");
		out_result(f, s->id, token, "reject", s->fail_reply);
	} else {
		log_message(s, s->verdict);
		out_result(f, s->id, token, "proceed", NULL);
	}
	session_msg_clear(s);
}

static void
commit(struct filter *f, struct session *s, const char *token)
{
	switch (s->state) {
	case MSG_WORK:
	case MSG_EMIT:
		/* answered once the last line is out (see proto_pump) */
		s->commit_pending = 1;
		(void)strlcpy(s->commit_token, token, sizeof(s->commit_token));
		return;
	case MSG_DATA:
		session_fail(s, REPLY_TEMPFAIL, "commit before end of data");
		break;
	case MSG_NONE:
	case MSG_COMMIT:
		break;
	}
	commit_answer(f, s, token);
}

/* MAIL FROM: what would be refused after DATA is refused here. */
static void
mail_from(struct filter *f, struct session *s, const char *token,
    const char *sender)
{
	char reply[128], q[128];

	reply[0] = '\0';
	/*
	 * A new transaction: the tx-mail report may come after this
	 * request, so keep the sender now and start counting RCPTs here.
	 */
	if (session_set_sender(s, sender) == -1)
		log_warnx("%016" PRIx64 " out of memory", s->id);
	free(s->first_rcpt);
	s->first_rcpt = NULL;
	s->accepted = s->deferred = 0;
	if (f->hooks.mail_from(f->hooks.arg, s, sender, reply, sizeof(reply))
	    == -1) {
		log_info("%016" PRIx64 " reject from=<%s> at MAIL FROM: %s",
		    s->id, log_quote(q, sizeof(q), sender, strlen(sender)),
		    reply);
		out_result(f, s->id, token, "reject", reply);
	} else
		out_result(f, s->id, token, "proceed", NULL);
}

/* RCPT TO: a recipient encryption needs but cannot have is refused. */
static void
rcpt_to(struct filter *f, struct session *s, const char *token,
    const char *rcpt)
{
	char reply[128], q[128], rw[sizeof(reply) + 2];

	reply[0] = '\0';
	switch (f->hooks.rcpt_to(f->hooks.arg, s, rcpt, reply, sizeof(reply))) {
	case 2:
		/* a question out (revocation, lookup): answered with it */
		free(s->parked_rcpt);
		if ((s->parked_rcpt = strdup(rcpt)) != NULL &&
		    revproc_session_question(f, s->id) == 0) {
			(void)strlcpy(s->parked_token, token,
			    sizeof(s->parked_token));
			break;
		}
		free(s->parked_rcpt);
		s->parked_rcpt = NULL;
		s->rcpt_asked = 0;
		out_result(f, s->id, token, "reject", REPLY_TEMPFAIL);
		break;
	case -1:
		log_info("%016" PRIx64 " reject to=<%s> at RCPT TO: %s",
		    s->id, log_quote(q, sizeof(q), rcpt, strlen(rcpt)), reply);
		out_result(f, s->id, token, "reject", reply);
		break;
	case 1:
		/* key-missing: drop: to the address that discards it */
		log_info("%016" PRIx64 " drop to=<%s> at RCPT TO: no "
		    "certificate, rewritten to <%s>", s->id, log_quote(q,
		    sizeof(q), rcpt, strlen(rcpt)), reply);
		if (session_add_dropped(s, rcpt) == -1 ||
		    session_add_dropped(s, reply) == -1) {
			out_result(f, s->id, token, "reject", REPLY_TEMPFAIL);
			break;
		}
		(void)snprintf(rw, sizeof(rw), "<%s>", reply);
		out_result(f, s->id, token, "rewrite", rw);
		break;
	default:
		out_result(f, s->id, token, "proceed", NULL);
	}
}

/* A parked RCPT TO, asked again now that its answer is in. */
void
proto_rcpt_resume(struct filter *f, uint64_t sid)
{
	struct session *s;
	char *rcpt, token[TOKEN_LEN + 1];

	if ((s = session_find(&f->sessions, sid)) == NULL ||
	    s->parked_rcpt == NULL)
		return;		/* gone meanwhile */
	rcpt = s->parked_rcpt;
	s->parked_rcpt = NULL;
	(void)strlcpy(token, s->parked_token, sizeof(token));
	rcpt_to(f, s, token, rcpt);	/* s->rcpt_asked: no second */
	free(rcpt);
}

static void
request_line(struct filter *f, char *line, size_t len, int truncated)
{
	struct field fl[MAX_FIELDS];
	struct session *s;
	uint64_t sid, tok;
	size_t n;

	n = split(line, len, fl, MAX_FIELDS);
	if (n < 7 || parse_id(&fl[5], 16, &sid) == -1 ||
	    parse_id(&fl[6], TOKEN_LEN, &tok) == -1) {
		bad_line(f, "malformed request", line, len);
		return;
	}
	if (strcmp(fl[1].p, "0.6") != 0 && strcmp(fl[1].p, "0.7") != 0 &&
	    !f->warned_version) {
		/* the request layout has not changed since 0.5: serve it */
		f->warned_version = 1;
		log_warnx("request with protocol version %.8s", fl[1].p);
	}
	if ((s = session_get(&f->sessions, sid, &f->pool)) == NULL) {
		log_warnx("%016" PRIx64 " out of memory, request dropped", sid);
		return;
	}
	if (strcmp(fl[4].p, "data-line") == 0) {
		if (n < 8) {
			fl[7].p = fl[6].p + fl[6].len;
			fl[7].len = 0;
		}
		dataline(f, s, fl[6].p, fl[7].p, fl[7].len, truncated);
	} else if (strcmp(fl[4].p, "commit") == 0)
		commit(f, s, fl[6].p);
	else if (strcmp(fl[4].p, "mail-from") == 0 && f->hooks.mail_from)
		mail_from(f, s, fl[6].p, n < 8 ? "" : fl[7].p);
	else if (strcmp(fl[4].p, "rcpt-to") == 0 && f->hooks.rcpt_to)
		rcpt_to(f, s, fl[6].p, n < 8 ? "" : fl[7].p);
	else
		out_result(f, sid, fl[6].p, "proceed", NULL);
}

/*
 * One input line, without its newline; line[len] must be writable.
 * truncated: the line was longer than the loop accepts and was cut.
 */
void
proto_line(struct filter *f, char *line, size_t len, int truncated)
{
	line[len] = '\0';
	if (f->phase == PHASE_REFUSED)
		return;
	if (len >= 7 && strncmp(line, "config|", 7) == 0) {
		if (f->phase == PHASE_CONFIG)
			config_line(f, line, len);
		return;
	}
	if (f->phase != PHASE_RUNNING) {
		bad_line(f, "pre-handshake", line, len);
		return;
	}
	if (len >= 7 && strncmp(line, "filter|", 7) == 0)
		request_line(f, line, len, truncated);
	else if (len >= 7 && strncmp(line, "report|", 7) == 0)
		report_line(f, line, len);
	else
		bad_line(f, "unknown", line, len);
}

/* ---- emission ----------------------------------------------------- */

/*
 * Send the complete lines in s->rbuf; -1 when one cannot be sent.  The
 * first s->rseen octets are a partial line already searched for its end:
 * a long line is scanned once, and given up as soon as it is longer than
 * the protocol can carry, not buffered whole.
 */
static int
emit_lines(struct filter *f, struct session *s, int eof)
{
	char *p = s->rbuf, *end = s->rbuf + s->rlen, *nl, prefix[64];
	size_t left, max;
	int plen;

	max = f->proto_minor == 6 ? PROTO_06_RESPONSE_MAX : PROTO_07_LINE_MAX;
	/* the same for every line of the message: made once per chunk */
	plen = dataline_prefix(s, prefix, sizeof(prefix));
	while (p < end) {
		nl = memchr(p == s->rbuf ? p + s->rseen : p, '\n',
		    (size_t)(end - (p == s->rbuf ? p + s->rseen : p)));
		if (nl == NULL && !eof)
			break;
		if (nl == NULL)
			nl = end;
		if (out_dataline(f, prefix, plen, p, (size_t)(nl - p)) == -1) {
			session_fail(s, REPLY_LONGLINE, "line of %zu octets "
			    "exceeds the protocol limit", (size_t)(nl - p));
			return -1;
		}
		p = nl < end ? nl + 1 : end;
	}
	left = (size_t)(end - p);
	memmove(s->rbuf, p, left);
	s->rlen = s->rseen = left;
	if (left > max) {
		session_fail(s, REPLY_LONGLINE, "line of more than %zu octets "
		    "exceeds the protocol limit", max);
		return -1;
	}
	return 0;
}

/* Move one chunk of the spool to the output; 1 when the message is done. */
static int
emit_chunk(struct filter *f, struct session *s)
{
	size_t ncap;
	ssize_t r;
	char *p;

	if (s->rcap - s->rlen < EMIT_CHUNK) {
		ncap = s->rlen + EMIT_CHUNK;
		if ((p = realloc(s->rbuf, ncap)) == NULL) {
			session_fail(s, REPLY_TEMPFAIL, "out of memory");
			return 1;
		}
		s->rbuf = p;
		s->rcap = ncap;
	}
	r = spool_read(&s->spool, s->rbuf + s->rlen, EMIT_CHUNK);
	if (r == -1) {
		session_fail(s, REPLY_TEMPFAIL, "spool read: %s",
		    strerror(errno));
		return 1;
	}
	s->rlen += (size_t)r;
	if (emit_lines(f, s, r == 0) == -1)
		return 1;
	return r == 0;
}

/*
 * Write queued messages while the output buffer holds less than room
 * bytes, so a large message never sits whole in memory.  Returns 1 while
 * work remains.
 */
int
proto_pump(struct filter *f, size_t room)
{
	struct session *s;

	while ((s = f->emit_head) != NULL && buf_used(&f->out) < room) {
		if (!emit_chunk(f, s))
			continue;
		emit_dequeue(f, s);
		/* an open session between messages holds no buffer */
		free(s->rbuf);
		s->rbuf = NULL;
		s->rcap = s->rlen = s->rseen = 0;
		out_end(f, s);
		s->state = MSG_COMMIT;
		if (s->commit_pending)
			commit_answer(f, s, s->commit_token);
	}
	return f->emit_head != NULL;
}
