/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* SMIMEA lookups with DNSSEC validation (smimeadns.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/x509_crt.h>

#include "lookupchild.h"
#include "optlib.h"
#include "sandbox.h"
#include "smimea.h"
#include "smimeadns.h"

#ifdef HAVE_UNBOUND
#include <unbound.h>
#endif

#define TYPE_SMIMEA	53

void
smimeadns_found_free(struct smimeadns_found *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->der[i]);
	f->n = 0;
}

/* The owner name for addr (local@domain): 0 or -1. */
static int
owner_of(const char *addr, char *out, size_t outsz)
{
	const char *at = strrchr(addr, '@');

	if (at == NULL || at == addr || at[1] == '\0')
		return -1;
	return smimea_owner(addr, (size_t)(at - addr), at + 1, out, outsz);
}

#ifdef HAVE_UNBOUND
int
smimeadns_available(void)
{
	return optlib_present(UNBOUND_SONAME);
}

static int
cert_ok(const uint8_t *der, size_t len)
{
	mbedtls_x509_crt c;
	int rc;

	mbedtls_x509_crt_init(&c);
	rc = mbedtls_x509_crt_parse_der(&c, der, len) == 0 ? 0 : -1;
	mbedtls_x509_crt_free(&c);
	return rc;
}

/* libunbound's functions, found when the child opens it (optlib.h). */
static struct {
	__typeof__(ub_ctx_create)	*ctx_create;
	__typeof__(ub_ctx_set_option)	*ctx_set_option;
	__typeof__(ub_ctx_add_ta_file)	*ctx_add_ta_file;
	__typeof__(ub_ctx_set_stub)	*ctx_set_stub;
	__typeof__(ub_ctx_set_fwd)	*ctx_set_fwd;
	__typeof__(ub_resolve)	*resolve;
	__typeof__(ub_strerror)	*strerror;
} U;

#define SYM(f, n)	{ f, (void **)&U.n }
static const struct optsym ub_syms[] = {
	SYM("ub_ctx_create", ctx_create),
	SYM("ub_ctx_set_option", ctx_set_option),
	SYM("ub_ctx_add_ta_file", ctx_add_ta_file),
	SYM("ub_ctx_set_stub", ctx_set_stub),
	SYM("ub_ctx_set_fwd", ctx_set_fwd),
	SYM("ub_resolve", resolve),
	SYM("ub_strerror", strerror),
};

struct job {
	const struct smimeadns_conf	*c;
	const char			*owner;
};

static void __attribute__((noreturn))
say(int fd, char kind, const char *why)
{
	lookup_put(fd, &kind, 1);
	if (why != NULL)
		lookup_put(fd, why, strlen(why));
	_exit(0);
}

static struct ub_ctx *
context(const struct smimeadns_conf *c, int fd)
{
	struct ub_ctx *ctx;
	char zone[256], why[200];
	const char *eq;
	size_t i;

	if (optlib_open(UNBOUND_SONAME, ub_syms, sizeof(ub_syms) /
	    sizeof(ub_syms[0]), why, sizeof(why)) == -1)
		say(fd, 'U', why);
	if ((ctx = U.ctx_create()) == NULL)
		say(fd, 'D', "no resolver context");
	/* stubs on loopback are how a test (or a split setup) works */
	(void)U.ctx_set_option(ctx, "do-not-query-localhost:", "no");
	if (c->anchor_file != NULL &&
	    U.ctx_add_ta_file(ctx, c->anchor_file) != 0)
		say(fd, 'U', "the trust anchor file cannot be read");
	for (i = 0; i < c->nstub; i++) {
		if ((eq = strchr(c->stub[i], '=')) == NULL ||
		    (size_t)(eq - c->stub[i]) >= sizeof(zone))
			say(fd, 'U', "a stub is ZONE=ADDRESS[@PORT]");
		memcpy(zone, c->stub[i], (size_t)(eq - c->stub[i]));
		zone[eq - c->stub[i]] = '\0';
		if (U.ctx_set_stub(ctx, zone, eq + 1, 0) != 0)
			say(fd, 'U', "a stub is ZONE=ADDRESS[@PORT]");
	}
	if (c->forward != NULL && U.ctx_set_fwd(ctx, c->forward) != 0)
		say(fd, 'U', "the forwarder is not an address");
	return ctx;
}

/*
 * 'F', the answer's TTL (4 octets) and, for each record that holds a
 * certificate, its usage, a 4-octet length and the certificate; 'N' (secure, nothing), 'I', 'B'
 * and why, 'D' and why, 'U' and why (the configuration).
 */
