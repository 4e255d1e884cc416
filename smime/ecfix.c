/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fixed-base scalar multiplication for P-256 and P-384, and the s of
 * an ECDSA signature (see ecfix.h).
 *
 * Field elements are n little-endian 64-bit limbs (n = 4 or 6) in
 * Montgomery form (mont.h).  The same code works mod the group order n,
 * for s: any odd modulus will do.
 *
 * Why no addition here meets its exceptional cases: before window i
 * the sum is aG with 0 <= a < 2^(4i), and window i adds b 2^(4i) G with
 * 1 <= b <= 15.  For 1 <= k < n, a + b 2^(4i) <= k < n, so the two
 * points are never equal nor opposite; a = 0 (nothing added yet) and
 * b = 0 (nothing to add) are the two cases the masks choose between.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/platform_util.h>

#include "ecfix.h"
#include "hwcap.h"

#ifdef __SIZEOF_INT128__

#define NMAX	6			/* limbs of P-384 */
#define MONT_MAX NMAX
#include "mont.h"

typedef mont_u128 u128;
#define WBITS	4			/* scalar bits per window */
#define DIGITS	((1 << WBITS) - 1)	/* table entries per window, 1..15 */

struct field {
	size_t		 n;		/* limbs */
	uint64_t	 p[NMAX];
	uint64_t	 pinv;		/* -p^-1 mod 2^64 */
	uint64_t	 rr[NMAX];	/* R^2 mod p: into Montgomery form */
	uint64_t	 one[NMAX];	/* R mod p: 1 in Montgomery form */
};

struct jac {
	uint64_t	 x[NMAX], y[NMAX], z[NMAX];
};

struct ecfix {
	struct field	 f;		/* coordinates: mod p */
	struct field	 order;		/* scalars: mod n */
	size_t		 len;		/* octets of p and of n */
	size_t		 nwin;		/* windows over a scalar */
	uint64_t	*tab;		/* window i, digit j: x, y at
					   ((i * DIGITS) + j - 1) * 2n */
};

static void
fe_select(size_t n, uint64_t *r, const uint64_t *a, uint64_t mask)
{
	size_t i;

	for (i = 0; i < n; i++)
		r[i] = (r[i] & ~mask) | (a[i] & mask);
}

/* mont.h's operations on f's modulus */
#define fe_add_n(f, n, r, a, b)	mont_add((f)->p, (n), (r), (a), (b))
#define fe_sub_n(f, n, r, a, b)	mont_sub((f)->p, (n), (r), (a), (b))
#define fe_mul_n(f, n, r, a, b)	mont_mul((f)->p, (f)->pinv, (n), (r), (a), \
				    (b))

/*
 * The limb count as a constant, so that the compiler unrolls each
 * loop: one copy of every operation for P-256 and one for P-384.
 */
#define FE_DISPATCH(op, f, ...) do {					\
	if ((f)->n == 4)						\
		op##_n((f), 4, __VA_ARGS__);				\
	else								\
		op##_n((f), NMAX, __VA_ARGS__);				\
} while (0)

static void
fe_add(const struct field *f, uint64_t *r, const uint64_t *a,
    const uint64_t *b)
{
	FE_DISPATCH(fe_add, f, r, a, b);
}

static void
fe_sub(const struct field *f, uint64_t *r, const uint64_t *a,
    const uint64_t *b)
{
	FE_DISPATCH(fe_sub, f, r, a, b);
}

static void
fe_mul(const struct field *f, uint64_t *r, const uint64_t *a,
    const uint64_t *b)
{
	FE_DISPATCH(fe_mul, f, r, a, b);
}

static void
fe_sqr(const struct field *f, uint64_t *r, const uint64_t *a)
{
	fe_mul(f, r, a, a);
}

/* r = a^(p-2) = 1/a (0 for a = 0): the exponent is public, 4 bits a step */
static void
fe_inv(const struct field *f, uint64_t *r, const uint64_t *a)
{
	uint64_t pow[16][NMAX], e[NMAX], acc[NMAX];
	size_t i, bit;
	unsigned int d;

	memcpy(e, f->p, sizeof(e));
	e[0] -= 2;			/* p is odd and p[0] > 2 */
	memcpy(pow[0], f->one, sizeof(pow[0]));
	memcpy(pow[1], a, sizeof(pow[1]));
	for (i = 2; i < 16; i++)
		fe_mul(f, pow[i], pow[i - 1], a);
	memcpy(acc, f->one, sizeof(acc));
	for (bit = f->n * 64; bit > 0; bit -= 4) {
		for (i = 0; i < 4; i++)
			fe_sqr(f, acc, acc);
		d = (unsigned int)(e[(bit - 4) / 64] >> ((bit - 4) % 64)) & 15;
		if (d != 0)
			fe_mul(f, acc, acc, pow[d]);
	}
	memcpy(r, acc, f->n * sizeof(uint64_t));
	/* powers of a secret (the nonce, for s) */
	mbedtls_platform_zeroize(pow, sizeof(pow));
	mbedtls_platform_zeroize(acc, sizeof(acc));
}

