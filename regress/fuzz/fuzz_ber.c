/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * libFuzzer target for the BER reader (and, as a by-product, the DER
 * writer).  Each input is walked to full depth without recursion; every
 * leaf is fed to the value helpers, every string-like element to the
 * segment walk.  The tree is re-encoded as DER while walking: when the
 * input is valid BER, the re-encoding must be valid DER with the same
 * number of elements, which checks the reader and writer against each
 * other.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ber.h"
#include "der.h"
#include "oid.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
fuzz_seg(void *arg, const uint8_t *p, size_t len)
{
	unsigned int	*sum = arg;

	if (len > 0)
		*sum += p[0] + p[len - 1];
	return *sum == 0xdeadbeef;	/* practically never stops */
}

static void
fuzz_leaf(const struct ber_elem *e)
{
	const uint8_t	*p;
	size_t		 n;
	long		 v;
	int		 b;
	unsigned int	 unused;
	struct tm	 tm;
	time_t		 t;

	switch (e->tag) {
	case BER_BOOLEAN:
		(void)ber_get_bool(e, &b);
		break;
	case BER_INTEGER:
	case BER_ENUMERATED:
		(void)ber_get_int_raw(e, &p, &n);
		(void)ber_get_uint_raw(e, &p, &n);
		(void)ber_get_long(e, &v);
		break;
	case BER_NULL:
		(void)ber_check_null(e);
		break;
	case BER_OID:
		if (ber_get_oid(e, &p, &n) == BER_OK)
			(void)oid_name(oid_lookup(p, n));
		break;
	case BER_BIT_STRING:
		(void)ber_get_bitstring(e, &p, &n, &unused);
		break;
	case BER_UTC_TIME:
	case BER_GENERALIZED_TIME:
		(void)ber_get_time(e, &tm, &t);
		break;
	}
}

static void
fuzz_octets(const struct ber_elem *e)
{
	uint8_t		 buf[512];
	size_t		 len, got;
	unsigned int	 sum = 0;
	uint8_t		*all;

	if (e->tag != BER_OCTET_STRING &&
	    e->tag != (BER_OCTET_STRING | BER_CONSTRUCTED) &&
	    e->cls != BER_CLASS_CONTEXT)
		return;
	(void)ber_octets_foreach(e, fuzz_seg, &sum);
	(void)ber_octets_copy(e, buf, sizeof(buf), &got);
	if (ber_octets_len(e, &len) != BER_OK)
		return;
	/* The length walk and the copy must agree. */
	if ((all = malloc(len + 1)) == NULL)
		return;
	if (ber_octets_copy(e, all, len, &got) != BER_OK || got != len)
		abort();
	free(all);
}

/* Walk every element; mirror it into w.  Returns the element count. */
static size_t
fuzz_walk(const uint8_t *data, size_t size, int flags, struct der_writer *w)
{
	struct ber_reader r;
	struct ber_elem	 e;
	enum ber_err	 err;
	size_t		 count = 0;

	ber_reader_init(&r, data, size, flags);
	for (;;) {
		err = ber_next(&r, &e);
		if (err == BER_END) {
			if (ber_depth(&r) == 0)
				break;
			(void)ber_leave(&r);
			(void)der_end(w);
			continue;
		}
		if (err != BER_OK)
			break;
		count++;
		(void)ber_strerror(err);
		if (!e.constructed) {
			fuzz_leaf(&e);
			fuzz_octets(&e);
			(void)der_prim(w, e.tag, e.content, e.len);
			continue;
		}
		fuzz_octets(&e);
		if (ber_enter(&r) != BER_OK)
			break;
		(void)der_begin(w, e.tag);
	}
	(void)ber_strerror(ber_error(&r));
	return count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct der_writer w;
	struct ber_elem	 e;
	struct ber_reader r;
	uint8_t		*out;
	size_t		 outlen, n1, n2, off;
	enum ber_err	 valid;
	struct der_writer w2;

	valid = ber_validate(data, size, 0, &off);
	(void)ber_validate(data, size, BER_F_DER, &off);

	der_init(&w);
	n1 = fuzz_walk(data, size, 0, &w);
	if (der_finish(&w, &out, &outlen) == 0) {
		if (valid == BER_OK) {
			if (ber_validate(out, outlen, BER_F_DER, &off) !=
			    BER_OK)
				abort();
			der_init(&w2);
			n2 = fuzz_walk(out, outlen, BER_F_DER, &w2);
			der_clear(&w2);
			if (n1 != n2)
				abort();
		}
		free(out);
	}
	der_clear(&w);

	/* Cursor API paths that the walk does not take. */
	ber_reader_init(&r, data, size, 0);
	if (ber_peek(&r, &e) == BER_OK && e.constructed &&
	    ber_expect(&r, e.tag, &e) == BER_OK && ber_enter(&r) == BER_OK) {
		(void)ber_expect_octets(&r, &e);
		(void)ber_at_end(&r);
		(void)ber_leave(&r);
	}
	return 0;
}
