/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * EnvelopedData (RFC 5652 §6) and AuthEnvelopedData (RFC 5083): the
 * decrypting side, DER or indefinite-length BER with the encrypted
 * content in any chunking.
 *
 * Key management: KeyTransRecipientInfo with RSA PKCS#1 v1.5 or
 * RSAES-OAEP, KeyAgreeRecipientInfo with ephemeral-static ECDH, the
 * X9.63 KDF (SHA-1 to SHA-512) and AES key wrap (RFC 5753), or the
 * Triple-DES key wrap (RFC 3217) OpenSSL uses with 3DES content.  Content:
 * AES-128/256-CBC, 3DES-CBC (legacy, read only), AES-128/256-GCM.
 *
 * Oracles: a failed RSA unwrap is not reported.  Decryption goes on
 * with a random key, so it ends like a bad padding ("decryption
 * failed") or a bad tag, with the same text as those.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/constant_time.h>
#include <mbedtls/des.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>

#include "ber.h"
#include "cms.h"
#include "mime.h"
#include "der.h"
#include "kdf.h"
#include "kw.h"
#include "mbedtls_compat.h"
#include "oid.h"

#define CHUNK		4096
#define MAX_UKM		128

/* The parts of the structure we use, as spans of the input. */
struct envelope {
	int		 auth;
	struct ber_elem	 ris;		/* SET OF RecipientInfo */
	struct ber_elem	 alg;		/* contentEncryptionAlgorithm */
	struct ber_elem	 ct;		/* [0] encryptedContent */
	int		 has_ct;
	struct ber_elem	 aattrs;	/* [1] authAttrs */
	int		 has_aattrs;
	uint8_t		 mac[16];
	size_t		 maclen;
};

struct content_alg {
	const char		*name;
	mbedtls_cipher_type_t	 type;
	size_t			 keylen;
	int			 gcm;
	uint8_t			 iv[64];
	size_t			 ivlen;
	size_t			 taglen;
};

/* Key finding and unwrapping across the RecipientInfos. */
struct unwrap {
	struct cms_dec		*d;
	const struct content_alg *ca;
	uint8_t			 cek[32];
	int			 have_cek;
	int			 rsa_failed;	/* never reported on its own */
	struct cms_keyop_local	 local;		/* a find_key answer */
	int			 wrong_key;
	int			 unsupported;
	char			 why[120];
};

/* KDF scheme OIDs (RFC 5753 §7.1.4; SEC 1): std and cofactor DH. */
static const struct kdf_scheme {
	uint8_t			 der[9];
	size_t			 len;
	mbedtls_md_type_t	 md;
} kdf_schemes[] = {
	{ { 0x2b, 0x81, 0x05, 0x10, 0x86, 0x48, 0x3f, 0x00, 0x02 }, 9,
	    MBEDTLS_MD_SHA1 },
	{ { 0x2b, 0x81, 0x05, 0x10, 0x86, 0x48, 0x3f, 0x00, 0x03 }, 9,
	    MBEDTLS_MD_SHA1 },
	{ { 0x2b, 0x81, 0x04, 0x01, 0x0b, 0x00 }, 6, MBEDTLS_MD_SHA224 },
	{ { 0x2b, 0x81, 0x04, 0x01, 0x0b, 0x01 }, 6, MBEDTLS_MD_SHA256 },
	{ { 0x2b, 0x81, 0x04, 0x01, 0x0b, 0x02 }, 6, MBEDTLS_MD_SHA384 },
	{ { 0x2b, 0x81, 0x04, 0x01, 0x0b, 0x03 }, 6, MBEDTLS_MD_SHA512 },
	{ { 0x2b, 0x81, 0x04, 0x01, 0x0e, 0x00 }, 6, MBEDTLS_MD_SHA224 },
	{ { 0x2b, 0x81, 0x04, 0x01, 0x0e, 0x01 }, 6, MBEDTLS_MD_SHA256 },
	{ { 0x2b, 0x81, 0x04, 0x01, 0x0e, 0x02 }, 6, MBEDTLS_MD_SHA384 },
	{ { 0x2b, 0x81, 0x04, 0x01, 0x0e, 0x03 }, 6, MBEDTLS_MD_SHA512 },
};

/* Key wraps not in oid.h: id-aes192-wrap, id-alg-CMS3DESwrap. */
static const uint8_t oid_aes192_wrap[] = {
	0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x19
};
static const uint8_t oid_cms3des_wrap[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x03, 0x06
};

const char *
cms_dstatus_str(enum cms_dstatus s)
{
	static const char *names[] = {
		"ok", "malformed", "unsupported algorithm",
		"no matching recipient", "wrong key", "decryption failed",
		"authentication tag check failed", "output failed",
		"internal error"
	};

	if ((size_t)s < sizeof(names) / sizeof(names[0]))
		return names[s];
	return "unknown";
}

static enum cms_dstatus
fail(struct cms_error *e, enum cms_dstatus st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum cms_dstatus
fail(struct cms_error *e, enum cms_dstatus st, const char *fmt, ...)
{
	enum cms_err code;
	va_list ap;

	if (e == NULL)
		return st;
	switch (st) {
	case CMS_D_MALFORMED:
		code = CMS_ERR_ENCODING;
		break;
	case CMS_D_UNSUPPORTED:
		code = CMS_ERR_UNSUPPORTED;
		break;
	case CMS_D_OUTPUT:
		code = CMS_ERR_ARG;
		break;
	default:
		code = CMS_ERR_CRYPTO;
		break;
	}
	e->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return st;
}

/* The fields after recipientInfos; r is inside the (Auth)EnvelopedData. */
static enum ber_err
parse_eci_and_mac(struct ber_reader *r, struct envelope *env)
{
	struct ber_elem el;
	enum ber_err be;
	size_t n;

	if ((be = ber_expect(r, BER_SEQUENCE, &el)) || (be = ber_enter(r)) ||
	    (be = ber_expect(r, BER_OID, &el)) ||
	    (be = ber_expect(r, BER_SEQUENCE, &env->alg)))
		return be;
	if (ber_next(r, &el) == BER_OK) {
		if (el.tag != BER_CONTEXT(0) && el.tag != BER_CONTEXT_CONS(0))
			return BER_ERR_UNEXPECTED_TAG;
		env->ct = el;
		env->has_ct = 1;
	}
	if ((be = ber_error(r)) != BER_OK && be != BER_END)
		return be;
	if ((be = ber_leave(r)) != BER_OK || !env->auth)
		return be;
	if ((be = ber_next(r, &el)))
		return be;
	if (el.tag == BER_CONTEXT_CONS(1)) {
		env->aattrs = el;
		env->has_aattrs = 1;
		if ((be = ber_next(r, &el)))
			return be;
	}
	if (el.tag != BER_OCTET_STRING && el.tag != (BER_OCTET_STRING |
	    BER_CONSTRUCTED))
		return BER_ERR_UNEXPECTED_TAG;
	if ((be = ber_octets_copy(&el, env->mac, sizeof(env->mac), &n)))
		return be;
	env->maclen = n;
	return BER_OK;
}

static enum cms_dstatus
parse_envelope(const uint8_t *buf, size_t len, struct envelope *env,
    struct cms_error *e)
{
	struct ber_reader r;
	struct ber_elem el;
	enum ber_err be;

	memset(env, 0, sizeof(*env));
	ber_reader_init(&r, buf, len, 0);
	if ((be = ber_expect(&r, BER_SEQUENCE, &el)) || (be = ber_enter(&r)) ||
	    (be = ber_expect(&r, BER_OID, &el)))
		goto bad;
	if (oid_is(OID_AUTH_ENVELOPED_DATA, el.content, el.len))
		env->auth = 1;
	else if (!oid_is(OID_ENVELOPED_DATA, el.content, el.len))
		return fail(e, CMS_D_UNSUPPORTED, "not an EnvelopedData or "
		    "AuthEnvelopedData");
	if ((be = ber_expect(&r, BER_CONTEXT_CONS(0), &el)) ||
	    (be = ber_enter(&r)) || (be = ber_expect(&r, BER_SEQUENCE, &el)) ||
	    (be = ber_enter(&r)) || (be = ber_expect(&r, BER_INTEGER, &el)) ||
	    (be = ber_next(&r, &el)))
		goto bad;
	if (el.tag == BER_CONTEXT_CONS(0) && (be = ber_next(&r, &el)))
		goto bad;	/* originatorInfo: certificates we do not need */
	if (el.tag != BER_SET) {
		be = BER_ERR_UNEXPECTED_TAG;
		goto bad;
	}
	env->ris = el;
	if ((be = parse_eci_and_mac(&r, env)))
		goto bad;
	return CMS_D_OK;
bad:
	return fail(e, CMS_D_MALFORMED, "malformed %s: %s", env->auth ?
	    "AuthEnvelopedData" : "EnvelopedData", ber_strerror(be));
}

/* Copy an OCTET STRING, primitive or segmented, of min..max bytes. */
static int
get_octets(const struct ber_elem *el, uint8_t *out, size_t min, size_t max,
    size_t *outlen)
{
	if (el->tag != BER_OCTET_STRING && el->tag != (BER_OCTET_STRING |
	    BER_CONSTRUCTED))
		return -1;
	if (ber_octets_copy(el, out, max, outlen) != BER_OK || *outlen < min)
		return -1;
	return 0;
}

/* GCMParameters ::= SEQUENCE { aes-nonce, aes-ICVlen DEFAULT 12 }. */
static int
gcm_params(struct ber_reader *r, struct content_alg *ca)
{
	struct ber_reader p;
	struct ber_elem el;
	long icv = 12;

	if (ber_expect(r, BER_SEQUENCE, &el) != BER_OK)
		return -1;
	ber_reader_init(&p, el.content, el.len, 0);
	if (ber_next(&p, &el) != BER_OK ||
	    get_octets(&el, ca->iv, 1, sizeof(ca->iv), &ca->ivlen) == -1)
		return -1;
	if (ber_next(&p, &el) == BER_OK && (el.tag != BER_INTEGER ||
	    ber_get_long(&el, &icv) != BER_OK))
		return -1;
	if (icv < 12 || icv > 16)	/* RFC 5084 §3.2 allows 12..16 */
		return -1;
	ca->taglen = (size_t)icv;
	return 0;
}

static enum cms_dstatus
parse_content_alg(const struct envelope *env, struct content_alg *ca,
    struct cms_error *e)
{
	struct ber_reader r;
	struct ber_elem el;
	enum oid_id id;
	int rc;

	memset(ca, 0, sizeof(*ca));
	ber_reader_init(&r, env->alg.content, env->alg.len, 0);
	if (ber_expect(&r, BER_OID, &el) != BER_OK)
		return fail(e, CMS_D_MALFORMED, "malformed content algorithm");
	switch ((id = oid_lookup(el.content, el.len))) {
	case OID_AES128_CBC:
	case OID_AES256_CBC:
	case OID_DES_EDE3_CBC:
		ca->type = id == OID_AES128_CBC ? MBEDTLS_CIPHER_AES_128_CBC :
		    id == OID_AES256_CBC ? MBEDTLS_CIPHER_AES_256_CBC :
		    MBEDTLS_CIPHER_DES_EDE3_CBC;
		ca->keylen = id == OID_AES128_CBC ? 16 : id ==
		    OID_AES256_CBC ? 32 : 24;
		ca->ivlen = id == OID_DES_EDE3_CBC ? 8 : 16;
		rc = ber_next(&r, &el) != BER_OK ||
		    get_octets(&el, ca->iv, ca->ivlen, ca->ivlen,
		    &ca->ivlen) == -1;
		break;
	case OID_AES128_GCM:
	case OID_AES256_GCM:
		ca->gcm = 1;
		ca->type = id == OID_AES128_GCM ? MBEDTLS_CIPHER_AES_128_GCM :
		    MBEDTLS_CIPHER_AES_256_GCM;
		ca->keylen = id == OID_AES128_GCM ? 16 : 32;
		rc = gcm_params(&r, ca);
		break;
	default:
		return fail(e, CMS_D_UNSUPPORTED, "unsupported content "
		    "encryption algorithm %s", oid_name(id));
	}
	ca->name = oid_name(id);
	if (rc)
		return fail(e, CMS_D_MALFORMED, "bad %s parameters", ca->name);
	if (ca->gcm != env->auth)
		return fail(e, CMS_D_UNSUPPORTED, "%s in %s", ca->name,
		    env->auth ? "AuthEnvelopedData" : "EnvelopedData");
	if (env->auth && env->maclen != ca->taglen)
		return fail(e, CMS_D_MALFORMED, "mac length differs from the "
		    "ICV length");
	return CMS_D_OK;
}

/*
 * The caller's key for a recipient identifier (issuer and serial, or
 * SKI): its operations, wrapped here when the caller holds the key.
 */
static const struct cms_keyop *
key_for(struct unwrap *u, const uint8_t *issuer, size_t ilen,
    const uint8_t *serial, size_t slen, const uint8_t *ski, size_t skilen)
{
	struct cms_dec *d = u->d;
	const struct cms_keyop *op = NULL;
	mbedtls_pk_context *key = NULL;

	if (d->find_op != NULL)
		return d->find_op(d->find_arg, issuer, ilen, serial, slen, ski,
		    skilen, &op) == 0 ? op : NULL;
	if (d->find_key(d->find_arg, issuer, ilen, serial, slen, ski, skilen,
	    &key) != 0 || key == NULL)
		return NULL;
	cms_keyop_local(&u->local, key, d->rng);
	return &u->local.op;
}

/* Ask the caller for the key of an IssuerAndSerialNumber. */
static const struct cms_keyop *
key_by_issuer_serial(struct unwrap *u, const struct ber_elem *ias)
{
	struct ber_reader r;
	struct ber_elem name, serial;

	ber_reader_init(&r, ias->content, ias->len, 0);
	if (ber_expect(&r, BER_SEQUENCE, &name) != BER_OK ||
	    ber_expect(&r, BER_INTEGER, &serial) != BER_OK)
		return NULL;
	return key_for(u, name.raw, name.rawlen, serial.content, serial.len,
	    NULL, 0);
}

static const struct cms_keyop *
key_by_ski(struct unwrap *u, const struct ber_elem *ski)
{
	uint8_t buf[64];
	size_t n;

	/* [0] IMPLICIT OCTET STRING: primitive or segmented */
	if (ber_octets_copy(ski, buf, sizeof(buf), &n) != BER_OK || n == 0)
		return NULL;
	return key_for(u, NULL, 0, NULL, 0, buf, n);
}

/* The OID of an AlgorithmIdentifier's content, as an id. */
static enum oid_id
alg_id(const struct ber_elem *alg, struct ber_elem *params, int *has_params)
{
	struct ber_reader r;
	struct ber_elem oid;

	ber_reader_init(&r, alg->content, alg->len, 0);
	if (ber_expect(&r, BER_OID, &oid) != BER_OK)
		return OID_UNKNOWN;
	*has_params = ber_next(&r, params) == BER_OK;
	return oid_lookup(oid.content, oid.len);
}

/*
 * RSAES-OAEP-params (RFC 4055 §4.1).  mbedTLS uses the OAEP hash for
 * MGF1 too, so the two must agree; a label (pSourceFunc) is refused.
 */
static mbedtls_md_type_t
oaep_md(const struct ber_elem *params)
{
	struct ber_reader r, s;
	struct ber_elem el, alg, mgfp;
	mbedtls_md_type_t md = MBEDTLS_MD_SHA1, mgf = MBEDTLS_MD_SHA1;
	int hp;

	ber_reader_init(&r, params->content, params->len, 0);
	while (ber_next(&r, &el) == BER_OK) {
		ber_reader_init(&s, el.content, el.len, 0);
		if (ber_expect(&s, BER_SEQUENCE, &alg) != BER_OK)
			return MBEDTLS_MD_NONE;
		if (el.tag == BER_CONTEXT_CONS(0))
			md = cms_md_type(alg_id(&alg, &mgfp, &hp));
		else if (el.tag == BER_CONTEXT_CONS(1)) {
			if (alg_id(&alg, &mgfp, &hp) != OID_MGF1 || !hp ||
			    mgfp.tag != BER_SEQUENCE)
				return MBEDTLS_MD_NONE;
			mgf = cms_md_type(alg_id(&mgfp, &alg, &hp));
		} else
			return MBEDTLS_MD_NONE;
	}
	if (ber_error(&r) != BER_OK && ber_error(&r) != BER_END)
		return MBEDTLS_MD_NONE;
	return md == mgf ? md : MBEDTLS_MD_NONE;
}

/*
 * RSA unwrap.  Bleichenbacher: the key's unwrap gives random octets on
 * any failure, so a failure runs on like success and surfaces as a
 * content decryption failure.
 */
static void
rsa_unwrap(struct unwrap *u, const struct cms_keyop *op, mbedtls_md_type_t md,
    int oaep, const uint8_t *ek, size_t eklen)
{
	int rc = op->unwrap(op->arg, oaep, md, ek, eklen, u->cek,
	    u->ca->keylen);

	if (rc == -2)
		return;		/* not ours to use: as if we had no key */
	if (rc != 0)
		u->rsa_failed = 1;
	u->have_cek = 1;
}

/* KeyTransRecipientInfo: 0 handled (or skipped), -1 malformed. */
static int
try_ktri(struct unwrap *u, const struct ber_elem *ri)
{
	uint8_t ek[MBEDTLS_MPI_MAX_SIZE];
	struct ber_reader r;
	struct ber_elem el, rid, alg, params;
	const struct cms_keyop *key;
	mbedtls_md_type_t md = MBEDTLS_MD_NONE;
	enum oid_id id;
	size_t eklen;
	int hp;

	ber_reader_init(&r, ri->content, ri->len, 0);
	if (ber_expect(&r, BER_INTEGER, &el) != BER_OK ||
	    ber_next(&r, &rid) != BER_OK ||
	    ber_expect(&r, BER_SEQUENCE, &alg) != BER_OK ||
	    ber_next(&r, &el) != BER_OK ||
	    get_octets(&el, ek, 1, sizeof(ek), &eklen) == -1)
		return -1;
	if (rid.tag == BER_SEQUENCE)
		key = key_by_issuer_serial(u, &rid);
	else if (rid.tag == BER_CONTEXT(0) || rid.tag == BER_CONTEXT_CONS(0))
		key = key_by_ski(u, &rid);
	else
		return -1;
	if (key == NULL)
		return 0;
	if (key->type != MBEDTLS_PK_RSA) {
		u->wrong_key = 1;
		return 0;
	}
	id = alg_id(&alg, &params, &hp);
	if (id == OID_RSAES_OAEP)
		md = hp && params.tag == BER_SEQUENCE ? oaep_md(&params) :
		    MBEDTLS_MD_SHA1;
	if (id != OID_RSA_ENCRYPTION && md == MBEDTLS_MD_NONE) {
		u->unsupported = 1;
		snprintf(u->why, sizeof(u->why), "unsupported key transport "
		    "%s", id == OID_RSAES_OAEP ? "RSAES-OAEP parameters" :
		    oid_name(id));
		return 0;
	}
	rsa_unwrap(u, key, md, id == OID_RSAES_OAEP, ek, eklen);
	return 0;
}

/* The parts of a KeyAgreeRecipientInfo shared by its recipients. */
struct kari {
	const uint8_t	*point;		/* originator's public key */
	size_t		 pointlen;
	int		 curve_given;
	mbedtls_ecp_group_id curve;
	uint8_t		 ukm[MAX_UKM];
	size_t		 ukmlen;
	int		 has_ukm;
	mbedtls_md_type_t md;
	const uint8_t	*walg;		/* wrap AlgorithmIdentifier, whole */
	size_t		 walglen;
	size_t		 keklen;
	int		 des3wrap;	/* RFC 3217, else RFC 3394 */
};

static int
oid_eq(const struct ber_elem *el, const uint8_t *oid, size_t len)
{
	return el->len == len && memcmp(el->content, oid, len) == 0;
}

/* KDF hash of a KARI keyEncryptionAlgorithm, and its wrap algorithm. */
static int
kari_algs(const struct ber_elem *alg, struct kari *k)
{
	struct ber_reader r;
	struct ber_elem oid, walg, woidel;
	size_t i;

	ber_reader_init(&r, alg->content, alg->len, 0);
	if (ber_expect(&r, BER_OID, &oid) != BER_OK ||
	    ber_expect(&r, BER_SEQUENCE, &walg) != BER_OK)
		return -1;
	k->md = MBEDTLS_MD_NONE;
	for (i = 0; i < sizeof(kdf_schemes) / sizeof(kdf_schemes[0]); i++)
		if (oid_eq(&oid, kdf_schemes[i].der, kdf_schemes[i].len))
			k->md = kdf_schemes[i].md;
	ber_reader_init(&r, walg.content, walg.len, 0);
	if (k->md == MBEDTLS_MD_NONE ||
	    ber_expect(&r, BER_OID, &woidel) != BER_OK)
		return -1;
	k->walg = walg.raw;
	k->walglen = walg.rawlen;
	if (oid_is(OID_AES128_WRAP, woidel.content, woidel.len))
		k->keklen = 16;
	else if (oid_is(OID_AES256_WRAP, woidel.content, woidel.len))
		k->keklen = 32;
	else if (oid_eq(&woidel, oid_aes192_wrap, sizeof(oid_aes192_wrap)))
		k->keklen = 24;
	else if (oid_eq(&woidel, oid_cms3des_wrap,
	    sizeof(oid_cms3des_wrap))) {
		k->keklen = 24;
		k->des3wrap = 1;
	} else
		return -1;
	return 0;
}

static mbedtls_ecp_group_id
curve_of(enum oid_id id)
{
	switch (id) {
	case OID_SECP256R1:
		return MBEDTLS_ECP_DP_SECP256R1;
	case OID_SECP384R1:
		return MBEDTLS_ECP_DP_SECP384R1;
	case OID_SECP521R1:
		return MBEDTLS_ECP_DP_SECP521R1;
	default:
		return MBEDTLS_ECP_DP_NONE;
	}
}

/* originator [0] { originatorKey [1] { algorithm, publicKey } }. */
static int
kari_originator(const struct ber_elem *orig, struct kari *k)
{
	struct ber_reader r;
	struct ber_elem el, alg, params, pub;
	unsigned int unused;
	int hp;

	ber_reader_init(&r, orig->content, orig->len, 0);
	if (ber_expect(&r, BER_CONTEXT_CONS(1), &el) != BER_OK)
		return -1;	/* issuerAndSerialNumber, SKI: static-static */
	ber_reader_init(&r, el.content, el.len, 0);
	if (ber_expect(&r, BER_SEQUENCE, &alg) != BER_OK ||
	    ber_expect(&r, BER_BIT_STRING, &pub) != BER_OK ||
	    ber_get_bitstring(&pub, &k->point, &k->pointlen, &unused) !=
	    BER_OK || unused != 0)
		return -1;
	if (alg_id(&alg, &params, &hp) != OID_EC_PUBLIC_KEY)
		return -1;
	if (hp && params.tag == BER_OID) {
		k->curve_given = 1;
		k->curve = curve_of(oid_lookup(params.content, params.len));
	}
	return 0;
}

static int
parse_kari(const struct ber_elem *ri, struct kari *k, struct ber_elem *reks)
{
	struct ber_reader r;
	struct ber_elem el, alg;

	memset(k, 0, sizeof(*k));
	ber_reader_init(&r, ri->content, ri->len, 0);
	if (ber_expect(&r, BER_INTEGER, &el) != BER_OK ||
	    ber_expect(&r, BER_CONTEXT_CONS(0), &el) != BER_OK ||
	    kari_originator(&el, k) == -1 || ber_next(&r, &el) != BER_OK)
		return -1;
	if (el.tag == BER_CONTEXT_CONS(1)) {	/* ukm [1] EXPLICIT */
		struct ber_reader u;
		struct ber_elem os;

		ber_reader_init(&u, el.content, el.len, 0);
		if (ber_next(&u, &os) != BER_OK || get_octets(&os, k->ukm, 0,
		    sizeof(k->ukm), &k->ukmlen) == -1)
			return -1;
		k->has_ukm = 1;
		if (ber_next(&r, &el) != BER_OK)
			return -1;
	}
	alg = el;
	if (alg.tag != BER_SEQUENCE ||
	    ber_expect(&r, BER_SEQUENCE, reks) != BER_OK)
		return -1;
	if (kari_algs(&alg, k) == -1)
		return 1;
	return 0;
}

/*
 * ECC-CMS-SharedInfo (RFC 5753 §7.2).  keyInfo is the wrap algorithm as
 * the message has it: OpenSSL writes CMS3DESwrap with NULL parameters
 * and hashes them, AES wraps without.
 */
static int
shared_info(const struct kari *k, uint8_t **out, size_t *outlen)
{
	struct der_writer w;
	uint8_t bits[4];
	uint32_t n = (uint32_t)k->keklen * 8;

	bits[0] = (uint8_t)(n >> 24);
	bits[1] = (uint8_t)(n >> 16);
	bits[2] = (uint8_t)(n >> 8);
	bits[3] = (uint8_t)n;
	der_init(&w);
	der_begin(&w, DER_SEQUENCE);
	der_raw(&w, k->walg, k->walglen);
	if (k->has_ukm) {
		der_begin(&w, DER_CONTEXT_CONS(0));
		der_octets(&w, k->ukm, k->ukmlen);
		der_end(&w);
	}
	der_begin(&w, DER_CONTEXT_CONS(2));
	der_octets(&w, bits, sizeof(bits));
	der_end(&w);
	der_end(&w);
	return der_finish(&w, out, outlen);
}

/*
 * Triple-DES key wrap, unwrapping side (RFC 3217 §3.2): two CBC
 * decryptions around a byte reversal, then the SHA-1 checksum.
 */
static int
des3_unwrap(const uint8_t *kek, const uint8_t *in, size_t inlen,
    uint8_t *cek)
{
	static const uint8_t iv0[8] = {
		0x4a, 0xdd, 0xa2, 0x2c, 0x79, 0xe8, 0x21, 0x05
	};
	uint8_t t3[40], t2[40], iv[8], sum[20];
	mbedtls_des3_context d;
	size_t i;
	int rc = -1;

	if (inlen != sizeof(t3))
		return -1;
	mbedtls_des3_init(&d);
	memcpy(iv, iv0, sizeof(iv));
	if (mbedtls_des3_set3key_dec(&d, kek) != 0 ||
	    mbedtls_des3_crypt_cbc(&d, MBEDTLS_DES_DECRYPT, sizeof(t3), iv,
	    in, t3) != 0)
		goto done;
	for (i = 0; i < sizeof(t3); i++)
		t2[i] = t3[sizeof(t3) - 1 - i];
	memcpy(iv, t2, 8);
	if (mbedtls_des3_crypt_cbc(&d, MBEDTLS_DES_DECRYPT, 32, iv, t2 + 8,
	    t3) != 0 || mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA1),
	    t3, 24, sum) != 0 || mbedtls_ct_memcmp(sum, t3 + 24, 8) != 0)
		goto done;
	memcpy(cek, t3, 24);
	rc = 0;
done:
	mbedtls_des3_free(&d);
	mbedtls_platform_zeroize(t3, sizeof(t3));
	mbedtls_platform_zeroize(t2, sizeof(t2));
	return rc;
}