/* Montgomery form from len big-endian octets, and back */
static void
fe_from_bytes(const struct field *f, uint64_t *r, const uint8_t *b,
    size_t len)
{
	uint64_t v[NMAX];

	mont_be_limbs(b, len, v, NMAX);
	fe_mul(f, r, v, f->rr);
}

static void
fe_to_bytes(const struct field *f, uint8_t *b, size_t len, const uint64_t *a)
{
	uint64_t v[NMAX], unit[NMAX];
	size_t i;

	memset(unit, 0, sizeof(unit));
	unit[0] = 1;
	fe_mul(f, v, a, unit);
	for (i = 0; i < len; i++)
		b[len - 1 - i] = (uint8_t)(v[i / 8] >> (8 * (i % 8)));
}

/*
 * r = p1 + (x2, y2), p1 Jacobian, the other affine (7M + 4S); neither
 * may be the point at infinity nor p1 = +-(x2, y2).  r may be p1.
 */
static void
pt_add_affine(const struct field *f, struct jac *r, const struct jac *p1,
    const uint64_t *x2, const uint64_t *y2)
{
	uint64_t z1z1[NMAX], u2[NMAX], s2[NMAX], h[NMAX], hh[NMAX], i4[NMAX],
	    j[NMAX], rr[NMAX], v[NMAX], x3[NMAX], y3[NMAX], z3[NMAX], t[NMAX];
	size_t sz = f->n * sizeof(uint64_t);

	fe_sqr(f, z1z1, p1->z);
	fe_mul(f, u2, x2, z1z1);
	fe_mul(f, s2, y2, p1->z);
	fe_mul(f, s2, s2, z1z1);
	fe_sub(f, h, u2, p1->x);
	fe_sqr(f, hh, h);
	fe_add(f, i4, hh, hh);
	fe_add(f, i4, i4, i4);
	fe_mul(f, j, h, i4);
	fe_sub(f, rr, s2, p1->y);
	fe_add(f, rr, rr, rr);
	fe_mul(f, v, p1->x, i4);
	/* X3 = r^2 - J - 2V */
	fe_sqr(f, x3, rr);
	fe_sub(f, x3, x3, j);
	fe_sub(f, x3, x3, v);
	fe_sub(f, x3, x3, v);
	/* Y3 = r (V - X3) - 2 Y1 J */
	fe_sub(f, t, v, x3);
	fe_mul(f, y3, rr, t);
	fe_mul(f, t, p1->y, j);
	fe_add(f, t, t, t);
	fe_sub(f, y3, y3, t);
	/* Z3 = (Z1 + H)^2 - Z1Z1 - HH */
	fe_add(f, z3, p1->z, h);
	fe_sqr(f, z3, z3);
	fe_sub(f, z3, z3, z1z1);
	fe_sub(f, z3, z3, hh);
	memcpy(r->x, x3, sz);
	memcpy(r->y, y3, sz);
	memcpy(r->z, z3, sz);
}

/* r = 2 p1 for a curve with a = -3 (dbl-2001-b); r may be p1 */
static void
pt_double(const struct field *f, struct jac *r, const struct jac *p1)
{
	uint64_t delta[NMAX], gamma[NMAX], beta[NMAX], alpha[NMAX], t[NMAX],
	    x3[NMAX], y3[NMAX], z3[NMAX];
	size_t sz = f->n * sizeof(uint64_t);

	fe_sqr(f, delta, p1->z);
	fe_sqr(f, gamma, p1->y);
	fe_mul(f, beta, p1->x, gamma);
	fe_sub(f, t, p1->x, delta);
	fe_add(f, alpha, p1->x, delta);
	fe_mul(f, alpha, alpha, t);
	fe_add(f, t, alpha, alpha);
	fe_add(f, alpha, alpha, t);		/* 3 (X - delta)(X + delta) */
	/* X3 = alpha^2 - 8 beta */
	fe_add(f, beta, beta, beta);
	fe_add(f, beta, beta, beta);		/* 4 beta from here on */
	fe_sqr(f, x3, alpha);
	fe_sub(f, x3, x3, beta);
	fe_sub(f, x3, x3, beta);
	/* Z3 = (Y + Z)^2 - gamma - delta */
	fe_add(f, z3, p1->y, p1->z);
	fe_sqr(f, z3, z3);
	fe_sub(f, z3, z3, gamma);
	fe_sub(f, z3, z3, delta);
	/* Y3 = alpha (4 beta - X3) - 8 gamma^2 */
	fe_sub(f, t, beta, x3);
	fe_mul(f, y3, alpha, t);
	fe_sqr(f, t, gamma);
	fe_add(f, t, t, t);
	fe_add(f, t, t, t);
	fe_add(f, t, t, t);
	fe_sub(f, y3, y3, t);
	memcpy(r->x, x3, sz);
	memcpy(r->y, y3, sz);
	memcpy(r->z, z3, sz);
}

