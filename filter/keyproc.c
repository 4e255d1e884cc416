/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The key process (see keyproc.h).  Single-threaded: it polls the
 * control channel and one channel per worker slot, and always reads
 * every pending control message first.  The loop writes a slot's grant
 * before it hands the slot's worker the job, so the grant is here
 * before any request the job causes.
 *
 * Keys are unsealed on first use, checked against their certificate,
 * kept in a small cache, and wiped when the keystore changes or the
 * process ends.  The master key is read for each unsealing and wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <mbedtls/platform_util.h>

#include "ecpool.h"
#include "keyproc.h"
#include "ks.h"
#include "log.h"
#include "mbedtls_compat.h"
#include "newproc.h"
#include "packet.h"
#include "rsafix.h"

#define KP_KEYS		32
#define KP_CURVES	3	/* curves with nonces made ahead */

struct kp_key {
	char			 fpr[KM_FPR_LEN + 1];
	mbedtls_pk_context	 pk;
	struct rsafix		*fix;	/* RSA by CRT, or NULL */
	unsigned long		 used;
};

/* A channel and what its current message may use. */
struct kp_chan {
	int			 fd;
	char			 grant[KM_MAX];	/* sender, rcpts: NUL-ended */
	size_t			 grantlen;
	int			 any;	/* no recipients named: any */
};

struct keyproc {
	char			*dir;
	struct ks_store		 store;
	int			 have_store;
	time_t			 checked;
	struct kp_key		 keys[KP_KEYS];
	unsigned long		 tick;
	struct kp_chan		 ctl;
	struct kp_chan		 chans[KM_CHANS];
	struct cms_rng		 rng;
	/* ECDSA nonces made while idle, per curve signed with */
	struct ecpool		 pools[KP_CURVES];
	int			 presign;	/* else mbedTLS makes each */
	uint8_t			 buf[KM_MAX];
	uint8_t			 out[KM_MAX];
};

static void	keyproc_main(struct keyproc *) __attribute__((noreturn));

/* Wipe a cached key and forget it. */
static void
key_drop(struct kp_key *kk)
{
	mbedtls_pk_free(&kk->pk);	/* wipes */
	rsafix_free(kk->fix);		/* wipes */
	memset(kk, 0, sizeof(*kk));
}

static void
keys_clear(struct keyproc *k)
{
	size_t i;

	for (i = 0; i < KP_KEYS; i++)
		if (k->keys[i].fpr[0] != '\0')
			key_drop(&k->keys[i]);
}

/* FILTER_SMIME_NO_PRESIGN unset, "" or "0". */
static int
presign_wanted(void)
{
	const char *v = getenv("FILTER_SMIME_NO_PRESIGN");

	return v == NULL || strcmp(v, "") == 0 || strcmp(v, "0") == 0;
}

static void
pools_clear(struct keyproc *k)
{
	size_t i;

	for (i = 0; i < KP_CURVES; i++)
		ecpool_free(&k->pools[i]);
}

static const char *
curve_name(mbedtls_ecp_group_id id)
{
	const mbedtls_ecp_curve_info *ci = mbedtls_ecp_curve_info_from_grp_id(id);

	return ci != NULL ? ci->name : "a curve";
}

/* The pool for key's curve, armed on first use; NULL when none. */
static struct ecpool *
pool_of(struct keyproc *k, const mbedtls_pk_context *key)
{
	mbedtls_ecp_group_id id = compat_ec_group_id(key);
	struct ecpool *free_slot = NULL;
	size_t i;

	if (!k->presign || id == MBEDTLS_ECP_DP_NONE)
		return NULL;
	for (i = 0; i < KP_CURVES; i++) {
		if (k->pools[i].id == id)
			return &k->pools[i];
		if (k->pools[i].id == MBEDTLS_ECP_DP_NONE && free_slot == NULL)
			free_slot = &k->pools[i];
	}
	if (free_slot == NULL || ecpool_arm(free_slot, id) == -1)
		return NULL;
	log_debug("key process: ECDSA nonces for %s made ahead from now on",
	    curve_name(id));
	return free_slot;
}

