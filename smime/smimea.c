/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* SMIMEA owner names and records (smimea.h). */
#include <stdio.h>
#include <string.h>

#include <mbedtls/md.h>

#include "certid.h"
#include "smimea.h"

int
smimea_owner(const char *local, size_t locallen, const char *domain,
    char *out, size_t outsz)
{
	const mbedtls_md_info_t *md;
	uint8_t h[32];
	size_t i, dlen = strlen(domain);

	/* a trailing dot names the root: one is written anyway */
	if (dlen > 0 && domain[dlen - 1] == '.')
		dlen--;
	if (dlen == 0 || dlen > 253 || outsz < 56 + 12 + dlen + 1 ||
	    (md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256)) == NULL ||
	    mbedtls_md(md, (const unsigned char *)local, locallen, h) != 0)
		return -1;
	for (i = 0; i < 28; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", h[i]);
	memcpy(out + 56, "._smimecert.", 12);
	memcpy(out + 68, domain, dlen);
	out[68 + dlen] = '\0';
	return 0;
}

int
smimea_rdata_read(const uint8_t *p, size_t n, struct smimea *s)
{
	memset(s, 0, sizeof(*s));
	if (n < 4 || n - 3 > SMIMEA_DATA_MAX)
		return -1;
	s->usage = p[0];
	s->selector = p[1];
	s->mtype = p[2];
	s->data = p + 3;
	s->len = n - 3;
	if (s->selector > 1 || s->mtype > 2 ||
	    (s->mtype == 1 && s->len != 32) || (s->mtype == 2 && s->len != 64))
		return -1;
	return 0;
}

int
smimea_matches(const struct smimea *s, const uint8_t *cert, size_t certlen)
{
	const mbedtls_md_info_t *md;
	const uint8_t *what = cert;
	uint8_t h[64];
	size_t n = certlen;

	if (s->selector == 1 && certid_spki(cert, certlen, &what, &n) == -1)
		return 0;
	if (s->mtype == 0)
		return n == s->len && memcmp(what, s->data, n) == 0;
	md = mbedtls_md_info_from_type(s->mtype == 1 ? MBEDTLS_MD_SHA256 :
	    MBEDTLS_MD_SHA512);
	if (md == NULL || mbedtls_md(md, what, n, h) != 0)
		return 0;
	return s->len == mbedtls_md_get_size(md) && memcmp(h, s->data,
	    s->len) == 0;
}

int
smimea_has_cert(const struct smimea *s)
{
	return s->usage <= SMIMEA_DANE_EE && s->selector == 0 && s->mtype == 0;
}
