/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * MIME structure: header sections, Content-Type, multipart levels and
 * the iterative walk over nested multiparts.  See mime.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

static const char *const mime_errstr[MIME_E_MAX] = {
	[MIME_OK] = "no error",
	[MIME_E_NOMEM] = "out of memory",
	[MIME_E_FIELDS] = "too many header fields",
	[MIME_E_HDRSIZE] = "header section too large",
	[MIME_E_SYNTAX] = "syntax error in header field",
	[MIME_E_PARAMS] = "too many Content-Type parameters",
	[MIME_E_NOBOUNDARY] = "multipart without boundary parameter",
	[MIME_E_NODELIM] = "multipart boundary not found in body",
	[MIME_E_NOCLOSE] = "multipart without close delimiter",
	[MIME_E_DEPTH] = "multipart nested too deeply",
	[MIME_E_BASE64] = "invalid base64",
	[MIME_E_WRITE] = "output failed",
	[MIME_E_CALLBACK] = "stopped by callback",
};

const char *
mime_strerror(int err)
{
	if (err < 0 || err >= MIME_E_MAX || mime_errstr[err] == NULL)
		return "unknown error";
	return mime_errstr[err];
}

static void	(*reclaim_fn)(void *);
static void	 *reclaim_arg;
static size_t	  reclaim_count;

void
mime_set_reclaim(void (*fn)(void *), void *arg)
{
	reclaim_fn = fn;
	reclaim_arg = arg;
	reclaim_count = 0;
}

/* n more octets of the input were read: time to let pages go? */
void
mime_consumed(size_t n)
{
	if (reclaim_fn == NULL)
		return;
	reclaim_count += n;
	if (reclaim_count >= MIME_RECLAIM) {
		reclaim_count = 0;
		reclaim_fn(reclaim_arg);
	}
}

static mime_fetch_fn	fetch_fn;

void
mime_set_fetch(mime_fetch_fn fn)
{
	fetch_fn = fn;
}

/* One chunk at p, from where the hook says: its copy, or p itself. */
const char *
mime_fetch(const char *p, size_t n)
{
	static char	buf[MIME_CHUNK];

	if (fetch_fn == NULL || n == 0 || n > sizeof(buf))
		return p;
	return fetch_fn(p, n, buf);
}

static const struct mime_scratch_ops *scratch_ops;

void
mime_set_scratch(const struct mime_scratch_ops *ops)
{
	scratch_ops = ops;
}

int
mime_scratch_open(struct mime_scratch *s)
{
	mime_buf_init(&s->buf, 0);
	s->ext = NULL;
	if (scratch_ops == NULL)
		return 0;
	return (s->ext = scratch_ops->open()) == NULL ? -1 : 0;
}

/* A mime_write_fn on a struct mime_scratch. */
int
mime_scratch_write(void *arg, const void *p, size_t n)
{
	struct mime_scratch *s = arg;

	if (s->ext != NULL)
		return scratch_ops->write(s->ext, p, n) == 0 ? 0 : -1;
	return mime_buf_write(&s->buf, p, n);
}

int
mime_scratch_map(struct mime_scratch *s, const char **p, size_t *n)
{
	if (s->ext != NULL)
		return scratch_ops->map(s->ext, p, n);
	*p = s->buf.data ? s->buf.data : "";
	*n = s->buf.len;
	return 0;
}

void
mime_scratch_close(struct mime_scratch *s)
{
	if (s->ext != NULL)
		scratch_ops->close(s->ext);
	s->ext = NULL;
	if (s->buf.data != NULL)
		explicit_bzero(s->buf.data, s->buf.len);
	mime_buf_clear(&s->buf);
}

