/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The sandbox of every process that parses what came from outside
 * (filter workers, pipe mode's child, smimectl's fetchers): once a worker has what it needs (forked with
 * the rules, the keystore index, the trust anchors; sockets to the loop
 * and to its key process), it may read and write what it was given and
 * nothing else: no file opened but nameless temporary ones, no socket,
 * no process.  Linux: seccomp; OpenBSD: pledge.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

/*
 * What went wrong is told through the caller's warn function (the
 * filter's log, smimectl's stderr): this module sits below both.
 */
typedef void	(*sandbox_warn_fn)(const char *, ...)
		    __attribute__((__format__(__printf__, 1, 2)));

/* A warn function for smimectl's children: "smimectl: ..." on stderr. */
void	 sandbox_warn_stderr(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
/* 0 in the sandbox, -1 when this system has none (warned). */
int	 sandbox_worker(sandbox_warn_fn);
/* OpenBSD: the loop sees only the store, the rules, TMPDIR, the CAs. */
int	 sandbox_loop(const char *, const char *, const char *, sandbox_warn_fn);

#endif
