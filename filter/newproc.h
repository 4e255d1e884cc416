/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* A forked process's first steps: see newproc.c. */
#ifndef NEWPROC_H
#define NEWPROC_H

/* Descriptors 0-2 (0 and 1 made /dev/null) and these two, no others. */
void	 close_all_but(int, int);
/* RLIMIT_CORE 0. */
void	 no_dumps(void);

#endif