/* 1 while a pool is short of nonces: then the process polls, not waits. */
static int
pools_want(const struct keyproc *k)
{
	size_t i;

	for (i = 0; i < KP_CURVES; i++)
		if (ecpool_wants(&k->pools[i]))
			return 1;
	return 0;
}

/* One nonce for the first pool short of them; a pool that fails stops. */
static void
pools_fill(struct keyproc *k)
{
	size_t i;

	for (i = 0; i < KP_CURVES; i++)
		if (ecpool_wants(&k->pools[i])) {
			if (ecpool_fill(&k->pools[i], cms_rng_func,
			    &k->rng) == -1) {
				log_warnx("key process: no ECDSA nonce made "
				    "ahead: signing without");
				ecpool_free(&k->pools[i]);
			}
			return;
		}
}

/*
 * An ECDSA signature through the curve's pool: 0 signed, else 1 (no
 * pool, or this is no EC key: sign as usual).  An empty pool (a busy
 * process has no idle time to fill it) makes its nonce now: for P-256
 * and P-384 from its own table in a fraction of mbedTLS's time, for
 * other curves with the curve's table of multiples of G kept between
 * signatures, which mbedTLS 2.28's pk_sign rebuilds for each.
 */
static int
presign(struct keyproc *k, mbedtls_pk_context *pk, const struct km_msg *m,
    uint8_t *res, size_t *n)
{
	struct ecpool *pool;

	if (m->flag || (mbedtls_pk_get_type(pk) != MBEDTLS_PK_ECKEY &&
	    mbedtls_pk_get_type(pk) != MBEDTLS_PK_ECDSA) ||
	    (pool = pool_of(k, pk)) == NULL)
		return 1;
	if (pool->n == 0 && ecpool_fill(pool, cms_rng_func, &k->rng) == -1)
		return 1;
	return ecpool_sign(pool, pk, m->d1, m->l1, res,
	    MBEDTLS_PK_SIGNATURE_MAX_SIZE, n, cms_rng_func, &k->rng) == 0 ?
	    0 : 1;
}

/*
 * A PKCS #1 v1.5 signature by the key's CRT form: 0 signed, else 1 (no
 * such form, PSS, or a refusal: sign as usual).
 */
static int
rsa_sign(struct kp_key *kk, const struct km_msg *m, uint8_t *res, size_t *n)
{
	if (kk->fix == NULL || m->flag ||
	    rsafix_sign(kk->fix, m->md, m->d1, m->l1, res) == -1)
		return 1;
	*n = rsafix_len(kk->fix);
	return 0;
}

/* A newer index: read it, and forget keys it may have retired. */
static void
refresh(struct keyproc *k)
{
	struct ks_error e;
	time_t now = time(NULL);

	if (now == k->checked || k->dir == NULL)
		return;
	k->checked = now;
	if (!k->have_store) {
		if (ks_open(&k->store, k->dir, &e) == 0)
			k->have_store = 1;
		return;
	}
	if (!ks_changed(&k->store))
		return;
	if (ks_reload(&k->store, &e) == -1) {
		log_warnx("key process: keystore: %s", e.msg);
		return;
	}
	keys_clear(k);
}

