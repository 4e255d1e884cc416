/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Tiny unit test helpers.  Each check prints "ok NAME" or "FAIL NAME: why";
 * regress/run.sh counts those lines.  A runner exits non-zero when any
 * check failed, so a crash or sanitizer report is a failure too.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed;

#define UNIT_OK(name, cond) do {					\
	if (cond)							\
		printf("ok %s\n", (name));				\
	else {								\
		printf("FAIL %s: %s (%s:%d)\n", (name), #cond,		\
		    __FILE__, __LINE__);				\
		unit_failed = 1;					\
	}								\
	fflush(stdout);							\
} while (0)

/* A check with its own explanation, for results that need context. */
#define UNIT_FAIL(name, ...) do {					\
	printf("FAIL %s: ", (name));					\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	fflush(stdout);							\
	unit_failed = 1;						\
} while (0)

#define UNIT_PASS(name) do { printf("ok %s\n", (name)); fflush(stdout); } while (0)

#define UNIT_EXIT() return (unit_failed ? 1 : 0)

#endif /* UNIT_H */
