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

int
engine_init(struct engine *g, const char *store, enum engine_action action,
    char *err, size_t errlen)
{
	struct ks_error e;

	memset(g, 0, sizeof(*g));
	g->action = action;
	g->md = MBEDTLS_MD_SHA256;
	if (cms_rng_init(&g->rng) == -1) {
		snprintf(err, errlen, "cannot seed the random generator");
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
		g->store_dir = NULL;
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
	time_t now = time(NULL);

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
sender_identity(struct engine *g, const char *sender, struct engine_result *r)
{
	const struct ks_entry *en = NULL;

	if (!g->have_store || g->action == ACTION_NONE || sender[0] == '\0') {
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
	if (g->action == ACTION_SIGN)
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
	(void)sender_identity(g, sender, r);
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

static int
already_smime(const char *msg, size_t len)
{
	struct mime_entity e;
	struct mime_ctype ct;
	int kind;

	if (mime_entity_parse(msg, len, &e) != MIME_OK)
		return 0;
	mime_ctype_init(&ct);
	if (mime_entity_ctype(&e, &ct) != MIME_OK) {
		mime_ctype_clear(&ct);
		return 0;
	}
	kind = mime_smime_kind(&ct);
	mime_ctype_clear(&ct);
	return kind != MIME_SMIME_NONE;
}

/*
 * One message: sign it, or pass it, or say why not.  The output goes
 * through out only for VERDICT_SIGNED; for a pass the caller sends the
 * original.
 */
void
engine_process(struct engine *g, const char *sender, const char *msg,
    size_t len, mime_write_fn out, void *arg, struct engine_result *r)
{
	const struct ks_entry *en;
	struct engine_ident *id;
	struct cms_signer s;
	struct cms_error ce;

	if (already_smime(msg, len)) {
		result(r, VERDICT_PASS, NULL, "already S/MIME");
		return;
	}
	if ((en = sender_identity(g, sender, r)) == NULL ||
	    (id = load_ident(g, en, r)) == NULL)
		return;
	memset(&s, 0, sizeof(s));
	s.cert = &id->crt;
	s.chain = id->chain.raw.p ? &id->chain : NULL;
	s.key = &id->key;
	s.md = g->md;
	s.rsa_pss = g->rsa_pss;
	if (smime_sign(msg, len, &s, g->opaque, time(NULL), &g->rng, out,
	    arg, &ce) == -1) {
		result(r, ce.code == CMS_ERR_ENCODING ? VERDICT_BADINPUT :
		    VERDICT_TEMPFAIL, ce.code == CMS_ERR_ENCODING ?
		    "554 5.6.0 The message is not valid MIME" : REPLY_INTERNAL,
		    "signing: %s", ce.msg);
		return;
	}
	result(r, VERDICT_SIGNED, NULL, "%s %s with %.16s", g->opaque ?
	    "opaque" : "detached", cms_micalg(g->md), en->fpr);
}
