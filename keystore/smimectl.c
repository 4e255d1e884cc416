/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * smimectl: manage the filter-smime keystore.  One function per verb;
 * every verb has --help; exit codes follow sysexits(3).
 */
#define _GNU_SOURCE	/* memmem(3), getopt_long(3) in glibc */

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <readpassphrase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/pem.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/md.h>

#include "certid.h"
#include "cms.h"
#include "crlfetch.h"
#include "ldapdir.h"
#include "smimeadns.h"
#include "ocspfetch.h"
#include "pembundle.h"
#include "ks.h"
#include "mbedtls_compat.h"


#ifndef KEYSTORE_DEFAULT
#define KEYSTORE_DEFAULT	"/etc/mail/smime"
#endif

#define INPUT_MAX	(16 * 1024 * 1024)
#define PASS_MAX	1024

struct verb {
	const char	*name;
	int		(*fn)(const char *, int, char *[]);
	const char	*usage;
};

static const struct verb *find_verb(const char *);

static int
fail(struct ks_error *e)
{
	fprintf(stderr, "smimectl: %s\n", e->msg);
	return e->code ? e->code : EX_SOFTWARE;
}

/* --help anywhere in a verb's arguments prints its usage. */
static int
want_help(int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

static int
verb_usage(const char *name, int status)
{
	const struct verb *v = find_verb(name);

	fprintf(status ? stderr : stdout, "usage: smimectl [-k store] %s %s\n",
	    name, v ? v->usage : "");
	return status;
}

static int
read_input(const char *path, uint8_t **buf, size_t *len)
{
	size_t cap = 65536, n = 0;
	ssize_t r;
	uint8_t *p;

	if (strcmp(path, "-") != 0)
		return ks_read_file(path, buf, len, INPUT_MAX);
	if ((p = malloc(cap)) == NULL)
		return -1;
	for (;;) {
		if (n == cap) {
			uint8_t *q;

			if (cap >= INPUT_MAX || (q = realloc(p, cap * 2)) ==
			    NULL) {
				free(p);
				errno = EFBIG;
				return -1;
			}
			p = q;
			cap *= 2;
		}
		r = read(STDIN_FILENO, p + n, cap - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			free(p);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*buf = p;
	*len = n;
	return 0;
}

static unsigned
parse_purpose(const char *s)
{
	if (strcmp(s, "sign") == 0)
		return KS_P_SIGN;
	if (strcmp(s, "encrypt") == 0)
		return KS_P_ENCRYPT;
	if (strcmp(s, "both") == 0)
		return KS_P_SIGN | KS_P_ENCRYPT;
	return 0;
}

static const char *
purpose_name(unsigned p)
{
	return p == (KS_P_SIGN | KS_P_ENCRYPT) ? "sign+encrypt" :
	    p == KS_P_SIGN ? "sign" : p == KS_P_ENCRYPT ? "encrypt" : "none";
}

static int
open_store(const char *dir, struct ks_store *s)
{
	struct ks_error e;

	if (ks_open(s, dir, &e) == -1)
		return fail(&e);
	return 0;
}

/* ---- init ------------------------------------------------------------ */

static int
cmd_init(const char *dir, int argc, char *argv[])
{
	struct ks_error e;

	(void)argv;
	if (argc != 1)
		return verb_usage("init", EX_USAGE);
	if (ks_init(dir, &e) == -1)
		return fail(&e);
	printf("initialised %s\n", dir);
	return EX_OK;
}

/* ---- import ---------------------------------------------------------- */

/*
 * The password of a PKCS#12 file or an encrypted key: --password-file,
 * $SMIMECTL_PASSWORD, else a prompt without echo.  Used once, then wiped.
 */
static char *
get_password(const char *file, char *buf, size_t bufsz)
{
	const char *env;
	uint8_t *p;
	size_t len;

	if (file) {
		if (ks_read_file(file, &p, &len, PASS_MAX) == -1)
			return NULL;
		len = strcspn((char *)p, "\r\n");
		if (len >= bufsz)
			len = bufsz - 1;
		memcpy(buf, p, len);
		buf[len] = '\0';
		mbedtls_platform_zeroize(p, len);
		free(p);
		return buf;
	}
	if ((env = getenv("SMIMECTL_PASSWORD")) != NULL) {
		if (strlcpy(buf, env, bufsz) >= bufsz)
			return NULL;
		return buf;
	}
	return readpassphrase("Password: ", buf, bufsz, RPP_REQUIRE_TTY);
}

static int
looks_like_cert_text(const uint8_t *buf, size_t len)
{
	return len > 10 && memmem(buf, len, "-----BEGIN ", 11) != NULL;
}

/* A --key file that needs a password: encrypted PEM, or DER that does
 * not parse in clear (encrypted PKCS#8). */
static int
key_is_encrypted(const uint8_t *key, size_t len)
{
	mbedtls_pk_context pk;
	int rc;

	if (looks_like_cert_text(key, len))
		return memmem(key, len, "ENCRYPTED", 9) != NULL;
	mbedtls_pk_init(&pk);
	rc = compat_pk_parse_key(&pk, key, len, NULL, 0);
	mbedtls_pk_free(&pk);
	return rc != 0;
}

static int
cmd_import(const char *dir, int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "account", required_argument, NULL, 'a' },
		{ "primary", no_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'f' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "key", required_argument, NULL, 'K' },
		{ "purpose", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	struct ks_import_opts o;
	struct ks_imported im[KS_IMPORT_MAX];
	struct ks_error e;
	char pass[PASS_MAX], *pwfile = NULL, *keyfile = NULL;
	uint8_t *buf = NULL, *key = NULL;
	size_t len, keylen = 0, n, i;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': o.account = optarg; break;
		case 'p': o.primary = 1; break;
		case 'f': o.force = 1; break;
		case 'P': pwfile = optarg; break;
		case 'K': keyfile = optarg; break;
		case 'u':
			if ((o.purpose = parse_purpose(optarg)) == 0)
				return verb_usage("import", EX_USAGE);
			break;
		default:
			return verb_usage("import", EX_USAGE);
		}
	}
	if (optind + 1 != argc)
		return verb_usage("import", EX_USAGE);
	if (read_input(argv[optind], &buf, &len) == -1) {
		fprintf(stderr, "smimectl: %s: %s\n", argv[optind],
		    strerror(errno));
		return EX_NOINPUT;
	}
	if (keyfile && ks_read_file(keyfile, &key, &keylen, INPUT_MAX) == -1) {
		fprintf(stderr, "smimectl: %s: %s\n", keyfile, strerror(errno));
		free(buf);
		return EX_NOINPUT;
	}
	o.key = key;
	o.keylen = keylen;
	/* DER that is not one certificate is taken for PKCS#12 */
	if ((!looks_like_cert_text(buf, len) || (key && key_is_encrypted(key,
	    keylen))) && (pwfile || getenv("SMIMECTL_PASSWORD") ||
	    isatty(STDIN_FILENO))) {
		if ((o.password = get_password(pwfile, pass, sizeof(pass))) ==
		    NULL) {
			fprintf(stderr, "smimectl: cannot read the password\n");
			free(buf);
			free(key);
			return EX_NOINPUT;
		}
	}
	rc = ks_import(dir, buf, len, &o, im, &n, &e);
	mbedtls_platform_zeroize(pass, sizeof(pass));
	if (key) {
		mbedtls_platform_zeroize(key, keylen);
		free(key);
	}
	free(buf);
	if (rc == -1)
		return fail(&e);
	for (i = 0; i < n; i++)
		printf("imported %s %s %s %s%s%s\n", im[i].account, im[i].fpr,
		    im[i].has_key ? "internal" : "external",
		    purpose_name(im[i].purpose), im[i].expired ? " EXPIRED" :
		    "", im[i].not_yet_valid ? " NOT-YET-VALID" : "");
	return EX_OK;
}

/* ---- list, show -------------------------------------------------------- */

static const char *
validity(const struct ks_entry *en, time_t now)
{
	if (en->not_after < (int64_t)now)
		return "expired";
	if (en->not_before > (int64_t)now)
		return "not-yet-valid";
	return "valid";
}

static void
fmt_date(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
print_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
print_entry(const struct ks_entry *en, time_t now, int json, int first)
{
	char nb[32], na[32];

	fmt_date(en->not_before, nb);
	fmt_date(en->not_after, na);
	if (!json) {
		printf("%-32s %s %-9s %-8s %-12s %-13s %s%s%s\n", en->account,
		    en->fpr, ks_kind_str(en->kind), ks_state_str(en->state),
		    purpose_name(en->purpose), validity(en, now), na,
		    en->flags & KS_F_PRIMARY_SIGN ? " primary-sign" : "",
		    en->flags & KS_F_PRIMARY_ENCRYPT ? " primary-encrypt" : "");
		return;
	}
	printf("%s\n  {\"account\": ", first ? "" : ",");
	print_json_str(en->account);
	printf(", \"fingerprint\": \"%s\", \"kind\": \"%s\", \"state\": \"%s\", "
	    "\"purpose\": \"%s\", \"validity\": \"%s\", \"not_before\": \"%s\", "
	    "\"not_after\": \"%s\", \"primary_sign\": %s, "
	    "\"primary_encrypt\": %s}", en->fpr, ks_kind_str(en->kind),
	    ks_state_str(en->state), purpose_name(en->purpose),
	    validity(en, now), nb, na,
	    en->flags & KS_F_PRIMARY_SIGN ? "true" : "false",
	    en->flags & KS_F_PRIMARY_ENCRYPT ? "true" : "false");
}

static int
cmd_list(const char *dir, int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "expiring", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 }
	};
	struct ks_store s;
	time_t now = time(NULL);
	long days = -1;
	size_t i;
	int ch, json = 0, rc, first = 1;
	char *end;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'e':
			days = strtol(optarg, &end, 10);
			if (*end || days < 0)
				return verb_usage("list", EX_USAGE);
			break;
		default:
			return verb_usage("list", EX_USAGE);
		}
	}
	if (optind != argc)
		return verb_usage("list", EX_USAGE);
	if ((rc = open_store(dir, &s)) != 0)
		return rc;
	if (json)
		printf("[");
	for (i = 0; i < s.nentries; i++) {
		/* --expiring: current ones that end within DAYS (or ended) */
		if (days >= 0 && (s.entries[i]->state != KS_CURRENT ||
		    s.entries[i]->not_after > (int64_t)now + days * 86400))
			continue;
		print_entry(s.entries[i], now, json, first);
		first = 0;
	}
	if (json)
		printf("%s]\n", first ? "" : "\n");
	ks_close(&s);
	return EX_OK;
}

