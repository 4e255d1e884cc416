/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * libFuzzer target for EnvelopedData / AuthEnvelopedData.
 *
 * Each input is decrypted twice, once with a keystore that answers every
 * recipient identifier with a fixed RSA key and once with a fixed P-256
 * key, so key transport, key agreement and content decryption all run
 * on attacker bytes.  The seed corpus (regress/fuzz/corpus/cms_env/)
 * was made for these keys, so the mutations start from messages that
 * really decrypt.  Then the input is used as content for a round trip
 * through our encryptor (parameters from its first byte), which must
 * decrypt to the same bytes.
 *
 * The DRBG is seeded from a constant so runs are reproducible.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cms.h"
#include "mbedtls_compat.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Test-only keys (RSA-1024 to keep the fuzzer fast). */
static const char rsa_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAMpgZe2uDG01OI01\n"
	"0psLBTFq7UZ28245lA4tocu1BHegh/5Ikx+j5utTafXOYSHda8/tWBItewB3Pvpb\n"
	"Av155WkXbPwJ3paBxoHBuzhGUfPc5w53/brYZpGGo0aDy3BQv73YnI1bByrRKwXg\n"
	"4fIU5lOmdhLrCHdI+RGlflTSFH1DAgMBAAECgYEAmLsvsbTNBA5KY6ffDcu/W5BL\n"
	"CgbzqJgjuJ+Pn+E5Qd8RQ0MaZaKYv7jwGuZqP9iPaRjCgtV4It3b1a2iEBJSoyhx\n"
	"s+1p5hkFBdwPA+IDuxSDrFY9jDodXsrBhPTDPsj7DEFQEtdPEEH8EAmaDOjsKvJi\n"
	"5GxNSazrEOLOZ+pdhKECQQD405eVXJU82g+bsa9TEvj90uo8BFVKU8pFEn5BXndQ\n"
	"gCVV+J4V1rIKM/3NZCk95Q/y04cPSTjM53QchuhHi4WfAkEA0DX+FJQfhdV9zJKN\n"
	"OwG2XKcHd5Hy4SYMd7Qv2TV9RmyUCVYWnDz1Uxsgzu5Q+KnVdmeml0V52eTIYbyh\n"
	"4+z93QJAJ9jCmpGj+IW3ICi5OeV86DDhf9D105xNdPg8Lb2x/7s1v2m77yVdh5LB\n"
	"3yVeEWJgRnOnWkRQi0e5aWQVSHfIYwJAI+TK8n0+mfHeCABTvJJk/8ADt4c/mbTX\n"
	"fWNgxE9GU3ewZZOjvjd8C2Gn3ESVTOjqVck0nOtrQDcCnGbKeeKHOQJBAJUA9/c/\n"
	"CEE+um1UoJzl4UCtr2lJqE0HD6B2PYXxQh/HMkAgbQdnloVov3fcFj+JhJ/vqQTv\n"
	"4ShWBwWbggEiYxI=\n"
	"-----END PRIVATE KEY-----\n";

static const char rsa_crt_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIICBDCCAW2gAwIBAgIUYn+GPSEApoSxGCXaDbC0RG8hrt4wDQYJKoZIhvcNAQEL\n"
	"BQAwEzERMA8GA1UEAwwIZnV6ei1yc2EwIBcNMjYxMTI1MTUwNTQ4WhgPMjEyNjEx\n"
	"MDExNTA1NDhaMBMxETAPBgNVBAMMCGZ1enotcnNhMIGfMA0GCSqGSIb3DQEBAQUA\n"
	"A4GNADCBiQKBgQDKYGXtrgxtNTiNNdKbCwUxau1GdvNuOZQOLaHLtQR3oIf+SJMf\n"
	"o+brU2n1zmEh3WvP7VgSLXsAdz76WwL9eeVpF2z8Cd6WgcaBwbs4RlHz3OcOd/26\n"
	"2GaRhqNGg8twUL+92JyNWwcq0SsF4OHyFOZTpnYS6wh3SPkRpX5U0hR9QwIDAQAB\n"
	"o1MwUTAfBgNVHSMEGDAWgBQ0BFgMirXjrIwwmXjyfz6bQ0eKoTAPBgNVHRMBAf8E\n"
	"BTADAQH/MB0GA1UdDgQWBBQ0BFgMirXjrIwwmXjyfz6bQ0eKoTANBgkqhkiG9w0B\n"
	"AQsFAAOBgQAk9L7HrD0wpMNNjUQFhVhu/qNEp5L3iJrX37SYMvZJpgQL76wbTHKA\n"
	"V4beHy6V2uoWAULaz926W4avwic6qhSsUY6J8HrxZdc3lfvnxSZEteY1+11AB+FJ\n"
	"3yGzCo1LerDDUZDvcH1KJxwI7Vdcu84qGd3odSvz67oiYwJOt/zBRQ==\n"
	"-----END CERTIFICATE-----\n";

