/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Is a message S/MIME already?  Decided by structure (RFC 8551 §3),
 * never by its label: outbound policy leaves a message alone only when
 * what it says it is holds up.  Only the top-level entity counts: an
 * S/MIME attachment inside a multipart/mixed leaves the message itself
 * in clear.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cms.h"
#include "mime.h"
#include "smime.h"

static int
label(struct smime_probe *pr, const char *why)
{
	pr->proof = SMIME_PROOF_LABEL;
	(void)strlcpy(pr->why, why, sizeof(pr->why));
	return 0;
}

static int
proven(struct smime_probe *pr, enum smime_proof proof, const char *why)
{
	pr->proof = proof;
	(void)strlcpy(pr->why, why, sizeof(pr->why));
	return 0;
}

/* The DER of a pkcs7 body (base64 or as it is) into scratch. */
static int
decode(const struct mime_entity *e, struct mime_scratch *der,
    const uint8_t **p, size_t *n)
{
	memset(der, 0, sizeof(*der));
	return smime_body_decode(e, der, p, n);
}

static int
is_sig_protocol(const struct mime_ctype *ct)
{
	static const char *const names[] = { "application/pkcs7-signature",
	    "application/x-pkcs7-signature", NULL };
	const struct mime_param *pp = mime_ctype_param(ct, "protocol");
	size_t i;

	for (i = 0; pp != NULL && names[i] != NULL; i++)
		if (pp->valuelen == strlen(names[i]) &&
		    strncasecmp(pp->value, names[i], pp->valuelen) == 0)
			return 1;
	return 0;
}

/* The second part of a multipart/signed: a pkcs7-signature SignedData. */
static int
probe_sigpart(const struct mime_span *part, struct smime_probe *pr)
{
	struct mime_entity sig;
	struct mime_ctype ct;
	struct mime_scratch der;
	struct cms_error e;
	const uint8_t *d;
	size_t dlen;
	int kind;

	mime_ctype_init(&ct);
	if (mime_entity_parse(part->p, part->len, &sig) != MIME_OK ||
	    mime_entity_ctype(&sig, &ct) != MIME_OK) {
		mime_ctype_clear(&ct);
		return label(pr, "signature part unreadable");
	}
	kind = mime_smime_kind(&ct);
	mime_ctype_clear(&ct);
	if (kind != MIME_SMIME_SIGNATURE)
		return label(pr, "second part is not a pkcs7-signature");
	if (decode(&sig, &der, &d, &dlen) == -1) {
		mime_scratch_close(&der);
		return label(pr, "signature part cannot be decoded");
	}
	if (cms_probe_signed(d, dlen, 0, &e) == -1) {
		mime_scratch_close(&der);
		return label(pr, e.msg);
	}
	mime_scratch_close(&der);
	return proven(pr, SMIME_PROOF_SIGNED, "multipart/signed");
}

/* Exactly two parts, closed, and a SignedData in the second. */
static int
probe_multipart(const struct mime_entity *ent, const struct mime_ctype *ct,
    struct smime_probe *pr)
{
	struct mime_span bnd, part[2], extra;
	struct mime_mp mp;
	int n = 0;

	if (!is_sig_protocol(ct))
		return label(pr, "multipart/signed of another protocol");
	if (mime_ctype_boundary(ct, &bnd) != MIME_OK)
		return label(pr, "multipart/signed without a boundary");
	mime_mp_init(&mp, ent->body, ent->bodylen, bnd.p, bnd.len);
	while (n < 2 && mime_mp_next(&mp, &part[n]))
		n++;
	if (n < 2)
		return label(pr, "multipart/signed without two parts");
	if (mime_mp_next(&mp, &extra))
		return label(pr, "multipart/signed with more than two parts");
	if (mp.err != MIME_OK || !mp.closed)
		return label(pr, "multipart/signed not closed");
	return probe_sigpart(&part[1], pr);
}

/* application/pkcs7-mime: what the body is, not what smime-type says. */
static int
probe_pkcs7(const struct mime_entity *ent, cms_rid_fn fn, void *arg,
    struct smime_probe *pr)
{
	struct mime_scratch der;
	struct cms_error e;
	const uint8_t *d;
	size_t dlen;
	enum oid_id id;
	int rc;

	if (decode(ent, &der, &d, &dlen) == -1) {
		mime_scratch_close(&der);
		return label(pr, "pkcs7-mime body cannot be decoded");
	}
	id = cms_probe_type(d, dlen);
	if (id == OID_SIGNED_DATA)
		rc = cms_probe_signed(d, dlen, 1, &e) == 0 ? proven(pr,
		    SMIME_PROOF_SIGNED, "opaque SignedData") : label(pr, e.msg);
	else if (id == OID_ENVELOPED_DATA || id == OID_AUTH_ENVELOPED_DATA)
		rc = cms_probe_enveloped(d, dlen, fn, arg, &pr->nris, &e) == 0 ?
		    proven(pr, SMIME_PROOF_ENVELOPED, id == OID_ENVELOPED_DATA ?
		    "EnvelopedData" : "AuthEnvelopedData") : label(pr, e.msg);
	else
		rc = label(pr, "pkcs7-mime body is no signed or enveloped CMS");
	mime_scratch_close(&der);
	return rc;
}

int
smime_probe(const char *msg, size_t len, cms_rid_fn fn, void *arg,
    struct smime_probe *pr)
{
	struct mime_entity ent;
	struct mime_ctype ct;
	int rc;

	memset(pr, 0, sizeof(*pr));
	pr->proof = SMIME_PROOF_NONE;
	if (mime_entity_parse(msg, len, &ent) != MIME_OK)
		return 0;
	mime_ctype_init(&ct);
	if (mime_entity_ctype(&ent, &ct) != MIME_OK) {
		mime_ctype_clear(&ct);
		return 0;
	}
	switch (mime_smime_kind(&ct)) {
	case MIME_SMIME_SIGNED:
		rc = probe_multipart(&ent, &ct, pr);
		break;
	case MIME_SMIME_PKCS7:
		rc = probe_pkcs7(&ent, fn, arg, pr);
		break;
	case MIME_SMIME_SIGNATURE:
		rc = label(pr, "a signature without the signed content");
		break;
	case MIME_SMIME_ENCRYPTED:
		rc = label(pr, "multipart/encrypted is not S/MIME");
		break;
	default:
		rc = 0;
		break;
	}
	mime_ctype_clear(&ct);
	return rc;
}

const char *
smime_proof_str(enum smime_proof p)
{
	static const char *names[] = { "none", "label", "signed",
	    "enveloped" };

	return names[p];
}
