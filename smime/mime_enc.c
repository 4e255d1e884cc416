/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Content-Transfer-Encodings (RFC 2045 §6.7, §6.8), streaming.
 *
 * Every coder consumes its input one octet at a time through a small
 * state machine, so the output cannot depend on how the input was cut
 * into chunks.  Output is gathered in a stack buffer and handed to the
 * caller's write callback in blocks.
 */
#include <stdint.h>
#include <string.h>

#include "b64_hw.h"
#include "mime.h"

struct mime_out {
	mime_write_fn	 fn;
	void		*arg;
	size_t		 n;
	int		 err;
	char		 buf[8192];
};

static void
out_init(struct mime_out *o, mime_write_fn fn, void *arg)
{
	o->fn = fn;
	o->arg = arg;
	o->n = 0;
	o->err = MIME_OK;
}

static int
out_flush(struct mime_out *o)
{
	if (o->err == MIME_OK && o->n > 0 && o->fn(o->arg, o->buf, o->n) != 0)
		o->err = MIME_E_WRITE;
	o->n = 0;
	return o->err;
}

static void
out_c(struct mime_out *o, int c)
{
	if (o->n == sizeof(o->buf))
		(void)out_flush(o);
	o->buf[o->n++] = (char)c;
}

static void
out_s(struct mime_out *o, const char *s, size_t n)
{
	while (n-- > 0)
		out_c(o, *s++);
}

static void
out_eol(struct mime_out *o, int flags)
{
	if (flags & MIME_ENC_CRLF)
		out_c(o, '\r');
	out_c(o, '\n');
}

/* Base64 (RFC 4648 §4). */

static const char b64_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";


/* The sextet of each octet, 0xff for those outside the alphabet. */
static const uint8_t b64_rev[256] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0x3e, 0xff, 0xff, 0xff, 0x3f,
	0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b,
	0x3c, 0x3d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
	0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
	0x17, 0x18, 0x19, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
	0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
	0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,
	0x31, 0x32, 0x33, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

void
mime_b64dec_init(struct mime_b64dec *d)
{
	memset(d, 0, sizeof(*d));
}

/* Emit the octets of a quantum of n (2..4) sextets held in acc. */
static void
b64_quantum(struct mime_out *o, uint32_t acc, unsigned int n)
{
	if (n == 4) {
		out_c(o, (acc >> 16) & 0xff);
		out_c(o, (acc >> 8) & 0xff);
		out_c(o, acc & 0xff);
	} else if (n == 3) {
		out_c(o, (acc >> 10) & 0xff);
		out_c(o, (acc >> 2) & 0xff);
	} else if (n == 2)
		out_c(o, (acc >> 4) & 0xff);
}

/*
 * White space is skipped; '=' may only complete a quantum of two or
 * three sextets, and nothing but white space may follow padding.
 */
static int
b64dec_byte(struct mime_b64dec *d, struct mime_out *o, int c)
{
	int	v;

	if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
		return MIME_OK;
	if (c == '=') {
		if (d->n < 2)
			return MIME_E_BASE64;
		if (++d->pad + d->n == 4) {
			b64_quantum(o, d->acc, d->n);
			d->n = 0;
			d->acc = 0;
		}
		return MIME_OK;
	}
	if ((v = b64_rev[c]) > 63 || d->pad > 0)
		return MIME_E_BASE64;
	d->acc = d->acc << 6 | (uint32_t)v;
	if (++d->n == 4) {
		b64_quantum(o, d->acc, 4);
		d->n = 0;
		d->acc = 0;
	}
	return MIME_OK;
}

/*
 * Whole quanta of four alphabet octets from p[0..n), while there are
 * some, for a decoder between quanta: how many octets were used.  The
 * state machine takes the rest (white space, padding, errors), so the
 * result is the same as its own, octet by octet.
 */
