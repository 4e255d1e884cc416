/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Canonical form of an entity for signing (RFC 8551 §3.1).
 *
 * The signature covers octets that relays must not change, so the
 * canonical form is also one that survives transport: CRLF line ends,
 * and any leaf body that a relay might alter (8-bit octets, NUL, bare
 * CR, lines over 998 octets, trailing white space, "From " lines) is
 * re-encoded before signing.  Nested multiparts are handled with an
 * explicit stack of MIME_MAX_DEPTH frames, never by recursion.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "mime.h"

struct canon {
	mime_write_fn	 fn;
	void		*arg;
	int		 err;
	unsigned int	 ready;	/* stack frames initialised so far */
};

struct canon_frame {
	struct mime_ctype	ct;
	struct mime_span	bnd;
	struct mime_mp		mp;
	int			msg;	/* rfc822: 1 before, 2 after */
	struct mime_span	msgbody;
};

static void
cw(struct canon *c, const void *p, size_t n)
{
	if (c->err == MIME_OK && n > 0 && c->fn(c->arg, p, n) != 0)
		c->err = MIME_E_WRITE;
}

static void
cws(struct canon *c, const char *s)
{
	cw(c, s, strlen(s));
}

/* Where p[0..n) has an LF, as bits (n at most 16). */
static unsigned int
lf_bits(const char *p, size_t n)
{
	unsigned int m = 0;
	size_t i;

#ifdef __SSE2__
	if (n >= 16)
		return (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(
		    _mm_loadu_si128((const __m128i *)(const void *)p),
		    _mm_set1_epi8('\n')));
#endif
	for (i = 0; i < n && i < 16; i++)
		if (p[i] == '\n')
			m |= 1u << i;
	return m;
}

/*
 * Copy with every bare LF turned into CRLF, the LFs found 16 octets at a
 * time (lf_bits), not by a call a line.  The lines of LF text are
 * gathered in buf and written a buffer at a time; a run with no bare LF
 * goes straight through.
 */
int
mime_crlf_write(mime_write_fn fn, void *arg, const char *p, size_t n,
    int *lastcr)
{
	char buf[8192];
	const char *start = p, *end = p + n, *nl;
	size_t bn = 0, len, i;
	unsigned int m;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i += 16) {
		for (m = lf_bits(p + i, n - i); m != 0; m &= m - 1) {
			nl = p + i + __builtin_ctz(m);
			if (nl > p ? nl[-1] == '\r' : *lastcr)
				continue;	/* a CRLF already */
			len = (size_t)(nl - start);
			if (bn + len + 2 > sizeof(buf)) {
				if (bn > 0 && fn(arg, buf, bn) != 0)
					return -1;
				bn = 0;
			}
			if (len + 2 > sizeof(buf)) {
				if (fn(arg, start, len) != 0 ||
				    fn(arg, "\r\n", 2) != 0)
					return -1;
			} else {
				memcpy(buf + bn, start, len);
				memcpy(buf + bn + len, "\r\n", 2);
				bn += len + 2;
			}
			start = nl + 1;
		}
	}
	*lastcr = p[n - 1] == '\r';
	if (bn > 0 && fn(arg, buf, bn) != 0)
		return -1;
	return fn(arg, start, (size_t)(end - start));
}

/* A span of the input, LF made CRLF, a chunk at a time (mime_fetch). */
int
mime_crlf_span(mime_write_fn fn, void *arg, const char *p, size_t n)
{
	size_t	k;
	int	lastcr = 0;

	for (; n > 0; p += k, n -= k) {
		k = n < MIME_CHUNK ? n : MIME_CHUNK;
		if (mime_crlf_write(fn, arg, mime_fetch(p, k), k, &lastcr) != 0)
			return -1;
		mime_consumed(k);
	}
	return 0;
}

static void
cw_crlf(struct canon *c, const char *p, size_t n)
{
	if (c->err == MIME_OK && mime_crlf_span(c->fn, c->arg, p, n) != 0)
		c->err = MIME_E_WRITE;
}

