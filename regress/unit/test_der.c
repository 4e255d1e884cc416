/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Unit tests for the DER writer (smime/der.c) and the OID table
 * (smime/oid.c).  Encodings are checked byte for byte and read back
 * with the BER reader in DER mode.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ber.h"
#include "der.h"
#include "oid.h"
#include "unit.h"

#define DATA	"regress/unit/data/"

/* Finish w and compare with the expected bytes. */
static int
same(struct der_writer *w, const uint8_t *want, size_t wantlen)
{
	uint8_t		*out;
	size_t		 len;
	int		 ok;

	if (der_finish(w, &out, &len) == -1)
		return 0;
	ok = len == wantlen && memcmp(out, want, len) == 0;
	if (!ok) {
		size_t	 i;

		printf("# got:");
		for (i = 0; i < len && i < 64; i++)
			printf(" %02x", out[i]);
		printf("\n");
	}
	free(out);
	return ok;
}

static void
test_int(void)
{
	static const struct {
		long		 v;
		size_t		 len;
		uint8_t		 enc[12];
	} tv[] = {
		{ 0, 3, { 0x02, 0x01, 0x00 } },
		{ 1, 3, { 0x02, 0x01, 0x01 } },
		{ 127, 3, { 0x02, 0x01, 0x7f } },
		{ 128, 4, { 0x02, 0x02, 0x00, 0x80 } },
		{ 255, 4, { 0x02, 0x02, 0x00, 0xff } },
		{ 256, 4, { 0x02, 0x02, 0x01, 0x00 } },
		{ -1, 3, { 0x02, 0x01, 0xff } },
		{ -128, 3, { 0x02, 0x01, 0x80 } },
		{ -129, 4, { 0x02, 0x02, 0xff, 0x7f } },
		{ 65535, 5, { 0x02, 0x03, 0x00, 0xff, 0xff } },
	};
	static const struct {
		const char	*name;
		size_t		 inlen;
		uint8_t		 in[4];
		size_t		 len;
		uint8_t		 enc[8];
	} raw[] = {
		{ "der_int_raw_empty", 0, { 0 }, 3, { 0x02, 0x01, 0x00 } },
		{ "der_int_raw_zeros", 2, { 0, 0 }, 3, { 0x02, 0x01, 0x00 } },
		{ "der_int_raw_127", 3, { 0, 0, 0x7f }, 3, { 0x02, 0x01, 0x7f } },
		{ "der_int_raw_128", 1, { 0x80 }, 4, { 0x02, 0x02, 0x00, 0x80 } },
		{ "der_int_raw_255", 1, { 0xff }, 4, { 0x02, 0x02, 0x00, 0xff } },
		{ "der_int_raw_256", 2, { 1, 0 }, 4, { 0x02, 0x02, 0x01, 0x00 } },
		{ "der_int_raw_top_bit", 2, { 0xff, 0xff }, 5,
		    { 0x02, 0x03, 0x00, 0xff, 0xff } },
		{ "der_int_raw_lead_zero_top_bit", 3, { 0, 0, 0x91 }, 4,
		    { 0x02, 0x02, 0x00, 0x91 } },
	};
	static const uint8_t t1[] = { 0x00, 0x00, 0x80 };
	static const uint8_t t2[] = { 0xff, 0xff, 0x80 };
	static const uint8_t t3[] = { 0xff, 0x7f };
	static const uint8_t e1[] = { 0x02, 0x02, 0x00, 0x80 };
	static const uint8_t e2[] = { 0x02, 0x01, 0x80 };
	static const uint8_t e3[] = { 0x02, 0x02, 0xff, 0x7f };
	struct der_writer w;
	struct ber_elem	 e;
	struct ber_reader r;
	uint8_t		*out;
	size_t		 i, len;
	long		 v = 0;
	char		 name[64];
	int		 ok;

	for (i = 0; i < sizeof(tv) / sizeof(tv[0]); i++) {
		der_init(&w);
		der_int(&w, tv[i].v);
		snprintf(name, sizeof(name), "der_int_%ld", tv[i].v);
		UNIT_OK(name, same(&w, tv[i].enc, tv[i].len));
	}
	for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		der_init(&w);
		der_int_raw(&w, raw[i].inlen ? raw[i].in : NULL, raw[i].inlen);
		UNIT_OK(raw[i].name, same(&w, raw[i].enc, raw[i].len));
	}
	der_init(&w);
	der_int_twos(&w, t1, sizeof(t1));
	UNIT_OK("der_int_twos_pos", same(&w, e1, sizeof(e1)));
	der_init(&w);
	der_int_twos(&w, t2, sizeof(t2));
	UNIT_OK("der_int_twos_neg", same(&w, e2, sizeof(e2)));
	der_init(&w);
	der_int_twos(&w, t3, sizeof(t3));
	UNIT_OK("der_int_twos_minimal", same(&w, e3, sizeof(e3)));

	/* LONG_MIN and LONG_MAX survive a round trip. */
	ok = 1;
	for (i = 0; i < 2; i++) {
		der_init(&w);
		der_int(&w, i == 0 ? LONG_MIN : LONG_MAX);
		if (der_finish(&w, &out, &len) == -1) {
			ok = 0;
			continue;
		}
		ber_reader_init(&r, out, len, BER_F_DER);
		if (ber_expect(&r, BER_INTEGER, &e) != BER_OK ||
		    ber_get_long(&e, &v) != BER_OK ||
		    v != (i == 0 ? LONG_MIN : LONG_MAX))
			ok = 0;
		free(out);
	}
	UNIT_OK("der_int_long_limits", ok);
}

