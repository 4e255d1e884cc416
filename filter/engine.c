/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The outbound decision and the work for one message.  Signing
 * identities (certificate, chain, unsealed key) are cached by
 * fingerprint, so a busy sender costs one unseal, not one per message;
 * the cache is emptied whenever the keystore changes.
 */
#define _GNU_SOURCE	/* memmem(3), strcasestr(3) in glibc */

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "author.h"
#include "engine.h"
#include "log.h"
#include "lookrcpt.h"
#include "revcheck.h"
#include "mbedtls_compat.h"
#include "smime.h"
#include "spool.h"

const char *
engine_verdict_str(enum engine_verdict v)
{
	static const char *names[] = { "pass", "signed", "encrypted",
	    "signed+encrypted", "checked", "tempfail", "reject", "bad-input",
	    "already-smime", "drop" };

	return names[v];
}

static struct rules *
load_rules(const char *path, char *err, size_t errlen)
{
	struct rules *r;

	r = path ? rules_load(path, err, errlen) : rules_default();
	if (r == NULL && path == NULL)
		snprintf(err, errlen, "out of memory");
	return r;
}

int
engine_init(struct engine *g, const char *rules, const char *store,
    enum engine_action action, char *err, size_t errlen)
{
	struct ks_error e;

	/*
	 * Not the caches (g->ids, most of g): the caller's storage has
	 * them empty, zero as static or calloc'd storage is, or as
	 * engine_free leaves them.  Zeroing them here would fault in
	 * every page of them in each process (on a virtual machine about
	 * 10 us a page), and a forked child would copy each page back.
	 */
	memset(g, 0, offsetof(struct engine, ids));
	g->action = action;
	if (action == ACTION_TRIPLE) {
		/* everything sign-encrypt requires, and the outer signature */
		g->action = ACTION_SIGN_ENCRYPT;
		g->triple = 1;
	}
	if ((g->rules = load_rules(rules, err, errlen)) == NULL)
		return -1;
	if (rules && (g->rules_path = strdup(rules)) == NULL) {
		rules_free(g->rules);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (cms_rng_init(&g->rng) == -1) {
		snprintf(err, errlen, "cannot seed the random generator");
		rules_free(g->rules);
		free(g->rules_path);
		return -1;
	}
	if (store == NULL)
		return 0;
	if ((g->store_dir = strdup(store)) == NULL ||
	    ks_open(&g->store, store, &e) == -1) {
		snprintf(err, errlen, "%s", g->store_dir ? e.msg :
		    "out of memory");
		cms_rng_free(&g->rng);
		free(g->store_dir);
		rules_free(g->rules);
		free(g->rules_path);
		return -1;
	}
	g->have_store = 1;
	g->checked = time(NULL);
	return 0;
}

void
engine_free(struct engine *g)
{
	idcache_clear(&g->ids);
	if (g->have_store)
		ks_close(&g->store);
	free(g->store_dir);
	rules_free(g->rules);
	free(g->rules_path);
	cms_rng_free(&g->rng);
	free(g->revq_local);
	lookmem_free(g->looked);
	g->looked = NULL;
	free(g->ask.buf);
	/* the caches idcache_clear left empty: see engine_init */
	memset(g, 0, offsetof(struct engine, ids));
}

/*
 * Pick up a new keystore index: at most once a second, or at once when
 * forced (SIGHUP).  A store that fails to load keeps the old contents.
 * 1 when the rules or the store were loaded again (the workers, which
 * read no file, are then replaced by ones with the new contents).
 */
int
engine_refresh(struct engine *g, int force)
{
	struct ks_error e;
	struct rules *r;
	char err[512];
	time_t now = time(NULL);
	int changed = 0;

	if (force && g->rules_path) {
		/* a bad new file keeps the old rules */
		if ((r = load_rules(g->rules_path, err, sizeof(err))) == NULL)
			log_warnx("rules not reloaded, keeping the old ones: "
			    "%s", err);
		else {
			rules_free(g->rules);
			g->rules = r;
			/* the sources may be others now */
			lookmem_free(g->looked);
			g->looked = NULL;
			log_info("rules reloaded from %s", g->rules_path);
			changed = 1;
		}
	}
	if (!g->have_store || (!force && now == g->checked))
		return changed;
	g->checked = now;
	if (!force && !ks_changed(&g->store))
		return changed;
	if (ks_reload(&g->store, &e) == -1) {
		log_warnx("keystore reload failed, keeping the old one: %s",
		    e.msg);
		return changed;
	}
	idcache_clear(&g->ids);		/* loaded again when next needed */
	log_info("keystore reloaded: generation %llu, %zu certificates",
	    (unsigned long long)g->store.generation, g->store.nentries);
	engine_preload(g);
	return 1;
}

/*
 * What a worker that reads no file needs from the start: the trust
 * anchors and CRLs, when any mail may be inbound or encrypted.
 */
void
engine_preload(struct engine *g)
{
	if (g->action == ACTION_VERIFY || rules_has_internal(g->rules))
		idcache_trust(&g->ids, g->have_store ? &g->store : NULL);
	else if (engine_checks_rcpt(g))	/* recipients (recipient_cert) */
		idcache_crls(&g->ids, g->have_store ? &g->store : NULL);
}

void
engine_result_set(struct engine_result *r, enum engine_verdict v, const char *reply,
    const char *fmt, ...)
{
	va_list ap;

	r->verdict = v;
	r->notice = 0;
	(void)strlcpy(r->reply, reply ? reply : "", sizeof(r->reply));
	va_start(ap, fmt);
	(void)vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* Signing is required: no message may leave unsigned for this sender. */
static int
signing_required(const struct engine *g, const struct rules_policy *p)
{
	return g->action == ACTION_SIGN || g->action == ACTION_SIGN_ENCRYPT ||
	    p->no_signing_key == RULES_NSK_TEMPFAIL;
}

/*
 * Not allowed to sign as addr: refused (550 5.7.1), or passed unsigned
 * with a log line when signers: not-allowed: pass and signing is not
 * required.
 */
static void
not_allowed(struct engine *g, const struct rules_policy *p, const char *addr,
    const char *why, struct engine_result *r)
{
	char reply[sizeof(r->reply)], q[100];

	log_quote(q, sizeof(q), addr, strlen(addr));
	if (signers_mismatch(rules_signers(g->rules)) == SIGNERS_PASS &&
	    !signing_required(g, p)) {
		engine_result_set(r, VERDICT_PASS, NULL, "not signed: %s "
		    "<%s>", why, q);
		r->notice = 1;
		return;
	}
	(void)snprintf(reply, sizeof(reply), "%s <%.80s>", REPLY_NOT_SIGNER,
	    q);
	engine_result_set(r, VERDICT_REJECT, reply, "%s <%s>", why, q);
}

/*
 * May this client sign as sender (signers.h)?  c NULL: pipe mode run
 * without -u or -i, by whoever may read the keystore anyway.
 */
static int
client_may_sign(struct engine *g, const struct signers_client *c,
    const char *sender, const struct rules_policy *p, char *how,
    size_t howsz, struct engine_result *r)
{
	char why[200];

	if (c == NULL) {
		(void)strlcpy(how, "pipe mode", howsz);
		return 1;
	}
	if (signers_may(rules_signers(g->rules), c, sender, how, howsz))
		return 1;
	(void)snprintf(why, sizeof(why), "%s:", how);
	not_allowed(g, p, sender, why, r);
	return 0;
}

/*
 * The sender's answer from the store, turned into a verdict; how says
 * who may use it (the login or the trusted source), for the log.
 */
static const struct ks_entry *
sender_identity(struct engine *g, const struct signers_client *c,
    const char *sender, const struct rules_policy *p, char *how,
    size_t howsz, struct engine_result *r)
{
	const struct ks_entry *en = NULL;

	r->notice = 0;
	if (!g->have_store || g->action == ACTION_NONE || sender[0] == '\0' ||
	    (!p->sign && g->action != ACTION_SIGN)) {
		engine_result_set(r, VERDICT_PASS, NULL, "no signing for %s",
		    sender[0] ? "this sender" : "the null sender");
		return NULL;
	}
	switch (ks_sign_identity(&g->store, sender, time(NULL), &en)) {
	case KS_FOUND:
		if (!client_may_sign(g, c, sender, p, how, howsz, r))
			return NULL;
		engine_result_set(r, VERDICT_SIGNED, NULL, "identity %.16s", en->fpr);
		return en;
	case KS_EXPIRED:
		if (!client_may_sign(g, c, sender, p, how, howsz, r))
			return NULL;
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_EXPIRED, "signing "
		    "certificate %.16s expired", en->fpr);
		return NULL;
	case KS_NOT_YET_VALID:
		if (!client_may_sign(g, c, sender, p, how, howsz, r))
			return NULL;
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_NOT_VALID, "signing "
		    "certificate %.16s not yet valid", en->fpr);
		return NULL;
	case KS_REVOKED:
		if (!client_may_sign(g, c, sender, p, how, howsz, r))
			return NULL;
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_REVOKED, "signing "
		    "certificate %.16s revoked (OCSP)", en->fpr);
		return NULL;
	case KS_NONE:
		break;
	}
	if (g->action == ACTION_SIGN || p->no_signing_key == RULES_NSK_TEMPFAIL)
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_NO_KEY, "no signing identity");
	else
		engine_result_set(r, VERDICT_PASS, NULL, "no signing identity");
	return NULL;
}

