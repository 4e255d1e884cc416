/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Structural checks of CMS (RFC 5652 §5, §6; RFC 5083 §2): is this
 * really a SignedData with a signer, or an EnvelopedData or
 * AuthEnvelopedData with recipients?  Policy asks this of mail that
 * says it is S/MIME already; a label proves nothing, a structure that
 * parses does.  Nothing is verified or decrypted here (no keys are
 * needed, none are touched): the check is cheap and bounded by the
 * BER reader's own limits.
 *
 * Every element is read with the BER reader, which bounds each length
 * by its parent; the whole input is validated first, so a truncated or
 * trailing-garbage structure is refused before any field is looked at.
 */
#include <stdio.h>
#include <string.h>

#include "ber.h"
#include "cms.h"
#include "oid.h"

/* At least this much ciphertext is judged by how it looks. */
#define TEXT_MIN	32
/* Ciphertext looks random: a share of text octets this high is not. */
#define TEXT_PERCENT	90

static int
probe_fail(struct cms_error *e, const char *fmt, const char *arg)
{
	cms_error_set(e, CMS_ERR_ENCODING, fmt, arg);
	return -1;
}

static int
is_octets(const struct ber_elem *el)
{
	return el->tag == BER_OCTET_STRING ||
	    el->tag == (BER_OCTET_STRING | BER_CONSTRUCTED);
}

/* An OCTET STRING (any tag given) with at least one octet in it. */
static int
nonempty_octets(const struct ber_elem *el)
{
	size_t n;

	return ber_octets_len(el, &n) == BER_OK && n > 0;
}

/*
 * The ContentInfo's type, and r left inside its [0] content, on the
 * SEQUENCE of the SignedData or (Auth)EnvelopedData.
 */
static enum oid_id
content_info(struct ber_reader *r, const uint8_t *buf, size_t len)
{
	struct ber_elem el;
	enum oid_id id;

	if (ber_validate(buf, len, 0, NULL) != BER_OK)
		return OID_UNKNOWN;
	ber_reader_init(r, buf, len, 0);
	if (ber_expect(r, BER_SEQUENCE, &el) || ber_enter(r) ||
	    ber_expect(r, BER_OID, &el))
		return OID_UNKNOWN;
	id = oid_lookup(el.content, el.len);
	if (ber_expect(r, BER_CONTEXT_CONS(0), &el) || ber_enter(r) ||
	    ber_expect(r, BER_SEQUENCE, &el) || ber_enter(r))
		return OID_UNKNOWN;
	return id;
}

enum oid_id
cms_probe_type(const uint8_t *buf, size_t len)
{
	struct ber_reader r;

	return content_info(&r, buf, len);
}

/* SignerInfo (§5.3): every field there, in order, a signature in it. */
static int
probe_signer(const struct ber_elem *si)
{
	struct ber_reader r;
	struct ber_elem el;

	if (si->tag != BER_SEQUENCE)
		return -1;
	ber_reader_init(&r, si->content, si->len, 0);
	if (ber_expect(&r, BER_INTEGER, &el) || ber_next(&r, &el))
		return -1;
	if (el.tag != BER_SEQUENCE && el.tag != BER_CONTEXT(0) &&
	    el.tag != BER_CONTEXT_CONS(0))
		return -1;		/* sid */
	if (ber_expect(&r, BER_SEQUENCE, &el) || ber_next(&r, &el))
		return -1;		/* digestAlgorithm */
	if (el.tag == BER_CONTEXT_CONS(0) && ber_next(&r, &el))
		return -1;		/* signedAttrs */
	if (el.tag != BER_SEQUENCE || ber_next(&r, &el) != BER_OK ||
	    !is_octets(&el) || !nonempty_octets(&el))
		return -1;		/* signatureAlgorithm, signature */
	if (ber_next(&r, &el) == BER_OK &&
	    (el.tag != BER_CONTEXT_CONS(1) || ber_next(&r, &el) != BER_END))
		return -1;		/* unsignedAttrs, then nothing */
	return 0;
}

