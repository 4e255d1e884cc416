/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * PKCS#12 reader tests over the committed files in regress/unit/data/pfx/
 * (made by openssl 3, NSS pk12util and gpgsm; see the README there).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/pkcs12.h>
#include <mbedtls/x509_crt.h>

#include "mbedtls_compat.h"
#include "pfx.h"
#include "unit.h"

#define DATA	"regress/unit/data/pfx/"

static uint8_t *
load(const char *name, size_t *len)
{
	char		 path[256];
	FILE		*f;
	uint8_t		*buf;
	long		 n;

	snprintf(path, sizeof(path), DATA "%s", name);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Whether the certificate's subject contains "CN=cn". */
static int
cert_cn(const struct pfx_cert *pc, const char *cn)
{
	mbedtls_x509_crt crt;
	char		 dn[256], want[64];
	int		 ok = 0;

	mbedtls_x509_crt_init(&crt);
	snprintf(want, sizeof(want), "CN=%s", cn);
	if (mbedtls_x509_crt_parse_der(&crt, pc->der, pc->len) == 0 &&
	    mbedtls_x509_dn_gets(dn, sizeof(dn), &crt.subject) > 0)
		ok = strncmp(dn, want, strlen(want)) == 0 &&
		    (dn[strlen(want)] == '\0' || dn[strlen(want)] == ',');
	mbedtls_x509_crt_free(&crt);
	return ok;
}

struct pfx_case {
	const char	*file;
	const char	*pw;
	const char	*leaf;		/* CN of the leaf, NULL: no key */
	mbedtls_pk_type_t type;
	size_t		 ncerts;
	int		 mac;
	int		 cheap;		/* few iterations: bit flips affordable */
};

static const char longpw[] = "correct horse battery staple 0123456789!";

static const struct pfx_case cases[] = {
	{ "ossl3-rsa.p12", "test", "rsa", MBEDTLS_PK_RSA, 3, 1, 1 },
	{ "ossl3-p256.p12", "test", "p256", MBEDTLS_PK_ECKEY, 3, 1, 1 },
	{ "legacy-rsa.p12", "test", "rsa", MBEDTLS_PK_RSA, 3, 1, 1 },
	{ "legacy-p384.p12", "test", "p384", MBEDTLS_PK_ECKEY, 3, 1, 1 },
	{ "win3des-p256.p12", "test", "p256", MBEDTLS_PK_ECKEY, 3, 1, 1 },
	{ "noenc-p384.p12", "test", "p384", MBEDTLS_PK_ECKEY, 3, 1, 1 },
	{ "rc2-128-2des-p256.p12", "test", "p256", MBEDTLS_PK_ECKEY, 3, 1, 1 },
	{ "aes128-sha512mac-p256.p12", "test", "p256", MBEDTLS_PK_ECKEY, 3, 1,
	    1 },
	{ "utf8pw-p256.p12", "p\xc3\xa4ssw\xc3\xb6rd", "p256",
	    MBEDTLS_PK_ECKEY, 3, 1, 1 },
	{ "utf8pw-legacy-p256.p12", "p\xc3\xa4ssw\xc3\xb6rd", "p256",
	    MBEDTLS_PK_ECKEY, 3, 1, 1 },
	{ "longpw-p256.p12", longpw, "p256", MBEDTLS_PK_ECKEY, 3, 1, 1 },
	{ "emptypw-p256.p12", "", "p256", MBEDTLS_PK_ECKEY, 3, 1, 1 },
	{ "emptypw-absent-p384.p12", "", "p384", MBEDTLS_PK_ECKEY, 3, 1, 1 },
	{ "nomac-p256.p12", "test", "p256", MBEDTLS_PK_ECKEY, 3, 0, 0 },
	{ "nomac-noenc-p256.p12", "test", "p256", MBEDTLS_PK_ECKEY, 3, 0, 0 },
	{ "leafonly-p256.p12", "test", "p256", MBEDTLS_PK_ECKEY, 1, 1, 1 },
	{ "certsonly.p12", "test", NULL, MBEDTLS_PK_NONE, 3, 1, 1 },
	{ "nss-rsa.p12", "test", "rsa", MBEDTLS_PK_RSA, 3, 1, 0 },
	{ "nss-p256.p12", "test", "p256", MBEDTLS_PK_ECKEY, 3, 1, 0 },
	{ "gpgsm-rsa.p12", "test", "rsa", MBEDTLS_PK_RSA, 1, 1, 0 },
	/* synth.py */
	{ "ber-noenc-p256.p12", "test", "p256", MBEDTLS_PK_ECKEY, 3, 1, 1 },
	{ "ber-ossl3-p256.p12", "test", "p256", MBEDTLS_PK_ECKEY, 3, 1, 1 },
	{ "sha384mac-p256.p12", "test", "p256", MBEDTLS_PK_ECKEY, 3, 1, 1 },
	{ "nested-p256.p12", "test", "p256", MBEDTLS_PK_ECKEY, 3, 1, 1 },
};

/* Parse, check key, count, leaf and chain order after a shuffle. */
static void
test_file(const struct pfx_case *tc)
{
	struct pfx_contents c;
	struct pfx_cert	 tmp;
	uint8_t		*der;
	size_t		 len, i;
	char		 name[128], err[256];
	enum pfx_err	 rc;

	snprintf(name, sizeof(name), "pfx-parse-%s", tc->file);
	if ((der = load(tc->file, &len)) == NULL) {
		UNIT_FAIL(name, "cannot read %s", tc->file);
		return;
	}
	rc = pfx_parse(der, len, tc->pw, &c, err, sizeof(err));
	if (rc != PFX_OK) {
		UNIT_FAIL(name, "%s: %s", pfx_strerror(rc), err);
		free(der);
		return;
	}
	UNIT_PASS(name);
	snprintf(name, sizeof(name), "pfx-contents-%s", tc->file);
	UNIT_OK(name, c.ncerts == tc->ncerts &&
	    c.has_key == (tc->leaf != NULL) && c.mac_verified == tc->mac &&
	    (tc->leaf == NULL || mbedtls_pk_get_type(&c.key) == tc->type));

	/* Reverse the file order; pfx_order_chain must restore it. */
	for (i = 0; i < c.ncerts / 2; i++) {
		tmp = c.certs[i];
		c.certs[i] = c.certs[c.ncerts - 1 - i];
		c.certs[c.ncerts - 1 - i] = tmp;
	}
	snprintf(name, sizeof(name), "pfx-chain-%s", tc->file);
	rc = pfx_order_chain(&c, err, sizeof(err));
	if (tc->leaf == NULL)
		UNIT_OK(name, rc == PFX_ERR_NO_LEAF);
	else if (rc != PFX_OK)
		UNIT_FAIL(name, "%s: %s", pfx_strerror(rc), err);
	else
		UNIT_OK(name, cert_cn(&c.certs[0], tc->leaf) &&
		    (c.ncerts < 3 ||
		    (cert_cn(&c.certs[1], "PFX Test Intermediate") &&
		    cert_cn(&c.certs[2], "PFX Test Root"))));
	pfx_contents_free(&c);
	snprintf(name, sizeof(name), "pfx-free-%s", tc->file);
	UNIT_OK(name, c.ncerts == 0 && c.certs == NULL && !c.has_key);
	free(der);
}

/* Wrong password: PFX_ERR_PASSWORD with a MAC, else decryption fails;
 * and files refused whatever the password. */
static void
test_wrong_password(void)
{
	static const struct {
		const char	*file;
		const char	*pw;
		enum pfx_err	 want;
	} w[] = {
		{ "ossl3-rsa.p12", "tesT", PFX_ERR_PASSWORD },
		{ "legacy-p384.p12", "", PFX_ERR_PASSWORD },
		{ "win3des-p256.p12", "test ", PFX_ERR_PASSWORD },
		{ "noenc-p384.p12", "x", PFX_ERR_PASSWORD },
		{ "utf8pw-p256.p12", "passwort", PFX_ERR_PASSWORD },
		{ "utf8pw-legacy-p256.p12", "p\xc3\xa4ssw\xc3\xb6rt",
		    PFX_ERR_PASSWORD },
		{ "emptypw-p256.p12", "test", PFX_ERR_PASSWORD },
		{ "emptypw-absent-p384.p12", "test", PFX_ERR_PASSWORD },
		{ "nss-p256.p12", "Test", PFX_ERR_PASSWORD },
		{ "gpgsm-rsa.p12", "tset", PFX_ERR_PASSWORD },
		{ "nomac-p256.p12", "wrong", PFX_ERR_DECRYPT },
		{ "utf8pw-p256.p12", "p\xe4ssw\xf6rd", PFX_ERR_ARG },
		{ "ber-ossl3-p256.p12", "tesst", PFX_ERR_PASSWORD },
		/* Refused whatever the password. */
		/* gpgsm 2.4 now and then pads its 3DES key bag wrongly
		 * (openssl: "bad decrypt" too; the MAC holds) */
		{ "gpgsm24-badkey-rsa.p12", "test", PFX_ERR_DECRYPT },
		{ "twokeys-p256.p12", "test", PFX_ERR_UNSUPPORTED },
		{ "deepnest-p256.p12", "test", PFX_ERR_MALFORMED },
	};
	struct pfx_contents c;
	uint8_t		*der;
	size_t		 len, i;
	char		 name[128], err[256];
	enum pfx_err	 rc;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		snprintf(name, sizeof(name), "pfx-wrongpw-%zu-%s", i,
		    w[i].file);
		if ((der = load(w[i].file, &len)) == NULL) {
			UNIT_FAIL(name, "cannot read");
			continue;
		}
		rc = pfx_parse(der, len, w[i].pw, &c, err, sizeof(err));
		if (rc != w[i].want)
			UNIT_FAIL(name, "got %s (%s)", pfx_strerror(rc), err);
		else
			UNIT_OK(name, c.ncerts == 0 && !c.has_key &&
			    err[0] != '\0');
		free(der);
	}
}

