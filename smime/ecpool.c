/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * ECDSA nonces made ahead (see ecpool.h).  The arithmetic is the one
 * of FIPS 186-5 section 6.4.1, done as mbedTLS does it: k uniform in
 * [1, n-1] by rejection (mbedtls_ecp_gen_privkey), R = kG by mbedTLS's
 * blinded scalar multiplication, and the inversion of k blinded by a
 * random t, s = t(e + rd) / (tk), so that the variable-time inversion
 * learns nothing about k.  Only the time at which R is computed moves;
 * and for P-256 and P-384, R comes from a table in constant time
 * (ecfix.c), several times faster than mbedTLS's multiplication, and s
 * from the same constant-time arithmetic, which needs no blinding.
 */
#include <string.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/platform_util.h>

#include "ecfix.h"
#include "ecpool.h"
#include "mbedtls_compat.h"

void
ecpool_init(struct ecpool *p)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	p->id = MBEDTLS_ECP_DP_NONE;
	mbedtls_ecp_group_init(&p->grp);
	for (i = 0; i < ECPOOL_DEPTH; i++) {
		mbedtls_mpi_init(&p->k[i]);
		mbedtls_mpi_init(&p->r[i]);
	}
}

void
ecpool_free(struct ecpool *p)
{
	size_t i;

	/* mbedtls_mpi_free zeroes the limbs before it frees them */
	for (i = 0; i < ECPOOL_DEPTH; i++) {
		mbedtls_mpi_free(&p->k[i]);
		mbedtls_mpi_free(&p->r[i]);
	}
	mbedtls_ecp_group_free(&p->grp);
	ecfix_free(p->fix);
	ecpool_init(p);
}

int
ecpool_arm(struct ecpool *p, mbedtls_ecp_group_id id)
{
	if (id == MBEDTLS_ECP_DP_NONE)
		return -1;
	if (p->id == id)
		return 0;
	ecpool_free(p);
	if (mbedtls_ecp_group_load(&p->grp, id) != 0) {
		ecpool_free(p);
		return -1;
	}
	/* no table (other curve, no memory): mbedTLS multiplies */
	p->fix = ecfix_new(&p->grp);
	p->id = id;
	return 0;
}

int
ecpool_wants(const struct ecpool *p)
{
	return p->id != MBEDTLS_ECP_DP_NONE && p->n < ECPOOL_DEPTH;
}

/* x(kG) by the table, as an integer; k in [1, n-1] */
static int
table_x(const struct ecfix *fix, const mbedtls_mpi *k, mbedtls_mpi *x)
{
	uint8_t kb[ECFIX_MAX_BYTES], xb[ECFIX_MAX_BYTES];
	size_t len = ecfix_len(fix);
	int rc = -1;

	if (mbedtls_mpi_write_binary(k, kb, len) == 0) {
		ecfix_mul(fix, kb, xb, NULL);
		if (mbedtls_mpi_read_binary(x, xb, len) == 0)
			rc = 0;
	}
	mbedtls_platform_zeroize(kb, sizeof(kb));
	mbedtls_platform_zeroize(xb, sizeof(xb));
	return rc;
}

/* x(kG) by mbedTLS's blinded multiplication, as an integer */
static int
library_x(const mbedtls_ecp_group *grp, const mbedtls_mpi *k, mbedtls_mpi *x,
    ecpool_rng_fn rng, void *arg)
{
	uint8_t pt[1 + 2 * MBEDTLS_ECP_MAX_BYTES];
	mbedtls_ecp_point R;
	size_t plen = mbedtls_mpi_size(&grp->P), olen;
	int rc = -1;

	mbedtls_ecp_point_init(&R);
	/* the point's x from its encoding: 3.x keeps the fields private */
	if (mbedtls_ecp_mul((mbedtls_ecp_group *)grp, &R, k, &grp->G, rng,
	    arg) == 0 &&
	    mbedtls_ecp_point_write_binary(grp, &R,
	    MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, pt, sizeof(pt)) == 0 &&
	    olen == 1 + 2 * plen &&
	    mbedtls_mpi_read_binary(x, pt + 1, plen) == 0)
		rc = 0;
	mbedtls_platform_zeroize(pt, sizeof(pt));
	mbedtls_ecp_point_free(&R);
	return rc;
}