/* ECDH, KDF, unwrap: 0 with the CEK in u, -1 when anything fails, -2
 * when the key may not be used for this message. */
static int
kari_unwrap(struct unwrap *u, const struct cms_keyop *key,
    const struct kari *k, const uint8_t *ek, size_t eklen)
{
	uint8_t kek[32], cek[64], *info = NULL;
	size_t infolen, ceklen = 0;
	int rc = -1;

	if (k->curve_given && k->curve == MBEDTLS_ECP_DP_NONE)
		goto done;	/* a curve we do not know is no match */
	if (shared_info(k, &info, &infolen) == -1)
		goto done;
	if ((rc = key->kek(key->arg, k->curve_given ? k->curve :
	    MBEDTLS_ECP_DP_NONE, k->point, k->pointlen, k->md, info, infolen,
	    kek, k->keklen)) != 0)
		goto done;	/* -2: not ours to use */
	rc = -1;
	if (k->des3wrap) {
		if (u->ca->keylen != 24 || des3_unwrap(kek, ek, eklen, cek))
			goto done;
		ceklen = 24;
	} else if (eklen != u->ca->keylen + KW_OVERHEAD ||
	    kw_unwrap(kek, k->keklen, ek, eklen, cek, sizeof(cek), &ceklen) ==
	    -1 || ceklen != u->ca->keylen)
		goto done;
	memcpy(u->cek, cek, ceklen);
	u->have_cek = 1;
	rc = 0;
done:
	free(info);
	mbedtls_platform_zeroize(kek, sizeof(kek));
	mbedtls_platform_zeroize(cek, sizeof(cek));
	return rc;
}