static void
test_prims(void)
{
	static const uint8_t seq[] = {
		0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
		0x04, 0x02, 0x01, 0x05, 0x00
	};
	static const uint8_t bits_in[] = { 0xaa, 0xff };
	static const uint8_t bits[] = { 0x03, 0x03, 0x03, 0xaa, 0xf8 };
	static const uint8_t bools[] = { 0x01, 0x01, 0xff, 0x01, 0x01, 0x00 };
	static const uint8_t tagged[] = {
		0xa0, 0x05, 0x02, 0x03, 0x01, 0x00, 0x01,
		0x81, 0x02, 'h', 'i',
		0xa2, 0x00,
		0x04, 0x00
	};
	static const uint8_t raw[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };
	static const uint8_t rawout[] = {
		0x31, 0x05, 0x30, 0x03, 0x02, 0x01, 0x07
	};
	struct der_writer w;
	const uint8_t	*p;
	size_t		 n;

	der_init(&w);
	p = oid_bytes(OID_SHA256, &n);
	der_begin(&w, DER_SEQUENCE);
	der_oid(&w, p, n);
	der_null(&w);
	der_end(&w);
	UNIT_OK("der_algorithm_identifier", same(&w, seq, sizeof(seq)));

	der_init(&w);
	der_bitstring(&w, bits_in, sizeof(bits_in), 3);
	UNIT_OK("der_bitstring_unused_cleared", same(&w, bits, sizeof(bits)));

	der_init(&w);
	der_bool(&w, 7);
	der_bool(&w, 0);
	UNIT_OK("der_bool", same(&w, bools, sizeof(bools)));

	der_init(&w);
	der_begin(&w, DER_CONTEXT_CONS(0));	/* [0] EXPLICIT INTEGER */
	der_int(&w, 65537);
	der_end(&w);
	der_prim(&w, DER_CONTEXT(1), (const uint8_t *)"hi", 2);
	der_begin(&w, DER_CONTEXT_CONS(2));
	der_end(&w);
	der_octets(&w, NULL, 0);
	UNIT_OK("der_context_tags", same(&w, tagged, sizeof(tagged)));

	der_init(&w);
	der_begin(&w, DER_SET);
	der_raw(&w, raw, sizeof(raw));
	der_end(&w);
	UNIT_OK("der_raw", same(&w, rawout, sizeof(rawout)));
}