/* encapContentInfo (§5.2): 1 with eContent, 0 without, -1 malformed. */
static int
probe_encap(struct ber_reader *r)
{
	struct ber_elem el;
	int has = 0;

	if (ber_expect(r, BER_SEQUENCE, &el) || ber_enter(r) ||
	    ber_expect(r, BER_OID, &el))
		return -1;
	if (ber_next(r, &el) == BER_OK) {
		if (el.tag != BER_CONTEXT_CONS(0))
			return -1;
		has = 1;
	}
	if (ber_leave(r) != BER_OK)
		return -1;
	return has;
}

int
cms_probe_signed(const uint8_t *buf, size_t len, int need_content,
    struct cms_error *e)
{
	struct ber_reader r, s;
	struct ber_elem el, si;
	size_t n = 0;
	int has;

	if (content_info(&r, buf, len) != OID_SIGNED_DATA)
		return probe_fail(e, "%s", "not a SignedData");
	if (ber_expect(&r, BER_INTEGER, &el) ||
	    ber_expect(&r, BER_SET, &el) || (has = probe_encap(&r)) == -1)
		return probe_fail(e, "%s", "malformed SignedData");
	if (need_content && !has)
		return probe_fail(e, "%s", "SignedData without content");
	/* certificates [0] and crls [1] are optional */
	if (ber_next(&r, &el) != BER_OK ||
	    (el.tag == BER_CONTEXT_CONS(0) && ber_next(&r, &el) != BER_OK) ||
	    (el.tag == BER_CONTEXT_CONS(1) && ber_next(&r, &el) != BER_OK))
		return probe_fail(e, "%s", "SignedData without signerInfos");
	if (el.tag != BER_SET || ber_next(&r, &si) != BER_END)
		return probe_fail(e, "%s", "malformed SignedData");
	ber_reader_init(&s, el.content, el.len, 0);
	while (ber_next(&s, &si) == BER_OK) {
		if (probe_signer(&si) == -1)
			return probe_fail(e, "%s", "malformed SignerInfo");
		n++;
	}
	if (n == 0)
		return probe_fail(e, "%s", "SignedData without a signer");
	return 0;
}

/* Hand one recipient identifier to the caller. */
static int
rid_issuer_serial(const struct ber_elem *ias, cms_rid_fn fn, void *arg)
{
	struct ber_reader r;
	struct ber_elem name, serial;
	struct cms_rid id;

	ber_reader_init(&r, ias->content, ias->len, 0);
	if (ber_expect(&r, BER_SEQUENCE, &name) ||
	    ber_expect(&r, BER_INTEGER, &serial) ||
	    ber_next(&r, &name) != BER_END)
		return -1;
	memset(&id, 0, sizeof(id));
	id.issuer = name.raw;
	id.ilen = name.rawlen;
	id.serial = serial.content;
	id.slen = serial.len;
	return fn == NULL ? 0 : fn(arg, &id);
}

static int
rid_ski(const struct ber_elem *ski, cms_rid_fn fn, void *arg)
{
	uint8_t buf[64];
	struct cms_rid id;
	size_t n;

	switch (ber_octets_copy(ski, buf, sizeof(buf), &n)) {
	case BER_OK:
		break;
	case BER_ERR_BUFFER_SMALL:
		return 0;	/* well-formed, but no key of ours has it */
	default:
		return -1;
	}
	if (n == 0)
		return -1;
	memset(&id, 0, sizeof(id));
	id.ski = buf;
	id.skilen = n;
	return fn == NULL ? 0 : fn(arg, &id);
}

/* KeyTransRecipientInfo (§6.2.1). */
static int
probe_ktri(const struct ber_elem *ri, cms_rid_fn fn, void *arg)
{
	struct ber_reader r;
	struct ber_elem el, rid;

	ber_reader_init(&r, ri->content, ri->len, 0);
	if (ber_expect(&r, BER_INTEGER, &el) || ber_next(&r, &rid) ||
	    ber_expect(&r, BER_SEQUENCE, &el) || ber_next(&r, &el) ||
	    !is_octets(&el) || !nonempty_octets(&el) ||
	    ber_next(&r, &el) != BER_END)
		return -1;
	if (rid.tag == BER_SEQUENCE)
		return rid_issuer_serial(&rid, fn, arg);
	if (rid.tag == BER_CONTEXT(0) || rid.tag == BER_CONTEXT_CONS(0))
		return rid_ski(&rid, fn, arg);
	return -1;
}

