/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Private keys at rest: AES-256-GCM under the store's master key.
 *
 *   file = "FSK1" || nonce (12 random octets) || ciphertext || tag (16)
 *   AAD  = "filter-smime-key:" || certificate fingerprint
 *
 * The AAD binds a sealed key to its certificate, so keys cannot be
 * swapped between files unnoticed.  The plaintext is the key's DER
 * (PKCS#1, SEC1 or PKCS#8, as mbedtls_pk_write_key_der gives it).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <mbedtls/gcm.h>
#include <mbedtls/platform_util.h>

#include "ks.h"
#include "mime.h"


#define MAGIC		"FSK1"
#define MAGIC_LEN	4
#define NONCE_LEN	12
#define TAG_LEN		16

static int
key_from_hex(const char *hex, uint8_t key[KS_MASTER_LEN])
{
	size_t i;
	int hi, lo;

	if (strlen(hex) != 2 * KS_MASTER_LEN)
		return -1;
	for (i = 0; i < KS_MASTER_LEN; i++) {
		if ((hi = mime_hexval(hex[2 * i])) < 0 ||
		    (lo = mime_hexval(hex[2 * i + 1])) < 0)
			return -1;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int
key_from_file(const char *path, uint8_t key[KS_MASTER_LEN],
    struct ks_error *e)
{
	struct stat st;
	uint8_t *buf;
	size_t len;

	if (stat(path, &st) == -1 || ks_read_file(path, &buf, &len, 4096)
	    == -1) {
		ks_error_set(e, EX_NOINPUT, "master key %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (st.st_mode & S_IRWXO) {
		mbedtls_platform_zeroize(buf, len);
		free(buf);
		ks_error_set(e, EX_NOPERM, "master key %s: readable by others "
		    "(mode %03o)", path, st.st_mode & 0777);
		return -1;
	}
	if (len != KS_MASTER_LEN) {
		mbedtls_platform_zeroize(buf, len);
		free(buf);
		ks_error_set(e, EX_CONFIG, "master key %s: %zu bytes, want %d",
		    path, len, KS_MASTER_LEN);
		return -1;
	}
	memcpy(key, buf, KS_MASTER_LEN);
	mbedtls_platform_zeroize(buf, len);
	free(buf);
	return 0;
}

/*
 * The master key: $FILTER_SMIME_MASTER_KEY_FILE, else
 * $FILTER_SMIME_MASTER_KEY (64 hex digits), else STORE/master.key.
 */
int
ks_master_key(const char *dir, uint8_t key[KS_MASTER_LEN], struct ks_error *e)
{
	const char *v;
	char path[4096];

	if ((v = getenv("FILTER_SMIME_MASTER_KEY_FILE")) != NULL && *v)
		return key_from_file(v, key, e);
	if ((v = getenv("FILTER_SMIME_MASTER_KEY")) != NULL && *v) {
		if (key_from_hex(v, key) == -1) {
			ks_error_set(e, EX_CONFIG, "FILTER_SMIME_MASTER_KEY: "
			    "want %d hex digits", 2 * KS_MASTER_LEN);
			return -1;
		}
		return 0;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/master.key", dir) >=
	    sizeof(path)) {
		ks_error_set(e, EX_CONFIG, "%s: path too long", dir);
		return -1;
	}
	return key_from_file(path, key, e);
}

static int
make_aad(const char *fpr, uint8_t *aad, size_t *len)
{
	static const char prefix[] = "filter-smime-key:";
	size_t n = strlen(fpr);

	if (n != KS_FPR_LEN)
		return -1;
	memcpy(aad, prefix, sizeof(prefix) - 1);
	memcpy(aad + sizeof(prefix) - 1, fpr, n);
	*len = sizeof(prefix) - 1 + n;
	return 0;
}

int
ks_seal(const uint8_t master[KS_MASTER_LEN], const char *fpr,
    const uint8_t *plain, size_t len, uint8_t **out, size_t *outlen,
    struct ks_error *e)
{
	mbedtls_gcm_context gcm;
	uint8_t aad[64 + KS_FPR_LEN], *p;
	size_t aadlen;
	int rc;

	if (make_aad(fpr, aad, &aadlen) == -1 ||
	    len > SIZE_MAX - MAGIC_LEN - NONCE_LEN - TAG_LEN) {
		ks_error_set(e, EX_SOFTWARE, "seal: bad arguments");
		return -1;
	}
	if ((p = malloc(MAGIC_LEN + NONCE_LEN + len + TAG_LEN)) == NULL) {
		ks_error_set(e, EX_SOFTWARE, "out of memory");
		return -1;
	}
	memcpy(p, MAGIC, MAGIC_LEN);
	if (getentropy(p + MAGIC_LEN, NONCE_LEN) == -1) {
		free(p);
		ks_error_set(e, EX_SOFTWARE, "getentropy: %s", strerror(errno));
		return -1;
	}
	mbedtls_gcm_init(&gcm);
	rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, master, 256);
	if (rc == 0)
		rc = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len,
		    p + MAGIC_LEN, NONCE_LEN, aad, aadlen, plain,
		    p + MAGIC_LEN + NONCE_LEN, TAG_LEN,
		    p + MAGIC_LEN + NONCE_LEN + len);
	mbedtls_gcm_free(&gcm);
	if (rc != 0) {
		free(p);
		ks_error_set(e, EX_SOFTWARE, "seal: AES-GCM failed");
		return -1;
	}
	*out = p;
	*outlen = MAGIC_LEN + NONCE_LEN + len + TAG_LEN;
	return 0;
}

/* The key DER; the caller wipes and frees it. */
int
ks_unseal(const uint8_t master[KS_MASTER_LEN], const char *fpr,
    const uint8_t *sealed, size_t len, uint8_t **out, size_t *outlen,
    struct ks_error *e)
{
	mbedtls_gcm_context gcm;
	uint8_t aad[64 + KS_FPR_LEN], *p;
	size_t aadlen, n;
	int rc;

	if (len < MAGIC_LEN + NONCE_LEN + TAG_LEN + 1 ||
	    memcmp(sealed, MAGIC, MAGIC_LEN) != 0 ||
	    make_aad(fpr, aad, &aadlen) == -1) {
		ks_error_set(e, EX_DATAERR, "sealed key for %.16s...: not a "
		    "sealed key file", fpr);
		return -1;
	}
	n = len - MAGIC_LEN - NONCE_LEN - TAG_LEN;
	if ((p = malloc(n)) == NULL) {
		ks_error_set(e, EX_SOFTWARE, "out of memory");
		return -1;
	}
	mbedtls_gcm_init(&gcm);
	rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, master, 256);
	if (rc == 0)
		rc = mbedtls_gcm_auth_decrypt(&gcm, n, sealed + MAGIC_LEN,
		    NONCE_LEN, aad, aadlen, sealed + len - TAG_LEN, TAG_LEN,
		    sealed + MAGIC_LEN + NONCE_LEN, p);
	mbedtls_gcm_free(&gcm);
	if (rc != 0) {
		mbedtls_platform_zeroize(p, n);
		free(p);
		ks_error_set(e, EX_DATAERR, "sealed key for %.16s...: does not "
		    "unseal (wrong master key or damaged file)", fpr);
		return -1;
	}
	*out = p;
	*outlen = n;
	return 0;
}
