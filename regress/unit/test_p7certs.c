/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Certificates out of directory values and files (smime/p7certs.c),
 * against openssl's own (regress/unit/data/p7/make.sh): a certs-only
 * bag gives its two certificates byte for byte, a signed message its
 * certificates, a bare certificate itself; every truncation, a wrong
 * content type and junk are refused; more than P7CERTS_MAX are counted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p7certs.h"
#include "unit.h"

#define DATA	"regress/unit/data/"

static int
same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static void
test_openssl(void)
{
	struct p7certs pc;
	uint8_t *bag, *sig, *good, *ca;
	size_t baglen, siglen, goodlen, calen, i, bad = 0;

	bag = unit_slurp(DATA "p7/bag.p7b", &baglen);
	sig = unit_slurp(DATA "p7/signed.p7m", &siglen);
	good = unit_slurp(DATA "ocsp/good.der", &goodlen);
	ca = unit_slurp(DATA "ocsp/ca.der", &calen);
	if (bag == NULL || sig == NULL || good == NULL || ca == NULL) {
		UNIT_FAIL("p7.data", "cannot read " DATA);
		goto done;
	}
	UNIT_OK("p7.bag", p7certs_read(bag, baglen, &pc) == 0 && pc.n == 2 &&
	    same(pc.der[0], pc.len[0], good, goodlen) &&
	    same(pc.der[1], pc.len[1], ca, calen) && pc.skipped == 0);
	UNIT_OK("p7.signed", p7certs_read(sig, siglen, &pc) == 0 &&
	    pc.n == 2 && (same(pc.der[0], pc.len[0], ca, calen) ||
	    same(pc.der[1], pc.len[1], ca, calen)));
	UNIT_OK("p7.bare", p7certs_read(good, goodlen, &pc) == 0 &&
	    pc.n == 1 && same(pc.der[0], pc.len[0], good, goodlen));
	for (i = 0; i < baglen; i++)
		bad += p7certs_read(bag, i, &pc) == 0;
	for (i = 0; i < goodlen; i++)
		bad += p7certs_read(good, i, &pc) == 0;
	UNIT_OK("p7.truncated-refused", bad == 0);
	/* id-envelopedData instead of id-signedData: the OID's last octet */
	bag[14]++;
	UNIT_OK("p7.content-type-refused", p7certs_read(bag, baglen, &pc) ==
	    -1);
done:
	free(bag);
	free(sig);
	free(good);
	free(ca);
}

/* A bag of n copies of cert, written by hand (short-form headers off). */
static uint8_t *
many(const uint8_t *cert, size_t certlen, size_t n, size_t *outlen)
{
	static const uint8_t oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
	    0xf7, 0x0d, 0x01, 0x07, 0x02 };
	static const uint8_t head[] = { 0x02, 0x01, 0x01, 0x31, 0x00, 0x30,
	    0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07,
	    0x01 };
	size_t certs = n * certlen, sd, ci, i;
	uint8_t *b, *p;

	sd = sizeof(head) + 4 + certs + 2;
	ci = sizeof(oid) + 4 + 4 + sd;
	if ((p = b = malloc(4 + ci)) == NULL)
		return NULL;
#define HDR(t, l) do { *p++ = (t); *p++ = 0x82; *p++ = (uint8_t)((l) >> 8); \
	*p++ = (uint8_t)(l); } while (0)
	HDR(0x30, ci);
	memcpy(p, oid, sizeof(oid));
	p += sizeof(oid);
	HDR(0xa0, 4 + sd);
	HDR(0x30, sd);
	memcpy(p, head, sizeof(head));
	p += sizeof(head);
	HDR(0xa0, certs);
	for (i = 0; i < n; i++, p += certlen)
		memcpy(p, cert, certlen);
	*p++ = 0x31;
	*p++ = 0x00;
#undef HDR
	*outlen = (size_t)(p - b);
	return b;
}

static void
test_bounds(void)
{
	struct p7certs pc;
	uint8_t *good, *b, junk[64];
	size_t goodlen, blen;

	if ((good = unit_slurp(DATA "ocsp/good.der", &goodlen)) == NULL ||
	    (b = many(good, goodlen, P7CERTS_MAX + 3, &blen)) == NULL) {
		UNIT_FAIL("p7.many", "no data");
		free(good);
		return;
	}
	UNIT_OK("p7.many", p7certs_read(b, blen, &pc) == 0 &&
	    pc.n == P7CERTS_MAX && pc.skipped == 3 &&
	    same(pc.der[P7CERTS_MAX - 1], pc.len[P7CERTS_MAX - 1], good,
	    goodlen));
	free(b);
	b = many(good, goodlen, 0, &blen);
	UNIT_OK("p7.empty-refused", b != NULL && p7certs_read(b, blen, &pc) ==
	    -1);
	free(b);
	memset(junk, 0x30, sizeof(junk));
	UNIT_OK("p7.junk-refused", p7certs_read(junk, sizeof(junk), &pc) == -1);
	UNIT_OK("p7.nothing-refused", p7certs_read(junk, 0, &pc) == -1);
	free(good);
}

int
main(void)
{
	test_openssl();
	test_bounds();
	UNIT_EXIT();
}
