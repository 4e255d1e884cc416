/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Harvest packets (harvestpkt.h): a header, the DER, the chain (each
 * certificate after its length), the address and the capabilities.
 * Issuers that would not fit the bound are left out from the top: the
 * receiver then finds no anchor and keeps nothing, which is safe.
 */
#include <stdlib.h>
#include <string.h>

#include "harvestpkt.h"
#include "packet.h"

struct harvest_hdr {
	uint32_t	 kind;		/* PKT_HARVEST */
	uint32_t	 derlen;	/* then the DER, */
	uint32_t	 chainlen;	/* the chain, */
	uint32_t	 emaillen;	/* the address and the capabilities, */
	uint32_t	 capslen;	/* each NUL-ended */
};

#define EMAIL_MAX	512
#define CAPS_MAX	2048
#define PKT_MAX		(sizeof(struct harvest_hdr) + HARVEST_DER_MAX + \
			 4 * HARVEST_CHAIN + EMAIL_MAX + CAPS_MAX)

size_t
harvestpkt_encode(const struct harvest *h, char *buf, size_t cap)
{
	struct harvest_hdr hd;
	size_t el = strlen(h->email) + 1, cl = strlen(h->caps) + 1;
	size_t off = sizeof(hd), total = h->len, i;
	uint32_t k;

	if (h->len > HARVEST_DER_MAX || el > EMAIL_MAX || cl > CAPS_MAX ||
	    h->nchain > HARVEST_CHAIN)
		return 0;
	memset(&hd, 0, sizeof(hd));
	hd.kind = PKT_HARVEST;
	hd.derlen = (uint32_t)h->len;
	hd.emaillen = (uint32_t)el;
	hd.capslen = (uint32_t)cl;
	if (off + h->len + el + cl > cap)
		return 0;
	memcpy(buf + off, h->der, h->len);
	off += h->len;
	for (i = 0; i < h->nchain; i++) {
		if (h->chainlen[i] > HARVEST_DER_MAX - total ||
		    off + 4 + h->chainlen[i] + el + cl > cap)
			break;
		k = (uint32_t)h->chainlen[i];
		memcpy(buf + off, &k, 4);
		memcpy(buf + off + 4, h->chain[i], h->chainlen[i]);
		off += 4 + h->chainlen[i];
		total += h->chainlen[i];
	}
	hd.chainlen = (uint32_t)(off - sizeof(hd) - h->len);
	memcpy(buf + off, h->email, el);
	memcpy(buf + off + el, h->caps, cl);
	memcpy(buf, &hd, sizeof(hd));
	return off + el + cl;
}

int
harvestpkt_send(int sock, const struct harvest *h)
{
	char *p;
	size_t n;
	int rc = -1;

	if (sock == -1 || (p = malloc(PKT_MAX)) == NULL)
		return -1;
	if ((n = harvestpkt_encode(h, p, PKT_MAX)) > 0)
		rc = packet_send(sock, p, n, -1);
	free(p);
	return rc;
}

/* The chain's certificates, each after its length, exactly filling it. */
static int
decode_chain(const uint8_t *p, size_t n, struct harvest *h)
{
	uint32_t k;

	h->nchain = 0;
	while (n > 0) {
		if (n < 4 || h->nchain == HARVEST_CHAIN)
			return -1;
		memcpy(&k, p, 4);
		if (k == 0 || k > n - 4)
			return -1;
		h->chain[h->nchain] = p + 4;
		h->chainlen[h->nchain++] = k;
		p += 4 + k;
		n -= 4 + (size_t)k;
	}
	return 0;
}

int
harvestpkt_decode(const char *p, size_t n, struct harvest *h)
{
	struct harvest_hdr hd;
	size_t rest;

	if (n < sizeof(hd))
		return -1;
	memcpy(&hd, p, sizeof(hd));
	rest = n - sizeof(hd);
	if (hd.kind != PKT_HARVEST || hd.derlen == 0 ||
	    hd.derlen > HARVEST_DER_MAX || hd.derlen > rest ||
	    hd.chainlen > HARVEST_DER_MAX - hd.derlen + 4 * HARVEST_CHAIN ||
	    hd.chainlen > rest - hd.derlen || hd.emaillen == 0 ||
	    hd.emaillen > EMAIL_MAX || hd.capslen == 0 ||
	    hd.capslen > CAPS_MAX ||
	    hd.emaillen > rest - hd.derlen - hd.chainlen ||
	    hd.capslen != rest - hd.derlen - hd.chainlen - hd.emaillen)
		return -1;
	p += sizeof(hd);
	h->der = (const uint8_t *)p;
	h->len = hd.derlen;
	if (decode_chain((const uint8_t *)p + hd.derlen, hd.chainlen, h) == -1)
		return -1;
	h->email = p + hd.derlen + hd.chainlen;
	h->caps = h->email + hd.emaillen;
	if (h->email[hd.emaillen - 1] != '\0' ||
	    h->caps[hd.capslen - 1] != '\0' ||
	    strlen(h->email) != hd.emaillen - 1 ||
	    strlen(h->caps) != hd.capslen - 1)
		return -1;
	return 0;
}
