/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz the whole filter: protocol lines from "smtpd" with the engine's
 * hooks installed over a real keystore and policy (made once at start),
 * so hostile message content reaches MAIL FROM and RCPT TO handling,
 * signing, encryption and inbound verification.  Besides crashes it
 * checks that every line written back is one smtpd can parse.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "hooks.h"
#include "log.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct engine out_g, in_g;
static int ready;

static void
setup(void)
{
	static char dir[] = "/tmp/fuzz_filter.XXXXXX";
	struct ks_selfsign_opts o;
	struct ks_error e;
	mbedtls_pk_context pk;
	mbedtls_x509_crt crt;
	char store[64], rules[80], err[256];
	FILE *fp;

	log_init(-1);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(store, sizeof(store), "%s/store", dir);
	snprintf(rules, sizeof(rules), "%s/rules.yaml", dir);
	if (ks_init(store, &e) == -1)
		abort();
	memset(&o, 0, sizeof(o));
	o.ec_curve = 256;
	o.purpose = KS_P_SIGN | KS_P_ENCRYPT;
	o.account = "a@example.org";
	mbedtls_pk_init(&pk);
	mbedtls_x509_crt_init(&crt);
	if (ks_selfsign(&o, &pk, &crt, &e) == -1 ||
	    ks_store_identity(store, &crt, NULL, &pk, "a@example.org",
	    KS_INTERNAL, 0, &e) == -1)
		abort();
	mbedtls_pk_free(&pk);
	mbedtls_x509_crt_free(&crt);
	if ((fp = fopen(rules, "w")) == NULL)
		abort();
	fputs("version: 1\ndefaults:\n  transaction: per-class\n"
	    "rules:\n  - recipient: \"*@example.org\"\n    encrypt: required\n"
	    "    key-missing: split\ninbound:\n  internal: [\"@example.org\"]\n"
	    "  encrypt-at-rest: yes\n", fp);
	fclose(fp);
	if (engine_init(&out_g, rules, store, ACTION_AUTO, err,
	    sizeof(err)) == -1 || engine_init(&in_g, rules, store,
	    ACTION_VERIFY, err, sizeof(err)) == -1)
		abort();
	ready = 1;
}

static void
check_output(struct filter *f)
{
	char *p, *end, *nl;
	size_t len;

	if (buf_used(&f->out) == 0)
		return;
	p = buf_head(&f->out);
	end = p + buf_used(&f->out);
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			abort();
		len = (size_t)(nl - p);
		if (len >= 9 && memcmp(p, "register|", 9) == 0)
			continue;
		if (len < 50 || (memcmp(p, "filter-result|", 14) != 0 &&
		    memcmp(p, "filter-dataline|", 16) != 0))
			abort();
		if (f->proto_minor == 6 && len > PROTO_06_RESPONSE_MAX)
			abort();
	}
	buf_consume(&f->out, buf_used(&f->out));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct filter f;
	char *copy, *p, *end, *nl, hs[] = "config|smtpd-version|6.8.0p2",
	    ready_line[] = "config|ready";

	if (!ready)
		setup();
	if (filter_init(&f, 1 << 20, 4096, "/tmp") == -1)
		return 0;
	hooks_install(&f, size > 0 && (data[0] & 1) ? &in_g : &out_g);
	proto_line(&f, hs, strlen(hs), 0);
	proto_line(&f, ready_line, strlen(ready_line), 0);
	if ((copy = malloc(size + 1)) == NULL) {
		filter_free(&f);
		return 0;
	}
	if (size > 0)
		memcpy(copy, data, size);
	for (p = copy, end = copy + size; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		proto_line(&f, p, (size_t)(nl - p), 0);
		check_output(&f);
	}
	while (proto_pump(&f, 4096))
		check_output(&f);
	check_output(&f);
	free(copy);
	filter_free(&f);
	return 0;
}
