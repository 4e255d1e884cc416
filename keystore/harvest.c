/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Harvested certificates: a sender's certificate taken from a signature
 * that verified, so replies can be encrypted to it.  Kept apart from
 * imported ones (kind "harvested"), with what the sender advertised
 * (sMIMECapabilities, as hex, in the entry's extra field) and when it
 * was seen.  A newer certificate for the same address becomes current;
 * the older ones stay in history (retired).  With approval required
 * the new one waits as "pending" until smimectl harvested approve.
 */
#define _GNU_SOURCE	/* asprintf(3) in glibc */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "ks.h"


#define EXTRA_MAX	2048

static char *
caps_extra(const char *caps_hex)
{
	char *p;

	if (caps_hex == NULL || *caps_hex == '\0')
		return strdup("-");
	if (strlen(caps_hex) > EXTRA_MAX || strpbrk(caps_hex, "\t\n") != NULL)
		return strdup("-");
	if (asprintf(&p, "caps=%s", caps_hex) == -1)
		return NULL;
	return p;
}

int
ks_harvest(const char *dir, const mbedtls_x509_crt *crt, const char *address,
    const char *caps_hex, int pending, struct ks_error *e)
{
	struct ks_store s;
	struct ks_entry *en = NULL, *old;
	char acct[KS_ACCOUNT_MAX + 1], *path = NULL;
	size_t i;
	int lock, rc = -1;

	if (ks_normalize_account(address, acct, sizeof(acct)) == -1) {
		ks_error_set(e, EX_DATAERR, "%s: not an address", address);
		return -1;
	}
	if ((lock = ks_lock(dir, e)) == -1)
		return -1;
	if (ks_open(&s, dir, e) == -1) {
		ks_unlock(lock);
		return -1;
	}
	if ((en = calloc(1, sizeof(*en))) == NULL ||
	    ks_entry_from_cert(en, crt, acct, KS_HARVESTED) == -1) {
		free(en);
		en = NULL;
		ks_error_set(e, EX_SOFTWARE, "out of memory");
		goto done;
	}
	free(en->extra);
	if ((en->extra = caps_extra(caps_hex)) == NULL) {
		ks_error_set(e, EX_SOFTWARE, "out of memory");
		goto done;
	}
	for (i = 0; i < s.nentries; i++) {
		old = s.entries[i];
		if (strcmp(old->account, acct) != 0 ||
		    old->kind != KS_HARVESTED)
			continue;
		if (strcmp(old->fpr, en->fpr) == 0) {
			/*
			 * Seen again: only new capabilities are worth a new
			 * index (an inbound gateway sees the same senders all
			 * day; no write per message).
			 */
			if (strcmp(old->extra ? old->extra : "-", en->extra) ==
			    0) {
				rc = 0;
				goto done;
			}
			free(old->extra);
			old->extra = en->extra;
			en->extra = NULL;
			old->added = en->added;
			rc = ks_save(&s, e);
			goto done;
		}
		/* an older certificate for the address goes to history */
		if (!pending && old->state == KS_CURRENT &&
		    old->not_before <= en->not_before)
			old->state = KS_RETIRED;
	}
	en->state = pending ? KS_PENDING : KS_CURRENT;
	if ((path = ks_path(&s, "certs", en->fpr, "der")) == NULL ||
	    ks_write_file(path, "certificate", crt->raw.p, crt->raw.len, e) ||
	    ks_add_entry(&s, en, e) == -1)
		goto done;
	en = NULL;
	rc = ks_save(&s, e);
done:
	if (en) {
		free(en->account);
		free(en->extra);
		free(en);
	}
	free(path);
	ks_close(&s);
	ks_unlock(lock);
	return rc;
}

/* approve / reject a harvested certificate by fingerprint. */
int
ks_set_state(const char *dir, const char *fpr, enum ks_state state,
    struct ks_error *e)
{
	struct ks_store s;
	struct ks_entry *en, *other;
	size_t i;
	int lock, rc = -1, found = 0;

	if ((lock = ks_lock(dir, e)) == -1)
		return -1;
	if (ks_open(&s, dir, e) == -1) {
		ks_unlock(lock);
		return -1;
	}
	for (i = 0; i < s.nentries; i++) {
		en = s.entries[i];
		if (en->kind != KS_HARVESTED || strcmp(en->fpr, fpr) != 0)
			continue;
		found = 1;
		en->state = state;
		if (state != KS_CURRENT)
			continue;
		for (size_t j = 0; j < s.nentries; j++) {
			other = s.entries[j];
			if (other != en && other->kind == KS_HARVESTED &&
			    other->state == KS_CURRENT &&
			    strcmp(other->account, en->account) == 0)
				other->state = KS_RETIRED;
		}
	}
	if (!found)
		ks_error_set(e, EX_NOINPUT, "no harvested certificate %s", fpr);
	else
		rc = ks_save(&s, e);
	ks_close(&s);
	ks_unlock(lock);
	return rc;
}

/* The store's own anchors (STORE/anchors/); the system bundle is apart. */
int
ks_trust_anchors(const struct ks_store *s, mbedtls_x509_crt *chain)
{
	char *dir;
	int rc;

	if ((dir = ks_path(s, "anchors", "", NULL)) == NULL)
		return -1;
	rc = mbedtls_x509_crt_parse_path(chain, dir);
	free(dir);
	return rc < 0 ? -1 : 0;
}

/* Every CRL file in STORE/crls/ (written by smimectl crl import). */
int
ks_crls(const struct ks_store *s, mbedtls_x509_crl *crl)
{
	struct dirent *de;
	char *dir, *path;
	DIR *d;
	int n = 0;

	if ((dir = ks_path(s, "crls", "", NULL)) == NULL)
		return -1;
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s%s", dir, de->d_name) == -1)
			break;
		if (mbedtls_x509_crl_parse_file(crl, path) == 0)
			n++;
		free(path);
	}
	closedir(d);
	free(dir);
	return n;
}