/* r = x(kG) mod n; 0, or -1 (r = 0 included: that k is no nonce). */
static int
nonce_r(struct ecpool *p, const mbedtls_mpi *k, mbedtls_mpi *r,
    ecpool_rng_fn rng, void *arg)
{
	mbedtls_mpi x;
	int rc = -1, got;

	mbedtls_mpi_init(&x);
	got = p->fix != NULL ? table_x(p->fix, k, &x) :
	    library_x(&p->grp, k, &x, rng, arg);
	if (got == 0 && mbedtls_mpi_mod_mpi(r, &x, &p->grp.N) == 0 &&
	    mbedtls_mpi_cmp_int(r, 0) != 0)
		rc = 0;
	mbedtls_mpi_free(&x);
	return rc;
}

/* Entry n from k: the pool takes a copy. */
static int
push(struct ecpool *p, const mbedtls_mpi *k, ecpool_rng_fn rng, void *arg)
{
	if (p->id == MBEDTLS_ECP_DP_NONE || p->n >= ECPOOL_DEPTH ||
	    mbedtls_mpi_cmp_int(k, 1) < 0 ||
	    mbedtls_mpi_cmp_mpi(k, &p->grp.N) >= 0 ||
	    mbedtls_mpi_copy(&p->k[p->n], k) != 0 ||
	    nonce_r(p, k, &p->r[p->n], rng, arg) != 0) {
		if (p->n < ECPOOL_DEPTH) {
			mbedtls_mpi_free(&p->k[p->n]);
			mbedtls_mpi_free(&p->r[p->n]);
		}
		return -1;
	}
	p->n++;
	return 0;
}

int
ecpool_fill(struct ecpool *p, ecpool_rng_fn rng, void *arg)
{
	mbedtls_mpi k;
	int rc = -1;

	if (!ecpool_wants(p))
		return -1;
	mbedtls_mpi_init(&k);
	if (mbedtls_ecp_gen_privkey(&p->grp, &k, rng, arg) == 0)
		rc = push(p, &k, rng, arg);
	mbedtls_mpi_free(&k);
	return rc;
}

int
ecpool_add(struct ecpool *p, const mbedtls_mpi *k, ecpool_rng_fn rng,
    void *arg)
{
	return push(p, k, rng, arg);
}

/*
 * e: the leftmost nbits of the hash as an integer, reduced once mod n
 * (SEC 1 4.1.3 step 5; e < 2^nbits < 2n).
 */
static int
hash_to_e(const mbedtls_ecp_group *grp, const uint8_t *hash, size_t hlen,
    mbedtls_mpi *e)
{
	size_t use = (grp->nbits + 7) / 8;

	if (use > hlen)
		use = hlen;
	if (mbedtls_mpi_read_binary(e, hash, use) != 0 ||
	    (use * 8 > grp->nbits &&
	    mbedtls_mpi_shift_r(e, use * 8 - grp->nbits) != 0))
		return -1;
	if (mbedtls_mpi_cmp_mpi(e, &grp->N) >= 0 &&
	    mbedtls_mpi_sub_mpi(e, e, &grp->N) != 0)
		return -1;
	return 0;
}

/* s = t(e + rd) / (tk) mod n, t random: k and s are overwritten. */
static int
compute_s(const mbedtls_ecp_group *grp, mbedtls_mpi *k, const mbedtls_mpi *r,
    const mbedtls_mpi *d, mbedtls_mpi *e, mbedtls_mpi *s, ecpool_rng_fn rng,
    void *arg)
{
	mbedtls_mpi t;
	int rc = -1;

	mbedtls_mpi_init(&t);
	if (mbedtls_ecp_gen_privkey(grp, &t, rng, arg) == 0 &&
	    mbedtls_mpi_mul_mpi(s, r, d) == 0 &&
	    mbedtls_mpi_add_mpi(e, e, s) == 0 &&
	    mbedtls_mpi_mul_mpi(e, e, &t) == 0 &&
	    mbedtls_mpi_mul_mpi(k, k, &t) == 0 &&
	    mbedtls_mpi_mod_mpi(k, k, &grp->N) == 0 &&
	    mbedtls_mpi_inv_mod(s, k, &grp->N) == 0 &&
	    mbedtls_mpi_mul_mpi(s, s, e) == 0 &&
	    mbedtls_mpi_mod_mpi(s, s, &grp->N) == 0 &&
	    mbedtls_mpi_cmp_int(s, 0) != 0)
		rc = 0;
	mbedtls_mpi_free(&t);
	return rc;
}

