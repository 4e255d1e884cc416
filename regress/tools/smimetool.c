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

static void
usage(void)
{
	fprintf(stderr, "usage: smimetool sign -c cert -k key [-C chain] "
	    "[-m md] [-P] [-e enccert] [-O] -i in -o out\n");
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
	if ((rc = mbedtls_pk_parse_keyfile(&pk, key, NULL)) != 0)
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

int
main(int argc, char *argv[])
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	usage();
	return 64;
}
