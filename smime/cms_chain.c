/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Chain building with bounded work.  Given every certificate a message
 * brings, mbedTLS tries each one whose subject matches an issuer, with a
 * public-key operation per try: 31 look-alike CA certificates with big
 * RSA exponents cost tens of seconds per signer.  So the path is chosen
 * here by names, CA bit and keyCertSign, before any signature is
 * checked; a path longer than the bound is refused; the operations
 * mbedTLS can make on it are counted (an upper bound: anchors and CRLs
 * named like each issuer, look-alikes further up the path) and taken
 * from the message's budget; and mbedTLS is given that path alone.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/x509_crl.h>

#include "cms_chain.h"
#include "mbedtls_compat.h"

struct cms_path {
	mbedtls_x509_crt *crt[CMS_MAX_CHAIN];
	size_t		 n;
};

/* What mbedTLS said about each certificate of the chain it built. */
struct vrfy_ctx {
	time_t		 at;
	uint32_t	 flags[CMS_MAX_CHAIN + 2];
	mbedtls_x509_crt *crt[CMS_MAX_CHAIN + 2];
	size_t		 top;		/* depth of the last one */
	int		 seen;
	int		 expired;
	int		 future;
};

void
cms_budget_init(struct cms_budget *b, const struct cms_limits *lim)
{
	b->left = (lim != NULL ? lim : &cms_limits_default)->pkops;
	b->spent = 0;
}

int
cms_budget_take(struct cms_budget *b, unsigned n)
{
	if (n > b->left)
		return -1;
	b->left -= n;
	b->spent += n;
	return 0;
}

static int
ascii_caseeq(const unsigned char *a, const unsigned char *b, size_t n)
{
	size_t i;
	unsigned char x, y;

	for (i = 0; i < n; i++) {
		x = a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i];
		y = b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i];
		if (x != y)
			return 0;
	}
	return 1;
}

/*
 * Names that mbedTLS could take for equal: same attribute types, values
 * equal but for ASCII case, whatever the string types.  Looser than its
 * own comparison, so counting with it never counts too few.
 */
static int
name_like(const mbedtls_x509_name *a, const mbedtls_x509_name *b)
{
	for (; a != NULL && b != NULL; a = a->next, b = b->next) {
		if (a->oid.len != b->oid.len || a->val.len != b->val.len ||
		    (a->oid.len > 0 && memcmp(a->oid.p, b->oid.p,
		    a->oid.len) != 0) ||
		    !ascii_caseeq(a->val.p, b->val.p, a->val.len))
			return 0;
	}
	return a == NULL && b == NULL;
}

static size_t
anchors_named(const struct cms_trust *t, const mbedtls_x509_crt *child)
{
	const mbedtls_x509_crt *a;
	size_t n = 0;

	for (a = t->anchors; a != NULL && a->raw.p != NULL; a = a->next)
		if (name_like(&child->issuer, &a->subject))
			n++;
	return n;
}

static size_t
crls_named(const struct cms_trust *t, const mbedtls_x509_crt *child)
{
	const mbedtls_x509_crl *c;
	size_t n = 0;

	for (c = t->crls; c != NULL && c->version != 0; c = c->next)
		if (name_like(&child->issuer, &c->issuer))
			n++;
	return n;
}

/* x509 time against a time_t, in UTC. */
static int
x509_time_cmp(const mbedtls_x509_time *t, time_t at)
{
	struct tm tm;
	long a[6], b[6];
	int i;

	if (gmtime_r(&at, &tm) == NULL)
		return 0;
	a[0] = t->year; a[1] = t->mon; a[2] = t->day;
	a[3] = t->hour; a[4] = t->min; a[5] = t->sec;
	b[0] = tm.tm_year + 1900L; b[1] = tm.tm_mon + 1L; b[2] = tm.tm_mday;
	b[3] = tm.tm_hour; b[4] = tm.tm_min; b[5] = tm.tm_sec;
	for (i = 0; i < 6; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/* Is c within its validity at the time at? */
int
cms_cert_valid_at(const mbedtls_x509_crt *c, time_t at)
{
	return x509_time_cmp(&c->valid_to, at) >= 0 &&
	    x509_time_cmp(&c->valid_from, at) <= 0;
}

static int
on_path(const struct cms_path *p, const mbedtls_x509_crt *c)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->crt[i] == c)
			return 1;
	return 0;
}

