/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * EnvelopedData (RFC 5652 §6) with AES-CBC (RFC 3565) and
 * AuthEnvelopedData (RFC 5083) with AES-GCM (RFC 5084): the encrypting
 * side.  Recipients get the content-encryption key by RSA key transport
 * (PKCS#1 v1.5 or RSAES-OAEP SHA-256, RFC 8017/4055) or by ephemeral-
 * static ECDH with the X9.63 KDF and AES key wrap (RFC 5753).
 *
 * The content streams: the head of the structure is written with
 * definite lengths computed from the content length, the ciphertext
 * follows chunk by chunk, and the tail (GCM: the mac) comes last.  When
 * the length is not known in advance (CMS_LEN_STREAM: content made as
 * it is encrypted), the lengths are indefinite (BER, RFC 5652 §4 allows
 * it, RFC 8551 §2.1 requires receivers to read it) and the ciphertext
 * goes out as a constructed [0] of OCTET STRING chunks, as openssl cms
 * -stream and NSS write it.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecdh.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>

#include "cms.h"
#include "der.h"
#include "kdf.h"
#include "kw.h"
#include "mbedtls_compat.h"
#include "oid.h"

#define CHUNK		16384	/* streamed: the size of each OCTET STRING chunk */
#define GCM_NONCE_LEN	12
#define GCM_TAG_LEN	16

/* dhSinglePass-stdDH-sha512kdf-scheme 1.3.132.1.11.3, not in oid.h */
static const uint8_t oid_dh_sha512_kdf[] = {
	0x2b, 0x81, 0x04, 0x01, 0x0b, 0x03
};

struct cipher_def {
	enum oid_id		 oid;
	mbedtls_cipher_type_t	 type;
	size_t			 keylen;
	int			 gcm;
	enum oid_id		 wrap;	/* KARI key wrap for this CEK size */
};

static const struct cipher_def ciphers[] = {
	{ OID_AES128_CBC, MBEDTLS_CIPHER_AES_128_CBC, 16, 0, OID_AES128_WRAP },
	{ OID_AES256_CBC, MBEDTLS_CIPHER_AES_256_CBC, 32, 0, OID_AES256_WRAP },
	{ OID_AES128_GCM, MBEDTLS_CIPHER_AES_128_GCM, 16, 1, OID_AES128_WRAP },
	{ OID_AES256_GCM, MBEDTLS_CIPHER_AES_256_GCM, 32, 1, OID_AES256_WRAP },
};

/* What begin needs while building the RecipientInfos. */
struct env_build {
	const struct cipher_def	*cd;
	const uint8_t		*cek;
	struct cms_rng		*rng;
	int			 all_v0;	/* only KTRI v0: version 0 */
};

static int
rsa_encrypt_cek(const struct cms_recipient *r, const struct env_build *b,
    uint8_t *out, size_t *outlen, struct cms_error *e)
{
	mbedtls_pk_context *pk = (mbedtls_pk_context *)&r->cert->pk;
	mbedtls_rsa_context *rsa = mbedtls_pk_rsa(*pk);
	int rc;

	/* padding is state on a context others share: set, use, restore */
	if (r->oaep)
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21,
		    MBEDTLS_MD_SHA256);
	else
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15,
		    MBEDTLS_MD_NONE);
	rc = mbedtls_pk_encrypt(pk, b->cek, b->cd->keylen, out, outlen,
	    MBEDTLS_MPI_MAX_SIZE, cms_rng_func, b->rng);
	mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
	if (rc != 0) {
		cms_error_set(e, CMS_ERR_CRYPTO, "RSA key transport failed "
		    "(mbedTLS -0x%04x)", (unsigned)-rc);
		return -1;
	}
	return 0;
}

/* KeyTransRecipientInfo (RFC 5652 §6.2.1). */
static int
put_ktri(struct der_writer *w, const struct cms_recipient *r,
    struct env_build *b, struct cms_error *e)
{
	uint8_t ek[MBEDTLS_MPI_MAX_SIZE];
	const uint8_t *ski;
	size_t eklen, skilen;

