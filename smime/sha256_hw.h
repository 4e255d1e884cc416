/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * SHA-256 (FIPS 180-4) with the CPU's own instructions: the x86-64 SHA
 * extensions (found at run time with CPUID) or the ARMv8 cryptography
 * extensions (when the compiler targets them).  mbedTLS 2.28 and 3.6
 * have neither for x86, and hashing the content is most of the time a
 * signature takes on a large message.
 *
 * Only the compression function and the padding are here; digest.h
 * chooses between this and mbedTLS.  Setting FILTER_SMIME_NO_HW=1 in
 * the environment makes sha256_hw_available() say no, so that the tests
 * can run both paths on any CPU.
 */
#ifndef SHA256_HW_H
#define SHA256_HW_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HW_BLOCK		64
#define SHA256_HW_SIZE		32

struct sha256_hw {
	uint32_t	 h[8];
	uint64_t	 len;		/* octets so far */
	size_t		 n;		/* octets in buf */
	uint8_t		 buf[SHA256_HW_BLOCK];
};

/* The instructions this build can use on this CPU: "sha-ni", "armv8-ce" or NULL. */
const char	*sha256_hw_engine(void);

/* sha256_hw_engine() != NULL and FILTER_SMIME_NO_HW is not set. */
int		 sha256_hw_available(void);

/* Only after sha256_hw_available() said yes. */
void		 sha256_hw_init(struct sha256_hw *);
void		 sha256_hw_update(struct sha256_hw *, const uint8_t *, size_t);
void		 sha256_hw_finish(struct sha256_hw *, uint8_t[SHA256_HW_SIZE]);

#endif