/* Every proper prefix is an error, never a crash. */
static void
test_truncations(void)
{
	struct pfx_contents c;
	uint8_t		*der, *cut;
	size_t		 len, n, i, bad;
	char		 name[128], err[256];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "pfx-truncate-%s", cases[i].file);
		if ((der = load(cases[i].file, &len)) == NULL) {
			UNIT_FAIL(name, "cannot read");
			continue;
		}
		bad = 0;
		for (n = 0; n < len; n++) {
			/* A copy of exactly n bytes so ASan sees overreads. */
			if ((cut = malloc(n > 0 ? n : 1)) == NULL)
				break;
			memcpy(cut, der, n);
			if (pfx_parse(cut, n, cases[i].pw, &c, err,
			    sizeof(err)) == PFX_OK) {
				bad++;
				pfx_contents_free(&c);
			}
			free(cut);
		}
		UNIT_OK(name, n == len && bad == 0);
		free(der);
	}
}

/*
 * Flip one bit in every byte (bit number = offset mod 8) of files with
 * a MAC: each must be refused, whatever the reason.
 */
static void
test_bitflips(void)
{
	struct pfx_contents c;
	uint8_t		*der;
	size_t		 len, i, off, bad;
	char		 name[128], err[256];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!cases[i].cheap)
			continue;
		snprintf(name, sizeof(name), "pfx-bitflip-%s", cases[i].file);
		if ((der = load(cases[i].file, &len)) == NULL) {
			UNIT_FAIL(name, "cannot read");
			continue;
		}
		bad = 0;
		for (off = 0; off < len; off++) {
			der[off] ^= (uint8_t)(1u << (off % 8));
			if (pfx_parse(der, len, cases[i].pw, &c, err,
			    sizeof(err)) == PFX_OK) {
				if (bad++ == 0)
					printf("# %s: flip at %zu accepted\n",
					    cases[i].file, off);
				pfx_contents_free(&c);
			}
			der[off] ^= (uint8_t)(1u << (off % 8));
		}
		UNIT_OK(name, bad == 0);
		free(der);
	}
}