/*
 * MAIL FROM: refuse at once what would be refused after DATA: a sender
 * this client may not sign as (550), a certificate not valid now (451).
 */
int
engine_sender_check(struct engine *g, const struct signers_client *c,
    const char *sender, struct engine_result *r)
{
	struct rules_policy p;
	char how[200];

	rules_sender_policy(g->rules, sender, &p);
	(void)sender_identity(g, c, sender, &p, how, sizeof(how), r);
	return r->verdict == VERDICT_TEMPFAIL || r->verdict == VERDICT_REJECT ?
	    -1 : 0;
}

/*
 * The From: author must be an address of the signing certificate: a
 * signature says its signer wrote the message (RFC 8550 §3), so a
 * message by someone else is not signed with this key.  The
 * certificate alone is enough to tell: the key stays sealed.
 */
static int
author_may_sign(struct engine *g, const struct ks_entry *en,
    const struct rules_policy *p, const char *sender, const char *msg,
    size_t len, struct engine_result *r)
{
	const mbedtls_x509_crt *crt;
	struct author a;
	char why[200];

	author_of(msg, len, &a);
	if (a.unreadable) {
		engine_result_set(r, VERDICT_BADINPUT, REPLY_BAD_MIME, "%s",
		    a.why);
		return 0;
	}
	if ((crt = idcache_cert(&g->ids, &g->store, en)) == NULL) {
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_INTERNAL,
		    "keystore: certificate %.16s unreadable", en->fpr);
		return 0;
	}
	if (author_in_cert(&a, crt->raw.p, crt->raw.len) == 1)
		return 1;
	if (a.spec[0] == '\0') {
		(void)snprintf(why, sizeof(why), "no single From: author "
		    "(%s), so no signer:", a.why);
		not_allowed(g, p, sender, why, r);
	} else {
		(void)snprintf(why, sizeof(why), "From: is not an address of "
		    "the certificate %.16s:", en->fpr);
		not_allowed(g, p, a.spec, why, r);
	}
	return 0;
}

/* An identity ready to use, or a temporary failure saying why not. */
struct engine_ident *
engine_ident(struct engine *g, const struct ks_entry *en,
    struct engine_result *r)
{
	struct engine_ident *id;
	struct ks_error e;

	if ((id = idcache_ident(&g->ids, &g->store, en, &e)) == NULL)
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_INTERNAL,
		    "keystore: %s", e.msg);
	return id;
}

/*
 * Our trace field, first in the output: what was done, and where.  It
 * is for people reading headers, never trusted on input (a sender could
 * write it): what is already S/MIME is left alone on its own merits.
 * what is what was done ("signed", "already encrypted for <rcpt>");
 * note, when not NULL, why a label was not believed.
 */
