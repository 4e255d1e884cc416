/*
 * The outbound decision and the work for one message.  Signing
 * identities (certificate, chain, unsealed key) are cached by
 * fingerprint, so a busy sender costs one unseal, not one per message;
 * the cache is emptied whenever the keystore changes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "engine.h"
#include "log.h"
#include "smime.h"

const char *
engine_verdict_str(enum engine_verdict v)
{
	static const char *names[] = { "pass", "signed", "tempfail",
	    "reject", "bad-input" };

	return names[v];
}

static void
ident_clear(struct engine_ident *id)
{
	if (id->fpr[0] == '\0')
		return;
	mbedtls_x509_crt_free(&id->crt);
	mbedtls_x509_crt_free(&id->chain);
	mbedtls_pk_free(&id->key);	/* zeroizes the key */
	memset(id, 0, sizeof(*id));
}

static void
cache_clear(struct engine *g)
{
	size_t i;

	for (i = 0; i < ENGINE_CACHE; i++)
		ident_clear(&g->cache[i]);
}

/*
 * Refuse a policy that asks for what this release does not carry out,
 * rather than ignore part of it.
 */
int
engine_rules_check(const struct rules *r, char *err, size_t errlen)
{
	if (rules_uses_encryption(r))
		snprintf(err, errlen, "encryption (encrypt, header action "
		    "encrypt) is not carried out by this release of "
		    "filter-smime; only signing is");
	else if (rules_uses_split_transactions(r))
		snprintf(err, errlen, "transaction modes other than shared and "
		    "bcc: skip-sign are not carried out by this release");
	else if (rules_uses_strip(r))
		snprintf(err, errlen, "header rules with strip are not carried "
		    "out by this release");
	else
		return 0;
	return -1;
}

