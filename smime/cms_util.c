/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Shared pieces of the CMS engine: the DRBG, errors, frames. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cms.h"
#include "der.h"
#include "oid.h"

/*
 * The DRBG's seed, straight from the kernel's generator (getentropy(3):
 * getrandom(2) on Linux).  mbedTLS's entropy collector would add
 * nothing to it, and 2.28 as Debian builds it also runs HAVEGE, a
 * timing loop that cost each process here about a millisecond.
 */
static int
kernel_entropy(void *unused, unsigned char *out, size_t len)
{
	size_t k;

	(void)unused;
	for (; len > 0; out += k, len -= k) {
		k = len < 256 ? len : 256;	/* getentropy's most */
		if (getentropy(out, k) == -1)
			return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
	}
	return 0;
}

int
cms_rng_init(struct cms_rng *r)
{
	static const unsigned char pers[] = "filter-smime cms";

	mbedtls_ctr_drbg_init(&r->drbg);
	if (mbedtls_ctr_drbg_seed(&r->drbg, kernel_entropy, NULL,
	    pers, sizeof(pers) - 1) != 0) {
		cms_rng_free(r);
		return -1;
	}
	/* reseeds from the entropy source on its own every 10 000 calls */
	mbedtls_ctr_drbg_set_prediction_resistance(&r->drbg,
	    MBEDTLS_CTR_DRBG_PR_OFF);
	return 0;
}

/*
 * After fork: a child starts with its parent's DRBG state and would draw
 * the same octets (the same content keys, IVs and padding in two
 * workers).  Fresh entropy, and the process id as additional input.
 */
int
cms_rng_reseed(struct cms_rng *r)
{
	unsigned char add[sizeof(pid_t)];
	pid_t pid = getpid();

	memcpy(add, &pid, sizeof(add));
	return mbedtls_ctr_drbg_reseed(&r->drbg, add, sizeof(add)) == 0 ? 0 :
	    -1;
}

void
cms_rng_free(struct cms_rng *r)
{
	mbedtls_ctr_drbg_free(&r->drbg);
}

int
cms_rng_func(void *arg, unsigned char *out, size_t len)
{
	struct cms_rng *r = arg;

	return mbedtls_ctr_drbg_random(&r->drbg, out, len);
}

void
cms_error_set(struct cms_error *e, enum cms_err code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	e->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void
cms_frame_free(struct cms_frame *f)
{
	free(f->head);
	free(f->tail);
	memset(f, 0, sizeof(*f));
}

const char *
cms_micalg(mbedtls_md_type_t md)
{
	switch (md) {
	case MBEDTLS_MD_SHA1:
		return "sha-1";
	case MBEDTLS_MD_SHA224:
		return "sha-224";
	case MBEDTLS_MD_SHA256:
		return "sha-256";
	case MBEDTLS_MD_SHA384:
		return "sha-384";
	case MBEDTLS_MD_SHA512:
		return "sha-512";
	default:
		return NULL;
	}
}

/* The mbedTLS digest for a digest algorithm OID, or MBEDTLS_MD_NONE. */
mbedtls_md_type_t
cms_md_type(enum oid_id id)
{
	switch (id) {
	case OID_SHA1:
		return MBEDTLS_MD_SHA1;
	case OID_SHA224:
		return MBEDTLS_MD_SHA224;
	case OID_SHA256:
		return MBEDTLS_MD_SHA256;
	case OID_SHA384:
		return MBEDTLS_MD_SHA384;
	case OID_SHA512:
		return MBEDTLS_MD_SHA512;
	default:
		return MBEDTLS_MD_NONE;
	}
}


/* ---- DER building blocks shared by SignedData and EnvelopedData ---- */

void
cms_put_oid(struct der_writer *w, enum oid_id id)
{
	const uint8_t *p;
	size_t n;

	p = oid_bytes(id, &n);
	(void)der_oid(w, p, n);
}

/* AlgorithmIdentifier with parameters absent (RFC 5754 §2). */
void
cms_put_alg(struct der_writer *w, enum oid_id id)
{
	der_begin(w, DER_SEQUENCE);
	cms_put_oid(w, id);
	der_end(w);
}

/* AlgorithmIdentifier with NULL parameters, as in RSASSA-PSS-params. */
void
cms_put_alg_null(struct der_writer *w, enum oid_id id)
{
	der_begin(w, DER_SEQUENCE);
	cms_put_oid(w, id);
	der_null(w);
	der_end(w);
}

/* hashAlgorithm [0] and maskGenAlgorithm [1] of PSS and OAEP params. */
void
cms_put_hash_mgf1(struct der_writer *w, enum oid_id hash)
{
	der_begin(w, DER_CONTEXT_CONS(0));
	cms_put_alg_null(w, hash);
	der_end(w);
	der_begin(w, DER_CONTEXT_CONS(1));
	der_begin(w, DER_SEQUENCE);
	cms_put_oid(w, OID_MGF1);
	cms_put_alg_null(w, hash);
	der_end(w);
	der_end(w);
}

/* id-RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 4055 §4.1). */
void
cms_put_oaep_alg(struct der_writer *w)
{
	der_begin(w, DER_SEQUENCE);
	cms_put_oid(w, OID_RSAES_OAEP);
	der_begin(w, DER_SEQUENCE);
	cms_put_hash_mgf1(w, OID_SHA256);
	der_end(w);
	der_end(w);
}

/* IssuerAndSerialNumber, under the given tag (SEQUENCE or [0]). */
void
cms_put_issuer_serial(struct der_writer *w, uint8_t tag,
    const mbedtls_x509_crt *crt)
{
	der_begin(w, tag);
	der_raw(w, crt->issuer_raw.p, crt->issuer_raw.len);
	der_prim(w, DER_INTEGER, crt->serial.p, crt->serial.len);
	der_end(w);
}
