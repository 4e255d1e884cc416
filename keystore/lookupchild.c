/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* A lookup in a child process of its own (lookupchild.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "http.h"
#include "lookupchild.h"

void
lookup_put(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, b, n)) == -1) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		b += w;
		n -= (size_t)w;
	}
}

int
lookup_child(lookup_fn fn, void *arg, size_t max, long long ms,
    uint8_t **out, size_t *outlen, char *why, size_t whysz)
{
	const char *err;
	pid_t pid;
	int p[2], st, got;

	*out = NULL;
	*outlen = 0;
	fflush(stdout);
	fflush(stderr);
	if (pipe(p) == -1) {
		snprintf(why, whysz, "%s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(why, whysz, "%s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		fn(arg, p[1]);
		_exit(0);
	}
	close(p[1]);
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	got = http_read_all(p[0], max, http_now() + ms, out, outlen, &err);
	close(p[0]);
	if (got == -1) {
		snprintf(why, whysz, "%s", err);
		(void)kill(pid, SIGKILL);
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (got == 0 && WIFSIGNALED(st)) {
		snprintf(why, whysz, "the lookup ended (signal %d%s)",
		    WTERMSIG(st), WTERMSIG(st) == SIGSYS ? ": the sandbox "
		    "refused a system call" : "");
		got = -1;
	}
	return got;
}