static struct rules *
load_rules(const char *path, char *err, size_t errlen)
{
	struct rules *r;
	char why[256];

	r = path ? rules_load(path, err, errlen) : rules_default();
	if (r == NULL) {
		if (path == NULL)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (engine_rules_check(r, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", path, why);
		rules_free(r);
		return NULL;
	}
	return r;
}

int
engine_init(struct engine *g, const char *rules, const char *store,
    enum engine_action action, char *err, size_t errlen)
{
	struct ks_error e;

	memset(g, 0, sizeof(*g));
	g->action = action;
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
	cache_clear(g);
	if (g->have_store)
		ks_close(&g->store);
	free(g->store_dir);
	rules_free(g->rules);
	free(g->rules_path);
	cms_rng_free(&g->rng);
	memset(g, 0, sizeof(*g));
}

/*
 * Pick up a new keystore index: at most once a second, or at once when
 * forced (SIGHUP).  A store that fails to load keeps the old contents.
 */
void
engine_refresh(struct engine *g, int force)
{
	struct ks_error e;
	struct rules *r;
	char err[512];
	time_t now = time(NULL);

	if (force && g->rules_path) {
		/* a bad new file keeps the old rules */
		if ((r = load_rules(g->rules_path, err, sizeof(err))) == NULL)
			log_warnx("rules not reloaded, keeping the old ones: "
			    "%s", err);
		else {
			rules_free(g->rules);
			g->rules = r;
			log_info("rules reloaded from %s", g->rules_path);
		}
	}
	if (!g->have_store || (!force && now == g->checked))
		return;
	g->checked = now;
	if (!force && !ks_changed(&g->store))
		return;
	if (ks_reload(&g->store, &e) == -1) {
		log_warnx("keystore reload failed, keeping the old one: %s",
		    e.msg);
		return;
	}
	cache_clear(g);
	log_info("keystore reloaded: generation %llu, %zu certificates",
	    (unsigned long long)g->store.generation, g->store.nentries);
}

static void
result(struct engine_result *r, enum engine_verdict v, const char *reply,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
result(struct engine_result *r, enum engine_verdict v, const char *reply,
    const char *fmt, ...)
{
	va_list ap;

	r->verdict = v;
	(void)strlcpy(r->reply, reply ? reply : "", sizeof(r->reply));
	va_start(ap, fmt);
	(void)vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* The sender's answer from the store, turned into a verdict. */
static const struct ks_entry *
sender_identity(struct engine *g, const char *sender,
    const struct rules_policy *p, struct engine_result *r)
{
	const struct ks_entry *en = NULL;

	if (!g->have_store || g->action == ACTION_NONE || sender[0] == '\0' ||
	    (!p->sign && g->action != ACTION_SIGN)) {
		result(r, VERDICT_PASS, NULL, "no signing for %s",
		    sender[0] ? "this sender" : "the null sender");
		return NULL;
	}
	switch (ks_sign_identity(&g->store, sender, time(NULL), &en)) {
	case KS_FOUND:
		result(r, VERDICT_SIGNED, NULL, "identity %.16s", en->fpr);
		return en;
	case KS_EXPIRED:
		result(r, VERDICT_TEMPFAIL, REPLY_EXPIRED, "signing "
		    "certificate %.16s expired", en->fpr);
		return NULL;
	case KS_NOT_YET_VALID:
		result(r, VERDICT_TEMPFAIL, REPLY_NOT_VALID, "signing "
		    "certificate %.16s not yet valid", en->fpr);
		return NULL;
	case KS_NONE:
		break;
	}
	if (g->action == ACTION_SIGN || p->no_signing_key == RULES_NSK_TEMPFAIL)
		result(r, VERDICT_TEMPFAIL, REPLY_NO_KEY, "no signing identity");
	else
		result(r, VERDICT_PASS, NULL, "no signing identity");
	return NULL;
}

/* MAIL FROM: refuse at once what would be refused after DATA. */
int
engine_sender_check(struct engine *g, const char *sender,
    struct engine_result *r)
{
	struct rules_policy p;

	rules_sender_policy(g->rules, sender, &p);
	(void)sender_identity(g, sender, &p, r);
	return r->verdict == VERDICT_TEMPFAIL ? -1 : 0;
}

/* The identity ready to sign: from the cache, or loaded and unsealed. */
static struct engine_ident *
load_ident(struct engine *g, const struct ks_entry *en,
    struct engine_result *r)
{
	uint8_t master[KS_MASTER_LEN];
	struct engine_ident *id, *victim = &g->cache[0];
	struct ks_error e;
	size_t i;

	for (i = 0; i < ENGINE_CACHE; i++) {
		id = &g->cache[i];
		if (strcmp(id->fpr, en->fpr) == 0) {
			id->used = ++g->tick;
			return id;
		}
		if (id->used < victim->used)
			victim = id;
	}
	ident_clear(victim);
	mbedtls_x509_crt_init(&victim->crt);
	mbedtls_x509_crt_init(&victim->chain);
	mbedtls_pk_init(&victim->key);
	if (ks_master_key(g->store_dir, master, &e) == -1 ||
	    ks_load_cert(&g->store, en, &victim->crt, &e) == -1 ||
	    ks_load_key(&g->store, master, en, &victim->key, &e) == -1) {
		mbedtls_platform_zeroize(master, sizeof(master));
		mbedtls_x509_crt_free(&victim->crt);
		mbedtls_x509_crt_free(&victim->chain);
		mbedtls_pk_free(&victim->key);
		memset(victim, 0, sizeof(*victim));
		result(r, VERDICT_TEMPFAIL, REPLY_INTERNAL, "keystore: %s",
		    e.msg);
		return NULL;
	}
	mbedtls_platform_zeroize(master, sizeof(master));
	(void)ks_load_chain(&g->store, en, &victim->chain);
	(void)strlcpy(victim->fpr, en->fpr, sizeof(victim->fpr));
	victim->used = ++g->tick;
	return victim;
}

/*
 * The header exceptions (the built-in already-S/MIME one first): the
 * matching rule of lowest rank, or -1 when none matches.
 */
static int
header_action(const struct rules *rules, const char *msg, size_t len)
{
	struct mime_entity e;
	struct mime_hdr_iter it;
	struct mime_field f;
	struct rules_header_hit hit, best;
	char name[128], *value;
	int found = 0;

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
			found = 1;
		}
		free(value);
	}
	return found ? (int)best.action : -1;
}

/*
 * One message: sign it, or pass it, or say why not.  The output goes
 * through out only for VERDICT_SIGNED; for a pass the caller sends the
 * original.
 */
void
engine_process(struct engine *g, const char *sender, char *const *rcpts,
    size_t nrcpts, const char *msg, size_t len, mime_write_fn out, void *arg,
    struct engine_result *r)
{
	static const mbedtls_md_type_t mds[] = { MBEDTLS_MD_SHA256,
	    MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA512 };
	const struct ks_entry *en;
	struct engine_ident *id;
	struct rules_policy p;
	struct cms_signer s;
	struct cms_error ce;
	size_t i;
	int act;

	rules_sender_policy(g->rules, sender, &p);
	act = header_action(g->rules, msg, len);
	if (act == RULES_ACTION_SKIP) {
		result(r, VERDICT_PASS, NULL, "header exception (or already "
		    "S/MIME)");
		return;
	}
	if (act == RULES_ACTION_SIGN)
		p.sign = 1;
	/* one body for all: a recipient that must not get S/MIME wins */
	for (i = 0; i < nrcpts; i++)
		if (rules_destination_excepted(g->rules, rcpts[i])) {
			result(r, VERDICT_PASS, NULL, "destination exception "
			    "for a recipient");
			return;
		}
	if ((en = sender_identity(g, sender, &p, r)) == NULL ||
	    (id = load_ident(g, en, r)) == NULL)
		return;
	memset(&s, 0, sizeof(s));
	s.cert = &id->crt;
	s.chain = id->chain.raw.p ? &id->chain : NULL;
	s.key = &id->key;
	s.md = mds[p.digest];
	s.rsa_pss = p.rsa_padding == RULES_PAD_PSS;
	if (smime_sign(msg, len, &s, p.signature == RULES_SIG_OPAQUE,
	    time(NULL), &g->rng, out, arg, &ce) == -1) {
		result(r, ce.code == CMS_ERR_ENCODING ? VERDICT_BADINPUT :
		    VERDICT_TEMPFAIL, ce.code == CMS_ERR_ENCODING ?
		    "554 5.6.0 The message is not valid MIME" : REPLY_INTERNAL,
		    "signing: %s", ce.msg);
		return;
	}
	result(r, VERDICT_SIGNED, NULL, "%s %s%s with %.16s",
	    p.signature == RULES_SIG_OPAQUE ? "opaque" : "detached",
	    cms_micalg(s.md), s.rsa_pss ? " pss" : "", en->fpr);
}
