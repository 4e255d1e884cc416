/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * EnvelopedData / AuthEnvelopedData: round trips through our encrypt
 * and decrypt for every cipher and recipient kind, BER re-chunking,
 * files made by openssl cms (3DES, -stream BER, OAEP with -keyid), and
 * the negative cases with their precise statuses.  Keys and
 * certificates are small committed files in regress/unit/data/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/rsa.h>

#include "ber.h"
#include "cms.h"
#include "mbedtls_compat.h"
#include "mime.h"
#include "smime.h"
#include "unit.h"

#define DATA	"regress/unit/data/"

struct ident {
	mbedtls_x509_crt	 crt;
	mbedtls_pk_context	 key;
};

struct buf {
	uint8_t		*p;
	size_t		 len;
	size_t		 cap;
	int		 calls;
	int		 refuse;	/* make the callback fail */
};

/* The keystore stand-in: identities, and optionally a key to lie with. */
struct store {
	struct ident		*ids[4];
	size_t			 n;
	mbedtls_pk_context	*liar;
};

static struct ident rsa, p256, p384;
static mbedtls_pk_context rsa_other, ec_other;
static struct cms_rng rng;
static uint32_t lcg = 12345;

static uint32_t
rnd(void)
{
	lcg = lcg * 1103515245u + 12345u;
	return lcg >> 8;
}