void
mime_buf_init(struct mime_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void
mime_buf_clear(struct mime_buf *b)
{
	free(b->data);
	mime_buf_init(b, b->max);
}

/* A mime_write_fn: append to a struct mime_buf; -1 on limit or memory. */
int
mime_buf_write(void *arg, const void *p, size_t n)
{
	struct mime_buf	*b = arg;
	size_t		 ncap;
	char		*nd;

	if (n == 0)
		return 0;
	if (n > SIZE_MAX - b->len)
		return -1;
	if (b->max != 0 && b->len + n > b->max)
		return -1;
	if (b->len + n > b->cap) {
		ncap = b->cap < 256 ? 256 : b->cap;
		while (ncap < b->len + n) {
			if (ncap > SIZE_MAX / 2)
				return -1;
			ncap *= 2;
		}
		if ((nd = realloc(b->data, ncap)) == NULL)
			return -1;
		b->data = nd;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

/* Header sections. */

static int
mime_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int
mime_casecmp(const char *a, size_t alen, const char *b)
{
	size_t	i;

	for (i = 0; i < alen; i++) {
		if (b[i] == '\0' || mime_lower((unsigned char)a[i]) !=
		    mime_lower((unsigned char)b[i]))
			return 1;
	}
	return b[i] != '\0';
}

/* Length of the line at p (up to and including LF, or to the end). */
static size_t
mime_linelen(const char *p, size_t n)
{
	const char	*nl;

	if ((nl = memchr(p, '\n', n)) == NULL)
		return n;
	return (size_t)(nl - p) + 1;
}

/* Is the line (with its line end) empty? */
static int
mime_line_empty(const char *p, size_t n)
{
	return (n == 1 && p[0] == '\n') ||
	    (n == 2 && p[0] == '\r' && p[1] == '\n');
}

/*
 * Does the line start a header field?  Field names are printable
 * US-ASCII without ':' (RFC 5322 §2.2); white space between the name
 * and the colon is obsolete syntax that is still seen.  Returns the
 * name length, 0 when this is not a field line.
 */
static size_t
mime_field_name(const char *p, size_t n)
{
	size_t	i, namelen;

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (c == ':' || c <= ' ' || c > '~')
			break;
	}
	if (i == 0)
		return 0;
	namelen = i;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i >= n || p[i] != ':')
		return 0;
	return namelen;
}

static int
entity_parse(const char *p, size_t n, struct mime_entity *e,
    size_t maxfields, size_t maxheader)
{
	size_t	off = 0, ll, nfields = 0;
	int	infield = 0;

	if (n == 0)
		p = "";		/* no arithmetic on a NULL pointer */
	memset(e, 0, sizeof(*e));
	e->hdr = e->sep = e->body = p;
	while (off < n) {
		ll = mime_linelen(p + off, n - off);
		if (mime_line_empty(p + off, ll)) {
			e->has_sep = 1;
			e->sep = p + off;
			e->seplen = ll;
			break;
		}
		if (p[off] == ' ' || p[off] == '\t') {
			if (!infield)
				break;
		} else if (mime_field_name(p + off, ll) > 0) {
			if (++nfields > maxfields)
				return MIME_E_FIELDS;
			infield = 1;
		} else
			break;
		off += ll;
		if (off > maxheader)
			return MIME_E_HDRSIZE;
	}
	e->hdrlen = off;
	e->nfields = nfields;
	if (!e->has_sep)
		e->sep = p + off;
	e->body = e->sep + e->seplen;
	e->bodylen = n - off - e->seplen;
	return MIME_OK;
}

int
mime_entity_parse(const char *p, size_t n, struct mime_entity *e)
{
	return entity_parse(p, n, e, MIME_MAX_FIELDS, MIME_MAX_HEADER);
}

/*
 * The same split without the limits, for a message passed on as it is:
 * one linear scan, nothing kept per field.
 */
int
mime_entity_parse_any(const char *p, size_t n, struct mime_entity *e)
{
	return entity_parse(p, n, e, SIZE_MAX, SIZE_MAX);
}

void
mime_hdr_iter_init(struct mime_hdr_iter *it, const struct mime_entity *e)
{
	it->p = e->hdr;
	it->len = e->hdrlen;
	it->off = 0;
}

/* Next field; 1 when one is returned, 0 at the end. */
int
mime_hdr_next(struct mime_hdr_iter *it, struct mime_field *f)
{
	const char	*p;
	size_t		 start, ll, end, i;

	if (it->off >= it->len)
		return 0;
	p = it->p;
	start = it->off;
	ll = mime_linelen(p + start, it->len - start);
	end = start + ll;
	while (end < it->len && (p[end] == ' ' || p[end] == '\t'))
		end += mime_linelen(p + end, it->len - end);
	it->off = end;

	f->raw = p + start;
	f->rawlen = end - start;
	f->name = f->raw;
	f->namelen = mime_field_name(f->raw, ll);
	for (i = f->namelen; i < ll && f->raw[i] != ':'; i++)
		;
	/* mime_entity_parse only lets field lines in, so ':' is there. */
	f->value = f->raw + i + 1;
	f->valuelen = f->rawlen - i - 1;
	if (f->valuelen > 0 && f->value[f->valuelen - 1] == '\n')
		f->valuelen--;
	if (f->valuelen > 0 && f->value[f->valuelen - 1] == '\r')
		f->valuelen--;
	return 1;
}

int
mime_hdr_is(const struct mime_field *f, const char *name)
{
	return mime_casecmp(f->name, f->namelen, name) == 0;
}

/* The nth (from 0) field called name; 0 when found, -1 when not. */
int
mime_hdr_find(const struct mime_entity *e, const char *name, size_t nth,
    struct mime_field *f)
{
	struct mime_hdr_iter	it;

	mime_hdr_iter_init(&it, e);
	while (mime_hdr_next(&it, f)) {
		if (mime_hdr_is(f, name) && nth-- == 0)
			return 0;
	}
	return -1;
}

size_t
mime_hdr_count(const struct mime_entity *e, const char *name)
{
	struct mime_hdr_iter	it;
	struct mime_field	f;
	size_t			n = 0;

	mime_hdr_iter_init(&it, e);
	while (mime_hdr_next(&it, &f))
		if (mime_hdr_is(&f, name))
			n++;
	return n;
}

/*
 * Unfold a field value (RFC 5322 §2.2.3): line ends followed by white
 * space are removed, leading and trailing white space trimmed.  dst
 * needs room for n octets; the result is not NUL-terminated.
 */
size_t
mime_unfold(const char *src, size_t n, char *dst)
{
	size_t	i, o = 0;

	for (i = 0; i < n; i++) {
		if (src[i] == '\n' || (src[i] == '\r' && i + 1 < n &&
		    src[i + 1] == '\n'))
			continue;
		dst[o++] = src[i];
	}
	while (o > 0 && (dst[o - 1] == ' ' || dst[o - 1] == '\t'))
		o--;
	i = 0;
	while (i < o && (dst[i] == ' ' || dst[i] == '\t'))
		i++;
	if (i > 0)
		memmove(dst, dst + i, o - i);
	return o - i;
}

/* Content-Type (RFC 2045 §5.1, RFC 2231 lite). */

struct mime_lex {
	const char	*p;
	size_t		 n;
	size_t		 i;
	char		*out;	/* next free octet in ct->buf */
};

static int
mime_isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip white space, folding and (nested) comments. */
static void
mime_skip_cfws(struct mime_lex *l)
{
	size_t	depth;

	for (;;) {
		while (l->i < l->n && mime_isspace((unsigned char)l->p[l->i]))
			l->i++;
		if (l->i >= l->n || l->p[l->i] != '(')
			return;
		depth = 0;
		/* An unterminated comment runs to the end of the value. */
		for (; l->i < l->n; l->i++) {
			if (l->p[l->i] == '\\' && l->i + 1 < l->n)
				l->i++;
			else if (l->p[l->i] == '(')
				depth++;
			else if (l->p[l->i] == ')' && --depth == 0) {
				l->i++;
				break;
			}
		}
	}
}

static int
mime_istoken(int c, int stop_slash)
{
	if (c <= ' ' || c >= 127)
		return 0;
	if (strchr("()<>@,;:\\\"[]?=", c) != NULL)
		return 0;
	return !(stop_slash && c == '/');
}

/* Copy a token into the owned buffer, lowercased if asked. */
static const char *
mime_token(struct mime_lex *l, int stop_slash, int lower, size_t *lenp)
{
	char	*start = l->out;

	while (l->i < l->n && mime_istoken((unsigned char)l->p[l->i],
	    stop_slash)) {
		unsigned char c = l->p[l->i];

		*l->out++ = lower ? (char)mime_lower(c) : (char)c;
		l->i++;
	}
	*lenp = (size_t)(l->out - start);
	*l->out++ = '\0';
	return start;
}

/* Quoted string at l->i (on the '"'); MIME_E_SYNTAX if unterminated. */
static int
mime_quoted(struct mime_lex *l)
{
	l->i++;
	while (l->i < l->n) {
		char c = l->p[l->i++];
		if (c == '"')
			return MIME_OK;
		if (c == '\\') {
			if (l->i >= l->n)
				break;
			c = l->p[l->i++];
		} else if (c == '\r' || c == '\n')
			continue;	/* folding inside the quotes */
		*l->out++ = c;
	}
	return MIME_E_SYNTAX;
}

/*
 * Lenient value token: some mailers send unquoted boundaries with
 * characters outside the token set ("=_", "?").  Anything up to white
 * space, ';', '(' or '"' is taken.
 */
static void
mime_value_token(struct mime_lex *l)
{
	while (l->i < l->n) {
		unsigned char c = l->p[l->i];
		if (c <= ' ' || c == 127 || c == ';' || c == '(' || c == '"')
			break;
		*l->out++ = (char)c;
		l->i++;
	}
}

/* A hexadecimal digit's value, or -1. */
int
mime_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * RFC 2231 extended value in place: drop "charset'language'" (first
 * section only) and decode %XX.  Returns the new length.
 */
static size_t
mime_2231_decode(char *v, size_t n, int first)
{
	size_t	i = 0, o = 0;
	char	*q;
	int	 hi, lo;

	if (first && (q = memchr(v, '\'', n)) != NULL &&
	    (q = memchr(q + 1, '\'', n - (size_t)(q + 1 - v))) != NULL)
		i = (size_t)(q + 1 - v);
	while (i < n) {
		if (v[i] == '%' && i + 2 < n &&
		    (hi = mime_hexval((unsigned char)v[i + 1])) >= 0 &&
		    (lo = mime_hexval((unsigned char)v[i + 2])) >= 0) {
			v[o++] = (char)(hi << 4 | lo);
			i += 3;
		} else
			v[o++] = v[i++];
	}
	return o;
}

/*
 * Split "name*3*" into base length, section (-1 if none) and whether
 * the value is extended.
 */
static size_t
mime_param_name(const char *name, size_t len, long *section, int *ext)
{
	const char	*star;
	size_t		 i;
	long		 s;

	*section = -1;
	*ext = 0;
	if ((star = memchr(name, '*', len)) == NULL)
		return len;
	i = (size_t)(star - name) + 1;
	if (i < len && name[i] >= '0' && name[i] <= '9') {
		for (s = 0; i < len && name[i] >= '0' && name[i] <= '9'; i++)
			if (s < 10000)
				s = s * 10 + (name[i] - '0');
		*section = s;
	}
	if (i < len && name[i] == '*') {
		*ext = 1;
		i++;
	}
	if (i == (size_t)(star - name) + 1 && *section < 0 && i == len)
		*ext = 1;	/* plain "name*" */
	return (size_t)(star - name);
}

static int
mime_ctype_param1(struct mime_lex *l, struct mime_ctype *ct, long *lastsec)
{
	struct mime_param	*prev;
	const char		*name;
	char			*val;
	size_t			 namelen, base, vlen;
	long			 section;
	int			 ext, error;

	name = mime_token(l, 0, 1, &namelen);
	if (namelen == 0)
		return MIME_E_SYNTAX;
	mime_skip_cfws(l);
	if (l->i >= l->n || l->p[l->i] != '=')
		return MIME_E_SYNTAX;
	l->i++;
	mime_skip_cfws(l);
	base = mime_param_name(name, namelen, &section, &ext);
	if (base == 0)
		return MIME_E_SYNTAX;		/* "*0*=" has no name */
	prev = ct->nparams > 0 ? &ct->params[ct->nparams - 1] : NULL;
	if (section > 0 && prev != NULL && *lastsec + 1 == section &&
	    strlen(prev->name) == base &&
	    strncmp(prev->name, name, base) == 0) {
		/* Continuation: write over the name, append to prev value. */
		l->out = (char *)prev->value + prev->valuelen;
		val = l->out;
	} else {
		if (ct->nparams == MIME_MAX_PARAMS)
			return MIME_E_PARAMS;
		((char *)name)[base] = '\0';
		prev = &ct->params[ct->nparams++];
		prev->name = name;
		prev->value = val = l->out;
		prev->valuelen = 0;
	}
	*lastsec = section;
	error = MIME_OK;
	if (l->i < l->n && l->p[l->i] == '"')
		error = mime_quoted(l);		/* partial value kept */
	else
		mime_value_token(l);
	vlen = (size_t)(l->out - val);
	if (ext)
		vlen = mime_2231_decode(val, vlen, section <= 0);
	prev->valuelen += vlen;
	l->out = (char *)prev->value + prev->valuelen;
	*l->out++ = '\0';
	return error;
}

void
mime_ctype_init(struct mime_ctype *ct)
{
	memset(ct, 0, sizeof(*ct));
	ct->type = "text";
	ct->subtype = "plain";
	ct->defaulted = 1;
}

void
mime_ctype_clear(struct mime_ctype *ct)
{
	free(ct->buf);
	mime_ctype_init(ct);
}

/*
 * Parse a Content-Type value (raw or unfolded).  On MIME_E_SYNTAX or
 * MIME_E_PARAMS the type and the parameters before the error are kept;
 * when no type/subtype could be read the struct says text/plain
 * (RFC 2045 §5.2) with defaulted set.
 */
int
mime_ctype_parse(const char *p, size_t n, struct mime_ctype *ct)
{
	struct mime_lex	 l;
	const char	*type, *sub;
	size_t		 tlen, slen;
	long		 lastsec = -1;
	int		 error;

	mime_ctype_clear(ct);
	/* Everything written is shorter than the input, plus NULs. */
	if (n > SIZE_MAX - 2 * MIME_MAX_PARAMS - 16)
		return MIME_E_NOMEM;
	if ((ct->buf = malloc(n + 2 * MIME_MAX_PARAMS + 16)) == NULL)
		return MIME_E_NOMEM;
	l.p = p;
	l.n = n;
	l.i = 0;
	l.out = ct->buf;
	mime_skip_cfws(&l);
	type = mime_token(&l, 1, 1, &tlen);
	mime_skip_cfws(&l);
	if (tlen == 0 || l.i >= l.n || l.p[l.i] != '/')
		return MIME_E_SYNTAX;
	l.i++;
	mime_skip_cfws(&l);
	sub = mime_token(&l, 1, 1, &slen);
	if (slen == 0)
		return MIME_E_SYNTAX;
	ct->type = type;
	ct->subtype = sub;
	ct->defaulted = 0;
	for (;;) {
		mime_skip_cfws(&l);
		if (l.i >= l.n)
			return MIME_OK;
		if (l.p[l.i] != ';')
			return MIME_E_SYNTAX;
		while (l.i < l.n && (l.p[l.i] == ';' || mime_isspace(
		    (unsigned char)l.p[l.i])))
			l.i++;
		mime_skip_cfws(&l);
		if (l.i >= l.n)
			return MIME_OK;		/* trailing ';' */
		if ((error = mime_ctype_param1(&l, ct, &lastsec)) != MIME_OK)
			return error;
	}
}

/*
 * The entity's Content-Type (the first field), or text/plain.  Syntax
 * errors are not reported: what could be read is kept.
 */
int
mime_entity_ctype(const struct mime_entity *e, struct mime_ctype *ct)
{
	struct mime_field	f;
	int			error;

	mime_ctype_clear(ct);
	if (mime_hdr_find(e, "content-type", 0, &f) == -1)
		return MIME_OK;
	error = mime_ctype_parse(f.value, f.valuelen, ct);
	return error == MIME_E_NOMEM ? error : MIME_OK;
}

const struct mime_param *
mime_ctype_param(const struct mime_ctype *ct, const char *name)
{
	size_t	i;

	for (i = 0; i < ct->nparams; i++)
		if (mime_casecmp(ct->params[i].name,
		    strlen(ct->params[i].name), name) == 0)
			return &ct->params[i];
	return NULL;
}

/* Case-insensitive type check; subtype NULL matches any. */
int
mime_ctype_is(const struct mime_ctype *ct, const char *type,
    const char *subtype)
{
	if (mime_casecmp(ct->type, strlen(ct->type), type) != 0)
		return 0;
	return subtype == NULL ||
	    mime_casecmp(ct->subtype, strlen(ct->subtype), subtype) == 0;
}

/* The boundary of a multipart; -1 when absent or unusable. */
int
mime_ctype_boundary(const struct mime_ctype *ct, struct mime_span *b)
{
	const struct mime_param	*bp;
	size_t			 i;

	if ((bp = mime_ctype_param(ct, "boundary")) == NULL ||
	    bp->valuelen == 0 || bp->valuelen > MIME_MAX_BOUNDARY)
		return -1;
	for (i = 0; i < bp->valuelen; i++)
		if (bp->value[i] == '\r' || bp->value[i] == '\n')
			return -1;
	b->p = bp->value;
	b->len = bp->valuelen;
	return 0;
}

enum mime_cte
mime_cte_parse(const char *p, size_t n)
{
	static const struct {
		const char	*name;
		enum mime_cte	 cte;
	} tab[] = {
		{ "7bit", MIME_CTE_7BIT },
		{ "8bit", MIME_CTE_8BIT },
		{ "binary", MIME_CTE_BINARY },
		{ "quoted-printable", MIME_CTE_QP },
		{ "base64", MIME_CTE_BASE64 },
	};
	struct mime_lex	l;
	size_t		i, start;

	if (n == 0)
		return MIME_CTE_UNKNOWN;
	l.p = p;
	l.n = n;
	l.i = 0;
	mime_skip_cfws(&l);
	start = l.i;
	while (l.i < l.n && mime_istoken((unsigned char)p[l.i], 0))
		l.i++;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (mime_casecmp(p + start, l.i - start, tab[i].name) == 0)
			return tab[i].cte;
	return MIME_CTE_UNKNOWN;
}

enum mime_cte
mime_entity_cte(const struct mime_entity *e)
{
	struct mime_field	f;

	if (mime_hdr_find(e, "content-transfer-encoding", 0, &f) == -1)
		return MIME_CTE_7BIT;
	return mime_cte_parse(f.value, f.valuelen);
}

const char *
mime_cte_name(enum mime_cte cte)
{
	switch (cte) {
	case MIME_CTE_7BIT:
		return "7bit";
	case MIME_CTE_8BIT:
		return "8bit";
	case MIME_CTE_BINARY:
		return "binary";
	case MIME_CTE_QP:
		return "quoted-printable";
	case MIME_CTE_BASE64:
		return "base64";
	default:
		return "unknown";
	}
}

enum mime_smime
mime_smime_kind(const struct mime_ctype *ct)
{
	if (mime_ctype_is(ct, "multipart", "signed"))
		return MIME_SMIME_SIGNED;
	if (mime_ctype_is(ct, "multipart", "encrypted"))
		return MIME_SMIME_ENCRYPTED;
	if (mime_ctype_is(ct, "application", "pkcs7-mime") ||
	    mime_ctype_is(ct, "application", "x-pkcs7-mime"))
		return MIME_SMIME_PKCS7;
	if (mime_ctype_is(ct, "application", "pkcs7-signature") ||
	    mime_ctype_is(ct, "application", "x-pkcs7-signature"))
		return MIME_SMIME_SIGNATURE;
	return MIME_SMIME_NONE;
}

/* 1 if the entity is S/MIME already, 0 if not, -1 on error. */
int
mime_is_smime(const char *p, size_t n)
{
	struct mime_entity	e;
	struct mime_ctype	ct;
	int			kind;

	if (mime_entity_parse(p, n, &e) != MIME_OK)
		return -1;
	mime_ctype_init(&ct);
	if (mime_entity_ctype(&e, &ct) != MIME_OK)
		return -1;
	kind = mime_smime_kind(&ct);
	mime_ctype_clear(&ct);
	return kind != MIME_SMIME_NONE;
}

/* Multipart levels (RFC 2046 §5.1.1). */

enum { MP_START, MP_PARTS, MP_DONE };

void
mime_mp_init(struct mime_mp *mp, const char *p, size_t n, const char *bnd,
    size_t bndlen)
{
	if (n == 0)
		p = "";
	memset(mp, 0, sizeof(*mp));
	mp->p = p;
	mp->len = n;
	mp->bnd = bnd;
	mp->bndlen = bndlen;
	mp->state = MP_START;
	mp->preamble.p = mp->epilogue.p = p + n;
}

/*
 * Is there a delimiter line at off (a line start)?  0: no, 1: a
 * delimiter, 2: the close delimiter.  *next is set past the line.
 */
static int
mime_mp_delim(const struct mime_mp *mp, size_t off, size_t *next, int *eol)
{
	const char	*p = mp->p + off;
	size_t		 n = mp->len - off, i, ll;
	int		 close = 0;

	if (n < 2 + mp->bndlen || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, mp->bnd, mp->bndlen) != 0)
		return 0;
	i = 2 + mp->bndlen;
	if (n - i >= 2 && p[i] == '-' && p[i + 1] == '-') {
		close = 1;
		i += 2;
	}
	ll = mime_linelen(p, n);
	/* Only transport padding may follow on the line. */
	for (; i < ll; i++) {
		if (p[i] == '\n' || (p[i] == '\r' && i + 1 == ll - 1 &&
		    p[ll - 1] == '\n'))
			break;
		if (p[i] != ' ' && p[i] != '\t')
			return 0;
	}
	*eol = ll > 0 && p[ll - 1] == '\n';
	*next = off + ll;
	return 1 + close;
}

