/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Fuzz the outbound path on hostile message content: a message from the
 * network is signed (detached and opaque) and encrypted, as the filter
 * does it, with a key made once at start.  Nothing may crash or leak,
 * and what was signed must verify: the content written (in one pass, or
 * in the second of two) is the content that was hashed.
 */
#include <stdint.h>
#include <string.h>

#include "ks.h"
#include "smime.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int ready;
static mbedtls_pk_context pk;
static mbedtls_x509_crt crt;
static struct cms_rng rng;

static int
discard(void *arg, const void *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return 0;
}

static void
setup(void)
{
	struct ks_selfsign_opts o;
	struct ks_error e;

	memset(&o, 0, sizeof(o));
	o.account = "fuzz@example.org";
	o.ec_curve = 256;
	o.purpose = KS_P_SIGN | KS_P_ENCRYPT;
	mbedtls_pk_init(&pk);
	mbedtls_x509_crt_init(&crt);
	if (ks_selfsign(&o, &pk, &crt, &e) == -1 || cms_rng_init(&rng) == -1)
		__builtin_trap();
	ready = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cms_signer s;
	struct cms_recipient r;
	struct cms_error e;
	struct cms_verify v;
	struct mime_buf out;
	int flags;

	if (!ready)
		setup();
	flags = size > 0 && (data[0] & 1) ? SMIME_OPAQUE : 0;
	if (size > 0 && (data[0] & 2))
		flags |= SMIME_HP;
	memset(&s, 0, sizeof(s));
	s.cert = &crt;
	s.key = &pk;
	s.md = MBEDTLS_MD_SHA256;
	mime_buf_init(&out, 0);
	if (smime_sign((const char *)data, size, &s, flags, 1800000000,
	    &rng, mime_buf_write, &out, &e) == 0 &&
	    smime_verify(out.data, out.len, NULL, &v, &e) == 0) {
		/* parsing our output may hit a limit; a mismatch may not */
		if (v.nsigners != 1 || v.signers[0].status == CMS_V_DIGEST ||
		    v.signers[0].status == CMS_V_SIGNATURE)
			__builtin_trap();
		smime_verify_free(&v);
	}
	mime_buf_clear(&out);
	memset(&r, 0, sizeof(r));
	r.cert = &crt;
	(void)smime_encrypt((const char *)data, size, &r, 1, (size && data[0] &
	    4) ? CMS_AES128_GCM : CMS_AES256_CBC, flags & SMIME_HP ?
	    SMIME_HP | SMIME_OBSCURE : 0, &rng, discard, NULL, &e);
	return 0;
}
