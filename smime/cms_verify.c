/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * SignedData verification (RFC 5652 §5.6), DER or BER, detached or
 * opaque, any number of signers (up to CMS_MAX_SIGNERS reported), with
 * or without signed attributes; chain, time, keyUsage and extKeyUsage
 * checks (RFC 8550 §4.4); the result says which check failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/oid.h>
#include <mbedtls/rsa.h>

#include "ber.h"
#include "cms.h"
#include "cms_chain.h"
#include "digest.h"
#include "mime.h"
#include "oid.h"

const struct cms_limits cms_limits_default = {
	.certs = CMS_MAX_CERTS,
	.signers = CMS_MAX_SIGNERS,
	.chain = 6,
	.rsa_bits = 8192,
	.rsa_exp = (uint64_t)1 << 32,
	.pkops = 64
};

/* The parts of a SignedData we use, as spans of the input. */
struct signed_data {
	struct ber_elem	 econtent_type;
	struct ber_elem	 econtent;	/* the OCTET STRING, if embedded */
	int		 has_econtent;
	struct ber_elem	 certs;		/* [0] IMPLICIT SET OF */
	int		 has_certs;
	struct ber_elem	 signer_infos;
};

struct signer_info {
	const uint8_t	*issuer;	/* Name, whole encoding */
	size_t		 issuerlen;
	const uint8_t	*serial;	/* INTEGER content */
	size_t		 seriallen;
	const uint8_t	*ski;
	size_t		 skilen;
	enum oid_id	 digest;
	struct ber_elem	 attrs;		/* [0] signedAttrs */
	int		 has_attrs;
	struct ber_elem	 sigalg;	/* AlgorithmIdentifier content */
	uint8_t		 sig[1024];
	size_t		 siglen;
};

struct cert_set {
	mbedtls_x509_crt crt[CMS_MAX_CERTS];
	const uint8_t	*der[CMS_MAX_CERTS];	/* the encoding in the input */
	size_t		 derlen[CMS_MAX_CERTS];
	size_t		 n;
};

const char *
cms_vstatus_str(enum cms_vstatus s)
{
	static const char *names[] = {
		"ok", "malformed signer info", "signer certificate missing",
		"unsupported algorithm", "content type mismatch",
		"content digest mismatch", "bad signature",
		"untrusted certificate chain", "certificate expired",
		"certificate not yet valid", "certificate revoked",
		"key usage does not allow signing",
		"extended key usage does not allow email protection",
		"certificate chain too long",
		"public-key operation budget spent",
		"certificate signature does not verify"
	};

	if ((size_t)s < sizeof(names) / sizeof(names[0]))
		return names[s];
	return "unknown";
}

static int
parse_signed_data(const uint8_t *buf, size_t len, struct signed_data *sd,
    struct cms_error *e)
{
	struct ber_reader r;
	struct ber_elem el;
	enum ber_err be;

	memset(sd, 0, sizeof(*sd));
	ber_reader_init(&r, buf, len, 0);
	if ((be = ber_expect(&r, BER_SEQUENCE, &el)) || (be = ber_enter(&r)) ||
	    (be = ber_expect(&r, BER_OID, &el)))
		goto bad;
	if (!oid_is(OID_SIGNED_DATA, el.content, el.len)) {
		cms_error_set(e, CMS_ERR_UNSUPPORTED, "not a SignedData");
		return -1;
	}
	if ((be = ber_expect(&r, BER_CONTEXT_CONS(0), &el)) ||
	    (be = ber_enter(&r)) || (be = ber_expect(&r, BER_SEQUENCE, &el)) ||
	    (be = ber_enter(&r)) || (be = ber_expect(&r, BER_INTEGER, &el)) ||
	    (be = ber_expect(&r, BER_SET, &el)) ||
	    (be = ber_expect(&r, BER_SEQUENCE, &el)) || (be = ber_enter(&r)) ||
	    (be = ber_expect(&r, BER_OID, &sd->econtent_type)))
		goto bad;
	if (ber_next(&r, &el) == BER_OK) {
		if (el.tag != BER_CONTEXT_CONS(0)) {
			be = BER_ERR_UNEXPECTED_TAG;
			goto bad;
		}
		if ((be = ber_enter(&r)) ||
		    (be = ber_expect_octets(&r, &sd->econtent)) ||
		    (be = ber_leave(&r)))
			goto bad;
		sd->has_econtent = 1;
	}
	if ((be = ber_leave(&r)) || (be = ber_next(&r, &el)))
		goto bad;
	if (el.tag == BER_CONTEXT_CONS(0)) {
		sd->certs = el;
		sd->has_certs = 1;
		if ((be = ber_next(&r, &el)))
			goto bad;
	}
	if (el.tag == BER_CONTEXT_CONS(1) && (be = ber_next(&r, &el)))
		goto bad;	/* crls: we use the store's */
	if (el.tag != BER_SET) {
		be = BER_ERR_UNEXPECTED_TAG;
		goto bad;
	}
	sd->signer_infos = el;
	return 0;
bad:
	if (be == BER_OK)
		be = ber_error(&r);
	cms_error_set(e, CMS_ERR_ENCODING, "malformed SignedData: %s",
	    ber_strerror(be));
	return -1;
}