/*
 * Any NUL, CR or 8-bit octet in p[0..n)?  Sixteen octets at a time
 * with SSE2 (every x86-64 has it): the high bits, and the octets equal
 * to NUL or CR.  Then eight at a time: a high bit set, or a zero octet
 * in w or in w ^ CRs (the exact test of "a word has a zero byte").
 */
static int
unsafe_octets(const unsigned char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	uint64_t w, x;
	size_t i = 0;
#ifdef __SSE2__
	const __m128i zero = _mm_setzero_si128(), crs = _mm_set1_epi8('\r');
	__m128i v, bad;

	for (; i + 16 <= n; i += 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		bad = _mm_or_si128(_mm_cmpeq_epi8(v, zero),
		    _mm_cmpeq_epi8(v, crs));
		if (_mm_movemask_epi8(_mm_or_si128(bad, v)) != 0)
			return 1;
	}
#endif
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		x = w ^ (ones * '\r');
		if ((w & highs) != 0 || ((w - ones) & ~w & highs) != 0 ||
		    ((x - ones) & ~x & highs) != 0)
			return 1;
	}
	for (; i < n; i++)
		if (p[i] == 0 || p[i] >= 0x80 || p[i] == '\r')
			return 1;
	return 0;
}

/*
 * A line's text, its line end left off: too long, a "From " that mbox
 * transport would quote, or white space at the end that transport may
 * strip?
 */