/* The unsealed key of en, from the cache or the store; warn: log why not. */
static struct kp_key *
key_of(struct keyproc *k, const struct ks_entry *en, int warn)
{
	uint8_t master[KS_MASTER_LEN];
	struct kp_key *kk, *victim = &k->keys[0];
	mbedtls_x509_crt crt;
	struct ks_error e;
	size_t i;
	int ok;

	for (i = 0; i < KP_KEYS; i++) {
		kk = &k->keys[i];
		if (strcmp(kk->fpr, en->fpr) == 0) {
			kk->used = ++k->tick;
			return kk;
		}
		if (kk->used < victim->used)
			victim = kk;
	}
	if (victim->fpr[0] != '\0')
		key_drop(victim);
	mbedtls_pk_init(&victim->pk);
	mbedtls_x509_crt_init(&crt);
	ok = ks_master_key(k->dir, master, &e) == 0 &&
	    ks_load_key(&k->store, master, en, &victim->pk, &e) == 0;
	mbedtls_platform_zeroize(master, sizeof(master));
	/* once, here: the workers' signatures then need no check */
	if (ok && (ks_load_cert(&k->store, en, &crt, &e) == -1 ||
	    compat_pk_check_pair(&crt.pk, &victim->pk) != 0)) {
		ok = 0;
		snprintf(e.msg, sizeof(e.msg), "the private key of %.16s does "
		    "not match its certificate", en->fpr);
	}
	mbedtls_x509_crt_free(&crt);
	if (!ok) {
		if (warn)
			log_warnx("key process: %s", e.msg);
		mbedtls_pk_free(&victim->pk);
		memset(victim, 0, sizeof(*victim));
		return NULL;
	}
	/* NULL (another size, FILTER_SMIME_NO_HW): mbedTLS signs */
	if (mbedtls_pk_get_type(&victim->pk) == MBEDTLS_PK_RSA)
		victim->fix = rsafix_new(mbedtls_pk_rsa(victim->pk),
		    cms_rng_func, &k->rng);
	(void)strlcpy(victim->fpr, en->fpr, sizeof(victim->fpr));
	victim->used = ++k->tick;
	return victim;
}

/* The grant's strings: sender first. */
static const char *
grant_next(const struct kp_chan *c, size_t *off)
{
	const char *s;

	if (*off >= c->grantlen)
		return NULL;
	s = c->grant + *off;
	*off += strlen(s) + 1;
	return s;
}

/* Is en the signing key of the channel's sender? */
static int
may_sign(struct keyproc *k, const struct kp_chan *c, const struct ks_entry *en,
    const char **why)
{
	const struct ks_entry *mine = NULL;
	size_t off = 0;
	const char *sender = grant_next(c, &off);

	if (sender == NULL || *sender == '\0') {
		*why = "no sender granted";
		return 0;
	}
	if (ks_sign_identity(&k->store, sender, time(NULL), &mine) !=
	    KS_FOUND || mine != en) {
		*why = "not the envelope sender's signing key";
		return 0;
	}
	return 1;
}

/* Is en the key of one of the channel's recipients (or of their domain)? */
static int
may_decrypt(const struct kp_chan *c, const struct ks_entry *en,
    const char **why)
{
	char acct[KS_ACCOUNT_MAX + 1];
	const char *r, *at;
	size_t off = 0;

	if (c->any)
		return 1;
	(void)grant_next(c, &off);		/* the sender */
	while ((r = grant_next(c, &off)) != NULL) {
		if (ks_normalize_account(r, acct, sizeof(acct)) == -1)
			continue;
		if (strcmp(acct, en->account) == 0 || ((at = strrchr(acct,
		    '@')) != NULL && strcmp(at, en->account) == 0))
			return 1;
	}
	*why = "not a recipient's key";
	return 0;
}

/* Which channel: the control's slot, for log lines. */
static const char *
chan_name(const struct keyproc *k, const struct kp_chan *c, char *b, size_t n)
{
	if (c == &k->ctl)
		return "the loop";
	snprintf(b, n, "worker slot %ld", (long)(c - k->chans));
	return b;
}

static void
reply(const struct kp_chan *c, enum km_status st, const uint8_t *d, size_t n,
    uint8_t *buf)
{
	struct km_msg m;
	size_t len;

	memset(&m, 0, sizeof(m));
	m.type = KM_REPLY;
	m.status = st;
	m.d1 = d;
	m.l1 = n;
	if ((len = km_encode(&m, buf, KM_MAX)) == 0 ||
	    packet_send(c->fd, buf, len, -1) == -1)
		log_warnx("key process: cannot answer: %s", strerror(errno));
	mbedtls_platform_zeroize(buf, KM_MAX);
}

