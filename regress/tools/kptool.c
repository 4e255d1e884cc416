/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * kptool STORE: the key process (filter/keyproc.c) driven through its
 * socket as the loop and a worker would, and as a compromised worker
 * might.  The store holds alice@example.org (RSA) and bob@example.org
 * (P-256), each with a key, and carol@other.example (RSA).  Each answer
 * is checked against the public key in the store: signatures verify,
 * unwrapped keys and KEKs equal what was wrapped or derived here.
 * Prints one ok/FAIL line per check.
 */
#include <err.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <mbedtls/ecdh.h>
#include <mbedtls/rsa.h>

#include "cms.h"
#include "kdf.h"
#include "keyproc.h"
#include "ks.h"
#include "log.h"
#include "mbedtls_compat.h"
#include "packet.h"

static int failed;
static struct cms_rng rng;
static struct ks_store store;
static int ctl_fd;		/* the loop's side */

#define OK(name, cond, ...) do {					\
	if (cond)							\
		printf("ok keyproc-%s\n", name);			\
	else {								\
		printf("FAIL keyproc-%s: ", name);			\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		failed = 1;						\
	}								\
	fflush(stdout);							\
} while (0)

struct who {
	const struct ks_entry	*en;
	mbedtls_x509_crt	 crt;
};

static void
load(struct who *w, const char *addr)
{
	struct ks_error e;

	w->en = ks_account_entries(&store, addr);
	mbedtls_x509_crt_init(&w->crt);
	if (w->en == NULL || ks_load_cert(&store, w->en, &w->crt, &e) == -1)
		errx(1, "%s: not in the store", addr);
}

static enum km_status
call(struct km_msg *q, uint8_t *out, size_t *outlen)
{
	static uint8_t buf[KM_MAX];
	struct km_msg r;

	if (keyclient_call(q, &r, buf) == -1)
		return (enum km_status)-1;
	if (out) {
		memcpy(out, r.d1, r.l1);
		*outlen = r.l1;
	}
	return r.status;
}

static enum km_status
sign(const char *fpr, uint8_t *hash, uint8_t *sig, size_t *siglen)
{
	struct km_msg q;

	memset(&q, 0, sizeof(q));
	q.type = KM_SIGN;
	q.md = MBEDTLS_MD_SHA256;
	(void)strlcpy(q.fpr, fpr, sizeof(q.fpr));
	q.d1 = hash;
	q.l1 = 32;
	return call(&q, sig, siglen);
}

static enum km_status
unwrap(const char *fpr, int oaep, const uint8_t *ek, size_t eklen,
    uint8_t *cek, size_t *ceklen)
{
	struct km_msg q;

	memset(&q, 0, sizeof(q));
	q.type = KM_UNWRAP;
	q.flag = oaep;
	q.md = oaep ? MBEDTLS_MD_SHA256 : MBEDTLS_MD_NONE;
	q.outlen = 32;
	(void)strlcpy(q.fpr, fpr, sizeof(q.fpr));
	q.d1 = ek;
	q.l1 = eklen;
	return call(&q, cek, ceklen);
}

static void
grant(uint32_t chan, const char *sender, const char *r1, const char *r2)
{
	char *rcpts[2];
	size_t n = 0;

	if (r1)
		rcpts[n++] = (char *)(uintptr_t)r1;
	if (r2)
		rcpts[n++] = (char *)(uintptr_t)r2;
	if (keyclient_grant(ctl_fd, chan, sender, rcpts, n, 0) == -1)
		errx(1, "grant");
}

