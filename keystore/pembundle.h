/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Certificates in PEM, as in a CA bundle (pembundle.c).
 */
#ifndef PEMBUNDLE_H
#define PEMBUNDLE_H

#include <stddef.h>

#include <mbedtls/x509_crt.h>

/* Largest bundle file read (Debian's is 220 KB). */
#define KS_PEM_BUNDLE_MAX	(16 * 1024 * 1024)

int	 ks_pem_certs(const char *, size_t, mbedtls_x509_crt *);
int	 ks_pem_bundle(const char *, mbedtls_x509_crt *);

#endif /* PEMBUNDLE_H */
