/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The store on disk: directory checks, the index file, atomic writes,
 * the writers' lock.
 */
#define _GNU_SOURCE	/* asprintf(3) in glibc */

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ks.h"


#define INDEX_MAGIC	"filter-smime-keystore"
#define INDEX_MAX	(1024UL * 1024 * 1024)
#define NFIELDS		12

static const char *subdirs[] = { "certs", "keys", "anchors", "crls",
    "ocsp" };

void
ks_error_set(struct ks_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	e->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

const char *
ks_kind_str(enum ks_kind k)
{
	return k == KS_INTERNAL ? "internal" : k == KS_EXTERNAL ? "external" :
	    "harvested";
}

const char *
ks_state_str(enum ks_state s)
{
	return s == KS_CURRENT ? "current" : s == KS_RETIRED ? "retired" :
	    s == KS_PENDING ? "pending" : "rejected";
}

/* "DIR/sub/name.ext" (sub, ext optional), allocated. */
char *
ks_path(const struct ks_store *s, const char *sub, const char *name,
    const char *ext)
{
	char *p;

	if (asprintf(&p, "%s/%s%s%s%s%s", s->dir, sub ? sub : "",
	    sub ? "/" : "", name, ext ? "." : "", ext ? ext : "") == -1)
		return NULL;
	return p;
}

int
ks_read_file(const char *path, uint8_t **out, size_t *outlen, size_t max)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	return ks_read_fd(fd, out, outlen, max);
}

/*
 * How a process that may not open files (a sandboxed worker) gets a
 * certificate's blobs: opener answers with a descriptor for STORE/SUB/
 * FPR.EXT, or -1 with errno.
 */
static int (*blob_opener)(void *, const char *, const char *, const char *);
static void *blob_arg;

void
ks_set_blob_opener(int (*fn)(void *, const char *, const char *,
    const char *), void *arg)
{
	blob_opener = fn;
	blob_arg = arg;
}

int
ks_read_blob(const struct ks_store *s, const char *sub, const char *fpr,
    const char *ext, uint8_t **out, size_t *outlen, size_t max)
{
	char *path;
	int fd, rc;

	if (blob_opener != NULL) {
		if ((fd = blob_opener(blob_arg, sub, fpr, ext)) == -1)
			return -1;
		return ks_read_fd(fd, out, outlen, max);
	}
	if ((path = ks_path(s, sub, fpr, ext)) == NULL)
		return -1;
	rc = ks_read_file(path, out, outlen, max);
	free(path);
	return rc;
}

