/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Unit tests for the BER reader (smime/ber.c).
 * Run from the top of the tree: real CMS files are read from
 * regress/unit/data/ (made with openssl cms, see the names).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ber.h"
#include "oid.h"
#include "unit.h"

#define DATA	"regress/unit/data/"
#define DEEP	10000

static uint8_t *
load(const char *path, size_t *len)
{
	FILE		*f;
	uint8_t		*buf;
	long		 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) == -1 || (buf = malloc(n)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Error of the first ber_next on a one-element buffer. */
static enum ber_err
first(const uint8_t *p, size_t n, int flags, struct ber_elem *e)
{
	struct ber_reader r;

	ber_reader_init(&r, p, n, flags);
	return ber_next(&r, e);
}

/* Error of entering the top element and reading its first child. */
static enum ber_err
child(const uint8_t *p, size_t n, int flags)
{
	struct ber_reader r;
	struct ber_elem	 e;
	enum ber_err	 err;

	ber_reader_init(&r, p, n, flags);
	if ((err = ber_next(&r, &e)) != BER_OK ||
	    (err = ber_enter(&r)) != BER_OK)
		return err;
	return ber_next(&r, &e);
}

/* Walk everything with the cursor API, as a CMS parser would. */
static enum ber_err
walk(const uint8_t *p, size_t n, size_t *count)
{
	struct ber_reader r;
	struct ber_elem	 e;
	enum ber_err	 err;
	size_t		 len;

	*count = 0;
	ber_reader_init(&r, p, n, 0);
	for (;;) {
		err = ber_next(&r, &e);
		if (err == BER_END) {
			if (ber_depth(&r) == 0)
				break;
			if ((err = ber_leave(&r)) != BER_OK)
				return err;
			continue;
		}
		if (err != BER_OK)
			return err;
		(*count)++;
		if (e.tag == (BER_OCTET_STRING | BER_CONSTRUCTED) &&
		    (err = ber_octets_len(&e, &len)) != BER_OK)
			return err;
		if (e.constructed && (err = ber_enter(&r)) != BER_OK)
			return err;
	}
	return *count == 0 ? BER_ERR_TRUNCATED : BER_OK;
}

static void
test_definite(void)
{
	static const uint8_t d[] = {
		0x30, 0x08, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa, 0x05, 0x00
	};
	struct ber_reader r;
	struct ber_elem	 e, i, o, nl;
	long		 v = 0;

	ber_reader_init(&r, d, sizeof(d), BER_F_DER);
	UNIT_OK("ber_definite_seq", ber_expect(&r, BER_SEQUENCE, &e) ==
	    BER_OK && e.len == 8 && e.hdrlen == 2 && e.rawlen == 10 &&
	    !e.indefinite && e.raw == d && e.constructed);
	UNIT_OK("ber_definite_enter", ber_enter(&r) == BER_OK &&
	    ber_depth(&r) == 1);
	UNIT_OK("ber_definite_int", ber_expect(&r, BER_INTEGER, &i) ==
	    BER_OK && ber_get_long(&i, &v) == BER_OK && v == 5);
	UNIT_OK("ber_definite_octets", ber_expect_octets(&r, &o) == BER_OK &&
	    o.len == 1 && o.content[0] == 0xaa && o.offset == 5);
	UNIT_OK("ber_definite_null", ber_next(&r, &nl) == BER_OK &&
	    ber_check_null(&nl) == BER_OK);
	UNIT_OK("ber_definite_end", ber_at_end(&r) &&
	    ber_next(&r, &e) == BER_END);
	UNIT_OK("ber_definite_leave", ber_leave(&r) == BER_OK &&
	    ber_next(&r, &e) == BER_END && ber_error(&r) == BER_OK);
	UNIT_OK("ber_definite_validate",
	    ber_validate(d, sizeof(d), BER_F_DER, NULL) == BER_OK);
}

static void
test_indefinite(void)
{
	static const uint8_t d[] = {
		0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00
	};
	static const uint8_t nested[] = {
		0x30, 0x80,
		    0x30, 0x80, 0x04, 0x01, 0xaa, 0x00, 0x00,
		    0xa0, 0x80, 0x30, 0x80, 0x00, 0x00, 0x00, 0x00,
		    0x02, 0x01, 0x01,
		0x00, 0x00
	};
	struct ber_reader r;
	struct ber_elem	 e;
	size_t		 off;

	ber_reader_init(&r, d, sizeof(d), 0);
	UNIT_OK("ber_indef_elem", ber_next(&r, &e) == BER_OK &&
	    e.indefinite && e.len == 3 && e.rawlen == 7 && e.hdrlen == 2);
	UNIT_OK("ber_indef_child", ber_enter(&r) == BER_OK &&
	    ber_next(&r, &e) == BER_OK && e.tag == BER_INTEGER &&
	    ber_next(&r, &e) == BER_END);
	UNIT_OK("ber_indef_leave", ber_leave(&r) == BER_OK &&
	    ber_next(&r, &e) == BER_END && ber_error(&r) == BER_OK);

	ber_reader_init(&r, nested, sizeof(nested), 0);
	UNIT_OK("ber_nested_indef_outer", ber_next(&r, &e) == BER_OK &&
	    e.rawlen == sizeof(nested) && e.len == sizeof(nested) - 4);
	UNIT_OK("ber_nested_indef_inner", ber_enter(&r) == BER_OK &&
	    ber_next(&r, &e) == BER_OK && e.indefinite && e.rawlen == 7 &&
	    ber_next(&r, &e) == BER_OK && e.tag == BER_CONTEXT_CONS(0) &&
	    e.rawlen == 8 && ber_next(&r, &e) == BER_OK &&
	    e.tag == BER_INTEGER && e.offset == 17);
	UNIT_OK("ber_nested_indef_validate",
	    ber_validate(nested, sizeof(nested), 0, NULL) == BER_OK);
	UNIT_OK("ber_indef_in_der",
	    ber_validate(nested, sizeof(nested), BER_F_DER, &off) ==
	    BER_ERR_INDEFINITE_DER && off == 1);
}

/*
 * Five indefinite levels around many chunks, as a streamed EnvelopedData:
 * the outermost is measured by a walk, the ones inside from what that
 * walk found; each level must still get its own exact length.
 */
static void
test_indefinite_levels(void)
{
	enum { LEVELS = 5, CHUNKS = 300, CHUNK = 200 };
	struct ber_reader r;
	struct ber_elem	 e;
	uint8_t		*d;
	size_t		 n = 0, i, inner = CHUNKS * (CHUNK + 3);
	int		 ok = 1, lvl;

	if ((d = malloc(4 * LEVELS + inner)) == NULL) {
		UNIT_FAIL("ber_indef_levels", "out of memory");
		return;
	}
	for (lvl = 0; lvl < LEVELS; lvl++) {
		d[n++] = lvl == LEVELS - 1 ? 0xa0 : 0x30;
		d[n++] = 0x80;
	}
	for (i = 0; i < CHUNKS; i++) {
		d[n++] = 0x04;
		d[n++] = 0x81;
		d[n++] = CHUNK;
		memset(d + n, (int)i, CHUNK);
		n += CHUNK;
	}
	memset(d + n, 0, 2 * LEVELS);
	n += 2 * LEVELS;
	ber_reader_init(&r, d, n, 0);
	for (lvl = 0; lvl < LEVELS && ok; lvl++) {
		ok = ber_next(&r, &e) == BER_OK && e.indefinite &&
		    e.offset == (size_t)lvl * 2 &&
		    e.rawlen == n - 4 * (size_t)lvl &&
		    e.len == e.rawlen - 4 && ber_enter(&r) == BER_OK;
	}
	UNIT_OK("ber_indef_levels_lengths", ok);
	for (i = 0; ok && i < CHUNKS; i++)
		ok = ber_next(&r, &e) == BER_OK && e.tag == BER_OCTET_STRING &&
		    e.len == CHUNK && e.raw[e.hdrlen] == (uint8_t)i;
	UNIT_OK("ber_indef_levels_chunks", ok && ber_next(&r, &e) == BER_END);
	UNIT_OK("ber_indef_levels_validate", ber_validate(d, n, 0, NULL) ==
	    BER_OK);
	/* a missing end-of-contents deep inside is still found */
	UNIT_OK("ber_indef_levels_truncated", ber_validate(d, n - 2, 0,
	    NULL) != BER_OK);
	free(d);
}

struct segs {
	int		 count;
	char		 text[64];
	size_t		 len;
};

static int
seg_cb(void *arg, const uint8_t *p, size_t len)
{
	struct segs	*s = arg;

	s->count++;
	if (len > sizeof(s->text) - s->len)
		return 1;
	memcpy(s->text + s->len, p, len);
	s->len += len;
	return 0;
}

static int
seg_stop(void *arg, const uint8_t *p, size_t len)
{
	(void)arg;
	(void)p;
	(void)len;
	return 1;
}

static void
test_octets(void)
{
	/* "ab" + ("c" + ("d" + "e") + "") + "" over three layers. */
	static const uint8_t d[] = {
		0x24, 0x80,
		    0x04, 0x02, 'a', 'b',
		    0x24, 0x80,
			0x04, 0x01, 'c',
			0x24, 0x06, 0x04, 0x01, 'd', 0x04, 0x01, 'e',
			0x04, 0x00,
		    0x00, 0x00,
		    0x04, 0x00,
		0x00, 0x00
	};
	static const uint8_t prim[] = { 0x04, 0x03, 'x', 'y', 'z' };
	static const uint8_t implicit[] = {
		0xa0, 0x08, 0x04, 0x02, 'h', 'i', 0x04, 0x02, '!', '!'
	};
	static const uint8_t badseg[] = {
		0x24, 0x80, 0x04, 0x01, 'a', 0x02, 0x01, 0x00, 0x00, 0x00
	};
	struct ber_elem	 e;
	struct segs	 s;
	uint8_t		 buf[16];
	size_t		 len = 0, got = 0;

	memset(&s, 0, sizeof(s));
	UNIT_OK("ber_octets_chunks_read", first(d, sizeof(d), 0, &e) ==
	    BER_OK && e.rawlen == sizeof(d));
	UNIT_OK("ber_octets_chunks_len", ber_octets_len(&e, &len) ==
	    BER_OK && len == 5);
	UNIT_OK("ber_octets_chunks_copy", ber_octets_copy(&e, buf,
	    sizeof(buf), &got) == BER_OK && got == 5 &&
	    memcmp(buf, "abcde", 5) == 0);
	UNIT_OK("ber_octets_chunks_foreach", ber_octets_foreach(&e, seg_cb,
	    &s) == BER_OK && s.count == 4 && s.len == 5 &&
	    memcmp(s.text, "abcde", 5) == 0);
	UNIT_OK("ber_octets_small_buffer", ber_octets_copy(&e, buf, 4,
	    &got) == BER_ERR_BUFFER_SMALL);
	UNIT_OK("ber_octets_callback_stop", ber_octets_foreach(&e, seg_stop,
	    NULL) == BER_ERR_CALLBACK);
	UNIT_OK("ber_octets_validate", ber_validate(d, sizeof(d), 0, NULL) ==
	    BER_OK);

	UNIT_OK("ber_octets_primitive", first(prim, sizeof(prim), 0, &e) ==
	    BER_OK && ber_octets_copy(&e, buf, sizeof(buf), &got) ==
	    BER_OK && got == 3 && memcmp(buf, "xyz", 3) == 0);
	UNIT_OK("ber_octets_implicit_tag", first(implicit, sizeof(implicit),
	    0, &e) == BER_OK && ber_octets_copy(&e, buf, sizeof(buf),
	    &got) == BER_OK && got == 4 && memcmp(buf, "hi!!", 4) == 0);
	UNIT_OK("ber_octets_bad_segment", first(badseg, sizeof(badseg), 0,
	    &e) == BER_OK && ber_octets_len(&e, &len) ==
	    BER_ERR_BAD_SEGMENT);
	UNIT_OK("ber_validate_bad_segment", ber_validate(badseg,
	    sizeof(badseg), 0, NULL) == BER_ERR_BAD_SEGMENT);
}

static void
test_lengths(void)
{
	static const uint8_t past[] = {
		0x30, 0x03, 0x04, 0x05, 0xaa, 0xbb, 0xcc, 0xdd, 0xee
	};
	static const uint8_t trunc[] = { 0x04, 0x05, 0xaa };
	static const uint8_t hdrtrunc[] = { 0x04, 0x82, 0x01 };
	static const uint8_t noeoc[] = {
		0x30, 0x05, 0x30, 0x80, 0x02, 0x01, 0x00, 0x00, 0x00
	};
	static const uint8_t noeoc_top[] = { 0x30, 0x80, 0x02, 0x01, 0x00 };
	static const uint8_t absurd[] = { 0x04, 0x84, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t absurd_in[] = {
		0x30, 0x06, 0x04, 0x84, 0xff, 0xff, 0xff, 0xff
	};
	static const uint8_t o5[] = { 0x04, 0x85, 0, 0, 0, 0, 1, 0xaa };
	static const uint8_t o9[] = {
		0x04, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xaa
	};
	static const uint8_t reserved[] = { 0x04, 0xff, 0x00 };
	static const uint8_t nonmin1[] = { 0x04, 0x81, 0x01, 0xaa };
	static const uint8_t nonmin2[] = { 0x04, 0x82, 0x00, 0x01, 0xaa };
	static const uint8_t indprim[] = { 0x04, 0x80, 0xaa, 0x00, 0x00 };
	static const uint8_t eoc_def[] = { 0x30, 0x02, 0x00, 0x00 };
	static const uint8_t eoc_top[] = { 0x00, 0x00 };
	static const uint8_t badeoc[] = {
		0x30, 0x80, 0x00, 0x01, 0xaa, 0x00, 0x00
	};
	static const uint8_t trailing[] = { 0x05, 0x00, 0x05, 0x00 };
	struct ber_elem	 e;
	size_t		 off = 99;

	UNIT_OK("ber_len_past_parent", child(past, sizeof(past), 0) ==
	    BER_ERR_PAST_PARENT);
	UNIT_OK("ber_len_truncated", first(trunc, sizeof(trunc), 0, &e) ==
	    BER_ERR_TRUNCATED);
	UNIT_OK("ber_len_header_truncated", first(hdrtrunc,
	    sizeof(hdrtrunc), 0, &e) == BER_ERR_TRUNCATED);
	UNIT_OK("ber_len_missing_eoc", child(noeoc, sizeof(noeoc), 0) ==
	    BER_ERR_MISSING_EOC);
	UNIT_OK("ber_len_missing_eoc_top", first(noeoc_top,
	    sizeof(noeoc_top), 0, &e) == BER_ERR_TRUNCATED);
	UNIT_OK("ber_len_absurd_top", first(absurd, sizeof(absurd), 0, &e) ==
	    BER_ERR_TRUNCATED);
	UNIT_OK("ber_len_absurd_in_parent", child(absurd_in,
	    sizeof(absurd_in), 0) == BER_ERR_PAST_PARENT);
	UNIT_OK("ber_len_5_octets", first(o5, sizeof(o5), 0, &e) ==
	    BER_ERR_LENGTH_OCTETS);
	UNIT_OK("ber_len_9_octets", first(o9, sizeof(o9), 0, &e) ==
	    BER_ERR_LENGTH_OCTETS);
	UNIT_OK("ber_len_reserved_ff", first(reserved, sizeof(reserved), 0,
	    &e) == BER_ERR_BAD_LENGTH);
	UNIT_OK("ber_len_nonminimal_ber_ok", first(nonmin1, sizeof(nonmin1),
	    0, &e) == BER_OK && e.len == 1 && e.hdrlen == 3 &&
	    first(nonmin2, sizeof(nonmin2), 0, &e) == BER_OK && e.len == 1);
	UNIT_OK("ber_len_nonminimal_der", first(nonmin1, sizeof(nonmin1),
	    BER_F_DER, &e) == BER_ERR_NONMINIMAL_LENGTH &&
	    first(nonmin2, sizeof(nonmin2), BER_F_DER, &e) ==
	    BER_ERR_NONMINIMAL_LENGTH);
	UNIT_OK("ber_len_indef_primitive", first(indprim, sizeof(indprim),
	    0, &e) == BER_ERR_INDEFINITE_PRIMITIVE);
	UNIT_OK("ber_eoc_in_definite", child(eoc_def, sizeof(eoc_def), 0) ==
	    BER_ERR_UNEXPECTED_EOC);
	UNIT_OK("ber_eoc_at_top", first(eoc_top, sizeof(eoc_top), 0, &e) ==
	    BER_ERR_UNEXPECTED_EOC);
	UNIT_OK("ber_eoc_with_length", first(badeoc, sizeof(badeoc), 0,
	    &e) == BER_ERR_BAD_EOC);
	UNIT_OK("ber_validate_trailing", ber_validate(trailing,
	    sizeof(trailing), 0, &off) == BER_ERR_TRAILING && off == 2);
	UNIT_OK("ber_validate_empty", ber_validate(trailing, 0, 0, NULL) ==
	    BER_ERR_TRUNCATED);
	UNIT_OK("ber_empty_next", first(NULL, 0, 0, &e) == BER_END);
}

static void
test_tags(void)
{
	static const uint8_t high1[] = { 0x1f, 0x81, 0x00, 0x00 };
	static const uint8_t high2[] = { 0xbf, 0x1f, 0x00 };
	static const uint8_t high_in[] = { 0x30, 0x03, 0x3f, 0x20, 0x00 };
	static const uint8_t seq[] = { 0x30, 0x00, 0x05, 0x00 };
	struct ber_reader r;
	struct ber_elem	 e;

	UNIT_OK("ber_high_tag", first(high1, sizeof(high1), 0, &e) ==
	    BER_ERR_HIGH_TAG);
	UNIT_OK("ber_high_tag_context", first(high2, sizeof(high2), 0,
	    &e) == BER_ERR_HIGH_TAG);
	UNIT_OK("ber_high_tag_nested", child(high_in, sizeof(high_in), 0) ==
	    BER_ERR_HIGH_TAG);

	ber_reader_init(&r, seq, sizeof(seq), 0);
	UNIT_OK("ber_enter_without_next", ber_enter(&r) == BER_ERR_STATE);
	ber_reader_init(&r, seq, sizeof(seq), 0);
	UNIT_OK("ber_leave_at_top", ber_leave(&r) == BER_ERR_STATE);
	ber_reader_init(&r, seq, sizeof(seq), 0);
	UNIT_OK("ber_peek", ber_peek(&r, &e) == BER_OK &&
	    e.tag == BER_SEQUENCE && ber_peek(&r, &e) == BER_OK &&
	    e.offset == 0 && ber_enter(&r) == BER_ERR_STATE);
	ber_reader_init(&r, seq, sizeof(seq), 0);
	UNIT_OK("ber_skip", ber_skip(&r) == BER_OK &&
	    ber_next(&r, &e) == BER_OK && e.tag == BER_NULL &&
	    ber_enter(&r) == BER_ERR_NOT_CONSTRUCTED);
	ber_reader_init(&r, seq, sizeof(seq), 0);
	UNIT_OK("ber_expect_wrong_tag", ber_expect(&r, BER_SET, &e) ==
	    BER_ERR_UNEXPECTED_TAG && ber_next(&r, &e) ==
	    BER_ERR_UNEXPECTED_TAG && r.err_offset == 0);
	ber_reader_init(&r, seq, 2, 0);
	UNIT_OK("ber_expect_at_end", ber_skip(&r) == BER_OK &&
	    ber_expect(&r, BER_NULL, &e) == BER_ERR_UNEXPECTED_TAG);
}

/* 10 000 nested SEQUENCEs with definite lengths, built inside out. */
static uint8_t *
deep_definite(size_t *outlen)
{
	size_t		 cap = DEEP * 6 + 2, start, len, i, n;
	uint8_t		*b;

	if ((b = malloc(cap)) == NULL)
		return NULL;
	start = cap - 2;
	b[start] = 0x05;
	b[start + 1] = 0x00;
	for (i = 0; i < DEEP; i++) {
		len = cap - start;
		n = len < 0x80 ? 0 : len < 0x100 ? 1 : len < 0x10000 ? 2 : 3;
		start -= 2 + n;
		b[start] = 0x30;
		if (n == 0)
			b[start + 1] = (uint8_t)len;
		else {
			b[start + 1] = 0x80 | (uint8_t)n;
			for (; n > 0; n--) {
				b[start + 1 + n] = len & 0xff;
				len >>= 8;
			}
		}
	}
	memmove(b, b + start, cap - start);
	*outlen = cap - start;
	return b;
}

static void
test_depth(void)
{
	struct ber_reader r;
	struct ber_elem	 e;
	uint8_t		*d, *ind, *oct;
	size_t		 len, n, i, off;
	enum ber_err	 err = BER_OK;

	if ((d = deep_definite(&len)) == NULL) {
		UNIT_FAIL("ber_deep_definite", "out of memory");
		return;
	}
	ber_reader_init(&r, d, len, 0);
	for (i = 0; i < DEEP; i++) {
		if ((err = ber_next(&r, &e)) != BER_OK ||
		    (err = ber_enter(&r)) != BER_OK)
			break;
	}
	UNIT_OK("ber_deep_definite", err == BER_ERR_DEPTH &&
	    i == BER_MAX_DEPTH && ber_error(&r) == BER_ERR_DEPTH);
	UNIT_OK("ber_deep_definite_validate", ber_validate(d, len, 0, &off) ==
	    BER_ERR_DEPTH);
	UNIT_OK("ber_deep_definite_walk", walk(d, len, &n) == BER_ERR_DEPTH);
	free(d);

	n = DEEP * 4;
	if ((ind = malloc(n)) == NULL || (oct = malloc(n)) == NULL) {
		free(ind);
		UNIT_FAIL("ber_deep_indefinite", "out of memory");
		return;
	}
	for (i = 0; i < DEEP; i++) {
		ind[2 * i] = 0x30;
		ind[2 * i + 1] = 0x80;
		oct[2 * i] = 0x24;
		oct[2 * i + 1] = 0x80;
	}
	memset(ind + 2 * DEEP, 0, 2 * DEEP);
	memset(oct + 2 * DEEP, 0, 2 * DEEP);
	UNIT_OK("ber_deep_indefinite", first(ind, n, 0, &e) ==
	    BER_ERR_DEPTH);
	UNIT_OK("ber_deep_indefinite_validate", ber_validate(ind, n, 0,
	    &off) == BER_ERR_DEPTH && off == 2 * BER_MAX_DEPTH);
	/* Within the limit the same shape is fine. */
	UNIT_OK("ber_indefinite_at_limit", ber_validate(ind + 2 * DEEP -
	    2 * BER_MAX_DEPTH, 4 * BER_MAX_DEPTH, 0, NULL) == BER_OK);
	UNIT_OK("ber_indefinite_over_limit", ber_validate(ind + 2 * DEEP -
	    2 * (BER_MAX_DEPTH + 1), 4 * (BER_MAX_DEPTH + 1), 0, NULL) ==
	    BER_ERR_DEPTH);
	UNIT_OK("ber_deep_octets", first(oct, n, 0, &e) == BER_ERR_DEPTH);
	free(ind);
	free(oct);
}

/* Every proper prefix of a real structure must fail, never crash. */
static void
test_prefixes(const char *name, const uint8_t *d, size_t len)
{
	char		 tname[128];
	size_t		 i, n, bad = 0, off;

	for (i = 0; i < len; i++) {
		if (ber_validate(d, i, 0, &off) == BER_OK ||
		    walk(d, i, &n) == BER_OK)
			bad++;
	}
	snprintf(tname, sizeof(tname), "ber_prefixes_%s", name);
	if (bad == 0)
		UNIT_PASS(tname);
	else
		UNIT_FAIL(tname, "%zu of %zu prefixes parsed", bad, len);
	snprintf(tname, sizeof(tname), "ber_full_%s", name);
	UNIT_OK(tname, ber_validate(d, len, 0, NULL) == BER_OK &&
	    walk(d, len, &n) == BER_OK && n > 20);
}

struct signed_view {
	long		 version;
	enum oid_id	 digest;
	enum oid_id	 econtent_type;
	int		 has_econtent;
	uint8_t		 econtent[128];
	size_t		 econtent_len;
	size_t		 ncerts;
	const uint8_t	*cert;
	size_t		 certlen;
	long		 si_version;
	const uint8_t	*signed_attrs;
	size_t		 signed_attrs_len;
	int		 has_ct, md_len;
	time_t		 signing_time;
};

/* Attributes: contentType, messageDigest, signingTime. */
static enum ber_err
parse_attrs(struct ber_reader *r, struct signed_view *v)
{
	struct ber_elem	 e;
	const uint8_t	*oid;
	size_t		 oidlen;
	enum oid_id	 id;
	enum ber_err	 err;

	while ((err = ber_next(r, &e)) == BER_OK) {
		if (e.tag != BER_SEQUENCE || ber_enter(r) != BER_OK ||
		    ber_expect(r, BER_OID, &e) != BER_OK ||
		    ber_get_oid(&e, &oid, &oidlen) != BER_OK ||
		    ber_expect(r, BER_SET, &e) != BER_OK ||
		    ber_enter(r) != BER_OK || ber_next(r, &e) != BER_OK)
			return BER_ERR_UNEXPECTED_TAG;
		id = oid_lookup(oid, oidlen);
		if (id == OID_CONTENT_TYPE)
			v->has_ct = e.tag == BER_OID &&
			    ber_get_oid(&e, &oid, &oidlen) == BER_OK &&
			    oid_is(OID_DATA, oid, oidlen);
		else if (id == OID_MESSAGE_DIGEST)
			v->md_len = e.tag == BER_OCTET_STRING ? (int)e.len : -1;
		else if (id == OID_SIGNING_TIME &&
		    ber_get_time(&e, NULL, &v->signing_time) != BER_OK)
			return BER_ERR_BAD_TIME;
		if (ber_leave(r) != BER_OK || ber_leave(r) != BER_OK)
			return ber_error(r);
	}
	return err == BER_END ? BER_OK : err;
}

/* ContentInfo -> SignedData, down to the first SignerInfo. */
static enum ber_err
parse_signed(const uint8_t *d, size_t len, struct signed_view *v)
{
	struct ber_reader r;
	struct ber_elem	 e;
	const uint8_t	*oid;
	size_t		 oidlen;

	memset(v, 0, sizeof(*v));
	ber_reader_init(&r, d, len, 0);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &e) || ber_get_oid(&e, &oid, &oidlen) ||
	    !oid_is(OID_SIGNED_DATA, oid, oidlen) ||
	    ber_expect(&r, BER_CONTEXT_CONS(0), &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_INTEGER, &e) || ber_get_long(&e, &v->version) ||
	    ber_expect(&r, BER_SET, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &e) || ber_get_oid(&e, &oid, &oidlen))
		return BER_ERR_UNEXPECTED_TAG;
	v->digest = oid_lookup(oid, oidlen);
	if (ber_leave(&r) || ber_leave(&r) ||
	    ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &e) || ber_get_oid(&e, &oid, &oidlen))
		return BER_ERR_UNEXPECTED_TAG;
	v->econtent_type = oid_lookup(oid, oidlen);
	if (ber_next(&r, &e) == BER_OK) {
		v->has_econtent = 1;
		if (e.tag != BER_CONTEXT_CONS(0) || ber_enter(&r) ||
		    ber_expect_octets(&r, &e) ||
		    ber_octets_copy(&e, v->econtent, sizeof(v->econtent),
		    &v->econtent_len))
			return BER_ERR_UNEXPECTED_TAG;
		if (ber_leave(&r))
			return ber_error(&r);
	}
	if (ber_leave(&r) || ber_expect(&r, BER_CONTEXT_CONS(0), &e) ||
	    ber_enter(&r))
		return BER_ERR_UNEXPECTED_TAG;
	while (ber_next(&r, &e) == BER_OK) {
		if (v->ncerts++ == 0) {
			v->cert = e.raw;
			v->certlen = e.rawlen;
		}
	}
	if (ber_leave(&r) || ber_expect(&r, BER_SET, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_INTEGER, &e) ||
	    ber_get_long(&e, &v->si_version) ||
	    ber_expect(&r, BER_SEQUENCE, &e) ||		/* issuerAndSerial */
	    ber_expect(&r, BER_SEQUENCE, &e) ||		/* digestAlgorithm */
	    ber_expect(&r, BER_CONTEXT_CONS(0), &e))
		return BER_ERR_UNEXPECTED_TAG;
	v->signed_attrs = e.raw;
	v->signed_attrs_len = e.rawlen;
	if (ber_enter(&r))
		return ber_error(&r);
	return parse_attrs(&r, v);
}

