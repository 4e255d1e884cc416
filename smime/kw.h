/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * AES key wrap (RFC 3394) with the default initial value A6A6A6A6A6A6A6A6.
 *
 * Debian's mbedTLS 2.28 is built without MBEDTLS_NIST_KW_C, so CMS
 * KeyAgreeRecipientInfo and KEKRecipientInfo need their own wrap.
 */
#ifndef KW_H
#define KW_H

#include <stddef.h>

/* The wrapped key is this many bytes longer than the key data. */
#define KW_OVERHEAD	8

/*
 * Wrap inlen bytes of key data (a multiple of 8, at least 16) under the
 * AES key encryption key kek (16, 24 or 32 bytes).  out receives
 * inlen + KW_OVERHEAD bytes; outsize is its size.  in and out may overlap.
 * Returns 0 and sets *outlen, or -1 on bad arguments or an AES error.
 */
int	kw_wrap(const unsigned char *kek, size_t keklen,
	    const unsigned char *in, size_t inlen,
	    unsigned char *out, size_t outsize, size_t *outlen);

/*
 * Unwrap inlen bytes (a multiple of 8, at least 24) under kek.  out
 * receives inlen - KW_OVERHEAD bytes; in and out may overlap.  Returns 0
 * and sets *outlen only when the integrity check passes.  On any failure
 * returns -1, sets *outlen to 0 and leaves no unwrapped bytes in out.
 */
int	kw_unwrap(const unsigned char *kek, size_t keklen,
	    const unsigned char *in, size_t inlen,
	    unsigned char *out, size_t outsize, size_t *outlen);

#endif /* KW_H */
