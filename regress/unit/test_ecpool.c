/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * ECDSA with nonces made ahead (ecpool) against mbedTLS.
 *
 * Differential: given the nonce mbedTLS's deterministic ECDSA (RFC
 * 6979) derives for a key and a hash, ecpool must give the very same
 * r and s as mbedtls_ecdsa_sign_det_ext; for P-256, P-384 and P-521,
 * each with SHA-256, SHA-384 and SHA-512 (hashes shorter and longer
 * than the curve), over random keys and hashes.  Known answer: RFC
 * 6979 A.2.5 (P-256, SHA-256, "sample").  Then with random nonces:
 * every signature verifies with mbedtls_pk_verify and fails for
 * another hash; a nonce serves one signature only; a key of another
 * curve, an RSA key, an unarmed or empty pool are sent elsewhere; a
 * nonce out of [1, n-1] is refused.  R comes from ecfix's table for
 * P-256 and P-384, and from mbedTLS for P-521 and with FILTER_SMIME_NO_HW
 * set: regress/run.sh runs this file both ways.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>

#include "ecdet.h"
#include "ecpool.h"
#include "hwcap.h"
#include "mbedtls_compat.h"
#include "unit.h"
#include "xorshift.h"

static uint64_t rs = 0x9e3779b97f4a7c15ULL;

static int
new_key(mbedtls_pk_context *pk, mbedtls_ecp_group_id id)
{
	mbedtls_pk_init(pk);
	return mbedtls_pk_setup(pk,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0 &&
	    mbedtls_ecp_gen_key(id, mbedtls_pk_ec(*pk), xorshift_rng,
	    &rs) == 0 ? 0 : -1;
}

/* r and s out of an Ecdsa-Sig-Value that must hold nothing else. */
static int
split_sig(const uint8_t *sig, size_t len, mbedtls_mpi *r, mbedtls_mpi *s)
{
	unsigned char *p = (unsigned char *)(uintptr_t)sig;
	const unsigned char *end = sig + len;
	size_t n;

	if (mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_CONSTRUCTED |
	    MBEDTLS_ASN1_SEQUENCE) != 0 || p + n != end ||
	    mbedtls_asn1_get_mpi(&p, end, r) != 0 ||
	    mbedtls_asn1_get_mpi(&p, end, s) != 0)
		return -1;
	return p == end ? 0 : -1;
}

static const mbedtls_ecp_group_id curves[] = {
	MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1,
	MBEDTLS_ECP_DP_SECP521R1
};
static const char *curve_names[] = { "p256", "p384", "p521" };
static const mbedtls_md_type_t mds[] = {
	MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA512
};
static const char *md_names[] = { "sha256", "sha384", "sha512" };

/* One key, one hash: ecpool with mbedTLS's nonce gives mbedTLS's r, s. */
static int
same_as_det(mbedtls_pk_context *pk, mbedtls_md_type_t md, const uint8_t *h,
    size_t hlen, struct ecpool *pool)
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi d, k, r, s, r2, s2;
	uint8_t sig[MBEDTLS_ECDSA_MAX_LEN];
	size_t siglen = 0;
	int ok = 0;

	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&k);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	mbedtls_mpi_init(&r2);
	mbedtls_mpi_init(&s2);
	if (compat_ec_export(pk, &grp, &d, &q) == 0 &&
	    ecdet_nonce(&grp, &d, h, hlen, md, &k) == 0 &&
	    mbedtls_ecdsa_sign_det_ext(&grp, &r, &s, &d, h, hlen, md,
	    xorshift_rng, &rs) == 0 &&
	    ecpool_add(pool, &k, xorshift_rng, &rs) == 0 &&
	    ecpool_sign(pool, pk, h, hlen, sig, sizeof(sig), &siglen,
	    xorshift_rng, &rs) == 0 &&
	    split_sig(sig, siglen, &r2, &s2) == 0 &&
	    mbedtls_mpi_cmp_mpi(&r, &r2) == 0 &&
	    mbedtls_mpi_cmp_mpi(&s, &s2) == 0)
		ok = 1;
	mbedtls_mpi_free(&d);
	mbedtls_mpi_free(&k);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	mbedtls_mpi_free(&r2);
	mbedtls_mpi_free(&s2);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	return ok;
}

