/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Fetching the store's CRLs (crlfetch.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/md.h>
#include <mbedtls/x509_crl.h>

#include "certid.h"
#include "crl.h"
#include "crlfetch.h"
#include "fetch.h"
#include "trustset.h"

#define FUTURE_SKEW	86400	/* ahead by more: not a clock's error */

/* ---- what to fetch and whom to believe -------------------------------- */

struct uris {
	size_t	 n;
	char	*uri[CRLFETCH_POINTS_MAX];
};

static void
uris_add(struct uris *u, const char *uri)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->uri[i], uri) == 0)
			return;
	if (u->n < CRLFETCH_POINTS_MAX && (u->uri[u->n] = strdup(uri)) != NULL)
		u->n++;
}

/* The distribution points named, http:// ones only (others: counted). */
static void
collect_uris(const mbedtls_x509_crt *all, struct uris *u, size_t *other)
{
	struct certid_uris cu;
	size_t i;

	for (; all != NULL && all->raw.p != NULL; all = all->next) {
		if (certid_crl_uris(all->raw.p, all->raw.len, &cu) == -1)
			continue;
		for (i = 0; i < cu.n; i++) {
			if (strncasecmp(cu.uri[i], "http://", 7) == 0)
				uris_add(u, cu.uri[i]);
			else
				(*other)++;
		}
	}
}

/* ---- one CRL, checked --------------------------------------------------- */

/*
 * The CRL in der, read with our own reader and signed by one of the
 * trusted issuers.  0, or -1 with the reason in why.
 */
static int
crl_check(const uint8_t *der, size_t len, mbedtls_x509_crt *trusted,
    struct crl_info *ci, char *why, size_t whysz)
{
	mbedtls_x509_crt *c;

	if (crl_read(der, len, ci) == -1) {
		snprintf(why, whysz, "not a DER CRL");
		return -1;
	}
	snprintf(why, whysz, "its issuer is not a trust anchor or a CA "
	    "that chains to one");
	for (c = trusted; c != NULL && c->raw.p != NULL; c = c->next) {
		if (c->subject_raw.len != ci->issuer.rawlen ||
		    memcmp(c->subject_raw.p, ci->issuer.raw, ci->issuer.rawlen))
			continue;
		if (crl_signed_by(ci, c, why, whysz) == 0)
			return 0;
	}
	return -1;
}

/* In the fetcher's sandbox: mbedTLS parses it in full first, there. */
static int
check_in_sandbox(void *arg, const uint8_t *der, size_t len, char *why,
    size_t whysz)
{
	mbedtls_x509_crl crl;
	struct crl_info ci;
	int ok;

	mbedtls_x509_crl_init(&crl);
	ok = mbedtls_x509_crl_parse_der(&crl, der, len) == 0;
	mbedtls_x509_crl_free(&crl);
	if (!ok) {
		snprintf(why, whysz, "not a CRL (mbedTLS cannot parse it)");
		return -1;
	}
	return crl_check(der, len, arg, &ci, why, whysz);
}

/* ---- keeping it ---------------------------------------------------------- */

/* STORE/crls/fetched-HASH.der: HASH of the distribution point's URI */
static char *
point_path(const struct ks_store *s, const char *uri)
{
	unsigned char h[32];
	char name[8 + 32 + 1];

	if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
	    (const unsigned char *)uri, strlen(uri), h) != 0)
		return NULL;
	memcpy(name, "fetched-", 8);
	ks_hex(h, 16, name + 8);
	return ks_path(s, "crls", name, "der");
}

enum kept { KEPT_UPDATED, KEPT_UNCHANGED, KEPT_REFUSED, KEPT_FAILED };

/*
 * Keep a checked CRL unless the one kept for this point is newer: an
 * old CRL, validly signed, is what a network attacker would replay to
 * hide a revocation.
 */
