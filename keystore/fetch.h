/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * One fetch over HTTP in a child process of its own, for smimectl's
 * crl fetch and ocsp fetch.  The child connects and sends the request,
 * enters the sandbox (keystore/sandbox.h: no file opened, no new
 * socket), reads the response, and runs the caller's check on the body
 * there; only a body that passed comes back to the parent, which must
 * check it again before anything but our own readers parse it.
 * Redirects to http:// URLs are followed, FETCH_REDIRECTS at most (a
 * GET's: a POST is not sent again elsewhere).
 */
#ifndef FETCH_H
#define FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define FETCH_REDIRECTS	3
#define FETCH_TEXT_MAX	(HTTP_LOCATION_MAX + 64)

/* In the sandbox: 0 to send body back, -1 with why to refuse it. */
typedef int	(*fetch_check_fn)(void *, const uint8_t *, size_t, char *,
		    size_t);

struct fetch_req {
	const char		*url;
	const struct http_body	*post;		/* NULL: GET */
	int			 timeout;	/* seconds, redirects included */
	size_t			 max_size;	/* octets of body */
	fetch_check_fn		 check;
	void			*arg;
};

enum fetch_kind {
	FETCH_BODY,		/* body, checked in the sandbox */
	FETCH_FAILED,		/* not fetched: the next try may do better */
	FETCH_REFUSED,		/* fetched, refused by the check */
};

struct fetch_answer {
	enum fetch_kind	 kind;
	char		 text[FETCH_TEXT_MAX];	/* why, when not BODY */
	uint8_t		*body;			/* BODY: malloc'd */
	size_t		 len;
};

void	 fetch_run(const struct fetch_req *, struct fetch_answer *);
void	 fetch_answer_free(struct fetch_answer *);

#endif /* FETCH_H */
