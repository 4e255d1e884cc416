/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Inbound: verify a message's S/MIME signature and record the verdict in
 * an Authentication-Results header (RFC 8601, method smime of RFC 7281),
 * after removing any incoming one that claims our authserv-id (RFC 8601
 * §5) and any field of the names we write ourselves, so a sender cannot
 * forge a pass or a decryption.  A pass needs the signer to be the
 * single From: author (RFC 8550 §3).  Signers' certificates from
 * signatures that pass are harvested for encrypting replies.
 */
#define _GNU_SOURCE	/* strcasestr(3) in glibc */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mbedtls/platform_util.h>

#include "addr.h"
#include "author.h"
#include "authres.h"
#include "certid.h"
#include "engine.h"
#include "log.h"
#include "revcheck.h"
#include "smime.h"
#include "spool.h"

static int	is_enveloped(const struct mime_entity *);
static int	unwrap_signed(struct engine *, const char *, size_t,
		    struct spool *, char *, size_t);
/* What decryption learned, for the verdict and the header merge. */
struct decrypted {
	const char	*note;		/* "aes256-CBC for bob@..." */
	int		 aead;		/* AuthEnvelopedData: has integrity */
	size_t		 nouter;	/* routing fields before the inner ones */
};

static void	verify_and_write(struct engine *, const char *, size_t,
		    const char *, mime_write_fn, void *, struct engine_result *,
		    const struct decrypted *);

/*
 * Is the author (author.h) among the signing certificate's addresses?
 * Without the certificate, the one address the verifier kept.  The
 * address that matched is kept in a->matched: it is the identity the
 * pass is for.
 */
static int
signer_is_author(const struct cms_signer_result *s, struct author *a)
{
	int rc;

	if (s->cert != NULL && (rc = author_in_cert(a, s->cert, s->certlen)) !=
	    -1)
		return rc;
	if (s->email[0] == '\0' || !addr_spec_eq(s->email, a->spec))
		return 0;
	(void)strlcpy(a->matched, s->email, sizeof(a->matched));
	return 1;
}

/* RFC 7281 result for one signer, and a reason for the comment. */
static const char *
signer_result(const struct cms_signer_result *s, struct author *a,
    char *why, size_t whysz)
{
	switch (s->status) {
	case CMS_V_OK:
		if (a->spec[0] == '\0') {
			snprintf(why, whysz, "%s", a->why);
			return "policy";
		}
		if (!signer_is_author(s, a)) {
			snprintf(why, whysz, "signer %.120s is not the From address",
			    s->email[0] ? s->email : "without an address");
			return "policy";
		}
		snprintf(why, whysz, "signature verified");
		return "pass";
	case CMS_V_DIGEST:
	case CMS_V_SIGNATURE:
	case CMS_V_CONTENT_TYPE:
	case CMS_V_NO_CERT:
		snprintf(why, whysz, "%s", cms_vstatus_str(s->status));
		return "fail";
	case CMS_V_MALFORMED:
	case CMS_V_CHAIN_LENGTH:	/* over a work bound: not judged */
	case CMS_V_BUDGET:
		snprintf(why, whysz, "%s", cms_vstatus_str(s->status));
		return "permerror";
	case CMS_V_UNSUPPORTED:
		snprintf(why, whysz, "%s", cms_vstatus_str(s->status));
		return "neutral";
	default:
		/* sound signature, certificate not acceptable */
		snprintf(why, whysz, "%s", cms_vstatus_str(s->status));
		return "policy";
	}
}

/*
 * Keep the signer's certificate for encrypting replies: by default only
 * from signatures that pass, never self-signed; inbound: harvest: can
 * widen that (self-signed, on-failed-verify) or turn it off.
 */
