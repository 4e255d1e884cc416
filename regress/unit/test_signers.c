/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The signer table: smtpd senders-format tables (good and bad lines),
 * logins compared exactly, the self rule, domains and "*", trusted
 * sources by address, network and "local", smtpd's link-connect
 * address forms, and what hostile logins and addresses cannot do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signers.h"
#include "unit.h"

static char err[512];

static struct signers *
table(const char *text)
{
	struct signers *s;

	if ((s = signers_new()) == NULL)
		return NULL;
	err[0] = '\0';
	if (signers_parse_table(s, text, strlen(text), "t", err,
	    sizeof(err)) == -1) {
		signers_free(s);
		return NULL;
	}
	return s;
}

static int
may(const struct signers *s, const char *login, const char *src,
    const char *sender)
{
	struct signers_client c = { login, src };
	char how[200];

	return signers_may(s, &c, sender, how, sizeof(how));
}

static void
test_table(void)
{
	struct signers *s;

	s = table("# comment\n\nalice\talice@a.example, @b.example\r\n"
	    "  bob   bob@a.example,sales@a.example  # trailing\n"
	    "alice carol@a.example");
	UNIT_OK("signers-table-loads", s != NULL);
	if (s == NULL)
		return;
	UNIT_OK("signers-login-own", may(s, "alice", "1.2.3.4:25",
	    "alice@a.example"));
	UNIT_OK("signers-login-case-of-address", may(s, "alice", NULL,
	    "Alice@A.Example"));
	UNIT_OK("signers-login-domain", may(s, "alice", NULL,
	    "anyone@b.example"));
	UNIT_OK("signers-login-domain-not-sub", !may(s, "alice", NULL,
	    "x@sub.b.example"));
	UNIT_OK("signers-login-second-line-adds", may(s, "alice", NULL,
	    "carol@a.example"));
	UNIT_OK("signers-login-list", may(s, "bob", NULL, "sales@a.example"));
	UNIT_OK("signers-login-comment-ignored", !may(s, "bob", NULL,
	    "trailing"));
	UNIT_OK("signers-login-not-other", !may(s, "alice", NULL,
	    "bob@a.example"));
	UNIT_OK("signers-login-exact", !may(s, "Alice", NULL,
	    "alice@a.example"));
	UNIT_OK("signers-login-prefix", !may(s, "alic", NULL,
	    "alice@a.example"));
	UNIT_OK("signers-null-sender", !may(s, "alice", NULL, ""));
	UNIT_OK("signers-unknown-login", !may(s, "mallory", NULL,
	    "alice@a.example"));
	/* a login is never a trusted source, nor the reverse */
	UNIT_OK("signers-no-login-no-source", !may(s, NULL, "local",
	    "alice@a.example"));
	signers_free(s);

	UNIT_OK("signers-table-no-identities", table("alice\n") == NULL &&
	    strstr(err, "t:1: login without") != NULL);
	UNIT_OK("signers-table-bad-identity", table("\nalice alice\n") ==
	    NULL && strstr(err, "t:2: not an address") != NULL);
	UNIT_OK("signers-table-empty-domain", table("a b@\n") == NULL);
	UNIT_OK("signers-table-nul", (s = signers_new()) != NULL &&
	    signers_parse_table(s, "a b@c\0d", 7, "t", err, sizeof(err)) ==
	    -1 && strstr(err, "NUL") != NULL);
	signers_free(s);
}

static void
test_long_line(void)
{
	struct signers *s;
	char *big;

	if ((big = malloc(10000)) == NULL)
		return;
	memset(big, 'a', 9999);
	big[9999] = '\0';
	memcpy(big, "x y@", 4);
	UNIT_OK("signers-table-long-line", table(big) == NULL &&
	    strstr(err, "too long") != NULL);
	free(big);
	s = table("");
	UNIT_OK("signers-table-empty", s != NULL);
	signers_free(s);
}