/* A key operation, checked against the channel's grant. */
static void
operate(struct keyproc *k, struct kp_chan *c, const struct km_msg *m)
{
	struct cms_keyop_local l;
	const struct ks_entry *en;
	struct kp_key *kk;
	mbedtls_pk_context *pk;
	const char *why = NULL;
	uint8_t res[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t n = 0;
	char cb[32];
	int rc;

	refresh(k);
	en = k->have_store ? ks_by_fpr(&k->store, m->fpr) : NULL;
	if (en == NULL || en->kind != KS_INTERNAL) {
		log_warnx("key process: %s asked for %.16s: no such key",
		    chan_name(k, c, cb, sizeof(cb)), m->fpr);
		reply(c, KM_NOKEY, NULL, 0, k->out);
		return;
	}
	if (m->type == KM_SIGN ? !may_sign(k, c, en, &why) :
	    !may_decrypt(c, en, &why)) {
		log_warnx("key process: refused %s with %.16s (%s) to %s: %s",
		    m->type == KM_SIGN ? "signing" : "decrypting", m->fpr,
		    en->account, chan_name(k, c, cb, sizeof(cb)), why);
		reply(c, KM_REFUSED, NULL, 0, k->out);
		return;
	}
	if ((kk = key_of(k, en, 1)) == NULL) {
		reply(c, KM_NOKEY, NULL, 0, k->out);
		return;
	}
	pk = &kk->pk;
	cms_keyop_local(&l, pk, &k->rng);
	if (m->type == KM_SIGN && (presign(k, pk, m, res, &n) == 0 ||
	    rsa_sign(kk, m, res, &n) == 0))
		rc = 0;
	else if (m->type == KM_SIGN)
		rc = l.op.sign(l.op.arg, m->md, m->flag, m->d1, m->l1, res,
		    &n);
	else if (m->type == KM_UNWRAP) {
		n = m->outlen;
		rc = l.op.unwrap(l.op.arg, m->flag, m->md, m->d1, m->l1, res,
		    n);
	} else {
		n = m->outlen;
		rc = l.op.kek(l.op.arg, m->curve, m->d1, m->l1, m->md, m->d2,
		    m->l2, res, n);
	}
	/* an unwrap's failure is answered as its success is, random octets */
	if (rc < 0 || (rc > 0 && m->type != KM_UNWRAP))
		reply(c, KM_FAIL, NULL, 0, k->out);
	else
		reply(c, rc == 0 ? KM_OK : KM_RANDOM, res, n, k->out);
	mbedtls_platform_zeroize(res, sizeof(res));
}

/*
 * A grant on the control channel (pipe mode's, or the loop's for a
 * message it signs itself) comes before the message is parsed: the
 * sender's signing key is unsealed and checked now, in parallel, not
 * when it is asked for (already cached, this is a lookup).  Nothing is
 * signed; a key that cannot be had is said so when it is asked for.
 */
static void
warm(struct keyproc *k, const struct kp_chan *c)
{
	const struct ks_entry *en = NULL;
	const char *sender;
	size_t off = 0;

	refresh(k);
	if ((sender = grant_next(c, &off)) != NULL && *sender != '\0' &&
	    k->have_store && ks_sign_identity(&k->store, sender, time(NULL),
	    &en) == KS_FOUND && en->kind == KS_INTERNAL)
		(void)key_of(k, en, 0);
}

/* What the loop says: a grant for a channel, or a new worker's socket. */
static void
control(struct keyproc *k, const struct km_msg *m, int fd)
{
	struct kp_chan *c;

	if (m->type == KM_CHANNEL) {
		c = &k->chans[m->chan];
		if (c->fd != -1)
			(void)close(c->fd);
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		return;
	}
	if (fd != -1)
		(void)close(fd);
	c = m->chan == KM_SELF ? &k->ctl : &k->chans[m->chan];
	memcpy(c->grant, m->d1, m->l1);
	c->grantlen = m->l1;
	c->any = m->flag;
	if (m->chan == KM_SELF)
		warm(k, c);
}

/*
 * A certificate's blob for a worker that may not open files: a public
 * file of the store, named by an index entry's fingerprint (never a
 * path from the worker), opened and handed over unread.
 */
static void
open_blob(struct keyproc *k, const struct kp_chan *c, const struct km_msg *m)
{
	struct km_msg r;
	char ext[8], *path;
	size_t len;
	int fd = -1;

	refresh(k);
	memset(&r, 0, sizeof(r));
	r.type = KM_REPLY;
	r.status = KM_NOKEY;
	memcpy(ext, m->d1, m->l1);
	ext[m->l1] = '\0';
	if (k->have_store && ks_by_fpr(&k->store, m->fpr) != NULL &&
	    (path = ks_path(&k->store, "certs", m->fpr, ext)) != NULL) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		free(path);
	}
	if (fd != -1)
		r.status = KM_OK;
	if ((len = km_encode(&r, k->out, KM_MAX)) == 0 ||
	    packet_send(c->fd, k->out, len, fd) == -1)
		log_warnx("key process: cannot answer: %s", strerror(errno));
	if (fd != -1)
		(void)close(fd);
}