static void
test_real_cms(void)
{
	static const char msg[] =
	    "Content-Type: text/plain\r\n\r\nhello world\r\n";
	struct signed_view v, w;
	uint8_t		*det, *str, *env;
	size_t		 dlen, slen, elen, clen = 0;
	struct ber_reader r;
	struct ber_elem	 e;
	const uint8_t	*oid;
	size_t		 oidlen;
	enum ber_err	 err;

	det = load(DATA "cms_signed_det.der", &dlen);
	str = load(DATA "cms_signed_stream.ber", &slen);
	env = load(DATA "cms_env_stream.ber", &elen);
	if (det == NULL || str == NULL || env == NULL) {
		UNIT_FAIL("ber_cms_load", "cannot read " DATA " (run from "
		    "the top of the tree)");
		free(det);
		free(str);
		free(env);
		return;
	}
	UNIT_OK("ber_cms_detached_der", ber_validate(det, dlen, BER_F_DER,
	    NULL) == BER_OK);
	err = parse_signed(det, dlen, &v);
	UNIT_OK("ber_cms_detached_parse", err == BER_OK);
	UNIT_OK("ber_cms_detached_fields", v.version == 1 &&
	    v.digest == OID_SHA256 && v.econtent_type == OID_DATA &&
	    !v.has_econtent && v.ncerts == 1 && v.si_version == 1);
	UNIT_OK("ber_cms_detached_cert_raw", v.cert != NULL &&
	    v.cert[0] == 0x30 && v.certlen > 300 && v.cert > det &&
	    v.cert + v.certlen < det + dlen);
	UNIT_OK("ber_cms_detached_attrs", v.signed_attrs != NULL &&
	    v.signed_attrs[0] == 0xa0 && v.has_ct && v.md_len == 32 &&
	    v.signing_time > 1700000000);

	UNIT_OK("ber_cms_stream_is_ber", ber_validate(str, slen, BER_F_DER,
	    NULL) == BER_ERR_INDEFINITE_DER);
	err = parse_signed(str, slen, &w);
	UNIT_OK("ber_cms_stream_parse", err == BER_OK);
	UNIT_OK("ber_cms_stream_fields", w.version == 1 &&
	    w.digest == OID_SHA256 && w.econtent_type == OID_DATA &&
	    w.has_econtent && w.ncerts == 1 && w.md_len == 32);
	UNIT_OK("ber_cms_stream_econtent", w.econtent_len == strlen(msg) &&
	    memcmp(w.econtent, msg, strlen(msg)) == 0);

	/* EnvelopedData: [0] IMPLICIT encryptedContent in three chunks. */
	ber_reader_init(&r, env, elen, 0);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &e) || ber_get_oid(&e, &oid, &oidlen) ||
	    !oid_is(OID_ENVELOPED_DATA, oid, oidlen) ||
	    ber_expect(&r, BER_CONTEXT_CONS(0), &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_INTEGER, &e) || ber_skip(&r) ||
	    ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_skip(&r) || ber_expect(&r, BER_SEQUENCE, &e) ||
	    ber_enter(&r) || ber_expect(&r, BER_OID, &e) ||
	    ber_get_oid(&e, &oid, &oidlen) ||
	    !oid_is(OID_AES256_CBC, oid, oidlen) ||
	    ber_expect(&r, BER_OCTET_STRING, &e) || e.len != 16 ||
	    ber_leave(&r) || ber_expect(&r, BER_CONTEXT_CONS(0), &e) ||
	    ber_octets_len(&e, &clen))
		UNIT_FAIL("ber_cms_enveloped_stream", "%s at %zu",
		    ber_strerror(ber_error(&r)), r.err_offset);
	else
		UNIT_OK("ber_cms_enveloped_stream", e.indefinite &&
		    clen == 4096 + 1968 + 16);

	test_prefixes("signed_der", det, dlen);
	test_prefixes("signed_ber", str, slen);
	test_prefixes("enveloped_ber", env, elen);
	free(det);
	free(str);
	free(env);
}

