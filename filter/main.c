/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * filter-smime: S/MIME for the mail gateway, as an OpenSMTPD filter
 * (filter proc-exec) speaking the filter protocol on stdin and stdout.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "engine.h"
#include "keyproc.h"
#include "hooks.h"
#include "log.h"
#include "loop.h"
#include "mbedtls_compat.h"
#include "proto.h"
#include "lookrcpt.h"
#include "revcheck.h"
#include "sandbox.h"
#include "spool.h"

#define EX_DROP		3	/* -c: discard this recipient (key-missing: drop) */

#define MEM_LIMIT	(64 * 1024 * 1024)	/* all messages in memory */
#define MSG_MEM_LIMIT	(1024 * 1024)		/* one message in memory */

struct options {
	int		 debug;
	int		 verbose;
	int		 check_only;
	int		 pipe;
	int		 exim;		/* -e: Exim transport filter */
	int		 rcpt_check;	/* -c: RCPT-time check, no message */
	unsigned int	 deadline;	/* -t: seconds, 0 = none */
	long		 workers;	/* -j: worker processes, -1 default */
	int		 have_deadline;
	enum engine_action action;
	const char	*rules;
	const char	*keystore;
	const char	*sender;
	struct signers_client client;	/* -u, -i */
	int		 have_client;
	char		**rcpts;
	int		 nrcpts;
};

static volatile sig_atomic_t got_hup;
static int exim_mode;		/* usage() must exit 75 under Exim */

static void
on_hup(int sig)
{
	(void)sig;
	got_hup = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: filter-smime [-dnv] [-a action] [-f rules.yaml] "
	    "[-j workers] [-k keystore]\n"
	    "                    [-t seconds]\n"
	    "       filter-smime -p [-v] [-a action] [-f rules.yaml] "
	    "[-k keystore] [-i address]\n"
	    "                   [-u login] -s sender [-r recipient ...]\n"
	    "       filter-smime -p -e [-t seconds] [-a action] "
	    "[-f rules.yaml] [-k keystore]\n"
	    "                   [-i address] [-u login] -s sender -r recipient ...\n"
	    "       filter-smime -c [-e] [-f rules.yaml] [-k keystore] "
	    "[-i address] [-u login]\n"
	    "                   -s sender -r recipient ...\n");
	if (exim_mode) {
		log_warnx("bad command line (see filter-smime(8))");
		exit(EX_TEMPFAIL);
	}
	exit(EX_USAGE);
}