static int
parse_sid(struct ber_reader *r, struct signer_info *si)
{
	struct ber_reader s;
	struct ber_elem el, name, serial;

	if (ber_next(r, &el) != BER_OK)
		return -1;
	if (el.tag == BER_CONTEXT(0)) {		/* subjectKeyIdentifier */
		si->ski = el.content;
		si->skilen = el.len;
		return 0;
	}
	if (el.tag != BER_SEQUENCE)
		return -1;
	ber_reader_init(&s, el.content, el.len, 0);
	if (ber_expect(&s, BER_SEQUENCE, &name) != BER_OK ||
	    ber_expect(&s, BER_INTEGER, &serial) != BER_OK)
		return -1;
	si->issuer = name.raw;
	si->issuerlen = name.rawlen;
	si->serial = serial.content;
	si->seriallen = serial.len;
	return 0;
}

static int
parse_signer_info(const struct ber_elem *sie, struct signer_info *si)
{
	struct ber_reader r, a;
	struct ber_elem el;
	const uint8_t *oid;
	size_t oidlen;

	memset(si, 0, sizeof(*si));
	ber_reader_init(&r, sie->content, sie->len, 0);
	if (ber_expect(&r, BER_INTEGER, &el) != BER_OK || parse_sid(&r, si))
		return -1;
	if (ber_expect(&r, BER_SEQUENCE, &el) != BER_OK)
		return -1;
	ber_reader_init(&a, el.content, el.len, 0);
	if (ber_expect(&a, BER_OID, &el) != BER_OK ||
	    ber_get_oid(&el, &oid, &oidlen) != BER_OK)
		return -1;
	si->digest = oid_lookup(oid, oidlen);
	if (ber_next(&r, &el) != BER_OK)
		return -1;
	if (el.tag == BER_CONTEXT_CONS(0)) {
		si->attrs = el;
		si->has_attrs = 1;
		if (ber_next(&r, &el) != BER_OK)
			return -1;
	}
	if (el.tag != BER_SEQUENCE)
		return -1;
	si->sigalg = el;
	if (ber_expect_octets(&r, &el) != BER_OK ||
	    ber_octets_copy(&el, si->sig, sizeof(si->sig), &si->siglen) !=
	    BER_OK)
		return -1;
	return 0;
}

/* A hash update a chunk at a time, so a mapped input can be trimmed. */
static int
md_update_cb(void *arg, const uint8_t *p, size_t n)
{
	size_t k;

	for (; n > 0; p += k, n -= k) {
		k = n < MIME_CHUNK ? n : MIME_CHUNK;
		if (digest_update(arg, p, k) != 0)
			return 1;
		mime_consumed(k);
	}
	return 0;
}

/* Where the detached content comes from: a buffer, or a feeder. */
struct content_src {
	const uint8_t	*p;
	size_t		 len;
	cms_feed_fn	 feed;
	void		*arg;
};

