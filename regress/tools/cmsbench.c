/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * cmsbench: figures for make bench (never a pass/fail test).
 *
 *   cmsbench STORE ADDR CERT-RSA CERT-EC
 *	signatures/s with the identity of ADDR (its key from STORE),
 *	SHA-256 and S/MIME signing MB/s over 64 MB (with the CPU's SHA
 *	instructions and with mbedTLS's SHA-256), and encryption MB/s
 *	(AES-256-CBC, AES-256-GCM) to CERT-RSA and CERT-EC.
 *   cmsbench -bare STORE ADDR
 *	mbedTLS signing a digest with ADDR's key, and what the key process
 *	makes of that key: presigned ECDSA, or RSA by rsafix.
 *   cmsbench -rate STORE ADDR
 *	only mbedTLS signing a digest with ADDR's key.
 *   cmsbench -engine
 *	what SHA-256, AES-CBC, base64, ECDSA and RSA signing run on.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/platform_util.h>

#include "aes_hw.h"
#include "b64_hw.h"
#include "cms.h"
#include "digest.h"
#include "ecfix.h"
#include "ecpool.h"
#include "mbedtls_compat.h"
#include "ks.h"
#include "rsafix.h"
#include "sha256_hw.h"
#include "smime.h"

#define BIG	(64 * 1024 * 1024)

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
discard(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return 0;
}

static int
discard_v(void *arg, const void *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return 0;
}

static void
bench_encrypt(const char *certfile, enum cms_cipher c, const char *name,
    const uint8_t *buf, struct cms_rng *rng)
{
	mbedtls_x509_crt crt;
	struct cms_recipient r;
	struct cms_env env;
	struct cms_frame f;
	struct cms_error e;
	double t0, t1;
	size_t off;

	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_file(&crt, certfile) != 0)
		errx(65, "%s", certfile);
	memset(&r, 0, sizeof(r));
	r.cert = &crt;
	t0 = now_s();
	if (cms_env_begin(&env, &r, 1, c, BIG, rng, &f, &e) == -1)
		errx(70, "%s", e.msg);
	for (off = 0; off < BIG; off += 65536)
		if (cms_env_update(&env, buf + off, 65536, discard, NULL, &e))
			errx(70, "%s", e.msg);
	cms_frame_free(&f);
	if (cms_env_finish(&env, discard, NULL, &f, &e) == -1)
		errx(70, "%s", e.msg);
	t1 = now_s();
	cms_frame_free(&f);
	cms_env_free(&env);
	printf("encrypt %-12s %7.1f MB/s\n", name, BIG / 1e6 / (t1 - t0));
	mbedtls_x509_crt_free(&crt);
}

static void
bench_sign(const uint8_t *buf, const struct cms_signer *sg,
    struct cms_rng *rng)
{
	struct cms_error e;
	double t0, t1;

	t0 = now_s();
	if (smime_sign((const char *)buf, BIG, sg, 0, time(NULL), rng,
	    discard_v, NULL, &e) == -1)
		errx(70, "%s", e.msg);
	t1 = now_s();
	printf("S/MIME sign 64 MB msg   %7.1f MB/s (sha256: %s)\n",
	    BIG / 1e6 / (t1 - t0), digest_sha256_engine());
}

/* mbedTLS signing the digest alone: what a signed message cannot beat. */
static void
bench_bare(mbedtls_pk_context *pk, const uint8_t *digest, struct cms_rng *rng)
{
	uint8_t sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	double t0, t1;
	size_t len;
	int n = 0;

	t0 = now_s();
	while ((t1 = now_s()) - t0 < 2.0) {
		if (compat_pk_sign(pk, MBEDTLS_MD_SHA256, digest, 32, sig,
		    sizeof(sig), &len, cms_rng_func, rng) != 0)
			errx(70, "pk_sign");
		n++;
	}
	printf("bare mbedTLS %-10s %7.0f signatures/s (the digest alone)\n",
	    mbedtls_pk_get_name(pk), n / (t1 - t0));
}

