/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Base64 with SSSE3 (smime/b64_hw.c) against a plain encoder written
 * here from RFC 4648 §4: every 24-bit group at every position of a
 * step, reads that end where b64_hw.h says, and the MIME encoder with
 * and without it over random lengths, chunkings and line ends.  Where
 * the CPU lacks SSSE3 (or FILTER_SMIME_NO_HW is set) only the claim is
 * checked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64_hw.h"
#include "mime.h"
#include "unit.h"

static const char alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 4648 §4, one group: the reference. */
static void
ref_group(char *d, const unsigned char *p)
{
	d[0] = alpha[p[0] >> 2];
	d[1] = alpha[(p[0] & 3) << 4 | p[1] >> 4];
	d[2] = alpha[(p[1] & 15) << 2 | p[2] >> 6];
	d[3] = alpha[p[2] & 63];
}

static uint32_t rnd_state = 0x2545f491;

static uint32_t
rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/*
 * All 2^24 groups, sixteen a call; an odd multiplier spreads them, so
 * that each of the sixteen positions sees values of every kind, not
 * only those with its own low bits.
 */
static void
test_every_group(void)
{
	unsigned char in[B64_HW_READ];
	char out[B64_HW_OUT], ref[B64_HW_OUT];
	uint32_t n, v;
	unsigned long bad = 0;
	int k;

	memset(in, 0, sizeof(in));
	for (n = 0; n < (1u << 24); n += 16) {
		for (k = 0; k < 16; k++) {
			v = ((n + (uint32_t)k) * 0x9e3779b1u) & 0xffffff;
			in[3 * k] = (unsigned char)(v >> 16);
			in[3 * k + 1] = (unsigned char)(v >> 8);
			in[3 * k + 2] = (unsigned char)v;
			ref_group(ref + 4 * k, in + 3 * k);
		}
		/* the octets past 48 are read, not encoded */
		in[48] = (unsigned char)n;
		b64_hw_48(out, in);
		if (memcmp(out, ref, sizeof(out)) != 0 && bad++ == 0)
			UNIT_FAIL("b64-hw.every-group", "group %u: %.64s, "
			    "not %.64s", n, out, ref);
	}
	if (bad == 0)
		UNIT_PASS("b64-hw.every-group");
}

/* Its loads end at B64_HW_READ: a buffer of exactly that (ASan). */
static void
test_reads(void)
{
	unsigned char *in;
	char out[B64_HW_OUT], ref[B64_HW_OUT];
	int k;

	if ((in = malloc(B64_HW_READ)) == NULL)
		abort();
	for (k = 0; k < B64_HW_READ; k++)
		in[k] = (unsigned char)rnd();
	for (k = 0; k < B64_HW_IN / 3; k++)
		ref_group(ref + 4 * k, in + 3 * k);
	b64_hw_48(out, in);
	UNIT_OK("b64-hw.reads-within", memcmp(out, ref, sizeof(out)) == 0);
	free(in);
}

struct sink {
	char	*p;
	size_t	 n, cap;
};

static int
sink_write(void *arg, const void *p, size_t n)
{
	struct sink *s = arg;

	if (s->n + n > s->cap)
		return -1;
	memcpy(s->p + s->n, p, n);
	s->n += n;
	return 0;
}

/* in through the MIME encoder, in pieces of at most piece; hw 0 or 1. */
static void
encode(const unsigned char *in, size_t n, size_t piece, int flags, int hw,
    struct sink *s)
{
	struct mime_b64enc e;
	size_t done, k;

	s->n = 0;
	mime_b64enc_init(&e, flags);
	e.hw = hw;
	for (done = 0; done < n; done += k) {
		k = piece < n - done ? piece : n - done;
		if (mime_b64enc_update(&e, in + done, k, sink_write, s) != 0)
			abort();
	}
	if (mime_b64enc_final(&e, sink_write, s) != 0)
		abort();
}

/*
 * The encoder with whole lines by b64_hw_48 writes what it writes
 * without: random lengths 0-10000, pieces of 1 octet to all of it,
 * LF and CRLF line ends.
 */
static void
test_encoder(void)
{
	static unsigned char in[10000];
	static char o1[16000], o2[16000];
	struct sink s1 = { o1, 0, sizeof(o1) }, s2 = { o2, 0, sizeof(o2) };
	size_t n, piece, i;
	int round, bad = 0, flags;

	for (round = 0; round < 2000; round++) {
		n = rnd() % (sizeof(in) + 1);
		for (i = 0; i < n; i++)
			in[i] = (unsigned char)rnd();
		piece = rnd() % 4 == 0 ? n + 1 : 1 + rnd() % 200;
		flags = rnd() & 1 ? MIME_ENC_CRLF : 0;
		encode(in, n, piece, flags, 1, &s1);
		encode(in, n, n + 1, flags, 0, &s2);
		if (s1.n != s2.n || memcmp(o1, o2, s1.n) != 0) {
			if (bad++ == 0)
				UNIT_FAIL("b64-hw.encoder-as-plain", "%zu "
				    "octets in pieces of %zu differ", n, piece);
		}
	}
	if (bad == 0)
		UNIT_PASS("b64-hw.encoder-as-plain");
}

int
main(void)
{
	const char *no = getenv("FILTER_SMIME_NO_HW");
	struct mime_b64enc e;

	mime_b64enc_init(&e, 0);
	if (!b64_hw_available()) {
		UNIT_OK("b64-hw-off", (b64_hw_engine() == NULL ||
		    (no != NULL && *no != '\0')) && e.hw == 0);
		printf("# b64_hw: not used here (%s)\n", b64_hw_engine() ?
		    "FILTER_SMIME_NO_HW" : "no SSSE3");
		UNIT_EXIT();
	}
	UNIT_OK("b64-hw.encoder-uses-it", e.hw == 1);
	test_every_group();
	test_reads();
	test_encoder();
	UNIT_EXIT();
}