/* The entries an argument names: an account, or one fingerprint. */
static const struct ks_entry *
lookup_arg(const struct ks_store *s, const char *arg)
{
	const struct ks_entry *en;

	if ((en = ks_by_fpr(s, arg)) != NULL)
		return en;
	return ks_account_entries(s, arg);
}

static int
cmd_show(const char *dir, int argc, char *argv[])
{
	const struct ks_entry *en;
	mbedtls_x509_crt crt;
	struct ks_store s;
	struct ks_error e;
	char buf[4096], origin[400];
	int rc, by_fpr;

	if (argc != 2)
		return verb_usage("show", EX_USAGE);
	if ((rc = open_store(dir, &s)) != 0)
		return rc;
	by_fpr = ks_by_fpr(&s, argv[1]) != NULL;
	if ((en = lookup_arg(&s, argv[1])) == NULL) {
		fprintf(stderr, "smimectl: %s: not in the store\n", argv[1]);
		ks_close(&s);
		return EX_NOINPUT;
	}
	for (; en; en = by_fpr ? NULL : en->next_in_account) {
		print_entry(en, time(NULL), 0, 1);
		ks_origin(&s, en, origin, sizeof(origin));
		if (origin[0] != '\0')
			printf("  from: %s\n", origin);
		mbedtls_x509_crt_init(&crt);
		if (ks_load_cert(&s, en, &crt, &e) == -1) {
			printf("  certificate: %s\n", e.msg);
			rc = EX_DATAERR;
		} else if (mbedtls_x509_crt_info(buf, sizeof(buf), "  ",
		    &crt) > 0)
			fputs(buf, stdout);
		mbedtls_x509_crt_free(&crt);
	}
	ks_close(&s);
	return rc;
}