static const char ec_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgwvSFO4Oa5tfXfWD+\n"
	"QDpassxePhXFP+pGXutTP6km6HKhRANCAASeVh4nNQiwQq5hNGZxhWYp6Z5b0zze\n"
	"zEx9IR6ZHKKfLjp5vDz+bno3+UNhU7ASo7qE+YPisfAWuPS+qZ06I+Vh\n"
	"-----END PRIVATE KEY-----\n";

static const char ec_crt_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBezCCASGgAwIBAgIUV0WK6o1TSjZefBB5kMednKCXPcUwCgYIKoZIzj0EAwIw\n"
	"EjEQMA4GA1UEAwwHZnV6ei1lYzAgFw0yNjExMjUxNTA1NDhaGA8yMTI2MTEwMTE1\n"
	"MDU0OFowEjEQMA4GA1UEAwwHZnV6ei1lYzBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
	"A0IABJ5WHic1CLBCrmE0ZnGFZinpnlvTPN7MTH0hHpkcop8uOnm8PP5uejf5Q2FT\n"
	"sBKjuoT5g+Kx8Ba49L6pnToj5WGjUzBRMB8GA1UdIwQYMBaAFBGXQKH0S4IAyTGh\n"
	"H7XA9fTkbOiXMA8GA1UdEwEB/wQFMAMBAf8wHQYDVR0OBBYEFBGXQKH0S4IAyTGh\n"
	"H7XA9fTkbOiXMAoGCCqGSM49BAMCA0gAMEUCIEog0OeSDoeRSh9MfFYCJBxkm+jP\n"
	"RtX18XUIS/ORl2mUAiEA1KcBjfl86Z+/mvTwy5SGDTG0leXE8xuDRZa9rAffZ80=\n"
	"-----END CERTIFICATE-----\n";

static mbedtls_pk_context rsa_key, ec_key;
static mbedtls_x509_crt rsa_crt, ec_crt;
static struct cms_rng rng;
static int ready;

struct sink {
	uint8_t		*p;
	size_t		 len;
	size_t		 cap;
};

static int
fixed_entropy(void *arg, unsigned char *out, size_t len)
{
	(void)arg;
	memset(out, 0x42, len);
	return 0;
}

/* A fresh, constant-seeded DRBG per input: reproducible crashes. */
static void
reseed(void)
{
	mbedtls_ctr_drbg_free(&rng.drbg);
	mbedtls_ctr_drbg_init(&rng.drbg);
	if (mbedtls_ctr_drbg_seed(&rng.drbg, fixed_entropy, NULL, NULL, 0) !=
	    0)
		abort();
}