static void
harvest(struct engine *g, const struct cms_signer_result *s, int pass)
{
	struct rules_inbound ib;
	struct harvest h;
	char caps[2 * 512 + 1];
	size_t i;

	rules_inbound(g->rules, &ib);
	if (!g->have_store || !ib.harvest || s->cert == NULL ||
	    s->email[0] == '\0' || (s->self_signed && !ib.harvest_self_signed) ||
	    (!pass && !ib.harvest_failed))
		return;
	if (!pass && s->status != CMS_V_UNTRUSTED && s->status !=
	    CMS_V_EXPIRED && s->status != CMS_V_NOT_YET_VALID && s->status !=
	    CMS_V_OK)
		return;		/* a broken signature proves no key */
	caps[0] = '\0';
	for (i = 0; i < s->capslen && i < 512; i++)
		snprintf(caps + 2 * i, 3, "%02x", s->caps[i]);
	h.der = s->cert;
	h.len = s->certlen;
	for (h.nchain = 0; h.nchain < s->nchain && h.nchain < HARVEST_CHAIN;
	    h.nchain++) {
		h.chain[h.nchain] = s->chain[h.nchain];
		h.chainlen[h.nchain] = s->chainlen[h.nchain];
	}
	h.email = s->email;
	h.caps = caps;
	if (g->harvest_to != NULL) {
		/* a worker: the loop checks it again and writes it */
		if (g->harvest_to(g->harvest_arg, &h) == -1)
			log_warnx("harvest %s: cannot hand it over", s->email);
		return;
	}
	engine_harvest_store(g, &h);
}

/* The fields we write ourselves: never taken from outside. */
static const char *const own_fields[] = {
	"x-smime-decrypted",		/* inbound, this file */
	"x-smime-decrypt",
	"x-smime-gateway"		/* outbound, engine.c */
};

/*
 * A field to drop: an Authentication-Results that claims our
 * authserv-id however it is spelled, or one that cannot be read at all
 * (RFC 8601 §5), and any field of the names we write.
 */
static int
is_forged(const struct mime_field *f, const char *id)
{
	size_t i;

	if (mime_hdr_is(f, "authentication-results"))
		return authres_claims(f->value, f->valuelen, id);
	for (i = 0; i < sizeof(own_fields) / sizeof(own_fields[0]); i++)
		if (mime_hdr_is(f, own_fields[i]))
			return 1;
	return 0;
}

/*
 * Fields a message has at most once (RFC 5322, section 3.6), as a bit
 * each; 0 for any other field.  From: and Sender: come first: they are
 * never replaced (AUTHOR_FIELDS), since the verdict bound the signer to
 * the From: it checked, and that one stays what a client shows.
 */
#define AUTHOR_FIELDS	0x3u

static unsigned
single_field(const struct mime_field *f)
{
	static const char *const names[] = { "from", "sender", "reply-to",
	    "to", "cc", "bcc", "message-id", "in-reply-to", "references",
	    "subject", "date" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mime_hdr_is(f, names[i]))
			return 1u << i;
	return 0;
}

/*
 * The once-only fields among e's first n fields, as bits: one pass, so
 * merging costs a constant per field however many an attacker sends.
 */
static unsigned
single_fields(const struct mime_entity *e, size_t n)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	unsigned has = 0;
	size_t i;

	mime_hdr_iter_init(&it, e);
	for (i = 0; i < n && mime_hdr_next(&it, &f); i++)
		has |= single_field(&f);
	return has;
}

/* RFC 9788: the signed entity says it carries the protected fields. */
static int
protected_fields(const struct mime_entity *e)
{
	struct mime_ctype ct;
	int hp;

	mime_ctype_init(&ct);
	hp = mime_entity_ctype(e, &ct) == MIME_OK &&
	    mime_ctype_param(&ct, "hp") != NULL;
	mime_ctype_clear(&ct);
	return hp;
}

/*
 * The signed entity that replaces the content (signature: remove), its
 * fields merged with the routing ones already written: with protected
 * fields (RFC 9788) its values replaced those (see write_message), else
 * a field the routing header has already is dropped here.
 */
static int
write_inner(unsigned outer_has, const struct mime_entity *in,
    int inner_wins, const char *id, mime_write_fn out, void *arg,
    int *removed)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	unsigned lose = inner_wins ? outer_has & AUTHOR_FIELDS : outer_has;

	mime_hdr_iter_init(&it, in);
	while (mime_hdr_next(&it, &f)) {
		if (is_forged(&f, id)) {
			(*removed)++;
			continue;
		}
		if (single_field(&f) & lose)
			continue;
		if (out(arg, f.raw, f.rawlen) != 0)
			return -1;
	}
	if (out(arg, in->sep, in->seplen) != 0 ||
	    smime_write_chunked(out, arg, in->body, in->bodylen) != 0)
		return -1;
	return 0;
}

/*
 * The message with our header first and forged ones dropped; with repl,
 * the routing headers and then repl (the signed entity) instead of the
 * message's own content.  Never two From:, Subject:, Date: (...) at the
 * top: after decryption the fields from nouter on are the inner
 * entity's, not covered by any signature, so the routing ones win; a
 * signed entity that replaces the content wins only with protected
 * fields (write_inner).
 */
