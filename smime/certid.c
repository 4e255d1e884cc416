/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Who a certificate names.  The signer binding needs every address a
 * certificate holds, not the first (a certificate may carry several
 * rfc822Names); the verdict needs the issuer as text whatever its
 * length, shortened by the writer rather than dropped.  Both are read
 * here from the DER with the BER reader, each level a fresh reader over
 * its parent's content: no recursion, every read bounded by its parent.
 */
#include <stdio.h>
#include <string.h>

#include "ber.h"
#include "certid.h"

static const uint8_t oid_email[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01
};
static const uint8_t oid_san[] = { 0x55, 0x1d, 0x11 };
static const uint8_t oid_crldp[] = { 0x55, 0x1d, 0x1f };
static const uint8_t oid_aia[] = {
	0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01
};
static const uint8_t oid_ad_ocsp[] = {
	0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01
};

/* The names mbedTLS and OpenSSL print for the usual attributes. */
static const struct {
	uint8_t		 oid[10];
	size_t		 len;
	const char	*name;
} attr_names[] = {
	{ { 0x55, 0x04, 0x03 }, 3, "CN" },
	{ { 0x55, 0x04, 0x04 }, 3, "SN" },
	{ { 0x55, 0x04, 0x05 }, 3, "serialNumber" },
	{ { 0x55, 0x04, 0x06 }, 3, "C" },
	{ { 0x55, 0x04, 0x07 }, 3, "L" },
	{ { 0x55, 0x04, 0x08 }, 3, "ST" },
	{ { 0x55, 0x04, 0x0a }, 3, "O" },
	{ { 0x55, 0x04, 0x0b }, 3, "OU" },
	{ { 0x55, 0x04, 0x0c }, 3, "title" },
	{ { 0x55, 0x04, 0x2a }, 3, "GN" },
	{ { 0x55, 0x04, 0x2b }, 3, "initials" },
	{ { 0x55, 0x04, 0x2e }, 3, "dnQualifier" },
	{ { 0x55, 0x04, 0x41 }, 3, "pseudonym" },
	{ { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 }, 9,
	    "emailAddress" },
	{ { 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19 }, 10,
	    "DC" },
	{ { 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01 }, 10,
	    "UID" },
};

/* The issuer and subject Names, and the extensions, of a certificate. */
struct tbs {
	struct ber_elem	 issuer, subject, spki, exts;
	int		 have_exts;
};

static int
oid_is(const struct ber_elem *e, const uint8_t *oid, size_t len)
{
	return e->tag == BER_OID && e->len == len &&
	    memcmp(e->content, oid, len) == 0;
}

static int
tbs_read(const uint8_t *der, size_t len, struct tbs *t)
{
	struct ber_reader r;
	struct ber_elem e;
	int i;

	memset(t, 0, sizeof(*t));
	ber_reader_init(&r, der, len, BER_F_DER);
	if (ber_expect(&r, BER_SEQUENCE, &e) != BER_OK)
		return -1;
	ber_reader_init(&r, e.content, e.len, BER_F_DER);
	if (ber_expect(&r, BER_SEQUENCE, &e) != BER_OK)
		return -1;
	ber_reader_init(&r, e.content, e.len, BER_F_DER);
	if (ber_next(&r, &e) != BER_OK)
		return -1;
	if (e.tag == BER_CONTEXT_CONS(0) && ber_next(&r, &e) != BER_OK)
		return -1;		/* version, then serialNumber */
	/* signature, issuer, validity, subject, subjectPublicKeyInfo */
	for (i = 0; i < 5; i++) {
		if (ber_expect(&r, BER_SEQUENCE, &e) != BER_OK)
			return -1;
		if (i == 1)
			t->issuer = e;
		else if (i == 3)
			t->subject = e;
		else if (i == 4)
			t->spki = e;
	}
	while (ber_next(&r, &e) == BER_OK)
		if (e.tag == BER_CONTEXT_CONS(3)) {
			t->exts = e;
			t->have_exts = 1;
		}
	return 0;
}

