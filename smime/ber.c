/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * BER reader: see ber.h for the contract.
 *
 * The length of an indefinite element is found when ber_next() meets
 * it, by a flat scan for its end-of-contents that counts open
 * indefinite levels instead of recursing.  After that every level,
 * definite or not, is just a [pos, end) window inside its parent, so
 * the cursor logic has a single case and every element (indefinite
 * ones included) comes with its raw span.  Rescanning costs at most
 * BER_MAX_DEPTH passes over a nest of indefinite elements.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "ber.h"
#include "mime.h"

static const char *const ber_errstr[BER_ERR_MAX] = {
	[BER_OK] = "no error",
	[BER_END] = "end of elements",
	[BER_ERR_TRUNCATED] = "input truncated",
	[BER_ERR_PAST_PARENT] = "element runs past its parent",
	[BER_ERR_BAD_LENGTH] = "bad length encoding",
	[BER_ERR_LENGTH_OCTETS] = "length of more than 4 octets",
	[BER_ERR_LENGTH_OVERFLOW] = "length overflows",
	[BER_ERR_NONMINIMAL_LENGTH] = "non-minimal length encoding",
	[BER_ERR_INDEFINITE_DER] = "indefinite length in DER",
	[BER_ERR_INDEFINITE_PRIMITIVE] = "indefinite length on primitive",
	[BER_ERR_MISSING_EOC] = "missing end-of-contents",
	[BER_ERR_UNEXPECTED_EOC] = "unexpected end-of-contents",
	[BER_ERR_BAD_EOC] = "malformed end-of-contents",
	[BER_ERR_HIGH_TAG] = "high tag number form unsupported",
	[BER_ERR_DEPTH] = "nesting too deep",
	[BER_ERR_UNEXPECTED_TAG] = "unexpected tag",
	[BER_ERR_NOT_CONSTRUCTED] = "element is not constructed",
	[BER_ERR_STATE] = "reader used out of order",
	[BER_ERR_TRAILING] = "trailing data after element",
	[BER_ERR_BAD_BOOLEAN] = "bad BOOLEAN",
	[BER_ERR_BAD_INTEGER] = "bad INTEGER",
	[BER_ERR_INT_RANGE] = "INTEGER out of range",
	[BER_ERR_BAD_OID] = "bad OBJECT IDENTIFIER",
	[BER_ERR_BAD_NULL] = "bad NULL",
	[BER_ERR_BAD_BIT_STRING] = "bad BIT STRING",
	[BER_ERR_BAD_TIME] = "bad time value",
	[BER_ERR_BAD_SEGMENT] = "bad constructed string segment",
	[BER_ERR_BUFFER_SMALL] = "buffer too small",
	[BER_ERR_CALLBACK] = "stopped by callback",
};

const char *
ber_strerror(enum ber_err err)
{
	if ((unsigned int)err >= BER_ERR_MAX || ber_errstr[err] == NULL)
		return "unknown BER error";
	return ber_errstr[err];
}

void
ber_reader_init(struct ber_reader *r, const uint8_t *buf, size_t len, int flags)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->buflen = buf == NULL ? 0 : len;
	r->flags = flags;
	r->pos = 0;
	r->end = r->buflen;
}

enum ber_err
ber_error(const struct ber_reader *r)
{
	return r->err;
}

unsigned int
ber_depth(const struct ber_reader *r)
{
	return r->depth;
}

int
ber_at_end(const struct ber_reader *r)
{
	return r->err == BER_OK && r->pos == r->end;
}

static enum ber_err
ber_fail(struct ber_reader *r, enum ber_err err, size_t offset)
{
	if (r->err == BER_OK) {
		r->err = err;
		r->err_offset = offset;
	}
	r->have_last = 0;
	return r->err;
}

/*
 * Running out of room is "truncated" when the room ends with the
 * input at the top level, "past parent" when an enclosing element
 * ends there.
 */
static enum ber_err
ber_short(const struct ber_reader *r, size_t limit)
{
	if (r->depth == 0 && limit == r->buflen)
		return BER_ERR_TRUNCATED;
	return BER_ERR_PAST_PARENT;
}

/*
 * Decode the identifier and length octets at pos, which must lie in
 * [pos, limit).  A definite content must fit before limit.  The
 * content of an indefinite element is left with len 0 for the caller
 * to measure.
 */