static int
write_message(const char *msg, size_t len, const char *ar, const char *id,
    const char *repl, size_t repllen, size_t nouter, mime_write_fn out,
    void *arg, int *removed)
{
	struct mime_entity e, in;
	struct mime_hdr_iter it;
	struct mime_field f;
	unsigned routing, lose = 0;
	int rc, merge, inner_wins = 0;
	size_t i;

	if ((rc = mime_entity_parse(msg, len, &e)) != MIME_OK) {
		/*
		 * A header over the parser's limits (fields, size) is no
		 * reason to hold mail that can go on unchanged: passed as it
		 * is, forged fields still removed.
		 */
		if ((rc != MIME_E_FIELDS && rc != MIME_E_HDRSIZE) ||
		    repl != NULL || mime_entity_parse_any(msg, len, &e) !=
		    MIME_OK)
			return -1;
	}
	routing = nouter == SIZE_MAX ? 0 : single_fields(&e, nouter);
	/* an entity that does not parse goes out as it is, as before */
	merge = repl != NULL && mime_entity_parse(repl, repllen, &in) ==
	    MIME_OK;
	if (merge && (inner_wins = protected_fields(&in)))
		lose = single_fields(&in, SIZE_MAX) & ~AUTHOR_FIELDS;
	if (ar[0] && out(arg, ar, strlen(ar)) != 0)
		return -1;
	mime_hdr_iter_init(&it, &e);
	for (i = 0; mime_hdr_next(&it, &f); i++) {
		if (is_forged(&f, id)) {
			(*removed)++;
			continue;
		}
		if (repl && smime_header_is_content(f.name, f.namelen))
			continue;
		if (single_field(&f) & ((i >= nouter ? routing : 0) | lose))
			continue;
		if (out(arg, f.raw, f.rawlen) != 0)
			return -1;
	}
	if (merge)
		return write_inner(single_fields(&e, SIZE_MAX), &in,
		    inner_wins, id, out, arg, removed);
	if (repl)
		return smime_write_chunked(out, arg, repl, repllen);
	if (out(arg, e.sep, e.seplen) != 0 ||
	    smime_write_chunked(out, arg, e.body, e.bodylen) != 0)
		return -1;
	return 0;
}

/* ---- decryption ------------------------------------------------------ */

#define DEC_KEYS	8
#if DEC_KEYS >= IDCACHE_IDENTS
#error "a message's keys must fit in the identity cache at once"
#endif

/*
 * The keys one message may try: identities from the engine's cache,
 * their keys in the key process, which decrypts only for the message's
 * recipients.
 */
struct dec_keys {
	struct engine		*g;
	size_t			 n;
	char			 account[KS_ACCOUNT_MAX + 1];
};

static void
hexstr(const uint8_t *p, size_t n, char *out, size_t outsz)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n && 2 * i + 2 < outsz; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* The keystore answers by issuer+serial or subjectKeyIdentifier. */
static int
find_key(void *arg, const uint8_t *issuer, size_t ilen, const uint8_t *serial,
    size_t slen, const uint8_t *ski, size_t skilen,
    const struct cms_keyop **key)
{
	struct dec_keys *dk = arg;
	const struct ks_entry *en;
	struct engine_ident *id;
	struct engine_result r;
	char h[65];

	if (issuer) {
		if (ks_idhash(issuer, ilen, serial, slen, h) == -1)
			return -1;
		en = ks_by_idhash(&dk->g->store, h);
	} else {
		if (skilen > 32)
			return -1;
		hexstr(ski, skilen, h, sizeof(h));
		en = ks_by_ski(&dk->g->store, h);
	}
	/* current and retired keys both: rotation keeps old mail readable */
	/* fewer than the cache holds: none is evicted while in use */
	if (en == NULL || en->kind != KS_INTERNAL || dk->n == DEC_KEYS ||
	    (id = engine_ident(dk->g, en, &r)) == NULL)
		return -1;
	(void)strlcpy(dk->account, en->account, sizeof(dk->account));
	dk->n++;
	*key = &id->key.op;
	return 0;
}

/* Decrypted content, CRLF made LF, into the spool. */
static int
plain_out(void *arg, const uint8_t *p, size_t n)
{
	return smime_lf_write(arg, p, n) != 0;
}

