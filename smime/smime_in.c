/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Inbound: find the S/MIME signature of a message (multipart/signed with
 * either protocol spelling, or application/(x-)pkcs7-mime signed-data,
 * at the top or nested in the MIME tree) and verify it.
 *
 * What a mail client shows must be what was read here: a structure two
 * readers could take apart differently is an error, not a signature.
 * Duplicate Content-Type or Content-Transfer-Encoding fields on any
 * entity read before the signature, a multipart/signed without
 * protocol= or whose signature part is not of that protocol, or with
 * other than two parts: permerror.  An attached message (message/rfc822)
 * is someone else's mail: its signatures are never this message's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "smime.h"

struct find {
	struct mime_node	 node;		/* spans into the message */
	int			 kind;		/* 1 detached, 2 opaque */
	const char		*bad;		/* a structure not to trust */
	int			 dup;		/* duplicate structural fields */
	/* the path to the node being visited, per depth */
	size_t			 index[MIME_MAX_DEPTH];
	int			 message[MIME_MAX_DEPTH]; /* message/rfc822 */
	unsigned int		 depth;
};

/* The chain's certificates, in one block that chain[0] points to. */
static void
keep_chain(struct cms_signer_result *r)
{
	size_t i, total = 0;
	uint8_t *p;

	for (i = 0; i < r->nchain; i++)
		total += r->chainlen[i];
	if (r->nchain == 0 || (p = malloc(total)) == NULL) {
		r->nchain = 0;
		return;
	}
	for (i = 0; i < r->nchain; i++) {
		memcpy(p, r->chain[i], r->chainlen[i]);
		r->chain[i] = p;
		p += r->chainlen[i];
	}
}

/*
 * The result points into the decoded DER, which goes away: keep copies
 * of what callers use later (certificate, its chain, capabilities).
 */
static void
keep_copies(struct cms_verify *v)
{
	struct cms_signer_result *r;
	uint8_t *p;
	size_t i;

	for (i = 0; i < v->nsigners && i < CMS_MAX_SIGNERS; i++) {
		r = &v->signers[i];
		p = NULL;
		if (r->cert && (p = malloc(r->certlen)) != NULL)
			memcpy(p, r->cert, r->certlen);
		r->cert = p;
		if (p == NULL)
			r->certlen = 0;
		p = NULL;
		if (r->caps && (p = malloc(r->capslen)) != NULL)
			memcpy(p, r->caps, r->capslen);
		r->caps = p;
		if (p == NULL)
			r->capslen = 0;
		r->enc_pref = NULL;
		r->enc_preflen = 0;
		keep_chain(r);
	}
}

void
smime_verify_free(struct cms_verify *v)
{
	size_t i;

	for (i = 0; i < v->nsigners && i < CMS_MAX_SIGNERS; i++) {
		free((void *)v->signers[i].cert);
		free((void *)v->signers[i].caps);
		if (v->signers[i].nchain > 0)
			free((void *)v->signers[i].chain[0]);
		v->signers[i].cert = v->signers[i].caps = NULL;
		v->signers[i].nchain = 0;
	}
}

static int
is_sig_protocol(const struct mime_ctype *ct)
{
	const struct mime_param *p = mime_ctype_param(ct, "protocol");

	return p && (strcasecmp(p->value, "application/pkcs7-signature") == 0 ||
	    strcasecmp(p->value, "application/x-pkcs7-signature") == 0);
}

static int
is_signed_data(const struct mime_ctype *ct)
{
	const struct mime_param *p = mime_ctype_param(ct, "smime-type");

	if (!mime_ctype_is(ct, "application", "pkcs7-mime") &&
	    !mime_ctype_is(ct, "application", "x-pkcs7-mime"))
		return 0;
	return p == NULL || strcasecmp(p->value, "signed-data") == 0;
}

static int
is_sig_type(const struct mime_ctype *ct)
{
	return mime_ctype_is(ct, "application", "pkcs7-signature") ||
	    mime_ctype_is(ct, "application", "x-pkcs7-signature");
}

/* Two Content-Type (or -Transfer-Encoding) fields: readers may differ. */
static int
duplicate_structure(const struct mime_entity *e)
{
	return mime_hdr_count(e, "content-type") > 1 ||
	    mime_hdr_count(e, "content-transfer-encoding") > 1;
}

/* Inside an attached message (an ancestor is message/rfc822)? */
static int
in_attached_message(const struct find *f, unsigned int depth)
{
	unsigned int i;

	for (i = 0; i < depth; i++)
		if (f->message[i])
			return 1;
	return 0;
}

/*
 * The first signed entity, depth first, outside attached messages; a
 * structure that cannot be trusted on the way stops the search.
 */