/* RecipientEncryptedKey (§6.2.2): rid, then a non-empty encryptedKey. */
static int
probe_rek(const struct ber_elem *rek, cms_rid_fn fn, void *arg)
{
	struct ber_reader r, k;
	struct ber_elem rid, el, ski;

	if (rek->tag != BER_SEQUENCE)
		return -1;
	ber_reader_init(&r, rek->content, rek->len, 0);
	if (ber_next(&r, &rid) || ber_next(&r, &el) || !is_octets(&el) ||
	    !nonempty_octets(&el) || ber_next(&r, &el) != BER_END)
		return -1;
	if (rid.tag == BER_SEQUENCE)
		return rid_issuer_serial(&rid, fn, arg);
	if (rid.tag != BER_CONTEXT_CONS(0))
		return -1;
	/* rKeyId [0] IMPLICIT RecipientKeyIdentifier: the SKI first */
	ber_reader_init(&k, rid.content, rid.len, 0);
	if (ber_next(&k, &ski) != BER_OK || !is_octets(&ski))
		return -1;
	return rid_ski(&ski, fn, arg);
}

/* KeyAgreeRecipientInfo (§6.2.2): one or more recipients inside. */
static int
probe_kari(const struct ber_elem *ri, cms_rid_fn fn, void *arg)
{
	struct ber_reader r, s;
	struct ber_elem el, rek;
	size_t n = 0;
	int rc;

	ber_reader_init(&r, ri->content, ri->len, 0);
	if (ber_expect(&r, BER_INTEGER, &el) ||
	    ber_expect(&r, BER_CONTEXT_CONS(0), &el) || ber_next(&r, &el))
		return -1;
	if (el.tag == BER_CONTEXT_CONS(1) && ber_next(&r, &el))
		return -1;		/* ukm */
	if (el.tag != BER_SEQUENCE || ber_next(&r, &el) ||
	    el.tag != BER_SEQUENCE || ber_next(&r, &rek) != BER_END)
		return -1;
	ber_reader_init(&s, el.content, el.len, 0);
	while (ber_next(&s, &rek) == BER_OK) {
		if ((rc = probe_rek(&rek, fn, arg)) != 0)
			return rc;
		n++;
	}
	return n > 0 ? 0 : -1;
}

/*
 * One RecipientInfo (§6.2): 0 to go on, 1 when the callback stops the
 * walk, -1 when malformed.  KEK, password and other kinds name no
 * certificate: they count as recipients, but never as ours.
 */
static int
probe_ri(const struct ber_elem *ri, cms_rid_fn fn, void *arg)
{
	if (ri->tag == BER_SEQUENCE)
		return probe_ktri(ri, fn, arg);
	if (ri->tag == BER_CONTEXT_CONS(1))
		return probe_kari(ri, fn, arg);
	if (ri->tag == BER_CONTEXT_CONS(2) || ri->tag == BER_CONTEXT_CONS(3) ||
	    ri->tag == BER_CONTEXT_CONS(4))
		return 0;
	return -1;
}

struct text_count {
	size_t	 seen;
	size_t	 text;
};