/* All of fd (at most max octets, NUL after them), which is closed. */
int
ks_read_fd(int fd, uint8_t **out, size_t *outlen, size_t max)
{
	struct stat st;
	uint8_t *buf;
	size_t n = 0;
	ssize_t r;

	if (fstat(fd, &st) == -1 || (size_t)st.st_size > max) {
		if (errno == 0)
			errno = EFBIG;
		close(fd);
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (n < (size_t)st.st_size) {
		r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}

static int
fsync_dir(const char *path)
{
	char *dir, *slash;
	int fd, rc;

	if ((dir = strdup(path)) == NULL)
		return -1;
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
	free(dir);
	if (fd == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * Replace path with data: a temporary file beside it, fsync, rename,
 * fsync of the directory.  A crash leaves the old file or the new one.
 */
int
ks_write_file(const char *path, const char *what, const void *data,
    size_t len, struct ks_error *e)
{
	const uint8_t *p = data;
	char *tmp;
	ssize_t w;
	int fd;

	if (asprintf(&tmp, "%s.tmpXXXXXX", path) == -1) {
		ks_error_set(e, EX_SOFTWARE, "out of memory");
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1)
		goto fail;
	if (fchmod(fd, 0600) == -1)
		goto fail_fd;
	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail_fd;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail_unlink;
	}
	if (rename(tmp, path) == -1 || fsync_dir(path) == -1)
		goto fail_unlink;
	free(tmp);
	return 0;
fail_fd:
	close(fd);
fail_unlink:
	ks_error_set(e, EX_IOERR, "%s %s: %s", what, path, strerror(errno));
	unlink(tmp);
	free(tmp);
	return -1;
fail:
	ks_error_set(e, EX_CANTCREAT, "%s %s: %s", what, path,
	    strerror(errno));
	free(tmp);
	return -1;
}

/* The store and its subdirectories: 0700, created if missing. */
int
ks_init(const char *dir, struct ks_error *e)
{
	uint8_t key[KS_MASTER_LEN];
	char *p = NULL;
	size_t i;
	int fd;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		ks_error_set(e, EX_CANTCREAT, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (chmod(dir, 0700) == -1) {
		ks_error_set(e, EX_CANTCREAT, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		free(p);
		if (asprintf(&p, "%s/%s", dir, subdirs[i]) == -1)
			return -1;
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			ks_error_set(e, EX_CANTCREAT, "%s: %s", p,
			    strerror(errno));
			free(p);
			return -1;
		}
	}
	free(p);
	if (asprintf(&p, "%s/master.key", dir) == -1)
		return -1;
	if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1) {
		ks_error_set(e, EX_CANTCREAT, "%s: %s", p, errno == EEXIST ?
		    "store already initialised" : strerror(errno));
		free(p);
		return -1;
	}
	if (getentropy(key, sizeof(key)) == -1 ||
	    write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) ||
	    fsync(fd) == -1) {
		ks_error_set(e, EX_IOERR, "%s: %s", p, strerror(errno));
		explicit_bzero(key, sizeof(key));
		close(fd);
		unlink(p);
		free(p);
		return -1;
	}
	explicit_bzero(key, sizeof(key));
	close(fd);
	free(p);
	return 0;
}

static void
entry_free(struct ks_entry *en)
{
	if (en == NULL)
		return;
	free(en->account);
	free(en->extra);
	free(en);
}

static void
maps_free(struct ks_store *s)
{
	ks_map_free(s->by_account);
	ks_map_free(s->by_idhash);
	ks_map_free(s->by_ski);
	ks_map_free(s->by_fpr);
	s->by_account = s->by_idhash = s->by_ski = s->by_fpr = NULL;
}

void
ks_close(struct ks_store *s)
{
	size_t i;

	for (i = 0; i < s->nentries; i++)
		entry_free(s->entries[i]);
	free(s->entries);
	maps_free(s);
	free(s->dir);
	memset(s, 0, sizeof(*s));
}

/* The lookup tables; account chains keep index order. */
int
ks_rebuild(struct ks_store *s, struct ks_error *e)
{
	struct ks_entry *en, *head;
	size_t i;

	maps_free(s);
	s->by_account = ks_map_new(s->nentries);
	s->by_idhash = ks_map_new(s->nentries);
	s->by_ski = ks_map_new(s->nentries);
	s->by_fpr = ks_map_new(s->nentries);
	if (!s->by_account || !s->by_idhash || !s->by_ski || !s->by_fpr)
		goto nomem;
	for (i = s->nentries; i-- > 0;) {
		en = s->entries[i];
		head = ks_map_get(s->by_account, en->account);
		en->next_in_account = head;
		if (ks_map_put(s->by_account, en->account, en) == -1 ||
		    ks_map_put(s->by_fpr, en->fpr, en) == -1 ||
		    ks_map_put(s->by_idhash, en->idhash, en) == -1 ||
		    (strcmp(en->ski, "-") != 0 &&
		    ks_map_put(s->by_ski, en->ski, en) == -1))
			goto nomem;
	}
	return 0;
nomem:
	maps_free(s);
	ks_error_set(e, EX_SOFTWARE, "out of memory");
	return -1;
}

int
ks_add_entry(struct ks_store *s, struct ks_entry *en, struct ks_error *e)
{
	struct ks_entry **n;
	size_t ncap;

	if (s->nentries == s->cap) {
		ncap = s->cap ? s->cap * 2 : 64;
		if ((n = reallocarray(s->entries, ncap, sizeof(*n))) == NULL) {
			ks_error_set(e, EX_SOFTWARE, "out of memory");
			return -1;
		}
		s->entries = n;
		s->cap = ncap;
	}
	s->entries[s->nentries++] = en;
	return 0;
}

/* Drop the entry for account+fpr (account NULL: any); 0 if found. */
int
ks_remove_entry(struct ks_store *s, const char *account, const char *fpr)
{
	size_t i;

	for (i = 0; i < s->nentries; i++)
		if (strcmp(s->entries[i]->fpr, fpr) == 0 && (account == NULL ||
		    strcmp(s->entries[i]->account, account) == 0)) {
			entry_free(s->entries[i]);
			memmove(&s->entries[i], &s->entries[i + 1],
			    (s->nentries - i - 1) * sizeof(*s->entries));
			s->nentries--;
			return 0;
		}
	return -1;
}

static int
parse_enum(const char *v, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	return -1;
}

static int
parse_i64(const char *v, int64_t *out)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || *v == '\0' || *end != '\0')
		return -1;
	*out = x;
	return 0;
}