static void
test_values(void)
{
	static const uint8_t i_m1[] = { 0x02, 0x01, 0xff };
	static const uint8_t i_128[] = { 0x02, 0x02, 0x00, 0x80 };
	static const uint8_t i_nm[] = { 0x02, 0x02, 0x00, 0x7f };
	static const uint8_t i_nm2[] = { 0x02, 0x02, 0xff, 0x80 };
	static const uint8_t i_big[] = {
		0x02, 0x09, 0x01, 0, 0, 0, 0, 0, 0, 0, 0
	};
	static const uint8_t i_min[] = {
		0x02, 0x08, 0x80, 0, 0, 0, 0, 0, 0, 0
	};
	static const uint8_t i_neg[] = { 0x02, 0x01, 0x80 };
	static const uint8_t i_empty[] = { 0x02, 0x00 };
	static const uint8_t i_serial[] = { 0x02, 0x03, 0x00, 0x00, 0x91 };
	static const uint8_t oid_ok[] = {
		0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
		0x01
	};
	static const uint8_t oid_open[] = { 0x06, 0x02, 0x2a, 0x86 };
	static const uint8_t oid_pad[] = { 0x06, 0x03, 0x2a, 0x80, 0x01 };
	static const uint8_t oid_empty[] = { 0x06, 0x00 };
	static const uint8_t b_t[] = { 0x01, 0x01, 0xff };
	static const uint8_t b_f[] = { 0x01, 0x01, 0x00 };
	static const uint8_t b_bad[] = { 0x01, 0x02, 0x00, 0x00 };
	static const uint8_t n_bad[] = { 0x05, 0x01, 0x00 };
	static const uint8_t bs[] = { 0x03, 0x03, 0x04, 0xaa, 0xf0 };
	static const uint8_t bs_bad[] = { 0x03, 0x02, 0x08, 0x00 };
	static const uint8_t bs_empty_bad[] = { 0x03, 0x01, 0x01 };
	struct ber_elem	 e;
	const uint8_t	*p;
	size_t		 n;
	long		 v = 0;
	int		 b = -1;
	unsigned int	 unused = 9;

	first(i_m1, sizeof(i_m1), 0, &e);
	UNIT_OK("ber_int_minus1", ber_get_long(&e, &v) == BER_OK && v == -1);
	first(i_128, sizeof(i_128), 0, &e);
	UNIT_OK("ber_int_128", ber_get_long(&e, &v) == BER_OK && v == 128);
	first(i_nm, sizeof(i_nm), 0, &e);
	UNIT_OK("ber_int_nonminimal", ber_get_long(&e, &v) ==
	    BER_ERR_BAD_INTEGER);
	first(i_nm2, sizeof(i_nm2), 0, &e);
	UNIT_OK("ber_int_nonminimal_neg", ber_get_long(&e, &v) ==
	    BER_ERR_BAD_INTEGER);
	first(i_big, sizeof(i_big), 0, &e);
	UNIT_OK("ber_int_range", ber_get_long(&e, &v) == BER_ERR_INT_RANGE &&
	    ber_get_int_raw(&e, &p, &n) == BER_OK && n == 9);
	if (sizeof(long) == 8) {
		first(i_min, sizeof(i_min), 0, &e);
		UNIT_OK("ber_int_long_min", ber_get_long(&e, &v) == BER_OK &&
		    v == -9223372036854775807L - 1);
	}
	first(i_neg, sizeof(i_neg), 0, &e);
	UNIT_OK("ber_int_minus128", ber_get_long(&e, &v) == BER_OK &&
	    v == -128 && ber_get_uint_raw(&e, &p, &n) == BER_ERR_INT_RANGE);
	first(i_empty, sizeof(i_empty), 0, &e);
	UNIT_OK("ber_int_empty", ber_get_long(&e, &v) == BER_ERR_BAD_INTEGER &&
	    ber_get_int_raw(&e, &p, &n) == BER_ERR_BAD_INTEGER);
	first(i_serial, sizeof(i_serial), 0, &e);
	UNIT_OK("ber_uint_raw", ber_get_uint_raw(&e, &p, &n) == BER_OK &&
	    n == 1 && p[0] == 0x91 && ber_get_int_raw(&e, &p, &n) ==
	    BER_OK && n == 3);

	first(oid_ok, sizeof(oid_ok), 0, &e);
	UNIT_OK("ber_oid_sha256", ber_get_oid(&e, &p, &n) == BER_OK &&
	    oid_lookup(p, n) == OID_SHA256);
	first(oid_open, sizeof(oid_open), 0, &e);
	UNIT_OK("ber_oid_unterminated", ber_get_oid(&e, &p, &n) ==
	    BER_ERR_BAD_OID);
	first(oid_pad, sizeof(oid_pad), 0, &e);
	UNIT_OK("ber_oid_padded", ber_get_oid(&e, &p, &n) == BER_ERR_BAD_OID);
	first(oid_empty, sizeof(oid_empty), 0, &e);
	UNIT_OK("ber_oid_empty", ber_get_oid(&e, &p, &n) == BER_ERR_BAD_OID);

	first(b_t, sizeof(b_t), 0, &e);
	UNIT_OK("ber_bool_true", ber_get_bool(&e, &b) == BER_OK && b == 1);
	first(b_f, sizeof(b_f), 0, &e);
	UNIT_OK("ber_bool_false", ber_get_bool(&e, &b) == BER_OK && b == 0);
	first(b_bad, sizeof(b_bad), 0, &e);
	UNIT_OK("ber_bool_bad", ber_get_bool(&e, &b) == BER_ERR_BAD_BOOLEAN);
	first(n_bad, sizeof(n_bad), 0, &e);
	UNIT_OK("ber_null_bad", ber_check_null(&e) == BER_ERR_BAD_NULL);
	first(bs, sizeof(bs), 0, &e);
	UNIT_OK("ber_bitstring", ber_get_bitstring(&e, &p, &n, &unused) ==
	    BER_OK && n == 2 && unused == 4 && p[0] == 0xaa);
	first(bs_bad, sizeof(bs_bad), 0, &e);
	UNIT_OK("ber_bitstring_unused_8", ber_get_bitstring(&e, &p, &n,
	    &unused) == BER_ERR_BAD_BIT_STRING);
	first(bs_empty_bad, sizeof(bs_empty_bad), 0, &e);
	UNIT_OK("ber_bitstring_empty_unused", ber_get_bitstring(&e, &p, &n,
	    &unused) == BER_ERR_BAD_BIT_STRING);
}

