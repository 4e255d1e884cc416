/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The RSA private key operation by CRT in constant time (see
 * rsafix.h).
 *
 * Numbers are 64-bit limbs, in Montgomery form for the products
 * (mont.h).  Only the public exponent e decides a branch (in the
 * check); the primes, their exponents and the blinding values never
 * do, nor the address of anything read.
 *
 * The set-up (R^2 mod each modulus, the first blinding pair) uses
 * mbedTLS's bignums, once per key, as mbedTLS itself does for its own
 * cached values.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>

#include "hwcap.h"
#include "rsafix.h"

#ifdef __SIZEOF_INT128__

#define PMAX	32		/* limbs of a prime of RSA-4096 */
#define NMAX	(2 * PMAX)	/* limbs of its modulus */
#define MONT_MAX NMAX
#include "mont.h"

typedef mont_u128 u128;
#define WBITS	5		/* exponent bits per window */
#define WSIZE	(1 << WBITS)	/* table entries */

struct mod {
	size_t		 n;		/* limbs */
	uint64_t	 inv;		/* -1/m mod 2^64 */
	uint64_t	 m[NMAX];
	uint64_t	 rr[NMAX];	/* R^2 mod m */
	uint64_t	 one[NMAX];	/* R mod m, 1 in Montgomery form */
};

/* Everything here is secret but the limb counts (each_secret names it). */
struct secret {
	struct mod	 p, q;
	/* one more limb of 0: the top window reads past the top */
	uint64_t	 dp[PMAX + 1];
	uint64_t	 dq[PMAX + 1];
	uint64_t	 qinv[PMAX];	/* 1/q mod p, in Montgomery form */
	uint64_t	 vi[NMAX];	/* blinding: vi = vf^-e mod n, both */
	uint64_t	 vf[NMAX];	/*   in Montgomery form */
};

struct rsafix {
	size_t		 len;		/* octets of n */
	size_t		 l;		/* limbs of a prime */
	uint64_t	 e;
	struct mod	 n;
	void		(*publish)(const void *, size_t);
	struct secret	 s;
};

/* mont.h's operations on md's modulus */
MONT_INLINE void
reduce_once_n(const struct mod *md, size_t n, uint64_t *r, const uint64_t *t,
    uint64_t hi)
{
	mont_reduce_once(md->m, n, r, t, hi);
}

MONT_INLINE void
mont_n(const struct mod *md, size_t n, uint64_t *r, const uint64_t *a,
    const uint64_t *b)
{
	mont_mul(md->m, md->inv, n, r, a, b);
}

/* r = t / R mod m for t of 2n limbs below m R (t is overwritten) */
static inline __attribute__((always_inline)) void
redc_n(const struct mod *m, size_t n, uint64_t *r, uint64_t *t)
{
	uint64_t c, q, top = 0;
	size_t i, j;
	u128 acc;

	for (i = 0; i < n; i++) {
		q = t[i] * m->inv;
		c = 0;
#pragma GCC unroll 6
		for (j = 0; j < n; j++) {
			acc = (u128)q * m->m[j] + t[i + j] + c;
			t[i + j] = (uint64_t)acc;
			c = (uint64_t)(acc >> 64);
		}
		acc = (u128)t[i + n] + c + top;
		t[i + n] = (uint64_t)acc;
		top = (uint64_t)(acc >> 64);
	}
	reduce_once_n(m, n, r, t + n, top);
}

/*
 * r = a^2 / R mod m, for a < m: each product of two different limbs is
 * made once and doubled, a quarter fewer multiplications than mont_n.
 */
