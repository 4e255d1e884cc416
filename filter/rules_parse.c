/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * rules: load the policy file.  libyaml's event stream is turned into a
 * small tree (bounded depth and size, no aliases, one document), which is
 * then checked key by key against the schema of filter-smime.yaml(5) and
 * compiled into struct rules.  The first error wins and is reported as
 * "NAME:LINE:COLUMN: what", 1-based.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#define RULES_PRIVATE
#include "rules.h"
#include "signers.h"
#include "ldapdir.h"

#define RULES_MAX_FILE		(4 * 1024 * 1024)
#define RULES_MAX_DEPTH		32
#define RULES_MAX_NODES		100000
#define RULES_MAX_REGEX		1024
#define RULES_MAX_EXPANDED	4096	/* regex atoms, repetitions expanded */
#define RULES_MAX_GROUPS	32

enum ynode_type { YN_SCALAR, YN_SEQ, YN_MAP };

struct ynode {
	enum ynode_type	  type;
	size_t		  line, col;		/* 1-based */
	char		 *str;			/* scalar value, NUL-terminated */
	size_t		  len;
	int		  plain;		/* unquoted scalar */
	struct ynode	**kid;			/* maps: key, value, key, ... */
	size_t		  nkid, capkid;
	struct ynode	 *up;
};

struct ctx {
	const char	*name;
	char		*err;
	size_t		 errlen;
	int		 failed;
	size_t		 drop_line;	/* the first key-missing: drop */
};

static void
ctx_error(struct ctx *c, size_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
ctx_error(struct ctx *c, size_t line, size_t col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (c->failed)
		return;		/* the first error wins */
	c->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->errlen > 0)
		snprintf(c->err, c->errlen, "%s:%zu:%zu: %s", c->name, line,
		    col, msg);
}

static int
fail(struct ctx *c, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct ctx *c, const struct ynode *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx_error(c, n->line, n->col, "%s", msg);
	return -1;
}

/* A scalar from the file, shortened and made printable for a message. */
static const char *
shown(const struct ynode *n, char *buf, size_t bufsz)
{
	size_t i, o = 0;

	for (i = 0; i < n->len && o + 4 < bufsz; i++) {
		unsigned char ch = (unsigned char)n->str[i];

		buf[o++] = ch >= 0x20 && ch < 0x7f && ch != '"' ? (char)ch :
		    '?';
	}
	if (i < n->len && o + 3 < bufsz) {
		buf[o++] = '.';
		buf[o++] = '.';
		buf[o++] = '.';
	}
	buf[o] = '\0';
	return buf;
}

/* ---- the YAML tree ---- */

static void
ynode_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	/* recursion is bounded by RULES_MAX_DEPTH */
	for (i = 0; i < n->nkid; i++)
		ynode_free(n->kid[i]);
	free(n->kid);
	free(n->str);
	free(n);
}

static struct ynode *
ynode_new(enum ynode_type type, const yaml_mark_t *m)
{
	struct ynode *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->type = type;
	n->line = m->line + 1;
	n->col = m->column + 1;
	return n;
}

static int
ynode_add(struct ynode *parent, struct ynode *kid)
{
	struct ynode **k;
	size_t cap;

	if (parent->nkid == parent->capkid) {
		cap = parent->capkid ? parent->capkid * 2 : 8;
		k = reallocarray(parent->kid, cap, sizeof(*k));
		if (k == NULL)
			return -1;
		parent->kid = k;
		parent->capkid = cap;
	}
	parent->kid[parent->nkid++] = kid;
	kid->up = parent;
	return 0;
}

/* Line and column of a byte offset, for reader errors that carry no mark. */
static void
offset_mark(const char *buf, size_t len, size_t off, size_t *line,
    size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

static void
yaml_failure(struct ctx *c, yaml_parser_t *p, const char *buf, size_t len)
{
	size_t line, col;

	if (p->error == YAML_MEMORY_ERROR) {
		ctx_error(c, 1, 1, "out of memory");
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		offset_mark(buf, len, p->problem_offset, &line, &col);
	} else {
		line = p->problem_mark.line + 1;
		col = p->problem_mark.column + 1;
	}
	ctx_error(c, line, col, "%s", p->problem ? p->problem : "YAML error");
}

/* Build the tree of the one document in buf; NULL for an empty stream. */
static int
tree_build(struct ctx *c, const char *buf, size_t len, struct ynode **rootp)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct ynode *root = NULL, *cur = NULL, *n;
	size_t depth = 0, nodes = 0, docs = 0;
	int done = 0, rc = -1;

	*rootp = NULL;
	if (!yaml_parser_initialize(&p)) {
		ctx_error(c, 1, 1, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			yaml_failure(c, &p, buf, len);
			goto out;
		}
		n = NULL;
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				ctx_error(c, ev.start_mark.line + 1,
				    ev.start_mark.column + 1,
				    "only one YAML document is allowed");
				goto bad;
			}
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_ALIAS_EVENT:
			ctx_error(c, ev.start_mark.line + 1,
			    ev.start_mark.column + 1,
			    "aliases are not supported");
			goto bad;
		case YAML_SCALAR_EVENT:
			if ((n = ynode_new(YN_SCALAR, &ev.start_mark)) == NULL)
				goto nomem;
			if ((n->str = malloc(ev.data.scalar.length + 1)) ==
			    NULL) {
				free(n);
				goto nomem;
			}
			memcpy(n->str, ev.data.scalar.value,
			    ev.data.scalar.length);
			n->str[ev.data.scalar.length] = '\0';
			n->len = ev.data.scalar.length;
			n->plain = ev.data.scalar.style ==
			    YAML_PLAIN_SCALAR_STYLE;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > RULES_MAX_DEPTH) {
				ctx_error(c, ev.start_mark.line + 1,
				    ev.start_mark.column + 1,
				    "nesting deeper than %d levels",
				    RULES_MAX_DEPTH);
				goto bad;
			}
			n = ynode_new(ev.type == YAML_MAPPING_START_EVENT ?
			    YN_MAP : YN_SEQ, &ev.start_mark);
			if (n == NULL)
				goto nomem;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			if (cur != NULL)
				cur = cur->up;
			break;
		default:
			break;
		}
		if (n != NULL) {
			if (++nodes > RULES_MAX_NODES) {
				ctx_error(c, n->line, n->col,
				    "more than %d YAML nodes", RULES_MAX_NODES);
				free(n->str);
				free(n);
				goto bad;
			}
			if (cur == NULL)
				root = n;
			else if (ynode_add(cur, n) == -1) {
				free(n->str);
				free(n);
				goto nomem;
			}
			if (n->type != YN_SCALAR)
				cur = n;
		}
		yaml_event_delete(&ev);
	}
	*rootp = root;
	root = NULL;
	rc = 0;
	goto out;
 nomem:
	ctx_error(c, ev.start_mark.line + 1, ev.start_mark.column + 1,
	    "out of memory");
 bad:
	yaml_event_delete(&ev);
 out:
	ynode_free(root);
	yaml_parser_delete(&p);
	return rc;
}

