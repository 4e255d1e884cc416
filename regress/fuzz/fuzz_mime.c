/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * libFuzzer target for the MIME layer.  Each input is taken as an
 * entity: its header fields are iterated, unfolded and parsed as
 * Content-Type and Content-Transfer-Encoding; the multipart tree is
 * walked to full depth and every leaf body decoded as base64 and
 * quoted-printable; the whole input is canonicalised.  Properties
 * checked on the way:
 *	- coders give the same output whatever the chunking;
 *	- base64 and (CR-free) quoted-printable round-trip exactly;
 *	- the canonical form has CRLF line ends only and canonicalising
 *	  it again changes nothing;
 *	- the test of lines made as the input is written (mime_clean, in
 *	  pieces of 1..13 octets and in one) says clean exactly when
 *	  mime_body_needs_encoding of the whole says no, and with the
 *	  input vouched clean, canonicalising gives the same octets.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
static void	fuzz_clean(const char *, size_t);

#define LIMIT	(16 * 1024 * 1024)

static void
same_or_die(const struct mime_buf *a, const struct mime_buf *b)
{
	if (a->len != b->len || (a->len > 0 &&
	    memcmp(a->data, b->data, a->len) != 0))
		abort();
}

/* Decode with chunks of 1..7 octets; must equal the one-shot result. */
static void
fuzz_decode(const char *p, size_t n)
{
	struct mime_buf		one, more;
	struct mime_b64dec	bd;
	struct mime_qpdec	qd;
	size_t			off, k;
	int			e1, e2;

	mime_buf_init(&one, LIMIT);
	mime_buf_init(&more, LIMIT);
	e1 = mime_b64_decode(p, n, &one);
	mime_b64dec_init(&bd);
	for (off = 0, e2 = 0; off < n && e2 == 0; off += k) {
		k = 1 + off % 7;
		if (k > n - off)
			k = n - off;
		e2 = mime_b64dec_update(&bd, p + off, k, mime_buf_write, &more);
	}
	if (e2 == 0)
		e2 = mime_b64dec_final(&bd, mime_buf_write, &more);
	if (e1 != e2)
		abort();
	if (e1 == MIME_OK)
		same_or_die(&one, &more);
	one.len = more.len = 0;
	if (mime_qp_decode(p, n, &one) != 0)
		abort();
	mime_qpdec_init(&qd);
	for (off = 0; off < n; off += k) {
		k = 1 + off % 5;
		if (k > n - off)
			k = n - off;
		if (mime_qpdec_update(&qd, p + off, k, mime_buf_write,
		    &more) != 0)
			abort();
	}
	if (mime_qpdec_final(&qd, mime_buf_write, &more) != 0)
		abort();
	same_or_die(&one, &more);
	mime_buf_clear(&one);
	mime_buf_clear(&more);
}

static void
fuzz_roundtrip(const char *p, size_t n)
{
	struct mime_buf	enc, dec;
	int		crfree;

	mime_buf_init(&enc, LIMIT);
	mime_buf_init(&dec, LIMIT);
	if (mime_b64_encode(p, n, MIME_ENC_CRLF, &enc) != 0 ||
	    mime_b64_decode(enc.data, enc.len, &dec) != 0)
		abort();
	if (dec.len != n || (n > 0 && memcmp(dec.data, p, n) != 0))
		abort();
	enc.len = dec.len = 0;
	crfree = n == 0 || memchr(p, '\r', n) == NULL;
	if (mime_qp_encode(p, n, 0, &enc) != 0 ||
	    mime_qp_decode(enc.data, enc.len, &dec) != 0)
		abort();
	if (crfree && (dec.len != n || (n > 0 && memcmp(dec.data, p, n) != 0)))
		abort();
	mime_buf_clear(&enc);
	mime_buf_clear(&dec);
}

/* Part spans lie in the body, in order, and never overlap. */
static void
fuzz_parts(const struct mime_node *node)
{
	struct mime_span	 b, part;
	struct mime_mp		 mp;
	const char		*end = node->ent.body, *lim;

	if (mime_ctype_boundary(node->ct, &b) == -1)
		return;
	lim = node->ent.body + node->ent.bodylen;
	mime_mp_init(&mp, node->ent.body, node->ent.bodylen, b.p, b.len);
	while (mime_mp_next(&mp, &part)) {
		if (part.p < end || part.len > (size_t)(lim - part.p))
			abort();
		end = part.p + part.len;
	}
	if (mp.preamble.len > node->ent.bodylen ||
	    mp.epilogue.len > node->ent.bodylen ||
	    (mp.closed && mp.epilogue.p + mp.epilogue.len != lim))
		abort();
}

