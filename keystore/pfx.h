/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * PKCS#12 (PFX, RFC 7292) reader for the keystore's import.
 *
 * mbedTLS 2.28 has no PFX parser, cannot decrypt PBES2 with AES, has no
 * RC2 and its PKCS#12 KDF refuses passwords over 31 characters, so the
 * whole walk is ours:
 *
 *	PFX -> MacData (checked first) -> AuthenticatedSafe ->
 *	    ContentInfo (data | encryptedData) -> SafeContents -> SafeBag
 *	    (keyBag, pkcs8ShroudedKeyBag, certBag, safeContentsBag)
 *
 * The MAC is verified before anything is decrypted; a MAC that does
 * not verify is PFX_ERR_PASSWORD and nothing else is touched.  A file
 * without MacData is accepted (openssl -nomac); mac_verified tells.
 *
 * Passwords are UTF-8.  For the MAC and the PKCS#12 PBE schemes they
 * become a BMPString (UTF-16BE, characters past U+FFFF as surrogate
 * pairs, as OpenSSL does) followed by two zero bytes.  For an empty
 * password both RFC 7292 forms are tried against the MAC: the two zero
 * bytes first (what OpenSSL writes for ""), then no bytes at all (what
 * it writes for a NULL password); the form that verifies is used for
 * decryption too.  PBES2 uses the UTF-8 bytes as they are.
 *
 * Encryption schemes: pbeWithSHAAnd3-KeyTripleDES-CBC,
 * pbeWithSHAAnd2-KeyTripleDES-CBC, pbeWithSHAAnd128BitRC2-CBC,
 * pbeWithSHAAnd40BitRC2-CBC, PBES2 with PBKDF2 (PRF HMAC-SHA1/224/256/
 * 384/512) and AES-128/192/256-CBC or DES-EDE3-CBC.  MAC digests:
 * SHA-1/224/256/384/512.  RC4 schemes, public-key privacy/integrity
 * modes (envelopedData, signedData) are refused as unsupported.
 *
 * Every iteration count is checked against a limit (PFX_MAX_ITERATIONS
 * for pfx_parse) before any work is done, and the counts of the whole
 * file together may not exceed four times that limit (NSS writes three
 * derivations of 600000).  Plaintext buffers are wiped on every path;
 * errors never carry key bytes.
 */
#ifndef PFX_H
#define PFX_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/pk.h>

#define PFX_MAX_ITERATIONS	10000000UL

enum pfx_err {
	PFX_OK = 0,
	PFX_ERR_MALFORMED,	/* not a well-formed PFX */
	PFX_ERR_PASSWORD,	/* MAC does not verify: wrong password */
	PFX_ERR_UNSUPPORTED,	/* algorithm or mode we do not implement */
	PFX_ERR_DECRYPT,	/* a bag does not decrypt */
	PFX_ERR_KEY,		/* decrypted key does not parse */
	PFX_ERR_NOMEM,
	PFX_ERR_ITERATIONS,	/* iteration count over the limit */
	PFX_ERR_ARG,		/* bad argument (password not UTF-8, ...) */
	PFX_ERR_NO_LEAF,	/* no certificate matches the key */
	PFX_ERR_MAX
};

struct pfx_cert {
	uint8_t		*der;
	size_t		 len;
	uint8_t		*local_id;	/* localKeyId attribute, or NULL */
	size_t		 local_id_len;
	char		*friendly_name;	/* UTF-8, or NULL */
};

struct pfx_contents {
	mbedtls_pk_context key;		/* valid when has_key */
	int		 has_key;
	uint8_t		*key_local_id;	/* localKeyId of the key bag */
	size_t		 key_local_id_len;
	char		*key_friendly_name;
	struct pfx_cert	*certs;		/* in file order until pfx_order_chain */
	size_t		 ncerts;
	int		 mac_verified;	/* 0: the file had no MacData */
};

/*
 * Parse der/len with password_utf8 (NULL is taken as "").  out is
 * initialised here; on success the caller owns it and must call
 * pfx_contents_free, on failure it is already freed.  errbuf (may be
 * NULL) receives a one-line reason.
 */
enum pfx_err	 pfx_parse(const uint8_t *der, size_t len,
		    const char *password_utf8, struct pfx_contents *out,
		    char *errbuf, size_t errlen);
/* Same, with the iteration limit chosen by the caller (fuzzing, tests). */
enum pfx_err	 pfx_parse_ex(const uint8_t *der, size_t len,
		    const char *password_utf8, unsigned long max_iterations,
		    struct pfx_contents *out, char *errbuf, size_t errlen);
/* Wipes and frees everything, leaves *c empty; safe on an empty one. */
void		 pfx_contents_free(struct pfx_contents *c);
const char	*pfx_strerror(enum pfx_err);

/*
 * Put the certificate whose public key matches the private key first
 * (a cert with the key's localKeyId is preferred, but the key pair is
 * always checked with mbedtls_pk_check_pair), then its issuers in
 * chain order (matching issuer and subject names), then the remaining
 * certificates in file order.  PFX_ERR_NO_LEAF when there is no key or
 * no certificate matches it; c is unchanged then.
 */
enum pfx_err	 pfx_order_chain(struct pfx_contents *c, char *errbuf,
		    size_t errlen);

/*
 * Decrypt a DER EncryptedPrivateKeyInfo (PKCS#8, any scheme above;
 * openssl 3's default PBES2-AES keys included) into pk, which the
 * caller has initialised.  PFX_ERR_DECRYPT on a wrong password.
 */
enum pfx_err	 pfx_pkcs8_decrypt(const uint8_t *der, size_t len,
		    const char *password_utf8, unsigned long max_iterations,
		    mbedtls_pk_context *pk, char *errbuf, size_t errlen);

/*
 * The PKCS#12 key derivation (RFC 7292 appendix B.2) without mbedTLS's
 * 64-byte limits on password and salt.  pw is the BMPString form.
 * md_type is an mbedtls_md_type_t.  Returns 0 or -1.
 */
int		 pfx_kdf(int md_type, const uint8_t *pw, size_t pwlen,
		    const uint8_t *salt, size_t saltlen, uint8_t id,
		    unsigned long iterations, uint8_t *out, size_t outlen);

/*
 * UTF-8 to BMPString with the two terminating zero bytes, in a new
 * buffer the caller wipes and frees.  Returns 0, or -1 on invalid
 * UTF-8 or no memory.
 */
int		 pfx_bmp_password(const char *utf8, uint8_t **out,
		    size_t *outlen);

#endif /* PFX_H */