/*
 * The issuer of the path's last certificate among the message's: a CA
 * that may sign certificates, valid at the time if one is (the choice
 * mbedTLS makes among look-alikes), not on the path already.
 */
static mbedtls_x509_crt *
pick_parent(const struct cms_path *p, mbedtls_x509_crt *certs, size_t n,
    time_t at)
{
	const mbedtls_x509_crt *child = p->crt[p->n - 1];
	mbedtls_x509_crt *c, *fallback = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		c = &certs[i];
		if (on_path(p, c) || !name_like(&child->issuer, &c->subject) ||
		    !compat_crt_is_ca(c) || mbedtls_x509_crt_check_key_usage(c,
		    MBEDTLS_X509_KU_KEY_CERT_SIGN) != 0)
			continue;
		if (cms_cert_valid_at(c, at))
			return c;
		if (fallback == NULL)
			fallback = c;
	}
	return fallback;
}

/* The path up to an anchor's name, or as far as the message goes. */
static enum cms_vstatus
build_path(mbedtls_x509_crt *signer, mbedtls_x509_crt *certs, size_t n,
    const struct cms_trust *t, size_t max, struct cms_path *p, char *why,
    size_t whysz)
{
	mbedtls_x509_crt *parent;

	p->crt[0] = signer;
	p->n = 1;
	while (anchors_named(t, p->crt[p->n - 1]) == 0 &&
	    (parent = pick_parent(p, certs, n, t->at)) != NULL) {
		if (p->n >= max) {
			snprintf(why, whysz, "more than %zu certificates "
			    "before a trust anchor", max);
			return CMS_V_CHAIN_LENGTH;
		}
		p->crt[p->n++] = parent;
	}
	return CMS_V_OK;
}

/*
 * At most how many public-key operations mbedTLS makes on this path:
 * for each certificate, every anchor named like its issuer (tried until
 * one verifies), every look-alike above it on the path (tried until one
 * is valid), and every CRL of its issuer (each one's signature).
 */
static unsigned
path_cost(const struct cms_path *p, const struct cms_trust *t)
{
	size_t i, j, cost = 0;

	for (i = 0; i < p->n; i++) {
		cost += anchors_named(t, p->crt[i]) + crls_named(t, p->crt[i]);
		for (j = i + 1; j < p->n; j++)
			if (name_like(&p->crt[i]->issuer, &p->crt[j]->subject))
				cost++;
	}
	return cost > UINT_MAX ? UINT_MAX : (unsigned)cost;
}

/* mbedTLS checks validity against now only: we check against at. */
static int
vrfy_cb(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct vrfy_ctx *v = arg;

	if (depth >= 0 && (size_t)depth < CMS_MAX_CHAIN + 2) {
		v->flags[depth] = *flags;
		v->crt[depth] = crt;
		if (!v->seen || (size_t)depth > v->top)
			v->top = (size_t)depth;
		v->seen = 1;
	}
	*flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED |
	    MBEDTLS_X509_BADCERT_FUTURE);
	if (x509_time_cmp(&crt->valid_to, v->at) < 0)
		v->expired = 1;
	if (x509_time_cmp(&crt->valid_from, v->at) > 0)
		v->future = 1;
	return 0;
}

static void
dn(char *out, size_t outsz, const mbedtls_x509_name *n)
{
	if (mbedtls_x509_dn_gets(out, outsz, n) < 0)
		(void)snprintf(out, outsz, "?");
}

/*
 * The first real cause, up the chain mbedTLS built: a certificate its
 * parent did not sign (NOT_TRUSTED below the top, or at the top under
 * an anchor's name), an issuer without an anchor, another defect
 * (weak hash or key), then validity, then revocation.
 */