/* ---- primary, retire, remove ------------------------------------------ */

typedef int (*modify_fn)(struct ks_store *, struct ks_entry *, void *);

/* Lock, load, change the entry account+fpr, save. */
static int
modify(const char *dir, const char *account, const char *fpr, modify_fn fn,
    void *arg)
{
	struct ks_store s;
	struct ks_error e;
	struct ks_entry *en = NULL;
	char acct[KS_ACCOUNT_MAX + 1];
	size_t i;
	int lock, rc;

	if (ks_normalize_account(account, acct, sizeof(acct)) == -1) {
		fprintf(stderr, "smimectl: %s: not an address\n", account);
		return EX_USAGE;
	}
	if ((lock = ks_lock(dir, &e)) == -1)
		return fail(&e);
	if (ks_open(&s, dir, &e) == -1) {
		ks_unlock(lock);
		return fail(&e);
	}
	for (i = 0; i < s.nentries; i++)
		if (strcmp(s.entries[i]->account, acct) == 0 &&
		    strcmp(s.entries[i]->fpr, fpr) == 0)
			en = s.entries[i];
	if (en == NULL) {
		fprintf(stderr, "smimectl: %s has no certificate %s\n", acct,
		    fpr);
		rc = EX_NOINPUT;
	} else if ((rc = fn(&s, en, arg)) == EX_OK && ks_save(&s, &e) == -1)
		rc = fail(&e);
	ks_close(&s);
	ks_unlock(lock);
	return rc;
}

static int
do_primary(struct ks_store *s, struct ks_entry *en, void *arg)
{
	unsigned purpose = *(unsigned *)arg, flags = 0;
	size_t i;

	if (purpose & KS_P_SIGN)
		flags |= KS_F_PRIMARY_SIGN;
	if (purpose & KS_P_ENCRYPT)
		flags |= KS_F_PRIMARY_ENCRYPT;
	if ((en->purpose & purpose) != purpose || en->state != KS_CURRENT) {
		fprintf(stderr, "smimectl: %s cannot be the primary for %s\n",
		    en->fpr, purpose_name(purpose));
		return EX_DATAERR;
	}
	for (i = 0; i < s->nentries; i++)
		if (strcmp(s->entries[i]->account, en->account) == 0)
			s->entries[i]->flags &= ~flags;
	en->flags |= flags;
	return EX_OK;
}

static int
cmd_primary(const char *dir, int argc, char *argv[])
{
	unsigned purpose;

	if (argc == 4 && (purpose = parse_purpose(argv[3])) != 0)
		return modify(dir, argv[1], argv[2], do_primary, &purpose);
	if (argc != 3)
		return verb_usage("primary", EX_USAGE);
	purpose = KS_P_SIGN | KS_P_ENCRYPT;
	return modify(dir, argv[1], argv[2], do_primary, &purpose);
}

/* Retired: kept to decrypt old mail, never chosen to sign or encrypt. */
static int
do_retire(struct ks_store *s, struct ks_entry *en, void *arg)
{
	(void)s;
	(void)arg;
	en->state = KS_RETIRED;
	en->flags = 0;
	return EX_OK;
}

static int
cmd_retire(const char *dir, int argc, char *argv[])
{
	if (argc != 3)
		return verb_usage("retire", EX_USAGE);
	return modify(dir, argv[1], argv[2], do_retire, NULL);
}

static int
do_remove(struct ks_store *s, struct ks_entry *en, void *arg)
{
	char account[KS_ACCOUNT_MAX + 1], fpr[KS_FPR_LEN + 1], *p;
	size_t i;
	int used = 0;

	(void)arg;
	(void)strlcpy(account, en->account, sizeof(account));
	(void)strlcpy(fpr, en->fpr, sizeof(fpr));
	(void)ks_remove_entry(s, account, fpr);
	for (i = 0; i < s->nentries; i++)
		if (strcmp(s->entries[i]->fpr, fpr) == 0)
			used = 1;
	if (!used && (p = ks_path(s, "keys", fpr, "key")) != NULL) {
		/* the key goes with its last entry; blobs are removed after
		 * the index no longer names them (see modify) */
		(void)unlink(p);
		free(p);
	}
	return EX_OK;
}

static int
cmd_remove(const char *dir, int argc, char *argv[])
{
	if (argc != 3)
		return verb_usage("remove", EX_USAGE);
	return modify(dir, argv[1], argv[2], do_remove, NULL);
}

/* ---- export ------------------------------------------------------------ */

static int
write_pem(const uint8_t *der, size_t len)
{
	unsigned char buf[16384];
	size_t olen;

	if (mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n",
	    "-----END CERTIFICATE-----\n", der, len, buf, sizeof(buf), &olen)
	    != 0)
		return -1;
	return fwrite(buf, 1, olen - 1, stdout) == olen - 1 ? 0 : -1;
}

static int
cmd_export(const char *dir, int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "chain", no_argument, NULL, 'c' },
		{ "der", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	const struct ks_entry *en;
	struct ks_store s;
	mbedtls_x509_crt crt, chain;
	const mbedtls_x509_crt *c;
	struct ks_error e;
	uint8_t *cb;
	size_t cl;
	char *p;
	int ch, with_chain = 0, der = 0, rc;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': with_chain = 1; break;
		case 'd': der = 1; break;
		default: return verb_usage("export", EX_USAGE);
		}
	}
	if (optind + 1 != argc || (der && with_chain))
		return verb_usage("export", EX_USAGE);
	if ((rc = open_store(dir, &s)) != 0)
		return rc;
	if ((en = lookup_arg(&s, argv[optind])) == NULL) {
		fprintf(stderr, "smimectl: %s: not in the store\n",
		    argv[optind]);
		ks_close(&s);
		return EX_NOINPUT;
	}
	/* an account names its signing identity, else its first entry */
	if (en->next_in_account && ks_by_fpr(&s, argv[optind]) == NULL &&
	    ks_sign_identity(&s, en->account, time(NULL), &en) != KS_FOUND)
		en = ks_account_entries(&s, argv[optind]);
	mbedtls_x509_crt_init(&crt);
	mbedtls_x509_crt_init(&chain);
	if (ks_load_cert(&s, en, &crt, &e) == -1) {
		rc = fail(&e);
		goto done;
	}
	if (der)
		rc = fwrite(crt.raw.p, 1, crt.raw.len, stdout) == crt.raw.len ?
		    0 : EX_IOERR;
	else
		rc = write_pem(crt.raw.p, crt.raw.len) == 0 ? 0 : EX_IOERR;
	if (rc == 0 && with_chain && (p = ks_path(&s, "certs", en->fpr,
	    "chain")) != NULL) {
		if (ks_read_file(p, &cb, &cl, 1 << 20) == 0) {
			/* concatenated DER: parse one after another */
			(void)mbedtls_x509_crt_parse(&chain, cb, cl);
			for (c = &chain; c && c->raw.p; c = c->next)
				if (write_pem(c->raw.p, c->raw.len) == -1)
					rc = EX_IOERR;
			free(cb);
		}
		free(p);
	}
