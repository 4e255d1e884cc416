/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * What a process forked by the filter (a worker, a key process) does
 * first: it keeps only its own descriptors, and dumps no core.
 */
#include <fcntl.h>
#include <unistd.h>
#include <sys/resource.h>

#include "newproc.h"

/*
 * In a new process: stdin and stdout made /dev/null (the loop's pipes
 * to smtpd are not its to touch), stderr kept for the log, and of the
 * rest only a and b: no other session's spool, no other process's
 * socket.
 */
void
close_all_but(int a, int b)
{
	long fd, max;
	int null;

	if ((null = open("/dev/null", O_RDWR)) != -1) {
		(void)dup2(null, STDIN_FILENO);
		(void)dup2(null, STDOUT_FILENO);
		if (null > STDERR_FILENO)
			(void)close(null);
	}
	/* a and b are young, low descriptors: those below one by one, the
	 * rest at once (closefrom: not 65536 close calls a fork) */
	max = a > b ? a : b;
	for (fd = STDERR_FILENO + 1; fd < max; fd++)
		if (fd != a && fd != b)
			(void)close((int)fd);
	closefrom((int)(max < STDERR_FILENO ? STDERR_FILENO : max) + 1);
}

/* No core files: a process's memory is nobody's to read later. */
void
no_dumps(void)
{
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = 0;
	(void)setrlimit(RLIMIT_CORE, &rl);
}