/*
 * Find the next delimiter line at or after off (which is a line
 * start).  Returns its kind, 0 when none; *at is the delimiter line,
 * *next past it.
 */
static int
mime_mp_find(const struct mime_mp *mp, size_t off, size_t *at, size_t *next,
    int *eol)
{
	const char	*nl;
	int		 k;

	while (off < mp->len) {
		if (mp->p[off] == '-' &&
		    (k = mime_mp_delim(mp, off, next, eol)) != 0) {
			*at = off;
			return k;
		}
		nl = memchr(mp->p + off, '\n', mp->len - off);
		if (nl == NULL)
			break;
		mime_consumed((size_t)(nl - mp->p) + 1 - off);
		off = (size_t)(nl - mp->p) + 1;
	}
	return 0;
}

/* Length of the content before a delimiter at 'at', minus the line end. */
static size_t
mime_mp_before(const struct mime_mp *mp, size_t start, size_t at)
{
	size_t	end = at;

	if (end > start && mp->p[end - 1] == '\n') {
		end--;
		if (end > start && mp->p[end - 1] == '\r')
			end--;
	}
	return end - start;
}

/*
 * Find the first delimiter, which fixes the preamble.  MIME_E_NODELIM
 * when the boundary is nowhere in the body.  Called by mime_mp_next()
 * when needed; a caller may call it first to emit the preamble.
 */
