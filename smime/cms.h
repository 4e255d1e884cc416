/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * CMS (RFC 5652) as S/MIME uses it: SignedData, EnvelopedData and
 * AuthEnvelopedData, built with our DER writer and read with our BER
 * reader, on mbedTLS primitives.
 *
 * The engine never holds a whole message: callers hash or encrypt the
 * content in passes, and a structure that embeds content is returned as
 * a frame (the bytes before the content and the bytes after it) with
 * definite DER lengths computed from the content length.
 */
#ifndef CMS_H
#define CMS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

/* A properly seeded DRBG: every IV, nonce, key and blinding comes here. */
struct cms_rng {
	mbedtls_ctr_drbg_context drbg;	/* seeded by the kernel */
};

int	 cms_rng_init(struct cms_rng *);
int	 cms_rng_reseed(struct cms_rng *);	/* in a child, after fork */
void	 cms_rng_free(struct cms_rng *);
int	 cms_rng_func(void *, unsigned char *, size_t);

/* Errors: a code for callers to act on, and a message for people. */
enum cms_err {
	CMS_OK = 0,
	CMS_ERR_ARG,		/* caller error: bad key, missing cert */
	CMS_ERR_NOMEM,
	CMS_ERR_UNSUPPORTED,	/* algorithm or form we do not do */
	CMS_ERR_CRYPTO,		/* mbedTLS failure while signing */
	CMS_ERR_ENCODING,	/* DER writer failure, input not MIME */
	CMS_ERR_OUTPUT,		/* the caller's writer failed: temporary */
	CMS_ERR_LIMIT		/* input over a work bound (cms_limits) */
};

struct cms_error {
	enum cms_err	 code;
	char		 msg[200];
};