/* One RecipientEncryptedKey: rid, then encryptedKey. */
static int
try_rek(struct unwrap *u, const struct kari *k, const struct ber_elem *rek)
{
	uint8_t ek[64 + KW_OVERHEAD];
	struct ber_reader r, s;
	struct ber_elem rid, el, ski;
	const struct cms_keyop *key;
	size_t eklen;

	ber_reader_init(&r, rek->content, rek->len, 0);
	if (ber_next(&r, &rid) != BER_OK || ber_next(&r, &el) != BER_OK ||
	    get_octets(&el, ek, 1, sizeof(ek), &eklen) == -1)
		return -1;
	if (rid.tag == BER_SEQUENCE)
		key = key_by_issuer_serial(u, &rid);
	else if (rid.tag == BER_CONTEXT_CONS(0)) {	/* rKeyId */
		ber_reader_init(&s, rid.content, rid.len, 0);
		if (ber_next(&s, &ski) != BER_OK)
			return -1;
		key = key_by_ski(u, &ski);
	} else
		return -1;
	if (key == NULL)
		return 0;
	if (key->type != MBEDTLS_PK_ECKEY)
		u->wrong_key = 1;
	else if (kari_unwrap(u, key, k, ek, eklen) == -1)
		u->wrong_key = 1;	/* -2: as if we had no key */
	return 0;
}

