/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * SignedData (RFC 5652 §5) with S/MIME signed attributes (RFC 8551
 * §2.5): contentType, signingTime, messageDigest, sMIMECapabilities and,
 * with a separate encryption certificate, SMIMEEncryptionKeyPreference.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/rsa.h>

#include "cms.h"
#include "der.h"
#include "mbedtls_compat.h"
#include "oid.h"

static enum oid_id
md_oid(mbedtls_md_type_t md)
{
	switch (md) {
	case MBEDTLS_MD_SHA256:
		return OID_SHA256;
	case MBEDTLS_MD_SHA384:
		return OID_SHA384;
	case MBEDTLS_MD_SHA512:
		return OID_SHA512;
	default:
		return OID_UNKNOWN;
	}
}

static enum oid_id
ecdsa_oid(mbedtls_md_type_t md)
{
	switch (md) {
	case MBEDTLS_MD_SHA256:
		return OID_ECDSA_SHA256;
	case MBEDTLS_MD_SHA384:
		return OID_ECDSA_SHA384;
	case MBEDTLS_MD_SHA512:
		return OID_ECDSA_SHA512;
	default:
		return OID_UNKNOWN;
	}
}

static int
put_sig_alg(struct der_writer *w, const struct cms_signer *s)
{
	/* the certificate's key: the private one may be elsewhere */
	mbedtls_pk_type_t t = mbedtls_pk_get_type(&s->cert->pk);

	if (t == MBEDTLS_PK_ECKEY || t == MBEDTLS_PK_ECKEY_DH ||
	    t == MBEDTLS_PK_ECDSA) {
		cms_put_alg(w, ecdsa_oid(s->md));
		return 0;
	}
	if (t != MBEDTLS_PK_RSA)
		return -1;
	if (!s->rsa_pss) {
		cms_put_alg_null(w, OID_RSA_ENCRYPTION);
		return 0;
	}
	der_begin(w, DER_SEQUENCE);
	cms_put_oid(w, OID_RSASSA_PSS);
	der_begin(w, DER_SEQUENCE);
	cms_put_hash_mgf1(w, md_oid(s->md));
	der_begin(w, DER_CONTEXT_CONS(2));
	der_int(w, (long)mbedtls_md_get_size(
	    mbedtls_md_info_from_type(s->md)));
	der_end(w);
	der_end(w);
	der_end(w);
	return 0;
}

/* What we can decrypt, in order of preference (RFC 8551 §2.5.2). */
static void
put_capabilities(struct der_writer *w)
{
	der_begin(w, DER_SEQUENCE);
	cms_put_alg(w, OID_AES256_GCM);
	cms_put_alg(w, OID_AES128_GCM);
	cms_put_alg(w, OID_AES256_CBC);
	cms_put_alg(w, OID_AES128_CBC);
	cms_put_oaep_alg(w);			/* RSAES-OAEP with SHA-256 */
	der_end(w);
}

static void
attr_begin(struct der_writer *w, enum oid_id type)
{
	der_begin(w, DER_SEQUENCE);
	cms_put_oid(w, type);
	der_begin(w, DER_SET);
}

static void
attr_end(struct der_writer *w)
{
	der_end(w);
	der_end(w);
}

/* signedAttrs as the SET OF that is signed (RFC 5652 §5.4). */
static int
build_attrs(const struct cms_signer *s, const uint8_t *digest, size_t dlen,
    time_t now, uint8_t **out, size_t *outlen)
{
	struct der_writer w;

	der_init(&w);
	der_begin_sorted(&w, DER_SET);
	attr_begin(&w, OID_CONTENT_TYPE);
	cms_put_oid(&w, OID_DATA);
	attr_end(&w);
	attr_begin(&w, OID_SIGNING_TIME);
	der_time(&w, now);
	attr_end(&w);
	attr_begin(&w, OID_MESSAGE_DIGEST);
	der_octets(&w, digest, dlen);
	attr_end(&w);
	attr_begin(&w, OID_SMIME_CAPABILITIES);
	put_capabilities(&w);
	attr_end(&w);
	if (s->enc_cert && s->enc_cert != s->cert) {
		attr_begin(&w, OID_SMIME_ENC_KEY_PREF);
		cms_put_issuer_serial(&w, DER_CONTEXT_CONS(0), s->enc_cert);
		attr_end(&w);
	}
	der_end(&w);
	return der_finish(&w, out, outlen);
}