/* ---- scalars ---- */

static int
is_null(const struct ynode *n)
{
	return n->type == YN_SCALAR && n->plain && (n->len == 0 ||
	    strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
	    strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0);
}

static int
want_scalar(struct ctx *c, const char *key, const struct ynode *n)
{
	if (n->type != YN_SCALAR)
		return fail(c, n, "%s: expected a single value", key);
	if (strlen(n->str) != n->len)
		return fail(c, n, "%s: NUL character in value", key);
	return 0;
}

/* An empty (null) section counts as an empty map or list. */
static int
want_type(struct ctx *c, const char *key, const struct ynode *n,
    enum ynode_type t)
{
	if (n->type == t || is_null(n))
		return 0;
	return fail(c, n, "%s: expected %s", key,
	    t == YN_MAP ? "a mapping" : "a list");
}

/* One of names (NULL-terminated), case-insensitive; the index to *out. */
static int
want_word(struct ctx *c, const char *key, const struct ynode *n,
    const char *const *names, int *out)
{
	char list[256], b[64];
	size_t i;

	if (want_scalar(c, key, n) == -1)
		return -1;
	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(n->str, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	list[0] = '\0';
	for (i = 0; names[i] != NULL; i++) {
		if (i > 0)
			strlcat(list, names[i + 1] ? ", " : " or ",
			    sizeof(list));
		strlcat(list, names[i], sizeof(list));
	}
	return fail(c, n, "%s: \"%s\" is not %s", key,
	    shown(n, b, sizeof(b)), list);
}

static int
want_bool(struct ctx *c, const char *key, const struct ynode *n, int *out)
{
	static const char *const names[] = {
		"yes", "no", "true", "false", NULL
	};
	int v;

	if (want_word(c, key, n, names, &v) == -1)
		return -1;
	*out = (v & 1) == 0;
	return 0;
}

static int
want_string(struct ctx *c, const char *key, const struct ynode *n)
{
	if (want_scalar(c, key, n) == -1)
		return -1;
	if (n->len == 0)
		return fail(c, n, "%s: empty value", key);
	return 0;
}

static char *
lowercase(char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	return s;
}

static char *
lowercase_dup(const char *s)
{
	char *d;

	if ((d = strdup(s)) == NULL)
		return NULL;
	return lowercase(d);
}

/* ---- patterns ---- */

/*
 * glibc compiles "x+" as "xx*" and "x{m,n}" as n copies of x, so nested
 * or chained repetitions cost memory in their product.  Estimate the
 * size of the expanded expression (saturating at the limit) and refuse
 * it past RULES_MAX_EXPANDED; refuse back-references too, whose matching
 * is exponential.
 */
static size_t
sat_mul(size_t a, size_t b)
{
	if (a != 0 && b > RULES_MAX_EXPANDED / a)
		return RULES_MAX_EXPANDED + 1;
	return a * b;
}

static size_t
sat_add(size_t a, size_t b)
{
	return a + b > RULES_MAX_EXPANDED ? RULES_MAX_EXPANDED + 1 : a + b;
}

/* The copies a repetition operator at *pp makes, 0 if none; advances *pp. */
static size_t
repeat_factor(const char **pp)
{
	const char *p = *pp;
	size_t a = 0, b;

	switch (*p) {
	case '*':
	case '?':
		*pp = p + 1;
		return 1;
	case '+':
		*pp = p + 1;
		return 2;
	case '{':
		break;
	default:
		return 0;
	}
	if (!isdigit((unsigned char)p[1]))
		return 0;		/* a literal brace */
	for (p++; isdigit((unsigned char)*p); p++)
		a = sat_add(sat_mul(a, 10), (size_t)(*p - '0'));
	b = a + 1;			/* {m,} */
	if (*p == ',') {
		if (isdigit((unsigned char)p[1]))
			for (b = 0, p++; isdigit((unsigned char)*p); p++)
				b = sat_add(sat_mul(b, 10),
				    (size_t)(*p - '0'));
		else
			p++;
	} else
		b = a;
	if (*p == '}')
		p++;
	*pp = p;
	b = b > a ? b : a;
	return b > 0 ? b : 1;
}

static const char *
regex_too_costly(const char *re)
{
	size_t stack[RULES_MAX_GROUPS], depth = 0, cur = 0, last = 0, f;
	const char *p = re, *q;

	if (strlen(re) > RULES_MAX_REGEX)
		return "longer than 1024 characters";
	while (*p != '\0') {
		if ((f = repeat_factor(&p)) != 0) {
			/*
			 * "a?+++": POSIX leaves a repetition of a repetition
			 * undefined, and glibc's regcomp takes seconds on a
			 * few of them (found by fuzz_rules)
			 */
			q = p;
			if (repeat_factor(&q) != 0)
				return "repeats a repetition";
			cur = sat_add(cur, sat_mul(last, f - 1));
			last = sat_mul(last, f);
		} else if (*p == '(') {
			if (depth == RULES_MAX_GROUPS)
				return "nested too deeply";
			stack[depth++] = cur;
			cur = 0;
			p++;
		} else if (*p == ')' && depth > 0) {
			last = cur;
			cur = sat_add(stack[--depth], cur);
			p++;
		} else if (*p == '|') {
			last = 0;
			p++;
		} else {
			if (*p == '\\' && p[1] != '\0') {
				if (isdigit((unsigned char)p[1]))
					return "back-references are not "
					    "supported";
				p++;
			} else if (*p == '[') {
				/* a bracket expression is one atom */
				p++;
				if (*p == '^')
					p++;
				if (*p == ']')
					p++;
				while (*p != '\0' && *p != ']') {
					if (*p == '[' && (p[1] == ':' ||
					    p[1] == '.' || p[1] == '=') &&
					    (p = strchr(p + 2, ']')) == NULL)
						return NULL;	/* regcomp says */
					p++;
				}
				if (*p == '\0')
					return NULL;
			}
			p++;
			last = 1;
			cur = sat_add(cur, 1);
		}
		if (cur > RULES_MAX_EXPANDED)
			return "too large when its repetitions are expanded";
	}
	return NULL;
}

static void
pattern_clear(struct rules_pattern *pat)
{
	if (pat->text == NULL)
		return;
	if (pat->kind == RULES_PAT_REGEX)
		regfree(&pat->re);
	free(pat->text);
	pat->text = NULL;
}

static void
pattern_free(struct rules_pattern *pat)
{
	if (pat == NULL)
		return;
	pattern_clear(pat);
	free(pat);
}

static int
pattern_compile(struct ctx *c, const char *key, const struct ynode *n,
    struct rules_pattern *pat)
{
	char ebuf[128];
	const char *why;
	int e;

	memset(pat, 0, sizeof(*pat));
	if (want_string(c, key, n) == -1)
		return -1;
	if (strncmp(n->str, "re:", 3) == 0) {
		if (n->str[3] == '\0')
			return fail(c, n, "%s: empty regular expression", key);
		if ((why = regex_too_costly(n->str + 3)) != NULL)
			return fail(c, n, "%s: regular expression %s", key,
			    why);
		e = regcomp(&pat->re, n->str + 3,
		    REG_EXTENDED | REG_ICASE | REG_NOSUB);
		if (e != 0) {
			regerror(e, &pat->re, ebuf, sizeof(ebuf));
			return fail(c, n, "%s: bad regular expression: %s",
			    key, ebuf);
		}
		pat->kind = RULES_PAT_REGEX;
		if ((pat->text = strdup(n->str + 3)) == NULL) {
			regfree(&pat->re);
			return fail(c, n, "out of memory");
		}
		return 0;
	}
	pat->kind = RULES_PAT_GLOB;
	if (n->str[0] == '@') {
		/* "@example.org" is "*@example.org" */
		if (n->str[1] == '\0')
			return fail(c, n, "%s: empty domain", key);
		if ((pat->text = malloc(n->len + 2)) == NULL)
			return fail(c, n, "out of memory");
		pat->text[0] = '*';
		memcpy(pat->text + 1, n->str, n->len + 1);
		lowercase(pat->text);
	} else if ((pat->text = lowercase_dup(n->str)) == NULL)
		return fail(c, n, "out of memory");
	return 0;
}

static int
pattern_new(struct ctx *c, const char *key, const struct ynode *n,
    struct rules_pattern **out)
{
	struct rules_pattern *pat;

	if ((pat = calloc(1, sizeof(*pat))) == NULL)
		return fail(c, n, "out of memory");
	if (pattern_compile(c, key, n, pat) == -1) {
		free(pat);
		return -1;
	}
	*out = pat;
	return 0;
}

/* ---- policy keys ---- */

struct pkey {
	const char		*name;
	unsigned		 bit;
	const char *const	*words;		/* NULL: boolean */
};

static const char *const w_encrypt[] = { "no", "opportunistic",
    "required", NULL };
static const char *const w_signature[] = { "detached", "opaque", NULL };
static const char *const w_digest[] = { "sha256", "sha384", "sha512",
    NULL };
static const char *const w_pkcs1_pss[] = { "pkcs1", "pss", NULL };
static const char *const w_pkcs1_oaep[] = { "pkcs1", "oaep", NULL };
static const char *const w_key_missing[] = { "bounce", "tempfail", "plain",
    "split", "drop", NULL };
static const char *const w_nsk[] = { "pass", "tempfail", NULL };
static const char *const w_transaction[] = { "shared", "per-class",
    "per-recipient", NULL };
static const char *const w_bcc[] = { "sign", "skip-sign", NULL };
static const char *const w_cipher[] = { "aes256-gcm", "aes128-gcm",
    "aes256-cbc", "aes128-cbc", NULL };

static const struct pkey pkeys[] = {
	{ "sign", RULES_K_SIGN, NULL },
	{ "encrypt", RULES_K_ENCRYPT, w_encrypt },
	{ "signature", RULES_K_SIGNATURE, w_signature },
	{ "digest", RULES_K_DIGEST, w_digest },
	{ "rsa-padding", RULES_K_RSA_PADDING, w_pkcs1_pss },
	{ "key-transport", RULES_K_KEY_TRANSPORT, w_pkcs1_oaep },
	{ "ciphers", RULES_K_CIPHERS, w_cipher },
	{ "key-missing", RULES_K_KEY_MISSING, w_key_missing },
	{ "no-signing-key", RULES_K_NO_SIGNING_KEY, w_nsk },
	{ "transaction", RULES_K_TRANSACTION, w_transaction },
	{ "bcc", RULES_K_BCC, w_bcc },
	{ "harvested", RULES_K_HARVESTED, NULL },
	{ "header-protection", RULES_K_HEADER_PROT, NULL },
	{ "triple-wrap", RULES_K_TRIPLE, NULL },
};
#define NPKEYS	(sizeof(pkeys) / sizeof(pkeys[0]))

static const struct rules_policy policy_defaults = {
	.sign = 1,
	.encrypt = RULES_ENCRYPT_NO,
	.signature = RULES_SIG_DETACHED,
	.digest = RULES_SHA256,
	.rsa_padding = RULES_PAD_PKCS1,
	.key_transport = RULES_KT_PKCS1,
	.ciphers = { RULES_AES256_GCM, RULES_AES128_GCM, RULES_AES256_CBC,
	    RULES_AES128_CBC },
	.nciphers = RULES_NCIPHERS,
	.key_missing = RULES_KM_BOUNCE,
	.no_signing_key = RULES_NSK_PASS,
	.transaction = RULES_TX_SHARED,
	.bcc = RULES_BCC_SIGN,
	.harvested = 1,
	.header_protection = 0,
};

static int
parse_ciphers(struct ctx *c, const struct ynode *n, struct rules_policy *p)
{
	char b[64];
	size_t i, j;
	int v;

	if (n->type != YN_SEQ)
		return fail(c, n, "ciphers: expected a list");
	if (n->nkid == 0)
		return fail(c, n, "ciphers: empty list");
	p->nciphers = 0;
	for (i = 0; i < n->nkid; i++) {
		if (want_word(c, "ciphers", n->kid[i], w_cipher, &v) == -1)
			return -1;
		for (j = 0; j < p->nciphers; j++)
			if (p->ciphers[j] == (enum rules_cipher)v)
				return fail(c, n->kid[i],
				    "ciphers: \"%s\" given twice",
				    shown(n->kid[i], b, sizeof(b)));
		/* distinct values, so at most RULES_NCIPHERS of them */
		p->ciphers[p->nciphers++] = (enum rules_cipher)v;
	}
	return 0;
}

/* 1: a policy key, parsed; 0: not a policy key; -1: error. */
static int
policy_key(struct ctx *c, const struct ynode *k, const struct ynode *v,
    struct rules_policy *p, unsigned *set)
{
	const struct pkey *pk = NULL;
	size_t i;
	int val;

	for (i = 0; i < NPKEYS; i++)
		if (strcmp(k->str, pkeys[i].name) == 0)
			pk = &pkeys[i];
	if (pk == NULL)
		return 0;
	if (*set & pk->bit)
		return fail(c, k, "duplicate key \"%s\"", pk->name);
	*set |= pk->bit;
	if (pk->bit == RULES_K_CIPHERS)
		return parse_ciphers(c, v, p) == -1 ? -1 : 1;
	if (pk->words == NULL) {
		if (want_bool(c, pk->name, v, &val) == -1)
			return -1;
	} else if (want_word(c, pk->name, v, pk->words, &val) == -1)
		return -1;
	switch (pk->bit) {
	case RULES_K_SIGN:
		p->sign = val;
		break;
	case RULES_K_HARVESTED:
		p->harvested = val;
		break;
	case RULES_K_HEADER_PROT:
		p->header_protection = val;
		break;
	case RULES_K_TRIPLE:
		p->triple_wrap = val;
		break;
	case RULES_K_ENCRYPT:
		p->encrypt = (enum rules_encrypt)val;
		break;
	case RULES_K_SIGNATURE:
		p->signature = (enum rules_sigform)val;
		break;
	case RULES_K_DIGEST:
		p->digest = (enum rules_digest)val;
		break;
	case RULES_K_RSA_PADDING:
		p->rsa_padding = (enum rules_rsa_padding)val;
		break;
	case RULES_K_KEY_TRANSPORT:
		p->key_transport = (enum rules_key_transport)val;
		break;
	case RULES_K_KEY_MISSING:
		p->key_missing = (enum rules_key_missing)val;
		if (p->key_missing == RULES_KM_DROP && c->drop_line == 0)
			c->drop_line = k->line;
		break;
	case RULES_K_NO_SIGNING_KEY:
		p->no_signing_key = (enum rules_no_signing_key)val;
		break;
	case RULES_K_TRANSACTION:
		p->transaction = (enum rules_transaction)val;
		break;
	case RULES_K_BCC:
		p->bcc = (enum rules_bcc)val;
		break;
	}
	return 1;
}

void
rules_policy_apply(struct rules_policy *d, const struct rules_rule *r)
{
	const struct rules_policy *s = &r->p;

	if (r->set & RULES_K_SIGN)
		d->sign = s->sign;
	if (r->set & RULES_K_ENCRYPT)
		d->encrypt = s->encrypt;
	if (r->set & RULES_K_SIGNATURE)
		d->signature = s->signature;
	if (r->set & RULES_K_DIGEST)
		d->digest = s->digest;
	if (r->set & RULES_K_RSA_PADDING)
		d->rsa_padding = s->rsa_padding;
	if (r->set & RULES_K_KEY_TRANSPORT)
		d->key_transport = s->key_transport;
	if (r->set & RULES_K_CIPHERS) {
		memcpy(d->ciphers, s->ciphers, sizeof(d->ciphers));
		d->nciphers = s->nciphers;
	}
	if (r->set & RULES_K_KEY_MISSING)
		d->key_missing = s->key_missing;
	if (r->set & RULES_K_NO_SIGNING_KEY)
		d->no_signing_key = s->no_signing_key;
	if (r->set & RULES_K_TRANSACTION)
		d->transaction = s->transaction;
	if (r->set & RULES_K_BCC)
		d->bcc = s->bcc;
	if (r->set & RULES_K_HARVESTED)
		d->harvested = s->harvested;
	if (r->set & RULES_K_HEADER_PROT)
		d->header_protection = s->header_protection;
	if (r->set & RULES_K_TRIPLE)
		d->triple_wrap = s->triple_wrap;
}

/* ---- sections ---- */

/*
 * Walk a mapping's keys: scalar keys only, each at most once among the
 * section's own keys (names, NULL-terminated); *idx is the key's index in
 * names, or -1 for a key the caller checks itself (policy keys).
 */
static int
map_key(struct ctx *c, const struct ynode *k, const char *const *names,
    unsigned *seen, int *idx)
{
	char b[64];
	int i;

	if (k->type != YN_SCALAR)
		return fail(c, k, "a key must be a single value");
	if (strlen(k->str) != k->len)
		return fail(c, k, "NUL character in key");
	*idx = -1;
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(k->str, names[i]) == 0) {
			if (*seen & (1u << i))
				return fail(c, k, "duplicate key \"%s\"",
				    shown(k, b, sizeof(b)));
			*seen |= 1u << i;
			*idx = i;
			break;
		}
	return 0;
}