static void
test_times(void)
{
	static const uint8_t t0[] = {
		0x17, 0x0d, '7', '0', '0', '1', '0', '1', '0', '0', '0', '0',
		'0', '0', 'Z'
	};
	static const uint8_t t2049[] = {
		0x17, 0x0d, '4', '9', '1', '2', '3', '1', '2', '3', '5', '9',
		'5', '9', 'Z'
	};
	static const uint8_t t2050[] = {
		0x18, 0x0f, '2', '0', '5', '0', '0', '1', '0', '1', '0', '0',
		'0', '0', '0', '0', 'Z'
	};
	static const uint8_t t1949[] = {
		0x18, 0x0f, '1', '9', '4', '9', '1', '2', '3', '1', '2', '3',
		'5', '9', '5', '9', 'Z'
	};
	struct der_writer w;
	struct ber_reader r;
	struct ber_elem	 e;
	uint8_t		*out;
	size_t		 len;
	time_t		 t = 0;

	der_init(&w);
	der_time(&w, 0);
	UNIT_OK("der_time_epoch", same(&w, t0, sizeof(t0)));
	der_init(&w);
	der_time(&w, 2524607999);
	UNIT_OK("der_time_2049_utc", same(&w, t2049, sizeof(t2049)));
	der_init(&w);
	der_time(&w, 2524608000);
	UNIT_OK("der_time_2050_generalized", same(&w, t2050, sizeof(t2050)));
	der_init(&w);
	der_time(&w, -631152001);
	UNIT_OK("der_time_1949_generalized", same(&w, t1949, sizeof(t1949)));
	der_init(&w);
	UNIT_OK("der_utctime_refuses_2050", der_utctime(&w, 2524608000) ==
	    -1 && der_error(&w) == DER_ERR_ARG);
	der_clear(&w);

	der_init(&w);
	der_gentime(&w, 1767323045);
	if (der_finish(&w, &out, &len) == -1) {
		UNIT_FAIL("der_gentime_roundtrip", "%s",
		    der_strerror(der_error(&w)));
		return;
	}
	ber_reader_init(&r, out, len, BER_F_DER);
	UNIT_OK("der_gentime_roundtrip", ber_expect(&r,
	    BER_GENERALIZED_TIME, &e) == BER_OK &&
	    ber_get_time(&e, NULL, &t) == BER_OK && t == 1767323045);
	free(out);
}

/* Long lengths: header sizes and the move at der_end(). */
static void
test_lengths(void)
{
	static const size_t sizes[] = {
		0, 1, 127, 128, 255, 256, 65535, 65536, 70000
	};
	static const size_t hdr[] = { 2, 2, 2, 3, 3, 4, 4, 5, 5 };
	struct der_writer w;
	struct ber_reader r;
	struct ber_elem	 e, o;
	uint8_t		*in, *out;
	size_t		 i, j, len, got;
	char		 name[64];
	int		 ok;

	if ((in = malloc(70000)) == NULL) {
		UNIT_FAIL("der_lengths", "out of memory");
		return;
	}
	for (i = 0; i < 70000; i++)
		in[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		der_init(&w);
		der_begin(&w, DER_SEQUENCE);
		der_begin(&w, DER_CONTEXT_CONS(0));
		der_octets(&w, in, sizes[i]);
		der_end(&w);
		der_end(&w);
		ok = 0;
		if (der_finish(&w, &out, &len) == 0) {
			ber_reader_init(&r, out, len, BER_F_DER);
			ok = ber_expect(&r, BER_SEQUENCE, &e) == BER_OK &&
			    ber_enter(&r) == BER_OK &&
			    ber_expect(&r, BER_CONTEXT_CONS(0), &e) ==
			    BER_OK && ber_enter(&r) == BER_OK &&
			    ber_expect(&r, BER_OCTET_STRING, &o) == BER_OK &&
			    o.hdrlen == hdr[i] && o.len == sizes[i] &&
			    memcmp(o.content, in, sizes[i]) == 0 &&
			    e.rawlen == 1 + der_len_size(o.rawlen) +
			    o.rawlen && len == 1 + der_len_size(e.rawlen) +
			    e.rawlen &&
			    ber_validate(out, len, BER_F_DER, NULL) == BER_OK;
			free(out);
		}
		snprintf(name, sizeof(name), "der_length_%zu", sizes[i]);
		UNIT_OK(name, ok);
	}

	/* A long string written in pieces under a primitive tag. */
	der_init(&w);
	der_begin(&w, DER_OCTET_STRING);
	for (j = 0; j < 70000; j += 7000)
		der_raw(&w, in + j, 7000);
	der_end(&w);
	ok = 0;
	if (der_finish(&w, &out, &len) == 0) {
		ber_reader_init(&r, out, len, BER_F_DER);
		ok = ber_expect(&r, BER_OCTET_STRING, &o) == BER_OK &&
		    ber_octets_len(&o, &got) == BER_OK && got == 70000 &&
		    memcmp(o.content, in, 70000) == 0 && ber_at_end(&r);
		free(out);
	}
	UNIT_OK("der_octets_in_pieces", ok);
	UNIT_OK("der_len_size", der_len_size(0) == 1 &&
	    der_len_size(127) == 1 && der_len_size(128) == 2 &&
	    der_len_size(256) == 3 && der_len_size(0xffffff) == 4 &&
	    der_len_size(0x1000000) == 5);
	free(in);
}