/* Sign the hash of attrs with the signer's key, wherever it is. */
static int
sign_attrs(const struct cms_signer *s, const uint8_t *attrs, size_t alen,
    struct cms_rng *rng, uint8_t *sig, size_t *siglen, struct cms_error *e)
{
	const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(s->md);
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	struct cms_keyop_local local;
	const struct cms_keyop *op = s->op;
	int rc;

	if (mbedtls_md(mi, attrs, alen, hash) != 0) {
		cms_error_set(e, CMS_ERR_CRYPTO, "hashing signed attributes");
		return -1;
	}
	if (op == NULL) {
		cms_keyop_local(&local, s->key, rng);
		op = &local.op;
	}
	rc = op->sign(op->arg, s->md, s->rsa_pss && op->type == MBEDTLS_PK_RSA,
	    hash, mbedtls_md_get_size(mi), sig, siglen);
	if (rc != 0) {
		cms_error_set(e, CMS_ERR_CRYPTO, "signing failed (%s%04x)",
		    rc < 0 ? "mbedTLS -0x" : "", (unsigned)(rc < 0 ? -rc : rc));
		return -1;
	}
	return 0;
}

/* certificates [0] and signerInfos: everything after encapContentInfo. */
static int
build_tail(const struct cms_signer *s, const uint8_t *attrs, size_t alen,
    const uint8_t *sig, size_t siglen, uint8_t **out, size_t *outlen,
    struct cms_error *e)
{
	const mbedtls_x509_crt *c;
	struct der_writer w;
	uint8_t *implicit;

	der_init(&w);
	der_begin_sorted(&w, DER_CONTEXT_CONS(0));
	der_raw(&w, s->cert->raw.p, s->cert->raw.len);
	for (c = s->chain; c != NULL && c->raw.p != NULL; c = c->next)
		if (c != s->cert && !cms_cert_self_signed(c))
			der_raw(&w, c->raw.p, c->raw.len);
	der_end(&w);

	der_begin(&w, DER_SET);
	der_begin(&w, DER_SEQUENCE);
	der_int(&w, 1);
	cms_put_issuer_serial(&w, DER_SEQUENCE, s->cert);
	cms_put_alg(&w, md_oid(s->md));
	/* the attributes again, now as [0] IMPLICIT: same bytes, new tag */
	if ((implicit = malloc(alen)) == NULL) {
		der_clear(&w);
		cms_error_set(e, CMS_ERR_NOMEM, "out of memory");
		return -1;
	}
	memcpy(implicit, attrs, alen);
	implicit[0] = DER_CONTEXT_CONS(0);
	der_raw(&w, implicit, alen);
	free(implicit);
	if (put_sig_alg(&w, s) == -1) {
		der_clear(&w);
		cms_error_set(e, CMS_ERR_UNSUPPORTED, "signer key type");
		return -1;
	}
	der_octets(&w, sig, siglen);
	der_end(&w);
	der_end(&w);
	if (der_finish(&w, out, outlen) == -1) {
		cms_error_set(e, CMS_ERR_ENCODING, "%s",
		    der_strerror(der_error(&w)));
		return -1;
	}
	return 0;
}

/*
 * ContentInfo { signedData, [0] SignedData { version, digestAlgorithms,
 * encapContentInfo { id-data, [0] OCTET STRING (content) }, tail } }
 * with every length known in advance, so the content can stream.
 */
