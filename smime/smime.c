/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Signing a message: multipart/signed (detached, RFC 8551 §3.5.3) or
 * application/pkcs7-mime; smime-type=signed-data (opaque, §3.5.2).
 */
#define _GNU_SOURCE	/* memmem(3) in glibc */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "digest.h"
#include "mime.h"
#include "smime.h"

#define BOUNDARY_LEN	40

/*
 * Writes through, dropping the CR of each CRLF: our output is LF.  With
 * crlf set it goes the other way, for an entity that is encrypted as it
 * is made: what goes in encrypted must be canonical.
 */
int
smime_lf_write(void *a, const void *p, size_t n)
{
	struct smime_lf *o = a;
	const char *start = p, *end = start + n, *cr;

	if (o->err)
		return -1;
	if (n == 0)
		return 0;
	if (o->crlf) {
		if (mime_crlf_write(o->fn, o->arg, p, n, &o->cr) != 0)
			o->err = 1;
		return o->err ? -1 : 0;
	}
	if (o->cr) {		/* the last call's final CR */
		o->cr = 0;
		if (*start != '\n' && o->fn(o->arg, "\r", 1) != 0)
			goto fail;
	}
	while ((cr = memchr(start, '\r', (size_t)(end - start))) != NULL) {
		if (cr > start && o->fn(o->arg, start, (size_t)(cr - start)))
			goto fail;
		start = cr + 1;
		if (start == end) {
			o->cr = 1;	/* the next octet decides */
			return 0;
		}
		if (*start != '\n' && o->fn(o->arg, "\r", 1) != 0)
			goto fail;	/* a lone CR stays */
	}
	if (end > start && o->fn(o->arg, start, (size_t)(end - start)) != 0)
		goto fail;
	return 0;
fail:
	o->err = 1;
	return -1;
}

/* A CR held back at the very end was not part of a CRLF. */
int
smime_lf_flush(struct smime_lf *o)
{
	if (o->err)
		return -1;
	if (o->cr && !o->crlf && o->fn(o->arg, "\r", 1) != 0)
		o->err = 1;
	o->cr = 0;
	return o->err ? -1 : 0;
}

/*
 * A failure while the output writer failed is the writer's (a full or
 * unwritable TMPDIR, a closed pipe), whatever the step that noticed it
 * made of it: a temporary condition, never "not valid MIME".
 */
static void
output_failed(const struct smime_lf *o, int rc, struct cms_error *e)
{
	if (rc == -1 && o->err)
		cms_error_set(e, CMS_ERR_OUTPUT, "the output could not be "
		    "written");
}

static int
put(struct smime_lf *o, const char *s)
{
	return smime_lf_write(o, s, strlen(s));
}

/* Content-* (and MIME-Version) belong to the entity, not the message. */
int
smime_header_is_content(const char *name, size_t len)
{
	return (len > 8 && strncasecmp(name, "content-", 8) == 0) ||
	    (len == 12 && strncasecmp(name, "mime-version", 12) == 0);
}

/* Header fields RFC 9788 protects (copied into the payload). */
static int
is_protected(const struct mime_field *f)
{
	static const char *const names[] = { "from", "to", "cc", "subject",
	    "date", "message-id", "reply-to", "in-reply-to", "references",
	    "followup-to", NULL };
	size_t i;

	for (i = 0; names[i]; i++)
		if (mime_hdr_is(f, names[i]))
			return 1;
	return 0;
}

/* A field without its final line end, then our own end. */
static int
put_field(struct mime_buf *b, const struct mime_field *f, const char *more)
{
	size_t n = f->rawlen;

	while (n > 0 && (f->raw[n - 1] == '\n' || f->raw[n - 1] == '\r'))
		n--;
	return mime_buf_write(b, f->raw, n) || mime_buf_write(b, more,
	    strlen(more)) || mime_buf_write(b, "\n", 1) ? -1 : 0;
}

/*
 * The entity that is signed or encrypted: the Content-* fields and the
 * body; with SMIME_HP also copies of the protected header fields and
 * hp="cipher" on its Content-Type (RFC 9788 §2).  Only its header is
 * built here (in hdr); its body is the message's own, never copied.
 */