static void
test_differential(void)
{
	mbedtls_pk_context pk;
	struct ecpool pool;
	uint8_t h[64];
	size_t c, m, i, bad;
	char name[64];

	for (c = 0; c < sizeof(curves) / sizeof(curves[0]); c++) {
		ecpool_init(&pool);
		if (ecpool_arm(&pool, curves[c]) != 0) {
			UNIT_FAIL("ecpool-arm", "curve %d", (int)curves[c]);
			continue;
		}
		/* the table path for P-256 and P-384, unless it is off */
		snprintf(name, sizeof(name), "ecpool-table-%s",
		    curve_names[c]);
		UNIT_OK(name, (pool.fix != NULL) ==
		    (curves[c] != MBEDTLS_ECP_DP_SECP521R1 && !hwcap_off()));
		for (m = 0; m < sizeof(mds) / sizeof(mds[0]); m++) {
			bad = 0;
			for (i = 0; i < 8; i++) {
				if (new_key(&pk, curves[c]) != 0) {
					bad++;
					continue;
				}
				xorshift_rng(&rs, h, sizeof(h));
				if (i == 0)	/* the top bits set: e >= n */
					memset(h, 0xff, sizeof(h));
				bad += !same_as_det(&pk, mds[m], h,
				    mbedtls_md_get_size(
				    mbedtls_md_info_from_type(mds[m])), &pool);
				mbedtls_pk_free(&pk);
			}
			snprintf(name, sizeof(name), "ecpool-det-%s-%s",
			    curve_names[c], md_names[m]);
			UNIT_OK(name, bad == 0);
		}
		ecpool_free(&pool);
	}
}