static int
hexfield(const char *v, size_t want)
{
	size_t i, n = strlen(v);

	if (n != want)
		return -1;
	for (i = 0; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' &&
		    v[i] <= 'f')))
			return -1;
	return 0;
}

static int64_t
mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* When anchors/, crls/ or ocsp/ last had a file come, change or go. */
static uint64_t
trust_stamp(const struct ks_store *s)
{
	static const char *dirs[] = { "anchors", "crls", "ocsp" };
	struct stat st;
	uint64_t stamp = 0;	/* unsigned: wraps, never overflows */
	char *d;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if ((d = ks_path(s, dirs[i], "", NULL)) == NULL)
			continue;
		if (stat(d, &st) == 0)
			stamp = stamp * 31 + (uint64_t)mtime_ns(&st);
		free(d);
	}
	return stamp;
}

/* One index line: account fpr kind state purpose flags nb na added ... */
static struct ks_entry *
parse_line(char *line)
{
	static const char *const kinds[] = { "internal", "external",
	    "harvested" };
	static const char *const states[] = { "current", "retired",
	    "pending", "rejected" };
	char *f[NFIELDS], *p = line;
	struct ks_entry *en;
	int64_t purpose, flags;
	int i, k, st;

	for (i = 0; i < NFIELDS; i++) {
		f[i] = p;
		if (i < NFIELDS - 1) {
			if ((p = strchr(p, '\t')) == NULL)
				return NULL;
			*p++ = '\0';
		}
	}
	if ((en = calloc(1, sizeof(*en))) == NULL)
		return NULL;
	k = parse_enum(f[2], kinds, 3);
	st = parse_enum(f[3], states, 4);
	if (f[0][0] == '\0' || hexfield(f[1], KS_FPR_LEN) || k < 0 || st < 0 ||
	    parse_i64(f[4], &purpose) || parse_i64(f[5], &flags) ||
	    parse_i64(f[6], &en->not_before) || parse_i64(f[7], &en->not_after) ||
	    parse_i64(f[8], &en->added) || hexfield(f[9], 32) ||
	    (strcmp(f[10], "-") != 0 && strlen(f[10]) > 64) ||
	    (en->account = strdup(f[0])) == NULL ||
	    (en->extra = strdup(f[11])) == NULL) {
		entry_free(en);
		return NULL;
	}
	memcpy(en->fpr, f[1], KS_FPR_LEN + 1);
	memcpy(en->idhash, f[9], 33);
	(void)strlcpy(en->ski, f[10], sizeof(en->ski));
	en->kind = (enum ks_kind)k;
	en->state = (enum ks_state)st;
	en->purpose = (unsigned)purpose;
	en->flags = (unsigned)flags;
	return en;
}