static int
buf_write(void *arg, const uint8_t *p, size_t n)
{
	struct buf *b = arg;
	uint8_t *np;
	size_t cap;

	b->calls++;
	if (b->refuse)
		return -1;
	if (n == 0)
		return 0;
	if (b->len + n > b->cap) {
		cap = (b->len + n) * 2 + 64;
		if ((np = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	struct buf b;
	uint8_t chunk[4096];
	size_t n;
	FILE *fp;

	memset(&b, 0, sizeof(b));
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_write(&b, chunk, n) != 0)
			break;
	fclose(fp);
	*len = b.len;
	return b.p;
}

static int
load_ident(struct ident *id, const char *name)
{
	char path[256];

	mbedtls_x509_crt_init(&id->crt);
	mbedtls_pk_init(&id->key);
	snprintf(path, sizeof(path), DATA "env_%s.pem", name);
	if (mbedtls_x509_crt_parse_file(&id->crt, path) != 0)
		return -1;
	snprintf(path, sizeof(path), DATA "env_%s.key", name);
	return compat_pk_parse_keyfile(&id->key, path, NULL) == 0 ? 0 : -1;
}

static void
free_ident(struct ident *id)
{
	mbedtls_x509_crt_free(&id->crt);
	mbedtls_pk_free(&id->key);
}

static int
find_key(void *arg, const uint8_t *issuer, size_t ilen, const uint8_t *serial,
    size_t slen, const uint8_t *ski, size_t skilen, mbedtls_pk_context **key)
{
	struct store *s = arg;
	const mbedtls_x509_crt *c;
	const uint8_t *mine;
	size_t i, minelen;

	for (i = 0; i < s->n; i++) {
		c = &s->ids[i]->crt;
		if (ski != NULL) {
			if (cms_cert_ski(c, &mine, &minelen) == -1 ||
			    minelen != skilen || memcmp(mine, ski, skilen))
				continue;
		} else if (c->issuer_raw.len != ilen || memcmp(c->issuer_raw.p,
		    issuer, ilen) || c->serial.len != slen ||
		    memcmp(c->serial.p, serial, slen))
			continue;
		*key = s->liar ? s->liar : &s->ids[i]->key;
		return 0;
	}
	return -1;
}

/* Streamed: the length not told in advance (CMS_LEN_STREAM). */
static int streamed;

/* Encrypt in uneven pieces (GCM re-blocking, CBC carry). */
static int
encrypt_to(const struct cms_recipient *rs, size_t n, enum cms_cipher c,
    const uint8_t *in, size_t len, struct buf *out, struct cms_error *e)
{
	static const size_t steps[] = { 17, 15, 1, 4096, 33, 16, 5000 };
	struct cms_env env;
	struct cms_frame f;
	size_t i = 0, take;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (cms_env_begin(&env, rs, n, c, streamed ? CMS_LEN_STREAM : len,
	    &rng, &f, e) == -1)
		return -1;
	if (buf_write(out, f.head, f.headlen) != 0)
		goto done;
	cms_frame_free(&f);
	while (len > 0) {
		take = steps[i++ % (sizeof(steps) / sizeof(steps[0]))];
		take = take > len ? len : take;
		if (cms_env_update(&env, in, take, buf_write, out, e) == -1)
			goto done;
		in += take;
		len -= take;
	}
	if (cms_env_finish(&env, buf_write, out, &f, e) == -1 ||
	    buf_write(out, f.tail, f.taillen) != 0)
		goto done;
	rc = 0;
done:
	cms_frame_free(&f);
	cms_env_free(&env);
	return rc;
}

static enum cms_dstatus
decrypt_with(const uint8_t *msg, size_t len, struct store *s, struct buf *out,
    struct cms_error *e)
{
	struct cms_dec d;

	memset(&d, 0, sizeof(d));
	d.find_key = find_key;
	d.find_arg = s;
	d.out = buf_write;
	d.out_arg = out;
	d.rng = &rng;
	return cms_decrypt(msg, len, &d, e);
}

static const char *cipher_names[] = {
	"aes128-cbc", "aes256-cbc", "aes128-gcm", "aes256-gcm"
};

/* Encrypt to one recipient, decrypt with its identity, compare. */
static int
roundtrip(struct ident *id, int oaep, int ski, enum cms_cipher c,
    const uint8_t *in, size_t len, char *why, size_t whysz)
{
	struct cms_recipient r = { &id->crt, oaep, ski };
	struct store s = { { id }, 1, NULL };
	struct buf enc, dec;
	struct cms_error e;
	enum cms_dstatus st;
	size_t off;
	int ok = 0;

	memset(&dec, 0, sizeof(dec));
	if (encrypt_to(&r, 1, c, in, len, &enc, &e) == -1) {
		snprintf(why, whysz, "encrypt: %s", e.msg);
		goto done;
	}
	if (!streamed && ber_validate(enc.p, enc.len, BER_F_DER, &off) !=
	    BER_OK) {
		snprintf(why, whysz, "not DER at offset %zu", off);
		goto done;
	}
	/* streamed: valid BER, its outermost length indefinite */
	if (streamed && (ber_validate(enc.p, enc.len, 0, &off) != BER_OK ||
	    enc.len < 2 || enc.p[1] != 0x80)) {
		snprintf(why, whysz, "not indefinite-length BER (%zu)", off);
		goto done;
	}
	if ((st = decrypt_with(enc.p, enc.len, &s, &dec, &e)) != CMS_D_OK) {
		snprintf(why, whysz, "decrypt: %s: %s", cms_dstatus_str(st),
		    e.msg);
		goto done;
	}
	if (dec.len != len || (len && memcmp(dec.p, in, len) != 0)) {
		snprintf(why, whysz, "plaintext differs (%zu vs %zu)",
		    dec.len, len);
		goto done;
	}
	ok = 1;
done:
	buf_free(&enc);
	buf_free(&dec);
	return ok;
}

static void
test_matrix(const uint8_t *content, size_t len)
{
	struct { const char *name; struct ident *id; int oaep; } kinds[] = {
		{ "rsa-v15", &rsa, 0 }, { "rsa-oaep", &rsa, 1 },
		{ "p256", &p256, 0 }, { "p384", &p384, 0 }
	};
	char name[96], why[320];
	size_t k;
	int c, ski;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		for (ski = 0; ski < 2; ski++)
			for (c = 0; c < 4; c++) {
				snprintf(name, sizeof(name), "env-roundtrip-%s-%s-%s",
				    kinds[k].name, ski ? "ski" : "ias",
				    cipher_names[c]);
				if (roundtrip(kinds[k].id, kinds[k].oaep, ski,
				    (enum cms_cipher)c, content, len, why,
				    sizeof(why)))
					UNIT_PASS(name);
				else
					UNIT_FAIL(name, "%s", why);
			}
}

/* Every cipher over lengths around the block and chunk sizes. */
static void
lengths_to(struct ident *id, const char *kind, const uint8_t *in)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 31, 32, 33, 4095,
	    4096, 4097, 70001 };
	char name[96], why[320];
	size_t i;
	int c;

	for (c = 0; c < 4; c++)
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			snprintf(name, sizeof(name), "env-length-%s%s-%s-%zu",
			    streamed ? "streamed-" : "", kind, cipher_names[c],
			    lens[i]);
			if (roundtrip(id, 0, 0, (enum cms_cipher)c, in,
			    lens[i], why, sizeof(why)))
				UNIT_PASS(name);
			else
				UNIT_FAIL(name, "%s", why);
		}
}

