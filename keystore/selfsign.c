/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * smimectl selfsign: a key and a self-signed certificate fit for S/MIME:
 * SAN rfc822Name (dNSName for an @domain identity), keyUsage for the
 * purposes asked, extKeyUsage emailProtection.  mbedTLS 2.28 writes
 * neither SAN nor EKU, so those two extensions are our DER.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/oid.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>

#include "der.h"
#include "ks.h"
#include "mbedtls_compat.h"


#define CERT_BUF	8192

static int
gen_key(const struct ks_selfsign_opts *o, mbedtls_pk_context *pk,
    mbedtls_ctr_drbg_context *drbg)
{
	mbedtls_ecp_group_id g;

	if (o->ec_curve == 0) {
		if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(
		    MBEDTLS_PK_RSA)) != 0)
			return -1;
		return mbedtls_rsa_gen_key(mbedtls_pk_rsa(*pk),
		    mbedtls_ctr_drbg_random, drbg, o->rsa_bits ? o->rsa_bits :
		    2048, 65537) == 0 ? 0 : -1;
	}
	g = o->ec_curve == 256 ? MBEDTLS_ECP_DP_SECP256R1 : o->ec_curve ==
	    384 ? MBEDTLS_ECP_DP_SECP384R1 : MBEDTLS_ECP_DP_SECP521R1;
	if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))
	    != 0)
		return -1;
	return mbedtls_ecp_gen_key(g, mbedtls_pk_ec(*pk),
	    mbedtls_ctr_drbg_random, drbg) == 0 ? 0 : -1;
}

/* SubjectAltName and ExtKeyUsage values, as DER. */
static int
add_san_eku(mbedtls_x509write_cert *w, const char *account)
{
	static const uint8_t eku_oid[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07,
	    0x03, 0x04 };
	struct der_writer d;
	uint8_t *buf;
	size_t len;
	int rc;

	der_init(&d);
	der_begin(&d, DER_SEQUENCE);
	if (account[0] == '@')		/* [2] dNSName */
		der_prim(&d, DER_CONTEXT(2), (const uint8_t *)account + 1,
		    strlen(account + 1));
	else				/* [1] rfc822Name */
		der_prim(&d, DER_CONTEXT(1), (const uint8_t *)account,
		    strlen(account));
	der_end(&d);
	if (der_finish(&d, &buf, &len) == -1)
		return -1;
	rc = mbedtls_x509write_crt_set_extension(w,
	    MBEDTLS_OID_SUBJECT_ALT_NAME,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, buf, len);
	free(buf);
	if (rc != 0)
		return -1;
	der_init(&d);
	der_begin(&d, DER_SEQUENCE);
	der_oid(&d, eku_oid, sizeof(eku_oid));
	der_end(&d);
	if (der_finish(&d, &buf, &len) == -1)
		return -1;
	rc = mbedtls_x509write_crt_set_extension(w,
	    MBEDTLS_OID_EXTENDED_KEY_USAGE,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0, buf, len);
	free(buf);
	return rc == 0 ? 0 : -1;
}

static unsigned
key_usage(const struct ks_selfsign_opts *o)
{
	unsigned ku = 0;

	if (o->purpose & KS_P_SIGN)
		ku |= MBEDTLS_X509_KU_DIGITAL_SIGNATURE |
		    MBEDTLS_X509_KU_NON_REPUDIATION;
	if (o->purpose & KS_P_ENCRYPT)
		ku |= o->ec_curve ? MBEDTLS_X509_KU_KEY_AGREEMENT :
		    MBEDTLS_X509_KU_KEY_ENCIPHERMENT;
	return ku;
}

static void
fmt_time(time_t t, char out[15])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 15, "%Y%m%d%H%M%S", &tm);
}

static int
write_cert(const struct ks_selfsign_opts *o, mbedtls_pk_context *pk,
    mbedtls_ctr_drbg_context *drbg, mbedtls_x509_crt *crt)
{
	mbedtls_x509write_cert w;
	unsigned char buf[CERT_BUF], sn[16];
	char subject[KS_ACCOUNT_MAX + 64], from[15], to[15];
	time_t now = time(NULL);
	int n, rc = -1;

	mbedtls_x509write_crt_init(&w);
	if (mbedtls_ctr_drbg_random(drbg, sn, sizeof(sn)) != 0)
		goto done;
	sn[0] &= 0x7f;			/* positive */
	sn[0] |= 0x40;			/* and 16 octets long */
	if (o->account[0] == '@')
		snprintf(subject, sizeof(subject), "CN=%s", o->account + 1);
	else
		snprintf(subject, sizeof(subject), "CN=%s,emailAddress=%s",
		    o->account, o->account);
	fmt_time(now - 3600, from);
	fmt_time(now + (time_t)(o->days ? o->days : 365) * 86400, to);
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&w, pk);
	mbedtls_x509write_crt_set_issuer_key(&w, pk);
	if (compat_crt_set_serial(&w, sn, sizeof(sn)) != 0 ||
	    mbedtls_x509write_crt_set_validity(&w, from, to) != 0 ||
	    mbedtls_x509write_crt_set_subject_name(&w, subject) != 0 ||
	    mbedtls_x509write_crt_set_issuer_name(&w, subject) != 0 ||
	    mbedtls_x509write_crt_set_basic_constraints(&w, 0, -1) != 0 ||
	    mbedtls_x509write_crt_set_subject_key_identifier(&w) != 0 ||
	    mbedtls_x509write_crt_set_authority_key_identifier(&w) != 0 ||
	    mbedtls_x509write_crt_set_key_usage(&w, key_usage(o)) != 0 ||
	    add_san_eku(&w, o->account) != 0)
		goto done;
	n = mbedtls_x509write_crt_der(&w, buf, sizeof(buf),
	    mbedtls_ctr_drbg_random, drbg);
	if (n <= 0 || mbedtls_x509_crt_parse_der(crt, buf + sizeof(buf) - n,
	    (size_t)n) != 0)
		goto done;
	rc = 0;
done:
	mbedtls_x509write_crt_free(&w);
	return rc;
}

int
ks_selfsign(const struct ks_selfsign_opts *o, mbedtls_pk_context *pk,
    mbedtls_x509_crt *crt, struct ks_error *e)
{
	static const unsigned char pers[] = "smimectl selfsign";
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	int rc = -1;

	if (o->purpose == 0 || (o->ec_curve && o->ec_curve != 256 &&
	    o->ec_curve != 384 && o->ec_curve != 521) ||
	    (!o->ec_curve && o->rsa_bits && (o->rsa_bits < 2048 ||
	    o->rsa_bits > 8192))) {
		ks_error_set(e, EX_USAGE, "selfsign: bad key type or usage");
		return -1;
	}
	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, pers,
	    sizeof(pers) - 1) != 0 || gen_key(o, pk, &drbg) == -1) {
		ks_error_set(e, EX_SOFTWARE, "selfsign: key generation failed");
		goto done;
	}
	if (write_cert(o, pk, &drbg, crt) == -1) {
		ks_error_set(e, EX_SOFTWARE, "selfsign: certificate writing "
		    "failed");
		goto done;
	}
	rc = 0;
done:
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	return rc;
}
