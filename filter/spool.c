/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

#ifdef __linux__
#define _GNU_SOURCE		/* O_TMPFILE */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/sendfile.h>
#endif

#include "fdio.h"
#include "spool.h"

void
spool_pool_init(struct spool_pool *pool, size_t mem_limit, size_t msg_limit,
    const char *tmpdir)
{
	memset(pool, 0, sizeof(*pool));
	pool->mem_limit = mem_limit;
	pool->msg_limit = msg_limit;
	pool->tmpdir = tmpdir;
}

/* A pool for one step's intermediate result, in $TMPDIR past mem. */
void
spool_pool_tmp(struct spool_pool *pool, size_t mem)
{
	const char *tmp = getenv("TMPDIR");

	spool_pool_init(pool, mem, mem, tmp && *tmp ? tmp : "/tmp");
}

void
spool_init(struct spool *sp, struct spool_pool *pool)
{
	memset(sp, 0, sizeof(*sp));
	sp->pool = pool;
	sp->fd = -1;
}

int
spool_in_file(const struct spool *sp)
{
	return sp->fd != -1;
}

static int
flush_mem(struct spool *sp)
{
	if (sp->memlen == 0)
		return 0;
	if (fdio_write_all(sp->fd, sp->mem, sp->memlen) == -1)
		return -1;
	sp->memlen = 0;
	return 0;
}

/* Grow the memory copy, charging the pool; -1 when over a limit. */
static int
grow_mem(struct spool *sp, size_t need)
{
	struct spool_pool *pool = sp->pool;
	size_t ncap, extra;
	char *p;

	if (need <= sp->memcap)
		return 0;
	if (need > pool->msg_limit)
		return -1;
	ncap = sp->memcap ? sp->memcap : 4096;
	while (ncap < need)
		ncap *= 2;
	if (ncap > pool->msg_limit)
		ncap = pool->msg_limit;
	extra = ncap - sp->memcap;
	if (extra > pool->mem_limit - pool->mem_used)
		return -1;
	if ((p = realloc(sp->mem, ncap)) == NULL)
		return -1;
	sp->mem = p;
	sp->memcap = ncap;
	sp->charged += extra;
	pool->mem_used += extra;
	return 0;
}

static void
release_mem(struct spool *sp)
{
	free(sp->mem);
	sp->mem = NULL;
	sp->memlen = sp->memcap = 0;
	sp->pool->mem_used -= sp->charged;
	sp->charged = 0;
}

/*
 * Move what is in memory to an unlinked temporary file; from then on mem
 * is a fixed write-behind buffer, so each data line is not one syscall.
 */
static int
spill(struct spool *sp)
{
	char path[PATH_MAX];
	const char *dir = sp->pool->tmpdir ? sp->pool->tmpdir : "/tmp";
	char *old;
	size_t oldlen;
	int fd;

	spool_unmap(sp);	/* a hint (mime_set_clean) names mem */
#ifdef O_TMPFILE
	/*
	 * A file without a name from the start (the only kind of open a
	 * sandboxed worker may make); mkstemp where the file system has
	 * no O_TMPFILE.
	 */
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) == -1 &&
	    errno != EISDIR && errno != EOPNOTSUPP && errno != EINVAL)
		return -1;
#else
	fd = -1;
#endif
	if (fd == -1 && snprintf(path, sizeof(path),
	    "%s/filter-smime.XXXXXXXXXX", dir) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (fd == -1) {
		if ((fd = mkstemp(path)) == -1)
			return -1;
		(void)unlink(path);
	}
	sp->fd = fd;
	old = sp->mem;
	oldlen = sp->memlen;
	if (fdio_write_all(fd, old, oldlen) == -1)
		return -1;
	sp->mem = NULL;
	sp->pool->mem_used -= sp->charged;
	sp->charged = 0;
	free(old);
	sp->memlen = 0;
	if ((sp->mem = malloc(SPOOL_FILEBUF)) == NULL)
		return -1;
	sp->memcap = SPOOL_FILEBUF;
	return 0;
}

int
spool_write(struct spool *sp, const void *p, size_t n)
{
	if (n == 0)
		return 0;	/* nothing (and mem may still be NULL) */
	if (sp->reading) {
		errno = EINVAL;
		return -1;
	}
	if (sp->scan)
		mime_clean_update(&sp->clean, p, n);
	if (sp->fd == -1 && (n > SIZE_MAX - sp->memlen ||
	    grow_mem(sp, sp->memlen + n) == -1) && spill(sp) == -1)
		return -1;
	if (sp->fd != -1) {
		if (sp->memlen + n > sp->memcap && flush_mem(sp) == -1)
			return -1;
		if (n >= sp->memcap) {
			if (fdio_write_all(sp->fd, p, n) == -1)
				return -1;
			sp->size += n;
			return 0;
		}
	}
	memcpy(sp->mem + sp->memlen, p, n);
	sp->memlen += n;
	sp->size += n;
	return 0;
}

