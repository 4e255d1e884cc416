/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz revocation questions and replies (filter/revq.c) as a worker
 * taken over could send them to the loop: a question taken has between
 * one and REVQ_CERTS_MAX certificates, each non-empty and inside the
 * input, exactly filling it, and encodes back to the same octets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "revq.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t again[REVQ_PKT_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct revq_question q;
	struct revq_reply r;
	size_t i, n;

	if (revq_decode(data, size, &q) == 0) {
		if (q.n == 0 || q.n > REVQ_CERTS_MAX || q.timeout < 1 ||
		    q.timeout > 60)
			abort();
		for (i = 0; i < q.n; i++)
			if (q.len[i] == 0 || q.cert[i] < data ||
			    q.cert[i] + q.len[i] > data + size)
				abort();
		n = revq_encode(&q, again, sizeof(again));
		/* the nonce flag is normalized to 0 or 1 */
		if (n != size || memcmp(again + 24, data + 24, size - 24) != 0)
			abort();
	}
	if (revq_reply_check(data, size, &r) == 0 &&
	    (r.status < REVQ_GOOD || r.status > REVQ_UNTRUSTED ||
	    memchr(r.text, '\0', sizeof(r.text)) == NULL))
		abort();
	return 0;
}