static size_t
b64dec_quanta(struct mime_out *o, const unsigned char *p, size_t n)
{
	uint32_t	a, b, c, e;
	size_t		i = 0;

	for (; n - i >= 4; i += 4) {
		a = b64_rev[p[i]];
		b = b64_rev[p[i + 1]];
		c = b64_rev[p[i + 2]];
		e = b64_rev[p[i + 3]];
		if ((a | b | c | e) > 63)
			break;
		if (sizeof(o->buf) - o->n < 3 && out_flush(o) != MIME_OK)
			break;
		a = a << 18 | b << 12 | c << 6 | e;
		o->buf[o->n++] = (char)(a >> 16);
		o->buf[o->n++] = (char)(a >> 8);
		o->buf[o->n++] = (char)a;
	}
	return i;
}

int
mime_b64dec_update(struct mime_b64dec *d, const char *p, size_t n,
    mime_write_fn fn, void *arg)
{
	const unsigned char *u = (const unsigned char *)p;
	struct mime_out	o;
	size_t		i;

	if (d->err != MIME_OK)
		return d->err;
	out_init(&o, fn, arg);
	for (i = 0; i < n && d->err == MIME_OK && o.err == MIME_OK; i++) {
		if (d->n == 0 && d->pad == 0 &&
		    (i += b64dec_quanta(&o, u + i, n - i)) == n)
			break;
		d->err = b64dec_byte(d, &o, u[i]);
	}
	if (out_flush(&o) != MIME_OK && d->err == MIME_OK)
		d->err = o.err;
	return d->err;
}

/* Missing padding at the end is tolerated; a lone sextet is not. */
int
mime_b64dec_final(struct mime_b64dec *d, mime_write_fn fn, void *arg)
{
	struct mime_out	o;

	if (d->err != MIME_OK)
		return d->err;
	if (d->n == 1)
		return d->err = MIME_E_BASE64;
	out_init(&o, fn, arg);
	b64_quantum(&o, d->acc, d->n);
	d->n = 0;
	return d->err = out_flush(&o);
}

void
mime_b64enc_init(struct mime_b64enc *e, int flags)
{
	memset(e, 0, sizeof(*e));
	e->flags = flags;
	e->hw = b64_hw_available();
}

/* Emit one 4-character group, breaking lines at 76 columns. */
static void
b64_group(struct mime_b64enc *e, struct mime_out *o, const unsigned char *in,
    unsigned int n)
{
	uint32_t	v;

	if (e->col >= 76) {
		out_eol(o, e->flags);
		e->col = 0;
	}
	v = (uint32_t)in[0] << 16;
	if (n > 1)
		v |= (uint32_t)in[1] << 8;
	if (n > 2)
		v |= in[2];
	out_c(o, b64_alpha[(v >> 18) & 63]);
	out_c(o, b64_alpha[(v >> 12) & 63]);
	out_c(o, n > 1 ? b64_alpha[(v >> 6) & 63] : '=');
	out_c(o, n > 2 ? b64_alpha[v & 63] : '=');
	e->col += 4;
}

/*
 * The two characters of each 12-bit value: a group is two lookups.
 * Built on first use (8 KB; a process has one thread).
 */
static char	b64_pair[4096][2];
static int	b64_pair_built;

static void
b64_pairs(void)
{
	int i;

	for (i = 0; i < 4096; i++) {
		b64_pair[i][0] = b64_alpha[i >> 6];
		b64_pair[i][1] = b64_alpha[i & 63];
	}
	b64_pair_built = 1;
}

static void
b64_put(char *d, const unsigned char *p)
{
	uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];

	memcpy(d, b64_pair[v >> 12], 2);
	memcpy(d + 2, b64_pair[v & 0xfff], 2);
}

/*
 * A whole line: 57 octets, 76 characters, no test inside; hw: its first
 * 48 octets by b64_hw_48 (whose loads end within the 57).
 */
static void
b64_line(char *d, const unsigned char *p, int hw)
{
	int g = 0;

	if (hw) {
		b64_hw_48(d, p);
		g = B64_HW_IN / 3;
	}
	for (; g < 19; g++)
		b64_put(d + 4 * g, p + 3 * g);
}

