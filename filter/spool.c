#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

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
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
flush_mem(struct spool *sp)
{
	if (sp->memlen == 0)
		return 0;
	if (write_all(sp->fd, sp->mem, sp->memlen) == -1)
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

	if (snprintf(path, sizeof(path), "%s/filter-smime.XXXXXXXXXX", dir) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(path)) == -1)
		return -1;
	(void)unlink(path);
	sp->fd = fd;
	old = sp->mem;
	oldlen = sp->memlen;
	if (write_all(fd, old, oldlen) == -1)
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
	if (sp->fd == -1 && (n > SIZE_MAX - sp->memlen ||
	    grow_mem(sp, sp->memlen + n) == -1) && spill(sp) == -1)
		return -1;
	if (sp->fd != -1) {
		if (sp->memlen + n > sp->memcap && flush_mem(sp) == -1)
			return -1;
		if (n >= sp->memcap) {
			if (write_all(sp->fd, p, n) == -1)
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
 * The whole message as one byte range, for the S/MIME engine: the memory
 * copy, or the file mapped read-only (pages the kernel can drop, so a
 * large message does not count against our memory).
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
	*p = m;
	*len = sp->maplen;
	return 0;
}

void
spool_unmap(struct spool *sp)
{
	if (sp->map != NULL)
		(void)munmap(sp->map, sp->maplen);
	sp->map = NULL;
	sp->maplen = 0;
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
