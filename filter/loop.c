/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * One poll(2) loop over stdin and stdout (under smtpd both are the same
 * socket).  Input is split into lines for proto.c; output is queued in
 * f->out and written when the socket takes it, so a slow smtpd never
 * blocks us.  While much output is queued we stop reading, and queued
 * messages are written back a chunk at a time, so memory stays bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "revproc.h"

#define READ_CHUNK	(64 * 1024)
#define LINE_LIMIT	(128 * 1024)	/* smtpd's own limit is 64 KB */
#define TRUNC_KEEP	1024		/* what we keep of an over-long line */
#define OUT_HIGH	(1024 * 1024)	/* stop reading above this */

struct lines {
	struct buf	 in;
	size_t		 scan;		/* no newline before this offset */
	int		 discarding;	/* inside an over-long line */
};

static void
set_nonblock(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Hand every complete line to proto; cut lines that never end. */
static void
split_lines(struct filter *f, struct lines *l)
{
	char *head, *nl;
	size_t used, len;

	for (;;) {
		head = buf_head(&l->in);
		used = buf_used(&l->in);
		nl = memchr(head + l->scan, '\n', used - l->scan);
		if (nl == NULL)
			break;
		len = (size_t)(nl - head);
		if (!l->discarding)
			proto_line(f, head, len, 0);
		l->discarding = 0;
		buf_consume(&l->in, len + 1);
		l->scan = 0;
	}
	if (used > LINE_LIMIT) {
		if (!l->discarding) {
			log_warnx("input line longer than %d bytes cut",
			    LINE_LIMIT);
			proto_line(f, head, TRUNC_KEEP, 1);
		}
		l->discarding = 1;
		buf_consume(&l->in, used);
		l->scan = 0;
	} else
		l->scan = used;
}

/* Read what is there; returns 0 at end of input. */
static int
read_input(struct filter *f, struct lines *l, int fd)
{
	ssize_t r;

	if (buf_reserve(&l->in, READ_CHUNK) == -1) {
		log_warnx("out of memory reading input");
		return 1;
	}
	r = read(fd, l->in.data + l->in.len, READ_CHUNK);
	if (r == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 1;
		log_warnx("read: %s", strerror(errno));
		return 0;
	}
	if (r == 0)
		return 0;
	l->in.len += (size_t)r;
	split_lines(f, l);
	return 1;
}

/* A last line without its newline (smtpd never sends one): serve it. */
static void
flush_partial(struct filter *f, struct lines *l)
{
	size_t used = buf_used(&l->in);

	if (used == 0 || l->discarding)
		return;
	if (buf_reserve(&l->in, 1) == -1)
		return;
	proto_line(f, buf_head(&l->in), used, 0);
	buf_consume(&l->in, used);
}

/* Returns -1 when the peer is gone. */
static int
write_output(struct filter *f, int fd)
{
	ssize_t w;

	w = write(fd, buf_head(&f->out), buf_used(&f->out));
	if (w == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		log_warnx("write: %s", strerror(errno));
		return -1;
	}
	buf_consume(&f->out, (size_t)w);
	return 0;
}

/*
 * Runs until end of input with all output written (0), until the peer
 * goes away (0), or until smtpd turns out to speak a protocol we do not
 * (1).  hup is set by the SIGHUP handler.
 */
int
loop_run(struct filter *f, int infd, int outfd, volatile sig_atomic_t *hup)
{
	struct lines l;
	struct pollfd pfd[3 + 2 * WORKERS_MAX];
	size_t i, nw, nfd;
	int in_eof = 0, rc = 0, n;

	memset(&l, 0, sizeof(l));
	set_nonblock(infd);
	set_nonblock(outfd);
	for (;;) {
		/* new rules or keystore: workers with them (they read no file) */
		if (*hup) {
			*hup = 0;
			log_info("SIGHUP received");
			if (f->hooks.tick && f->hooks.tick(f->hooks.arg, 1) == 1)
				workers_renew(f);
			/* it asks with the rules it was forked with */
			revproc_renew(f);
		} else if (f->hooks.tick && f->hooks.tick(f->hooks.arg, 0) == 1)
			workers_renew(f);
		workers_check(f);
		if (f->phase == PHASE_REFUSED) {
			rc = 1;
			break;
		}
		(void)proto_pump(f, PROTO_EMIT_ROOM);
		if (in_eof && buf_used(&f->out) == 0 && f->emit_head == NULL &&
		    !workers_busy(f))
			break;
		pfd[0].fd = infd;
		pfd[0].events = !in_eof && buf_used(&f->out) < OUT_HIGH ?
		    POLLIN : 0;
		pfd[1].fd = outfd;
		pfd[1].events = buf_used(&f->out) > 0 ? POLLOUT : 0;
		pfd[0].revents = pfd[1].revents = 0;
		/* the workers' answers */
		for (i = 0, nw = 0; i < f->workers.n; i++) {
			pfd[2 + i].fd = f->workers.w[i].fd;
			pfd[2 + i].events = POLLIN;
			pfd[2 + i].revents = 0;
			nw += f->workers.w[i].busy;
			/* their key processes: only a hang-up is news */
			pfd[2 + f->workers.n + i].fd = f->workers.w[i].kctl;
			pfd[2 + f->workers.n + i].events = 0;
			pfd[2 + f->workers.n + i].revents = 0;
		}
		if (pfd[0].events == 0 && pfd[1].events == 0 && nw == 0)
			break;		/* nothing left that can progress */
		/* the revocation process's answers, last */
		nfd = 2 + 2 * f->workers.n;
		pfd[nfd].fd = revproc_fd();
		pfd[nfd].events = POLLIN;
		pfd[nfd].revents = 0;
		n = poll(pfd, nfd + 1, f->hooks.tick ? 1000 : -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warnx("poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!read_input(f, &l, infd)) {
				in_eof = 1;
				flush_partial(f, &l);
			}
		}
		if (pfd[1].revents & (POLLOUT | POLLERR | POLLHUP)) {
			if (write_output(f, outfd) == -1)
				break;
		}
		for (i = 0; i < f->workers.n; i++) {
			if (pfd[2 + f->workers.n + i].fd != -1 &&
			    pfd[2 + f->workers.n + i].fd ==
			    f->workers.w[i].kctl &&
			    (pfd[2 + f->workers.n + i].revents &
			    (POLLHUP | POLLERR)))
				workers_key_gone(f, i);
			if (pfd[2 + i].fd != -1 &&
			    (pfd[2 + i].revents & (POLLIN | POLLHUP | POLLERR)))
				workers_input(f, i);
		}
		if (pfd[nfd].fd != -1 && pfd[nfd].fd == revproc_fd() &&
		    (pfd[nfd].revents & (POLLIN | POLLHUP | POLLERR)))
			revproc_input(f);
	}
	buf_clear(&l.in);
	return rc;
}