/*
 * Every whole group of p, straight into the output buffer: the common
 * case, without a call an octet, and whole lines without a test a
 * group.  Returns the octets taken (a multiple of 3); the same groups
 * and line ends as b64_group.
 */
static size_t
b64_groups(struct mime_b64enc *e, struct mime_out *o, const unsigned char *p,
    size_t n)
{
	size_t i;

	if (!b64_pair_built)
		b64_pairs();
	for (i = 0; n - i >= 3; ) {
		if (sizeof(o->buf) - o->n < 80)	/* a line end and a line */
			(void)out_flush(o);
		if (e->col >= 76) {
			out_eol(o, e->flags);
			e->col = 0;
		}
		if (e->col == 0 && n - i >= 57) {
			b64_line(o->buf + o->n, p + i, e->hw);
			o->n += 76;
			e->col = 76;
			i += 57;
			continue;
		}
		b64_put(o->buf + o->n, p + i);
		o->n += 4;
		e->col += 4;
		i += 3;
	}
	return i;
}

int
mime_b64enc_update(struct mime_b64enc *e, const void *vp, size_t n,
    mime_write_fn fn, void *arg)
{
	const unsigned char	*p = vp;
	struct mime_out		 o;
	size_t			 i = 0;

	if (e->err != MIME_OK)
		return e->err;
	out_init(&o, fn, arg);
	/* complete the group the last call left open */
	while (e->nrem > 0 && i < n) {
		e->rem[e->nrem++] = p[i++];
		if (e->nrem == 3) {
			b64_group(e, &o, e->rem, 3);
			e->nrem = 0;
		}
	}
	i += b64_groups(e, &o, p + i, n - i);
	while (i < n)			/* fewer than 3 left */
		e->rem[e->nrem++] = p[i++];
	return e->err = out_flush(&o);
}

/* The output, when not empty, always ends with a line end. */
int
mime_b64enc_final(struct mime_b64enc *e, mime_write_fn fn, void *arg)
{
	struct mime_out	o;

	if (e->err != MIME_OK)
		return e->err;
	out_init(&o, fn, arg);
	if (e->nrem > 0)
		b64_group(e, &o, e->rem, e->nrem);
	e->nrem = 0;
	if (e->col > 0)
		out_eol(&o, e->flags);
	e->col = 0;
	return e->err = out_flush(&o);
}

/*
 * Quoted-printable decoding.  Trailing white space on a line is
 * transport padding and dropped (RFC 2045 §6.7 rule 3), so white space
 * (and a CR that may turn out to start a CRLF) is held back until the
 * next octet says what it was.  At most MIME_QP_HOLD octets are held;
 * a longer run is let through, the same way for any chunking.  Bad
 * escapes are kept literally.
 */
enum { QD_TEXT, QD_EQ, QD_EQ1, QD_SOFT };

void
mime_qpdec_init(struct mime_qpdec *d)
{
	memset(d, 0, sizeof(*d));
	d->state = QD_TEXT;
}

static int
qp_isws(int c)
{
	return c == ' ' || c == '\t';
}

static void
qpd_flush_hold(struct mime_qpdec *d, struct mime_out *o)
{
	out_s(o, d->hold, d->nhold);
	d->nhold = 0;
}

static void
qpd_text(struct mime_qpdec *d, struct mime_out *o, int c)
{
	size_t	k;
	int	crlf;

	if (c == '\n') {
		k = d->nhold;
		crlf = k > 0 && d->hold[k - 1] == '\r';
		if (crlf)
			k--;
		while (k > 0 && qp_isws((unsigned char)d->hold[k - 1]))
			k--;
		out_s(o, d->hold, k);
		d->nhold = 0;
		if (crlf)
			out_c(o, '\r');
		out_c(o, '\n');
		return;
	}
	if (qp_isws(c) || c == '\r') {
		if (d->nhold == sizeof(d->hold))
			qpd_flush_hold(d, o);
		d->hold[d->nhold++] = (char)c;
		return;
	}
	qpd_flush_hold(d, o);
	if (c == '=')
		d->state = QD_EQ;
	else
		out_c(o, c);
}

