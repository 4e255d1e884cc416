/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * libFuzzer target for the structural proof of S/MIME: each input is
 * probed as a whole message (smime_probe: MIME, base64, then CMS) and
 * as raw CMS (cms_probe_signed, cms_probe_enveloped).  Nothing may
 * crash or leak, and what the probe calls proven must be consistent:
 * a SignedData is never also an envelope.  The seed corpus
 * (regress/fuzz/corpus/probe/) holds real and fake-labelled messages
 * and raw structures.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cms.h"
#include "smime.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Touch every identifier, so a span past its buffer is found. */
static int
rid_touch(void *arg, const struct cms_rid *rid)
{
	size_t *sum = arg, i;

	for (i = 0; i < rid->ilen; i++)
		*sum += rid->issuer[i];
	for (i = 0; i < rid->slen; i++)
		*sum += rid->serial[i];
	for (i = 0; i < rid->skilen; i++)
		*sum += rid->ski[i];
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smime_probe pr;
	struct cms_error e;
	size_t sum = 0, nris;
	int sig, env;

	(void)smime_probe((const char *)data, size, rid_touch, &sum, &pr);
	if (pr.proof > SMIME_PROOF_ENVELOPED)
		__builtin_trap();
	sig = cms_probe_signed(data, size, 0, &e) == 0;
	env = cms_probe_enveloped(data, size, rid_touch, &sum, &nris, &e) == 0;
	if ((sig && env) || (env && nris == 0))
		__builtin_trap();
	return 0;
}
