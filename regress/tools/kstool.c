/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * kstool: test-only driver over the keystore as the filter uses it.
 *
 *   kstool sign STORE SENDER IN OUT     detached SignedData of IN with the
 *                                       sender's signing identity
 *   kstool load STORE ADDR...           open the store once, look every
 *                                       ADDR up (sign), print the answers,
 *                                       the load and lookup times and RSS
 *   kstool harvest STORE CERT ADDR [CAPS-HEX [pending]]
 *                                       store CERT as harvested for ADDR
 *   kstool watch STORE SECONDS          reload whenever the index changes;
 *                                       print "gen N entries M" each time,
 *                                       "torn" if a load ever fails
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/platform_util.h>

#include "cms.h"
#include "ks.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
rss_kb(const char *field)
{
	char line[256];
	long v = -1;
	FILE *fp;

	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(fp);
	return v;
}

static int
cmd_sign(int argc, char *argv[])
{
	uint8_t master[KS_MASTER_LEN], digest[32], *content;
	const struct ks_entry *en;
	struct ks_store s;
	struct ks_error e;
	mbedtls_x509_crt crt;
	mbedtls_pk_context pk;
	struct cms_signer sg;
	struct cms_rng rng;
	struct cms_frame f;
	struct cms_error ce;
	size_t clen;
	FILE *fp;

	if (argc != 5)
		errx(64, "usage: kstool sign STORE SENDER IN OUT");
	if (ks_open(&s, argv[1], &e) == -1)
		errx(e.code, "%s", e.msg);
	if (ks_sign_identity(&s, argv[2], time(NULL), &en) != KS_FOUND)
		errx(1, "%s: no valid signing identity", argv[2]);
	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&pk);
	if (ks_master_key(argv[1], master, &e) == -1 ||
	    ks_load_cert(&s, en, &crt, &e) == -1 ||
	    ks_load_key(&s, master, en, &pk, &e) == -1)
		errx(e.code, "%s", e.msg);
	mbedtls_platform_zeroize(master, sizeof(master));
	if (ks_read_file(argv[3], &content, &clen, 1 << 26) == -1)
		err(66, "%s", argv[3]);
	if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), content,
	    clen, digest) != 0 || cms_rng_init(&rng) == -1)
		errx(70, "digest");
	memset(&sg, 0, sizeof(sg));
	sg.cert = &crt;
	sg.key = &pk;
	sg.md = MBEDTLS_MD_SHA256;
	if (cms_sign(&sg, digest, sizeof(digest), -1, time(NULL), &rng, &f,
	    &ce) == -1)
		errx(70, "%s", ce.msg);
	if ((fp = fopen(argv[4], "wb")) == NULL ||
	    fwrite(f.head, 1, f.headlen, fp) != f.headlen || fclose(fp) != 0)
		err(74, "%s", argv[4]);
	cms_frame_free(&f);
	cms_rng_free(&rng);
	free(content);
	mbedtls_pk_free(&pk);
	mbedtls_x509_crt_free(&crt);
	ks_close(&s);
	return 0;
}

static int
cmd_load(int argc, char *argv[])
{
	static const char *names[] = { "found", "none", "expired",
	    "not-yet-valid" };
	const struct ks_entry *en;
	struct ks_store s;
	struct ks_error e;
	double t0, t1, t2;
	enum ks_answer a;
	int i;

	if (argc < 2)
		errx(64, "usage: kstool load STORE [ADDR...]");
	t0 = now_s();
	if (ks_open(&s, argv[1], &e) == -1)
		errx(e.code, "%s", e.msg);
	t1 = now_s();
	for (i = 2; i < argc; i++) {
		a = ks_sign_identity(&s, argv[i], time(NULL), &en);
		printf("%s %s\n", argv[i], names[a]);
	}
	t2 = now_s();
	printf("entries %zu load %.3f s lookups %d in %.6f s rss %ld kB "
	    "peak %ld kB\n", s.nentries, t1 - t0, argc - 2, t2 - t1,
	    rss_kb("VmRSS:"), rss_kb("VmHWM:"));
	ks_close(&s);
	return 0;
}

static int
cmd_watch(int argc, char *argv[])
{
	struct ks_store s;
	struct ks_error e;
	double end;
	uint64_t last = (uint64_t)-1;
	int torn = 0;

	if (argc != 3)
		errx(64, "usage: kstool watch STORE SECONDS");
	if (ks_open(&s, argv[1], &e) == -1)
		errx(e.code, "%s", e.msg);
	end = now_s() + atof(argv[2]);
	while (now_s() < end) {
		if (ks_changed(&s) && ks_reload(&s, &e) == -1) {
			printf("torn %s\n", e.msg);
			torn = 1;
		}
		if (s.generation != last) {
			printf("gen %llu entries %zu\n",
			    (unsigned long long)s.generation, s.nentries);
			last = s.generation;
		}
		usleep(2000);
	}
	ks_close(&s);
	return torn;
}

static int
cmd_harvest(int argc, char *argv[])
{
	mbedtls_x509_crt crt;
	struct ks_error e;
	int rc;

	if (argc < 4 || argc > 6)
		errx(64, "usage: kstool harvest STORE CERT ADDR [CAPS [pending]]");
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_file(&crt, argv[2]) != 0)
		errx(65, "%s: not a certificate", argv[2]);
	rc = ks_harvest(argv[1], &crt, argv[3], argc > 4 ? argv[4] : NULL,
	    argc > 5, &e);
	mbedtls_x509_crt_free(&crt);
	if (rc == -1)
		errx(e.code, "%s", e.msg);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "harvest") == 0)
		return cmd_harvest(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "load") == 0)
		return cmd_load(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "watch") == 0)
		return cmd_watch(argc - 1, argv + 1);
	errx(64, "usage: kstool sign|load|watch ...");
}
