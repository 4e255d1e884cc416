/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* spool: memory up to the bounds, then an unlinked file; exact read-back. */
#ifdef __linux__
#define _GNU_SOURCE		/* F_SETPIPE_SZ */
#endif
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "unit.h"

static int
dir_empty(const char *path)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n == 0;
}

/* Write size bytes of a pattern in odd-sized pieces and read them back. */
static int
roundtrip(struct spool_pool *pool, size_t size, int *in_file)
{
	struct spool sp;
	unsigned char *want, *got;
	size_t off, n, piece = 1;
	ssize_t r;
	int ok = 1;

	want = malloc(size + 1);
	got = malloc(size + 1);
	if (want == NULL || got == NULL)
		return 0;
	for (off = 0; off < size; off++)
		want[off] = (unsigned char)(off * 131 + (off >> 9));
	spool_init(&sp, pool);
	for (off = 0; off < size; off += n) {
		n = piece < size - off ? piece : size - off;
		if (spool_write(&sp, want + off, n) == -1)
			ok = 0;
		piece = piece * 3 % 70001 + 1;
	}
	*in_file = spool_in_file(&sp);
	if (spool_rewind(&sp) == -1)
		ok = 0;
	for (off = 0; ok && off < size + 1; off += (size_t)r) {
		r = spool_read(&sp, got + off, 4099);
		if (r <= 0)
			break;
	}
	if (off != size || memcmp(want, got, size) != 0)
		ok = 0;
	if (sp.size != size)
		ok = 0;
	spool_clear(&sp);
	free(want);
	free(got);
	return ok;
}

/* A spool of n pattern octets (spilled past the pool's limit). */
static void
pattern_spool(struct spool *sp, struct spool_pool *pool, char *want,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		want[i] = (char)('a' + (i * 7 + i / 251) % 26);
	spool_init(sp, pool);
	(void)spool_write(sp, want, n);
}

/* All of fd from its start: the same n octets as want? */
static int
fd_holds(int fd, const char *want, size_t n)
{
	char *got = malloc(n + 1);
	size_t off = 0;
	ssize_t r;
	int ok;

	if (got == NULL)
		return 0;
	while ((r = read(fd, got + off, n + 1 - off)) > 0)
		off += (size_t)r;
	ok = r == 0 && off == n && memcmp(got, want, n) == 0;
	free(got);
	return ok;
}

/*
 * A mapped spool's chunks read from its file (spool_fetch): the same
 * octets, in the buffer given; a range outside every mapping, or past
 * the end of one, is left to the caller's pointer.
 */
static void
test_fetch(struct spool_pool *pool)
{
	static char want[300 * 1000], buf[64 * 1024];
	struct spool sp;
	const char *p, *q;
	size_t len;
	char other[16];

	pattern_spool(&sp, pool, want, sizeof(want));
	UNIT_OK("fetch-spilled", spool_in_file(&sp));
	if (spool_map(&sp, &p, &len) == -1 || len != sizeof(want)) {
		UNIT_FAIL("fetch-map", "spool_map");
		spool_clear(&sp);
		return;
	}
	q = spool_fetch(p + 1001, sizeof(buf), buf);
	UNIT_OK("fetch-from-file", q == buf &&
	    memcmp(buf, want + 1001, sizeof(buf)) == 0);
	q = spool_fetch(p + len - 100, 100, buf);
	UNIT_OK("fetch-last-octets", q == buf &&
	    memcmp(buf, want + len - 100, 100) == 0);
	UNIT_OK("fetch-past-end", spool_fetch(p + len - 100, 101, buf) ==
	    p + len - 100);
	UNIT_OK("fetch-elsewhere", spool_fetch(other, sizeof(other), buf) ==
	    other);
	spool_unmap(&sp);
	UNIT_OK("fetch-after-unmap", spool_fetch(p, 10, buf) == p);
	spool_clear(&sp);
}

/*
 * A spool to a descriptor, whole: from a file (sendfile on Linux) to a
 * file and to a pipe, and from memory.
 */
