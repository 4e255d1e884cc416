/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* OCSP requests and the checks of responses (ocsp.h). */
#include <stdio.h>
#include <string.h>

#include <mbedtls/md.h>

#include "certid.h"
#include "cms.h"
#include "der.h"
#include "ocsp.h"
#include "oid.h"

/* ---- the request ------------------------------------------------------ */

static int
sha1(const uint8_t *p, size_t n, uint8_t out[20])
{
	return mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA1), p, n,
	    out) == 0 ? 0 : -1;
}

/* The CertID of cert, whose issuer is issuer (RFC 6960 4.1.1). */
int
ocsp_certid_make(const mbedtls_x509_crt *cert, const mbedtls_x509_crt *issuer,
    struct ocsp_certid *id)
{
	const uint8_t *bits;
	size_t n;

	memset(id, 0, sizeof(*id));
	if (cert->issuer_raw.len != issuer->subject_raw.len ||
	    memcmp(cert->issuer_raw.p, issuer->subject_raw.p,
	    cert->issuer_raw.len) != 0 ||
	    cert->serial.len == 0 || cert->serial.len > OCSP_SERIAL_MAX ||
	    certid_spki_bits(issuer->raw.p, issuer->raw.len, &bits, &n) == -1 ||
	    sha1(cert->issuer_raw.p, cert->issuer_raw.len, id->name_hash) ||
	    sha1(bits, n, id->key_hash))
		return -1;
	memcpy(id->serial, cert->serial.p, cert->serial.len);
	id->seriallen = cert->serial.len;
	return 0;
}

static void
put_certid(struct der_writer *w, const struct ocsp_certid *id)
{
	der_begin(w, DER_SEQUENCE);
	cms_put_alg_null(w, OID_SHA1);
	der_prim(w, DER_OCTET_STRING, id->name_hash, sizeof(id->name_hash));
	der_prim(w, DER_OCTET_STRING, id->key_hash, sizeof(id->key_hash));
	der_prim(w, DER_INTEGER, id->serial, id->seriallen);
	der_end(w);
}

/*
 * OCSPRequest for one certificate, unsigned, with a nonce extension
 * (RFC 8954: an OCTET STRING in the extension's value) when one is
 * given.  *out is malloc'd.  0 or -1.
 */
int
ocsp_request_make(const struct ocsp_certid *id, const uint8_t *nonce,
    size_t noncelen, uint8_t **out, size_t *outlen)
{
	struct der_writer w;
	uint8_t inner[2 + 32];

	if (noncelen > 32)
		return -1;
	der_init(&w);
	der_begin(&w, DER_SEQUENCE);		/* OCSPRequest */
	der_begin(&w, DER_SEQUENCE);		/* TBSRequest */
	der_begin(&w, DER_SEQUENCE);		/* requestList */
	der_begin(&w, DER_SEQUENCE);		/* Request */
	put_certid(&w, id);
	der_end(&w);
	der_end(&w);
	if (noncelen > 0) {
		inner[0] = DER_OCTET_STRING;
		inner[1] = (uint8_t)noncelen;
		memcpy(inner + 2, nonce, noncelen);
		der_begin(&w, DER_CONTEXT_CONS(2));
		der_begin(&w, DER_SEQUENCE);
		der_begin(&w, DER_SEQUENCE);
		cms_put_oid(&w, OID_OCSP_NONCE);
		der_prim(&w, DER_OCTET_STRING, inner, noncelen + 2);
		der_end(&w);
		der_end(&w);
		der_end(&w);
	}
	der_end(&w);
	der_end(&w);
	return der_finish(&w, out, outlen) == 0 ? 0 : -1;
}

/* ---- reading a response ---------------------------------------------- */

static int
elem_is_oid(const struct ber_elem *e, enum oid_id id)
{
	const uint8_t *o;
	size_t ol;

	return e->tag == BER_OID && ber_get_oid(e, &o, &ol) == BER_OK &&
	    oid_is(id, o, ol);
}