/* Parse a time string given as tag + text. */
static enum ber_err
time_of(uint8_t tag, const char *s, time_t *t, struct tm *tm)
{
	uint8_t		 buf[64];
	struct ber_elem	 e;
	size_t		 n = strlen(s);

	buf[0] = tag;
	buf[1] = (uint8_t)n;
	memcpy(buf + 2, s, n);
	if (first(buf, n + 2, 0, &e) != BER_OK)
		return BER_ERR_STATE;
	return ber_get_time(&e, tm, t);
}

static void
test_times(void)
{
	struct tm	 tm;
	time_t		 t = 0;

	UNIT_OK("ber_utctime", time_of(BER_UTC_TIME, "260102030405Z", &t,
	    &tm) == BER_OK && t == 1767323045 && tm.tm_year == 126 &&
	    tm.tm_mon == 0 && tm.tm_mday == 2 && tm.tm_hour == 3 &&
	    tm.tm_min == 4 && tm.tm_sec == 5);
	UNIT_OK("ber_utctime_2049", time_of(BER_UTC_TIME, "491231235959Z",
	    &t, NULL) == BER_OK && t == 2524607999);
	UNIT_OK("ber_utctime_1950", time_of(BER_UTC_TIME, "500101000000Z",
	    &t, NULL) == BER_OK && t == -631152000);
	UNIT_OK("ber_utctime_no_seconds", time_of(BER_UTC_TIME,
	    "2601020304Z", &t, NULL) == BER_OK && t == 1767323040);
	UNIT_OK("ber_utctime_offset", time_of(BER_UTC_TIME,
	    "260102030405+0100", &t, NULL) == BER_OK &&
	    t == 1767323045 - 3600);
	UNIT_OK("ber_gentime_2050", time_of(BER_GENERALIZED_TIME,
	    "20500101000000Z", &t, NULL) == BER_OK && t == 2524608000);
	UNIT_OK("ber_gentime_fraction", time_of(BER_GENERALIZED_TIME,
	    "20260102030405.123Z", &t, NULL) == BER_OK && t == 1767323045);
	UNIT_OK("ber_gentime_leap_day", time_of(BER_GENERALIZED_TIME,
	    "20240229120000Z", &t, NULL) == BER_OK && t == 1709208000);
	UNIT_OK("ber_gentime_not_leap", time_of(BER_GENERALIZED_TIME,
	    "20250229120000Z", &t, NULL) == BER_ERR_BAD_TIME);
	UNIT_OK("ber_time_bad_month", time_of(BER_UTC_TIME, "261302030405Z",
	    &t, NULL) == BER_ERR_BAD_TIME);
	UNIT_OK("ber_time_no_zone", time_of(BER_UTC_TIME, "260102030405",
	    &t, NULL) == BER_ERR_BAD_TIME);
	UNIT_OK("ber_time_garbage", time_of(BER_UTC_TIME, "26010203040xZ",
	    &t, NULL) == BER_ERR_BAD_TIME);
	UNIT_OK("ber_time_short", time_of(BER_GENERALIZED_TIME, "2026Z",
	    &t, NULL) == BER_ERR_BAD_TIME);
	UNIT_OK("ber_time_bad_fraction", time_of(BER_GENERALIZED_TIME,
	    "20260102030405.Z", &t, NULL) == BER_ERR_BAD_TIME);
	UNIT_OK("ber_time_wrong_tag", time_of(BER_PRINTABLE_STRING,
	    "260102030405Z", &t, NULL) == BER_ERR_BAD_TIME);
}

static void
test_strerror(void)
{
	int		 i, ok = 1;

	for (i = 0; i < BER_ERR_MAX; i++) {
		if (strcmp(ber_strerror(i), "unknown BER error") == 0)
			ok = 0;
	}
	UNIT_OK("ber_strerror_all", ok);
	UNIT_OK("ber_strerror_unknown", strcmp(ber_strerror(BER_ERR_MAX),
	    "unknown BER error") == 0);
}

int
main(void)
{
	test_definite();
	test_indefinite();
	test_indefinite_levels();
	test_octets();
	test_lengths();
	test_tags();
	test_depth();
	test_values();
	test_times();
	test_real_cms();
	test_strerror();
	UNIT_EXIT();
}