void	 cms_error_set(struct cms_error *, enum cms_err, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* Bytes before and after the embedded content (or all of it, detached). */
struct cms_frame {
	uint8_t		*head;
	size_t		 headlen;
	uint8_t		*tail;
	size_t		 taillen;
};

void	 cms_frame_free(struct cms_frame *);

/* ---- private-key operations ---- */

/*
 * What the engine asks of a private key, so that the key may live in
 * another process (the filter's key process holds them all): sign a
 * hash, unwrap an RSA key-transport blob, derive a key-agreement KEK.
 * cms_keyop_local gives the operations of a key in this process.
 */
struct cms_keyop {
	mbedtls_pk_type_t type;		/* MBEDTLS_PK_RSA or MBEDTLS_PK_ECKEY */
	/*
	 * Sign hash (RSA v1.5, RSASSA-PSS when pss, or ECDSA): sig has room
	 * for MBEDTLS_PK_SIGNATURE_MAX_SIZE octets.  0 or not.
	 */
	int	(*sign)(void *, mbedtls_md_type_t md, int pss,
		    const uint8_t *hash, size_t hashlen, uint8_t *sig,
		    size_t *siglen);
	/*
	 * RSA key transport (RSAES-OAEP with md when oaep, else v1.5) into
	 * cek of exactly ceklen octets: 0 with the key; 1 with random
	 * octets after any failure (Bleichenbacher: the caller runs on and
	 * reports the content's failure); -1 when not even those; -2 when
	 * the key's holder will not use it for this message (the message
	 * is then treated as one for a key we do not hold).
	 */
	int	(*unwrap)(void *, int oaep, mbedtls_md_type_t md,
		    const uint8_t *ek, size_t eklen, uint8_t *cek,
		    size_t ceklen);
	/*
	 * ECDH with the originator's point (on curve, or any when
	 * MBEDTLS_ECP_DP_NONE), then the X9.63 KDF with md over info
	 * (ECC-CMS-SharedInfo) into kek of keklen octets.  0, -1, or -2
	 * as for unwrap.
	 */
	int	(*kek)(void *, mbedtls_ecp_group_id curve, const uint8_t *point,
		    size_t pointlen, mbedtls_md_type_t md, const uint8_t *info,
		    size_t infolen, uint8_t *kek, size_t keklen);
	void	*arg;
};

struct cms_keyop_local {
	struct cms_keyop	 op;
	mbedtls_pk_context	*key;
	struct cms_rng		*rng;
};

void	 cms_keyop_local(struct cms_keyop_local *, mbedtls_pk_context *,
	    struct cms_rng *);
mbedtls_pk_type_t cms_keyop_type(const mbedtls_pk_context *);

/* ---- SignedData ---- */

struct cms_signer {
	const mbedtls_x509_crt	*cert;		/* the signer's certificate */
	const mbedtls_x509_crt	*chain;		/* intermediates, or NULL */
	mbedtls_pk_context	*key;		/* its private key, or */
	const struct cms_keyop	*op;		/* what signs for it elsewhere */
	mbedtls_md_type_t	 md;		/* SHA-256 (default), 384, 512 */
	int			 rsa_pss;	/* RSASSA-PSS, salt = hash len */
	/* the certificate to encrypt to, when it differs from cert */
	const mbedtls_x509_crt	*enc_cert;
	/*
	 * Set only by a caller that has itself checked that key belongs to
	 * cert (compat_pk_check_pair) when it loaded them, as the filter's
	 * identity cache does; cms_sign() checks every other signer, which
	 * for an EC key costs as much as the signature.  A key behind op is
	 * checked where it is held.
	 */
	int			 pair_checked;
};

/*
 * The SignedData ContentInfo for content whose digest (made with
 * signer->md) is given.  content_len < 0: detached, the whole structure
 * is in frame->head.  Otherwise the content is embedded as eContent and
 * goes between head and tail.
 */
int	 cms_sign(const struct cms_signer *, const uint8_t *, size_t,
	    int64_t, time_t, struct cms_rng *, struct cms_frame *,
	    struct cms_error *);

#include "oid.h"
mbedtls_md_type_t cms_md_type(enum oid_id);

/* DER pieces both SignedData and EnvelopedData write. */
struct der_writer;
void	 cms_put_oid(struct der_writer *, enum oid_id);
void	 cms_put_alg(struct der_writer *, enum oid_id);
void	 cms_put_alg_null(struct der_writer *, enum oid_id);
void	 cms_put_hash_mgf1(struct der_writer *, enum oid_id);
void	 cms_put_oaep_alg(struct der_writer *);
void	 cms_put_issuer_serial(struct der_writer *, uint8_t,
	    const mbedtls_x509_crt *);

/* "sha-256" and friends, for the micalg parameter (RFC 8551 §3.5.3.2). */
const char *cms_micalg(mbedtls_md_type_t);

/* ---- verification ---- */

#define CMS_MAX_SIGNERS	10	/* SignerInfos one message may hold */
#define CMS_MAX_CERTS	50	/* certificates one message may bring */
#define CMS_MAX_CHAIN	8	/* mbedTLS stops at 8 intermediates */

/*
 * Work bounds for one SignedData (threat-model rule 5).  Past the
 * number of certificates or signers, or with a certificate whose RSA
 * key is over the key bounds, the message is not judged: cms_verify
 * fails with CMS_ERR_LIMIT.  A path longer than chain, or a signer the
 * budget of public-key operations cannot cover, gets
 * CMS_V_CHAIN_LENGTH or CMS_V_BUDGET.  Every public-key operation
 * (signature, certificate, CRL) is counted before it is made.
 */
struct cms_limits {
	size_t		 certs;		/* at most CMS_MAX_CERTS */
	size_t		 signers;	/* at most CMS_MAX_SIGNERS */
	size_t		 chain;		/* message certificates on a path,
					 * the signer's included; at most
					 * CMS_MAX_CHAIN */
	unsigned	 rsa_bits;	/* RSA modulus */
	uint64_t	 rsa_exp;	/* RSA public exponent */
	unsigned	 pkops;		/* public-key operations, all signers */
};

/* 50 certificates, 10 signers, 6 on a path, RSA-8192, e <= 2^32, 64. */
extern const struct cms_limits cms_limits_default;

enum cms_vstatus {
	CMS_V_OK = 0,
	CMS_V_MALFORMED,	/* the SignerInfo cannot be read */
	CMS_V_NO_CERT,		/* signer's certificate not in the message */
	CMS_V_UNSUPPORTED,	/* digest or signature algorithm */
	CMS_V_CONTENT_TYPE,	/* contentType attribute differs */
	CMS_V_DIGEST,		/* content does not match messageDigest */
	CMS_V_SIGNATURE,	/* signature does not verify */
	CMS_V_UNTRUSTED,	/* no chain to a trust anchor */
	CMS_V_EXPIRED,		/* a certificate expired before the time */
	CMS_V_NOT_YET_VALID,
	CMS_V_REVOKED,
	CMS_V_KEY_USAGE,	/* keyUsage forbids signing */
	CMS_V_EKU,		/* extKeyUsage lacks emailProtection */
	CMS_V_CHAIN_LENGTH,	/* path to an anchor over the bound */
	CMS_V_BUDGET,		/* public-key operations spent */
	CMS_V_CHAIN_SIGNATURE	/* a certificate's signature is bad */
};

struct cms_signer_result {
	enum cms_vstatus	 status;
	char			 detail[160];
	char			 email[256];	/* rfc822Name, else emailAddress */
	char			 serial[80];	/* hex, colon-free */
	char			 issuer[256];
	mbedtls_md_type_t	 md;
	int			 has_signing_time;
	time_t			 signing_time;
	int			 self_signed;
	const uint8_t		*cert;		/* DER, inside the input */
	size_t			 certlen;
	const uint8_t		*caps;		/* sMIMECapabilities value */
	size_t			 capslen;
	const uint8_t		*enc_pref;	/* encryption key preference */
	size_t			 enc_preflen;
	/* the message's certificates above it on the path checked (DER) */
	const uint8_t		*chain[CMS_MAX_CHAIN];
	size_t			 chainlen[CMS_MAX_CHAIN];
	size_t			 nchain;
};

/*
 * Public-key operations a message may still spend.  One budget may be
 * shared by every verification of one message (an outer and an inner
 * signature; the same signature looked at twice).
 */
struct cms_budget {
	unsigned		 left;
	unsigned		 spent;
};

/* A full budget: lim->pkops (lim NULL: cms_limits_default). */
void	 cms_budget_init(struct cms_budget *, const struct cms_limits *);

struct cms_trust {
	const mbedtls_x509_crt	*anchors;
	const mbedtls_x509_crl	*crls;
	time_t			 at;		/* validation time */
	const struct cms_limits	*limits;	/* NULL: cms_limits_default */
	struct cms_budget	*budget;	/* NULL: a full one per call */
};

struct cms_verify {
	int			 opaque;	/* content embedded */
	size_t			 nsigners;	/* SignerInfos in the message */
	unsigned		 pkops;		/* public-key operations made,
						 * at most (an upper bound) */
	struct cms_signer_result signers[CMS_MAX_SIGNERS];
};

/*
 * Verify a SignedData ContentInfo (DER or BER).  content: the detached
 * content, or NULL to use the embedded eContent.  Returns -1 when the
 * structure itself is unusable (e says why); otherwise 0 with a result
 * per signer.  trust NULL: signatures only, no chain.
 */
int	 cms_verify(const uint8_t *, size_t, const uint8_t *, size_t,
	    const struct cms_trust *, struct cms_verify *,
	    struct cms_error *);
typedef int (*cms_feed_fn)(void *, int (*)(void *, const uint8_t *, size_t),
	    void *);
int	 cms_verify_feed(const uint8_t *, size_t, cms_feed_fn, void *,
	    const struct cms_trust *, struct cms_verify *,
	    struct cms_error *);
const char *cms_vstatus_str(enum cms_vstatus);

struct ber_elem;
mbedtls_md_type_t cms_sigalg_md(const struct ber_elem *);
enum cms_vstatus cms_sig_check(const struct ber_elem *, mbedtls_pk_context *,
    mbedtls_md_type_t, const unsigned char *, const uint8_t *, size_t, char *,
    size_t);

/* The embedded content of an opaque SignedData, segment by segment. */
int	 cms_signed_content(const uint8_t *, size_t,
	    int (*)(void *, const uint8_t *, size_t), void *,
	    struct cms_error *);

/* Certificate helpers shared with the keystore. */
int	 cms_cert_email(const mbedtls_x509_crt *, char *, size_t);
int	 cms_cert_ski(const mbedtls_x509_crt *, const uint8_t **, size_t *);
/* Issued by itself (issuer and subject names the same octets). */
int	 cms_cert_self_signed(const mbedtls_x509_crt *);
/* Fit to sign mail: CMS_V_OK, else CMS_V_KEY_USAGE or CMS_V_EKU. */
enum cms_vstatus cms_cert_mail_usage(const mbedtls_x509_crt *);
int	 cms_cert_valid_at(const mbedtls_x509_crt *, time_t);
int	 cms_cert_key_bounds(const uint8_t *, size_t, unsigned, uint64_t,
	    char *, size_t);

/* ---- structure only (cms_probe.c) ---- */

/*
 * One recipient identifier of an envelope: issuer (Name, whole DER) and
 * serial (INTEGER content) for issuerAndSerialNumber, or ski for a
 * subject key identifier; the unused pair is NULL, 0.  The spans are
 * valid during the call only.  Return 0 to go on, 1 to stop.
 */
struct cms_rid {
	const uint8_t	*issuer;
	size_t		 ilen;
	const uint8_t	*serial;
	size_t		 slen;
	const uint8_t	*ski;
	size_t		 skilen;
};
typedef int (*cms_rid_fn)(void *, const struct cms_rid *);

/* The ContentInfo's contentType, or OID_UNKNOWN when it is no CMS. */
enum oid_id cms_probe_type(const uint8_t *, size_t);
/*
 * 0 when the input is a well-formed SignedData ContentInfo with at
 * least one SignerInfo (and, with need_content, encapsulated content);
 * -1 with e saying why not.  No signature is checked.
 */
int	 cms_probe_signed(const uint8_t *, size_t, int, struct cms_error *);
/*
 * 0 when the input is a well-formed EnvelopedData or AuthEnvelopedData
 * ContentInfo with at least one RecipientInfo and encrypted content
 * that looks encrypted; each recipient identifier then goes to fn (may
 * be NULL) and *nris counts the RecipientInfos.  -1 with e otherwise.
 */
int	 cms_probe_enveloped(const uint8_t *, size_t, cms_rid_fn, void *,
	    size_t *, struct cms_error *);

/* ---- EnvelopedData and AuthEnvelopedData (RFC 5652 §6, RFC 5083) ---- */
#ifndef CMS_ENV_H
#define CMS_ENV_H

#include <mbedtls/cipher.h>
#include <mbedtls/gcm.h>

#include "aes_hw.h"

/* Where encrypted or decrypted bytes go: return 0 to go on. */
typedef int (*cms_write_fn)(void *, const uint8_t *, size_t);

enum cms_cipher {
	CMS_AES128_CBC = 0,
	CMS_AES256_CBC,
	CMS_AES128_GCM,		/* AuthEnvelopedData */
	CMS_AES256_GCM
};

/*
 * An RSA certificate's padding is set for the one operation and put back
 * to PKCS#1 v1.5 after it (context state, pitfall 6): do not share a
 * certificate between threads while encrypting.
 */
struct cms_recipient {
	const mbedtls_x509_crt	*cert;	/* RSA: key transport; EC: ECDH */
	int			 oaep;	/* RSA: RSAES-OAEP SHA-256, else v1.5 */
	int			 use_ski; /* subjectKeyIdentifier, else
					   * issuerAndSerialNumber */
};

#define CMS_MAX_RECIPIENTS	64

/* Encryption in progress; the CEK lives here until finish or free. */
struct cms_env {
	enum cms_cipher		 cipher;
	int			 gcm;
	mbedtls_cipher_context_t cbc;
	mbedtls_gcm_context	 gcmctx;
	struct aes_hw		 hw;		/* CBC with AES-NI, when use_hw */
	uint8_t			 iv[16];
	int			 use_hw;
	uint8_t			 pend[16];	/* GCM re-blocking */
	size_t			 npend;
	uint64_t		 want;		/* content_len */
	uint64_t		 seen;
	int			 stream;	/* want is CMS_LEN_STREAM */
	int			 failed;
};

/*
 * Start an EnvelopedData (CBC) or AuthEnvelopedData (GCM) ContentInfo
 * for content_len bytes of id-data content, encrypted to n recipients.
 * head receives the DER up to the encrypted content; the ciphertext
 * comes from cms_env_update() and cms_env_finish(), then the bytes in
 * tail (GCM: the mac).  All lengths are definite, computed up front,
 * unless content_len is CMS_LEN_STREAM: then they are indefinite (BER)
 * and the content may be of any length.
 */
#define CMS_LEN_STREAM	UINT64_MAX
int	 cms_env_begin(struct cms_env *, const struct cms_recipient *,
	    size_t, enum cms_cipher, uint64_t, struct cms_rng *,
	    struct cms_frame *, struct cms_error *);
int	 cms_env_update(struct cms_env *, const uint8_t *, size_t,
	    cms_write_fn, void *, struct cms_error *);
int	 cms_env_finish(struct cms_env *, cms_write_fn, void *,
	    struct cms_frame *, struct cms_error *);
/* Wipe and release; safe after finish, after a failure, or twice. */
void	 cms_env_free(struct cms_env *);

/* Ciphertext length for content_len under a cipher (CBC pads). */
uint64_t cms_env_ciphertext_len(enum cms_cipher, uint64_t);

/*
 * Decryption.  find_key is asked, per recipient identifier in the
 * message, for the private key: issuer (Name, whole DER) and serial
 * (INTEGER content) for issuerAndSerialNumber, or ski for a subject key
 * identifier; the unused pair is NULL, 0.  It returns 0 and sets *key
 * (the key stays the caller's and must outlive cms_decrypt), or -1.
 */
typedef int (*cms_find_key_fn)(void *, const uint8_t *, size_t,
	    const uint8_t *, size_t, const uint8_t *, size_t,
	    mbedtls_pk_context **);
/* The same question, answered with a key held elsewhere. */
typedef int (*cms_find_op_fn)(void *, const uint8_t *, size_t,
	    const uint8_t *, size_t, const uint8_t *, size_t,
	    const struct cms_keyop **);

enum cms_dstatus {
	CMS_D_OK = 0,
	CMS_D_MALFORMED,	/* not a readable (Auth)EnvelopedData */
	CMS_D_UNSUPPORTED,	/* content or key management algorithm */
	CMS_D_NO_RECIPIENT,	/* no RecipientInfo for a key we hold */
	CMS_D_WRONG_KEY,	/* key agreement: key unwrap check failed */
	CMS_D_DECRYPT,		/* "decryption failed" (CBC, RSA unwrap) */
	CMS_D_TAG,		/* GCM authentication tag mismatch */
	CMS_D_OUTPUT,		/* the output callback refused */
	CMS_D_INTERNAL		/* memory or DRBG */
};

struct cms_dec {
	cms_find_key_fn		 find_key;	/* one of these two */
	cms_find_op_fn		 find_op;
	void			*find_arg;
	cms_write_fn		 out;
	void			*out_arg;
	struct cms_rng		*rng;
	/* filled in */
	int			 auth;		/* AuthEnvelopedData */
	const char		*alg;		/* content cipher name */
};

/*
 * Decrypt an EnvelopedData or AuthEnvelopedData ContentInfo (DER or
 * BER) held in memory.  The plaintext goes to d->out; with GCM nothing
 * is written before the tag has verified (the ciphertext is read twice:
 * once to check the tag, once to decrypt).  With CBC, plaintext is
 * written as it is decrypted: on any status but CMS_D_OK the caller
 * must discard what it received.  e->msg gets a one-line reason.
 */
enum cms_dstatus cms_decrypt(const uint8_t *, size_t, struct cms_dec *,
	    struct cms_error *);
const char *cms_dstatus_str(enum cms_dstatus);

#endif /* CMS_ENV_H */

#endif /* CMS_H */