static int
inner_entity(const char *msg, size_t len, struct mime_buf *hdr,
    struct mime_entity *e, struct mime_entity *in, int flags)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	const char *hp = flags & SMIME_HP ? "; hp=\"cipher\"" : "";
	int ctype = 0;

	if (mime_entity_parse(msg, len, e) != MIME_OK)
		return -1;
	mime_hdr_iter_init(&it, e);
	while (mime_hdr_next(&it, &f)) {
		if ((flags & SMIME_HP) && is_protected(&f) &&
		    put_field(hdr, &f, "") == -1)
			return -1;
		if (!smime_header_is_content(f.name, f.namelen) ||
		    mime_hdr_is(&f, "mime-version"))
			continue;
		if (mime_hdr_is(&f, "content-type")) {
			ctype = 1;
			if (put_field(hdr, &f, hp) == -1)
				return -1;
		} else if (put_field(hdr, &f, "") == -1)
			return -1;
	}
	/* make the default explicit, as clients show it more reliably */
	if (!ctype && (mime_buf_write(hdr,
	    "Content-Type: text/plain; charset=us-ascii", 42) != 0 ||
	    mime_buf_write(hdr, hp, strlen(hp)) ||
	    mime_buf_write(hdr, "\n", 1)))
		return -1;
	if (mime_buf_write(hdr, "\n", 1) != 0 ||
	    mime_entity_parse(hdr->data, hdr->len, in) != MIME_OK)
		return -1;
	in->body = e->body;
	in->bodylen = e->bodylen;
	return 0;
}

/*
 * The routing headers, as they came (line ends made LF); SMIME_OBSCURE
 * replaces the Subject with "[...]" (RFC 9788 §4.4).
 */
static int
outer_headers(const struct mime_entity *e, struct smime_lf *o, int flags)
{
	struct mime_hdr_iter it;
	struct mime_field f;

	mime_hdr_iter_init(&it, e);
	while (mime_hdr_next(&it, &f)) {
		if (smime_header_is_content(f.name, f.namelen))
			continue;
		if ((flags & SMIME_OBSCURE) && mime_hdr_is(&f, "subject")) {
			if (put(o, "Subject: [...]\n"))
				return -1;
			continue;
		}
		if (smime_lf_write(o, f.raw, f.rawlen) != 0)
			return -1;
		if (f.rawlen == 0 || f.raw[f.rawlen - 1] != '\n')
			(void)put(o, "\n");
	}
	return put(o, "MIME-Version: 1.0\n");
}

/*
 * One pass of the canonical form (mime_canon_entity) through a buffer:
 * each full buffer is hashed, counted, searched for the boundary and
 * passed on, as each pass needs.  Canonicalising is deterministic, so a
 * second pass gives the octets the first counted; it is checked.
 */
#ifndef PASS_BUF		/* the fuzz build makes it tiny */
#define PASS_BUF	(64 * 1024)
#endif

struct pass {
	struct digest		*md;		/* hash, or NULL */
	const char		*bnd;		/* look for it, or NULL */
	char			 carry[BOUNDARY_LEN];
	size_t			 ncarry;
	int			 found;
	mime_write_fn		 fn;		/* pass on, or NULL */
	void			*arg;
	uint64_t		 len;
	int			 err;
	size_t			 n;
	char			 buf[PASS_BUF];
};

static void
pass_init(struct pass *ps, struct digest *md, const char *bnd,
    mime_write_fn fn, void *arg)
{
	ps->md = md;
	ps->bnd = bnd;
	ps->ncarry = 0;
	ps->found = 0;
	ps->fn = fn;
	ps->arg = arg;
	ps->len = 0;
	ps->err = 0;
	ps->n = 0;
}

/* The boundary anywhere in the content, across buffers too. */
static void
pass_scan(struct pass *ps, const char *p, size_t n)
{
	char win[2 * BOUNDARY_LEN];
	size_t k = n < BOUNDARY_LEN - 1 ? n : BOUNDARY_LEN - 1, keep, w;

	memcpy(win, ps->carry, ps->ncarry);
	memcpy(win + ps->ncarry, p, k);
	w = ps->ncarry + k;
	/*
	 * No occurrence without the boundary's first octet ('-'), which
	 * base64 content never has: one memchr, not memmem's hashing of
	 * every octet.
	 */
	if (memmem(win, w, ps->bnd, BOUNDARY_LEN) != NULL ||
	    (memchr(p, ps->bnd[0], n) != NULL &&
	    memmem(p, n, ps->bnd, BOUNDARY_LEN) != NULL))
		ps->found = 1;
	if (n >= BOUNDARY_LEN - 1) {
		memcpy(ps->carry, p + n - (BOUNDARY_LEN - 1), BOUNDARY_LEN - 1);
		ps->ncarry = BOUNDARY_LEN - 1;
		return;
	}
	keep = w < BOUNDARY_LEN - 1 ? w : BOUNDARY_LEN - 1;
	memcpy(ps->carry, win + w - keep, keep);
	ps->ncarry = keep;
}

