/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Does the time or memory access of an RSA signature by rsafix depend
 * on the private key (the primes, their exponents, 1/q mod p) or on the
 * blinding values?  Run under valgrind's memcheck: all of them are
 * marked undefined, so every branch and every address computed from
 * them is reported as an error (Adam Langley's ctgrind).  The signature
 * is marked defined when it is made, as it is public from then on: the
 * check with e that follows may branch on it.
 *
 * "ct_rsafix" signs with RSA-2048, 3072 and 4096 keys and must give no
 * error; "ct_rsafix control" branches on the marked key once, and must
 * give one, so that a harness that sees nothing cannot pass.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include <mbedtls/pk.h>

#include "mbedtls_compat.h"
#include "rsafix.h"
#include "../unit/xorshift.h"

static uint64_t rs = 0x2545f4914f6cdd1dULL;

static const uint8_t *first;	/* the first secret: for the control run */

static void
mark(const void *p, size_t len)
{
	if (first == NULL)
		first = p;
	VALGRIND_MAKE_MEM_UNDEFINED(p, len);
}

static void
unmark(const void *p, size_t len)
{
	VALGRIND_MAKE_MEM_DEFINED(p, len);
}

static void
publish(const void *p, size_t len)
{
	VALGRIND_MAKE_MEM_DEFINED(p, len);
}

int
main(int argc, char **argv)
{
	static const char *files[] = { "env_rsa.key", "rsa3072.key",
	    "rsa4096.key" };
	uint8_t hash[32], sig[512];
	mbedtls_pk_context pk;
	struct rsafix *fix;
	char path[128];
	size_t f;
	int i, rc = 0, control = argc > 1 && strcmp(argv[1], "control") == 0;
	volatile int sink = 0;

	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		mbedtls_pk_init(&pk);
		snprintf(path, sizeof(path), "regress/unit/data/%s", files[f]);
		if (compat_pk_parse_keyfile(&pk, path, NULL) != 0 ||
		    (fix = rsafix_new(mbedtls_pk_rsa(pk), xorshift_rng, &rs)) ==
		    NULL) {
			printf("no CRT form for %s\n", files[f]);
			return 2;
		}
		first = NULL;
		rsafix_ct_hooks(fix, mark, publish);
		if (control && (first[8] & 1))
			sink++;
		for (i = 0; i < 2; i++) {
			xorshift_rng(&rs, hash, sizeof(hash));
			rc |= rsafix_sign(fix, MBEDTLS_MD_SHA256, hash,
			    sizeof(hash), sig);
		}
		printf("key %s: signature ends %02x\n", files[f],
		    sig[rsafix_len(fix) - 1]);
		rsafix_ct_hooks(fix, unmark, NULL);
		rsafix_free(fix);
		mbedtls_pk_free(&pk);
	}
	return rc == 0 ? 0 : 1;
}
