/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Asking the key process.  A process has one channel (the loop and pipe
 * mode the control channel, a worker its own), so it is process state.
 * Calls block: a key operation is milliseconds, and the worker's
 * deadline covers a key process that does not answer.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>

#include <mbedtls/platform_util.h>

#include "keyproc.h"
#include "log.h"
#include "packet.h"

#define KEYCLIENT_WAIT	30	/* seconds */

static int key_fd = -1;
static pid_t key_pid = -1;
static char *key_dir;

/* Fork the key process, this process's channel the control one. */
int
keyclient_start(const char *dir)
{
	char *d = NULL;
	int ctl;

	if (dir != key_dir) {
		if (dir != NULL && (d = strdup(dir)) == NULL)
			return -1;
		free(key_dir);
		key_dir = d;
	}
	if ((key_pid = keyproc_start(key_dir, &ctl)) == -1)
		return -1;
	key_fd = ctl;
	return 0;
}

/*
 * The loop's look at its own key process: 0 alive (or none), 1 when it
 * had ended and a new one was started, -1 when none could be.
 */
int
keyclient_check(void)
{
	int status;

	if (key_pid == -1)
		return 0;
	if (key_fd == -1) {	/* it stopped answering */
		(void)kill(key_pid, SIGKILL);
		(void)waitpid(key_pid, &status, 0);
	} else if (waitpid(key_pid, &status, WNOHANG) != key_pid)
		return 0;
	log_warnx("key process %ld ended (%s %d): starting another",
	    (long)key_pid, WIFSIGNALED(status) ? "signal" : "status",
	    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	if (key_fd != -1)
		(void)close(key_fd);
	key_fd = -1;
	if (keyclient_start(key_dir) == -1) {
		log_warnx("cannot start the key process: %s", strerror(errno));
		key_pid = -1;
		return -1;
	}
	return 1;
}

/*
 * The channel closed, once nothing will ask again: the key process ends
 * meanwhile, and keyclient_stop only waits for it.
 */
void
keyclient_release(void)
{
	if (key_fd != -1)
		(void)close(key_fd);
	key_fd = -1;
}

/* At exit: the key process sees its channel close and ends. */
void
keyclient_stop(void)
{
	if (key_fd != -1)
		(void)close(key_fd);
	key_fd = -1;
	if (key_pid != -1)
		(void)waitpid(key_pid, NULL, 0);
	key_pid = -1;
	free(key_dir);
	key_dir = NULL;
}

void
keyclient_set_fd(int fd)
{
	key_fd = fd;
}

int
keyclient_fd(void)
{
	return key_fd;
}

static int	send_msg(int, const struct km_msg *, int);

/*
 * A key process for a worker, forked by ours (see spawn_child in
 * keyproc.c): its control channel in *ctl.  0 or -1.
 */
int
keyclient_fork(int *ctl)
{
	struct km_msg q, r;
	uint8_t buf[KM_MAX];
	ssize_t n;
	int fd = -1;

	*ctl = -1;
	memset(&q, 0, sizeof(q));
	q.type = KM_SPAWN;
	if (send_msg(key_fd, &q, -1) == -1)
		return -1;
	n = packet_recv(key_fd, buf, sizeof(buf), &fd);
	if (n <= 0 || km_decode(buf, (size_t)n, &r) == -1 ||
	    r.type != KM_REPLY || r.status != KM_OK || fd == -1) {
		if (fd != -1)
			(void)close(fd);
		errno = EAGAIN;
		return -1;
	}
	*ctl = fd;
	return 0;
}

static int
send_msg(int to, const struct km_msg *m, int fd)
{
	uint8_t buf[KM_MAX];
	size_t n;
	int rc;

	if (to == -1 || (n = km_encode(m, buf, sizeof(buf))) == 0)
		return -1;
	rc = packet_send(to, buf, n, fd);
	mbedtls_platform_zeroize(buf, n);
	return rc;
}

int
keyclient_grant(int ctl, uint32_t chan, const char *sender,
    char *const *rcpts, size_t n, int any)
{
	struct km_msg m;
	char buf[KM_MAX - 128];
	size_t off = 0, k, i;

	memset(&m, 0, sizeof(m));
	m.type = KM_GRANT;
	m.chan = chan;
	m.flag = sender != NULL && any;
	for (i = 0; sender != NULL && i <= n && i <= KM_RCPTS; i++) {
		const char *s = i == 0 ? sender : rcpts[i - 1];

		if ((k = strlen(s)) > KM_ADDR_MAX || (i > 0 && k == 0))
			continue;	/* no key is any such address's */
		if (k + 1 > sizeof(buf) - off)
			break;		/* fewer: the rest are refused */
		memcpy(buf + off, s, k + 1);
		off += k + 1;
		m.count = i == 0 ? 0 : m.count + 1;
	}
	if (off == 0)
		buf[off++] = '\0';	/* nothing: the null sender, none */
	m.d1 = (const uint8_t *)buf;
	m.l1 = off;
	return send_msg(ctl, &m, -1);
}

int
keyclient_channel(int ctl, uint32_t chan, int fd)
{
	struct km_msg m;

	memset(&m, 0, sizeof(m));
	m.type = KM_CHANNEL;
	m.chan = chan;
	return send_msg(ctl, &m, fd);
}

int
keyclient_call(const struct km_msg *req, struct km_msg *rep, uint8_t *buf)
{
	return keyclient_call_fd(req, rep, buf, NULL);
}

/* The same, and the descriptor the answer carried (or -1) in *fdp. */
int
keyclient_call_fd(const struct km_msg *req, struct km_msg *rep, uint8_t *buf,
    int *fdp)
{
	struct pollfd p;
	ssize_t n;
	int fd, r;

	if (fdp != NULL)
		*fdp = -1;
	if (send_msg(key_fd, req, -1) == -1)
		return -1;
	/* a key operation is milliseconds: one that hangs is a failure */
	p.fd = key_fd;
	p.events = POLLIN;
	while ((r = poll(&p, 1, KEYCLIENT_WAIT * 1000)) == -1 &&
	    errno == EINTR)
		;
	if (r != 1) {
		/* a late answer must never be taken for the next one's */
		log_warnx("key process: no answer in %d s, channel closed",
		    KEYCLIENT_WAIT);
		(void)close(key_fd);
		key_fd = -1;
		return -1;
	}
	n = packet_recv(key_fd, buf, KM_MAX, &fd);
	if (fd != -1 && fdp != NULL && n > 0)
		*fdp = fd;
	else if (fd != -1)
		(void)close(fd);
	if (n <= 0 || km_decode(buf, (size_t)n, rep) == -1 ||
	    rep->type != KM_REPLY) {
		if (fdp != NULL && *fdp != -1) {
			(void)close(*fdp);
			*fdp = -1;
		}
		log_warnx("key process: %s", n == 0 ? "gone" : n < 0 ?
		    strerror(errno) : "a malformed reply");
		return -1;
	}
	return 0;
}

/* A request about k's key, with its first data field. */
static void
request(struct km_msg *q, enum km_type t, const struct key_remote *k,
    const uint8_t *d1, size_t l1)
{
	memset(q, 0, sizeof(*q));
	q->type = t;
	memcpy(q->fpr, k->fpr, sizeof(q->fpr));
	q->d1 = d1;
	q->l1 = l1;
}

static int
remote_sign(void *arg, mbedtls_md_type_t md, int pss, const uint8_t *hash,
    size_t hashlen, uint8_t *sig, size_t *siglen)
{
	struct key_remote *k = arg;
	struct km_msg q, r;
	uint8_t buf[KM_MAX];

	request(&q, KM_SIGN, k, hash, hashlen);
	q.md = md;
	q.flag = pss;
	if (keyclient_call(&q, &r, buf) == -1)
		return -1;
	if (r.status != KM_OK || r.l1 > MBEDTLS_PK_SIGNATURE_MAX_SIZE) {
		log_warnx("key process: signing with %.16s: %s", k->fpr,
		    km_status_str(r.status));
		return -1;
	}
	memcpy(sig, r.d1, r.l1);
	*siglen = r.l1;
	return 0;
}

static int
remote_unwrap(void *arg, int oaep, mbedtls_md_type_t md, const uint8_t *ek,
    size_t eklen, uint8_t *cek, size_t ceklen)
{
	struct key_remote *k = arg;
	struct km_msg q, r;
	uint8_t buf[KM_MAX];
	int rc = -1;

	request(&q, KM_UNWRAP, k, ek, eklen);
	q.md = oaep ? md : MBEDTLS_MD_NONE;
	q.flag = oaep;
	q.outlen = ceklen;
	if (keyclient_call(&q, &r, buf) == -1)
		return -1;
	if ((r.status == KM_OK || r.status == KM_RANDOM) && r.l1 == ceklen) {
		memcpy(cek, r.d1, ceklen);
		rc = r.status == KM_OK ? 0 : 1;
	} else if (r.status == KM_REFUSED || r.status == KM_NOKEY)
		rc = -2;	/* logged by the key process */
	else
		log_warnx("key process: decrypting with %.16s: %s", k->fpr,
		    km_status_str(r.status));
	mbedtls_platform_zeroize(buf, sizeof(buf));
	return rc;
}

static int
remote_kek(void *arg, mbedtls_ecp_group_id curve, const uint8_t *point,
    size_t pointlen, mbedtls_md_type_t md, const uint8_t *info,
    size_t infolen, uint8_t *kek, size_t keklen)
{
	struct key_remote *k = arg;
	struct km_msg q, r;
	uint8_t buf[KM_MAX];
	int rc = -1;

	request(&q, KM_KEK, k, point, pointlen);
	q.md = md;
	q.curve = curve;
	q.outlen = keklen;
	q.d2 = info;
	q.l2 = infolen;
	if (keyclient_call(&q, &r, buf) == -1)
		return -1;
	if (r.status == KM_OK && r.l1 == keklen) {
		memcpy(kek, r.d1, keklen);
		rc = 0;
	} else if (r.status == KM_REFUSED || r.status == KM_NOKEY)
		rc = -2;	/* logged by the key process */
	else if (r.status != KM_FAIL)	/* FAIL: not our point, quietly */
		log_warnx("key process: key agreement with %.16s: %s", k->fpr,
		    km_status_str(r.status));
	mbedtls_platform_zeroize(buf, sizeof(buf));
	return rc;
}

void
key_remote_init(struct key_remote *k, const char *fpr, mbedtls_pk_type_t t)
{
	memset(k, 0, sizeof(*k));
	(void)strlcpy(k->fpr, fpr, sizeof(k->fpr));
	k->op.type = t;
	k->op.sign = remote_sign;
	k->op.unwrap = remote_unwrap;
	k->op.kek = remote_kek;
	k->op.arg = k;
}

/*
 * The keystore's blob opener in a sandboxed worker (ks_set_blob_opener):
 * the worker's key process opens certs/FPR.EXT.  ENOENT when there is
 * none (a certificate stored without a chain).
 */
int
keyclient_open_blob(void *arg, const char *sub, const char *fpr,
    const char *ext)
{
	struct km_msg q, r;
	uint8_t buf[KM_MAX];
	int fd;

	(void)arg;
	if (strcmp(sub, "certs") != 0 || strlen(fpr) != KM_FPR_LEN) {
		errno = EINVAL;
		return -1;
	}
	memset(&q, 0, sizeof(q));
	q.type = KM_OPEN;
	memcpy(q.fpr, fpr, KM_FPR_LEN);
	q.d1 = (const uint8_t *)ext;
	q.l1 = strlen(ext);
	if (keyclient_call_fd(&q, &r, buf, &fd) == -1) {
		errno = EIO;
		return -1;
	}
	if (r.status != KM_OK || fd == -1) {
		if (fd != -1)
			(void)close(fd);
		errno = ENOENT;
		return -1;
	}
	return fd;
}