static int
try_kari(struct unwrap *u, const struct ber_elem *ri)
{
	struct ber_reader r;
	struct ber_elem reks, rek;
	struct kari k;
	int rc;

	if ((rc = parse_kari(ri, &k, &reks)) == -1)
		return -1;
	if (rc == 1) {
		u->unsupported = 1;
		snprintf(u->why, sizeof(u->why), "unsupported key agreement "
		    "or key wrap algorithm");
		return 0;
	}
	ber_reader_init(&r, reks.content, reks.len, 0);
	while (!u->have_cek && ber_next(&r, &rek) == BER_OK)
		if (rek.tag != BER_SEQUENCE || try_rek(u, &k, &rek) == -1)
			return -1;
	return 0;
}

/* Walk the RecipientInfos until one yields a CEK. */
static enum cms_dstatus
find_cek(const struct envelope *env, struct unwrap *u, struct cms_error *e)
{
	struct ber_reader r;
	struct ber_elem ri;
	int rc, n = 0;

	ber_reader_init(&r, env->ris.content, env->ris.len, 0);
	while (!u->have_cek && ber_next(&r, &ri) == BER_OK) {
		n++;
		if (ri.tag == BER_SEQUENCE)
			rc = try_ktri(u, &ri);
		else if (ri.tag == BER_CONTEXT_CONS(1))
			rc = try_kari(u, &ri);
		else
			rc = 0;	/* KEK, password, other: not ours */
		if (rc == -1)
			return fail(e, CMS_D_MALFORMED, "malformed "
			    "RecipientInfo %d", n);
	}
	if (ber_error(&r) != BER_OK && ber_error(&r) != BER_END)
		return fail(e, CMS_D_MALFORMED, "malformed recipientInfos: %s",
		    ber_strerror(ber_error(&r)));
	if (u->have_cek)
		return CMS_D_OK;
	if (u->wrong_key)
		return fail(e, CMS_D_WRONG_KEY, "wrong key: the recipient's "
		    "key does not unwrap the content-encryption key");
	if (u->unsupported)
		return fail(e, CMS_D_UNSUPPORTED, "%s", u->why);
	return fail(e, CMS_D_NO_RECIPIENT, "no matching recipient among %d "
	    "RecipientInfos", n);
}