done:
	mbedtls_x509_crt_free(&crt);
	mbedtls_x509_crt_free(&chain);
	ks_close(&s);
	return rc;
}

/* ---- selfsign ------------------------------------------------------------ */

static int
cmd_selfsign(const char *dir, int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "ec", required_argument, NULL, 'e' },
		{ "rsa", required_argument, NULL, 'r' },
		{ "usage", required_argument, NULL, 'u' },
		{ "days", required_argument, NULL, 'd' },
		{ "primary", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct ks_selfsign_opts o;
	mbedtls_pk_context pk;
	mbedtls_x509_crt crt;
	struct ks_error e;
	char acct[KS_ACCOUNT_MAX + 1], fpr[KS_FPR_LEN + 1];
	int ch, primary = 0, rc;

	memset(&o, 0, sizeof(o));
	o.purpose = KS_P_SIGN | KS_P_ENCRYPT;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'e':
			o.ec_curve = strcmp(optarg, "P-256") == 0 ? 256 :
			    strcmp(optarg, "P-384") == 0 ? 384 :
			    strcmp(optarg, "P-521") == 0 ? 521 : -1;
			if (o.ec_curve < 0)
				return verb_usage("selfsign", EX_USAGE);
			break;
		case 'r': o.rsa_bits = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'u':
			if ((o.purpose = parse_purpose(optarg)) == 0)
				return verb_usage("selfsign", EX_USAGE);
			break;
		case 'd': o.days = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'p': primary = 1; break;
		default: return verb_usage("selfsign", EX_USAGE);
		}
	}
	if (optind + 1 != argc)
		return verb_usage("selfsign", EX_USAGE);
	if (ks_normalize_account(argv[optind], acct, sizeof(acct)) == -1) {
		fprintf(stderr, "smimectl: %s: not an address or @domain\n",
		    argv[optind]);
		return EX_USAGE;
	}
	o.account = acct;
	mbedtls_pk_init(&pk);
	mbedtls_x509_crt_init(&crt);
	rc = EX_OK;
	if (ks_selfsign(&o, &pk, &crt, &e) == -1 ||
	    ks_store_identity(dir, &crt, NULL, &pk, acct, KS_INTERNAL, primary,
	    &e) == -1)
		rc = fail(&e);
	else if (ks_fingerprint(&crt, fpr) == 0)
		printf("%s\n", fpr);
	mbedtls_pk_free(&pk);
	mbedtls_x509_crt_free(&crt);
	return rc;
}

/* ---- check --------------------------------------------------------------- */

/* Every file parses, every key unseals and matches its certificate. */
static int
cmd_check(const char *dir, int argc, char *argv[])
{
	uint8_t master[KS_MASTER_LEN];
	mbedtls_x509_crt crt;
	mbedtls_pk_context pk;
	struct ks_store s;
	struct ks_error e;
	char fpr[KS_FPR_LEN + 1];
	size_t i, bad = 0;
	int rc, have_master = 0;

	(void)argv;
	if (argc != 1)
		return verb_usage("check", EX_USAGE);
	if ((rc = open_store(dir, &s)) != 0)
		return rc;
	for (i = 0; i < s.nentries; i++) {
		const struct ks_entry *en = s.entries[i];

		mbedtls_x509_crt_init(&crt);
		mbedtls_pk_init(&pk);
		if (ks_load_cert(&s, en, &crt, &e) == -1 ||
		    ks_fingerprint(&crt, fpr) == -1 || strcmp(fpr, en->fpr)) {
			printf("BAD %s %s: certificate: %s\n", en->account,
			    en->fpr, e.msg[0] ? e.msg : "fingerprint differs");
			bad++;
		} else if (en->kind == KS_INTERNAL) {
			if (!have_master && ks_master_key(dir, master, &e) == 0)
				have_master = 1;
			if (!have_master || ks_load_key(&s, master, en, &pk,
			    &e) == -1) {
				printf("BAD %s %s: key: %s\n", en->account,
				    en->fpr, e.msg);
				bad++;
			} else if (compat_pk_check_pair(&crt.pk, &pk) != 0) {
				printf("BAD %s %s: key does not match the "
				    "certificate\n", en->account, en->fpr);
				bad++;
			}
		}
		e.msg[0] = '\0';
		mbedtls_x509_crt_free(&crt);
		mbedtls_pk_free(&pk);
	}
	mbedtls_platform_zeroize(master, sizeof(master));
	printf("%zu entries, %zu bad\n", s.nentries, bad);
	ks_close(&s);
	return bad ? EX_DATAERR : EX_OK;
}

/* ---- harvested, crl, anchor, verify ---------------------------------------- */

#ifndef SYSTEM_CA_BUNDLE
#define SYSTEM_CA_BUNDLE	"/etc/ssl/certs/ca-certificates.crt"
#endif