static void
test_iteration_limit(void)
{
	struct pfx_contents c;
	mbedtls_pk_context pk;
	uint8_t		*der;
	size_t		 len;
	char		 err[256];
	enum pfx_err	 rc;

	if ((der = load("ossl3-p256.p12", &len)) == NULL) {
		UNIT_FAIL("pfx-iterlimit", "cannot read");
		return;
	}
	rc = pfx_parse_ex(der, len, "test", 2047, &c, err, sizeof(err));
	UNIT_OK("pfx-iterlimit", rc == PFX_ERR_ITERATIONS &&
	    strstr(err, "2048") != NULL);
	rc = pfx_parse_ex(der, len, "test", 2048, &c, err, sizeof(err));
	UNIT_OK("pfx-iterlimit-exact", rc == PFX_OK);
	if (rc == PFX_OK)
		pfx_contents_free(&c);
	free(der);

	if ((der = load("p8-aes256-sha256.der", &len)) == NULL) {
		UNIT_FAIL("pfx-iterlimit-pkcs8", "cannot read");
		return;
	}
	mbedtls_pk_init(&pk);
	rc = pfx_pkcs8_decrypt(der, len, "test", 999, &pk, err, sizeof(err));
	UNIT_OK("pfx-iterlimit-pkcs8", rc == PFX_ERR_ITERATIONS);
	mbedtls_pk_free(&pk);
	free(der);
}