/* Write the element list in the given order as a sorted SET OF. */
static int
sorted_set(const uint8_t *const *el, const size_t *ellen, size_t n,
    uint8_t tag, uint8_t **out, size_t *outlen)
{
	struct der_writer w;
	size_t		 i;

	der_init(&w);
	der_begin_sorted(&w, tag);
	for (i = 0; i < n; i++)
		der_raw(&w, el[i], ellen[i]);
	der_end(&w);
	if (der_finish(&w, out, outlen) == -1) {
		der_clear(&w);
		return -1;
	}
	return 0;
}

static void
test_set_of(void)
{
	static const uint8_t a[] = { 0x04, 0x02, 0xaa, 0xbb };
	static const uint8_t b[] = { 0x02, 0x01, 0x05 };
	static const uint8_t c[] = { 0x04, 0x01, 0xff };
	static const uint8_t d[] = { 0x01, 0x01, 0xff };
	static const uint8_t f[] = { 0x30, 0x00 };
	static const uint8_t g[] = { 0x04, 0x02, 0xaa, 0x00 };
	static const uint8_t want[] = {
		0x31, 0x13,
		0x01, 0x01, 0xff,
		0x02, 0x01, 0x05,
		0x04, 0x01, 0xff,
		0x04, 0x02, 0xaa, 0x00,
		0x04, 0x02, 0xaa, 0xbb,
		0x30, 0x00
	};
	const uint8_t	*el[6] = { a, b, c, d, f, g };
	size_t		 ellen[6] = {
		sizeof(a), sizeof(b), sizeof(c), sizeof(d), sizeof(f),
		sizeof(g)
	};
	const uint8_t	*el2[6];
	size_t		 ellen2[6], i;
	uint8_t		*out, *out2;
	size_t		 len, len2;
	struct der_writer w;
	uint8_t		 bad[] = { 0x04, 0x05, 0x00 };

	UNIT_OK("der_set_of_vector", sorted_set(el, ellen, 6, DER_SET, &out,
	    &len) == 0 && len == sizeof(want) &&
	    memcmp(out, want, len) == 0);
	free(out);
	for (i = 0; i < 6; i++) {
		el2[i] = el[5 - i];
		ellen2[i] = ellen[5 - i];
	}
	UNIT_OK("der_set_of_order_independent", sorted_set(el2, ellen2, 6,
	    DER_SET, &out2, &len2) == 0 && len2 == sizeof(want) &&
	    memcmp(out2, want, len2) == 0);
	free(out2);

	UNIT_OK("der_set_of_empty", sorted_set(el, ellen, 0, DER_SET, &out,
	    &len) == 0 && len == 2 && out[0] == 0x31 && out[1] == 0);
	free(out);

	der_init(&w);
	der_begin_sorted(&w, DER_SET);
	der_raw(&w, bad, sizeof(bad));
	UNIT_OK("der_set_of_malformed", der_end(&w) == -1 &&
	    der_error(&w) == DER_ERR_SORT);
	der_clear(&w);
}