/* Is the message itself EnvelopedData or AuthEnvelopedData? */
static int
is_enveloped(const struct mime_entity *e)
{
	struct mime_ctype ct;
	const struct mime_param *p;
	int yes = 0;

	mime_ctype_init(&ct);
	if (mime_entity_ctype(e, &ct) == MIME_OK &&
	    (mime_ctype_is(&ct, "application", "pkcs7-mime") ||
	    mime_ctype_is(&ct, "application", "x-pkcs7-mime")) &&
	    (p = mime_ctype_param(&ct, "smime-type")) != NULL &&
	    (strcasecmp(p->value, "enveloped-data") == 0 ||
	    strcasecmp(p->value, "authenveloped-data") == 0))
		yes = 1;
	mime_ctype_clear(&ct);
	return yes;
}

/*
 * Decrypt for an internal recipient: the routing headers of the message,
 * a header recording the decryption, then the decrypted entity (CRLF
 * made LF).  Returns 1 with *plain set, 0 when the message is not
 * encrypted, -1 when it cannot be decrypted (note says why).
 */
static int
decrypt(struct engine *g, const char *msg, size_t len, struct spool *plain,
    char *note, size_t notesz, struct decrypted *dec)
{
	struct mime_entity ent;
	struct mime_hdr_iter it;
	struct mime_field f;
	struct mime_scratch der;
	struct smime_lf lf;
	struct dec_keys dk;
	struct cms_dec d;
	struct cms_error e;
	enum cms_dstatus st;
	const uint8_t *dp;
	size_t dlen;
	int rc = -1;

	if (mime_entity_parse(msg, len, &ent) != MIME_OK || !is_enveloped(&ent))
		return 0;
	memset(&der, 0, sizeof(der));
	memset(&dk, 0, sizeof(dk));
	dk.g = g;
	if (!g->have_store) {
		snprintf(note, notesz, "no keystore");
		goto done;
	}
	if (mime_entity_cte(&ent) != MIME_CTE_BASE64 ||
	    smime_body_decode(&ent, &der, &dp, &dlen) == -1) {
		snprintf(note, notesz, "the body is not base64");
		goto done;
	}
	/* routing headers, then the entity that was inside */
	mime_hdr_iter_init(&it, &ent);
	dec->nouter = 0;
	while (mime_hdr_next(&it, &f)) {
		if (smime_header_is_content(f.name, f.namelen))
			continue;
		if (spool_write(plain, f.raw, f.rawlen) == -1) {
			snprintf(note, notesz, "spool: %s", strerror(errno));
			goto done;
		}
		dec->nouter++;
	}
	memset(&lf, 0, sizeof(lf));
	lf.fn = spool_write_cb;
	lf.arg = plain;
	memset(&d, 0, sizeof(d));
	d.find_op = find_key;
	d.find_arg = &dk;
	d.out = plain_out;
	d.out_arg = &lf;
	d.rng = &g->rng;
	st = cms_decrypt(dp, dlen, &d, &e);
	if (st == CMS_D_OK && smime_lf_flush(&lf) == -1)
		st = CMS_D_OUTPUT;
	if (st != CMS_D_OK) {
		snprintf(note, notesz, "%s", cms_dstatus_str(st));
		goto done;
	}
	snprintf(note, notesz, "%s for %.150s", d.alg ? d.alg : "decrypted",
	    dk.account);
	dec->aead = d.auth;
	dec->note = note;
	rc = 1;
done:
	mime_scratch_close(&der);
	return rc;
}

/* ---- the inbound message ------------------------------------------------ */

/*
 * Encrypt at rest: the recipients' own current certificates (all of an
 * account's, so a rotated key still opens new mail); 0 when none.
 */
static size_t
rest_recipients(struct engine *g, char *const *rcpts, size_t n,
    struct cms_recipient *rs, size_t max)
{
	const struct ks_entry *en;
	const mbedtls_x509_crt *crt;
	time_t now = time(NULL);
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		for (en = ks_account_entries(&g->store, rcpts[i]); en &&
		    k < max; en = en->next_in_account) {
			if (en->kind != KS_INTERNAL || en->state != KS_CURRENT ||
			    !(en->purpose & KS_P_ENCRYPT) ||
			    en->not_after < (int64_t)now ||
			    (crt = idcache_cert(&g->ids, &g->store, en)) == NULL)
				continue;
			memset(&rs[k], 0, sizeof(rs[k]));
			rs[k++].cert = crt;
		}
	return k;
}