/* responseExtensions [1]: the nonce, unwrapped from its OCTET STRING. */
static int
read_extensions(const struct ber_elem *exts, struct ocsp_response *r)
{
	struct ber_reader x, y;
	struct ber_elem e, oid, v, in;

	ber_reader_init(&x, exts->content, exts->len, BER_F_DER);
	if (ber_expect(&x, BER_SEQUENCE, &e) != BER_OK)
		return -1;
	ber_reader_init(&x, e.content, e.len, BER_F_DER);
	while (ber_next(&x, &e) == BER_OK) {
		if (e.tag != BER_SEQUENCE)
			return -1;
		ber_reader_init(&y, e.content, e.len, BER_F_DER);
		if (ber_expect(&y, BER_OID, &oid) != BER_OK ||
		    ber_next(&y, &v) != BER_OK ||
		    (v.tag == BER_BOOLEAN && ber_next(&y, &v) != BER_OK) ||
		    v.tag != BER_OCTET_STRING)
			return -1;
		if (!elem_is_oid(&oid, OID_OCSP_NONCE))
			continue;
		r->nonce = v.content;
		r->noncelen = v.len;
		ber_reader_init(&y, v.content, v.len, BER_F_DER);
		if (ber_next(&y, &in) == BER_OK && in.tag == BER_OCTET_STRING &&
		    ber_at_end(&y)) {
			r->nonce = in.content;
			r->noncelen = in.len;
		}
	}
	return ber_at_end(&x) ? 0 : -1;
}

/* ResponseData ::= SEQUENCE { [0] version, responderID, producedAt,
 * responses, [1] responseExtensions } */
static int
read_response_data(struct ocsp_response *r)
{
	struct ber_reader x;
	struct ber_elem e;
	struct tm tm;

	ber_reader_init(&x, r->basic.tbs.content, r->basic.tbs.len, BER_F_DER);
	if (ber_next(&x, &e) != BER_OK)
		return -1;
	if (e.tag == BER_CONTEXT_CONS(0) && ber_next(&x, &e) != BER_OK)
		return -1;
	if (e.tag != BER_CONTEXT_CONS(1) && e.tag != BER_CONTEXT_CONS(2))
		return -1;		/* responderID byName or byKey */
	if (ber_expect(&x, BER_GENERALIZED_TIME, &e) != BER_OK ||
	    ber_get_time(&e, &tm, &r->produced_at) != BER_OK ||
	    ber_expect(&x, BER_SEQUENCE, &r->responses) != BER_OK)
		return -1;
	if (ber_next(&x, &e) == BER_OK && (e.tag != BER_CONTEXT_CONS(1) ||
	    read_extensions(&e, r) == -1))
		return -1;
	return ber_at_end(&x) ? 0 : -1;
}

/*
 * OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED,
 * [0] EXPLICIT SEQUENCE { responseType OID, response OCTET STRING } }
 * 0 when read (status may say the responder failed), -1 when malformed.
 */
int
ocsp_response_read(const uint8_t *der, size_t len, struct ocsp_response *r)
{
	struct ber_reader x;
	struct ber_elem e, oid, bytes;

	memset(r, 0, sizeof(*r));
	ber_reader_init(&x, der, len, BER_F_DER);
	if (ber_expect(&x, BER_SEQUENCE, &e) != BER_OK || !ber_at_end(&x))
		return -1;
	ber_reader_init(&x, e.content, e.len, BER_F_DER);
	if (ber_expect(&x, BER_ENUMERATED, &e) != BER_OK ||
	    ber_get_long(&e, &r->status) != BER_OK)
		return -1;
	if (r->status != 0)
		return 0;
	if (ber_expect(&x, BER_CONTEXT_CONS(0), &e) != BER_OK ||
	    !ber_at_end(&x))
		return -1;
	ber_reader_init(&x, e.content, e.len, BER_F_DER);
	if (ber_expect(&x, BER_SEQUENCE, &e) != BER_OK)
		return -1;
	ber_reader_init(&x, e.content, e.len, BER_F_DER);
	if (ber_expect(&x, BER_OID, &oid) != BER_OK ||
	    !elem_is_oid(&oid, OID_OCSP_BASIC) ||
	    ber_expect(&x, BER_OCTET_STRING, &bytes) != BER_OK ||
	    !ber_at_end(&x))
		return -1;
	if (x509_signed_read(bytes.content, bytes.len, 1, &r->basic) == -1 ||
	    (r->basic.have_rest && r->basic.rest.tag != BER_CONTEXT_CONS(0)))
		return -1;
	return read_response_data(r);
}