/*
 * A key process for a worker, forked from this one (so that the loop,
 * which forks the workers, never needs the master key, not even from
 * its environment): it starts with no key unsealed and no channel but
 * its control channel, whose other end goes back to the loop.
 */
static void
spawn_child(struct keyproc *k)
{
	struct km_msg m;
	size_t i, len;
	int sv[2];
	pid_t pid;

	memset(&m, 0, sizeof(m));
	m.type = KM_REPLY;
	m.status = KM_FAIL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1 ||
	    (pid = fork()) == -1) {
		log_warnx("key process: cannot start another: %s",
		    strerror(errno));
		if ((len = km_encode(&m, k->out, KM_MAX)) > 0)
			(void)packet_send(k->ctl.fd, k->out, len, -1);
		return;
	}
	if (pid == 0) {
		/* its own random octets: blinding is per process */
		if (cms_rng_reseed(&k->rng) == -1)
			_exit(1);
		keys_clear(k);
		/* a nonce used here and in the parent gives the key away */
		pools_clear(k);
		/*
		 * A worker's key process lives as long as the filter and
		 * signs message after message: it makes nonces ahead.  Not
		 * the loop's own, nor pipe mode's, which sign once and end.
		 */
		k->presign = presign_wanted();
		(void)close(k->ctl.fd);
		for (i = 0; i < KM_CHANS; i++)
			if (k->chans[i].fd != -1)
				(void)close(k->chans[i].fd);
		(void)close(sv[0]);
		memset(&k->ctl, 0, sizeof(k->ctl));
		memset(k->chans, 0, sizeof(k->chans));
		k->ctl.fd = sv[1];
		for (i = 0; i < KM_CHANS; i++)
			k->chans[i].fd = -1;
		keyproc_main(k);
	}
	(void)close(sv[1]);
	m.status = KM_OK;
	if ((len = km_encode(&m, k->out, KM_MAX)) == 0 ||
	    packet_send(k->ctl.fd, k->out, len, sv[0]) == -1)
		log_warnx("key process: cannot answer: %s", strerror(errno));
	(void)close(sv[0]);
}

/*
 * One packet from c: 0 handled, -1 when c is gone.  Control messages
 * only on the control channel; anything malformed is answered KM_BAD,
 * so that a client waiting for an answer gets one.
 */
static int
serve(struct keyproc *k, struct kp_chan *c)
{
	struct km_msg m;
	ssize_t n;
	char cb[32];
	int fd;

	n = packet_recv(c->fd, k->buf, sizeof(k->buf), &fd);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR &&
	    errno != EMSGSIZE))
		return -1;
	if (n == -1) {
		if (errno == EMSGSIZE)
			reply(c, KM_BAD, NULL, 0, k->out);
		return 0;
	}
	if (km_decode(k->buf, (size_t)n, &m) == -1 || m.type == KM_REPLY ||
	    ((m.type == KM_GRANT || m.type == KM_CHANNEL ||
	    m.type == KM_SPAWN) && c != &k->ctl) ||
	    (m.type == KM_CHANNEL) != (fd != -1)) {
		if (fd != -1)
			(void)close(fd);
		log_warnx("key process: a malformed or misplaced request from "
		    "%s", chan_name(k, c, cb, sizeof(cb)));
		reply(c, KM_BAD, NULL, 0, k->out);
	} else if (m.type == KM_GRANT || m.type == KM_CHANNEL)
		control(k, &m, fd);
	else if (m.type == KM_SPAWN)
		spawn_child(k);
	else if (m.type == KM_OPEN)
		open_blob(k, c, &m);
	else
		operate(k, c, &m);
	mbedtls_platform_zeroize(k->buf, (size_t)n);
	return 0;
}