void
engine_inbound(struct engine *g, char *const *rcpts, size_t nrcpts,
    const char *msg, size_t len, mime_write_fn out, void *arg,
    struct engine_result *r)
{
	struct cms_recipient rs[CMS_MAX_RECIPIENTS];
	struct rules_inbound ib;
	struct spool_pool pool;
	struct spool plain, clear, layer;
	struct cms_error e;
	char note[200], safe[320], trace[2400], outer[2048];
	const char *p;
	size_t n = 0, plen;
	struct decrypted dec;
	int drc;

	/* every verification of this message spends from one budget */
	cms_budget_init(&g->budget, NULL);
	/* encrypted-then-signed: the outer signature first */
	spool_pool_tmp(&pool, ENGINE_MID_MEM);
	spool_init(&plain, &pool);
	spool_init(&clear, &pool);
	spool_init(&layer, &pool);
	outer[0] = '\0';
	if (unwrap_signed(g, msg, len, &layer, outer, sizeof(outer))) {
		if (spool_map(&layer, &msg, &len) == -1) {
			engine_result_set(r, VERDICT_TEMPFAIL, REPLY_INTERNAL,
			    "spool: %s", strerror(errno));
			goto done;
		}
	}
	/* decrypt; what was inside is verified and delivered */
	rules_inbound(g->rules, &ib);
	note[0] = '\0';
	memset(&dec, 0, sizeof(dec));
	drc = decrypt(g, msg, len, &plain, note, sizeof(note), &dec);
	if (drc == 0 && ib.encrypt_at_rest && g->have_store)
		n = rest_recipients(g, rcpts, nrcpts, rs, CMS_MAX_RECIPIENTS);
	/* the note holds no message text, but goes through the writer */
	(void)authres_comment(safe, sizeof(safe), note, 150);
	if (drc == 1) {
		snprintf(trace, sizeof(trace), "%sX-SMIME-Decrypted: %s\n",
		    outer, safe[0] ? safe : "decrypted");
		if (spool_map(&plain, &p, &plen) == -1)
			engine_result_set(r, VERDICT_TEMPFAIL, REPLY_INTERNAL,
			    "spool: %s", strerror(errno));
		else
			verify_and_write(g, p, plen, trace, out, arg, r, &dec);
	} else if (drc == -1) {
		/* never lose the original: pass it with the reason */
		snprintf(trace, sizeof(trace), "%sX-SMIME-Decrypt: failed "
		    "(%s)\n", outer, safe[0] ? safe : "unknown");
		verify_and_write(g, msg, len, trace, out, arg, r, NULL);
	} else if (n > 0) {
		/* plaintext in: verified, then encrypted to its recipients */
		verify_and_write(g, msg, len, outer, spool_write_cb, &clear, r,
		    NULL);
		if (r->verdict == VERDICT_TEMPFAIL)
			goto done;
		if (spool_map(&clear, &p, &plen) == -1 || smime_encrypt(p,
		    plen, rs, n, ib.encrypt_at_rest == 2 ? CMS_AES256_GCM :
		    CMS_AES256_CBC, 0, &g->rng, out, arg, &e) == -1) {
			engine_result_set(r, VERDICT_TEMPFAIL, REPLY_INTERNAL,
			    "encrypt at rest: %s", e.msg);
			goto done;
		}
		(void)strlcpy(trace, r->why, sizeof(trace));
		engine_result_set(r, VERDICT_CHECKED, NULL, "%.150s, encrypted "
		    "at rest to %zu certificates", trace, n);
	} else
		verify_and_write(g, msg, len, outer, out, arg, r, NULL);
done:
	spool_wipe(&plain);
	spool_wipe(&clear);
	spool_clear(&clear);
	spool_clear(&plain);
	spool_clear(&layer);
}

static void
trust_set(struct engine *g, struct cms_trust *t)
{
	idcache_trust_get(&g->ids, g->have_store ? &g->store : NULL, t);
	t->budget = &g->budget;
	/* revocation: none or ocsp: the CRLs do not decide */
	if (!revcheck_uses_crls(g))
		t->crls = NULL;
}

/* Our authserv-id as the field writes it (a valid value, never empty). */
static void
our_id(struct engine *g, char *id, size_t idsz)
{
	if (authres_value(id, idsz, rules_authserv_id(g->rules),
	    AUTHRES_ID_MAX, 0) == 0)
		(void)strlcpy(id, "localhost", idsz);
}

/* Longest value or comment we write; longer ones end in AUTHRES_MARK. */
#define AR_TEXT_MAX	200

