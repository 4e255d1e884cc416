/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Import: parse what the admin gives (PEM or DER certificates, bundles,
 * DER PKCS#7 certificate bags (.p7b), a PEM/DER private key, PKCS#12),
 * check everything, and only then
 * write blobs and the new index under the lock.  A refused import
 * leaves the store as it was.
 */
#define _GNU_SOURCE	/* memmem(3) in glibc */

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <mbedtls/pem.h>
#include <mbedtls/platform_util.h>

#include "cms.h"
#include "ks.h"
#include "mbedtls_compat.h"
#include "p7certs.h"
#include "pfx.h"


#define KEY_DER_MAX	8192

static int
is_pem(const uint8_t *buf, size_t len)
{
	return len > 10 && memmem(buf, len, "-----BEGIN ", 11) != NULL;
}

/* mbedTLS wants PEM NUL-terminated, length including the NUL. */
static int
parse_certs(const uint8_t *buf, size_t len, mbedtls_x509_crt *chain)
{
	uint8_t *z;
	int rc;

	if (!is_pem(buf, len))
		return mbedtls_x509_crt_parse_der(chain, buf, len) == 0 ? 0 : -1;
	if ((z = malloc(len + 1)) == NULL)
		return -1;
	memcpy(z, buf, len);
	z[len] = '\0';
	rc = mbedtls_x509_crt_parse(chain, z, len + 1);
	free(z);
	return chain->raw.p != NULL && rc >= 0 ? 0 : -1;
}

/* A certs-only PKCS#7 in DER (.p7b, .p7c): its certificates; 0 or -1. */
static int
from_p7(const uint8_t *buf, size_t len, mbedtls_x509_crt *chain)
{
	struct p7certs pc;
	size_t i;

	if (p7certs_read(buf, len, &pc) == -1)
		return -1;
	for (i = 0; i < pc.n; i++)
		if (mbedtls_x509_crt_parse_der(chain, pc.der[i], pc.len[i]) !=
		    0) {
			mbedtls_x509_crt_free(chain);
			mbedtls_x509_crt_init(chain);
			return -1;
		}
	return 0;
}

#define PKCS8_BEGIN	"-----BEGIN ENCRYPTED PRIVATE KEY-----"
#define PKCS8_END	"-----END ENCRYPTED PRIVATE KEY-----"

/*
 * An encrypted PKCS#8 key (PEM or DER): our own PBES2/PKCS#12 decryption
 * (pfx.c), since mbedTLS 2.28 does not know openssl 3's default AES
 * scheme.  0, -1 not such a key or broken, -2 wrong password.
 */
static int
parse_pkcs8(const uint8_t *z, const uint8_t *der, size_t len,
    const char *password, mbedtls_pk_context *pk)
{
	mbedtls_pem_context pem;
	enum pfx_err pe;
	size_t used;
	char why[200];

	mbedtls_pem_init(&pem);
	if (z != NULL) {
		if (mbedtls_pem_read_buffer(&pem, PKCS8_BEGIN, PKCS8_END, z,
		    NULL, 0, &used) != 0) {
			mbedtls_pem_free(&pem);
			return -1;
		}
		der = compat_pem_buffer(&pem, &len);
	}
	pe = pfx_pkcs8_decrypt(der, len, password, PFX_MAX_ITERATIONS, pk, why,
	    sizeof(why));
	mbedtls_pem_free(&pem);
	return pe == PFX_OK ? 0 : pe == PFX_ERR_DECRYPT ||
	    pe == PFX_ERR_PASSWORD ? -2 : -1;
}

/*
 * A separate private key, PEM or DER, in clear or encrypted (PKCS#8, or
 * the traditional "Proc-Type: 4,ENCRYPTED" PEM) with password.  0, -1
 * unparseable, -2 wrong or missing password.
 */
static int
parse_key(const uint8_t *buf, size_t len, const char *password,
    mbedtls_pk_context *pk)
{
	const unsigned char *pw = (const unsigned char *)password;
	size_t pwlen = password ? strlen(password) : 0;
	uint8_t *z;
	int rc;

	if (!is_pem(buf, len)) {
		if (compat_pk_parse_key(pk, buf, len, NULL, 0) == 0)
			return 0;
		mbedtls_pk_free(pk);
		mbedtls_pk_init(pk);
		return password ? parse_pkcs8(NULL, buf, len, password, pk) :
		    -1;
	}
	if ((z = malloc(len + 1)) == NULL)
		return -1;
	memcpy(z, buf, len);
	z[len] = '\0';
	if (memmem(z, len, PKCS8_BEGIN, sizeof(PKCS8_BEGIN) - 1) != NULL)
		rc = password ? parse_pkcs8(z, NULL, 0, password, pk) : -2;
	else {
		rc = compat_pk_parse_key(pk, z, len + 1, pw, pwlen);
		rc = rc == 0 ? 0 : rc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED ||
		    rc == MBEDTLS_ERR_PK_PASSWORD_MISMATCH ? -2 : -1;
	}
	mbedtls_platform_zeroize(z, len + 1);
	free(z);
	return rc;
}

static int
is_ca(const mbedtls_x509_crt *c)
{
	return compat_crt_is_ca(c);
}

static const char *
purpose_str(unsigned p)
{
	return p == (KS_P_SIGN | KS_P_ENCRYPT) ? "signing and encryption" :
	    p == KS_P_SIGN ? "signing" : "encryption";
}

/* The checks of the issue, each with its own message, before writing. */
static int
check_leaf(const mbedtls_x509_crt *crt, mbedtls_pk_context *key,
    const struct ks_import_opts *o, struct ks_imported *im,
    struct ks_error *e)
{
	int64_t now = (int64_t)time(NULL);
	char email[KS_ACCOUNT_MAX + 1];
	unsigned want;

	if (key && compat_pk_check_pair(&crt->pk, key) != 0) {
		ks_error_set(e, EX_DATAERR, "the private key does not match "
		    "the certificate");
		return -1;
	}
	if (mbedtls_x509_crt_check_extended_key_usage(crt,
	    "\x2b\x06\x01\x05\x05\x07\x03\x04", 8) != 0) {
		ks_error_set(e, EX_DATAERR, "the certificate's extended key "
		    "usage does not include emailProtection");
		return -1;
	}
	im->purpose = ks_cert_purpose(crt);
	want = o->purpose ? o->purpose : key ? KS_P_SIGN : KS_P_ENCRYPT;
	if ((im->purpose & want) != want) {
		ks_error_set(e, EX_DATAERR, "the certificate's key usage does "
		    "not allow %s", purpose_str(want & ~im->purpose));
		return -1;
	}
	if (o->account) {
		if (ks_normalize_account(o->account, im->account,
		    sizeof(im->account)) == -1) {
			ks_error_set(e, EX_DATAERR, "%s: not an address or "
			    "@domain", o->account);
			return -1;
		}
	} else if (cms_cert_email(crt, email, sizeof(email)) == -1 ||
	    ks_normalize_account(email, im->account, sizeof(im->account))
	    == -1) {
		ks_error_set(e, EX_DATAERR, "the certificate has no email "
		    "address (SAN rfc822Name or subject emailAddress): give "
		    "--account");
		return -1;
	}
	im->expired = ks_x509_time(&crt->valid_to) < now;
	im->not_yet_valid = ks_x509_time(&crt->valid_from) > now;
	if ((im->expired || im->not_yet_valid) && !o->force) {
		ks_error_set(e, EX_DATAERR, "the certificate is %s; --force "
		    "imports it anyway", im->expired ? "expired" :
		    "not yet valid");
		return -1;
	}
	im->has_key = key != NULL;
	return 0;
}

/* DER of the intermediates that go with a leaf (all but leaf and roots). */
static int
chain_der(const mbedtls_x509_crt *leaf, const mbedtls_x509_crt *all,
    uint8_t **out, size_t *outlen)
{
	const mbedtls_x509_crt *c;
	size_t n = 0;
	uint8_t *p;

	*out = NULL;
	*outlen = 0;
	for (c = all; c && c->raw.p; c = c->next)
		if (c != leaf && is_ca(c))
			n += c->raw.len;
	if (n == 0)
		return 0;
	if ((p = malloc(n)) == NULL)
		return -1;
	n = 0;
	for (c = all; c && c->raw.p; c = c->next)
		if (c != leaf && is_ca(c)) {
			memcpy(p + n, c->raw.p, c->raw.len);
			n += c->raw.len;
		}
	*out = p;
	*outlen = n;
	return 0;
}

static void
set_primary(struct ks_store *s, const char *account, const char *fpr,
    unsigned purpose, int force)
{
	unsigned flag, have;
	size_t i;
	int k;

	for (k = 0; k < 2; k++) {
		flag = k == 0 ? KS_F_PRIMARY_SIGN : KS_F_PRIMARY_ENCRYPT;
		if (!(purpose & (k == 0 ? KS_P_SIGN : KS_P_ENCRYPT)))
			continue;
		have = 0;
		for (i = 0; i < s->nentries; i++)
			if (strcmp(s->entries[i]->account, account) == 0 &&
			    strcmp(s->entries[i]->fpr, fpr) != 0 &&
			    (s->entries[i]->flags & flag))
				have = 1;
		if (have && !force)
			continue;
		for (i = 0; i < s->nentries; i++)
			if (strcmp(s->entries[i]->account, account) == 0) {
				if (strcmp(s->entries[i]->fpr, fpr) == 0)
					s->entries[i]->flags |= flag;
				else
					s->entries[i]->flags &= ~flag;
			}
	}
}

/*
 * Write one identity: certificate, chain and sealed key blobs, then the
 * index entry.  The caller holds the lock and has checked everything.
 */
static int
write_identity(struct ks_store *s, const uint8_t *master,
    const mbedtls_x509_crt *crt, const mbedtls_x509_crt *all,
    mbedtls_pk_context *key, const char *account, enum ks_kind kind,
    int primary, struct ks_error *e)
{
	struct ks_entry *en;
	uint8_t der[KEY_DER_MAX], *sealed = NULL, *chain = NULL;
	size_t sealedlen, chainlen;
	char *path;
	int n, rc = -1;

	if ((en = calloc(1, sizeof(*en))) == NULL ||
	    ks_entry_from_cert(en, crt, account, kind) == -1) {
		free(en);
		ks_error_set(e, EX_SOFTWARE, "out of memory");
		return -1;
	}
	if ((path = ks_path(s, "certs", en->fpr, "der")) == NULL ||
	    ks_write_file(path, "certificate", crt->raw.p, crt->raw.len, e))
		goto done;
	free(path);
	path = NULL;
	if (chain_der(crt, all, &chain, &chainlen) == -1)
		goto done;
	if (chainlen && ((path = ks_path(s, "certs", en->fpr, "chain")) ==
	    NULL || ks_write_file(path, "chain", chain, chainlen, e)))
		goto done;
	free(path);
	path = NULL;
	if (key) {
		n = mbedtls_pk_write_key_der(key, der, sizeof(der));
		if (n <= 0 || ks_seal(master, en->fpr, der + sizeof(der) - n,
		    (size_t)n, &sealed, &sealedlen, e) == -1) {
			if (n <= 0)
				ks_error_set(e, EX_SOFTWARE, "key encoding");
			goto done;
		}
		if ((path = ks_path(s, "keys", en->fpr, "key")) == NULL ||
		    ks_write_file(path, "sealed key", sealed, sealedlen, e))
			goto done;
	}
	(void)ks_remove_entry(s, account, en->fpr);
	if (ks_add_entry(s, en, e) == -1)
		goto done;
	en = NULL;
	set_primary(s, account, s->entries[s->nentries - 1]->fpr,
	    s->entries[s->nentries - 1]->purpose, primary);
	rc = 0;
done:
	mbedtls_platform_zeroize(der, sizeof(der));
	if (en) {
		free(en->account);
		free(en->extra);
		free(en);
	}
	free(path);
	free(sealed);
	free(chain);
	return rc;
}

/* Lock, load, write one identity, save: for import and selfsign. */
int
ks_store_identity(const char *dir, const mbedtls_x509_crt *crt,
    const mbedtls_x509_crt *all, mbedtls_pk_context *key,
    const char *account, enum ks_kind kind, int primary, struct ks_error *e)
{
	uint8_t master[KS_MASTER_LEN];
	struct ks_store s;
	int lock, rc = -1;

	if ((lock = ks_lock(dir, e)) == -1)
		return -1;
	if (ks_open(&s, dir, e) == -1) {
		ks_unlock(lock);
		return -1;
	}
	if (key && ks_master_key(dir, master, e) == -1)
		goto done;
	if (write_identity(&s, master, crt, all, key, account, kind, primary,
	    e) == -1 || ks_save(&s, e) == -1)
		goto done;
	rc = 0;
done:
	mbedtls_platform_zeroize(master, sizeof(master));
	ks_close(&s);
	ks_unlock(lock);
	return rc;
}

/* A PKCS#12 file: its key and certificates into ours. */
static int
from_pfx(const uint8_t *buf, size_t len, const char *password,
    mbedtls_x509_crt *chain, mbedtls_pk_context *key, int *has_key,
    struct ks_error *e)
{
	struct pfx_contents pc;
	enum pfx_err pe;
	char why[200];
	size_t i;

	pe = pfx_parse(buf, len, password ? password : "", &pc, why,
	    sizeof(why));
	if (pe != PFX_OK) {
		ks_error_set(e, pe == PFX_ERR_PASSWORD ? EX_NOPERM :
		    EX_DATAERR, "%s", pe == PFX_ERR_PASSWORD ?
		    "wrong password for the PKCS#12 file" : why);
		pfx_contents_free(&pc);
		return -1;
	}
	for (i = 0; i < pc.ncerts; i++)
		if (mbedtls_x509_crt_parse_der(chain, pc.certs[i].der,
		    pc.certs[i].len) != 0) {
			pfx_contents_free(&pc);
			ks_error_set(e, EX_DATAERR, "a certificate in the "
			    "PKCS#12 file does not parse");
			return -1;
		}
	if (pc.has_key) {
		/* move the key: our context takes over, theirs is emptied */
		*key = pc.key;
		mbedtls_pk_init(&pc.key);
		pc.has_key = 0;
		*has_key = 1;
	}
	pfx_contents_free(&pc);
	return 0;
}

int
ks_import(const char *dir, const uint8_t *buf, size_t len,
    const struct ks_import_opts *o, struct ks_imported *out, size_t *nout,
    struct ks_error *e)
{
	mbedtls_x509_crt chain;
	const mbedtls_x509_crt *c, *leaves[KS_IMPORT_MAX];
	mbedtls_pk_context key;
	size_t n = 0, i;
	int has_key = 0, rc = -1;

	*nout = 0;
	mbedtls_x509_crt_init(&chain);
	mbedtls_pk_init(&key);
	if (!is_pem(buf, len) && mbedtls_x509_crt_parse_der(&chain, buf,
	    len) != 0) {
		mbedtls_x509_crt_free(&chain);
		mbedtls_x509_crt_init(&chain);
		if (from_p7(buf, len, &chain) == -1 && from_pfx(buf, len,
		    o->password, &chain, &key, &has_key, e) == -1)
			goto done;
	} else if (is_pem(buf, len) && parse_certs(buf, len, &chain) == -1) {
		ks_error_set(e, EX_DATAERR, "no certificate in the input");
		goto done;
	}
	if (o->key) {
		if (has_key) {
			ks_error_set(e, EX_DATAERR, "a PKCS#12 file brings its "
			    "own key: no --key with it");
			goto done;
		}
		switch (parse_key(o->key, o->keylen, o->password, &key)) {
		case -1:
			ks_error_set(e, EX_DATAERR, "the private key does not "
			    "parse");
			goto done;
		case -2:
			ks_error_set(e, EX_NOPERM, o->password ? "wrong password "
			    "for the private key" : "the private key is "
			    "encrypted: give its password (--password-file)");
			goto done;
		}
		has_key = 1;
	}
	/* with a key: its certificate; without: every end-entity one */
	for (c = &chain; c && c->raw.p && n < KS_IMPORT_MAX; c = c->next) {
		if (has_key ? compat_pk_check_pair(&c->pk, &key) == 0 :
		    !is_ca(c))
			leaves[n++] = c;
		if (has_key && n == 1)
			break;
	}
	if (n == 0) {
		ks_error_set(e, EX_DATAERR, has_key ? "the private key does "
		    "not match any certificate in the input" : "no end-entity "
		    "certificate in the input");
		goto done;
	}
	for (i = 0; i < n; i++)
		if (check_leaf(leaves[i], has_key ? &key : NULL, o, &out[i],
		    e) == -1)
			goto done;
	for (i = 0; i < n; i++) {
		if (ks_store_identity(dir, leaves[i], &chain, has_key ? &key :
		    NULL, out[i].account, has_key ? KS_INTERNAL : KS_EXTERNAL,
		    o->primary, e) == -1)
			goto done;
		(void)ks_fingerprint(leaves[i], out[i].fpr);
		*nout = i + 1;
	}
	rc = 0;
done:
	mbedtls_pk_free(&key);
	mbedtls_x509_crt_free(&chain);
	return rc;
}