static void
test_self(void)
{
	struct signers *s = signers_new();

	if (s == NULL)
		return;
	UNIT_OK("signers-self-default", may(s, "dave@a.example", NULL,
	    "DAVE@a.example"));
	UNIT_OK("signers-self-only-itself", !may(s, "dave@a.example", NULL,
	    "eve@a.example"));
	UNIT_OK("signers-self-not-plain-login", !may(s, "dave", NULL,
	    "dave@a.example"));
	signers_set_self(s, 0);
	UNIT_OK("signers-self-off", !may(s, "dave@a.example", NULL,
	    "dave@a.example"));
	UNIT_OK("signers-mismatch-default", signers_mismatch(s) ==
	    SIGNERS_REFUSE);
	signers_free(s);
}

static void
test_trusted(void)
{
	struct signers *s = signers_new();

	if (s == NULL)
		return;
	UNIT_OK("signers-trusted-add", signers_add_trusted(s, "10.0.0.0/8",
	    NULL) == 0 && signers_add_trusted(s, "192.0.2.7", "@a.example") ==
	    0 && signers_add_trusted(s, "2001:db8::/32", "x@a.example") == 0 &&
	    signers_add_trusted(s, "local", "@l.example") == 0 &&
	    signers_add_trusted(s, "192.0.2.0/25", "*") == 0);
	UNIT_OK("signers-trusted-net", may(s, NULL, "10.9.8.7:4711",
	    "anyone@any.example"));
	UNIT_OK("signers-trusted-net-outside", !may(s, NULL, "11.0.0.1:25",
	    "anyone@any.example"));
	UNIT_OK("signers-trusted-as", may(s, NULL, "192.0.2.7:25",
	    "x@a.example"));
	UNIT_OK("signers-trusted-as-other-net", may(s, NULL, "192.0.2.9:25",
	    "x@z.example"));
	UNIT_OK("signers-trusted-outside-25", !may(s, NULL,
	    "192.0.2.200:25", "x@z.example"));
	UNIT_OK("signers-trusted-v6-smtpd-form", may(s, NULL,
	    "IPv6:2001:db8::1:25", "x@a.example"));
	UNIT_OK("signers-trusted-v6-bracket", may(s, NULL, "[2001:db8::1]:25",
	    "x@a.example"));
	UNIT_OK("signers-trusted-v6-bare", may(s, NULL, "2001:db8::1",
	    "x@a.example"));
	UNIT_OK("signers-trusted-v6-only-listed", !may(s, NULL,
	    "IPv6:2001:db8::1:25", "y@a.example"));
	UNIT_OK("signers-trusted-v6-outside", !may(s, NULL,
	    "IPv6:2001:db9::1:25", "x@a.example"));
	UNIT_OK("signers-trusted-v4-bare", may(s, NULL, "10.1.1.1",
	    "a@b.example"));
	UNIT_OK("signers-trusted-local-socket", may(s, NULL,
	    "unix:/var/run/smtpd.sock", "p@l.example"));
	UNIT_OK("signers-trusted-local-pipe", may(s, NULL, "", "p@l.example"));
	UNIT_OK("signers-trusted-local-null", may(s, NULL, NULL,
	    "p@l.example"));
	UNIT_OK("signers-trusted-local-only-as", !may(s, NULL, "local",
	    "p@a.example"));
	UNIT_OK("signers-unknown-src", !may(s, NULL, "unknown",
	    "anyone@any.example"));
	UNIT_OK("signers-garbage-src", !may(s, NULL, "10.0.0.1junk:25",
	    "a@b.example"));
	/* an authenticated session is judged by its login alone */
	UNIT_OK("signers-login-beats-source", !may(s, "mallory",
	    "10.1.1.1:25", "a@b.example"));
	UNIT_OK("signers-empty-login-is-none", may(s, "", "10.1.1.1:25",
	    "a@b.example"));
	UNIT_OK("signers-bad-source", signers_add_trusted(s, "10.0.0.0/33",
	    NULL) == -1 && signers_add_trusted(s, "example.org", NULL) == -1 &&
	    signers_add_trusted(s, "10.0.0.0/", NULL) == -1 &&
	    !signers_source_valid("::1/129") && signers_source_valid("::1"));
	UNIT_OK("signers-bad-ident", signers_add_login(s, "a", "a b@c") ==
	    -1 && errno == EINVAL && signers_add_login(s, "a", "") == -1 &&
	    signers_add_login(s, "", "a@b") == -1);
	signers_free(s);
}

int
main(void)
{
	test_table();
	test_long_line();
	test_self();
	test_trusted();
	UNIT_EXIT();
}
