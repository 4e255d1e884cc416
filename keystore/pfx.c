/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * PKCS#12 reader: see pfx.h for what is read and how passwords are
 * encoded.  Structure (RFC 7292):
 *
 *	PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo,
 *	    macData MacData OPTIONAL }
 *	MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING,
 *	    iterations INTEGER DEFAULT 1 }
 *	AuthenticatedSafe ::= SEQUENCE OF ContentInfo	-- data, encryptedData
 *	SafeContents ::= SEQUENCE OF SafeBag
 *	SafeBag ::= SEQUENCE { bagId OID, bagValue [0] EXPLICIT ANY,
 *	    bagAttributes SET OF PKCS12Attribute OPTIONAL }
 *
 * Every level is read with the BER reader (indefinite lengths and
 * segmented OCTET STRINGs as NSS and Windows write them).  OCTET
 * STRING contents that are parsed further (the authSafe, SafeContents,
 * ciphertexts) are copied into one contiguous buffer first.  Buffers
 * that may hold key material are wiped before they are freed.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/cipher.h>
#include <mbedtls/constant_time.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/x509_crt.h>

#include "ber.h"
#include "cms.h"
#include "mbedtls_compat.h"
#include "oid.h"
#include "pfx.h"
#include "rc2.h"

#define PFX_MAX_NEST	4	/* safeContentsBag inside safeContentsBag */
#define PFX_MAX_CERTS	256
#define PFX_MAX_MD	64	/* largest digest (SHA-512) */
#define PFX_MAX_BLOCK	128	/* largest digest block (SHA-384/512) */
#define PFX_MAX_KEY	32
#define PFX_MAX_IV	16
#define PFX_BUDGET	4	/* whole file: this many times max_iter */

struct pfx_ctx {
	const char	*pw;		/* UTF-8, for PBES2 */
	size_t		 pwlen;
	uint8_t		*bmp;		/* BMPString with 00 00 */
	size_t		 bmpcap;	/* allocated length of bmp */
	size_t		 bmplen;	/* form in use: bmpcap, or 0 */
	unsigned long	 max_iter;
	unsigned long	 budget;	/* iterations left for the whole file */
	struct pfx_contents *out;
	char		*errbuf;
	size_t		 errlen;
};

static const char *const pfx_errstr[PFX_ERR_MAX] = {
	[PFX_OK] = "no error",
	[PFX_ERR_MALFORMED] = "malformed PKCS#12 file",
	[PFX_ERR_PASSWORD] = "wrong password (MAC does not verify)",
	[PFX_ERR_UNSUPPORTED] = "unsupported algorithm or mode",
	[PFX_ERR_DECRYPT] = "a bag does not decrypt",
	[PFX_ERR_KEY] = "private key does not parse",
	[PFX_ERR_NOMEM] = "out of memory",
	[PFX_ERR_ITERATIONS] = "iteration count over the limit",
	[PFX_ERR_ARG] = "bad argument",
	[PFX_ERR_NO_LEAF] = "no certificate matches the private key",
};

const char *
pfx_strerror(enum pfx_err err)
{
	if ((unsigned int)err >= PFX_ERR_MAX || pfx_errstr[err] == NULL)
		return "unknown PKCS#12 error";
	return pfx_errstr[err];
}

