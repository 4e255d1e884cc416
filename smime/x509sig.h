/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The shape X.509 signs things in (certificates, CRLs, OCSP responses):
 * SEQUENCE { to-be-signed, AlgorithmIdentifier, BIT STRING }, read with
 * our own BER reader, and the signature checked with a given key.  What
 * came from the network is proven signed this way before mbedTLS parses
 * it in a process that is not sandboxed.
 */
#ifndef X509SIG_H
#define X509SIG_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/pk.h>

#include "ber.h"

struct x509_signed {
	struct ber_elem	 tbs;		/* what is signed, as encoded */
	struct ber_elem	 sigalg;	/* AlgorithmIdentifier */
	const uint8_t	*sig;
	size_t		 siglen;
	struct ber_elem	 rest;		/* what follows the signature */
	int		 have_rest;	/* (OCSP's [0] certs) */
};

/* 0, or -1 when der is not one DER signed object (rest: rest_ok). */
int	 x509_signed_read(const uint8_t *, size_t, int, struct x509_signed *);
/* 0 when pk made the signature; -1 with the reason in why. */
int	 x509_signed_by(const struct x509_signed *, mbedtls_pk_context *,
	    char *, size_t);

#endif /* X509SIG_H */
