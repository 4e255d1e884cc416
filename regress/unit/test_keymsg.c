/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The key process's message decoder: every type round-trips, and each
 * field out of range for its type is refused (a compromised worker
 * writes these).
 */
#include <stdint.h>
#include <string.h>

#include "keymsg.h"
#include "unit.h"

static const char FPR[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static size_t
enc(const struct km_msg *m, uint8_t *buf)
{
	return km_encode(m, buf, KM_MAX);
}

static void
base_sign(struct km_msg *m, const uint8_t *hash)
{
	memset(m, 0, sizeof(*m));
	m->type = KM_SIGN;
	m->md = MBEDTLS_MD_SHA256;
	memcpy(m->fpr, FPR, KM_FPR_LEN);
	m->d1 = hash;
	m->l1 = 32;
}

/* Encode m and say whether it decodes. */
static int
decodes(const struct km_msg *m)
{
	static uint8_t buf[KM_MAX];
	struct km_msg d;
	size_t n = enc(m, buf);

	return n > 0 && km_decode(buf, n, &d) == 0;
}

static void
roundtrips(void)
{
	static uint8_t buf[KM_MAX];
	uint8_t hash[64], ek[256], pt[65], info[40];
	struct km_msg m, d;
	const char *s;
	size_t n, off = 0;

	memset(hash, 0x11, sizeof(hash));
	base_sign(&m, hash);
	m.flag = 1;
	n = enc(&m, buf);
	UNIT_OK("keymsg-sign-roundtrip", n > 0 && km_decode(buf, n, &d) == 0 &&
	    d.type == KM_SIGN && d.flag == 1 && d.md == MBEDTLS_MD_SHA256 &&
	    d.l1 == 32 && memcmp(d.d1, hash, 32) == 0 &&
	    strcmp(d.fpr, FPR) == 0);

	memset(&m, 0, sizeof(m));
	memset(ek, 0x22, sizeof(ek));
	m.type = KM_UNWRAP;
	m.outlen = 32;
	memcpy(m.fpr, FPR, KM_FPR_LEN);
	m.d1 = ek;
	m.l1 = sizeof(ek);
	n = enc(&m, buf);
	UNIT_OK("keymsg-unwrap-roundtrip", n > 0 && km_decode(buf, n, &d) ==
	    0 && d.type == KM_UNWRAP && d.outlen == 32 && d.l1 == sizeof(ek) &&
	    d.md == MBEDTLS_MD_NONE && d.flag == 0);

	memset(&m, 0, sizeof(m));
	memset(pt, 4, sizeof(pt));
	memset(info, 5, sizeof(info));
	m.type = KM_KEK;
	m.md = MBEDTLS_MD_SHA1;
	m.curve = MBEDTLS_ECP_DP_SECP256R1;
	m.outlen = 16;
	memcpy(m.fpr, FPR, KM_FPR_LEN);
	m.d1 = pt;
	m.l1 = sizeof(pt);
	m.d2 = info;
	m.l2 = sizeof(info);
	n = enc(&m, buf);
	UNIT_OK("keymsg-kek-roundtrip", n > 0 && km_decode(buf, n, &d) == 0 &&
	    d.type == KM_KEK && d.l2 == sizeof(info) &&
	    memcmp(d.d2, info, sizeof(info)) == 0 &&
	    d.curve == MBEDTLS_ECP_DP_SECP256R1);

	memset(&m, 0, sizeof(m));
	m.type = KM_GRANT;
	m.chan = 3;
	m.count = 2;
	m.d1 = (const uint8_t *)"a@x\0b@y\0c@z";
	m.l1 = 12;
	n = enc(&m, buf);
	UNIT_OK("keymsg-grant-roundtrip", n > 0 && km_decode(buf, n, &d) ==
	    0 && d.chan == 3 && d.count == 2 &&
	    (s = km_grant_next(&d, &off)) && strcmp(s, "a@x") == 0 &&
	    (s = km_grant_next(&d, &off)) && strcmp(s, "b@y") == 0 &&
	    (s = km_grant_next(&d, &off)) && strcmp(s, "c@z") == 0 &&
	    km_grant_next(&d, &off) == NULL);
	/* the null sender, no recipients: a revoked grant */
	m.count = 0;
	m.d1 = (const uint8_t *)"";
	m.l1 = 1;
	UNIT_OK("keymsg-grant-empty", decodes(&m));

	memset(&m, 0, sizeof(m));
	m.type = KM_REPLY;
	m.status = KM_REFUSED;
	n = enc(&m, buf);
	UNIT_OK("keymsg-reply-roundtrip", n > 0 && km_decode(buf, n, &d) ==
	    0 && d.status == KM_REFUSED && d.l1 == 0);
}

static void
refusals(void)
{
	static uint8_t buf[KM_MAX];
	uint8_t hash[256];
	struct km_msg m, d;
	size_t n;

	memset(hash, 0x11, sizeof(hash));
	base_sign(&m, hash);
	n = enc(&m, buf);
	UNIT_OK("keymsg-short", km_decode(buf, n - 1, &d) == -1);
	UNIT_OK("keymsg-empty", km_decode(buf, 0, &d) == -1);
	buf[n] = 0;
	UNIT_OK("keymsg-trailing-octet", km_decode(buf, n + 1, &d) == -1);
	buf[0] ^= 1;
	UNIT_OK("keymsg-bad-magic", km_decode(buf, n, &d) == -1);

	base_sign(&m, hash);
	m.l1 = 31;
	UNIT_OK("keymsg-sign-hash-length", !decodes(&m));
	base_sign(&m, hash);
	m.md = MBEDTLS_MD_SHA1;
	m.l1 = 20;
	UNIT_OK("keymsg-sign-sha1", !decodes(&m));
	base_sign(&m, hash);
	m.fpr[10] = 'G';
	UNIT_OK("keymsg-sign-fpr-not-hex", !decodes(&m));
	base_sign(&m, hash);
	m.fpr[63] = '\0';
	UNIT_OK("keymsg-sign-fpr-short", !decodes(&m));
	base_sign(&m, hash);
	m.d2 = hash;
	m.l2 = 1;
	UNIT_OK("keymsg-sign-second-field", !decodes(&m));
	base_sign(&m, hash);
	m.status = KM_OK + 1;
	UNIT_OK("keymsg-request-with-status", !decodes(&m));

	memset(&m, 0, sizeof(m));
	m.type = KM_UNWRAP;
	memcpy(m.fpr, FPR, KM_FPR_LEN);
	m.d1 = hash;
	m.l1 = 64;
	m.outlen = 17;
	UNIT_OK("keymsg-unwrap-key-length", !decodes(&m));
	m.outlen = 16;
	m.md = MBEDTLS_MD_SHA256;	/* an md without OAEP */
	UNIT_OK("keymsg-unwrap-md-without-oaep", !decodes(&m));
	m.md = MBEDTLS_MD_NONE;
	m.l1 = 0;
	UNIT_OK("keymsg-unwrap-empty", !decodes(&m));

	memset(&m, 0, sizeof(m));
	m.type = KM_KEK;
	memcpy(m.fpr, FPR, KM_FPR_LEN);
	m.md = MBEDTLS_MD_SHA256;
	m.outlen = 32;
	m.d1 = hash;
	m.l1 = 65;
	m.curve = MBEDTLS_ECP_DP_SECP256K1;
	UNIT_OK("keymsg-kek-curve", !decodes(&m));
	m.curve = MBEDTLS_ECP_DP_NONE;
	m.l1 = KM_POINT_MAX + 1;
	UNIT_OK("keymsg-kek-point-length", !decodes(&m));

	memset(&m, 0, sizeof(m));
	m.type = KM_GRANT;
	m.chan = 1;
	m.count = 2;
	m.d1 = (const uint8_t *)"a@x\0b@y";
	m.l1 = 8;
	UNIT_OK("keymsg-grant-count", !decodes(&m));
	m.count = 1;
	m.d1 = (const uint8_t *)"a@x\0b@y";
	m.l1 = 7;
	UNIT_OK("keymsg-grant-unended", !decodes(&m));
	m.d1 = (const uint8_t *)"a@x\0\0";
	m.l1 = 5;
	UNIT_OK("keymsg-grant-empty-recipient", !decodes(&m));
	m.count = 0;
	m.d1 = (const uint8_t *)"a@x";
	m.l1 = 4;
	m.chan = KM_CHANS;
	UNIT_OK("keymsg-grant-channel", !decodes(&m));
	m.chan = KM_SELF;
	UNIT_OK("keymsg-grant-self", decodes(&m));

	memset(&m, 0, sizeof(m));
	m.type = KM_CHANNEL;
	m.chan = KM_CHANS;
	UNIT_OK("keymsg-channel-slot", !decodes(&m));
	m.type = 99;
	m.chan = 0;
	UNIT_OK("keymsg-unknown-type", !decodes(&m));
}

/* An address one octet over the bound. */
static void
long_address(void)
{
	static char a[KM_ADDR_MAX + 3];
	struct km_msg m;

	memset(a, 'a', KM_ADDR_MAX + 1);
	a[KM_ADDR_MAX + 1] = '\0';
	memset(&m, 0, sizeof(m));
	m.type = KM_GRANT;
	m.d1 = (const uint8_t *)a;
	m.l1 = KM_ADDR_MAX + 2;
	UNIT_OK("keymsg-grant-address-over-bound", !decodes(&m));
	a[KM_ADDR_MAX] = '\0';
	m.l1 = KM_ADDR_MAX + 1;
	UNIT_OK("keymsg-grant-address-at-bound", decodes(&m));
}

int
main(void)
{
	roundtrips();
	refusals();
	long_address();
	UNIT_EXIT();
}
