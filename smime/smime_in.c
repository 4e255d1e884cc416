/*
 * Inbound: find the S/MIME signature of a message (multipart/signed with
 * either protocol spelling, or application/(x-)pkcs7-mime signed-data,
 * at the top or nested in the MIME tree) and verify it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "smime.h"

struct find {
	struct mime_node	 node;		/* spans into the message */
	int			 kind;		/* 1 detached, 2 opaque */
};

/*
 * The result points into the decoded DER, which goes away: keep copies
 * of what callers use later (certificate, capabilities).
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
	}
}

void
smime_verify_free(struct cms_verify *v)
{
	size_t i;

	for (i = 0; i < v->nsigners && i < CMS_MAX_SIGNERS; i++) {
		free((void *)v->signers[i].cert);
		free((void *)v->signers[i].caps);
		v->signers[i].cert = v->signers[i].caps = NULL;
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

/* The first signed entity, depth first. */
static int
find_cb(void *arg, const struct mime_node *n)
{
	struct find *f = arg;

	if (n->ct == NULL)
		return 0;
	if (mime_ctype_is(n->ct, "multipart", "signed") && is_sig_protocol(n->ct))
		f->kind = 1;
	else if (is_signed_data(n->ct))
		f->kind = 2;
	else
		return 0;
	f->node = *n;
	return 1;	/* stop */
}

/* LF -> CRLF: the signed octets as they were on the wire. */
static int
to_crlf(const char *p, size_t n, struct mime_buf *out)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++)
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')) {
			if (mime_buf_write(out, p + start, i - start) ||
			    mime_buf_write(out, "\r\n", 2))
				return -1;
			start = i + 1;
		}
	return mime_buf_write(out, p + start, n - start);
}

static int
decode_body(const struct mime_entity *e, struct mime_buf *der)
{
	if (mime_entity_cte(e) == MIME_CTE_BASE64)
		return mime_b64_decode(e->body, e->bodylen, der) == MIME_OK ?
		    0 : -1;
	return mime_buf_write(der, e->body, e->bodylen);
}

/* CRLF -> LF, for handing the signed entity back in our line ends. */
static int
lf_out(void *arg, const uint8_t *p, size_t n)
{
	struct mime_buf *b = arg;
	size_t i, start = 0;

	for (i = 0; i < n; i++)
		if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') {
			if (mime_buf_write(b, p + start, i - start))
				return -1;
			start = i + 1;
		}
	return mime_buf_write(b, p + start, n - start);
}

static int
verify_detached(const struct mime_node *n, const struct cms_trust *t,
    struct cms_verify *v, struct mime_buf *inner, struct cms_error *e)
{
	struct mime_ctype ct;
	struct mime_span bnd, part[2];
	struct mime_entity sig;
	struct mime_buf content, der;
	struct mime_mp mp;
	int rc = -1, i = 0;

	mime_ctype_init(&ct);
	mime_buf_init(&content, 0);
	mime_buf_init(&der, 0);
	if (mime_entity_ctype(&n->ent, &ct) != MIME_OK ||
	    mime_ctype_boundary(&ct, &bnd) != MIME_OK) {
		cms_error_set(e, CMS_ERR_ENCODING, "multipart/signed without "
		    "a boundary");
		goto done;
	}
	mime_mp_init(&mp, n->ent.body, n->ent.bodylen, bnd.p, bnd.len);
	while (i < 2 && mime_mp_next(&mp, &part[i]))
		i++;
	if (i < 2) {
		cms_error_set(e, CMS_ERR_ENCODING, "multipart/signed without "
		    "two parts");
		goto done;
	}
	if (mime_entity_parse(part[1].p, part[1].len, &sig) != MIME_OK ||
	    decode_body(&sig, &der) == -1 ||
	    to_crlf(part[0].p, part[0].len, &content) == -1) {
		cms_error_set(e, CMS_ERR_ENCODING, "the signature part cannot "
		    "be decoded");
		goto done;
	}
	rc = cms_verify((const uint8_t *)der.data, der.len,
	    (const uint8_t *)(content.data ? content.data : ""), content.len,
	    t, v, e);
	if (rc == 0)
		keep_copies(v);
	if (rc == 0 && inner && mime_buf_write(inner, part[0].p, part[0].len))
		rc = -1;
done:
	mime_ctype_clear(&ct);
	mime_buf_clear(&content);
	mime_buf_clear(&der);
	return rc;
}

static int
verify_opaque(const struct mime_node *n, const struct cms_trust *t,
    struct cms_verify *v, struct mime_buf *inner, struct cms_error *e)
{
	struct mime_buf der;
	int rc;

	mime_buf_init(&der, 0);
	if (decode_body(&n->ent, &der) == -1) {
		mime_buf_clear(&der);
		cms_error_set(e, CMS_ERR_ENCODING, "the pkcs7-mime body cannot "
		    "be decoded");
		return -1;
	}
	rc = cms_verify((const uint8_t *)der.data, der.len, NULL, 0, t, v, e);
	if (rc == 0)
		keep_copies(v);
	if (rc == 0 && inner && cms_signed_content((const uint8_t *)der.data,
	    der.len, lf_out, inner, e) == -1)
		rc = -1;
	mime_buf_clear(&der);
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
	return smime_verify_ex(msg, len, t, v, NULL, NULL, e);
}

/*
 * The same, also giving the signed entity (LF line ends) in inner and
 * whether the signature covers the whole message (top) rather than a
 * part nested in it.
 */
int
smime_verify_ex(const char *msg, size_t len, const struct cms_trust *t,
    struct cms_verify *v, struct mime_buf *inner, int *top,
    struct cms_error *e)
{
	struct find f;
	int rc;

	memset(&f, 0, sizeof(f));
	rc = mime_walk(msg, len, find_cb, &f);
	if (f.kind == 0) {
		if (rc == MIME_OK || rc == MIME_E_CALLBACK)
			return 1;
		cms_error_set(e, CMS_ERR_ENCODING, "MIME: %s",
		    mime_strerror(rc));
		/* a walk cut short may have hidden a signature: say so */
		return rc == MIME_E_DEPTH || rc == MIME_E_FIELDS ||
		    rc == MIME_E_HDRSIZE || rc == MIME_E_NOMEM ? -1 : 1;
	}
	if (top)
		*top = f.node.depth == 0;
	return f.kind == 1 ? verify_detached(&f.node, t, v, inner, e) :
	    verify_opaque(&f.node, t, v, inner, e);
}
