/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Inbound: verify a message's S/MIME signature and record the verdict in
 * an Authentication-Results header (RFC 8601, method smime of RFC 7281),
 * after removing any incoming one that claims our authserv-id (RFC 8601
 * §5), so a sender cannot forge a pass.  Signers' certificates from
 * signatures that pass are harvested for encrypting replies.
 */
#define _GNU_SOURCE	/* strcasestr(3) in glibc */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mbedtls/platform_util.h>

#include "engine.h"
#include "log.h"
#include "smime.h"
#include "spool.h"

static int	is_enveloped(const struct mime_entity *);
static int	unwrap_signed(struct engine *, const char *, size_t,
		    struct spool *, char *, size_t);
static void	verify_and_write(struct engine *, const char *, size_t,
		    const char *, mime_write_fn, void *, struct engine_result *,
		    const char *);

#ifndef SYSTEM_CA_BUNDLE
#define SYSTEM_CA_BUNDLE	"/etc/ssl/certs/ca-certificates.crt"
#endif

void
engine_trust_free(struct engine *g)
{
	if (!g->trust_loaded)
		return;
	mbedtls_x509_crt_free(&g->anchors);
	mbedtls_x509_crl_free(&g->crls);
	g->trust_loaded = 0;
}

/* The system bundle and the store's own anchors and CRLs. */
static void
trust_load(struct engine *g)
{
	if (g->trust_loaded)
		return;
	mbedtls_x509_crt_init(&g->anchors);
	mbedtls_x509_crl_init(&g->crls);
	(void)mbedtls_x509_crt_parse_file(&g->anchors, SYSTEM_CA_BUNDLE);
	if (g->have_store) {
		(void)ks_trust_anchors(&g->store, &g->anchors);
		(void)ks_crls(&g->store, &g->crls);
	}
	g->trust_loaded = 1;
}