static int
line_form_dirty(const char *p, size_t len)
{
	return len > MIME_LINE_MAX ||
	    (len >= 5 && memcmp(p, "From ", 5) == 0) ||
	    (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'));
}

/*
 * One line, its LF included when it has one (the last line of a body
 * has none: a delimiter's CRLF follows it): may transport change it?
 */
static int
line_needs_encoding(const char *p, size_t ll)
{
	size_t len = ll;

	if (len > 0 && p[len - 1] == '\n') {
		len--;
		if (len > 0 && p[len - 1] == '\r')
			len--;
	}
	return line_form_dirty(p, len) ||
	    unsafe_octets((const unsigned char *)p, len);
}

/* The range mime_set_clean() vouches for. */
static uintptr_t	clean_at;
static size_t		clean_len;

void
mime_set_clean(const char *p, size_t n)
{
	clean_at = (uintptr_t)p;
	clean_len = p == NULL ? 0 : n;
}

/* Does a body have anything that transport may change? */
int
mime_body_needs_encoding(const char *p, size_t n)
{
	const char	*nl;
	size_t		 off = 0, ll;
	uintptr_t	 at = (uintptr_t)p;

	/* inside a message whose every line was found clean as it came */
	if (clean_len > 0 && at >= clean_at && at - clean_at <= clean_len &&
	    n <= clean_len - (at - clean_at))
		return 0;
	while (off < n) {
		nl = memchr(p + off, '\n', n - off);
		ll = nl == NULL ? n - off : (size_t)(nl - (p + off)) + 1;
		mime_consumed(ll);
		if (line_needs_encoding(p + off, ll))
			return 1;
		off += ll;
	}
	return 0;
}

/*
 * Lines that hold no CR, NUL or 8-bit octet (the caller found none in
 * them): only a line's form can need encoding (line_form_dirty).  Each
 * LF is found by a 16-octet compare, not by a call a line.  The last
 * octet, p[n - 1], is an LF.
 */
static int
plain_lines_dirty(const char *p, size_t n)
{
	size_t		 i, start = 0, len;
	unsigned int	 m;

	for (i = 0; i < n; i += 16)
		for (m = lf_bits(p + i, n - i); m != 0; m &= m - 1) {
			len = i + (size_t)__builtin_ctz(m) - start;
			if (line_form_dirty(p + start, len))
				return 1;
			start += len + 1;
		}
	return 0;
}

/*
 * The whole lines at the start of p[0..n): how long; *dirty if one is.
 * When they hold no CR, NUL or 8-bit octet (LF text: Exim's, and most
 * of it), one pass finds that and plain_lines_dirty tests the rest;
 * else line_needs_encoding tests each line.
 */
static size_t
clean_lines(const char *p, size_t n, int *dirty)
{
	const char	*nl;
	size_t		 off = 0, ll, whole = n;

	while (whole > 0 && p[whole - 1] != '\n')
		whole--;
	if (whole > 0 && !unsafe_octets((const unsigned char *)p, whole)) {
		if (plain_lines_dirty(p, whole))
			*dirty = 1;
		return whole;
	}
	while (off < n && (nl = memchr(p + off, '\n', n - off)) != NULL) {
		ll = (size_t)(nl - (p + off)) + 1;
		if (line_needs_encoding(p + off, ll)) {
			*dirty = 1;
			return off;
		}
		off += ll;
	}
	return off;
}

void
mime_clean_init(struct mime_clean *c)
{
	c->dirty = 0;
	c->ncarry = 0;
}

/*
 * The lines of each piece are tested where they lie; only a line cut
 * between two pieces is put together, in carry (one too long for it
 * needs encoding anyway).
 */
void
mime_clean_update(struct mime_clean *c, const char *p, size_t n)
{
	const char	*nl;
	size_t		 k;

	if (c->dirty || n == 0)
		return;
	if (c->ncarry > 0) {
		nl = memchr(p, '\n', n);
		k = nl == NULL ? n : (size_t)(nl - p) + 1;
		if (k > sizeof(c->carry) - c->ncarry) {
			c->dirty = 1;
			return;
		}
		memcpy(c->carry + c->ncarry, p, k);
		c->ncarry += k;
		if (nl == NULL)
			return;
		c->dirty = line_needs_encoding(c->carry, c->ncarry);
		c->ncarry = 0;
		p += k;
		n -= k;
	}
	k = clean_lines(p, n, &c->dirty);
	if (c->dirty)
		return;
	if (n - k > sizeof(c->carry)) {
		c->dirty = 1;
		return;
	}
	memcpy(c->carry, p + k, n - k);
	c->ncarry = n - k;
}

int
mime_clean_final(const struct mime_clean *c)
{
	return !c->dirty && !line_needs_encoding(c->carry, c->ncarry);
}

/*
 * Decoding a body into a sink, the first step of both passes.  cte is
 * what the body says it is; anything but base64 and QP is identity.
 */
static int
canon_decode(enum mime_cte cte, const char *p, size_t n, mime_write_fn fn,
    void *arg)
{
	struct mime_b64dec	bd;
	struct mime_qpdec	qd;
	const char		*q;
	size_t			k;
	int			error = MIME_OK;

	mime_b64dec_init(&bd);
	mime_qpdec_init(&qd);
	for (; error == MIME_OK && n > 0; p += k, n -= k) {
		k = n < MIME_CHUNK ? n : MIME_CHUNK;
		q = mime_fetch(p, k);
		if (cte == MIME_CTE_BASE64)
			error = mime_b64dec_update(&bd, q, k, fn, arg);
		else if (cte == MIME_CTE_QP)
			error = mime_qpdec_update(&qd, q, k, fn, arg);
		else if (fn(arg, q, k) != 0)
			error = MIME_E_WRITE;
		mime_consumed(k);
	}
	if (error != MIME_OK)
		return error;
	if (cte == MIME_CTE_BASE64)
		return mime_b64dec_final(&bd, fn, arg);
	if (cte == MIME_CTE_QP)
		return mime_qpdec_final(&qd, fn, arg);
	return MIME_OK;
}

struct canon_stats {
	uint64_t	total;
	uint64_t	binary;		/* controls but HT LF CR FF */
	int		nul;
};

static int
stats_write(void *arg, const void *vp, size_t n)
{
	struct canon_stats	*s = arg;
	const unsigned char	*p = vp;
	size_t			 i;

	s->total += n;
	for (i = 0; i < n; i++) {
		if (p[i] == 0)
			s->nul = 1;
		else if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' &&
		    p[i] != '\r' && p[i] != '\f') || p[i] == 0x7f)
			s->binary++;
	}
	return 0;
}

/* The second pass: decoded octets through an encoder to the output. */
struct canon_enc {
	struct canon		*c;
	int			 base64;
	int			 text;	/* LF -> CRLF before base64 */
	int			 lastcr;
	struct mime_b64enc	 be;
	struct mime_qpenc	 qe;
};