static int
unknown_key(struct ctx *c, const struct ynode *k, const char *where)
{
	char b[64];

	return fail(c, k, "unknown key \"%s\" in %s", shown(k, b, sizeof(b)),
	    where);
}

static int
parse_defaults(struct ctx *c, const struct ynode *n, struct rules *r)
{
	static const char *const none[] = { NULL };
	unsigned seen = 0, set = 0;
	size_t i;
	int idx, rc;

	if (want_type(c, "defaults", n, YN_MAP) == -1)
		return -1;
	for (i = 0; i + 1 < n->nkid; i += 2) {
		if (map_key(c, n->kid[i], none, &seen, &idx) == -1)
			return -1;
		rc = policy_key(c, n->kid[i], n->kid[i + 1], &r->defaults,
		    &set);
		if (rc == -1)
			return -1;
		if (rc == 1 && strcmp(n->kid[i]->str, "bcc") == 0) {
			r->defaults_bcc_line = n->kid[i]->line;
			r->defaults_bcc_col = n->kid[i]->col;
		}
		if (rc == 0)
			return unknown_key(c, n->kid[i], "defaults");
	}
	return 0;
}

static int
parse_rule(struct ctx *c, const struct ynode *n, struct rules_rule *rule)
{
	static const char *const names[] = { "sender", "recipient", NULL };
	unsigned seen = 0;
	size_t i;
	int idx, rc;

	rule->line = n->line;
	if (n->type != YN_MAP)
		return fail(c, n, "a rule must be a mapping");
	for (i = 0; i + 1 < n->nkid; i += 2) {
		const struct ynode *k = n->kid[i], *v = n->kid[i + 1];

		if (map_key(c, k, names, &seen, &idx) == -1)
			return -1;
		if (idx == 0)
			rc = pattern_new(c, "sender", v, &rule->sender);
		else if (idx == 1)
			rc = pattern_new(c, "recipient", v, &rule->rcpt);
		else if ((rc = policy_key(c, k, v, &rule->p, &rule->set)) == 0)
			return unknown_key(c, k, "a rule");
		if (rc == -1)
			return -1;
		if (idx == -1 && strcmp(k->str, "bcc") == 0) {
			rule->bcc_line = k->line;
			rule->bcc_col = k->col;
		}
	}
	return 0;
}

