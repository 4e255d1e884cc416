/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * SMIMEA (smime/smimea.c): the owner name of RFC 8162's own example;
 * records read and refused by their fields' rules; a certificate
 * matched by every selector and matching type against what openssl
 * computed (regress/unit/data/smimea/make.sh), and a flipped octet or
 * another certificate not matched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smimea.h"
#include "unit.h"

#define DATA	"regress/unit/data/"

static void
test_owner(void)
{
	char out[SMIMEA_OWNER_MAX];

	UNIT_OK("owner.rfc8162", smimea_owner("hugh", 4, "example.com", out,
	    sizeof(out)) == 0 && strcmp(out, "c93f1e400f26708f98cb19d93662"
	    "0da35eec8f72e57f9eec01c1afd6._smimecert.example.com") == 0);
	UNIT_OK("owner.trailing-dot", smimea_owner("hugh", 4, "example.com.",
	    out, sizeof(out)) == 0 && strstr(out, "._smimecert.example.com") !=
	    NULL && out[strlen(out) - 1] == 'm');
	UNIT_OK("owner.case-kept", smimea_owner("Hugh", 4, "example.com", out,
	    sizeof(out)) == 0 && strncmp(out, "c93f1e40", 8) != 0);
	UNIT_OK("owner.no-domain", smimea_owner("hugh", 4, "", out,
	    sizeof(out)) == -1);
	UNIT_OK("owner.small", smimea_owner("hugh", 4, "example.com", out,
	    60) == -1);
}

/* usage, selector, type, then data */
static size_t
rdata(uint8_t *buf, int u, int s, int t, const uint8_t *d, size_t n)
{
	buf[0] = (uint8_t)u;
	buf[1] = (uint8_t)s;
	buf[2] = (uint8_t)t;
	memcpy(buf + 3, d, n);
	return n + 3;
}

static void
test_records(void)
{
	static uint8_t buf[SMIMEA_DATA_MAX + 8];
	struct smimea s;
	uint8_t *cert, *sha, *spki, *sha512, *other;
	size_t certlen, shalen, spkilen, sha512len, otherlen, n;

	cert = unit_slurp(DATA "ocsp/good.der", &certlen);
	other = unit_slurp(DATA "ocsp/revoked.der", &otherlen);
	sha = unit_slurp(DATA "smimea/cert.sha256", &shalen);
	spki = unit_slurp(DATA "smimea/spki.der", &spkilen);
	sha512 = unit_slurp(DATA "smimea/spki.sha512", &sha512len);
	if (!cert || !other || !sha || !spki || !sha512 || shalen != 32 ||
	    sha512len != 64) {
		UNIT_FAIL("smimea.data", "cannot read " DATA);
		goto done;
	}
	n = rdata(buf, 3, 0, 0, cert, certlen);
	UNIT_OK("rec.3-0-0", smimea_rdata_read(buf, n, &s) == 0 &&
	    smimea_has_cert(&s) && smimea_matches(&s, cert, certlen) &&
	    !smimea_matches(&s, other, otherlen));
	n = rdata(buf, 1, 0, 1, sha, shalen);
	UNIT_OK("rec.1-0-1", smimea_rdata_read(buf, n, &s) == 0 &&
	    !smimea_has_cert(&s) && smimea_matches(&s, cert, certlen) &&
	    !smimea_matches(&s, other, otherlen));
	n = rdata(buf, 3, 1, 0, spki, spkilen);
	UNIT_OK("rec.3-1-0", smimea_rdata_read(buf, n, &s) == 0 &&
	    !smimea_has_cert(&s) && smimea_matches(&s, cert, certlen));
	n = rdata(buf, 3, 1, 2, sha512, sha512len);
	UNIT_OK("rec.3-1-2", smimea_rdata_read(buf, n, &s) == 0 &&
	    smimea_matches(&s, cert, certlen));
	buf[3 + 10] ^= 1;
	UNIT_OK("rec.flipped", smimea_rdata_read(buf, n, &s) == 0 &&
	    !smimea_matches(&s, cert, certlen));
	/* the fields' rules */
	n = rdata(buf, 3, 0, 1, sha, shalen - 1);
	UNIT_OK("rec.short-hash", smimea_rdata_read(buf, n, &s) == -1);
	n = rdata(buf, 3, 0, 2, sha, shalen);
	UNIT_OK("rec.sha512-of-32", smimea_rdata_read(buf, n, &s) == -1);
	n = rdata(buf, 3, 2, 0, cert, certlen);
	UNIT_OK("rec.selector-2", smimea_rdata_read(buf, n, &s) == -1);
	n = rdata(buf, 3, 0, 3, cert, certlen);
	UNIT_OK("rec.type-3", smimea_rdata_read(buf, n, &s) == -1);
	UNIT_OK("rec.empty", smimea_rdata_read(buf, 3, &s) == -1);
	n = rdata(buf, 4, 0, 0, cert, certlen);
	UNIT_OK("rec.usage-4-read-not-taken", smimea_rdata_read(buf, n, &s) ==
	    0 && !smimea_has_cert(&s));
	memset(buf + 3, 0x30, SMIMEA_DATA_MAX + 1);
	UNIT_OK("rec.too-big", smimea_rdata_read(buf, SMIMEA_DATA_MAX + 4,
	    &s) == -1);
	/* selector 1 against something that is no certificate */
	n = rdata(buf, 3, 1, 0, spki, spkilen);
	UNIT_OK("rec.spki-of-junk", smimea_rdata_read(buf, n, &s) == 0 &&
	    !smimea_matches(&s, spki, spkilen));
done:
	free(cert);
	free(other);
	free(sha);
	free(spki);
	free(sha512);
}

int
main(void)
{
	test_owner();
	test_records();
	UNIT_EXIT();
}