static int
cmd_harvested(const char *dir, int argc, char *argv[])
{
	struct ks_store s;
	struct ks_error e;
	time_t now = time(NULL);
	size_t i;
	int rc, first = 1;

	if (argc == 1 || (argc == 2 && strcmp(argv[1], "list") == 0)) {
		if ((rc = open_store(dir, &s)) != 0)
			return rc;
		for (i = 0; i < s.nentries; i++)
			if (s.entries[i]->kind == KS_HARVESTED) {
				print_entry(s.entries[i], now, 0, first);
				first = 0;
			}
		ks_close(&s);
		return EX_OK;
	}
	if (argc == 3 && (strcmp(argv[1], "approve") == 0 ||
	    strcmp(argv[1], "reject") == 0)) {
		if (ks_set_state(dir, argv[2], strcmp(argv[1], "approve") == 0 ?
		    KS_CURRENT : KS_REJECTED, &e) == -1)
			return fail(&e);
		return EX_OK;
	}
	return verb_usage("harvested", EX_USAGE);
}

/* Parse, then keep under a name of its own content's hash. */
static int
import_into(const char *dir, const char *sub, const char *file, int crl)
{
	mbedtls_x509_crl c;
	mbedtls_x509_crt t;
	struct ks_store s;
	struct ks_error e;
	unsigned char h[32];
	uint8_t *buf;
	size_t len, i;
	char name[80], *path;
	int rc, bad;

	if (read_input(file, &buf, &len) == -1) {
		fprintf(stderr, "smimectl: %s: %s\n", file, strerror(errno));
		return EX_NOINPUT;
	}
	mbedtls_x509_crl_init(&c);
	mbedtls_x509_crt_init(&t);
	buf = realloc(buf, len + 1);
	if (buf == NULL)
		return EX_SOFTWARE;
	buf[len] = '\0';
	if (crl)
		bad = mbedtls_x509_crl_parse(&c, buf, len + (buf[0] != 0x30)) != 0;
	else
		bad = mbedtls_x509_crt_parse(&t, buf, len + (buf[0] != 0x30)) != 0 ||
		    !compat_crt_is_ca(&t);
	mbedtls_x509_crl_free(&c);
	mbedtls_x509_crt_free(&t);
	if (bad) {
		fprintf(stderr, "smimectl: %s: not a %s\n", file, crl ? "CRL" :
		    "CA certificate");
		free(buf);
		return EX_DATAERR;
	}
	if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), buf,
	    len, h) != 0 ||
	    (rc = open_store(dir, &s)) != 0) {
		free(buf);
		return EX_SOFTWARE;
	}
	for (i = 0; i < 16; i++)
		snprintf(name + 2 * i, 3, "%02x", h[i]);
	rc = EX_OK;
	if ((path = ks_path(&s, sub, name, buf[0] == 0x30 ? "der" : "pem")) ==
	    NULL || ks_write_file(path, sub, buf, len, &e) == -1)
		rc = path ? fail(&e) : EX_SOFTWARE;
	else
		printf("%s\n", path);
	free(path);
	free(buf);
	ks_close(&s);
	return rc;
}

static void
crl_report(const char *uri, const char *what)
{
	fprintf(stderr, "smimectl: crl fetch: %s: %s\n", uri, what);
}

/*
 * For cron: problems on stderr, one summary line on stdout.  Exit 0
 * when every CRL was fetched and is current, 65 when one was refused
 * or is stale (a human should look), else 75 when one could not be
 * fetched (the next run may).
 */
static int
crl_fetch(const char *dir, int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "max-size", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	struct crlfetch_opts o;
	struct crlfetch_tally t;
	struct ks_store s;
	const char *err;
	int ch, rc;

	o.timeout = 10;
	o.max_size = (size_t)32 << 20;
	o.ca_bundle = SYSTEM_CA_BUNDLE;
	o.now = time(NULL);
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 't':
			o.timeout = (int)strtonum(optarg, 1, 3600, &err);
			break;
		case 'm':
			o.max_size = (size_t)strtonum(optarg, 1024,
			    (long long)1 << 30, &err);
			break;
		default:
			return verb_usage("crl", EX_USAGE);
		}
		if (err != NULL)
			return verb_usage("crl", EX_USAGE);
	}
	if (optind != argc)
		return verb_usage("crl", EX_USAGE);
	if ((rc = open_store(dir, &s)) != 0)
		return rc;
	(void)ks_crl_fetch(&s, &o, &t, crl_report);
	ks_close(&s);
	printf("%zu distribution points: %zu updated, %zu unchanged, "
	    "%zu failed, %zu refused, %zu stale; %zu not http:// skipped\n",
	    t.points, t.updated, t.unchanged, t.failed, t.refused, t.stale,
	    t.skipped);
	if (t.refused || t.stale)
		return EX_DATAERR;
	return t.failed ? EX_TEMPFAIL : EX_OK;
}

static int
cmd_crl(const char *dir, int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "fetch") == 0)
		return crl_fetch(dir, argc - 1, argv + 1);
	if (argc != 3 || strcmp(argv[1], "import") != 0)
		return verb_usage("crl", EX_USAGE);
	return import_into(dir, "crls", argv[2], 1);
}

static void
ocsp_report(const char *account, const char *fpr, const char *what)
{
	fprintf(stderr, "smimectl: ocsp fetch: %s %.16s: %s\n", account, fpr,
	    what);
}

/*
 * For cron, as crl fetch: 0 when every answer is good, 65 when one is
 * revoked, unknown or not believed, else 75 when one could not be had.
 */
static int
ocsp_fetch(const char *dir, int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "no-nonce", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct ocspfetch_opts o;
	struct ocspfetch_tally t;
	struct ks_store s;
	const char *err = NULL;
	int ch, rc;

	o.timeout = 10;
	o.nonce = 1;
	o.ca_bundle = SYSTEM_CA_BUNDLE;
	o.now = time(NULL);
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 't':
			o.timeout = (int)strtonum(optarg, 1, 3600, &err);
			break;
		case 'n':
			o.nonce = 0;
			break;
		default:
			return verb_usage("ocsp", EX_USAGE);
		}
		if (err != NULL)
			return verb_usage("ocsp", EX_USAGE);
	}
	if (optind != argc)
		return verb_usage("ocsp", EX_USAGE);
	if ((rc = open_store(dir, &s)) != 0)
		return rc;
	(void)ks_ocsp_fetch(&s, &o, &t, ocsp_report);
	ks_close(&s);
	printf("%zu certificates asked: %zu good, %zu revoked, %zu unknown, "
	    "%zu failed, %zu refused; %zu without a responder\n", t.certs,
	    t.good, t.revoked, t.unknown, t.failed, t.refused, t.no_responder);
	if (t.revoked || t.unknown || t.refused)
		return EX_DATAERR;
	return t.failed ? EX_TEMPFAIL : EX_OK;
}

