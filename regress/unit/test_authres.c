/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * RFC 8601 reading and writing (smime/authres.c) and certificate
 * identities (smime/certid.c): authserv-ids in every spelling a sender
 * might use to pass for us, values and comments from hostile text, and
 * a certificate whose subject holds '"', '\', '(', CR, LF, NUL and
 * 8-bit octets (regress/unit/data/hostile_subject.der, made by openssl
 * with raw octets in -subj, then a NUL patched in).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "certid.h"
#include "unit.h"

#define DATA	"regress/unit/data/"
#define OURS	"mx.test.example"

struct ccase {
	const char	*name;
	const char	*in;
	int		 claims;
};

static const struct ccase claims[] = {
	{ "plain", "mx.test.example; smime=pass", 1 },
	{ "no-space", "mx.test.example;smime=pass", 1 },
	{ "case", "  MX.Test.Example.; smime=pass", 1 },
	{ "trailing-dot", "mx.test.example.; smime=pass", 1 },
	{ "quoted", "\"mx.test.example\"; smime=pass", 1 },
	{ "quoted-case-dot", "\"MX.TEST.EXAMPLE.\"; smime=pass", 1 },
	{ "quoted-pair", "\"mx.te\\st.example\"; smime=pass", 1 },
	{ "quoted-spaces", "\" mx.test.example \"; smime=pass", 1 },
	{ "comments", "(c) mx.test.example (c); smime=pass", 1 },
	{ "comment-nested", "((a)(b\\)c)) mx.test.example; smime=pass", 1 },
	{ "folded", "\r\n\tmx.test.example\r\n ; smime=pass", 1 },
	{ "version", "mx.test.example 1; smime=pass", 1 },
	{ "no-result", "mx.test.example; none", 1 },
	{ "id-only", "mx.test.example", 1 },
	{ "ctl-after", "mx.test.example\x01; smime=pass", 1 },
	{ "at-after", "mx.test.example@x; smime=pass", 1 },
	{ "unterminated-comment", "(mx.test.example; smime=pass", 1 },
	{ "unterminated-quote", "\"mx.test.example; smime=pass", 1 },
	{ "empty", "", 1 },
	{ "only-semicolon", "; smime=pass", 1 },
	{ "only-comment", "(mx.test.example)", 1 },
	{ "foreign", "other.example; smime=pass", 0 },
	{ "foreign-quoted", "\"other.example\"; smime=pass", 0 },
	{ "prefix", "mx.test.example.evil; smime=pass", 0 },
	{ "suffix", "evil.mx.test.example; smime=pass", 0 },
	{ "two-dots", "mx.test.example..; smime=pass", 0 },
	{ "comment-holding-ours", "(mx.test.example) other.example; x", 0 },
	{ "8bit", "mx.test.example\xc3\xa4; smime=pass", 0 },
};

static void
test_claims(void)
{
	char name[80];
	size_t i;

	for (i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
		snprintf(name, sizeof(name), "authres-claims-%s", claims[i].name);
		UNIT_OK(name, authres_claims(claims[i].in, strlen(claims[i].in),
		    OURS) == claims[i].claims);
	}
}

static void
test_servid(void)
{
	char id[16], big[300];
	static const char nul[] = "mx.test.example\0; x";
	char *s;

	UNIT_OK("authres-servid-quoted", authres_servid("\"a\\\"b\"; x", 9,
	    id, sizeof(id)) == 0 && strcmp(id, "a\"b") == 0);
	UNIT_OK("authres-servid-too-long", authres_servid(
	    "a-very-long-authserv-id.example; x", 34, id, sizeof(id)) == -2);
	UNIT_OK("authres-servid-nul", authres_claims(nul, sizeof(nul) - 1,
	    OURS) == 1);
	UNIT_OK("authres-servid-len", authres_servid("mx.test.example; x", 2,
	    id, sizeof(id)) == 0 && strcmp(id, "mx") == 0);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	UNIT_OK("authres-claims-very-long", authres_claims(big, strlen(big),
	    OURS) == 0);
	/* a million open comments: bounded time, no stack */
	if ((s = malloc(1000001)) != NULL) {
		memset(s, '(', 1000000);
		s[1000000] = '\0';
		UNIT_OK("authres-claims-deep-comments", authres_claims(s,
		    1000000, OURS) == 1);
		free(s);
	}
	UNIT_OK("authres-id-eq-dot", authres_id_eq("A.B.", 4, "a.b", 3));
	UNIT_OK("authres-id-eq-empty", !authres_id_eq(".", 1, "", 0));
}

struct vcase {
	const char	*name;
	const char	*in;
	int		 addr;
	const char	*out;
};

static const struct vcase values[] = {
	{ "token", "0A1B2C", 0, "0A1B2C" },
	{ "addr", "alice@example.org", 1, "alice@example.org" },
	{ "addr-not-allowed", "alice@example.org", 0, "\"alice@example.org\"" },
	{ "addr-quoted-local", "\"a b\"@example.org", 1,
	    "\"\\\"a b\\\"@example.org\"" },
	{ "addr-two-at", "a@b@example.org", 1, "\"a@b@example.org\"" },
	{ "addr-bad-label", "a@-x.example", 1, "\"a@-x.example\"" },
	{ "addr-empty-label", "a@x..example", 1, "\"a@x..example\"" },
	{ "addr-trailing-dot", "a@x.example.", 1, "\"a@x.example.\"" },
	{ "addr-local-dots", "a..b@x.example", 1, "\"a..b@x.example\"" },
	{ "addr-no-local", "@x.example", 1, "\"@x.example\"" },
	{ "addr-hyphen", "a.b@x-y.example", 1, "a.b@x-y.example" },
	{ "dn", "O=filter-smime test, CN=Test CA", 0,
	    "\"O=filter-smime test, CN=Test CA\"" },
	{ "quote-backslash", "a\"b\\c", 0, "\"a\\\"b\\\\c\"" },
	{ "crlf", "a\r\nb", 0, "\"a??b\"" },
	{ "8bit", "J\xc3\xbcrgen", 0, "\"J??rgen\"" },
	{ "semicolon", "a;b", 0, "\"a;b\"" },
	{ "paren", "(x)", 0, "\"(x)\"" },
};

static void
test_values(void)
{
	char out[128], name[80], long_in[600];
	size_t i, n;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		snprintf(name, sizeof(name), "authres-value-%s", values[i].name);
		n = authres_value(out, sizeof(out), values[i].in, 100,
		    values[i].addr);
		if (n == strlen(values[i].out) && strcmp(out,
		    values[i].out) == 0)
			UNIT_PASS(name);
		else
			UNIT_FAIL(name, "got [%s] want [%s]", out,
			    values[i].out);
	}
	UNIT_OK("authres-value-empty-omitted", authres_value(out, sizeof(out),
	    "", 100, 0) == 0);
	memset(long_in, 'x', sizeof(long_in) - 1);
	long_in[sizeof(long_in) - 1] = '\0';
	n = authres_value(out, sizeof(out), long_in, 50, 0);
	UNIT_OK("authres-value-cut-marker", n == 55 && out[0] == '"' &&
	    strcmp(out + 51, AUTHRES_MARK "\"") == 0);
	/* an output buffer too small for the whole: cut, still quoted */
	n = authres_value(out, 20, long_in, 500, 0);
	UNIT_OK("authres-value-cut-to-buffer", n > 5 && n < 20 &&
	    out[0] == '"' && out[n - 1] == '"' && out[n] == '\0' &&
	    strstr(out, AUTHRES_MARK) != NULL);
	/* escapes never split across the cut: the value stays well-formed */
	memset(long_in, '"', 100);
	long_in[100] = '\0';
	n = authres_value(out, 20, long_in, 500, 0);
	UNIT_OK("authres-value-cut-escapes", n > 0 && out[n - 1] == '"' &&
	    out[n - 2] == '.' && out[n - 4] == '.');
}

