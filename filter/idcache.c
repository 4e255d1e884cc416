/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The engine's caches (see idcache.h).  Both are least-recently-used:
 * a message needs at most CMS_MAX_RECIPIENTS + 1 certificates and 8
 * decryption identities, fewer than each holds, and those are the most
 * recently used, so a message never loses one it took.  Slots are taken
 * in order and only those taken are searched: a process that needs two
 * entries never touches the pages of the other 158.
 */
#include <string.h>
#include <time.h>

#include "cms.h"
#include "idcache.h"
#include "pembundle.h"

#ifndef SYSTEM_CA_BUNDLE
#define SYSTEM_CA_BUNDLE	"/etc/ssl/certs/ca-certificates.crt"
#endif

static void
ident_clear(struct engine_ident *id)
{
	if (id->fpr[0] == '\0')
		return;
	mbedtls_x509_crt_free(&id->crt);
	mbedtls_x509_crt_free(&id->chain);
	memset(id, 0, sizeof(*id));
}

void
idcache_clear(struct idcache *c)
{
	size_t i;

	for (i = 0; i < c->nidents; i++)
		ident_clear(&c->idents[i]);
	for (i = 0; i < c->ncerts; i++)
		if (c->certs[i].fpr[0]) {
			mbedtls_x509_crt_free(&c->certs[i].crt);
			memset(&c->certs[i], 0, sizeof(c->certs[i]));
		}
	if (c->trust_loaded) {
		mbedtls_x509_crt_free(&c->anchors);
		c->trust_loaded = 0;
	}
	if (c->crls_loaded) {
		mbedtls_x509_crl_free(&c->crls);
		c->crls_loaded = 0;
	}
	c->nidents = c->ncerts = 0;
	c->tick = 0;	/* all zero again, as engine_free needs */
}

const mbedtls_x509_crt *
idcache_cert(struct idcache *c, const struct ks_store *store,
    const struct ks_entry *en)
{
	struct engine_cert *ec, *victim = &c->certs[0];
	struct ks_error e;
	size_t i;

	for (i = 0; i < c->ncerts; i++) {
		ec = &c->certs[i];
		if (strcmp(ec->fpr, en->fpr) == 0) {
			ec->used = ++c->tick;
			return &ec->crt;
		}
		if (ec->used < victim->used)
			victim = ec;
	}
	if (c->ncerts < IDCACHE_CERTS)
		victim = &c->certs[c->ncerts++];
	if (victim->fpr[0])
		mbedtls_x509_crt_free(&victim->crt);
	memset(victim, 0, sizeof(*victim));
	mbedtls_x509_crt_init(&victim->crt);
	if (ks_load_cert(store, en, &victim->crt, &e) == -1) {
		mbedtls_x509_crt_free(&victim->crt);
		memset(victim, 0, sizeof(*victim));
		return NULL;
	}
	(void)strlcpy(victim->fpr, en->fpr, sizeof(victim->fpr));
	victim->used = ++c->tick;
	return &victim->crt;
}

/*
 * An identity ready to use: its certificates from the cache or the
 * store, its key the key process's (which unseals it and checks it
 * against the certificate on first use).
 */
struct engine_ident *
idcache_ident(struct idcache *c, const struct ks_store *store,
    const struct ks_entry *en, struct ks_error *e)
{
	struct engine_ident *id, *victim = &c->idents[0];
	size_t i;

	for (i = 0; i < c->nidents; i++) {
		id = &c->idents[i];
		if (strcmp(id->fpr, en->fpr) == 0) {
			id->used = ++c->tick;
			return id;
		}
		if (id->used < victim->used)
			victim = id;
	}
	if (c->nidents < IDCACHE_IDENTS)
		victim = &c->idents[c->nidents++];
	ident_clear(victim);
	mbedtls_x509_crt_init(&victim->crt);
	mbedtls_x509_crt_init(&victim->chain);
	if (ks_load_cert(store, en, &victim->crt, e) == -1) {
		mbedtls_x509_crt_free(&victim->crt);
		mbedtls_x509_crt_free(&victim->chain);
		memset(victim, 0, sizeof(*victim));
		return NULL;
	}
	(void)ks_load_chain(store, en, &victim->chain);
	key_remote_init(&victim->key, en->fpr, cms_keyop_type(&victim->crt.pk));
	(void)strlcpy(victim->fpr, en->fpr, sizeof(victim->fpr));
	victim->used = ++c->tick;
	return victim;
}

/* The store's CRLs alone: what checking recipients needs (cheap). */
void
idcache_crls(struct idcache *c, const struct ks_store *store)
{
	if (c->crls_loaded)
		return;
	mbedtls_x509_crl_init(&c->crls);
	if (store != NULL)
		(void)ks_crls(store, &c->crls);
	c->crls_loaded = 1;
}

/* The anchors too (the system bundle: some 150 certificates to parse). */
void
idcache_trust(struct idcache *c, const struct ks_store *store)
{
	idcache_crls(c, store);
	if (c->trust_loaded)
		return;
	mbedtls_x509_crt_init(&c->anchors);
	(void)ks_pem_bundle(SYSTEM_CA_BUNDLE, &c->anchors);
	if (store != NULL)
		(void)ks_trust_anchors(store, &c->anchors);
	c->trust_loaded = 1;
}

/* The store's next CRL from crt's issuer after crl (NULL: the first). */
static const mbedtls_x509_crl *
issuer_crl(struct idcache *c, const struct ks_store *store,
    const mbedtls_x509_crt *crt, const mbedtls_x509_crl *crl)
{
	idcache_crls(c, store);
	for (crl = crl == NULL ? &c->crls : crl->next;
	    crl != NULL && crl->version != 0; crl = crl->next)
		if (crl->issuer_raw.len == crt->issuer_raw.len &&
		    memcmp(crl->issuer_raw.p, crt->issuer_raw.p,
		    crt->issuer_raw.len) == 0)
			return crl;
	return NULL;
}

/*
 * Does a CRL of the store, from crt's issuer, list crt?  (Those CRLs
 * were imported by the admin or fetched and checked by smimectl.)
 */
int
idcache_revoked(struct idcache *c, const struct ks_store *store,
    const mbedtls_x509_crt *crt)
{
	const mbedtls_x509_crl *crl = NULL;

	while ((crl = issuer_crl(c, store, crt, crl)) != NULL)
		if (mbedtls_x509_crt_is_revoked(crt, crl) != 0)
			return 1;
	return 0;
}

int
idcache_crl_current(struct idcache *c, const struct ks_store *store,
    const mbedtls_x509_crt *crt)
{
	const mbedtls_x509_crl *crl = NULL;

	while ((crl = issuer_crl(c, store, crt, crl)) != NULL)
		if (!mbedtls_x509_time_is_future(&crl->this_update) &&
		    !mbedtls_x509_time_is_past(&crl->next_update))
			return 1;
	return 0;
}

void
idcache_trust_get(struct idcache *c, const struct ks_store *store,
    struct cms_trust *t)
{
	idcache_trust(c, store);
	memset(t, 0, sizeof(*t));
	t->anchors = &c->anchors;
	t->crls = c->crls.version ? &c->crls : NULL;
	t->at = time(NULL);
}
