/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * DER writer: see der.h.
 *
 * One length octet is reserved when an element is opened.  Most
 * elements (OIDs, small integers, algorithm identifiers) stay under
 * 128 octets and never move; a long one is moved up once, by the
 * 1..4 extra length octets, when it is closed.  Moving costs one pass
 * per nesting level, which is cheap next to hashing or encrypting the
 * same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "der.h"

static const char *const der_errstr[DER_ERR_MAX] = {
	[DER_OK] = "no error",
	[DER_ERR_NOMEM] = "out of memory",
	[DER_ERR_TOO_BIG] = "encoding too large",
	[DER_ERR_DEPTH] = "too many open elements",
	[DER_ERR_STATE] = "writer used out of order",
	[DER_ERR_ARG] = "bad argument",
	[DER_ERR_SORT] = "SET OF content is not a list of elements",
};

const char *
der_strerror(enum der_err err)
{
	if ((unsigned int)err >= DER_ERR_MAX || der_errstr[err] == NULL)
		return "unknown DER error";
	return der_errstr[err];
}

void
der_init(struct der_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->buf = NULL;
	w->limit = DER_MAX_LEN < SIZE_MAX ? (size_t)DER_MAX_LEN : SIZE_MAX;
}

/* Cap the output size, e.g. to the message size limit. */
void
der_set_limit(struct der_writer *w, size_t limit)
{
	w->limit = limit;
}

/* Free the buffer; its content may include key material, so wipe it. */
void
der_clear(struct der_writer *w)
{
	size_t		 limit = w->limit;

	if (w->buf != NULL) {
		explicit_bzero(w->buf, w->cap);
		free(w->buf);
	}
	der_init(w);
	w->limit = limit;
}

enum der_err
der_error(const struct der_writer *w)
{
	return w->err;
}

static int
der_fail(struct der_writer *w, enum der_err err)
{
	if (w->err == DER_OK)
		w->err = err;
	return -1;
}

/* Make room for n more octets. */
static int
der_reserve(struct der_writer *w, size_t n)
{
	uint8_t		*nb;
	size_t		 want, ncap;

	if (w->err != DER_OK)
		return -1;
	if (n > w->limit || w->len > w->limit - n)
		return der_fail(w, DER_ERR_TOO_BIG);
	want = w->len + n;
	if (want <= w->cap && w->buf != NULL)
		return 0;
	ncap = w->cap < 256 ? 256 : w->cap;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2) {
			ncap = want;
			break;
		}
		ncap *= 2;
	}
	/* Not realloc: the old copy is wiped before it is freed. */
	if ((nb = malloc(ncap)) == NULL)
		return der_fail(w, DER_ERR_NOMEM);
	if (w->buf != NULL) {
		memcpy(nb, w->buf, w->len);
		explicit_bzero(w->buf, w->cap);
		free(w->buf);
	}
	w->buf = nb;
	w->cap = ncap;
	return 0;
}

