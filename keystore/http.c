/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* HTTP/1.0 GET for CRLs (http.h). */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define HTTP_HEADERS_MAX	100

/* ---- URL ------------------------------------------------------------ */

static int
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

static int
copy_span(char *dst, size_t dstsz, const char *p, size_t n)
{
	if (n == 0 || n >= dstsz)
		return -1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

/* host, [v6] or host:port; the authority is p[0..n) */
static int
parse_authority(const char *p, size_t n, struct http_url *u)
{
	const char *colon = NULL, *end = p + n, *q;
	long port = 80;

	if (n > 0 && p[0] == '[') {
		if ((q = memchr(p, ']', n)) == NULL || copy_span(u->host,
		    sizeof(u->host), p + 1, (size_t)(q - p - 1)) == -1)
			return -1;
		for (q = p + 1; *q != ']'; q++)
			if (!(host_char(*q) || *q == ':'))
				return -1;
		q++;
		if (q < end && *q != ':')
			return -1;
		colon = q < end ? q : NULL;
	} else {
		colon = memchr(p, ':', n);
		if (copy_span(u->host, sizeof(u->host), p,
		    (size_t)((colon ? colon : end) - p)) == -1)
			return -1;
		for (q = u->host; *q; q++)
			if (!host_char(*q))
				return -1;
	}
	if (colon != NULL) {
		if (colon + 1 == end || end - colon > 6)
			return -1;
		port = 0;
		for (q = colon + 1; q < end; q++) {
			if (*q < '0' || *q > '9')
				return -1;
			port = port * 10 + (*q - '0');
		}
		if (port < 1 || port > 65535)
			return -1;
	}
	snprintf(u->port, sizeof(u->port), "%ld", port);
	return 0;
}

int
http_url_parse(const char *url, struct http_url *u, const char **why)
{
	const char *p, *q;
	size_t n;

	memset(u, 0, sizeof(*u));
	*why = "not an http:// URL";
	if (strncasecmp(url, "http://", 7) != 0)
		return -1;
	p = url + 7;
	n = strcspn(p, "/?#");
	*why = "bad host or port";
	if (memchr(p, '@', n) != NULL || parse_authority(p, n, u) == -1)
		return -1;
	p += n;
	*why = "bad path";
	n = strcspn(p, "#");
	for (q = p; q < p + n; q++)
		if (*q <= 0x20 || *q >= 0x7f)
			return -1;
	if (n + 1 >= sizeof(u->path))
		return -1;
	if (n == 0 || p[0] != '/')
		u->path[0] = '/';
	memcpy(u->path + strlen(u->path), p, n);
	return 0;
}

/* ---- network ---------------------------------------------------------- */

long long
http_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline: 1 ready, 0 timed out, -1. */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd;
	long long left;
	int n;

	for (;;) {
		if ((left = deadline - http_now()) <= 0)
			return 0;
		pfd.fd = fd;
		pfd.events = events;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

static int
connect_one(const struct addrinfo *ai, long long deadline, const char **why)
{
	socklen_t sl = sizeof(int);
	int fd, err = 0;

	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol)) == -1) {
		*why = strerror(errno);
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		*why = strerror(errno);
	else if (wait_fd(fd, POLLOUT, deadline) != 1)
		*why = "connection timed out";
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
	    err != 0)
		*why = strerror(err ? err : errno);
	else
		return fd;
	close(fd);
	return -1;
}

int
http_connect(const struct http_url *u, long long deadline, const char **why)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(u->host, u->port, &hints, &res)) != 0) {
		*why = gai_strerror(rc);
		return -1;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = connect_one(ai, deadline, why);
	freeaddrinfo(res);
	return fd;
}

/* Write all of p before the deadline; 0 or -1 (why says). */
static int
send_all(int fd, const void *p, size_t n, long long deadline,
    const char **why)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, b, n)) > 0) {
			b += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno != EAGAIN && errno != EINTR) {
			*why = strerror(errno);
			return -1;
		}
		if (wait_fd(fd, POLLOUT, deadline) != 1) {
			*why = "timed out sending the request";
			return -1;
		}
	}
	return 0;
}

int
http_send_request(int fd, const struct http_url *u, const struct http_body *b,
    long long deadline, const char **why)
{
	char req[HTTP_PATH_MAX + HTTP_HOST_MAX + 512], clen[64] = "";
	int v6 = strchr(u->host, ':') != NULL, n;

	if (b != NULL)
		snprintf(clen, sizeof(clen), "Content-Length: %zu\r\n", b->len);
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\n"
	    "Host: %s%s%s%s%s\r\n"
	    "User-Agent: smimectl\r\n"
	    "Accept: %s, */*\r\n"
	    "%s%s%s%s"
	    "Connection: close\r\n\r\n", b ? "POST" : "GET", u->path,
	    v6 ? "[" : "", u->host, v6 ? "]" : "",
	    strcmp(u->port, "80") ? ":" : "",
	    strcmp(u->port, "80") ? u->port : "",
	    b ? b->accept : "application/pkix-crl",
	    b ? "Content-Type: " : "", b ? b->type : "", b ? "\r\n" : "",
	    clen);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		*why = "request too long";
		return -1;
	}
	if (send_all(fd, req, (size_t)n, deadline, why) == -1)
		return -1;
	return b ? send_all(fd, b->data, b->len, deadline, why) : 0;
}

