/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * What the engine keeps between messages, parsed once: signing and
 * decryption identities (certificate, chain, and a handle on the key the
 * key process holds), recipients' certificates, and the trust anchors
 * and CRLs inbound verification uses.  Outbound (engine.c) and inbound
 * (inbound.c) both use it; it uses only the keystore.
 */
#ifndef IDCACHE_H
#define IDCACHE_H

#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "keyproc.h"
#include "ks.h"

struct cms_trust;

#define IDCACHE_IDENTS	32
#define IDCACHE_CERTS	128	/* > CMS_MAX_RECIPIENTS + 1, see plan_add */

/* A signing or decryption identity: its key stays in the key process. */
struct engine_ident {
	char			 fpr[KS_FPR_LEN + 1];
	mbedtls_x509_crt	 crt;
	mbedtls_x509_crt	 chain;
	struct key_remote	 key;
	unsigned long		 used;
};

struct engine_cert {
	char			 fpr[KS_FPR_LEN + 1];
	mbedtls_x509_crt	 crt;
	unsigned long		 used;
};

struct idcache {
	struct engine_ident	 idents[IDCACHE_IDENTS];
	struct engine_cert	 certs[IDCACHE_CERTS];	/* recipients' */
	mbedtls_x509_crt	 anchors;		/* inbound trust */
	mbedtls_x509_crl	 crls;
	int			 trust_loaded;	/* anchors */
	int			 crls_loaded;
	unsigned long		 tick;
	size_t			 nidents;	/* slots taken so far */
	size_t			 ncerts;
};

/* Everything forgotten (a new keystore index): loaded again on use. */
void	 idcache_clear(struct idcache *);
struct engine_ident *idcache_ident(struct idcache *, const struct ks_store *,
	    const struct ks_entry *, struct ks_error *);
const mbedtls_x509_crt *idcache_cert(struct idcache *,
	    const struct ks_store *, const struct ks_entry *);
/* The system bundle and the store's anchors and CRLs (store may be NULL). */
void	 idcache_trust(struct idcache *, const struct ks_store *);
/* Those, loaded if need be, as t: validation now, no budget of its own. */
void	 idcache_crls(struct idcache *, const struct ks_store *);
int	 idcache_revoked(struct idcache *, const struct ks_store *,
	    const mbedtls_x509_crt *);
/* 1 when the store has a CRL from crt's issuer that is current. */
int	 idcache_crl_current(struct idcache *, const struct ks_store *,
	    const mbedtls_x509_crt *);
void	 idcache_trust_get(struct idcache *, const struct ks_store *,
	    struct cms_trust *);

#endif
