/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * RFC 5322 address lists (smime/addr.c), as an attacker would write
 * them: comments and quoted display names holding addresses, encoded
 * words, groups, several mailboxes, folds, NUL, 8-bit, very long input.
 * Each case states the result code, the mailbox count and the
 * addr-specs expected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "unit.h"

struct acase {
	const char	*name;
	const char	*in;
	int		 rc;
	size_t		 count;
	const char	*spec[3];
};

static const struct acase cases[] = {
	/* plain forms */
	{ "bare", "alice@example.org", ADDR_OK, 1, { "alice@example.org" } },
	{ "angle", "<alice@example.org>", ADDR_OK, 1, { "alice@example.org" } },
	{ "name-angle", "Alice <alice@example.org>", ADDR_OK, 1,
	    { "alice@example.org" } },
	{ "domain-lowercased", "Alice <Alice.Smith@EXAMPLE.Org>", ADDR_OK, 1,
	    { "Alice.Smith@example.org" } },
	{ "leading-space", "   alice@example.org  ", ADDR_OK, 1,
	    { "alice@example.org" } },
	{ "phrase-dots", "J. R. Doe <jrd@example.org>", ADDR_OK, 1,
	    { "jrd@example.org" } },
	{ "atext-local", "a!#$%&'*+-/=?^_`{|}~b@example.org", ADDR_OK, 1,
	    { "a!#$%&'*+-/=?^_`{|}~b@example.org" } },
	/* comments never hold an address */
	{ "comment-evil-angle", "(<evil@x.example>) real@example.org", ADDR_OK,
	    1, { "real@example.org" } },
	{ "comment-after", "real@example.org (rsa@example.org)", ADDR_OK, 1,
	    { "real@example.org" } },
	{ "comment-in-name", "Real (see <rsa@example.org>) <real@example.org>",
	    ADDR_OK, 1, { "real@example.org" } },
	{ "comment-nested", "((a) (b (<evil@x>)) c) real@example.org", ADDR_OK,
	    1, { "real@example.org" } },
	{ "comment-escaped-paren", "(a \\) <evil@x> \\( b) real@example.org",
	    ADDR_OK, 1, { "real@example.org" } },
	{ "comment-only-address", "(rsa@example.org)", ADDR_E_EMPTY, 0, { 0 } },
	{ "comment-in-addr-spec", "real(c)@(c)example.org(c)", ADDR_OK, 1,
	    { "real@example.org" } },
	{ "comment-inside-angle", "<(x@y) real@example.org (z@w)>", ADDR_OK, 1,
	    { "real@example.org" } },
	{ "comment-unterminated", "(a real@example.org", ADDR_E_UNTERM, 0,
	    { 0 } },
	{ "comment-close-stray", "real@example.org)", ADDR_E_SYNTAX, 0, { 0 } },
	/* quoted strings */
	{ "quoted-name-at", "\"rsa@example.org\" <real@example.org>", ADDR_OK, 1,
	    { "real@example.org" } },
	{ "quoted-name-angle", "\"<rsa@example.org>\" <real@example.org>",
	    ADDR_OK, 1, { "real@example.org" } },
	{ "quoted-name-alone", "\"rsa@example.org\"", ADDR_E_NOAT, 0, { 0 } },
	{ "quoted-pair", "\"a \\\" b\" <real@example.org>", ADDR_OK, 1,
	    { "real@example.org" } },
	{ "quoted-local", "\"john doe\"@example.org", ADDR_OK, 1,
	    { "\"john doe\"@example.org" } },
	{ "quoted-local-pair", "\"a\\\"b\"@example.org", ADDR_OK, 1,
	    { "\"a\\\"b\"@example.org" } },
	{ "quoted-unterminated", "\"a <real@example.org>", ADDR_E_UNTERM, 0,
	    { 0 } },
	{ "quoted-then-at-then-angle", "\"a\"@b.example <c@d.example>",
	    ADDR_E_SYNTAX, 0, { 0 } },
	/* RFC 2047 encoded words */
	{ "eword-name", "=?utf-8?q?Alice?= <alice@example.org>", ADDR_OK, 1,
	    { "alice@example.org" } },
	{ "eword-holding-at", "=?utf-8?q?rsa@example.org?= <real@example.org>",
	    ADDR_OK, 1, { "real@example.org" } },
	{ "eword-holding-angle",
	    "=?utf-8?q?<rsa@example.org>?= <real@example.org>", ADDR_OK, 1,
	    { "real@example.org" } },
	{ "eword-alone", "=?utf-8?q?rsa@example.org?=", ADDR_E_EWORD, 0,
	    { 0 } },
	{ "eword-b64", "=?UTF-8?B?w4RsaWNl?= <alice@example.org>", ADDR_OK, 1,
	    { "alice@example.org" } },
	{ "eword-local", "=?a?q?b?=@example.org", ADDR_E_EWORD, 0, { 0 } },
	{ "eword-in-angle", "<=?a?q?x?=@example.org>", ADDR_E_EWORD, 0, { 0 } },
	{ "eword-domain", "a@=?a?q?x?=", ADDR_E_EWORD, 0, { 0 } },
	/* several mailboxes, groups */
	{ "two-mailboxes", "a@example.org, b@example.org", ADDR_OK, 2,
	    { "a@example.org", "b@example.org" } },
	{ "two-named", "A <a@example.org>, \"B, Jr.\" <b@example.org>",
	    ADDR_OK, 2, { "a@example.org", "b@example.org" } },
	{ "null-members", ",a@example.org,,", ADDR_OK, 1, { "a@example.org" } },
	{ "only-commas", " , ,", ADDR_E_EMPTY, 0, { 0 } },
	{ "group-empty", "undisclosed-recipients:;", ADDR_OK, 0, { 0 } },
	{ "group-empty-spaced", "Undisclosed recipients : ; ", ADDR_OK, 0,
	    { 0 } },
	{ "group-one", "Team: a@example.org;", ADDR_OK, 1, { "a@example.org" } },
	{ "group-two", "Team: a@example.org, B <b@example.org>;", ADDR_OK, 2,
	    { "a@example.org", "b@example.org" } },
	{ "group-and-mailbox", "T: a@example.org;, c@example.org", ADDR_OK, 2,
	    { "a@example.org", "c@example.org" } },
	{ "mailbox-and-empty-group", "a@example.org, \"ceo@bank.example\":;",
	    ADDR_OK, 1, { "a@example.org" } },
	{ "group-nested", "A: B: a@example.org;;", ADDR_E_GROUP, 0, { 0 } },
	{ "group-open", "Team: a@example.org", ADDR_E_GROUP, 0, { 0 } },
	{ "group-no-name", ": a@example.org;", ADDR_E_SYNTAX, 0, { 0 } },
	{ "semicolon-stray", "a@example.org;", ADDR_E_SYNTAX, 0, { 0 } },
	{ "juxtaposed", "a@example.org b@example.org", ADDR_E_SYNTAX, 0, { 0 } },
	{ "two-angles", "A <a@example.org> <b@example.org>", ADDR_E_SYNTAX, 0,
	    { 0 } },
	{ "addr-then-angle", "a@example.org <b@example.org>", ADDR_E_SYNTAX, 0,
	    { 0 } },
	/* null and broken */
	{ "null-path", "<>", ADDR_E_NULL, 0, { 0 } },
	{ "null-path-named", "Nobody <>", ADDR_E_NULL, 0, { 0 } },
	{ "null-path-spaced", "< >", ADDR_E_NULL, 0, { 0 } },
	{ "empty", "", ADDR_E_EMPTY, 0, { 0 } },
	{ "blank", " \t ", ADDR_E_EMPTY, 0, { 0 } },
	{ "no-at", "alice", ADDR_E_NOAT, 0, { 0 } },
	{ "no-at-angle", "Alice <alice>", ADDR_E_NOAT, 0, { 0 } },
	{ "no-domain", "alice@", ADDR_E_SYNTAX, 0, { 0 } },
	{ "no-local", "@example.org", ADDR_E_SYNTAX, 0, { 0 } },
	{ "double-at", "a@b@example.org", ADDR_E_SYNTAX, 0, { 0 } },
	{ "unclosed-angle", "Alice <alice@example.org", ADDR_E_SYNTAX, 0,
	    { 0 } },
	{ "stray-gt", "alice@example.org>", ADDR_E_SYNTAX, 0, { 0 } },
	{ "lone-gt", ">", ADDR_E_SYNTAX, 0, { 0 } },
	{ "local-double-dot", "a..b@example.org", ADDR_E_SYNTAX, 0, { 0 } },
	{ "local-leading-dot", ".a@example.org", ADDR_E_SYNTAX, 0, { 0 } },
	{ "local-trailing-dot", "a.@example.org", ADDR_E_SYNTAX, 0, { 0 } },
	{ "local-two-words", "john doe@example.org", ADDR_E_SYNTAX, 0, { 0 } },
	{ "domain-trailing-dot", "a@example.org.", ADDR_E_SYNTAX, 0, { 0 } },
	{ "garbage", "\\\\\\", ADDR_E_SYNTAX, 0, { 0 } },
	{ "brackets", "]a@b", ADDR_E_SYNTAX, 0, { 0 } },
	/* obsolete forms */
	{ "obs-local-cfws", "john . doe @ example . org", ADDR_OK, 1,
	    { "john.doe@example.org" } },
	{ "obs-local-mixed", "\"j\".doe@example.org", ADDR_OK, 1,
	    { "\"j\".doe@example.org" } },
	{ "obs-route", "<@relay.example,@other.example:a@example.org>", ADDR_OK,
	    1, { "a@example.org" } },
	{ "domain-literal", "a@[192.0.2.1]", ADDR_OK, 1, { "a@[192.0.2.1]" } },
	{ "domain-literal-open", "a@[192.0.2.1", ADDR_E_UNTERM, 0, { 0 } },
	/* folding, controls, 8-bit */
	{ "folded-crlf", "Alice\r\n <alice@example.org>", ADDR_OK, 1,
	    { "alice@example.org" } },
	{ "folded-lf", "Alice\n\t<alice@example.org>", ADDR_OK, 1,
	    { "alice@example.org" } },
	{ "folded-in-comment", "(a\r\n b) alice@example.org", ADDR_OK, 1,
	    { "alice@example.org" } },
	{ "folded-in-quoted-local", "\"a\r\n b\"@example.org", ADDR_OK, 1,
	    { "\"a b\"@example.org" } },
	{ "folded-list", "a@example.org,\r\n b@example.org", ADDR_OK, 2,
	    { "a@example.org", "b@example.org" } },
	{ "trailing-crlf", "alice@example.org\r\n", ADDR_OK, 1,
	    { "alice@example.org" } },
	{ "bare-cr", "Alice\r<alice@example.org>", ADDR_E_CTRL, 0, { 0 } },
	{ "bare-lf-nofold", "Alice\n<alice@example.org>", ADDR_E_CTRL, 0,
	    { 0 } },
	{ "lf-header-injection", "a@example.org\nFrom: b@example.org",
	    ADDR_E_CTRL, 0, { 0 } },
	{ "control", "ali\x01" "ce@example.org", ADDR_E_CTRL, 0, { 0 } },
	{ "del", "alice\x7f@example.org", ADDR_E_CTRL, 0, { 0 } },
	{ "quoted-pair-ctl", "\"a\\\x12" "b\"@example.org", ADDR_E_CTRL, 0, { 0 } },
	{ "comment-pair-ctl", "(a\\\x1b" ") b@example.org", ADDR_E_CTRL, 0, { 0 } },
	{ "quoted-pair-tab", "\"a\\\tb\"@example.org", ADDR_OK, 1,
	    { "\"a\\\tb\"@example.org" } },
	{ "8bit-name", "J\xc3\xbcrgen <j@example.org>", ADDR_OK, 1,
	    { "j@example.org" } },
	{ "8bit-quoted-name", "\"J\xc3\xbcrgen\" <j@example.org>", ADDR_OK, 1,
	    { "j@example.org" } },
	{ "8bit-comment", "(\xff\xfe) j@example.org", ADDR_OK, 1,
	    { "j@example.org" } },
	{ "8bit-local", "j\xc3\xbc@example.org", ADDR_E_8BIT, 0, { 0 } },
	{ "8bit-domain", "j@ex\xc3\xa4mple.org", ADDR_E_8BIT, 0, { 0 } },
	{ "8bit-quoted-local", "\"j\xc3\xbc\"@example.org", ADDR_E_8BIT, 0,
	    { 0 } },
};

