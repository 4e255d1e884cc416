/* Shared pieces of the CMS engine: the DRBG, errors, frames. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cms.h"
#include "oid.h"

int
cms_rng_init(struct cms_rng *r)
{
	static const unsigned char pers[] = "filter-smime cms";

	mbedtls_entropy_init(&r->entropy);
	mbedtls_ctr_drbg_init(&r->drbg);
	if (mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy,
	    pers, sizeof(pers) - 1) != 0) {
		cms_rng_free(r);
		return -1;
	}
	/* reseeds from the entropy source on its own every 10 000 calls */
	mbedtls_ctr_drbg_set_prediction_resistance(&r->drbg,
	    MBEDTLS_CTR_DRBG_PR_OFF);
	return 0;
}

void
cms_rng_free(struct cms_rng *r)
{
	mbedtls_ctr_drbg_free(&r->drbg);
	mbedtls_entropy_free(&r->entropy);
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