/* Every pending control message, before any worker's request. */
static int
drain_control(struct keyproc *k)
{
	struct pollfd p;

	p.fd = k->ctl.fd;
	p.events = POLLIN;
	while (poll(&p, 1, 0) == 1) {
		if (!(p.revents & POLLIN) || serve(k, &k->ctl) == -1)
			return -1;
	}
	return 0;
}

static void
keyproc_main(struct keyproc *k)
{
	struct pollfd p[KM_CHANS + 1];
	size_t i;
	int n;

	for (;;) {
		for (i = 0; i < KM_CHANS; i++) {
			p[i + 1].fd = k->chans[i].fd;
			p[i + 1].events = POLLIN;
		}
		/*
		 * Grants are read as they come: a message that asks for no
		 * key (refused, unsigned, only verified) still sends one, and
		 * unread ones would fill the socket until the loop blocked
		 * writing the next.  Before a request, drain_control reads
		 * any still pending, so the request meets its own grant.
		 */
		p[0].fd = k->ctl.fd;
		p[0].events = POLLIN;
		/* short of nonces: make one whenever nothing is asked */
		if ((n = poll(p, KM_CHANS + 1, pools_want(k) ? 0 : -1)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0) {
			pools_fill(k);
			continue;
		}
		if (p[0].revents && drain_control(k) == -1)
			break;		/* the loop is gone: so are we */
		for (i = 0; i < KM_CHANS; i++) {
			if (!p[i + 1].revents || k->chans[i].fd == -1)
				continue;
			if (drain_control(k) == -1)
				goto out;
			if (serve(k, &k->chans[i]) == -1) {
				(void)close(k->chans[i].fd);
				memset(&k->chans[i], 0, sizeof(k->chans[i]));
				k->chans[i].fd = -1;
			}
		}
	}
out:
	keys_clear(k);
	pools_clear(k);
	if (k->have_store)
		ks_close(&k->store);
	_exit(0);
}

pid_t
keyproc_start(const char *dir, int *ctl)
{
	static struct keyproc k;	/* large: not on the stack */
	struct sigaction sa;
	int sv[2];
	size_t i;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		return -1;
	}
	if (pid > 0) {
		(void)close(sv[1]);
		(void)fcntl(sv[0], F_SETFD, FD_CLOEXEC);
		*ctl = sv[0];
		return pid;
	}
	close_all_but(sv[1], -1);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGHUP, &sa, NULL);	/* it reloads by itself */
	(void)sigaction(SIGPIPE, &sa, NULL);
	(void)sigaction(SIGCHLD, &sa, NULL);	/* its workers' ones reaped */
	no_dumps();
#ifdef __linux__
	/* its name in ps and /proc: the tests find it so */
	(void)prctl(PR_SET_NAME, "smime-keys", 0, 0, 0);
	/*
	 * Not dumpable: no core file, and no other process of our user (a
	 * worker taken over by a parser bug) may ptrace it or read its
	 * /proc/PID/mem.  Inherited by the workers' key processes it forks.
	 */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
	k.dir = dir ? strdup(dir) : NULL;
	k.ctl.fd = sv[1];
	for (i = 0; i < KM_CHANS; i++)
		k.chans[i].fd = -1;
	for (i = 0; i < KP_CURVES; i++)
		ecpool_init(&k.pools[i]);
	k.presign = 0;		/* see spawn_child */
	if (cms_rng_init(&k.rng) != 0)
		_exit(1);
	refresh(&k);
	keyproc_main(&k);
}