/* RFC 6979 A.2.5: P-256, SHA-256, message "sample". */
static void
test_rfc6979(void)
{
	static const char *x =
	    "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721";
	static const char *kx =
	    "A6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60";
	static const char *rx =
	    "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716";
	static const char *sx =
	    "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8";
	mbedtls_pk_context pk;
	mbedtls_ecp_keypair *kp;
	struct ecpool pool;
	mbedtls_mpi k, r, s, wr, ws;
	uint8_t h[32], sig[MBEDTLS_ECDSA_MAX_LEN];
	size_t siglen = 0;
	int ok;

	mbedtls_pk_init(&pk);
	ecpool_init(&pool);
	mbedtls_mpi_init(&k);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	mbedtls_mpi_init(&wr);
	mbedtls_mpi_init(&ws);
	ok = mbedtls_pk_setup(&pk,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0 &&
	    (kp = mbedtls_pk_ec(pk)) != NULL;
	if (ok) {
		uint8_t d[32];

		unit_unhex(x, d);
		ok = mbedtls_ecp_read_key(MBEDTLS_ECP_DP_SECP256R1, kp, d,
		    sizeof(d)) == 0 &&
		    mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
		    (const unsigned char *)"sample", 6, h) == 0 &&
		    mbedtls_mpi_read_string(&k, 16, kx) == 0 &&
		    mbedtls_mpi_read_string(&wr, 16, rx) == 0 &&
		    mbedtls_mpi_read_string(&ws, 16, sx) == 0 &&
		    ecpool_arm(&pool, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
		    ecpool_add(&pool, &k, xorshift_rng, &rs) == 0 &&
		    ecpool_sign(&pool, &pk, h, sizeof(h), sig, sizeof(sig),
		    &siglen, xorshift_rng, &rs) == 0 &&
		    split_sig(sig, siglen, &r, &s) == 0 &&
		    mbedtls_mpi_cmp_mpi(&r, &wr) == 0 &&
		    mbedtls_mpi_cmp_mpi(&s, &ws) == 0;
	}
	UNIT_OK("ecpool-rfc6979-a.2.5-p256-sha256", ok);
	mbedtls_mpi_free(&k);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	mbedtls_mpi_free(&wr);
	mbedtls_mpi_free(&ws);
	ecpool_free(&pool);
	mbedtls_pk_free(&pk);
}

static int
sign_verify(struct ecpool *pool, mbedtls_pk_context *pk, mbedtls_md_type_t md,
    uint8_t *sig, size_t *siglen)
{
	uint8_t h[64];
	size_t hlen = mbedtls_md_get_size(mbedtls_md_info_from_type(md));

	xorshift_rng(&rs, h, hlen);
	if (ecpool_sign(pool, pk, h, hlen, sig, MBEDTLS_ECDSA_MAX_LEN, siglen,
	    xorshift_rng, &rs) != 0 ||
	    mbedtls_pk_verify(pk, md, h, hlen, sig, *siglen) != 0)
		return 0;
	h[0] ^= 1;	/* another hash: refused */
	return mbedtls_pk_verify(pk, md, h, hlen, sig, *siglen) != 0;
}

static void
test_random_nonces(void)
{
	mbedtls_pk_context pk;
	struct ecpool pool;
	uint8_t sig[ECPOOL_DEPTH][MBEDTLS_ECDSA_MAX_LEN];
	size_t len[ECPOOL_DEPTH], c, i, j, bad = 0, same = 0;
	char name[64];

	for (c = 0; c < sizeof(curves) / sizeof(curves[0]); c++) {
		ecpool_init(&pool);
		if (new_key(&pk, curves[c]) != 0 ||
		    ecpool_arm(&pool, curves[c]) != 0) {
			UNIT_FAIL("ecpool-random", "setup, curve %d",
			    (int)curves[c]);
			continue;
		}
		/* full: wants no more, and makes no more */
		while (ecpool_wants(&pool))
			if (ecpool_fill(&pool, xorshift_rng, &rs) != 0)
				break;
		snprintf(name, sizeof(name), "ecpool-full-%s",
		    curve_names[c]);
		UNIT_OK(name, pool.n == ECPOOL_DEPTH && !ecpool_wants(&pool) &&
		    ecpool_fill(&pool, xorshift_rng, &rs) == -1);
		for (i = 0; i < ECPOOL_DEPTH; i++)
			bad += !sign_verify(&pool, &pk, mds[i % 3], sig[i],
			    &len[i]);
		snprintf(name, sizeof(name), "ecpool-verify-%s",
		    curve_names[c]);
		UNIT_OK(name, bad == 0);
		/* each nonce once: r differs between any two signatures */
		for (i = 0; i < ECPOOL_DEPTH; i++)
			for (j = i + 1; j < ECPOOL_DEPTH; j++)
				same += len[i] == len[j] &&
				    memcmp(sig[i], sig[j], len[i]) == 0;
		snprintf(name, sizeof(name), "ecpool-distinct-%s",
		    curve_names[c]);
		UNIT_OK(name, same == 0);
		/* spent: the next signature goes elsewhere; wants again */
		snprintf(name, sizeof(name), "ecpool-spent-%s",
		    curve_names[c]);
		UNIT_OK(name, pool.n == 0 && ecpool_wants(&pool) &&
		    ecpool_sign(&pool, &pk, sig[0], 32, sig[1],
		    sizeof(sig[1]), &len[1], xorshift_rng, &rs) == 1);
		mbedtls_pk_free(&pk);
		ecpool_free(&pool);
	}
}

static void
test_refusals(void)
{
	mbedtls_pk_context p256, p384, rsa;
	struct ecpool pool;
	mbedtls_mpi k;
	uint8_t h[32] = { 1 }, sig[MBEDTLS_ECDSA_MAX_LEN];
	size_t len;

	ecpool_init(&pool);
	mbedtls_mpi_init(&k);
	mbedtls_pk_init(&rsa);
	if (new_key(&p256, MBEDTLS_ECP_DP_SECP256R1) != 0 ||
	    new_key(&p384, MBEDTLS_ECP_DP_SECP384R1) != 0 ||
	    mbedtls_pk_setup(&rsa,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) != 0) {
		UNIT_FAIL("ecpool-refusals", "setup");
		return;
	}
	UNIT_OK("ecpool-unarmed", !ecpool_wants(&pool) &&
	    ecpool_fill(&pool, xorshift_rng, &rs) == -1 &&
	    ecpool_sign(&pool, &p256, h, sizeof(h), sig, sizeof(sig), &len,
	    xorshift_rng, &rs) == 1);
	UNIT_OK("ecpool-unknown-curve",
	    ecpool_arm(&pool, MBEDTLS_ECP_DP_NONE) == -1 &&
	    pool.id == MBEDTLS_ECP_DP_NONE);
	UNIT_OK("ecpool-arm", ecpool_arm(&pool, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
	    ecpool_wants(&pool));
	UNIT_OK("ecpool-empty", ecpool_sign(&pool, &p256, h, sizeof(h), sig,
	    sizeof(sig), &len, xorshift_rng, &rs) == 1);
	(void)mbedtls_mpi_lset(&k, 0);
	UNIT_OK("ecpool-nonce-zero", ecpool_add(&pool, &k, xorshift_rng,
	    &rs) == -1 && pool.n == 0);
	(void)mbedtls_mpi_copy(&k, &pool.grp.N);
	UNIT_OK("ecpool-nonce-n", ecpool_add(&pool, &k, xorshift_rng,
	    &rs) == -1 && pool.n == 0);
	UNIT_OK("ecpool-fill", ecpool_fill(&pool, xorshift_rng, &rs) == 0 &&
	    pool.n == 1);
	UNIT_OK("ecpool-other-curve", ecpool_sign(&pool, &p384, h, sizeof(h),
	    sig, sizeof(sig), &len, xorshift_rng, &rs) == 1 && pool.n == 1);
	UNIT_OK("ecpool-rsa-key", ecpool_sign(&pool, &rsa, h, sizeof(h), sig,
	    sizeof(sig), &len, xorshift_rng, &rs) == 1 && pool.n == 1);
	UNIT_OK("ecpool-short-room", ecpool_sign(&pool, &p256, h, sizeof(h),
	    sig, 8, &len, xorshift_rng, &rs) == -1 && pool.n == 0);
	/* re-armed for the same curve: kept; for another: emptied */
	(void)ecpool_fill(&pool, xorshift_rng, &rs);
	UNIT_OK("ecpool-rearm-same", ecpool_arm(&pool,
	    MBEDTLS_ECP_DP_SECP256R1) == 0 && pool.n == 1);
	UNIT_OK("ecpool-rearm-other", ecpool_arm(&pool,
	    MBEDTLS_ECP_DP_SECP384R1) == 0 && pool.n == 0 &&
	    pool.id == MBEDTLS_ECP_DP_SECP384R1);
	(void)ecpool_fill(&pool, xorshift_rng, &rs);
	ecpool_free(&pool);
	UNIT_OK("ecpool-free", pool.n == 0 && pool.id == MBEDTLS_ECP_DP_NONE &&
	    !ecpool_wants(&pool));
	mbedtls_mpi_free(&k);
	mbedtls_pk_free(&p256);
	mbedtls_pk_free(&p384);
	mbedtls_pk_free(&rsa);
}

int
main(void)
{
	if (compat_init() != 0) {
		UNIT_FAIL("ecpool-init", "compat_init");
		UNIT_EXIT();
	}
	test_differential();
	test_rfc6979();
	test_random_nonces();
	test_refusals();
	UNIT_EXIT();
}