/* Record the first error's reason; return err. */
static enum pfx_err
pfx_fail(struct pfx_ctx *x, enum pfx_err err, const char *fmt, ...)
{
	va_list		 ap;

	if (x->errbuf != NULL && x->errlen > 0 && x->errbuf[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(x->errbuf, x->errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

static enum pfx_err
pfx_ber(struct pfx_ctx *x, const struct ber_reader *r, const char *what)
{
	enum ber_err	 err = ber_error(r);

	if (err == BER_OK)
		err = BER_ERR_UNEXPECTED_TAG;
	return pfx_fail(x, PFX_ERR_MALFORMED, "%s: %s at offset %zu", what,
	    ber_strerror(err), r->err_offset);
}

static void
pfx_wipe_free(uint8_t *p, size_t len)
{
	if (p == NULL)
		return;
	mbedtls_platform_zeroize(p, len);
	free(p);
}

/* Dotted form of an OID for messages. */
static const char *
pfx_oid_text(const uint8_t *p, size_t len, char *buf, size_t size)
{
	mbedtls_asn1_buf a;
	enum oid_id	 id;

	if ((id = oid_lookup(p, len)) != OID_UNKNOWN)
		return oid_name(id);
	a.tag = MBEDTLS_ASN1_OID;
	a.len = len;
	a.p = (unsigned char *)(uintptr_t)p;
	if (mbedtls_oid_get_numeric_string(buf, size, &a) < 0)
		snprintf(buf, size, "(unprintable OID)");
	return buf;
}

/* Copy the content of a (possibly segmented) OCTET STRING. */
static enum pfx_err
pfx_octets_dup(struct pfx_ctx *x, const struct ber_elem *e, uint8_t **out,
    size_t *outlen, const char *what)
{
	uint8_t		*p;
	size_t		 n, got;

	*out = NULL;
	*outlen = 0;
	if (ber_octets_len(e, &n) != BER_OK)
		return pfx_fail(x, PFX_ERR_MALFORMED, "%s: bad OCTET STRING",
		    what);
	if ((p = malloc(n > 0 ? n : 1)) == NULL)
		return pfx_fail(x, PFX_ERR_NOMEM, "%s: out of memory", what);
	if (ber_octets_copy(e, p, n, &got) != BER_OK || got != n) {
		pfx_wipe_free(p, n);
		return pfx_fail(x, PFX_ERR_MALFORMED, "%s: bad OCTET STRING",
		    what);
	}
	*out = p;
	*outlen = n;
	return PFX_OK;
}

/*
 * Text.
 */

/* One strict UTF-8 sequence at s[*i]: no overlongs, no surrogates. */
static int
pfx_utf8_next(const uint8_t *s, size_t n, size_t *i, uint32_t *cp)
{
	uint8_t		 c = s[*i];
	size_t		 len, k;
	uint32_t	 v, min;

	if (c < 0x80) {
		*cp = c;
		(*i)++;
		return 0;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else
		return -1;
	if (n - *i < len)
		return -1;
	for (k = 1; k < len; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		v = (v << 6) | (s[*i + k] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	*i += len;
	*cp = v;
	return 0;
}

int
pfx_bmp_password(const char *utf8, uint8_t **out, size_t *outlen)
{
	const uint8_t	*s = (const uint8_t *)utf8;
	size_t		 n, i = 0, o = 0;
	uint32_t	 c;
	uint8_t		*b;

	*out = NULL;
	*outlen = 0;
	n = strlen(utf8);
	/* A unit of 2 bytes per input byte at most, and the terminator. */
	if (n > (SIZE_MAX - 2) / 2 || (b = malloc(2 * n + 2)) == NULL)
		return -1;
	while (i < n) {
		if (pfx_utf8_next(s, n, &i, &c) != 0) {
			pfx_wipe_free(b, 2 * n + 2);
			return -1;
		}
		if (c >= 0x10000) {
			c -= 0x10000;
			b[o++] = 0xd8 | (uint8_t)(c >> 18);
			b[o++] = (uint8_t)(c >> 10);
			c = 0xdc00 | (c & 0x3ff);
		}
		b[o++] = (uint8_t)(c >> 8);
		b[o++] = (uint8_t)c;
	}
	b[o++] = 0;
	b[o++] = 0;
	*out = b;
	*outlen = o;
	return 0;
}

/* friendlyName (UTF-16BE) to a new UTF-8 string; NULL if not text. */
static char *
pfx_bmp_to_utf8(const uint8_t *p, size_t n)
{
	char		*s;
	size_t		 i, o = 0;
	uint32_t	 c, lo;

	if (n % 2 != 0 || n / 2 > (SIZE_MAX - 1) / 3 ||
	    (s = malloc(n / 2 * 3 + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i += 2) {
		c = (uint32_t)p[i] << 8 | p[i + 1];
		if (c >= 0xd800 && c <= 0xdbff && i + 3 < n) {
			lo = (uint32_t)p[i + 2] << 8 | p[i + 3];
			if (lo < 0xdc00 || lo > 0xdfff)
				goto bad;
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		} else if (c >= 0xd800 && c <= 0xdfff)
			goto bad;
		if (c == 0) {
			if (i + 2 == n)		/* a trailing NUL some add */
				break;
			goto bad;
		}
		if (c < 0x80)
			s[o++] = (char)c;
		else if (c < 0x800) {
			s[o++] = (char)(0xc0 | c >> 6);
			s[o++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			s[o++] = (char)(0xe0 | c >> 12);
			s[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			s[o++] = (char)(0x80 | (c & 0x3f));
		} else {
			s[o++] = (char)(0xf0 | c >> 18);
			s[o++] = (char)(0x80 | ((c >> 12) & 0x3f));
			s[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			s[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	s[o] = '\0';
	return s;
bad:
	free(s);
	return NULL;
}

/*
 * Key derivation.
 */

int
pfx_kdf(int md_type, const uint8_t *pw, size_t pwlen, const uint8_t *salt,
    size_t saltlen, uint8_t id, unsigned long iterations, uint8_t *out,
    size_t outlen)
{
	const mbedtls_md_info_t *info;
	mbedtls_md_context_t md;
	uint8_t		 d[PFX_MAX_BLOCK], a[PFX_MAX_MD], b[PFX_MAX_BLOCK];
	uint8_t		*ibuf = NULL;
	size_t		 u, v, slen, plen, ilen, i, j, n, take;
	unsigned long	 k;
	unsigned int	 carry;
	int		 rc = -1;

	info = mbedtls_md_info_from_type((mbedtls_md_type_t)md_type);
	if (info == NULL || iterations == 0 || (pwlen > 0 && pw == NULL) ||
	    (saltlen > 0 && salt == NULL))
		return -1;
	u = mbedtls_md_get_size(info);
	v = (md_type == MBEDTLS_MD_SHA384 || md_type == MBEDTLS_MD_SHA512) ?
	    128 : 64;
	if (u > PFX_MAX_MD || saltlen > SIZE_MAX / 2 - v ||
	    pwlen > SIZE_MAX / 2 - v)
		return -1;
	slen = saltlen == 0 ? 0 : v * ((saltlen + v - 1) / v);
	plen = pwlen == 0 ? 0 : v * ((pwlen + v - 1) / v);
	ilen = slen + plen;
	if ((ibuf = malloc(ilen > 0 ? ilen : 1)) == NULL)
		return -1;
	for (i = 0; i < slen; i++)
		ibuf[i] = salt[i % saltlen];
	for (i = 0; i < plen; i++)
		ibuf[slen + i] = pw[i % pwlen];
	memset(d, id, v);

	mbedtls_md_init(&md);
	if (mbedtls_md_setup(&md, info, 0) != 0)
		goto out;
	for (n = 0; n < outlen; n += take) {
		if (mbedtls_md_starts(&md) != 0 ||
		    mbedtls_md_update(&md, d, v) != 0 ||
		    mbedtls_md_update(&md, ibuf, ilen) != 0 ||
		    mbedtls_md_finish(&md, a) != 0)
			goto out;
		for (k = 1; k < iterations; k++) {
			if (mbedtls_md_starts(&md) != 0 ||
			    mbedtls_md_update(&md, a, u) != 0 ||
			    mbedtls_md_finish(&md, a) != 0)
				goto out;
		}
		take = outlen - n < u ? outlen - n : u;
		memcpy(out + n, a, take);
		if (n + take >= outlen)
			break;
		/* I_j = (I_j + B + 1) mod 2^(8v) for every v-byte block. */
		for (j = 0; j < v; j++)
			b[j] = a[j % u];
		for (j = 0; j < ilen; j += v) {
			carry = 1;
			for (i = v; i-- > 0;) {
				carry += (unsigned int)ibuf[j + i] + b[i];
				ibuf[j + i] = (uint8_t)carry;
				carry >>= 8;
			}
		}
	}
	rc = 0;
out:
	mbedtls_md_free(&md);
	mbedtls_platform_zeroize(a, sizeof(a));
	mbedtls_platform_zeroize(b, sizeof(b));
	pfx_wipe_free(ibuf, ilen > 0 ? ilen : 1);
	if (rc != 0)
		mbedtls_platform_zeroize(out, outlen);
	return rc;
}

static enum pfx_err
pfx_check_iter(struct pfx_ctx *x, const struct ber_elem *e, const char *what,
    unsigned long *iter)
{
	long		 v;

	if (ber_get_long(e, &v) != BER_OK || v < 1)
		return pfx_fail(x, PFX_ERR_MALFORMED,
		    "%s: bad iteration count", what);
	if ((unsigned long)v > x->max_iter)
		return pfx_fail(x, PFX_ERR_ITERATIONS,
		    "%s: %ld iterations, more than the limit of %lu", what, v,
		    x->max_iter);
	/* Many bags at the limit each would still be a denial of service. */
	if ((unsigned long)v > x->budget)
		return pfx_fail(x, PFX_ERR_ITERATIONS,
		    "%s: iterations of the whole file over %d times the limit",
		    what, PFX_BUDGET);
	x->budget -= (unsigned long)v;
	*iter = (unsigned long)v;
	return PFX_OK;
}

static mbedtls_md_type_t
pfx_digest(const uint8_t *p, size_t len)
{
	return cms_md_type(oid_lookup(p, len));
}

/*
 * MacData: recompute the HMAC over the authSafe content.  On success
 * x->bmplen is set to the password form that verified.
 */
static enum pfx_err
pfx_check_mac(struct pfx_ctx *x, const struct ber_elem *macdata,
    const uint8_t *data, size_t len)
{
	struct ber_reader r;
	struct ber_elem	 e;
	const uint8_t	*oid;
	size_t		 oidlen, maclen, saltlen = 0, u, form;
	uint8_t		 mac[PFX_MAX_MD], want[PFX_MAX_MD], key[PFX_MAX_MD];
	uint8_t		*salt = NULL;
	unsigned long	 iter = 1;
	mbedtls_md_type_t mdt;
	const mbedtls_md_info_t *info;
	size_t		 forms[2];
	size_t		 nforms;
	enum pfx_err	 rc;
	char		 buf[64];

	ber_reader_init(&r, macdata->raw, macdata->rawlen, 0);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &e) || ber_get_oid(&e, &oid, &oidlen))
		return pfx_ber(x, &r, "MacData");
	if (ber_next(&r, &e) == BER_OK && (e.tag != BER_NULL ||
	    ber_check_null(&e) != BER_OK))
		return pfx_fail(x, PFX_ERR_MALFORMED,
		    "MacData: digest parameters are not NULL");
	if (ber_leave(&r) || ber_expect_octets(&r, &e))
		return pfx_ber(x, &r, "MacData");
	if (ber_octets_copy(&e, want, sizeof(want), &maclen) != BER_OK)
		return pfx_fail(x, PFX_ERR_MALFORMED, "MacData: bad digest");
	if (ber_leave(&r) || ber_expect_octets(&r, &e))
		return pfx_ber(x, &r, "MacData");
	if ((rc = pfx_octets_dup(x, &e, &salt, &saltlen, "MacData salt")))
		return rc;
	if (ber_peek(&r, &e) == BER_OK) {
		if ((rc = (ber_expect(&r, BER_INTEGER, &e) ? pfx_ber(x, &r,
		    "MacData") : pfx_check_iter(x, &e, "MacData", &iter))))
			goto out;
	}
	if (ber_next(&r, &e) != BER_END) {
		rc = pfx_ber(x, &r, "MacData");
		goto out;
	}
	if ((mdt = pfx_digest(oid, oidlen)) == MBEDTLS_MD_NONE) {
		rc = pfx_fail(x, PFX_ERR_UNSUPPORTED, "MAC digest %s",
		    pfx_oid_text(oid, oidlen, buf, sizeof(buf)));
		goto out;
	}
	info = mbedtls_md_info_from_type(mdt);
	u = mbedtls_md_get_size(info);
	if (maclen != u) {
		rc = pfx_fail(x, PFX_ERR_MALFORMED,
		    "MacData: %zu-byte MAC for a %zu-byte digest", maclen, u);
		goto out;
	}

	/* The usual form; for "" also the absent password (RFC 7292 B.1). */
	nforms = 0;
	forms[nforms++] = x->bmpcap;
	if (x->bmpcap == 2)
		forms[nforms++] = 0;
	rc = pfx_fail(x, PFX_ERR_PASSWORD, "MAC does not verify "
	    "(wrong password or corrupted file)");
	for (form = 0; form < nforms; form++) {
		if (pfx_kdf(mdt, x->bmp, forms[form], salt, saltlen, 3, iter,
		    key, u) != 0 ||
		    mbedtls_md_hmac(info, key, u, data, len, mac) != 0) {
			rc = pfx_fail(x, PFX_ERR_NOMEM, "MAC computation failed");
			break;
		}
		if (mbedtls_ct_memcmp(mac, want, u) == 0) {
			x->bmplen = forms[form];
			if (x->errbuf != NULL && x->errlen > 0)
				x->errbuf[0] = '\0';
			rc = PFX_OK;
			break;
		}
	}
out:
	mbedtls_platform_zeroize(key, sizeof(key));
	mbedtls_platform_zeroize(mac, sizeof(mac));
	free(salt);
	return rc;
}

/*
 * Decryption.
 */

static enum pfx_err
pfx_cbc(struct pfx_ctx *x, mbedtls_cipher_type_t type, const uint8_t *key,
    size_t keylen, const uint8_t *iv, size_t ivlen, const uint8_t *ct,
    size_t ctlen, uint8_t **pt, size_t *ptlen)
{
	const mbedtls_cipher_info_t *info;
	mbedtls_cipher_context_t c;
	uint8_t		*buf;
	size_t		 bs, cap, olen = 0;
	int		 ret;

	if ((info = mbedtls_cipher_info_from_type(type)) == NULL)
		return pfx_fail(x, PFX_ERR_UNSUPPORTED, "cipher not available");
	bs = compat_cipher_block_size(info);
	if (ctlen == 0 || ctlen % bs != 0)
		return pfx_fail(x, PFX_ERR_DECRYPT,
		    "ciphertext is not a whole number of blocks");
	if (ctlen > SIZE_MAX - bs ||
	    (buf = malloc((cap = ctlen + bs))) == NULL)
		return pfx_fail(x, PFX_ERR_NOMEM, "out of memory");
	mbedtls_cipher_init(&c);
	ret = mbedtls_cipher_setup(&c, info);
	if (ret == 0)
		ret = mbedtls_cipher_setkey(&c, key, (int)(keylen * 8),
		    MBEDTLS_DECRYPT);
	if (ret == 0)
		ret = mbedtls_cipher_set_padding_mode(&c, MBEDTLS_PADDING_PKCS7);
	if (ret == 0)
		ret = mbedtls_cipher_crypt(&c, iv, ivlen, ct, ctlen, buf, &olen);
	mbedtls_cipher_free(&c);
	if (ret != 0) {
		pfx_wipe_free(buf, cap);
		return pfx_fail(x, PFX_ERR_DECRYPT,
		    "does not decrypt (wrong password?)");
	}
	*pt = buf;
	*ptlen = olen;
	return PFX_OK;
}

/* pbeWithSHAAnd*: params SEQUENCE { salt OCTET STRING, iterations }. */
static enum pfx_err
pfx_pbe12(struct pfx_ctx *x, enum oid_id scheme, const struct ber_elem *params,
    const uint8_t *ct, size_t ctlen, uint8_t **pt, size_t *ptlen)
{
	struct ber_reader r;
	struct ber_elem	 e;
	uint8_t		*salt = NULL;
	size_t		 saltlen = 0, keylen, cap;
	uint8_t		 key[24], iv[8];
	unsigned long	 iter;
	enum pfx_err	 rc;

	ber_reader_init(&r, params->raw, params->rawlen, 0);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect_octets(&r, &e))
		return pfx_ber(x, &r, "PKCS#12 PBE parameters");
	if ((rc = pfx_octets_dup(x, &e, &salt, &saltlen, "PBE salt")))
		return rc;
	if (ber_expect(&r, BER_INTEGER, &e) || ber_next(&r, &e) != BER_END) {
		rc = pfx_ber(x, &r, "PKCS#12 PBE parameters");
		goto out;
	}
	if ((rc = pfx_check_iter(x, &e, "PKCS#12 PBE", &iter)))
		goto out;
	switch (scheme) {
	case OID_PBE_SHA1_3DES:
		keylen = 24;
		break;
	case OID_PBE_SHA1_2DES:
	case OID_PBE_SHA1_RC2_128:
		keylen = 16;
		break;
	default:
		keylen = 5;
		break;
	}
	if (pfx_kdf(MBEDTLS_MD_SHA1, x->bmp, x->bmplen, salt, saltlen, 1, iter,
	    key, keylen) != 0 ||
	    pfx_kdf(MBEDTLS_MD_SHA1, x->bmp, x->bmplen, salt, saltlen, 2, iter,
	    iv, sizeof(iv)) != 0) {
		rc = pfx_fail(x, PFX_ERR_NOMEM, "PKCS#12 key derivation failed");
		goto out;
	}
	switch (scheme) {
	case OID_PBE_SHA1_3DES:
		rc = pfx_cbc(x, MBEDTLS_CIPHER_DES_EDE3_CBC, key, keylen, iv,
		    sizeof(iv), ct, ctlen, pt, ptlen);
		break;
	case OID_PBE_SHA1_2DES:
		rc = pfx_cbc(x, MBEDTLS_CIPHER_DES_EDE_CBC, key, keylen, iv,
		    sizeof(iv), ct, ctlen, pt, ptlen);
		break;
	default:
		if (ctlen == 0 || ctlen % RC2_BLOCK != 0) {
			rc = pfx_fail(x, PFX_ERR_DECRYPT,
			    "ciphertext is not a whole number of blocks");
			break;
		}
		if ((*pt = malloc((cap = ctlen))) == NULL) {
			rc = pfx_fail(x, PFX_ERR_NOMEM, "out of memory");
			break;
		}
		if (rc2_cbc_decrypt(key, keylen, (unsigned int)keylen * 8, iv,
		    ct, ctlen, *pt, cap, ptlen) != 0) {
			pfx_wipe_free(*pt, cap);
			*pt = NULL;
			rc = pfx_fail(x, PFX_ERR_DECRYPT,
			    "does not decrypt (wrong password?)");
			break;
		}
		rc = PFX_OK;
		break;
	}
out:
	mbedtls_platform_zeroize(key, sizeof(key));
	mbedtls_platform_zeroize(iv, sizeof(iv));
	free(salt);
	return rc;
}

/*
 * PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier,
 *     encryptionScheme AlgorithmIdentifier }
 * PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER,
 *     keyLength INTEGER OPTIONAL, prf AlgorithmIdentifier DEFAULT SHA-1 }
 */
static enum pfx_err
pfx_pbes2(struct pfx_ctx *x, const struct ber_elem *params,
    const uint8_t *ct, size_t ctlen, uint8_t **pt, size_t *ptlen)
{
	struct ber_reader r;
	struct ber_elem	 e, saltel, iterel;
	const uint8_t	*oid;
	size_t		 oidlen, ivlen, keylen;
	long		 klen = -1;
	unsigned long	 iter;
	mbedtls_md_type_t prf = MBEDTLS_MD_SHA1;
	mbedtls_cipher_type_t cipher;
	uint8_t		 key[PFX_MAX_KEY], iv[PFX_MAX_IV];
	uint8_t		*salt = NULL;
	size_t		 saltlen = 0;
	enum pfx_err	 rc;
	char		 buf[64];

	ber_reader_init(&r, params->raw, params->rawlen, 0);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &e) || ber_get_oid(&e, &oid, &oidlen))
		return pfx_ber(x, &r, "PBES2 parameters");
	if (!oid_is(OID_PBKDF2, oid, oidlen))
		return pfx_fail(x, PFX_ERR_UNSUPPORTED, "PBES2 with KDF %s",
		    pfx_oid_text(oid, oidlen, buf, sizeof(buf)));
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_next(&r, &saltel))
		return pfx_ber(x, &r, "PBKDF2 parameters");
	if (saltel.tag != BER_OCTET_STRING &&
	    saltel.tag != (BER_OCTET_STRING | BER_CONSTRUCTED))
		return pfx_fail(x, PFX_ERR_UNSUPPORTED,
		    "PBKDF2 salt from another source");
	if (ber_expect(&r, BER_INTEGER, &iterel))
		return pfx_ber(x, &r, "PBKDF2 parameters");
	if (ber_peek(&r, &e) == BER_OK && e.tag == BER_INTEGER) {
		(void)ber_next(&r, &e);
		if (ber_get_long(&e, &klen) != BER_OK || klen < 1)
			return pfx_fail(x, PFX_ERR_MALFORMED,
			    "PBKDF2 parameters: bad keyLength");
	}
	if (ber_peek(&r, &e) == BER_OK) {
		if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
		    ber_expect(&r, BER_OID, &e) ||
		    ber_get_oid(&e, &oid, &oidlen))
			return pfx_ber(x, &r, "PBKDF2 PRF");
		switch (oid_lookup(oid, oidlen)) {
		case OID_HMAC_SHA1:
			prf = MBEDTLS_MD_SHA1;
			break;
		case OID_HMAC_SHA224:
			prf = MBEDTLS_MD_SHA224;
			break;
		case OID_HMAC_SHA256:
			prf = MBEDTLS_MD_SHA256;
			break;
		case OID_HMAC_SHA384:
			prf = MBEDTLS_MD_SHA384;
			break;
		case OID_HMAC_SHA512:
			prf = MBEDTLS_MD_SHA512;
			break;
		default:
			return pfx_fail(x, PFX_ERR_UNSUPPORTED, "PBKDF2 PRF %s",
			    pfx_oid_text(oid, oidlen, buf, sizeof(buf)));
		}
		if (ber_next(&r, &e) == BER_OK && (e.tag != BER_NULL ||
		    ber_check_null(&e) != BER_OK))
			return pfx_fail(x, PFX_ERR_MALFORMED,
			    "PBKDF2 PRF parameters are not NULL");
		if (ber_leave(&r))
			return pfx_ber(x, &r, "PBKDF2 PRF");
	}
	if (ber_next(&r, &e) != BER_END || ber_leave(&r) ||
	    ber_next(&r, &e) != BER_END || ber_leave(&r))
		return pfx_ber(x, &r, "PBKDF2 parameters");

	/* encryptionScheme */
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &e) || ber_get_oid(&e, &oid, &oidlen))
		return pfx_ber(x, &r, "PBES2 encryption scheme");
	switch (oid_lookup(oid, oidlen)) {
	case OID_AES128_CBC:
		cipher = MBEDTLS_CIPHER_AES_128_CBC;
		keylen = 16;
		ivlen = 16;
		break;
	case OID_AES192_CBC:
		cipher = MBEDTLS_CIPHER_AES_192_CBC;
		keylen = 24;
		ivlen = 16;
		break;
	case OID_AES256_CBC:
		cipher = MBEDTLS_CIPHER_AES_256_CBC;
		keylen = 32;
		ivlen = 16;
		break;
	case OID_DES_EDE3_CBC:
		cipher = MBEDTLS_CIPHER_DES_EDE3_CBC;
		keylen = 24;
		ivlen = 8;
		break;
	default:
		return pfx_fail(x, PFX_ERR_UNSUPPORTED, "PBES2 with cipher %s",
		    pfx_oid_text(oid, oidlen, buf, sizeof(buf)));
	}
	if (ber_expect(&r, BER_OCTET_STRING, &e) || e.len != ivlen)
		return pfx_fail(x, PFX_ERR_MALFORMED,
		    "PBES2 encryption scheme: bad IV");
	memcpy(iv, e.content, ivlen);
	if (ber_next(&r, &e) != BER_END || ber_leave(&r) ||
	    ber_next(&r, &e) != BER_END)
		return pfx_ber(x, &r, "PBES2 parameters");
	if (klen != -1 && (unsigned long)klen != keylen)
		return pfx_fail(x, PFX_ERR_MALFORMED,
		    "PBKDF2 keyLength %ld does not fit the cipher", klen);
	if ((rc = pfx_check_iter(x, &iterel, "PBKDF2", &iter)))
		return rc;
	if (iter > UINT_MAX)
		return pfx_fail(x, PFX_ERR_ITERATIONS, "PBKDF2: too many "
		    "iterations");
	if ((rc = pfx_octets_dup(x, &saltel, &salt, &saltlen, "PBKDF2 salt")))
		return rc;

	if (compat_pbkdf2_hmac(prf, (const unsigned char *)x->pw,
	    x->pwlen, salt, saltlen, (unsigned int)iter, (uint32_t)keylen,
	    key) != 0)
		rc = pfx_fail(x, PFX_ERR_NOMEM, "PBKDF2 failed");
	else
		rc = pfx_cbc(x, cipher, key, keylen, iv, ivlen, ct, ctlen, pt,
		    ptlen);
	mbedtls_platform_zeroize(key, sizeof(key));
	mbedtls_platform_zeroize(iv, sizeof(iv));
	free(salt);
	return rc;
}

/* AlgorithmIdentifier alg: dispatch to the scheme. */
static enum pfx_err
pfx_decrypt(struct pfx_ctx *x, const struct ber_elem *alg, const uint8_t *ct,
    size_t ctlen, uint8_t **pt, size_t *ptlen)
{
	struct ber_reader r;
	struct ber_elem	 e, params;
	const uint8_t	*oid;
	size_t		 oidlen;
	enum oid_id	 id;
	char		 buf[64];

	*pt = NULL;
	*ptlen = 0;
	ber_reader_init(&r, alg->raw, alg->rawlen, 0);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &e) || ber_get_oid(&e, &oid, &oidlen) ||
	    ber_next(&r, &params) || ber_next(&r, &e) != BER_END)
		return pfx_ber(x, &r, "encryption algorithm");
	switch ((id = oid_lookup(oid, oidlen))) {
	case OID_PBE_SHA1_3DES:
	case OID_PBE_SHA1_2DES:
	case OID_PBE_SHA1_RC2_128:
	case OID_PBE_SHA1_RC2_40:
		return pfx_pbe12(x, id, &params, ct, ctlen, pt, ptlen);
	case OID_PBES2:
		return pfx_pbes2(x, &params, ct, ctlen, pt, ptlen);
	default:
		return pfx_fail(x, PFX_ERR_UNSUPPORTED,
		    "encryption scheme %s",
		    pfx_oid_text(oid, oidlen, buf, sizeof(buf)));
	}
}

/*
 * Whether a decrypted buffer is exactly one well-formed BER element:
 * after a padding check that passed by chance (no MAC, or a second
 * password) it almost never is, which tells "wrong password" from
 * "decrypted but not what we can use".
 */
static int
pfx_plausible(const uint8_t *p, size_t len)
{
	size_t		 off;

	return len > 0 && p[0] == BER_SEQUENCE &&
	    ber_validate(p, len, 0, &off) == BER_OK;
}

/*
 * EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm
 *     AlgorithmIdentifier, encryptedData OCTET STRING }
 * Decrypt into a new buffer.
 */
static enum pfx_err
pfx_epki(struct pfx_ctx *x, const uint8_t *der, size_t len, uint8_t **pt,
    size_t *ptlen)
{
	struct ber_reader r;
	struct ber_elem	 e, alg;
	uint8_t		*ct;
	size_t		 ctlen;
	enum pfx_err	 rc;

	*pt = NULL;
	*ptlen = 0;
	ber_reader_init(&r, der, len, 0);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_SEQUENCE, &alg) || ber_expect_octets(&r, &e) ||
	    ber_next(&r, &e) != BER_END || ber_leave(&r) ||
	    ber_next(&r, &e) != BER_END)
		return pfx_ber(x, &r, "EncryptedPrivateKeyInfo");
	/* The OCTET STRING element again: the reader moved past it. */
	ber_reader_init(&r, der, len, 0);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_skip(&r) || ber_expect_octets(&r, &e))
		return pfx_ber(x, &r, "EncryptedPrivateKeyInfo");
	if ((rc = pfx_octets_dup(x, &e, &ct, &ctlen, "encrypted key")))
		return rc;
	rc = pfx_decrypt(x, &alg, ct, ctlen, pt, ptlen);
	free(ct);
	return rc;
}

/* Parse a PrivateKeyInfo into pk; decrypted says where it came from. */
static enum pfx_err
pfx_load_key(struct pfx_ctx *x, mbedtls_pk_context *pk, const uint8_t *der,
    size_t len, int decrypted)
{
	int		 ret;

	if ((ret = compat_pk_parse_key(pk, der, len, NULL, 0)) == 0)
		return PFX_OK;
	mbedtls_pk_free(pk);
	mbedtls_pk_init(pk);
	if (decrypted && !pfx_plausible(der, len))
		return pfx_fail(x, PFX_ERR_DECRYPT,
		    "key bag does not decrypt (wrong password?)");
	return pfx_fail(x, PFX_ERR_KEY, "private key does not parse "
	    "(mbedTLS error -0x%04x)", (unsigned int)-ret);
}

struct pfx_attrs {
	uint8_t		*local_id;
	size_t		 local_id_len;
	char		*friendly_name;
};

static void
pfx_attrs_clear(struct pfx_attrs *a)
{
	free(a->local_id);
	free(a->friendly_name);
	memset(a, 0, sizeof(*a));
}

/*
 * bagAttributes SET OF SEQUENCE { attrId OID, attrValues SET OF ANY }:
 * keep the first localKeyId and friendlyName, ignore the rest.  A
 * friendlyName that is not valid UTF-16 is dropped (it is a label).
 */
static enum pfx_err
pfx_attrs(struct pfx_ctx *x, const struct ber_elem *set, struct pfx_attrs *a)
{
	struct ber_reader r;
	struct ber_elem	 e, attr, val;
	const uint8_t	*oid;
	size_t		 oidlen;
	enum oid_id	 id;
	enum ber_err	 err;
	enum pfx_err	 rc;

	ber_reader_init(&r, set->raw, set->rawlen, 0);
	if (ber_expect(&r, BER_SET, &e) || ber_enter(&r))
		return pfx_ber(x, &r, "bag attributes");
	while ((err = ber_next(&r, &attr)) == BER_OK) {
		if (attr.tag != BER_SEQUENCE || ber_enter(&r) ||
		    ber_expect(&r, BER_OID, &e) ||
		    ber_get_oid(&e, &oid, &oidlen) ||
		    ber_expect(&r, BER_SET, &e) || ber_enter(&r))
			return pfx_ber(x, &r, "bag attribute");
		id = oid_lookup(oid, oidlen);
		if (ber_peek(&r, &val) == BER_OK) {
			if (id == OID_LOCAL_KEY_ID && a->local_id == NULL) {
				if (ber_expect_octets(&r, &val))
					return pfx_ber(x, &r, "localKeyId");
				if ((rc = pfx_octets_dup(x, &val, &a->local_id,
				    &a->local_id_len, "localKeyId")))
					return rc;
			} else if (id == OID_FRIENDLY_NAME &&
			    a->friendly_name == NULL &&
			    val.tag == BER_BMP_STRING)
				a->friendly_name = pfx_bmp_to_utf8(val.content,
				    val.len);
		}
		if (ber_leave(&r) || ber_next(&r, &e) != BER_END ||
		    ber_leave(&r))
			return pfx_ber(x, &r, "bag attribute");
	}
	if (err != BER_END)
		return pfx_ber(x, &r, "bag attributes");
	return PFX_OK;
}

static enum pfx_err
pfx_add_key(struct pfx_ctx *x, const uint8_t *der, size_t len, int decrypted,
    struct pfx_attrs *a)
{
	struct pfx_contents *c = x->out;
	enum pfx_err	 rc;

	if (c->has_key)
		return pfx_fail(x, PFX_ERR_UNSUPPORTED,
		    "more than one private key in the file");
	if ((rc = pfx_load_key(x, &c->key, der, len, decrypted)))
		return rc;
	c->has_key = 1;
	c->key_local_id = a->local_id;
	c->key_local_id_len = a->local_id_len;
	c->key_friendly_name = a->friendly_name;
	memset(a, 0, sizeof(*a));
	return PFX_OK;
}

/* CertBag ::= SEQUENCE { certId OID, certValue [0] EXPLICIT ANY } */
static enum pfx_err
pfx_add_cert(struct pfx_ctx *x, const struct ber_elem *bag, struct pfx_attrs *a)
{
	struct pfx_contents *c = x->out;
	struct ber_reader r;
	struct ber_elem	 e;
	struct pfx_cert	*certs, *pc;
	const uint8_t	*oid;
	size_t		 oidlen;
	enum pfx_err	 rc;

	ber_reader_init(&r, bag->raw, bag->rawlen, 0);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &e) || ber_get_oid(&e, &oid, &oidlen) ||
	    ber_expect(&r, BER_CONTEXT_CONS(0), &e) || ber_enter(&r))
		return pfx_ber(x, &r, "certBag");
	if (!oid_is(OID_X509_CERTIFICATE, oid, oidlen))
		return PFX_OK;		/* SDSI certificates: skipped */
	if (ber_expect_octets(&r, &e))
		return pfx_ber(x, &r, "certBag");
	if (c->ncerts >= PFX_MAX_CERTS)
		return pfx_fail(x, PFX_ERR_UNSUPPORTED,
		    "more than %d certificates", PFX_MAX_CERTS);
	certs = reallocarray(c->certs, c->ncerts + 1, sizeof(*certs));
	if (certs == NULL)
		return pfx_fail(x, PFX_ERR_NOMEM, "out of memory");
	c->certs = certs;
	pc = &certs[c->ncerts];
	memset(pc, 0, sizeof(*pc));
	if ((rc = pfx_octets_dup(x, &e, &pc->der, &pc->len, "certificate")))
		return rc;
	if (pc->len == 0) {
		free(pc->der);
		return pfx_fail(x, PFX_ERR_MALFORMED, "empty certificate");
	}
	pc->local_id = a->local_id;
	pc->local_id_len = a->local_id_len;
	pc->friendly_name = a->friendly_name;
	memset(a, 0, sizeof(*a));
	c->ncerts++;
	return PFX_OK;
}

