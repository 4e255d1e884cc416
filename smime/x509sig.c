/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Signed X.509 objects (x509sig.h). */
#include <stdio.h>
#include <string.h>

#include <mbedtls/md.h>

#include "cms.h"
#include "x509sig.h"

int
x509_signed_read(const uint8_t *der, size_t len, int rest_ok,
    struct x509_signed *s)
{
	struct ber_reader r;
	struct ber_elem e, bits;
	unsigned int unused;

	memset(s, 0, sizeof(*s));
	ber_reader_init(&r, der, len, BER_F_DER);
	if (ber_expect(&r, BER_SEQUENCE, &e) != BER_OK || !ber_at_end(&r))
		return -1;
	ber_reader_init(&r, e.content, e.len, BER_F_DER);
	if (ber_expect(&r, BER_SEQUENCE, &s->tbs) != BER_OK ||
	    ber_expect(&r, BER_SEQUENCE, &s->sigalg) != BER_OK ||
	    ber_expect(&r, BER_BIT_STRING, &bits) != BER_OK ||
	    ber_get_bitstring(&bits, &s->sig, &s->siglen, &unused) != BER_OK ||
	    unused != 0)
		return -1;
	if (rest_ok && ber_next(&r, &s->rest) == BER_OK)
		s->have_rest = 1;
	return ber_at_end(&r) && ber_error(&r) == BER_OK ? 0 : -1;
}

int
x509_signed_by(const struct x509_signed *s, mbedtls_pk_context *pk,
    char *why, size_t whysz)
{
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	const mbedtls_md_info_t *mi;
	mbedtls_md_type_t md;
	char detail[64];

	if ((md = cms_sigalg_md(&s->sigalg)) == MBEDTLS_MD_NONE ||
	    (mi = mbedtls_md_info_from_type(md)) == NULL) {
		snprintf(why, whysz, "signature algorithm not taken");
		return -1;
	}
	detail[0] = '\0';
	if (mbedtls_md(mi, s->tbs.raw, s->tbs.rawlen, hash) != 0 ||
	    cms_sig_check(&s->sigalg, pk, md, hash, s->sig, s->siglen, detail,
	    sizeof(detail)) != CMS_V_OK) {
		snprintf(why, whysz, "bad signature%s%s%s", detail[0] ?
		    " (" : "", detail, detail[0] ? ")" : "");
		return -1;
	}
	return 0;
}