	if (r->use_ski && cms_cert_ski(r->cert, &ski, &skilen) == -1) {
		cms_error_set(e, CMS_ERR_ARG, "recipient certificate has no "
		    "subjectKeyIdentifier");
		return -1;
	}
	if (rsa_encrypt_cek(r, b, ek, &eklen, e) == -1)
		return -1;
	der_begin(w, DER_SEQUENCE);
	der_int(w, r->use_ski ? 2 : 0);
	if (r->use_ski) {
		der_prim(w, DER_CONTEXT(0), ski, skilen);
		b->all_v0 = 0;
	} else
		cms_put_issuer_serial(w, DER_SEQUENCE, r->cert);
	if (r->oaep)
		cms_put_oaep_alg(w);
	else
		cms_put_alg_null(w, OID_RSA_ENCRYPTION);
	der_octets(w, ek, eklen);
	der_end(w);
	return 0;
}

/* The KDF hash and its scheme OID for the recipient's curve (RFC 5753). */
static int
kdf_for_curve(mbedtls_ecp_group_id id, mbedtls_md_type_t *md,
    const uint8_t **oid, size_t *oidlen)
{
	switch (id) {
	case MBEDTLS_ECP_DP_SECP256R1:
		*md = MBEDTLS_MD_SHA256;
		*oid = oid_bytes(OID_DH_SHA256_KDF, oidlen);
		return 0;
	case MBEDTLS_ECP_DP_SECP384R1:
		*md = MBEDTLS_MD_SHA384;
		*oid = oid_bytes(OID_DH_SHA384_KDF, oidlen);
		return 0;
	case MBEDTLS_ECP_DP_SECP521R1:
		*md = MBEDTLS_MD_SHA512;
		*oid = oid_dh_sha512_kdf;
		*oidlen = sizeof(oid_dh_sha512_kdf);
		return 0;
	default:
		return -1;
	}
}

/* The parts of a KeyAgreeRecipientInfo that ECDH produces. */
struct kari_out {
	uint8_t		 point[1 + 2 * MBEDTLS_ECP_MAX_BYTES];
	size_t		 pointlen;
	uint8_t		 wrapped[32 + KW_OVERHEAD];
	size_t		 wrappedlen;
	const uint8_t	*kdf_oid;
	size_t		 kdf_oidlen;
};

/*
 * Ephemeral-static ECDH on the recipient's curve, then
 * KEK = X9.63-KDF(Z, ECC-CMS-SharedInfo) and the CEK wrapped under it.
 */
static int
kari_wrap(const mbedtls_x509_crt *crt, const struct env_build *b,
    struct kari_out *o)
{
	uint8_t z[MBEDTLS_ECP_MAX_BYTES], info[64], kek[32];
	const uint8_t *woid;
	size_t zlen, infolen, woidlen, keklen;
	mbedtls_ecp_group grp, pgrp;
	mbedtls_ecp_point q, peer;
	mbedtls_mpi d, pd, zz;
	mbedtls_md_type_t md;
	int rc = -1;

	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_group_init(&pgrp);
	mbedtls_ecp_point_init(&q);
	mbedtls_ecp_point_init(&peer);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&pd);
	mbedtls_mpi_init(&zz);
	keklen = b->cd->wrap == OID_AES128_WRAP ? 16 : 32;
	woid = oid_bytes(b->cd->wrap, &woidlen);
	/* the certificate's key: its curve and point (pd stays empty) */
	if (compat_ec_export(&crt->pk, &pgrp, &pd, &peer) != 0 ||
	    kdf_for_curve(pgrp.id, &md, &o->kdf_oid, &o->kdf_oidlen) ||
	    mbedtls_ecp_group_load(&grp, pgrp.id) != 0 ||
	    mbedtls_ecdh_gen_public(&grp, &d, &q, cms_rng_func, b->rng) ||
	    mbedtls_ecdh_compute_shared(&grp, &zz, &peer, &d,
	    cms_rng_func, b->rng) != 0)
		goto done;
	/* Z is the field element at full width, leading zeros kept */
	zlen = (grp.pbits + 7) / 8;
	if (mbedtls_mpi_write_binary(&zz, z, zlen) != 0 ||
	    mbedtls_ecp_point_write_binary(&grp, &q,
	    MBEDTLS_ECP_PF_UNCOMPRESSED, &o->pointlen, o->point,
	    sizeof(o->point)) != 0 ||
	    kdf_ecc_shared_info(woid, woidlen, NULL, 0, (uint32_t)keklen * 8,
	    info, sizeof(info), &infolen) == -1 ||
	    kdf_x963(md, z, zlen, info, infolen, kek, keklen) == -1 ||
	    kw_wrap(kek, keklen, b->cek, b->cd->keylen, o->wrapped,
	    sizeof(o->wrapped), &o->wrappedlen) == -1)
		goto done;
	rc = 0;
