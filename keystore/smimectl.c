/*
 * smimectl: manage the filter-smime keystore.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define EX_OK		0
#define EX_USAGE	64
#define EX_CANTCREAT	73
#define EX_IOERR	74

#ifndef KEYSTORE_DEFAULT
#define KEYSTORE_DEFAULT	"/etc/mail/smime"
#endif

#define MASTER_KEY_LEN	32

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: smimectl [-k store] verb [args]\n"
	    "verbs:\n"
	    "  init    create an empty store with a new master key\n");
	exit(status);
}

/* Write all of buf; -1 on error. */
static int
write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * init: the store directory (0700) and its master key (0600, 32 random
 * bytes) that seals every private key put in the store later.
 */
static int
cmd_init(const char *store, int argc, char *argv[])
{
	unsigned char key[MASTER_KEY_LEN];
	char path[4096];
	int fd;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("usage: smimectl [-k store] init\n");
		return EX_OK;
	}
	if (argc != 1)
		usage(EX_USAGE);
	if (mkdir(store, 0700) == -1 && errno != EEXIST) {
		fprintf(stderr, "smimectl: %s: %s\n", store, strerror(errno));
		return EX_CANTCREAT;
	}
	if (chmod(store, 0700) == -1) {
		fprintf(stderr, "smimectl: %s: %s\n", store, strerror(errno));
		return EX_CANTCREAT;
	}
	if (snprintf(path, sizeof(path), "%s/master.key", store) >=
	    (int)sizeof(path)) {
		fprintf(stderr, "smimectl: %s: path too long\n", store);
		return EX_USAGE;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd == -1) {
		fprintf(stderr, "smimectl: %s: %s\n", path,
		    errno == EEXIST ? "store already initialised" :
		    strerror(errno));
		return EX_CANTCREAT;
	}
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key) ||
	    write_all(fd, key, sizeof(key)) == -1 || fsync(fd) == -1) {
		fprintf(stderr, "smimectl: %s: %s\n", path, strerror(errno));
		explicit_bzero(key, sizeof(key));
		(void)close(fd);
		(void)unlink(path);
		return EX_IOERR;
	}
	explicit_bzero(key, sizeof(key));
	if (close(fd) == -1) {
		fprintf(stderr, "smimectl: %s: %s\n", path, strerror(errno));
		return EX_IOERR;
	}
	printf("initialised %s\n", store);
	return EX_OK;
}

int
main(int argc, char *argv[])
{
	const char *store = KEYSTORE_DEFAULT;
	int ch;

	if (argc > 1 && strcmp(argv[1], "--help") == 0)
		usage(EX_OK);
	while ((ch = getopt(argc, argv, "+hk:")) != -1) {
		switch (ch) {
		case 'k':
			store = optarg;
			break;
		case 'h':
			usage(EX_OK);
			break;
		default:
			usage(EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage(EX_USAGE);
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "help") == 0)
		usage(EX_OK);
	if (strcmp(argv[0], "init") == 0)
		return cmd_init(store, argc, argv);
	fprintf(stderr, "smimectl: unknown verb: %s\n", argv[0]);
	usage(EX_USAGE);
	return EX_USAGE;
}
