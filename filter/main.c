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
#include <unistd.h>

#include "engine.h"
#include "hooks.h"
#include "log.h"
#include "loop.h"
#include "proto.h"

#define EX_OK		0
#define EX_USAGE	64
#define EX_SOFTWARE	70
#define EX_CONFIG	78

#define MEM_LIMIT	(64 * 1024 * 1024)	/* all messages in memory */
#define MSG_MEM_LIMIT	(1024 * 1024)		/* one message in memory */

struct options {
	int		 debug;
	int		 verbose;
	int		 check_only;
	int		 pipe;
	enum engine_action action;
	const char	*rules;
	const char	*keystore;
	const char	*sender;
	char		**rcpts;
	int		 nrcpts;
};

static volatile sig_atomic_t got_hup;

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
	    "[-k keystore]\n"
	    "       filter-smime -p [-v] [-a action] [-f rules.yaml] "
	    "[-k keystore] -s sender\n"
	    "                   [-r recipient ...]\n");
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
	else if (strcmp(s, "verify") == 0)
		*a = ACTION_VERIFY;
	else
		return -1;
	return 0;
}

static int
run_filter(struct engine *g)
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
	rc = loop_run(&f, STDIN_FILENO, STDOUT_FILENO, &got_hup);
	log_debug("exiting: %llu messages, %llu bad lines",
	    (unsigned long long)f.nmessages, (unsigned long long)f.nbadlines);
	filter_free(&f);
	return rc ? EX_CONFIG : EX_OK;
}

int
main(int argc, char *argv[])
{
	struct options o;
	struct engine g;
	char err[256];
	int ch, rc;

	memset(&o, 0, sizeof(o));
	if ((o.rcpts = calloc((size_t)argc + 1, sizeof(*o.rcpts))) == NULL)
		fatalx("out of memory");
	while ((ch = getopt(argc, argv, "a:df:k:npr:s:v")) != -1) {
		switch (ch) {
		case 'a':
			if (parse_action(optarg, &o.action) == -1)
				usage();
			break;
		case 'p':
			o.pipe = 1;
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
		case 'k':
			o.keystore = optarg;
			break;
		case 'n':
			o.check_only = 1;
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
	if ((o.nrcpts > 0 || optind < argc) && !o.pipe)
		usage();
	while (optind < argc)
		o.rcpts[o.nrcpts++] = argv[optind++];
	if (o.pipe && o.sender == NULL && o.action != ACTION_VERIFY)
		usage();
	if (o.sender == NULL)
		o.sender = "";
	log_init(o.verbose);

	if (check_config(&o) == -1) {
		free(o.rcpts);
		return EX_CONFIG;
	}
	if (engine_init(&g, o.rules, o.keystore, o.action, err, sizeof(err))
	    == -1) {
		log_warnx("%s", err);
		free(o.rcpts);
		return EX_CONFIG;
	}
	if (o.check_only) {
		engine_free(&g);
		free(o.rcpts);
		fprintf(stderr, "filter-smime: configuration OK\n"
		    "filter-smime: transaction mode shared: one signed body "
		    "goes to all recipients of a transaction; signing adds no "
		    "recipient list, so Bcc recipients stay hidden, but a Bcc "
		    "copy cannot be left unsigned (bcc: skip-sign needs "
		    "per-recipient transactions)\n");
		return EX_OK;
	}
	rc = o.pipe ? pipe_run(&g, o.sender, o.rcpts, o.nrcpts) :
	    run_filter(&g);
	engine_free(&g);
	free(o.rcpts);
	return rc;
}