static enum pfx_err pfx_safe_contents(struct pfx_ctx *, const uint8_t *,
    size_t, int, int);

/* SafeBag ::= SEQUENCE { bagId, bagValue [0] EXPLICIT, bagAttributes } */
static enum pfx_err
pfx_bag(struct pfx_ctx *x, const struct ber_elem *bag, int depth)
{
	struct ber_reader r;
	struct ber_elem	 e, val;
	struct pfx_attrs a;
	const uint8_t	*oid;
	size_t		 oidlen, ptlen = 0;
	uint8_t		*pt = NULL;
	enum pfx_err	 rc = PFX_OK;

	memset(&a, 0, sizeof(a));
	ber_reader_init(&r, bag->raw, bag->rawlen, 0);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &e) || ber_get_oid(&e, &oid, &oidlen) ||
	    ber_expect(&r, BER_CONTEXT_CONS(0), &e) || ber_enter(&r) ||
	    ber_next(&r, &val) || ber_next(&r, &e) != BER_END ||
	    ber_leave(&r))
		return pfx_ber(x, &r, "SafeBag");
	if (ber_peek(&r, &e) == BER_OK) {
		if (ber_expect(&r, BER_SET, &e))
			return pfx_ber(x, &r, "SafeBag");
		if ((rc = pfx_attrs(x, &e, &a)))
			goto out;
	}
	if (ber_next(&r, &e) != BER_END) {
		rc = pfx_ber(x, &r, "SafeBag");
		goto out;
	}
	switch (oid_lookup(oid, oidlen)) {
	case OID_KEY_BAG:
		rc = pfx_add_key(x, val.raw, val.rawlen, 0, &a);
		break;
	case OID_PKCS8_SHROUDED_KEY_BAG:
		if (x->out->has_key) {
			rc = pfx_fail(x, PFX_ERR_UNSUPPORTED,
			    "more than one private key in the file");
			break;
		}
		if ((rc = pfx_epki(x, val.raw, val.rawlen, &pt, &ptlen)))
			break;
		rc = pfx_add_key(x, pt, ptlen, 1, &a);
		break;
	case OID_CERT_BAG:
		rc = pfx_add_cert(x, &val, &a);
		break;
	case OID_SAFE_CONTENTS_BAG:
		if (depth + 1 >= PFX_MAX_NEST)
			rc = pfx_fail(x, PFX_ERR_MALFORMED,
			    "safeContentsBag nested too deep");
		else
			rc = pfx_safe_contents(x, val.raw, val.rawlen,
			    depth + 1, 0);
		break;
	default:
		break;		/* crlBag, secretBag, unknown: skipped */
	}