static void
qpd_byte(struct mime_qpdec *d, struct mime_out *o, int c)
{
	char	held[MIME_QP_HOLD];
	size_t	i, nheld;
	int	hi, lo;

	switch (d->state) {
	case QD_EQ:
		d->state = QD_TEXT;
		if (mime_hexval(c) >= 0) {
			d->hex = (char)c;
			d->state = QD_EQ1;
			return;
		}
		if (c == '\n')
			return;			/* soft line break */
		if (qp_isws(c) || c == '\r') {
			d->state = QD_SOFT;
			d->hold[0] = (char)c;
			d->nhold = 1;
			return;
		}
		out_c(o, '=');
		break;
	case QD_EQ1:
		d->state = QD_TEXT;
		hi = mime_hexval((unsigned char)d->hex);
		if ((lo = mime_hexval(c)) >= 0) {
			out_c(o, hi << 4 | lo);
			return;
		}
		out_c(o, '=');
		out_c(o, d->hex);
		break;
	case QD_SOFT:
		if (c == '\n') {
			d->state = QD_TEXT;
			d->nhold = 0;
			return;
		}
		if ((qp_isws(c) || c == '\r') && d->nhold < sizeof(d->hold)) {
			d->hold[d->nhold++] = (char)c;
			return;
		}
		/* Not a soft break after all: "=" and the held octets. */
		d->state = QD_TEXT;
		nheld = d->nhold;
		memcpy(held, d->hold, nheld);
		d->nhold = 0;
		out_c(o, '=');
		for (i = 0; i < nheld; i++)
			qpd_text(d, o, (unsigned char)held[i]);
		break;
	default:
		break;
	}
	qpd_text(d, o, c);
}

int
mime_qpdec_update(struct mime_qpdec *d, const char *p, size_t n,
    mime_write_fn fn, void *arg)
{
	struct mime_out	o;
	size_t		i;

	if (d->err != MIME_OK)
		return d->err;
	out_init(&o, fn, arg);
	for (i = 0; i < n; i++)
		qpd_byte(d, &o, (unsigned char)p[i]);
	return d->err = out_flush(&o);
}

/*
 * At the end, "=" (with or without padding) is a soft break into
 * nothing, "=X" is literal and held white space is trailing.
 */
int
mime_qpdec_final(struct mime_qpdec *d, mime_write_fn fn, void *arg)
{
	struct mime_out	o;
	size_t		k;

	if (d->err != MIME_OK)
		return d->err;
	out_init(&o, fn, arg);
	if (d->state == QD_EQ1) {
		out_c(&o, '=');
		out_c(&o, d->hex);
	} else if (d->state == QD_TEXT) {
		k = d->nhold;
		while (k > 0 && qp_isws((unsigned char)d->hold[k - 1]))
			k--;
		out_s(&o, d->hold, k);
	}
	d->nhold = 0;
	d->state = QD_TEXT;
	return d->err = out_flush(&o);
}

/*
 * Quoted-printable encoding.  Lines (hard or soft) stay within 76
 * columns.  White space is held one octet back: encoded when a line
 * end or the end of input follows (trailing white space does not
 * survive transport), literal otherwise.  A CR is held to see whether
 * an LF follows; a bare CR is encoded.  'F', '.' and '-' are encoded
 * when they would start an output line, which covers "From " lines
 * (mbox escaping, RFC 8551 §3.1.2) and lone "." lines (SMTP) without
 * looking ahead, also at soft breaks, and means a soft break can never
 * make a line that looks like a multipart delimiter.
 */
static const char qp_hex[] = "0123456789ABCDEF";

static int
qpe_linestart(int c)
{
	return c == 'F' || c == '.' || c == '-';
}

