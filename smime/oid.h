/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Object identifiers of CMS and S/MIME, as DER content octets (what
 * follows the 06 tag and length), with lookup by bytes.  mbedTLS's
 * oid.h lacks the CMS content types and attributes, the AES-CBC/GCM
 * and key wrap arcs as CMS uses them, RSAES-OAEP and the ECDH KDF
 * schemes; one table here keeps every name we compare in one place.
 */
#ifndef OID_H
#define OID_H

#include <stddef.h>
#include <stdint.h>

#define OID_MAX_LEN	16

enum oid_id {
	OID_UNKNOWN = 0,
	OID_DATA,
	OID_SIGNED_DATA,
	OID_ENVELOPED_DATA,
	OID_ENCRYPTED_DATA,
	OID_AUTH_ENVELOPED_DATA,
	OID_CONTENT_TYPE,
	OID_MESSAGE_DIGEST,
	OID_SIGNING_TIME,
	OID_SMIME_CAPABILITIES,
	OID_SMIME_ENC_KEY_PREF,
	OID_EMAIL_ADDRESS,
	OID_FRIENDLY_NAME,
	OID_LOCAL_KEY_ID,
	OID_X509_CERTIFICATE,
	OID_RSA_ENCRYPTION,
	OID_RSAES_OAEP,
	OID_MGF1,
	OID_RSASSA_PSS,
	OID_SHA1_WITH_RSA,
	OID_SHA256_WITH_RSA,
	OID_SHA384_WITH_RSA,
	OID_SHA512_WITH_RSA,
	OID_SHA224_WITH_RSA,
	OID_SHA1,
	OID_SHA224,
	OID_SHA256,
	OID_SHA384,
	OID_SHA512,
	OID_ECDSA_SHA256,
	OID_ECDSA_SHA384,
	OID_ECDSA_SHA512,
	OID_EC_PUBLIC_KEY,
	OID_SECP256R1,
	OID_SECP384R1,
	OID_SECP521R1,
	OID_AES128_CBC,
	OID_AES256_CBC,
	OID_AES128_GCM,
	OID_AES256_GCM,
	OID_AES128_WRAP,
	OID_AES256_WRAP,
	OID_DES_EDE3_CBC,
	OID_DH_SHA256_KDF,
	OID_DH_SHA384_KDF,
	OID_EMAIL_PROTECTION,
	OID_ANY_EKU,
	OID_KEY_BAG,
	OID_PKCS8_SHROUDED_KEY_BAG,
	OID_CERT_BAG,
	OID_CRL_BAG,
	OID_SECRET_BAG,
	OID_SAFE_CONTENTS_BAG,
	OID_PBE_SHA1_3DES,
	OID_PBES2,
	OID_PBKDF2,
	OID_HMAC_SHA1,
	OID_HMAC_SHA256,
	OID_PBE_SHA1_2DES,
	OID_PBE_SHA1_RC2_128,
	OID_PBE_SHA1_RC2_40,
	OID_HMAC_SHA224,
	OID_HMAC_SHA384,
	OID_HMAC_SHA512,
	OID_AES192_CBC,
	OID_AIA,
	OID_AD_OCSP,
	OID_OCSP_BASIC,
	OID_OCSP_NONCE,
	OID_OCSP_SIGNING,
	OID_MAX
};

struct oid_def {
	enum oid_id	 id;
	const char	*name;		/* ASN.1 module name */
	const char	*dotted;
	size_t		 len;
	uint8_t		 der[OID_MAX_LEN];
};

const struct oid_def	*oid_get(enum oid_id);
const uint8_t		*oid_bytes(enum oid_id, size_t *);
const char		*oid_name(enum oid_id);
enum oid_id		 oid_lookup(const uint8_t *, size_t);
int			 oid_is(enum oid_id, const uint8_t *, size_t);

#endif /* OID_H */