static void
run_case(const struct acase *c)
{
	struct addr_list l;
	char name[128];
	size_t i;
	int rc;

	snprintf(name, sizeof(name), "addr-%s", c->name);
	rc = addr_parse_mailboxes(c->in, strlen(c->in), &l);
	if (rc != c->rc) {
		UNIT_FAIL(name, "rc %d (%s), want %d (%s)", rc,
		    addr_strerror(rc), c->rc, addr_strerror(c->rc));
		return;
	}
	if (rc != ADDR_OK) {
		UNIT_PASS(name);
		return;
	}
	if (l.count != c->count) {
		UNIT_FAIL(name, "count %zu, want %zu", l.count, c->count);
		return;
	}
	for (i = 0; i < c->count && i < 3; i++)
		if (strcmp(l.mb[i].spec, c->spec[i]) != 0) {
			UNIT_FAIL(name, "mailbox %zu \"%s\", want \"%s\"", i,
			    l.mb[i].spec, c->spec[i]);
			return;
		}
	UNIT_PASS(name);
}

/* A NUL inside the field is refused, not taken as its end. */
static void
test_nul(void)
{
	static const char in[] = "evil@x.example\0<real@example.org>";
	static const char in2[] = "(a\0b) real@example.org";
	static const char in3[] = "\"a\0b\" <real@example.org>";
	struct addr_list l;

	UNIT_OK("addr-nul-after-addr", addr_parse_mailboxes(in, sizeof(in) - 1,
	    &l) == ADDR_E_CTRL);
	UNIT_OK("addr-nul-in-comment", addr_parse_mailboxes(in2,
	    sizeof(in2) - 1, &l) == ADDR_E_CTRL);
	UNIT_OK("addr-nul-in-quoted", addr_parse_mailboxes(in3,
	    sizeof(in3) - 1, &l) == ADDR_E_CTRL);
}