/* ---- content decryption ---- */

struct run {
	mbedtls_cipher_context_t cbc;
	mbedtls_gcm_context	 gcm;
	uint8_t			 pend[16];
	size_t			 npend;
	cms_write_fn		 out;		/* NULL: discard */
	void			*arg;
	int			 out_failed;
};

static int
run_emit(struct run *rn, const uint8_t *p, size_t n)
{
	if (rn->out == NULL || n == 0)
		return 0;
	if (rn->out(rn->arg, p, n) != 0) {
		rn->out_failed = 1;
		return -1;
	}
	return 0;
}

static int
cbc_seg(void *arg, const uint8_t *in, size_t n)
{
	struct run *rn = arg;
	uint8_t buf[CHUNK + 16];
	size_t take, got;

	while (n > 0) {
		take = n > CHUNK ? CHUNK : n;
		if (mbedtls_cipher_update(&rn->cbc, in, take, buf, &got) != 0 ||
		    run_emit(rn, buf, got) == -1)
			return -1;
		mime_consumed(take);
		in += take;
		n -= take;
	}
	return 0;
}

static enum cms_dstatus
cbc_decrypt(const struct envelope *env, const struct content_alg *ca,
    const uint8_t *cek, struct cms_dec *d, struct cms_error *e)
{
	struct run rn;
	uint8_t buf[16];
	size_t got;
	enum cms_dstatus st = CMS_D_DECRYPT;

	memset(&rn, 0, sizeof(rn));
	rn.out = d->out;
	rn.arg = d->out_arg;
	mbedtls_cipher_init(&rn.cbc);
	if (mbedtls_cipher_setup(&rn.cbc, mbedtls_cipher_info_from_type(
	    ca->type)) != 0 || mbedtls_cipher_setkey(&rn.cbc, cek,
	    (int)ca->keylen * 8, MBEDTLS_DECRYPT) != 0 ||
	    mbedtls_cipher_set_padding_mode(&rn.cbc, MBEDTLS_PADDING_PKCS7) ||
	    mbedtls_cipher_set_iv(&rn.cbc, ca->iv, ca->ivlen) != 0 ||
	    mbedtls_cipher_reset(&rn.cbc) != 0) {
		st = CMS_D_INTERNAL;
		goto done;
	}
	/* segments were checked before: a failure here is the cipher's */
	if (ber_octets_foreach(&env->ct, cbc_seg, &rn) != BER_OK)
		goto done;
	/* padding and whole blocks are checked here, one error for all */
	if (mbedtls_cipher_finish(&rn.cbc, buf, &got) != 0 ||
	    run_emit(&rn, buf, got) == -1)
		goto done;
	st = CMS_D_OK;
done:
	mbedtls_platform_zeroize(buf, sizeof(buf));
	mbedtls_cipher_free(&rn.cbc);
	if (rn.out_failed)
		st = CMS_D_OUTPUT;
	if (st == CMS_D_OK)
		return st;
	return fail(e, st, "%s", st == CMS_D_DECRYPT ? "decryption failed" :
	    st == CMS_D_OUTPUT ? "output failed" : "cipher setup failed");
}

