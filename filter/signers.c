/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The signer table: logins and trusted sources with the identities they
 * may sign as.  Built once at load (from rules.yaml and a table file in
 * smtpd's senders format), read-only afterwards.  Logins compare
 * exactly, as the credentials table spells them; addresses compare as
 * addr_spec_eq() does.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "signers.h"

#define TABLE_MAX	(1024 * 1024)	/* table file, octets */
#define TABLE_LINE	4096

struct idlist {
	char	**v;
	size_t	  n;
};

struct login_ent {
	char		*login;
	struct idlist	 ids;
};

struct net_ent {
	char		*text;		/* as written, for -n and logs */
	int		 local;		/* the local socket, or pipe mode */
	int		 family;
	uint8_t		 a[16];
	unsigned	 bits;
	struct idlist	 ids;
};

struct signers {
	struct login_ent	*logins;
	size_t			 nlogins;
	struct net_ent		*nets;
	size_t			 nnets;
	int			 self;
	enum signers_mismatch	 mismatch;
};

struct signers *
signers_new(void)
{
	struct signers *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->self = 1;
	s->mismatch = SIGNERS_REFUSE;
	return s;
}

static void
idlist_free(struct idlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

void
signers_free(struct signers *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nlogins; i++) {
		free(s->logins[i].login);
		idlist_free(&s->logins[i].ids);
	}
	for (i = 0; i < s->nnets; i++) {
		free(s->nets[i].text);
		idlist_free(&s->nets[i].ids);
	}
	free(s->logins);
	free(s->nets);
	free(s);
}

void
signers_set_self(struct signers *s, int on)
{
	s->self = on;
}

void
signers_set_mismatch(struct signers *s, enum signers_mismatch m)
{
	s->mismatch = m;
}

enum signers_mismatch
signers_mismatch(const struct signers *s)
{
	return s->mismatch;
}

/* "*", "@domain" or "local@domain": printable ASCII, no space or ',' */
int
signers_ident_valid(const char *id)
{
	const char *at, *p;

	if (strcmp(id, "*") == 0)
		return 1;
	if ((at = strrchr(id, '@')) == NULL || at[1] == '\0' ||
	    strlen(id) > ADDR_SPEC_MAX)
		return 0;
	for (p = id; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == ',')
			return 0;
	return 1;
}

static int
idlist_add(struct idlist *l, const char *id)
{
	char **v;

	if (!signers_ident_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	if ((v = reallocarray(l->v, l->n + 1, sizeof(*v))) == NULL)
		return -1;
	l->v = v;
	if ((v[l->n] = strdup(id)) == NULL)
		return -1;
	l->n++;
	return 0;
}

int
signers_add_login(struct signers *s, const char *login, const char *ident)
{
	struct login_ent *e;
	size_t i;

	if (login[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < s->nlogins; i++)
		if (strcmp(s->logins[i].login, login) == 0)
			return idlist_add(&s->logins[i].ids, ident);
	if ((e = reallocarray(s->logins, s->nlogins + 1, sizeof(*e))) == NULL)
		return -1;
	s->logins = e;
	e = &s->logins[s->nlogins];
	memset(e, 0, sizeof(*e));
	if ((e->login = strdup(login)) == NULL)
		return -1;
	s->nlogins++;
	return idlist_add(&e->ids, ident);
}

/* "a.b.c.d", "v6", either with "/bits"; 0 or -1 */
static int
parse_net(const char *text, struct net_ent *n)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long bits;
	unsigned max;

	if (strlcpy(buf, text, sizeof(buf)) >= sizeof(buf))
		return -1;
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, n->a) == 1) {
		n->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, n->a) == 1) {
		n->family = AF_INET6;
		max = 128;
	} else
		return -1;
	n->bits = max;
	if (slash != NULL) {
		if (!isdigit((unsigned char)*slash))
			return -1;
		errno = 0;
		bits = strtoul(slash, &end, 10);
		if (*end != '\0' || errno != 0 || bits > max)
			return -1;
		n->bits = (unsigned)bits;
	}
	return 0;
}

int
signers_source_valid(const char *source)
{
	struct net_ent n;

	return strcasecmp(source, "local") == 0 || parse_net(source, &n) == 0;
}