/* Digest of the content: detached (given) or embedded eContent. */
static int
content_digest(mbedtls_md_type_t md, const struct content_src *c,
    const struct signed_data *sd, uint8_t *out)
{
	struct digest ctx;
	int rc = -1;

	digest_init(&ctx);
	if (digest_setup(&ctx, md) != 0)
		goto done;
	if (c->feed != NULL) {
		if (c->feed(c->arg, md_update_cb, &ctx) != 0)
			goto done;
	} else if (c->p != NULL) {
		if (md_update_cb(&ctx, c->p, c->len) != 0)
			goto done;
	} else if (!sd->has_econtent || ber_octets_foreach(&sd->econtent,
	    md_update_cb, &ctx) != BER_OK)
		goto done;
	if (digest_finish(&ctx, out) != 0)
		goto done;
	rc = 0;
done:
	digest_free(&ctx);
	return rc;
}

/* Elements in a SET, or more than max: counted before any is used. */
static size_t
count_elems(const struct ber_elem *set, size_t max)
{
	struct ber_reader r;
	struct ber_elem el;
	size_t n = 0;

	ber_reader_init(&r, set->content, set->len, 0);
	while (n <= max && ber_next(&r, &el) == BER_OK)
		n++;
	return n;
}

/*
 * The message's certificates, parsed.  More than lim->certs, or an RSA
 * key over the bounds in any of them, and the message is not judged:
 * no public-key operation is made with a key that was not measured.
 */
static int
load_certs(const struct signed_data *sd, const struct cms_limits *lim,
    struct cert_set *cs, struct cms_error *e)
{
	struct ber_reader r;
	struct ber_elem el;
	size_t max = lim->certs < CMS_MAX_CERTS ? lim->certs : CMS_MAX_CERTS;
	char why[100];

	cs->n = 0;
	if (!sd->has_certs)
		return 0;
	if (count_elems(&sd->certs, max) > max) {
		cms_error_set(e, CMS_ERR_LIMIT, "more than %zu certificates",
		    max);
		return -1;
	}
	ber_reader_init(&r, sd->certs.content, sd->certs.len, 0);
	while (ber_next(&r, &el) == BER_OK) {
		if (el.tag != BER_SEQUENCE)
			continue;	/* attribute or other certificates */
		if (cms_cert_key_bounds(el.raw, el.rawlen, lim->rsa_bits,
		    lim->rsa_exp, why, sizeof(why)) == -1) {
			cms_error_set(e, CMS_ERR_LIMIT, "certificate %zu has "
			    "%s", cs->n + 1, why);
			return -1;
		}
		mbedtls_x509_crt_init(&cs->crt[cs->n]);
		if (mbedtls_x509_crt_parse_der(&cs->crt[cs->n], el.raw,
		    el.rawlen) == 0) {
			cs->der[cs->n] = el.raw;
			cs->derlen[cs->n] = el.rawlen;
			cs->n++;
		}
		else
			mbedtls_x509_crt_free(&cs->crt[cs->n]);
	}
	return 0;
}

static void
free_certs(struct cert_set *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		mbedtls_x509_crt_free(&cs->crt[i]);
	cs->n = 0;
}

static mbedtls_x509_crt *
find_cert(struct cert_set *cs, const struct signer_info *si)
{
	const uint8_t *ski;
	size_t i, skilen;
	mbedtls_x509_crt *c;

	for (i = 0; i < cs->n; i++) {
		c = &cs->crt[i];
		if (si->ski) {
			if (cms_cert_ski(c, &ski, &skilen) == 0 &&
			    skilen == si->skilen &&
			    memcmp(ski, si->ski, skilen) == 0)
				return c;
		} else if (c->issuer_raw.len == si->issuerlen &&
		    memcmp(c->issuer_raw.p, si->issuer, si->issuerlen) == 0 &&
		    c->serial.len == si->seriallen &&
		    memcmp(c->serial.p, si->serial, si->seriallen) == 0)
			return c;
	}
	return NULL;
}

struct attrs_found {
	struct ber_elem	 content_type;
	int		 has_content_type;
	struct ber_elem	 digest;
	int		 has_digest;
};