out:
	pfx_wipe_free(pt, ptlen);
	pfx_attrs_clear(&a);
	return rc;
}

/* SafeContents ::= SEQUENCE OF SafeBag, alone in its buffer. */
static enum pfx_err
pfx_safe_contents(struct pfx_ctx *x, const uint8_t *p, size_t len, int depth,
    int decrypted)
{
	struct ber_reader r;
	struct ber_elem	 e;
	enum ber_err	 err;
	enum pfx_err	 rc;

	if (decrypted && !pfx_plausible(p, len))
		return pfx_fail(x, PFX_ERR_DECRYPT,
		    "SafeContents does not decrypt (wrong password?)");
	ber_reader_init(&r, p, len, 0);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r))
		return pfx_ber(x, &r, "SafeContents");
	while ((err = ber_next(&r, &e)) == BER_OK) {
		if (e.tag != BER_SEQUENCE)
			return pfx_fail(x, PFX_ERR_MALFORMED,
			    "SafeContents: a bag is not a SEQUENCE");
		if ((rc = pfx_bag(x, &e, depth)))
			return rc;
	}
	if (err != BER_END || ber_leave(&r) || ber_next(&r, &e) != BER_END)
		return pfx_ber(x, &r, "SafeContents");
	return PFX_OK;
}

