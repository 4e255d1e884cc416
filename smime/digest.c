/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

#include <string.h>

#include "digest.h"

void
digest_init(struct digest *d)
{
	d->hw = 0;
	mbedtls_md_init(&d->md);
}

int
digest_setup(struct digest *d, mbedtls_md_type_t type)
{
	const mbedtls_md_info_t *mi;

	if (type == MBEDTLS_MD_SHA256 && sha256_hw_available()) {
		d->hw = 1;
		sha256_hw_init(&d->sha256);
		return 0;
	}
	d->hw = 0;
	if ((mi = mbedtls_md_info_from_type(type)) == NULL ||
	    mbedtls_md_setup(&d->md, mi, 0) != 0 ||
	    mbedtls_md_starts(&d->md) != 0)
		return -1;
	return 0;
}

int
digest_update(struct digest *d, const uint8_t *p, size_t n)
{
	if (d->hw) {
		sha256_hw_update(&d->sha256, p, n);
		return 0;
	}
	return mbedtls_md_update(&d->md, p, n) != 0 ? -1 : 0;
}

int
digest_finish(struct digest *d, uint8_t *out)
{
	if (d->hw) {
		sha256_hw_finish(&d->sha256, out);
		return 0;
	}
	return mbedtls_md_finish(&d->md, out) != 0 ? -1 : 0;
}

void
digest_free(struct digest *d)
{
	mbedtls_md_free(&d->md);
	memset(d, 0, sizeof(*d));
}

const char *
digest_sha256_engine(void)
{
	return sha256_hw_available() ? sha256_hw_engine() : "mbedtls";
}
