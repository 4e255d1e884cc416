/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * rules: the policy file.  Every key with every value, defaults, rule
 * order, patterns, exceptions, header rules, exact error positions, and
 * hostile input (junk, deep nesting, aliases).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"
#include "signers.h"
#include "unit.h"

static char dir[64];
static char path[128];
static char err[1024];

static int
write_file(const char *p, const char *buf, size_t len)
{
	FILE *fp;
	int ok;

	if ((fp = fopen(p, "w")) == NULL)
		return -1;
	ok = fwrite(buf, 1, len, fp) == len;
	if (fclose(fp) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

/* Write yaml to DIR/t.yaml and load it; err holds the message. */
static struct rules *
load(const char *yaml)
{
	err[0] = '\0';
	if (write_file(path, yaml, strlen(yaml)) == -1) {
		snprintf(err, sizeof(err), "cannot write %s", path);
		return NULL;
	}
	return rules_load(path, err, sizeof(err));
}

/* A load that must fail with "PATH:LINE:COL: msg". */
static void
expect_error(const char *name, const char *yaml, size_t line, size_t col,
    const char *msg)
{
	struct rules *r;
	char want[1024];

	snprintf(want, sizeof(want), "%s:%zu:%zu: %s", path, line, col, msg);
	if ((r = load(yaml)) != NULL) {
		UNIT_FAIL(name, "loaded, wanted \"%s\"", want);
		rules_free(r);
		return;
	}
	if (strcmp(err, want) != 0)
		UNIT_FAIL(name, "got \"%s\", wanted \"%s\"", err, want);
	else
		UNIT_PASS(name);
}

static int
policy_eq(const struct rules_policy *a, const struct rules_policy *b)
{
	size_t i;

	if (a->sign != b->sign || a->encrypt != b->encrypt ||
	    a->signature != b->signature || a->digest != b->digest ||
	    a->rsa_padding != b->rsa_padding ||
	    a->key_transport != b->key_transport ||
	    a->nciphers != b->nciphers || a->key_missing != b->key_missing ||
	    a->no_signing_key != b->no_signing_key ||
	    a->transaction != b->transaction || a->bcc != b->bcc ||
	    a->harvested != b->harvested ||
	    a->header_protection != b->header_protection)
		return 0;
	for (i = 0; i < a->nciphers; i++)
		if (a->ciphers[i] != b->ciphers[i])
			return 0;
	return 1;
}

static void
test_defaults(void)
{
	struct rules *r;
	struct rules_policy p;
	char host[256];

	if ((r = rules_default()) == NULL) {
		UNIT_FAIL("default.load", "NULL");
		return;
	}
	rules_sender_policy(r, "a@example.org", &p);
	UNIT_OK("default.sign", p.sign == 1);
	UNIT_OK("default.encrypt", p.encrypt == RULES_ENCRYPT_NO);
	UNIT_OK("default.signature", p.signature == RULES_SIG_DETACHED);
	UNIT_OK("default.digest", p.digest == RULES_SHA256);
	UNIT_OK("default.rsa-padding", p.rsa_padding == RULES_PAD_PKCS1);
	UNIT_OK("default.key-transport", p.key_transport == RULES_KT_PKCS1);
	UNIT_OK("default.ciphers", p.nciphers == 4 &&
	    p.ciphers[0] == RULES_AES256_GCM &&
	    p.ciphers[1] == RULES_AES128_GCM &&
	    p.ciphers[2] == RULES_AES256_CBC &&
	    p.ciphers[3] == RULES_AES128_CBC);
	UNIT_OK("default.key-missing", p.key_missing == RULES_KM_BOUNCE);
	UNIT_OK("default.no-signing-key", p.no_signing_key == RULES_NSK_PASS);
	UNIT_OK("default.transaction", p.transaction == RULES_TX_SHARED);
	UNIT_OK("default.bcc", p.bcc == RULES_BCC_SIGN);
	UNIT_OK("default.harvested", p.harvested == 1);
	UNIT_OK("default.header-protection", p.header_protection == 0);
	if (gethostname(host, sizeof(host)) == 0 && host[0] != '\0') {
		host[sizeof(host) - 1] = '\0';
		UNIT_OK("default.authserv-id",
		    strcmp(rules_authserv_id(r), host) == 0);
	}
	UNIT_OK("default.no-encryption", rules_uses_encryption(r) == 0);
	UNIT_OK("default.carriers", rules_destination_excepted(r,
	    "x@docomo.ne.jp"));
	UNIT_OK("default.not-excepted", !rules_destination_excepted(r,
	    "x@example.org"));
	{
		struct rules_header_hit h;

		/* a label is no header exception: the engine proves it */
		UNIT_OK("default.already-smime", rules_already_smime(r) &&
		    rules_header_action(r, "Content-Type",
		    "multipart/signed; protocol=x", &h) == 0);
	}
	rules_free(r);

	/* a file with only the version is the same policy */
	if ((r = load("version: 1\n")) == NULL) {
		UNIT_FAIL("default.minimal", "%s", err);
		return;
	}
	{
		struct rules *d = rules_default();
		struct rules_policy q;

		rules_sender_policy(r, "a@b", &p);
		rules_sender_policy(d, "a@b", &q);
		UNIT_OK("default.minimal", policy_eq(&p, &q));
		rules_recipient_policy(r, "a@b", "c@d", &p);
		UNIT_OK("default.minimal-rcpt", policy_eq(&p, &q));
		rules_free(d);
	}
	rules_free(r);
	rules_free(NULL);
}

/* Every key of defaults with every value, read back. */
struct kv {
	const char	*key;
	const char	*value;
	int		 want;
};

static int
field(const struct rules_policy *p, const char *key)
{
	if (strcmp(key, "sign") == 0)
		return p->sign;
	if (strcmp(key, "encrypt") == 0)
		return (int)p->encrypt;
	if (strcmp(key, "signature") == 0)
		return (int)p->signature;
	if (strcmp(key, "digest") == 0)
		return (int)p->digest;
	if (strcmp(key, "rsa-padding") == 0)
		return (int)p->rsa_padding;
	if (strcmp(key, "key-transport") == 0)
		return (int)p->key_transport;
	if (strcmp(key, "key-missing") == 0)
		return (int)p->key_missing;
	if (strcmp(key, "no-signing-key") == 0)
		return (int)p->no_signing_key;
	if (strcmp(key, "transaction") == 0)
		return (int)p->transaction;
	if (strcmp(key, "bcc") == 0)
		return (int)p->bcc;
	if (strcmp(key, "harvested") == 0)
		return p->harvested;
	if (strcmp(key, "header-protection") == 0)
		return p->header_protection;
	return -1;
}

static void
test_every_value(void)
{
	static const struct kv kvs[] = {
		{ "sign", "yes", 1 }, { "sign", "no", 0 },
		{ "sign", "true", 1 }, { "sign", "false", 0 },
		{ "sign", "Yes", 1 }, { "sign", "FALSE", 0 },
		{ "encrypt", "no", RULES_ENCRYPT_NO },
		{ "encrypt", "opportunistic", RULES_ENCRYPT_OPPORTUNISTIC },
		{ "encrypt", "required", RULES_ENCRYPT_REQUIRED },
		{ "signature", "detached", RULES_SIG_DETACHED },
		{ "signature", "opaque", RULES_SIG_OPAQUE },
		{ "digest", "sha256", RULES_SHA256 },
		{ "digest", "sha384", RULES_SHA384 },
		{ "digest", "sha512", RULES_SHA512 },
		{ "rsa-padding", "pkcs1", RULES_PAD_PKCS1 },
		{ "rsa-padding", "pss", RULES_PAD_PSS },
		{ "key-transport", "pkcs1", RULES_KT_PKCS1 },
		{ "key-transport", "oaep", RULES_KT_OAEP },
		{ "key-missing", "bounce", RULES_KM_BOUNCE },
		{ "key-missing", "tempfail", RULES_KM_TEMPFAIL },
		{ "key-missing", "plain", RULES_KM_PLAIN },
		{ "key-missing", "split", RULES_KM_SPLIT },
		{ "no-signing-key", "pass", RULES_NSK_PASS },
		{ "no-signing-key", "tempfail", RULES_NSK_TEMPFAIL },
		{ "transaction", "shared", RULES_TX_SHARED },
		{ "transaction", "per-class", RULES_TX_PER_CLASS },
		{ "transaction", "per-recipient", RULES_TX_PER_RECIPIENT },
		{ "bcc", "sign", RULES_BCC_SIGN },
		{ "bcc", "skip-sign", RULES_BCC_SKIP_SIGN },
		{ "harvested", "yes", 1 }, { "harvested", "no", 0 },
		{ "header-protection", "yes", 1 },
		{ "header-protection", "no", 0 },
	};
	struct rules_policy p;
	struct rules *r;
	char yaml[512], name[128];
	size_t i;

	for (i = 0; i < sizeof(kvs) / sizeof(kvs[0]); i++) {
		/* in defaults */
		snprintf(name, sizeof(name), "value.defaults.%s.%s",
		    kvs[i].key, kvs[i].value);
		/* skip-sign comes with per-recipient (see err.bcc-*) */
		snprintf(yaml, sizeof(yaml), "version: 1\ndefaults:\n"
		    "  %s: %s\n%s", kvs[i].key, kvs[i].value,
		    kvs[i].want == RULES_BCC_SKIP_SIGN &&
		    strcmp(kvs[i].key, "bcc") == 0 ?
		    "  transaction: per-recipient\n" : "");
		if ((r = load(yaml)) == NULL) {
			UNIT_FAIL(name, "%s", err);
			continue;
		}
		rules_sender_policy(r, "a@example.org", &p);
		UNIT_OK(name, field(&p, kvs[i].key) == kvs[i].want);
		rules_free(r);

		/* in a rule, against the other value as default */
		snprintf(name, sizeof(name), "value.rule.%s.%s",
		    kvs[i].key, kvs[i].value);
		snprintf(yaml, sizeof(yaml), "version: 1\nrules:\n"
		    "  - recipient: \"*@x.example\"\n    %s: %s\n%s",
		    kvs[i].key, kvs[i].value,
		    kvs[i].want == RULES_BCC_SKIP_SIGN &&
		    strcmp(kvs[i].key, "bcc") == 0 ?
		    "    transaction: per-recipient\n" : "");
		if ((r = load(yaml)) == NULL) {
			UNIT_FAIL(name, "%s", err);
			continue;
		}
		rules_recipient_policy(r, "a@example.org", "b@x.example", &p);
		UNIT_OK(name, field(&p, kvs[i].key) == kvs[i].want);
		rules_free(r);
	}

	/* ciphers: any order, any subset */
	r = load("version: 1\ndefaults:\n  ciphers: [aes128-cbc, aes256-gcm]\n"
	    "rules:\n  - sender: a@b\n    ciphers:\n      - aes128-gcm\n");
	if (r == NULL) {
		UNIT_FAIL("value.ciphers", "%s", err);
		return;
	}
	rules_sender_policy(r, "x@y", &p);
	UNIT_OK("value.ciphers.defaults", p.nciphers == 2 &&
	    p.ciphers[0] == RULES_AES128_CBC &&
	    p.ciphers[1] == RULES_AES256_GCM);
	rules_sender_policy(r, "a@b", &p);
	UNIT_OK("value.ciphers.rule", p.nciphers == 1 &&
	    p.ciphers[0] == RULES_AES128_GCM);
	rules_free(r);
	r = load("version: 1\ndefaults:\n  ciphers: [AES256-CBC, aes128-cbc, "
	    "aes128-gcm, aes256-gcm]\n");
	if (r == NULL) {
		UNIT_FAIL("value.ciphers.four", "%s", err);
		return;
	}
	rules_sender_policy(r, "x@y", &p);
	UNIT_OK("value.ciphers.four", p.nciphers == 4 &&
	    p.ciphers[0] == RULES_AES256_CBC &&
	    p.ciphers[3] == RULES_AES256_GCM);
	rules_free(r);
}

static void
test_order(void)
{
	struct rules_policy p;
	struct rules *r;

	r = load(
	    "version: 1\n"
	    "defaults:\n"
	    "  encrypt: no\n"
	    "  digest: sha256\n"
	    "rules:\n"
	    "  - sender: \"*@example.org\"\n"		/* 1: general */
	    "    encrypt: opportunistic\n"
	    "    digest: sha384\n"
	    "  - sender: boss@example.org\n"		/* 2: special */
	    "    digest: sha512\n"
	    "  - recipient: \"@partner.example\"\n"	/* 3: recipient */
	    "    encrypt: required\n"
	    "    key-missing: split\n"
	    "  - sender: boss@example.org\n"		/* 4: sender+rcpt */
	    "    recipient: \"*@partner.example\"\n"
	    "    sign: no\n"
	    "  - recipient: \"*@partner.example\"\n"	/* 5: later wins */
	    "    key-missing: tempfail\n");
	if (r == NULL) {
		UNIT_FAIL("order.load", "%s", err);
		return;
	}
	rules_sender_policy(r, "alice@example.org", &p);
	UNIT_OK("order.general", p.encrypt == RULES_ENCRYPT_OPPORTUNISTIC &&
	    p.digest == RULES_SHA384 && p.sign == 1);
	rules_sender_policy(r, "boss@example.org", &p);
	UNIT_OK("order.later-wins", p.encrypt == RULES_ENCRYPT_OPPORTUNISTIC &&
	    p.digest == RULES_SHA512);
	rules_sender_policy(r, "x@other.example", &p);
	UNIT_OK("order.no-match", p.encrypt == RULES_ENCRYPT_NO &&
	    p.digest == RULES_SHA256);
	/* sender policy ignores rules with a recipient */
	UNIT_OK("order.sender-ignores-rcpt", p.key_missing == RULES_KM_BOUNCE);
	rules_sender_policy(r, "boss@example.org", &p);
	UNIT_OK("order.sender-ignores-rcpt2", p.sign == 1 &&
	    p.key_missing == RULES_KM_BOUNCE);

	rules_recipient_policy(r, "alice@example.org", "bob@partner.example",
	    &p);
	UNIT_OK("order.rcpt", p.encrypt == RULES_ENCRYPT_REQUIRED &&
	    p.digest == RULES_SHA384 && p.key_missing == RULES_KM_TEMPFAIL &&
	    p.sign == 1);
	rules_recipient_policy(r, "boss@example.org", "bob@partner.example",
	    &p);
	UNIT_OK("order.sender-and-rcpt", p.sign == 0 &&
	    p.digest == RULES_SHA512 && p.encrypt == RULES_ENCRYPT_REQUIRED);
	rules_recipient_policy(r, "boss@example.org", "bob@elsewhere.example",
	    &p);
	UNIT_OK("order.rcpt-no-match", p.sign == 1 &&
	    p.digest == RULES_SHA512 &&
	    p.encrypt == RULES_ENCRYPT_OPPORTUNISTIC);
	/* the recipient rule does not apply to a subdomain */
	rules_recipient_policy(r, "x@y", "bob@sub.partner.example", &p);
	UNIT_OK("order.domain-exact", p.encrypt == RULES_ENCRYPT_NO);
	UNIT_OK("order.uses-encryption", rules_uses_encryption(r) == 1);
	rules_free(r);
}

static void
test_patterns(void)
{
	struct rules_policy p;
	struct rules *r;

	r = load(
	    "version: 1\n"
	    "rules:\n"
	    "  - sender: \"alice@*\"\n"
	    "    digest: sha384\n"
	    "  - sender: 're:^(ceo|cfo)@example\\.(org|com)$'\n"
	    "    digest: sha512\n"
	    "  - sender: \"@Mixed.Example\"\n"
	    "    signature: opaque\n"
	    "  - sender: \"\"\n"
	    "    sign: no\n");
	/* an empty pattern is an error: check it, then drop that rule */
	if (r != NULL) {
		UNIT_FAIL("pattern.empty", "loaded");
		rules_free(r);
	} else
		UNIT_OK("pattern.empty", strstr(err,
		    ":9:13: sender: empty value") != NULL);

	r = load(
	    "version: 1\n"
	    "rules:\n"
	    "  - sender: \"alice@*\"\n"
	    "    digest: sha384\n"
	    "  - sender: 're:^(ceo|cfo)@example\\.(org|com)$'\n"
	    "    digest: sha512\n"
	    "  - sender: \"@Mixed.Example\"\n"
	    "    signature: opaque\n"
	    "  - sender: \"re:^$\"\n"
	    "    sign: no\n"
	    "  - sender: \"*\"\n"
	    "    harvested: no\n"
	    "  - sender: \"?*@*\"\n"
	    "    bcc: skip-sign\n"
	    "    transaction: per-recipient\n");
	if (r == NULL) {
		UNIT_FAIL("pattern.load", "%s", err);
		return;
	}
	rules_sender_policy(r, "alice@anywhere.example", &p);
	UNIT_OK("pattern.glob", p.digest == RULES_SHA384);
	rules_sender_policy(r, "ALICE@Anywhere.Example", &p);
	UNIT_OK("pattern.glob-case", p.digest == RULES_SHA384);
	rules_sender_policy(r, "malice@anywhere.example", &p);
	UNIT_OK("pattern.glob-whole", p.digest == RULES_SHA256);
	rules_sender_policy(r, "cfo@example.com", &p);
	UNIT_OK("pattern.regex", p.digest == RULES_SHA512);
	rules_sender_policy(r, "CEO@EXAMPLE.ORG", &p);
	UNIT_OK("pattern.regex-case", p.digest == RULES_SHA512);
	rules_sender_policy(r, "ceo@exampleXorg", &p);
	UNIT_OK("pattern.regex-escape", p.digest == RULES_SHA256);
	rules_sender_policy(r, "bob@mixed.example", &p);
	UNIT_OK("pattern.domain", p.signature == RULES_SIG_OPAQUE);
	rules_sender_policy(r, "Bob@MIXED.example", &p);
	UNIT_OK("pattern.domain-case", p.signature == RULES_SIG_OPAQUE);
	rules_sender_policy(r, "bob@sub.mixed.example", &p);
	UNIT_OK("pattern.domain-exact", p.signature == RULES_SIG_DETACHED);
	rules_sender_policy(r, "bob@mixed.example.org", &p);
	UNIT_OK("pattern.domain-whole", p.signature == RULES_SIG_DETACHED);

	/* the empty sender of a bounce: only "*" and "re:^$" match */
	rules_sender_policy(r, "", &p);
	UNIT_OK("pattern.bounce", p.sign == 0 && p.harvested == 0 &&
	    p.bcc == RULES_BCC_SIGN && p.digest == RULES_SHA256 &&
	    p.signature == RULES_SIG_DETACHED);
	rules_sender_policy(r, NULL, &p);
	UNIT_OK("pattern.bounce-null", p.sign == 0 && p.harvested == 0);
	rules_recipient_policy(r, "", "", &p);
	UNIT_OK("pattern.bounce-rcpt", p.sign == 0 &&
	    p.bcc == RULES_BCC_SIGN);
	rules_sender_policy(r, "a@b", &p);
	UNIT_OK("pattern.nonempty", p.sign == 1 && p.harvested == 0 &&
	    p.bcc == RULES_BCC_SKIP_SIGN);
	{
		/* an address longer than the stack buffer */
		char longaddr[2048];

		memset(longaddr, 'A', sizeof(longaddr));
		memcpy(longaddr, "alice@", 6);
		longaddr[sizeof(longaddr) - 1] = '\0';
		rules_sender_policy(r, longaddr, &p);
		UNIT_OK("pattern.long", p.digest == RULES_SHA384);
	}
	UNIT_OK("pattern.no-encryption", rules_uses_encryption(r) == 0);
	rules_free(r);
}

static void
test_exceptions(void)
{
	struct rules *r;

	r = load(
	    "version: 1\n"
	    "exceptions:\n"
	    "  destinations: [\"*@legacy.example\", \"@pager.example\", "
	    "\"re:^noc-\", Fax@Example.Org]\n");
	if (r == NULL) {
		UNIT_FAIL("except.load", "%s", err);
		return;
	}
	UNIT_OK("except.glob", rules_destination_excepted(r,
	    "a@legacy.example"));
	UNIT_OK("except.domain", rules_destination_excepted(r,
	    "A@PAGER.example"));
	UNIT_OK("except.regex", rules_destination_excepted(r,
	    "NOC-1@x.example"));
	UNIT_OK("except.case", rules_destination_excepted(r,
	    "fax@example.org"));
	UNIT_OK("except.none", !rules_destination_excepted(r,
	    "a@example.org"));
	UNIT_OK("except.empty", !rules_destination_excepted(r, ""));
	UNIT_OK("except.carrier", rules_destination_excepted(r,
	    "x@docomo.ne.jp"));
	UNIT_OK("except.carrier-case", rules_destination_excepted(r,
	    "X@DoCoMo.NE.JP"));
	UNIT_OK("except.carrier-fqdn", rules_destination_excepted(r,
	    "x@ezweb.ne.jp."));
	UNIT_OK("except.carrier-dot", rules_destination_excepted(r,
	    "x@mail.vodafone.ne.jp"));
	UNIT_OK("except.carrier-dot-self", rules_destination_excepted(r,
	    "x@vodafone.ne.jp"));
	UNIT_OK("except.carrier-dot-deep", rules_destination_excepted(r,
	    "x@a.b.pdx.ne.jp"));
	UNIT_OK("except.carrier-exact", !rules_destination_excepted(r,
	    "x@mail.docomo.ne.jp"));
	UNIT_OK("except.carrier-suffix", !rules_destination_excepted(r,
	    "x@notdocomo.ne.jp"));
	UNIT_OK("except.carrier-dot-suffix", !rules_destination_excepted(r,
	    "x@xvodafone.ne.jp"));
	UNIT_OK("except.carrier-no-at", !rules_destination_excepted(r,
	    "docomo.ne.jp"));
	rules_free(r);

	r = load("version: 1\nexceptions:\n  mobile-carriers: no\n");
	if (r == NULL) {
		UNIT_FAIL("except.carriers-off", "%s", err);
		return;
	}
	UNIT_OK("except.carriers-off", !rules_destination_excepted(r,
	    "x@docomo.ne.jp") && !rules_destination_excepted(r,
	    "x@mail.vodafone.ne.jp"));
	rules_free(r);

	{
		size_t i;
		int ok = 1;

		for (i = 0; rules_carrier_domains[i] != NULL; i++)
			;
		UNIT_OK("except.carrier-list", i == 13);
		r = rules_default();
		for (i = 0; r != NULL && rules_carrier_domains[i] != NULL;
		    i++) {
			char a[128];
			const char *d = rules_carrier_domains[i];

			snprintf(a, sizeof(a), "u@%s%s", *d == '.' ? "m" : "",
			    d);
			ok &= rules_destination_excepted(r, a);
		}
		UNIT_OK("except.carrier-all", r != NULL && ok);
		rules_free(r);
	}
}

static void
test_headers(void)
{
	struct rules_header_hit h;
	struct rules *r;
	char out[256];
	size_t n;

	r = load(
	    "version: 1\n"
	    "exceptions:\n"
	    "  headers:\n"
	    "    - header: Subject\n"			/* line 4 */
	    "      contains: \"[Secure]\"\n"
	    "      action: sign-encrypt\n"
	    "      strip: yes\n"
	    "    - header: subject\n"			/* line 8 */
	    "      contains: \"[sign]\"\n"
	    "      action: sign\n"
	    "    - header: X-Mailer\n"			/* line 11 */
	    "      match: \"bulk*\"\n"
	    "      action: skip\n"
	    "    - header: X-Class\n"			/* line 14 */
	    "      match: \"re:^(secret|private)$\"\n"
	    "      action: encrypt\n"
	    "      strip: no\n");
	if (r == NULL) {
		UNIT_FAIL("header.load", "%s", err);
		return;
	}
	UNIT_OK("header.contains", rules_header_action(r, "SUBJECT",
	    "Re: [SECURE] the plan", &h) == 1 &&
	    h.action == RULES_ACTION_SIGN_ENCRYPT && h.rule == 1 &&
	    h.line == 4 && h.strip == 1);
	n = rules_strip(r, &h, "Re: [SECURE] the plan", out, sizeof(out));
	UNIT_OK("header.strip-middle", strcmp(out, "Re: the plan") == 0 &&
	    n == strlen(out));
	rules_strip(r, &h, "[secure] the plan", out, sizeof(out));
	UNIT_OK("header.strip-start", strcmp(out, "the plan") == 0);
	rules_strip(r, &h, "the plan [Secure]", out, sizeof(out));
	UNIT_OK("header.strip-end", strcmp(out, "the plan") == 0);
	rules_strip(r, &h, "a[secure]b [secure] [secure] c", out,
	    sizeof(out));
	UNIT_OK("header.strip-all", strcmp(out, "ab c") == 0);
	rules_strip(r, &h, "[secure]", out, sizeof(out));
	UNIT_OK("header.strip-only", strcmp(out, "") == 0);
	n = rules_strip(r, &h, "Re: [secure] the plan", out, 5);
	UNIT_OK("header.strip-truncated", n == 12 &&
	    strcmp(out, "Re: ") == 0);
	n = rules_strip(r, &h, "Re: [secure] the plan", NULL, 0);
	UNIT_OK("header.strip-size", n == 12);

	UNIT_OK("header.first-match", rules_header_action(r, "Subject",
	    "[sign] [secure]", &h) == 1 && h.rule == 1);
	UNIT_OK("header.second", rules_header_action(r, "Subject",
	    "hello [Sign]", &h) == 1 && h.rule == 2 &&
	    h.action == RULES_ACTION_SIGN && h.strip == 0);
	rules_strip(r, &h, "hello [Sign]", out, sizeof(out));
	UNIT_OK("header.no-strip", strcmp(out, "hello [Sign]") == 0);
	UNIT_OK("header.none", rules_header_action(r, "Subject",
	    "hello", &h) == 0);
	UNIT_OK("header.other-field", rules_header_action(r, "Comments",
	    "[secure]", &h) == 0);
	UNIT_OK("header.glob", rules_header_action(r, "x-mailer",
	    "  BulkMail 2.0 ", &h) == 1 && h.action == RULES_ACTION_SKIP &&
	    h.rule == 3);
	UNIT_OK("header.glob-whole", rules_header_action(r, "x-mailer",
	    "not bulk", &h) == 0);
	UNIT_OK("header.regex", rules_header_action(r, "X-CLASS",
	    " Secret\t", &h) == 1 && h.action == RULES_ACTION_ENCRYPT &&
	    h.rule == 4 && h.line == 14);
	UNIT_OK("header.regex-no", rules_header_action(r, "X-Class",
	    "top secret", &h) == 0);
	UNIT_OK("header.label-no-skip", rules_header_action(r,
	    "content-type", "application/pkcs7-mime; smime-type=enveloped-data",
	    &h) == 0);
	UNIT_OK("header.plain-ct", rules_header_action(r, "Content-Type",
	    "text/plain", &h) == 0);
	UNIT_OK("header.uses-encryption", rules_uses_encryption(r) == 1);
	rules_free(r);

	r = load("version: 1\nexceptions:\n  already-smime: no\n");
	if (r == NULL) {
		UNIT_FAIL("header.already-smime-off", "%s", err);
		return;
	}
	UNIT_OK("header.already-smime-off", !rules_already_smime(r) &&
	    rules_header_action(r, "Content-Type", "multipart/signed",
	    &h) == 0);
	rules_free(r);

	r = load("version: 1\nexceptions:\n  headers:\n    - header: X-A\n"
	    "      contains: x\n      action: sign\n");
	UNIT_OK("header.sign-no-encryption", r != NULL &&
	    rules_uses_encryption(r) == 0);
	rules_free(r);

	UNIT_OK("ct.signed", rules_already_smime_ct(
	    "multipart/signed; protocol=\"application/pkcs7-signature\""));
	UNIT_OK("ct.pkcs7", rules_already_smime_ct("application/pkcs7-mime"));
	UNIT_OK("ct.x-pkcs7", rules_already_smime_ct(
	    " Application/X-PKCS7-MIME ;name=smime.p7m"));
	UNIT_OK("ct.encrypted", rules_already_smime_ct(
	    "multipart/encrypted;protocol=\"application/pgp-encrypted\""));
	UNIT_OK("ct.comment", rules_already_smime_ct(
	    "multipart/signed(c); micalg=sha-256"));
	UNIT_OK("ct.text", !rules_already_smime_ct("text/plain"));
	UNIT_OK("ct.prefix", !rules_already_smime_ct("multipart/signedx"));
	UNIT_OK("ct.mixed", !rules_already_smime_ct("multipart/mixed"));
	UNIT_OK("ct.empty", !rules_already_smime_ct(""));
	UNIT_OK("ct.null", !rules_already_smime_ct(NULL));
}

static void
test_misc(void)
{
	struct rules *r;

	struct rules_rev rv;

	r = load("version: 1\nauthserv-id: mx.example.org\n");
	UNIT_OK("authserv-id", r != NULL &&
	    strcmp(rules_authserv_id(r), "mx.example.org") == 0);
	if (r != NULL)
		rules_revocation(r, &rv);
	UNIT_OK("revocation.default", r != NULL && rv.check == RULES_REV_CRL &&
	    rv.hard == 0 && rv.timeout == RULES_OCSP_TIMEOUT);
	rules_free(r);
	r = load("version: 1\nrevocation: OCSP-then-CRL\n"
	    "revocation-fail: hard\nocsp-timeout: 60\n");
	if (r != NULL)
		rules_revocation(r, &rv);
	UNIT_OK("revocation.set", r != NULL &&
	    rv.check == RULES_REV_OCSP_THEN_CRL && rv.hard == 1 &&
	    rv.timeout == 60);
	rules_free(r);
	r = load("version: 1\nrevocation: none\nrevocation-fail: soft\n");
	if (r != NULL)
		rules_revocation(r, &rv);
	UNIT_OK("revocation.none", r != NULL && rv.check == RULES_REV_NONE &&
	    rv.hard == 0);
	rules_free(r);
	r = load("version: 1\ndefaults:\n  encrypt: opportunistic\n");
	UNIT_OK("uses-encryption.defaults", r != NULL &&
	    rules_uses_encryption(r) == 1);
	rules_free(r);
	r = load("version: 1\nrules:\n  - sender: a@b\n    encrypt: no\n");
	UNIT_OK("uses-encryption.rule-no", r != NULL &&
	    rules_uses_encryption(r) == 0);
	rules_free(r);
	/* empty sections, comments, a document marker, flow style */
	r = load("%YAML 1.1\n---\n# c\nversion: 1 # c\ndefaults:\nrules:\n"
	    "exceptions: {destinations: [], headers: ~}\n...\n");
	UNIT_OK("empty-sections", r != NULL);
	rules_free(r);
	r = load("{version: 1, rules: [{sender: a@b, sign: no}]}");
	UNIT_OK("flow-style", r != NULL);
	rules_free(r);
	r = load("version: \"1\"\n");
	UNIT_OK("version-quoted", r != NULL);
	rules_free(r);

	/* the memory entry point names its input */
	{
		static const char y[] = "version: 1\nbogus: 1\n";
		char e[256];

		r = rules_load_mem("mem", y, sizeof(y) - 1, e, sizeof(e));
		UNIT_OK("load-mem.error", r == NULL && strcmp(e,
		    "mem:2:1: unknown key \"bogus\" in the top level") == 0);
		r = rules_load_mem("mem", y, 11, e, sizeof(e));
		UNIT_OK("load-mem.ok", r != NULL);
		rules_free(r);
		r = rules_load_mem("mem", y, 0, e, sizeof(e));
		UNIT_OK("load-mem.empty", r == NULL &&
		    strcmp(e, "mem:1:1: missing version") == 0);
		r = rules_load_mem("mem", y, sizeof(y) - 1, e, 0);
		UNIT_OK("load-mem.no-errbuf", r == NULL);
	}

	/* the shipped example */
	{
		char e[512];
		const char *ex = getenv("RULES_EXAMPLE");
		struct rules_policy p;
		struct rules_header_hit h;

		r = rules_load(ex ? ex : "rules.yaml.example", e, sizeof(e));
		if (r == NULL)
			UNIT_FAIL("example.loads", "%s", e);
		else {
			UNIT_PASS("example.loads");
			rules_sender_policy(r, "ceo@example.org", &p);
			UNIT_OK("example.rule", p.digest == RULES_SHA512 &&
			    p.signature == RULES_SIG_OPAQUE);
			rules_sender_policy(r, "noreply@example.org", &p);
			UNIT_OK("example.nosign", p.sign == 0);
			rules_recipient_policy(r, "x@finance.example.org",
			    "y@audit.example.com", &p);
			UNIT_OK("example.rcpt", p.encrypt ==
			    RULES_ENCRYPT_REQUIRED &&
			    p.key_missing == RULES_KM_TEMPFAIL);
			UNIT_OK("example.encrypts", rules_uses_encryption(r) &&
			    !rules_uses_split_transactions(r) &&
			    !rules_uses_split_delivery(r));
			UNIT_OK("example.dest", rules_destination_excepted(r,
			    "pager@example.org"));
			UNIT_OK("example.header", rules_header_action(r,
			    "x-acme-bulk", "newsletter 12", &h) == 1 &&
			    h.action == RULES_ACTION_SKIP && !h.strip);
			UNIT_OK("example.no-x-mailer-skip",
			    rules_header_action(r, "x-mailer",
			    "bulk-mailer 2.0", &h) == 0);
			rules_free(r);
		}
	}
}

static void
test_errors(void)
{
	struct rules *r;

	expect_error("err.missing-version", "defaults:\n  sign: no\n",
	    1, 1, "missing version");
	expect_error("err.empty-file", "", 1, 1, "missing version");
	expect_error("err.comment-only", "# nothing\n", 1, 1,
	    "missing version");
	expect_error("err.version-2", "version: 2\n", 1, 10,
	    "version: must be 1");
	expect_error("err.version-list", "version: [1]\n", 1, 10,
	    "version: expected a single value");
	expect_error("err.not-a-map", "- version: 1\n", 1, 1,
	    "the policy must be a mapping");
	expect_error("err.scalar-doc", "hello\n", 1, 1,
	    "the policy must be a mapping");
	expect_error("err.unknown-top", "version: 1\nrule:\n  - x\n", 2, 1,
	    "unknown key \"rule\" in the top level");
	expect_error("err.unknown-defaults",
	    "version: 1\ndefaults:\n  sign: yes\n  sigh: no\n", 4, 3,
	    "unknown key \"sigh\" in defaults");
	expect_error("err.unknown-rule",
	    "version: 1\nrules:\n  - sender: a@b\n    senders: c\n", 4, 5,
	    "unknown key \"senders\" in a rule");
	expect_error("err.unknown-exceptions",
	    "version: 1\nexceptions:\n  destination: []\n", 3, 3,
	    "unknown key \"destination\" in exceptions");
	expect_error("err.unknown-header",
	    "version: 1\nexceptions:\n  headers:\n    - header: a\n"
	    "      action: skip\n      contains: x\n      where: y\n", 7, 7,
	    "unknown key \"where\" in a header exception");
	expect_error("err.key-case", "Version: 1\n", 1, 1,
	    "unknown key \"Version\" in the top level");
	expect_error("err.duplicate-top", "version: 1\nversion: 1\n", 2, 1,
	    "duplicate key \"version\"");
	expect_error("err.duplicate-policy",
	    "version: 1\ndefaults:\n  sign: yes\n  sign: no\n", 4, 3,
	    "duplicate key \"sign\"");
	expect_error("err.duplicate-rule-sender",
	    "version: 1\nrules:\n  - sender: a\n    sender: b\n", 4, 5,
	    "duplicate key \"sender\"");
	expect_error("err.bad-bool",
	    "version: 1\ndefaults:\n  sign: maybe\n", 3, 9,
	    "sign: \"maybe\" is not yes, no, true or false");
	expect_error("err.bad-encrypt",
	    "version: 1\ndefaults:\n  encrypt: always\n", 3, 12,
	    "encrypt: \"always\" is not no, opportunistic or required");
	expect_error("err.bad-signature",
	    "version: 1\ndefaults:\n  signature: inline\n", 3, 14,
	    "signature: \"inline\" is not detached or opaque");
	expect_error("err.bad-digest",
	    "version: 1\ndefaults:\n  digest: sha1\n", 3, 11,
	    "digest: \"sha1\" is not sha256, sha384 or sha512");
	expect_error("err.bcc-skip-sign-shared-defaults",
	    "version: 1\ndefaults:\n  bcc: skip-sign\n", 3, 3,
	    "bcc: skip-sign needs transaction: per-recipient (a shared "
	    "transaction would sign the Bcc copy)");
	expect_error("err.bcc-skip-sign-per-class-rule",
	    "version: 1\nrules:\n  - sender: \"*\"\n"
	    "    transaction: per-class\n    bcc: skip-sign\n", 5, 5,
	    "bcc: skip-sign needs transaction: per-recipient (a shared "
	    "transaction would sign the Bcc copy)");
	expect_error("err.bcc-skip-sign-rule-makes-shared",
	    "version: 1\ndefaults:\n  transaction: per-recipient\n"
	    "  bcc: skip-sign\nrules:\n  - recipient: \"@x.example\"\n"
	    "    transaction: shared\n", 6, 1,
	    "bcc: skip-sign needs transaction: per-recipient (a shared "
	    "transaction would sign the Bcc copy)");
	expect_error("err.bad-rsa-padding",
	    "version: 1\ndefaults:\n  rsa-padding: oaep\n", 3, 16,
	    "rsa-padding: \"oaep\" is not pkcs1 or pss");
	expect_error("err.bad-key-transport",
	    "version: 1\ndefaults:\n  key-transport: pss\n", 3, 18,
	    "key-transport: \"pss\" is not pkcs1 or oaep");
	expect_error("err.bad-key-missing",
	    "version: 1\nrules:\n  - recipient: a\n    key-missing: discard\n",
	    4, 18,
	    "key-missing: \"discard\" is not bounce, tempfail, plain, split or drop");
	expect_error("err.bad-no-signing-key",
	    "version: 1\ndefaults:\n  no-signing-key: bounce\n", 3, 19,
	    "no-signing-key: \"bounce\" is not pass or tempfail");
	expect_error("err.bad-transaction",
	    "version: 1\ndefaults:\n  transaction: split\n", 3, 16,
	    "transaction: \"split\" is not shared, per-class or "
	    "per-recipient");
	expect_error("err.bad-bcc",
	    "version: 1\ndefaults:\n  bcc: skip\n", 3, 8,
	    "bcc: \"skip\" is not sign or skip-sign");
	expect_error("err.bad-harvested",
	    "version: 1\ndefaults:\n  harvested: 1\n", 3, 14,
	    "harvested: \"1\" is not yes, no, true or false");
	expect_error("err.bad-header-protection",
	    "version: 1\ndefaults:\n  header-protection: [yes]\n", 3, 22,
	    "header-protection: expected a single value");
	expect_error("err.bad-cipher",
	    "version: 1\ndefaults:\n  ciphers: [aes256-gcm, des3]\n", 3, 25,
	    "ciphers: \"des3\" is not aes256-gcm, aes128-gcm, aes256-cbc "
	    "or aes128-cbc");
	expect_error("err.cipher-twice",
	    "version: 1\ndefaults:\n  ciphers:\n    - aes128-cbc\n"
	    "    - AES128-CBC\n", 5, 7,
	    "ciphers: \"AES128-CBC\" given twice");
	expect_error("err.cipher-empty",
	    "version: 1\ndefaults:\n  ciphers: []\n", 3, 12,
	    "ciphers: empty list");
	expect_error("err.cipher-scalar",
	    "version: 1\ndefaults:\n  ciphers: aes256-gcm\n", 3, 12,
	    "ciphers: expected a list");
	expect_error("err.defaults-list",
	    "version: 1\ndefaults: [sign]\n", 2, 11,
	    "defaults: expected a mapping");
	expect_error("err.rules-map",
	    "version: 1\nrules:\n  sender: a\n", 3, 3,
	    "rules: expected a list");
	expect_error("err.rule-scalar",
	    "version: 1\nrules:\n  - sender: a\n  - sign\n", 4, 5,
	    "a rule must be a mapping");
	expect_error("err.exceptions-scalar",
	    "version: 1\nexceptions: none\n", 2, 13,
	    "exceptions: expected a mapping");
	expect_error("err.destinations-scalar",
	    "version: 1\nexceptions:\n  destinations: \"@a.example\"\n", 3, 17,
	    "destinations: expected a list");
	expect_error("err.destination-map",
	    "version: 1\nexceptions:\n  destinations:\n    - {a: b}\n", 4, 7,
	    "destinations: expected a single value");
	expect_error("err.mobile-carriers",
	    "version: 1\nexceptions:\n  mobile-carriers: sometimes\n", 3, 20,
	    "mobile-carriers: \"sometimes\" is not yes, no, true or false");
	expect_error("err.already-smime",
	    "version: 1\nexceptions:\n  already-smime: 0\n", 3, 18,
	    "already-smime: \"0\" is not yes, no, true or false");
	expect_error("err.bad-regex",
	    "version: 1\nrules:\n  - sender: \"re:a(b\"\n", 3, 13,
	    "sender: bad regular expression: Unmatched ( or \\(");
	expect_error("err.bad-regex-rcpt",
	    "version: 1\nrules:\n  - recipient: \"re:[z-a]\"\n", 3, 16,
	    "recipient: bad regular expression: Invalid range end");
	expect_error("err.empty-regex",
	    "version: 1\nexceptions:\n  destinations: [\"re:\"]\n", 3, 18,
	    "destinations: empty regular expression");
	expect_error("err.regex-backref",
	    "version: 1\nrules:\n  - sender: 're:(a)\\1'\n", 3, 13,
	    "sender: regular expression back-references are not supported");
	expect_error("err.regex-costly",
	    "version: 1\nrules:\n  - sender: 're:((a{100}){100}){100}'\n",
	    3, 13,
	    "sender: regular expression too large when its repetitions are "
	    "expanded");
	expect_error("err.regex-chained",
	    "version: 1\nrules:\n  - sender: 're:a++++++++++++++++++++++'\n",
	    3, 13, "sender: regular expression repeats a repetition");
	/* found by fuzz_rules: seconds in glibc's regcomp, small expanded */
	expect_error("err.regex-stacked",
	    "version: 1\nrules:\n  - sender: \"re:^(a|b)?+++++++++\"\n",
	    3, 13, "sender: regular expression repeats a repetition");
	expect_error("err.regex-stacked-braces",
	    "version: 1\nrules:\n  - sender: 're:a{2}{3}'\n",
	    3, 13, "sender: regular expression repeats a repetition");
	expect_error("err.regex-groups",
	    "version: 1\nrules:\n  - sender: 're:(((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)'\n",
	    3, 13,
	    "sender: regular expression too large when its repetitions are "
	    "expanded");
	r = load("version: 1\nrules:\n  - sender: "
	    "'re:^[a-z0-9._%+-]+@([a-z0-9-]+\\.)+[a-z]{2,63}$'\n"
	    "  - sender: 're:^a{1000}$'\n"
	    "  - sender: 're:^[[:alpha:]]+(\\+[^]@]*)?@x$'\n");
	UNIT_OK("regex.ordinary", r != NULL);
	if (r == NULL)
		printf("# %s\n", err);
	rules_free(r);
	expect_error("err.empty-domain",
	    "version: 1\nrules:\n  - recipient: \"@\"\n", 3, 16,
	    "recipient: empty domain");
	expect_error("err.header-regex",
	    "version: 1\nexceptions:\n  headers:\n    - header: a\n"
	    "      match: \"re:*\"\n      action: skip\n", 5, 14,
	    "match: bad regular expression: Invalid preceding regular "
	    "expression");
	expect_error("err.header-no-name",
	    "version: 1\nexceptions:\n  headers:\n    - contains: x\n"
	    "      action: skip\n", 4, 7,
	    "header exception without header");
	expect_error("err.header-no-action",
	    "version: 1\nexceptions:\n  headers:\n    - header: Subject\n"
	    "      contains: x\n", 4, 7,
	    "header exception without action");
	expect_error("err.header-no-test",
	    "version: 1\nexceptions:\n  headers:\n    - header: Subject\n"
	    "      action: skip\n", 4, 7,
	    "header exception without contains or match");
	expect_error("err.header-both",
	    "version: 1\nexceptions:\n  headers:\n    - header: Subject\n"
	    "      contains: x\n      match: y\n      action: skip\n", 6, 7,
	    "contains and match exclude each other");
	expect_error("err.header-strip-match",
	    "version: 1\nexceptions:\n  headers:\n    - header: Subject\n"
	    "      match: y\n      strip: yes\n      action: skip\n", 6, 7,
	    "strip: needs contains");
	expect_error("err.header-bad-action",
	    "version: 1\nexceptions:\n  headers:\n    - header: Subject\n"
	    "      contains: x\n      action: drop\n", 6, 15,
	    "action: \"drop\" is not skip, sign, encrypt, sign-encrypt or triple");
	expect_error("err.header-bad-name",
	    "version: 1\nexceptions:\n  headers:\n    - header: \"Sub ject\"\n"
	    "      contains: x\n      action: skip\n", 4, 15,
	    "header: not a header field name");
	expect_error("err.header-colon",
	    "version: 1\nexceptions:\n  headers:\n    - header: \"Subject:\"\n"
	    "      contains: x\n      action: skip\n", 4, 15,
	    "header: not a header field name");
	expect_error("err.header-scalar",
	    "version: 1\nexceptions:\n  headers:\n    - Subject\n", 4, 7,
	    "a header exception must be a mapping");
	expect_error("err.authserv-id",
	    "version: 1\nauthserv-id: \"mx example\"\n", 2, 14,
	    "authserv-id: not a host name or token");
	expect_error("err.revocation",
	    "version: 1\nrevocation: ocsp-only\n", 2, 13,
	    "revocation: \"ocsp-only\" is not none, crl, ocsp or ocsp-then-crl");
	expect_error("err.revocation-fail",
	    "version: 1\nrevocation-fail: yes\n", 2, 18,
	    "revocation-fail: \"yes\" is not soft or hard");
	expect_error("err.ocsp-timeout-0",
	    "version: 1\nocsp-timeout: 0\n", 2, 15,
	    "ocsp-timeout: seconds from 1 to 60");
	expect_error("err.ocsp-timeout-61",
	    "version: 1\nocsp-timeout: 61\n", 2, 15,
	    "ocsp-timeout: seconds from 1 to 60");
	expect_error("err.ocsp-timeout-word",
	    "version: 1\nocsp-timeout: 5s\n", 2, 15,
	    "ocsp-timeout: seconds from 1 to 60");
	expect_error("err.revocation-list",
	    "version: 1\nrevocation: [ocsp]\n", 2, 13,
	    "revocation: expected a single value");
	expect_error("err.authserv-id-empty",
	    "version: 1\nauthserv-id: \"\"\n", 2, 14,
	    "authserv-id: empty value");
	expect_error("err.nul-value",
	    "version: 1\nrules:\n  - sender: \"a\\0b\"\n", 3, 13,
	    "sender: NUL character in value");
	expect_error("err.complex-key",
	    "version: 1\n? [a]\n: b\n", 2, 3,
	    "a key must be a single value");
	expect_error("err.first-wins",
	    "version: 3\nbogus: 1\n", 1, 10, "version: must be 1");
	expect_error("err.first-wins-order",
	    "bogus: 1\nversion: 3\n", 1, 1,
	    "unknown key \"bogus\" in the top level");

	/* YAML itself */
	expect_error("err.yaml-syntax",
	    "version: 1\ndefaults:\n  sign: yes\n bad: [\n", 4, 2,
	    "did not find expected key");
	expect_error("err.yaml-unclosed",
	    "version: 1\nrules: [a, b\n", 3, 1,
	    "did not find expected ',' or ']'");
	expect_error("err.yaml-tab",
	    "version: 1\ndefaults:\n\tsign: no\n", 3, 1,
	    "found character that cannot start any token");
	expect_error("err.yaml-alias",
	    "version: 1\ndefaults: &d\n  sign: no\nrules:\n  - *d\n", 5, 5,
	    "aliases are not supported");
	expect_error("err.yaml-two-docs", "version: 1\n---\nversion: 1\n",
	    2, 1, "only one YAML document is allowed");
	expect_error("err.yaml-control",
	    "version: 1\nrules: \001\n", 2, 8,
	    "control characters are not allowed");
	expect_error("err.yaml-utf8",
	    "version: 1\nauthserv-id: \xff\n", 2, 14,
	    "invalid leading UTF-8 octet");

	/* no file, a directory */
	r = rules_load("/nonexistent/rules.yaml", err, sizeof(err));
	UNIT_OK("err.no-file", r == NULL && strcmp(err,
	    "/nonexistent/rules.yaml: No such file or directory") == 0);
	r = rules_load(dir, err, sizeof(err));
	UNIT_OK("err.directory", r == NULL && strstr(err,
	    ": not a regular file") != NULL);
}

static void
test_hostile(void)
{
	struct rules *r;
	char *buf, want[512];
	size_t i, n;

	/* 1 MB of junk bytes */
	n = 1024 * 1024;
	if ((buf = malloc(n * 2 + 64)) == NULL) {
		UNIT_FAIL("hostile", "out of memory");
		return;
	}
	srand(1);
	for (i = 0; i < n; i++)
		buf[i] = (char)(rand() & 0xff);
	if (write_file(path, buf, n) == 0) {
		r = rules_load(path, err, sizeof(err));
		UNIT_OK("hostile.junk", r == NULL && strncmp(err, path,
		    strlen(path)) == 0);
		rules_free(r);
	}
	/* 1 MB of printable junk */
	for (i = 0; i < n; i++)
		buf[i] = (char)(' ' + rand() % 95);
	if (write_file(path, buf, n) == 0) {
		r = rules_load(path, err, sizeof(err));
		UNIT_OK("hostile.junk-printable", r == NULL);
		rules_free(r);
	}

	/* nesting at the limit is parsed (then refused by the schema) */
	buf[0] = '\0';
	strlcat(buf, "version: 1\nx: ", n);
	for (i = 0; i < 31; i++)
		strlcat(buf, "[", n);
	for (i = 0; i < 31; i++)
		strlcat(buf, "]", n);
	strlcat(buf, "\n", n);
	r = load(buf);
	UNIT_OK("hostile.depth-32", r == NULL && strstr(err,
	    ":2:1: unknown key \"x\"") != NULL);
	rules_free(r);
	/* one more is refused before the schema looks */
	buf[0] = '\0';
	strlcat(buf, "version: 1\nx: ", n);
	for (i = 0; i < 32; i++)
		strlcat(buf, "[", n);
	strlcat(buf, "\n", n);
	snprintf(want, sizeof(want), "%s:2:35: nesting deeper than 32 levels",
	    path);
	r = load(buf);
	UNIT_OK("hostile.depth-33", r == NULL && strcmp(err, want) == 0);
	rules_free(r);
	/* very deep flow and block nesting */
	memset(buf, '[', n);
	buf[n] = '\0';
	r = load(buf);
	UNIT_OK("hostile.deep-flow", r == NULL && strstr(err,
	    "nesting deeper than 32 levels") != NULL);
	rules_free(r);
	memset(buf, '{', n);
	r = load(buf);
	UNIT_OK("hostile.deep-map", r == NULL && strstr(err,
	    "nesting deeper than 32 levels") != NULL);
	rules_free(r);
	buf[0] = '\0';
	for (i = 0, n = 0; i < 200; i++) {
		memset(buf + n, ' ', i);
		n += i;
		memcpy(buf + n, "- \n", 3);
		n += 2;
		buf[n++] = '\n';
	}
	buf[n] = '\0';
	r = load(buf);
	UNIT_OK("hostile.deep-block", r == NULL && strstr(err,
	    "nesting deeper than 32 levels") != NULL);
	rules_free(r);

	/* too many nodes */
	n = 0;
	n += (size_t)snprintf(buf, 64, "version: 1\nx: [");
	for (i = 0; i < 150000; i++) {
		memcpy(buf + n, "1,", 2);
		n += 2;
	}
	memcpy(buf + n, "1]\n", 4);
	r = load(buf);
	UNIT_OK("hostile.nodes", r == NULL && strstr(err,
	    "more than 100000 YAML nodes") != NULL);
	rules_free(r);

	/* billion laughs: refused at the first alias */
	r = load("version: 1\na: &a [x, x, x, x, x, x, x, x]\n"
	    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n");
	UNIT_OK("hostile.laughs", r == NULL && strstr(err,
	    ":3:8: aliases are not supported") != NULL);
	rules_free(r);

	/* a file over the size limit */
	{
		FILE *fp = fopen(path, "w");

		if (fp != NULL) {
			fputs("version: 1\n", fp);
			fseek(fp, 5 * 1024 * 1024, SEEK_SET);
			fputs("\n", fp);
			fclose(fp);
			r = rules_load(path, err, sizeof(err));
			UNIT_OK("hostile.too-large", r == NULL &&
			    strstr(err, ": larger than 4194304 bytes") !=
			    NULL);
			rules_free(r);
		}
	}
	free(buf);
}

/* signers: the YAML form, a table file beside it, and their errors. */
static void
test_signers_yaml(void)
{
	struct signers_client c = { NULL, NULL };
	struct rules *r;
	char tpath[160], how[200], yaml[600];

	snprintf(tpath, sizeof(tpath), "%s/senders", dir);
	if (write_file(tpath, "carol carol@a.example\n", 22) == -1)
		return;
	snprintf(yaml, sizeof(yaml), "version: 1\nsigners:\n  table: %s\n"
	    "  logins:\n    alice: [alice@a.example, \"@b.example\"]\n"
	    "    bob: bob@a.example\n  trusted:\n    - local\n"
	    "    - { source: 10.0.0.0/8, as: \"@t.example\" }\n"
	    "  not-allowed: pass\n", tpath);
	r = load(yaml);
	UNIT_OK("rules-signers-load", r != NULL);
	if (r == NULL)
		return;
	c.login = "alice";
	UNIT_OK("rules-signers-inline-list", signers_may(rules_signers(r), &c,
	    "x@b.example", how, sizeof(how)));
	c.login = "bob";
	UNIT_OK("rules-signers-inline-one", signers_may(rules_signers(r), &c,
	    "bob@a.example", how, sizeof(how)));
	c.login = "carol";
	UNIT_OK("rules-signers-table-file", signers_may(rules_signers(r), &c,
	    "carol@a.example", how, sizeof(how)));
	c.login = NULL;
	c.src = "10.2.3.4:25";
	UNIT_OK("rules-signers-trusted-as", signers_may(rules_signers(r), &c,
	    "n@t.example", how, sizeof(how)) && !signers_may(rules_signers(r),
	    &c, "n@a.example", how, sizeof(how)));
	UNIT_OK("rules-signers-not-allowed-pass",
	    signers_mismatch(rules_signers(r)) == SIGNERS_PASS);
	rules_free(r);
	r = load("version: 1\n");
	UNIT_OK("rules-signers-default-refuse", r != NULL &&
	    signers_mismatch(rules_signers(r)) == SIGNERS_REFUSE);
	c.src = "127.0.0.1:25";
	UNIT_OK("rules-signers-default-no-trusted", r != NULL &&
	    !signers_may(rules_signers(r), &c, "a@b.example", how,
	    sizeof(how)));
	rules_free(r);
	expect_error("rules-signers-bad-source",
	    "version: 1\nsigners:\n  trusted: [example.org]\n", 3, 13,
	    "trusted: \"example.org\" is not an address, a network or local");
	expect_error("rules-signers-bad-ident",
	    "version: 1\nsigners:\n  logins:\n    a: [b]\n", 4, 9,
	    "logins: \"b\" is not an address, @domain or *");
	expect_error("rules-signers-unknown-key",
	    "version: 1\nsigners:\n  trust: []\n", 3, 3,
	    "unknown key \"trust\" in signers");
	expect_error("rules-signers-bad-word",
	    "version: 1\nsigners:\n  not-allowed: maybe\n", 3, 16,
	    "not-allowed: \"maybe\" is not refuse or pass");
	expect_error("rules-signers-no-table",
	    "version: 1\nsigners:\n  table: /nonexistent/t\n", 3, 10,
	    "table: /nonexistent/t: No such file or directory");
	expect_error("rules-signers-as-empty",
	    "version: 1\nsigners:\n  trusted:\n    - { source: local, as: [] }\n",
	    4, 28, "as: an empty list");
}

/* triple-wrap: and a header rule's action: triple */
static void
test_triple(void)
{
	struct rules_policy p;
	struct rules_header_hit h;
	struct rules *r;

	r = load("version: 1\ndefaults:\n  triple-wrap: yes\nrules:\n"
	    "  - sender: \"x@*\"\n    triple-wrap: no\nexceptions:\n"
	    "  headers:\n    - header: Subject\n      contains: \"[3]\"\n"
	    "      action: triple\n");
	UNIT_OK("rules-triple-load", r != NULL);
	if (r == NULL)
		return;
	rules_sender_policy(r, "a@b.example", &p);
	UNIT_OK("rules-triple-default", p.triple_wrap == 1);
	rules_sender_policy(r, "x@b.example", &p);
	UNIT_OK("rules-triple-rule-off", p.triple_wrap == 0);
	UNIT_OK("rules-triple-header-action", rules_header_action(r,
	    "Subject", "plan [3]", &h) == 1 && h.action == RULES_ACTION_TRIPLE);
	UNIT_OK("rules-triple-uses-encryption", rules_uses_encryption(r));
	rules_free(r);
	r = load("version: 1\n");
	rules_sender_policy(r, "a@b.example", &p);
	UNIT_OK("rules-triple-off-by-default", r != NULL && p.triple_wrap == 0);
	rules_free(r);
	expect_error("rules-triple-bad-value",
	    "version: 1\ndefaults:\n  triple-wrap: twice\n", 3, 16,
	    "triple-wrap: \"twice\" is not yes, no, true or false");
}

/* key-missing: drop and drop-to */
static void
test_drop(void)
{
	struct rules_policy p;
	struct rules *r;

	r = load("version: 1\ndrop-to: dropped@localhost\nrules:\n"
	    "  - recipient: \"*@x.example\"\n    encrypt: required\n"
	    "    key-missing: drop\n");
	UNIT_OK("rules-drop-load", r != NULL);
	if (r == NULL)
		return;
	rules_recipient_policy(r, "a@b.example", "c@x.example", &p);
	UNIT_OK("rules-drop-policy", p.key_missing == RULES_KM_DROP);
	UNIT_OK("rules-drop-to", strcmp(rules_drop_to(r),
	    "dropped@localhost") == 0 && rules_drop_line(r) == 6);
	rules_free(r);
	r = load("version: 1\ndefaults:\n  key-missing: drop\n");
	UNIT_OK("rules-drop-without-drop-to-loads", r != NULL &&
	    rules_drop_to(r) == NULL && rules_drop_line(r) == 3);
	rules_free(r);
	r = load("version: 1\n");
	UNIT_OK("rules-drop-none", r != NULL && rules_drop_line(r) == 0);
	rules_free(r);
	expect_error("rules-drop-to-not-address",
	    "version: 1\ndrop-to: \"@localhost\"\n", 2, 10,
	    "drop-to: \"@localhost\" is not an address (of at most 100 octets)");
}

/* directory: and smimea: (rules.h, struct rules_source) */
static void
test_sources(void)
{
	const struct rules_source *d, *m;
	struct rules *r;

	r = load("version: 1\n");
	UNIT_OK("sources.off-by-default", r != NULL &&
	    rules_directory(r) == NULL && rules_smimea(r) == NULL);
	rules_free(r);
	r = load("version: 1\ndirectory:\n  uri: [ldap://a:389, ldaps://b]\n"
	    "  base: dc=example,dc=org\n  bind-dn: cn=r\n"
	    "  password-file: /etc/pw\n  timeout: 3\n  cache-ttl: 60\n"
	    "  negative-ttl: 20\n  domains: [Example.org]\n"
	    "smimea:\n  domains: \"*\"\n  stub: x.example=127.0.0.1@53\n"
	    "  forward: 127.0.0.1\n");
	d = r ? rules_directory(r) : NULL;
	m = r ? rules_smimea(r) : NULL;
	UNIT_OK("sources.directory", d != NULL && d->nuri == 2 &&
	    strcmp(d->uri[1], "ldaps://b") == 0 && d->timeout == 3 &&
	    d->cache_ttl == 60 && d->negative_ttl == 20 &&
	    strcmp(d->filter, "(mail=%s)") == 0 && d->nattr == 2 &&
	    strcmp(d->attr[1], "userCertificate;binary") == 0 &&
	    strcmp(d->bind_dn, "cn=r") == 0);
	UNIT_OK("sources.smimea", m != NULL && m->ndomain == 1 && m->nuri == 1 &&
	    strcmp(m->trust_anchor, RULES_ROOT_ANCHOR) == 0 &&
	    m->timeout == RULES_LOOKUP_TIMEOUT &&
	    m->cache_ttl == RULES_CACHE_TTL && strcmp(m->forward,
	    "127.0.0.1") == 0);
	UNIT_OK("sources.covers", d != NULL &&
	    rules_source_covers(d, "a@example.org") &&
	    rules_source_covers(d, "a@mail.EXAMPLE.org") &&
	    !rules_source_covers(d, "a@badexample.org") &&
	    !rules_source_covers(d, "a@example.org.evil") &&
	    !rules_source_covers(d, "no-at-sign") &&
	    !rules_source_covers(d, "a@") &&
	    rules_source_covers(m, "x@anything.example"));
	rules_free(r);
	expect_error("err.directory-no-base",
	    "version: 1\ndirectory:\n  uri: ldap://a\n", 3, 3,
	    "directory: needs uri: and base:");
	expect_error("err.directory-scheme",
	    "version: 1\ndirectory:\n  uri: http://a\n  base: x\n", 3, 8,
	    "uri: \"http://a\" is not an ldap://, ldaps:// or ldapi:// URI");
	expect_error("err.directory-filter",
	    "version: 1\ndirectory:\n  uri: ldap://a\n  base: x\n"
	    "  filter: (mail=x)\n", 3, 3,
	    "directory: filter: \"(mail=x)\" must hold one %s (the address) "
	    "and nothing else with %");
	expect_error("err.directory-bind-alone",
	    "version: 1\ndirectory:\n  uri: ldap://a\n  base: x\n"
	    "  bind-dn: cn=r\n", 3, 3,
	    "directory: bind-dn: and password-file: go together");
	expect_error("err.directory-unknown",
	    "version: 1\ndirectory:\n  uri: ldap://a\n  base: x\n"
	    "  trust-anchor: /x\n", 5, 3,
	    "unknown key \"trust-anchor\" in directory");
	expect_error("err.directory-duplicate",
	    "version: 1\ndirectory:\n  uri: ldap://a\n  uri: ldap://b\n", 4,
	    3, "directory: duplicate key \"uri\"");
	expect_error("err.directory-ttl",
	    "version: 1\ndirectory:\n  uri: ldap://a\n  base: x\n"
	    "  cache-ttl: -1\n", 5, 14,
	    "cache-ttl: seconds from 0 to 604800");
	expect_error("err.directory-too-many",
	    "version: 1\ndirectory:\n  uri: [ldap://1, ldap://2, ldap://3, "
	    "ldap://4, ldap://5, ldap://6, ldap://7, ldap://8, ldap://9]\n"
	    "  base: x\n", 3, 8, "uri: from 1 to 8 values");
	expect_error("err.smimea-no-domains",
	    "version: 1\nsmimea:\n  timeout: 5\n", 3, 3,
	    "smimea: needs domains: (\"*\" for every domain)");
	expect_error("err.smimea-domain",
	    "version: 1\nsmimea:\n  domains: [\"a b\"]\n", 3, 12,
	    "domains: \"a b\" is not a domain");
	expect_error("err.smimea-timeout",
	    "version: 1\nsmimea:\n  domains: x.example\n  timeout: 61\n", 4,
	    12, "timeout: seconds from 1 to 60");
	expect_error("err.smimea-map",
	    "version: 1\nsmimea: [x]\n", 2, 9, "smimea: expected a mapping");
}

int
main(void)
{
	char tmpl[] = "/tmp/test_rules.XXXXXX";

	if (mkdtemp(tmpl) == NULL) {
		UNIT_FAIL("setup", "mkdtemp failed");
		UNIT_EXIT();
	}
	strlcpy(dir, tmpl, sizeof(dir));
	snprintf(path, sizeof(path), "%s/t.yaml", dir);

	test_defaults();
	test_every_value();
	test_order();
	test_patterns();
	test_exceptions();
	test_headers();
	test_misc();
	test_errors();
	test_hostile();
	test_triple();
	test_drop();
	test_signers_yaml();
	test_sources();

	unlink(path);
	rmdir(dir);
	UNIT_EXIT();
}