static void
test_lengths(void)
{
	uint8_t *in;
	size_t i;

	if ((in = malloc(70001)) == NULL)
		return;
	for (i = 0; i < 70001; i++)
		in[i] = (uint8_t)rnd();
	for (streamed = 0; streamed < 2; streamed++) {
		lengths_to(&p256, "p256", in);
		lengths_to(&rsa, "rsa", in);
	}
	streamed = 0;
	free(in);
}

/* The version INTEGER of the (Auth)EnvelopedData in a message. */
static long
env_version(const struct buf *b)
{
	struct ber_reader r;
	struct ber_elem el;
	long v = -1;

	ber_reader_init(&r, b->p, b->len, 0);
	if (ber_expect(&r, BER_SEQUENCE, &el) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &el) ||
	    ber_expect(&r, BER_CONTEXT_CONS(0), &el) || ber_enter(&r) ||
	    ber_expect(&r, BER_SEQUENCE, &el) || ber_enter(&r) ||
	    ber_expect(&r, BER_INTEGER, &el) || ber_get_long(&el, &v))
		return -1;
	return v;
}

static void
test_multi(const uint8_t *in, size_t len)
{
	struct cms_recipient rs[3] = {
		{ &rsa.crt, 0, 0 }, { &p256.crt, 0, 1 }, { &p384.crt, 0, 0 }
	};
	struct ident *ids[3] = { &rsa, &p256, &p384 };
	struct buf enc, dec;
	struct store s;
	struct cms_error e;
	char name[64];
	int i;

	if (encrypt_to(rs, 3, CMS_AES256_CBC, in, len, &enc, &e) == -1) {
		UNIT_FAIL("env-multi-encrypt", "%s", e.msg);
		return;
	}
	UNIT_OK("env-multi-version-2", env_version(&enc) == 2);
	for (i = 0; i < 3; i++) {
		memset(&s, 0, sizeof(s));
		s.ids[0] = ids[i];
		s.n = 1;
		memset(&dec, 0, sizeof(dec));
		snprintf(name, sizeof(name), "env-multi-recipient-%d", i);
		UNIT_OK(name, decrypt_with(enc.p, enc.len, &s, &dec, &e) ==
		    CMS_D_OK && dec.len == len && memcmp(dec.p, in, len) == 0);
		buf_free(&dec);
	}
	buf_free(&enc);

	/* version 0 only with issuerAndSerialNumber key transport */
	if (encrypt_to(rs, 1, CMS_AES128_CBC, in, len, &enc, &e) == 0)
		UNIT_OK("env-version-0-ktri-ias", env_version(&enc) == 0);
	buf_free(&enc);
	rs[0].use_ski = 1;
	if (encrypt_to(rs, 1, CMS_AES128_CBC, in, len, &enc, &e) == 0)
		UNIT_OK("env-version-2-ktri-ski", env_version(&enc) == 2);
	buf_free(&enc);
	if (encrypt_to(rs, 1, CMS_AES128_GCM, in, len, &enc, &e) == 0)
		UNIT_OK("env-auth-version-0", env_version(&enc) == 0);
	buf_free(&enc);
}

static void
put_hdr(struct buf *b, uint8_t tag, size_t len)
{
	uint8_t h[4];
	size_t n;

	h[0] = tag;
	if (len < 0x80) {
		h[1] = (uint8_t)len;
		n = 2;
	} else if (len < 0x100) {
		h[1] = 0x81;
		h[2] = (uint8_t)len;
		n = 3;
	} else {
		h[1] = 0x82;
		h[2] = (uint8_t)(len >> 8);
		h[3] = (uint8_t)len;
		n = 4;
	}
	(void)buf_write(b, h, n);
}

static void
put_raw(struct buf *b, const struct ber_elem *el)
{
	(void)buf_write(b, el->raw, el->rawlen);
}

/*
 * Our DER, re-encoded as openssl -stream and Outlook send it: every
 * constructed element indefinite, the ciphertext as a constructed [0]
 * in random chunks, one of them nested, one empty.
 */