/*
 * An EC key as a worker's key process signs with it: a nonce and its
 * point made (ecpool_fill), then the signature, so the whole cost.
 */
static void
bench_presign(mbedtls_pk_context *pk, const uint8_t *digest,
    struct cms_rng *rng)
{
	uint8_t sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	struct ecpool pool;
	double t0, t1;
	size_t len;
	int n = 0;

	ecpool_init(&pool);
	if (ecpool_arm(&pool, compat_ec_group_id(pk)) != 0)
		return;		/* no EC key */
	t0 = now_s();
	while ((t1 = now_s()) - t0 < 2.0) {
		if (ecpool_fill(&pool, cms_rng_func, rng) != 0 ||
		    ecpool_sign(&pool, pk, digest, 32, sig, sizeof(sig), &len,
		    cms_rng_func, rng) != 0)
			errx(70, "ecpool");
		n++;
	}
	ecpool_free(&pool);
	printf("presigned ECDSA    %7.0f signatures/s (nonce made ahead, then "
	    "signed: the key process's whole cost)\n", n / (t1 - t0));
}

/*
 * An RSA key as the key process signs with it (rsafix, PKCS #1 v1.5),
 * when it takes the key.
 */
static void
bench_rsafix(mbedtls_pk_context *pk, const uint8_t *digest,
    struct cms_rng *rng)
{
	uint8_t sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	struct rsafix *fix;
	double t0, t1;
	int n = 0;

	if ((fix = rsafix_new(mbedtls_pk_rsa(*pk), cms_rng_func, rng)) ==
	    NULL)
		return;		/* another size, or FILTER_SMIME_NO_HW */
	t0 = now_s();
	while ((t1 = now_s()) - t0 < 2.0) {
		if (rsafix_sign(fix, MBEDTLS_MD_SHA256, digest, 32, sig) != 0)
			errx(70, "rsafix");
		n++;
	}
	rsafix_free(fix);
	printf("RSA by CRT (rsafix) %6.0f signatures/s (the key process's "
	    "whole cost)\n", n / (t1 - t0));
}

/* "table" when ecfix makes kG and s for P-256, else "mbedtls" */
static const char *
ecdsa_engine(void)
{
	mbedtls_ecp_group grp;
	struct ecfix *fix = NULL;
	int table;

	mbedtls_ecp_group_init(&grp);
	if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0)
		fix = ecfix_new(&grp);
	table = fix != NULL;
	ecfix_free(fix);
	mbedtls_ecp_group_free(&grp);
	return table ? "table (P-256, P-384)" : "mbedtls";
}