static int
pass_flush(struct pass *ps)
{
	if (ps->err || ps->n == 0)
		return ps->err ? -1 : 0;
	if ((ps->md && digest_update(ps->md, (const uint8_t *)ps->buf,
	    ps->n) != 0) || (ps->fn && ps->fn(ps->arg, ps->buf, ps->n) != 0))
		ps->err = 1;
	if (ps->bnd)
		pass_scan(ps, ps->buf, ps->n);
	ps->n = 0;
	return ps->err ? -1 : 0;
}

static int
pass_write(void *arg, const void *vp, size_t n)
{
	struct pass *ps = arg;
	const char *p = vp;
	size_t k;

	ps->len += n;
	while (n > 0 && !ps->err) {
		k = PASS_BUF - ps->n < n ? PASS_BUF - ps->n : n;
		memcpy(ps->buf + ps->n, p, k);
		ps->n += k;
		p += k;
		n -= k;
		if (ps->n == PASS_BUF)
			(void)pass_flush(ps);
	}
	return ps->err ? -1 : 0;
}

/* The canonical entity through a pass; -1 when it cannot be made. */
static int
pass_run(struct pass *ps, const struct mime_entity *in)
{
	if (mime_canon_entity(in, pass_write, ps) != MIME_OK)
		return -1;
	return pass_flush(ps);
}