/* s = (e + rd) / k mod n in the table's constant-time arithmetic */
static int
table_s(const struct ecfix *fix, const mbedtls_mpi *k, const mbedtls_mpi *r,
    const mbedtls_mpi *d, const mbedtls_mpi *e, mbedtls_mpi *s)
{
	uint8_t kb[ECFIX_MAX_BYTES], rb[ECFIX_MAX_BYTES], db[ECFIX_MAX_BYTES];
	uint8_t eb[ECFIX_MAX_BYTES], sb[ECFIX_MAX_BYTES];
	size_t len = ecfix_len(fix);
	int rc = -1;

	if (mbedtls_mpi_write_binary(k, kb, len) == 0 &&
	    mbedtls_mpi_write_binary(r, rb, len) == 0 &&
	    mbedtls_mpi_write_binary(d, db, len) == 0 &&
	    mbedtls_mpi_write_binary(e, eb, len) == 0) {
		ecfix_ecdsa_s(fix, kb, rb, db, eb, sb);
		if (mbedtls_mpi_read_binary(s, sb, len) == 0 &&
		    mbedtls_mpi_cmp_int(s, 0) != 0)
			rc = 0;
	}
	mbedtls_platform_zeroize(kb, sizeof(kb));
	mbedtls_platform_zeroize(db, sizeof(db));
	mbedtls_platform_zeroize(eb, sizeof(eb));
	mbedtls_platform_zeroize(sb, sizeof(sb));
	return rc;
}

/* SEQUENCE { r INTEGER, s INTEGER } into sig. */
static int
write_sig(const mbedtls_mpi *r, const mbedtls_mpi *s, uint8_t *sig,
    size_t cap, size_t *siglen)
{
	unsigned char buf[MBEDTLS_ECDSA_MAX_LEN];
	unsigned char *q = buf + sizeof(buf);
	size_t len = 0;
	int n;

	if ((n = mbedtls_asn1_write_mpi(&q, buf, s)) < 0)
		return -1;
	len += (size_t)n;
	if ((n = mbedtls_asn1_write_mpi(&q, buf, r)) < 0)
		return -1;
	len += (size_t)n;
	if ((n = mbedtls_asn1_write_len(&q, buf, len)) < 0)
		return -1;
	len += (size_t)n;
	if ((n = mbedtls_asn1_write_tag(&q, buf,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
		return -1;
	len += (size_t)n;
	if (len > cap)
		return -1;
	memcpy(sig, q, len);
	*siglen = len;
	return 0;
}

int
ecpool_sign(struct ecpool *p, const mbedtls_pk_context *key,
    const uint8_t *hash, size_t hlen, uint8_t *sig, size_t cap,
    size_t *siglen, ecpool_rng_fn rng, void *arg)
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi k, r, d, e, s;
	int rc = -1;

	if (p->n == 0 || p->id == MBEDTLS_ECP_DP_NONE ||
	    compat_ec_group_id(key) != p->id)
		return 1;
	mbedtls_mpi_init(&k);
	mbedtls_mpi_init(&r);
	/* taken out of the pool first: never used twice, whatever follows */
	p->n--;
	mbedtls_mpi_swap(&k, &p->k[p->n]);
	mbedtls_mpi_swap(&r, &p->r[p->n]);
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&e);
	mbedtls_mpi_init(&s);
	if (compat_ec_export(key, &grp, &d, &q) == 0 &&
	    hash_to_e(&p->grp, hash, hlen, &e) == 0 &&
	    (p->fix != NULL ? table_s(p->fix, &k, &r, &d, &e, &s) :
	    compute_s(&p->grp, &k, &r, &d, &e, &s, rng, arg)) == 0 &&
	    write_sig(&r, &s, sig, cap, siglen) == 0)
		rc = 0;
	/* wiped as they are freed: the nonce, the key's copy, the sums */
	mbedtls_mpi_free(&k);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&d);
	mbedtls_mpi_free(&e);
	mbedtls_mpi_free(&s);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	return rc;
}