/*
 * EncryptedData ::= SEQUENCE { version INTEGER, encryptedContentInfo
 *     SEQUENCE { contentType OID, contentEncryptionAlgorithm,
 *     encryptedContent [0] IMPLICIT OCTET STRING OPTIONAL }, ... }
 */
static enum pfx_err
pfx_encrypted_data(struct pfx_ctx *x, const struct ber_elem *ed)
{
	struct ber_reader r;
	struct ber_elem	 e, alg;
	const uint8_t	*oid;
	size_t		 oidlen, ctlen = 0, ptlen = 0;
	uint8_t		*ct = NULL, *pt = NULL;
	enum pfx_err	 rc;

	ber_reader_init(&r, ed->raw, ed->rawlen, 0);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_INTEGER, &e) ||
	    ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &e) || ber_get_oid(&e, &oid, &oidlen) ||
	    ber_expect(&r, BER_SEQUENCE, &alg) || ber_next(&r, &e))
		return pfx_ber(x, &r, "EncryptedData");
	if (!oid_is(OID_DATA, oid, oidlen))
		return pfx_fail(x, PFX_ERR_MALFORMED,
		    "EncryptedData does not hold id-data");
	if (e.tag != BER_CONTEXT(0) && e.tag != BER_CONTEXT_CONS(0))
		return pfx_fail(x, PFX_ERR_MALFORMED,
		    "EncryptedData without encryptedContent");
	if ((rc = pfx_octets_dup(x, &e, &ct, &ctlen, "encryptedContent")))
		return rc;
	if ((rc = pfx_decrypt(x, &alg, ct, ctlen, &pt, &ptlen)) == PFX_OK)
		rc = pfx_safe_contents(x, pt, ptlen, 0, 1);
	free(ct);
	pfx_wipe_free(pt, ptlen);
	return rc;
}