int
signers_add_trusted(struct signers *s, const char *source, const char *ident)
{
	struct net_ent n, *v;
	size_t i;

	memset(&n, 0, sizeof(n));
	if (strcasecmp(source, "local") == 0)
		n.local = 1;
	else if (parse_net(source, &n) == -1) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < s->nnets; i++)
		if (strcmp(s->nets[i].text, source) == 0)
			return idlist_add(&s->nets[i].ids, ident ? ident : "*");
	if ((v = reallocarray(s->nets, s->nnets + 1, sizeof(*v))) == NULL)
		return -1;
	s->nets = v;
	if ((n.text = strdup(source)) == NULL)
		return -1;
	v[s->nnets++] = n;
	return idlist_add(&v[s->nnets - 1].ids, ident ? ident : "*");
}

/* ---- the table file ---- */

static int
table_line(struct signers *s, char *line, char *err, size_t errlen,
    const char *path, size_t lineno)
{
	char *p = line, *login, *id;
	size_t nids = 0;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	login = p;
	while (*p != '\0' && !isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		*p++ = '\0';
	while ((id = strsep(&p, ", \t")) != NULL) {
		if (*id == '\0')
			continue;
		if (*id == '#')
			break;
		if (signers_add_login(s, login, id) == -1) {
			snprintf(err, errlen, "%s:%zu: %s", path, lineno,
			    errno == EINVAL ? "not an address, @domain or *" :
			    strerror(errno));
			return -1;
		}
		nids++;
	}
	if (nids == 0) {
		snprintf(err, errlen, "%s:%zu: login without identities",
		    path, lineno);
		return -1;
	}
	return 0;
}

/*
 * The table's text: len octets of buf (no NUL needed), name for errors.
 * Lines are at most TABLE_LINE octets; a NUL ends nothing early.
 */
int
signers_parse_table(struct signers *s, const char *buf, size_t len,
    const char *name, char *err, size_t errlen)
{
	char line[TABLE_LINE];
	const char *p = buf, *end = buf + len, *nl;
	size_t lineno = 0, n;

	if (len > TABLE_MAX) {
		snprintf(err, errlen, "%s: larger than %d octets", name,
		    TABLE_MAX);
		return -1;
	}
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "%s:%zu: line too long", name,
			    lineno);
			return -1;
		}
		if (memchr(p, '\0', n) != NULL) {
			snprintf(err, errlen, "%s:%zu: NUL character", name,
			    lineno);
			return -1;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (table_line(s, line, err, errlen, name, lineno) == -1)
			return -1;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int
signers_load_table(struct signers *s, const char *path, char *err,
    size_t errlen)
{
	struct stat st;
	char *buf;
	size_t off = 0;
	ssize_t r = 0;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > TABLE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %d "
		    "octets", path, TABLE_MAX);
		close(fd);
		return -1;
	}
	/* one octet more than the size tells a file that grew */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (off <= (size_t)st.st_size) {
		r = read(fd, buf + off, (size_t)st.st_size + 1 - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	if (r == -1 || off > (size_t)st.st_size) {
		snprintf(err, errlen, "%s: %s", path, r == -1 ?
		    strerror(errno) : "changed while being read");
		rc = -1;
	} else
		rc = signers_parse_table(s, buf, off, path, err, errlen);
	free(buf);
	close(fd);
	return rc;
}

/* ---- matching ---- */

static int
ident_match(const char *id, const char *sender)
{
	const char *at;

	if (sender[0] == '\0')
		return 0;		/* the null sender is nobody */
	if (strcmp(id, "*") == 0)
		return 1;
	if (id[0] == '@')
		return (at = strrchr(sender, '@')) != NULL &&
		    strcasecmp(at + 1, id + 1) == 0;
	return addr_spec_eq(id, sender);
}

static int
idlist_match(const struct idlist *l, const char *sender)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (ident_match(l->v[i], sender))
			return 1;
	return 0;
}

/*
 * The client's address from smtpd's link-connect ("1.2.3.4:port",
 * "IPv6:addr:port", "unix:/path") or from -i in pipe mode (an address
 * alone).  1 local, 0 an address in n, -1 unknown.
 */