/* " (text)" for a comment, or nothing when text is empty. */
static void
ar_comment(char *out, size_t outsz, const char *text, size_t maxlen)
{
	char c[2 * AR_TEXT_MAX + 8];

	out[0] = '\0';
	if (maxlen > AR_TEXT_MAX)
		maxlen = AR_TEXT_MAX;
	/* cut short, a comment would lose its ")": then none at all */
	if (authres_comment(c, sizeof(c), text, maxlen) > 0 &&
	    snprintf(out, outsz, " (%s)", c) >= (int)outsz)
		out[0] = '\0';
}

/* "\tbody.smime-NAME=value\n", or nothing when there is no value. */
static void
ar_prop(char *ar, size_t arsz, const char *name, const char *v, int addr)
{
	char val[2 * AR_TEXT_MAX + 8], line[2 * AR_TEXT_MAX + 64];

	/* after a field that did not fit, no continuation line on its own */
	if (ar[0] == '\0' ||
	    authres_value(val, sizeof(val), v, AR_TEXT_MAX, addr) == 0)
		return;
	snprintf(line, sizeof(line), "\tbody.smime-%s=%s\n", name, val);
	if (strlcat(ar, line, arsz) >= arsz)
		ar[0] = '\0';
}

/* The issuer of the signer's certificate as text, whatever its length. */
static void
issuer_of(const struct cms_signer_result *s, char *out, size_t outsz)
{
	if (s->cert == NULL || certid_dn(s->cert, s->certlen, CERTID_ISSUER,
	    out, outsz) == -1)
		(void)strlcpy(out, s->issuer, outsz);
}

/*
 * The Authentication-Results field for one verification (rc as
 * smime_verify gives it) into ar, a summary into why; harvests from a
 * signature that allows it.  Returns the RFC 7281 result, NULL unsigned.
 * Every value from the message or a certificate goes through the
 * writer: a token or an escaped quoted-string, or left out when empty.
 */
static const char *
format_result(struct engine *g, const struct cms_verify *v, int rc,
    const struct cms_error *e, const struct smime_scope *sc,
    struct author *a, char *ar, size_t arsz, char *why, size_t whysz)
{
	const struct cms_signer_result *s;
	const char *res, *sigres;
	char part[160];
	char id[2 * AUTHRES_ID_MAX + 8], com[2 * AR_TEXT_MAX + 16];
	char dn[1024], who[2 * AR_TEXT_MAX + 8], lc[2 * AR_TEXT_MAX + 16];

	ar[0] = '\0';
	if (rc == 1) {
		snprintf(why, whysz, "not signed");
		return NULL;
	}
	our_id(g, id, sizeof(id));
	if (rc == -1) {
		ar_comment(com, sizeof(com), e->msg, AR_TEXT_MAX);
		snprintf(ar, arsz, "Authentication-Results: %s;\n"
		    "\tsmime=permerror%s\n", id, com);
		snprintf(why, whysz, "smime=permerror%.150s", com);
		return "permerror";
	}
	s = &v->signers[0];
	res = sigres = signer_result(s, a, why, whysz);
	/* only a signature that would pass is worth a question */
	if (strcmp(sigres, "pass") == 0)
		res = sigres = revcheck_signer(g, s, why, whysz);
	if (!sc->top) {
		/*
		 * The signature covers one part, not what a client shows as
		 * the message: never the message's pass.
		 */
		snprintf(part, sizeof(part), "only part %s is signed: %s; ",
		    sc->part, sigres);
		if (strlen(part) + strlen(why) < whysz) {
			memmove(why + strlen(part), why, strlen(why) + 1);
			memcpy(why, part, strlen(part));
		}
		res = "neutral";
	}
	ar_comment(com, sizeof(com), why, AR_TEXT_MAX);
	/* the log line keeps a short reason for anything but a pass */
	ar_comment(lc, sizeof(lc), strcmp(res, "pass") == 0 ? "" : why, 60);
	snprintf(ar, arsz, "Authentication-Results: %s;\n\tsmime=%s%s\n", id,
	    res, com);
	/* a pass names the address it binds, else the certificate's first */
	ar_prop(ar, arsz, "identifier", strcmp(res, "pass") == 0 &&
	    a->matched[0] != '\0' ? a->matched : s->email, 1);
	snprintf(part, sizeof(part), "\tbody.smime-part=%s\n", sc->part);
	if (ar[0] != '\0' && strlcat(ar, part, arsz) >= arsz)
		ar[0] = '\0';
	ar_prop(ar, arsz, "serial", s->serial, 0);
	issuer_of(s, dn, sizeof(dn));
	ar_prop(ar, arsz, "issuer", dn, 0);
	if (authres_value(who, sizeof(who), s->email, 60, 1) == 0)
		(void)strlcpy(who, "unknown", sizeof(who));
	if (snprintf(why, whysz, "smime=%s%s signer=%s", res, lc, who) >=
	    (int)whysz && whysz > 4)
		memcpy(why + whysz - 4, "...", 4);	/* a log line, cut */
	harvest(g, s, strcmp(sigres, "pass") == 0);
	return res;
}