static void
job_run(void *arg, int fd)
{
	struct job *j = arg;
	struct ub_result *r = NULL;
	struct ub_ctx *ctx = context(j->c, fd);
	struct smimea s;
	uint32_t len, ttl;
	char why[256];
	int i, rc;

	if ((rc = U.resolve(ctx, j->owner, TYPE_SMIMEA, 1, &r)) != 0)
		say(fd, 'D', U.strerror(rc));
	/* what came back is read in the sandbox */
	(void)sandbox_worker(sandbox_warn_stderr);
	if (r->bogus) {
		snprintf(why, sizeof(why), "%s", r->why_bogus ? r->why_bogus :
		    "validation failed");
		say(fd, 'B', why);
	}
	if (!r->secure)
		say(fd, 'I', "no chain of trust to the anchors (insecure)");
	if (!r->havedata)
		say(fd, 'N', NULL);
	lookup_put(fd, "F", 1);
	ttl = r->ttl > 0 ? (uint32_t)r->ttl : 0;
	lookup_put(fd, &ttl, 4);
	for (i = 0; r->data[i] != NULL; i++) {
		if (smimea_rdata_read((const uint8_t *)r->data[i],
		    (size_t)r->len[i], &s) == -1 || !smimea_has_cert(&s) ||
		    cert_ok(s.data, s.len) == -1)
			continue;
		lookup_put(fd, &s.usage, 1);
		len = (uint32_t)s.len;
		lookup_put(fd, &len, 4);
		lookup_put(fd, s.data, s.len);
	}
	_exit(0);
}

/* The child's answer into f. */
static enum smimeadns_rc
answer(const uint8_t *m, size_t n, struct smimeadns_found *f, char *why,
    size_t whysz)
{
	uint32_t len;
	size_t o = 5;

	/* a child that ended without a word gave no output at all */
	if (n == 0) {
		snprintf(why, whysz, "no answer from the lookup");
		return SMIMEADNS_DOWN;
	}
	snprintf(why, whysz, "%.*s", (int)(n - 1), m + 1);
	switch (m[0]) {
	case 'F':
		if (n < 5) {
			snprintf(why, whysz, "a short answer from the lookup");
			return SMIMEADNS_DOWN;
		}
		memcpy(&f->ttl, m + 1, 4);
		break;
	case 'N':
		snprintf(why, whysz, "no SMIMEA record (secure)");
		return SMIMEADNS_NONE;
	case 'I':
		return SMIMEADNS_INSECURE;
	case 'B':
		return SMIMEADNS_BOGUS;
	case 'U':
		return SMIMEADNS_UNAVAILABLE;
	default:
		return SMIMEADNS_DOWN;
	}
	while (o + 5 <= n && f->n < SMIMEADNS_CERTS) {
		memcpy(&len, m + o + 1, 4);
		if (len > n - o - 5 || cert_ok(m + o + 5, len) == -1 ||
		    (f->der[f->n] = malloc(len)) == NULL)
			break;
		f->usage[f->n] = m[o];
		memcpy(f->der[f->n], m + o + 5, len);
		f->len[f->n++] = len;
		o += 5 + len;
	}
	snprintf(why, whysz, "no SMIMEA record with a certificate");
	return f->n > 0 ? SMIMEADNS_FOUND : SMIMEADNS_NONE;
}

enum smimeadns_rc
smimeadns_lookup(const struct smimeadns_conf *c, const char *addr,
    struct smimeadns_found *f, char *why, size_t whysz)
{
	struct job j;
	uint8_t *m;
	size_t n;
	enum smimeadns_rc rc = SMIMEADNS_DOWN;

	memset(f, 0, sizeof(*f));
	if (owner_of(addr, f->owner, sizeof(f->owner)) == -1) {
		snprintf(why, whysz, "%s is not local@domain", addr);
		return SMIMEADNS_UNAVAILABLE;
	}
	j.c = c;
	j.owner = f->owner;
	if (lookup_child(job_run, &j, SMIMEADNS_CERTS * (SMIMEA_DATA_MAX + 5) +
	    512, (long long)c->timeout * 1000, &m, &n, why, whysz) == 0)
		rc = answer(m, n, f, why, whysz);
	free(m);
	return rc;
}
#else
int
smimeadns_available(void)
{
	return 0;
}

enum smimeadns_rc
smimeadns_lookup(const struct smimeadns_conf *c, const char *addr,
    struct smimeadns_found *f, char *why, size_t whysz)
{
	(void)c;
	memset(f, 0, sizeof(*f));
	if (owner_of(addr, f->owner, sizeof(f->owner)) == -1)
		snprintf(why, whysz, "%s is not local@domain", addr);
	else
		snprintf(why, whysz, "built without libunbound "
		    "(libunbound-dev)");
	return SMIMEADNS_UNAVAILABLE;
}
#endif
