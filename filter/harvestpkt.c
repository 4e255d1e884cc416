/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Harvest packets (harvestpkt.h): a header, the DER, two strings. */
#include <stdlib.h>
#include <string.h>

#include "harvestpkt.h"
#include "packet.h"

struct harvest_hdr {
	uint32_t	 kind;		/* PKT_HARVEST */
	uint32_t	 derlen;	/* then the DER, the address and */
	uint32_t	 emaillen;	/* the capabilities (hex), each */
	uint32_t	 capslen;	/* NUL-ended but the DER */
};

#define HARVEST_DER_MAX	(64 * 1024)

int
harvestpkt_send(int sock, const uint8_t *der, size_t len, const char *email,
    const char *caps)
{
	struct harvest_hdr h;
	size_t el = strlen(email) + 1, cl = strlen(caps) + 1;
	char *p;
	int rc;

	if (sock == -1 || len > HARVEST_DER_MAX || el > 512 || cl > 2048 ||
	    (p = malloc(sizeof(h) + len + el + cl)) == NULL)
		return -1;
	h.kind = PKT_HARVEST;
	h.derlen = (uint32_t)len;
	h.emaillen = (uint32_t)el;
	h.capslen = (uint32_t)cl;
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), der, len);
	memcpy(p + sizeof(h) + len, email, el);
	memcpy(p + sizeof(h) + len + el, caps, cl);
	rc = packet_send(sock, p, sizeof(h) + len + el + cl, -1);
	free(p);
	return rc;
}

int
harvestpkt_decode(const char *p, size_t n, const uint8_t **der,
    size_t *derlen, const char **email, const char **caps)
{
	struct harvest_hdr h;

	if (n < sizeof(h))
		return -1;
	memcpy(&h, p, sizeof(h));
	if (h.kind != PKT_HARVEST || h.derlen > n - sizeof(h) ||
	    h.emaillen == 0 || h.capslen == 0 ||
	    h.emaillen > n - sizeof(h) - h.derlen ||
	    h.capslen != n - sizeof(h) - h.derlen - h.emaillen)
		return -1;
	*der = (const uint8_t *)p + sizeof(h);
	*derlen = h.derlen;
	*email = p + sizeof(h) + h.derlen;
	*caps = *email + h.emaillen;
	if ((*email)[h.emaillen - 1] != '\0' || (*caps)[h.capslen - 1] != '\0')
		return -1;
	return 0;
}