int
http_read_all(int fd, size_t max, long long deadline, uint8_t **bufp,
    size_t *lenp, const char **why)
{
	uint8_t *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t r;

	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > max + 1)
				cap = max + 1;
			if (len == cap) {
				*why = "response larger than the size limit";
				break;
			}
			if ((nb = realloc(buf, cap)) == NULL) {
				*why = "out of memory";
				break;
			}
			buf = nb;
		}
		if ((r = read(fd, buf + len, cap - len)) > 0) {
			len += (size_t)r;
			continue;
		}
		if (r == 0) {
			*bufp = buf;
			*lenp = len;
			return 0;
		}
		if (errno != EAGAIN && errno != EINTR) {
			*why = strerror(errno);
			break;
		}
		if (wait_fd(fd, POLLIN, deadline) != 1) {
			*why = "timed out reading the response";
			break;
		}
	}
	free(buf);
	return -1;
}

/* ---- response ------------------------------------------------------ */

/* The end of the line at p (its CR LF or LF excluded), NULL if none. */
static const uint8_t *
line_end(const uint8_t *p, const uint8_t *end, const uint8_t **next)
{
	const uint8_t *lf = memchr(p, '\n', (size_t)(end - p));

	if (lf == NULL)
		return NULL;
	*next = lf + 1;
	return lf > p && lf[-1] == '\r' ? lf - 1 : lf;
}

static int
status_line(const uint8_t *p, const uint8_t *e, int *status)
{
	if (e - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' ||
	    p[7] > '9' || p[8] != ' ' || p[9] < '1' || p[9] > '5' ||
	    p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
	    (e - p > 12 && p[12] != ' '))
		return -1;
	*status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	return 0;
}

static int
token_char(uint8_t c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?={}", c) ==
	    NULL;
}

/* One header line: its name and value (blanks around the value cut). */
static int
header_split(const uint8_t *p, const uint8_t *e, size_t *namelen,
    const uint8_t **val, size_t *vallen)
{
	const uint8_t *q = p;

	while (q < e && token_char(*q))
		q++;
	if (q == p || q == e || *q != ':')
		return -1;
	*namelen = (size_t)(q - p);
	for (q++; q < e && (*q == ' ' || *q == '\t'); q++)
		;
	while (e > q && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*val = q;
	*vallen = (size_t)(e - q);
	return 0;
}

static int
name_is(const uint8_t *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp((const char *)p, name, n) == 0;
}

static int
content_length(const uint8_t *v, size_t n, size_t *cl)
{
	size_t x = 0, i;

	if (n == 0 || n > 15)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (size_t)(v[i] - '0');
	}
	*cl = x;
	return 0;
}

struct headers {
	size_t	 cl;
	int	 have_cl;
};

/* One header that matters; the others are read past. */
static int
header_take(struct headers *h, struct http_response *r, const uint8_t *p,
    const uint8_t *e, const char **why)
{
	const uint8_t *v;
	size_t nl, vl, cl;

	*why = "malformed header";
	if (p < e && (*p == ' ' || *p == '\t'))
		return -1;		/* obsolete line folding */
	if (header_split(p, e, &nl, &v, &vl) == -1)
		return -1;
	if (name_is(p, nl, "Content-Length")) {
		*why = "bad or repeated Content-Length";
		if (content_length(v, vl, &cl) == -1 ||
		    (h->have_cl && h->cl != cl))
			return -1;
		h->cl = cl;
		h->have_cl = 1;
	} else if (name_is(p, nl, "Transfer-Encoding")) {
		*why = "Transfer-Encoding in an HTTP/1.0 exchange";
		return -1;
	} else if (name_is(p, nl, "Location")) {
		*why = "bad Location";
		if (vl == 0 || vl > HTTP_LOCATION_MAX ||
		    memchr(v, '\0', vl) != NULL)
			return -1;
		memcpy(r->location, v, vl);
		r->location[vl] = '\0';
	}
	return 0;
}

int
http_response_parse(const uint8_t *buf, size_t len, struct http_response *r,
    const char **why)
{
	const uint8_t *end = buf + (len > HTTP_HEAD_MAX ? HTTP_HEAD_MAX : len);
	const uint8_t *p = buf, *e, *next;
	struct headers h;
	size_t nheaders = 0;

	memset(r, 0, sizeof(*r));
	memset(&h, 0, sizeof(h));
	*why = "no HTTP status line";
	if ((e = line_end(p, end, &next)) == NULL ||
	    status_line(p, e, &r->status) == -1)
		return -1;
	for (p = next;; p = next) {
		*why = "headers too long or unterminated";
		if ((e = line_end(p, end, &next)) == NULL)
			return -1;
		if (e == p)
			break;		/* the empty line */
		if (++nheaders > HTTP_HEADERS_MAX) {
			*why = "too many headers";
			return -1;
		}
		if (header_take(&h, r, p, e, why) == -1)
			return -1;
	}
	r->body = next;
	r->bodylen = len - (size_t)(next - buf);
	if (h.have_cl && h.cl != r->bodylen) {
		*why = h.cl > r->bodylen ? "body shorter than Content-Length" :
		    "data past Content-Length";
		return -1;
	}
	return 0;
}