static inline __attribute__((always_inline)) void
sqr_n(const struct mod *m, size_t n, uint64_t *r, const uint64_t *a)
{
	uint64_t t[2 * NMAX], c, top;
	size_t i, j;
	u128 acc;

	memset(t, 0, 2 * n * sizeof(uint64_t));
	for (i = 0; i < n; i++) {
		c = 0;
#pragma GCC unroll 6
		for (j = i + 1; j < n; j++) {
			acc = (u128)a[i] * a[j] + t[i + j] + c;
			t[i + j] = (uint64_t)acc;
			c = (uint64_t)(acc >> 64);
		}
		t[i + n] = c;
	}
	for (top = 0, i = 0; i < 2 * n; i++) {
		c = t[i] >> 63;
		t[i] = (t[i] << 1) | top;
		top = c;
	}
#pragma GCC unroll 6
	for (c = 0, i = 0; i < n; i++) {
		acc = (u128)a[i] * a[i] + t[2 * i] + c;
		t[2 * i] = (uint64_t)acc;
		acc = (u128)t[2 * i + 1] + (uint64_t)(acc >> 64);
		t[2 * i + 1] = (uint64_t)acc;
		c = (uint64_t)(acc >> 64);
	}
	redc_n(m, n, r, t);
}

/*
 * The limb count as a constant for the primes' sizes, so that the
 * compiler unrolls the inner loops of the exponentiation's squares.
 */
static void
msqr(const struct mod *m, uint64_t *r, const uint64_t *a)
{
	switch (m->n) {
	case 16:
		sqr_n(m, 16, r, a);
		break;
	case 24:
		sqr_n(m, 24, r, a);
		break;
	case 32:
		sqr_n(m, 32, r, a);
		break;
	default:
		sqr_n(m, m->n, r, a);
		break;
	}
}

/* the same for products */
static void
mont(const struct mod *m, uint64_t *r, const uint64_t *a, const uint64_t *b)
{
	switch (m->n) {
	case 16:
		mont_n(m, 16, r, a, b);
		break;
	case 24:
		mont_n(m, 24, r, a, b);
		break;
	case 32:
		mont_n(m, 32, r, a, b);
		break;
	default:
		mont_n(m, m->n, r, a, b);
		break;
	}
}

/* n limbs as 8 n big-endian octets */
static void
limbs_be(const uint64_t *v, size_t n, uint8_t *b)
{
	size_t i;

	for (i = 0; i < 8 * n; i++)
		b[8 * n - 1 - i] = (uint8_t)(v[i / 8] >> (8 * (i % 8)));
}

/* an mbedTLS number as n limbs: -1 if it needs more */
static int
mpi_limbs(const mbedtls_mpi *x, uint64_t *v, size_t n)
{
	uint8_t b[8 * NMAX];
	int rc;

	rc = mbedtls_mpi_write_binary(x, b, 8 * n) == 0 ? 0 : -1;
	if (rc == 0)
		mont_be_limbs(b, 8 * n, v, n);
	mbedtls_platform_zeroize(b, sizeof(b));
	return rc;
}

/* m's Montgomery constants, from m as an mbedTLS number of n limbs */
static int
load_mod(struct mod *m, const mbedtls_mpi *x, size_t n)
{
	mbedtls_mpi rr;
	uint64_t unit[NMAX] = { 1 };
	int rc = -1;

	m->n = n;
	mbedtls_mpi_init(&rr);
	if (mpi_limbs(x, m->m, n) == -1 || (m->m[0] & 1) == 0 ||
	    mbedtls_mpi_lset(&rr, 1) != 0 ||
	    mbedtls_mpi_shift_l(&rr, 128 * n) != 0 ||
	    mbedtls_mpi_mod_mpi(&rr, &rr, x) != 0 ||
	    mpi_limbs(&rr, m->rr, n) == -1)
		goto out;
	m->inv = mont_inv64(m->m[0]);
	mont(m, m->one, m->rr, unit);
	rc = 0;
out:
	mbedtls_mpi_free(&rr);
	return rc;
}

/*
 * r = x^e mod m in Montgomery form (x too), e of 64 n bits (and a limb
 * of 0 above them), 5 bits a step from the top; the step's power of x
 * is read from the table by masks.
 */
