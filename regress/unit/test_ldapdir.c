/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Directory filters (keystore/ldapdir.c): the address goes into the
 * template with RFC 4515's escapes, so no address can widen a search;
 * templates with no or two %s, and results that do not fit, are
 * refused.
 */
#include <string.h>

#include "ldapdir.h"
#include "unit.h"

static int
made(const char *tmpl, const char *addr, const char *want)
{
	char out[LDAPDIR_FILTER_MAX];

	return ldapdir_filter(tmpl, addr, out, sizeof(out)) == 0 &&
	    strcmp(out, want) == 0;
}

int
main(void)
{
	char small[16];

	UNIT_OK("filter.plain", made("(mail=%s)", "alice@example.org",
	    "(mail=alice@example.org)"));
	UNIT_OK("filter.star", made("(mail=%s)", "*", "(mail=\\2a)"));
	UNIT_OK("filter.parens", made("(mail=%s)", "x)(mail=*",
	    "(mail=x\\29\\28mail=\\2a)"));
	UNIT_OK("filter.backslash", made("(mail=%s)", "a\\2a",
	    "(mail=a\\5c2a)"));
	UNIT_OK("filter.compound", made("(&(objectClass=person)(|(mail=%s)))",
	    "b@x", "(&(objectClass=person)(|(mail=b@x)))"));
	UNIT_OK("filter.utf8-kept", made("(mail=%s)", "j\xc3\xbcrgen@x",
	    "(mail=j\xc3\xbcrgen@x)"));
	UNIT_OK("filter.no-pct", ldapdir_filter("(mail=x)", "a", small,
	    sizeof(small)) == -1);
	UNIT_OK("filter.two-pct", ldapdir_filter("(|(mail=%s)(cn=%s))", "a",
	    small, sizeof(small)) == -1);
	UNIT_OK("filter.fits-exactly", ldapdir_filter("(m=%s)", "12345678",
	    small, sizeof(small)) == 0 && strcmp(small, "(m=12345678)") == 0);
	UNIT_OK("filter.too-long", ldapdir_filter("(mail=%s)",
	    "0123456789abcdef", small, sizeof(small)) == -1);
	UNIT_OK("filter.escape-too-long", ldapdir_filter("(m=%s)", "*****",
	    small, sizeof(small)) == -1);
	UNIT_EXIT();
}