static int
assemble(const struct cms_signer *s, int64_t clen, const uint8_t *tail,
    size_t taillen, struct cms_frame *f, struct cms_error *e)
{
	const uint8_t *doid, *sdoid, *mdoid;
	size_t dlen, sdlen, mdlen, algs, eci, sd, ctx, ci, os = 0, c0 = 0, o;
	uint8_t *h;

	doid = oid_bytes(OID_DATA, &dlen);
	sdoid = oid_bytes(OID_SIGNED_DATA, &sdlen);
	mdoid = oid_bytes(md_oid(s->md), &mdlen);
	algs = der_tlv_size(der_tlv_size(der_tlv_size(mdlen)));	/* SET { SEQ { OID } } */
	eci = der_tlv_size(dlen);
	if (clen >= 0) {
		if ((uint64_t)clen > DER_MAX_LEN - 64) {
			cms_error_set(e, CMS_ERR_ARG, "content too large");
			return -1;
		}
		os = der_tlv_size((size_t)clen);
		c0 = der_tlv_size(os);
		eci += c0;
	}
	sd = der_tlv_size(1) + algs + der_tlv_size(eci) + taillen; /* SignedData */
	ctx = der_tlv_size(sd);			/* content of [0] */
	ci = der_tlv_size(sdlen) + der_tlv_size(ctx);	/* content of ContentInfo */
	if ((h = malloc(64 + algs + dlen + sdlen + (clen < 0 ? taillen : 0)))
	    == NULL) {
		cms_error_set(e, CMS_ERR_NOMEM, "out of memory");
		return -1;
	}
	o = der_put_hdr(h, DER_SEQUENCE, ci);
	o += der_put_hdr(h + o, DER_OID, sdlen);
	memcpy(h + o, sdoid, sdlen), o += sdlen;
	o += der_put_hdr(h + o, DER_CONTEXT_CONS(0), ctx);
	o += der_put_hdr(h + o, DER_SEQUENCE, sd);
	o += der_put_hdr(h + o, DER_INTEGER, 1);
	h[o++] = 1;
	o += der_put_hdr(h + o, DER_SET, der_tlv_size(der_tlv_size(mdlen)));
	o += der_put_hdr(h + o, DER_SEQUENCE, der_tlv_size(mdlen));
	o += der_put_hdr(h + o, DER_OID, mdlen);
	memcpy(h + o, mdoid, mdlen), o += mdlen;
	o += der_put_hdr(h + o, DER_SEQUENCE, eci);
	o += der_put_hdr(h + o, DER_OID, dlen);
	memcpy(h + o, doid, dlen), o += dlen;
	if (clen >= 0) {
		o += der_put_hdr(h + o, DER_CONTEXT_CONS(0), os);
		o += der_put_hdr(h + o, DER_OCTET_STRING, (size_t)clen);
		f->tail = malloc(taillen);
		if (f->tail == NULL) {
			free(h);
			cms_error_set(e, CMS_ERR_NOMEM, "out of memory");
			return -1;
		}
		memcpy(f->tail, tail, taillen);
		f->taillen = taillen;
	} else {
		memcpy(h + o, tail, taillen);
		o += taillen;
	}
	f->head = h;
	f->headlen = o;
	return 0;
}

int
cms_sign(const struct cms_signer *s, const uint8_t *digest, size_t dlen,
    int64_t content_len, time_t now, struct cms_rng *rng,
    struct cms_frame *f, struct cms_error *e)
{
	unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	uint8_t *attrs = NULL, *tail = NULL;
	size_t alen, taillen, siglen = 0;
	const mbedtls_md_info_t *mi;
	int rc = -1;

	memset(f, 0, sizeof(*f));
	mi = mbedtls_md_info_from_type(s->md);
	if (s->cert == NULL || (s->key == NULL && s->op == NULL) || mi == NULL ||
	    md_oid(s->md) == OID_UNKNOWN || dlen != mbedtls_md_get_size(mi)) {
		cms_error_set(e, CMS_ERR_ARG, "signer, key or digest missing "
		    "or of the wrong kind");
		return -1;
	}
	if (s->op == NULL && !s->pair_checked && compat_pk_check_pair(&s->cert->pk,
	    s->key) != 0) {
		cms_error_set(e, CMS_ERR_ARG, "private key does not match the "
		    "signer's certificate");
		return -1;
	}
	if (build_attrs(s, digest, dlen, now, &attrs, &alen) == -1) {
		cms_error_set(e, CMS_ERR_ENCODING, "signed attributes");
		return -1;
	}
	if (sign_attrs(s, attrs, alen, rng, sig, &siglen, e) == -1)
		goto done;
	if (build_tail(s, attrs, alen, sig, siglen, &tail, &taillen, e) == -1)
		goto done;
	rc = assemble(s, content_len, tail, taillen, f, e);
done:
	free(attrs);
	free(tail);
	return rc;
}