int
mime_mp_start(struct mime_mp *mp)
{
	size_t	at, next;
	int	k, eol;

	if (mp->state != MP_START)
		return mp->err == MIME_E_NODELIM ? mp->err : MIME_OK;
	k = mime_mp_find(mp, 0, &at, &next, &eol);
	if (k == 0) {
		mp->preamble.p = mp->p;
		mp->preamble.len = mp->len;
		mp->state = MP_DONE;
		return mp->err = MIME_E_NODELIM;
	}
	mp->preamble.p = mp->p;
	mp->preamble.len = mime_mp_before(mp, 0, at);
	mp->delim_at_start = at == 0;
	mp->off = next;
	mp->state = MP_PARTS;
	if (k == 2) {
		/* Close delimiter first: no parts at all. */
		mp->closed = 1;
		mp->close_eol = eol;
		mp->epilogue.p = mp->p + next;
		mp->epilogue.len = mp->len - next;
		mp->state = MP_DONE;
	}
	return MIME_OK;
}

/* Next part; 1 when one is returned, 0 at the end (see mp->err). */
int
mime_mp_next(struct mime_mp *mp, struct mime_span *part)
{
	size_t	at, next;
	int	k, eol;

	if (mp->state == MP_START)
		(void)mime_mp_start(mp);
	if (mp->state == MP_DONE)
		return 0;
	part->p = mp->p + mp->off;
	k = mime_mp_find(mp, mp->off, &at, &next, &eol);
	if (k == 0) {
		part->len = mp->len - mp->off;
		mp->err = MIME_E_NOCLOSE;
		mp->state = MP_DONE;
	} else {
		part->len = mime_mp_before(mp, mp->off, at);
		mp->off = next;
		if (k == 2) {
			mp->closed = 1;
			mp->close_eol = eol;
			mp->epilogue.p = mp->p + next;
			mp->epilogue.len = mp->len - next;
			mp->state = MP_DONE;
		}
	}
	mp->nparts++;
	return 1;
}