static int
trace_field(struct engine *g, const char *what, const char *note,
    mime_write_fn out, void *arg)
{
	char line[600];
	int n;

	n = snprintf(line, sizeof(line), "X-SMIME-Gateway: %.300s; %s%s%s\n",
	    rules_authserv_id(g->rules), what, note ? "; " : "",
	    note ? note : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return out(arg, line, (size_t)n) == 0 ? 0 : -1;
}

/*
 * The header exceptions: the matching rule of lowest rank, or -1 when
 * none matches.  A Content-Type that says S/MIME is not one of them:
 * already_smime() proves it or processes the message.  When that rule
 * strips its tag (a "[secure]" in the Subject, say), *stripped receives
 * the message with the field rewritten.
 */
static int	strip_field(const struct rules *,
		    const struct rules_header_hit *, const char *, size_t,
		    const struct mime_field *, struct spool *);

static int
header_action(const struct rules *rules, const char *msg, size_t len,
    struct spool *stripped, int *did_strip)
{
	struct mime_entity e;
	struct mime_hdr_iter it;
	struct mime_field f, bestf;
	struct rules_header_hit hit, best;
	char name[128], *value;
	int found = 0;

	memset(&bestf, 0, sizeof(bestf));
	memset(&best, 0, sizeof(best));
	if (mime_entity_parse(msg, len, &e) != MIME_OK)
		return -1;
	mime_hdr_iter_init(&it, &e);
	while (mime_hdr_next(&it, &f)) {
		if (f.namelen >= sizeof(name) || (value = malloc(f.valuelen +
		    1)) == NULL)
			continue;
		memcpy(name, f.name, f.namelen);
		name[f.namelen] = '\0';
		value[mime_unfold(f.value, f.valuelen, value)] = '\0';
		if (rules_header_action(rules, name, value, &hit) &&
		    (!found || hit.rule < best.rule)) {
			best = hit;
			bestf = f;
			found = 1;
		}
		free(value);
	}
	if (found && best.strip)
		*did_strip = strip_field(rules, &best, msg, len, &bestf,
		    stripped) == 0;
	return found ? (int)best.action : -1;
}

/* The message again, with one field's tag removed (rules_strip). */
static int
strip_field(const struct rules *rules, const struct rules_header_hit *hit,
    const char *msg, size_t len, const struct mime_field *f,
    struct spool *out)
{
	char *value, *nv;
	size_t n, vlen;
	int rc = -1;

	if ((value = malloc(f->valuelen + 1)) == NULL)
		return -1;
	value[mime_unfold(f->value, f->valuelen, value)] = '\0';
	vlen = strlen(value) + 1;
	if ((nv = malloc(vlen)) == NULL) {
		free(value);
		return -1;
	}
	n = rules_strip(rules, hit, value, nv, vlen);
	if (n < vlen && spool_write(out, msg, (size_t)(f->raw - msg)) == 0 &&
	    spool_write(out, f->name, f->namelen) == 0 &&
	    spool_write(out, ": ", 2) == 0 &&
	    spool_write(out, nv + strspn(nv, " \t"),
	    strlen(nv + strspn(nv, " \t"))) == 0 &&
	    spool_write(out, "\n", 1) == 0 &&
	    smime_write_chunked(spool_write_cb, out, f->raw + f->rawlen,
	    len - (size_t)(f->raw + f->rawlen - msg)) == 0)
		rc = 0;
	free(value);
	free(nv);
	return rc;
}

/* Is rcpt named in To, Cc, Resent-To or Resent-Cc (else: a Bcc)? */
static int
visible_recipient(const char *msg, size_t len, const char *rcpt)
{
	static const char *const names[] = { "to", "cc", "resent-to",
	    "resent-cc" };
	struct mime_entity e;
	struct mime_field f;
	size_t i, k, n = strlen(rcpt);
	char *v;
	int found = 0;

	if (n == 0 || mime_entity_parse(msg, len, &e) != MIME_OK)
		return 1;
	for (i = 0; i < 4 && !found; i++)
		for (k = 0; !found && mime_hdr_find(&e, names[i], k, &f) == 0;
		    k++) {
			if ((v = malloc(f.valuelen + 1)) == NULL)
				return 1;
			v[mime_unfold(f.value, f.valuelen, v)] = '\0';
			found = strcasestr(v, rcpt) != NULL;
			free(v);
		}
	return found;
}

/* Did every recipient advertise this GCM cipher (harvested caps)? */
static int
advertises(const struct ks_entry *en, enum cms_cipher c)
{
	static const uint8_t gcm128[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	    0x65, 0x03, 0x04, 0x01, 0x06 };
	static const uint8_t gcm256[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	    0x65, 0x03, 0x04, 0x01, 0x2e };
	uint8_t caps[1024];
	const char *hex;
	size_t n = 0;
	unsigned v;

	if (c == CMS_AES128_CBC || c == CMS_AES256_CBC)
		return 1;
	if (en->extra == NULL || (hex = strstr(en->extra, "caps=")) == NULL)
		return 0;	/* imported: nothing advertised, CBC only */
	for (hex += 5; n < sizeof(caps) && sscanf(hex, "%2x", &v) == 1;
	    hex += 2)
		caps[n++] = (uint8_t)v;
	return memmem(caps, n, c == CMS_AES128_GCM ? gcm128 : gcm256,
	    sizeof(gcm128)) != NULL;
}

struct enc_plan {
	int			 want;		/* someone asks for encryption */
	size_t			 n;
	const struct ks_entry	*ens[CMS_MAX_RECIPIENTS];	/* NULL: looked up */
	struct cms_recipient	 rs[CMS_MAX_RECIPIENTS];
	/* the plan's own copies of looked-up certificates: the memory they
	 * came from (lookmem.h) may give their place to later answers */
	mbedtls_x509_crt	 own[CMS_MAX_RECIPIENTS];
	enum cms_cipher		 cipher;
	char			 missing[128];
};

/*
 * The certificate to encrypt to a recipient: as the store chooses (a
 * certificate OCSP calls revoked is never chosen, lookup.c), else one
 * the directory or SMIMEA gives (lookrcpt.h; *en is then NULL); and
 * not one that a CRL of the store lists, unless the policy leaves CRLs
 * out, nor one its OCSP responder calls revoked (revocation: ocsp...).
 * *rev tells the cases the store's answer cannot: REVCHECK_UNKNOWN
 * (hard-fail), REVCHECK_LOOKUP_DOWN (no answer from the directory or
 * DNS: KS_NONE) and, in the loop when may_ask, REVCHECK_ASK.
 */
static enum ks_answer
recipient_cert(struct engine *g, const char *rcpt, int harvested,
    const struct ks_entry **en, const mbedtls_x509_crt **crtp, int may_ask,
    enum revcheck_rcpt *rev)
{
	const mbedtls_x509_crt *crt = NULL;
	enum ks_answer a;

	*rev = REVCHECK_PASS;
	*crtp = NULL;
	a = ks_encrypt_cert(&g->store, rcpt, time(NULL), harvested, en);
	if (a == KS_FOUND) {
		if ((crt = idcache_cert(&g->ids, &g->store, *en)) == NULL)
			return a;
	} else {
		switch (lookrcpt_cert(g, rcpt, may_ask, &crt)) {
		case LOOKRCPT_FOUND:
			*en = NULL;
			break;
		case LOOKRCPT_ASK:
			*rev = REVCHECK_ASK;
			return KS_NONE;
		case LOOKRCPT_DOWN:
			*rev = REVCHECK_LOOKUP_DOWN;
			return KS_NONE;
		case LOOKRCPT_NONE:
			return a;
		}
	}
	*crtp = crt;
	if (revcheck_uses_crls(g) && idcache_revoked(&g->ids, &g->store, crt))
		return KS_REVOKED;
	switch ((*rev = revcheck_recipient(g, rcpt, *en, crt, may_ask))) {
	case REVCHECK_PASS:
		return KS_FOUND;
	case REVCHECK_REVOKED:
		return KS_REVOKED;
	default:
		return KS_NONE;
	}
}

/* The store's certificates belong to the engine's cache; copies go. */
static void
plan_free(struct enc_plan *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		if (pl->ens[i] == NULL)
			mbedtls_x509_crt_free(&pl->own[i]);
	pl->n = 0;
}

/*
 * One certificate more in the plan; the sender's copy may be absent.
 * 0, -1 none, -2 none because the directory or DNS gave no answer.
 */
static int
plan_add(struct engine *g, struct enc_plan *pl, const char *addr, int oaep,
    int harvested)
{
	const struct ks_entry *en;
	const mbedtls_x509_crt *crt;
	enum revcheck_rcpt rev;
	size_t i;

	if (pl->n == CMS_MAX_RECIPIENTS)
		return -1;
	if (recipient_cert(g, addr, harvested, &en, &crt, 0, &rev) !=
	    KS_FOUND || crt == NULL)
		return rev == REVCHECK_LOOKUP_DOWN ? -2 : -1;
	for (i = 0; i < pl->n; i++)
		if (pl->rs[i].cert->raw.len == crt->raw.len &&
		    memcmp(pl->rs[i].cert->raw.p, crt->raw.p, crt->raw.len) == 0)
			return 0;
	if (en == NULL) {
		mbedtls_x509_crt_init(&pl->own[pl->n]);
		if (mbedtls_x509_crt_parse_der(&pl->own[pl->n], crt->raw.p,
		    crt->raw.len) != 0) {
			mbedtls_x509_crt_free(&pl->own[pl->n]);
			return -1;
		}
		crt = &pl->own[pl->n];
		lookrcpt_log(g, addr);
	}
	pl->ens[pl->n] = en;
	memset(&pl->rs[pl->n], 0, sizeof(pl->rs[pl->n]));
	pl->rs[pl->n].cert = crt;
	pl->rs[pl->n].oaep = oaep;
	pl->rs[pl->n].use_ski = 0;
	pl->n++;
	return 0;
}

/* The content cipher: the first preferred one that all can decrypt. */
static enum cms_cipher
plan_cipher(const struct enc_plan *pl, const struct rules_policy *p)
{
	static const enum cms_cipher map[] = { CMS_AES256_GCM, CMS_AES128_GCM,
	    CMS_AES256_CBC, CMS_AES128_CBC };
	size_t i, j;

	for (i = 0; i < p->nciphers; i++) {
		for (j = 0; j < pl->n; j++) {
			/* looked up: what its client reads is not known */
			if (pl->ens[j] == NULL)
				break;
			if (pl->ens[j]->kind == KS_HARVESTED || pl->ens[j]->kind ==
			    KS_EXTERNAL || pl->ens[j]->kind == KS_INTERNAL)
				if (!advertises(pl->ens[j], map[p->ciphers[i]]))
					break;
		}
		if (j == pl->n)
			return map[p->ciphers[i]];
	}
	return CMS_AES256_CBC;
}

/*
 * Whether and to whom to encrypt.  One body goes to every recipient of
 * the transaction, so it is encrypted only when every recipient has a
 * certificate; the sender's own certificate is added when there is one,
 * so the sender can read the copy.  Returns -1 with r set when the
 * message must be refused.
 */
static int
plan_encryption(struct engine *g, const char *sender, char *const *rcpts,
    size_t nrcpts, int act, const struct rules_policy *sp,
    struct enc_plan *pl, struct engine_result *r)
{
	struct rules_policy rp;
	enum rules_key_missing km = RULES_KM_PLAIN;
	const char *miss = NULL;
	size_t i;
	int rc, down = 0;

	/* the arrays are written entry by entry as n grows (plan_add):
	 * zeroing 50 KB for each signed-only message is not needed */
	pl->want = 0;
	pl->n = 0;
	pl->cipher = (enum cms_cipher)0;
	pl->missing[0] = '\0';
	if (g->action == ACTION_ENCRYPT || g->action == ACTION_SIGN_ENCRYPT)
		pl->want = 1;
	/* a header rule asking for encryption makes it required */
	if (act == RULES_ACTION_ENCRYPT || act == RULES_ACTION_SIGN_ENCRYPT) {
		pl->want = 1;
		km = sp->key_missing;
	}
	for (i = 0; i < nrcpts; i++) {
		rules_recipient_policy(g->rules, sender, rcpts[i], &rp);
		if (rp.encrypt != RULES_ENCRYPT_NO)
			pl->want = 1;
	}
	if (!pl->want || !g->have_store || nrcpts == 0)
		return 0;
	for (i = 0; i < nrcpts; i++) {
		rules_recipient_policy(g->rules, sender, rcpts[i], &rp);
		if ((rc = plan_add(g, pl, rcpts[i], rp.key_transport ==
		    RULES_KT_OAEP, rp.harvested)) == 0 || miss != NULL)
			continue;
		/* the first recipient without one decides, by its policy */
		miss = rcpts[i];
		down = rc == -2;
		if (rp.encrypt == RULES_ENCRYPT_REQUIRED ||
		    g->action == ACTION_ENCRYPT ||
		    g->action == ACTION_SIGN_ENCRYPT)
			km = g->action == ACTION_ENCRYPT || g->action ==
			    ACTION_SIGN_ENCRYPT ? RULES_KM_TEMPFAIL :
			    rp.key_missing;
	}
	if (miss == NULL) {
		(void)plan_add(g, pl, sender, sp->key_transport ==
		    RULES_KT_OAEP, 0);
		pl->cipher = plan_cipher(pl, sp);
		return 0;
	}
	plan_free(pl);
	pl->want = 0;
	if (km == RULES_KM_PLAIN || km == RULES_KM_SPLIT)
		return 0;	/* opportunistic, plain, or split's plain class */
	/* a directory that gave no answer may have one on a retry */
	if (down)
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_LOOKUP_DOWN, "no "
		    "answer from the directory or DNS for %s", miss);
	/* drop happens at RCPT: one that got this far is refused */
	else if (km == RULES_KM_BOUNCE || km == RULES_KM_DROP)
		engine_result_set(r, VERDICT_REJECT, REPLY_NO_CERT_BOUNCE, "no certificate "
		    "for %s", miss);
	else
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_NO_CERT_TEMP, "no "
		    "certificate for %s", miss);
	return -1;
}

