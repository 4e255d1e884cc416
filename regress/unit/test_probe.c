/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Structural proof of S/MIME (cms_probe.c, smime_probe.c): files made
 * by openssl and by our encryptor are proven, with their recipient
 * identifiers; every truncation, trailing garbage, the wrong kind, an
 * envelope around plaintext, and MIME shapes that only look right
 * (three parts, no close delimiter, another protocol, a bare
 * signature, an attachment) are not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cms.h"
#include "mime.h"
#include "smime.h"
#include "unit.h"

#define DATA	"regress/unit/data/"

static uint8_t *
slurp(const char *path, size_t *len)
{
	uint8_t *p = NULL, *np;
	size_t cap = 0, n;
	FILE *fp;

	*len = 0;
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (*len == cap) {
			cap = cap * 2 + 4096;
			if ((np = realloc(p, cap)) == NULL)
				break;
			p = np;
		}
		if ((n = fread(p + *len, 1, cap - *len, fp)) == 0)
			break;
		*len += n;
	}
	fclose(fp);
	return p;
}

/* The identifiers an envelope names, checked against one certificate. */
struct seen {
	const mbedtls_x509_crt	*crt;
	int			 calls;
	int			 match;
};

static int
rid_check(void *arg, const struct cms_rid *rid)
{
	struct seen *s = arg;
	const uint8_t *ski;
	size_t skilen;

	s->calls++;
	if (rid->issuer != NULL && rid->ilen == s->crt->issuer_raw.len &&
	    memcmp(rid->issuer, s->crt->issuer_raw.p, rid->ilen) == 0 &&
	    rid->slen == s->crt->serial.len &&
	    memcmp(rid->serial, s->crt->serial.p, rid->slen) == 0)
		s->match = 1;
	if (rid->ski != NULL && cms_cert_ski(s->crt, &ski, &skilen) == 0 &&
	    skilen == rid->skilen && memcmp(ski, rid->ski, skilen) == 0)
		s->match = 1;
	return 0;
}

static void
test_files(void)
{
	static const struct {
		const char	*file;
		const char	*cert;
	} envs[] = {
		{ "env_des3_rsa.der", "env_rsa.pem" },
		{ "env_des3_p256.der", "env_p256.pem" },
		{ "env_gcm_stream_p256.ber", "env_p256.pem" },
		{ "env_cbc_stream_oaep.ber", "env_rsa.pem" },
	};
	struct cms_error e;
	mbedtls_x509_crt crt;
	struct seen s;
	uint8_t *d, *sd;
	size_t i, n, sn, nris;
	char name[80];

	for (i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		mbedtls_x509_crt_init(&crt);
		snprintf(name, sizeof(name), DATA "%s", envs[i].file);
		d = slurp(name, &n);
		snprintf(name, sizeof(name), DATA "%s", envs[i].cert);
		if (d == NULL || mbedtls_x509_crt_parse_file(&crt, name) != 0) {
			UNIT_FAIL("probe.files", "cannot load %s", envs[i].file);
			free(d);
			mbedtls_x509_crt_free(&crt);
			continue;
		}
		memset(&s, 0, sizeof(s));
		s.crt = &crt;
		snprintf(name, sizeof(name), "probe.env.%s", envs[i].file);
		UNIT_OK(name, cms_probe_enveloped(d, n, rid_check, &s, &nris,
		    &e) == 0 && nris >= 1 && s.calls >= 1);
		snprintf(name, sizeof(name), "probe.env-rid.%s", envs[i].file);
		UNIT_OK(name, s.match);
		snprintf(name, sizeof(name), "probe.env-not-signed.%s",
		    envs[i].file);
		UNIT_OK(name, cms_probe_signed(d, n, 0, &e) == -1);
		free(d);
		mbedtls_x509_crt_free(&crt);
	}
	/* streamed BER (test_ber.c's), recipient not among ours */
	if ((d = slurp(DATA "cms_env_stream.ber", &n)) != NULL) {
		UNIT_OK("probe.env-stream-ber", cms_probe_enveloped(d, n, NULL,
		    NULL, &nris, &e) == 0 && nris == 1);
		free(d);
	} else
		UNIT_FAIL("probe.env-stream-ber", "cannot load the file");
	if ((sd = slurp(DATA "cms_signed_det.der", &sn)) == NULL) {
		UNIT_FAIL("probe.signed", "cannot load cms_signed_det.der");
		return;
	}
	UNIT_OK("probe.signed-detached", cms_probe_signed(sd, sn, 0, &e) == 0);
	UNIT_OK("probe.signed-detached-no-content",
	    cms_probe_signed(sd, sn, 1, &e) == -1);
	UNIT_OK("probe.signed-type", cms_probe_type(sd, sn) ==
	    OID_SIGNED_DATA);
	UNIT_OK("probe.signed-not-env", cms_probe_enveloped(sd, sn, NULL,
	    NULL, &nris, &e) == -1);
	free(sd);
	if ((sd = slurp(DATA "cms_signed_stream.ber", &sn)) == NULL) {
		UNIT_FAIL("probe.signed", "cannot load cms_signed_stream.ber");
		return;
	}
	UNIT_OK("probe.signed-opaque-ber", cms_probe_signed(sd, sn, 1, &e) ==
	    0);
	free(sd);
}

