/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Encoding and decoding of the key process's messages.  The decoder is
 * the key process's whole attack surface towards a compromised worker:
 * every field is checked against its type before anything uses it.
 */
#include <string.h>

#include "keymsg.h"

#define KM_MAGIC	0x6b6d7367u	/* "kmsg" */

struct km_hdr {
	uint32_t	 magic;
	uint8_t		 type;
	uint8_t		 status;
	uint8_t		 flag;
	uint8_t		 md;
	uint32_t	 chan;
	uint32_t	 count;
	uint32_t	 outlen;
	int32_t		 curve;
	uint32_t	 l1;
	uint32_t	 l2;
	char		 fpr[KM_FPR_LEN];
};

size_t
km_encode(const struct km_msg *m, uint8_t *buf, size_t cap)
{
	struct km_hdr h;

	if (cap < sizeof(h) || m->l1 > cap - sizeof(h) ||
	    m->l2 > cap - sizeof(h) - m->l1)
		return 0;
	memset(&h, 0, sizeof(h));
	h.magic = KM_MAGIC;
	h.type = (uint8_t)m->type;
	h.status = (uint8_t)m->status;
	h.flag = (uint8_t)(m->flag != 0);
	h.md = (uint8_t)m->md;
	h.chan = m->chan;
	h.count = m->count;
	h.outlen = (uint32_t)m->outlen;
	h.curve = (int32_t)m->curve;
	h.l1 = (uint32_t)m->l1;
	h.l2 = (uint32_t)m->l2;
	memcpy(h.fpr, m->fpr, strnlen(m->fpr, sizeof(h.fpr)));
	memcpy(buf, &h, sizeof(h));
	if (m->l1)
		memcpy(buf + sizeof(h), m->d1, m->l1);
	if (m->l2)
		memcpy(buf + sizeof(h) + m->l1, m->d2, m->l2);
	return sizeof(h) + m->l1 + m->l2;
}

static int
hex_fpr(const char *f)
{
	size_t i;

	for (i = 0; i < KM_FPR_LEN; i++)
		if (!((f[i] >= '0' && f[i] <= '9') || (f[i] >= 'a' &&
		    f[i] <= 'f')))
			return 0;
	return 1;
}

static int
digest_md(int md)
{
	return md == MBEDTLS_MD_SHA256 || md == MBEDTLS_MD_SHA384 ||
	    md == MBEDTLS_MD_SHA512;
}

static int
kdf_md(int md)
{
	return md == MBEDTLS_MD_SHA1 || md == MBEDTLS_MD_SHA224 ||
	    digest_md(md);
}

static int
cek_len(uint32_t n)
{
	return n == 16 || n == 24 || n == 32;
}

/* NUL-ended strings, count + 1 of them, none empty but recipients'... */
static int
grant_ok(const struct km_hdr *h, const uint8_t *p)
{
	size_t i, start = 0, n = 0;

	if (h->l1 == 0 || p[h->l1 - 1] != '\0' || h->count > KM_RCPTS ||
	    h->l2 != 0 || (h->chan >= KM_CHANS && h->chan != KM_SELF))
		return 0;
	for (i = 0; i < h->l1; i++)
		if (p[i] == '\0') {
			if (i - start > KM_ADDR_MAX || (n > 0 && i == start))
				return 0;
			start = i + 1;
			n++;
		}
	return n == (size_t)h->count + 1;
}

/* Every field in range for the type, and nothing left over. */
static int
fields_ok(const struct km_hdr *h, const uint8_t *p)
{
	switch (h->type) {
	case KM_GRANT:
		return h->md == 0 && h->outlen == 0 && grant_ok(h, p);
	case KM_CHANNEL:
		return h->chan < KM_CHANS && h->l1 == 0 && h->l2 == 0;
	case KM_OPEN:
		return hex_fpr(h->fpr) && h->l2 == 0 && h->md == 0 &&
		    h->outlen == 0 && ((h->l1 == 3 && memcmp(p, "der", 3) ==
		    0) || (h->l1 == 5 && memcmp(p, "chain", 5) == 0));
	case KM_SPAWN:
		return h->chan == 0 && h->l1 == 0 && h->l2 == 0 &&
		    h->md == 0 && h->outlen == 0;
	case KM_SIGN:
		return hex_fpr(h->fpr) && digest_md(h->md) && h->l2 == 0 &&
		    h->l1 == mbedtls_md_get_size(mbedtls_md_info_from_type(
		    (mbedtls_md_type_t)h->md)) && h->outlen == 0;
	case KM_UNWRAP:
		return hex_fpr(h->fpr) && (h->flag ? kdf_md(h->md) :
		    h->md == MBEDTLS_MD_NONE) && h->l1 > 0 &&
		    h->l1 <= KM_EK_MAX && h->l2 == 0 && cek_len(h->outlen);
	case KM_KEK:
		return hex_fpr(h->fpr) && kdf_md(h->md) && h->l1 > 0 &&
		    h->l1 <= KM_POINT_MAX && h->l2 <= KM_INFO_MAX &&
		    cek_len(h->outlen) && (h->curve == MBEDTLS_ECP_DP_NONE ||
		    h->curve == MBEDTLS_ECP_DP_SECP256R1 ||
		    h->curve == MBEDTLS_ECP_DP_SECP384R1 ||
		    h->curve == MBEDTLS_ECP_DP_SECP521R1);
	case KM_REPLY:
		return h->status <= KM_FAIL && h->l2 == 0 &&
		    h->l1 <= KM_EK_MAX;
	default:
		return 0;
	}
}

int
km_decode(const uint8_t *buf, size_t n, struct km_msg *m)
{
	struct km_hdr h;
	const uint8_t *p = buf + sizeof(h);

	memset(m, 0, sizeof(*m));
	if (n < sizeof(h))
		return -1;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != KM_MAGIC || h.l1 > n - sizeof(h) ||
	    h.l2 != n - sizeof(h) - h.l1 || h.flag > 1 ||
	    (h.type != KM_REPLY && h.status != 0) || !fields_ok(&h, p))
		return -1;
	m->type = (enum km_type)h.type;
	m->status = (enum km_status)h.status;
	m->md = (mbedtls_md_type_t)h.md;
	m->flag = h.flag;
	m->chan = h.chan;
	m->count = h.count;
	m->outlen = h.outlen;
	m->curve = (mbedtls_ecp_group_id)h.curve;
	if (h.type == KM_SIGN || h.type == KM_UNWRAP || h.type == KM_KEK ||
	    h.type == KM_OPEN)
		memcpy(m->fpr, h.fpr, KM_FPR_LEN);
	m->d1 = p;
	m->l1 = h.l1;
	m->d2 = p + h.l1;
	m->l2 = h.l2;
	return 0;
}

const char *
km_grant_next(const struct km_msg *m, size_t *off)
{
	const char *s;

	if (*off >= m->l1)
		return NULL;
	s = (const char *)m->d1 + *off;
	*off += strlen(s) + 1;
	return s;
}

const char *
km_status_str(enum km_status s)
{
	switch (s) {
	case KM_OK:
		return "ok";
	case KM_RANDOM:
		return "ok";	/* on purpose: Bleichenbacher */
	case KM_REFUSED:
		return "refused";
	case KM_NOKEY:
		return "no such key";
	case KM_BAD:
		return "malformed request";
	default:
		return "failed";
	}
}
