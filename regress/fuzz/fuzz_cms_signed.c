/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz SignedData parsing and verification: arbitrary bytes as a
 * ContentInfo, verified detached (over a fixed content) and opaque, and
 * the embedded content walked.  Nothing may crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cms.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
sink(void *arg, const uint8_t *p, size_t n)
{
	size_t *total = arg;

	(void)p;
	*total += n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t content[] = "Content-Type: text/plain\r\n\r\nx\r\n";
	struct cms_verify v;
	struct cms_error e;
	struct cms_trust t;
	size_t total = 0;

	memset(&t, 0, sizeof(t));
	t.at = 1800000000;
	(void)cms_verify(data, size, content, sizeof(content) - 1, NULL, &v,
	    &e);
	(void)cms_verify(data, size, NULL, 0, &t, &v, &e);
	(void)cms_signed_content(data, size, sink, &total, &e);
	return 0;
}