static int
der_put(struct der_writer *w, const void *p, size_t n)
{
	if (der_reserve(w, n) == -1)
		return -1;
	if (n > 0)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

/* Octets needed by the definite length len. */
size_t
der_len_size(size_t len)
{
	size_t		 n = 1;

	if (len < 0x80)
		return 1;
	while (len > 0) {
		n++;
		len >>= 8;
	}
	return n;
}

static void
der_len_write(uint8_t *dst, size_t len, size_t size)
{
	size_t		 i;

	if (size == 1) {
		dst[0] = (uint8_t)len;
		return;
	}
	dst[0] = 0x80 | (uint8_t)(size - 1);
	for (i = size - 1; i > 0; i--) {
		dst[i] = len & 0xff;
		len >>= 8;
	}
}

static int
der_header(struct der_writer *w, uint8_t tag, size_t len)
{
	uint8_t		 h[1 + 1 + sizeof(size_t)];
	size_t		 ls;

	if (w->err != DER_OK)
		return -1;
	if ((tag & 0x1f) == 0x1f)
		return der_fail(w, DER_ERR_ARG);
	if (len > DER_MAX_LEN)
		return der_fail(w, DER_ERR_TOO_BIG);
	ls = der_len_size(len);
	h[0] = tag;
	der_len_write(h + 1, len, ls);
	return der_put(w, h, 1 + ls);
}

static int
der_open(struct der_writer *w, uint8_t tag, int sorted)
{
	uint8_t		 h[2];

	if (w->err != DER_OK)
		return -1;
	if ((tag & 0x1f) == 0x1f)
		return der_fail(w, DER_ERR_ARG);
	if (w->depth >= DER_MAX_DEPTH)
		return der_fail(w, DER_ERR_DEPTH);
	w->open[w->depth].start = w->len;
	w->open[w->depth].sorted = sorted;
	h[0] = tag;
	h[1] = 0;
	if (der_put(w, h, sizeof(h)) == -1)
		return -1;
	w->depth++;
	return 0;
}

/*
 * Open a constructed element (SEQUENCE, SET, [n] EXPLICIT, [n]
 * IMPLICIT SEQUENCE).  A primitive tag works too, to write a long
 * OCTET STRING in pieces with der_raw().
 */
int
der_begin(struct der_writer *w, uint8_t tag)
{
	return der_open(w, tag, 0);
}

/* Open a SET OF whose elements der_end() puts in DER order. */
int
der_begin_sorted(struct der_writer *w, uint8_t tag)
{
	return der_open(w, tag, 1);
}

int
der_end(struct der_writer *w)
{
	struct der_open	*o;
	size_t		 clen, ls, cstart;
	enum der_err	 err;

	if (w->err != DER_OK)
		return -1;
	if (w->depth == 0)
		return der_fail(w, DER_ERR_STATE);
	o = &w->open[--w->depth];
	cstart = o->start + 2;
	clen = w->len - cstart;
	if (clen > DER_MAX_LEN)
		return der_fail(w, DER_ERR_TOO_BIG);
	if (o->sorted &&
	    (err = der_sort_set(w->buf + cstart, clen)) != DER_OK)
		return der_fail(w, err);
	ls = der_len_size(clen);
	if (ls > 1) {
		if (der_reserve(w, ls - 1) == -1)
			return -1;
		memmove(w->buf + cstart + ls - 1, w->buf + cstart, clen);
		w->len += ls - 1;
	}
	der_len_write(w->buf + o->start + 1, clen, ls);
	return 0;
}

/*
 * Hand the encoding over to the caller, who frees it.  The writer is
 * left empty and may be reused.
 */
int
der_finish(struct der_writer *w, uint8_t **out, size_t *outlen)
{
	size_t		 limit = w->limit;

	if (w->err != DER_OK)
		return -1;
	if (w->depth != 0)
		return der_fail(w, DER_ERR_STATE);
	if (der_reserve(w, 0) == -1)
		return -1;
	*out = w->buf;
	*outlen = w->len;
	der_init(w);
	w->limit = limit;
	return 0;
}

/* Primitive element with any tag: [n] IMPLICIT OCTET STRING etc. */
int
der_prim(struct der_writer *w, uint8_t tag, const uint8_t *p, size_t n)
{
	if (p == NULL && n != 0)
		return der_fail(w, DER_ERR_ARG);
	if (der_header(w, tag, n) == -1)
		return -1;
	return der_put(w, p, n);
}

/* Octets already encoded, e.g. a certificate or issuer Name. */
int
der_raw(struct der_writer *w, const uint8_t *p, size_t n)
{
	if (p == NULL && n != 0)
		return der_fail(w, DER_ERR_ARG);
	return der_put(w, p, n);
}

int
der_null(struct der_writer *w)
{
	return der_prim(w, DER_NULL, NULL, 0);
}

int
der_bool(struct der_writer *w, int v)
{
	uint8_t		 b = v ? 0xff : 0x00;

	return der_prim(w, DER_BOOLEAN, &b, 1);
}

/*
 * INTEGER from an unsigned big-endian magnitude (serial numbers, key
 * sizes): leading zeros dropped, a 00 added when the top bit is set so
 * the value stays positive.
 */
int
der_int_raw(struct der_writer *w, const uint8_t *p, size_t n)
{
	static const uint8_t zero = 0;

	if (p == NULL && n != 0)
		return der_fail(w, DER_ERR_ARG);
	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	if (n == 0)
		return der_prim(w, DER_INTEGER, &zero, 1);
	if ((p[0] & 0x80) == 0)
		return der_prim(w, DER_INTEGER, p, n);
	if (n == SIZE_MAX)
		return der_fail(w, DER_ERR_TOO_BIG);
	if (der_header(w, DER_INTEGER, n + 1) == -1 ||
	    der_put(w, &zero, 1) == -1)
		return -1;
	return der_put(w, p, n);
}

/* INTEGER from two's complement octets, made minimal. */
int
der_int_twos(struct der_writer *w, const uint8_t *p, size_t n)
{
	if (p == NULL || n == 0)
		return der_fail(w, DER_ERR_ARG);
	while (n > 1 && ((p[0] == 0x00 && (p[1] & 0x80) == 0) ||
	    (p[0] == 0xff && (p[1] & 0x80) != 0))) {
		p++;
		n--;
	}
	return der_prim(w, DER_INTEGER, p, n);
}

int
der_int(struct der_writer *w, long v)
{
	uint8_t		 b[sizeof(long)];
	unsigned long	 u = (unsigned long)v;
	size_t		 i;

	for (i = sizeof(b); i > 0; i--) {
		b[i - 1] = u & 0xff;
		u >>= 8;
	}
	return der_int_twos(w, b, sizeof(b));
}

/* OBJECT IDENTIFIER from its content octets (see oid.h). */
int
der_oid(struct der_writer *w, const uint8_t *p, size_t n)
{
	if (p == NULL || n == 0)
		return der_fail(w, DER_ERR_ARG);
	return der_prim(w, DER_OID, p, n);
}

int
der_octets(struct der_writer *w, const uint8_t *p, size_t n)
{
	return der_prim(w, DER_OCTET_STRING, p, n);
}

/* BIT STRING; DER wants the unused trailing bits zero, so clear them. */
int
der_bitstring(struct der_writer *w, const uint8_t *p, size_t n,
    unsigned int unused)
{
	uint8_t		 u = (uint8_t)unused;

	if (unused > 7 || (n == 0 && unused != 0) || (p == NULL && n != 0))
		return der_fail(w, DER_ERR_ARG);
	if (n == SIZE_MAX)
		return der_fail(w, DER_ERR_TOO_BIG);
	if (der_header(w, DER_BIT_STRING, n + 1) == -1 ||
	    der_put(w, &u, 1) == -1 || der_put(w, p, n) == -1)
		return -1;
	if (n > 0)
		w->buf[w->len - 1] &= (uint8_t)(0xff << unused);
	return 0;
}

static int
der_time_fmt(struct der_writer *w, time_t t, int utc)
{
	struct tm	 tm;
	char		 s[32];
	int		 n, year;

	if (w->err != DER_OK)
		return -1;
	if (gmtime_r(&t, &tm) == NULL)
		return der_fail(w, DER_ERR_ARG);
	year = tm.tm_year + 1900;
	if (utc) {
		if (year < 1950 || year > 2049)
			return der_fail(w, DER_ERR_ARG);
		n = snprintf(s, sizeof(s), "%02d%02d%02d%02d%02d%02dZ",
		    year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	} else {
		if (year < 0 || year > 9999)
			return der_fail(w, DER_ERR_ARG);
		n = snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02dZ",
		    year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	}
	if (n < 0 || (size_t)n >= sizeof(s))
		return der_fail(w, DER_ERR_ARG);
	return der_prim(w, utc ? DER_UTC_TIME : DER_GENERALIZED_TIME,
	    (const uint8_t *)s, (size_t)n);
}

int
der_utctime(struct der_writer *w, time_t t)
{
	return der_time_fmt(w, t, 1);
}

int
der_gentime(struct der_writer *w, time_t t)
{
	return der_time_fmt(w, t, 0);
}

/* RFC 5652 11.3 / RFC 5280: UTCTime 1950..2049, GeneralizedTime else. */
int
der_time(struct der_writer *w, time_t t)
{
	struct tm	 tm;
	int		 year;

	if (w->err != DER_OK)
		return -1;
	if (gmtime_r(&t, &tm) == NULL)
		return der_fail(w, DER_ERR_ARG);
	year = tm.tm_year + 1900;
	return der_time_fmt(w, t, year >= 1950 && year <= 2049);
}

struct der_span {
	const uint8_t	*p;
	size_t		 len;
};

/*
 * X.690 11.6: compare as octet strings, the shorter one padded with
 * zero octets at its end.
 */
static int
der_span_cmp(const void *a, const void *b)
{
	const struct der_span *x = a, *y = b;
	const struct der_span *lng;
	size_t		 n, i;
	int		 c;

	n = x->len < y->len ? x->len : y->len;
	if ((c = memcmp(x->p, y->p, n)) != 0)
		return c;
	lng = x->len > y->len ? x : y;
	for (i = n; i < lng->len; i++) {
		if (lng->p[i] != 0)
			return lng == x ? 1 : -1;
	}
	return 0;
}

/* Length of the DER element at p (at most len octets), 0 if malformed. */
static size_t
der_elem_len(const uint8_t *p, size_t len)
{
	size_t		 n, i, clen, hl;

	if (len < 2 || (p[0] & 0x1f) == 0x1f)
		return 0;
	if (p[1] < 0x80) {
		clen = p[1];
		hl = 2;
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 4 || len - 2 < n)
			return 0;
		clen = 0;
		for (i = 0; i < n; i++)
			clen = (clen << 8) | p[2 + i];
		hl = 2 + n;
	}
	if (clen > len - hl)
		return 0;
	return hl + clen;
}

/*
 * Sort, in place, the concatenated DER elements in buf as the content
 * of a SET OF.
 */
enum der_err
der_sort_set(uint8_t *buf, size_t len)
{
	struct der_span	*v;
	uint8_t		*tmp;
	size_t		 count = 0, off, el, i;

	for (off = 0; off < len; off += el) {
		if ((el = der_elem_len(buf + off, len - off)) == 0)
			return DER_ERR_SORT;
		count++;
	}
	if (count < 2)
		return DER_OK;
	if ((v = reallocarray(NULL, count, sizeof(*v))) == NULL)
		return DER_ERR_NOMEM;
	for (off = 0, i = 0; off < len; off += el, i++) {
		el = der_elem_len(buf + off, len - off);
		v[i].p = buf + off;
		v[i].len = el;
	}
	qsort(v, count, sizeof(*v), der_span_cmp);
	if ((tmp = malloc(len)) == NULL) {
		free(v);
		return DER_ERR_NOMEM;
	}
	for (off = 0, i = 0; i < count; i++) {
		memcpy(tmp + off, v[i].p, v[i].len);
		off += v[i].len;
	}
	memcpy(buf, tmp, len);
	explicit_bzero(tmp, len);
	free(tmp);
	free(v);
	return DER_OK;
}

/*
 * Identifier and length octets of an element whose content comes later
 * (streamed content with a length known in advance), written at p;
 * returns their count (at most 6).
 */
size_t
der_put_hdr(uint8_t *p, uint8_t tag, size_t len)
{
	size_t n = der_len_size(len), i;

	p[0] = tag;
	if (n == 1) {
		p[1] = (uint8_t)len;
		return 2;
	}
	p[1] = (uint8_t)(0x80 | (n - 1));
	for (i = 0; i < n - 1; i++)
		p[2 + i] = (uint8_t)(len >> (8 * (n - 2 - i)));
	return 1 + n;
}

/* The whole size of an element with len content octets. */
size_t
der_tlv_size(size_t len)
{
	return 1 + der_len_size(len) + len;
}
