/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Lookup questions answered with the network (lookfind.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/platform_util.h>

#include "engine.h"
#include "ks.h"
#include "ldapdir.h"
#include "log.h"
#include "lookfind.h"
#include "smimeadns.h"

#define PASS_MAX	1024

#define FOUND_MAX	(LDAPDIR_ENTRIES * 2 + SMIMEADNS_CERTS)

/* What one source gave: certificates to choose from, as found. */
struct found {
	uint8_t		*der[FOUND_MAX];
	size_t		 len[FOUND_MAX];
	int		 pkix[FOUND_MAX];	/* must chain to the anchors */
	size_t		 n;
	/* SMIMEA usage 2 (DANE-TA): CAs the domain vouches for itself */
	uint8_t		*ta[SMIMEADNS_CERTS];
	size_t		 talen[SMIMEADNS_CERTS];
	size_t		 nta;
	uint32_t	 ttl;		/* DNS: the answer's, else 0 */
};

/* One certificate more to choose from (ours now), when there is room. */
static void
take(struct found *fd, uint8_t **der, size_t len, int pkix)
{
	if (fd->n == FOUND_MAX)
		return;
	fd->der[fd->n] = *der;
	fd->len[fd->n] = len;
	fd->pkix[fd->n++] = pkix;
	*der = NULL;
}

/* A source's outage, logged once. */
struct outage {
	const char	*name;
	time_t		 since;
	time_t		 until;
};

static struct outage dir_out = { "directory", 0, 0 };
static struct outage dns_out = { "SMIMEA", 0, 0 };

static void
answer_set(struct lookq_answer *a, enum lookq_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
answer_set(struct lookq_answer *a, enum lookq_status st, const char *fmt, ...)
{
	va_list ap;

	a->status = st;
	va_start(ap, fmt);
	(void)vsnprintf(a->text, sizeof(a->text), fmt, ap);
	va_end(ap);
}

static void
went_down(struct outage *o, const char *why, time_t now)
{
	if (o->since == 0) {
		log_warnx("%s lookups: no answer (%s); recipients it is asked "
		    "about get 4xx until it answers; asked again every %d "
		    "seconds", o->name, why, LOOKFIND_DOWN_FOR);
		o->since = now;
	}
	o->until = now + LOOKFIND_DOWN_FOR;
}

static void
came_back(struct outage *o, time_t now)
{
	if (o->since != 0)
		log_info("%s lookups answer again (after %lld seconds)",
		    o->name, (long long)(now - o->since));
	o->since = o->until = 0;
}

/* The password file's first line, or NULL. */
static char *
password(const char *file, char *buf, size_t bufsz)
{
	uint8_t *p;
	size_t size, len;

	if (ks_read_file(file, &p, &size, PASS_MAX) == -1)
		return NULL;
	len = strcspn((const char *)p, "\r\n");
	if (len >= bufsz)
		len = bufsz - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	mbedtls_platform_zeroize(p, size);	/* the whole file, not a line */
	free(p);
	return buf;
}

static enum lookq_status
ask_directory(const struct rules_source *d, const char *addr,
    struct found *fd, char *src, size_t srcsz, char *why, size_t whysz)
{
	struct ldapdir_conf c;
	struct ldapdir_found f;
	enum ldapdir_rc rc;
	char pass[PASS_MAX];
	size_t i;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < d->nuri; i++)
		c.uri[i] = d->uri[i];
	c.nuri = d->nuri;
	for (i = 0; i < d->nattr && i < LDAPDIR_ATTRS; i++)
		c.attr[i] = d->attr[i];
	c.nattr = i;
	c.base = d->base;
	c.filter = d->filter;
	c.timeout = d->timeout;
	c.bind_dn = d->bind_dn;
	if (d->password_file != NULL && (c.password = password(
	    d->password_file, pass, sizeof(pass))) == NULL) {
		snprintf(why, whysz, "%s: cannot be read", d->password_file);
		return LOOKQ_DOWN;	/* an admin's fix away */
	}
	rc = ldapdir_lookup(&c, addr, &f, why, whysz);
	mbedtls_platform_zeroize(pass, sizeof(pass));
	if (rc == LDAPDIR_DOWN)
		return LOOKQ_DOWN;
	if (rc != LDAPDIR_FOUND)
		return rc == LDAPDIR_NONE ? LOOKQ_NONE : LOOKQ_OFF;
	(void)snprintf(src, srcsz, "%.150s", f.uri);
	for (i = 0; i < f.n; i++)
		take(fd, &f.der[i], f.len[i], 1);
	ldapdir_found_free(&f);
	return LOOKQ_FOUND;
}

static enum lookq_status
ask_dns(const struct rules_source *d, const char *addr, struct found *fd,
    char *src, size_t srcsz, char *why, size_t whysz)
{
	struct smimeadns_conf c;
	struct smimeadns_found f;
	enum smimeadns_rc rc;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.anchor_file = d->trust_anchor;
	for (i = 0; i < d->nuri && i < SMIMEADNS_STUBS; i++)
		c.stub[i] = d->uri[i];
	c.nstub = i;
	c.forward = d->forward;
	c.timeout = d->timeout;
	rc = smimeadns_lookup(&c, addr, &f, why, whysz);
	(void)snprintf(src, srcsz, "SMIMEA %.140s", f.owner);
	switch (rc) {
	case SMIMEADNS_DOWN:
		return LOOKQ_DOWN;
	case SMIMEADNS_BOGUS:
	case SMIMEADNS_INSECURE:
		log_warnx("SMIMEA for %s: %s: %s: not used", addr,
		    rc == SMIMEADNS_BOGUS ? "bogus (DNSSEC validation "
		    "failed)" : "insecure (no DNSSEC chain of trust)", why);
		return LOOKQ_NONE;
	case SMIMEADNS_UNAVAILABLE:
		return LOOKQ_OFF;
	case SMIMEADNS_NONE:
		return LOOKQ_NONE;
	case SMIMEADNS_FOUND:
		break;
	}
	fd->ttl = f.ttl;
	for (i = 0; i < f.n; i++) {
		/*
		 * Usage 3 (DANE-EE) stands on DNSSEC; 1 (PKIX-EE) must
		 * chain to our anchors, or to a CA of usage 2 (DANE-TA) of
		 * the same answer, which DNSSEC vouches for as ours do.
		 */
		if (f.usage[i] == 3 || f.usage[i] == 1)
			take(fd, &f.der[i], f.len[i], f.usage[i] == 1);
		else if (f.usage[i] == 2 && fd->nta < SMIMEADNS_CERTS) {
			fd->ta[fd->nta] = f.der[i];
			fd->talen[fd->nta++] = f.len[i];
			f.der[i] = NULL;
		}
	}
	smimeadns_found_free(&f);
	return fd->n > 0 ? LOOKQ_FOUND : LOOKQ_NONE;
}

static void
found_free(struct found *fd)
{
	size_t i;

	for (i = 0; i < fd->n; i++)
		free(fd->der[i]);
	for (i = 0; i < fd->nta; i++)
		free(fd->ta[i]);
	fd->n = fd->nta = 0;
}

/* Does chain (its first certificate, the rest its helpers) reach fd's
 * DANE-TA certificates? */
static int
reaches_ta(mbedtls_x509_crt *chain, const struct found *fd)
{
	mbedtls_x509_crt tas;
	uint32_t flags = 0;
	size_t i;
	int ok;

	mbedtls_x509_crt_init(&tas);
	for (i = 0; i < fd->nta; i++)
		(void)mbedtls_x509_crt_parse_der(&tas, fd->ta[i], fd->talen[i]);
	ok = tas.raw.p != NULL && mbedtls_x509_crt_verify(chain, &tas, NULL,
	    NULL, &flags, NULL, NULL) == 0;
	mbedtls_x509_crt_free(&tas);
	return ok;
}

/* Why certificate k is not one to encrypt to, or NULL when it is. */
static const char *
unfit(struct engine *g, const struct found *fd, size_t k, const char *addr)
{
	mbedtls_x509_crt c;
	const char *why = NULL;
	uint32_t flags = 0;
	size_t i;

	mbedtls_x509_crt_init(&c);
	if (mbedtls_x509_crt_parse_der(&c, fd->der[k], fd->len[k]) != 0)
		why = "does not parse";
	else if (!ks_cert_names(fd->der[k], fd->len[k], addr))
		why = "does not name the address";
	else if (!(ks_cert_purpose(&c) & KS_P_ENCRYPT))
		why = "is not for encryption";
	else if (mbedtls_x509_time_is_past(&c.valid_to) ||
	    mbedtls_x509_time_is_future(&c.valid_from))
		why = "is not valid now";
	if (why == NULL && fd->pkix[k]) {
		/* the other certificates of the answer may be its issuers */
		for (i = 0; i < fd->n; i++)
			if (i != k)
				(void)mbedtls_x509_crt_parse_der(&c, fd->der[i],
				    fd->len[i]);
		idcache_trust(&g->ids, g->have_store ? &g->store : NULL);
		if ((g->ids.anchors.raw.p == NULL ||
		    mbedtls_x509_crt_verify(&c, &g->ids.anchors, NULL, NULL,
		    &flags, NULL, NULL) != 0) && !reaches_ta(&c, fd))
			why = "does not chain to a trust anchor";
	}
	mbedtls_x509_crt_free(&c);
	return why;
}

/* The usable ones into a (der pointing into fd): FOUND or NONE. */
static void
choose(struct engine *g, const struct found *fd, const char *addr,
    struct lookq_answer *a, const uint8_t *der[LOOKQ_CERTS])
{
	const char *why, *first = NULL;
	size_t i;

	a->n = 0;
	for (i = 0; i < fd->n && a->n < LOOKQ_CERTS; i++) {
		if (fd->len[i] > LOOKQ_CERT_MAX)
			why = "is too large";
		else
			why = unfit(g, fd, i, addr);
		if (why != NULL) {
			log_info("lookup %s: a certificate from %s %s: not "
			    "used", addr, a->source, why);
			if (first == NULL)
				first = why;
			continue;
		}
		der[a->n] = fd->der[i];
		a->len[a->n++] = (uint32_t)fd->len[i];
	}
	if (a->n > 0)
		answer_set(a, LOOKQ_FOUND, "%u usable", (unsigned)a->n);
	else
		answer_set(a, LOOKQ_NONE, "a certificate that %s", first ?
		    first : "is missing");
}

/* One source asked, unless it is down: FOUND, NONE, DOWN or OFF. */
static enum lookq_status
ask_source(struct engine *g, const struct rules_source *d, int dns,
    const char *addr, struct found *fd, struct lookq_answer *a,
    const uint8_t *der[LOOKQ_CERTS])
{
	struct outage *o = dns ? &dns_out : &dir_out;
	enum lookq_status st;
	time_t now = time(NULL);
	char why[200] = "";

	if (!rules_source_covers(d, addr)) {
		answer_set(a, LOOKQ_OFF, "no source covers it");
		return LOOKQ_OFF;
	}
	if (o->until > now) {
		answer_set(a, LOOKQ_DOWN, "%s: no answer for %lld seconds",
		    o->name, (long long)(now - o->since));
		return LOOKQ_DOWN;
	}
	st = dns ? ask_dns(d, addr, fd, a->source, sizeof(a->source), why,
	    sizeof(why)) : ask_directory(d, addr, fd, a->source,
	    sizeof(a->source), why, sizeof(why));
	if (st == LOOKQ_DOWN) {
		went_down(o, why, now);
		answer_set(a, LOOKQ_DOWN, "%s: %s", o->name, why);
		return st;
	}
	came_back(o, now);
	if (st == LOOKQ_FOUND)
		choose(g, fd, addr, a, der);
	else
		answer_set(a, st, "%s: %s", o->name, why);
	return (enum lookq_status)a->status;
}

size_t
lookfind_answer(struct engine *g, const struct lookq_question *q,
    uint8_t *buf, size_t cap)
{
	const struct rules_source *dir = rules_directory(g->rules);
	const struct rules_source *dns = rules_smimea(g->rules);
	const struct rules_source *from = dir;
	const uint8_t *der[LOOKQ_CERTS], *der2[LOOKQ_CERTS];
	struct lookq_answer a, b;
	struct found fd, fd2;
	enum lookq_status st;
	time_t now = time(NULL);
	size_t len;

	memset(&a, 0, sizeof(a));
	memset(&fd, 0, sizeof(fd));
	memset(&fd2, 0, sizeof(fd2));
	answer_set(&a, LOOKQ_OFF, "no source covers it");
	if (ask_source(g, dir, 0, q->addr, &fd, &a, der) != LOOKQ_FOUND) {
		/*
		 * Nothing from the directory: DNS may know.  Its answer
		 * stands unless it has none to give while the directory
		 * gave no answer (a retry may find one there).
		 */
		memset(&b, 0, sizeof(b));
		st = ask_source(g, dns, 1, q->addr, &fd2, &b, der2);
		if (st == LOOKQ_FOUND || a.status == LOOKQ_OFF ||
		    (a.status == LOOKQ_NONE && st != LOOKQ_OFF)) {
			a = b;
			memcpy(der, der2, sizeof(der));
			from = dns;
		}
	}
	a.kind = PKT_LOOKA;
	a.qid = q->qid;
	(void)strlcpy(a.addr, q->addr, sizeof(a.addr));
	a.until = now + LOOKFIND_DOWN_FOR;
	if (from != NULL && a.status == LOOKQ_FOUND)
		/* a record is kept no longer than DNS says it holds */
		a.until = now + (from == dns && fd2.ttl > 0 &&
		    fd2.ttl < (uint32_t)from->cache_ttl ? (int)fd2.ttl :
		    from->cache_ttl);
	else if (from != NULL && a.status == LOOKQ_NONE)
		a.until = now + from->negative_ttl;
	if (a.status != LOOKQ_OFF)
		log_info("lookup %s: %s%s%s (%s); kept %lld s", q->addr,
		    lookq_status_str((enum lookq_status)a.status),
		    a.source[0] ? " from " : "", a.source, a.text,
		    (long long)(a.until - now));
	len = lookq_answer_encode(&a, der, buf, cap);
	found_free(&fd);
	found_free(&fd2);
	return len;
}
