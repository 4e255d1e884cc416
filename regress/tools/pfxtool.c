/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * pfxtool: a test-only command line over the PKCS#12 reader, for
 * regress/keystore/pfx.sh.  Not installed.
 *
 *   pfxtool FILE PASSWORD
 *	prints "ok key=rsa|ec|none certs=N mac=0|1 leaf=SUBJECT" (leaf
 *	after pfx_order_chain, "-" without a key) or "error NAME: REASON";
 *	exit 0 ok, 1 wrong password, 2 any other error, 64 usage.
 *   pfxtool -8 FILE PASSWORD
 *	the same for an encrypted PKCS#8 key: "ok key=rsa|ec".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "pfx.h"

static const char *const names[PFX_ERR_MAX] = {
	"PFX_OK", "PFX_ERR_MALFORMED", "PFX_ERR_PASSWORD",
	"PFX_ERR_UNSUPPORTED", "PFX_ERR_DECRYPT", "PFX_ERR_KEY",
	"PFX_ERR_NOMEM", "PFX_ERR_ITERATIONS", "PFX_ERR_ARG",
	"PFX_ERR_NO_LEAF",
};

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE		*f;
	uint8_t		*buf = NULL, *nb;
	size_t		 cap = 0, n = 0, got;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		if ((got = fread(buf + n, 1, cap - n, f)) == 0)
			break;
		n += got;
	}
	fclose(f);
	*len = n;
	return buf;
}

static const char *
keyname(const mbedtls_pk_context *pk)
{
	switch (mbedtls_pk_get_type(pk)) {
	case MBEDTLS_PK_RSA:
		return "rsa";
	case MBEDTLS_PK_ECKEY:
		return "ec";
	default:
		return "other";
	}
}

static int
report(enum pfx_err rc, const char *err)
{
	printf("error %s: %s\n", rc < PFX_ERR_MAX ? names[rc] : "?", err);
	return rc == PFX_ERR_PASSWORD ? 1 : 2;
}

int
main(int argc, char **argv)
{
	struct pfx_contents c;
	mbedtls_pk_context pk;
	mbedtls_x509_crt crt;
	uint8_t		*der;
	size_t		 len;
	char		 err[256], dn[256];
	enum pfx_err	 rc;
	int		 p8 = 0;

	if (argc == 4 && strcmp(argv[1], "-8") == 0) {
		p8 = 1;
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: pfxtool [-8] file password\n");
		return 64;
	}
	if ((der = slurp(argv[1], &len)) == NULL) {
		perror(argv[1]);
		return 2;
	}
	if (p8) {
		mbedtls_pk_init(&pk);
		rc = pfx_pkcs8_decrypt(der, len, argv[2], PFX_MAX_ITERATIONS,
		    &pk, err, sizeof(err));
		free(der);
		if (rc != PFX_OK)
			return report(rc, err);
		printf("ok key=%s\n", keyname(&pk));
		mbedtls_pk_free(&pk);
		return 0;
	}
	rc = pfx_parse(der, len, argv[2], &c, err, sizeof(err));
	free(der);
	if (rc != PFX_OK)
		return report(rc, err);
	strcpy(dn, "-");
	if (c.has_key) {
		if ((rc = pfx_order_chain(&c, err, sizeof(err))) != PFX_OK) {
			pfx_contents_free(&c);
			return report(rc, err);
		}
		mbedtls_x509_crt_init(&crt);
		if (mbedtls_x509_crt_parse_der(&crt, c.certs[0].der,
		    c.certs[0].len) == 0)
			(void)mbedtls_x509_dn_gets(dn, sizeof(dn),
			    &crt.subject);
		mbedtls_x509_crt_free(&crt);
	}
	printf("ok key=%s certs=%zu mac=%d leaf=%s\n",
	    c.has_key ? keyname(&c.key) : "none", c.ncerts, c.mac_verified,
	    dn);
	pfx_contents_free(&c);
	return 0;
}