/* mbedTLS 2.28 GCM needs every update but the last in whole blocks. */
static int
gcm_seg(void *arg, const uint8_t *in, size_t n)
{
	struct run *rn = arg;
	uint8_t buf[CHUNK];
	size_t take;

	while (n > 0) {
		if (rn->npend > 0 || n < 16) {
			take = 16 - rn->npend < n ? 16 - rn->npend : n;
			memcpy(rn->pend + rn->npend, in, take);
			rn->npend += take;
			in += take;
			n -= take;
			if (rn->npend < 16)
				continue;
			if (compat_gcm_update(&rn->gcm, rn->pend, 16, buf) !=
			    0 || run_emit(rn, buf, 16) == -1)
				return -1;
			rn->npend = 0;
			continue;
		}
		take = n - n % 16;
		if (take > CHUNK)
			take = CHUNK;
		if (compat_gcm_update(&rn->gcm, in, take, buf) != 0 ||
		    run_emit(rn, buf, take) == -1)
			return -1;
		mime_consumed(take);
		in += take;
		n -= take;
	}
	return 0;
}

/* One GCM pass over the ciphertext; 0 when the tag matched. */
static int
gcm_pass(const struct envelope *env, const struct content_alg *ca,
    const uint8_t *cek, const uint8_t *aad, size_t aadlen, struct run *rn)
{
	uint8_t buf[16], tag[16];
	int rc = -1;

	rn->npend = 0;
	mbedtls_gcm_init(&rn->gcm);
	if (mbedtls_gcm_setkey(&rn->gcm, MBEDTLS_CIPHER_ID_AES, cek,
	    (unsigned)ca->keylen * 8) != 0 || compat_gcm_starts(&rn->gcm,
	    MBEDTLS_GCM_DECRYPT, ca->iv, ca->ivlen, aad, aadlen) != 0 ||
	    ber_octets_foreach(&env->ct, gcm_seg, rn) != BER_OK)
		goto done;
	if (rn->npend > 0 && (compat_gcm_update(&rn->gcm, rn->pend,
	    rn->npend, buf) != 0 || run_emit(rn, buf, rn->npend) == -1))
		goto done;
	if (compat_gcm_finish(&rn->gcm, tag, ca->taglen) != 0 ||
	    mbedtls_ct_memcmp(tag, env->mac, ca->taglen) != 0)
		goto done;
	rc = 0;
done:
	mbedtls_platform_zeroize(buf, sizeof(buf));
	mbedtls_platform_zeroize(rn->pend, sizeof(rn->pend));
	mbedtls_gcm_free(&rn->gcm);
	return rc;
}

