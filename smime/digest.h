/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The digest of message content (SignedData, signing and verifying):
 * SHA-256 with the CPU's SHA instructions where sha256_hw.h finds them,
 * everything else (and SHA-256 without them, or with FILTER_SMIME_NO_HW
 * set) through mbedTLS.
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md.h>

#include "sha256_hw.h"

struct digest {
	int			 hw;	/* sha256 below, not md */
	struct sha256_hw	 sha256;
	mbedtls_md_context_t	 md;
};

void	 digest_init(struct digest *);
/* Set up and start a digest of this type: 0, or -1 (unknown type). */
int	 digest_setup(struct digest *, mbedtls_md_type_t);
int	 digest_update(struct digest *, const uint8_t *, size_t);
/* out holds MBEDTLS_MD_MAX_SIZE octets; the digest is then finished. */
int	 digest_finish(struct digest *, uint8_t *);
void	 digest_free(struct digest *);

/* What SHA-256 runs on now: "sha-ni", "armv8-ce" or "mbedtls". */
const char *digest_sha256_engine(void);

#endif
