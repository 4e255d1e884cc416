/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * What smimectl ocsp fetch learnt, as the filter reads it: for each
 * certificate asked about, STORE/ocsp/FINGERPRINT.status holds one line,
 * "good|revoked|unknown THISUPDATE NEXTUPDATE REVOKEDAT" (seconds since
 * the epoch, 0 for none), written from an answer that was believed;
 * the answer itself is kept beside it (FINGERPRINT.der) for audit.
 * Loaded with the index: a revoked certificate is never chosen to sign
 * or to encrypt to (lookup.c).  Revocation is for good: a stale
 * "revoked" still counts; a stale "good" says nothing, and is not used.
 */
#define _GNU_SOURCE	/* asprintf(3) in glibc */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ks.h"

#define STATUS_MAX	128

static const char *names[] = { "good", "revoked", "unknown" };

int
ks_revocation_write(const struct ks_store *s, const char *fpr,
    enum ks_revstatus st, int64_t this_update, int64_t next_update,
    int64_t revoked_at, struct ks_error *e)
{
	char line[STATUS_MAX], *path;
	int n, rc;

	n = snprintf(line, sizeof(line), "%s %" PRId64 " %" PRId64 " %"
	    PRId64 "\n", names[st], this_update, next_update, revoked_at);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    (path = ks_path(s, "ocsp", fpr, "status")) == NULL) {
		ks_error_set(e, EX_SOFTWARE, "out of memory");
		return -1;
	}
	rc = ks_write_file(path, "ocsp", line, (size_t)n, e);
	free(path);
	return rc;
}

/* "revoked ..." in STORE/ocsp/NAME: 1, else 0. */
static int
says_revoked(const struct ks_store *s, const char *name)
{
	char *dir, *path;
	uint8_t *buf;
	size_t len;
	int rc;

	if ((dir = ks_path(s, "ocsp", "", NULL)) == NULL)
		return 0;
	rc = asprintf(&path, "%s%s", dir, name);
	free(dir);
	if (rc == -1)
		return 0;
	rc = ks_read_file(path, &buf, &len, STATUS_MAX) == 0;
	free(path);
	if (!rc)
		return 0;
	rc = len > 8 && memcmp(buf, "revoked ", 8) == 0;
	free(buf);
	return rc;
}

static int
fpr_cmp(const void *a, const void *b)
{
	return strncmp(a, b, KS_FPR_LEN);
}

/*
 * Mark every entry of a revoked certificate (accounts may share one):
 * the revoked fingerprints sorted, then one pass over the entries, so a
 * large store with many revoked certificates loads in n log r.
 */
void
ks_revocation_load(struct ks_store *s)
{
	char (*fprs)[KS_FPR_LEN] = NULL, (*more)[KS_FPR_LEN];
	struct dirent *de;
	size_t i, nf = 0, cap = 0;
	char *dir;
	DIR *d;

	if ((dir = ks_path(s, "ocsp", "", NULL)) == NULL)
		return;
	d = opendir(dir);
	free(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != KS_FPR_LEN + 7 ||
		    strcmp(de->d_name + KS_FPR_LEN, ".status") != 0 ||
		    !says_revoked(s, de->d_name))
			continue;
		if (nf == cap) {
			cap = cap ? cap * 2 : 16;
			if ((more = reallocarray(fprs, cap, sizeof(*fprs))) ==
			    NULL)
				break;
			fprs = more;
		}
		memcpy(fprs[nf++], de->d_name, KS_FPR_LEN);
	}
	closedir(d);
	if (nf > 0) {
		qsort(fprs, nf, sizeof(*fprs), fpr_cmp);
		for (i = 0; i < s->nentries; i++)
			if (bsearch(s->entries[i]->fpr, fprs, nf,
			    sizeof(*fprs), fpr_cmp) != NULL)
				s->entries[i]->revoked = 1;
	}
	free(fprs);
}