/*
 * The signed attributes of an openssl-made SignedData are a DER SET
 * OF: write them back in reverse order and expect the same bytes.
 */
static void
test_set_of_real(void)
{
	FILE		*fp;
	uint8_t		 buf[4096], *out = NULL;
	size_t		 n, len, cnt = 0, i;
	const uint8_t	*el[16];
	size_t		 ellen[16];
	struct ber_reader r;
	struct ber_elem	 e, attrs;
	int		 found = 0;

	if ((fp = fopen(DATA "cms_signed_det.der", "rb")) == NULL) {
		UNIT_FAIL("der_set_of_signed_attrs", "cannot read data");
		return;
	}
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	/* Find the [0] whose first child is an attribute SEQUENCE. */
	ber_reader_init(&r, buf, n, 0);
	for (;;) {
		if (ber_next(&r, &e) == BER_END) {
			if (ber_depth(&r) == 0 || ber_leave(&r) != BER_OK)
				break;
			continue;
		}
		if (ber_error(&r) != BER_OK)
			break;
		if (e.tag == BER_CONTEXT_CONS(0) && ber_depth(&r) == 5) {
			attrs = e;
			found = 1;
			break;
		}
		if (e.constructed && ber_enter(&r) != BER_OK)
			break;
	}
	if (!found) {
		UNIT_FAIL("der_set_of_signed_attrs", "no signedAttrs found");
		return;
	}
	ber_reader_init(&r, attrs.content, attrs.len, BER_F_DER);
	while (cnt < 16 && ber_next(&r, &e) == BER_OK) {
		el[cnt] = e.raw;
		ellen[cnt++] = e.rawlen;
	}
	for (i = 0; i < cnt / 2; i++) {
		const uint8_t	*tp = el[i];
		size_t		 tl = ellen[i];

		el[i] = el[cnt - 1 - i];
		ellen[i] = ellen[cnt - 1 - i];
		el[cnt - 1 - i] = tp;
		ellen[cnt - 1 - i] = tl;
	}
	UNIT_OK("der_set_of_signed_attrs", cnt >= 3 &&
	    sorted_set(el, ellen, cnt, DER_CONTEXT_CONS(0), &out, &len) == 0 &&
	    len == attrs.rawlen && memcmp(out, attrs.raw, len) == 0);
	free(out);
}