static void
test_comments(void)
{
	char out[64];

	UNIT_OK("authres-comment-escapes", authres_comment(out, sizeof(out),
	    "a (b) \\ c", 100) > 0 && strcmp(out, "a \\(b\\) \\\\ c") == 0);
	UNIT_OK("authres-comment-ctl", authres_comment(out, sizeof(out),
	    "x\r\ny\x7f\xff", 100) > 0 && strcmp(out, "x??y??") == 0);
	UNIT_OK("authres-comment-empty", authres_comment(out, sizeof(out), "",
	    100) == 0 && out[0] == '\0');
	UNIT_OK("authres-comment-cut", authres_comment(out, sizeof(out),
	    "((((((((((((((((((((((((((((((((((((((((((((((((((", 100) > 0 &&
	    strlen(out) < sizeof(out) && strcmp(out + strlen(out) - 3,
	    AUTHRES_MARK) == 0 && out[strlen(out) - 4] == '(');
}

static void
test_certid(void)
{
	struct certid_addrs a;
	char dn[1024], small[24], v[300];
	uint8_t *der;
	size_t len, i;
	int rc;

	if ((der = unit_slurp(DATA "hostile_subject.der", &len)) == NULL) {
		UNIT_FAIL("certid-load", "cannot read hostile_subject.der");
		return;
	}
	UNIT_OK("certid-addrs", certid_addrs(der, len, &a) == 0 && a.n == 3 &&
	    strcmp(a.addr[0], "hostile@example.org") == 0 &&
	    strcmp(a.addr[1], "second@example.org") == 0 &&
	    strcmp(a.addr[2], "hostile@example.org") == 0);
	rc = certid_dn(der, len, CERTID_SUBJECT, dn, sizeof(dn));
	UNIT_OK("certid-dn-subject", rc == 0 && strncmp(dn,
	    "CN=Evil \"q\" \\back (paren) ;?\rCR\nLF", 34) == 0 &&
	    strstr(dn, ", O=x/y,z, emailAddress=hostile@example.org") != NULL);
	UNIT_OK("certid-dn-cut", certid_dn(der, len, CERTID_ISSUER, small,
	    sizeof(small)) == 1 && strlen(small) == sizeof(small) - 1);
	/* through the writer: one quoted-string, nothing raw */
	(void)authres_value(v, sizeof(v), dn, 200, 0);
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
			break;
	UNIT_OK("certid-dn-written-safe", v[0] == '"' && v[i] == '\0' &&
	    strstr(v, "\\\"q\\\" \\\\back (paren) ;??CR?LF??") != NULL);
	UNIT_OK("certid-garbage", certid_addrs((const uint8_t *)"\x30\x03\x02"
	    "\x01\x01", 5, &a) == -1 && certid_dn(der, 10, CERTID_ISSUER, dn,
	    sizeof(dn)) == -1);
	free(der);
}

int
main(void)
{
	test_claims();
	test_servid();
	test_values();
	test_comments();
	test_certid();
	UNIT_EXIT();
}