/* AuthenticatedSafe ::= SEQUENCE OF ContentInfo */
static enum pfx_err
pfx_auth_safe(struct pfx_ctx *x, const uint8_t *p, size_t len)
{
	struct ber_reader r, ci;
	struct ber_elem	 e, c;
	const uint8_t	*oid;
	size_t		 oidlen, dlen;
	uint8_t		*data;
	enum ber_err	 err;
	enum pfx_err	 rc;
	char		 buf[64];

	ber_reader_init(&r, p, len, 0);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r))
		return pfx_ber(x, &r, "AuthenticatedSafe");
	while ((err = ber_next(&r, &c)) == BER_OK) {
		ber_reader_init(&ci, c.raw, c.rawlen, 0);
		if (ber_expect(&ci, BER_SEQUENCE, &e) || ber_enter(&ci) ||
		    ber_expect(&ci, BER_OID, &e) ||
		    ber_get_oid(&e, &oid, &oidlen) ||
		    ber_expect(&ci, BER_CONTEXT_CONS(0), &e) ||
		    ber_enter(&ci) || ber_next(&ci, &e) ||
		    ber_next(&ci, &c) != BER_END || ber_leave(&ci) ||
		    ber_next(&ci, &c) != BER_END)
			return pfx_ber(x, &ci, "AuthenticatedSafe ContentInfo");
		switch (oid_lookup(oid, oidlen)) {
		case OID_DATA:
			if (e.tag != BER_OCTET_STRING &&
			    e.tag != (BER_OCTET_STRING | BER_CONSTRUCTED))
				return pfx_fail(x, PFX_ERR_MALFORMED,
				    "id-data content is not an OCTET STRING");
			if ((rc = pfx_octets_dup(x, &e, &data, &dlen,
			    "SafeContents")))
				return rc;
			rc = pfx_safe_contents(x, data, dlen, 0, 0);
			pfx_wipe_free(data, dlen);
			break;
		case OID_ENCRYPTED_DATA:
			rc = pfx_encrypted_data(x, &e);
			break;
		case OID_ENVELOPED_DATA:
			return pfx_fail(x, PFX_ERR_UNSUPPORTED,
			    "public-key privacy mode (envelopedData)");
		default:
			return pfx_fail(x, PFX_ERR_UNSUPPORTED,
			    "AuthenticatedSafe content type %s",
			    pfx_oid_text(oid, oidlen, buf, sizeof(buf)));
		}
		if (rc != PFX_OK)
			return rc;
	}
	if (err != BER_END || ber_leave(&r) || ber_next(&r, &e) != BER_END)
		return pfx_ber(x, &r, "AuthenticatedSafe");
	return PFX_OK;
}