/* Walk signedAttrs: the ones we check, and the ones we report. */
static int
read_attrs(const struct signer_info *si, struct attrs_found *af,
    struct cms_signer_result *res)
{
	struct ber_reader r, a, v;
	struct ber_elem attr, type, set, val;
	const uint8_t *oid;
	size_t oidlen;
	enum oid_id id;

	memset(af, 0, sizeof(*af));
	ber_reader_init(&r, si->attrs.content, si->attrs.len, 0);
	while (ber_next(&r, &attr) == BER_OK) {
		ber_reader_init(&a, attr.content, attr.len, 0);
		if (ber_expect(&a, BER_OID, &type) != BER_OK ||
		    ber_get_oid(&type, &oid, &oidlen) != BER_OK ||
		    ber_expect(&a, BER_SET, &set) != BER_OK)
			return -1;
		ber_reader_init(&v, set.content, set.len, 0);
		if (ber_next(&v, &val) != BER_OK)
			return -1;
		id = oid_lookup(oid, oidlen);
		if (id == OID_CONTENT_TYPE) {
			af->content_type = val;
			af->has_content_type = 1;
		} else if (id == OID_MESSAGE_DIGEST) {
			af->digest = val;
			af->has_digest = 1;
		} else if (id == OID_SIGNING_TIME) {
			if (ber_get_time(&val, NULL, &res->signing_time) ==
			    BER_OK)
				res->has_signing_time = 1;
		} else if (id == OID_SMIME_CAPABILITIES) {
			res->caps = val.raw;
			res->capslen = val.rawlen;
		} else if (id == OID_SMIME_ENC_KEY_PREF) {
			res->enc_pref = val.raw;
			res->enc_preflen = val.rawlen;
		}
	}
	return ber_error(&r) == BER_OK || ber_error(&r) == BER_END ? 0 : -1;
}

/* The DER SET OF that was signed: signedAttrs with the universal tag. */
static uint8_t *
attrs_as_set(const struct signer_info *si, size_t *outlen)
{
	size_t n = si->attrs.len, hl, i;
	uint8_t *p;

	hl = n < 0x80 ? 2 : n <= 0xff ? 3 : n <= 0xffff ? 4 :
	    n <= 0xffffff ? 5 : 6;
	if ((p = malloc(hl + n)) == NULL)
		return NULL;
	p[0] = BER_SET;
	if (hl == 2)
		p[1] = (uint8_t)n;
	else {
		p[1] = (uint8_t)(0x80 | (hl - 2));
		for (i = 0; i < hl - 2; i++)
			p[2 + i] = (uint8_t)(n >> (8 * (hl - 3 - i)));
	}
	memcpy(p + hl, si->attrs.content, n);
	*outlen = hl + n;
	return p;
}

/* RSASSA-PSS-params: hash, MGF1 hash, salt length (RFC 4055 §3.1). */
static int
pss_params(const struct ber_elem *params, mbedtls_md_type_t *md,
    mbedtls_md_type_t *mgf, int *salt)
{
	struct ber_reader r, s;
	struct ber_elem el, alg, oid, inner;
	const uint8_t *o;
	size_t ol;
	long v;

	*md = *mgf = MBEDTLS_MD_SHA1;	/* the ASN.1 defaults */
	*salt = 20;
	ber_reader_init(&r, params->content, params->len, 0);
	while (ber_next(&r, &el) == BER_OK) {
		ber_reader_init(&s, el.content, el.len, 0);
		if (el.tag == BER_CONTEXT_CONS(0) || el.tag ==
		    BER_CONTEXT_CONS(1)) {
			if (ber_expect(&s, BER_SEQUENCE, &alg) != BER_OK)
				return -1;
			ber_reader_init(&s, alg.content, alg.len, 0);
			if (ber_expect(&s, BER_OID, &oid) != BER_OK ||
			    ber_get_oid(&oid, &o, &ol) != BER_OK)
				return -1;
			if (el.tag == BER_CONTEXT_CONS(0)) {
				*md = cms_md_type(oid_lookup(o, ol));
				continue;
			}
			if (!oid_is(OID_MGF1, o, ol) ||
			    ber_expect(&s, BER_SEQUENCE, &inner) != BER_OK)
				return -1;
			ber_reader_init(&s, inner.content, inner.len, 0);
			if (ber_expect(&s, BER_OID, &oid) != BER_OK ||
			    ber_get_oid(&oid, &o, &ol) != BER_OK)
				return -1;
			*mgf = cms_md_type(oid_lookup(o, ol));
		} else if (el.tag == BER_CONTEXT_CONS(2)) {
			if (ber_expect(&s, BER_INTEGER, &inner) != BER_OK ||
			    ber_get_long(&inner, &v) != BER_OK || v < 0 ||
			    v > 1024)
				return -1;
			*salt = (int)v;
		}
	}
	return *md == MBEDTLS_MD_NONE || *mgf == MBEDTLS_MD_NONE ? -1 : 0;
}

