/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The CRL fetcher's HTTP (keystore/http.c): URLs taken and refused, and
 * responses as servers and attackers write them: LF-only, folded,
 * repeated or conflicting Content-Length, chunked, oversized heads,
 * bodies shorter or longer than announced.
 */
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "unit.h"

struct ucase {
	const char	*name, *url;
	int		 ok;
	const char	*host, *port, *path;
};

static const struct ucase urls[] = {
	{ "plain", "http://crl.example/ca.crl", 1, "crl.example", "80",
	    "/ca.crl" },
	{ "port", "HTTP://crl.example:8080/a/b?x=1", 1, "crl.example", "8080",
	    "/a/b?x=1" },
	{ "no-path", "http://crl.example", 1, "crl.example", "80", "/" },
	{ "query-only", "http://crl.example?x", 1, "crl.example", "80",
	    "/?x" },
	{ "fragment-cut", "http://h/p#frag", 1, "h", "80", "/p" },
	{ "v6", "http://[::1]:81/c.crl", 1, "::1", "81", "/c.crl" },
	{ "v4", "http://127.0.0.1/c", 1, "127.0.0.1", "80", "/c" },
	{ "https", "https://crl.example/ca.crl", 0, NULL, NULL, NULL },
	{ "ldap", "ldap://ldap.example/cn=ca", 0, NULL, NULL, NULL },
	{ "userinfo", "http://user:pw@crl.example/", 0, NULL, NULL, NULL },
	{ "port-zero", "http://h:0/", 0, NULL, NULL, NULL },
	{ "port-big", "http://h:65536/", 0, NULL, NULL, NULL },
	{ "port-empty", "http://h:/", 0, NULL, NULL, NULL },
	{ "port-alpha", "http://h:8o/", 0, NULL, NULL, NULL },
	{ "host-empty", "http:///x", 0, NULL, NULL, NULL },
	{ "host-bad", "http://h%2e/x", 0, NULL, NULL, NULL },
	{ "path-space", "http://h/a b", 0, NULL, NULL, NULL },
	{ "path-ctl", "http://h/a\r\nX: y", 0, NULL, NULL, NULL },
	{ "v6-open", "http://[::1/x", 0, NULL, NULL, NULL },
	{ "v6-junk", "http://[::1]x/", 0, NULL, NULL, NULL },
};

static void
test_urls(void)
{
	struct http_url u;
	const char *why;
	char name[64];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		snprintf(name, sizeof(name), "http-url-%s", urls[i].name);
		rc = http_url_parse(urls[i].url, &u, &why);
		if (!urls[i].ok)
			UNIT_OK(name, rc == -1);
		else
			UNIT_OK(name, rc == 0 && strcmp(u.host, urls[i].host) == 0 &&
			    strcmp(u.port, urls[i].port) == 0 &&
			    strcmp(u.path, urls[i].path) == 0);
	}
}

struct rcase {
	const char	*name, *in;
	int		 ok, status;
	const char	*body, *location;
};

static const struct rcase responses[] = {
	{ "ok", "HTTP/1.0 200 OK\r\nContent-Type: application/pkix-crl\r\n"
	    "\r\nBODY", 1, 200, "BODY", "" },
	{ "lf-only", "HTTP/1.1 200 OK\nServer: x\n\nBODY", 1, 200, "BODY", "" },
	{ "no-reason", "HTTP/1.1 200\r\n\r\nB", 1, 200, "B", "" },
	{ "length", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nBODY", 1, 200,
	    "BODY", "" },
	{ "length-twice-same", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n"
	    "content-length:4\r\n\r\nBODY", 1, 200, "BODY", "" },
	{ "length-conflict", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n"
	    "Content-Length: 3\r\n\r\nBODY", 0, 0, NULL, NULL },
	{ "length-short", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nBODY",
	    0, 0, NULL, NULL },
	{ "length-past", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nBODY",
	    0, 0, NULL, NULL },
	{ "length-sign", "HTTP/1.1 200 OK\r\nContent-Length: +4\r\n\r\nBODY",
	    0, 0, NULL, NULL },
	{ "length-huge", "HTTP/1.1 200 OK\r\nContent-Length: "
	    "99999999999999999999\r\n\r\nBODY", 0, 0, NULL, NULL },
	{ "chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "4\r\nBODY\r\n0\r\n\r\n", 0, 0, NULL, NULL },
	{ "folded", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\nBODY", 0, 0, NULL,
	    NULL },
	{ "space-before-colon", "HTTP/1.1 200 OK\r\nContent-Length : 4\r\n\r\n"
	    "BODY", 0, 0, NULL, NULL },
	{ "redirect", "HTTP/1.1 302 Found\r\nLocation:  http://h/x.crl \r\n"
	    "Content-Length: 0\r\n\r\n", 1, 302, "", "http://h/x.crl" },
	{ "not-found", "HTTP/1.0 404 Not Found\r\n\r\nnope", 1, 404, "nope",
	    "" },
	{ "http09", "BODY", 0, 0, NULL, NULL },
	{ "http2", "HTTP/2 200\r\n\r\nBODY", 0, 0, NULL, NULL },
	{ "status-600", "HTTP/1.1 600 X\r\n\r\n", 0, 0, NULL, NULL },
	{ "status-short", "HTTP/1.1 20 X\r\n\r\n", 0, 0, NULL, NULL },
	{ "no-end", "HTTP/1.1 200 OK\r\nX: y\r\n", 0, 0, NULL, NULL },
	{ "empty", "", 0, 0, NULL, NULL },
};

static void
test_responses(void)
{
	struct http_response r;
	const char *why;
	char name[64];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(responses) / sizeof(responses[0]); i++) {
		const struct rcase *c = &responses[i];

		snprintf(name, sizeof(name), "http-response-%s", c->name);
		rc = http_response_parse((const uint8_t *)c->in, strlen(c->in),
		    &r, &why);
		if (!c->ok)
			UNIT_OK(name, rc == -1);
		else
			UNIT_OK(name, rc == 0 && r.status == c->status &&
			    r.bodylen == strlen(c->body) &&
			    memcmp(r.body, c->body, r.bodylen) == 0 &&
			    strcmp(r.location, c->location) == 0);
	}
}

/* A head past HTTP_HEAD_MAX, and one of too many headers, are refused. */
static void
test_bounds(void)
{
	static char big[HTTP_HEAD_MAX + 64];
	struct http_response r;
	const char *why;
	size_t n = 0;
	int i;

	n += (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nX: ");
	memset(big + n, 'a', HTTP_HEAD_MAX);
	n += HTTP_HEAD_MAX;
	memcpy(big + n, "\r\n\r\nB", 5);
	UNIT_OK("http-head-too-long", http_response_parse((uint8_t *)big, n + 5,
	    &r, &why) == -1);
	n = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < 101; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X%d: y\r\n", i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\nB");
	UNIT_OK("http-too-many-headers", http_response_parse((uint8_t *)big, n,
	    &r, &why) == -1 && strcmp(why, "too many headers") == 0);
}

int
main(void)
{
	test_urls();
	test_responses();
	test_bounds();
	UNIT_EXIT();
}
