/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Tiny unit test helpers.  Each check prints "ok NAME" or "FAIL NAME: why";
 * regress/run.sh counts those lines.  A runner exits non-zero when any
 * check failed, so a crash or sanitizer report is a failure too.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Hex pairs into out until the first that is not one: octets written. */
static inline size_t
unit_unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	unsigned int v;

	for (; h[0] && h[1]; h += 2) {
		if (sscanf(h, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* A whole file, malloc'd (test data under regress/unit/data/); NULL. */
static inline uint8_t *
unit_slurp(const char *path, size_t *len)
{
	uint8_t *p = NULL;
	FILE *f;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n)) != NULL &&
	    fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	} else if (p != NULL)
		*len = (size_t)n;
	fclose(f);
	return p;
}

#endif /* UNIT_H */
