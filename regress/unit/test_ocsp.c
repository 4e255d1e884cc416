/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * OCSP (smime/ocsp.c) against openssl's own requests and responses
 * (regress/unit/data/ocsp/make.sh): our request byte for byte as
 * openssl writes it, with and without a nonce; answers signed by the
 * CA and by a delegated responder believed, by a self-made responder
 * not; good, revoked, unknown; another certificate's answer, a wrong
 * nonce, tryLater, too old, from the future; every octet flipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/x509_crt.h>

#include "ocsp.h"
#include "unit.h"

#define DATA	"regress/unit/data/ocsp/"

static uint8_t *
slurp(const char *name, size_t *len)
{
	char path[256];

	snprintf(path, sizeof(path), DATA "%s", name);
	return unit_slurp(path, len);
}

static int
load_crt(const char *name, mbedtls_x509_crt *c)
{
	uint8_t *p;
	size_t n;
	int rc;

	mbedtls_x509_crt_init(c);
	if ((p = slurp(name, &n)) == NULL)
		return -1;
	rc = mbedtls_x509_crt_parse_der(c, p, n);
	free(p);
	return rc == 0 ? 0 : -1;
}

static mbedtls_x509_crt ca, good, revoked, stranger;
static struct ocsp_certid id_good, id_revoked, id_stranger;
static uint8_t nonce[OCSP_NONCE_LEN];
static time_t now;

/* ours == openssl's, for the same certificate and nonce */
static void
test_request(void)
{
	uint8_t *want, *got = NULL;
	size_t wantlen, gotlen;

	if ((want = slurp("req-good.der", &wantlen)) == NULL) {
		UNIT_FAIL("ocsp-request-as-openssl", "no req-good.der");
		return;
	}
	UNIT_OK("ocsp-request-as-openssl", ocsp_request_make(&id_good, NULL, 0,
	    &got, &gotlen) == 0 && gotlen == wantlen &&
	    memcmp(got, want, wantlen) == 0);
	free(got);
	free(want);
	got = NULL;
	if ((want = slurp("req-nonce.der", &wantlen)) == NULL ||
	    wantlen < OCSP_NONCE_LEN) {
		UNIT_FAIL("ocsp-request-nonce-as-openssl", "no req-nonce.der");
		free(want);
		return;
	}
	/* openssl's nonce: the last 16 octets, an OCTET STRING's content */
	memcpy(nonce, want + wantlen - OCSP_NONCE_LEN, OCSP_NONCE_LEN);
	UNIT_OK("ocsp-request-nonce-as-openssl", ocsp_request_make(&id_good,
	    nonce, OCSP_NONCE_LEN, &got, &gotlen) == 0 && gotlen == wantlen &&
	    memcmp(got, want, wantlen) == 0);
	free(got);
	free(want);
}

/* check NAME FILE ID NONCE? WANT-RC WANT-STATUS WHY-PART AT */
static void
check(const char *name, const char *file, const struct ocsp_certid *id,
    int with_nonce, int want, enum ocsp_status st, const char *why_part,
    time_t at)
{
	struct ocsp_single s;
	char why[160] = "";
	uint8_t *der;
	size_t len;
	int rc;

	if ((der = slurp(file, &len)) == NULL) {
		UNIT_FAIL(name, "no %s", file);
		return;
	}
	rc = ocsp_check(der, len, id, &ca, with_nonce ? nonce : NULL,
	    with_nonce ? OCSP_NONCE_LEN : 0, at, &s, why, sizeof(why));
	if (rc != want || (rc == 0 && s.status != st) ||
	    (why_part && strstr(why, why_part) == NULL))
		UNIT_FAIL(name, "rc %d (want %d), status %s, why '%s'", rc,
		    want, rc == 0 ? ocsp_status_str(s.status) : "-", why);
	else
		UNIT_PASS(name);
	free(der);
}

