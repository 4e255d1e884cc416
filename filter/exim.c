/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Exim transport filter support: find the Exim message id in the input,
 * for the syslog lines of -e.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/*
 * The first Received: header (the one Exim added on reception) ends with
 * "id 1tAbCd-000123-Xy" (4.96; later versions use longer ids), perhaps
 * followed by "for <rcpt>;".  Copy the id into dst; 0 if there is none.
 * Only the header section is looked at.
 */
size_t
log_exim_id(const char *msg, size_t len, char *dst, size_t dstsz)
{
	const char *p = msg, *end = msg + len, *eol, *h = NULL, *hend;
	size_t n;

	if (dstsz == 0)
		return 0;
	dst[0] = '\0';
	/* find the header and its continuation lines */
	while (p < end && *p != '\n' && !(*p == '\r' && p + 1 < end &&
	    p[1] == '\n')) {
		eol = memchr(p, '\n', (size_t)(end - p));
		eol = eol ? eol + 1 : end;
		if (h == NULL && (size_t)(eol - p) > 9 &&
		    strncasecmp(p, "Received:", 9) == 0)
			h = p;
		else if (h != NULL && *p != ' ' && *p != '\t')
			break;
		p = eol;
	}
	if (h == NULL)
		return 0;
	hend = p;
	for (p = h + 9; p + 4 < hend; p++) {
		if (!isspace((unsigned char)p[-1]) || p[0] != 'i' ||
		    p[1] != 'd' || !isspace((unsigned char)p[2]))
			continue;
		p += 3;
		while (p < hend && isspace((unsigned char)*p))
			p++;
		for (n = 0; p + n < hend && n + 1 < dstsz &&
		    (isalnum((unsigned char)p[n]) || p[n] == '-'); n++)
			dst[n] = p[n];
		dst[n] = '\0';
		if (n > 0)
			return n;
	}
	return 0;
}
