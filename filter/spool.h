/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Message spool: a message is kept in memory up to a bound, then moved to
 * an unlinked temporary file, so memory stays bounded whatever its size.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mime.h"

/* Shared by all spools of one process: the global memory budget. */
struct spool_pool {
	size_t		 mem_used;
	size_t		 mem_limit;	/* all messages together */
	size_t		 msg_limit;	/* one message in memory */
	const char	*tmpdir;
};

struct spool {
	struct spool_pool *pool;
	char		*mem;		/* whole message, or write-behind buffer */
	size_t		 memlen;
	size_t		 memcap;
	size_t		 charged;	/* bytes counted in pool->mem_used */
	size_t		 rpos;		/* read position in mem */
	int		 fd;		/* -1 while in memory */
	uint64_t	 size;		/* bytes written in all */
	int		 reading;
	void		*map;		/* spool_map of a file */
	size_t		 maplen;
	int		 scan;		/* test lines as they are written */
	struct mime_clean clean;	/* the test, from the first write */
	int		 hinted;	/* mime_set_clean() is our map */
};

#define SPOOL_FILEBUF	(64 * 1024)

void	 spool_pool_init(struct spool_pool *, size_t, size_t, const char *);
void	 spool_pool_tmp(struct spool_pool *, size_t);
void	 spool_init(struct spool *, struct spool_pool *);
int	 spool_write(struct spool *, const void *, size_t);
int	 spool_rewind(struct spool *);
ssize_t	 spool_read(struct spool *, void *, size_t);
int	 spool_in_file(const struct spool *);
int	 spool_map(struct spool *, const char **, size_t *);
void	 spool_unmap(struct spool *);
void	 spool_reclaim(void *);
const char *spool_fetch(const char *, size_t, char *);
void	 spool_wipe(struct spool *);
int	 spool_copy_fd(struct spool *, int);
int	 spool_file_fd(struct spool *);
int	 spool_adopt(struct spool *, int);
int	 spool_write_cb(void *, const void *, size_t);
/*
 * Test every line of the message as it is written (mime_clean); when
 * all are clean, spool_map tells the canonicaliser (mime_set_clean).
 * Only from the first octet; spool_clear turns it off.
 */
void	 spool_scan(struct spool *);
/* Every line written so far was clean (and spool_scan was on). */
int	 spool_clean(const struct spool *);
void	 spool_clear(struct spool *);

extern const struct mime_scratch_ops spool_scratch_ops;

#endif