/* p to affine (x, y) in Montgomery form; p not at infinity */
static void
pt_affine(const struct field *f, uint64_t *x, uint64_t *y,
    const struct jac *p)
{
	uint64_t zi[NMAX], zi2[NMAX];

	fe_inv(f, zi, p->z);
	fe_sqr(f, zi2, zi);
	fe_mul(f, x, p->x, zi2);
	if (y != NULL) {
		fe_mul(f, zi2, zi2, zi);
		fe_mul(f, y, p->y, zi2);
	}
}

static uint64_t *
entry(const struct ecfix *e, size_t win, unsigned int digit)
{
	return e->tab + (win * DIGITS + digit - 1) * 2 * e->f.n;
}

/*
 * The points to affine form with one inversion for all (Montgomery's
 * trick): pre[i] is z0 z1 ... zi, so 1/zi = pre[i-1] / pre[i].
 */
#define ROW	(DIGITS + 1)	/* points made for one window */

static void
batch_affine(const struct field *f, const struct jac *pts, size_t cnt,
    uint64_t xy[][2 * NMAX])
{
	uint64_t pre[ROW][NMAX], inv[NMAX], zi[NMAX], zi2[NMAX];
	size_t i, n = f->n;

	memcpy(pre[0], pts[0].z, sizeof(pre[0]));
	for (i = 1; i < cnt; i++)
		fe_mul(f, pre[i], pre[i - 1], pts[i].z);
	fe_inv(f, inv, pre[cnt - 1]);
	for (i = cnt; i-- > 0; ) {
		if (i > 0) {
			fe_mul(f, zi, inv, pre[i - 1]);
			fe_mul(f, inv, inv, pts[i].z);
		} else
			memcpy(zi, inv, sizeof(zi));
		fe_sqr(f, zi2, zi);
		fe_mul(f, xy[i], pts[i].x, zi2);
		fe_mul(f, zi2, zi2, zi);
		fe_mul(f, xy[i] + n, pts[i].y, zi2);
	}
}

/*
 * Window i's row, j 2^(4i) G for j = 1..15, from B = 2^(4i) G (affine,
 * in the row's first entry); and B for the next row, 16 B = 2 (8 B).
 * The table is public: none of this needs to be constant-time.
 */
static void
fill_row(struct ecfix *e, size_t win)
{
	const struct field *f = &e->f;
	size_t n = f->n, sz = n * sizeof(uint64_t);
	const uint64_t *bx = entry(e, win, 1), *by = bx + n;
	struct jac pts[ROW];
	uint64_t xy[ROW][2 * NMAX];
	unsigned int j;

	memcpy(pts[0].x, bx, sz);
	memcpy(pts[0].y, by, sz);
	memcpy(pts[0].z, f->one, sz);
	pt_double(f, &pts[1], &pts[0]);
	for (j = 3; j <= DIGITS; j++)
		pt_add_affine(f, &pts[j - 1], &pts[j - 2], bx, by);
	pt_double(f, &pts[DIGITS], &pts[7]);
	batch_affine(f, pts, ROW, xy);
	for (j = 2; j <= DIGITS; j++)
		memcpy(entry(e, win, j), xy[j - 1], 2 * sz);
	if (win + 1 < e->nwin)
		memcpy(entry(e, win + 1, 1), xy[DIGITS], 2 * sz);
}

/* m (below 2^(8 len)) as little-endian limbs */
static int
limbs_of(const mbedtls_mpi *m, size_t len, uint64_t *out)
{
	uint8_t b[ECFIX_MAX_BYTES];

	if (mbedtls_mpi_write_binary(m, b, len) != 0)
		return -1;
	mont_be_limbs(b, len, out, NMAX);
	return 0;
}