/* authAttrs as the DER SET OF that is authenticated (RFC 5083 §2.1). */
static int
auth_aad(const struct envelope *env, uint8_t **aad, size_t *aadlen)
{
	const struct ber_elem *a = &env->aattrs;

	*aad = NULL;
	*aadlen = 0;
	if (!env->has_aattrs)
		return 0;
	if (a->indefinite)
		return -1;	/* not DER: we would have to re-encode */
	if ((*aad = malloc(a->rawlen)) == NULL)
		return -1;
	memcpy(*aad, a->raw, a->rawlen);
	(*aad)[0] = BER_SET;
	*aadlen = a->rawlen;
	return 0;
}

/*
 * Two passes: the first only checks the tag, the second decrypts to
 * the caller.  No plaintext leaves before the tag is known good, and
 * memory stays bounded whatever the content size.
 */
static enum cms_dstatus
gcm_decrypt(const struct envelope *env, const struct content_alg *ca,
    const uint8_t *cek, struct cms_dec *d, struct cms_error *e)
{
	struct run rn;
	uint8_t *aad;
	size_t aadlen;
	enum cms_dstatus st = CMS_D_TAG;

	memset(&rn, 0, sizeof(rn));
	if (auth_aad(env, &aad, &aadlen) == -1)
		return fail(e, CMS_D_UNSUPPORTED, "authAttrs not in DER");
	if (gcm_pass(env, ca, cek, aad, aadlen, &rn) == -1)
		goto done;
	rn.out = d->out;
	rn.arg = d->out_arg;
	if (gcm_pass(env, ca, cek, aad, aadlen, &rn) == -1)
		st = rn.out_failed ? CMS_D_OUTPUT : CMS_D_INTERNAL;
	else
		st = CMS_D_OK;
done:
	free(aad);
	if (st == CMS_D_OK)
		return st;
	return fail(e, st, "%s", st == CMS_D_TAG ? "authentication tag "
	    "check failed" : st == CMS_D_OUTPUT ? "output failed" :
	    "decryption changed between passes");
}