static int
enc_sink(void *arg, const void *p, size_t n)
{
	struct canon_enc	*ce = arg;

	if (ce->base64)
		return mime_b64enc_update(&ce->be, p, n, ce->c->fn, ce->c->arg);
	return mime_qpenc_update(&ce->qe, p, n, ce->c->fn, ce->c->arg);
}

static int
enc_text_sink(void *arg, const void *p, size_t n)
{
	struct canon_enc	*ce = arg;

	return mime_crlf_write(enc_sink, ce, p, n, &ce->lastcr);
}

/* Header fields with line ends made CRLF, Content-Transfer-Encoding
 * left out when it is being replaced. */
static void
canon_header(struct canon *c, const struct mime_entity *e, int dropcte)
{
	struct mime_hdr_iter	it;
	struct mime_field	f;

	mime_hdr_iter_init(&it, e);
	while (mime_hdr_next(&it, &f)) {
		if (dropcte && mime_hdr_is(&f, "content-transfer-encoding"))
			continue;
		cw_crlf(c, f.raw, f.rawlen);
		/* A last field without a line end still needs one. */
		if (f.rawlen > 0 && f.raw[f.rawlen - 1] != '\n')
			cws(c, "\r\n");
	}
}

/*
 * Base64 when the content is binary: a NUL, a type that is not text
 * (QP would turn its LF octets into line breaks), or more than 30%
 * control octets.  The existing base64 stays base64.
 */
static int
canon_want_base64(const struct mime_ctype *ct, enum mime_cte cte,
    const struct canon_stats *s)
{
	if (cte == MIME_CTE_BASE64 || s->nul)
		return 1;
	if (!mime_ctype_is(ct, "text", NULL))
		return 1;
	return s->binary * 10 > s->total * 3;
}