static enum pfx_err
pfx_ctx_init(struct pfx_ctx *x, const char *pw, unsigned long max_iter,
    char *errbuf, size_t errlen)
{
	memset(x, 0, sizeof(*x));
	x->errbuf = errbuf;
	x->errlen = errbuf == NULL ? 0 : errlen;
	if (x->errlen > 0)
		errbuf[0] = '\0';
	x->pw = pw == NULL ? "" : pw;
	x->pwlen = strlen(x->pw);
	x->max_iter = max_iter;
	x->budget = max_iter > ULONG_MAX / PFX_BUDGET ? ULONG_MAX :
	    max_iter * PFX_BUDGET;
	if (pfx_bmp_password(x->pw, &x->bmp, &x->bmpcap) != 0)
		return pfx_fail(x, PFX_ERR_ARG,
		    "password is not valid UTF-8 (or out of memory)");
	x->bmplen = x->bmpcap;
	return PFX_OK;
}

static void
pfx_ctx_clear(struct pfx_ctx *x)
{
	pfx_wipe_free(x->bmp, x->bmpcap);
	x->bmp = NULL;
}

void
pfx_contents_free(struct pfx_contents *c)
{
	size_t		 i;

	if (c == NULL)
		return;
	mbedtls_pk_free(&c->key);
	free(c->key_local_id);
	free(c->key_friendly_name);
	for (i = 0; i < c->ncerts; i++) {
		free(c->certs[i].der);
		free(c->certs[i].local_id);
		free(c->certs[i].friendly_name);
	}
	free(c->certs);
	memset(c, 0, sizeof(*c));
	mbedtls_pk_init(&c->key);
}

