/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

size_t
buf_used(const struct buf *b)
{
	return b->len - b->off;
}

/* NULL while nothing was ever added (NULL + 0 is undefined in C). */
char *
buf_head(const struct buf *b)
{
	return b->data ? b->data + b->off : NULL;
}

/* Make room for n more bytes after len, compacting before growing. */
int
buf_reserve(struct buf *b, size_t n)
{
	size_t need, ncap;
	char *p;

	if (b->off > 0 && (b->off == b->len || b->cap - b->len < n)) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (n > SIZE_MAX - b->len)
		return -1;
	need = b->len + n;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 4096;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -1;
		ncap *= 2;
	}
	if ((p = realloc(b->data, ncap)) == NULL)
		return -1;
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (buf_reserve(b, n) == -1)
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len - b->off) {
		b->off = b->len = 0;
		return;
	}
	b->off += n;
}

void
buf_clear(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