static int
to_ber(const struct buf *der, struct buf *ber, int bad_segment)
{
	static const uint8_t eoc[2] = { 0, 0 }, indef[2] = { 0x24, 0x80 };
	struct ber_reader r;
	struct ber_elem type, ver, ris, ctype, alg, ct, mac;
	size_t off = 0, take;
	int auth, nested = 0;
	uint8_t h[2];

	memset(ber, 0, sizeof(*ber));
	ber_reader_init(&r, der->p, der->len, 0);
	if (ber_expect(&r, BER_SEQUENCE, &type) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &type) ||
	    ber_expect(&r, BER_CONTEXT_CONS(0), &ver) || ber_enter(&r) ||
	    ber_expect(&r, BER_SEQUENCE, &ver) || ber_enter(&r) ||
	    ber_expect(&r, BER_INTEGER, &ver) ||
	    ber_expect(&r, BER_SET, &ris) ||
	    ber_expect(&r, BER_SEQUENCE, &ctype) || ber_enter(&r) ||
	    ber_expect(&r, BER_OID, &ctype) ||
	    ber_expect(&r, BER_SEQUENCE, &alg) ||
	    ber_expect(&r, BER_CONTEXT(0), &ct) || ber_leave(&r))
		return -1;
	auth = ber_next(&r, &mac) == BER_OK;
	h[0] = 0x30, h[1] = 0x80;
	(void)buf_write(ber, h, 2);
	put_raw(ber, &type);
	h[0] = 0xa0;
	(void)buf_write(ber, h, 2);
	h[0] = 0x30;
	(void)buf_write(ber, h, 2);
	put_raw(ber, &ver);
	put_raw(ber, &ris);
	(void)buf_write(ber, h, 2);
	put_raw(ber, &ctype);
	put_raw(ber, &alg);
	h[0] = 0xa0;
	(void)buf_write(ber, h, 2);
	put_hdr(ber, bad_segment ? 0x05 : 0x04, 0);
	while (off < ct.len) {
		take = 1 + rnd() % 300;
		take = take > ct.len - off ? ct.len - off : take;
		if (!nested && off > ct.len / 2) {
			(void)buf_write(ber, indef, 2);
			put_hdr(ber, 0x04, take);
			(void)buf_write(ber, ct.content + off, take);
			(void)buf_write(ber, eoc, 2);
			nested = 1;
		} else {
			put_hdr(ber, 0x04, take);
			(void)buf_write(ber, ct.content + off, take);
		}
		off += take;
	}
	(void)buf_write(ber, eoc, 2);		/* [0] */
	(void)buf_write(ber, eoc, 2);		/* EncryptedContentInfo */
	if (auth)
		put_raw(ber, &mac);
	(void)buf_write(ber, eoc, 2);		/* (Auth)EnvelopedData */
	(void)buf_write(ber, eoc, 2);		/* [0] */
	(void)buf_write(ber, eoc, 2);		/* ContentInfo */
	return 0;
}

static void
test_ber(const uint8_t *in, size_t len)
{
	struct cms_recipient r = { &p384.crt, 0, 0 };
	struct store s = { { &p384 }, 1, NULL };
	struct buf enc, ber, dec;
	struct cms_error e;
	char name[64];
	int c;

	for (c = 0; c < 4; c++) {
		snprintf(name, sizeof(name), "env-ber-rechunked-%s",
		    cipher_names[c]);
		memset(&dec, 0, sizeof(dec));
		if (encrypt_to(&r, 1, (enum cms_cipher)c, in, len, &enc, &e) ||
		    to_ber(&enc, &ber, 0)) {
			UNIT_FAIL(name, "cannot build the BER form");
			buf_free(&enc);
			continue;
		}
		UNIT_OK(name, decrypt_with(ber.p, ber.len, &s, &dec, &e) ==
		    CMS_D_OK && dec.len == len && memcmp(dec.p, in, len) == 0);
		buf_free(&ber);
		buf_free(&dec);
		/* a chunk that is not an OCTET STRING: nothing comes out */
		snprintf(name, sizeof(name), "env-ber-bad-segment-%s",
		    cipher_names[c]);
		if (to_ber(&enc, &ber, 1) == 0)
			UNIT_OK(name, decrypt_with(ber.p, ber.len, &s, &dec,
			    &e) == CMS_D_MALFORMED && dec.calls == 0);
		buf_free(&enc);
		buf_free(&ber);
		buf_free(&dec);
	}
}

static void
test_openssl_files(const uint8_t *plain, size_t plen)
{
	static const struct { const char *file; struct ident *id; } f[] = {
		{ "env_des3_rsa.der", &rsa },
		{ "env_des3_p256.der", &p256 },	/* CMS3DESwrap, SHA-1 KDF */
		{ "env_gcm_stream_p256.ber", &p256 },
		{ "env_cbc_stream_oaep.ber", &rsa },
	};
	struct store s;
	struct buf dec;
	struct cms_error e;
	enum cms_dstatus st;
	char name[96], path[128];
	uint8_t *msg;
	size_t i, len;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		snprintf(name, sizeof(name), "env-openssl-%s", f[i].file);
		snprintf(path, sizeof(path), DATA "%s", f[i].file);
		if ((msg = slurp(path, &len)) == NULL) {
			UNIT_FAIL(name, "cannot read %s", path);
			continue;
		}
		memset(&s, 0, sizeof(s));
		s.ids[0] = f[i].id;
		s.n = 1;
		memset(&dec, 0, sizeof(dec));
		st = decrypt_with(msg, len, &s, &dec, &e);
		if (st != CMS_D_OK)
			UNIT_FAIL(name, "%s: %s", cms_dstatus_str(st), e.msg);
		else
			UNIT_OK(name, dec.len == plen &&
			    memcmp(dec.p, plain, plen) == 0);
		buf_free(&dec);
		free(msg);
	}
}

