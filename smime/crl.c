/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm,
 * signatureValue BIT STRING }; TBSCertList ::= SEQUENCE { version
 * OPTIONAL, signature, issuer, thisUpdate, nextUpdate OPTIONAL,
 * revokedCertificates OPTIONAL, [0] crlExtensions OPTIONAL }.
 */
#include <stdio.h>
#include <string.h>

#include "cms.h"
#include "crl.h"
#include "mbedtls_compat.h"
#include "x509sig.h"

static int
read_tbs(struct crl_info *c, const struct ber_elem *inner_alg)
{
	struct ber_reader r;
	struct ber_elem e;
	struct tm tm;

	ber_reader_init(&r, c->signed_part.tbs.content, c->signed_part.tbs.len,
	    BER_F_DER);
	if (ber_next(&r, &e) != BER_OK)
		return -1;
	if (e.tag == BER_INTEGER && ber_next(&r, &e) != BER_OK)
		return -1;			/* version v2 */
	/* the signature inside must be the one outside (RFC 5280 5.1.1.2) */
	if (e.tag != BER_SEQUENCE || e.rawlen != inner_alg->rawlen ||
	    memcmp(e.raw, inner_alg->raw, e.rawlen) != 0)
		return -1;
	if (ber_expect(&r, BER_SEQUENCE, &c->issuer) != BER_OK ||
	    ber_next(&r, &e) != BER_OK ||
	    ber_get_time(&e, &tm, &c->this_update) != BER_OK)
		return -1;
	if (ber_peek(&r, &e) == BER_OK && (e.tag == BER_UTC_TIME ||
	    e.tag == BER_GENERALIZED_TIME)) {
		if (ber_next(&r, &e) != BER_OK ||
		    ber_get_time(&e, &tm, &c->next_update) != BER_OK)
			return -1;
	}
	return 0;
}

int
crl_read(const uint8_t *der, size_t len, struct crl_info *c)
{
	memset(c, 0, sizeof(*c));
	if (x509_signed_read(der, len, 0, &c->signed_part) == -1)
		return -1;
	return read_tbs(c, &c->signed_part.sigalg);
}

int
crl_signed_by(const struct crl_info *c, mbedtls_x509_crt *issuer, char *why,
    size_t whysz)
{
	if (issuer->subject_raw.len != c->issuer.rawlen ||
	    memcmp(issuer->subject_raw.p, c->issuer.raw, c->issuer.rawlen)) {
		snprintf(why, whysz, "not its issuer");
		return -1;
	}
	if (!compat_crt_is_ca(issuer) || mbedtls_x509_crt_check_key_usage(
	    issuer, MBEDTLS_X509_KU_CRL_SIGN) != 0) {
		snprintf(why, whysz, "its issuer may not sign CRLs");
		return -1;
	}
	return x509_signed_by(&c->signed_part, &issuer->pk, why, whysz);
}