static void
test_flips(void)
{
	struct ocsp_single s;
	char why[160];
	uint8_t *der;
	size_t len, i, bad = 0;

	if ((der = slurp("good-delegated.resp", &len)) == NULL) {
		UNIT_FAIL("ocsp-every-octet-flipped", "no good-delegated.resp");
		return;
	}
	for (i = 0; i < len; i++) {
		der[i] ^= 0x04;
		if (ocsp_check(der, len, &id_good, &ca, NULL, 0, now, &s, why,
		    sizeof(why)) == 0)
			bad++;
		der[i] ^= 0x04;
	}
	if (bad)
		UNIT_FAIL("ocsp-every-octet-flipped", "%zu of %zu flips still "
		    "believed", bad, len);
	else
		UNIT_PASS("ocsp-every-octet-flipped");
	free(der);
}

int
main(void)
{
	if (load_crt("ca.der", &ca) || load_crt("good.der", &good) ||
	    load_crt("revoked.der", &revoked) ||
	    load_crt("stranger.der", &stranger) ||
	    ocsp_certid_make(&good, &ca, &id_good) ||
	    ocsp_certid_make(&revoked, &ca, &id_revoked) ||
	    ocsp_certid_make(&stranger, &ca, &id_stranger)) {
		UNIT_FAIL("ocsp-load", "cannot read the test certificates");
		UNIT_EXIT();
	}
	UNIT_OK("ocsp-certid-not-issuer", ocsp_certid_make(&good, &good,
	    &id_stranger) == -1 && ocsp_certid_make(&stranger, &ca,
	    &id_stranger) == 0);
	now = time(NULL);
	test_request();
	check("ocsp-good-by-ca", "good-ca.resp", &id_good, 1, 0, OCSP_GOOD,
	    NULL, now);
	check("ocsp-good-by-ca-no-nonce-asked", "good-ca.resp", &id_good, 0, 0,
	    OCSP_GOOD, NULL, now);
	nonce[0] ^= 1;
	check("ocsp-wrong-nonce", "good-ca.resp", &id_good, 1, -1, OCSP_GOOD,
	    "nonce", now);
	nonce[0] ^= 1;
	/* no nonce in the answer: taken (responders may answer from cache) */
	check("ocsp-answer-without-nonce", "good-delegated.resp", &id_good, 1,
	    0, OCSP_GOOD, NULL, now);
	check("ocsp-revoked-by-ca", "revoked-ca.resp", &id_revoked, 0, 0,
	    OCSP_REVOKED, NULL, now);
	check("ocsp-good-delegated", "good-delegated.resp", &id_good, 0, 0,
	    OCSP_GOOD, NULL, now);
	check("ocsp-rogue-responder", "good-rogue.resp", &id_good, 0, -1,
	    OCSP_GOOD, "not signed by the issuer", now);
	check("ocsp-unknown", "stranger.resp", &id_stranger, 0, 0,
	    OCSP_UNKNOWN, NULL, now);
	check("ocsp-other-certificate", "good-ca.resp", &id_revoked, 0, -1,
	    OCSP_GOOD, "no answer about this certificate", now);
	check("ocsp-trylater", "trylater.resp", &id_good, 0, -1, OCSP_GOOD,
	    "tryLater", now);
	check("ocsp-stale", "good-ca.resp", &id_good, 0, -1, OCSP_GOOD,
	    "stale", (time_t)5000000000LL);	/* 2128: past nextUpdate */
	check("ocsp-from-the-future", "good-ca.resp", &id_good, 0, -1,
	    OCSP_GOOD, "future", (time_t)1700000000);	/* 2023 */
	check("ocsp-not-ocsp", "ca.der", &id_good, 0, -1, OCSP_GOOD,
	    "not an OCSP response", now);
	test_flips();
	mbedtls_x509_crt_free(&ca);
	mbedtls_x509_crt_free(&good);
	mbedtls_x509_crt_free(&revoked);
	mbedtls_x509_crt_free(&stranger);
	UNIT_EXIT();
}