/* Encrypt to rsa (v1.5 or OAEP) or p256 and decrypt with a liar store. */
static enum cms_dstatus
negative(struct ident *to, int oaep, enum cms_cipher c,
    mbedtls_pk_context *liar, const uint8_t *in, size_t len, struct buf *dec,
    struct cms_error *e)
{
	struct cms_recipient r = { &to->crt, oaep, 0 };
	struct store s = { { to }, 1, liar };
	struct buf enc;
	enum cms_dstatus st;

	memset(dec, 0, sizeof(*dec));
	if (encrypt_to(&r, 1, c, in, len, &enc, e) == -1)
		return CMS_D_INTERNAL;
	st = decrypt_with(enc.p, enc.len, &s, dec, e);
	buf_free(&enc);
	return st;
}

/* Flip one byte at off (from the end when negative) and decrypt. */
static enum cms_dstatus
tampered(enum cms_cipher c, long off, const uint8_t *in, size_t len,
    struct buf *dec, struct cms_error *e)
{
	struct cms_recipient r = { &p256.crt, 0, 0 };
	struct store s = { { &p256 }, 1, NULL };
	struct buf enc;
	enum cms_dstatus st;

	memset(dec, 0, sizeof(*dec));
	if (encrypt_to(&r, 1, c, in, len, &enc, e) == -1)
		return CMS_D_INTERNAL;
	enc.p[off < 0 ? (long)enc.len + off : off] ^= 0x5a;
	st = decrypt_with(enc.p, enc.len, &s, dec, e);
	buf_free(&enc);
	return st;
}

static void
test_negative(const uint8_t *in, size_t len)
{
	struct cms_error e;
	struct buf dec;
	char padmsg[200], keymsg[200];
	enum cms_dstatus st;

	st = negative(&rsa, 0, CMS_AES128_CBC, &rsa_other, in, len, &dec, &e);
	snprintf(keymsg, sizeof(keymsg), "%s", e.msg);
	UNIT_OK("env-neg-rsa-wrong-key-cbc", st == CMS_D_DECRYPT);
	buf_free(&dec);
	st = negative(&rsa, 1, CMS_AES256_CBC, &rsa_other, in, len, &dec, &e);
	UNIT_OK("env-neg-rsa-oaep-wrong-key-cbc", st == CMS_D_DECRYPT &&
	    strcmp(e.msg, keymsg) == 0);
	buf_free(&dec);
	st = negative(&rsa, 0, CMS_AES128_GCM, &rsa_other, in, len, &dec, &e);
	UNIT_OK("env-neg-rsa-wrong-key-gcm", st == CMS_D_TAG &&
	    dec.calls == 0);
	buf_free(&dec);
	st = negative(&p256, 0, CMS_AES128_CBC, &ec_other, in, len, &dec, &e);
	UNIT_OK("env-neg-ec-wrong-key", st == CMS_D_WRONG_KEY &&
	    dec.calls == 0);
	buf_free(&dec);
	st = negative(&p256, 0, CMS_AES128_CBC, &rsa.key, in, len, &dec, &e);
	UNIT_OK("env-neg-ec-given-rsa-key", st == CMS_D_WRONG_KEY);
	buf_free(&dec);

	/*
	 * The next-to-last block's last byte is xored into the padding
	 * byte: with len a multiple of 16 that is 0x10 ^ 0x5a, never valid.
	 */
	st = tampered(CMS_AES128_CBC, -17, in, len, &dec, &e);
	snprintf(padmsg, sizeof(padmsg), "%s", e.msg);
	UNIT_OK("env-neg-cbc-tampered", st == CMS_D_DECRYPT);
	UNIT_OK("env-neg-no-padding-oracle", strcmp(padmsg, keymsg) == 0 &&
	    strcmp(padmsg, "decryption failed") == 0);
	buf_free(&dec);
	st = tampered(CMS_AES256_GCM, -30, in, len, &dec, &e);
	UNIT_OK("env-neg-gcm-tampered-ciphertext", st == CMS_D_TAG &&
	    dec.calls == 0);
	buf_free(&dec);
	st = tampered(CMS_AES128_GCM, -1, in, len, &dec, &e);
	UNIT_OK("env-neg-gcm-tampered-mac", st == CMS_D_TAG &&
	    dec.calls == 0);
	buf_free(&dec);
}

