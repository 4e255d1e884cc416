/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* A growable byte buffer consumed from the front (I/O queues). */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

struct buf {
	char	*data;
	size_t	 off;		/* first unconsumed byte */
	size_t	 len;		/* end of valid bytes */
	size_t	 cap;
};

int	 buf_reserve(struct buf *, size_t);
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_addstr(struct buf *, const char *);
void	 buf_consume(struct buf *, size_t);
size_t	 buf_used(const struct buf *);
char	*buf_head(const struct buf *);
void	 buf_clear(struct buf *);

#endif