static int
cmd_ocsp(const char *dir, int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "fetch") == 0)
		return ocsp_fetch(dir, argc - 1, argv + 1);
	return verb_usage("ocsp", EX_USAGE);
}

/* ---- directory lookup ------------------------------------------------ */

/* The found certificates that name addr into the store, as imports. */
static int
directory_import(const char *dir, const struct ldapdir_found *f,
    const char *addr)
{
	struct ks_import_opts o;
	struct ks_imported im[KS_IMPORT_MAX];
	struct ks_error e;
	char origin[400];
	size_t i, n, j;

	memset(&o, 0, sizeof(o));
	o.purpose = KS_P_ENCRYPT;
	for (i = 0; i < f->n; i++) {
		if (!ks_cert_names(f->der[i], f->len[i], addr))
			continue;
		if (ks_import(dir, f->der[i], f->len[i], &o, im, &n, &e) == -1)
			return fail(&e);
		snprintf(origin, sizeof(origin), "directory %s", f->uri);
		for (j = 0; j < n; j++) {
			printf("imported %s %s external %s (from %s)\n",
			    im[j].account, im[j].fpr,
			    purpose_name(im[j].purpose), f->uri);
			if (ks_origin_write(dir, im[j].fpr, origin, &e) == -1)
				return fail(&e);
		}
	}
	return EX_OK;
}

/*
 * What the directory holds for an address, shown, and kept only when
 * asked (--import): 0 found, 1 none, 75 no server answered.
 */
static int
directory_lookup(const char *dir, int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "uri", required_argument, NULL, 'H' },
		{ "base", required_argument, NULL, 'b' },
		{ "filter", required_argument, NULL, 'f' },
		{ "attribute", required_argument, NULL, 'A' },
		{ "bind-dn", required_argument, NULL, 'D' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "timeout", required_argument, NULL, 't' },
		{ "import", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct ldapdir_conf c;
	struct ldapdir_found f;
	char pass[PASS_MAX], why[256], fpr[2 * 32 + 1];
	const char *err = NULL, *pwfile = NULL;
	uint8_t h[32];
	size_t i;
	int ch, import = 0, rc = EX_OK;

	memset(&c, 0, sizeof(c));
	c.filter = "(mail=%s)";
	c.timeout = 5;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'H':
			if (c.nuri == LDAPDIR_URIS)
				return verb_usage("directory", EX_USAGE);
			c.uri[c.nuri++] = optarg;
			break;
		case 'b': c.base = optarg; break;
		case 'f': c.filter = optarg; break;
		case 'A':
			if (c.nattr == LDAPDIR_ATTRS)
				return verb_usage("directory", EX_USAGE);
			c.attr[c.nattr++] = optarg;
			break;
		case 'D': c.bind_dn = optarg; break;
		case 'P': pwfile = optarg; break;
		case 't':
			c.timeout = (int)strtonum(optarg, 1, 60, &err);
			break;
		case 'i': import = 1; break;
		default:
			return verb_usage("directory", EX_USAGE);
		}
		if (err != NULL)
			return verb_usage("directory", EX_USAGE);
	}
	if (optind + 1 != argc || c.nuri == 0 || c.base == NULL ||
	    (pwfile != NULL) != (c.bind_dn != NULL))
		return verb_usage("directory", EX_USAGE);
	if (c.nattr == 0) {
		c.attr[c.nattr++] = "userSMIMECertificate";
		c.attr[c.nattr++] = "userCertificate;binary";
	}
	if (pwfile != NULL) {
		if ((c.password = get_password(pwfile, pass, sizeof(pass))) ==
		    NULL) {
			fprintf(stderr, "smimectl: cannot read the password\n");
			return EX_NOINPUT;
		}
	}
	switch (ldapdir_lookup(&c, argv[optind], &f, why, sizeof(why))) {
	case LDAPDIR_UNAVAILABLE:
		fprintf(stderr, "smimectl: directory lookup: %s\n", why);
		rc = ldapdir_available() ? EX_USAGE : EX_UNAVAILABLE;
		break;
	case LDAPDIR_DOWN:
		fprintf(stderr, "smimectl: directory lookup: %s\n", why);
		rc = EX_TEMPFAIL;
		break;
	case LDAPDIR_NONE:
		printf("none %s (%s)\n", argv[optind], f.uri);
		rc = 1;
		break;
	case LDAPDIR_FOUND:
		for (i = 0; i < f.n; i++) {
			if (mbedtls_md(mbedtls_md_info_from_type(
			    MBEDTLS_MD_SHA256), f.der[i], f.len[i], h) != 0)
				continue;
			for (ch = 0; ch < 32; ch++)
				snprintf(fpr + 2 * ch, 3, "%02x", h[ch]);
			printf("directory %s %s %s(from %s)\n", argv[optind],
			    fpr, ks_cert_names(f.der[i], f.len[i], argv[optind]) ? "" :
			    "does not name the address ", f.uri);
		}
		if (import)
			rc = directory_import(dir, &f, argv[optind]);
		break;
	}
	mbedtls_platform_zeroize(pass, sizeof(pass));
	ldapdir_found_free(&f);
	return rc;
}

static int
cmd_directory(const char *dir, int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "lookup") == 0)
		return directory_lookup(dir, argc - 1, argv + 1);
	return verb_usage("directory", EX_USAGE);
}

/* ---- SMIMEA lookup ---------------------------------------------------- */

#define ROOT_ANCHOR	"/usr/share/dns/root.key"	/* dns-root-data; rules.h too */

/*
 * Usage 1 (PKIX-EE): the certificate must chain to our anchors too, or
 * to a CA the same answer gives with usage 2 (DANE-TA).
 */