static int
parse_rules(struct ctx *c, const struct ynode *n, struct rules *r)
{
	size_t i;

	if (want_type(c, "rules", n, YN_SEQ) == -1)
		return -1;
	if (n->nkid == 0)
		return 0;
	if ((r->rules = calloc(n->nkid, sizeof(*r->rules))) == NULL)
		return fail(c, n, "out of memory");
	for (i = 0; i < n->nkid; i++) {
		r->nrules++;
		if (parse_rule(c, n->kid[i], &r->rules[i]) == -1)
			return -1;
	}
	return 0;
}

/* A list of PATTERNs (destinations:, internal:). */
static int
parse_patterns(struct ctx *c, const char *key, const struct ynode *n,
    struct rules_pattern **out, size_t *nout)
{
	size_t i;

	if (want_type(c, key, n, YN_SEQ) == -1)
		return -1;
	if (n->nkid == 0)
		return 0;
	if ((*out = calloc(n->nkid, sizeof(**out))) == NULL)
		return fail(c, n, "out of memory");
	for (i = 0; i < n->nkid; i++) {
		if (pattern_compile(c, key, n->kid[i], &(*out)[i]) == -1)
			return -1;
		(*nout)++;
	}
	return 0;
}

static int
valid_field_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7f || *s == ':')
			return 0;
	return 1;
}