static void
canon_leaf(struct canon *c, const struct mime_entity *e,
    const struct mime_ctype *ct)
{
	struct canon_stats	 st;
	struct canon_enc	 ce;
	enum mime_cte		 cte;
	int			 error;

	cte = mime_entity_cte(e);
	if (cte == MIME_CTE_UNKNOWN ||
	    !mime_body_needs_encoding(e->body, e->bodylen)) {
		canon_header(c, e, 0);
		if (e->has_sep)
			cws(c, "\r\n");
		cw_crlf(c, e->body, e->bodylen);
		return;
	}
	memset(&st, 0, sizeof(st));
	if ((error = canon_decode(cte, e->body, e->bodylen, stats_write,
	    &st)) != MIME_OK) {
		c->err = error;
		return;
	}
	memset(&ce, 0, sizeof(ce));
	ce.c = c;
	ce.base64 = canon_want_base64(ct, cte, &st);
	ce.text = ce.base64 && cte != MIME_CTE_BASE64 &&
	    mime_ctype_is(ct, "text", NULL);
	mime_b64enc_init(&ce.be, MIME_ENC_CRLF);
	mime_qpenc_init(&ce.qe, MIME_ENC_CRLF);
	canon_header(c, e, 1);
	cws(c, ce.base64 ? "Content-Transfer-Encoding: base64\r\n\r\n" :
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	if (c->err != MIME_OK)
		return;
	error = canon_decode(cte, e->body, e->bodylen,
	    ce.text ? enc_text_sink : enc_sink, &ce);
	if (error == MIME_OK)
		error = ce.base64 ? mime_b64enc_final(&ce.be, c->fn, c->arg) :
		    mime_qpenc_final(&ce.qe, c->fn, c->arg);
	if (error != MIME_OK)
		c->err = error;
}

/*
 * One entity: a leaf is written out whole; a multipart gets its header
 * and preamble written and a frame pushed for its parts.
 */
static void
canon_parsed(struct canon *c, struct canon_frame *stack, unsigned int *depth,
    const struct mime_entity *e)
{
	struct canon_frame	*fr;
	int			 error;

	if (*depth >= MIME_MAX_DEPTH) {
		c->err = MIME_E_DEPTH;
		return;
	}
	fr = &stack[*depth];
	/* frames are made ready as the nesting first reaches them */
	if (*depth == c->ready) {
		mime_ctype_init(&fr->ct);
		c->ready++;
	}
	if ((error = mime_entity_ctype(e, &fr->ct)) != MIME_OK) {
		c->err = error;
		return;
	}
	fr->msg = 0;
	if (mime_entity_is_message(e, &fr->ct)) {
		canon_header(c, e, 0);
		if (e->has_sep)
			cws(c, "\r\n");
		fr->msg = 1;
		fr->msgbody.p = e->body;
		fr->msgbody.len = e->bodylen;
		(*depth)++;
		return;
	}
	if (!mime_ctype_is(&fr->ct, "multipart", NULL) ||
	    mime_ctype_boundary(&fr->ct, &fr->bnd) == -1) {
		canon_leaf(c, e, &fr->ct);
		return;
	}
	mime_mp_init(&fr->mp, e->body, e->bodylen, fr->bnd.p, fr->bnd.len);
	if (mime_mp_start(&fr->mp) != MIME_OK) {
		canon_leaf(c, e, &fr->ct);
		return;
	}
	canon_header(c, e, 0);
	if (e->has_sep)
		cws(c, "\r\n");
	if (!fr->mp.delim_at_start) {
		cw_crlf(c, fr->mp.preamble.p, fr->mp.preamble.len);
		cws(c, "\r\n");
	}
	(*depth)++;
}

static void
canon_entity(struct canon *c, struct canon_frame *stack, unsigned int *depth,
    const char *p, size_t n)
{
	struct mime_entity	 e;
	int			 error;

	if ((error = mime_entity_parse(p, n, &e)) != MIME_OK) {
		c->err = error;
		return;
	}
	canon_parsed(c, stack, depth, &e);
}

/* After the last part: close delimiter and epilogue. */
static void
canon_close(struct canon *c, const struct canon_frame *fr)
{
	if (fr->mp.nparts > 0)
		cws(c, "\r\n");
	cws(c, "--");
	cw(c, fr->bnd.p, fr->bnd.len);
	cws(c, "--");
	if (!fr->mp.closed || fr->mp.close_eol)
		cws(c, "\r\n");
	if (fr->mp.closed)
		cw_crlf(c, fr->mp.epilogue.p, fr->mp.epilogue.len);
}

int
mime_canon(const char *p, size_t n, mime_write_fn fn, void *arg)
{
	struct mime_entity	 e;
	int			 error;

	if ((error = mime_entity_parse(p, n, &e)) != MIME_OK)
		return error;
	return mime_canon_entity(&e, fn, arg);
}

/*
 * The same for an entity already parsed, whose header and body need not
 * be adjacent: the signer builds the signed entity's header and points
 * its body into the message, so the message is never copied.
 */
int
mime_canon_entity(const struct mime_entity *e, mime_write_fn fn, void *arg)
{
	struct canon_frame	*stack, *fr;
	struct canon		 c;
	struct mime_span	 part;
	unsigned int		 depth = 0, i;

	c.fn = fn;
	c.arg = arg;
	c.err = MIME_OK;
	c.ready = 0;
	if ((stack = malloc(MIME_MAX_DEPTH * sizeof(*stack))) == NULL)
		return MIME_E_NOMEM;
	canon_parsed(&c, stack, &depth, e);
	while (c.err == MIME_OK && depth > 0) {
		fr = &stack[depth - 1];
		if (fr->msg == 1) {
			fr->msg = 2;
			canon_entity(&c, stack, &depth, fr->msgbody.p,
			    fr->msgbody.len);
			continue;
		}
		if (fr->msg == 2) {
			depth--;
			continue;
		}
		if (mime_mp_next(&fr->mp, &part)) {
			if (fr->mp.nparts > 1)
				cws(&c, "\r\n");
			cws(&c, "--");
			cw(&c, fr->bnd.p, fr->bnd.len);
			cws(&c, "\r\n");
			canon_entity(&c, stack, &depth, part.p, part.len);
			continue;
		}
		canon_close(&c, fr);
		depth--;
	}
	for (i = 0; i < c.ready; i++)
		mime_ctype_clear(&stack[i].ct);
	free(stack);
	return c.err;
}