static int
chains(const char *dir, const uint8_t *der, size_t len,
    const struct smimeadns_found *f)
{
	mbedtls_x509_crt c, anchors;
	struct ks_store s;
	uint32_t flags;
	size_t i;
	int rc;

	mbedtls_x509_crt_init(&c);
	mbedtls_x509_crt_init(&anchors);
	(void)ks_pem_bundle(SYSTEM_CA_BUNDLE, &anchors);
	if (open_store(dir, &s) == 0) {
		(void)ks_trust_anchors(&s, &anchors);
		ks_close(&s);
	}
	for (i = 0; i < f->n; i++)
		if (f->usage[i] == 2)
			(void)mbedtls_x509_crt_parse_der(&anchors, f->der[i],
			    f->len[i]);
	rc = mbedtls_x509_crt_parse_der(&c, der, len) == 0 &&
	    anchors.raw.p != NULL && mbedtls_x509_crt_verify(&c, &anchors,
	    NULL, NULL, &flags, NULL, NULL) == 0;
	mbedtls_x509_crt_free(&c);
	mbedtls_x509_crt_free(&anchors);
	return rc;
}

static void
fingerprint(const uint8_t *der, size_t len, char *out)
{
	uint8_t h[32];
	int i;

	out[0] = '\0';
	if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), der, len,
	    h) != 0)
		return;
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/*
 * The SMIMEA records of an address, validated: shown, and kept only
 * when asked (--import: usage 3, and usage 1 that chains to our
 * anchors, naming the address).  0 found, 1 none, 65 bogus or
 * insecure, 75 no answer.
 */
static int
smimea_lookup(const char *dir, int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "trust-anchor", required_argument, NULL, 'a' },
		{ "stub", required_argument, NULL, 's' },
		{ "forward", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "import", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct smimeadns_conf c;
	struct smimeadns_found f;
	struct ks_import_opts o;
	struct ks_imported im[KS_IMPORT_MAX];
	struct ks_error e;
	char why[256], fpr[2 * 32 + 1], origin[450];
	const char *err = NULL, *addr;
	size_t i, n, k;
	int ch, import = 0, rc = EX_OK, usable;

	memset(&c, 0, sizeof(c));
	c.timeout = 10;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': c.anchor_file = optarg; break;
		case 's':
			if (c.nstub == SMIMEADNS_STUBS)
				return verb_usage("smimea", EX_USAGE);
			c.stub[c.nstub++] = optarg;
			break;
		case 'f': c.forward = optarg; break;
		case 't':
			c.timeout = (int)strtonum(optarg, 1, 60, &err);
			break;
		case 'i': import = 1; break;
		default:
			return verb_usage("smimea", EX_USAGE);
		}
		if (err != NULL)
			return verb_usage("smimea", EX_USAGE);
	}
	if (optind + 1 != argc)
		return verb_usage("smimea", EX_USAGE);
	addr = argv[optind];
	if (c.anchor_file == NULL && access(ROOT_ANCHOR, R_OK) == 0)
		c.anchor_file = ROOT_ANCHOR;
	switch (smimeadns_lookup(&c, addr, &f, why, sizeof(why))) {
	case SMIMEADNS_UNAVAILABLE:
		fprintf(stderr, "smimectl: smimea lookup: %s\n", why);
		return smimeadns_available() ? EX_USAGE : EX_UNAVAILABLE;
	case SMIMEADNS_DOWN:
		fprintf(stderr, "smimectl: smimea lookup: %s: %s\n", f.owner,
		    why);
		return EX_TEMPFAIL;
	case SMIMEADNS_BOGUS:
	case SMIMEADNS_INSECURE:
		printf("not used %s: %s\n", f.owner, why);
		return EX_DATAERR;
	case SMIMEADNS_NONE:
		printf("none %s (%s)\n", addr, why);
		return 1;
	case SMIMEADNS_FOUND:
		break;
	}
	memset(&o, 0, sizeof(o));
	o.purpose = KS_P_ENCRYPT;
	for (i = 0; i < f.n; i++) {
		fingerprint(f.der[i], f.len[i], fpr);
		usable = ks_cert_names(f.der[i], f.len[i], addr) &&
		    (f.usage[i] == 3 || (f.usage[i] == 1 && chains(dir,
		    f.der[i], f.len[i], &f)));
		printf("smimea %s %s usage %u%s (secure, %s)\n", addr, fpr,
		    f.usage[i], usable ? "" : f.usage[i] == 1 || f.usage[i] ==
		    3 ? " not usable" : " a trust anchor", f.owner);
		if (!import || !usable)
			continue;
		if (ks_import(dir, f.der[i], f.len[i], &o, im, &n, &e) == -1) {
			rc = fail(&e);
			break;
		}
		snprintf(origin, sizeof(origin), "SMIMEA %s", f.owner);
		for (k = 0; k < n; k++) {
			printf("imported %s %s external %s (from DNS)\n",
			    im[k].account, im[k].fpr,
			    purpose_name(im[k].purpose));
			if (ks_origin_write(dir, im[k].fpr, origin, &e) == -1) {
				rc = fail(&e);
				break;
			}
		}
	}
	smimeadns_found_free(&f);
	return rc;
}

static int
cmd_smimea(const char *dir, int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "lookup") == 0)
		return smimea_lookup(dir, argc - 1, argv + 1);
	return verb_usage("smimea", EX_USAGE);
}

static int
cmd_anchor(const char *dir, int argc, char *argv[])
{
	if (argc != 3 || strcmp(argv[1], "import") != 0)
		return verb_usage("anchor", EX_USAGE);
	return import_into(dir, "anchors", argv[2], 0);
}