/* The walk over nested entities. */

struct mime_frame {
	struct mime_ctype	ct;
	struct mime_mp		mp;
	struct mime_span	bnd;
	int			msg;	/* message/rfc822: one child */
	struct mime_span	msgbody;
};

/*
 * An encapsulated message whose body is itself an entity to descend
 * into.  Only identity encodings qualify (RFC 2046 §5.2.1 allows no
 * other); a base64 message/rfc822, seen in the wild, stays a leaf.
 */
int
mime_entity_is_message(const struct mime_entity *e,
    const struct mime_ctype *ct)
{
	enum mime_cte	cte;

	if (!mime_ctype_is(ct, "message", "rfc822") &&
	    !mime_ctype_is(ct, "message", "global"))
		return 0;
	cte = mime_entity_cte(e);
	return cte == MIME_CTE_7BIT || cte == MIME_CTE_8BIT ||
	    cte == MIME_CTE_BINARY;
}

/*
 * Look at one entity: parse it, report it, and if it is a multipart
 * with a boundary, push a frame for its parts.
 */
static int
mime_walk_entity(struct mime_frame *stack, unsigned int *depth,
    const char *p, size_t n, size_t index, mime_walk_fn fn, void *arg,
    int *firsterr)
{
	struct mime_node	 node;
	struct mime_frame	*fr;
	int			 error;

	if (*depth >= MIME_MAX_DEPTH)
		return MIME_E_DEPTH;
	fr = &stack[*depth];
	memset(&node, 0, sizeof(node));
	node.depth = *depth;
	node.index = index;
	node.span.p = p;
	node.span.len = n;
	if ((error = mime_entity_parse(p, n, &node.ent)) != MIME_OK)
		return error;
	if ((error = mime_entity_ctype(&node.ent, &fr->ct)) != MIME_OK)
		return error;
	node.ct = &fr->ct;
	fr->msg = 0;
	if (mime_entity_is_message(&node.ent, &fr->ct)) {
		fr->msg = 1;
		fr->msgbody.p = node.ent.body;
		fr->msgbody.len = node.ent.bodylen;
		(*depth)++;
	} else if (mime_ctype_is(&fr->ct, "multipart", NULL)) {
		if (mime_ctype_boundary(&fr->ct, &fr->bnd) == -1)
			node.mperr = MIME_E_NOBOUNDARY;
		else {
			mime_mp_init(&fr->mp, node.ent.body, node.ent.bodylen,
			    fr->bnd.p, fr->bnd.len);
			(*depth)++;
		}
	}
	if (node.mperr != MIME_OK && *firsterr == MIME_OK)
		*firsterr = node.mperr;
	if (fn != NULL && fn(arg, &node) != 0)
		return MIME_E_CALLBACK;
	return MIME_OK;
}

