/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * RFC 8601 syntax for Authentication-Results, both ways.
 *
 * Reading: only the authserv-id matters to us (§2.2: [CFWS] authserv-id,
 * a value, that is an RFC 2045 token or a quoted-string).  It is read
 * leniently on purpose, since we remove what some reader might take for
 * our own result: any CR or LF counts as white space, comments nest,
 * the token ends at the first octet a token cannot hold, case and one
 * trailing dot do not matter, white space inside a quoted form is
 * trimmed.  A field from which no authserv-id can be read at all is
 * reported as unreadable, and the caller removes it as well.
 *
 * Writing: a value is a token when it can be one, an addr-spec when the
 * property allows it (pvalue), and a quoted-string otherwise, with '"'
 * and '\' escaped; a comment escapes '(', ')' and '\'.  Controls, NUL
 * and 8-bit octets become '?', so nothing a certificate holds reaches a
 * header raw; long values are cut and end in AUTHRES_MARK.
 */
#include <string.h>
#include <strings.h>

#include "authres.h"

static const char tspecials[] = "()<>@,;:\\\"/[]?=";

static int
token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr(tspecials, c) == NULL;
}

/* White space (any CR or LF too) and comments; -1 when one is open. */
static int
skip_cfws(const char *v, size_t len, size_t *i)
{
	size_t depth = 0, j = *i;

	for (; j < len; j++) {
		if (depth == 0 && strchr(" \t\r\n(", v[j]) == NULL)
			break;
		if (v[j] == '\0' && depth == 0)
			break;
		if (v[j] == '\\' && depth > 0) {
			j++;		/* quoted-pair inside a comment */
			continue;
		}
		if (v[j] == '(')
			depth++;
		else if (v[j] == ')' && depth > 0)
			depth--;
	}
	if (depth > 0)
		return -1;
	*i = j;
	return 0;
}

static int
put_id(char *id, size_t idsz, size_t *o, char c)
{
	if (*o + 1 >= idsz)
		return -2;
	id[(*o)++] = c == '\0' ? '?' : c;
	return 0;
}

/* The content of a quoted-string from its opening quote. */
static int
read_quoted(const char *v, size_t len, size_t i, char *id, size_t idsz,
    size_t *o)
{
	for (i++; i < len; i++) {
		if (v[i] == '"')
			return 0;
		if (v[i] == '\r' || v[i] == '\n')
			continue;
		if (v[i] == '\\' && ++i == len)
			break;
		if (put_id(id, idsz, o, v[i]) == -2)
			return -2;
	}
	return -1;
}

/*
 * The authserv-id of an Authentication-Results field body, unquoted,
 * into id.  Returns 0, -1 when none can be read (nothing before the
 * ";", an open comment or quote), -2 when it does not fit in idsz.
 */
int
authres_servid(const char *v, size_t len, char *id, size_t idsz)
{
	size_t i = 0, o = 0;
	int rc;

	if (idsz == 0)
		return -2;
	id[0] = '\0';
	if (skip_cfws(v, len, &i) == -1 || i == len)
		return -1;
	if (v[i] == '"') {
		if ((rc = read_quoted(v, len, i, id, idsz, &o)) != 0)
			return rc;
	} else {
		for (; i < len && (token_char((unsigned char)v[i]) ||
		    (unsigned char)v[i] >= 0x80); i++)
			if (put_id(id, idsz, &o, v[i]) == -2)
				return -2;
	}
	id[o] = '\0';
	return o > 0 ? 0 : -1;
}

/* Without surrounding white space and one trailing dot. */
static void
trim(const char **p, size_t *n)
{
	while (*n > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
		(*n)--;
	if (*n > 0 && (*p)[*n - 1] == '.')
		(*n)--;
}

/* Same authserv-id: case-insensitive, one trailing dot ignored. */
int
authres_id_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	trim(&a, &alen);
	trim(&b, &blen);
	return alen > 0 && alen == blen && strncasecmp(a, b, alen) == 0;
}

/*
 * Does this Authentication-Results field body claim to come from ours?
 * An unreadable one counts as a claim: the caller removes it.
 */
