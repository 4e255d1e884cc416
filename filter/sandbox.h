/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The workers' sandbox: once a worker has what it needs (forked with
 * the rules, the keystore index, the trust anchors; sockets to the loop
 * and to its key process), it may read and write what it was given and
 * nothing else: no file opened but nameless temporary ones, no socket,
 * no process.  Linux: seccomp; OpenBSD: pledge.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

/* 0 in the sandbox, -1 when this system has none (logged). */
int	 sandbox_worker(void);
/* OpenBSD: the loop sees only the store, the rules, TMPDIR, the CAs. */
int	 sandbox_loop(const char *, const char *, const char *);

#endif
