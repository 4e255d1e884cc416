/*
 * Signing a message: multipart/signed (detached, RFC 8551 §3.5.3) or
 * application/pkcs7-mime; smime-type=signed-data (opaque, §3.5.2).
 */
#define _GNU_SOURCE	/* memmem(3) in glibc */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "smime.h"

#define BOUNDARY_LEN	40

/* Writes through, dropping the CR of each CRLF: our output is LF. */
struct lf_out {
	mime_write_fn	 fn;
	void		*arg;
	int		 cr;		/* a CR is held back */
	int		 err;
};

static int
lf_write(void *a, const void *p, size_t n)
{
	struct lf_out *o = a;
	const char *s = p, *end = s + n, *start = s;

	if (o->err)
		return -1;
	for (; s < end; s++) {
		if (o->cr) {
			o->cr = 0;
			if (*s != '\n' && o->fn(o->arg, "\r", 1) != 0)
				goto fail;
		}
		if (*s == '\r') {
			if (s > start && o->fn(o->arg, start, (size_t)(s - start)))
				goto fail;
			o->cr = 1;
			start = s + 1;
		}
	}
	if (s > start && o->fn(o->arg, start, (size_t)(s - start)) != 0)
		goto fail;
	return 0;
fail:
	o->err = 1;
	return -1;
}

static int
put(struct lf_out *o, const char *s)
{
	return lf_write(o, s, strlen(s));
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
 * hp="cipher" on its Content-Type (RFC 9788 §2).
 */
static int
inner_entity(const char *msg, size_t len, struct mime_buf *inner,
    struct mime_entity *e, int flags)
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
		    put_field(inner, &f, "") == -1)
			return -1;
		if (!smime_header_is_content(f.name, f.namelen) ||
		    mime_hdr_is(&f, "mime-version"))
			continue;
		if (mime_hdr_is(&f, "content-type")) {
			ctype = 1;
			if (put_field(inner, &f, hp) == -1)
				return -1;
		} else if (put_field(inner, &f, "") == -1)
			return -1;
	}
	/* make the default explicit, as clients show it more reliably */
	if (!ctype && (mime_buf_write(inner,
	    "Content-Type: text/plain; charset=us-ascii", 42) != 0 ||
	    mime_buf_write(inner, hp, strlen(hp)) ||
	    mime_buf_write(inner, "\n", 1)))
		return -1;
	if (mime_buf_write(inner, "\n", 1) != 0 ||
	    mime_buf_write(inner, e->body, e->bodylen) != 0)
		return -1;
	return 0;
}

/*
 * The routing headers, as they came (line ends made LF); SMIME_OBSCURE
 * replaces the Subject with "[...]" (RFC 9788 §4.4).
 */
static int
outer_headers(const struct mime_entity *e, struct lf_out *o, int flags)
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
		if (lf_write(o, f.raw, f.rawlen) != 0)
			return -1;
		if (f.rawlen == 0 || f.raw[f.rawlen - 1] != '\n')
			(void)put(o, "\n");
	}
	return put(o, "MIME-Version: 1.0\n");
}

