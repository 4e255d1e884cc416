/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * AES key wrap: RFC 3394 section 4 vectors, tamper and wrong-KEK checks,
 * argument checks, in-place operation.
 *
 * The six expected ciphertexts are those printed in RFC 3394 section 4;
 * they were also reproduced with python cryptography's aes_key_wrap when
 * this file was written.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/aes.h>

#include "kw.h"
#include "unit.h"

static const unsigned char kek_bytes[32] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f
};

static const unsigned char key_bytes[32] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
};

static const unsigned char c41[] = {
	0x1f, 0xa6, 0x8b, 0x0a, 0x81, 0x12, 0xb4, 0x47,
	0xae, 0xf3, 0x4b, 0xd8, 0xfb, 0x5a, 0x7b, 0x82,
	0x9d, 0x3e, 0x86, 0x23, 0x71, 0xd2, 0xcf, 0xe5
};
static const unsigned char c42[] = {
	0x96, 0x77, 0x8b, 0x25, 0xae, 0x6c, 0xa4, 0x35,
	0xf9, 0x2b, 0x5b, 0x97, 0xc0, 0x50, 0xae, 0xd2,
	0x46, 0x8a, 0xb8, 0xa1, 0x7a, 0xd8, 0x4e, 0x5d
};
static const unsigned char c43[] = {
	0x64, 0xe8, 0xc3, 0xf9, 0xce, 0x0f, 0x5b, 0xa2,
	0x63, 0xe9, 0x77, 0x79, 0x05, 0x81, 0x8a, 0x2a,
	0x93, 0xc8, 0x19, 0x1e, 0x7d, 0x6e, 0x8a, 0xe7
};
static const unsigned char c44[] = {
	0x03, 0x1d, 0x33, 0x26, 0x4e, 0x15, 0xd3, 0x32,
	0x68, 0xf2, 0x4e, 0xc2, 0x60, 0x74, 0x3e, 0xdc,
	0xe1, 0xc6, 0xc7, 0xdd, 0xee, 0x72, 0x5a, 0x93,
	0x6b, 0xa8, 0x14, 0x91, 0x5c, 0x67, 0x62, 0xd2
};
static const unsigned char c45[] = {
	0xa8, 0xf9, 0xbc, 0x16, 0x12, 0xc6, 0x8b, 0x3f,
	0xf6, 0xe6, 0xf4, 0xfb, 0xe3, 0x0e, 0x71, 0xe4,
	0x76, 0x9c, 0x8b, 0x80, 0xa3, 0x2c, 0xb8, 0x95,
	0x8c, 0xd5, 0xd1, 0x7d, 0x6b, 0x25, 0x4d, 0xa1
};
static const unsigned char c46[] = {
	0x28, 0xc9, 0xf4, 0x04, 0xc4, 0xb8, 0x10, 0xf4,
	0xcb, 0xcc, 0xb3, 0x5c, 0xfb, 0x87, 0xf8, 0x26,
	0x3f, 0x57, 0x86, 0xe2, 0xd8, 0x0e, 0xd3, 0x26,
	0xcb, 0xc7, 0xf0, 0xe7, 0x1a, 0x99, 0xf4, 0x3b,
	0xfb, 0x98, 0x8b, 0x9b, 0x7a, 0x02, 0xdd, 0x21
};

struct kw_vector {
	const char		*name;
	size_t			 keklen;
	size_t			 keylen;
	const unsigned char	*wrapped;
};

/* RFC 3394 section 4: KEK and key data are prefixes of the arrays above. */
static const struct kw_vector vectors[] = {
	{ "4.1", 16, 16, c41 },
	{ "4.2", 24, 16, c42 },
	{ "4.3", 32, 16, c43 },
	{ "4.4", 24, 24, c44 },
	{ "4.5", 32, 24, c45 },
	{ "4.6", 32, 32, c46 },
};