static void
qpe_token(struct mime_qpenc *e, struct mime_out *o, int c, int lit)
{
	if (e->col == 0 && qpe_linestart(c))
		lit = 0;
	if (e->col + (lit ? 1 : 3) > 75) {
		out_c(o, '=');
		out_eol(o, e->flags);
		e->col = 0;
		if (qpe_linestart(c))
			lit = 0;
	}
	if (lit) {
		out_c(o, c);
		e->col++;
	} else {
		out_c(o, '=');
		out_c(o, qp_hex[(c >> 4) & 15]);
		out_c(o, qp_hex[c & 15]);
		e->col += 3;
	}
}

static void
qpe_ws(struct mime_qpenc *e, struct mime_out *o, int lit)
{
	if (e->ws != -1)
		qpe_token(e, o, e->ws, lit);
	e->ws = -1;
}

static void
qpe_eol(struct mime_qpenc *e, struct mime_out *o)
{
	qpe_ws(e, o, 0);
	out_eol(o, e->flags);
	e->col = 0;
}

static void
qpe_byte(struct mime_qpenc *e, struct mime_out *o, int c)
{
	if (e->cr) {
		e->cr = 0;
		if (c == '\n') {
			qpe_eol(e, o);
			return;
		}
		qpe_ws(e, o, 1);
		qpe_token(e, o, '\r', 0);
	}
	if (c == '\r') {
		e->cr = 1;
		return;
	}
	if (c == '\n') {
		qpe_eol(e, o);
		return;
	}
	qpe_ws(e, o, 1);
	if (qp_isws(c)) {
		e->ws = c;
		return;
	}
	qpe_token(e, o, c, c >= 33 && c <= 126 && c != '=');
}

void
mime_qpenc_init(struct mime_qpenc *e, int flags)
{
	memset(e, 0, sizeof(*e));
	e->ws = -1;
	e->flags = flags;
}

int
mime_qpenc_update(struct mime_qpenc *e, const void *vp, size_t n,
    mime_write_fn fn, void *arg)
{
	const unsigned char	*p = vp;
	struct mime_out		 o;
	size_t			 i;

	if (e->err != MIME_OK)
		return e->err;
	out_init(&o, fn, arg);
	for (i = 0; i < n; i++)
		qpe_byte(e, &o, p[i]);
	return e->err = out_flush(&o);
}

int
mime_qpenc_final(struct mime_qpenc *e, mime_write_fn fn, void *arg)
{
	struct mime_out	o;

	if (e->err != MIME_OK)
		return e->err;
	out_init(&o, fn, arg);
	if (e->cr) {
		qpe_ws(e, &o, 1);
		qpe_token(e, &o, '\r', 0);
		e->cr = 0;
	}
	qpe_ws(e, &o, 0);
	return e->err = out_flush(&o);
}

/* One-shot helpers. */

int
mime_b64_decode(const char *p, size_t n, struct mime_buf *b)
{
	struct mime_b64dec	d;
	int			error;

	mime_b64dec_init(&d);
	if ((error = mime_b64dec_update(&d, p, n, mime_buf_write, b)) != 0)
		return error;
	return mime_b64dec_final(&d, mime_buf_write, b);
}

int
mime_b64_encode(const void *p, size_t n, int flags, struct mime_buf *b)
{
	struct mime_b64enc	e;
	int			error;

	mime_b64enc_init(&e, flags);
	if ((error = mime_b64enc_update(&e, p, n, mime_buf_write, b)) != 0)
		return error;
	return mime_b64enc_final(&e, mime_buf_write, b);
}

int
mime_qp_decode(const char *p, size_t n, struct mime_buf *b)
{
	struct mime_qpdec	d;
	int			error;

	mime_qpdec_init(&d);
	if ((error = mime_qpdec_update(&d, p, n, mime_buf_write, b)) != 0)
		return error;
	return mime_qpdec_final(&d, mime_buf_write, b);
}

int
mime_qp_encode(const void *p, size_t n, int flags, struct mime_buf *b)
{
	struct mime_qpenc	e;
	int			error;

	mime_qpenc_init(&e, flags);
	if ((error = mime_qpenc_update(&e, p, n, mime_buf_write, b)) != 0)
		return error;
	return mime_qpenc_final(&e, mime_buf_write, b);
}
