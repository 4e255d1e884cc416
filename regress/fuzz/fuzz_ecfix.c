/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * libFuzzer target for the fixed-base multiplication (ecfix): the first
 * octet picks P-256 or P-384, the rest is the scalar (as many octets as
 * the curve, zero-padded, reduced into [1, n-1]).  x and y of kG must be
 * those mbedtls_ecp_muladd gives; a difference aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>

#include "ecfix.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static mbedtls_ecp_group grps[2];
static struct ecfix *fixes[2];

static int
setup(void)
{
	static const mbedtls_ecp_group_id ids[] = {
		MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1
	};
	static int done;
	size_t i;

	if (done)
		return 0;
	for (i = 0; i < 2; i++) {
		mbedtls_ecp_group_init(&grps[i]);
		if (mbedtls_ecp_group_load(&grps[i], ids[i]) != 0 ||
		    (fixes[i] = ecfix_new(&grps[i])) == NULL)
			return -1;
	}
	done = 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t k[ECFIX_MAX_BYTES], x[ECFIX_MAX_BYTES], y[ECFIX_MAX_BYTES];
	uint8_t want[1 + 2 * ECFIX_MAX_BYTES];
	mbedtls_ecp_group *grp;
	mbedtls_ecp_point r;
	mbedtls_mpi m, zero;
	size_t c, len, olen;

	if (size < 1)
		return 0;
	if (setup() != 0)
		abort();
	c = data[0] & 1;
	grp = &grps[c];
	len = ecfix_len(fixes[c]);
	memset(k, 0, sizeof(k));
	if (size - 1 >= len)
		memcpy(k, data + 1, len);
	else
		memcpy(k + len - (size - 1), data + 1, size - 1);
	mbedtls_ecp_point_init(&r);
	mbedtls_mpi_init(&m);
	mbedtls_mpi_init(&zero);
	/* k mod (n - 1) + 1: into [1, n-1] */
	if (mbedtls_mpi_read_binary(&m, k, len) != 0 ||
	    mbedtls_mpi_copy(&zero, &grp->N) != 0 ||
	    mbedtls_mpi_sub_int(&zero, &zero, 1) != 0 ||
	    mbedtls_mpi_mod_mpi(&m, &m, &zero) != 0 ||
	    mbedtls_mpi_add_int(&m, &m, 1) != 0 ||
	    mbedtls_mpi_write_binary(&m, k, len) != 0 ||
	    mbedtls_mpi_lset(&zero, 0) != 0)
		abort();
	ecfix_mul(fixes[c], k, x, y);
	if (mbedtls_ecp_muladd(grp, &r, &m, &grp->G, &zero, &grp->G) != 0 ||
	    mbedtls_ecp_point_write_binary(grp, &r,
	    MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, want, sizeof(want)) != 0 ||
	    olen != 1 + 2 * len ||
	    memcmp(want + 1, x, len) != 0 ||
	    memcmp(want + 1 + len, y, len) != 0)
		abort();
	mbedtls_mpi_free(&zero);
	mbedtls_mpi_free(&m);
	mbedtls_ecp_point_free(&r);
	return 0;
}