/* 2^bits mod m as limbs */
static int
pow2_mod(size_t bits, const mbedtls_mpi *m, size_t len, uint64_t *out)
{
	mbedtls_mpi v;
	int rc = -1;

	mbedtls_mpi_init(&v);
	if (mbedtls_mpi_lset(&v, 1) == 0 && mbedtls_mpi_shift_l(&v, bits) == 0 &&
	    mbedtls_mpi_mod_mpi(&v, &v, m) == 0 && limbs_of(&v, len, out) == 0)
		rc = 0;
	mbedtls_mpi_free(&v);
	return rc;
}

/* The odd modulus m (p or n), -m^-1 mod 2^64, R mod m and R^2 mod m */
static int
load_field(struct field *f, const mbedtls_mpi *m, size_t len)
{
	f->n = len / 8;
	if (limbs_of(m, len, f->p) == -1 || (f->p[0] & 1) == 0)
		return -1;
	f->pinv = mont_inv64(f->p[0]);
	if (pow2_mod(64 * f->n, m, len, f->one) == -1 ||
	    pow2_mod(128 * f->n, m, len, f->rr) == -1)
		return -1;
	return 0;
}

/* kG by mbedTLS and by the table agree for one scalar with every digit */
static int
self_check(const struct ecfix *e, const mbedtls_ecp_group *grp)
{
	uint8_t k[ECFIX_MAX_BYTES], x[ECFIX_MAX_BYTES], y[ECFIX_MAX_BYTES];
	uint8_t pt[1 + 2 * ECFIX_MAX_BYTES], want[1 + 2 * ECFIX_MAX_BYTES];
	mbedtls_ecp_point r;
	mbedtls_mpi m, zero;
	size_t i, olen;
	int rc = -1;

	/* 0x7f, then octets whose nibbles run through 0..15, some twice */
	k[0] = 0x7f;
	for (i = 1; i < e->len; i++)
		k[i] = (uint8_t)(i * 0x1d + 0x07);
	ecfix_mul(e, k, x, y);
	pt[0] = 0x04;
	memcpy(pt + 1, x, e->len);
	memcpy(pt + 1 + e->len, y, e->len);
	mbedtls_ecp_point_init(&r);
	mbedtls_mpi_init(&m);
	mbedtls_mpi_init(&zero);
	/* muladd, not mul: mbedTLS 3.x's mul wants a random source */
	if (mbedtls_mpi_read_binary(&m, k, e->len) == 0 &&
	    mbedtls_mpi_lset(&zero, 0) == 0 &&
	    mbedtls_ecp_muladd((mbedtls_ecp_group *)grp, &r, &m, &grp->G,
	    &zero, &grp->G) == 0 &&
	    mbedtls_ecp_point_write_binary(grp, &r,
	    MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, want, sizeof(want)) == 0 &&
	    olen == 1 + 2 * e->len && memcmp(want, pt, olen) == 0)
		rc = 0;
	mbedtls_mpi_free(&zero);
	mbedtls_mpi_free(&m);
	mbedtls_ecp_point_free(&r);
	return rc;
}

