/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The fixed-base multiplication (ecfix) against mbedTLS's, for P-256
 * and P-384: x and y of kG must be those of mbedtls_ecp_muladd for the
 * scalars at the edges (1, 2, 15, 16, 17, n-1, n-2, n-16, every power
 * of two below n, every single digit 1..15 in every window, all digits
 * 15 up to the top window, a zero top half) and for random scalars.
 * Other curves get no table; with FILTER_SMIME_NO_HW set nothing does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>

#include "ecfix.h"
#include "hwcap.h"
#include "unit.h"
#include "xorshift.h"

static uint64_t rs = 0x2545f4914f6cdd1dULL;

static void
fill_random(uint8_t *out, size_t len)
{
	xorshift_fill(&rs, out, len);
}

struct curve {
	mbedtls_ecp_group	 grp;
	struct ecfix		*fix;
	size_t			 len;
	const char		*name;
	int			 wrong;		/* scalars that disagreed */
	int			 tried;
};

/* kG both ways for k (len octets, big-endian); k must be in [1, n-1] */
static void
compare(struct curve *c, const uint8_t *k)
{
	uint8_t x[ECFIX_MAX_BYTES], y[ECFIX_MAX_BYTES], x2[ECFIX_MAX_BYTES];
	uint8_t want[1 + 2 * ECFIX_MAX_BYTES];
	mbedtls_ecp_point r;
	mbedtls_mpi m, zero;
	size_t olen;
	int same = 0;

	ecfix_mul(c->fix, k, x, y);
	ecfix_mul(c->fix, k, x2, NULL);
	mbedtls_ecp_point_init(&r);
	mbedtls_mpi_init(&m);
	mbedtls_mpi_init(&zero);
	if (mbedtls_mpi_read_binary(&m, k, c->len) == 0 &&
	    mbedtls_mpi_lset(&zero, 0) == 0 &&
	    mbedtls_ecp_muladd(&c->grp, &r, &m, &c->grp.G, &zero,
	    &c->grp.G) == 0 &&
	    mbedtls_ecp_point_write_binary(&c->grp, &r,
	    MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, want, sizeof(want)) == 0 &&
	    olen == 1 + 2 * c->len &&
	    memcmp(want + 1, x, c->len) == 0 &&
	    memcmp(want + 1 + c->len, y, c->len) == 0 &&
	    memcmp(x, x2, c->len) == 0)
		same = 1;
	if (!same && c->wrong++ < 3) {
		size_t i;

		printf("# %s: differs for k = ", c->name);
		for (i = 0; i < c->len; i++)
			printf("%02x", k[i]);
		printf("\n");
	}
	c->tried++;
	mbedtls_mpi_free(&zero);
	mbedtls_mpi_free(&m);
	mbedtls_ecp_point_free(&r);
}

/* n - d as len octets */
static void
n_minus(const struct curve *c, unsigned int d, uint8_t *k)
{
	mbedtls_mpi m;

	mbedtls_mpi_init(&m);
	if (mbedtls_mpi_copy(&m, &c->grp.N) != 0 ||
	    mbedtls_mpi_sub_int(&m, &m, d) != 0 ||
	    mbedtls_mpi_write_binary(&m, k, c->len) != 0)
		memset(k, 0, c->len);
	mbedtls_mpi_free(&m);
}

/* 1 when k < n */
static int
below_n(const struct curve *c, const uint8_t *k)
{
	mbedtls_mpi m;
	int below;

	mbedtls_mpi_init(&m);
	below = mbedtls_mpi_read_binary(&m, k, c->len) == 0 &&
	    mbedtls_mpi_cmp_int(&m, 0) > 0 &&
	    mbedtls_mpi_cmp_mpi(&m, &c->grp.N) < 0;
	mbedtls_mpi_free(&m);
	return below;
}

