/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* A fetch in a sandboxed child (fetch.h). */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "sandbox.h"

/* ---- the child: what it parses came from the network ------------------- */

static void
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0 && ((w = write(fd, b, n)) > 0 || errno == EINTR))
		if (w > 0) {
			b += w;
			n -= (size_t)w;
		}
}

/*
 * Tell the parent, end: "B LEN\n" and the body; "R URL\n" a redirect;
 * "F WHY\n" failed; "X WHY\n" refused by the check.
 */
static void __attribute__((__noreturn__))
say(int fd, char kind, const char *text, const uint8_t *body, size_t len)
{
	char head[FETCH_TEXT_MAX];
	int n;

	if (kind == 'B')
		n = snprintf(head, sizeof(head), "B %zu\n", len);
	else
		n = snprintf(head, sizeof(head), "%c %s\n", kind, text);
	if (n > 0 && (size_t)n < sizeof(head)) {
		write_all(fd, head, (size_t)n);
		if (kind == 'B')
			write_all(fd, body, len);
	}
	_exit(0);
}

static int
is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 ||
	    status == 307 || status == 308;
}

static void __attribute__((__noreturn__))
child(const struct fetch_req *q, const char *url, long long deadline, int fd)
{
	struct http_response r;
	struct http_url u;
	const char *why;
	char text[256];
	uint8_t *buf;
	size_t len;
	int s;

	if (http_url_parse(url, &u, &why) == -1 ||
	    (s = http_connect(&u, deadline, &why)) == -1 ||
	    http_send_request(s, &u, q->post, deadline, &why) == -1)
		say(fd, 'F', why, NULL, 0);
	(void)sandbox_worker(sandbox_warn_stderr);
	if (http_read_all(s, q->max_size + HTTP_HEAD_MAX, deadline, &buf, &len,
	    &why) == -1 || http_response_parse(buf, len, &r, &why) == -1)
		say(fd, 'F', why, NULL, 0);
	/* a POST is not repeated elsewhere: 303 alone would turn it to GET */
	if (is_redirect(r.status) && r.location[0] != '\0' && q->post == NULL)
		say(fd, 'R', r.location, NULL, 0);
	if (r.status != 200) {
		snprintf(text, sizeof(text), "HTTP status %d", r.status);
		say(fd, 'F', text, NULL, 0);
	}
	if (r.bodylen > q->max_size)
		say(fd, 'F', "larger than the size limit", NULL, 0);
	if (q->check(q->arg, r.body, r.bodylen, text, sizeof(text)) == -1)
		say(fd, 'X', text, NULL, 0);
	say(fd, 'B', NULL, r.body, r.bodylen);
}

/* ---- the parent --------------------------------------------------------- */

static void
answer_set(struct fetch_answer *a, enum fetch_kind k, const char *text)
{
	a->kind = k;
	snprintf(a->text, sizeof(a->text), "%s", text);
}

/* What the child said: 'B', 'R', 'F', 'X' in kind, or -1. */
static int
answer_parse(struct fetch_answer *a, char *kind, uint8_t *msg, size_t n)
{
	size_t hl, i, blen, scan = n < FETCH_TEXT_MAX ? n : FETCH_TEXT_MAX;
	uint8_t *nl = memchr(msg, '\n', scan);
	char *end;

	if (nl == NULL || nl - msg < 2 || msg[1] != ' ' ||
	    strchr("BRFX", msg[0]) == NULL)
		return -1;
	*kind = (char)msg[0];
	hl = (size_t)(nl - msg) - 2;
	for (i = 0; i < hl; i++)	/* text for a terminal */
		a->text[i] = msg[2 + i] < 0x20 || msg[2 + i] >= 0x7f ? '?' :
		    (char)msg[2 + i];
	a->text[hl] = '\0';
	if (*kind != 'B')
		return 0;
	blen = strtoull(a->text, &end, 10);
	if (*end != '\0' || blen != n - (size_t)(nl + 1 - msg))
		return -1;
	memmove(msg, nl + 1, blen);
	a->body = msg;
	a->len = blen;
	a->text[0] = '\0';
	return 0;
}

