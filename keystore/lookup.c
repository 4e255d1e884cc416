/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The filter's questions.  Everything is answered from the index in
 * memory; only a chosen certificate or key is read from its file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <mbedtls/platform_util.h>

#include "ber.h"
#include "ks.h"
#include "mbedtls_compat.h"


#define CERT_MAX	(64 * 1024)

static int
valid_at(const struct ks_entry *en, time_t now)
{
	return en->not_before <= (int64_t)now && (int64_t)now <= en->not_after;
}

struct pick {
	const struct ks_entry *best;	/* valid, primary or newest */
	const struct ks_entry *expired;
	const struct ks_entry *future;
	const struct ks_entry *revoked;
};

/* Among an account's entries that qualify, choose as the issue says. */
static void
choose(const struct ks_entry *en, time_t now, unsigned purpose,
    unsigned primary, int harvested, struct pick *pk)
{
	for (; en != NULL; en = en->next_in_account) {
		if (en->state != KS_CURRENT || !(en->purpose & purpose))
			continue;
		if ((en->kind == KS_HARVESTED) != harvested)
			continue;
		if (purpose == KS_P_SIGN && en->kind != KS_INTERNAL)
			continue;
		if (en->revoked) {	/* OCSP said so (revocation.c) */
			pk->revoked = en;
			continue;
		}
		if (!valid_at(en, now)) {
			if (en->not_after < (int64_t)now)
				pk->expired = en;
			else
				pk->future = en;
			continue;
		}
		if (pk->best == NULL || ((en->flags & primary) &&
		    !(pk->best->flags & primary)) ||
		    (!(pk->best->flags & primary) &&
		    en->not_before > pk->best->not_before))
			pk->best = en;
	}
}

static enum ks_answer
answer(const struct pick *pk, const struct ks_entry **out)
{
	if (pk->best) {
		*out = pk->best;
		return KS_FOUND;
	}
	if (pk->expired) {
		*out = pk->expired;
		return KS_EXPIRED;
	}
	if (pk->future) {
		*out = pk->future;
		return KS_NOT_YET_VALID;
	}
	if (pk->revoked) {
		*out = pk->revoked;
		return KS_REVOKED;
	}
	*out = NULL;
	return KS_NONE;
}

/* The address's own account, then its domain's ("@example.org"). */
static void
accounts_of(const char *addr, char *acct, size_t acctsz, char *dom,
    size_t domsz)
{
	const char *at;

	if (ks_normalize_account(addr, acct, acctsz) == -1) {
		acct[0] = dom[0] = '\0';
		return;
	}
	at = strrchr(acct, '@');
	(void)strlcpy(dom, at, domsz);
}

enum ks_answer
ks_sign_identity(const struct ks_store *s, const char *sender, time_t now,
    const struct ks_entry **out)
{
	char acct[KS_ACCOUNT_MAX + 1], dom[KS_ACCOUNT_MAX + 1];
	struct pick pk;

	memset(&pk, 0, sizeof(pk));
	accounts_of(sender, acct, sizeof(acct), dom, sizeof(dom));
	if (acct[0] == '\0')
		return answer(&pk, out);
	choose(ks_map_get(s->by_account, acct), now, KS_P_SIGN,
	    KS_F_PRIMARY_SIGN, 0, &pk);
	if (pk.best == NULL)
		choose(ks_map_get(s->by_account, dom), now, KS_P_SIGN,
		    KS_F_PRIMARY_SIGN, 0, &pk);
	return answer(&pk, out);
}

enum ks_answer
ks_encrypt_cert(const struct ks_store *s, const char *rcpt, time_t now,
    int use_harvested, const struct ks_entry **out)
{
	char acct[KS_ACCOUNT_MAX + 1], dom[KS_ACCOUNT_MAX + 1];
	const struct ks_entry *list;
	struct pick pk;

	memset(&pk, 0, sizeof(pk));
	accounts_of(rcpt, acct, sizeof(acct), dom, sizeof(dom));
	if (acct[0] == '\0')
		return answer(&pk, out);
	list = ks_map_get(s->by_account, acct);
	choose(list, now, KS_P_ENCRYPT, KS_F_PRIMARY_ENCRYPT, 0, &pk);
	if (pk.best == NULL && use_harvested)
		choose(list, now, KS_P_ENCRYPT, KS_F_PRIMARY_ENCRYPT, 1, &pk);
	if (pk.best == NULL)
		choose(ks_map_get(s->by_account, dom), now, KS_P_ENCRYPT,
		    KS_F_PRIMARY_ENCRYPT, 0, &pk);
	return answer(&pk, out);
}