/* A SignedData-shaped structure around a few KB of certificates. */
static void
test_big_structure(void)
{
	struct der_writer w;
	struct ber_reader r;
	struct ber_elem	 e;
	uint8_t		*cert, *out;
	size_t		 certlen = 3000, len, i, n, k;
	const uint8_t	*p;
	int		 ok = 1;
	long		 v;

	if ((cert = malloc(certlen)) == NULL) {
		UNIT_FAIL("der_big_structure", "out of memory");
		return;
	}
	/* A fake certificate: SEQUENCE { OCTET STRING (2992) }. */
	cert[0] = 0x30;
	cert[1] = 0x82;
	cert[2] = (certlen - 4) >> 8;
	cert[3] = (certlen - 4) & 0xff;
	cert[4] = 0x04;
	cert[5] = 0x82;
	cert[6] = (certlen - 8) >> 8;
	cert[7] = (certlen - 8) & 0xff;
	for (i = 8; i < certlen; i++)
		cert[i] = 0x55;

	der_init(&w);
	der_begin(&w, DER_SEQUENCE);
	p = oid_bytes(OID_SIGNED_DATA, &n);
	der_oid(&w, p, n);
	der_begin(&w, DER_CONTEXT_CONS(0));
	der_begin(&w, DER_SEQUENCE);
	der_int(&w, 1);
	der_begin_sorted(&w, DER_SET);
	der_begin(&w, DER_SEQUENCE);
	p = oid_bytes(OID_SHA256, &n);
	der_oid(&w, p, n);
	der_end(&w);
	der_end(&w);
	der_begin(&w, DER_SEQUENCE);
	p = oid_bytes(OID_DATA, &n);
	der_oid(&w, p, n);
	der_end(&w);
	der_begin_sorted(&w, DER_CONTEXT_CONS(0));
	for (k = 0; k < 5; k++) {
		cert[certlen - 1] = (uint8_t)(5 - k);
		der_raw(&w, cert, certlen);
	}
	der_end(&w);
	der_begin(&w, DER_SET);
	der_end(&w);
	der_end(&w);
	der_end(&w);
	der_end(&w);
	if (der_finish(&w, &out, &len) == -1) {
		UNIT_FAIL("der_big_structure", "%s",
		    der_strerror(der_error(&w)));
		free(cert);
		return;
	}
	UNIT_OK("der_big_structure_valid", ber_validate(out, len, BER_F_DER,
	    NULL) == BER_OK);
	ber_reader_init(&r, out, len, BER_F_DER);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &e) ||
	    ber_expect(&r, BER_CONTEXT_CONS(0), &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_INTEGER, &e) || ber_get_long(&e, &v) || v != 1 ||
	    ber_skip(&r) || ber_skip(&r) ||
	    ber_expect(&r, BER_CONTEXT_CONS(0), &e) || ber_enter(&r))
		ok = 0;
	/* Sorted: the last octet goes 1, 2, 3, 4, 5. */
	for (k = 0; ok && k < 5; k++) {
		if (ber_next(&r, &e) != BER_OK || e.rawlen != certlen ||
		    e.raw[certlen - 1] != k + 1)
			ok = 0;
	}
	UNIT_OK("der_big_structure_read", ok && ber_next(&r, &e) == BER_END);
	free(out);
	free(cert);
}

static void
test_errors(void)
{
	struct der_writer w;
	uint8_t		*out = NULL, big[200];
	size_t		 len, i;

	der_init(&w);
	UNIT_OK("der_end_without_begin", der_end(&w) == -1 &&
	    der_error(&w) == DER_ERR_STATE);
	UNIT_OK("der_error_sticky", der_null(&w) == -1 &&
	    der_finish(&w, &out, &len) == -1);
	der_clear(&w);

	der_init(&w);
	der_begin(&w, DER_SEQUENCE);
	UNIT_OK("der_finish_open", der_finish(&w, &out, &len) == -1 &&
	    der_error(&w) == DER_ERR_STATE);
	der_clear(&w);

	der_init(&w);
	for (i = 0; i < DER_MAX_DEPTH; i++)
		der_begin(&w, DER_SEQUENCE);
	UNIT_OK("der_depth_limit", der_error(&w) == DER_OK &&
	    der_begin(&w, DER_SEQUENCE) == -1 &&
	    der_error(&w) == DER_ERR_DEPTH);
	der_clear(&w);

	memset(big, 0, sizeof(big));
	der_init(&w);
	der_set_limit(&w, 100);
	UNIT_OK("der_size_limit", der_octets(&w, big, 90) == 0 &&
	    der_octets(&w, big, 20) == -1 && der_error(&w) == DER_ERR_TOO_BIG);
	der_clear(&w);

	der_init(&w);
	der_set_limit(&w, 129);
	der_begin(&w, DER_SEQUENCE);
	der_raw(&w, big, 127);
	UNIT_OK("der_size_limit_at_end", der_error(&w) == DER_OK &&
	    der_raw(&w, big, 1) == -1 && der_error(&w) == DER_ERR_TOO_BIG);
	der_clear(&w);

	der_init(&w);
	UNIT_OK("der_high_tag", der_prim(&w, 0x1f, big, 1) == -1 &&
	    der_error(&w) == DER_ERR_ARG);
	der_clear(&w);
	der_init(&w);
	UNIT_OK("der_null_data", der_octets(&w, NULL, 3) == -1 &&
	    der_error(&w) == DER_ERR_ARG);
	der_clear(&w);
	der_init(&w);
	UNIT_OK("der_bitstring_bad_unused", der_bitstring(&w, big, 1, 8) ==
	    -1 && der_error(&w) == DER_ERR_ARG);
	der_clear(&w);
	der_init(&w);
	UNIT_OK("der_oid_empty", der_oid(&w, big, 0) == -1);
	der_clear(&w);

	der_init(&w);
	UNIT_OK("der_finish_empty", der_finish(&w, &out, &len) == 0 &&
	    out != NULL && len == 0);
	free(out);
	UNIT_OK("der_strerror", strcmp(der_strerror(DER_ERR_NOMEM),
	    "out of memory") == 0 && strcmp(der_strerror(DER_ERR_MAX),
	    "unknown DER error") == 0);
}