/* A boundary that does not occur in the content (RFC 2046 §5.1.1). */
static int
make_boundary(struct cms_rng *rng, const char *content, size_t len,
    char out[BOUNDARY_LEN + 1])
{
	static const char set[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";
	unsigned char r[BOUNDARY_LEN];
	int tries, i;

	for (tries = 0; tries < 8; tries++) {
		if (cms_rng_func(rng, r, sizeof(r)) != 0)
			return -1;
		memcpy(out, "----smime-", 10);
		for (i = 10; i < BOUNDARY_LEN; i++)
			out[i] = set[r[i] % (sizeof(set) - 1)];
		out[BOUNDARY_LEN] = '\0';
		if (memmem(content, len, out, BOUNDARY_LEN) == NULL)
			return 0;
	}
	return -1;
}

static int
base64_out(struct lf_out *o, const uint8_t *a, size_t alen, const char *b,
    size_t blen, const uint8_t *c, size_t clen)
{
	struct mime_b64enc enc;

	mime_b64enc_init(&enc, 0);
	if ((alen && mime_b64enc_update(&enc, a, alen, lf_write, o)) ||
	    (blen && mime_b64enc_update(&enc, b, blen, lf_write, o)) ||
	    (clen && mime_b64enc_update(&enc, c, clen, lf_write, o)) ||
	    mime_b64enc_final(&enc, lf_write, o))
		return -1;
	return 0;
}

static int
write_detached(struct lf_out *o, const struct cms_signer *s,
    const struct mime_buf *canon, const struct cms_frame *f,
    struct cms_rng *rng)
{
	char b[BOUNDARY_LEN + 1], line[256];

	if (make_boundary(rng, canon->data, canon->len, b) == -1)
		return -1;
	snprintf(line, sizeof(line), "Content-Type: multipart/signed; "
	    "protocol=\"application/pkcs7-signature\";\n\tmicalg=%s; "
	    "boundary=\"%s\"\n\nThis is an S/MIME signed message.\n\n--%s\n",
	    cms_micalg(s->md), b, b);
	if (put(o, line) || lf_write(o, canon->data, canon->len))
		return -1;
	snprintf(line, sizeof(line), "\n--%s\nContent-Type: application/"
	    "pkcs7-signature; name=\"smime.p7s\"\nContent-Transfer-Encoding: "
	    "base64\nContent-Disposition: attachment; filename=\"smime.p7s\"\n"
	    "\n", b);
	if (put(o, line) || base64_out(o, f->head, f->headlen, NULL, 0, NULL,
	    0))
		return -1;
	snprintf(line, sizeof(line), "\n--%s--\n", b);
	return put(o, line);
}

static int
write_opaque(struct lf_out *o, const struct mime_buf *canon,
    const struct cms_frame *f)
{
	if (put(o, "Content-Type: application/pkcs7-mime; "
	    "smime-type=signed-data;\n\tname=\"smime.p7m\"\n"
	    "Content-Transfer-Encoding: base64\nContent-Disposition: "
	    "attachment; filename=\"smime.p7m\"\n\n"))
		return -1;
	return base64_out(o, f->head, f->headlen, canon->data, canon->len,
	    f->tail, f->taillen);
}

/* The ciphertext, straight into the base64 encoder. */
struct b64_sink {
	struct mime_b64enc	 enc;
	struct lf_out		*o;
};

static int
b64_sink_write(void *arg, const uint8_t *p, size_t n)
{
	struct b64_sink *b = arg;

	return mime_b64enc_update(&b->enc, p, n, lf_write, b->o) != 0;
}

/*
 * Encrypt msg to n recipients (RFC 8551 §3.3): the Content-* fields and
 * the body, in canonical form, become the enveloped entity; the routing
 * headers stay outside.  GCM makes AuthEnvelopedData (smime-type
 * authEnveloped-data), CBC EnvelopedData.
 */
int
smime_encrypt(const char *msg, size_t len, const struct cms_recipient *rs,
    size_t n, enum cms_cipher cipher, int flags, struct cms_rng *rng,
    mime_write_fn out, void *arg, struct cms_error *e)
{
	struct mime_buf inner, canon;
	struct mime_entity ent;
	struct cms_frame f;
	struct cms_env env;
	struct b64_sink b;
	struct lf_out o;
	int gcm = cipher == CMS_AES128_GCM || cipher == CMS_AES256_GCM;
	int rc = -1, begun = 0;

	memset(&f, 0, sizeof(f));
	memset(&o, 0, sizeof(o));
	o.fn = out;
	o.arg = arg;
	mime_buf_init(&inner, 0);
	mime_buf_init(&canon, 0);
	if (inner_entity(msg, len, &inner, &ent, flags) == -1 ||
	    mime_canon(inner.data, inner.len, mime_buf_write, &canon) !=
	    MIME_OK) {
		cms_error_set(e, CMS_ERR_ENCODING, "the message cannot be "
		    "parsed as MIME");
		goto done;
	}
	if (cms_env_begin(&env, rs, n, cipher, canon.len, rng, &f, e) == -1)
		goto done;
	begun = 1;
	b.o = &o;
	mime_b64enc_init(&b.enc, 0);
	if (outer_headers(&ent, &o, flags) == -1 || put(&o, gcm ?
	    "Content-Type: application/pkcs7-mime; "
	    "smime-type=authEnveloped-data;\n\tname=\"smime.p7m\"\n" :
	    "Content-Type: application/pkcs7-mime; "
	    "smime-type=enveloped-data;\n\tname=\"smime.p7m\"\n") ||
	    put(&o, "Content-Transfer-Encoding: base64\nContent-Disposition: "
	    "attachment; filename=\"smime.p7m\"\n\n") ||
	    mime_b64enc_update(&b.enc, f.head, f.headlen, lf_write, &o)) {
		cms_error_set(e, CMS_ERR_ENCODING, "writing the message");
		goto done;
	}
	cms_frame_free(&f);
	if (cms_env_update(&env, (const uint8_t *)canon.data, canon.len,
	    b64_sink_write, &b, e) == -1 ||
	    cms_env_finish(&env, b64_sink_write, &b, &f, e) == -1)
		goto done;
	if ((f.taillen && mime_b64enc_update(&b.enc, f.tail, f.taillen,
	    lf_write, &o)) || mime_b64enc_final(&b.enc, lf_write, &o)) {
		cms_error_set(e, CMS_ERR_ENCODING, "writing the message");
		goto done;
	}
	rc = 0;
done:
	if (begun)
		cms_env_free(&env);
	cms_frame_free(&f);
	mime_buf_clear(&inner);
	mime_buf_clear(&canon);
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
	unsigned char digest[MBEDTLS_MD_MAX_SIZE];
	struct mime_buf inner, canon;
	struct mime_entity ent;
	struct cms_frame f;
	struct lf_out o;
	const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(s->md);
	int rc = -1;

	memset(&f, 0, sizeof(f));
	memset(&o, 0, sizeof(o));
	o.fn = out;
	o.arg = arg;
	mime_buf_init(&inner, 0);
	mime_buf_init(&canon, 0);
	if (mi == NULL || inner_entity(msg, len, &inner, &ent, flags) == -1 ||
	    mime_canon(inner.data, inner.len, mime_buf_write, &canon) !=
	    MIME_OK) {
		cms_error_set(e, CMS_ERR_ENCODING, "the message cannot be "
		    "parsed as MIME");
		goto done;
	}
	if (mbedtls_md(mi, (const unsigned char *)canon.data, canon.len,
	    digest) != 0) {
		cms_error_set(e, CMS_ERR_CRYPTO, "digest");
		goto done;
	}
	if (cms_sign(s, digest, mbedtls_md_get_size(mi), flags & SMIME_OPAQUE ?
	    (int64_t)canon.len : -1, now, rng, &f, e) == -1)
		goto done;
	if (outer_headers(&ent, &o, flags) == -1 || (flags & SMIME_OPAQUE ?
	    write_opaque(&o,
	    &canon, &f) : write_detached(&o, s, &canon, &f, rng)) == -1) {
		cms_error_set(e, CMS_ERR_ENCODING, "writing the signed message");
		goto done;
	}
	rc = 0;
done:
	cms_frame_free(&f);
	mime_buf_clear(&inner);
	mime_buf_clear(&canon);
	return rc;
}