static int
find_cb(void *arg, const struct mime_node *n)
{
	struct find *f = arg;
	const struct mime_param *proto;

	if (n->depth < MIME_MAX_DEPTH) {
		f->index[n->depth] = n->index;
		f->message[n->depth] = n->ct != NULL &&
		    mime_entity_is_message(&n->ent, n->ct);
	}
	if (n->ct == NULL || in_attached_message(f, n->depth))
		return 0;
	/* matters only if a signature follows: noted, the walk goes on */
	if (duplicate_structure(&n->ent))
		f->dup = 1;
	if (mime_ctype_is(n->ct, "multipart", "signed")) {
		proto = mime_ctype_param(n->ct, "protocol");
		if (proto == NULL) {
			f->bad = "multipart/signed without protocol";
			f->node = *n;
			return 1;
		}
		if (!is_sig_protocol(n->ct))
			return 0;	/* another kind (PGP/MIME) */
		f->kind = 1;
	} else if (is_signed_data(n->ct))
		f->kind = 2;
	else
		return 0;
	f->node = *n;
	f->depth = n->depth;
	return 1;	/* stop */
}

/* The signed entity's RFC 7281 part number ("1" for the whole message). */
static void
part_number(const struct find *f, char *out, size_t outsz)
{
	unsigned int i;
	size_t used = 0;
	int k;

	if (f->depth == 0 || f->depth >= MIME_MAX_DEPTH) {
		(void)strlcpy(out, "1", outsz);
		return;
	}
	out[0] = '\0';
	for (i = 1; i <= f->depth; i++) {
		k = snprintf(out + used, outsz - used, "%s%zu", i > 1 ? "." :
		    "", f->index[i] + 1);
		if (k < 0 || (size_t)k >= outsz - used) {
			(void)strlcpy(out, "1", outsz);
			return;
		}
		used += (size_t)k;
	}
}

/* The verifier's hash update, as a mime_write_fn. */
struct feed {
	int		(*up)(void *, const uint8_t *, size_t);
	void		 *ctx;
};

/* mime_crlf_write hands over a buffer of lines at a time: straight on. */
static int
feed_write(void *arg, const void *p, size_t n)
{
	const struct feed *f = arg;

	return n == 0 ? 0 : f->up(f->ctx, p, n);
}

/*
 * The signed octets as they were on the wire (bare LF made CRLF), fed
 * to the verifier's hash a chunk at a time (mime_fetch: the content is
 * not copied into memory whole).
 */
static int
feed_crlf(void *arg, int (*up)(void *, const uint8_t *, size_t), void *ctx)
{
	const struct mime_span *c = arg;
	struct feed f;		/* no allocation: nothing to fail but up */

	f.up = up;
	f.ctx = ctx;
	return mime_crlf_span(feed_write, &f, c->p, c->len) != 0 ? -1 : 0;
}

/* Large spans go out a chunk at a time, so a mapped input can be trimmed. */
int
smime_write_chunked(mime_write_fn fn, void *arg, const void *vp, size_t n)
{
	const char *p = vp;
	size_t k;

	for (; n > 0; p += k, n -= k) {
		k = n < MIME_CHUNK ? n : MIME_CHUNK;
		if (fn(arg, p, k) != 0)
			return -1;
		mime_consumed(k);
	}
	return 0;
}

/* A body's octets (base64 decoded) into scratch space, mapped. */
int
smime_body_decode(const struct mime_entity *e, struct mime_scratch *der,
    const uint8_t **p, size_t *n)
{
	struct mime_b64dec bd;
	const char *m;
	size_t off, k;
	int rc = 0;

	if (mime_scratch_open(der) == -1)
		return -1;
	if (mime_entity_cte(e) != MIME_CTE_BASE64)
		rc = smime_write_chunked(mime_scratch_write, der, e->body,
		    e->bodylen);
	else {
		mime_b64dec_init(&bd);
		for (off = 0; rc == 0 && off < e->bodylen; off += k) {
			k = e->bodylen - off < MIME_CHUNK ? e->bodylen - off :
			    MIME_CHUNK;
			rc = mime_b64dec_update(&bd, e->body + off, k,
			    mime_scratch_write, der) == MIME_OK ? 0 : -1;
			mime_consumed(k);
		}
		if (rc == 0 && mime_b64dec_final(&bd, mime_scratch_write,
		    der) != MIME_OK)
			rc = -1;
	}
	if (rc == -1 || mime_scratch_map(der, &m, n) == -1)
		return -1;
	*p = (const uint8_t *)m;
	return 0;
}

/* Embedded content, CRLF made LF, to the caller's sink. */
static int
content_out(void *arg, const uint8_t *p, size_t n)
{
	return smime_write_chunked(smime_lf_write, arg, p, n) ? 1 : 0;
}

static int
verify_detached(const struct mime_node *n, const struct cms_trust *t,
    struct cms_verify *v, mime_write_fn inner, void *arg,
    struct cms_error *e)
{
	struct mime_ctype ct, sct;
	struct mime_span bnd, part[2];
	struct mime_entity sig;
	struct mime_scratch der;
	struct mime_mp mp;
	const uint8_t *d;
	size_t dlen;
	int rc = -1, i = 0;