struct ecfix *
ecfix_new(const mbedtls_ecp_group *grp)
{
	uint8_t g[1 + 2 * ECFIX_MAX_BYTES];
	struct ecfix *e;
	size_t len, olen, win;

	if (hwcap_off())
		return NULL;
	switch (grp->id) {
	case MBEDTLS_ECP_DP_SECP256R1:
		len = 32;
		break;
	case MBEDTLS_ECP_DP_SECP384R1:
		len = 48;
		break;
	default:
		return NULL;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->len = len;
	e->nwin = len * 8 / WBITS;
	if (load_field(&e->f, &grp->P, len) == -1 ||
	    load_field(&e->order, &grp->N, len) == -1 ||
	    mbedtls_ecp_point_write_binary(grp, &grp->G,
	    MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, g, sizeof(g)) != 0 ||
	    olen != 1 + 2 * len ||
	    (e->tab = calloc(e->nwin * DIGITS * 2 * e->f.n,
	    sizeof(uint64_t))) == NULL)
		goto fail;
	fe_from_bytes(&e->f, entry(e, 0, 1), g + 1, len);
	fe_from_bytes(&e->f, entry(e, 0, 1) + e->f.n, g + 1 + len, len);
	for (win = 0; win < e->nwin; win++)
		fill_row(e, win);
	if (self_check(e, grp) == 0)
		return e;
fail:
	ecfix_free(e);
	return NULL;
}

void
ecfix_free(struct ecfix *e)
{
	if (e == NULL)
		return;
	free(e->tab);
	free(e);
}

size_t
ecfix_len(const struct ecfix *e)
{
	return e->len;
}

/* (x, y) = entry digit of window win, or zeros for digit 0: reads all */
static void
lookup(const struct ecfix *e, size_t win, unsigned int digit, uint64_t *x,
    uint64_t *y)
{
	size_t n = e->f.n, i;
	const uint64_t *row = entry(e, win, 1);
	uint64_t take;
	unsigned int j;

	memset(x, 0, n * sizeof(uint64_t));
	memset(y, 0, n * sizeof(uint64_t));
	for (j = 1; j <= DIGITS; j++, row += 2 * n) {
		take = ~mont_mask_nz((uint64_t)(digit ^ j));
		for (i = 0; i < n; i++) {
			x[i] |= row[i] & take;
			y[i] |= row[n + i] & take;
		}
	}
}

void
ecfix_mul(const struct ecfix *e, const uint8_t *k, uint8_t *x, uint8_t *y)
{
	const struct field *f = &e->f;
	uint64_t tx[NMAX], ty[NMAX], ax[NMAX], ay[NMAX];
	uint64_t none = ~(uint64_t)0, some, first;
	struct jac acc, sum;
	unsigned int digit;
	size_t win;

	memset(&acc, 0, sizeof(acc));
	for (win = 0; win < e->nwin; win++) {
		/* the window's 4 bits, from the scalar's low end */
		digit = (k[e->len - 1 - win / 2] >> (4 * (win % 2))) & 15;
		lookup(e, win, digit, tx, ty);
		pt_add_affine(f, &sum, &acc, tx, ty);
		some = mont_mask_nz(digit);
		first = some & none;
		fe_select(f->n, acc.x, sum.x, some & ~none);
		fe_select(f->n, acc.y, sum.y, some & ~none);
		fe_select(f->n, acc.z, sum.z, some & ~none);
		fe_select(f->n, acc.x, tx, first);
		fe_select(f->n, acc.y, ty, first);
		fe_select(f->n, acc.z, f->one, first);
		none &= ~some;
	}
	pt_affine(f, ax, y != NULL ? ay : NULL, &acc);
	fe_to_bytes(f, x, e->len, ax);
	if (y != NULL)
		fe_to_bytes(f, y, e->len, ay);
	mbedtls_platform_zeroize(&acc, sizeof(acc));
	mbedtls_platform_zeroize(&sum, sizeof(sum));
	mbedtls_platform_zeroize(tx, sizeof(tx));
	mbedtls_platform_zeroize(ty, sizeof(ty));
	mbedtls_platform_zeroize(ax, sizeof(ax));
	mbedtls_platform_zeroize(ay, sizeof(ay));
}

void
ecfix_ecdsa_s(const struct ecfix *e, const uint8_t *k, const uint8_t *r,
    const uint8_t *d, const uint8_t *h, uint8_t *s)
{
	const struct field *o = &e->order;
	uint64_t km[NMAX], rm[NMAX], dm[NMAX], hm[NMAX], t[NMAX];

	fe_from_bytes(o, km, k, e->len);
	fe_from_bytes(o, rm, r, e->len);
	fe_from_bytes(o, dm, d, e->len);
	fe_from_bytes(o, hm, h, e->len);
	fe_mul(o, t, rm, dm);
	fe_add(o, t, t, hm);
	fe_inv(o, km, km);
	fe_mul(o, t, t, km);
	fe_to_bytes(o, s, e->len, t);
	mbedtls_platform_zeroize(km, sizeof(km));
	mbedtls_platform_zeroize(dm, sizeof(dm));
	mbedtls_platform_zeroize(hm, sizeof(hm));
	mbedtls_platform_zeroize(rm, sizeof(rm));
	mbedtls_platform_zeroize(t, sizeof(t));
}

#else	/* no 128-bit integers: mbedTLS does it all */

struct ecfix *
ecfix_new(const mbedtls_ecp_group *grp)
{
	(void)grp;
	return NULL;
}

void
ecfix_free(struct ecfix *e)
{
	(void)e;
}

size_t
ecfix_len(const struct ecfix *e)
{
	(void)e;
	return 0;
}

void
ecfix_mul(const struct ecfix *e, const uint8_t *k, uint8_t *x, uint8_t *y)
{
	(void)e;
	(void)k;
	(void)x;
	(void)y;
}

void
ecfix_ecdsa_s(const struct ecfix *e, const uint8_t *k, const uint8_t *r,
    const uint8_t *d, const uint8_t *h, uint8_t *s)
{
	(void)e;
	(void)k;
	(void)r;
	(void)d;
	(void)h;
	(void)s;
}

#endif