/* A header value token or a quoted-string (RFC 8601 §2.2 value). */
static void
put_value(char *out, size_t outsz, const char *v)
{
	size_t o = 0;
	const char *p;
	int quote = 0;

	for (p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("@.-_+", *p))
			quote = 1;
	if (!quote) {
		(void)strlcpy(out, v, outsz);
		return;
	}
	if (outsz < 3)
		return;
	out[o++] = '"';
	for (p = v; *p && o + 3 < outsz; p++) {
		if (*p == '"' || *p == '\\')
			out[o++] = '\\';
		if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			out[o++] = *p;
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* The address in a From: value: inside <...>, else the value itself. */
static void
from_address(const char *msg, size_t len, char *out, size_t outsz)
{
	struct mime_entity e;
	struct mime_field f;
	char *v, *lt, *gt, *p;

	out[0] = '\0';
	if (mime_entity_parse(msg, len, &e) != MIME_OK ||
	    mime_hdr_find(&e, "from", 0, &f) != 0 ||
	    (v = malloc(f.valuelen + 1)) == NULL)
		return;
	v[mime_unfold(f.value, f.valuelen, v)] = '\0';
	if ((lt = strrchr(v, '<')) != NULL && (gt = strchr(lt, '>')) != NULL) {
		*gt = '\0';
		p = lt + 1;
	} else
		for (p = v; isspace((unsigned char)*p); p++)
			;
	p[strcspn(p, " \t\r\n")] = '\0';
	(void)strlcpy(out, p, outsz);
	free(v);
}

/* RFC 7281 result for one signer, and a reason for the comment. */
static const char *
signer_result(const struct cms_signer_result *s, const char *from,
    char *why, size_t whysz)
{
	switch (s->status) {
	case CMS_V_OK:
		if (from[0] && strcasecmp(from, s->email) != 0) {
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

/*
 * Keep the signer's certificate for encrypting replies: by default only
 * from signatures that pass, never self-signed; inbound: harvest: can
 * widen that (self-signed, on-failed-verify) or turn it off.
 */
static void
harvest(struct engine *g, const struct cms_signer_result *s, int pass)
{
	struct rules_inbound ib;
	mbedtls_x509_crt crt;
	struct ks_error e;
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
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_der(&crt, s->cert, s->certlen) == 0 &&
	    !known(g, &crt, caps) &&
	    ks_harvest(g->store_dir, &crt, s->email, caps, 0, &e) == -1)
		log_warnx("harvest %s: %s", s->email, e.msg);
	mbedtls_x509_crt_free(&crt);
}

/* Drop Authentication-Results fields that claim our authserv-id. */
static int
is_forged(const struct mime_field *f, const char *id)
{
	size_t n = strlen(id), i = 0;

	if (!mime_hdr_is(f, "authentication-results"))
		return 0;
	while (i < f->valuelen && isspace((unsigned char)f->value[i]))
		i++;
	return f->valuelen - i >= n && strncasecmp(f->value + i, id, n) == 0 &&
	    (f->valuelen - i == n || f->value[i + n] == ';' ||
	    isspace((unsigned char)f->value[i + n]));
}

/*
 * The message with our header first and forged ones dropped; with repl,
 * the routing headers and then repl (the signed entity) instead of the
 * message's own content.
 */
static int
write_message(const char *msg, size_t len, const char *ar, const char *id,
    const char *repl, size_t repllen, mime_write_fn out, void *arg,
    int *removed)
{
	struct mime_entity e;
	struct mime_hdr_iter it;
	struct mime_field f;

	if (mime_entity_parse(msg, len, &e) != MIME_OK)
		return -1;
	if (ar[0] && out(arg, ar, strlen(ar)) != 0)
		return -1;
	mime_hdr_iter_init(&it, &e);
	while (mime_hdr_next(&it, &f)) {
		if (is_forged(&f, id)) {
			(*removed)++;
			continue;
		}
		if (repl && smime_header_is_content(f.name, f.namelen))
			continue;
		if (out(arg, f.raw, f.rawlen) != 0)
			return -1;
	}
	if (repl)
		return smime_write_chunked(out, arg, repl, repllen);
	if (out(arg, e.sep, e.seplen) != 0 ||
	    smime_write_chunked(out, arg, e.body, e.bodylen) != 0)
		return -1;
	return 0;
}

/* ---- decryption ------------------------------------------------------ */

#define DEC_KEYS	8
#if DEC_KEYS >= ENGINE_CACHE
#error "a message's keys must fit in the identity cache at once"
#endif

/*
 * The keys one message may try.  They come from the engine's identity
 * cache: unsealed once, like signing keys, not per message.
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
    size_t slen, const uint8_t *ski, size_t skilen, mbedtls_pk_context **key)
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
	*key = &id->key;
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
    char *note, size_t notesz)
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
	while (mime_hdr_next(&it, &f))
		if (!smime_header_is_content(f.name, f.namelen) &&
		    spool_write(plain, f.raw, f.rawlen) == -1) {
			snprintf(note, notesz, "spool: %s", strerror(errno));
			goto done;
		}
	memset(&lf, 0, sizeof(lf));
	lf.fn = spool_write_cb;
	lf.arg = plain;
	memset(&d, 0, sizeof(d));
	d.find_key = find_key;
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
			    (crt = engine_cert_of(g, en)) == NULL)
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
	char note[200], trace[2400], outer[2048];
	const char *p;
	size_t n = 0, plen;
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
	drc = decrypt(g, msg, len, &plain, note, sizeof(note));
	if (drc == 0 && ib.encrypt_at_rest && g->have_store)
		n = rest_recipients(g, rcpts, nrcpts, rs, CMS_MAX_RECIPIENTS);
	if (drc == 1) {
		snprintf(trace, sizeof(trace), "%sX-SMIME-Decrypted: %s\n",
		    outer, note);
		if (spool_map(&plain, &p, &plen) == -1)
			engine_result_set(r, VERDICT_TEMPFAIL, REPLY_INTERNAL,
			    "spool: %s", strerror(errno));
		else
			verify_and_write(g, p, plen, trace, out, arg, r, note);
	} else if (drc == -1) {
		/* never lose the original: pass it with the reason */
		snprintf(trace, sizeof(trace), "%sX-SMIME-Decrypt: failed "
		    "(%.150s)\n", outer, note);
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
	trust_load(g);
	memset(t, 0, sizeof(*t));
	t->anchors = &g->anchors;
	t->crls = g->crls.version ? &g->crls : NULL;
	t->at = time(NULL);
	t->budget = &g->budget;
}

/*
 * The Authentication-Results field for one verification (rc as
 * smime_verify gives it) into ar, a summary into why; harvests from a
 * signature that allows it.  Returns the RFC 7281 result, NULL unsigned.
 */
static const char *
format_result(struct engine *g, const struct cms_verify *v, int rc,
    const struct cms_error *e, const char *from, char *ar, size_t arsz,
    char *why, size_t whysz)
{
	const struct cms_signer_result *s;
	const char *id = rules_authserv_id(g->rules), *res;
	char v1[320], v2[320];

	ar[0] = '\0';
	if (rc == 1) {
		snprintf(why, whysz, "not signed");
		return NULL;
	}
	if (rc == -1) {
		snprintf(ar, arsz, "Authentication-Results: %s;\n"
		    "\tsmime=permerror (%s)\n", id, e->msg);
		snprintf(why, whysz, "smime=permerror (%.150s)", e->msg);
		return "permerror";
	}
	s = &v->signers[0];
	res = signer_result(s, from, why, whysz);
	put_value(v1, sizeof(v1), s->email[0] ? s->email : "unknown");
	put_value(v2, sizeof(v2), s->issuer);
	snprintf(ar, arsz, "Authentication-Results: %s;\n"
	    "\tsmime=%s (%s)\n\tbody.smime-identifier=%s\n"
	    "\tbody.smime-part=1\n\tbody.smime-serial=%s\n"
	    "\tbody.smime-issuer=%s\n", id, res, why, v1,
	    s->serial[0] ? s->serial : "0", v2);
	snprintf(why, whysz, "smime=%s signer=%.150s", res,
	    s->email[0] ? s->email : "unknown");
	harvest(g, s, strcmp(res, "pass") == 0);
	return res;
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
	char from[320], why[200];
	const char *ip = NULL;
	size_t ilen = 0;
	int rc, top = 0, done = 0;

	trust_set(g, &t);
	memset(&v, 0, sizeof(v));
	spool_pool_tmp(&pool, ENGINE_MID_MEM);
	spool_init(&inner, &pool);
	rc = smime_verify_ex(msg, len, &t, &v, spool_write_cb, &inner, &top,
	    &e);
	if (rc == 0 && top && spool_map(&inner, &ip, &ilen) == 0 && ilen > 0 &&
	    mime_entity_parse(ip, ilen, &in) == MIME_OK &&
	    is_enveloped(&in) && mime_entity_parse(msg, len, &ent) == MIME_OK) {
		from_address(msg, len, from, sizeof(from));
		(void)format_result(g, &v, rc, &e, from, ar, arsz, why,
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

static void
verify_and_write(struct engine *g, const char *msg, size_t len,
    const char *extra, mime_write_fn out, void *arg, struct engine_result *r,
    const char *decrypted)
{
	struct rules_inbound ib;
	struct cms_verify v;
	struct cms_trust t;
	struct cms_error e;
	struct spool_pool pool;
	struct spool inner;
	const char *ip = NULL;
	size_t ilen = 0;
	char ar[4096], from[320], why[200];
	const char *id = rules_authserv_id(g->rules), *res;
	int rc, removed = 0, top = 0, strip = 0;

	trust_set(g, &t);
	memset(&v, 0, sizeof(v));
	rules_inbound(g->rules, &ib);
	spool_pool_tmp(&pool, ENGINE_MID_MEM);
	spool_init(&inner, &pool);
	rc = smime_verify_ex(msg, len, &t, &v, ib.remove_signature ?
	    spool_write_cb : NULL, &inner, &top, &e);
	from_address(msg, len, from, sizeof(from));
	res = format_result(g, &v, rc, &e, from, ar, sizeof(ar), why,
	    sizeof(why));
	/* signature: remove, for a verified whole-message signature */
	strip = ib.remove_signature && top && res && strcmp(res, "pass") == 0 &&
	    spool_map(&inner, &ip, &ilen) == 0 && ilen > 0;
	smime_verify_free(&v);
	if (extra[0] && strlcat(ar, extra, sizeof(ar)) >= sizeof(ar))
		ar[0] = '\0';
	rc = write_message(msg, len, ar, id, strip ? ip : NULL, ilen, out, arg,
	    &removed);
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
		log_info("forged Authentication-Results removed (%d)", removed);
}