static void
test_no_recipient(const uint8_t *in, size_t len)
{
	struct cms_recipient r = { &rsa.crt, 0, 0 };
	struct store s = { { &p256 }, 1, NULL };
	struct buf enc, dec;
	struct cms_error e;
	enum cms_dstatus st;

	memset(&dec, 0, sizeof(dec));
	if (encrypt_to(&r, 1, CMS_AES128_CBC, in, len, &enc, &e) == -1) {
		UNIT_FAIL("env-neg-no-recipient", "%s", e.msg);
		return;
	}
	st = decrypt_with(enc.p, enc.len, &s, &dec, &e);
	UNIT_OK("env-neg-no-recipient", st == CMS_D_NO_RECIPIENT);
	s.ids[0] = &rsa;
	dec.refuse = 1;
	st = decrypt_with(enc.p, enc.len, &s, &dec, &e);
	UNIT_OK("env-neg-output-refused", st == CMS_D_OUTPUT);
	buf_free(&dec);
	buf_free(&enc);
}

/* Every prefix of a message, and some garbage: malformed, no crash. */
static void
test_malformed(const uint8_t *in, size_t len)
{
	struct cms_recipient r[2] = { { &rsa.crt, 0, 0 }, { &p256.crt, 0, 1 } };
	struct store s = { { &rsa, &p256 }, 2, NULL };
	struct buf enc, ber, dec;
	struct cms_error e;
	uint8_t junk[512], *sd;
	size_t cut, bad = 0, i, sdlen;
	int c;

	for (c = 0; c < 4; c += 2) {
		if (encrypt_to(r, 2, (enum cms_cipher)c, in, len, &enc, &e) ||
		    to_ber(&enc, &ber, 0))
			return;
		for (cut = 0; cut < enc.len; cut++) {
			memset(&dec, 0, sizeof(dec));
			if (decrypt_with(enc.p, cut, &s, &dec, &e) !=
			    CMS_D_MALFORMED || dec.calls != 0)
				bad++;
			buf_free(&dec);
		}
		for (cut = 0; cut < ber.len; cut++) {
			memset(&dec, 0, sizeof(dec));
			if (decrypt_with(ber.p, cut, &s, &dec, &e) ==
			    CMS_D_OK)
				bad++;
			buf_free(&dec);
		}
		buf_free(&enc);
		buf_free(&ber);
	}
	UNIT_OK("env-neg-truncated-every-prefix", bad == 0);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rnd();
	memset(&dec, 0, sizeof(dec));
	UNIT_OK("env-neg-garbage", decrypt_with(junk, sizeof(junk), &s, &dec,
	    &e) == CMS_D_MALFORMED);
	UNIT_OK("env-neg-empty", decrypt_with(junk, 0, &s, &dec, &e) ==
	    CMS_D_MALFORMED);
	if ((sd = slurp(DATA "cms_signed_det.der", &sdlen)) != NULL) {
		UNIT_OK("env-neg-signed-data", decrypt_with(sd, sdlen, &s,
		    &dec, &e) == CMS_D_UNSUPPORTED);
		free(sd);
	}
	buf_free(&dec);
}