static const char *
cipher_name(enum cms_cipher c)
{
	return c == CMS_AES128_CBC ? "aes128-cbc" : c == CMS_AES256_CBC ?
	    "aes256-cbc" : c == CMS_AES128_GCM ? "aes128-gcm" : "aes256-gcm";
}

/*
 * RCPT TO: a recipient that encryption needs but has no certificate.
 * 0 proceed, -1 refuse (r), 2 in the loop: ask g->ask, then check again.
 */
int
engine_rcpt_check(struct engine *g, const char *sender, const char *rcpt,
    struct engine_result *r)
{
	const struct ks_entry *en = NULL;
	const mbedtls_x509_crt *crt;
	struct rules_policy rp;
	enum ks_answer a = KS_NONE;
	enum revcheck_rcpt rev = REVCHECK_PASS;
	const char *why;
	char q[128];

	engine_result_set(r, VERDICT_PASS, NULL, "ok");
	/* mail from outside to us is inbound: nothing to refuse here */
	if (rules_has_internal(g->rules) && !rules_is_internal(g->rules,
	    sender) && rules_is_internal(g->rules, rcpt))
		return 0;
	rules_recipient_policy(g->rules, sender, rcpt, &rp);
	if (!g->have_store || (rp.encrypt != RULES_ENCRYPT_REQUIRED &&
	    g->action != ACTION_ENCRYPT && g->action != ACTION_SIGN_ENCRYPT) ||
	    rules_destination_excepted(g->rules, rcpt) ||
	    (a = recipient_cert(g, rcpt, rp.harvested, &en, &crt, 1, &rev)) ==
	    KS_FOUND || rp.key_missing == RULES_KM_PLAIN ||
	    rp.key_missing == RULES_KM_SPLIT)
		return 0;
	if (rev == REVCHECK_ASK)
		return 2;
	if (rev == REVCHECK_LOOKUP_DOWN) {
		/* logged once an outage where the lookup ran (lookfind.h) */
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_LOOKUP_DOWN,
		    "no answer from the directory or DNS for the recipient");
		return -1;
	}
	if (rev == REVCHECK_UNKNOWN) {
		/* a retry may learn it: never a bounce nor a drop */
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_REV_UNKNOWN,
		    "the revocation status of the recipient's certificate "
		    "is unknown");
		return -1;
	}
	why = a == KS_REVOKED ? "the recipient's certificate is revoked" :
	    "no certificate for the recipient";
	if (a == KS_REVOKED && rev == REVCHECK_PASS)
		log_info("recipient %s: certificate %.16s is revoked (a CRL "
		    "of the store lists it): not encrypted to", log_quote(q,
		    sizeof(q), rcpt, strlen(rcpt)), en != NULL ? en->fpr :
		    "(looked up)");
	if (rp.key_missing == RULES_KM_DROP)
		/* the reply field carries where filter mode sends it */
		engine_result_set(r, VERDICT_DROP, rules_drop_to(g->rules),
		    "%s: dropped", why);
	else if (rp.key_missing == RULES_KM_BOUNCE)
		engine_result_set(r, VERDICT_REJECT, REPLY_NO_CERT_BOUNCE, "%s",
		    why);
	else
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_NO_CERT_TEMP, "%s",
		    why);
	return -1;
}

