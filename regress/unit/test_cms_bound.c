/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The work bounds of SignedData verification, one case per bound, with
 * the exact status or error each gives: certificates and signers per
 * message, RSA modulus and exponent, chain length, the budget of
 * public-key operations; the first real cause of a chain failure; and
 * the worst case the bounds allow, timed.  The messages are made by
 * regress/lib/mkbound.py and committed in regress/unit/data/bound/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cms.h"
#include "unit.h"

#define DATA	"regress/unit/data/bound/"
#define AT	1893456000	/* 2030-01-01, inside every validity */
#define WORST_SECONDS	10.0	/* CPU under ASan: about 2 s */

static mbedtls_x509_crt root;

static uint8_t *
slurp(const char *name, size_t *len)
{
	char path[256];
	FILE *fp;
	uint8_t *p;
	long n;

	snprintf(path, sizeof(path), DATA "%s", name);
	if ((fp = fopen(path, "rb")) == NULL || fseek(fp, 0, SEEK_END) != 0 ||
	    (n = ftell(fp)) <= 0 || fseek(fp, 0, SEEK_SET) != 0 ||
	    (p = malloc((size_t)n)) == NULL ||
	    fread(p, 1, (size_t)n, fp) != (size_t)n) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	fclose(fp);
	*len = (size_t)n;
	return p;
}

/* Verify a committed message with limits (NULL: the defaults). */
static int
run(const char *name, const struct cms_limits *lim, struct cms_verify *v,
    struct cms_error *e, double *secs)
{
	struct cms_trust t;
	struct timespec a, b;
	uint8_t *der;
	size_t len;
	int rc;

	memset(&t, 0, sizeof(t));
	t.anchors = &root;
	t.at = AT;
	t.limits = lim;
	der = slurp(name, &len);
	memset(e, 0, sizeof(*e));
	/* CPU time: the machine's other work does not count */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	rc = cms_verify(der, len, NULL, 0, &t, v, e);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	free(der);
	if (secs)
		*secs = (double)(b.tv_sec - a.tv_sec) +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	return rc;
}

/* One signer, expected status. */
static void
expect(const char *test, const char *name, const struct cms_limits *lim,
    enum cms_vstatus want, unsigned maxops)
{
	struct cms_verify v;
	struct cms_error e;

	if (run(name, lim, &v, &e, NULL) == -1)
		UNIT_FAIL(test, "error: %s", e.msg);
	else if (v.nsigners != 1 || v.signers[0].status != want)
		UNIT_FAIL(test, "%zu signers, status \"%s\" (%s), want \"%s\"",
		    v.nsigners, cms_vstatus_str(v.signers[0].status),
		    v.signers[0].detail, cms_vstatus_str(want));
	else if (v.pkops > maxops)
		UNIT_FAIL(test, "%u public-key operations, at most %u wanted",
		    v.pkops, maxops);
	else
		UNIT_PASS(test);
}

/* The message is not judged: CMS_ERR_LIMIT with words in the reason. */
static void
expect_limit(const char *test, const char *name, const char *words)
{
	struct cms_verify v;
	struct cms_error e;

	if (run(name, NULL, &v, &e, NULL) != -1)
		UNIT_FAIL(test, "verified (%zu signers)", v.nsigners);
	else if (e.code != CMS_ERR_LIMIT || strstr(e.msg, words) == NULL)
		UNIT_FAIL(test, "error %d \"%s\", want \"%s\"", e.code, e.msg,
		    words);
	else
		UNIT_PASS(test);
}

static void
test_message_bounds(void)
{
	struct cms_limits lim = cms_limits_default;

	expect("bound-ok", "ok.der", NULL, CMS_V_OK, 2);
	expect("bound-certs-50-verify", "certs50.der", NULL, CMS_V_OK, 2);
	expect_limit("bound-certs-60", "certs60.der",
	    "more than 50 certificates");
	expect_limit("bound-signers-12", "signers12.der",
	    "more than 10 signers");
	expect_limit("bound-rsa-exponent-2^40+1", "exp40.der",
	    "certificate 2 has an RSA public exponent of 41 bits");
	expect_limit("bound-rsa-exponent-huge", "hugeexp.der",
	    "RSA public exponent of 40");
	expect_limit("bound-rsa-16384", "rsa16384.der",
	    "certificate 2 has an RSA key of 16384 bits (at most 8192)");
	/* a caller's bound is clamped to the arrays */
	lim.certs = 1000;
	lim.signers = 1000;
	{
		struct cms_trust t;
		struct cms_verify v;
		struct cms_error e;
		uint8_t *der;
		size_t len;

		memset(&t, 0, sizeof(t));
		t.anchors = &root;
		t.at = AT;
		t.limits = &lim;
		der = slurp("certs60.der", &len);
		UNIT_OK("bound-certs-clamped", cms_verify(der, len, NULL, 0,
		    &t, &v, &e) == -1 && e.code == CMS_ERR_LIMIT);
		free(der);
	}
}

