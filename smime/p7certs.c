/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Certificates out of a certificate or a SignedData (p7certs.h). */
#include <string.h>

#include "ber.h"
#include "oid.h"
#include "p7certs.h"

static void
take(struct p7certs *pc, const struct ber_elem *e)
{
	if (pc->n == P7CERTS_MAX) {
		pc->skipped++;
		return;
	}
	pc->der[pc->n] = e->raw;
	pc->len[pc->n++] = e->rawlen;
}

/* SignedData's fields up to certificates [0] IMPLICIT, and those. */
static int
signed_data(const struct ber_elem *sd, struct p7certs *pc)
{
	struct ber_reader r, cr;
	struct ber_elem e, c;

	ber_reader_init(&r, sd->content, sd->len, 0);
	if (ber_expect(&r, BER_INTEGER, &e) != BER_OK ||
	    ber_expect(&r, BER_SET, &e) != BER_OK ||
	    ber_expect(&r, BER_SEQUENCE, &e) != BER_OK ||
	    ber_next(&r, &e) != BER_OK || e.tag != BER_CONTEXT_CONS(0))
		return -1;
	ber_reader_init(&cr, e.content, e.len, 0);
	while (!ber_at_end(&cr)) {
		if (ber_next(&cr, &c) != BER_OK)
			return -1;
		/* other CertificateChoices (attribute certificates...) */
		if (c.tag == BER_SEQUENCE)
			take(pc, &c);
		else
			pc->skipped++;
	}
	return ber_error(&cr) == BER_OK ? 0 : -1;
}

int
p7certs_read(const uint8_t *der, size_t len, struct p7certs *pc)
{
	struct ber_reader r, in;
	struct ber_elem top, first, e;
	const uint8_t *oid;
	size_t oidlen;

	memset(pc, 0, sizeof(*pc));
	ber_reader_init(&r, der, len, 0);
	if (ber_expect(&r, BER_SEQUENCE, &top) != BER_OK || !ber_at_end(&r))
		return -1;
	ber_reader_init(&in, top.content, top.len, 0);
	if (ber_next(&in, &first) != BER_OK)
		return -1;
	if (first.tag == BER_SEQUENCE) {
		/* Certificate: tbsCertificate, signatureAlgorithm, signature */
		if (ber_expect(&in, BER_SEQUENCE, &e) != BER_OK ||
		    ber_expect(&in, BER_BIT_STRING, &e) != BER_OK ||
		    !ber_at_end(&in))
			return -1;
		take(pc, &top);
		return 0;
	}
	/* ContentInfo: id-signedData, [0] EXPLICIT SignedData */
	if (first.tag != BER_OID ||
	    ber_get_oid(&first, &oid, &oidlen) != BER_OK ||
	    !oid_is(OID_SIGNED_DATA, oid, oidlen) ||
	    ber_next(&in, &e) != BER_OK || e.tag != BER_CONTEXT_CONS(0) ||
	    !ber_at_end(&in))
		return -1;
	ber_reader_init(&in, e.content, e.len, 0);
	if (ber_expect(&in, BER_SEQUENCE, &e) != BER_OK || !ber_at_end(&in) ||
	    signed_data(&e, pc) == -1)
		return -1;
	return pc->n > 0 ? 0 : -1;
}