/*
 * Which way a message goes: -a verify says inbound; with inbound:
 * internal: in the rules, mail from outside to internal recipients only
 * is inbound too, so one listener can serve both directions.
 */
int
engine_is_inbound(const struct engine *g, const char *sender,
    char *const *rcpts, size_t n)
{
	size_t i;

	if (g->action == ACTION_VERIFY)
		return 1;
	if (g->action != ACTION_AUTO || !rules_has_internal(g->rules) ||
	    rules_is_internal(g->rules, sender) || n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!rules_is_internal(g->rules, rcpts[i]))
			return 0;
	return 1;
}

/* Whether RCPT TO must be asked at all (it blocks on the filter). */
int
engine_checks_rcpt(const struct engine *g)
{
	return g->have_store && (rules_uses_encryption(g->rules) ||
	    rules_uses_split_transactions(g->rules) ||
	    rules_uses_split_delivery(g->rules) ||
	    g->action == ACTION_ENCRYPT || g->action == ACTION_SIGN_ENCRYPT);
}

/*
 * The treatment a recipient gets, for per-class transactions: 0 signed
 * or plain, 1 encrypted (encryption wanted and a certificate there), 2 a
 * destination exception.  Recipients of one class can share a body.
 */
int
engine_rcpt_class(struct engine *g, const char *sender, const char *rcpt)
{
	const struct ks_entry *en;
	const mbedtls_x509_crt *crt;
	struct rules_policy rp;
	enum revcheck_rcpt rev;

	if (g->action == ACTION_VERIFY)
		return 0;	/* inbound: one treatment for all */
	if (rules_destination_excepted(g->rules, rcpt))
		return 2;
	rules_recipient_policy(g->rules, sender, rcpt, &rp);
	if ((rp.encrypt == RULES_ENCRYPT_NO && g->action != ACTION_ENCRYPT &&
	    g->action != ACTION_SIGN_ENCRYPT) || !g->have_store)
		return 0;
	return recipient_cert(g, rcpt, rp.harvested, &en, &crt, 0, &rev) ==
	    KS_FOUND ? 1 : 0;
}