const struct ks_entry *
ks_by_idhash(const struct ks_store *s, const char *h)
{
	return ks_map_get(s->by_idhash, h);
}

const struct ks_entry *
ks_by_ski(const struct ks_store *s, const char *ski)
{
	return ks_map_get(s->by_ski, ski);
}

const struct ks_entry *
ks_by_fpr(const struct ks_store *s, const char *fpr)
{
	return ks_map_get(s->by_fpr, fpr);
}

const struct ks_entry *
ks_account_entries(const struct ks_store *s, const char *account)
{
	char acct[KS_ACCOUNT_MAX + 1];

	if (ks_normalize_account(account, acct, sizeof(acct)) == -1)
		return NULL;
	return ks_map_get(s->by_account, acct);
}

int
ks_load_cert(const struct ks_store *s, const struct ks_entry *en,
    mbedtls_x509_crt *crt, struct ks_error *e)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (ks_read_blob(s, "certs", en->fpr, "der", &buf, &len, CERT_MAX) ==
	    -1) {
		ks_error_set(e, EX_NOINPUT, "certs/%.16s...: %s", en->fpr,
		    strerror(errno));
		return -1;
	}
	rc = mbedtls_x509_crt_parse_der(crt, buf, len);
	free(buf);
	if (rc != 0) {
		ks_error_set(e, EX_DATAERR, "certs/%.16s...: not a certificate",
		    en->fpr);
		return -1;
	}
	return 0;
}

/* Unseal the entry's key into pk; key bytes are wiped on every path. */
int
ks_load_key(const struct ks_store *s, const uint8_t *master,
    const struct ks_entry *en, mbedtls_pk_context *pk, struct ks_error *e)
{
	uint8_t *sealed, *der;
	size_t len, derlen;
	char *path;
	int rc;

	if (en->kind != KS_INTERNAL) {
		ks_error_set(e, EX_NOINPUT, "%s: no private key", en->account);
		return -1;
	}
	if ((path = ks_path(s, "keys", en->fpr, "key")) == NULL) {
		ks_error_set(e, EX_SOFTWARE, "out of memory");
		return -1;
	}
	if (ks_read_file(path, &sealed, &len, CERT_MAX) == -1) {
		ks_error_set(e, EX_NOINPUT, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	rc = ks_unseal(master, en->fpr, sealed, len, &der, &derlen, e);
	free(sealed);
	if (rc == -1)
		return -1;
	rc = compat_pk_parse_key(pk, der, derlen, NULL, 0);
	mbedtls_platform_zeroize(der, derlen);
	free(der);
	if (rc != 0) {
		ks_error_set(e, EX_DATAERR, "sealed key of %.16s...: does not "
		    "parse", en->fpr);
		return -1;
	}
	return 0;
}

/* The intermediates stored with a certificate (none is not an error). */
int
ks_load_chain(const struct ks_store *s, const struct ks_entry *en,
    mbedtls_x509_crt *chain)
{
	struct ber_reader r;
	struct ber_elem el;
	uint8_t *buf;
	size_t len;
	int rc = 0;

	if (ks_read_blob(s, "certs", en->fpr, "chain", &buf, &len, 1 << 20) ==
	    -1)
		return errno == ENOENT ? 0 : -1;
	ber_reader_init(&r, buf, len, 0);
	while (ber_next(&r, &el) == BER_OK)
		if (mbedtls_x509_crt_parse_der(chain, el.raw, el.rawlen) != 0)
			rc = -1;
	free(buf);
	return rc;
}