/* A boundary; whether it occurs in the content is found out later. */
static int
make_boundary(struct cms_rng *rng, char out[BOUNDARY_LEN + 1])
{
	static const char set[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";
	unsigned char r[BOUNDARY_LEN];
	int i;

	if (cms_rng_func(rng, r, sizeof(r)) != 0)
		return -1;
	memcpy(out, "----smime-", 10);
	for (i = 10; i < BOUNDARY_LEN; i++)
		out[i] = set[r[i] % (sizeof(set) - 1)];
	out[BOUNDARY_LEN] = '\0';
	return 0;
}

/* base64 of what goes through, LF line ends, to the output. */
struct b64_sink {
	struct mime_b64enc	 enc;
	struct smime_lf		*o;
};

static int
b64_write(void *arg, const void *p, size_t n)
{
	struct b64_sink *b = arg;

	return mime_b64enc_update(&b->enc, p, n, smime_lf_write, b->o) != 0 ? -1 : 0;
}

static int
b64_sink_write(void *arg, const uint8_t *p, size_t n)
{
	return b64_write(arg, p, n) != 0;
}

static const char sig_head[] = "Content-Type: multipart/signed; "
    "protocol=\"application/pkcs7-signature\";\n\tmicalg=%s; "
    "boundary=\"%s\"\n\nThis is an S/MIME signed message.\n\n--%s\n";
static const char sig_part[] = "\n--%s\nContent-Type: application/"
    "pkcs7-signature; name=\"smime.p7s\"\nContent-Transfer-Encoding: "
    "base64\nContent-Disposition: attachment; filename=\"smime.p7s\"\n\n";

/*
 * Detached (RFC 8551 §3.5.3), in one pass: the content goes out as it
 * is hashed, the signature after it.  The boundary is random (178
 * bits); should the content hold it all the same, the message fails
 * rather than go out ambiguous.
 */
static int
sign_detached(struct smime_lf *o, const struct cms_signer *s,
    const struct mime_entity *in, time_t now, struct cms_rng *rng,
    struct pass *ps, struct digest *md, struct cms_error *e)
{
	unsigned char digest[MBEDTLS_MD_MAX_SIZE];
	char b[BOUNDARY_LEN + 1], line[256];
	struct b64_sink bs;
	struct cms_frame f;
	int rc = -1;

	memset(&f, 0, sizeof(f));
	if (make_boundary(rng, b) == -1) {
		cms_error_set(e, CMS_ERR_CRYPTO, "random boundary");
		return -1;
	}
	snprintf(line, sizeof(line), sig_head, cms_micalg(s->md), b, b);
	pass_init(ps, md, b, smime_lf_write, o);
	if (put(o, line) || pass_run(ps, in) == -1) {
		cms_error_set(e, CMS_ERR_ENCODING, "the message cannot be "
		    "parsed as MIME");
		return -1;
	}
	if (ps->found) {
		cms_error_set(e, CMS_ERR_CRYPTO, "the content holds the "
		    "random boundary");
		return -1;
	}
	if (digest_finish(md, digest) != 0) {
		cms_error_set(e, CMS_ERR_CRYPTO, "digest");
		return -1;
	}
	if (cms_sign(s, digest, mbedtls_md_get_size(mbedtls_md_info_from_type(s->md)), -1, now,
	    rng, &f, e) == -1)
		return -1;
	bs.o = o;
	mime_b64enc_init(&bs.enc, 0);
	snprintf(line, sizeof(line), sig_part, b);
	if (put(o, line) || b64_write(&bs, f.head, f.headlen) ||
	    mime_b64enc_final(&bs.enc, smime_lf_write, o))
		goto done;
	snprintf(line, sizeof(line), "\n--%s--\n", b);
	rc = put(o, line);
done:
	if (rc == -1)
		cms_error_set(e, CMS_ERR_ENCODING, "writing the signed message");
	cms_frame_free(&f);
	return rc;
}

/*
 * Opaque (RFC 8551 §3.5.2), in two passes: the first hashes and counts
 * (DER needs the content's length before the content), the second
 * writes the content inside the SignedData.
 */
static int
sign_opaque(struct smime_lf *o, const struct cms_signer *s,
    const struct mime_entity *in, time_t now, struct cms_rng *rng,
    struct pass *ps, struct digest *md, struct cms_error *e)
{
	unsigned char digest[MBEDTLS_MD_MAX_SIZE];
	struct b64_sink bs;
	struct cms_frame f;
	uint64_t len;
	int rc = -1;

	memset(&f, 0, sizeof(f));
	pass_init(ps, md, NULL, NULL, NULL);
	if (pass_run(ps, in) == -1 || ps->len > INT64_MAX) {
		cms_error_set(e, CMS_ERR_ENCODING, "the message cannot be "
		    "parsed as MIME");
		return -1;
	}
	len = ps->len;
	if (digest_finish(md, digest) != 0) {
		cms_error_set(e, CMS_ERR_CRYPTO, "digest");
		return -1;
	}
	if (cms_sign(s, digest, mbedtls_md_get_size(mbedtls_md_info_from_type(s->md)),
	    (int64_t)len, now, rng, &f, e) == -1)
		return -1;
	bs.o = o;
	mime_b64enc_init(&bs.enc, 0);
	pass_init(ps, NULL, NULL, b64_write, &bs);
	if (put(o, "Content-Type: application/pkcs7-mime; "
	    "smime-type=signed-data;\n\tname=\"smime.p7m\"\n"
	    "Content-Transfer-Encoding: base64\nContent-Disposition: "
	    "attachment; filename=\"smime.p7m\"\n\n") ||
	    b64_write(&bs, f.head, f.headlen) || pass_run(ps, in) == -1 ||
	    ps->len != len || b64_write(&bs, f.tail, f.taillen) ||
	    mime_b64enc_final(&bs.enc, smime_lf_write, o))
		cms_error_set(e, CMS_ERR_ENCODING, "writing the signed message");
	else
		rc = 0;
	cms_frame_free(&f);
	return rc;
}

/* The second pass of encryption: canonical octets into the cipher. */
struct env_sink {
	struct cms_env		*env;
	struct b64_sink		*b;
	struct cms_error	*e;
	int			 failed;	/* e says why */
};

static int
env_write(void *arg, const void *p, size_t n)
{
	struct env_sink *es = arg;

	if (cms_env_update(es->env, p, n, b64_sink_write, es->b, es->e) == -1)
		es->failed = 1;
	return es->failed ? -1 : 0;
}

/* An encryption from the head to the tail: cipher, base64, output. */
struct env_run {
	struct cms_frame	 f;
	struct cms_env		 env;
	struct env_sink		 es;
	struct b64_sink		 b;
	struct smime_lf		 o;
	int			 begun;
	int			 gcm;
};

static void
env_run_init(struct env_run *r, enum cms_cipher c, mime_write_fn out,
    void *arg, struct cms_error *e)
{
	memset(r, 0, sizeof(*r));
	r->o.fn = out;
	r->o.arg = arg;
	r->es.env = &r->env;
	r->es.b = &r->b;
	r->es.e = e;
	r->b.o = &r->o;
	mime_b64enc_init(&r->b.enc, 0);
	r->gcm = c == CMS_AES128_GCM || c == CMS_AES256_GCM;
}

/*
 * The routing headers, the enveloped entity's own, and the head of the
 * (Auth)EnvelopedData in base64, for clen octets (or CMS_LEN_STREAM).
 */
static int
env_run_begin(struct env_run *r, const struct mime_entity *ent, int flags,
    const struct cms_recipient *rs, size_t n, enum cms_cipher c,
    uint64_t clen, struct cms_rng *rng, struct cms_error *e)
{
	if (cms_env_begin(&r->env, rs, n, c, clen, rng, &r->f, e) == -1)
		return -1;
	r->begun = 1;
	if (outer_headers(ent, &r->o, flags) == -1 || put(&r->o, r->gcm ?
	    "Content-Type: application/pkcs7-mime; "
	    "smime-type=authEnveloped-data;\n\tname=\"smime.p7m\"\n" :
	    "Content-Type: application/pkcs7-mime; "
	    "smime-type=enveloped-data;\n\tname=\"smime.p7m\"\n") ||
	    put(&r->o, "Content-Transfer-Encoding: base64\nContent-Disposition: "
	    "attachment; filename=\"smime.p7m\"\n\n") ||
	    b64_write(&r->b, r->f.head, r->f.headlen)) {
		cms_error_set(e, CMS_ERR_ENCODING, "writing the message");
		return -1;
	}
	cms_frame_free(&r->f);
	return 0;
}

/* The last of the ciphertext and the structure's tail, in base64. */
static int
env_run_close(struct env_run *r, struct cms_error *e)
{
	if (cms_env_finish(&r->env, b64_sink_write, &r->b, &r->f, e) == -1)
		return -1;
	if ((r->f.taillen && b64_write(&r->b, r->f.tail, r->f.taillen)) ||
	    mime_b64enc_final(&r->b.enc, smime_lf_write, &r->o)) {
		cms_error_set(e, CMS_ERR_ENCODING, "writing the message");
		return -1;
	}
	return 0;
}

/* Released whatever happened; a failure the writer's is said so. */
static void
env_run_free(struct env_run *r, int rc, struct cms_error *e)
{
	output_failed(&r->o, rc, e);
	if (r->begun)
		cms_env_free(&r->env);
	cms_frame_free(&r->f);
}

/*
 * Encrypt msg to n recipients (RFC 8551 §3.3): the Content-* fields and
 * the body, in canonical form, become the enveloped entity; the routing
 * headers stay outside.  GCM makes AuthEnvelopedData (smime-type
 * authEnveloped-data), CBC EnvelopedData.  Two passes over the message:
 * one counts the content (DER lengths come first), one encrypts it.
 */
int
smime_encrypt(const char *msg, size_t len, const struct cms_recipient *rs,
    size_t n, enum cms_cipher cipher, int flags, struct cms_rng *rng,
    mime_write_fn out, void *arg, struct cms_error *e)
{
	struct mime_buf hdr;
	struct mime_entity ent, in;
	struct env_run r;
	struct pass *ps;
	uint64_t clen;
	int rc = -1;

	env_run_init(&r, cipher, out, arg, e);
	mime_buf_init(&hdr, 0);
	if ((ps = malloc(sizeof(*ps))) == NULL) {
		cms_error_set(e, CMS_ERR_NOMEM, "out of memory");
		return -1;
	}
	pass_init(ps, NULL, NULL, NULL, NULL);
	if (inner_entity(msg, len, &hdr, &ent, &in, flags) == -1 ||
	    pass_run(ps, &in) == -1) {
		cms_error_set(e, CMS_ERR_ENCODING, "the message cannot be "
		    "parsed as MIME");
		goto done;
	}
	clen = ps->len;
	if (clen > SIZE_MAX || env_run_begin(&r, &ent, flags, rs, n, cipher,
	    clen, rng, e) == -1)
		goto done;
	pass_init(ps, NULL, NULL, env_write, &r.es);
	if (pass_run(ps, &in) == -1 || ps->len != clen) {
		if (!r.es.failed)
			cms_error_set(e, CMS_ERR_ENCODING, "writing the message");
		goto done;
	}
	rc = env_run_close(&r, e);
done:
	env_run_free(&r, rc, e);
	mime_buf_clear(&hdr);
	free(ps);
	return rc;
}

/*
 * Sign msg (a whole message, LF or CRLF) as detached, or opaque with
 * SMIME_OPAQUE, writing the new message through out.
 */
int
smime_sign(const char *msg, size_t len, const struct cms_signer *s,
    int flags, time_t now, struct cms_rng *rng, mime_write_fn out,
    void *arg, struct cms_error *e)
{
	struct digest md;
	struct mime_buf hdr;
	struct mime_entity ent, in;
	struct smime_lf o;
	struct pass *ps;
	const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(s->md);
	int rc = -1;

	memset(&o, 0, sizeof(o));
	o.fn = out;
	o.arg = arg;
	mime_buf_init(&hdr, 0);
	digest_init(&md);
	if (mi == NULL || digest_setup(&md, s->md) != 0 ||
	    (ps = malloc(sizeof(*ps))) == NULL) {
		digest_free(&md);
		cms_error_set(e, CMS_ERR_CRYPTO, "digest");
		return -1;
	}
	if (inner_entity(msg, len, &hdr, &ent, &in, flags) == -1) {
		cms_error_set(e, CMS_ERR_ENCODING, "the message cannot be "
		    "parsed as MIME");
		goto done;
	}
	if (outer_headers(&ent, &o, flags) == -1) {
		cms_error_set(e, CMS_ERR_ENCODING, "writing the signed message");
		goto done;
	}
	rc = flags & SMIME_OPAQUE ? sign_opaque(&o, s, &in, now, rng, ps, &md,
	    e) : sign_detached(&o, s, &in, now, rng, ps, &md, e);
done:
	output_failed(&o, rc, e);
	digest_free(&md);
	mime_buf_clear(&hdr);
	free(ps);
	return rc;
}

/*
 * The signed entity goes straight into the cipher, made canonical on
 * the way (smime_lf's crlf), so the message is read once: no copy of
 * the signed message is stored and read back, and nothing is counted
 * in advance.  The result is what smime_sign then smime_encrypt make,
 * but for the indefinite lengths of the EnvelopedData.
 */
int
smime_sign_encrypt(const char *msg, size_t len, const struct cms_signer *s,
    const struct cms_recipient *rs, size_t n, enum cms_cipher cipher,
    int flags, time_t now, struct cms_rng *rng, mime_write_fn out, void *arg,
    struct cms_error *e)
{
	struct digest md;
	struct mime_buf hdr;
	struct mime_entity ent, in;
	struct env_run r;
	struct smime_lf io;
	struct pass *ps = NULL;
	int rc = -1;

	env_run_init(&r, cipher, out, arg, e);
	memset(&io, 0, sizeof(io));
	io.fn = env_write;
	io.arg = &r.es;
	io.crlf = 1;
	mime_buf_init(&hdr, 0);
	digest_init(&md);
	if (mbedtls_md_info_from_type(s->md) == NULL ||
	    digest_setup(&md, s->md) != 0 ||
	    (ps = malloc(sizeof(*ps))) == NULL) {
		cms_error_set(e, CMS_ERR_CRYPTO, "digest");
		goto done;
	}
	if (inner_entity(msg, len, &hdr, &ent, &in, flags & SMIME_HP) == -1) {
		cms_error_set(e, CMS_ERR_ENCODING, "the message cannot be "
		    "parsed as MIME");
		goto done;
	}
	if (env_run_begin(&r, &ent, flags & SMIME_OBSCURE, rs, n, cipher,
	    CMS_LEN_STREAM, rng, e) == -1)
		goto done;
	rc = flags & SMIME_OPAQUE ? sign_opaque(&io, s, &in, now, rng, ps,
	    &md, e) : sign_detached(&io, s, &in, now, rng, ps, &md, e);
	if (rc == 0)
		rc = smime_lf_flush(&io) == 0 ? env_run_close(&r, e) : -1;
	/* the cipher's failure, not the message's */
	if (rc == -1 && r.es.failed && !r.o.err)
		cms_error_set(e, CMS_ERR_CRYPTO, "encrypting the signed "
		    "message");
done:
	env_run_free(&r, rc, e);
	digest_free(&md);
	mime_buf_clear(&hdr);
	free(ps);
	return rc;
}
