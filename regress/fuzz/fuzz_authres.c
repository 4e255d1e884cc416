/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * libFuzzer target for RFC 8601 reading and writing (smime/authres.c).
 * The input is taken as an Authentication-Results field body (its
 * authserv-id read and compared) and as raw certificate or message text
 * put through the value and comment writers.  Properties checked:
 *	- an authserv-id read back is NUL-terminated and fits;
 *	- a written value is a token, a plain addr-spec or one quoted-string
 *	  whose every '"' and '\' is escaped, printable ASCII only;
 *	- a written comment has every '(', ')' and '\' escaped, so it
 *	  closes where we close it; printable ASCII only;
 *	- what the writer makes of printable text, the reader reads back as
 *	  that text: an authserv-id we write is the one we compare.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
printable_or_die(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			abort();
	if (s[n] != '\0')
		abort();
}

/* Walks a quoted-string: ends exactly at n, escapes balanced. */
static void
quoted_or_die(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		abort();
	for (i = 1; i < n - 1; i++) {
		if (s[i] == '\\') {
			if (++i >= n - 1)
				abort();
			continue;
		}
		if (s[i] == '"')
			abort();
	}
}

static void
comment_or_die(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\') {
			if (++i >= n)
				abort();
			continue;
		}
		if (s[i] == '(' || s[i] == ')')
			abort();
	}
}

static void
roundtrip_or_die(const char *s)
{
	char out[2 * AUTHRES_ID_MAX + 8], back[AUTHRES_ID_MAX + 3];
	size_t i, n = strlen(s);

	if (n == 0 || n > AUTHRES_ID_MAX)
		return;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return;
	if (authres_value(out, sizeof(out), s, AUTHRES_ID_MAX, 0) == 0 ||
	    authres_servid(out, strlen(out), back, sizeof(back)) != 0 ||
	    strcmp(back, s) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[AUTHRES_ID_MAX + 3], out[512], *s;
	size_t n, maxlen;
	int rc;

	rc = authres_servid((const char *)data, size, id, sizeof(id));
	if (rc == 0 && strlen(id) >= sizeof(id))
		abort();
	(void)authres_claims((const char *)data, size, "mx.test.example");
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	maxlen = size > 0 ? 4 + data[0] % 250 : 100;
	n = authres_value(out, sizeof(out), s, maxlen, size > 1 && data[1] & 1);
	if (n > 0) {
		printable_or_die(out, n);
		if (out[0] == '"')
			quoted_or_die(out, n);
		else if (strchr(out, '"') != NULL || strchr(out, '\\') != NULL ||
		    strchr(out, ' ') != NULL || strchr(out, ';') != NULL)
			abort();
	} else if (s[0] != '\0')
		abort();
	roundtrip_or_die(s);
	n = authres_comment(out, sizeof(out), s, maxlen);
	printable_or_die(out, n);
	comment_or_die(out, n);
	free(s);
	return 0;
}