/*
 * The sender's transaction mode; key-missing: split needs recipients
 * sorted by class, so it makes a shared sender per-class.
 */
int
engine_tx_mode(const struct engine *g, const char *sender)
{
	struct rules_policy p;

	rules_sender_policy(g->rules, sender, &p);
	if (p.transaction == RULES_TX_SHARED &&
	    (p.key_missing == RULES_KM_SPLIT ||
	    rules_uses_split_delivery(g->rules)))
		return RULES_TX_PER_CLASS;
	return (int)p.transaction;
}

/*
 * Mail that says it is S/MIME already.  The label proves nothing (a
 * sender writes it): smime_probe() looks at the structure, and an
 * envelope must name, for each recipient whose certificates we know,
 * one of those certificates (issuer and serial, or subject key
 * identifier); otherwise the message is content like any other.
 */
#define ENGINE_RIDS	256	/* identifiers looked at in one envelope */

struct rid_set {
	char	 id[ENGINE_RIDS][2 + 64 + 1];	/* "i:" idhash, "s:" ski hex */
	size_t	 n;
};

/* cms_rid_fn: keep each identifier in the keystore's own spelling. */
static int
rid_collect(void *arg, const struct cms_rid *rid)
{
	struct rid_set *rs = arg;
	char *d;

	if (rs->n == ENGINE_RIDS)
		return 1;	/* the rest cannot count for anyone */
	d = rs->id[rs->n];
	if (rid->issuer != NULL) {
		memcpy(d, "i:", 2);
		if (ks_idhash(rid->issuer, rid->ilen, rid->serial, rid->slen,
		    d + 2) == -1)
			return 0;
	} else {
		if (rid->skilen > 32)
			return 0;	/* the keystore keeps none this long */
		memcpy(d, "s:", 2);
		ks_hex(rid->ski, rid->skilen, d + 2);
	}
	rs->n++;
	return 0;
}

static int
rid_has(const struct rid_set *rs, const char *kind, const char *v)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (memcmp(rs->id[i], kind, 2) == 0 &&
		    strcmp(rs->id[i] + 2, v) == 0)
			return 1;
	return 0;
}

/*
 * Does the envelope address this account's certificates?  1 yes, 0 no,
 * -1 when the store knows no certificate to encrypt to for it.
 */
static int
rid_account(const struct engine *g, const char *account, int harvested,
    const struct rid_set *rs)
{
	const struct ks_entry *en;
	int known = -1;

	en = ks_account_entries(&g->store, account);
	for (; en != NULL; en = en->next_in_account) {
		if (!(en->purpose & KS_P_ENCRYPT) || en->state == KS_REJECTED ||
		    (en->kind == KS_HARVESTED && !harvested))
			continue;
		known = 0;
		if (rid_has(rs, "i:", en->idhash) ||
		    (strcmp(en->ski, "-") != 0 && rid_has(rs, "s:", en->ski)))
			return 1;
	}
	return known;
}

/* The recipient's own certificates, else its domain's: 1, 0 or -1. */
static int
rid_recipient(const struct engine *g, const char *rcpt, int harvested,
    const struct rid_set *rs)
{
	const char *at;
	int own;

	own = rid_account(g, rcpt, harvested, rs);
	if (own == 1 || (at = strrchr(rcpt, '@')) == NULL)
		return own;
	switch (rid_account(g, at, 0, rs)) {
	case 1:
		return 1;
	case 0:
		return 0;
	default:
		return own;
	}
}

/* Is encryption asked for this recipient, by the rules or the command? */
static int
wants_encryption(const struct engine *g, int act,
    const struct rules_policy *rp)
{
	return rp->encrypt != RULES_ENCRYPT_NO ||
	    g->action == ACTION_ENCRYPT || g->action == ACTION_SIGN_ENCRYPT ||
	    act == RULES_ACTION_ENCRYPT || act == RULES_ACTION_SIGN_ENCRYPT;
}

/*
 * The first recipient that wants encryption and whose known
 * certificates the envelope does not name, or NULL; *checked counts
 * those whose certificate was found in it.
 */
static const char *
envelope_misses(struct engine *g, const char *sender, char *const *rcpts,
    size_t nrcpts, int act, const struct rid_set *rs, size_t *checked,
    char *list, size_t listsz)
{
	struct rules_policy rp;
	size_t i;

	*checked = 0;
	list[0] = '\0';
	if (!g->have_store)
		return NULL;
	for (i = 0; i < nrcpts; i++) {
		rules_recipient_policy(g->rules, sender, rcpts[i], &rp);
		if (!wants_encryption(g, act, &rp))
			continue;
		switch (rid_recipient(g, rcpts[i], rp.harvested, rs)) {
		case 0:
			return rcpts[i];
		case 1:
			if ((*checked)++ > 0)
				(void)strlcat(list, ", ", listsz);
			(void)strlcat(list, "<", listsz);
			(void)strlcat(list, rcpts[i], listsz);
			(void)strlcat(list, ">", listsz);
			break;
		default:
			break;	/* no certificate known: any recipient will do */
		}
	}
	return NULL;
}

/* A header-safe address: printable, no specials that end a field. */
static int
header_safe(const char *a)
{
	for (; *a != '\0'; a++)
		if ((unsigned char)*a <= 0x20 || (unsigned char)*a >= 0x7f ||
		    *a == '<' || *a == '>' || *a == ';' || *a == '\\')
			return 0;
	return 1;
}

/*
 * Proven S/MIME leaves as it came, body and header, behind our trace
 * field.  The field names the recipient only when it is the only one:
 * with more, it would show every recipient (Bcc included) to all.
 */
static void
keep_message(struct engine *g, const char *msg, size_t len, const char *what,
    const char *one_rcpt, const char *why, mime_write_fn out, void *arg,
    struct engine_result *r)
{
	char note[400];

