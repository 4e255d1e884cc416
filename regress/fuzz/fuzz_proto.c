/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz the protocol engine: arbitrary bytes as lines from smtpd, after a
 * handshake chosen by the first byte.  Besides crashes, it checks that
 * everything written back is a line smtpd can parse: that is what keeps
 * smtpd alive.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

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
			abort();	/* responses are whole lines */
		len = (size_t)(nl - p);
		if (len >= 9 && memcmp(p, "register|", 9) == 0)
			continue;
		if (len < 50 || (memcmp(p, "filter-result|", 14) != 0 &&
		    memcmp(p, "filter-dataline|", 16) != 0))
			abort();	/* smtpd would die on this line */
		if (f->proto_minor == 6 && len > PROTO_06_RESPONSE_MAX)
			abort();	/* 0.6 would cut it silently */
	}
	buf_consume(&f->out, buf_used(&f->out));
}

static void
feed(struct filter *f, const char *s)
{
	char line[64];
	size_t n = strlen(s);

	memcpy(line, s, n + 1);
	proto_line(f, line, n, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *versions[] = { "6.8.0p2", "7.4.0", "6.6.4" };
	struct filter f;
	char *copy, *p, *end, *nl, hs[64];

	log_init(-1);
	if (filter_init(&f, 1 << 20, 4096, "/tmp") == -1)
		return 0;
	if (size > 0 && data[0] < 0x20) {
		snprintf(hs, sizeof(hs), "config|smtpd-version|%s",
		    versions[data[0] % 3]);
		feed(&f, hs);
		feed(&f, "config|ready");
		data++;
		size--;
	}
	if ((copy = malloc(size + 1)) == NULL) {
		filter_free(&f);
		return 0;
	}
	if (size > 0)
		memcpy(copy, data, size);
	p = copy;
	end = copy + size;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		proto_line(&f, p, (size_t)(nl - p), nl - p > 300);
		check_output(&f);
		p = nl + 1;
	}
	while (proto_pump(&f, 4096))
		check_output(&f);
	check_output(&f);
	free(copy);
	filter_free(&f);
	return 0;
}