int
mime_walk(const char *p, size_t n, mime_walk_fn fn, void *arg)
{
	struct mime_frame	*stack, *fr;
	struct mime_span	 part;
	unsigned int		 depth = 0, i;
	int			 error, firsterr = MIME_OK;

	if ((stack = calloc(MIME_MAX_DEPTH, sizeof(*stack))) == NULL)
		return MIME_E_NOMEM;
	for (i = 0; i < MIME_MAX_DEPTH; i++)
		mime_ctype_init(&stack[i].ct);
	error = mime_walk_entity(stack, &depth, p, n, 0, fn, arg, &firsterr);
	while (error == MIME_OK && depth > 0) {
		fr = &stack[depth - 1];
		if (fr->msg == 1) {
			fr->msg = 2;
			error = mime_walk_entity(stack, &depth, fr->msgbody.p,
			    fr->msgbody.len, 0, fn, arg, &firsterr);
			continue;
		}
		if (fr->msg == 2) {
			depth--;
			continue;
		}
		if (mime_mp_next(&fr->mp, &part)) {
			error = mime_walk_entity(stack, &depth, part.p,
			    part.len, fr->mp.nparts - 1, fn, arg, &firsterr);
			continue;
		}
		if (fr->mp.err != MIME_OK && firsterr == MIME_OK)
			firsterr = fr->mp.err;
		depth--;
	}
	for (i = 0; i < MIME_MAX_DEPTH; i++)
		mime_ctype_clear(&stack[i].ct);
	free(stack);
	return error != MIME_OK ? error : firsterr;
}