static void
setup(void)
{
	mbedtls_pk_init(&rsa_key);
	mbedtls_pk_init(&ec_key);
	mbedtls_x509_crt_init(&rsa_crt);
	mbedtls_x509_crt_init(&ec_crt);
	mbedtls_ctr_drbg_init(&rng.drbg);
	if (compat_pk_parse_key(&rsa_key, (const unsigned char *)rsa_key_pem,
	    sizeof(rsa_key_pem), NULL, 0) != 0 ||
	    compat_pk_parse_key(&ec_key, (const unsigned char *)ec_key_pem,
	    sizeof(ec_key_pem), NULL, 0) != 0 ||
	    mbedtls_x509_crt_parse(&rsa_crt, (const unsigned char *)rsa_crt_pem,
	    sizeof(rsa_crt_pem)) != 0 ||
	    mbedtls_x509_crt_parse(&ec_crt, (const unsigned char *)ec_crt_pem,
	    sizeof(ec_crt_pem)) != 0)
		abort();
	ready = 1;
}

static int
sink_write(void *arg, const uint8_t *p, size_t n)
{
	struct sink *s = arg;
	uint8_t *np;

	if (n == 0)
		return 0;
	if (s->len + n > s->cap) {
		if ((np = realloc(s->p, (s->len + n) * 2)) == NULL)
			return -1;
		s->p = np;
		s->cap = (s->len + n) * 2;
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	return 0;
}

/* The keystore: whatever is asked, the one key given. */
static int
any_key(void *arg, const uint8_t *issuer, size_t ilen, const uint8_t *serial,
    size_t slen, const uint8_t *ski, size_t skilen, mbedtls_pk_context **key)
{
	(void)issuer, (void)ilen, (void)serial, (void)slen, (void)ski;
	(void)skilen;
	*key = arg;
	return 0;
}

static enum cms_dstatus
decrypt(const uint8_t *data, size_t size, mbedtls_pk_context *key,
    struct sink *out)
{
	struct cms_dec d;
	struct cms_error e;

	memset(&d, 0, sizeof(d));
	d.find_key = any_key;
	d.find_arg = key;
	d.out = sink_write;
	d.out_arg = out;
	d.rng = &rng;
	return cms_decrypt(data, size, &d, &e);
}

/* Bit 0-1 cipher, 2 EC recipient, 3 OAEP, 4 SKI, 5 both recipients. */
static void
roundtrip(const uint8_t *data, size_t size)
{
	struct cms_recipient rs[2];
	struct cms_env env;
	struct cms_frame f;
	struct cms_error e;
	struct sink enc, dec;
	uint8_t p;
	size_t n = 1;

	if (size == 0)
		return;
	p = data[0];
	memset(rs, 0, sizeof(rs));
	rs[0].cert = p & 4 ? &ec_crt : &rsa_crt;
	rs[0].oaep = (p & 8) != 0;
	rs[0].use_ski = (p & 16) != 0;
	if (p & 32) {
		rs[1].cert = p & 4 ? &rsa_crt : &ec_crt;
		n = 2;
	}
	memset(&enc, 0, sizeof(enc));
	memset(&dec, 0, sizeof(dec));
	if (cms_env_begin(&env, rs, n, (enum cms_cipher)(p & 3), size, &rng,
	    &f, &e) == -1)
		abort();
	if (sink_write(&enc, f.head, f.headlen) != 0 ||
	    cms_env_update(&env, data, size / 3, sink_write, &enc, &e) ||
	    cms_env_update(&env, data + size / 3, size - size / 3, sink_write,
	    &enc, &e))
		abort();
	cms_frame_free(&f);
	if (cms_env_finish(&env, sink_write, &enc, &f, &e) == -1 ||
	    sink_write(&enc, f.tail, f.taillen) != 0)
		abort();
	cms_frame_free(&f);
	cms_env_free(&env);
	if (decrypt(enc.p, enc.len, p & 4 ? &ec_key : &rsa_key, &dec) !=
	    CMS_D_OK || dec.len != size || memcmp(dec.p, data, size) != 0)
		abort();
	free(enc.p);
	free(dec.p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink out;

	if (!ready)
		setup();
	reseed();
	memset(&out, 0, sizeof(out));
	(void)decrypt(data, size, &rsa_key, &out);
	free(out.p);
	memset(&out, 0, sizeof(out));
	(void)decrypt(data, size, &ec_key, &out);
	free(out.p);
	roundtrip(data, size);
	return 0;
}
