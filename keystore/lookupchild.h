/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * A lookup in a child process of its own (ldapdir.c, smimeadns.c): the
 * child asks the network, enters the sandbox to read what came back,
 * and writes its answer to a pipe, which the parent reads within a
 * deadline; a child that overstays is killed, and one the sandbox
 * killed is reported as such.
 */
#ifndef LOOKUPCHILD_H
#define LOOKUPCHILD_H

#include <stddef.h>
#include <stdint.h>

/* In the child: its work, writing to fd; it must not return. */
typedef void	(*lookup_fn)(void *, int);

/* 0 with the child's output (malloc'd, at most max), or -1 and why. */
int	 lookup_child(lookup_fn, void *, size_t max, long long ms,
	    uint8_t **, size_t *, char *why, size_t whysz);
/* In the child: all of p to fd, or the child ends. */
void	 lookup_put(int, const void *, size_t);

#endif /* LOOKUPCHILD_H */
