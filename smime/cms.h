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
	mbedtls_entropy_context	 entropy;
	mbedtls_ctr_drbg_context drbg;
};

int	 cms_rng_init(struct cms_rng *);
void	 cms_rng_free(struct cms_rng *);
int	 cms_rng_func(void *, unsigned char *, size_t);

/* Errors: a code for callers to act on, and a message for people. */
enum cms_err {
	CMS_OK = 0,
	CMS_ERR_ARG,		/* caller error: bad key, missing cert */
	CMS_ERR_NOMEM,
	CMS_ERR_UNSUPPORTED,	/* algorithm or form we do not do */
	CMS_ERR_CRYPTO,		/* mbedTLS failure while signing */
	CMS_ERR_ENCODING	/* DER writer failure */
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

/* ---- SignedData ---- */

struct cms_signer {
	const mbedtls_x509_crt	*cert;		/* the signer's certificate */
	const mbedtls_x509_crt	*chain;		/* intermediates, or NULL */
	mbedtls_pk_context	*key;		/* its private key */
	mbedtls_md_type_t	 md;		/* SHA-256 (default), 384, 512 */
	int			 rsa_pss;	/* RSASSA-PSS, salt = hash len */
	/* the certificate to encrypt to, when it differs from cert */
	const mbedtls_x509_crt	*enc_cert;
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

/* "sha-256" and friends, for the micalg parameter (RFC 8551 §3.5.3.2). */
const char *cms_micalg(mbedtls_md_type_t);

#endif /* CMS_H */

/* ---- verification ---- */

#define CMS_MAX_SIGNERS	8

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
	CMS_V_EKU		/* extKeyUsage lacks emailProtection */
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
};

struct cms_trust {
	const mbedtls_x509_crt	*anchors;
	const mbedtls_x509_crl	*crls;
	time_t			 at;		/* validation time */
};

struct cms_verify {
	int			 opaque;	/* content embedded */
	size_t			 nsigners;	/* SignerInfos in the message */
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
const char *cms_vstatus_str(enum cms_vstatus);

/* The embedded content of an opaque SignedData, segment by segment. */
int	 cms_signed_content(const uint8_t *, size_t,
	    int (*)(void *, const uint8_t *, size_t), void *,
	    struct cms_error *);

/* Certificate helpers shared with the keystore. */
int	 cms_cert_email(const mbedtls_x509_crt *, char *, size_t);
int	 cms_cert_ski(const mbedtls_x509_crt *, const uint8_t **, size_t *);