/* Encrypted PKCS#8: every PBES2 PRF/cipher and PKCS#12 PBE we read. */
static void
test_pkcs8(void)
{
	static const char *const files[] = {
		"p8-aes256-sha256.der", "p8-aes128-sha1.der",
		"p8-aes192-sha224.der", "p8-aes256-sha384.der",
		"p8-des3-sha512.der", "p8-sha1-3des.der", "p8-sha1-2des.der",
		"p8-sha1-rc2-40.der", "p8-sha1-rc2-128.der",
	};
	mbedtls_pk_context pk;
	mbedtls_x509_crt leaf;
	uint8_t		*der;
	size_t		 len, i;
	char		 name[128], err[256];
	enum pfx_err	 rc;

	mbedtls_x509_crt_init(&leaf);
	if (mbedtls_x509_crt_parse_file(&leaf, DATA "p256-leaf.pem") != 0) {
		UNIT_FAIL("pfx-pkcs8", "cannot read p256-leaf.pem");
		return;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(name, sizeof(name), "pfx-pkcs8-%s", files[i]);
		if ((der = load(files[i], &len)) == NULL) {
			UNIT_FAIL(name, "cannot read");
			continue;
		}
		mbedtls_pk_init(&pk);
		rc = pfx_pkcs8_decrypt(der, len, "test", PFX_MAX_ITERATIONS,
		    &pk, err, sizeof(err));
		if (rc != PFX_OK)
			UNIT_FAIL(name, "%s: %s", pfx_strerror(rc), err);
		else
			UNIT_OK(name, compat_pk_check_pair(&leaf.pk, &pk) == 0);
		mbedtls_pk_free(&pk);

		snprintf(name, sizeof(name), "pfx-pkcs8-wrongpw-%s", files[i]);
		mbedtls_pk_init(&pk);
		rc = pfx_pkcs8_decrypt(der, len, "tost", PFX_MAX_ITERATIONS,
		    &pk, err, sizeof(err));
		UNIT_OK(name, rc == PFX_ERR_DECRYPT);
		mbedtls_pk_free(&pk);
		free(der);
	}
	mbedtls_x509_crt_free(&leaf);
}

/* Our KDF against mbedTLS's where mbedTLS's limits allow. */
static void
test_kdf(void)
{
	static const mbedtls_md_type_t mds[] = { MBEDTLS_MD_SHA1,
	    MBEDTLS_MD_SHA224, MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA384,
	    MBEDTLS_MD_SHA512 };
	static const size_t outlens[] = { 1, 8, 20, 24, 33, 64, 100, 128 };
	uint8_t		 pw[64], salt[64], a[128], b[128];
	size_t		 i, j, k, pwlen, saltlen, bad = 0, runs = 0;
	uint8_t		 id;

	for (i = 0; i < sizeof(pw); i++) {
		pw[i] = (uint8_t)(i * 7 + 1);
		salt[i] = (uint8_t)(i * 13 + 5);
	}
	for (i = 0; i < sizeof(mds) / sizeof(mds[0]); i++)
	for (j = 0; j < sizeof(outlens) / sizeof(outlens[0]); j++)
	for (k = 0; k < 6; k++) {
		pwlen = (size_t[]){ 0, 2, 10, 40, 63, 64 }[k];
		saltlen = (size_t[]){ 8, 1, 64, 20, 0, 16 }[k];
		id = (uint8_t)(1 + k % 3);
		if (mbedtls_pkcs12_derivation(a, outlens[j], pw, pwlen, salt,
		    saltlen, mds[i], id, (int)(k + 1)) != 0 ||
		    pfx_kdf(mds[i], pw, pwlen, salt, saltlen, id, k + 1, b,
		    outlens[j]) != 0 || memcmp(a, b, outlens[j]) != 0)
			bad++;
		runs++;
	}
	UNIT_OK("pfx-kdf-vs-mbedtls", bad == 0 && runs == 240);
	UNIT_OK("pfx-kdf-bad-md", pfx_kdf(MBEDTLS_MD_NONE, pw, 2, salt, 8, 1,
	    1, a, 8) == -1 && pfx_kdf(MBEDTLS_MD_SHA1, pw, 2, salt, 8, 1, 0,
	    a, 8) == -1);
}