static void
test_chain_bounds(void)
{
	struct cms_limits lim = cms_limits_default;

	expect("bound-chain-6-verify", "chain5.der", NULL, CMS_V_OK, 7);
	/* a path too long is refused before any certificate is checked */
	expect("bound-chain-8-too-long", "chain7.der", NULL,
	    CMS_V_CHAIN_LENGTH, 1);
	lim.chain = 5;
	expect("bound-chain-limit-5", "chain5.der", &lim, CMS_V_CHAIN_LENGTH,
	    1);
	lim.chain = CMS_MAX_CHAIN;
	expect("bound-chain-limit-8-verify", "chain7.der", &lim, CMS_V_OK, 9);
	expect("bound-chain-bad-signature", "badsig.der", NULL,
	    CMS_V_CHAIN_SIGNATURE, 3);
	expect("bound-chain-unknown-ca", "unknown.der", NULL, CMS_V_UNTRUSTED,
	    3);
}

static void
test_budget(void)
{
	struct cms_limits lim = cms_limits_default;
	struct cms_verify v;
	struct cms_error e;

	lim.pkops = 0;
	expect("bound-budget-0", "ok.der", &lim, CMS_V_BUDGET, 0);
	lim.pkops = 1;		/* the signature, not the chain */
	expect("bound-budget-1", "ok.der", &lim, CMS_V_BUDGET, 1);
	if (run("ok.der", &lim, &v, &e, NULL) == 0)
		UNIT_OK("bound-budget-reason", strstr(v.signers[0].detail,
		    "needs up to 1 public-key operations, 0 left") !=
		    NULL);
	lim.pkops = 2;
	expect("bound-budget-exact", "ok.der", &lim, CMS_V_OK, 2);
}

/* Two verifications of one message spend from the caller's budget. */
static void
test_budget_shared(void)
{
	struct cms_limits lim = cms_limits_default;
	struct cms_budget b;
	struct cms_trust t;
	struct cms_verify v1, v2;
	struct cms_error e;
	uint8_t *der;
	size_t len;

	lim.pkops = 3;
	cms_budget_init(&b, &lim);
	memset(&t, 0, sizeof(t));
	t.anchors = &root;
	t.at = AT;
	t.budget = &b;
	der = slurp("ok.der", &len);
	if (cms_verify(der, len, NULL, 0, &t, &v1, &e) == -1 ||
	    cms_verify(der, len, NULL, 0, &t, &v2, &e) == -1)
		UNIT_FAIL("bound-budget-shared", "error: %s", e.msg);
	else
		UNIT_OK("bound-budget-shared", v1.signers[0].status ==
		    CMS_V_OK && v1.pkops == 2 && v2.signers[0].status ==
		    CMS_V_BUDGET && v2.pkops == 1 && b.left == 0 &&
		    b.spent == 3);
	free(der);
}

/* Signers examined until the budget ends: n with a status, then none. */
static int
statuses(const struct cms_verify *v, size_t n, enum cms_vstatus st)
{
	size_t i;

	if (v->nsigners != 8)
		return 0;
	for (i = 0; i < v->nsigners; i++)
		if (v->signers[i].status != (i < n ? st : CMS_V_BUDGET))
			return 0;
	return 1;
}

/*
 * The worst case: 8 signers, each over 5 expired look-alike CA
 * certificates that mbedTLS would try one after the other (15
 * operations, and one for the signature).  With RSA keys, the default
 * budget of 64 covers four signers.  With brainpoolP512r1 CAs (the
 * dearest verification mbedTLS offers) and P-521 signers, timed in CPU
 * seconds on a quarter of the budget (one signer), since ASan makes
 * each verification five times dearer.
 */
static void
test_worst(void)
{
	struct cms_limits lim = cms_limits_default;
	struct cms_verify v;
	struct cms_error e;
	double secs;

	if (run("worst.der", NULL, &v, &e, NULL) == -1)
		UNIT_FAIL("bound-worst", "error: %s", e.msg);
	else {
		UNIT_OK("bound-worst-statuses", statuses(&v, 4,
		    CMS_V_CHAIN_SIGNATURE));
		UNIT_OK("bound-worst-budget", v.pkops ==
		    cms_limits_default.pkops);
	}
	lim.pkops = 16;
	if (run("worst-ec.der", &lim, &v, &e, &secs) == -1) {
		UNIT_FAIL("bound-worst-ec", "error: %s", e.msg);
		return;
	}
	UNIT_OK("bound-worst-ec-statuses", statuses(&v, 1,
	    CMS_V_CHAIN_SIGNATURE));
	UNIT_OK("bound-worst-ec-budget", v.pkops == 16);
	if (secs < WORST_SECONDS)
		printf("ok bound-worst-ec-time (%.2f s of CPU for %u "
		    "operations)\n",
		    secs, v.pkops);
	else
		UNIT_FAIL("bound-worst-ec-time", "%.2f s", secs);
}

int
main(void)
{
	mbedtls_x509_crt_init(&root);
	if (mbedtls_x509_crt_parse_file(&root, DATA "root.pem") != 0) {
		UNIT_FAIL("bound-setup", "cannot read the anchor");
		UNIT_EXIT();
	}
	test_message_bounds();
	test_chain_bounds();
	test_budget();
	test_budget_shared();
	test_worst();
	mbedtls_x509_crt_free(&root);
	UNIT_EXIT();
}