/* Every prefix, and trailing octets, of a good structure are refused. */
static void
test_truncated(const char *file, int env)
{
	struct cms_error e;
	uint8_t *d, *big;
	size_t n, k, nris;
	char name[80];
	int bad = 0;

	if ((d = slurp(file, &n)) == NULL) {
		UNIT_FAIL("probe.truncated", "cannot load %s", file);
		return;
	}
	for (k = 0; k < n; k++)
		if ((env ? cms_probe_enveloped(d, k, NULL, NULL, &nris, &e) :
		    cms_probe_signed(d, k, 0, &e)) != -1)
			bad++;
	snprintf(name, sizeof(name), "probe.every-prefix-refused.%s",
	    strrchr(file, '/') + 1);
	UNIT_OK(name, bad == 0);
	if ((big = malloc(n + 2)) != NULL) {
		memcpy(big, d, n);
		big[n] = 0x00;
		big[n + 1] = 0x00;
		snprintf(name, sizeof(name), "probe.trailing-refused.%s",
		    strrchr(file, '/') + 1);
		UNIT_OK(name, (env ? cms_probe_enveloped(big, n + 2, NULL, NULL,
		    &nris, &e) : cms_probe_signed(big, n + 2, 0, &e)) == -1);
		free(big);
	}
	free(d);
}

/*
 * Our own envelope, then the same frame around plaintext of the same
 * length: the structure holds both times, only the first is encrypted.
 */
static void
test_plaintext_envelope(void)
{
	static const char text[] = "Confidential: the quarterly figures, "
	    "in plain words that anyone on the path can read.\r\n";
	struct cms_recipient r;
	struct cms_frame f;
	struct cms_env env;
	struct cms_error e;
	struct cms_rng rng;
	struct mime_buf b;
	mbedtls_x509_crt crt;
	uint64_t clen;
	size_t nris, i;

	mbedtls_x509_crt_init(&crt);
	mime_buf_init(&b, 0);
	memset(&r, 0, sizeof(r));
	memset(&f, 0, sizeof(f));
	if (cms_rng_init(&rng) == -1 || mbedtls_x509_crt_parse_file(&crt,
	    DATA "env_rsa.pem") != 0) {
		UNIT_FAIL("probe.plaintext-envelope", "setup");
		goto done;
	}
	r.cert = &crt;
	clen = cms_env_ciphertext_len(CMS_AES256_CBC, sizeof(text) - 1);
	if (cms_env_begin(&env, &r, 1, CMS_AES256_CBC, sizeof(text) - 1, &rng,
	    &f, &e) == -1) {
		UNIT_FAIL("probe.plaintext-envelope", "%s", e.msg);
		goto done;
	}
	cms_env_free(&env);
	/* the frame's content length is the ciphertext's: text fills it */
	(void)mime_buf_write(&b, f.head, f.headlen);
	for (i = 0; i < clen; i++)
		(void)mime_buf_write(&b, &text[i % (sizeof(text) - 1)], 1);
	(void)mime_buf_write(&b, f.tail, f.taillen);
	UNIT_OK("probe.plaintext-envelope-refused", cms_probe_enveloped(
	    (uint8_t *)b.data, b.len, NULL, NULL, &nris, &e) == -1);
done:
	cms_frame_free(&f);
	mime_buf_clear(&b);
	mbedtls_x509_crt_free(&crt);
	cms_rng_free(&rng);
}

