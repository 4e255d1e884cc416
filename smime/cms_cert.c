/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Certificate details mbedTLS 2.28 does not give: email, SKI; and the
 * size of an RSA key read from the encoding, before mbedTLS parses it.
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>

#include "ber.h"
#include "cms.h"
#include "oid.h"

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

int
cms_cert_self_signed(const mbedtls_x509_crt *c)
{
	return c->issuer_raw.len == c->subject_raw.len &&
	    memcmp(c->issuer_raw.p, c->subject_raw.p, c->subject_raw.len) == 0;
}

/*
 * A signature on mail needs digitalSignature or nonRepudiation (when
 * keyUsage is there) and emailProtection (when extKeyUsage is).
 */
enum cms_vstatus
cms_cert_mail_usage(const mbedtls_x509_crt *c)
{
	if (mbedtls_x509_crt_check_key_usage(c,
	    MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0 &&
	    mbedtls_x509_crt_check_key_usage(c,
	    MBEDTLS_X509_KU_NON_REPUDIATION) != 0)
		return CMS_V_KEY_USAGE;
	if (mbedtls_x509_crt_check_extended_key_usage(c,
	    MBEDTLS_OID_EMAIL_PROTECTION,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_EMAIL_PROTECTION)) != 0)
		return CMS_V_EKU;
	return CMS_V_OK;
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
	ber_reader_init(&r, crt->v3_ext.p, crt->v3_ext.len, BER_F_DER);
	if (ber_expect(&r, BER_SEQUENCE, &e) != BER_OK ||
	    ber_enter(&r) != BER_OK)
		return -1;
	while (ber_next(&r, &e) == BER_OK) {
		if (e.tag != BER_SEQUENCE)
			return -1;
		ber_reader_init(&v, e.content, e.len, BER_F_DER);
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
		ber_reader_init(&v, val.content, val.len, BER_F_DER);
		if (ber_expect(&v, BER_OCTET_STRING, &inner) != BER_OK)
			return -1;
		*ski = inner.content;
		*len = inner.len;
		return 0;
	}
	return -1;
}

/* Bits in an unsigned big-endian integer without leading zeros. */
static size_t
uint_bits(const uint8_t *p, size_t n)
{
	size_t bits = n * 8;
	uint8_t b = p[0];

	if (b == 0)
		return 0;
	for (; (b & 0x80) == 0; b <<= 1)
		bits--;
	return bits;
}

/* The subjectPublicKeyInfo of a Certificate: its content, in r. */
static int
spki_enter(const uint8_t *der, size_t len, struct ber_reader *r)
{
	struct ber_elem el;
	int i;

	ber_reader_init(r, der, len, 0);
	if (ber_expect(r, BER_SEQUENCE, &el) != BER_OK ||
	    ber_enter(r) != BER_OK ||
	    ber_expect(r, BER_SEQUENCE, &el) != BER_OK ||
	    ber_enter(r) != BER_OK || ber_next(r, &el) != BER_OK)
		return -1;
	if (el.tag == BER_CONTEXT_CONS(0) && ber_next(r, &el) != BER_OK)
		return -1;	/* version, then serialNumber */
	/* signature, issuer, validity, subject */
	for (i = 0; i < 4; i++)
		if (ber_expect(r, BER_SEQUENCE, &el) != BER_OK)
			return -1;
	if (ber_expect(r, BER_SEQUENCE, &el) != BER_OK ||
	    ber_enter(r) != BER_OK)
		return -1;
	return 0;
}

/*
 * Is the certificate's RSA key within maxbits and maxexp?  Read from the
 * DER before any mbedTLS call: a public-key operation costs in the
 * modulus and the exponent's length, and mbedTLS does not bound the
 * exponent.  0 within the bounds, also for other keys and encodings
 * mbedTLS will refuse anyway; -1 over a bound, why saying which.
 */
int
cms_cert_key_bounds(const uint8_t *der, size_t len, unsigned maxbits,
    uint64_t maxexp, char *why, size_t whysz)
{
	struct ber_reader r, k;
	struct ber_elem alg, oid, bits, n, e;
	const uint8_t *o, *p, *q;
	size_t ol, pl, nl, el, i;
	unsigned unused;
	uint64_t x;

	if (spki_enter(der, len, &r) == -1 ||
	    ber_expect(&r, BER_SEQUENCE, &alg) != BER_OK ||
	    ber_expect(&r, BER_BIT_STRING, &bits) != BER_OK)
		return 0;
	ber_reader_init(&k, alg.content, alg.len, 0);
	if (ber_expect(&k, BER_OID, &oid) != BER_OK ||
	    ber_get_oid(&oid, &o, &ol) != BER_OK ||
	    !oid_is(OID_RSA_ENCRYPTION, o, ol) ||
	    ber_get_bitstring(&bits, &p, &pl, &unused) != BER_OK)
		return 0;
	ber_reader_init(&k, p, pl, 0);
	if (ber_expect(&k, BER_SEQUENCE, &alg) != BER_OK ||
	    ber_enter(&k) != BER_OK ||
	    ber_expect(&k, BER_INTEGER, &n) != BER_OK ||
	    ber_expect(&k, BER_INTEGER, &e) != BER_OK ||
	    ber_get_uint_raw(&n, &p, &nl) != BER_OK ||
	    ber_get_uint_raw(&e, &q, &el) != BER_OK)
		return 0;
	if (uint_bits(p, nl) > maxbits) {
		snprintf(why, whysz, "an RSA key of %zu bits (at most %u)",
		    uint_bits(p, nl), maxbits);
		return -1;
	}
	for (x = 0, i = 0; i < el && x <= maxexp; i++)
		x = i < 8 ? x << 8 | q[i] : UINT64_MAX;
	if (x > maxexp) {
		snprintf(why, whysz, "an RSA public exponent of %zu bits "
		    "(at most %llu)", uint_bits(q, el),
		    (unsigned long long)maxexp);
		return -1;
	}
	return 0;
}
