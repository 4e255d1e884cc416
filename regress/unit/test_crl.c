/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * CRLs read with our own reader and their signatures checked
 * (smime/crl.c), and the distribution points a certificate names
 * (certid_crl_uris), against files openssl made
 * (regress/unit/data/crl/make.sh): RSA PKCS#1 v1.5, RSASSA-PSS and
 * ECDSA CRLs; a rogue CA under the right name; a leaf that may not
 * sign CRLs; every octet of a CRL flipped in turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "certid.h"
#include "crl.h"
#include "unit.h"

#define DATA	"regress/unit/data/crl/"
#define T2026	1767225600	/* 2026-01-01 00:00:00 UTC */
#define T2027	1798761600

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

/* name, issuer file, the answer, a part of the reason */
static void
signed_by(const char *name, const char *crlfile, mbedtls_x509_crt *issuer,
    int want, const char *why_part)
{
	struct crl_info ci;
	char why[128] = "";
	uint8_t *der;
	size_t len;
	int rc;

	if ((der = slurp(crlfile, &len)) == NULL || crl_read(der, len, &ci)) {
		UNIT_FAIL(name, "cannot read %s", crlfile);
		free(der);
		return;
	}
	rc = crl_signed_by(&ci, issuer, why, sizeof(why));
	if (rc != want || (why_part && strstr(why, why_part) == NULL))
		UNIT_FAIL(name, "rc %d (want %d), why '%s'", rc, want, why);
	else
		UNIT_PASS(name);
	free(der);
}

static void
test_read(void)
{
	static const char *files[] = { "rsa.crl", "ec.crl", "pss.crl" };
	mbedtls_x509_crl m;
	struct crl_info ci;
	uint8_t *der;
	size_t len, i;
	char name[64];

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "crl-read-%s", files[i]);
		if ((der = slurp(files[i], &len)) == NULL) {
			UNIT_FAIL(name, "cannot read it");
			continue;
		}
		mbedtls_x509_crl_init(&m);
		UNIT_OK(name, crl_read(der, len, &ci) == 0 &&
		    ci.this_update == T2026 && ci.next_update == T2027 &&
		    mbedtls_x509_crl_parse_der(&m, der, len) == 0 &&
		    ci.issuer.rawlen == m.issuer_raw.len &&
		    memcmp(ci.issuer.raw, m.issuer_raw.p, m.issuer_raw.len) == 0 &&
		    ci.signed_part.tbs.rawlen == m.tbs.len);
		mbedtls_x509_crl_free(&m);
		snprintf(name, sizeof(name), "crl-read-truncated-%s", files[i]);
		UNIT_OK(name, crl_read(der, len - 1, &ci) == -1);
		free(der);
	}
	UNIT_OK("crl-read-empty", crl_read((const uint8_t *)"", 0, &ci) == -1);
}

static void
test_trailing(void)
{
	struct crl_info ci;
	uint8_t *der, *more;
	size_t len;

	if ((der = slurp("rsa.crl", &len)) == NULL ||
	    (more = malloc(len + 2)) == NULL) {
		UNIT_FAIL("crl-read-trailing", "cannot read rsa.crl");
		free(der);
		return;
	}
	memcpy(more, der, len);
	more[len] = 0x05;
	more[len + 1] = 0x00;
	UNIT_OK("crl-read-trailing", crl_read(more, len + 2, &ci) == -1);
	free(more);
	free(der);
}

/* Any octet changed: not read, or read and not signed by the CA. */
static void
test_flips(mbedtls_x509_crt *ca)
{
	struct crl_info ci;
	uint8_t *der;
	char why[128];
	size_t len, i, bad = 0;

	if ((der = slurp("rsa.crl", &len)) == NULL) {
		UNIT_FAIL("crl-every-octet-flipped", "cannot read rsa.crl");
		return;
	}
	for (i = 0; i < len; i++) {
		der[i] ^= 0x01;
		if (crl_read(der, len, &ci) == 0 &&
		    crl_signed_by(&ci, ca, why, sizeof(why)) == 0)
			bad++;
		der[i] ^= 0x01;
	}
	if (bad)
		UNIT_FAIL("crl-every-octet-flipped", "%zu of %zu flips still "
		    "verify", bad, len);
	else
		UNIT_PASS("crl-every-octet-flipped");
	free(der);
}

static void
test_uris(void)
{
	struct certid_uris u;
	uint8_t *der;
	size_t len;

	if ((der = slurp("leaf.der", &len)) == NULL) {
		UNIT_FAIL("crldp-uris", "cannot read leaf.der");
		return;
	}
	/* duplicates once, the one with a space skipped, order kept */
	UNIT_OK("crldp-uris", certid_crl_uris(der, len, &u) == 0 && u.n == 3 &&
	    strcmp(u.uri[0], "http://crl.example/ca.crl") == 0 &&
	    strcmp(u.uri[1], "ldap://ldap.example/cn=ca") == 0 &&
	    strcmp(u.uri[2], "http://backup.example:8080/ca.crl") == 0);
	free(der);
	if ((der = slurp("ca-rsa.der", &len)) == NULL)
		return;
	UNIT_OK("crldp-none", certid_crl_uris(der, len, &u) == 0 && u.n == 0);
	UNIT_OK("crldp-not-a-cert", certid_crl_uris(der, len / 2, &u) == -1);
	free(der);
}

int
main(void)
{
	mbedtls_x509_crt ca_rsa, ca_ec, rogue, leaf;

	if (load_crt("ca-rsa.der", &ca_rsa) || load_crt("ca-ec.der", &ca_ec) ||
	    load_crt("rogue.der", &rogue) || load_crt("leaf.der", &leaf)) {
		UNIT_FAIL("crl-load", "cannot read the test certificates");
		UNIT_EXIT();
	}
	test_read();
	test_trailing();
	signed_by("crl-rsa-by-its-ca", "rsa.crl", &ca_rsa, 0, NULL);
	signed_by("crl-pss-by-its-ca", "pss.crl", &ca_rsa, 0, NULL);
	signed_by("crl-ec-by-its-ca", "ec.crl", &ca_ec, 0, NULL);
	signed_by("crl-rogue-same-name", "rsa.crl", &rogue, -1,
	    "bad signature");
	signed_by("crl-other-ca", "rsa.crl", &ca_ec, -1, "not its issuer");
	signed_by("crl-ec-not-rsa-ca", "ec.crl", &ca_rsa, -1, "not its issuer");
	/* the leaf names no CA: not its issuer; and may not sign CRLs */
	signed_by("crl-leaf-not-issuer", "rsa.crl", &leaf, -1, NULL);
	test_flips(&ca_rsa);
	test_uris();
	mbedtls_x509_crt_free(&ca_rsa);
	mbedtls_x509_crt_free(&ca_ec);
	mbedtls_x509_crt_free(&rogue);
	mbedtls_x509_crt_free(&leaf);
	UNIT_EXIT();
}