static void
mod_exp(const struct mod *m, uint64_t *r, const uint64_t *x,
    const uint64_t *e)
{
	uint64_t tab[WSIZE][PMAX], pick[PMAX], take;
	size_t n = m->n, nwin = (64 * n + WBITS - 1) / WBITS, w, i, pos;
	unsigned int digit, j, k;

	memcpy(tab[0], m->one, n * sizeof(uint64_t));
	memcpy(tab[1], x, n * sizeof(uint64_t));
	for (j = 2; j < WSIZE; j++)
		mont(m, tab[j], tab[j - 1], x);
	memcpy(r, m->one, n * sizeof(uint64_t));
	for (w = nwin; w-- > 0;) {
		pos = w * WBITS;
		/* the window's bits; where they start is public */
		digit = (unsigned int)(e[pos / 64] >> (pos % 64));
		if (pos % 64 > 64 - WBITS)
			digit |= (unsigned int)(e[pos / 64 + 1] <<
			    (64 - pos % 64));
		digit &= WSIZE - 1;
		if (w + 1 < nwin)
			for (k = 0; k < WBITS; k++)
				msqr(m, r, r);
		memset(pick, 0, sizeof(pick));
		for (j = 0; j < WSIZE; j++) {
			take = ~mont_mask_nz((uint64_t)(digit ^ j));
			for (i = 0; i < n; i++)
				pick[i] |= tab[j][i] & take;
		}
		mont(m, r, r, pick);
	}
	mbedtls_platform_zeroize(tab, sizeof(tab));
	mbedtls_platform_zeroize(pick, sizeof(pick));
}

/* r = c mod p for c of 2 p->n limbs, as a plain number (not Montgomery) */
static void
reduce_wide(const struct mod *p, uint64_t *r, const uint64_t *c)
{
	/* zeroed only for gcc 12's "may be used uninitialized" */
	uint64_t hi[PMAX] = { 0 }, lo[PMAX] = { 0 };
	size_t n = p->n;

	/* each half is below 2^(64n) <= 2p: one subtraction reduces it */
	reduce_once_n(p, n, hi, c + n, 0);
	reduce_once_n(p, n, lo, c, 0);
	mont(p, hi, hi, p->rr);		/* hi R mod p */
	mont_add(p->m, n, r, hi, lo);
	mbedtls_platform_zeroize(hi, sizeof(hi));
	mbedtls_platform_zeroize(lo, sizeof(lo));
}

/* r = c^d mod prime, c of 2 n limbs, through Montgomery form */
static void
half(const struct mod *p, const uint64_t *d, uint64_t *r, const uint64_t *c)
{
	uint64_t x[PMAX], unit[PMAX] = { 1 };

	reduce_wide(p, x, c);
	mont(p, x, x, p->rr);
	mod_exp(p, r, x, d);
	mont(p, r, r, unit);
	mbedtls_platform_zeroize(x, sizeof(x));
}

/* r = a b for a, b of n limbs, r of 2 n */
static void
mul_wide(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n)
{
	uint64_t c;
	size_t i, j;
	u128 acc;

	memset(r, 0, 2 * n * sizeof(uint64_t));
	for (i = 0; i < n; i++) {
		c = 0;
		for (j = 0; j < n; j++) {
			acc = (u128)a[j] * b[i] + r[i + j] + c;
			r[i + j] = (uint64_t)acc;
			c = (uint64_t)(acc >> 64);
		}
		r[i + n] = c;
	}
}

/*
 * s = c^d mod n by CRT (Garner): m1 = c^dp mod p, m2 = c^dq mod q,
 * s = m2 + q ((m1 - m2) / q mod p).  c and s are plain, 2 l limbs.
 */
