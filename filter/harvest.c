/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Keeping harvested certificates (inbound: harvest), in the process that
 * writes the store.  What a sandboxed process found in a message is
 * checked again here as if a parser bug had taken that process over:
 * the certificate must parse, name the address and allow signing mail,
 * and its chain, built from the issuers sent along, must lead to one of
 * our anchors, unless the rules keep self-signed or failed-verify
 * signers.  Otherwise a process taken over could plant its own key as
 * anyone's, and replies to that address would be encrypted to it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "certid.h"
#include "cms_chain.h"
#include "engine.h"
#include "log.h"

/* Already harvested with these capabilities (the store in memory)? */
static int
known(struct engine *g, const mbedtls_x509_crt *crt, const char *caps)
{
	const struct ks_entry *en;
	char fpr[KS_FPR_LEN + 1];
	const char *x;

	if (ks_fingerprint(crt, fpr) == -1 ||
	    (en = ks_by_fpr(&g->store, fpr)) == NULL ||
	    en->kind != KS_HARVESTED)
		return 0;
	x = en->extra && strncmp(en->extra, "caps=", 5) == 0 ? en->extra + 5 :
	    "";
	return strcmp(x, caps) == 0;
}

static int
named(const struct harvest *h)
{
	struct certid_addrs a;
	size_t i;

	if (certid_addrs(h->der, h->len, &a) == -1)
		return 0;
	for (i = 0; i < a.n; i++)
		if (strcasecmp(a.addr[i], h->email) == 0)
			return 1;
	return 0;
}

/*
 * The chain again, from certs[0] (the harvested certificate) through
 * the issuers that came with it; 1 when the rules keep what it says.
 */
static int
chain_kept(struct engine *g, mbedtls_x509_crt *certs, size_t n, char *why,
    size_t whysz)
{
	struct rules_inbound ib;
	struct cms_trust t;
	struct cms_budget b;
	enum cms_vstatus st;

	rules_inbound(g->rules, &ib);
	if (!ib.harvest) {
		(void)snprintf(why, whysz, "harvest: no");
		return 0;
	}
	if (cms_cert_self_signed(&certs[0]) && !ib.harvest_self_signed) {
		(void)snprintf(why, whysz, "self-signed");
		return 0;
	}
	idcache_trust_get(&g->ids, &g->store, &t);
	cms_budget_init(&b, NULL);
	why[0] = '\0';
	st = cms_chain_check(&certs[0], certs, n, &t, &cms_limits_default, &b,
	    why, whysz);
	if (st == CMS_V_OK)
		return 1;
	if (ib.harvest_failed && (st == CMS_V_UNTRUSTED ||
	    st == CMS_V_EXPIRED || st == CMS_V_NOT_YET_VALID))
		return 1;
	if (why[0] == '\0')
		(void)snprintf(why, whysz, "%s", cms_vstatus_str(st));
	return 0;
}

/*
 * Write a harvested certificate if it checks out here.  (Its validity
 * is checked again where it is used; a self-signed one often says CA,
 * as openssl makes them.)
 */
void
engine_harvest_store(struct engine *g, const struct harvest *h)
{
	mbedtls_x509_crt certs[1 + HARVEST_CHAIN];
	struct ks_error e;
	char why[160];
	size_t i, n = 0;

	if (!g->have_store)
		return;
	for (i = 0; i < 1 + HARVEST_CHAIN; i++)
		mbedtls_x509_crt_init(&certs[i]);
	if (!named(h) ||
	    mbedtls_x509_crt_parse_der(&certs[0], h->der, h->len) != 0 ||
	    cms_cert_mail_usage(&certs[0]) != CMS_V_OK) {
		log_warnx("harvest %s: not a certificate for it, not kept",
		    h->email);
		goto done;
	}
	if (known(g, &certs[0], h->caps))
		goto done;
	/* an issuer that does not parse is one the chain cannot use */
	for (n = 1, i = 0; i < h->nchain && i < HARVEST_CHAIN; i++)
		if (mbedtls_x509_crt_parse_der(&certs[n], h->chain[i],
		    h->chainlen[i]) == 0)
			n++;
	if (!chain_kept(g, certs, n, why, sizeof(why)))
		log_warnx("harvest %s: the certificate does not check out here "
		    "(%s), not kept", h->email, why);
	else if (ks_harvest(g->store_dir, &certs[0], h->email, h->caps, 0,
	    &e) == -1)
		log_warnx("harvest %s: %s", h->email, e.msg);
done:
	for (i = 0; i < 1 + HARVEST_CHAIN; i++)
		mbedtls_x509_crt_free(&certs[i]);
}