/* Switch from writing to reading from the first byte. */
int
spool_rewind(struct spool *sp)
{
	sp->reading = 1;
	sp->rpos = 0;
	if (sp->fd == -1)
		return 0;
	if (flush_mem(sp) == -1)
		return -1;
	if (lseek(sp->fd, 0, SEEK_SET) == -1)
		return -1;
	return 0;
}

ssize_t
spool_read(struct spool *sp, void *p, size_t n)
{
	size_t left;
	ssize_t r;

	if (!sp->reading) {
		errno = EINVAL;
		return -1;
	}
	if (sp->fd == -1) {
		left = sp->memlen - sp->rpos;
		if (n > left)
			n = left;
		if (n > 0)
			memcpy(p, sp->mem + sp->rpos, n);
		sp->rpos += n;
		return (ssize_t)n;
	}
	do {
		r = read(sp->fd, p, n);
	} while (r == -1 && errno == EINTR);
	return r;
}

/*
 * Mappings made by spool_map, so that spool_reclaim can let their pages
 * go while the engine reads through them (see mime_set_reclaim), and
 * spool_fetch read their chunks from the file.  A few at once: the
 * message, and the signed copy that is then encrypted.
 */
#define SPOOL_MAPS	8

static struct {
	void	*p;
	size_t	 len;
	int	 fd;
} maps[SPOOL_MAPS];

static void
maps_add(void *p, size_t len, int fd)
{
	size_t i;

	for (i = 0; i < SPOOL_MAPS; i++)
		if (maps[i].p == NULL) {
			maps[i].p = p;
			maps[i].len = len;
			maps[i].fd = fd;
			return;
		}
	/* full: this mapping is simply not trimmed */
}

static void
maps_del(void *p)
{
	size_t i;

	for (i = 0; i < SPOOL_MAPS; i++)
		if (maps[i].p == p)
			maps[i].p = NULL;
}

/*
 * Drop the pages of every mapped spool from our resident set.  They are
 * read-only private mappings of files never written through them, so
 * the next access reads the same octets back from the page cache.
 */
void
spool_reclaim(void *unused)
{
	size_t i;

	(void)unused;
	for (i = 0; i < SPOOL_MAPS; i++)
		if (maps[i].p != NULL)
			(void)madvise(maps[i].p, maps[i].len, MADV_DONTNEED);
}

/*
 * A chunk of a mapped spool read from its file into buf (mime_fetch):
 * the file is the mapping's and is not written while it is mapped, so
 * the octets are the same.  Anything short of a whole read leaves the
 * chunk to the mapping.
 */
const char *
spool_fetch(const char *p, size_t n, char *buf)
{
	uintptr_t at = (uintptr_t)p, base;
	size_t i, got = 0;
	ssize_t r;

	for (i = 0; i < SPOOL_MAPS; i++) {
		base = (uintptr_t)maps[i].p;
		if (maps[i].p != NULL && at >= base &&
		    at - base <= maps[i].len && n <= maps[i].len - (at - base))
			break;
	}
	if (i == SPOOL_MAPS)
		return p;
	while (got < n) {
		r = pread(maps[i].fd, buf + got, n - got,
		    (off_t)(at - base + got));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return p;
		got += (size_t)r;
	}
	return buf;
}

void
spool_scan(struct spool *sp)
{
	if (sp->size > 0)
		return;		/* from the first octet, or not at all */
	sp->scan = 1;
	mime_clean_init(&sp->clean);
}

int
spool_clean(const struct spool *sp)
{
	return sp->scan && mime_clean_final(&sp->clean);
}

/* A clean message's range, for the canonicaliser (mime_set_clean). */
static void
hint(struct spool *sp, const char *p, size_t len)
{
	if (!spool_clean(sp))
		return;
	mime_set_clean(p, len);
	sp->hinted = 1;
}

/*
 * The whole message as one byte range, for the S/MIME engine: the memory
 * copy, or the file mapped read-only (pages spool_reclaim can drop, so
 * a large message does not count against our memory).
 */
int
spool_map(struct spool *sp, const char **p, size_t *len)
{
	void *m;

	if (spool_rewind(sp) == -1)
		return -1;
	if (sp->fd == -1) {
		*p = sp->mem ? sp->mem : "";
		*len = sp->memlen;
		hint(sp, *p, *len);
		return 0;
	}
	if (sp->size == 0 || sp->size > SIZE_MAX) {
		*p = "";
		*len = 0;
		return sp->size == 0 ? 0 : -1;
	}
	spool_unmap(sp);
	m = mmap(NULL, (size_t)sp->size, PROT_READ, MAP_PRIVATE, sp->fd, 0);
	if (m == MAP_FAILED)
		return -1;
	sp->map = m;
	sp->maplen = (size_t)sp->size;
	maps_add(m, sp->maplen, sp->fd);
	*p = m;
	*len = sp->maplen;
	hint(sp, *p, *len);
	return 0;
}