done:
	mbedtls_platform_zeroize(z, sizeof(z));
	mbedtls_platform_zeroize(kek, sizeof(kek));
	mbedtls_mpi_free(&d);
	mbedtls_mpi_free(&pd);
	mbedtls_mpi_free(&zz);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_point_free(&peer);
	mbedtls_ecp_group_free(&grp);
	mbedtls_ecp_group_free(&pgrp);
	return rc;
}

/* KeyAgreeRecipientInfo (RFC 5652 §6.2.2, RFC 5753 §3.1.1). */
static int
put_kari(struct der_writer *w, const struct cms_recipient *r,
    struct env_build *b, struct cms_error *e)
{
	struct kari_out o;
	const uint8_t *ski;
	size_t skilen;

	if (r->use_ski && cms_cert_ski(r->cert, &ski, &skilen) == -1) {
		cms_error_set(e, CMS_ERR_ARG, "recipient certificate has no "
		    "subjectKeyIdentifier");
		return -1;
	}
	if (kari_wrap(r->cert, b, &o) == -1) {
		cms_error_set(e, CMS_ERR_CRYPTO, "ECDH key agreement failed "
		    "(curve not supported or bad key)");
		return -1;
	}
	b->all_v0 = 0;
	der_begin(w, DER_CONTEXT_CONS(1));
	der_int(w, 3);
	der_begin(w, DER_CONTEXT_CONS(0));	/* originator */
	der_begin(w, DER_CONTEXT_CONS(1));	/* originatorKey */
	cms_put_alg(w, OID_EC_PUBLIC_KEY);		/* curve: the recipient's */
	der_bitstring(w, o.point, o.pointlen, 0);
	der_end(w);
	der_end(w);
	der_begin(w, DER_SEQUENCE);		/* keyEncryptionAlgorithm */
	der_oid(w, o.kdf_oid, o.kdf_oidlen);
	cms_put_alg(w, b->cd->wrap);
	der_end(w);
	der_begin(w, DER_SEQUENCE);		/* recipientEncryptedKeys */
	der_begin(w, DER_SEQUENCE);
	if (r->use_ski) {
		der_begin(w, DER_CONTEXT_CONS(0));	/* rKeyId */
		der_octets(w, ski, skilen);
		der_end(w);
	} else
		cms_put_issuer_serial(w, DER_SEQUENCE, r->cert);
	der_octets(w, o.wrapped, o.wrappedlen);
	der_end(w);
	der_end(w);
	der_end(w);
	return 0;
}

static int
put_recipient(struct der_writer *w, const struct cms_recipient *r,
    struct env_build *b, struct cms_error *e)
{
	mbedtls_pk_type_t t;

	if (r->cert == NULL) {
		cms_error_set(e, CMS_ERR_ARG, "recipient without certificate");
		return -1;
	}
	t = mbedtls_pk_get_type(&r->cert->pk);
	if (t == MBEDTLS_PK_RSA)
		return put_ktri(w, r, b, e);
	if (t == MBEDTLS_PK_ECKEY || t == MBEDTLS_PK_ECKEY_DH)
		return put_kari(w, r, b, e);
	cms_error_set(e, CMS_ERR_UNSUPPORTED, "recipient key type %s",
	    mbedtls_pk_get_name(&r->cert->pk));
	return -1;
}

/* recipientInfos, a DER SET OF, into *out. */
static int
build_recipients(const struct cms_recipient *rs, size_t n,
    struct env_build *b, uint8_t **out, size_t *outlen, struct cms_error *e)
{
	struct der_writer w;
	size_t i;

	der_init(&w);
	der_begin_sorted(&w, DER_SET);
	for (i = 0; i < n; i++)
		if (put_recipient(&w, &rs[i], b, e) == -1) {
			der_clear(&w);
			return -1;
		}
	der_end(&w);
	if (der_finish(&w, out, outlen) == -1) {
		cms_error_set(e, CMS_ERR_ENCODING, "recipientInfos: %s",
		    der_strerror(der_error(&w)));
		return -1;
	}
	return 0;
}