static void
crt(const struct rsafix *f, const uint64_t *c, uint64_t *s)
{
	const struct secret *k = &f->s;
	uint64_t m1[PMAX], m2[PMAX], m2p[PMAX], h[PMAX], c2;
	size_t l = f->l, i;
	u128 x;

	half(&k->p, k->dp, m1, c);
	half(&k->q, k->dq, m2, c);
	reduce_once_n(&k->p, l, m2p, m2, 0);	/* q < 2^(64 l) <= 2p */
	mont_sub(k->p.m, l, h, m1, m2p);
	mont(&k->p, h, h, k->qinv);		/* (m1 - m2) / q mod p */
	mul_wide(s, h, k->q.m, l);
	for (c2 = 0, i = 0; i < 2 * l; i++) {
		x = (u128)s[i] + (i < l ? m2[i] : 0) + c2;
		s[i] = (uint64_t)x;
		c2 = (uint64_t)(x >> 64);
	}
	mbedtls_platform_zeroize(m1, sizeof(m1));
	mbedtls_platform_zeroize(m2, sizeof(m2));
	mbedtls_platform_zeroize(m2p, sizeof(m2p));
	mbedtls_platform_zeroize(h, sizeof(h));
}

/* r = s^e mod n for the check: e is public, so plain square-and-multiply */
static void
public_op(const struct rsafix *f, uint64_t *r, const uint64_t *s)
{
	const struct mod *n = &f->n;
	uint64_t sm[NMAX], unit[NMAX] = { 1 };
	int bit;

	mont(n, sm, s, n->rr);
	memcpy(r, sm, n->n * sizeof(uint64_t));
	for (bit = 62 - __builtin_clzll(f->e); bit >= 0; bit--) {
		mont(n, r, r, r);
		if ((f->e >> bit) & 1)
			mont(n, r, r, sm);
	}
	mont(n, r, r, unit);
}

int
rsafix_private(struct rsafix *f, const uint8_t *in, uint8_t *out)
{
	const struct mod *n = &f->n;
	struct secret *k = &f->s;
	uint64_t c[NMAX], b[NMAX], s[NMAX], back[NMAX];
	size_t nl = n->n;
	int rc = -1;

	mont_be_limbs(in, f->len, c, nl);
	/* c < n: the input is public, so is this comparison */
	reduce_once_n(n, nl, b, c, 0);
	if (memcmp(b, c, nl * sizeof(uint64_t)) != 0)
		return -1;
	mont(n, b, c, k->vi);			/* c vi mod n */
	crt(f, b, s);				/* (c vi)^d = c^d / vf */
	mont(n, s, s, k->vf);			/* c^d */
	mont(n, k->vi, k->vi, k->vi);		/* the next pair */
	mont(n, k->vf, k->vf, k->vf);
	if (f->publish != NULL)
		f->publish(s, sizeof(s));
	public_op(f, back, s);
	if (memcmp(back, c, nl * sizeof(uint64_t)) == 0) {
		limbs_be(s, nl, out);
		rc = 0;
	}
	mbedtls_platform_zeroize(b, sizeof(b));
	mbedtls_platform_zeroize(s, sizeof(s));
	return rc;
}

int
rsafix_sign(struct rsafix *f, mbedtls_md_type_t md, const uint8_t *hash,
    size_t hashlen, uint8_t *sig)
{
	const mbedtls_md_info_t *info;
	uint8_t em[8 * NMAX], *p;
	const char *oid;
	size_t oidlen, tlen;

	if ((info = mbedtls_md_info_from_type(md)) == NULL ||
	    mbedtls_md_get_size(info) != hashlen ||
	    mbedtls_oid_get_oid_by_md(md, &oid, &oidlen) != 0 ||
	    oidlen > 0x7f - 8 || hashlen > 0x7f - 10 - oidlen)
		return -1;
	/* DigestInfo: SEQUENCE { SEQUENCE { oid, NULL }, OCTET STRING } */
	tlen = 10 + oidlen + hashlen;
	if (f->len < tlen + 11)
		return -1;
	p = em;
	*p++ = 0x00;
	*p++ = 0x01;
	memset(p, 0xff, f->len - tlen - 3);
	p += f->len - tlen - 3;
	*p++ = 0x00;
	*p++ = 0x30;
	*p++ = (uint8_t)(tlen - 2);
	*p++ = 0x30;
	*p++ = (uint8_t)(oidlen + 4);
	*p++ = 0x06;
	*p++ = (uint8_t)oidlen;
	memcpy(p, oid, oidlen);
	p += oidlen;
	*p++ = 0x05;
	*p++ = 0x00;
	*p++ = 0x04;
	*p++ = (uint8_t)hashlen;
	memcpy(p, hash, hashlen);
	return rsafix_private(f, em, sig);
}