static enum ber_err
ber_header(const struct ber_reader *r, size_t pos, size_t limit,
    struct ber_elem *e, size_t *errpos)
{
	const uint8_t	*p = r->buf;
	size_t		 avail, n, i, len;
	uint8_t		 id, l;

	*errpos = pos;
	memset(e, 0, sizeof(*e));
	avail = limit - pos;
	if (avail < 1)
		return ber_short(r, limit);
	id = p[pos];
	if ((id & BER_NUMBER_MASK) == BER_NUMBER_MASK)
		return BER_ERR_HIGH_TAG;
	if (avail < 2)
		return ber_short(r, limit);
	e->tag = id;
	e->cls = id & BER_CLASS_MASK;
	e->constructed = (id & BER_CONSTRUCTED) != 0;
	e->number = id & BER_NUMBER_MASK;
	e->offset = pos;
	e->raw = p + pos;
	*errpos = pos + 1;

	l = p[pos + 1];
	if (l < 0x80) {
		len = l;
		e->hdrlen = 2;
	} else if (l == 0x80) {
		if ((r->flags & BER_F_DER) != 0)
			return BER_ERR_INDEFINITE_DER;
		if (!e->constructed)
			return BER_ERR_INDEFINITE_PRIMITIVE;
		e->indefinite = 1;
		e->hdrlen = 2;
		len = 0;
	} else if (l == 0xff) {
		return BER_ERR_BAD_LENGTH;
	} else {
		n = l & 0x7f;
		if (n > 4 || n > sizeof(size_t))
			return BER_ERR_LENGTH_OCTETS;
		if (avail - 2 < n)
			return ber_short(r, limit);
		len = 0;
		for (i = 0; i < n; i++)
			len = (len << 8) | p[pos + 2 + i];
		if ((r->flags & BER_F_DER) != 0 &&
		    (p[pos + 2] == 0 || len < 0x80))
			return BER_ERR_NONMINIMAL_LENGTH;
		e->hdrlen = 2 + n;
	}

	/* Universal tag 0 is reserved for end-of-contents: 00 00 only. */
	if (e->cls == BER_CLASS_UNIVERSAL && e->number == 0 &&
	    (e->constructed || e->indefinite || len != 0))
		return BER_ERR_BAD_EOC;

	e->content = p + pos + e->hdrlen;
	*errpos = pos + e->hdrlen;
	if (len > avail - e->hdrlen)
		return ber_short(r, limit);
	e->len = len;
	e->rawlen = e->hdrlen + len;
	return BER_OK;
}

static int
ber_is_eoc(const struct ber_elem *e)
{
	return e->tag == 0x00 && !e->indefinite && e->len == 0;
}

/*
 * The nested indefinite elements a measure closes are remembered: the
 * reader then enters each without walking to its end again, which for
 * a streamed EnvelopedData (indefinite at five levels, the ciphertext
 * in thousands of chunks) would be five walks over the whole content.
 */
static void
ber_remember(struct ber_reader *r, size_t offset, size_t rawlen)
{
	struct ber_known *k = &r->known[r->nknown++ % BER_KNOWN];

	k->offset = offset;
	k->rawlen = rawlen;
}

static int
ber_recall(const struct ber_reader *r, struct ber_elem *e)
{
	size_t i;

	for (i = 0; i < BER_KNOWN; i++)
		if (r->known[i].rawlen != 0 && r->known[i].offset == e->offset) {
			e->rawlen = r->known[i].rawlen;
			e->len = e->rawlen - e->hdrlen - 2;
			return 1;
		}
	return 0;
}

/*
 * Find the end-of-contents of the indefinite element e, a child of
 * the current level.  Nested definite elements are skipped whole;
 * nested indefinite ones only bump a counter, so input depth never
 * turns into stack depth.  Each header read counts as the span it
 * skips (mime_consumed): a walk over chunks touches every page.
 */