/* Wait for the child, killing it once its time is up. */
static void
reap(pid_t pid, int killed, struct fetch_answer *a)
{
	int st;

	if (killed)
		(void)kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (WIFSIGNALED(st) && a->kind == FETCH_BODY) {
		free(a->body);
		a->body = NULL;
	}
	if (WIFSIGNALED(st)) {
		a->kind = FETCH_FAILED;
		snprintf(a->text, sizeof(a->text),
		    "fetcher ended (signal %d%s)", WTERMSIG(st),
		    WTERMSIG(st) == SIGSYS ?
		    ": the sandbox refused a system call" : "");
	}
}

/* One URL: 'B', 'F', 'X' answered, or 'R' with the new URL in text. */
static char
run_child(const struct fetch_req *q, const char *url, long long deadline,
    struct fetch_answer *a)
{
	const char *why;
	uint8_t *msg = NULL;
	size_t n = 0;
	pid_t pid;
	int p[2], rc;
	char kind = 'F';

	fflush(stdout);
	fflush(stderr);
	if (pipe(p) == -1) {
		answer_set(a, FETCH_FAILED, strerror(errno));
		return 'F';
	}
	if ((pid = fork()) == -1) {
		answer_set(a, FETCH_FAILED, strerror(errno));
		close(p[0]);
		close(p[1]);
		return 'F';
	}
	if (pid == 0) {
		close(p[0]);
		if (p[1] != STDERR_FILENO + 1 &&
		    dup2(p[1], STDERR_FILENO + 1) == -1)
			_exit(1);
		closefrom(STDERR_FILENO + 2);
		child(q, url, deadline, STDERR_FILENO + 1);
	}
	close(p[1]);
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	rc = http_read_all(p[0], q->max_size + FETCH_TEXT_MAX, deadline + 2000,
	    &msg, &n, &why);
	close(p[0]);
	if (rc == -1)
		answer_set(a, FETCH_FAILED, why);
	else if (answer_parse(a, &kind, msg, n) == -1) {
		kind = 'F';
		answer_set(a, FETCH_FAILED, "fetcher gave no answer");
	} else
		a->kind = kind == 'B' ? FETCH_BODY : kind == 'X' ?
		    FETCH_REFUSED : FETCH_FAILED;
	if (kind != 'B')
		free(msg);
	reap(pid, rc == -1, a);
	return a->kind == FETCH_BODY ? 'B' : kind;
}

/* Location: an absolute http:// URL, or a path on the same server. */
static int
next_url(const char *url, const char *loc, char *out, size_t outsz)
{
	struct http_url u;
	const char *why;
	int v6;

	if (loc[0] == '/' && loc[1] != '/' &&
	    http_url_parse(url, &u, &why) == 0) {
		v6 = strchr(u.host, ':') != NULL;
		snprintf(out, outsz, "http://%s%s%s:%s%.800s", v6 ? "[" : "",
		    u.host, v6 ? "]" : "", u.port, loc);
	} else
		snprintf(out, outsz, "%s", loc);
	return http_url_parse(out, &u, &why);
}

void
fetch_run(const struct fetch_req *q, struct fetch_answer *a)
{
	long long deadline = http_now() + (long long)q->timeout * 1000;
	char url[FETCH_TEXT_MAX], next[FETCH_TEXT_MAX];
	int hops;

	memset(a, 0, sizeof(*a));
	snprintf(url, sizeof(url), "%s", q->url);
	for (hops = 0;; hops++) {
		if (run_child(q, url, deadline, a) != 'R')
			return;
		if (hops == FETCH_REDIRECTS) {
			answer_set(a, FETCH_FAILED, "too many redirects");
			return;
		}
		if (next_url(url, a->text, next, sizeof(next)) == -1) {
			snprintf(url, sizeof(url), "redirect to %.200s: not an "
			    "http:// URL taken", a->text);
			answer_set(a, FETCH_FAILED, url);
			return;
		}
		memcpy(url, next, sizeof(url));
	}
}

void
fetch_answer_free(struct fetch_answer *a)
{
	free(a->body);
	a->body = NULL;
}