/* contentEncryptionAlgorithm: IV for CBC, GCMParameters for GCM. */
static int
build_content_alg(const struct cipher_def *cd, const uint8_t *iv,
    uint8_t **out, size_t *outlen, struct cms_error *e)
{
	struct der_writer w;

	der_init(&w);
	der_begin(&w, DER_SEQUENCE);
	cms_put_oid(&w, cd->oid);
	if (cd->gcm) {
		der_begin(&w, DER_SEQUENCE);
		der_octets(&w, iv, GCM_NONCE_LEN);
		der_int(&w, GCM_TAG_LEN);	/* explicit: default is 12 */
		der_end(&w);
	} else
		der_octets(&w, iv, 16);
	der_end(&w);
	if (der_finish(&w, out, outlen) == -1) {
		cms_error_set(e, CMS_ERR_ENCODING, "content algorithm: %s",
		    der_strerror(der_error(&w)));
		return -1;
	}
	return 0;
}

/* A header whose length is indefinite: the tag, then 0x80. */
static size_t
put_indef(uint8_t *h, uint8_t tag)
{
	h[0] = tag;
	h[1] = 0x80;
	return 2;
}

/*
 * The head of a streamed ContentInfo: as assemble_head writes it, with
 * indefinite lengths, up to the chunks of its [0] ciphertext.
 */
static size_t
head_stream(uint8_t *h, const uint8_t *toid, size_t tlen, int version,
    const uint8_t *ris, size_t rislen, const uint8_t *alg, size_t alglen)
{
	const uint8_t *doid;
	size_t dlen, o;

	doid = oid_bytes(OID_DATA, &dlen);
	o = put_indef(h, DER_SEQUENCE);
	o += der_put_hdr(h + o, DER_OID, tlen);
	memcpy(h + o, toid, tlen), o += tlen;
	o += put_indef(h + o, DER_CONTEXT_CONS(0));
	o += put_indef(h + o, DER_SEQUENCE);
	o += der_put_hdr(h + o, DER_INTEGER, 1);
	h[o++] = (uint8_t)version;
	memcpy(h + o, ris, rislen), o += rislen;
	o += put_indef(h + o, DER_SEQUENCE);
	o += der_put_hdr(h + o, DER_OID, dlen);
	memcpy(h + o, doid, dlen), o += dlen;
	memcpy(h + o, alg, alglen), o += alglen;
	o += put_indef(h + o, DER_CONTEXT_CONS(0));
	return o;
}

/*
 * ContentInfo { type, [0] { SEQUENCE { version, recipientInfos,
 * EncryptedContentInfo { id-data, alg, [0] IMPLICIT ciphertext }
 * [, mac] } } } up to the ciphertext, lengths computed in advance.
 */
static int
assemble_head(const struct cipher_def *cd, int version, const uint8_t *ris,
    size_t rislen, const uint8_t *alg, size_t alglen, uint64_t ctlen,
    struct cms_frame *f, struct cms_error *e)
{
	const uint8_t *doid, *toid;
	size_t dlen, tlen, eci, body, ctx, ci, o;
	uint8_t *h;

	doid = oid_bytes(OID_DATA, &dlen);
	toid = oid_bytes(cd->gcm ? OID_AUTH_ENVELOPED_DATA :
	    OID_ENVELOPED_DATA, &tlen);
	if (ctlen == CMS_LEN_STREAM) {
		if ((h = malloc(64 + tlen + rislen + dlen + alglen)) == NULL) {
			cms_error_set(e, CMS_ERR_NOMEM, "out of memory");
			return -1;
		}
		f->head = h;
		f->headlen = head_stream(h, toid, tlen, version, ris, rislen,
		    alg, alglen);
		return 0;
	}
	eci = der_tlv_size(dlen) + alglen + der_tlv_size(ctlen);
	body = der_tlv_size(1) + rislen + der_tlv_size(eci);
	if (cd->gcm)
		body += der_tlv_size(GCM_TAG_LEN);
	ctx = der_tlv_size(body);
	ci = der_tlv_size(tlen) + der_tlv_size(ctx);
	if (ci > DER_MAX_LEN) {
		cms_error_set(e, CMS_ERR_ARG, "content too large");
		return -1;
	}
	if ((h = malloc(64 + tlen + rislen + dlen + alglen)) == NULL) {
		cms_error_set(e, CMS_ERR_NOMEM, "out of memory");
		return -1;
	}
	o = der_put_hdr(h, DER_SEQUENCE, ci);
	o += der_put_hdr(h + o, DER_OID, tlen);
	memcpy(h + o, toid, tlen), o += tlen;
	o += der_put_hdr(h + o, DER_CONTEXT_CONS(0), ctx);
	o += der_put_hdr(h + o, DER_SEQUENCE, body);
	o += der_put_hdr(h + o, DER_INTEGER, 1);
	h[o++] = (uint8_t)version;
	memcpy(h + o, ris, rislen), o += rislen;
	o += der_put_hdr(h + o, DER_SEQUENCE, eci);
	o += der_put_hdr(h + o, DER_OID, dlen);
	memcpy(h + o, doid, dlen), o += dlen;
	memcpy(h + o, alg, alglen), o += alglen;
	o += der_put_hdr(h + o, DER_CONTEXT(0), ctlen);
	f->head = h;
	f->headlen = o;
	return 0;
}

