/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * ANSI X9.63 key derivation as used by CMS ECDH key agreement (RFC 5753
 * section 7.2), and the ECC-CMS-SharedInfo it hashes.
 */
#ifndef KDF_H
#define KDF_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md.h>

/*
 * out = first outlen bytes of H(Z || 00000001 || info) || H(Z || 00000002 ||
 * info) || ...  with the counter a 32-bit big-endian integer.  md is one of
 * MBEDTLS_MD_SHA1, _SHA224, _SHA256, _SHA384, _SHA512 (RFC 5753 defines
 * schemes for each; OpenSSL's CMS uses SHA-1 unless told otherwise).
 * info may be NULL when infolen is 0.  Returns 0, or -1 on a bad argument
 * or a hash error, in which case out is zeroed.
 */
int	kdf_x963(mbedtls_md_type_t md, const unsigned char *z, size_t zlen,
	    const unsigned char *info, size_t infolen,
	    unsigned char *out, size_t outlen);

/*
 * Write the DER of RFC 5753's
 *	ECC-CMS-SharedInfo ::= SEQUENCE {
 *		keyInfo      AlgorithmIdentifier,
 *		entityUInfo  [0] EXPLICIT OCTET STRING OPTIONAL,
 *		suppPubInfo  [2] EXPLICIT OCTET STRING }
 * with keyInfo = { wrap_oid, parameters absent } and suppPubInfo the
 * 4-octet big-endian keybits.  wrap_oid is the OID content octets (as in
 * MBEDTLS_OID_AES128_KW).  ukm == NULL leaves entityUInfo out; otherwise
 * it is written, even when ukmlen is 0.  Writes from the start of out.
 * Returns 0 and sets *outlen, or -1 when an argument is bad or out is
 * too small (*outlen is then 0).
 */
int	kdf_ecc_shared_info(const unsigned char *wrap_oid, size_t oidlen,
	    const unsigned char *ukm, size_t ukmlen, uint32_t keybits,
	    unsigned char *out, size_t outsize, size_t *outlen);

#endif /* KDF_H */