static void
test_encrypt_misuse(const uint8_t *in, size_t len)
{
	struct cms_recipient r = { &p256.crt, 0, 0 };
	struct cms_env env;
	struct cms_frame f;
	struct cms_error e;
	struct buf out;
	int rc;

	memset(&out, 0, sizeof(out));
	UNIT_OK("env-api-no-recipients", cms_env_begin(&env, &r, 0,
	    CMS_AES128_CBC, len, &rng, &f, &e) == -1);
	UNIT_OK("env-api-huge", cms_env_begin(&env, &r, 1, CMS_AES128_CBC,
	    (uint64_t)1 << 40, &rng, &f, &e) == -1);
	if (cms_env_begin(&env, &r, 1, CMS_AES128_GCM, 10, &rng, &f, &e) ==
	    0) {
		cms_frame_free(&f);
		rc = cms_env_update(&env, in, 11, buf_write, &out, &e);
		UNIT_OK("env-api-more-than-announced", rc == -1);
		cms_env_free(&env);
	}
	if (cms_env_begin(&env, &r, 1, CMS_AES128_CBC, 10, &rng, &f, &e) ==
	    0) {
		cms_frame_free(&f);
		rc = cms_env_update(&env, in, 9, buf_write, &out, &e);
		UNIT_OK("env-api-less-than-announced", rc == 0 &&
		    cms_env_finish(&env, buf_write, &out, &f, &e) == -1);
		cms_frame_free(&f);
		cms_env_free(&env);
	}
	buf_free(&out);
	UNIT_OK("env-api-ciphertext-len",
	    cms_env_ciphertext_len(CMS_AES256_CBC, 0) == 16 &&
	    cms_env_ciphertext_len(CMS_AES256_CBC, 16) == 32 &&
	    cms_env_ciphertext_len(CMS_AES128_CBC, 17) == 32 &&
	    cms_env_ciphertext_len(CMS_AES256_GCM, 17) == 17);
}

/* RSA padding is context state: it must be back to v1.5 after us. */
static void
test_padding_restored(const uint8_t *in, size_t len)
{
	struct buf dec;
	struct cms_error e;
	enum cms_dstatus st;

	st = negative(&rsa, 1, CMS_AES128_CBC, NULL, in, len, &dec, &e);
	buf_free(&dec);
	UNIT_OK("env-oaep-ok", st == CMS_D_OK);
	UNIT_OK("env-oaep-padding-restored",
	    compat_rsa_padding(mbedtls_pk_rsa(rsa.crt.pk)) ==
	    MBEDTLS_RSA_PKCS_V15 &&
	    compat_rsa_padding(mbedtls_pk_rsa(rsa.key)) == MBEDTLS_RSA_PKCS_V15);
}

/*
 * cms_sign checks the key against the certificate itself unless the
 * signer says that was done when the pair was loaded (the filter's
 * identity cache does it there, once).
 */
static void
test_sign_pair(void)
{
	static const uint8_t digest[32] = { 1, 2, 3 };
	struct cms_signer s;
	struct cms_frame f;
	struct cms_error e;
	int rc;

	memset(&s, 0, sizeof(s));
	s.md = MBEDTLS_MD_SHA256;
	s.cert = &rsa.crt;
	s.key = &rsa_other;
	rc = cms_sign(&s, digest, sizeof(digest), -1, 0, &rng, &f, &e);
	UNIT_OK("sign-pair-rsa-mismatch-refused", rc == -1 &&
	    e.code == CMS_ERR_ARG);
	s.cert = &p256.crt;
	s.key = &ec_other;
	rc = cms_sign(&s, digest, sizeof(digest), -1, 0, &rng, &f, &e);
	UNIT_OK("sign-pair-ec-mismatch-refused", rc == -1 &&
	    e.code == CMS_ERR_ARG);
	s.key = &p256.key;
	rc = cms_sign(&s, digest, sizeof(digest), -1, 0, &rng, &f, &e);
	UNIT_OK("sign-pair-ec-checked-here", rc == 0);
	if (rc == 0)
		cms_frame_free(&f);
	s.pair_checked = 1;
	rc = cms_sign(&s, digest, sizeof(digest), -1, 0, &rng, &f, &e);
	UNIT_OK("sign-pair-ec-checked-at-load", rc == 0);
	if (rc == 0)
		cms_frame_free(&f);
}

/* Constant "entropy": a generator seeded with it repeats itself. */
static int
fixed_entropy(void *arg, unsigned char *out, size_t n)
{
	(void)arg;
	memset(out, 0x5a, n);
	return 0;
}

static void
fixed_rng(struct cms_rng *r)
{
	mbedtls_ctr_drbg_init(&r->drbg);
	if (mbedtls_ctr_drbg_seed(&r->drbg, fixed_entropy, NULL, NULL, 0) != 0)
		abort();
}

/*
 * The boundary a detached signature takes first from such a generator,
 * by the rule of smime.c written out: "----smime-" and 30 characters of
 * [0-9A-Za-z], each an octet of 40 drawn modulo 62.
 */
static void
first_boundary(char out[41])
{
	static const char set[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";
	unsigned char o[40];
	struct cms_rng r;
	int i;

	fixed_rng(&r);
	if (cms_rng_func(&r, o, sizeof(o)) != 0)
		abort();
	cms_rng_free(&r);
	memcpy(out, "----smime-", 10);
	for (i = 10; i < 40; i++)
		out[i] = set[o[i] % 62];
	out[40] = '\0';
}

/* Does p[0..n) hold the 40 octets of b? */
static int
holds(const char *p, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i + 40 <= n; i++)
		if (memcmp(p + i, b, 40) == 0)
			return 1;
	return 0;
}