static int
parse_index(struct ks_store *s, char *buf, struct ks_error *e)
{
	char *line, *next, magic[32];
	struct ks_entry *en;
	unsigned version;
	size_t lineno = 1;
	unsigned long long gen;

	if ((next = strchr(buf, '\n')) == NULL)
		goto bad;
	*next++ = '\0';
	if (sscanf(buf, "%31s %u %llu", magic, &version, &gen) != 3 ||
	    strcmp(magic, INDEX_MAGIC) != 0 || version != 1)
		goto bad;
	s->generation = gen;
	for (line = next; line && *line; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) == NULL)
			goto bad;	/* a torn last line */
		*next++ = '\0';
		if ((en = parse_line(line)) == NULL)
			goto bad;
		if (ks_add_entry(s, en, e) == -1) {
			entry_free(en);
			return -1;
		}
	}
	return 0;
bad:
	ks_error_set(e, EX_DATAERR, "%s/index: line %zu is damaged", s->dir,
	    lineno);
	return -1;
}

static int
check_dir(const char *dir, struct ks_error *e)
{
	struct stat st;

	if (stat(dir, &st) == -1) {
		ks_error_set(e, EX_NOINPUT, "keystore %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		ks_error_set(e, EX_CONFIG, "keystore %s: not a directory", dir);
		return -1;
	}
	if (st.st_mode & (S_IRWXO | S_IWGRP)) {
		ks_error_set(e, EX_NOPERM, "keystore %s: open to others "
		    "(mode %03o); chmod 700 it", dir, st.st_mode & 0777);
		return -1;
	}
	return 0;
}

int
ks_open(struct ks_store *s, const char *dir, struct ks_error *e)
{
	struct stat st;
	uint8_t *buf;
	size_t len;
	char *idx;
	int rc;

	memset(s, 0, sizeof(*s));
	if (check_dir(dir, e) == -1)
		return -1;
	if ((s->dir = strdup(dir)) == NULL ||
	    (idx = ks_path(s, NULL, "index", NULL)) == NULL) {
		ks_error_set(e, EX_SOFTWARE, "out of memory");
		ks_close(s);
		return -1;
	}
	if (stat(idx, &st) == 0) {
		s->idx_ino = st.st_ino;
		s->idx_mtime_ns = mtime_ns(&st);
		s->idx_size = st.st_size;
	}
	s->trust_mtime_ns = trust_stamp(s);
	if (ks_read_file(idx, &buf, &len, INDEX_MAX) == -1) {
		rc = errno == ENOENT ? 0 : -1;	/* a new store: empty */
		if (rc == -1)
			ks_error_set(e, EX_IOERR, "%s: %s", idx,
			    strerror(errno));
		free(idx);
		if (rc == 0)
			rc = ks_rebuild(s, e);
		if (rc == -1)
			ks_close(s);
		return rc;
	}
	free(idx);
	rc = parse_index(s, (char *)buf, e);
	free(buf);
	if (rc == 0)
		rc = ks_rebuild(s, e);
	if (rc == 0)
		ks_revocation_load(s);
	if (rc == -1)
		ks_close(s);
	return rc;
}

/*
 * Has the index been replaced since we loaded it, or a file come or gone
 * in anchors/ or crls/ (smimectl crl fetch renames new CRLs into place)?
 */
int
ks_changed(const struct ks_store *s)
{
	struct stat st;
	char *idx;
	int rc;

	if ((idx = ks_path(s, NULL, "index", NULL)) == NULL)
		return 0;
	rc = stat(idx, &st);
	free(idx);
	if (rc == -1)
		return s->idx_ino != 0;
	return (uint64_t)st.st_ino != s->idx_ino || st.st_size != s->idx_size ||
	    mtime_ns(&st) != s->idx_mtime_ns ||
	    trust_stamp(s) != s->trust_mtime_ns;
}

/* Load again; on failure the old contents stay. */
int
ks_reload(struct ks_store *s, struct ks_error *e)
{
	struct ks_store n;

	if (ks_open(&n, s->dir, e) == -1)
		return -1;
	ks_close(s);
	*s = n;
	return 0;
}

static int
append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < *cap - *len) {
			*len += (size_t)n;
			return 0;
		}
		if ((p = realloc(*buf, *cap * 2 + (size_t)n)) == NULL)
			return -1;
		*buf = p;
		*cap = *cap * 2 + (size_t)n;
	}
}