static int
all_zero(const unsigned char *p, size_t len)
{
	unsigned char	 acc = 0;
	size_t		 i;

	for (i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

static void
test_vector(const struct kw_vector *v)
{
	unsigned char	 out[48], back[48];
	size_t		 outlen, backlen;
	char		 name[64];
	int		 rv;

	snprintf(name, sizeof(name), "kw_wrap_rfc3394_%s", v->name);
	rv = kw_wrap(kek_bytes, v->keklen, key_bytes, v->keylen, out,
	    sizeof(out), &outlen);
	UNIT_OK(name, rv == 0 && outlen == v->keylen + KW_OVERHEAD &&
	    memcmp(out, v->wrapped, outlen) == 0);

	snprintf(name, sizeof(name), "kw_unwrap_rfc3394_%s", v->name);
	rv = kw_unwrap(kek_bytes, v->keklen, v->wrapped,
	    v->keylen + KW_OVERHEAD, back, sizeof(back), &backlen);
	UNIT_OK(name, rv == 0 && backlen == v->keylen &&
	    memcmp(back, key_bytes, backlen) == 0);
}

/* Flipping any bit of any byte must make unwrap fail and wipe out. */
static void
test_tamper(const struct kw_vector *v)
{
	unsigned char	 in[48], out[48];
	size_t		 inlen, outlen, i, bad = 0;
	char		 name[64];
	int		 rv;

	inlen = v->keylen + KW_OVERHEAD;
	for (i = 0; i < inlen; i++) {
		memcpy(in, v->wrapped, inlen);
		in[i] ^= (unsigned char)(1u << (i % 8));
		memset(out, 0x5a, sizeof(out));
		outlen = 99;
		rv = kw_unwrap(kek_bytes, v->keklen, in, inlen, out,
		    sizeof(out), &outlen);
		if (rv != -1 || outlen != 0 || !all_zero(out, v->keylen)) {
			snprintf(name, sizeof(name), "kw_tamper_%s", v->name);
			UNIT_FAIL(name, "byte %zu flipped: rv %d outlen %zu",
			    i, rv, outlen);
			bad++;
		}
	}
	if (bad == 0) {
		snprintf(name, sizeof(name), "kw_tamper_%s", v->name);
		UNIT_PASS(name);
	}
}

/*
 * RFC 3394 2.2.1 again, with a caller's IV, so a test can make wrapped
 * keys whose unwrapped IV is off in exactly one byte.  Checked against
 * vector 4.1 with the default IV before use.
 */
static int
wrap_with_iv(const unsigned char iv[8], const unsigned char *kek,
    size_t keklen, const unsigned char *p, size_t plen, unsigned char *c)
{
	mbedtls_aes_context	 aes;
	unsigned char		 b[16];
	size_t			 n = plen / 8, i, j, k;
	uint64_t		 t;
	int			 rv = -1;

	mbedtls_aes_init(&aes);
	if (mbedtls_aes_setkey_enc(&aes, kek, (unsigned int)keklen * 8) != 0)
		goto done;
	memcpy(b, iv, 8);
	memcpy(c + 8, p, plen);
	for (j = 0; j < 6; j++) {
		for (i = 1; i <= n; i++) {
			memcpy(b + 8, c + 8 * i, 8);
			if (mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT,
			    b, b) != 0)
				goto done;
			t = (uint64_t)(n * j + i);
			for (k = 0; k < 8; k++)
				b[7 - k] ^= (unsigned char)(t >> (8 * k));
			memcpy(c + 8 * i, b + 8, 8);
		}
	}
	memcpy(c, b, 8);
	rv = 0;
 done:
	mbedtls_aes_free(&aes);
	return rv;
}

/* Every bit of the 8-byte IV takes part in the integrity check. */
static void
test_iv_check(void)
{
	unsigned char	 iv[8], c[24], out[16];
	size_t		 outlen, i, bad = 0;
	int		 rv;

	memset(iv, 0xa6, sizeof(iv));
	rv = wrap_with_iv(iv, kek_bytes, 16, key_bytes, 16, c);
	UNIT_OK("kw_test_helper_matches_4.1", rv == 0 &&
	    memcmp(c, c41, sizeof(c41)) == 0);
	for (i = 0; i < 64; i++) {
		memset(iv, 0xa6, sizeof(iv));
		iv[i / 8] ^= (unsigned char)(1u << (i % 8));
		memset(out, 0x5a, sizeof(out));
		if (wrap_with_iv(iv, kek_bytes, 16, key_bytes, 16, c) != 0 ||
		    kw_unwrap(kek_bytes, 16, c, sizeof(c), out, sizeof(out),
		    &outlen) != -1 || outlen != 0 || !all_zero(out, 16))
			bad++;
	}
	UNIT_OK("kw_iv_every_bit_checked", bad == 0);
}

static void
test_wrong_kek(void)
{
	unsigned char	 kek[32], out[48];
	size_t		 outlen;
	int		 rv;

	memcpy(kek, kek_bytes, sizeof(kek));
	kek[31] ^= 0x01;
	memset(out, 0x5a, sizeof(out));
	rv = kw_unwrap(kek, 32, c46, sizeof(c46), out, sizeof(out), &outlen);
	UNIT_OK("kw_wrong_kek", rv == -1 && outlen == 0 && all_zero(out, 32));

	/* Right bytes, wrong length: the 4.6 KEK cut to 128 bits. */
	memset(out, 0x5a, sizeof(out));
	rv = kw_unwrap(kek_bytes, 16, c46, sizeof(c46), out, sizeof(out),
	    &outlen);
	UNIT_OK("kw_wrong_kek_size", rv == -1 && outlen == 0 &&
	    all_zero(out, 32));
}

static void
test_args(void)
{
	unsigned char	 out[64];
	size_t		 outlen;

	UNIT_OK("kw_wrap_rejects_8_bytes",
	    kw_wrap(kek_bytes, 16, key_bytes, 8, out, sizeof(out),
	    &outlen) == -1);
	UNIT_OK("kw_wrap_rejects_non_multiple_of_8",
	    kw_wrap(kek_bytes, 16, key_bytes, 20, out, sizeof(out),
	    &outlen) == -1);
	UNIT_OK("kw_wrap_rejects_kek_20",
	    kw_wrap(kek_bytes, 20, key_bytes, 16, out, sizeof(out),
	    &outlen) == -1);
	UNIT_OK("kw_wrap_rejects_small_out",
	    kw_wrap(kek_bytes, 16, key_bytes, 16, out, 23, &outlen) == -1);
	UNIT_OK("kw_unwrap_rejects_16_bytes",
	    kw_unwrap(kek_bytes, 16, c41, 16, out, sizeof(out),
	    &outlen) == -1);
	UNIT_OK("kw_unwrap_rejects_non_multiple_of_8",
	    kw_unwrap(kek_bytes, 16, c41, 23, out, sizeof(out),
	    &outlen) == -1);
	UNIT_OK("kw_unwrap_rejects_small_out",
	    kw_unwrap(kek_bytes, 16, c41, sizeof(c41), out, 15,
	    &outlen) == -1);
	UNIT_OK("kw_unwrap_rejects_kek_0",
	    kw_unwrap(kek_bytes, 0, c41, sizeof(c41), out, sizeof(out),
	    &outlen) == -1);
}

static void
test_in_place(void)
{
	unsigned char	 buf[40];
	size_t		 len;
	int		 rv;

	memcpy(buf, key_bytes, 32);
	rv = kw_wrap(kek_bytes, 32, buf, 32, buf, sizeof(buf), &len);
	UNIT_OK("kw_wrap_in_place", rv == 0 && len == sizeof(c46) &&
	    memcmp(buf, c46, len) == 0);
	rv = kw_unwrap(kek_bytes, 32, buf, sizeof(buf), buf, sizeof(buf),
	    &len);
	UNIT_OK("kw_unwrap_in_place", rv == 0 && len == 32 &&
	    memcmp(buf, key_bytes, len) == 0);
}

/* A longer key (64 bytes, n = 8) survives a round trip. */
static void
test_round_trip(void)
{
	unsigned char	 key[64], wrapped[72], back[64];
	size_t		 i, wlen, blen;
	int		 rv;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(i * 7 + 3);
	rv = kw_wrap(kek_bytes, 24, key, sizeof(key), wrapped,
	    sizeof(wrapped), &wlen);
	if (rv == 0)
		rv = kw_unwrap(kek_bytes, 24, wrapped, wlen, back,
		    sizeof(back), &blen);
	UNIT_OK("kw_round_trip_64", rv == 0 && wlen == 72 && blen == 64 &&
	    memcmp(back, key, sizeof(key)) == 0);
}

int
main(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		test_vector(&vectors[i]);
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		test_tamper(&vectors[i]);
	test_iv_check();
	test_wrong_kek();
	test_args();
	test_in_place();
	test_round_trip();
	UNIT_EXIT();
}