static void
test_copy_fd(struct spool_pool *pool)
{
	static char want[300 * 1000];
	struct spool sp;
	FILE *f;
	int fds[2];

	pattern_spool(&sp, pool, want, sizeof(want));
	if ((f = tmpfile()) == NULL) {
		UNIT_FAIL("copy-setup", "tmpfile");
		return;
	}
	UNIT_OK("copy-file-to-file", spool_copy_fd(&sp, fileno(f)) == 0 &&
	    lseek(fileno(f), 0, SEEK_SET) == 0 &&
	    fd_holds(fileno(f), want, sizeof(want)));
	fclose(f);
#ifdef F_SETPIPE_SZ
	/* a pipe that takes it all, so no reader is needed */
	if (pipe(fds) == 0) {
		UNIT_OK("copy-file-to-pipe", fcntl(fds[1], F_SETPIPE_SZ,
		    1 << 20) >= (int)sizeof(want) &&
		    spool_copy_fd(&sp, fds[1]) == 0 && close(fds[1]) == 0 &&
		    fd_holds(fds[0], want, sizeof(want)));
		close(fds[0]);
	}
#endif
	spool_clear(&sp);
	/* from memory */
	pattern_spool(&sp, pool, want, 1000);
	if ((f = tmpfile()) == NULL)
		return;
	UNIT_OK("copy-memory-to-file", !spool_in_file(&sp) &&
	    spool_copy_fd(&sp, fileno(f)) == 0 &&
	    lseek(fileno(f), 0, SEEK_SET) == 0 &&
	    fd_holds(fileno(f), want, 1000));
	fclose(f);
	spool_clear(&sp);
}

int
main(void)
{
	struct spool_pool pool;
	struct spool a, b;
	char dir[] = "/tmp/test_spool.XXXXXX";
	int in_file = -1;

	if (mkdtemp(dir) == NULL) {
		UNIT_FAIL("spool-setup", "mkdtemp");
		UNIT_EXIT();
	}
	spool_pool_init(&pool, 1 << 20, 64 * 1024, dir);

	UNIT_OK("spool-small-in-memory", roundtrip(&pool, 1000, &in_file) &&
	    !in_file);
	UNIT_OK("spool-empty", roundtrip(&pool, 0, &in_file) && !in_file);
	UNIT_OK("spool-exact-limit-in-memory",
	    roundtrip(&pool, 64 * 1024, &in_file) && !in_file);
	UNIT_OK("spool-spills-past-limit",
	    roundtrip(&pool, 64 * 1024 + 1, &in_file) && in_file);
	UNIT_OK("spool-large-file", roundtrip(&pool, 5 * 1000 * 1000 + 7,
	    &in_file) && in_file);
	UNIT_OK("spool-pool-released", pool.mem_used == 0);
	UNIT_OK("spool-file-unlinked", dir_empty(dir));
	test_fetch(&pool);
	test_copy_fd(&pool);
	UNIT_OK("spool-fetch-copy-released", pool.mem_used == 0 &&
	    dir_empty(dir));

	/* the global budget: a second message spills when the first holds it */
	spool_pool_init(&pool, 100 * 1024, 80 * 1024, dir);
	spool_init(&a, &pool);
	spool_init(&b, &pool);
	{
		char blk[60 * 1024];

		memset(blk, 'x', sizeof(blk));
		UNIT_OK("spool-budget-first", spool_write(&a, blk,
		    sizeof(blk)) == 0 && !spool_in_file(&a));
		UNIT_OK("spool-budget-second-spills", spool_write(&b, blk,
		    sizeof(blk)) == 0 && spool_in_file(&b));
		UNIT_OK("spool-budget-bounded", pool.mem_used <= 100 * 1024);
	}
	spool_clear(&a);
	spool_clear(&b);
	UNIT_OK("spool-budget-released", pool.mem_used == 0);

	/* writing after rewind is a caller bug, refused */
	spool_init(&a, &pool);
	(void)spool_write(&a, "abc", 3);
	(void)spool_rewind(&a);
	UNIT_OK("spool-no-write-after-rewind", spool_write(&a, "d", 1) == -1);
	spool_clear(&a);

	/* an unusable directory: the write fails, nothing crashes */
	spool_pool_init(&pool, 1 << 20, 16, "/nonexistent/dir");
	spool_init(&a, &pool);
	UNIT_OK("spool-bad-tmpdir-fails", spool_write(&a, "0123456789abcdefXYZ",
	    19) == -1);
	spool_clear(&a);
	UNIT_OK("spool-bad-tmpdir-released", pool.mem_used == 0);

	rmdir(dir);
	UNIT_EXIT();
}