static int
sign_fixed(const char *msg, size_t len, struct mime_buf *out,
    struct cms_error *e)
{
	struct cms_signer s;
	struct cms_rng r;
	int rc;

	memset(&s, 0, sizeof(s));
	s.md = MBEDTLS_MD_SHA256;
	s.cert = &rsa.crt;
	s.key = &rsa.key;
	fixed_rng(&r);
	mime_buf_init(out, 0);
	rc = smime_sign(msg, len, &s, 0, 0, &r, mime_buf_write, out, e);
	cms_rng_free(&r);
	return rc;
}

/*
 * Content that holds a detached signature's random boundary is refused:
 * a client would end the signed part there.  With a generator made to
 * repeat itself the boundary is known, and it is put into base64 text
 * (which has no '-' of its own) at the start, inside, at every place
 * around the first 64 KB edge of the pass (where it lies across two
 * buffers) and at the end.  Its fixed prefix alone is no match.
 */
static void
test_sign_boundary(void)
{
	static char msg[160 * 1024], copy[sizeof(msg)];
	static const char hdr[] = "Content-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: base64\n\n";
	struct mime_buf out;
	struct cms_error e;
	char b[41];
	size_t n, i, at;
	int rc, bad = 0;

	first_boundary(b);
	n = sizeof(hdr) - 1;
	memcpy(msg, hdr, n);
	while (n + 77 < sizeof(msg)) {
		for (i = 0; i < 76; i++)
			msg[n + i] = "QUJDREVGR0hJSktMTU5PUA"[(n + i) % 22];
		msg[n + 76] = '\n';
		n += 77;
	}
	rc = sign_fixed(msg, n, &out, &e);
	UNIT_OK("sign-boundary-known", rc == 0 && holds(out.data, out.len, b));
	mime_buf_clear(&out);
	for (at = sizeof(hdr) - 1; at + 40 < n; at++) {
		/* the edge: 65536 octets of CRLF text, about 64700 of LF */
		if (at > 400 && (at < 64400 || at > 65000) && at + 41 < n)
			continue;
		memcpy(copy, msg, n);
		memcpy(copy + at, b, 40);
		rc = sign_fixed(copy, n, &out, &e);
		mime_buf_clear(&out);
		if (rc != -1 || e.code != CMS_ERR_CRYPTO ||
		    strstr(e.msg, "boundary") == NULL)
			bad++;
	}
	UNIT_OK("sign-boundary-in-content-refused", bad == 0);
	memcpy(copy, msg, n);
	memcpy(copy + 5000, b, 10);
	rc = sign_fixed(copy, n, &out, &e);
	mime_buf_clear(&out);
	UNIT_OK("sign-boundary-prefix-alone-signed", rc == 0);
}

static int
gen_ec_other(void)
{
	mbedtls_pk_init(&ec_other);
	return mbedtls_pk_setup(&ec_other,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1,
	    mbedtls_pk_ec(ec_other), cms_rng_func, &rng) != 0 ? -1 : 0;
}

int
main(void)
{
	uint8_t *plain;
	size_t plen;

	mbedtls_pk_init(&rsa_other);
	if (cms_rng_init(&rng) == -1 || load_ident(&rsa, "rsa") ||
	    load_ident(&p256, "p256") || load_ident(&p384, "p384") ||
	    compat_pk_parse_keyfile(&rsa_other, DATA "env_rsa_other.key",
	    NULL) != 0 || gen_ec_other() == -1 ||
	    (plain = slurp(DATA "env_plain.txt", &plen)) == NULL) {
		UNIT_FAIL("env-setup", "cannot load test keys from " DATA);
		UNIT_EXIT();
	}
	test_matrix(plain, plen);
	test_lengths();
	test_multi(plain, plen);
	test_ber(plain, plen);
	test_openssl_files(plain, plen);
	test_negative(plain, plen);
	test_no_recipient(plain, plen);
	test_malformed(plain, 100);
	test_encrypt_misuse(plain, plen);
	test_padding_restored(plain, plen);
	test_sign_pair();
	test_sign_boundary();
	free(plain);
	free_ident(&rsa);
	free_ident(&p256);
	free_ident(&p384);
	mbedtls_pk_free(&rsa_other);
	mbedtls_pk_free(&ec_other);
	cms_rng_free(&rng);
	UNIT_EXIT();
}