static void
signing(struct who *alice, struct who *carol)
{
	uint8_t hash[32], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t siglen = 0;
	enum km_status st;

	memset(hash, 0x5a, sizeof(hash));
	st = sign(alice->en->fpr, hash, sig, &siglen);
	OK("sign-without-grant-refused", st == KM_REFUSED, "status %d", st);
	grant(KM_SELF, "alice@example.org", "bob@example.org", NULL);
	st = sign(alice->en->fpr, hash, sig, &siglen);
	OK("sign-sender-key", st == KM_OK && mbedtls_pk_verify(&alice->crt.pk,
	    MBEDTLS_MD_SHA256, hash, 32, sig, siglen) == 0,
	    "status %d, %zu octets", st, siglen);
	grant(KM_SELF, "ALICE@Example.ORG", NULL, NULL);
	st = sign(alice->en->fpr, hash, sig, &siglen);
	OK("sign-sender-case-insensitive", st == KM_OK, "status %d", st);
	st = sign(carol->en->fpr, hash, sig, &siglen);
	OK("sign-other-account-refused", st == KM_REFUSED, "status %d", st);
	grant(KM_SELF, "carol@other.example", NULL, NULL);
	st = sign(alice->en->fpr, hash, sig, &siglen);
	OK("sign-as-other-sender-refused", st == KM_REFUSED, "status %d", st);
	st = sign("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    hash, sig, &siglen);
	OK("unknown-fingerprint", st == KM_NOKEY, "status %d", st);
}

static void
rsa_unwrapping(struct who *alice)
{
	uint8_t cek[32], got[64], ek[512];
	size_t eklen = 0, gotlen = 0;
	enum km_status st;

	if (cms_rng_func(&rng, cek, sizeof(cek)) != 0 ||
	    mbedtls_pk_encrypt(&alice->crt.pk, cek, sizeof(cek), ek, &eklen,
	    sizeof(ek), cms_rng_func, &rng) != 0)
		errx(1, "RSA encrypt");
	grant(KM_SELF, "x@outside.example", "bob@example.org", NULL);
	st = unwrap(alice->en->fpr, 0, ek, eklen, got, &gotlen);
	OK("decrypt-not-recipient-refused", st == KM_REFUSED, "status %d", st);
	grant(KM_SELF, "x@outside.example", "bob@example.org",
	    "Alice@example.org");
	st = unwrap(alice->en->fpr, 0, ek, eklen, got, &gotlen);
	OK("decrypt-recipient-v15", st == KM_OK && gotlen == 32 &&
	    memcmp(got, cek, 32) == 0, "status %d, %zu octets", st, gotlen);
	/* Bleichenbacher: bad padding gets octets of the same length */
	ek[eklen - 1] ^= 1;
	st = unwrap(alice->en->fpr, 0, ek, eklen, got, &gotlen);
	OK("decrypt-bad-padding-random", st == KM_RANDOM && gotlen == 32 &&
	    memcmp(got, cek, 32) != 0, "status %d, %zu octets", st, gotlen);
	mbedtls_rsa_set_padding(mbedtls_pk_rsa(alice->crt.pk),
	    MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
	if (mbedtls_pk_encrypt(&alice->crt.pk, cek, sizeof(cek), ek, &eklen,
	    sizeof(ek), cms_rng_func, &rng) != 0)
		errx(1, "RSA-OAEP encrypt");
	mbedtls_rsa_set_padding(mbedtls_pk_rsa(alice->crt.pk),
	    MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
	st = unwrap(alice->en->fpr, 1, ek, eklen, got, &gotlen);
	OK("decrypt-recipient-oaep", st == KM_OK && gotlen == 32 &&
	    memcmp(got, cek, 32) == 0, "status %d", st);
}

/* The KEK the key process must give for bob and our ephemeral key. */
static void
key_agreement(struct who *bob)
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point bobq, ephq;
	mbedtls_mpi bobd, ephd, z;
	uint8_t point[133], zb[66], info[16], want[32], got[64];
	size_t plen = 0, gotlen = 0, zlen;
	struct km_msg q;
	enum km_status st;

	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&bobq);
	mbedtls_ecp_point_init(&ephq);
	mbedtls_mpi_init(&bobd);
	mbedtls_mpi_init(&ephd);
	mbedtls_mpi_init(&z);
	memset(info, 0x33, sizeof(info));
	if (compat_ec_export(&bob->crt.pk, &grp, &bobd, &bobq) != 0 ||
	    mbedtls_ecp_gen_keypair(&grp, &ephd, &ephq, cms_rng_func,
	    &rng) != 0 || mbedtls_ecp_point_write_binary(&grp, &ephq,
	    MBEDTLS_ECP_PF_UNCOMPRESSED, &plen, point, sizeof(point)) != 0 ||
	    mbedtls_ecdh_compute_shared(&grp, &z, &bobq, &ephd, cms_rng_func,
	    &rng) != 0 || (zlen = (grp.pbits + 7) / 8) > sizeof(zb) ||
	    mbedtls_mpi_write_binary(&z, zb, zlen) != 0 ||
	    kdf_x963(MBEDTLS_MD_SHA256, zb, zlen, info, sizeof(info), want,
	    sizeof(want)) != 0)
		errx(1, "ECDH here");
	memset(&q, 0, sizeof(q));
	q.type = KM_KEK;
	q.md = MBEDTLS_MD_SHA256;
	q.curve = MBEDTLS_ECP_DP_SECP256R1;
	q.outlen = 32;
	(void)strlcpy(q.fpr, bob->en->fpr, sizeof(q.fpr));
	q.d1 = point;
	q.l1 = plen;
	q.d2 = info;
	q.l2 = sizeof(info);
	grant(KM_SELF, "x@outside.example", "carol@other.example", NULL);
	st = call(&q, got, &gotlen);
	OK("kek-not-recipient-refused", st == KM_REFUSED, "status %d", st);
	grant(KM_SELF, "x@outside.example", "bob@example.org", NULL);
	st = call(&q, got, &gotlen);
	OK("kek-recipient", st == KM_OK && gotlen == 32 &&
	    memcmp(got, want, 32) == 0, "status %d", st);
	/* an off-curve point is no question at all */
	point[plen - 1] ^= 1;
	st = call(&q, got, &gotlen);
	OK("kek-invalid-point-fails", st == KM_FAIL, "status %d", st);
	q.curve = MBEDTLS_ECP_DP_SECP384R1;
	point[plen - 1] ^= 1;
	st = call(&q, got, &gotlen);
	OK("kek-wrong-curve-fails", st == KM_FAIL, "status %d", st);
	mbedtls_mpi_free(&bobd);
	mbedtls_mpi_free(&ephd);
	mbedtls_mpi_free(&z);
	mbedtls_ecp_point_free(&bobq);
	mbedtls_ecp_point_free(&ephq);
	mbedtls_ecp_group_free(&grp);
}

/* Raw octets on the current channel: the answer's status. */
static enum km_status
raw(const void *p, size_t n)
{
	static uint8_t buf[KM_MAX];
	struct km_msg r;
	ssize_t got;
	int fd;

	if (packet_send(keyclient_fd(), p, n, -1) == -1)
		return (enum km_status)-1;
	got = packet_recv(keyclient_fd(), buf, sizeof(buf), &fd);
	if (got <= 0 || km_decode(buf, (size_t)got, &r) == -1)
		return (enum km_status)-2;
	return r.status;
}

/* The answer waiting on the current channel. */
static enum km_status
answer(void)
{
	static uint8_t buf[KM_MAX];
	struct km_msg r;
	struct pollfd p;
	ssize_t got;
	int fd;

	p.fd = keyclient_fd();
	p.events = POLLIN;
	if (poll(&p, 1, 2000) != 1)
		return (enum km_status)-3;
	got = packet_recv(keyclient_fd(), buf, sizeof(buf), &fd);
	if (got <= 0 || km_decode(buf, (size_t)got, &r) == -1)
		return (enum km_status)-2;
	return r.status;
}

static void
worker_channel(struct who *alice, int ctl)
{
	uint8_t hash[32], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t siglen;
	enum km_status st;
	int kv[2];

	memset(hash, 0x77, sizeof(hash));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, kv) == -1 ||
	    keyclient_channel(ctl, 3, kv[0]) == -1)
		err(1, "channel");
	(void)close(kv[0]);
	grant(KM_SELF, "alice@example.org", NULL, NULL);  /* the loop's own */
	keyclient_set_fd(kv[1]);
	st = sign(alice->en->fpr, hash, sig, &siglen);
	OK("worker-without-grant-refused", st == KM_REFUSED, "status %d", st);
	/* a worker may not grant itself anything, nor hand over sockets */
	(void)keyclient_grant(kv[1], 3, "alice@example.org", NULL, 0, 0);
	st = answer();
	OK("worker-grant-refused", st == KM_BAD, "status %d", st);
	(void)keyclient_channel(kv[1], 4, kv[1]);
	st = answer();
	OK("worker-channel-refused", st == KM_BAD, "status %d", st);
	st = sign(alice->en->fpr, hash, sig, &siglen);
	OK("worker-still-without-grant", st == KM_REFUSED, "status %d", st);
	keyclient_set_fd(ctl);
	grant(3, "alice@example.org", NULL, NULL);
	keyclient_set_fd(kv[1]);
	st = sign(alice->en->fpr, hash, sig, &siglen);
	OK("worker-granted", st == KM_OK && mbedtls_pk_verify(&alice->crt.pk,
	    MBEDTLS_MD_SHA256, hash, 32, sig, siglen) == 0, "status %d", st);
	keyclient_set_fd(ctl);
	(void)keyclient_grant(ctl, 3, NULL, NULL, 0, 0);
	keyclient_set_fd(kv[1]);
	st = sign(alice->en->fpr, hash, sig, &siglen);
	OK("worker-revoked", st == KM_REFUSED, "status %d", st);
	st = raw("not a request", 13);
	OK("malformed-answered-bad", st == KM_BAD, "status %d", st);
	/* a worker cannot have a key process forked either */
	{
		int c2 = -1;

		OK("worker-spawn-refused", keyclient_fork(&c2) == -1 &&
		    c2 == -1, "got a control channel");
	}
	keyclient_set_fd(ctl);
	(void)close(kv[1]);
}