/* Chain and revocation of an account's current certificates. */
static int
cmd_verify(const char *dir, int argc, char *argv[])
{
	const struct ks_entry *en;
	mbedtls_x509_crt anchors, crt;
	mbedtls_x509_crl crls;
	struct ks_store s;
	struct ks_error e;
	char info[512];
	uint32_t flags;
	int rc, bad = 0, n = 0;

	if (argc != 2)
		return verb_usage("verify", EX_USAGE);
	if ((rc = open_store(dir, &s)) != 0)
		return rc;
	if ((en = ks_account_entries(&s, argv[1])) == NULL) {
		fprintf(stderr, "smimectl: %s: not in the store\n", argv[1]);
		ks_close(&s);
		return EX_NOINPUT;
	}
	mbedtls_x509_crt_init(&anchors);
	mbedtls_x509_crl_init(&crls);
	(void)ks_pem_bundle(SYSTEM_CA_BUNDLE, &anchors);
	(void)ks_trust_anchors(&s, &anchors);
	(void)ks_crls(&s, &crls);
	for (; en; en = en->next_in_account) {
		if (en->state != KS_CURRENT)
			continue;
		mbedtls_x509_crt_init(&crt);
		if (ks_load_cert(&s, en, &crt, &e) == -1) {
			printf("%s: %s\n", en->fpr, e.msg);
			bad++;
		} else {
			(void)ks_load_chain(&s, en, &crt);
			flags = 0;
			if (mbedtls_x509_crt_verify(&crt, &anchors,
			    crls.version ? &crls : NULL, NULL, &flags, NULL,
			    NULL) == 0)
				printf("%s: ok\n", en->fpr);
			else {
				mbedtls_x509_crt_verify_info(info, sizeof(info),
				    "", flags);
				info[strcspn(info, "\n")] = '\0';
				printf("%s: %s%s\n", en->fpr, info,
				    flags & MBEDTLS_X509_BADCERT_REVOKED ?
				    " (revoked)" : "");
				bad++;
			}
		}
		mbedtls_x509_crt_free(&crt);
		n++;
	}
	mbedtls_x509_crt_free(&anchors);
	mbedtls_x509_crl_free(&crls);
	ks_close(&s);
	return bad || n == 0 ? EX_DATAERR : EX_OK;
}

/* ---- lookup --------------------------------------------------------------- */

/*
 * What the filter would choose: the signing identity of a sender, or the
 * encryption certificate of a recipient.  Exit 0 found, 1 none, 2
 * expired, 3 not yet valid, 4 revoked (OCSP).
 */
static int
cmd_lookup(const char *dir, int argc, char *argv[])
{
	static const char *names[] = { "found", "none", "expired",
	    "not-yet-valid", "revoked" };
	const struct ks_entry *en = NULL;
	enum ks_answer a;
	struct ks_store s;
	char origin[400] = "";
	int rc;

	if (argc != 3 || (strcmp(argv[1], "sign") != 0 &&
	    strcmp(argv[1], "encrypt") != 0))
		return verb_usage("lookup", EX_USAGE);
	if ((rc = open_store(dir, &s)) != 0)
		return rc;
	if (strcmp(argv[1], "sign") == 0)
		a = ks_sign_identity(&s, argv[2], time(NULL), &en);
	else
		a = ks_encrypt_cert(&s, argv[2], time(NULL), 1, &en);
	if (en != NULL)
		ks_origin(&s, en, origin, sizeof(origin));
	/* what it is, and where it came from when that is known */
	printf("%s%s%s%s%s%s%s%s%s\n", names[a], en ? " " : "",
	    en ? en->account : "", en ? " " : "", en ? en->fpr : "",
	    en ? " " : "", en ? ks_kind_str(en->kind) : "",
	    origin[0] ? " from " : "", origin);
	ks_close(&s);
	return (int)a;
}

/* ---- dispatch ------------------------------------------------------------ */

static const struct verb verbs[] = {
	{ "init", cmd_init, "" },
	{ "import", cmd_import, "[--account ADDR|@DOMAIN] [--primary] "
	    "[--force] [--purpose sign|encrypt|both] [--password-file F] "
	    "[--key KEYFILE] FILE|-" },
	{ "list", cmd_list, "[--json] [--expiring DAYS]" },
	{ "show", cmd_show, "ACCOUNT|FINGERPRINT" },
	{ "primary", cmd_primary, "ACCOUNT FINGERPRINT [sign|encrypt|both]" },
	{ "retire", cmd_retire, "ACCOUNT FINGERPRINT" },
	{ "remove", cmd_remove, "ACCOUNT FINGERPRINT" },
	{ "export", cmd_export, "[--chain | --der] ACCOUNT|FINGERPRINT" },
	{ "selfsign", cmd_selfsign, "[--rsa BITS | --ec P-256|P-384|P-521] "
	    "[--usage sign|encrypt|both] [--days N] [--primary] ADDR|@DOMAIN" },
	{ "check", cmd_check, "" },
	{ "lookup", cmd_lookup, "sign|encrypt ADDRESS" },
	{ "harvested", cmd_harvested, "[list | approve FINGERPRINT | "
	    "reject FINGERPRINT]" },
	{ "crl", cmd_crl, "import FILE|- | fetch [--timeout SECONDS] "
	    "[--max-size BYTES]" },
	{ "ocsp", cmd_ocsp, "fetch [--timeout SECONDS] [--no-nonce]" },
	{ "anchor", cmd_anchor, "import FILE|-" },
	{ "directory", cmd_directory, "lookup --uri URI [--uri URI...] "
	    "--base DN [--filter TEMPLATE] [--attribute NAME...] [--bind-dn DN "
	    "--password-file F] [--timeout SECONDS] [--import] ADDRESS" },
	{ "smimea", cmd_smimea, "lookup [--trust-anchor FILE] "
	    "[--stub ZONE=ADDR[@PORT]...] [--forward ADDR[@PORT]] "
	    "[--timeout SECONDS] [--import] ADDRESS" },
	{ "verify", cmd_verify, "ACCOUNT" },
};

static const struct verb *
find_verb(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

static void
usage(int status)
{
	size_t i;
	FILE *fp = status ? stderr : stdout;

	fprintf(fp, "usage: smimectl [-k store] verb [args]\nverbs:\n");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(fp, "  %s %s\n", verbs[i].name, verbs[i].usage);
	exit(status);
}

int
main(int argc, char *argv[])
{
	const char *store = KEYSTORE_DEFAULT;
	const struct verb *v;
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
	if (strcmp(argv[0], "help") == 0)
		usage(EX_OK);
	if (compat_init() == -1) {
		fprintf(stderr, "smimectl: %s would not start\n",
		    compat_version());
		return EX_SOFTWARE;
	}
	if ((v = find_verb(argv[0])) == NULL) {
		fprintf(stderr, "smimectl: unknown verb: %s\n", argv[0]);
		usage(EX_USAGE);
	}
	if (want_help(argc, argv))
		return verb_usage(v->name, EX_OK);
	umask(077);
	optind = 1;
	return v->fn(store, argc, argv);
}