static int
fuzz_node(void *arg, const struct mime_node *node)
{
	size_t	*count = arg;

	(*count)++;
	if (node->span.len < node->ent.bodylen)
		abort();
	if (mime_ctype_is(node->ct, "multipart", NULL))
		fuzz_parts(node);
	else if (node->ent.bodylen < 4096)
		fuzz_decode(node->ent.body, node->ent.bodylen);
	(void)mime_entity_cte(&node->ent);
	(void)mime_smime_kind(node->ct);
	return 0;
}

/* Every string the parser hands out is terminated where it says. */
static void
check_ctype(const struct mime_ctype *ct)
{
	size_t	i;

	if (*ct->type == '\0' || *ct->subtype == '\0')
		abort();
	for (i = 0; i < ct->nparams; i++) {
		if (*ct->params[i].name == '\0' ||
		    ct->params[i].value[ct->params[i].valuelen] != '\0')
			abort();
	}
}

static void
fuzz_headers(const char *p, size_t n)
{
	struct mime_entity	e;
	struct mime_hdr_iter	it;
	struct mime_field	f;
	struct mime_ctype	ct;
	char			*u;
	size_t			un, total = 0;

	if (mime_entity_parse(p, n, &e) != MIME_OK)
		return;
	if (e.hdrlen + e.seplen + e.bodylen != n)
		abort();
	mime_ctype_init(&ct);
	mime_hdr_iter_init(&it, &e);
	while (mime_hdr_next(&it, &f)) {
		total += f.rawlen;
		if (f.namelen == 0 || f.value < f.raw ||
		    f.value + f.valuelen > f.raw + f.rawlen)
			abort();
		if ((u = malloc(f.valuelen + 1)) == NULL)
			abort();
		un = mime_unfold(f.value, f.valuelen, u);
		if (un > f.valuelen)
			abort();
		free(u);
		(void)mime_ctype_parse(f.value, f.valuelen, &ct);
		check_ctype(&ct);
		(void)mime_cte_parse(f.value, f.valuelen);
	}
	if (total != e.hdrlen)
		abort();
	mime_ctype_clear(&ct);
	(void)mime_is_smime(p, n);
}

static void
fuzz_canon(const char *p, size_t n)
{
	struct mime_buf	c1, c2;
	size_t		i;

	mime_buf_init(&c1, LIMIT);
	mime_buf_init(&c2, LIMIT);
	if (mime_canon(p, n, mime_buf_write, &c1) == MIME_OK) {
		for (i = 0; i < c1.len; i++)
			if (c1.data[i] == '\n' && (i == 0 ||
			    c1.data[i - 1] != '\r'))
				abort();
		if (mime_canon(c1.data, c1.len, mime_buf_write, &c2) !=
		    MIME_OK)
			abort();
		same_or_die(&c1, &c2);
	}
	mime_buf_clear(&c1);
	mime_buf_clear(&c2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data;
	size_t		 count = 0;

	fuzz_headers(p, size);
	(void)mime_walk(p, size, fuzz_node, &count);
	fuzz_roundtrip(p, size);
	fuzz_canon(p, size);
	fuzz_clean(p, size);
	return 0;
}

/* mime_clean in pieces and whole against the whole test; then the hint. */
static void
fuzz_clean(const char *p, size_t n)
{
	struct mime_clean	 pieces, whole;
	struct mime_buf		 plain, hinted;
	size_t			 off = 0, k;
	int			 clean;

	mime_clean_init(&pieces);
	mime_clean_init(&whole);
	while (off < n) {
		k = 1 + (unsigned char)p[off] % 13;
		if (k > n - off)
			k = n - off;
		mime_clean_update(&pieces, p + off, k);
		off += k;
	}
	mime_clean_update(&whole, p, n);
	clean = !mime_body_needs_encoding(p, n);
	if (mime_clean_final(&pieces) != clean ||
	    mime_clean_final(&whole) != clean)
		abort();
	if (!clean)
		return;
	mime_buf_init(&plain, LIMIT);
	mime_buf_init(&hinted, LIMIT);
	if (mime_canon(p, n, mime_buf_write, &plain) == MIME_OK) {
		mime_set_clean(p, n);
		if (mime_canon(p, n, mime_buf_write, &hinted) != MIME_OK)
			abort();
		mime_set_clean(NULL, 0);
		same_or_die(&plain, &hinted);
	}
	mime_buf_clear(&plain);
	mime_buf_clear(&hinted);
}