int
main(int argc, char *argv[])
{
	uint8_t master[KS_MASTER_LEN], digest[32], *buf;
	const struct ks_entry *en;
	struct ks_store s;
	struct ks_error ke;
	mbedtls_x509_crt crt;
	mbedtls_pk_context pk;
	struct cms_signer sg;
	struct cms_rng rng;
	struct cms_frame f;
	struct cms_error e;
	double t0, t1;
	int i, n = 0, bare_only = 0;

	if (argc == 2 && strcmp(argv[1], "-engine") == 0) {
		printf("sha256: %s, aes-cbc: %s, base64: %s, ecdsa: %s, "
		    "rsa: %s\n", digest_sha256_engine(),
		    aes_hw_available() ? aes_hw_engine() : "mbedtls",
		    b64_hw_available() ? b64_hw_engine() : "table",
		    ecdsa_engine(), rsafix_available() ?
		    "crt (2048, 3072, 4096)" : "mbedtls");
		return 0;
	}
	/*
	 * -bare STORE ADDR: the bare signing rate of ADDR's key alone, and
	 * what the key process makes of it; -rate: only the bare rate
	 */
	if (argc == 4 && strcmp(argv[1], "-bare") == 0) {
		bare_only = 1;
		argv++;
	} else if (argc == 4 && strcmp(argv[1], "-rate") == 0) {
		bare_only = 2;
		argv++;
	} else if (argc != 5)
		errx(64, "usage: cmsbench STORE ADDR CERT-RSA CERT-EC | "
		    "-bare STORE ADDR | -rate STORE ADDR | -engine");
	if (ks_open(&s, argv[1], &ke) == -1 ||
	    ks_sign_identity(&s, argv[2], time(NULL), &en) != KS_FOUND)
		errx(65, "%s: no identity", argv[2]);
	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&pk);
	if (ks_master_key(argv[1], master, &ke) == -1 ||
	    ks_load_cert(&s, en, &crt, &ke) == -1 ||
	    ks_load_key(&s, master, en, &pk, &ke) == -1)
		errx(65, "%s", ke.msg);
	mbedtls_platform_zeroize(master, sizeof(master));
	if (cms_rng_init(&rng) == -1)
		errx(70, "init");
	memset(&sg, 0, sizeof(sg));
	sg.cert = &crt;
	sg.key = &pk;
	sg.md = MBEDTLS_MD_SHA256;
	memset(digest, 7, sizeof(digest));
	bench_bare(&pk, digest, &rng);
	if (bare_only == 2)
		return 0;
	if (mbedtls_pk_get_type(&pk) == MBEDTLS_PK_ECKEY)
		bench_presign(&pk, digest, &rng);
	if (mbedtls_pk_get_type(&pk) == MBEDTLS_PK_RSA)
		bench_rsafix(&pk, digest, &rng);
	if (bare_only)
		return 0;
	if ((buf = malloc(BIG)) == NULL)
		errx(70, "init");
	for (i = 0; i < BIG; i++)
		buf[i] = (uint8_t)(i % 61 == 60 ? '\n' : 'a' + i % 26);
	/* the key checked against the certificate per message, then once */
	for (sg.pair_checked = 0; sg.pair_checked < 2; sg.pair_checked++) {
		n = 0;
		t0 = now_s();
		while ((t1 = now_s()) - t0 < 2.0) {
			if (cms_sign(&sg, digest, 32, -1, time(NULL), &rng,
			    &f, &e))
				errx(70, "%s", e.msg);
			cms_frame_free(&f);
			n++;
		}
		printf("SignedData %-12s %7.0f signatures/s (key pair "
		    "checked %s)\n", mbedtls_pk_get_name(&pk), n / (t1 - t0),
		    sg.pair_checked ? "at load" : "per message");
	}
	printf("sha256: %s\n", digest_sha256_engine());
	printf("aes-cbc: %s\n", aes_hw_available() ? aes_hw_engine() :
	    "mbedtls");
	t0 = now_s();
	mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), buf, BIG,
	    digest);
	t1 = now_s();
	printf("SHA-256 mbedtls         %7.1f MB/s\n", BIG / 1e6 / (t1 - t0));
	if (sha256_hw_engine() != NULL) {
		struct sha256_hw h;

		t0 = now_s();
		sha256_hw_init(&h);
		sha256_hw_update(&h, buf, BIG);
		sha256_hw_finish(&h, digest);
		t1 = now_s();
		printf("SHA-256 %-15s %7.1f MB/s\n", sha256_hw_engine(),
		    BIG / 1e6 / (t1 - t0));
	}
	memcpy(buf, "Content-Type: text/plain\n\n", 26);
	bench_sign(buf, &sg, &rng);
	if (strcmp(digest_sha256_engine(), "mbedtls") != 0) {
		setenv("FILTER_SMIME_NO_HW", "1", 1);
		bench_sign(buf, &sg, &rng);
		unsetenv("FILTER_SMIME_NO_HW");
	}
	bench_encrypt(argv[3], CMS_AES256_CBC, "RSA AES-CBC", buf, &rng);
	bench_encrypt(argv[3], CMS_AES256_GCM, "RSA AES-GCM", buf, &rng);
	bench_encrypt(argv[4], CMS_AES256_GCM, "EC AES-GCM", buf, &rng);
	free(buf);
	cms_rng_free(&rng);
	mbedtls_pk_free(&pk);
	mbedtls_x509_crt_free(&crt);
	ks_close(&s);
	return 0;
}
