/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz the signer table: the input's first line is a client address (as
 * smtpd's link-connect or -i give it), its second a login, the rest a
 * table in smtpd's senders format.  A table that loads is asked about a
 * few senders; a failed load must say where.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signers.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The next line of [*p, end) as a string (at most 255 octets kept). */
static void
next_line(const char **p, const char *end, char *out, size_t outsz)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = (size_t)((nl ? nl : end) - *p);

	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p = nl ? nl + 1 : end;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const senders[] = { "", "alice@a.example",
	    "x@b.example", "@", "a@b@c", "ALICE@A.EXAMPLE" };
	const char *p = (const char *)data, *end = p + size;
	struct signers_client c;
	struct signers *s;
	char src[256], login[256], err[300], how[200];
	size_t i;

	next_line(&p, end, src, sizeof(src));
	next_line(&p, end, login, sizeof(login));
	if ((s = signers_new()) == NULL)
		return 0;
	err[0] = '\0';
	(void)signers_add_trusted(s, src, NULL);	/* as a source, too */
	if (signers_parse_table(s, p, (size_t)(end - p), "fuzz", err,
	    sizeof(err)) == -1) {
		if (strncmp(err, "fuzz", 4) != 0)
			abort();
		signers_free(s);
		return 0;
	}
	c.login = login[0] ? login : NULL;
	c.src = src;
	for (i = 0; i < sizeof(senders) / sizeof(senders[0]); i++) {
		how[0] = '\0';
		if (signers_may(s, &c, senders[i], how, sizeof(how)) &&
		    senders[i][0] == '\0')
			abort();	/* the null sender is nobody */
		if (how[0] == '\0')
			abort();
	}
	signers_free(s);
	return 0;
}