/*
 * The digest a signature algorithm names (an X.509 signatureAlgorithm:
 * sha256WithRSAEncryption, ecdsa-with-SHA384, RSASSA-PSS with its
 * parameters), MBEDTLS_MD_NONE for one we do not take.
 */
mbedtls_md_type_t
cms_sigalg_md(const struct ber_elem *sigalg)
{
	mbedtls_pk_rsassa_pss_options opts;
	struct ber_reader r;
	struct ber_elem oid, params;
	const uint8_t *o;
	size_t ol;
	mbedtls_md_type_t md;

	ber_reader_init(&r, sigalg->content, sigalg->len, 0);
	if (ber_expect(&r, BER_OID, &oid) != BER_OK ||
	    ber_get_oid(&oid, &o, &ol) != BER_OK)
		return MBEDTLS_MD_NONE;
	/*
	 * Parameters: PSS's, else none or NULL (RFC 4055, 5758).  An
	 * OCSP response signs nothing of its algorithm: no room is left
	 * for octets that change without breaking the signature.
	 */
	if (oid_lookup(o, ol) != OID_RSASSA_PSS && !ber_at_end(&r) &&
	    (ber_next(&r, &params) != BER_OK || params.tag != BER_NULL ||
	    params.len != 0 || !ber_at_end(&r)))
		return MBEDTLS_MD_NONE;
	switch (oid_lookup(o, ol)) {
	case OID_SHA224_WITH_RSA:
		return MBEDTLS_MD_SHA224;
	case OID_SHA256_WITH_RSA:
	case OID_ECDSA_SHA256:
		return MBEDTLS_MD_SHA256;
	case OID_SHA384_WITH_RSA:
	case OID_ECDSA_SHA384:
		return MBEDTLS_MD_SHA384;
	case OID_SHA512_WITH_RSA:
	case OID_ECDSA_SHA512:
		return MBEDTLS_MD_SHA512;
	case OID_RSASSA_PSS:
		if (ber_expect(&r, BER_SEQUENCE, &params) != BER_OK ||
		    pss_params(&params, &md, &opts.mgf1_hash_id,
		    &opts.expected_salt_len) == -1)
			return MBEDTLS_MD_NONE;
		return md;
	default:
		return MBEDTLS_MD_NONE;	/* SHA-1 included: not for new data */
	}
}

/*
 * Check sig, over hash (made with md), by the key pk, for the signature
 * algorithm sigalg (an AlgorithmIdentifier).
 */
