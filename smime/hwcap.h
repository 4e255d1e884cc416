/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * FILTER_SMIME_NO_HW=1 in the environment turns off every path that
 * stands in for mbedTLS's code for speed: the CPU's own instructions
 * (SHA-256, AES-CBC, base64), the fixed-base EC multiplication
 * (ecfix.c) and RSA signing by CRT (rsafix.c), so that the tests run
 * mbedTLS's code for the same jobs on any CPU.
 */
#ifndef HWCAP_H
#define HWCAP_H

/* 1 when FILTER_SMIME_NO_HW is set to anything but "" or "0". */
int	 hwcap_off(void);

#endif