static enum ber_err
ber_measure(struct ber_reader *r, struct ber_elem *e, size_t *errpos)
{
	struct ber_elem	 h;
	size_t		 pos, open = 0, opened[BER_MAX_DEPTH];
	enum ber_err	 err;

	if (ber_recall(r, e))
		return BER_OK;
	pos = e->offset + e->hdrlen;
	for (;;) {
		if (pos >= r->end) {
			*errpos = pos;
			if (r->depth == 0 && r->end == r->buflen)
				return BER_ERR_TRUNCATED;
			return BER_ERR_MISSING_EOC;
		}
		if ((err = ber_header(r, pos, r->end, &h, errpos)) != BER_OK)
			return err;
		if (ber_is_eoc(&h)) {
			if (open == 0)
				break;
			open--;
			pos += h.rawlen;
			ber_remember(r, opened[open], pos - opened[open]);
			continue;
		}
		if (h.indefinite) {
			if (open + r->depth + 2 > BER_MAX_DEPTH) {
				*errpos = pos;
				return BER_ERR_DEPTH;
			}
			opened[open++] = pos;
			pos += h.hdrlen;
			continue;
		}
		mime_consumed(h.rawlen);
		pos += h.rawlen;
	}
	e->len = pos - (e->offset + e->hdrlen);
	e->rawlen = pos + 2 - e->offset;
	return BER_OK;
}

enum ber_err
ber_next(struct ber_reader *r, struct ber_elem *e)
{
	enum ber_err	 err;
	size_t		 errpos;

	if (r->err != BER_OK)
		return r->err;
	r->have_last = 0;
	if (r->pos >= r->end)
		return BER_END;
	if ((err = ber_header(r, r->pos, r->end, e, &errpos)) != BER_OK)
		return ber_fail(r, err, errpos);
	if (ber_is_eoc(e))
		return ber_fail(r, BER_ERR_UNEXPECTED_EOC, r->pos);
	if (e->indefinite &&
	    (err = ber_measure(r, e, &errpos)) != BER_OK)
		return ber_fail(r, err, errpos);
	r->pos += e->rawlen;
	r->last = *e;
	r->have_last = 1;
	return BER_OK;
}

enum ber_err
ber_peek(struct ber_reader *r, struct ber_elem *e)
{
	size_t		 pos = r->pos;
	enum ber_err	 err;

	err = ber_next(r, e);
	if (err == BER_OK) {
		r->pos = pos;
		r->have_last = 0;
	}
	return err;
}

enum ber_err
ber_skip(struct ber_reader *r)
{
	struct ber_elem	 e;

	return ber_next(r, &e);
}

enum ber_err
ber_expect(struct ber_reader *r, uint8_t tag, struct ber_elem *e)
{
	enum ber_err	 err;

	if ((err = ber_next(r, e)) == BER_END)
		return ber_fail(r, BER_ERR_UNEXPECTED_TAG, r->pos);
	if (err != BER_OK)
		return err;
	if (e->tag != tag)
		return ber_fail(r, BER_ERR_UNEXPECTED_TAG, e->offset);
	return BER_OK;
}

/* OCTET STRING, primitive or (BER only) constructed. */
enum ber_err
ber_expect_octets(struct ber_reader *r, struct ber_elem *e)
{
	enum ber_err	 err;

	if ((err = ber_next(r, e)) == BER_END)
		return ber_fail(r, BER_ERR_UNEXPECTED_TAG, r->pos);
	if (err != BER_OK)
		return err;
	if (e->tag == BER_OCTET_STRING)
		return BER_OK;
	if (e->tag == (BER_OCTET_STRING | BER_CONSTRUCTED) &&
	    (r->flags & BER_F_DER) == 0)
		return BER_OK;
	return ber_fail(r, BER_ERR_UNEXPECTED_TAG, e->offset);
}

enum ber_err
ber_enter(struct ber_reader *r)
{
	struct ber_frame *f;

	if (r->err != BER_OK)
		return r->err;
	if (!r->have_last)
		return ber_fail(r, BER_ERR_STATE, r->pos);
	if (!r->last.constructed)
		return ber_fail(r, BER_ERR_NOT_CONSTRUCTED, r->last.offset);
	if (r->depth >= BER_MAX_DEPTH)
		return ber_fail(r, BER_ERR_DEPTH, r->last.offset);
	f = &r->stack[r->depth++];
	f->pos = r->pos;
	f->end = r->end;
	r->pos = r->last.offset + r->last.hdrlen;
	r->end = r->pos + r->last.len;
	r->have_last = 0;
	return BER_OK;
}

/* Back to the parent level, skipping what is left of this one. */
enum ber_err
ber_leave(struct ber_reader *r)
{
	struct ber_frame *f;

	if (r->err != BER_OK)
		return r->err;
	if (r->depth == 0)
		return ber_fail(r, BER_ERR_STATE, r->pos);
	f = &r->stack[--r->depth];
	r->pos = f->pos;
	r->end = f->end;
	r->have_last = 0;
	return BER_OK;
}