int
authres_claims(const char *v, size_t len, const char *ours)
{
	char id[AUTHRES_ID_MAX + 3];

	switch (authres_servid(v, len, id, sizeof(id))) {
	case 0:
		return authres_id_eq(id, strlen(id), ours, strlen(ours));
	case -2:
		return 0;	/* longer than any id we accept */
	default:
		return 1;
	}
}

int
authres_is_token(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!token_char((unsigned char)*s))
			return 0;
	return 1;
}

static int
atext_or_dot(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

static int
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* domain-name: labels of letters, digits and inner hyphens (RFC 6376). */
static int
is_domain_name(const char *p)
{
	const char *label = p;

	for (;; p++) {
		if (*p == '.' || *p == '\0') {
			if (p == label || !is_alnum(*label) || !is_alnum(p[-1]))
				return 0;
			if (*p == '\0')
				return 1;
			label = p + 1;
		} else if (!is_alnum(*p) && *p != '-')
			return 0;
	}
}

/* dot-atom "@" domain-name, the unquoted form a pvalue allows. */
static int
is_plain_addr(const char *s)
{
	const char *at = strchr(s, '@'), *p;

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL ||
	    s[0] == '.' || at[-1] == '.')
		return 0;
	for (p = s; p < at; p++)
		if (!atext_or_dot((unsigned char)*p) || (p[0] == '.' &&
		    p[1] == '.'))
			return 0;
	return is_domain_name(at + 1);
}

/* What may stand for c in a header: printable ASCII or '?'. */
static char
safe(char c)
{
	unsigned char u = (unsigned char)c;

	return u < 0x20 || u >= 0x7f ? '?' : c;
}

/*
 * Escaped text of v into out: at most maxlen octets of v, each in
 * esc escaped with '\'; room is kept for the marker and tail.  Returns
 * the length written; *cut says whether v was shortened.
 */
static size_t
escaped(char *out, size_t room, const char *v, size_t maxlen,
    const char *esc, int *cut)
{
	size_t i, o = 0, mark = sizeof(AUTHRES_MARK) - 1;
	char c;

	*cut = 0;
	for (i = 0; v[i] != '\0'; i++) {
		c = safe(v[i]);
		if (i == maxlen || o + 2 + mark > room) {
			*cut = 1;
			break;
		}
		if (strchr(esc, c) != NULL)
			out[o++] = '\\';
		out[o++] = c;
	}
	if (*cut) {
		memcpy(out + o, AUTHRES_MARK, mark);
		o += mark;
	}
	return o;
}

/*
 * v as an RFC 8601 value into out (NUL-terminated): a token as it is,
 * with addr an addr-spec as it is, anything else a quoted-string.
 * Returns the length, or 0 when v is empty or out too small: the caller
 * then leaves the property out rather than write it empty.
 */
size_t
authres_value(char *out, size_t outsz, const char *v, size_t maxlen,
    int addr)
{
	size_t n = strlen(v), o;
	int cut;

	if (n == 0 || outsz < sizeof(AUTHRES_MARK) + 3 || maxlen <
	    sizeof(AUTHRES_MARK))
		return 0;
	if (n <= maxlen && n < outsz && (authres_is_token(v) ||
	    (addr && is_plain_addr(v)))) {
		memcpy(out, v, n + 1);
		return n;
	}
	out[0] = '"';
	/* room: the opening and closing quotes and the NUL */
	o = 1 + escaped(out + 1, outsz - 3, v, maxlen, "\"\\", &cut);
	out[o++] = '"';
	out[o] = '\0';
	return o;
}

/*
 * v as the text of a comment (without its parentheses) into out.
 * Returns the length, 0 when v is empty.
 */
size_t
authres_comment(char *out, size_t outsz, const char *v, size_t maxlen)
{
	size_t o;
	int cut;

	if (v[0] == '\0' || outsz < sizeof(AUTHRES_MARK) + 2) {
		if (outsz > 0)
			out[0] = '\0';
		return 0;
	}
	o = escaped(out, outsz - 1, v, maxlen, "()\\", &cut);
	out[o] = '\0';
	return o;
}