/* Lengths are honoured: what lies past len is never read. */
static void
test_len(void)
{
	struct addr_list l;
	const char *s = "a@example.org, b@example.org";

	UNIT_OK("addr-len-prefix", addr_parse_mailboxes(s, 13, &l) == ADDR_OK &&
	    l.count == 1 && strcmp(l.mb[0].spec, "a@example.org") == 0);
	UNIT_OK("addr-len-zero", addr_parse_mailboxes(s, 0, &l) ==
	    ADDR_E_EMPTY);
}

static char *
repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
	char *s;

	if ((s = malloc(hl + ul * n + tl + 1)) == NULL)
		return NULL;
	memcpy(s, head, hl);
	for (i = 0; i < n; i++)
		memcpy(s + hl + i * ul, unit, ul);
	memcpy(s + hl + n * ul, tail, tl + 1);
	return s;
}

/* Deep nesting and long input: no recursion, linear time, bounded out. */
static void
test_long(void)
{
	struct addr_list l;
	char *s;
	int rc;

	if ((s = repeat("", "(", 1000000, "")) != NULL) {
		UNIT_OK("addr-long-open-comments", addr_parse_mailboxes(s,
		    strlen(s), &l) == ADDR_E_UNTERM);
		free(s);
	}
	s = repeat("", "(", 200000, "");
	if (s != NULL) {
		char *t = repeat(s, ")", 200000, " a@example.org");

		if (t != NULL) {
			rc = addr_parse_mailboxes(t, strlen(t), &l);
			UNIT_OK("addr-long-nested-comments", rc == ADDR_OK &&
			    l.count == 1);
			free(t);
		}
		free(s);
	}
	if ((s = repeat("", "a@example.org,", 100000, "")) != NULL) {
		rc = addr_parse_mailboxes(s, strlen(s), &l);
		UNIT_OK("addr-long-many-mailboxes", rc == ADDR_OK &&
		    l.count == 100000 && strcmp(l.mb[ADDR_MAX - 1].spec,
		    "a@example.org") == 0);
		free(s);
	}
	if ((s = repeat("", "a", 400, "@example.org")) != NULL) {
		UNIT_OK("addr-long-local", addr_parse_mailboxes(s, strlen(s),
		    &l) == ADDR_E_LONG);
		free(s);
	}
	if ((s = repeat("", "x ", 500000, "<a@example.org>")) != NULL) {
		rc = addr_parse_mailboxes(s, strlen(s), &l);
		UNIT_OK("addr-long-display-name", rc == ADDR_OK && l.count == 1);
		free(s);
	}
	if ((s = repeat("G: ", "a@example.org, ", 1000, ";")) != NULL) {
		rc = addr_parse_mailboxes(s, strlen(s), &l);
		UNIT_OK("addr-long-group", rc == ADDR_OK && l.count == 1000 &&
		    l.groups == 1 && l.mb[0].in_group);
		free(s);
	}
}

static void
test_eq(void)
{
	UNIT_OK("addr-eq-case", addr_spec_eq("Alice@Example.ORG",
	    "alice@example.org"));
	UNIT_OK("addr-eq-different", !addr_spec_eq("alice@example.org",
	    "alice@example.org.evil"));
	UNIT_OK("addr-strerror", strcmp(addr_strerror(ADDR_E_NULL),
	    "null address <>") == 0);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_nul();
	test_len();
	test_long();
	test_eq();
	UNIT_EXIT();
}
