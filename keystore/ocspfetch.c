/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Asking the store's certificates' OCSP responders (ocspfetch.h). */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "certid.h"
#include "fetch.h"
#include "ocsp.h"
#include "ocspask.h"
#include "ocspfetch.h"
#include "trustset.h"

#define OCSP_RESPONSE_MAX	(64 * 1024)

static char *
answer_path(const struct ks_store *s, const char *fpr)
{
	char *dir;

	/* stores made before OCSP lack the directory */
	if ((dir = ks_path(s, "ocsp", "", NULL)) == NULL ||
	    (mkdir(dir, 0700) == -1 && errno != EEXIST)) {
		free(dir);
		return NULL;
	}
	free(dir);
	return ks_path(s, "ocsp", fpr, "der");
}

/* Keep der unless the answer kept is newer (a replay). */
static int
keep(const struct ks_store *s, const char *fpr, const struct ocsp_certid *id,
    const uint8_t *der, size_t len, const struct ocsp_single *now,
    char *why, size_t whysz)
{
	struct ocsp_response r;
	struct ocsp_single old;
	struct ks_error e;
	uint8_t *prev = NULL;
	size_t prevlen;
	char *path;
	int rc = 0;

	if ((path = answer_path(s, fpr)) == NULL) {
		snprintf(why, whysz, "cannot make STORE/ocsp: %s",
		    strerror(errno));
		return -1;
	}
	if (ks_read_file(path, &prev, &prevlen, OCSP_RESPONSE_MAX) == 0 &&
	    ocsp_response_read(prev, prevlen, &r) == 0 && r.status == 0 &&
	    ocsp_single_find(&r, id, &old) == 0 &&
	    now->this_update < old.this_update) {
		snprintf(why, whysz, "older than the answer kept: not "
		    "replaced");
		rc = 1;
	}
	free(prev);
	if (rc == 0 && ks_write_file(path, "ocsp", der, len, &e) == -1) {
		snprintf(why, whysz, "%s", e.msg);
		rc = -1;
	}
	free(path);
	return rc;
}

/* One certificate: asked, checked twice, kept, counted. */
static void
ask(const struct ks_store *s, const struct ks_entry *en,
    const mbedtls_x509_crt *cert, mbedtls_x509_crt *issuer, const char *url,
    const struct ocspfetch_opts *o, struct ocspfetch_tally *t,
    ocspfetch_report_fn report)
{
	struct ocsp_question q;
	struct ocsp_certid id;
	struct ocsp_single sg;
	struct ks_error e;
	uint8_t *der;
	size_t len;
	char why[256], when[40];

	q.cert = cert;
	q.issuer = issuer;
	q.url = url;
	q.timeout = o->timeout;
	q.nonce = o->nonce;
	q.now = o->now;
	switch (ocsp_ask(&q, &id, &sg, &der, &len, why, sizeof(why))) {
	case OCSP_ASKED_FAILED:
		t->certs++;
		t->failed++;
		report(en->account, en->fpr, why);
		return;
	case OCSP_ASKED_REFUSED:
		t->certs++;
		t->refused++;
		report(en->account, en->fpr, why);
		return;
	case OCSP_ASKED_ANSWER:
		t->certs++;
		break;
	}
	switch (keep(s, en->fpr, &id, der, len, &sg, why, sizeof(why))) {
	case -1:
		t->failed++;
		report(en->account, en->fpr, why);
		break;
	case 1:
		t->refused++;
		report(en->account, en->fpr, why);
		break;
	default:
		if (ks_revocation_write(s, en->fpr, sg.status == OCSP_GOOD ?
		    KS_REV_GOOD : sg.status == OCSP_REVOKED ? KS_REV_REVOKED :
		    KS_REV_UNKNOWN, sg.this_update, sg.next_update,
		    sg.revoked_at, &e) == -1) {
			t->failed++;
			report(en->account, en->fpr, e.msg);
			break;
		}
		if (sg.status == OCSP_GOOD)
			t->good++;
		else if (sg.status == OCSP_UNKNOWN) {
			t->unknown++;
			report(en->account, en->fpr, "unknown to its "
			    "responder");
		} else {
			t->revoked++;
			ks_utc(when, sizeof(when), sg.revoked_at);
			snprintf(why, sizeof(why), "revoked (since %s)", when);
			report(en->account, en->fpr, why);
		}
	}
	free(der);
}

int
ks_ocsp_fetch(const struct ks_store *s, const struct ocspfetch_opts *o,
    struct ocspfetch_tally *t, ocspfetch_report_fn report)
{
	mbedtls_x509_crt all, trusted, cert, *issuer;
	struct certid_uris u;
	struct ks_error e;
	const char *url;
	size_t i;

	memset(t, 0, sizeof(*t));
	mbedtls_x509_crt_init(&all);
	mbedtls_x509_crt_init(&trusted);
	ks_store_certs(s, &all);
	ks_trusted_issuers(&all, s, o->ca_bundle, &trusted);
	for (i = 0; i < s->nentries; i++) {
		if (s->entries[i]->state != KS_CURRENT)
			continue;
		mbedtls_x509_crt_init(&cert);
		if (ks_load_cert(s, s->entries[i], &cert, &e) == -1 ||
		    (url = ocsp_responder_of(&cert, &u)) == NULL ||
		    (issuer = ks_issuer_of(&trusted, &cert)) == NULL)
			t->no_responder++;
		else
			ask(s, s->entries[i], &cert, issuer, url, o, t, report);
		mbedtls_x509_crt_free(&cert);
	}
	mbedtls_x509_crt_free(&all);
	mbedtls_x509_crt_free(&trusted);
	return 0;
}