uint64_t
cms_env_ciphertext_len(enum cms_cipher c, uint64_t len)
{
	if (len == CMS_LEN_STREAM)
		return len;
	if (c == CMS_AES128_GCM || c == CMS_AES256_GCM)
		return len;
	return (len / 16 + 1) * 16;	/* PKCS#7 padding, always present */
}

static int
cipher_start(struct cms_env *env, const struct cipher_def *cd,
    const uint8_t *cek, const uint8_t *iv)
{
	if (!cd->gcm && aes_hw_available()) {
		memcpy(env->iv, iv, sizeof(env->iv));
		env->use_hw = 1;
		return aes_hw_setkey(&env->hw, cek, cd->keylen);
	}
	if (cd->gcm)
		return mbedtls_gcm_setkey(&env->gcmctx, MBEDTLS_CIPHER_ID_AES,
		    cek, (unsigned)cd->keylen * 8) != 0 ||
		    compat_gcm_starts(&env->gcmctx, MBEDTLS_GCM_ENCRYPT, iv,
		    GCM_NONCE_LEN, NULL, 0) != 0 ? -1 : 0;
	return mbedtls_cipher_setup(&env->cbc,
	    mbedtls_cipher_info_from_type(cd->type)) != 0 ||
	    mbedtls_cipher_setkey(&env->cbc, cek, (int)cd->keylen * 8,
	    MBEDTLS_ENCRYPT) != 0 ||
	    mbedtls_cipher_set_padding_mode(&env->cbc,
	    MBEDTLS_PADDING_PKCS7) != 0 ||
	    mbedtls_cipher_set_iv(&env->cbc, iv, 16) != 0 ||
	    mbedtls_cipher_reset(&env->cbc) != 0 ? -1 : 0;
}

int
cms_env_begin(struct cms_env *env, const struct cms_recipient *rs, size_t n,
    enum cms_cipher c, uint64_t content_len, struct cms_rng *rng,
    struct cms_frame *f, struct cms_error *e)
{
	uint8_t cek[32], iv[16], *ris = NULL, *alg = NULL;
	size_t rislen, alglen;
	struct env_build b;
	int rc = -1;

	memset(env, 0, sizeof(*env));
	memset(f, 0, sizeof(*f));
	mbedtls_cipher_init(&env->cbc);
	mbedtls_gcm_init(&env->gcmctx);
	env->failed = 1;
	if ((unsigned)c >= sizeof(ciphers) / sizeof(ciphers[0]) || n == 0 ||
	    n > CMS_MAX_RECIPIENTS || rs == NULL || rng == NULL) {
		cms_error_set(e, CMS_ERR_ARG, "bad cipher or recipient list");
		return -1;
	}
	if (content_len > DER_MAX_LEN - 16 && content_len != CMS_LEN_STREAM) {
		cms_error_set(e, CMS_ERR_ARG, "content too large");
		return -1;
	}
	env->cipher = c;
	env->gcm = ciphers[c].gcm;
	env->want = content_len;
	env->stream = content_len == CMS_LEN_STREAM;
	b.cd = &ciphers[c];
	b.cek = cek;
	b.rng = rng;
	b.all_v0 = 1;
	if (cms_rng_func(rng, cek, b.cd->keylen) != 0 ||
	    cms_rng_func(rng, iv, sizeof(iv)) != 0) {
		cms_error_set(e, CMS_ERR_CRYPTO, "DRBG failed");
		goto done;
	}
	if (build_recipients(rs, n, &b, &ris, &rislen, e) == -1 ||
	    build_content_alg(b.cd, iv, &alg, &alglen, e) == -1)
		goto done;
	if (cipher_start(env, b.cd, cek, iv) == -1) {
		cms_error_set(e, CMS_ERR_CRYPTO, "cipher setup failed");
		goto done;
	}
	/* RFC 5652 §6.1; AuthEnvelopedData is always version 0 */
	if (assemble_head(b.cd, b.cd->gcm || b.all_v0 ? 0 : 2, ris, rislen,
	    alg, alglen, cms_env_ciphertext_len(c, content_len), f, e) == -1)
		goto done;
	env->failed = 0;
	rc = 0;
done:
	mbedtls_platform_zeroize(cek, sizeof(cek));
	free(ris);
	free(alg);
	if (rc == -1)
		cms_env_free(env);
	return rc;
}