/* ---- the answer for one certificate ------------------------------------ */

static int
certid_matches(const struct ber_elem *cid, const struct ocsp_certid *id)
{
	struct ber_reader x, y;
	struct ber_elem alg, oid, name, key, serial;

	ber_reader_init(&x, cid->content, cid->len, BER_F_DER);
	if (ber_expect(&x, BER_SEQUENCE, &alg) != BER_OK ||
	    ber_expect(&x, BER_OCTET_STRING, &name) != BER_OK ||
	    ber_expect(&x, BER_OCTET_STRING, &key) != BER_OK ||
	    ber_expect(&x, BER_INTEGER, &serial) != BER_OK)
		return 0;
	ber_reader_init(&y, alg.content, alg.len, BER_F_DER);
	return ber_expect(&y, BER_OID, &oid) == BER_OK &&
	    elem_is_oid(&oid, OID_SHA1) &&
	    name.len == sizeof(id->name_hash) &&
	    memcmp(name.content, id->name_hash, name.len) == 0 &&
	    key.len == sizeof(id->key_hash) &&
	    memcmp(key.content, id->key_hash, key.len) == 0 &&
	    serial.len == id->seriallen &&
	    memcmp(serial.content, id->serial, serial.len) == 0;
}

/* certStatus, thisUpdate, [0] nextUpdate of one SingleResponse */
static int
read_single(struct ber_reader *x, struct ocsp_single *s)
{
	struct ber_reader y;
	struct ber_elem st, e;
	struct tm tm;

	memset(s, 0, sizeof(*s));
	if (ber_next(x, &st) != BER_OK)
		return -1;
	if (st.tag == BER_CONTEXT(0) && st.len == 0)
		s->status = OCSP_GOOD;
	else if (st.tag == BER_CONTEXT(2) && st.len == 0)
		s->status = OCSP_UNKNOWN;
	else if (st.tag == BER_CONTEXT_CONS(1)) {
		s->status = OCSP_REVOKED;
		ber_reader_init(&y, st.content, st.len, BER_F_DER);
		if (ber_expect(&y, BER_GENERALIZED_TIME, &e) != BER_OK ||
		    ber_get_time(&e, &tm, &s->revoked_at) != BER_OK)
			return -1;
	} else
		return -1;
	if (ber_expect(x, BER_GENERALIZED_TIME, &e) != BER_OK ||
	    ber_get_time(&e, &tm, &s->this_update) != BER_OK)
		return -1;
	if (ber_peek(x, &e) == BER_OK && e.tag == BER_CONTEXT_CONS(0)) {
		(void)ber_next(x, &e);
		ber_reader_init(&y, e.content, e.len, BER_F_DER);
		if (ber_expect(&y, BER_GENERALIZED_TIME, &e) != BER_OK ||
		    ber_get_time(&e, &tm, &s->next_update) != BER_OK)
			return -1;
	}
	return 0;
}

/* The SingleResponse about id: 0, or -1 when there is none. */
int
ocsp_single_find(const struct ocsp_response *r, const struct ocsp_certid *id,
    struct ocsp_single *s)
{
	struct ber_reader x, y;
	struct ber_elem sr, cid;
	size_t n = 0;

	ber_reader_init(&x, r->responses.content, r->responses.len, BER_F_DER);
	while (n++ < OCSP_SINGLES_MAX &&
	    ber_expect(&x, BER_SEQUENCE, &sr) == BER_OK) {
		ber_reader_init(&y, sr.content, sr.len, BER_F_DER);
		if (ber_expect(&y, BER_SEQUENCE, &cid) != BER_OK)
			return -1;
		if (certid_matches(&cid, id))
			return read_single(&y, s);
	}
	return -1;
}

/* ---- believing it ------------------------------------------------------- */

/*
 * A responder certificate from the response's [0] certs: signed by the
 * issuer (our reader, before mbedTLS parses it), for OCSPSigning,
 * current; and its key made the response's signature.
 */