/* Counts printable ASCII and line ends in the first octets. */
static int
count_text(void *arg, const uint8_t *p, size_t n)
{
	struct text_count *tc = arg;
	size_t i;

	for (i = 0; i < n && tc->seen < 4096; i++, tc->seen++)
		if ((p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\n' ||
		    p[i] == '\r' || p[i] == '\t')
			tc->text++;
	return 0;
}

/*
 * Encrypted content is there and looks like ciphertext: random octets
 * are text about 40% of the time, so a body that is 90% text was not
 * encrypted (a plaintext wrapped in an envelope's fields by hand).
 * CBC content (EnvelopedData) comes in whole blocks of at least 8.
 */
static int
probe_ciphertext(const struct ber_elem *ct, int auth)
{
	struct text_count tc;
	size_t n;

	if (ber_octets_len(ct, &n) != BER_OK || n == 0 ||
	    (!auth && n % 8 != 0))
		return -1;
	memset(&tc, 0, sizeof(tc));
	if (ber_octets_foreach(ct, count_text, &tc) != BER_OK)
		return -1;
	if (tc.seen >= TEXT_MIN && tc.text * 100 >= tc.seen * TEXT_PERCENT)
		return -1;
	return 0;
}

/* EncryptedContentInfo (§6.1), with its content present. */
static int
probe_eci(struct ber_reader *r, int auth)
{
	struct ber_elem el;

	if (ber_expect(r, BER_SEQUENCE, &el) || ber_enter(r) ||
	    ber_expect(r, BER_OID, &el) || ber_expect(r, BER_SEQUENCE, &el) ||
	    ber_next(r, &el) != BER_OK)
		return -1;
	if ((el.tag != BER_CONTEXT(0) && el.tag != BER_CONTEXT_CONS(0)) ||
	    probe_ciphertext(&el, auth) == -1)
		return -1;
	if (ber_next(r, &el) != BER_END || ber_leave(r) != BER_OK)
		return -1;
	return 0;
}

/* After the content: unprotectedAttrs; or authAttrs, mac, unauthAttrs. */
static int
probe_tail(struct ber_reader *r, int auth)
{
	struct ber_elem el;
	enum ber_err be;

	be = ber_next(r, &el);
	if (!auth) {
		if (be == BER_OK && (el.tag != BER_CONTEXT_CONS(1) ||
		    ber_next(r, &el) != BER_END))
			return -1;
		return be == BER_OK || be == BER_END ? 0 : -1;
	}
	if (be == BER_OK && el.tag == BER_CONTEXT_CONS(1))
		be = ber_next(r, &el);
	if (be != BER_OK || !is_octets(&el) || !nonempty_octets(&el))
		return -1;		/* the mac is required */
	be = ber_next(r, &el);
	if (be == BER_OK && (el.tag != BER_CONTEXT_CONS(2) ||
	    ber_next(r, &el) != BER_END))
		return -1;
	return be == BER_OK || be == BER_END ? 0 : -1;
}

int
cms_probe_enveloped(const uint8_t *buf, size_t len, cms_rid_fn fn,
    void *arg, size_t *nris, struct cms_error *e)
{
	struct ber_reader r, s;
	struct ber_elem el, ri;
	enum oid_id id;
	int auth, rc;

	*nris = 0;
	id = content_info(&r, buf, len);
	if (id != OID_ENVELOPED_DATA && id != OID_AUTH_ENVELOPED_DATA)
		return probe_fail(e, "%s", "not an EnvelopedData");
	auth = id == OID_AUTH_ENVELOPED_DATA;
	if (ber_expect(&r, BER_INTEGER, &el) || ber_next(&r, &el))
		goto bad;
	if (el.tag == BER_CONTEXT_CONS(0) && ber_next(&r, &el))
		goto bad;		/* originatorInfo */
	if (el.tag != BER_SET || probe_eci(&r, auth) == -1 ||
	    probe_tail(&r, auth) == -1)
		goto bad;
	/* every RecipientInfo is checked before the caller hears of one */
	ber_reader_init(&s, el.content, el.len, 0);
	while (ber_next(&s, &ri) == BER_OK) {
		if (probe_ri(&ri, NULL, NULL) == -1)
			goto bad;
		(*nris)++;
	}
	if (*nris == 0)
		return probe_fail(e, "%s", "EnvelopedData without recipients");
	ber_reader_init(&s, el.content, el.len, 0);
	while (ber_next(&s, &ri) == BER_OK)
		if ((rc = probe_ri(&ri, fn, arg)) != 0)
			return rc == 1 ? 0 : -1;
	return 0;
bad:
	return probe_fail(e, "malformed %s", auth ? "AuthEnvelopedData" :
	    "EnvelopedData");
}