	if (one_rcpt != NULL && header_safe(one_rcpt))
		snprintf(note, sizeof(note), "%s for <%.300s>", what, one_rcpt);
	else
		(void)strlcpy(note, what, sizeof(note));
	if (trace_field(g, note, NULL, out, arg) == -1 ||
	    smime_write_chunked(out, arg, msg, len) == -1) {
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_INTERNAL, "writing "
		    "the message");
		return;
	}
	engine_result_set(r, VERDICT_KEPT, NULL, "%s", why);
}

/*
 * What the message proves to be, with the decision that follows:
 * 1 when it was kept as it is (r set), 0 to process it, with *signed_ok
 * when it is really signed (then it is not signed again) and *note for
 * the trace field and the log.
 */
static int
already_smime(struct engine *g, const char *sender, char *const *rcpts,
    size_t nrcpts, int act, const char *msg, size_t len, int *signed_ok,
    const char **note, mime_write_fn out, void *arg, struct engine_result *r)
{
	struct smime_probe pr;
	struct rid_set *rs;
	const char *miss;
	char list[150], why[200];
	size_t checked;

	*signed_ok = 0;
	*note = NULL;
	if (!rules_already_smime(g->rules))
		return 0;
	if ((rs = malloc(sizeof(*rs))) == NULL)
		return 0;	/* unproven: processed like any message */
	rs->n = 0;		/* entries are written as they come */
	(void)smime_probe(msg, len, rid_collect, rs, &pr);
	switch (pr.proof) {
	case SMIME_PROOF_NONE:
		break;
	case SMIME_PROOF_LABEL:
		*note = "label not S/MIME: processed";
		log_debug("label not S/MIME: %s", pr.why);
		break;
	case SMIME_PROOF_SIGNED:
		*signed_ok = 1;
		break;
	case SMIME_PROOF_ENVELOPED:
		miss = envelope_misses(g, sender, rcpts, nrcpts, act, rs,
		    &checked, list, sizeof(list));
		if (miss != NULL) {
			*note = "not encrypted for the recipient: processed";
			log_debug("%s names none of <%s>'s certificates", pr.why,
			    miss);
			break;
		}
		if (checked > 0)
			snprintf(why, sizeof(why), "already encrypted for %.170s",
			    list);
		else
			snprintf(why, sizeof(why), "already encrypted (%.40s, %zu "
			    "recipients)", pr.why, pr.nris);
		keep_message(g, msg, len, "already encrypted", checked > 0 &&
		    nrcpts == 1 ? rcpts[0] : NULL, why, out, arg, r);
		free(rs);
		return 1;
	}
	free(rs);
	return 0;
}

/* What the trace field says was done. */
static const char *
done_what(int sign, int encrypt, int signed_ok)
{
	if (signed_ok)
		return "encrypted the signed message";
	return sign && encrypt ? "signed, encrypted" : sign ? "signed" :
	    "encrypted";
}

/*
 * Triple wrapping (RFC 2634 section 1.1): the enveloped message in env
 * signed again by the same identity, in the signature form of the
 * policy, so a relay or the recipient's gateway can check its origin and
 * integrity without decrypting.  No header protection on this layer: the
 * enveloped one carries it.
 */
static int
sign_again(struct engine *g, const struct cms_signer *s,
    const struct rules_policy *p, struct spool *env, mime_write_fn out,
    void *arg, struct cms_error *ce)
{
	const char *emsg;
	size_t elen;
	int rc;

	if (spool_map(env, &emsg, &elen) == -1) {
		cms_error_set(ce, CMS_ERR_OUTPUT, "spool: %s", strerror(errno));
		return -1;
	}
	rc = smime_sign(emsg, elen, s, p->signature == RULES_SIG_OPAQUE ?
	    SMIME_OPAQUE : 0, time(NULL), &g->rng, out, arg, ce);
	spool_unmap(env);
	return rc;
}

/*
 * Sign, encrypt or both, as decided, through out: id NULL does not
 * sign; pl->want encrypts.  A message that is signed already
 * (signed_ok) is encrypted as it stands, the signed entity becoming the
 * enveloped content (RFC 8551 §3.7), so its signature survives inside.
 */
static void
engine_apply(struct engine *g, const char *msg, size_t len,
    struct engine_ident *id, const struct ks_entry *en, const char *how,
    const struct rules_policy *p, const struct enc_plan *pl, int signed_ok,
    const char *note, mime_write_fn out, void *arg, struct engine_result *r)
{
	static const mbedtls_md_type_t mds[] = { MBEDTLS_MD_SHA256,
	    MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA512 };
	struct cms_signer s;
	struct cms_error ce;
	struct spool_pool pool;
	struct spool env;
	char sdetail[160] = "", pre[120] = "";
	int rc, hp, triple = id != NULL && pl->want && p->triple_wrap;

	spool_pool_tmp(&pool, ENGINE_MID_MEM);
	spool_init(&env, &pool);
	if (note != NULL || signed_ok)
		snprintf(pre, sizeof(pre), "%s; ", note ? note : done_what(0,
		    1, 1));
	if (trace_field(g, triple ? "signed, encrypted, signed" :
	    done_what(id != NULL, pl->want, signed_ok), note,
	    out, arg) == -1) {
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_INTERNAL, "writing "
		    "the message");
		goto release;
	}
	if (id != NULL) {
		memset(&s, 0, sizeof(s));
		s.cert = &id->crt;
		s.chain = id->chain.raw.p ? &id->chain : NULL;
		s.op = &id->key.op;	/* checked by the key process */
		s.md = mds[p->digest];
		s.rsa_pss = p->rsa_padding == RULES_PAD_PSS;
		/* RFC 9788: protected headers go into the encrypted payload */
		hp = pl->want && p->header_protection ? SMIME_HP |
		    SMIME_OBSCURE : 0;
		hp |= p->signature == RULES_SIG_OPAQUE ? SMIME_OPAQUE : 0;
		/* signed and encrypted in one pass, the signed copy unstored */
		rc = pl->want ? smime_sign_encrypt(msg, len, &s, pl->rs, pl->n,
		    pl->cipher, hp, time(NULL), &g->rng, triple ?
		    spool_write_cb : out, triple ? (void *)&env : arg, &ce) :
		    smime_sign(msg, len, &s, hp, time(NULL), &g->rng, out, arg,
		    &ce);
		if (rc == -1)
			goto failed;
		snprintf(sdetail, sizeof(sdetail), "%s %s%s with %.16s (%s)",
		    p->signature == RULES_SIG_OPAQUE ? "opaque" : "detached",
		    cms_micalg(s.md), s.rsa_pss ? " pss" : "", en->fpr,
		    how ? how : "");
	}
	if (pl->want) {
		rc = id ? 0 : smime_encrypt(msg, len, pl->rs, pl->n,
		    pl->cipher, p->header_protection ? SMIME_HP |
		    SMIME_OBSCURE : 0, &g->rng, out, arg, &ce);
		if (rc == -1)
			goto failed;
		if (triple && sign_again(g, &s, p, &env, out, arg, &ce) == -1)
			goto failed;
		engine_result_set(r, id ? VERDICT_SIGNED_ENCRYPTED : VERDICT_ENCRYPTED,
		    NULL, "%s%s%s%s to %zu certificates%s", pre, sdetail,
		    sdetail[0] ? ", " : "", cipher_name(pl->cipher), pl->n,
		    triple ? ", signed again (triple)" : "");
	} else
		engine_result_set(r, VERDICT_SIGNED, NULL, "%s%s", pre, sdetail);
	goto release;