/* Write the index (caller holds the lock), one generation further. */
int
ks_save(struct ks_store *s, struct ks_error *e)
{
	const struct ks_entry *en;
	size_t len = 0, cap = 4096, i;
	char *buf, *idx;
	int rc;

	if ((buf = malloc(cap)) == NULL)
		goto nomem;
	s->generation++;
	if (append(&buf, &len, &cap, "%s 1 %" PRIu64 "\n", INDEX_MAGIC,
	    s->generation) == -1)
		goto nomem;
	for (i = 0; i < s->nentries; i++) {
		en = s->entries[i];
		if (append(&buf, &len, &cap, "%s\t%s\t%s\t%s\t%u\t%u\t%" PRId64
		    "\t%" PRId64 "\t%" PRId64 "\t%s\t%s\t%s\n", en->account,
		    en->fpr, ks_kind_str(en->kind), ks_state_str(en->state),
		    en->purpose, en->flags, en->not_before, en->not_after,
		    en->added, en->idhash, en->ski, en->extra ? en->extra : "-")
		    == -1)
			goto nomem;
	}
	if ((idx = ks_path(s, NULL, "index", NULL)) == NULL)
		goto nomem;
	rc = ks_write_file(idx, "index", buf, len, e);
	free(idx);
	free(buf);
	return rc;
nomem:
	free(buf);
	ks_error_set(e, EX_SOFTWARE, "out of memory");
	return -1;
}

/* Writers take STORE/lock exclusively; readers never lock. */
int
ks_lock(const char *dir, struct ks_error *e)
{
	char *p;
	int fd;

	if (asprintf(&p, "%s/lock", dir) == -1) {
		ks_error_set(e, EX_SOFTWARE, "out of memory");
		return -1;
	}
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1 || flock(fd, LOCK_EX) == -1) {
		ks_error_set(e, EX_IOERR, "%s: %s", p, strerror(errno));
		if (fd != -1)
			close(fd);
		free(p);
		return -1;
	}
	free(p);
	return fd;
}

void
ks_unlock(int fd)
{
	if (fd != -1)
		close(fd);
}

/*
 * Where a certificate came from, when not a file an admin imported: a
 * line in certs/FPR.from ("directory ldap://...", "SMIMEA NAME"), for
 * smimectl lookup and show.  Best effort: the certificate is what
 * counts.
 */
int
ks_origin_write(const char *dir, const char *fpr, const char *origin,
    struct ks_error *e)
{
	char *path;
	int rc;

	if (asprintf(&path, "%s/certs/%s.from", dir, fpr) == -1) {
		ks_error_set(e, EX_OSERR, "out of memory");
		return -1;
	}
	rc = ks_write_file(path, "origin", origin, strlen(origin), e);
	free(path);
	return rc;
}

void
ks_origin(const struct ks_store *s, const struct ks_entry *en, char *buf,
    size_t bufsz)
{
	uint8_t *p;
	size_t len;
	char *path;

	buf[0] = '\0';
	if ((path = ks_path(s, "certs", en->fpr, "from")) == NULL)
		return;
	if (ks_read_file(path, &p, &len, 512) == 0) {
		len = strcspn((const char *)p, "\r\n");
		if (len >= bufsz)
			len = bufsz - 1;
		memcpy(buf, p, len);
		buf[len] = '\0';
		free(p);
	}
	free(path);
}