/* Ciphertext out; streamed, each piece is an OCTET STRING of its own. */
static int
emit(const struct cms_env *env, cms_write_fn out, void *arg, const uint8_t *p,
    size_t n, struct cms_error *e)
{
	uint8_t h[8];

	if (n > 0 && env->stream && out(arg, h, der_put_hdr(h,
	    DER_OCTET_STRING, n)) != 0) {
		cms_error_set(e, CMS_ERR_ARG, "output failed");
		return -1;
	}
	if (n > 0 && out(arg, p, n) != 0) {
		cms_error_set(e, CMS_ERR_ARG, "output failed");
		return -1;
	}
	return 0;
}

/* Whole blocks through the cipher: GCM (mbedTLS) or CBC (AES-NI). */
static int
blocks(struct cms_env *env, const uint8_t *in, size_t n, uint8_t *out)
{
	if (env->gcm)
		return compat_gcm_update(&env->gcmctx, in, n, out) != 0 ? -1 : 0;
	aes_hw_cbc_encrypt(&env->hw, env->iv, in, out, n / 16);
	return 0;
}

/*
 * mbedTLS 2.28's GCM goes wrong silently when an update that is not
 * the last has a length that is not a multiple of 16, and AES-NI CBC
 * takes whole blocks: re-block here, keeping up to 15 bytes back for
 * the next call or for finish.
 */
static int
block_feed(struct cms_env *env, const uint8_t *in, size_t n, cms_write_fn out,
    void *arg, struct cms_error *e)
{
	uint8_t buf[CHUNK];
	size_t take;

	while (n > 0) {
		if (env->npend > 0 || n < 16) {
			take = 16 - env->npend < n ? 16 - env->npend : n;
			memcpy(env->pend + env->npend, in, take);
			env->npend += take;
			in += take;
			n -= take;
			if (env->npend < 16)
				continue;
			if (blocks(env, env->pend, 16, buf) != 0)
				goto fail;
			env->npend = 0;
			if (emit(env, out, arg, buf, 16, e) == -1)
				return -1;
			continue;
		}
		take = n - n % 16;
		if (take > CHUNK)
			take = CHUNK;
		if (blocks(env, in, take, buf) != 0)
			goto fail;
		if (emit(env, out, arg, buf, take, e) == -1)
			return -1;
		in += take;
		n -= take;
	}
	return 0;
fail:
	cms_error_set(e, CMS_ERR_CRYPTO, "AES-GCM failed");
	return -1;
}

static int
cbc_feed(struct cms_env *env, const uint8_t *in, size_t n, cms_write_fn out,
    void *arg, struct cms_error *e)
{
	uint8_t buf[CHUNK + 16];
	size_t take, got;

	while (n > 0) {
		take = n > CHUNK ? CHUNK : n;
		if (mbedtls_cipher_update(&env->cbc, in, take, buf, &got) !=
		    0) {
			cms_error_set(e, CMS_ERR_CRYPTO, "AES-CBC failed");
			return -1;
		}
		if (emit(env, out, arg, buf, got, e) == -1)
			return -1;
		in += take;
		n -= take;
	}
	return 0;
}