/* A worker's key process, forked by this one: its own grants. */
static void
spawned(struct who *alice, int ctl)
{
	uint8_t hash[32], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t siglen;
	enum km_status st;
	int c2;

	memset(hash, 0x21, sizeof(hash));
	if (keyclient_fork(&c2) == -1) {
		OK("spawn", 0, "no control channel");
		return;
	}
	keyclient_set_fd(c2);
	st = sign(alice->en->fpr, hash, sig, &siglen);
	OK("spawned-without-grant-refused", st == KM_REFUSED, "status %d", st);
	ctl_fd = c2;
	grant(KM_SELF, "alice@example.org", NULL, NULL);
	st = sign(alice->en->fpr, hash, sig, &siglen);
	OK("spawned-signs", st == KM_OK && mbedtls_pk_verify(&alice->crt.pk,
	    MBEDTLS_MD_SHA256, hash, 32, sig, siglen) == 0, "status %d", st);
	ctl_fd = ctl;
	keyclient_set_fd(ctl);
	(void)close(c2);
}

int
main(int argc, char *argv[])
{
	struct who alice, bob, carol;
	struct ks_error e;
	pid_t pid;
	int ctl, status, i;

	if (argc != 2)
		errx(1, "usage: kptool STORE");
	log_init(0);
	signal(SIGPIPE, SIG_IGN);
	if (compat_init() == -1 || cms_rng_init(&rng) != 0 ||
	    ks_open(&store, argv[1], &e) == -1)
		errx(1, "setup: %s", e.msg);
	load(&alice, "alice@example.org");
	load(&bob, "bob@example.org");
	load(&carol, "carol@other.example");
	if ((pid = keyproc_start(argv[1], &ctl)) == -1)
		err(1, "keyproc_start");
	keyclient_set_fd(ctl);
	ctl_fd = ctl;
	signing(&alice, &carol);
	rsa_unwrapping(&alice);
	key_agreement(&bob);
	worker_channel(&alice, ctl);
	spawned(&alice, ctl);
	/* the loop gone: the key process ends, within a second */
	(void)close(ctl);
	for (i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	OK("ends-with-the-loop", i < 100 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "still running after 1 s");
	if (i == 100)
		(void)kill(pid, SIGKILL);
	mbedtls_x509_crt_free(&alice.crt);
	mbedtls_x509_crt_free(&bob.crt);
	mbedtls_x509_crt_free(&carol.crt);
	ks_close(&store);
	cms_rng_free(&rng);
	return failed;
}