	mime_ctype_init(&ct);
	mime_ctype_init(&sct);
	memset(&der, 0, sizeof(der));	/* closed below even if not used */
	if (mime_entity_ctype(&n->ent, &ct) != MIME_OK ||
	    mime_ctype_boundary(&ct, &bnd) != MIME_OK) {
		cms_error_set(e, CMS_ERR_ENCODING, "multipart/signed without "
		    "a boundary");
		goto done;
	}
	mime_mp_init(&mp, n->ent.body, n->ent.bodylen, bnd.p, bnd.len);
	while (i < 2 && mime_mp_next(&mp, &part[i]))
		i++;
	if (i < 2 || mime_mp_next(&mp, &bnd)) {
		/* a third part: which two would a client show? */
		cms_error_set(e, CMS_ERR_ENCODING, "multipart/signed without "
		    "exactly two parts");
		goto done;
	}
	if (mime_entity_parse(part[1].p, part[1].len, &sig) != MIME_OK ||
	    mime_entity_ctype(&sig, &sct) != MIME_OK || !is_sig_type(&sct) ||
	    duplicate_structure(&sig)) {
		cms_error_set(e, CMS_ERR_ENCODING, "the signature part is not "
		    "of the multipart/signed protocol");
		goto done;
	}
	if (smime_body_decode(&sig, &der, &d, &dlen) == -1) {
		cms_error_set(e, CMS_ERR_ENCODING, "the signature part cannot "
		    "be decoded");
		goto done;
	}
	rc = cms_verify_feed(d, dlen, feed_crlf, &part[0], t, v, e);
	if (rc == 0)
		keep_copies(v);
	if (rc == 0 && inner && smime_write_chunked(inner, arg, part[0].p,
	    part[0].len) == -1)
		rc = -1;
done:
	mime_ctype_clear(&ct);
	mime_ctype_clear(&sct);
	mime_scratch_close(&der);
	return rc;
}

static int
verify_opaque(const struct mime_node *n, const struct cms_trust *t,
    struct cms_verify *v, mime_write_fn inner, void *arg,
    struct cms_error *e)
{
	struct mime_scratch der;
	struct smime_lf lf;
	const uint8_t *d;
	size_t dlen;
	int rc;

	if (smime_body_decode(&n->ent, &der, &d, &dlen) == -1) {
		mime_scratch_close(&der);
		cms_error_set(e, CMS_ERR_ENCODING, "the pkcs7-mime body cannot "
		    "be decoded");
		return -1;
	}
	rc = cms_verify(d, dlen, NULL, 0, t, v, e);
	if (rc == 0)
		keep_copies(v);
	memset(&lf, 0, sizeof(lf));
	lf.fn = inner;
	lf.arg = arg;
	if (rc == 0 && inner && (cms_signed_content(d, dlen, content_out, &lf,
	    e) == -1 || smime_lf_flush(&lf) == -1))
		rc = -1;
	mime_scratch_close(&der);
	return rc;
}

/*
 * Verify the message's signature.  Returns 0 with v filled (free it with
 * smime_verify_free), 1 when the message carries no signature, -1 when
 * one was found but cannot be read (e says why).
 */
int
smime_verify(const char *msg, size_t len, const struct cms_trust *t,
    struct cms_verify *v, struct cms_error *e)
{
	return smime_verify_ex(msg, len, t, v, NULL, NULL, NULL, e);
}

/*
 * The same, also writing the signed entity (LF line ends) to inner (when
 * not NULL) and saying where the signature sits (sc, when not NULL).
 */
int
smime_verify_ex(const char *msg, size_t len, const struct cms_trust *t,
    struct cms_verify *v, mime_write_fn inner, void *arg,
    struct smime_scope *sc, struct cms_error *e)
{
	struct find f;
	int rc;

	memset(&f, 0, sizeof(f));
	if (sc != NULL) {
		sc->top = 0;
		(void)strlcpy(sc->part, "1", sizeof(sc->part));
	}
	rc = mime_walk(msg, len, find_cb, &f);
	if (f.bad == NULL && f.kind != 0 && f.dup)
		f.bad = "duplicate Content-Type or Content-Transfer-Encoding "
		    "fields";
	if (f.bad != NULL) {
		cms_error_set(e, CMS_ERR_ENCODING, "%s", f.bad);
		return -1;
	}
	if (f.kind == 0) {
		if (rc == MIME_OK || rc == MIME_E_CALLBACK)
			return 1;
		cms_error_set(e, CMS_ERR_ENCODING, "MIME: %s",
		    mime_strerror(rc));
		/* a walk cut short may have hidden a signature: say so */
		return rc == MIME_E_DEPTH || rc == MIME_E_FIELDS ||
		    rc == MIME_E_HDRSIZE || rc == MIME_E_NOMEM ? -1 : 1;
	}
	if (sc != NULL) {
		sc->top = f.node.depth == 0;
		part_number(&f, sc->part, sizeof(sc->part));
	}
	return f.kind == 1 ? verify_detached(&f.node, t, v, inner, arg, e) :
	    verify_opaque(&f.node, t, v, inner, arg, e);
}