static int
delegated_signed(const struct ocsp_response *r, mbedtls_x509_crt *issuer,
    time_t now)
{
	const uint8_t *eku;
	struct ber_reader x;
	struct ber_elem seq, c;
	struct x509_signed xs;
	mbedtls_x509_crt cand;
	char why[128];
	size_t ekulen, n = 0;
	int ok = 0;

	if (!r->basic.have_rest)
		return 0;
	eku = oid_bytes(OID_OCSP_SIGNING, &ekulen);
	ber_reader_init(&x, r->basic.rest.content, r->basic.rest.len,
	    BER_F_DER);
	if (ber_expect(&x, BER_SEQUENCE, &seq) != BER_OK)
		return 0;
	ber_reader_init(&x, seq.content, seq.len, BER_F_DER);
	while (!ok && n++ < OCSP_CERTS_MAX && ber_next(&x, &c) == BER_OK) {
		if (x509_signed_read(c.raw, c.rawlen, 0, &xs) == -1 ||
		    x509_signed_by(&xs, &issuer->pk, why, sizeof(why)) == -1)
			continue;
		mbedtls_x509_crt_init(&cand);
		ok = mbedtls_x509_crt_parse_der(&cand, c.raw, c.rawlen) == 0 &&
		    cand.issuer_raw.len == issuer->subject_raw.len &&
		    memcmp(cand.issuer_raw.p, issuer->subject_raw.p,
		    cand.issuer_raw.len) == 0 &&
		    mbedtls_x509_crt_check_extended_key_usage(&cand,
		    (const char *)eku, ekulen) == 0 &&
		    cms_cert_valid_at(&cand, now) &&
		    x509_signed_by(&r->basic, &cand.pk, why, sizeof(why)) == 0;
		mbedtls_x509_crt_free(&cand);
	}
	return ok;
}

static const char *
responder_status(long st)
{
	switch (st) {
	case 1: return "malformedRequest";
	case 2: return "internalError";
	case 3: return "tryLater";
	case 5: return "sigRequired";
	case 6: return "unauthorized";
	default: return "an unknown status";
	}
}

static int
current(const struct ocsp_single *s, time_t now, char *why, size_t whysz)
{
	if (s->this_update > now + OCSP_SKEW) {
		snprintf(why, whysz, "thisUpdate is in the future");
		return 0;
	}
	if (s->next_update ? s->next_update < now :
	    s->this_update + OCSP_NO_NEXT_UPDATE < now) {
		snprintf(why, whysz, "stale: past its nextUpdate");
		return 0;
	}
	return 1;
}

/*
 * Believe a response about id, whose issuer is issuer, asked with nonce:
 * 0 with the answer in s, -1 with the reason in why.
 */
int
ocsp_check(const uint8_t *der, size_t len, const struct ocsp_certid *id,
    mbedtls_x509_crt *issuer, const uint8_t *nonce, size_t noncelen,
    time_t now, struct ocsp_single *s, char *why, size_t whysz)
{
	struct ocsp_response r;
	char tmp[128];

	if (ocsp_response_read(der, len, &r) == -1) {
		snprintf(why, whysz, "not an OCSP response");
		return -1;
	}
	if (r.status != 0) {
		snprintf(why, whysz, "the responder says %s",
		    responder_status(r.status));
		return -1;
	}
	if (x509_signed_by(&r.basic, &issuer->pk, tmp, sizeof(tmp)) == -1 &&
	    !delegated_signed(&r, issuer, now)) {
		snprintf(why, whysz, "not signed by the issuer or by a "
		    "responder it authorized");
		return -1;
	}
	if (ocsp_single_find(&r, id, s) == -1) {
		snprintf(why, whysz, "no answer about this certificate");
		return -1;
	}
	if (!current(s, now, why, whysz))
		return -1;
	if (noncelen > 0 && r.nonce != NULL && (r.noncelen != noncelen ||
	    memcmp(r.nonce, nonce, noncelen) != 0)) {
		snprintf(why, whysz, "not the nonce asked with (a replay?)");
		return -1;
	}
	return 0;
}

const char *
ocsp_status_str(enum ocsp_status st)
{
	switch (st) {
	case OCSP_GOOD: return "good";
	case OCSP_REVOKED: return "revoked";
	default: return "unknown";
	}
}
