/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz chain building under the work bounds: the input is a trust
 * anchor and a SignedData, so the certificates of the message are
 * chained up to an anchor the input chose, with the default bounds and
 * with tight ones.  Nothing may crash or leak, and no verification may
 * spend more public-key operations than its budget.
 *
 * Input: two octets (big-endian) giving the anchor's length, the anchor
 * certificate (DER), then the SignedData ContentInfo.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cms.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
verify(const uint8_t *data, size_t size, const mbedtls_x509_crt *anchor,
    const struct cms_limits *lim)
{
	struct cms_verify v;
	struct cms_error e;
	struct cms_trust t;

	memset(&t, 0, sizeof(t));
	t.anchors = anchor;
	t.at = 1893456000;
	t.limits = lim;
	if (cms_verify(data, size, NULL, 0, &t, &v, &e) == 0 &&
	    v.pkops > (lim ? lim->pkops : cms_limits_default.pkops))
		abort();	/* the budget is a bound, not advice */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cms_limits tight = cms_limits_default;
	mbedtls_x509_crt anchor;
	size_t alen;

	if (size < 2)
		return 0;
	alen = (size_t)data[0] << 8 | data[1];
	if (alen > size - 2)
		return 0;
	mbedtls_x509_crt_init(&anchor);
	if (alen > 0)
		(void)mbedtls_x509_crt_parse_der(&anchor, data + 2, alen);
	verify(data + 2 + alen, size - 2 - alen, &anchor, NULL);
	tight.certs = 4;
	tight.signers = 2;
	tight.chain = 2;
	tight.pkops = 3;
	verify(data + 2 + alen, size - 2 - alen, &anchor, &tight);
	mbedtls_x509_crt_free(&anchor);
	return 0;
}