/* A message around a signature part (base64 of the detached file). */
static char *
signed_msg(const char *extra, const char *ctype, int close)
{
	struct mime_buf b;
	uint8_t *sd;
	size_t sn;
	char head[400];

	if ((sd = slurp(DATA "cms_signed_det.der", &sn)) == NULL)
		return NULL;
	mime_buf_init(&b, 0);
	snprintf(head, sizeof(head), "From: a@example.org\n"
	    "Content-Type: %s; micalg=sha-256; boundary=\"B\"\n\n"
	    "--B\nContent-Type: text/plain\n\nhello\n%s"
	    "--B\nContent-Type: application/pkcs7-signature\n"
	    "Content-Transfer-Encoding: base64\n\n", ctype, extra);
	(void)mime_buf_write(&b, head, strlen(head));
	(void)mime_b64_encode(sd, sn, 0, &b);
	if (close)
		(void)mime_buf_write(&b, "\n--B--\n", 7);
	(void)mime_buf_write(&b, "", 1);
	free(sd);
	return b.data;
}

static enum smime_proof
proof_of(const char *msg)
{
	struct smime_probe pr;

	if (msg == NULL)
		return (enum smime_proof)-1;
	(void)smime_probe(msg, strlen(msg), NULL, NULL, &pr);
	return pr.proof;
}

static void
test_mime(void)
{
	static const char *const labels[] = {
		/* plaintext base64 labelled enveloped-data */
		"Content-Type: application/pkcs7-mime; smime-type=enveloped-"
		"data\nContent-Transfer-Encoding: base64\n\n"
		"SGVsbG8sIHRoaXMgaXMgcGxhaW4gdGV4dC4K\n",
		/* labelled signed-data, body not even base64 */
		"Content-Type: application/x-pkcs7-mime; smime-type=signed-"
		"data\nContent-Transfer-Encoding: base64\n\n*** not base64\n",
		"Content-Type: multipart/encrypted; protocol=\"application/pgp-"
		"encrypted\"; boundary=x\n\n--x\n\nVersion: 1\n--x--\n",
		"Content-Type: application/pkcs7-signature\n\nAAAA\n",
		"Content-Type: multipart/signed; protocol=\"application/pkcs7-"
		"signature\"; boundary=B\n\n--B\n\nonly one part\n--B--\n",
		NULL
	};
	char *m, name[64];
	size_t i;

	m = signed_msg("", "multipart/signed; protocol=\"application/"
	    "pkcs7-signature\"", 1);
	UNIT_OK("probe.mime-signed", proof_of(m) == SMIME_PROOF_SIGNED);
	free(m);
	m = signed_msg("", "multipart/signed; protocol=\"application/"
	    "x-pkcs7-signature\"", 1);
	UNIT_OK("probe.mime-signed-x", proof_of(m) == SMIME_PROOF_SIGNED);
	free(m);
	m = signed_msg("", "multipart/signed; protocol=\"application/"
	    "pkcs7-signature\"", 0);
	UNIT_OK("probe.mime-signed-unclosed", proof_of(m) ==
	    SMIME_PROOF_LABEL);
	free(m);
	m = signed_msg("--B\nContent-Type: text/plain\n\nthird\n",
	    "multipart/signed; protocol=\"application/pkcs7-signature\"", 1);
	UNIT_OK("probe.mime-signed-three-parts", proof_of(m) ==
	    SMIME_PROOF_LABEL);
	free(m);
	m = signed_msg("", "multipart/signed; protocol=\"application/"
	    "pgp-signature\"", 1);
	UNIT_OK("probe.mime-signed-pgp", proof_of(m) == SMIME_PROOF_LABEL);
	free(m);
	m = signed_msg("", "multipart/mixed", 1);
	UNIT_OK("probe.mime-mixed-is-none", proof_of(m) == SMIME_PROOF_NONE);
	free(m);
	for (i = 0; labels[i] != NULL; i++) {
		snprintf(name, sizeof(name), "probe.mime-label-%zu", i);
		UNIT_OK(name, proof_of(labels[i]) == SMIME_PROOF_LABEL);
	}
	UNIT_OK("probe.mime-plain", proof_of("Subject: x\n\nhello\n") ==
	    SMIME_PROOF_NONE);
	UNIT_OK("probe.mime-empty", proof_of("") == SMIME_PROOF_NONE);
}

int
main(void)
{
	test_files();
	test_truncated(DATA "env_des3_rsa.der", 1);
	test_truncated(DATA "env_gcm_stream_p256.ber", 1);
	test_truncated(DATA "cms_signed_det.der", 0);
	test_plaintext_envelope();
	test_mime();
	UNIT_EXIT();
}