static int
parse_header(struct ctx *c, const struct ynode *n, struct rules_hdr *h)
{
	static const char *const names[] = { "header", "contains", "match",
	    "action", "strip", NULL };
	static const char *const actions[] = { "skip", "sign", "encrypt",
	    "sign-encrypt", "triple", NULL };
	const struct ynode *k, *v, *strip_node = NULL;
	unsigned seen = 0;
	size_t i;
	int idx, val;

	h->line = n->line;
	if (n->type != YN_MAP)
		return fail(c, n, "a header exception must be a mapping");
	for (i = 0; i + 1 < n->nkid; i += 2) {
		k = n->kid[i];
		v = n->kid[i + 1];
		if (map_key(c, k, names, &seen, &idx) == -1)
			return -1;
		switch (idx) {
		case 0:
			if (want_string(c, "header", v) == -1)
				return -1;
			if (!valid_field_name(v->str))
				return fail(c, v, "header: not a header field "
				    "name");
			if ((h->name = lowercase_dup(v->str)) == NULL)
				return fail(c, v, "out of memory");
			break;
		case 1:
			if (seen & (1u << 2))
				return fail(c, k, "contains and match "
				    "exclude each other");
			if (want_string(c, "contains", v) == -1)
				return -1;
			if ((h->contains = lowercase_dup(v->str)) == NULL)
				return fail(c, v, "out of memory");
			h->clen = v->len;
			break;
		case 2:
			if (seen & (1u << 1))
				return fail(c, k, "contains and match "
				    "exclude each other");
			if (pattern_new(c, "match", v, &h->match) == -1)
				return -1;
			break;
		case 3:
			if (want_word(c, "action", v, actions, &val) == -1)
				return -1;
			h->action = (enum rules_action)val;
			break;
		case 4:
			if (want_bool(c, "strip", v, &h->strip) == -1)
				return -1;
			strip_node = k;
			break;
		default:
			return unknown_key(c, k, "a header exception");
		}
	}
	if (h->name == NULL)
		return fail(c, n, "header exception without header");
	if (h->contains == NULL && h->match == NULL)
		return fail(c, n, "header exception without contains or "
		    "match");
	if (!(seen & (1u << 3)))
		return fail(c, n, "header exception without action");
	if (h->strip && h->contains == NULL)
		return fail(c, strip_node, "strip: needs contains");
	return 0;
}

static int
parse_headers(struct ctx *c, const struct ynode *n, struct rules *r)
{
	size_t i;

	if (want_type(c, "headers", n, YN_SEQ) == -1)
		return -1;
	if (n->nkid == 0)
		return 0;
	if ((r->hdrs = calloc(n->nkid, sizeof(*r->hdrs))) == NULL)
		return fail(c, n, "out of memory");
	for (i = 0; i < n->nkid; i++) {
		r->nhdrs++;
		if (parse_header(c, n->kid[i], &r->hdrs[i]) == -1)
			return -1;
	}
	return 0;
}

