/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Does the time or memory access of ecfix_mul depend on the scalar k,
 * or that of ecfix_ecdsa_s on k or the private key d?  Run
 * under valgrind's memcheck: the secrets are marked undefined, so every
 * branch and every address computed from them is reported as an error
 * (the technique of Adam Langley's ctgrind).  The results are marked
 * defined again before they are used.
 *
 * "ct_ecfix" multiplies random scalars on P-256 and P-384, makes s
 * from each with a random key, and must give no error; "ct_ecfix
 * control" branches on the marked scalar once, and must give one, so
 * that a harness that sees nothing cannot pass.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include <mbedtls/ecp.h>

#include "ecfix.h"
#include "../unit/xorshift.h"

static uint64_t rs = 0x9e3779b97f4a7c15ULL;

static void
fill_random(uint8_t *out, size_t len)
{
	xorshift_fill(&rs, out, len);
}

int
main(int argc, char **argv)
{
	static const mbedtls_ecp_group_id ids[] = {
		MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1
	};
	uint8_t k[ECFIX_MAX_BYTES], x[ECFIX_MAX_BYTES], y[ECFIX_MAX_BYTES];
	uint8_t d[ECFIX_MAX_BYTES], h[ECFIX_MAX_BYTES], s[ECFIX_MAX_BYTES];
	mbedtls_ecp_group grp;
	struct ecfix *fix;
	size_t c, len;
	int i, control = argc > 1 && strcmp(argv[1], "control") == 0;
	volatile int sink = 0;

	for (c = 0; c < sizeof(ids) / sizeof(ids[0]); c++) {
		mbedtls_ecp_group_init(&grp);
		if (mbedtls_ecp_group_load(&grp, ids[c]) != 0 ||
		    (fix = ecfix_new(&grp)) == NULL) {
			printf("no table for curve %d\n", (int)ids[c]);
			return 2;
		}
		len = ecfix_len(fix);
		for (i = 0; i < 4; i++) {
			fill_random(k, len);
			k[0] &= 0x7f;			/* below n */
			if (i == 1)
				memset(k + 4, 0, len - 8);	/* zero windows */
			VALGRIND_MAKE_MEM_UNDEFINED(k, len);
			if (control && (k[len - 1] & 1))
				sink++;
			ecfix_mul(fix, k, x, y);
			VALGRIND_MAKE_MEM_DEFINED(x, len);
			VALGRIND_MAKE_MEM_DEFINED(y, len);
			/* s = (h + xd) / k: the key d secret too */
			fill_random(d, len);
			d[0] &= 0x7f;
			fill_random(h, len);
			h[0] &= 0x7f;
			VALGRIND_MAKE_MEM_UNDEFINED(d, len);
			ecfix_ecdsa_s(fix, k, x, d, h, s);
			VALGRIND_MAKE_MEM_DEFINED(s, len);
			VALGRIND_MAKE_MEM_DEFINED(d, len);
			VALGRIND_MAKE_MEM_DEFINED(k, len);
		}
		printf("curve %d: x ends %02x, s ends %02x\n", (int)ids[c],
		    x[len - 1], s[len - 1]);
		ecfix_free(fix);
		mbedtls_ecp_group_free(&grp);
	}
	return 0;
}