/* the first blinding pair: vf random, vi = vf^-e, in Montgomery form */
static int
blinding(struct rsafix *f, const mbedtls_mpi *nn, const mbedtls_mpi *e,
    int (*rng)(void *, unsigned char *, size_t), void *prng)
{
	mbedtls_mpi vf, vi;
	uint64_t t[NMAX];
	int rc = -1;

	mbedtls_mpi_init(&vf);
	mbedtls_mpi_init(&vi);
	if (mbedtls_mpi_fill_random(&vf, f->len - 1, rng, prng) != 0 ||
	    mbedtls_mpi_cmp_int(&vf, 1) <= 0 ||
	    mbedtls_mpi_inv_mod(&vi, &vf, nn) != 0 ||
	    mbedtls_mpi_exp_mod(&vi, &vi, e, nn, NULL) != 0 ||
	    mpi_limbs(&vf, t, f->n.n) == -1)
		goto out;
	mont(&f->n, f->s.vf, t, f->n.rr);
	if (mpi_limbs(&vi, t, f->n.n) == -1)
		goto out;
	mont(&f->n, f->s.vi, t, f->n.rr);
	rc = 0;
out:
	mbedtls_platform_zeroize(t, sizeof(t));
	mbedtls_mpi_free(&vf);
	mbedtls_mpi_free(&vi);
	return rc;
}

/* the key's values into f: -1 for a key of another shape */
static int
load_key(struct rsafix *f, const mbedtls_mpi *nn, const mbedtls_mpi *p,
    const mbedtls_mpi *q, const mbedtls_mpi *dp, const mbedtls_mpi *dq,
    const mbedtls_mpi *qp, const mbedtls_mpi *e)
{
	uint64_t t[PMAX];
	size_t l, bits = mbedtls_mpi_bitlen(p);
	int rc = -1;

	l = bits / 64;
	if ((l != 16 && l != 24 && l != 32) || bits != 64 * l ||
	    mbedtls_mpi_bitlen(q) != bits ||
	    mbedtls_mpi_bitlen(nn) != 2 * bits ||
	    mbedtls_mpi_bitlen(e) > 64 || mbedtls_mpi_bitlen(e) < 2)
		return -1;
	f->l = l;
	f->len = 16 * l;
	if (load_mod(&f->n, nn, 2 * l) == -1 ||
	    load_mod(&f->s.p, p, l) == -1 ||
	    load_mod(&f->s.q, q, l) == -1 ||
	    mpi_limbs(dp, f->s.dp, l) == -1 ||
	    mpi_limbs(dq, f->s.dq, l) == -1 ||
	    mpi_limbs(qp, t, l) == -1 ||
	    mpi_limbs(e, &f->e, 1) == -1)
		goto out;
	mont(&f->s.p, f->s.qinv, t, f->s.p.rr);	/* qinv R mod p */
	rc = 0;
out:
	mbedtls_platform_zeroize(t, sizeof(t));
	return rc;
}

