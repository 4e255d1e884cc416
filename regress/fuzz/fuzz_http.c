/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz what a CRL server sends (keystore/http.c): the input is a whole
 * HTTP response, then, as a string, a URL (what a Location header or a
 * certificate names).  A response taken has its body inside the input,
 * after a head of at most HTTP_HEAD_MAX octets; a URL taken has a host
 * of URL characters, a port 1-65535 and a path of printable ASCII.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
url_or_die(const uint8_t *data, size_t size)
{
	struct http_url u;
	const char *why;
	char *s;
	long port;
	size_t i;

	if ((s = malloc(size + 1)) == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (http_url_parse(s, &u, &why) == 0) {
		port = strtol(u.port, NULL, 10);
		if (u.host[0] == '\0' || port < 1 || port > 65535 ||
		    u.path[0] != '/')
			abort();
		for (i = 0; u.path[i]; i++)
			if ((unsigned char)u.path[i] <= 0x20 ||
			    (unsigned char)u.path[i] >= 0x7f)
				abort();
		for (i = 0; u.host[i]; i++)
			if (strchr("/?#@[] \r\n", u.host[i]) != NULL)
				abort();
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response r;
	const char *why;
	uint8_t *p;

	/* an exact-size copy: a read past the end is an ASan report */
	if ((p = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(p, data, size);
	if (http_response_parse(p, size, &r, &why) == 0) {
		if (r.status < 100 || r.status > 599 || r.body < p ||
		    (size_t)(r.body - p) > HTTP_HEAD_MAX ||
		    (size_t)(r.body - p) + r.bodylen != size ||
		    strlen(r.location) > HTTP_LOCATION_MAX)
			abort();
	}
	free(p);
	url_or_die(data, size);
	return 0;
}