static enum cms_vstatus
classify(const struct vrfy_ctx *v, const struct cms_trust *t, char *why,
    size_t whysz)
{
	const uint32_t nt = MBEDTLS_X509_BADCERT_NOT_TRUSTED;
	const uint32_t rv = MBEDTLS_X509_BADCERT_REVOKED;
	char name[200];
	uint32_t other = 0;
	size_t d;

	for (d = 0; d <= v->top; d++) {
		if (!(v->flags[d] & nt) || v->crt[d] == NULL)
			continue;
		if (d < v->top || anchors_named(t, v->crt[d]) > 0) {
			dn(name, sizeof(name), &v->crt[d]->subject);
			snprintf(why, whysz, "the signature on %s does not "
			    "verify", name);
			return CMS_V_CHAIN_SIGNATURE;
		}
		dn(name, sizeof(name), &v->crt[d]->issuer);
		snprintf(why, whysz, "no trust anchor for %s", name);
		return CMS_V_UNTRUSTED;
	}
	for (d = 0; d <= v->top; d++)
		other |= v->flags[d] & ~(nt | rv |
		    MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE);
	if (other != 0) {
		(void)mbedtls_x509_crt_verify_info(why, whysz, "", other);
		why[strcspn(why, "\n")] = '\0';
		return CMS_V_UNTRUSTED;
	}
	if (v->expired)
		return CMS_V_EXPIRED;
	if (v->future)
		return CMS_V_NOT_YET_VALID;
	for (d = 0; d <= v->top; d++)
		if (v->flags[d] & rv)
			return CMS_V_REVOKED;
	return CMS_V_OK;
}

/* mbedTLS on the path alone, signer first. */
static enum cms_vstatus
verify_path(const struct cms_path *p, const struct cms_trust *t, char *why,
    size_t whysz)
{
	mbedtls_x509_crt chain;
	struct vrfy_ctx v;
	enum cms_vstatus st;
	uint32_t flags = 0;
	size_t i;
	int rc;

	mbedtls_x509_crt_init(&chain);
	for (i = 0; i < p->n; i++)
		if (mbedtls_x509_crt_parse_der(&chain, p->crt[i]->raw.p,
		    p->crt[i]->raw.len) != 0) {
			mbedtls_x509_crt_free(&chain);
			return CMS_V_MALFORMED;
		}
	memset(&v, 0, sizeof(v));
	v.at = t->at;
	rc = mbedtls_x509_crt_verify(&chain,
	    (mbedtls_x509_crt *)t->anchors, (mbedtls_x509_crl *)t->crls,
	    NULL, &flags, vrfy_cb, &v);
	if (rc != 0 && rc != MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
		/* a fatal error sets every flag: none of them says why */
		snprintf(why, whysz, "chain verification failed (mbedTLS "
		    "-0x%04x)", (unsigned)-rc);
		st = CMS_V_UNTRUSTED;
	} else if (!v.seen) {
		snprintf(why, whysz, "no chain");
		st = CMS_V_UNTRUSTED;
	} else
		st = classify(&v, t, why, whysz);
	mbedtls_x509_crt_free(&chain);
	return st;
}

enum cms_vstatus
cms_chain_check(mbedtls_x509_crt *signer, mbedtls_x509_crt *certs, size_t n,
    const struct cms_trust *t, const struct cms_limits *lim,
    struct cms_budget *b, char *why, size_t whysz)
{
	struct cms_chain_used used;

	return cms_chain_check_used(signer, certs, n, t, lim, b, why, whysz,
	    &used);
}

enum cms_vstatus
cms_chain_check_used(mbedtls_x509_crt *signer, mbedtls_x509_crt *certs,
    size_t n, const struct cms_trust *t, const struct cms_limits *lim,
    struct cms_budget *b, char *why, size_t whysz,
    struct cms_chain_used *used)
{
	struct cms_path p;
	enum cms_vstatus st;
	size_t max = lim->chain, i;
	unsigned cost;

	used->n = 0;
	if (max == 0 || max > CMS_MAX_CHAIN)
		max = CMS_MAX_CHAIN;
	if ((st = build_path(signer, certs, n, t, max, &p, why, whysz)) !=
	    CMS_V_OK)
		return st;
	/* every parent was picked from certs[] (pick_parent) */
	for (i = 1; i < p.n; i++)
		used->idx[used->n++] = (size_t)(p.crt[i] - certs);
	cost = path_cost(&p, t);
	if (cms_budget_take(b, cost) == -1) {
		snprintf(why, whysz, "the chain needs up to %u public-key "
		    "operations, %u left", cost, b->left);
		return CMS_V_BUDGET;
	}
	return verify_path(&p, t, why, whysz);
}