static void
edges(struct curve *c)
{
	uint8_t k[ECFIX_MAX_BYTES];
	static const unsigned int small[] = { 1, 2, 3, 15, 16, 17, 255, 256 };
	size_t i, bit, win;
	unsigned int d;
	char name[64];

	c->wrong = c->tried = 0;
	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		memset(k, 0, c->len);
		k[c->len - 1] = (uint8_t)small[i];
		k[c->len - 2] = (uint8_t)(small[i] >> 8);
		compare(c, k);
	}
	for (d = 1; d <= 16; d++) {		/* n-1 .. n-16 */
		n_minus(c, d, k);
		compare(c, k);
	}
	for (bit = 0; bit < c->len * 8; bit++) {
		memset(k, 0, c->len);
		k[c->len - 1 - bit / 8] = (uint8_t)(1u << (bit % 8));
		if (below_n(c, k))
			compare(c, k);
	}
	for (win = 0; win < c->len * 2; win++)
		for (d = 1; d <= 15; d++) {
			memset(k, 0, c->len);
			k[c->len - 1 - win / 2] = (uint8_t)(d << (4 * (win % 2)));
			if (below_n(c, k))
				compare(c, k);
		}
	memset(k, 0xff, c->len);		/* 15 in every window but the top */
	k[0] = 0x0f;
	compare(c, k);
	memset(k, 0, c->len / 2);		/* a zero top half */
	fill_random(k + c->len / 2, c->len / 2);
	compare(c, k);
	memset(k, 0, c->len);			/* the top window alone */
	k[0] = 0xe0;
	if (below_n(c, k))
		compare(c, k);
	snprintf(name, sizeof(name), "ecfix.%s.edges", c->name);
	if (c->wrong == 0 && c->tried > 500)
		UNIT_PASS(name);
	else
		UNIT_FAIL(name, "%d of %d scalars differ", c->wrong, c->tried);
}

static void
randoms(struct curve *c, int count)
{
	uint8_t k[ECFIX_MAX_BYTES];
	char name[64];
	int i;

	c->wrong = c->tried = 0;
	for (i = 0; i < count; i++) {
		fill_random(k, c->len);
		if (i % 3 == 0)
			k[0] = 0;		/* short scalars too */
		if (below_n(c, k))
			compare(c, k);
	}
	snprintf(name, sizeof(name), "ecfix.%s.random", c->name);
	if (c->wrong == 0 && c->tried > count / 2)
		UNIT_PASS(name);
	else
		UNIT_FAIL(name, "%d of %d scalars differ", c->wrong, c->tried);
}

int
main(void)
{
	static const mbedtls_ecp_group_id ids[] = {
		MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1
	};
	static const char *names[] = { "p256", "p384" };
	static const mbedtls_ecp_group_id none[] = {
		MBEDTLS_ECP_DP_SECP521R1, MBEDTLS_ECP_DP_SECP256K1,
		MBEDTLS_ECP_DP_BP256R1
	};
	struct curve c;
	mbedtls_ecp_group other;
	size_t i;
	int refused = 1;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char name[64];

		memset(&c, 0, sizeof(c));
		mbedtls_ecp_group_init(&c.grp);
		c.name = names[i];
		snprintf(name, sizeof(name), "ecfix.%s.table", c.name);
		if (mbedtls_ecp_group_load(&c.grp, ids[i]) != 0) {
			UNIT_FAIL(name, "mbedtls_ecp_group_load");
			continue;
		}
		c.fix = ecfix_new(&c.grp);
		if (hwcap_off()) {
			UNIT_OK(name, c.fix == NULL);
		} else {
			UNIT_OK(name, c.fix != NULL);
			if (c.fix != NULL) {
				c.len = ecfix_len(c.fix);
				snprintf(name, sizeof(name), "ecfix.%s.len",
				    c.name);
				UNIT_OK(name, c.len ==
				    mbedtls_mpi_size(&c.grp.P));
				edges(&c);
				randoms(&c, 400);
			}
		}
		ecfix_free(c.fix);
		mbedtls_ecp_group_free(&c.grp);
	}
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		struct ecfix *f;

		mbedtls_ecp_group_init(&other);
		if (mbedtls_ecp_group_load(&other, none[i]) == 0) {
			f = ecfix_new(&other);
			if (f != NULL)
				refused = 0;
			ecfix_free(f);
		}
		mbedtls_ecp_group_free(&other);
	}
	UNIT_OK("ecfix.other-curves", refused);
	UNIT_EXIT();
}