/* The keystore is a directory nobody but its owner may read. */
static int
check_keystore(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		log_warnx("keystore %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("keystore %s: not a directory", path);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO) & ~S_IXGRP & ~S_IRGRP) {
		log_warnx("keystore %s: readable or writable by others "
		    "(mode %o)", path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

static int
check_config(const struct options *o)
{
	if (o->keystore && check_keystore(o->keystore) == -1)
		return -1;
	return 0;
}

static void
setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	/* a vanished smtpd is seen as EPIPE on write, not as a signal */
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		fatalx("sigaction: %s", strerror(errno));
	sa.sa_handler = on_hup;
	if (sigaction(SIGHUP, &sa, NULL) == -1)
		fatalx("sigaction: %s", strerror(errno));
}

/*
 * -a: auto (the rules decide), sign, encrypt, sign-encrypt (required,
 * whatever the rules say), none; verify for an inbound listener.
 */
static int
parse_action(const char *s, enum engine_action *a)
{
	if (strcmp(s, "auto") == 0)
		*a = ACTION_AUTO;
	else if (strcmp(s, "sign") == 0)
		*a = ACTION_SIGN;
	else if (strcmp(s, "none") == 0)
		*a = ACTION_NONE;
	else if (strcmp(s, "encrypt") == 0)
		*a = ACTION_ENCRYPT;
	else if (strcmp(s, "sign-encrypt") == 0)
		*a = ACTION_SIGN_ENCRYPT;
	else if (strcmp(s, "triple") == 0)
		*a = ACTION_TRIPLE;
	else if (strcmp(s, "verify") == 0 || strcmp(s, "decrypt") == 0)
		*a = ACTION_VERIFY;	/* inbound: decrypts, then verifies */
	else
		return -1;
	return 0;
}

/*
 * -c: may these recipients be accepted at RCPT time?  The engine's RCPT
 * logic (the rules' key-missing for a recipient without a certificate
 * where encryption is required).  One word on standard output, for
 * ${run} in Exim's acl_smtp_rcpt: ok (0), bounce (77), tempfail (75).
 */
static int
rcpt_check(struct engine *g, const struct options *o)
{
	struct engine_result r;
	int i, rc = EX_OK;

	/* with -u or -i: may this client sign as the sender at all? */
	if (o->have_client &&
	    engine_sender_check(g, &o->client, o->sender, &r) == -1) {
		log_info("sender check: %s: %s", engine_verdict_str(r.verdict),
		    r.why);
		rc = r.verdict == VERDICT_REJECT ? EX_NOPERM : EX_TEMPFAIL;
		printf("%s\n", rc == EX_NOPERM ? "bounce" : "tempfail");
		return fflush(stdout) == EOF ? EX_TEMPFAIL : rc;
	}
	for (i = 0; i < o->nrcpts; i++) {
		if (engine_rcpt_check(g, o->sender, o->rcpts[i], &r) == 0)
			continue;
		log_info("rcpt check: %s: %s", engine_verdict_str(r.verdict),
		    r.why);
		if (r.verdict == VERDICT_REJECT) {
			rc = EX_NOPERM;
			break;
		}
		if (r.verdict == VERDICT_DROP && rc == EX_OK)
			rc = EX_DROP;
		else if (r.verdict != VERDICT_DROP)
			rc = EX_TEMPFAIL;
	}
	printf("%s\n", rc == EX_OK ? "ok" : rc == EX_NOPERM ? "bounce" :
	    rc == EX_DROP ? "drop" : "tempfail");
	if (fflush(stdout) == EOF)
		return EX_TEMPFAIL;
	return rc;
}

static unsigned int
parse_seconds(const char *s)
{
	const char *errstr;
	long long n;

	n = strtonum(s, 0, 86400, &errstr);
	if (errstr != NULL)
		usage();
	return (unsigned int)n;
}

static int
run_filter(struct engine *g, long nworkers, unsigned int deadline)
{
	struct filter f;
	const char *tmpdir;
	int rc;

	setup_signals();
	if ((tmpdir = getenv("TMPDIR")) == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	if (filter_init(&f, MEM_LIMIT, MSG_MEM_LIMIT, tmpdir) == -1)
		fatalx("out of memory");
	hooks_install(&f, g);
	/*
	 * Workers sign and verify; without a keystore or inbound checks
	 * there is nothing for them to do.
	 */
	if (nworkers < 0)
		nworkers = g->have_store || g->action == ACTION_VERIFY ?
		    (long)workers_default() : 0;
	f.workers.deadline = deadline ? deadline : WORKER_DEADLINE;
	if (workers_start(&f, (size_t)nworkers, &got_hup) == -1)
		log_warnx("fewer worker processes than asked: %zu",
		    f.workers.n);
	(void)sandbox_loop(g->have_store ? g->store_dir : NULL, g->rules_path,
	    tmpdir, log_warnx);
	rc = loop_run(&f, STDIN_FILENO, STDOUT_FILENO, &got_hup);
	workers_stop(&f);
	log_debug("exiting: %llu messages, %llu bad lines",
	    (unsigned long long)f.nmessages, (unsigned long long)f.nbadlines);
	filter_free(&f);
	return rc ? EX_CONFIG : EX_OK;
}

/*
 * Fork the key process.  In pipe mode this process's message may use
 * the keys of its sender and its -r recipients; with no -r (a script
 * decrypting by hand) any internal key.
 */
static int
start_keyproc(struct engine *g, const struct options *o)
{
	const char *mk;

	if (keyclient_start(g->store_dir) == -1) {
		log_warnx("cannot start the key process: %s", strerror(errno));
		return -1;
	}
	/*
	 * A master key given in the environment is the key process's now:
	 * wiped from ours, so that no worker forked later inherits it.
	 */
	if ((mk = getenv("FILTER_SMIME_MASTER_KEY")) != NULL) {
		explicit_bzero((char *)(uintptr_t)mk, strlen(mk));
		(void)unsetenv("FILTER_SMIME_MASTER_KEY");
	}
	if (o->pipe && keyclient_grant(keyclient_fd(), KM_SELF, o->sender,
	    o->rcpts,
	    (size_t)o->nrcpts, o->nrcpts == 0) == -1) {
		log_warnx("key process: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* A broken configuration: 78, but 75 under Exim and "tempfail" for -c. */
static int
config_failed(const struct options *o)
{
	if (o->rcpt_check) {
		printf("tempfail\n");
		fflush(stdout);
		return EX_TEMPFAIL;
	}
	return o->exim ? EX_TEMPFAIL : EX_CONFIG;
}

int
main(int argc, char *argv[])
{
	struct options o;
	static struct engine g;	/* zero, as engine_init needs */
	const char *errstr;
	char err[256];
	int ch, rc;

	memset(&o, 0, sizeof(o));
	o.workers = -1;
	/* -e decides where usage errors go: look for it first */
	for (ch = 1; ch < argc && strcmp(argv[ch], "--") != 0; ch++)
		if (strcmp(argv[ch], "-e") == 0)
			exim_mode = 1;
	if (exim_mode) {
		opterr = 0;		/* getopt must not write to stderr */
		log_use_syslog(EX_TEMPFAIL);
	}
	if ((o.rcpts = calloc((size_t)argc + 1, sizeof(*o.rcpts))) == NULL)
		fatalx("out of memory");
	while ((ch = getopt(argc, argv, "a:cdef:i:j:k:npr:s:t:u:v")) != -1) {
		switch (ch) {
		case 'a':
			if (parse_action(optarg, &o.action) == -1)
				usage();
			break;
		case 'p':
			o.pipe = 1;
			break;
		case 'c':
			o.rcpt_check = 1;
			break;
		case 't':
			o.deadline = parse_seconds(optarg);
			o.have_deadline = 1;
			break;
		case 'e':
			o.exim = exim_mode = 1;
			break;
		case 's':
			o.sender = optarg;
			break;
		case 'r':
			o.rcpts[o.nrcpts++] = optarg;
			break;
		case 'd':
			o.debug = 1;
			o.verbose++;
			break;
		case 'f':
			o.rules = optarg;
			break;
		case 'j':
			o.workers = (long)strtonum(optarg, 0, WORKERS_MAX,
			    &errstr);
			if (errstr != NULL)
				usage();
			break;
		case 'k':
			o.keystore = optarg;
			break;
		case 'n':
			o.check_only = 1;
			break;
		case 'u':
			o.client.login = optarg;
			o.have_client = 1;
			break;
		case 'i':
			o.client.src = optarg;
			o.have_client = 1;
			break;
		case 'v':
			o.verbose++;
			break;
		default:
			usage();
		}
	}
	/* recipients: each -r, and the operands after one ("-r a b c" is
	 * how Exim's $pipe_addresses expands) */
	if ((o.nrcpts > 0 || optind < argc) && !o.pipe && !o.rcpt_check)
		usage();
	while (optind < argc)
		o.rcpts[o.nrcpts++] = argv[optind++];
	if (o.pipe && o.sender == NULL && o.action != ACTION_VERIFY)
		usage();
	/* -c: recipients to check, or (with -u or -i) the sender alone */
	if (o.rcpt_check && (o.pipe || (o.nrcpts == 0 && !o.have_client) ||
	    o.sender == NULL))
		usage();
	if (o.exim && !o.pipe && !o.rcpt_check)
		usage();
	if (o.have_client && !o.pipe && !o.rcpt_check)
		usage();		/* smtpd reports the client itself */
	if (o.workers >= 0 && (o.pipe || o.rcpt_check))
		usage();
	if (o.sender == NULL)
		o.sender = "";
	log_init(o.verbose);
	if (o.exim && !o.have_deadline)
		o.deadline = 60;
	if (o.exim)
		pipe_log_context(NULL, 0, o.rcpts, o.nrcpts);
	/* the deadline covers everything: reading the keystore too */
	if (o.pipe || o.rcpt_check)
		log_deadline_arm(o.deadline, EX_TEMPFAIL);

	if (compat_init() == -1) {
		/* entropy missing: a later try may find it */
		log_warnx("the crypto library would not start (%s)",
		    compat_version());
		free(o.rcpts);
		return EX_TEMPFAIL;
	}
	if (check_config(&o) == -1) {
		free(o.rcpts);
		return config_failed(&o);
	}
	if (engine_init(&g, o.rules, o.keystore, o.action, err, sizeof(err))
	    == -1) {
		log_warnx("%s", err);
		free(o.rcpts);
		return config_failed(&o);
	}
	/*
	 * Filter mode drops a recipient by rewriting it to drop-to; under
	 * Exim the ACL's discard does it, without one.
	 */
	if (!o.pipe && !o.rcpt_check && rules_drop_line(g.rules) != 0 &&
	    rules_drop_to(g.rules) == NULL) {
		log_warnx("%s:%zu:1: key-missing: drop needs drop-to (the "
		    "address smtpd sends dropped recipients to)", o.rules ?
		    o.rules : "rules", rules_drop_line(g.rules));
		engine_free(&g);
		free(o.rcpts);
		return config_failed(&o);
	}
	if (o.check_only) {
		free(o.rcpts);
		fprintf(stderr, "filter-smime: configuration OK\n"
		    "filter-smime: transaction mode shared: one signed body "
		    "goes to all recipients of a transaction; signing adds no "
		    "recipient list, so Bcc recipients stay hidden, but a Bcc "
		    "copy cannot be left unsigned (bcc: skip-sign needs "
		    "per-recipient transactions)\n");
		signers_print(rules_signers(g.rules), stderr);
		revcheck_print(&g, stderr);
		lookrcpt_print(&g, stderr);
		engine_free(&g);
		return EX_OK;
	}
	/*
	 * The key process, before any message is read: from here on this
	 * process and its workers ask it for every private-key operation.
	 */
	if (!o.rcpt_check && g.have_store && start_keyproc(&g, &o) == -1) {
		engine_free(&g);
		free(o.rcpts);
		return o.exim || o.pipe ? EX_TEMPFAIL : EX_OSERR;
	}
	/* passes over a spooled message keep little of it resident */
	mime_set_reclaim(spool_reclaim, NULL);
	mime_set_fetch(spool_fetch);
	mime_set_scratch(&spool_scratch_ops);
	if (o.rcpt_check)
		rc = rcpt_check(&g, &o);
	else if (o.pipe) {
		rc = pipe_run_sandboxed(&g, o.have_client ? &o.client : NULL,
		    o.sender, o.rcpts, o.nrcpts);
		/* Exim defers on any non-zero status: say so plainly */
		if (o.exim && rc != EX_OK)
			rc = EX_TEMPFAIL;
	} else
		rc = run_filter(&g, o.workers, o.deadline);
	alarm(0);
	keyclient_stop();
	engine_free(&g);
	free(o.rcpts);
	return rc;
}