enum cms_dstatus
cms_decrypt(const uint8_t *buf, size_t len, struct cms_dec *d,
    struct cms_error *e)
{
	struct envelope env;
	struct content_alg ca;
	struct unwrap u;
	enum cms_dstatus st;
	enum ber_err be;
	size_t ctlen;

	d->auth = 0;
	d->alg = NULL;
	if ((d->find_key == NULL && d->find_op == NULL) || d->out == NULL ||
	    d->rng == NULL)
		return fail(e, CMS_D_INTERNAL, "decrypt: missing callback or "
		    "DRBG");
	if ((st = parse_envelope(buf, len, &env, e)) != CMS_D_OK)
		return st;
	d->auth = env.auth;
	if ((st = parse_content_alg(&env, &ca, e)) != CMS_D_OK)
		return st;
	d->alg = ca.name;
	if (!env.has_ct)
		return fail(e, CMS_D_UNSUPPORTED, "detached encrypted content");
	/* segment errors now, not halfway through the plaintext */
	if ((be = ber_octets_len(&env.ct, &ctlen)) != BER_OK)
		return fail(e, CMS_D_MALFORMED, "malformed encrypted content: "
		    "%s", ber_strerror(be));
	memset(&u, 0, sizeof(u));
	u.d = d;
	u.ca = &ca;
	if ((st = find_cek(&env, &u, e)) != CMS_D_OK)
		goto done;
	st = ca.gcm ? gcm_decrypt(&env, &ca, u.cek, d, e) :
	    cbc_decrypt(&env, &ca, u.cek, d, e);
	/* a random CEK may still unpad cleanly: the failure stands */
	if (st == CMS_D_OK && u.rsa_failed)
		st = fail(e, ca.gcm ? CMS_D_TAG : CMS_D_DECRYPT, "%s",
		    ca.gcm ? "authentication tag check failed" :
		    "decryption failed");
done:
	mbedtls_platform_zeroize(u.cek, sizeof(u.cek));
	return st;
}