/* Encode dotted text independently of the table and compare. */
static size_t
encode_dotted(const char *s, uint8_t *out, size_t cap)
{
	unsigned long	 arcs[32], v;
	size_t		 n = 0, len = 0, i, k;
	uint8_t		 tmp[8];
	char		*end;

	while (*s != '\0' && n < 32) {
		arcs[n++] = strtoul(s, &end, 10);
		s = *end == '.' ? end + 1 : end;
	}
	if (n < 2)
		return 0;
	arcs[1] += arcs[0] * 40;
	for (i = 1; i < n; i++) {
		v = arcs[i];
		k = 0;
		do {
			tmp[k++] = v & 0x7f;
			v >>= 7;
		} while (v != 0);
		while (k > 0) {
			if (len >= cap)
				return 0;
			out[len++] = tmp[k - 1] | (k > 1 ? 0x80 : 0);
			k--;
		}
	}
	return len;
}

static void
test_oids(void)
{
	const struct oid_def *d;
	uint8_t		 enc[OID_MAX_LEN];
	size_t		 len, n;
	int		 i, ok = 1, lk = 1;
	const uint8_t	*p;
	static const uint8_t gcm[] = {
		0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2e
	};

	for (i = 1; i < OID_MAX; i++) {
		if ((d = oid_get(i)) == NULL || (int)d->id != i) {
			printf("# entry %d out of order\n", i);
			ok = 0;
			continue;
		}
		len = encode_dotted(d->dotted, enc, sizeof(enc));
		if (len == 0 || len != d->len || memcmp(enc, d->der, len)) {
			printf("# %s bytes differ\n", d->name);
			ok = 0;
		}
		if (oid_lookup(d->der, d->len) != d->id)
			lk = 0;
	}
	UNIT_OK("oid_table_bytes", ok);
	UNIT_OK("oid_table_lookup", lk);
	UNIT_OK("oid_aes256_gcm", oid_is(OID_AES256_GCM, gcm, sizeof(gcm)) &&
	    !oid_is(OID_AES128_GCM, gcm, sizeof(gcm)) &&
	    strcmp(oid_name(OID_AES256_GCM), "id-aes256-GCM") == 0);
	UNIT_OK("oid_unknown", oid_lookup(gcm, 5) == OID_UNKNOWN &&
	    oid_get(OID_UNKNOWN) == NULL && oid_get(OID_MAX) == NULL &&
	    (p = oid_bytes(OID_MAX, &n)) == NULL && n == 0 &&
	    oid_lookup(NULL, 0) == OID_UNKNOWN);
}

int
main(void)
{
	test_int();
	test_prims();
	test_times();
	test_lengths();
	test_set_of();
	test_set_of_real();
	test_big_structure();
	test_errors();
	test_oids();
	UNIT_EXIT();
}
