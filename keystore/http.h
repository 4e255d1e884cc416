/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The little HTTP client that CRL fetching (RFC 5280 4.2.1.13) and
 * OCSP (RFC 6960 A.1) need: both are published over plain HTTP, and
 * their signatures, not the transport, are what is trusted.  HTTP/1.0
 * GET or POST, one response read to the end within a deadline and a
 * size bound, no chunked coding, no proxy.  The response parser sees hostile bytes: it allocates
 * nothing, bounds the header section, and is fuzzed
 * (regress/fuzz/fuzz_http.c).
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_HOST_MAX		253
#define HTTP_PATH_MAX		1024
#define HTTP_HEAD_MAX		16384	/* status line and headers */
#define HTTP_LOCATION_MAX	1024

struct http_url {
	char		 host[HTTP_HOST_MAX + 1];	/* no brackets */
	char		 port[6];
	char		 path[HTTP_PATH_MAX + 1];	/* with its query */
};

struct http_response {
	int		 status;
	const uint8_t	*body;
	size_t		 bodylen;
	char		 location[HTTP_LOCATION_MAX + 1];	/* 3xx */
};

/* 0, or -1 when url is not an http:// URL we take (why says). */
int	 http_url_parse(const char *, struct http_url *, const char **);
/*
 * The deadlines below are CLOCK_MONOTONIC milliseconds (http_now()):
 * one for the whole fetch, so a slow server cannot stretch it.
 */
long long http_now(void);
/* A connected, non-blocking socket to the URL's host, or -1 (why says). */
int	 http_connect(const struct http_url *, long long, const char **);
/* A POST's body: its Content-Type, and what is accepted back. */
struct http_body {
	const char	*type;
	const char	*accept;
	const uint8_t	*data;
	size_t		 len;
};

/* Send a GET (no body) or a POST; 0 or -1 (why says). */
int	 http_send_request(int, const struct http_url *,
	    const struct http_body *, long long, const char **);
/* Read until the peer closes, at most max octets; *buf is malloc'd. */
int	 http_read_all(int, size_t, long long, uint8_t **, size_t *,
	    const char **);
/* 0, or -1 when buf is not one HTTP/1.x response we take (why says). */
int	 http_response_parse(const uint8_t *, size_t, struct http_response *,
	    const char **);

#endif /* HTTP_H */