static void
add_addr(struct certid_addrs *a, const uint8_t *p, size_t len)
{
	size_t i;

	if (a->n == CERTID_ADDRS_MAX || len == 0 || len > CERTID_ADDR_LEN)
		return;
	for (i = 0; i < len; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return;		/* an address has no spaces or controls */
	memcpy(a->addr[a->n], p, len);
	a->addr[a->n][len] = '\0';
	a->n++;
}

/*
 * The value of the extension named oid: the element its OCTET STRING
 * holds.  0 found, -1 absent or malformed.
 */
static int
ext_value(const struct ber_elem *exts, const uint8_t *oid, size_t oidlen,
    struct ber_elem *val)
{
	struct ber_reader r, x;
	struct ber_elem e, o, v;

	ber_reader_init(&r, exts->content, exts->len, BER_F_DER);
	if (ber_expect(&r, BER_SEQUENCE, &e) != BER_OK)
		return -1;
	ber_reader_init(&r, e.content, e.len, BER_F_DER);
	while (ber_expect(&r, BER_SEQUENCE, &e) == BER_OK) {
		ber_reader_init(&x, e.content, e.len, BER_F_DER);
		if (ber_expect(&x, BER_OID, &o) != BER_OK ||
		    !oid_is(&o, oid, oidlen))
			continue;
		if (ber_next(&x, &v) != BER_OK ||
		    (v.tag == BER_BOOLEAN && ber_next(&x, &v) != BER_OK) ||
		    v.tag != BER_OCTET_STRING)
			return -1;
		ber_reader_init(&x, v.content, v.len, BER_F_DER);
		return ber_next(&x, val) == BER_OK ? 0 : -1;
	}
	return -1;
}

/* rfc822Name entries ([1] IA5String) of subjectAltName. */
static void
san_addrs(const struct ber_elem *exts, struct certid_addrs *a)
{
	struct ber_reader x;
	struct ber_elem e;

	if (ext_value(exts, oid_san, sizeof(oid_san), &e) == -1 ||
	    e.tag != BER_SEQUENCE)
		return;
	ber_reader_init(&x, e.content, e.len, BER_F_DER);
	while (ber_next(&x, &e) == BER_OK)
		if (e.tag == BER_CONTEXT(1))
			add_addr(a, e.content, e.len);
}

/* Calls fn for each attribute of a Name, in order; -1 when malformed. */
typedef void (*attr_fn)(void *, const struct ber_elem *,
    const struct ber_elem *, int);

static int
name_walk(const struct ber_elem *name, attr_fn fn, void *arg)
{
	struct ber_reader r, set, atv;
	struct ber_elem rdn, e, oid, val;
	int first;

	ber_reader_init(&r, name->content, name->len, BER_F_DER);
	while (ber_next(&r, &rdn) == BER_OK) {
		if (rdn.tag != BER_SET)
			return -1;
		ber_reader_init(&set, rdn.content, rdn.len, BER_F_DER);
		for (first = 1; ber_next(&set, &e) == BER_OK; first = 0) {
			if (e.tag != BER_SEQUENCE)
				return -1;
			ber_reader_init(&atv, e.content, e.len, BER_F_DER);
			if (ber_expect(&atv, BER_OID, &oid) != BER_OK ||
			    ber_next(&atv, &val) != BER_OK)
				return -1;
			fn(arg, &oid, &val, first);
		}
		if (ber_error(&set) != BER_OK)
			return -1;
	}
	return ber_error(&r) == BER_OK ? 0 : -1;
}

static void
email_attr(void *arg, const struct ber_elem *oid, const struct ber_elem *val,
    int first)
{
	(void)first;
	if (oid_is(oid, oid_email, sizeof(oid_email)) && !val->constructed)
		add_addr(arg, val->content, val->len);
}

/*
 * Every email address of a certificate: the rfc822Names, then the
 * subject's emailAddress attributes (RFC 8550 §3).  Returns 0, -1 when
 * the certificate cannot be read.
 */
int
certid_addrs(const uint8_t *der, size_t len, struct certid_addrs *a)
{
	struct tbs t;

	memset(a, 0, sizeof(*a));
	if (tbs_read(der, len, &t) == -1)
		return -1;
	if (t.have_exts)
		san_addrs(&t.exts, a);
	return name_walk(&t.subject, email_attr, a);
}

/* ---- where its CRL is published ------------------------------------ */

static void
add_uri(struct certid_uris *u, const struct ber_elem *e)
{
	size_t i;

	if (u->n == CERTID_URIS_MAX || e->len == 0 ||
	    e->len > CERTID_URI_LEN)
		return;
	for (i = 0; i < e->len; i++)	/* IA5String, printable only */
		if (e->content[i] <= 0x20 || e->content[i] >= 0x7f)
			return;
	memcpy(u->uri[u->n], e->content, e->len);
	u->uri[u->n][e->len] = '\0';
	for (i = 0; i < u->n; i++)
		if (strcmp(u->uri[i], u->uri[u->n]) == 0)
			return;
	u->n++;
}

/*
 * The URIs of a certificate's CRL distribution points (RFC 5280
 * 4.2.1.13): each DistributionPoint's fullName [0] [0], its
 * uniformResourceIdentifier [6] entries.  Points named relative to
 * the issuer, and URIs with spaces or controls, are skipped.  Returns
 * 0 (perhaps with none), -1 when the certificate cannot be read.
 */
int
certid_crl_uris(const uint8_t *der, size_t len, struct certid_uris *u)
{
	struct ber_reader r, x;
	struct ber_elem dps, dp, e;
	struct tbs t;

	memset(u, 0, sizeof(*u));
	if (tbs_read(der, len, &t) == -1)
		return -1;
	if (!t.have_exts || ext_value(&t.exts, oid_crldp, sizeof(oid_crldp),
	    &dps) == -1 || dps.tag != BER_SEQUENCE)
		return 0;
	ber_reader_init(&r, dps.content, dps.len, BER_F_DER);
	while (ber_expect(&r, BER_SEQUENCE, &dp) == BER_OK) {
		ber_reader_init(&x, dp.content, dp.len, BER_F_DER);
		if (ber_expect(&x, BER_CONTEXT_CONS(0), &e) != BER_OK)
			continue;	/* no distributionPoint */
		ber_reader_init(&x, e.content, e.len, BER_F_DER);
		if (ber_expect(&x, BER_CONTEXT_CONS(0), &e) != BER_OK)
			continue;	/* nameRelativeToCRLIssuer */
		ber_reader_init(&x, e.content, e.len, BER_F_DER);
		while (ber_next(&x, &e) == BER_OK)
			if (e.tag == BER_CONTEXT(6))
				add_uri(u, &e);
	}
	return 0;
}

/*
 * The URIs of a certificate's OCSP responders: the id-ad-ocsp entries
 * of its authorityInfoAccess (RFC 5280 4.2.2.1).  As certid_crl_uris.
 */
int
certid_ocsp_uris(const uint8_t *der, size_t len, struct certid_uris *u)
{
	struct ber_reader r, x;
	struct ber_elem aia, ad, m, loc;
	struct tbs t;

	memset(u, 0, sizeof(*u));
	if (tbs_read(der, len, &t) == -1)
		return -1;
	if (!t.have_exts || ext_value(&t.exts, oid_aia, sizeof(oid_aia),
	    &aia) == -1 || aia.tag != BER_SEQUENCE)
		return 0;
	ber_reader_init(&r, aia.content, aia.len, BER_F_DER);
	while (ber_expect(&r, BER_SEQUENCE, &ad) == BER_OK) {
		ber_reader_init(&x, ad.content, ad.len, BER_F_DER);
		if (ber_expect(&x, BER_OID, &m) == BER_OK &&
		    oid_is(&m, oid_ad_ocsp, sizeof(oid_ad_ocsp)) &&
		    ber_next(&x, &loc) == BER_OK && loc.tag == BER_CONTEXT(6))
			add_uri(u, &loc);
	}
	return 0;
}

/*
 * The subjectPublicKey bits of a certificate (what OCSP's issuerKeyHash
 * and a byKey ResponderID hash, RFC 6960 4.1.1).  0 or -1.
 */
int
certid_spki_bits(const uint8_t *der, size_t len, const uint8_t **bits,
    size_t *n)
{
	struct ber_reader r;
	struct ber_elem e;
	unsigned int unused;
	struct tbs t;

	if (tbs_read(der, len, &t) == -1)
		return -1;
	ber_reader_init(&r, t.spki.content, t.spki.len, BER_F_DER);
	if (ber_expect(&r, BER_SEQUENCE, &e) != BER_OK ||
	    ber_expect(&r, BER_BIT_STRING, &e) != BER_OK ||
	    ber_get_bitstring(&e, bits, n, &unused) != BER_OK || unused != 0)
		return -1;
	return 0;
}

/* The whole subjectPublicKeyInfo, as DANE's selector 1 takes it. */
int
certid_spki(const uint8_t *der, size_t len, const uint8_t **spki, size_t *n)
{
	struct tbs t;

	if (tbs_read(der, len, &t) == -1)
		return -1;
	*spki = t.spki.raw;
	*n = t.spki.rawlen;
	return 0;
}

/* ---- a Name as text ------------------------------------------------ */

struct dn_out {
	char	*p;
	size_t	 sz, o;
	int	 cut;
};

static void
dn_putc(struct dn_out *d, char c)
{
	if (d->o + 1 >= d->sz) {
		d->cut = 1;
		return;
	}
	/* a NUL would end the text early and hide what follows */
	d->p[d->o++] = c == '\0' ? '?' : c;
	d->p[d->o] = '\0';
}

static void
dn_puts(struct dn_out *d, const char *s)
{
	for (; *s != '\0'; s++)
		dn_putc(d, *s);
}

/* An OID in dotted form; "?" for an arc that does not fit a long. */
static void
dn_oid(struct dn_out *d, const struct ber_elem *oid)
{
	unsigned long v = 0;
	char num[24];
	size_t i;
	int first = 1;

	for (i = 0; i < oid->len; i++) {
		if (v > (~0UL >> 7)) {
			dn_puts(d, "?");
			return;
		}
		v = (v << 7) | (oid->content[i] & 0x7f);
		if (oid->content[i] & 0x80)
			continue;
		if (first)
			snprintf(num, sizeof(num), "%lu.%lu", v < 80 ? v / 40 :
			    2UL, v < 80 ? v % 40 : v - 80);
		else
			snprintf(num, sizeof(num), ".%lu", v);
		dn_puts(d, num);
		first = 0;
		v = 0;
	}
}

static void
dn_attr(void *arg, const struct ber_elem *oid, const struct ber_elem *val,
    int first)
{
	struct dn_out *d = arg;
	size_t i, step = val->tag == BER_BMP_STRING ? 2 : 1;

	if (d->o > 0)
		dn_puts(d, first ? ", " : " + ");
	for (i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
		if (oid_is(oid, attr_names[i].oid, attr_names[i].len))
			break;
	if (i < sizeof(attr_names) / sizeof(attr_names[0]))
		dn_puts(d, attr_names[i].name);
	else
		dn_oid(d, oid);
	dn_putc(d, '=');
	/* BMPString: the low octet of each ASCII character, '?' otherwise */
	for (i = 0; i + step <= val->len; i += step)
		dn_putc(d, step == 1 ? (char)val->content[i] :
		    val->content[i] == 0 ? (char)val->content[i + 1] : '?');
}

/*
 * The issuer or subject as "O=Example, CN=Name" (RDNs in certificate
 * order, as mbedTLS prints them), raw octets and all.  Returns 0, 1
 * when cut to fit out, -1 when the certificate cannot be read.
 */
int
certid_dn(const uint8_t *der, size_t len, enum certid_name which,
    char *out, size_t outsz)
{
	struct tbs t;
	struct dn_out d;

	if (outsz == 0)
		return -1;
	out[0] = '\0';
	if (tbs_read(der, len, &t) == -1)
		return -1;
	memset(&d, 0, sizeof(d));
	d.p = out;
	d.sz = outsz;
	if (name_walk(which == CERTID_ISSUER ? &t.issuer : &t.subject, dn_attr,
	    &d) == -1)
		return -1;
	return d.cut;
}