/* Universal string types whose constructed form holds segments. */
static int
ber_is_string_type(const struct ber_elem *e)
{
	if (e->cls != BER_CLASS_UNIVERSAL)
		return 0;
	switch (e->number) {
	case 3: case 4: case 12: case 18: case 19: case 20: case 21:
	case 22: case 25: case 26: case 27: case 28: case 30:
		return 1;
	}
	return 0;
}

/*
 * Walk a buffer holding exactly one element, down to every leaf.
 * Segments of constructed strings must have the parent's type.
 */
enum ber_err
ber_validate(const uint8_t *buf, size_t len, int flags, size_t *erroff)
{
	struct ber_reader r;
	struct ber_elem	 e;
	uint8_t		 seg[BER_MAX_DEPTH + 1];
	enum ber_err	 err;

	ber_reader_init(&r, buf, len, flags);
	if ((err = ber_next(&r, &e)) == BER_END)
		err = ber_fail(&r, BER_ERR_TRUNCATED, 0);
	seg[0] = 0;
	if (err == BER_OK && e.constructed) {
		seg[1] = ber_is_string_type(&e) ? e.number : 0;
		err = ber_enter(&r);
	}
	while (err == BER_OK && r.depth > 0) {
		err = ber_next(&r, &e);
		if (err == BER_END) {
			err = ber_leave(&r);
			continue;
		}
		if (err != BER_OK)
			break;
		if (seg[r.depth] != 0 && (e.cls != BER_CLASS_UNIVERSAL ||
		    e.number != seg[r.depth])) {
			err = ber_fail(&r, BER_ERR_BAD_SEGMENT, e.offset);
			break;
		}
		if (e.constructed) {
			if (r.depth >= BER_MAX_DEPTH) {
				err = ber_fail(&r, BER_ERR_DEPTH, e.offset);
				break;
			}
			seg[r.depth + 1] = ber_is_string_type(&e) ?
			    e.number : 0;
			err = ber_enter(&r);
		}
	}
	if (err == BER_OK && r.pos != len)
		err = ber_fail(&r, BER_ERR_TRAILING, r.pos);
	if (erroff != NULL)
		*erroff = err == BER_OK ? 0 : r.err_offset;
	return err;
}

enum ber_err
ber_get_bool(const struct ber_elem *e, int *v)
{
	if (e->constructed || e->len != 1)
		return BER_ERR_BAD_BOOLEAN;
	*v = e->content[0] != 0;
	return BER_OK;
}

enum ber_err
ber_check_null(const struct ber_elem *e)
{
	if (e->constructed || e->len != 0)
		return BER_ERR_BAD_NULL;
	return BER_OK;
}

/*
 * The content octets as encoded, sign included.  Serial numbers are
 * compared byte for byte with certificates, so nothing is normalised.
 */
enum ber_err
ber_get_int_raw(const struct ber_elem *e, const uint8_t **p, size_t *len)
{
	if (e->constructed || e->len == 0)
		return BER_ERR_BAD_INTEGER;
	*p = e->content;
	*len = e->len;
	return BER_OK;
}

/* A non-negative INTEGER as an unsigned magnitude without sign octet. */
enum ber_err
ber_get_uint_raw(const struct ber_elem *e, const uint8_t **p, size_t *len)
{
	const uint8_t	*c;
	size_t		 n;
	enum ber_err	 err;

	if ((err = ber_get_int_raw(e, &c, &n)) != BER_OK)
		return err;
	if (c[0] & 0x80)
		return BER_ERR_INT_RANGE;
	while (n > 1 && c[0] == 0) {
		c++;
		n--;
	}
	*p = c;
	*len = n;
	return BER_OK;
}

/* A small signed INTEGER (versions, ICV lengths, iteration counts). */
enum ber_err
ber_get_long(const struct ber_elem *e, long *v)
{
	const uint8_t	*c;
	size_t		 n, i;
	unsigned long	 u;
	enum ber_err	 err;

	if ((err = ber_get_int_raw(e, &c, &n)) != BER_OK)
		return err;
	if (n > 1 && ((c[0] == 0x00 && (c[1] & 0x80) == 0) ||
	    (c[0] == 0xff && (c[1] & 0x80) != 0)))
		return BER_ERR_BAD_INTEGER;
	if (n > sizeof(long))
		return BER_ERR_INT_RANGE;
	/* Sign-extend through unsigned arithmetic, no shifts of negatives. */
	u = (c[0] & 0x80) ? ~0UL : 0;
	for (i = 0; i < n; i++)
		u = (u << 8) | c[i];
	if (u <= (unsigned long)(~0UL >> 1))
		*v = (long)u;
	else
		*v = -(long)(~u) - 1;
	return BER_OK;
}