static enum kept
keep(const struct ks_store *s, const char *uri, const uint8_t *der,
    size_t len, const struct crl_info *ci, char *why, size_t whysz)
{
	struct crl_info old;
	struct ks_error e;
	uint8_t *prev = NULL;
	size_t prevlen;
	char *path;
	enum kept k = KEPT_UPDATED;

	if ((path = point_path(s, uri)) == NULL) {
		snprintf(why, whysz, "out of memory");
		return KEPT_FAILED;
	}
	if (ks_read_file(path, &prev, &prevlen, len + (1 << 20)) == 0 &&
	    crl_read(prev, prevlen, &old) == 0) {
		if (prevlen == len && memcmp(prev, der, len) == 0)
			k = KEPT_UNCHANGED;
		else if (old.issuer.rawlen == ci->issuer.rawlen &&
		    memcmp(old.issuer.raw, ci->issuer.raw, old.issuer.rawlen)
		    == 0 && ci->this_update < old.this_update) {
			snprintf(why, whysz, "older than the CRL kept "
			    "(thisUpdate %lld < %lld): not replaced",
			    (long long)ci->this_update,
			    (long long)old.this_update);
			k = KEPT_REFUSED;
		}
	}
	free(prev);
	if (k == KEPT_UPDATED && ks_write_file(path, "crls", der, len, &e) ==
	    -1) {
		snprintf(why, whysz, "%s", e.msg);
		k = KEPT_FAILED;
	}
	free(path);
	return k;
}

/* The parent's own check of what a fetcher sent, then keeping it. */
static void
take(const struct ks_store *s, const char *uri, const struct fetch_answer *a,
    mbedtls_x509_crt *trusted, const struct crlfetch_opts *o,
    struct crlfetch_tally *t, crlfetch_report_fn report)
{
	const uint8_t *der = a->body;
	struct crl_info ci;
	mbedtls_x509_crl crl;
	char why[256], when[40];
	int ok;

	if (crl_check(der, a->len, trusted, &ci, why, sizeof(why)) == -1) {
		t->refused++;
		report(uri, why);
		return;
	}
	mbedtls_x509_crl_init(&crl);
	ok = mbedtls_x509_crl_parse_der(&crl, der, a->len) == 0;
	mbedtls_x509_crl_free(&crl);
	if (!ok || ci.this_update > o->now + FUTURE_SKEW) {
		t->refused++;
		report(uri, ok ? "issued in the future (thisUpdate)" :
		    "not a CRL (mbedTLS cannot parse it)");
		return;
	}
	if (ci.this_update > o->now) {
		/* mbedTLS would fail every chain under it until then */
		t->failed++;
		report(uri, "thisUpdate is ahead of this clock: left for a "
		    "later run");
		return;
	}
	switch (keep(s, uri, der, a->len, &ci, why, sizeof(why))) {
	case KEPT_UPDATED:
		t->updated++;
		break;
	case KEPT_UNCHANGED:
		t->unchanged++;
		break;
	case KEPT_REFUSED:
		t->refused++;
		report(uri, why);
		return;
	case KEPT_FAILED:
		t->failed++;
		report(uri, why);
		return;
	}
	if (ci.next_update != 0 && ci.next_update < o->now) {
		t->stale++;
		ks_utc(when, sizeof(when), ci.next_update);
		snprintf(why, sizeof(why), "stale: its nextUpdate, %s, has "
		    "passed (kept: it is the newest there is)", when);
		report(uri, why);
	}
}

int
ks_crl_fetch(const struct ks_store *s, const struct crlfetch_opts *o,
    struct crlfetch_tally *t, crlfetch_report_fn report)
{
	mbedtls_x509_crt all, trusted;
	struct fetch_answer a;
	struct fetch_req q;
	struct uris u;
	size_t i;

	memset(t, 0, sizeof(*t));
	memset(&u, 0, sizeof(u));
	mbedtls_x509_crt_init(&all);
	mbedtls_x509_crt_init(&trusted);
	ks_store_certs(s, &all);
	ks_trusted_issuers(&all, s, o->ca_bundle, &trusted);
	collect_uris(&all, &u, &t->skipped);
	if (u.n == CRLFETCH_POINTS_MAX)
		report("-", "more distribution points than a run takes; "
		    "the rest skipped");
	t->points = u.n;
	memset(&q, 0, sizeof(q));
	q.timeout = o->timeout;
	q.max_size = o->max_size;
	q.check = check_in_sandbox;
	q.arg = &trusted;
	for (i = 0; i < u.n; i++) {
		q.url = u.uri[i];
		fetch_run(&q, &a);
		if (a.kind == FETCH_BODY)
			take(s, u.uri[i], &a, &trusted, o, t, report);
		else {
			if (a.kind == FETCH_REFUSED)
				t->refused++;
			else
				t->failed++;
			report(u.uri[i], a.text);
		}
		fetch_answer_free(&a);
		free(u.uri[i]);
	}
	mbedtls_x509_crt_free(&all);
	mbedtls_x509_crt_free(&trusted);
	return 0;
}
