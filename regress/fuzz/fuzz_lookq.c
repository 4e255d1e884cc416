/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz lookup questions and answers (filter/lookq.c) as a worker taken
 * over could send them to the loop, and what the loop keeps of an
 * answer (filter/lookmem.c): a question taken holds a terminated
 * address; an answer taken has its certificates inside the input,
 * exactly filling it, encodes back to the same octets, and can be kept
 * and recalled.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lookmem.h"
#include "lookq.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t again[LOOKQ_PKT_MAX];
static struct lookmem *mem;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *der[LOOKQ_CERTS];
	struct lookq_question q;
	struct lookq_answer a;
	size_t i, n;

	if (lookq_question_check(data, size, &q) == 0 &&
	    (memchr(q.addr, '\0', sizeof(q.addr)) == NULL ||
	    strchr(q.addr, '@') == NULL))
		abort();
	if (lookq_answer_check(data, size, &a, der) == 0) {
		if (a.n > LOOKQ_CERTS)
			abort();
		for (i = 0; i < a.n; i++)
			if (der[i] < data || der[i] + a.len[i] > data + size)
				abort();
		n = lookq_answer_encode(&a, der, again, sizeof(again));
		if (n != size || memcmp(again + 8, data + 8, size - 8) != 0)
			abort();
		if (mem == NULL && (mem = lookmem_new()) == NULL)
			return 0;
		if (lookmem_put(mem, data, size) == 0)
			(void)lookmem_recall(mem, a.addr, 1, again,
			    sizeof(again));
	}
	return 0;
}
