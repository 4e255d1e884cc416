/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Certificate details mbedTLS 2.28 does not give: email, SKI. */
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>

#include "ber.h"
#include "cms.h"

static int
copy_str(char *dst, size_t dstsz, const unsigned char *p, size_t len)
{
	size_t i;

	if (len == 0 || len >= dstsz)
		return -1;
	for (i = 0; i < len; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return -1;	/* an address has no spaces or controls */
	memcpy(dst, p, len);
	dst[len] = '\0';
	return 0;
}

/*
 * The certificate's email address: the first rfc822Name in the subject
 * alternative names, else the subject's emailAddress (RFC 8550 §3).
 */
int
cms_cert_email(const mbedtls_x509_crt *crt, char *out, size_t outsz)
{
	const mbedtls_x509_sequence *san;
	const mbedtls_x509_name *n;

	for (san = &crt->subject_alt_names; san != NULL; san = san->next)
		if (san->buf.p != NULL && san->buf.tag ==
		    (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 1) &&
		    copy_str(out, outsz, san->buf.p, san->buf.len) == 0)
			return 0;
	for (n = &crt->subject; n != NULL; n = n->next)
		if (n->oid.p != NULL &&
		    n->oid.len == MBEDTLS_OID_SIZE(MBEDTLS_OID_PKCS9_EMAIL) &&
		    memcmp(n->oid.p, MBEDTLS_OID_PKCS9_EMAIL, n->oid.len) == 0 &&
		    copy_str(out, outsz, n->val.p, n->val.len) == 0)
			return 0;
	if (outsz > 0)
		out[0] = '\0';
	return -1;
}

/* subjectKeyIdentifier (2.5.29.14): the key identifier octets. */
int
cms_cert_ski(const mbedtls_x509_crt *crt, const uint8_t **ski, size_t *len)
{
	static const uint8_t ski_oid[] = { 0x55, 0x1d, 0x0e };
	struct ber_reader r, v;
	struct ber_elem e, oid, val, inner;

	if (crt->v3_ext.p == NULL || crt->v3_ext.len == 0)
		return -1;
	ber_init(&r, crt->v3_ext.p, crt->v3_ext.len, BER_F_DER);
	if (ber_expect(&r, BER_SEQUENCE, &e) != BER_OK ||
	    ber_enter(&r) != BER_OK)
		return -1;
	while (ber_next(&r, &e) == BER_OK) {
		if (e.tag != BER_SEQUENCE)
			return -1;
		ber_init(&v, e.content, e.len, BER_F_DER);
		if (ber_expect(&v, BER_OID, &oid) != BER_OK)
			return -1;
		if (oid.len != sizeof(ski_oid) ||
		    memcmp(oid.content, ski_oid, sizeof(ski_oid)) != 0)
			continue;
		if (ber_next(&v, &val) != BER_OK)
			return -1;
		if (val.tag == BER_BOOLEAN && ber_next(&v, &val) != BER_OK)
			return -1;	/* the critical flag, then the value */
		if (val.tag != BER_OCTET_STRING)
			return -1;
		ber_init(&v, val.content, val.len, BER_F_DER);
		if (ber_expect(&v, BER_OCTET_STRING, &inner) != BER_OK)
			return -1;
		*ski = inner.content;
		*len = inner.len;
		return 0;
	}
	return -1;
}