/*
 * The first part of a multipart/signed body: is it enveloped?  Only its
 * header is read, not the part to its end (which for a large message
 * means the whole message).  Whatever the header alone cannot tell (no
 * end of header, or a delimiter inside it) says yes: the verification
 * then looks.
 */
static int
first_part_enveloped(const struct mime_entity *ent, const struct mime_span *bnd)
{
	struct mime_entity part;
	struct mime_mp mp;
	const char *at;
	size_t hlen;

	mime_mp_init(&mp, ent->body, ent->bodylen, bnd->p, bnd->len);
	if (mime_mp_start(&mp) != MIME_OK || mp.closed)
		return 0;	/* no part: not a signature that verifies */
	at = mp.p + mp.off;
	if (mime_entity_parse(at, mp.len - mp.off, &part) != MIME_OK ||
	    !part.has_sep)
		return 1;
	hlen = (size_t)(part.body - at);
	if (memmem(at, hlen, bnd->p, bnd->len) != NULL)
		return 1;
	return is_enveloped(&part);
}

/*
 * Could msg be encrypted, then signed?  Only if the message itself is
 * signed: a multipart/signed whose first part is enveloped, or signed
 * data, which only its verification looks into.  Anything else is
 * verified once, by verify_and_write, and not here first for nothing
 * (for a large signed message, that first time is half the work).
 */
static int
may_be_wrapped(const char *msg, size_t len)
{
	struct mime_entity ent;
	struct mime_ctype ct;
	struct mime_span bnd;
	int yes = 0;

	if (mime_entity_parse(msg, len, &ent) != MIME_OK)
		return 0;
	mime_ctype_init(&ct);
	if (mime_entity_ctype(&ent, &ct) != MIME_OK)
		yes = 0;
	else if (mime_ctype_is(&ct, "multipart", "signed")) {
		if (mime_ctype_boundary(&ct, &bnd) == MIME_OK)
			yes = first_part_enveloped(&ent, &bnd);
	} else
		yes = mime_ctype_is(&ct, "application", "pkcs7-mime") ||
		    mime_ctype_is(&ct, "application", "x-pkcs7-mime");
	mime_ctype_clear(&ct);
	return yes;
}

/*
 * Encrypted, then signed (the outer layer of triple wrapping): a
 * signature over the whole message whose content is enveloped.  Verify
 * it, keep its verdict in ar, and give the routing headers plus the
 * enveloped entity in next, to be decrypted and verified in turn.
 */
static int
unwrap_signed(struct engine *g, const char *msg, size_t len,
    struct spool *next, char *ar, size_t arsz)
{
	struct mime_entity ent, in;
	struct mime_hdr_iter it;
	struct mime_field f;
	struct spool_pool pool;
	struct spool inner;
	struct cms_verify v;
	struct cms_trust t;
	struct cms_error e;
	struct author au;
	char why[200];
	const char *ip = NULL;
	size_t ilen = 0;
	struct smime_scope sc;
	int rc, done = 0;

	if (!may_be_wrapped(msg, len))
		return 0;
	trust_set(g, &t);
	memset(&v, 0, sizeof(v));
	spool_pool_tmp(&pool, ENGINE_MID_MEM);
	spool_init(&inner, &pool);
	rc = smime_verify_ex(msg, len, &t, &v, spool_write_cb, &inner, &sc,
	    &e);
	if (rc == 0 && sc.top && spool_map(&inner, &ip, &ilen) == 0 && ilen > 0 &&
	    mime_entity_parse(ip, ilen, &in) == MIME_OK &&
	    is_enveloped(&in) && mime_entity_parse(msg, len, &ent) == MIME_OK) {
		author_of(msg, len, &au);
		(void)format_result(g, &v, rc, &e, &sc, &au, ar, arsz, why,
		    sizeof(why));
		/* a layer that cannot be written whole is not used */
		done = 1;
		mime_hdr_iter_init(&it, &ent);
		while (mime_hdr_next(&it, &f))
			if (!smime_header_is_content(f.name, f.namelen) &&
			    spool_write(next, f.raw, f.rawlen) == -1)
				done = 0;
		if (smime_write_chunked(spool_write_cb, next, ip, ilen) == -1)
			done = 0;
		if (!done)
			ar[0] = '\0';
	}
	if (rc == 0)
		smime_verify_free(&v);
	spool_clear(&inner);
	return done;
}