static void
test_bmp(void)
{
	static const uint8_t want[] = { 0, 'p', 0, 0xe4, 0, 's', 0, 's',
	    0, 'w', 0, 0xf6, 0, 'r', 0, 'd', 0, 0 };
	static const uint8_t emoji[] = { 0, 'a', 0xd8, 0x3d, 0xde, 0x00,
	    0x20, 0xac, 0, 0 };
	uint8_t		*b;
	size_t		 n;

	UNIT_OK("pfx-bmp-latin", pfx_bmp_password("p\xc3\xa4ssw\xc3\xb6rd",
	    &b, &n) == 0 && n == sizeof(want) && memcmp(b, want, n) == 0);
	free(b);
	UNIT_OK("pfx-bmp-astral", pfx_bmp_password("a\xf0\x9f\x98\x80"
	    "\xe2\x82\xac", &b, &n) == 0 && n == sizeof(emoji) &&
	    memcmp(b, emoji, n) == 0);
	free(b);
	UNIT_OK("pfx-bmp-empty", pfx_bmp_password("", &b, &n) == 0 &&
	    n == 2 && b[0] == 0 && b[1] == 0);
	free(b);
	UNIT_OK("pfx-bmp-invalid", pfx_bmp_password("\xc3", &b, &n) == -1 &&
	    pfx_bmp_password("\xc0\xaf", &b, &n) == -1 &&
	    pfx_bmp_password("\xed\xa0\x80", &b, &n) == -1 &&
	    pfx_bmp_password("\xf4\x90\x80\x80", &b, &n) == -1 &&
	    pfx_bmp_password("\xff", &b, &n) == -1 && b == NULL);
}

/* Attributes: friendlyName and localKeyId come through. */
static void
test_attributes(void)
{
	struct pfx_contents c;
	uint8_t		*der;
	size_t		 len, i, named = 0;
	char		 err[256];

	if ((der = load("ossl3-p256.p12", &len)) == NULL ||
	    pfx_parse(der, len, "test", &c, err, sizeof(err)) != PFX_OK) {
		UNIT_FAIL("pfx-attributes", "cannot parse ossl3-p256.p12");
		free(der);
		return;
	}
	for (i = 0; i < c.ncerts; i++)
		if (c.certs[i].friendly_name != NULL &&
		    strcmp(c.certs[i].friendly_name, "p256 leaf") == 0 &&
		    c.certs[i].local_id_len == c.key_local_id_len &&
		    c.key_local_id_len > 0 && memcmp(c.certs[i].local_id,
		    c.key_local_id, c.key_local_id_len) == 0)
			named++;
	UNIT_OK("pfx-attributes", named == 1 && c.key_friendly_name != NULL &&
	    strcmp(c.key_friendly_name, "p256 leaf") == 0);
	pfx_contents_free(&c);
	free(der);
}

static void
test_misc(void)
{
	struct pfx_contents c;
	uint8_t		*der;
	size_t		 len;
	char		 err[64];
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x02 };

	UNIT_OK("pfx-empty", pfx_parse(NULL, 0, "x", &c, err, sizeof(err)) ==
	    PFX_ERR_MALFORMED);
	UNIT_OK("pfx-version", pfx_parse(junk, sizeof(junk), "x", &c, err,
	    sizeof(err)) == PFX_ERR_UNSUPPORTED);
	UNIT_OK("pfx-strerror", strcmp(pfx_strerror(PFX_ERR_PASSWORD),
	    "wrong password (MAC does not verify)") == 0 &&
	    strcmp(pfx_strerror(PFX_ERR_MAX), "unknown PKCS#12 error") == 0);
	UNIT_OK("pfx-noerrbuf", pfx_parse(junk, sizeof(junk), NULL, &c, NULL,
	    0) == PFX_ERR_UNSUPPORTED);
	pfx_contents_free(&c);
	pfx_contents_free(NULL);
	if ((der = load("emptypw-absent-p384.p12", &len)) != NULL) {
		UNIT_OK("pfx-null-password", pfx_parse(der, len, NULL, &c, err,
		    sizeof(err)) == PFX_OK && c.has_key);
		pfx_contents_free(&c);
		free(der);
	} else
		UNIT_FAIL("pfx-null-password", "cannot read");
}

int
main(void)
{
	size_t		 i;

	test_bmp();
	test_kdf();
	test_misc();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_file(&cases[i]);
	test_attributes();
	test_wrong_password();
	test_iteration_limit();
	test_pkcs8();
	test_truncations();
	test_bitflips();
	UNIT_EXIT();
}
