/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Certificate facts the store records: fingerprint, ids, purpose, times. */
#define _GNU_SOURCE	/* timegm(3) in glibc */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mbedtls/oid.h>
#include <mbedtls/md.h>

#include "certid.h"
#include "cms.h"
#include "ks.h"
#include "mbedtls_compat.h"

/* n octets as 2n lowercase hex digits and a NUL. */
void
ks_hex(const uint8_t *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int
ks_fingerprint(const mbedtls_x509_crt *crt, char out[KS_FPR_LEN + 1])
{
	uint8_t h[32];

	if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
	    crt->raw.p, crt->raw.len, h) != 0)
		return -1;
	ks_hex(h, sizeof(h), out);
	return 0;
}

/*
 * A short name for issuerAndSerialNumber, the way CMS names recipients
 * and signers: SHA-256 over the issuer Name's DER and the serial's
 * INTEGER content octets, first 16 octets in hex.
 */
int
ks_idhash(const uint8_t *issuer, size_t ilen, const uint8_t *serial,
    size_t slen, char out[33])
{
	mbedtls_md_context_t c;
	uint8_t h[32];
	int rc;

	mbedtls_md_init(&c);
	rc = mbedtls_md_setup(&c, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
	    0) || mbedtls_md_starts(&c) || mbedtls_md_update(&c, issuer,
	    ilen) || mbedtls_md_update(&c, serial, slen) ||
	    mbedtls_md_finish(&c, h);
	mbedtls_md_free(&c);
	if (rc)
		return -1;
	ks_hex(h, 16, out);
	return 0;
}

/*
 * What a certificate may be used for in S/MIME (RFC 8550 §4.4): signing
 * needs digitalSignature or nonRepudiation, encryption keyEncipherment
 * (RSA) or keyAgreement (EC); an extKeyUsage must allow emailProtection.
 * mbedTLS answers "allowed" when the extension is absent, as it should.
 */
unsigned
ks_cert_purpose(const mbedtls_x509_crt *crt)
{
	unsigned p = 0;
	mbedtls_pk_type_t t = mbedtls_pk_get_type(&crt->pk);

	if (mbedtls_x509_crt_check_extended_key_usage(crt,
	    MBEDTLS_OID_EMAIL_PROTECTION,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_EMAIL_PROTECTION)) != 0)
		return 0;
	if (mbedtls_x509_crt_check_key_usage(crt,
	    MBEDTLS_X509_KU_DIGITAL_SIGNATURE) == 0 ||
	    mbedtls_x509_crt_check_key_usage(crt,
	    MBEDTLS_X509_KU_NON_REPUDIATION) == 0)
		p |= KS_P_SIGN;
	if (t == MBEDTLS_PK_RSA && mbedtls_x509_crt_check_key_usage(crt,
	    MBEDTLS_X509_KU_KEY_ENCIPHERMENT) == 0)
		p |= KS_P_ENCRYPT;
	if ((t == MBEDTLS_PK_ECKEY || t == MBEDTLS_PK_ECKEY_DH) &&
	    mbedtls_x509_crt_check_key_usage(crt,
	    MBEDTLS_X509_KU_KEY_AGREEMENT) == 0)
		p |= KS_P_ENCRYPT;
	return p;
}

/* Does the certificate name addr (an rfc822Name or emailAddress, any case)? */
int
ks_cert_names(const uint8_t *der, size_t len, const char *addr)
{
	struct certid_addrs a;
	size_t i;

	if (certid_addrs(der, len, &a) == -1)
		return 0;
	for (i = 0; i < a.n; i++)
		if (strcasecmp(a.addr[i], addr) == 0)
			return 1;
	return 0;
}

int64_t
ks_x509_time(const mbedtls_x509_time *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = t->year - 1900;
	tm.tm_mon = t->mon - 1;
	tm.tm_mday = t->day;
	tm.tm_hour = t->hour;
	tm.tm_min = t->min;
	tm.tm_sec = t->sec;
	return (int64_t)timegm(&tm);
}

/*
 * "User@Example.ORG" -> "user@example.org"; "@example.org" for a domain
 * identity.  Refuses what cannot be an address: no '@', spaces,
 * controls, tabs (the index is tab-separated) or '/'.
 */
int
ks_normalize_account(const char *in, char *out, size_t outsz)
{
	const char *at;
	size_t i, n = strlen(in);

	if (n == 0 || n >= outsz || n > KS_ACCOUNT_MAX)
		return -1;
	if ((at = strrchr(in, '@')) == NULL || at[1] == '\0' ||
	    strchr(at + 1, '.') == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((unsigned char)in[i] <= 0x20 || in[i] == 0x7f ||
		    in[i] == '/')
			return -1;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[n] = '\0';
	return 0;
}

static void
ski_hex(const mbedtls_x509_crt *crt, char out[65])
{
	const uint8_t *ski;
	size_t len;

	if (cms_cert_ski(crt, &ski, &len) == -1 || len == 0 || len > 32) {
		strlcpy(out, "-", 65);
		return;
	}
	ks_hex(ski, len, out);
}

int
ks_entry_from_cert(struct ks_entry *en, const mbedtls_x509_crt *crt,
    const char *account, enum ks_kind kind)
{
	memset(en, 0, sizeof(*en));
	if ((en->account = strdup(account)) == NULL ||
	    (en->extra = strdup("-")) == NULL ||
	    ks_fingerprint(crt, en->fpr) == -1 ||
	    ks_idhash(crt->issuer_raw.p, crt->issuer_raw.len, crt->serial.p,
	    crt->serial.len, en->idhash) == -1) {
		free(en->account);
		free(en->extra);
		return -1;
	}
	ski_hex(crt, en->ski);
	en->kind = kind;
	en->state = KS_CURRENT;
	en->purpose = ks_cert_purpose(crt);
	en->not_before = ks_x509_time(&crt->valid_from);
	en->not_after = ks_x509_time(&crt->valid_to);
	en->added = (int64_t)time(NULL);
	return 0;
}

/* A time for people: "2026-12-07 01:02:03 UTC". */
void
ks_utc(char *out, size_t outsz, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outsz, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, outsz, "%lld", (long long)t);
}