enum ber_err
ber_get_oid(const struct ber_elem *e, const uint8_t **p, size_t *len)
{
	size_t		 i;

	if (e->constructed || e->len == 0)
		return BER_ERR_BAD_OID;
	/* Subidentifiers are minimal base-128 and the last one ends. */
	for (i = 0; i < e->len; i++) {
		if (e->content[i] == 0x80 &&
		    (i == 0 || (e->content[i - 1] & 0x80) == 0))
			return BER_ERR_BAD_OID;
	}
	if (e->content[e->len - 1] & 0x80)
		return BER_ERR_BAD_OID;
	*p = e->content;
	*len = e->len;
	return BER_OK;
}

enum ber_err
ber_get_bitstring(const struct ber_elem *e, const uint8_t **p, size_t *len,
    unsigned int *unused)
{
	if (e->constructed || e->len == 0)
		return BER_ERR_BAD_BIT_STRING;
	if (e->content[0] > 7 || (e->len == 1 && e->content[0] != 0))
		return BER_ERR_BAD_BIT_STRING;
	*p = e->content + 1;
	*len = e->len - 1;
	*unused = e->content[0];
	return BER_OK;
}

/* Two decimal digits at s; -1 if they are not digits. */
static int
ber_2digits(const uint8_t *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long long
ber_days(long long y, int m, int d)
{
	long long	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
ber_mdays(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/*
 * UTCTime YYMMDDhhmm[ss](Z|+-hhmm), GeneralizedTime
 * YYYYMMDDhhmm[ss[.f...]](Z|+-hhmm).  Local times without a zone are
 * refused: their meaning depends on the sender.  UTCTime years 50..99
 * are 19xx (RFC 5280 4.1.2.5.1).
 */
enum ber_err
ber_get_time(const struct ber_elem *e, struct tm *tmp, time_t *tp)
{
	const uint8_t	*s = e->content;
	size_t		 n = e->len, i = 0;
	int		 y, mo, d, h, mi, sec = 0, oh, om, v;
	long long	 t, off = 0;
	time_t		 tt;
	struct tm	 tm;

	if (e->constructed)
		return BER_ERR_BAD_TIME;
	if (e->tag == BER_UTC_TIME) {
		if (n < 11 || (y = ber_2digits(s)) < 0)
			return BER_ERR_BAD_TIME;
		y += y < 50 ? 2000 : 1900;
		i = 2;
	} else if (e->tag == BER_GENERALIZED_TIME) {
		if (n < 13 || (y = ber_2digits(s)) < 0 ||
		    (v = ber_2digits(s + 2)) < 0)
			return BER_ERR_BAD_TIME;
		y = y * 100 + v;
		i = 4;
	} else
		return BER_ERR_BAD_TIME;
	mo = ber_2digits(s + i);
	d = ber_2digits(s + i + 2);
	h = ber_2digits(s + i + 4);
	mi = ber_2digits(s + i + 6);
	i += 8;
	if (mo < 1 || mo > 12 || d < 1 || d > ber_mdays(y, mo) ||
	    h < 0 || h > 23 || mi < 0 || mi > 59)
		return BER_ERR_BAD_TIME;
	if (n - i >= 2 && s[i] >= '0' && s[i] <= '9') {
		if ((sec = ber_2digits(s + i)) < 0 || sec > 60)
			return BER_ERR_BAD_TIME;
		i += 2;
		if (e->tag == BER_GENERALIZED_TIME && n - i >= 2 &&
		    (s[i] == '.' || s[i] == ',')) {
			if (s[++i] < '0' || s[i] > '9')
				return BER_ERR_BAD_TIME;
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
		}
	}
	if (n - i == 1 && s[i] == 'Z')
		off = 0;
	else if (n - i == 5 && (s[i] == '+' || s[i] == '-')) {
		oh = ber_2digits(s + i + 1);
		om = ber_2digits(s + i + 3);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return BER_ERR_BAD_TIME;
		off = (oh * 60LL + om) * 60;
		if (s[i] == '-')
			off = -off;
	} else
		return BER_ERR_BAD_TIME;

	t = ber_days(y, mo, d) * 86400 + h * 3600LL + mi * 60LL + sec - off;
	tt = (time_t)t;
	if ((long long)tt != t)
		return BER_ERR_BAD_TIME;
	if (gmtime_r(&tt, &tm) == NULL)
		return BER_ERR_BAD_TIME;
	if (tmp != NULL)
		*tmp = tm;
	if (tp != NULL)
		*tp = tt;
	return BER_OK;
}

/* Internal segment walk; the callback returns a ber_err. */
typedef enum ber_err (*ber_seg_fn)(void *, const uint8_t *, size_t);

static enum ber_err
ber_octets_walk(const struct ber_elem *oe, ber_seg_fn fn, void *arg)
{
	struct ber_reader r;
	struct ber_elem	 e;
	enum ber_err	 err;

	if (!oe->constructed)
		return oe->len > 0 ? fn(arg, oe->content, oe->len) : BER_OK;
	ber_reader_init(&r, oe->raw, oe->rawlen, 0);
	if ((err = ber_next(&r, &e)) != BER_OK || (err = ber_enter(&r)) !=
	    BER_OK)
		return err == BER_END ? BER_ERR_STATE : err;
	while (r.depth > 0) {
		err = ber_next(&r, &e);
		if (err == BER_END) {
			if ((err = ber_leave(&r)) != BER_OK)
				return err;
			continue;
		}
		if (err != BER_OK)
			return err;
		if (e.cls != BER_CLASS_UNIVERSAL ||
		    e.number != (BER_OCTET_STRING & BER_NUMBER_MASK))
			return BER_ERR_BAD_SEGMENT;
		if (e.constructed) {
			if ((err = ber_enter(&r)) != BER_OK)
				return err;
		} else if (e.len > 0 &&
		    (err = fn(arg, e.content, e.len)) != BER_OK)
			return err;
	}
	return BER_OK;
}

struct ber_user_cb {
	ber_segment_cb	 cb;
	void		*arg;
};

static enum ber_err
ber_user_seg(void *arg, const uint8_t *p, size_t len)
{
	struct ber_user_cb *u = arg;

	return u->cb(u->arg, p, len) == 0 ? BER_OK : BER_ERR_CALLBACK;
}

/*
 * Call cb on each primitive segment of an OCTET STRING (or of an
 * IMPLICIT-tagged one such as [0] encryptedContent), in order, without
 * copying.  Empty segments are not reported.
 */
enum ber_err
ber_octets_foreach(const struct ber_elem *e, ber_segment_cb cb, void *arg)
{
	struct ber_user_cb u;

	u.cb = cb;
	u.arg = arg;
	return ber_octets_walk(e, ber_user_seg, &u);
}

static enum ber_err
ber_count_seg(void *arg, const uint8_t *p, size_t len)
{
	size_t		*total = arg;

	(void)p;
	if (len > SIZE_MAX - *total)
		return BER_ERR_LENGTH_OVERFLOW;
	*total += len;
	mime_consumed(len);	/* the walk reads each segment's header */
	return BER_OK;
}

enum ber_err
ber_octets_len(const struct ber_elem *e, size_t *len)
{
	size_t		 total = 0;
	enum ber_err	 err;

	if ((err = ber_octets_walk(e, ber_count_seg, &total)) != BER_OK)
		return err;
	*len = total;
	return BER_OK;
}

struct ber_copy {
	uint8_t		*buf;
	size_t		 cap;
	size_t		 used;
};

static enum ber_err
ber_copy_seg(void *arg, const uint8_t *p, size_t len)
{
	struct ber_copy	*c = arg;

	if (len > c->cap - c->used)
		return BER_ERR_BUFFER_SMALL;
	memcpy(c->buf + c->used, p, len);
	c->used += len;
	return BER_OK;
}

/* Concatenated content into buf; *outlen gets its length. */
enum ber_err
ber_octets_copy(const struct ber_elem *e, uint8_t *buf, size_t cap,
    size_t *outlen)
{
	struct ber_copy	 c;
	enum ber_err	 err;

	c.buf = buf;
	c.cap = buf == NULL ? 0 : cap;
	c.used = 0;
	if ((err = ber_octets_walk(e, ber_copy_seg, &c)) != BER_OK)
		return err;
	*outlen = c.used;
	return BER_OK;
}