void
spool_unmap(struct spool *sp)
{
	if (sp->hinted)
		mime_set_clean(NULL, 0);
	sp->hinted = 0;
	if (sp->map != NULL) {
		maps_del(sp->map);
		(void)munmap(sp->map, sp->maplen);
	}
	sp->map = NULL;
	sp->maplen = 0;
}

/*
 * The spool as a file, spilled now if it was in memory, for handing to
 * another process; the descriptor stays the spool's.
 */
int
spool_file_fd(struct spool *sp)
{
	if (sp->fd == -1 && spill(sp) == -1)
		return -1;
	if (flush_mem(sp) == -1)
		return -1;
	return sp->fd;
}

/* An empty spool takes over a file (spool_file_fd's), to be read. */
int
spool_adopt(struct spool *sp, int fd)
{
	struct stat st;

	if (sp->fd != -1 || sp->size != 0 || fstat(fd, &st) == -1 ||
	    st.st_size < 0)
		return -1;
	sp->fd = fd;
	sp->size = (uint64_t)st.st_size;
	return spool_rewind(sp);
}

/* Copy the spool to fd with read(2), a buffer at a time. */
/*
 * A spool in a file to fd by sendfile(2), which copies in the kernel
 * (to a pipe without copying at all): 0 done, -1 failed, 1 when fd is
 * of a kind it does not take, before anything was written.
 */
static int
copy_in_kernel(struct spool *sp, int fd)
{
#ifdef __linux__
	off_t off = 0;
	ssize_t r;

	while ((uint64_t)off < sp->size) {
		r = sendfile(fd, sp->fd, &off, 1 << 30);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && off == 0 && (errno == EINVAL ||
		    errno == ENOSYS))
			return 1;
		if (r <= 0)
			return -1;	/* 0: the file is shorter than it was */
	}
	return 0;
#else
	(void)sp;
	(void)fd;
	return 1;
#endif
}

int
spool_copy_fd(struct spool *sp, int fd)
{
	char buf[SPOOL_FILEBUF];
	ssize_t r;
	int k;

	if (spool_rewind(sp) == -1)
		return -1;
	if (sp->fd != -1 && (k = copy_in_kernel(sp, fd)) != 1)
		return k;
	while ((r = spool_read(sp, buf, sizeof(buf))) > 0)
		if (fdio_write_all(fd, buf, (size_t)r) == -1)
			return -1;
	return r == 0 ? 0 : -1;
}

void
spool_clear(struct spool *sp)
{
	struct spool_pool *pool = sp->pool;

	if (pool == NULL)
		return;
	spool_unmap(sp);
	release_mem(sp);
	if (sp->fd != -1)
		(void)close(sp->fd);
	spool_init(sp, pool);
}

/* spool_write as a write callback (mime_write_fn): 0 ok, -1 error. */
int
spool_write_cb(void *arg, const void *p, size_t n)
{
	return spool_write(arg, p, n);
}

/*
 * Scratch space for the S/MIME engine (mime_set_scratch): a spool of
 * its own, in memory up to SCRATCH_MEM, then in an unlinked file that
 * is mapped and trimmed like the message.
 */
#define SCRATCH_MEM	(1024 * 1024)

static struct spool_pool scratch_pool;

static void *
scratch_open(void)
{
	struct spool *sp;

	if (scratch_pool.mem_limit == 0) {
		spool_pool_tmp(&scratch_pool, SCRATCH_MEM);
		scratch_pool.mem_limit = 4 * SCRATCH_MEM;
	}
	if ((sp = malloc(sizeof(*sp))) == NULL)
		return NULL;
	spool_init(sp, &scratch_pool);
	return sp;
}

static int
scratch_write(void *arg, const void *p, size_t n)
{
	return spool_write(arg, p, n);
}

static int
scratch_map(void *arg, const char **p, size_t *n)
{
	return spool_map(arg, p, n);
}

static void
scratch_close(void *arg)
{
	struct spool *sp = arg;

	spool_wipe(sp);
	spool_clear(sp);
	free(sp);
}

const struct mime_scratch_ops spool_scratch_ops = {
	scratch_open, scratch_write, scratch_map, scratch_close
};

/* What the spool held in memory is zeroed (decrypted content). */
void
spool_wipe(struct spool *sp)
{
	spool_unmap(sp);
	if (sp->mem != NULL)
		explicit_bzero(sp->mem, sp->memcap);
}
