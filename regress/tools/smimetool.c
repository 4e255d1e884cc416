/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * smimetool: a test-only command line over the CMS engine, so the
 * interop tests can feed openssl, gpgsm and NSS with our output and us
 * with theirs.  Not installed; filter-smime's pipe mode is the real one.
 *
 *   smimetool sign -c cert -k key [-C chain] [-m sha256|sha384|sha512]
 *       [-P] [-e enccert] [-O] -i content -o out.der
 *	-P: RSASSA-PSS; -O: opaque (content embedded), else detached.
 *   smimetool verify [-c content] [-A anchors] [-R crl] [-t unixtime]
 *       [-o content-out] in.der
 *	prints one line per signer: "signer N: STATUS email=... serial=..."
 *	exit 0 when every signer verified, 1 otherwise, 65 unreadable.
 *   smimetool encrypt -r cert [-r cert ...] [-R] [-s] [-S]
 *       [-a aes128-cbc|aes256-cbc|aes128-gcm|aes256-gcm] -i in -o out.der
 *	-R: RSAES-OAEP SHA-256 for RSA recipients; -s: identify recipients
 *	by subjectKeyIdentifier; -S: streamed, its length not told in
 *	advance (indefinite-length BER).  The content is fed in odd-sized
 *	chunks.
 *   smimetool decrypt -c cert -k key -i in.der -o out
 *	prints "ok ALG" or "error: REASON"; exit 0 ok, 1 not decrypted,
 *	65 malformed.  out keeps whatever the engine wrote (nothing, with
 *	GCM, when the tag fails).
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "cms.h"
#include "mbedtls_compat.h"

static void
usage(void)
{
	fprintf(stderr, "usage: smimetool sign -c cert -k key [-C chain] "
	    "[-m md] [-P] [-e enccert] [-O] -i in -o out\n"
	    "       smimetool verify [-c content] [-A anchors] [-R crl] "
	    "[-t time] [-o out] in\n"
	    "       smimetool encrypt -r cert [-r cert ...] [-R] [-s] [-S] "
	    "[-a alg] -i in -o out\n"
	    "       smimetool decrypt -c cert -k key -i in -o out\n");
	exit(64);
}

static unsigned char *
read_file(const char *path, size_t *len)
{
	unsigned char *buf = NULL, *p;
	size_t cap = 0, n = 0, r;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL)
		err(66, "%s", path);
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((p = realloc(buf, cap)) == NULL)
				err(70, "realloc");
			buf = p;
		}
		r = fread(buf + n, 1, cap - n, fp);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(fp))
		err(74, "%s", path);
	fclose(fp);
	*len = n;
	return buf;
}

static void
write_file(const char *path, const unsigned char *a, size_t alen,
    const unsigned char *b, size_t blen, const unsigned char *c, size_t clen)
{
	FILE *fp;

	if ((fp = fopen(path, "wb")) == NULL)
		err(73, "%s", path);
	if ((alen && fwrite(a, 1, alen, fp) != alen) ||
	    (blen && fwrite(b, 1, blen, fp) != blen) ||
	    (clen && fwrite(c, 1, clen, fp) != clen) || fclose(fp) != 0)
		err(74, "%s", path);
}

static mbedtls_md_type_t
md_by_name(const char *s)
{
	if (strcmp(s, "sha256") == 0)
		return MBEDTLS_MD_SHA256;
	if (strcmp(s, "sha384") == 0)
		return MBEDTLS_MD_SHA384;
	if (strcmp(s, "sha512") == 0)
		return MBEDTLS_MD_SHA512;
	errx(64, "unknown digest %s", s);
}

static void
load_cert(mbedtls_x509_crt *c, const char *path)
{
	int rc;

	if ((rc = mbedtls_x509_crt_parse_file(c, path)) != 0)
		errx(65, "%s: cannot parse certificate (-0x%04x)", path,
		    (unsigned)-rc);
}