struct rsafix *
rsafix_new(const mbedtls_rsa_context *rsa,
    int (*rng)(void *, unsigned char *, size_t), void *prng)
{
	mbedtls_mpi nn, p, q, d, e, dp, dq, qp;
	struct rsafix *f;
	int ok;

	if (!rsafix_available() || (f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	mbedtls_mpi_init(&nn);
	mbedtls_mpi_init(&p);
	mbedtls_mpi_init(&q);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&e);
	mbedtls_mpi_init(&dp);
	mbedtls_mpi_init(&dq);
	mbedtls_mpi_init(&qp);
	ok = mbedtls_rsa_export(rsa, &nn, &p, &q, &d, &e) == 0 &&
	    mbedtls_rsa_export_crt(rsa, &dp, &dq, &qp) == 0 &&
	    load_key(f, &nn, &p, &q, &dp, &dq, &qp, &e) == 0 &&
	    f->len == mbedtls_rsa_get_len(rsa) &&
	    blinding(f, &nn, &e, rng, prng) == 0;
	mbedtls_mpi_free(&nn);
	mbedtls_mpi_free(&p);		/* mbedtls_mpi_free wipes */
	mbedtls_mpi_free(&q);
	mbedtls_mpi_free(&d);
	mbedtls_mpi_free(&e);
	mbedtls_mpi_free(&dp);
	mbedtls_mpi_free(&dq);
	mbedtls_mpi_free(&qp);
	if (ok)
		return f;
	rsafix_free(f);
	return NULL;
}

void
rsafix_free(struct rsafix *f)
{
	if (f == NULL)
		return;
	mbedtls_platform_zeroize(f, sizeof(*f));
	free(f);
}

int
rsafix_available(void)
{
	return !hwcap_off();
}

size_t
rsafix_len(const struct rsafix *f)
{
	return f->len;
}

/* every secret value, to fn: the first prime's limbs first */
static void
each_secret(struct rsafix *f, void (*fn)(const void *, size_t))
{
	struct secret *k = &f->s;
	struct mod *m[] = { &k->p, &k->q };
	size_t i;

	for (i = 0; i < 2; i++) {
		fn(m[i]->m, sizeof(m[i]->m));
		fn(&m[i]->inv, sizeof(m[i]->inv));
		fn(m[i]->rr, sizeof(m[i]->rr));
		fn(m[i]->one, sizeof(m[i]->one));
	}
	fn(k->dp, sizeof(k->dp));
	fn(k->dq, sizeof(k->dq));
	fn(k->qinv, sizeof(k->qinv));
	fn(k->vi, sizeof(k->vi));
	fn(k->vf, sizeof(k->vf));
}

void
rsafix_ct_hooks(struct rsafix *f, void (*secret)(const void *, size_t),
    void (*publish)(const void *, size_t))
{
	if (secret != NULL)
		each_secret(f, secret);
	f->publish = publish;
}

#else	/* no 128-bit integers: mbedTLS signs */

struct rsafix *
rsafix_new(const mbedtls_rsa_context *rsa,
    int (*rng)(void *, unsigned char *, size_t), void *prng)
{
	(void)rsa;
	(void)rng;
	(void)prng;
	return NULL;
}

void
rsafix_free(struct rsafix *f)
{
	(void)f;
}

int
rsafix_available(void)
{
	return 0;
}

size_t
rsafix_len(const struct rsafix *f)
{
	(void)f;
	return 0;
}

int
rsafix_private(struct rsafix *f, const uint8_t *in, uint8_t *out)
{
	(void)f;
	(void)in;
	(void)out;
	return -1;
}

int
rsafix_sign(struct rsafix *f, mbedtls_md_type_t md, const uint8_t *hash,
    size_t hashlen, uint8_t *sig)
{
	(void)f;
	(void)md;
	(void)hash;
	(void)hashlen;
	(void)sig;
	return -1;
}

void
rsafix_ct_hooks(struct rsafix *f, void (*secret)(const void *, size_t),
    void (*publish)(const void *, size_t))
{
	(void)f;
	(void)secret;
	(void)publish;
}

#endif