static int
parse_exceptions(struct ctx *c, const struct ynode *n, struct rules *r)
{
	static const char *const names[] = { "destinations",
	    "mobile-carriers", "already-smime", "headers", NULL };
	const struct ynode *k, *v;
	unsigned seen = 0;
	size_t i;
	int idx, rc = 0;

	if (want_type(c, "exceptions", n, YN_MAP) == -1)
		return -1;
	for (i = 0; i + 1 < n->nkid; i += 2) {
		k = n->kid[i];
		v = n->kid[i + 1];
		if (map_key(c, k, names, &seen, &idx) == -1)
			return -1;
		switch (idx) {
		case 0:
			rc = parse_patterns(c, "destinations", v, &r->dests,
			    &r->ndests);
			break;
		case 1:
			rc = want_bool(c, "mobile-carriers", v,
			    &r->mobile_carriers);
			break;
		case 2:
			rc = want_bool(c, "already-smime", v,
			    &r->already_smime);
			break;
		case 3:
			rc = parse_headers(c, v, r);
			break;
		default:
			return unknown_key(c, k, "exceptions");
		}
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* harvest: a word or a list of words. */
static int
parse_harvest_word(struct ctx *c, const struct ynode *n, struct rules *r)
{
	static const char *const words[] = { "yes", "no", "self-signed",
	    "on-failed-verify", "true", "false", NULL };
	int w;

	if (want_word(c, "harvest", n, words, &w) == -1)
		return -1;
	switch (w) {
	case 1:
	case 5:
		r->harvest = 0;
		break;
	case 2:
		r->harvest = r->harvest_self_signed = 1;
		break;
	case 3:
		r->harvest = r->harvest_failed = 1;
		break;
	default:
		r->harvest = 1;
		break;
	}
	return 0;
}

static int
parse_inbound(struct ctx *c, const struct ynode *n, struct rules *r)
{
	static const char *const names[] = { "signature", "harvest",
	    "internal", "encrypt-at-rest", NULL };
	static const char *const sig[] = { "retain", "remove", NULL };
	const struct ynode *k, *v;
	unsigned seen = 0;
	size_t i, j;
	int idx, w;

	if (want_type(c, "inbound", n, YN_MAP) == -1)
		return -1;
	for (i = 0; i + 1 < n->nkid; i += 2) {
		k = n->kid[i];
		v = n->kid[i + 1];
		if (map_key(c, k, names, &seen, &idx) == -1)
			return -1;
		if (idx == 0) {
			if (want_word(c, "signature", v, sig, &w) == -1)
				return -1;
			r->remove_signature = w;
		} else if (idx == 1) {
			if (v->type != YN_SEQ) {
				if (parse_harvest_word(c, v, r) == -1)
					return -1;
				continue;
			}
			for (j = 0; j < v->nkid; j++)
				if (parse_harvest_word(c, v->kid[j], r) == -1)
					return -1;
		} else if (idx == 2) {
			if (parse_patterns(c, "internal", v, &r->internal,
			    &r->ninternal) == -1)
				return -1;
		} else if (idx == 3) {
			static const char *const ear[] = { "no", "yes",
			    "aes256-cbc", "aes256-gcm", "false", "true", NULL };

			if (want_word(c, "encrypt-at-rest", v, ear, &w) == -1)
				return -1;
			/* 0 off, 1 AES-256-CBC (the default), 2 AES-256-GCM */
			r->encrypt_at_rest = w == 0 || w == 4 ? 0 : w == 3 ? 2 :
			    1;
		} else
			return unknown_key(c, k, "inbound");
	}
	return 0;
}

/* ---- signers: ---- */

/* One identity or a list of them, for who (a login or a source). */
static int
signer_idents(struct ctx *c, const char *key, const struct ynode *v,
    struct signers *sg, const char *who, int trusted)
{
	const struct ynode *one;
	size_t i, n = v->type == YN_SEQ ? v->nkid : 1;
	int rc;

	if (v->type == YN_SEQ && n == 0)
		return fail(c, v, "%s: an empty list", key);
	for (i = 0; i < n; i++) {
		one = v->type == YN_SEQ ? v->kid[i] : v;
		if (want_string(c, key, one) == -1)
			return -1;
		rc = trusted ? signers_add_trusted(sg, who, one->str) :
		    signers_add_login(sg, who, one->str);
		if (rc == -1)
			return fail(c, one, errno == EINVAL ? "%s: \"%s\" is "
			    "not an address, @domain or *" : "out of memory",
			    key, one->str);
	}
	return 0;
}

static int
parse_logins(struct ctx *c, const struct ynode *n, struct signers *sg)
{
	size_t i;

	if (want_type(c, "logins", n, YN_MAP) == -1)
		return -1;
	for (i = 0; i + 1 < n->nkid; i += 2) {
		if (want_string(c, "logins", n->kid[i]) == -1 ||
		    signer_idents(c, "logins", n->kid[i + 1], sg,
		    n->kid[i]->str, 0) == -1)
			return -1;
	}
	return 0;
}

/* trusted: SOURCE, or { source: SOURCE, as: IDENTITIES } */
static int
parse_trusted_one(struct ctx *c, const struct ynode *n, struct signers *sg)
{
	static const char *const names[] = { "source", "as", NULL };
	const struct ynode *src = NULL, *as = NULL;
	unsigned seen = 0;
	size_t i;
	int idx;

	if (n->type == YN_SCALAR) {
		src = n;
	} else if (n->type == YN_MAP) {
		for (i = 0; i + 1 < n->nkid; i += 2) {
			if (map_key(c, n->kid[i], names, &seen, &idx) == -1)
				return -1;
			if (idx == -1)
				return unknown_key(c, n->kid[i], "trusted");
			if (idx == 0)
				src = n->kid[i + 1];
			else
				as = n->kid[i + 1];
		}
		if (src == NULL)
			return fail(c, n, "trusted: an entry without source");
	} else
		return fail(c, n, "trusted: expected a source or a mapping");
	if (want_string(c, "trusted", src) == -1)
		return -1;
	if (!signers_source_valid(src->str))
		return fail(c, src, "trusted: \"%s\" is not an address, a "
		    "network or local", src->str);
	if (as == NULL)
		return signers_add_trusted(sg, src->str, NULL) == 0 ? 0 :
		    fail(c, src, "out of memory");
	return signer_idents(c, "as", as, sg, src->str, 1);
}

static int
parse_signers(struct ctx *c, const struct ynode *n, struct rules *r)
{
	static const char *const names[] = { "table", "logins", "self",
	    "trusted", "not-allowed", NULL };
	static const char *const na[] = { "refuse", "pass", NULL };
	const struct ynode *k, *v;
	char tberr[300];
	unsigned seen = 0;
	size_t i, j;
	int idx, w;

	if (want_type(c, "signers", n, YN_MAP) == -1)
		return -1;
	for (i = 0; i + 1 < n->nkid; i += 2) {
		k = n->kid[i];
		v = n->kid[i + 1];
		if (map_key(c, k, names, &seen, &idx) == -1)
			return -1;
		switch (idx) {
		case 0:
			if (want_string(c, "table", v) == -1)
				return -1;
			if (signers_load_table(r->signers, v->str, tberr,
			    sizeof(tberr)) == -1)
				return fail(c, v, "table: %s", tberr);
			break;
		case 1:
			if (parse_logins(c, v, r->signers) == -1)
				return -1;
			break;
		case 2:
			if (want_bool(c, "self", v, &w) == -1)
				return -1;
			signers_set_self(r->signers, w);
			break;
		case 3:
			if (want_type(c, "trusted", v, YN_SEQ) == -1)
				return -1;
			for (j = 0; j < v->nkid; j++)
				if (parse_trusted_one(c, v->kid[j],
				    r->signers) == -1)
					return -1;
			break;
		case 4:
			if (want_word(c, "not-allowed", v, na, &w) == -1)
				return -1;
			signers_set_mismatch(r->signers, w == 0 ?
			    SIGNERS_REFUSE : SIGNERS_PASS);
			break;
		default:
			return unknown_key(c, k, "signers");
		}
	}
	return 0;
}

/* An authserv-id is a value token or a domain name (RFC 8601). */
static int
valid_authserv_id(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (*s <= ' ' || *s >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?=", *s) != NULL)
			return 0;
	return n > 0 && n <= 255;
}

/*
 * bcc: skip-sign can leave a blind copy unsigned only when that copy is a
 * transaction of its own: in a shared (or per-class) transaction the one
 * body that all recipients get would be signed, Bcc copy included.  So a
 * mapping that asks for skip-sign, alone or over the defaults, must come
 * with transaction: per-recipient (refused here, with its line).  Rules
 * that only meet at run time are logged by the engine.
 */
static int
check_bcc(struct ctx *c, const struct rules *r)
{
	const struct rules_rule *rule;
	enum rules_transaction tx;
	enum rules_bcc bcc;
	size_t i, line, col;

	for (i = 0; i <= r->nrules; i++) {
		if (i == r->nrules) {
			bcc = r->defaults.bcc;
			tx = r->defaults.transaction;
			line = r->defaults_bcc_line;
			col = r->defaults_bcc_col;
		} else {
			rule = &r->rules[i];
			bcc = rule->set & RULES_K_BCC ? rule->p.bcc :
			    r->defaults.bcc;
			tx = rule->set & RULES_K_TRANSACTION ?
			    rule->p.transaction : r->defaults.transaction;
			line = rule->set & RULES_K_BCC ? rule->bcc_line :
			    rule->line;
			col = rule->set & RULES_K_BCC ? rule->bcc_col : 1;
		}
		if (bcc == RULES_BCC_SKIP_SIGN && tx != RULES_TX_PER_RECIPIENT) {
			ctx_error(c, line, col, "bcc: skip-sign needs "
			    "transaction: per-recipient (a shared transaction "
			    "would sign the Bcc copy)");
			return -1;
		}
	}
	return 0;
}

/* revocation: (8), revocation-fail: (9) or ocsp-timeout: (10). */
static int
parse_revocation(struct ctx *c, int idx, const struct ynode *v,
    struct rules *r)
{
	static const char *const check[] = { "none", "crl", "ocsp",
	    "ocsp-then-crl", NULL };
	static const char *const fails[] = { "soft", "hard", NULL };
	char *end;
	long n;
	int w;

	if (idx == 8) {
		if (want_word(c, "revocation", v, check, &w) == -1)
			return -1;
		r->rev.check = (enum rules_revocation)w;
	} else if (idx == 9) {
		if (want_word(c, "revocation-fail", v, fails, &w) == -1)
			return -1;
		r->rev.hard = w;
	} else {
		if (want_scalar(c, "ocsp-timeout", v) == -1)
			return -1;
		errno = 0;
		n = strtol(v->str, &end, 10);
		if (errno != 0 || end == v->str || *end != '\0' || n < 1 ||
		    n > RULES_OCSP_TIMEOUT_MAX)
			return fail(c, v, "ocsp-timeout: seconds from 1 to %d",
			    RULES_OCSP_TIMEOUT_MAX);
		r->rev.timeout = (int)n;
	}
	return 0;
}

/* ---- directory: and smimea: (rules.h, struct rules_source) ---- */

static int
dup_into(struct ctx *c, const char *key, const struct ynode *v, char **out)
{
	if (want_string(c, key, v) == -1)
		return -1;
	free(*out);
	if ((*out = strdup(v->str)) == NULL)
		return fail(c, v, "out of memory");
	return 0;
}

/* One value or a list of them, at most RULES_SRC_LIST. */
static int
dup_list(struct ctx *c, const char *key, const struct ynode *v, char **out,
    size_t *n)
{
	size_t i, k = v->type == YN_SEQ ? v->nkid : 1;

	if (v->type == YN_MAP)
		return fail(c, v, "%s: expected a value or a list", key);
	if (k == 0 || k > RULES_SRC_LIST)
		return fail(c, v, "%s: from 1 to %d values", key,
		    RULES_SRC_LIST);
	for (i = 0; i < k; i++)
		if (dup_into(c, key, v->type == YN_SEQ ? v->kid[i] : v,
		    &out[i]) == -1)
			return -1;
	*n = k;
	return 0;
}

static int
want_seconds(struct ctx *c, const char *key, const struct ynode *v, long lo,
    long hi, int *out)
{
	char *end;
	long n;

	if (want_scalar(c, key, v) == -1)
		return -1;
	errno = 0;
	n = strtol(v->str, &end, 10);
	if (errno != 0 || end == v->str || *end != '\0' || n < lo || n > hi)
		return fail(c, v, "%s: seconds from %ld to %ld", key, lo, hi);
	*out = (int)n;
	return 0;
}

/* A DNS name: labels of letters, digits and hyphens, dot-separated. */
static int
domain_ok(const char *d)
{
	size_t label = 0;

	if (*d == '\0' || strlen(d) > 253)
		return 0;
	for (; *d != '\0'; d++) {
		if (*d == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)*d) || *d == '-') {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return label > 0;
}

/* The keys both sections have: 1 parsed, 0 not one of them, -1 error. */
static int
source_common(struct ctx *c, const char *key, const struct ynode *v,
    struct rules_source *src)
{
	size_t i;

	if (strcmp(key, "domains") == 0) {
		if (dup_list(c, key, v, src->domain, &src->ndomain) == -1)
			return -1;
		for (i = 0; i < src->ndomain; i++)
			if (strcmp(src->domain[i], "*") != 0 &&
			    !domain_ok(src->domain[i]))
				return fail(c, v, "domains: \"%s\" is not a "
				    "domain", src->domain[i]);
		for (i = 0; i < src->ndomain; i++)
			(void)lowercase(src->domain[i]);
		return 1;
	}
	if (strcmp(key, "timeout") == 0)
		return want_seconds(c, key, v, 1, 60, &src->timeout) == -1 ?
		    -1 : 1;
	if (strcmp(key, "cache-ttl") == 0)
		return want_seconds(c, key, v, 0, RULES_TTL_MAX,
		    &src->cache_ttl) == -1 ? -1 : 1;
	if (strcmp(key, "negative-ttl") == 0)
		return want_seconds(c, key, v, 0, RULES_TTL_MAX,
		    &src->negative_ttl) == -1 ? -1 : 1;
	return 0;
}

static int
directory_key(struct ctx *c, const char *key, const struct ynode *v,
    struct rules_source *d)
{
	size_t i;

	if (strcmp(key, "uri") == 0) {
		if (dup_list(c, key, v, d->uri, &d->nuri) == -1)
			return -1;
		for (i = 0; i < d->nuri; i++)
			if (strncmp(d->uri[i], "ldap://", 7) != 0 &&
			    strncmp(d->uri[i], "ldaps://", 8) != 0 &&
			    strncmp(d->uri[i], "ldapi://", 8) != 0)
				return fail(c, v, "uri: \"%s\" is not an "
				    "ldap://, ldaps:// or ldapi:// URI",
				    d->uri[i]);
		return 0;
	}
	if (strcmp(key, "bind-dn") == 0)
		return dup_into(c, key, v, &d->bind_dn);
	if (strcmp(key, "password-file") == 0)
		return dup_into(c, key, v, &d->password_file);
	if (strcmp(key, "base") == 0)
		return dup_into(c, key, v, &d->base);
	if (strcmp(key, "filter") == 0)
		return dup_into(c, key, v, &d->filter);
	if (strcmp(key, "attributes") == 0)
		return dup_list(c, key, v, d->attr, &d->nattr);
	return 1;	/* not one */
}

static int
smimea_key(struct ctx *c, const char *key, const struct ynode *v,
    struct rules_source *d)
{
	if (strcmp(key, "trust-anchor") == 0)
		return dup_into(c, key, v, &d->trust_anchor);
	if (strcmp(key, "forward") == 0)
		return dup_into(c, key, v, &d->forward);
	if (strcmp(key, "stub") == 0)
		return dup_list(c, key, v, d->uri, &d->nuri);
	return 1;
}

static int
directory_check(struct ctx *c, const struct ynode *n, struct rules_source *d)
{
	static const char *const attrs[] = { "userSMIMECertificate",
	    "userCertificate;binary" };
	char probe[LDAPDIR_FILTER_MAX];
	size_t i;

	if (d->nuri == 0 || d->base == NULL)
		return fail(c, n, "directory: needs uri: and base:");
	if ((d->password_file != NULL) != (d->bind_dn != NULL))
		return fail(c, n, "directory: bind-dn: and password-file: go "
		    "together");
	if (d->filter == NULL && (d->filter = strdup("(mail=%s)")) == NULL)
		return fail(c, n, "out of memory");
	if (ldapdir_filter(d->filter, "a@b.example", probe, sizeof(probe)) ==
	    -1)
		return fail(c, n, "directory: filter: \"%s\" must hold one "
		    "%%s (the address) and nothing else with %%", d->filter);
	for (i = 0; d->nattr == 0 && i < 2; i++)
		if ((d->attr[i] = strdup(attrs[i])) == NULL)
			return fail(c, n, "out of memory");
	if (d->nattr == 0)
		d->nattr = 2;
	return 0;
}

static int
smimea_check(struct ctx *c, const struct ynode *n, struct rules_source *d)
{
	if (d->ndomain == 0)
		return fail(c, n, "smimea: needs domains: (\"*\" for every "
		    "domain)");
	if (d->trust_anchor == NULL && (d->trust_anchor =
	    strdup(RULES_ROOT_ANCHOR)) == NULL)
		return fail(c, n, "out of memory");
	return 0;
}

/* directory: (11) or smimea: (12). */
static int
parse_source(struct ctx *c, int idx, const struct ynode *n, struct rules *r)
{
	struct rules_source *d = idx == 11 ? &r->dir : &r->dns;
	const char *where = idx == 11 ? "directory" : "smimea";
	const struct ynode *k;
	size_t i, j;
	int rc;

	if (n->type != YN_MAP)
		return fail(c, n, "%s: expected a mapping", where);
	d->on = 1;
	d->timeout = RULES_LOOKUP_TIMEOUT;
	d->cache_ttl = RULES_CACHE_TTL;
	d->negative_ttl = RULES_NEGATIVE_TTL;
	for (i = 0; i + 1 < n->nkid; i += 2) {
		k = n->kid[i];
		if (want_scalar(c, where, k) == -1)
			return -1;
		for (j = 0; j < i; j += 2)
			if (strcmp(n->kid[j]->str, k->str) == 0)
				return fail(c, k, "%s: duplicate key \"%s\"",
				    where, k->str);
		if ((rc = source_common(c, k->str, n->kid[i + 1], d)) == -1)
			return -1;
		if (rc == 1)
			continue;
		rc = idx == 11 ? directory_key(c, k->str, n->kid[i + 1], d) :
		    smimea_key(c, k->str, n->kid[i + 1], d);
		if (rc == -1)
			return -1;
		if (rc == 1)
			return unknown_key(c, k, where);
	}
	return idx == 11 ? directory_check(c, n, d) : smimea_check(c, n, d);
}

static void
source_free(struct rules_source *d)
{
	size_t i;

	for (i = 0; i < RULES_SRC_LIST; i++) {
		free(d->domain[i]);
		free(d->uri[i]);
		free(d->attr[i]);
	}
	free(d->bind_dn);
	free(d->password_file);
	free(d->base);
	free(d->filter);
	free(d->trust_anchor);
	free(d->forward);
}

static int
parse_top(struct ctx *c, const struct ynode *root, struct rules *r)
{
	static const char *const names[] = { "version", "authserv-id",
	    "defaults", "rules", "exceptions", "inbound", "signers",
	    "drop-to", "revocation", "revocation-fail", "ocsp-timeout",
	    "directory", "smimea", NULL };
	const struct ynode *k, *v;
	unsigned seen = 0;
	size_t i;
	int idx, rc = 0;

	if (root == NULL) {
		ctx_error(c, 1, 1, "missing version");
		return -1;
	}
	if (root->type != YN_MAP)
		return fail(c, root, "the policy must be a mapping");
	for (i = 0; i + 1 < root->nkid; i += 2) {
		k = root->kid[i];
		v = root->kid[i + 1];
		if (map_key(c, k, names, &seen, &idx) == -1)
			return -1;
		switch (idx) {
		case 0:
			if (want_scalar(c, "version", v) == -1)
				return -1;
			if (strcmp(v->str, "1") != 0)
				return fail(c, v, "version: must be 1");
			break;
		case 1:
			if (want_string(c, "authserv-id", v) == -1)
				return -1;
			if (!valid_authserv_id(v->str))
				return fail(c, v, "authserv-id: not a host "
				    "name or token");
			free(r->authserv_id);
			if ((r->authserv_id = strdup(v->str)) == NULL)
				return fail(c, v, "out of memory");
			break;
		case 2:
			rc = parse_defaults(c, v, r);
			break;
		case 3:
			rc = parse_rules(c, v, r);
			break;
		case 4:
			rc = parse_exceptions(c, v, r);
			break;
		case 5:
			rc = parse_inbound(c, v, r);
			break;
		case 6:
			rc = parse_signers(c, v, r);
			break;
		case 7:
			if (want_string(c, "drop-to", v) == -1)
				return -1;
			if (!signers_ident_valid(v->str) || v->str[0] == '@' ||
			    strcmp(v->str, "*") == 0 || strlen(v->str) > 100)
				return fail(c, v, "drop-to: \"%s\" is not an "
				    "address (of at most 100 octets)", v->str);
			if ((r->drop_to = strdup(v->str)) == NULL)
				return fail(c, v, "out of memory");
			break;
		case 8:
		case 9:
		case 10:
			rc = parse_revocation(c, idx, v, r);
			break;
		case 11:
		case 12:
			rc = parse_source(c, idx, v, r);
			break;
		default:
			return unknown_key(c, k, "the top level");
		}
		if (rc == -1)
			return -1;
	}
	if (!(seen & 1u))
		return fail(c, root, "missing version");
	r->drop_line = c->drop_line;	/* drop-to is checked by the mode */
	return check_bcc(c, r);
}

/* ---- entry points ---- */

struct rules *
rules_default(void)
{
	struct rules *r;
	char host[256];

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->defaults = policy_defaults;
	r->mobile_carriers = 1;
	r->already_smime = 1;
	r->harvest = 1;
	r->rev.check = RULES_REV_CRL;
	r->rev.timeout = RULES_OCSP_TIMEOUT;
	if ((r->signers = signers_new()) == NULL) {
		free(r);
		return NULL;
	}
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	if ((r->authserv_id = strdup(host)) == NULL) {
		signers_free(r->signers);
		free(r);
		return NULL;
	}
	return r;
}

void
rules_free(struct rules *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nrules; i++) {
		pattern_free(r->rules[i].sender);
		pattern_free(r->rules[i].rcpt);
	}
	free(r->rules);
	for (i = 0; i < r->ndests; i++)
		pattern_clear(&r->dests[i]);
	free(r->dests);
	for (i = 0; i < r->ninternal; i++)
		pattern_clear(&r->internal[i]);
	free(r->internal);
	for (i = 0; i < r->nhdrs; i++) {
		free(r->hdrs[i].name);
		free(r->hdrs[i].contains);
		pattern_free(r->hdrs[i].match);
	}
	free(r->hdrs);
	free(r->authserv_id);
	free(r->drop_to);
	source_free(&r->dir);
	source_free(&r->dns);
	signers_free(r->signers);
	free(r);
}

struct rules *
rules_load_mem(const char *name, const char *buf, size_t len, char *err,
    size_t errlen)
{
	struct ctx c;
	struct ynode *root;
	struct rules *r;

	memset(&c, 0, sizeof(c));
	c.name = name;
	c.err = err;
	c.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if (len > RULES_MAX_FILE) {
		ctx_error(&c, 1, 1, "larger than %d bytes", RULES_MAX_FILE);
		return NULL;
	}
	if (tree_build(&c, buf, len, &root) == -1)
		return NULL;
	if ((r = rules_default()) == NULL) {
		ctx_error(&c, 1, 1, "out of memory");
		ynode_free(root);
		return NULL;
	}
	if (parse_top(&c, root, r) == -1) {
		rules_free(r);
		r = NULL;
	}
	ynode_free(root);
	return r;
}

struct rules *
rules_load(const char *path, char *err, size_t errlen)
{
	struct rules *r;
	struct stat st;
	char *buf;
	size_t off = 0, size;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (st.st_size > RULES_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    RULES_MAX_FILE);
		close(fd);
		return NULL;
	}
	/* one byte more than the size tells a file that grew meanwhile */
	size = (size_t)st.st_size + 1;
	if ((buf = malloc(size)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	while (off < size) {
		n = read(fd, buf + off, size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if (off == size) {
		snprintf(err, errlen, "%s: changed while being read", path);
		free(buf);
		return NULL;
	}
	r = rules_load_mem(path, buf, off, err, errlen);
	free(buf);
	return r;
}