enum pfx_err
pfx_parse_ex(const uint8_t *der, size_t len, const char *password_utf8,
    unsigned long max_iterations, struct pfx_contents *out, char *errbuf,
    size_t errlen)
{
	struct pfx_ctx	 x;
	struct ber_reader r;
	struct ber_elem	 e, auth, mac;
	const uint8_t	*oid;
	size_t		 oidlen, aslen = 0;
	uint8_t		*as = NULL;
	long		 version;
	int		 have_mac = 0;
	enum pfx_err	 rc;

	memset(out, 0, sizeof(*out));
	mbedtls_pk_init(&out->key);
	if ((rc = pfx_ctx_init(&x, password_utf8, max_iterations, errbuf,
	    errlen)))
		goto out;
	x.out = out;
	if (der == NULL || len == 0) {
		rc = pfx_fail(&x, PFX_ERR_MALFORMED, "empty input");
		goto out;
	}

	ber_reader_init(&r, der, len, 0);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_INTEGER, &e)) {
		rc = pfx_ber(&x, &r, "PFX");
		goto out;
	}
	if (ber_get_long(&e, &version) != BER_OK || version != 3) {
		rc = pfx_fail(&x, PFX_ERR_UNSUPPORTED, "PFX version is not 3");
		goto out;
	}
	if (ber_expect(&r, BER_SEQUENCE, &auth)) {
		rc = pfx_ber(&x, &r, "PFX");
		goto out;
	}
	if (ber_peek(&r, &mac) == BER_OK) {
		if (ber_expect(&r, BER_SEQUENCE, &mac)) {
			rc = pfx_ber(&x, &r, "PFX");
			goto out;
		}
		have_mac = 1;
	}
	if (ber_next(&r, &e) != BER_END || ber_leave(&r) ||
	    ber_next(&r, &e) != BER_END) {
		rc = pfx_ber(&x, &r, "PFX");
		goto out;
	}

	/* authSafe ContentInfo: id-data, [0] EXPLICIT OCTET STRING. */
	ber_reader_init(&r, auth.raw, auth.rawlen, 0);
	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &e) || ber_get_oid(&e, &oid, &oidlen)) {
		rc = pfx_ber(&x, &r, "authSafe");
		goto out;
	}
	if (oid_is(OID_SIGNED_DATA, oid, oidlen)) {
		rc = pfx_fail(&x, PFX_ERR_UNSUPPORTED,
		    "public-key integrity mode (signedData)");
		goto out;
	}
	if (!oid_is(OID_DATA, oid, oidlen)) {
		rc = pfx_fail(&x, PFX_ERR_MALFORMED,
		    "authSafe is not id-data");
		goto out;
	}
	if (ber_expect(&r, BER_CONTEXT_CONS(0), &e) || ber_enter(&r) ||
	    ber_expect_octets(&r, &e)) {
		rc = pfx_ber(&x, &r, "authSafe");
		goto out;
	}
	if ((rc = pfx_octets_dup(&x, &e, &as, &aslen, "authSafe")))
		goto out;
	if (ber_next(&r, &e) != BER_END || ber_leave(&r) ||
	    ber_next(&r, &e) != BER_END) {
		rc = pfx_ber(&x, &r, "authSafe");
		goto out;
	}

	/* Integrity first: nothing is decrypted before the MAC verifies. */
	if (have_mac) {
		if ((rc = pfx_check_mac(&x, &mac, as, aslen)))
			goto out;
		out->mac_verified = 1;
	}
	rc = pfx_auth_safe(&x, as, aslen);
out:
	pfx_wipe_free(as, aslen);
	pfx_ctx_clear(&x);
	if (rc != PFX_OK) {
		pfx_contents_free(out);
		if (x.errlen > 0 && x.errbuf[0] == '\0')
			snprintf(x.errbuf, x.errlen, "%s", pfx_strerror(rc));
	}
	return rc;
}

enum pfx_err
pfx_parse(const uint8_t *der, size_t len, const char *password_utf8,
    struct pfx_contents *out, char *errbuf, size_t errlen)
{
	return pfx_parse_ex(der, len, password_utf8, PFX_MAX_ITERATIONS, out,
	    errbuf, errlen);
}

enum pfx_err
pfx_pkcs8_decrypt(const uint8_t *der, size_t len, const char *password_utf8,
    unsigned long max_iterations, mbedtls_pk_context *pk, char *errbuf,
    size_t errlen)
{
	struct pfx_ctx	 x;
	uint8_t		*pt = NULL;
	size_t		 ptlen = 0;
	enum pfx_err	 rc;

	if ((rc = pfx_ctx_init(&x, password_utf8, max_iterations, errbuf,
	    errlen)))
		goto out;
	if (der == NULL || len == 0) {
		rc = pfx_fail(&x, PFX_ERR_MALFORMED, "empty input");
		goto out;
	}
	if ((rc = pfx_epki(&x, der, len, &pt, &ptlen)))
		goto out;
	rc = pfx_load_key(&x, pk, pt, ptlen, 1);
out:
	pfx_wipe_free(pt, ptlen);
	pfx_ctx_clear(&x);
	return rc;
}

/*
 * Leaf and chain order.
 */

static int
pfx_same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return a != NULL && b != NULL && alen == blen && alen > 0 &&
	    memcmp(a, b, alen) == 0;
}

enum pfx_err
pfx_order_chain(struct pfx_contents *c, char *errbuf, size_t errlen)
{
	struct pfx_ctx	 x;
	mbedtls_x509_crt *crt = NULL;
	struct pfx_cert	*sorted = NULL;
	size_t		*order = NULL, n = c->ncerts, i, j, k, leaf, cur;
	uint8_t		*used = NULL, *ok = NULL;
	enum pfx_err	 rc = PFX_OK;
	int		 pass;

	memset(&x, 0, sizeof(x));
	x.errbuf = errbuf;
	x.errlen = errbuf == NULL ? 0 : errlen;
	if (x.errlen > 0)
		errbuf[0] = '\0';
	if (!c->has_key || n == 0)
		return pfx_fail(&x, PFX_ERR_NO_LEAF,
		    c->has_key ? "no certificates" : "no private key");
	crt = calloc(n, sizeof(*crt));
	order = calloc(n, sizeof(*order));
	used = calloc(n, 1);
	ok = calloc(n, 1);
	sorted = calloc(n, sizeof(*sorted));
	if (crt == NULL || order == NULL || used == NULL || ok == NULL ||
	    sorted == NULL) {
		rc = pfx_fail(&x, PFX_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		mbedtls_x509_crt_init(&crt[i]);
		ok[i] = mbedtls_x509_crt_parse_der(&crt[i], c->certs[i].der,
		    c->certs[i].len) == 0;
	}

	/* Pass 0: same localKeyId and matching key; pass 1: matching key. */
	leaf = n;
	for (pass = 0; pass < 2 && leaf == n; pass++) {
		for (i = 0; i < n && leaf == n; i++) {
			if (!ok[i] || (pass == 0 && !pfx_same(c->key_local_id,
			    c->key_local_id_len, c->certs[i].local_id,
			    c->certs[i].local_id_len)))
				continue;
			if (compat_pk_check_pair(&crt[i].pk, &c->key) == 0)
				leaf = i;
		}
	}
	if (leaf == n) {
		rc = pfx_fail(&x, PFX_ERR_NO_LEAF,
		    "no certificate matches the private key");
		goto out;
	}

	k = 0;
	order[k++] = leaf;
	used[leaf] = 1;
	for (cur = leaf; k < n; cur = j) {
		if (pfx_same(crt[cur].issuer_raw.p, crt[cur].issuer_raw.len,
		    crt[cur].subject_raw.p, crt[cur].subject_raw.len))
			break;		/* self-issued: the top */
		for (j = 0; j < n; j++) {
			if (!used[j] && ok[j] && pfx_same(crt[j].subject_raw.p,
			    crt[j].subject_raw.len, crt[cur].issuer_raw.p,
			    crt[cur].issuer_raw.len))
				break;
		}
		if (j == n)
			break;
		order[k++] = j;
		used[j] = 1;
	}
	for (i = 0; i < n; i++)
		if (!used[i])
			order[k++] = i;
	for (i = 0; i < n; i++)
		sorted[i] = c->certs[order[i]];
	free(c->certs);
	c->certs = sorted;
	sorted = NULL;
out:
	if (crt != NULL)
		for (i = 0; i < n; i++)
			mbedtls_x509_crt_free(&crt[i]);
	free(crt);
	free(order);
	free(used);
	free(ok);
	free(sorted);
	return rc;
}
