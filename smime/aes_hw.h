/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * AES-CBC encryption (FIPS 197, SP 800-38A) with the AES instructions of
 * x86-64 (AES-NI, found at run time with CPUID).  mbedTLS uses them too,
 * but one block per call through three layers (cipher, CBC, ECB): about
 * 14 instructions an octet where the work is about one.  CBC encryption
 * is serial, so the gain is the calls, not parallel blocks.
 *
 * Whole blocks only: padding is the caller's (cms_env.c).  Decryption
 * stays on mbedTLS.  FILTER_SMIME_NO_HW=1 turns this off (hwcap.h).
 */
#ifndef AES_HW_H
#define AES_HW_H

#include <stddef.h>
#include <stdint.h>

#define AES_HW_BLOCK	16

struct aes_hw {
	uint8_t		 rk[15][AES_HW_BLOCK];	/* round keys */
	int		 rounds;		/* 10 or 14 */
};

/* "aes-ni" when this build and this CPU can, else NULL. */
const char	*aes_hw_engine(void);
/* aes_hw_engine() != NULL and not turned off. */
int		 aes_hw_available(void);

/* Only after aes_hw_available(): keylen 16 or 32; 0, or -1. */
int		 aes_hw_setkey(struct aes_hw *, const uint8_t *, size_t);
/* nblocks of in to out (they may be the same), iv updated. */
void		 aes_hw_cbc_encrypt(const struct aes_hw *, uint8_t[AES_HW_BLOCK],
		    const uint8_t *, uint8_t *, size_t);
/* The round keys wiped. */
void		 aes_hw_wipe(struct aes_hw *);

#endif
