/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz the policy loader: arbitrary bytes as a rules file through
 * rules_load_mem().  A failed load must leave a "name:line:col: what"
 * message; a policy that loads is asked every question once, so the
 * compiled patterns and header rules are exercised too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "signers.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
ask(const struct rules *r)
{
	static const char *const addrs[] = {
		"", "alice@example.org", "BOB@Partner.Example",
		"x@docomo.ne.jp", "x@mail.vodafone.ne.jp", "a@b@c", "@", "a",
	};
	static const char *const fields[][2] = {
		{ "Subject", "Re: [secure] the plan [SECURE]" },
		{ "Content-Type", "multipart/signed; protocol=x" },
		{ "X-Mailer", "  bulk  " },
		{ "subject", "" },
	};
	struct rules_policy p;
	struct rules_header_hit h;
	char out[64];
	size_t i, j, n;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		rules_sender_policy(r, addrs[i], &p);
		if (p.nciphers < 1 || p.nciphers > RULES_NCIPHERS)
			abort();
		for (j = 0; j < sizeof(addrs) / sizeof(addrs[0]); j++) {
			rules_recipient_policy(r, addrs[i], addrs[j], &p);
			if (p.nciphers < 1 || p.nciphers > RULES_NCIPHERS)
				abort();
		}
		(void)rules_destination_excepted(r, addrs[i]);
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!rules_header_action(r, fields[i][0], fields[i][1], &h))
			continue;
		n = rules_strip(r, &h, fields[i][1], out, sizeof(out));
		if (n > strlen(fields[i][1]) || strlen(out) >= sizeof(out))
			abort();
	}
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		struct signers_client c = { addrs[i], "10.1.2.3:25" };
		char how[200];

		(void)signers_may(rules_signers(r), &c, addrs[i], how,
		    sizeof(how));
		c.login = NULL;
		(void)signers_may(rules_signers(r), &c, addrs[i], how,
		    sizeof(how));
	}
	(void)rules_uses_encryption(r);
	if (rules_authserv_id(r) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules *r;
	char err[256];

	err[0] = '\0';
	r = rules_load_mem("fuzz", (const char *)data, size, err,
	    sizeof(err));
	if (r == NULL) {
		if (strncmp(err, "fuzz:", 5) != 0)
			abort();	/* every failure says where */
		return 0;
	}
	ask(r);
	rules_free(r);
	return 0;
}