static int
parse_src(const char *src, struct net_ent *n)
{
	char buf[INET6_ADDRSTRLEN + 16], *p = buf, *end;
	int with_port = 0;

	if (src == NULL || src[0] == '\0' || strcmp(src, "local") == 0 ||
	    strncmp(src, "unix:", 5) == 0)
		return 1;
	/* smtpd writes IPv6 clients "IPv6:" address ":" port */
	if (strncasecmp(src, "IPv6:", 5) == 0) {
		src += 5;
		with_port = 1;
	}
	if (strlcpy(buf, src, sizeof(buf)) >= sizeof(buf))
		return -1;
	if (buf[0] == '[' && (end = strchr(buf, ']')) != NULL) {
		p = buf + 1;
		*end = '\0';
	} else if (with_port || strchr(buf, ':') == strrchr(buf, ':')) {
		/* "a.b.c.d:port", "v6:port", or an address alone */
		if ((end = strrchr(buf, ':')) != NULL)
			*end = '\0';
	}
	if (inet_pton(AF_INET, p, n->a) == 1)
		n->family = AF_INET;
	else if (inet_pton(AF_INET6, p, n->a) == 1)
		n->family = AF_INET6;
	else
		return -1;
	return 0;
}

static int
net_match(const struct net_ent *net, const struct net_ent *c)
{
	unsigned full = net->bits / 8, rest = net->bits % 8;

	if (net->family != c->family)
		return 0;
	if (memcmp(net->a, c->a, full) != 0)
		return 0;
	return rest == 0 ||
	    ((net->a[full] ^ c->a[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static int
by_login(const struct signers *s, const char *login, const char *sender,
    char *how, size_t howsz)
{
	char q[200];
	size_t i;

	log_quote(q, sizeof(q), login, strlen(login));
	if (s->self && strchr(login, '@') != NULL &&
	    addr_spec_eq(login, sender)) {
		snprintf(how, howsz, "login %s", q);
		return 1;
	}
	for (i = 0; i < s->nlogins; i++)
		if (strcmp(s->logins[i].login, login) == 0 &&
		    idlist_match(&s->logins[i].ids, sender)) {
			snprintf(how, howsz, "login %s", q);
			return 1;
		}
	snprintf(how, howsz, "login %s may not sign as this sender", q);
	return 0;
}

int
signers_may(const struct signers *s, const struct signers_client *c,
    const char *sender, char *how, size_t howsz)
{
	struct net_ent cn;
	char q[100];
	size_t i;
	int local;

	if (c->login != NULL && c->login[0] != '\0')
		return by_login(s, c->login, sender, how, howsz);
	memset(&cn, 0, sizeof(cn));
	local = parse_src(c->src, &cn);
	for (i = 0; local != -1 && i < s->nnets; i++) {
		if (s->nets[i].local != local || (!local &&
		    !net_match(&s->nets[i], &cn)))
			continue;
		if (idlist_match(&s->nets[i].ids, sender)) {
			snprintf(how, howsz, "trusted source %s",
			    s->nets[i].text);
			return 1;
		}
	}
	log_quote(q, sizeof(q), c->src && c->src[0] ? c->src : "local",
	    strlen(c->src && c->src[0] ? c->src : "local"));
	snprintf(how, howsz, "unauthenticated client %s may not sign as "
	    "this sender", q);
	return 0;
}

static void
print_ids(const struct idlist *l, FILE *fp)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		fprintf(fp, "%s%s", i ? ", " : "", l->v[i]);
	fputc('\n', fp);
}

void
signers_print(const struct signers *s, FILE *fp)
{
	size_t i;

	fprintf(fp, "signers: a login that is an address %s sign as "
	    "itself\n", s->self ? "may" : "may not");
	fprintf(fp, "signers: not allowed: %s\n", s->mismatch ==
	    SIGNERS_REFUSE ? "refuse (550 5.7.1)" : "pass unsigned, "
	    "where signing is not required");
	for (i = 0; i < s->nlogins; i++) {
		fprintf(fp, "signers: login %s\t", s->logins[i].login);
		print_ids(&s->logins[i].ids, fp);
	}
	for (i = 0; i < s->nnets; i++) {
		fprintf(fp, "signers: trusted %s\t", s->nets[i].text);
		print_ids(&s->nets[i].ids, fp);
	}
	if (s->nnets == 0)
		fprintf(fp, "signers: no trusted sources: unauthenticated "
		    "clients are not signed for\n");
}