static int
cmd_sign(int argc, char *argv[])
{
	const char *cert = NULL, *key = NULL, *chain = NULL, *in = NULL,
	    *out = NULL, *enc = NULL;
	mbedtls_x509_crt crt, chn, enccrt;
	mbedtls_pk_context pk;
	struct cms_signer s;
	struct cms_rng rng;
	struct cms_frame f;
	struct cms_error e;
	unsigned char digest[MBEDTLS_MD_MAX_SIZE], *content;
	size_t clen;
	int ch, opaque = 0, rc;

	memset(&s, 0, sizeof(s));
	s.md = MBEDTLS_MD_SHA256;
	while ((ch = getopt(argc, argv, "c:k:C:m:Pe:Oi:o:")) != -1) {
		switch (ch) {
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'C': chain = optarg; break;
		case 'm': s.md = md_by_name(optarg); break;
		case 'P': s.rsa_pss = 1; break;
		case 'e': enc = optarg; break;
		case 'O': opaque = 1; break;
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (!cert || !key || !in || !out)
		usage();
	mbedtls_x509_crt_init(&crt);
	mbedtls_x509_crt_init(&chn);
	mbedtls_x509_crt_init(&enccrt);
	mbedtls_pk_init(&pk);
	load_cert(&crt, cert);
	if (chain)
		load_cert(&chn, chain);
	if (enc)
		load_cert(&enccrt, enc);
	if ((rc = compat_pk_parse_keyfile(&pk, key, NULL)) != 0)
		errx(65, "%s: cannot parse key (-0x%04x)", key, (unsigned)-rc);
	if (cms_rng_init(&rng) == -1)
		errx(70, "cannot seed the DRBG");
	s.cert = &crt;
	s.chain = chain ? &chn : NULL;
	s.enc_cert = enc ? &enccrt : NULL;
	s.key = &pk;
	content = read_file(in, &clen);
	if (mbedtls_md(mbedtls_md_info_from_type(s.md), content, clen,
	    digest) != 0)
		errx(70, "digest");
	if (cms_sign(&s, digest, mbedtls_md_get_size(
	    mbedtls_md_info_from_type(s.md)), opaque ? (int64_t)clen : -1,
	    time(NULL), &rng, &f, &e) == -1)
		errx(70, "sign: %s", e.msg);
	if (opaque)
		write_file(out, f.head, f.headlen, content, clen, f.tail,
		    f.taillen);
	else
		write_file(out, f.head, f.headlen, NULL, 0, NULL, 0);
	cms_frame_free(&f);
	free(content);
	cms_rng_free(&rng);
	mbedtls_pk_free(&pk);
	mbedtls_x509_crt_free(&crt);
	mbedtls_x509_crt_free(&chn);
	mbedtls_x509_crt_free(&enccrt);
	return 0;
}

static int
write_cb(void *arg, const uint8_t *p, size_t n)
{
	return fwrite(p, 1, n, arg) != n;
}

static int
cmd_verify(int argc, char *argv[])
{
	const char *cpath = NULL, *anchors = NULL, *crl = NULL, *out = NULL;
	unsigned char *der, *content = NULL;
	size_t len, clen = 0, i;
	mbedtls_x509_crt ta;
	mbedtls_x509_crl crls;
	struct cms_trust t;
	struct cms_verify v;
	struct cms_error e;
	int ch, all_ok = 1;
	FILE *fp;

	memset(&t, 0, sizeof(t));
	t.at = time(NULL);
	mbedtls_x509_crt_init(&ta);
	mbedtls_x509_crl_init(&crls);
	while ((ch = getopt(argc, argv, "c:A:R:t:o:")) != -1) {
		switch (ch) {
		case 'c': cpath = optarg; break;
		case 'A': anchors = optarg; break;
		case 'R': crl = optarg; break;
		case 't': t.at = (time_t)strtoll(optarg, NULL, 10); break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	der = read_file(argv[optind], &len);
	if (cpath)
		content = read_file(cpath, &clen);
	if (anchors) {
		load_cert(&ta, anchors);
		t.anchors = &ta;
	}
	if (crl) {
		if (mbedtls_x509_crl_parse_file(&crls, crl) != 0)
			errx(65, "%s: cannot parse CRL", crl);
		t.crls = &crls;
	}
	if (cms_verify(der, len, content, clen, anchors ? &t : NULL, &v,
	    &e) == -1) {
		printf("error: %s\n", e.msg);
		all_ok = -1;
		goto done;
	}
	for (i = 0; i < v.nsigners && i < CMS_MAX_SIGNERS; i++) {
		printf("signer %zu: %s email=%s serial=%s%s%s\n", i,
		    cms_vstatus_str(v.signers[i].status), v.signers[i].email,
		    v.signers[i].serial, v.signers[i].detail[0] ? " detail=" :
		    "", v.signers[i].detail);
		if (v.signers[i].status != CMS_V_OK)
			all_ok = 0;
	}
	printf("public-key operations: at most %u\n", v.pkops);
	if (out && !cpath) {
		if ((fp = fopen(out, "wb")) == NULL)
			err(73, "%s", out);
		if (cms_signed_content(der, len, write_cb, fp, &e) == -1)
			errx(65, "%s", e.msg);
		if (fclose(fp) != 0)
			err(74, "%s", out);
	}
done:
	free(der);
	free(content);
	mbedtls_x509_crt_free(&ta);
	mbedtls_x509_crl_free(&crls);
	return all_ok == -1 ? 65 : all_ok ? 0 : 1;
}

static enum cms_cipher
cipher_by_name(const char *s)
{
	if (strcmp(s, "aes128-cbc") == 0)
		return CMS_AES128_CBC;
	if (strcmp(s, "aes256-cbc") == 0)
		return CMS_AES256_CBC;
	if (strcmp(s, "aes128-gcm") == 0)
		return CMS_AES128_GCM;
	if (strcmp(s, "aes256-gcm") == 0)
		return CMS_AES256_GCM;
	errx(64, "unknown cipher %s", s);
}

/* Stream the content through the engine in uneven pieces. */
static int
encrypt_stream(struct cms_env *env, const unsigned char *p, size_t n,
    FILE *fp, struct cms_error *e)
{
	static const size_t steps[] = { 1, 4099, 15, 16, 65536, 17 };
	size_t i = 0, take;

	while (n > 0) {
		take = steps[i++ % (sizeof(steps) / sizeof(steps[0]))];
		if (take > n)
			take = n;
		if (cms_env_update(env, p, take, write_cb, fp, e) == -1)
			return -1;
		p += take;
		n -= take;
	}
	return 0;
}

static int
cmd_encrypt(int argc, char *argv[])
{
	mbedtls_x509_crt crt[CMS_MAX_RECIPIENTS];
	struct cms_recipient rs[CMS_MAX_RECIPIENTS];
	const char *in = NULL, *out = NULL;
	enum cms_cipher c = CMS_AES256_CBC;
	unsigned char *content;
	struct cms_env env;
	struct cms_frame f;
	struct cms_error e;
	struct cms_rng rng;
	size_t n = 0, i, clen;
	int ch, oaep = 0, ski = 0, stream = 0, rc = 0;
	FILE *fp;

	memset(rs, 0, sizeof(rs));
	while ((ch = getopt(argc, argv, "r:RsSa:i:o:")) != -1) {
		switch (ch) {
		case 'r':
			if (n == CMS_MAX_RECIPIENTS)
				errx(64, "too many recipients");
			mbedtls_x509_crt_init(&crt[n]);
			load_cert(&crt[n], optarg);
			rs[n].cert = &crt[n];
			n++;
			break;
		case 'R': oaep = 1; break;
		case 's': ski = 1; break;
		case 'S': stream = 1; break;
		case 'a': c = cipher_by_name(optarg); break;
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (n == 0 || !in || !out)
		usage();
	for (i = 0; i < n; i++) {
		rs[i].oaep = oaep;
		rs[i].use_ski = ski;
	}
	if (cms_rng_init(&rng) == -1)
		errx(70, "cannot seed the DRBG");
	content = read_file(in, &clen);
	if ((fp = fopen(out, "wb")) == NULL)
		err(73, "%s", out);
	if (cms_env_begin(&env, rs, n, c, stream ? CMS_LEN_STREAM : clen,
	    &rng, &f, &e) == -1) {
		printf("error: %s\n", e.msg);
		rc = 70;
	} else {
		if (fwrite(f.head, 1, f.headlen, fp) != f.headlen)
			err(74, "%s", out);
		cms_frame_free(&f);
		if (encrypt_stream(&env, content, clen, fp, &e) == -1 ||
		    cms_env_finish(&env, write_cb, fp, &f, &e) == -1) {
			printf("error: %s\n", e.msg);
			rc = 70;
		} else if (f.taillen && fwrite(f.tail, 1, f.taillen, fp) !=
		    f.taillen)
			err(74, "%s", out);
		cms_env_free(&env);
		cms_frame_free(&f);
	}
	if (fclose(fp) != 0)
		err(74, "%s", out);
	free(content);
	cms_rng_free(&rng);
	for (i = 0; i < n; i++)
		mbedtls_x509_crt_free(&crt[i]);
	return rc;
}

struct keyref {
	mbedtls_x509_crt	*crt;
	mbedtls_pk_context	*key;
};

/* The keystore's job in the filter: one certificate and its key here. */
static int
find_key(void *arg, const uint8_t *issuer, size_t ilen, const uint8_t *serial,
    size_t slen, const uint8_t *ski, size_t skilen, mbedtls_pk_context **key)
{
	struct keyref *k = arg;
	const uint8_t *mine;
	size_t minelen;

	if (ski != NULL) {
		if (cms_cert_ski(k->crt, &mine, &minelen) == -1 ||
		    minelen != skilen || memcmp(mine, ski, skilen) != 0)
			return -1;
	} else if (k->crt->issuer_raw.len != ilen ||
	    memcmp(k->crt->issuer_raw.p, issuer, ilen) != 0 ||
	    k->crt->serial.len != slen ||
	    memcmp(k->crt->serial.p, serial, slen) != 0)
		return -1;
	*key = k->key;
	return 0;
}

static int
cmd_decrypt(int argc, char *argv[])
{
	const char *cert = NULL, *key = NULL, *in = NULL, *out = NULL;
	mbedtls_x509_crt crt;
	mbedtls_pk_context pk;
	struct keyref kr;
	struct cms_rng rng;
	struct cms_dec d;
	struct cms_error e;
	enum cms_dstatus st;
	unsigned char *der;
	size_t len;
	int ch, rc;
	FILE *fp;

	while ((ch = getopt(argc, argv, "c:k:i:o:")) != -1) {
		switch (ch) {
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (!cert || !key || !in || !out)
		usage();
	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&pk);
	load_cert(&crt, cert);
	if ((rc = compat_pk_parse_keyfile(&pk, key, NULL)) != 0)
		errx(65, "%s: cannot parse key (-0x%04x)", key, (unsigned)-rc);
	if (cms_rng_init(&rng) == -1)
		errx(70, "cannot seed the DRBG");
	der = read_file(in, &len);
	if ((fp = fopen(out, "wb")) == NULL)
		err(73, "%s", out);
	kr.crt = &crt;
	kr.key = &pk;
	memset(&d, 0, sizeof(d));
	d.find_key = find_key;
	d.find_arg = &kr;
	d.out = write_cb;
	d.out_arg = fp;
	d.rng = &rng;
	if ((st = cms_decrypt(der, len, &d, &e)) == CMS_D_OK)
		printf("ok %s%s\n", d.alg, d.auth ? " (AuthEnvelopedData)" : "");
	else
		printf("error: %s\n", e.msg);
	if (fclose(fp) != 0)
		err(74, "%s", out);
	free(der);
	cms_rng_free(&rng);
	mbedtls_pk_free(&pk);
	mbedtls_x509_crt_free(&crt);
	return st == CMS_D_OK ? 0 : st == CMS_D_MALFORMED ? 65 :
	    st == CMS_D_INTERNAL ? 70 : 1;
}

int
main(int argc, char *argv[])
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "encrypt") == 0)
		return cmd_encrypt(argc - 1, argv + 1);
	if (strcmp(argv[1], "decrypt") == 0)
		return cmd_decrypt(argc - 1, argv + 1);
	usage();
	return 64;
}
