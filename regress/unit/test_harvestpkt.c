/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Harvest packets, which a sandboxed process (perhaps taken over) sends
 * to the one that writes the store: a certificate and its chain round-
 * trip; every truncation, length out of range, empty or unended field
 * is refused; a chain too big for the bound loses its top issuers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harvestpkt.h"
#include "unit.h"

#define BUF	(HARVEST_DER_MAX + 8192)

static uint8_t leaf[700], inter[500], root[400];

static void
sample(struct harvest *h)
{
	memset(h, 0, sizeof(*h));
	memset(leaf, 0x30, sizeof(leaf));
	memset(inter, 0x31, sizeof(inter));
	memset(root, 0x32, sizeof(root));
	h->der = leaf;
	h->len = sizeof(leaf);
	h->chain[0] = inter;
	h->chainlen[0] = sizeof(inter);
	h->chain[1] = root;
	h->chainlen[1] = sizeof(root);
	h->nchain = 2;
	h->email = "dave@example.net";
	h->caps = "3009";
}

static int
same(const struct harvest *a, const struct harvest *b)
{
	size_t i;

	if (a->len != b->len || memcmp(a->der, b->der, a->len) != 0 ||
	    a->nchain != b->nchain || strcmp(a->email, b->email) != 0 ||
	    strcmp(a->caps, b->caps) != 0)
		return 0;
	for (i = 0; i < a->nchain; i++)
		if (a->chainlen[i] != b->chainlen[i] ||
		    memcmp(a->chain[i], b->chain[i], a->chainlen[i]) != 0)
			return 0;
	return 1;
}

/* A header field (kind, derlen, chainlen, emaillen, capslen) set to v. */
static int
decodes_with(const char *pkt, size_t n, size_t field, uint32_t v)
{
	char *copy = malloc(n);
	struct harvest d;
	int rc;

	if (copy == NULL)
		return 1;
	memcpy(copy, pkt, n);
	memcpy(copy + 4 * field, &v, 4);
	rc = harvestpkt_decode(copy, n, &d) == 0;
	free(copy);
	return rc;
}

static void
test_round_trip(char *buf)
{
	struct harvest h, d;
	size_t n, cut;
	int all_refused = 1;

	sample(&h);
	n = harvestpkt_encode(&h, buf, BUF);
	UNIT_OK("harvestpkt-encodes", n > 0);
	UNIT_OK("harvestpkt-round-trip",
	    harvestpkt_decode(buf, n, &d) == 0 && same(&h, &d));
	for (cut = 0; cut < n; cut++)
		if (harvestpkt_decode(buf, cut, &d) == 0)
			all_refused = 0;
	UNIT_OK("harvestpkt-every-truncation-refused", all_refused);
	UNIT_OK("harvestpkt-longer-refused",
	    harvestpkt_decode(buf, n + 1, &d) == -1);
	UNIT_OK("harvestpkt-wrong-kind-refused", !decodes_with(buf, n, 0, 1));
	UNIT_OK("harvestpkt-no-der-refused", !decodes_with(buf, n, 1, 0));
	UNIT_OK("harvestpkt-der-past-end-refused",
	    !decodes_with(buf, n, 1, (uint32_t)n));
	UNIT_OK("harvestpkt-chain-length-off-refused",
	    !decodes_with(buf, n, 2, 4 + sizeof(inter)));
	UNIT_OK("harvestpkt-empty-email-refused", !decodes_with(buf, n, 3, 0));
	UNIT_OK("harvestpkt-caps-huge-refused",
	    !decodes_with(buf, n, 4, 0xffffffffu));
	h.nchain = 0;
	n = harvestpkt_encode(&h, buf, BUF);
	UNIT_OK("harvestpkt-no-chain-round-trip",
	    n > 0 && harvestpkt_decode(buf, n, &d) == 0 && same(&h, &d));
}

/* The chain's own framing: a zero length, a length past its end. */
static void
test_chain_framing(char *buf)
{
	struct harvest h, d;
	uint32_t k;
	size_t n, at = 20 + sizeof(leaf);	/* the first issuer's length */

	sample(&h);
	n = harvestpkt_encode(&h, buf, BUF);
	memcpy(&k, buf + at, 4);
	UNIT_OK("harvestpkt-chain-framed", k == sizeof(inter));
	k = 0;
	memcpy(buf + at, &k, 4);
	UNIT_OK("harvestpkt-chain-zero-length-refused",
	    harvestpkt_decode(buf, n, &d) == -1);
	k = sizeof(inter) + 4 + sizeof(root) + 1;
	memcpy(buf + at, &k, 4);
	UNIT_OK("harvestpkt-chain-past-end-refused",
	    harvestpkt_decode(buf, n, &d) == -1);
	k = sizeof(inter) - 1;
	memcpy(buf + at, &k, 4);
	UNIT_OK("harvestpkt-chain-misframed-refused",
	    harvestpkt_decode(buf, n, &d) == -1);
}

static void
test_strings(char *buf)
{
	struct harvest h, d;
	size_t n;

	sample(&h);
	n = harvestpkt_encode(&h, buf, BUF);
	buf[n - 1] = 'x';		/* the capabilities' NUL */
	UNIT_OK("harvestpkt-caps-unended-refused",
	    harvestpkt_decode(buf, n, &d) == -1);
	n = harvestpkt_encode(&h, buf, BUF);
	buf[n - 5 - 3] = '\0';		/* a NUL inside the address */
	UNIT_OK("harvestpkt-email-inner-nul-refused",
	    harvestpkt_decode(buf, n, &d) == -1);
}

/* Issuers beyond the bound are left out from the top; never overrun. */
static void
test_bounds(char *buf)
{
	static uint8_t big[HARVEST_DER_MAX];
	struct harvest h, d;
	size_t n, i;

	sample(&h);
	memset(big, 0x33, sizeof(big));
	h.chain[1] = big;
	h.chainlen[1] = HARVEST_DER_MAX - sizeof(leaf);
	n = harvestpkt_encode(&h, buf, BUF);
	UNIT_OK("harvestpkt-chain-over-bound-cut",
	    n > 0 && harvestpkt_decode(buf, n, &d) == 0 && d.nchain == 1 &&
	    d.chainlen[0] == sizeof(inter));
	sample(&h);
	h.len = HARVEST_DER_MAX + 1;
	UNIT_OK("harvestpkt-der-over-bound-not-encoded",
	    harvestpkt_encode(&h, buf, BUF) == 0);
	sample(&h);
	UNIT_OK("harvestpkt-small-buffer-not-encoded",
	    harvestpkt_encode(&h, buf, 100) == 0);
	for (i = 0; i < HARVEST_CHAIN; i++) {
		h.chain[i] = root;
		h.chainlen[i] = sizeof(root);
	}
	h.nchain = HARVEST_CHAIN;
	n = harvestpkt_encode(&h, buf, BUF);
	UNIT_OK("harvestpkt-full-chain-round-trip",
	    n > 0 && harvestpkt_decode(buf, n, &d) == 0 && same(&h, &d));
	h.nchain = HARVEST_CHAIN + 1;
	UNIT_OK("harvestpkt-too-many-issuers-not-encoded",
	    harvestpkt_encode(&h, buf, BUF) == 0);
}

int
main(void)
{
	char *buf = malloc(BUF);

	if (buf == NULL)
		return 1;
	test_round_trip(buf);
	test_chain_framing(buf);
	test_strings(buf);
	test_bounds(buf);
	free(buf);
	UNIT_EXIT();
}