int
cms_env_update(struct cms_env *env, const uint8_t *in, size_t n,
    cms_write_fn out, void *arg, struct cms_error *e)
{
	int rc;

	if (env->failed) {
		cms_error_set(e, CMS_ERR_ARG, "encryption already failed");
		return -1;
	}
	if (!env->stream && n > env->want - env->seen) {
		cms_error_set(e, CMS_ERR_ARG, "more content than announced");
		env->failed = 1;
		return -1;
	}
	env->seen += n;
	rc = env->gcm || env->use_hw ? block_feed(env, in, n, out, arg, e) :
	    cbc_feed(env, in, n, out, arg, e);
	if (rc == -1)
		env->failed = 1;
	return rc;
}

static int
gcm_finish(struct cms_env *env, cms_write_fn out, void *arg,
    struct cms_frame *f, struct cms_error *e)
{
	uint8_t buf[16], *t;

	if (env->npend > 0 && compat_gcm_update(&env->gcmctx, env->pend,
	    env->npend, buf) != 0) {
		cms_error_set(e, CMS_ERR_CRYPTO, "AES-GCM failed");
		return -1;
	}
	if (emit(env, out, arg, buf, env->npend, e) == -1)
		return -1;
	env->npend = 0;
	if ((t = malloc(2 + GCM_TAG_LEN)) == NULL) {
		cms_error_set(e, CMS_ERR_NOMEM, "out of memory");
		return -1;
	}
	t[0] = DER_OCTET_STRING;
	t[1] = GCM_TAG_LEN;
	if (compat_gcm_finish(&env->gcmctx, t + 2, GCM_TAG_LEN) != 0) {
		free(t);
		cms_error_set(e, CMS_ERR_CRYPTO, "AES-GCM tag failed");
		return -1;
	}
	f->tail = t;
	f->taillen = 2 + GCM_TAG_LEN;
	return 0;
}

/*
 * Streamed, the tail closes what the head left open: the [0] of chunks
 * and EncryptedContentInfo, then (GCM) the mac, then the SEQUENCE, the
 * [0] and the ContentInfo, each with end-of-contents octets.
 */
static int
close_stream(struct cms_frame *f, struct cms_error *e)
{
	uint8_t *t;

	if ((t = calloc(1, 10 + f->taillen)) == NULL) {
		cms_error_set(e, CMS_ERR_NOMEM, "out of memory");
		return -1;
	}
	if (f->taillen > 0)
		memcpy(t + 4, f->tail, f->taillen);
	free(f->tail);
	f->tail = t;
	f->taillen += 10;
	return 0;
}

int
cms_env_finish(struct cms_env *env, cms_write_fn out, void *arg,
    struct cms_frame *f, struct cms_error *e)
{
	uint8_t buf[16];
	size_t got;
	int rc = -1;

	f->tail = NULL;
	f->taillen = 0;
	if (env->failed) {
		cms_error_set(e, CMS_ERR_ARG, "encryption already failed");
		goto done;
	}
	if (!env->stream && env->seen != env->want) {
		cms_error_set(e, CMS_ERR_ARG, "less content than announced");
		goto done;
	}
	if (env->gcm) {
		if (gcm_finish(env, out, arg, f, e) == -1)
			goto done;
	} else if (env->use_hw) {
		/* PKCS#7 (RFC 5652 §6.3): 1 to 16 octets of their count */
		memset(env->pend + env->npend, 16 - (int)env->npend,
		    16 - env->npend);
		aes_hw_cbc_encrypt(&env->hw, env->iv, env->pend, buf, 1);
		env->npend = 0;
		if (emit(env, out, arg, buf, 16, e) == -1)
			goto done;
	} else {
		if (mbedtls_cipher_finish(&env->cbc, buf, &got) != 0) {
			cms_error_set(e, CMS_ERR_CRYPTO, "AES-CBC failed");
			goto done;
		}
		if (emit(env, out, arg, buf, got, e) == -1)
			goto done;
	}
	if (env->stream && close_stream(f, e) == -1)
		goto done;
	rc = 0;
done:
	cms_env_free(env);
	return rc;
}

void
cms_env_free(struct cms_env *env)
{
	/* both free functions wipe the key schedules */
	mbedtls_cipher_free(&env->cbc);
	mbedtls_gcm_free(&env->gcmctx);
	mbedtls_platform_zeroize(env->pend, sizeof(env->pend));
	aes_hw_wipe(&env->hw);
	mbedtls_platform_zeroize(env->iv, sizeof(env->iv));
	env->use_hw = 0;
	env->npend = 0;
	env->failed = 1;
}
