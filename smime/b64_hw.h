/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Base64 encoding (RFC 4648 §4) with the SSSE3 instructions of x86-64
 * (found at run time with CPUID): twelve octets become sixteen
 * characters in a handful of instructions, where the table of
 * mime_enc.c takes two lookups and two stores a group of three.  The
 * encoder (mime_b64enc_update) calls it for the first 48 octets of
 * each whole 57-octet line and does the rest itself.
 * FILTER_SMIME_NO_HW=1 turns it off (hwcap.h).
 */
#ifndef B64_HW_H
#define B64_HW_H

#define B64_HW_IN	48	/* octets a call encodes */
#define B64_HW_OUT	64	/* characters it writes */
#define B64_HW_READ	52	/* octets it reads (16-octet loads) */

/* "ssse3" when this build and this CPU can, else NULL. */
const char	*b64_hw_engine(void);
/* b64_hw_engine() != NULL and not turned off. */
int		 b64_hw_available(void);
/*
 * Only after b64_hw_available(): B64_HW_IN octets of in (which must
 * have B64_HW_READ readable) to B64_HW_OUT characters of out.
 */
void		 b64_hw_48(char *, const unsigned char *);

#endif