enum cms_vstatus
cms_sig_check(const struct ber_elem *sigalg, mbedtls_pk_context *pk,
    mbedtls_md_type_t md, const unsigned char *hash, const uint8_t *sig,
    size_t siglen, char *why, size_t whysz)
{
	mbedtls_pk_rsassa_pss_options opts;
	struct ber_reader r;
	struct ber_elem oid, params;
	const uint8_t *o;
	size_t ol;
	enum oid_id alg;
	mbedtls_md_type_t pmd;
	mbedtls_pk_type_t kt = mbedtls_pk_get_type(pk);
	int rc;

	ber_reader_init(&r, sigalg->content, sigalg->len, 0);
	if (ber_expect(&r, BER_OID, &oid) != BER_OK ||
	    ber_get_oid(&oid, &o, &ol) != BER_OK)
		return CMS_V_MALFORMED;
	alg = oid_lookup(o, ol);
	if (alg == OID_RSASSA_PSS) {
		if (kt != MBEDTLS_PK_RSA || ber_expect(&r, BER_SEQUENCE,
		    &params) != BER_OK || pss_params(&params, &pmd,
		    &opts.mgf1_hash_id, &opts.expected_salt_len) == -1) {
			snprintf(why, whysz, "bad RSASSA-PSS parameters");
			return CMS_V_UNSUPPORTED;
		}
		if (pmd != md) {
			snprintf(why, whysz, "PSS hash differs from digest");
			return CMS_V_SIGNATURE;
		}
		rc = mbedtls_pk_verify_ext(MBEDTLS_PK_RSASSA_PSS, &opts,
		    pk, md, hash, mbedtls_md_get_size(
		    mbedtls_md_info_from_type(md)), sig, siglen);
	} else if (alg == OID_RSA_ENCRYPTION || alg == OID_SHA1_WITH_RSA ||
	    alg == OID_SHA224_WITH_RSA || alg == OID_SHA256_WITH_RSA ||
	    alg == OID_SHA384_WITH_RSA || alg == OID_SHA512_WITH_RSA) {
		if (kt != MBEDTLS_PK_RSA)
			return CMS_V_SIGNATURE;
		mbedtls_rsa_set_padding(mbedtls_pk_rsa(*pk),
		    MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
		rc = mbedtls_pk_verify(pk, md, hash, mbedtls_md_get_size(
		    mbedtls_md_info_from_type(md)), sig, siglen);
	} else if (alg == OID_ECDSA_SHA256 || alg == OID_ECDSA_SHA384 ||
	    alg == OID_ECDSA_SHA512 || alg == OID_EC_PUBLIC_KEY) {
		if (kt != MBEDTLS_PK_ECKEY && kt != MBEDTLS_PK_ECDSA)
			return CMS_V_SIGNATURE;
		rc = mbedtls_pk_verify(pk, md, hash, mbedtls_md_get_size(
		    mbedtls_md_info_from_type(md)), sig, siglen);
	} else {
		snprintf(why, whysz, "signature algorithm %s", oid_name(alg));
		return CMS_V_UNSUPPORTED;
	}
	if (rc != 0) {
		snprintf(why, whysz, "mbedTLS -0x%04x", (unsigned)-rc);
		return CMS_V_SIGNATURE;
	}
	return CMS_V_OK;
}

/* Check the signature over hash (made with md) by the certificate's key. */
static enum cms_vstatus
check_signature(const struct signer_info *si, mbedtls_x509_crt *crt,
    mbedtls_md_type_t md, const unsigned char *hash, char *why, size_t whysz)
{
	return cms_sig_check(&si->sigalg, &crt->pk, md, hash, si->sig,
	    si->siglen, why, whysz);
}

static void
describe_cert(const struct cert_set *cs, const mbedtls_x509_crt *c,
    struct cms_signer_result *res)
{
	size_t k = (size_t)(c - cs->crt);
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	(void)cms_cert_email(c, res->email, sizeof(res->email));
	for (i = 0; i < c->serial.len && o + 3 < sizeof(res->serial); i++) {
		res->serial[o++] = hex[c->serial.p[i] >> 4];
		res->serial[o++] = hex[c->serial.p[i] & 0xf];
	}
	res->serial[o] = '\0';
	if (mbedtls_x509_dn_gets(res->issuer, sizeof(res->issuer),
	    &c->issuer) < 0)
		res->issuer[0] = '\0';
	/* into the caller's input: our parsed copies are freed on return */
	res->cert = cs->der[k];
	res->certlen = cs->derlen[k];
	res->self_signed = cms_cert_self_signed(c);
}

/* What every signer of one message shares. */
struct verify_ctx {
	const struct signed_data *sd;
	const struct content_src *content;
	struct cert_set		*cs;
	const struct cms_trust	*t;
	const struct cms_limits	*lim;
	struct cms_budget	*budget;	/* the caller's, or own */
	struct cms_budget	 own;
};

/* One public-key operation with the signer's key, if the budget has it. */
static enum cms_vstatus
signature_budgeted(struct verify_ctx *vc, const struct signer_info *si,
    mbedtls_x509_crt *crt, const unsigned char *hash,
    struct cms_signer_result *res)
{
	if (cms_budget_take(vc->budget, 1) == -1) {
		snprintf(res->detail, sizeof(res->detail), "all %u public-key "
		    "operations spent", vc->budget->spent);
		return CMS_V_BUDGET;
	}
	return check_signature(si, crt, res->md, hash, res->detail,
	    sizeof(res->detail));
}

/* The signature over the signed attributes, after checking them. */
static enum cms_vstatus
check_attrs(struct verify_ctx *vc, const struct signer_info *si,
    mbedtls_x509_crt *crt, const unsigned char *digest, size_t dlen,
    struct cms_signer_result *res)
{
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	struct attrs_found af;
	uint8_t *set;
	size_t setlen;
	int rc;

	if (read_attrs(si, &af, res) == -1 || !af.has_digest ||
	    !af.has_content_type)
		return CMS_V_MALFORMED;
	if (af.content_type.len != vc->sd->econtent_type.len ||
	    memcmp(af.content_type.content, vc->sd->econtent_type.content,
	    af.content_type.len) != 0)
		return CMS_V_CONTENT_TYPE;
	if (af.digest.len != dlen ||
	    memcmp(af.digest.content, digest, dlen) != 0)
		return CMS_V_DIGEST;
	if ((set = attrs_as_set(si, &setlen)) == NULL)
		return CMS_V_MALFORMED;
	rc = mbedtls_md(mbedtls_md_info_from_type(res->md), set, setlen, hash);
	free(set);
	if (rc != 0)
		return CMS_V_UNSUPPORTED;
	return signature_budgeted(vc, si, crt, hash, res);
}

/* Everything about one signer; the first failing check is reported. */
static enum cms_vstatus
verify_signer(struct verify_ctx *vc, const struct signer_info *si,
    struct cms_signer_result *res)
{
	unsigned char digest[MBEDTLS_MD_MAX_SIZE];
	struct cms_chain_used used;
	mbedtls_x509_crt *crt;
	enum cms_vstatus st;
	size_t dlen;

	res->md = cms_md_type(si->digest);
	if ((crt = find_cert(vc->cs, si)) == NULL)
		return CMS_V_NO_CERT;
	describe_cert(vc->cs, crt, res);
	if (res->md == MBEDTLS_MD_NONE) {
		snprintf(res->detail, sizeof(res->detail), "digest %s",
		    oid_name(si->digest));
		return CMS_V_UNSUPPORTED;
	}
	dlen = mbedtls_md_get_size(mbedtls_md_info_from_type(res->md));
	if (content_digest(res->md, vc->content, vc->sd, digest) == -1)
		return CMS_V_MALFORMED;
	/* no attributes: the signature is over the content digest */
	st = si->has_attrs ? check_attrs(vc, si, crt, digest, dlen, res) :
	    signature_budgeted(vc, si, crt, digest, res);
	if (st != CMS_V_OK || (st = cms_cert_mail_usage(crt)) != CMS_V_OK)
		return st;
	if (vc->t == NULL)
		return CMS_V_OK;
	st = cms_chain_check_used(crt, vc->cs->crt, vc->cs->n, vc->t, vc->lim,
	    vc->budget, res->detail, sizeof(res->detail), &used);
	/* into the caller's input, like the signer's own (describe_cert) */
	for (res->nchain = 0; res->nchain < used.n; res->nchain++) {
		res->chain[res->nchain] = vc->cs->der[used.idx[res->nchain]];
		res->chainlen[res->nchain] =
		    vc->cs->derlen[used.idx[res->nchain]];
	}
	return st;
}

/* Every SignerInfo, when there are no more than the bound. */
static int
verify_signers(struct verify_ctx *vc, struct cms_verify *out,
    struct cms_error *e)
{
	struct signer_info si;
	struct ber_reader r;
	struct ber_elem el;
	struct cms_signer_result *res;
	size_t max = vc->lim->signers < CMS_MAX_SIGNERS ? vc->lim->signers :
	    CMS_MAX_SIGNERS;
	unsigned spent = vc->budget->spent;

	if ((out->nsigners = count_elems(&vc->sd->signer_infos, max)) > max) {
		cms_error_set(e, CMS_ERR_LIMIT, "more than %zu signers", max);
		return -1;
	}
	if (out->nsigners == 0) {
		cms_error_set(e, CMS_ERR_ENCODING, "no SignerInfo");
		return -1;
	}
	out->nsigners = 0;
	ber_reader_init(&r, vc->sd->signer_infos.content,
	    vc->sd->signer_infos.len, 0);
	while (out->nsigners < max && ber_next(&r, &el) == BER_OK) {
		res = &out->signers[out->nsigners++];
		if (el.tag != BER_SEQUENCE || parse_signer_info(&el, &si))
			res->status = CMS_V_MALFORMED;
		else
			res->status = verify_signer(vc, &si, res);
	}
	out->pkops = vc->budget->spent - spent;
	return 0;
}

static int
verify_src(const uint8_t *buf, size_t len, const struct content_src *c,
    const struct cms_trust *t, struct cms_verify *out, struct cms_error *e)
{
	struct signed_data sd;
	struct verify_ctx vc;
	int detached = c->p != NULL || c->feed != NULL, rc = -1;

	memset(out, 0, sizeof(*out));
	if (parse_signed_data(buf, len, &sd, e) == -1)
		return -1;
	if (!detached && !sd.has_econtent) {
		cms_error_set(e, CMS_ERR_ARG, "detached signature without "
		    "content");
		return -1;
	}
	out->opaque = !detached;
	memset(&vc, 0, sizeof(vc));
	vc.sd = &sd;
	vc.content = c;
	vc.t = t;
	vc.lim = t != NULL && t->limits != NULL ? t->limits :
	    &cms_limits_default;
	cms_budget_init(&vc.own, vc.lim);
	vc.budget = t != NULL && t->budget != NULL ? t->budget : &vc.own;
	if ((vc.cs = calloc(1, sizeof(*vc.cs))) == NULL) {
		cms_error_set(e, CMS_ERR_NOMEM, "out of memory");
		return -1;
	}
	if (load_certs(&sd, vc.lim, vc.cs, e) == 0 &&
	    verify_signers(&vc, out, e) == 0)
		rc = 0;
	free_certs(vc.cs);
	free(vc.cs);
	if (rc == -1)
		out->nsigners = 0;
	return rc;
}

int
cms_verify(const uint8_t *buf, size_t len, const uint8_t *content,
    size_t clen, const struct cms_trust *t, struct cms_verify *out,
    struct cms_error *e)
{
	struct content_src c;

	memset(&c, 0, sizeof(c));
	c.p = content;
	c.len = clen;
	return verify_src(buf, len, &c, t, out, e);
}

/*
 * The same for detached content that is fed rather than held: feed is
 * called once per signer with a hash update to give every octet to.
 */
int
cms_verify_feed(const uint8_t *buf, size_t len, cms_feed_fn feed, void *arg,
    const struct cms_trust *t, struct cms_verify *out, struct cms_error *e)
{
	struct content_src c;

	memset(&c, 0, sizeof(c));
	c.feed = feed;
	c.arg = arg;
	return verify_src(buf, len, &c, t, out, e);
}

int
cms_signed_content(const uint8_t *buf, size_t len,
    int (*cb)(void *, const uint8_t *, size_t), void *arg,
    struct cms_error *e)
{
	struct signed_data sd;

	if (parse_signed_data(buf, len, &sd, e) == -1)
		return -1;
	if (!sd.has_econtent) {
		cms_error_set(e, CMS_ERR_ARG, "no embedded content");
		return -1;
	}
	if (ber_octets_foreach(&sd.econtent, cb, arg) != BER_OK) {
		cms_error_set(e, CMS_ERR_ENCODING, "embedded content");
		return -1;
	}
	return 0;
}