/*
 * Content decrypted from EnvelopedData (CBC) has no integrity: flipped
 * ciphertext bits decrypt to altered plaintext.  Unless a signature
 * inside passed, say so: the X-SMIME-Decrypted record (the last line of
 * extra) is marked "(unauthenticated)", and a message with no verdict
 * of its own gets smime=none with the reason.  Returns the extra text
 * to use (xtra, or extra unchanged when it does not fit).
 */
static const char *
unauthenticated(struct engine *g, char *ar, size_t arsz, const char *extra,
    char *xtra, size_t xsz)
{
	char id[2 * AUTHRES_ID_MAX + 8];
	size_t n = strlen(extra);

	if (n == 0 || extra[n - 1] != '\n' ||
	    snprintf(xtra, xsz, "%.*s (unauthenticated)\n", (int)(n - 1),
	    extra) >= (int)xsz)
		return extra;
	if (ar[0] == '\0') {
		our_id(g, id, sizeof(id));
		snprintf(ar, arsz, "Authentication-Results: %s;\n\tsmime=none "
		    "(decrypted content without integrity protection and "
		    "without a signature)\n", id);
	}
	return xtra;
}

static void
verify_and_write(struct engine *g, const char *msg, size_t len,
    const char *extra, mime_write_fn out, void *arg, struct engine_result *r,
    const struct decrypted *dec)
{
	const char *decrypted = dec != NULL ? dec->note : NULL;
	struct rules_inbound ib;
	struct cms_verify v;
	struct cms_trust t;
	struct cms_error e;
	struct spool_pool pool;
	struct spool inner;
	const char *ip = NULL;
	size_t ilen = 0;
	struct author au;
	char ar[4096], why[200], xtra[2600];
	const char *id = rules_authserv_id(g->rules), *res;
	struct smime_scope sc;
	int rc, removed = 0, strip = 0;

	trust_set(g, &t);
	memset(&v, 0, sizeof(v));
	rules_inbound(g->rules, &ib);
	spool_pool_tmp(&pool, ENGINE_MID_MEM);
	spool_init(&inner, &pool);
	rc = smime_verify_ex(msg, len, &t, &v, ib.remove_signature ?
	    spool_write_cb : NULL, &inner, &sc, &e);
	author_of(msg, len, &au);
	res = format_result(g, &v, rc, &e, &sc, &au, ar, sizeof(ar), why,
	    sizeof(why));
	/* signature: remove, for a verified whole-message signature */
	strip = ib.remove_signature && sc.top && res && strcmp(res, "pass") == 0 &&
	    spool_map(&inner, &ip, &ilen) == 0 && ilen > 0;
	smime_verify_free(&v);
	if (dec != NULL && !dec->aead && (res == NULL || strcmp(res,
	    "pass") != 0))
		extra = unauthenticated(g, ar, sizeof(ar), extra, xtra,
		    sizeof(xtra));
	if (extra[0] && strlcat(ar, extra, sizeof(ar)) >= sizeof(ar))
		ar[0] = '\0';
	rc = write_message(msg, len, ar, id, strip ? ip : NULL, ilen,
	    dec != NULL ? dec->nouter : SIZE_MAX, out, arg, &removed);
	spool_clear(&inner);
	if (rc == -1) {
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_INTERNAL, "writing the "
		    "message");
		return;
	}
	if (ar[0] == '\0' && removed == 0 && decrypted == NULL) {
		engine_result_set(r, VERDICT_PASS, NULL, "%s", why);
		return;
	}
	engine_result_set(r, VERDICT_CHECKED, NULL, "%s%s%s%s%s", decrypted ?
	    "decrypted " : "", decrypted ? decrypted : "", decrypted ? ", " :
	    "", why, strip ? ", signature removed" : "");
	if (removed)
		log_info("forged fields removed (%d): Authentication-Results "
		    "with our authserv-id, X-SMIME-*", removed);
}