failed:
	engine_result_set(r, ce.code == CMS_ERR_ENCODING ? VERDICT_BADINPUT :
	    VERDICT_TEMPFAIL, ce.code == CMS_ERR_ENCODING ?
	    REPLY_BAD_MIME : REPLY_INTERNAL,
	    "%s", ce.msg);
release:
	spool_clear(&env);
}

/*
 * One message: sign, encrypt, both, or pass, or say why not.  The output
 * goes through out only for the signed/encrypted/already-smime verdicts;
 * for a pass the caller sends the original.
 */
void
engine_process(struct engine *g, const struct signers_client *c,
    const char *sender, char *const *rcpts, size_t nrcpts, const char *msg,
    size_t len, mime_write_fn out, void *arg, struct engine_result *r)
{
	char how[200] = "", notice[200] = "";
	const struct ks_entry *en = NULL;
	struct engine_ident *id = NULL;
	struct rules_policy p;
	struct enc_plan *pl;
	struct spool_pool pool;
	struct spool stripped;
	const char *smsg, *note;
	size_t slen;
	size_t i;
	int act, did_strip = 0, signed_ok;

	rules_sender_policy(g->rules, sender, &p);
	/* intermediate messages: spools, in memory only while small */
	spool_pool_tmp(&pool, ENGINE_MID_MEM);
	spool_init(&stripped, &pool);
	act = header_action(g->rules, msg, len, &stripped, &did_strip);
	if (did_strip && spool_map(&stripped, &smsg, &slen) == 0) {
		msg = smsg;
		len = slen;
	}
	/* triple: sign-encrypt whose result is signed again */
	if (act == RULES_ACTION_TRIPLE) {
		act = RULES_ACTION_SIGN_ENCRYPT;
		p.triple_wrap = 1;
	}
	if (g->triple)
		p.triple_wrap = 1;
	if (act == RULES_ACTION_SKIP) {
		engine_result_set(r, VERDICT_PASS, NULL, "header exception");
		spool_clear(&stripped);
		return;
	}
	if (act == RULES_ACTION_SIGN || act == RULES_ACTION_SIGN_ENCRYPT)
		p.sign = 1;
	/* a message of its own for a blind copy: bcc: skip-sign */
	if (p.bcc == RULES_BCC_SKIP_SIGN && nrcpts == 1 &&
	    !visible_recipient(msg, len, rcpts[0]))
		p.sign = 0;
	else if (p.bcc == RULES_BCC_SKIP_SIGN && nrcpts > 1)
		/* rules that only meet here (refused alone at load) */
		log_warnx("bcc: skip-sign in a transaction of %zu recipients: "
		    "a Bcc copy among them is signed like the rest", nrcpts);
	/* one body for all: a recipient that must not get S/MIME wins */
	for (i = 0; i < nrcpts; i++)
		if (rules_destination_excepted(g->rules, rcpts[i])) {
			engine_result_set(r, VERDICT_PASS, NULL, "destination exception "
			    "for a recipient");
			spool_clear(&stripped);
			return;
		}
	if (already_smime(g, sender, rcpts, nrcpts, act, msg, len, &signed_ok,
	    &note, out, arg, r)) {
		spool_clear(&stripped);
		return;
	}
	if ((pl = malloc(sizeof(*pl))) == NULL) {
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_INTERNAL, "out of memory");
		spool_clear(&stripped);
		return;
	}
	if (plan_encryption(g, sender, rcpts, nrcpts, act, &p, pl, r) == -1)
		goto done;
	if (signed_ok) {
		/* signed already: encrypted as it stands, or left alone */
		if (!pl->want)
			keep_message(g, msg, len, "already signed", NULL,
			    "already signed", out, arg, r);
		else
			engine_apply(g, msg, len, NULL, NULL, NULL, &p, pl, 1,
			    NULL, out, arg, r);
		goto done;
	}
	en = sender_identity(g, c, sender, &p, how, sizeof(how), r);
	if (en != NULL && (!author_may_sign(g, en, &p, sender, msg, len, r) ||
	    (id = engine_ident(g, en, r)) == NULL))
		en = NULL;
	if (r->verdict == VERDICT_TEMPFAIL || r->verdict == VERDICT_REJECT)
		goto done;
	if (r->notice)		/* not allowed to sign: said once, below */
		(void)strlcpy(notice, r->why, sizeof(notice));
	if (id == NULL && !pl->want)
		goto done;		/* r says why it passes */
	engine_apply(g, msg, len, id, en, how, &p, pl, 0, note, out, arg, r);
	if (notice[0] != '\0' && r->verdict == VERDICT_ENCRYPTED) {
		(void)strlcat(r->why, "; ", sizeof(r->why));
		(void)strlcat(r->why, notice, sizeof(r->why));
		r->notice = 1;
	}
done:
	plan_free(pl);
	free(pl);
	spool_clear(&stripped);
}
