/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * RFC 5322 address lists, read the way a mail client reads them, so that
 * the author we bind to a signature is the author the reader sees.
 *
 * A lexer turns the field body into words (atoms, quoted strings, RFC
 * 2047 encoded words, domain literals) and specials, skipping CFWS:
 * white space, folds and comments (nested, with quoted-pairs; whatever a
 * comment holds, "<x@y>" too, is no address).  The parser is a loop over
 * list members with one token of look-ahead; comment nesting is a
 * counter, so attacker-chosen depth costs no stack.
 *
 * Accepted beyond the strict grammar (RFC 5322 §4.4): empty list
 * members, CFWS around the dots of a local part or domain, quoted and
 * unquoted words mixed in a local part, source routes in angle
 * brackets, dots in display names, groups in From: (RFC 6854).
 * Refused: "<>", a mailbox without "@", an encoded word anywhere in an
 * addr-spec, 8-bit octets in an addr-spec (the certificates we compare
 * with hold ASCII addresses), NUL and other controls, a bare CR or LF.
 */
#include <string.h>
#include <strings.h>

#include "addr.h"

enum tok_kind { T_END, T_ATOM, T_QSTR, T_EWORD, T_DLIT, T_SPECIAL };

struct tok {
	enum tok_kind	 kind;
	char		 c;		/* T_SPECIAL: which one */
	const char	*p;		/* the token as written */
	size_t		 len;
	int		 has8bit;
};

struct parser {
	const char		*s;
	size_t			 len, pos;
	struct tok		 peek;
	int			 have_peek;
	int			 in_group;
	int			 opened_group;	/* the last member began a group */
	struct addr_list	*out;
	char			 buf[ADDR_SPEC_MAX + 1];
	size_t			 blen;
	int			 overflow;
};

/* The words before a special: a display name or a local part. */
struct seq {
	size_t		 words, dots;
	int		 first_word;	/* starts with a word, not a dot */
	int		 alternates;	/* word *("." word) so far */
	int		 last_dot;
	int		 eword, has8bit;
};

static int
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* RFC 2047 token: printable ASCII but its especials. */
static int
is_ewtoken(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\"/[]?.=", c) == NULL;
}

static int
is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/*
 * A line break at *i: a fold (CRLF or LF, then SP or HT) or the end of
 * the input.  Anything else, a bare CR say, is refused: readers differ
 * on what it means.
 */
static int
fold(const struct parser *ps, size_t *i)
{
	size_t j = *i;

	if (ps->s[j] == '\r') {
		if (++j == ps->len || ps->s[j] != '\n')
			return ADDR_E_CTRL;
	}
	j++;
	if (j < ps->len && ps->s[j] != ' ' && ps->s[j] != '\t')
		return ADDR_E_CTRL;
	*i = j;
	return ADDR_OK;
}

/* A comment from its "(": nesting is counted, never recursed into. */
static int
skip_comment(struct parser *ps)
{
	size_t depth = 0, i = ps->pos;
	unsigned char c;
	int rc;

	while (i < ps->len) {
		c = (unsigned char)ps->s[i];
		if (c == '\r' || c == '\n') {
			if ((rc = fold(ps, &i)) != ADDR_OK)
				return rc;
			continue;
		}
		if (c == '\0' || is_ctl(c))
			return ADDR_E_CTRL;
		if (c == '\\') {
			if (i + 1 == ps->len)
				return ADDR_E_UNTERM;
			c = (unsigned char)ps->s[i + 1];
			if (c == '\0' || c == '\r' || c == '\n' || is_ctl(c))
				return ADDR_E_CTRL;
			i += 2;
			continue;
		}
		i++;
		if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0) {
			ps->pos = i;
			return ADDR_OK;
		}
	}
	return ADDR_E_UNTERM;
}

static int
skip_cfws(struct parser *ps)
{
	int rc;

	while (ps->pos < ps->len) {
		switch (ps->s[ps->pos]) {
		case ' ':
		case '\t':
			ps->pos++;
			break;
		case '\r':
		case '\n':
			if ((rc = fold(ps, &ps->pos)) != ADDR_OK)
				return rc;
			break;
		case '(':
			if ((rc = skip_comment(ps)) != ADDR_OK)
				return rc;
			break;
		default:
			return ADDR_OK;
		}
	}
	return ADDR_OK;
}

/* A quoted string or a domain literal, from its opening octet. */
static int
lex_quoted(struct parser *ps, struct tok *t, char close)
{
	size_t i = ps->pos + 1;
	unsigned char c;
	int rc;

	while (i < ps->len) {
		c = (unsigned char)ps->s[i];
		if (c == '\r' || c == '\n') {
			if ((rc = fold(ps, &i)) != ADDR_OK)
				return rc;
			continue;
		}
		if (c == '\0' || is_ctl(c))
			return ADDR_E_CTRL;
		if (c >= 0x80)
			t->has8bit = 1;
		if (close == ']' && c == '[')
			return ADDR_E_SYNTAX;
		if (c == '\\') {
			if (i + 1 == ps->len)
				return ADDR_E_UNTERM;
			c = (unsigned char)ps->s[i + 1];
			if (c == '\0' || c == '\r' || c == '\n' || is_ctl(c))
				return ADDR_E_CTRL;
			if (c >= 0x80)
				t->has8bit = 1;
			i += 2;
			continue;
		}
		i++;
		if (c == (unsigned char)close) {
			t->kind = close == '"' ? T_QSTR : T_DLIT;
			t->len = i - ps->pos;
			ps->pos = i;
			return ADDR_OK;
		}
	}
	return ADDR_E_UNTERM;
}

/*
 * An RFC 2047 encoded word "=?charset?enc?text?=" standing alone: its
 * length, or 0 when there is none at i.  Its text may hold "@" or "<":
 * read as an encoded word, it can never be taken for an address.
 */
static size_t
eword_len(const struct parser *ps, size_t i)
{
	size_t j = i + 2, part;
	unsigned char c;

	if (ps->len - i < 2 || ps->s[i] != '=' || ps->s[i + 1] != '?')
		return 0;
	for (part = 0; part < 2; part++) {
		if (j == ps->len || !is_ewtoken((unsigned char)ps->s[j]))
			return 0;
		while (j < ps->len && is_ewtoken((unsigned char)ps->s[j]))
			j++;
		if (j == ps->len || ps->s[j++] != '?')
			return 0;
	}
	for (; j < ps->len; j++) {
		c = (unsigned char)ps->s[j];
		if (c == '?')
			break;
		if (c <= 0x20 || c >= 0x7f)
			return 0;
	}
	if (ps->len - j < 2 || ps->s[j + 1] != '=')
		return 0;
	j += 2;
	if (j < ps->len && strchr(" \t\r\n(<>\",;:@.", ps->s[j]) == NULL)
		return 0;
	return j - i;
}

static int
lex(struct parser *ps, struct tok *t)
{
	unsigned char c;
	size_t n;
	int rc;

	if (ps->have_peek) {
		*t = ps->peek;
		ps->have_peek = 0;
		return ADDR_OK;
	}
	memset(t, 0, sizeof(*t));
	if ((rc = skip_cfws(ps)) != ADDR_OK)
		return rc;
	t->p = ps->s + ps->pos;
	if (ps->pos == ps->len) {
		t->kind = T_END;
		return ADDR_OK;
	}
	c = (unsigned char)ps->s[ps->pos];
	if (c == '\0' || is_ctl(c))
		return ADDR_E_CTRL;
	if (c == '"' || c == '[')
		return lex_quoted(ps, t, c == '"' ? '"' : ']');
	if (strchr("<>@,;:.", c) != NULL) {
		t->kind = T_SPECIAL;
		t->c = (char)c;
		t->len = 1;
		ps->pos++;
		return ADDR_OK;
	}
	if ((n = eword_len(ps, ps->pos)) > 0) {
		t->kind = T_EWORD;
		t->len = n;
		ps->pos += n;
		return ADDR_OK;
	}
	if (!is_atext(c) && c < 0x80)
		return ADDR_E_SYNTAX;
	t->kind = T_ATOM;
	for (n = ps->pos; n < ps->len; n++) {
		c = (unsigned char)ps->s[n];
		if (c >= 0x80)
			t->has8bit = 1;
		else if (!is_atext(c))
			break;
	}
	t->len = n - ps->pos;
	ps->pos = n;
	return ADDR_OK;
}

static void
unlex(struct parser *ps, const struct tok *t)
{
	ps->peek = *t;
	ps->have_peek = 1;
}

static int
is_special(const struct tok *t, char c)
{
	return t->kind == T_SPECIAL && t->c == c;
}

static int
is_word(const struct tok *t)
{
	return t->kind == T_ATOM || t->kind == T_QSTR || t->kind == T_EWORD;
}

/* Append to the addr-spec being built; folds inside quotes are undone. */
static void
put(struct parser *ps, const char *p, size_t n, int lower)
{
	size_t i;
	char c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (c == '\r' || c == '\n')
			continue;
		if (ps->blen == ADDR_SPEC_MAX) {
			ps->overflow = 1;
			return;
		}
		if (lower && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		ps->buf[ps->blen++] = c;
	}
}

static void
buf_reset(struct parser *ps)
{
	ps->blen = 0;
	ps->overflow = 0;
}

/*
 * Words and dots from t on, into seq and (as a local part would be
 * written) into the buffer; t is left holding the first other token.
 */
static int
collect(struct parser *ps, struct tok *t, struct seq *q)
{
	int rc;

	memset(q, 0, sizeof(*q));
	q->alternates = 1;
	buf_reset(ps);
	for (;;) {
		if (is_word(t)) {
			if (q->words + q->dots == 0)
				q->first_word = 1;
			else if (!q->last_dot)
				q->alternates = 0;	/* two words, no dot */
			q->words++;
			q->last_dot = 0;
			q->eword |= t->kind == T_EWORD;
			q->has8bit |= t->has8bit;
		} else if (is_special(t, '.')) {
			if (q->words + q->dots == 0 || q->last_dot)
				q->alternates = 0;
			q->dots++;
			q->last_dot = 1;
		} else
			return ADDR_OK;
		put(ps, t->p, t->len, 0);
		if ((rc = lex(ps, t)) != ADDR_OK)
			return rc;
	}
}

/* Is what was collected a local part (word *("." word))? */
static int
local_ok(const struct parser *ps, const struct seq *q)
{
	if (q->eword)
		return ADDR_E_EWORD;
	if (q->words == 0 || !q->first_word || !q->alternates || q->last_dot)
		return ADDR_E_SYNTAX;
	if (q->has8bit)
		return ADDR_E_8BIT;
	return ps->overflow ? ADDR_E_LONG : ADDR_OK;
}

/* A display name: phrase = word *(word / "." / CFWS). */
static int
phrase_ok(const struct seq *q)
{
	return q->words > 0 && q->first_word;
}

/* After "@": dot-atom, obs-domain or a domain literal, lowercased. */
static int
domain(struct parser *ps)
{
	struct tok t;
	int rc;

	if ((rc = lex(ps, &t)) != ADDR_OK)
		return rc;
	if (t.kind == T_DLIT) {
		if (t.has8bit)
			return ADDR_E_8BIT;
		put(ps, t.p, t.len, 1);
		return ps->overflow ? ADDR_E_LONG : ADDR_OK;
	}
	for (;;) {
		if (t.kind == T_EWORD)
			return ADDR_E_EWORD;
		if (t.kind != T_ATOM)
			return ADDR_E_SYNTAX;
		if (t.has8bit)
			return ADDR_E_8BIT;
		put(ps, t.p, t.len, 1);
		if ((rc = lex(ps, &t)) != ADDR_OK)
			return rc;
		if (!is_special(&t, '.')) {
			unlex(ps, &t);
			return ps->overflow ? ADDR_E_LONG : ADDR_OK;
		}
		put(ps, ".", 1, 0);
		if ((rc = lex(ps, &t)) != ADDR_OK)
			return rc;
	}
}

static void
record(struct parser *ps, size_t at)
{
	struct addr_mailbox *mb;

	if (ps->out->count < ADDR_MAX) {
		mb = &ps->out->mb[ps->out->count];
		memcpy(mb->spec, ps->buf, ps->blen);
		mb->spec[ps->blen] = '\0';
		mb->at = at;
		mb->in_group = ps->in_group;
	}
	ps->out->count++;
}

/* The local part is in the buffer and "@" was read: finish the mailbox. */
static int
addr_spec_rest(struct parser *ps, const struct seq *q)
{
	size_t at;
	int rc;

	if ((rc = local_ok(ps, q)) != ADDR_OK)
		return rc;
	at = ps->blen;
	put(ps, "@", 1, 0);
	if ((rc = domain(ps)) != ADDR_OK)
		return rc;
	record(ps, at);
	return ADDR_OK;
}

/* obs-route: *("," / "@" domain) ":", source routes nobody honours. */
static int
skip_route(struct parser *ps, struct tok *t)
{
	int rc;

	while (is_special(t, '@') || is_special(t, ',')) {
		if (is_special(t, '@')) {
			buf_reset(ps);
			if ((rc = domain(ps)) != ADDR_OK)
				return rc;
		}
		if ((rc = lex(ps, t)) != ADDR_OK)
			return rc;
	}
	if (!is_special(t, ':'))
		return ADDR_E_SYNTAX;
	return lex(ps, t);
}

/* After "<": [obs-route] addr-spec ">". */
static int
angle_addr(struct parser *ps)
{
	struct tok t;
	struct seq q;
	int rc;

	if ((rc = lex(ps, &t)) != ADDR_OK)
		return rc;
	if (is_special(&t, '>'))
		return ADDR_E_NULL;
	if ((is_special(&t, '@') || is_special(&t, ',')) &&
	    (rc = skip_route(ps, &t)) != ADDR_OK)
		return rc;
	if ((rc = collect(ps, &t, &q)) != ADDR_OK)
		return rc;
	if (!is_special(&t, '@'))
		return q.eword ? ADDR_E_EWORD : is_special(&t, '>') &&
		    q.words + q.dots > 0 ? ADDR_E_NOAT : ADDR_E_SYNTAX;
	if ((rc = addr_spec_rest(ps, &q)) != ADDR_OK)
		return rc;
	if ((rc = lex(ps, &t)) != ADDR_OK)
		return rc;
	return is_special(&t, '>') ? ADDR_OK : ADDR_E_SYNTAX;
}

/* One list member from its first token: a mailbox, or a group's start. */
static int
member(struct parser *ps, struct tok *t)
{
	struct seq q;
	int rc;

	ps->opened_group = 0;
	if ((rc = collect(ps, t, &q)) != ADDR_OK)
		return rc;
	if (is_special(t, '@'))
		return addr_spec_rest(ps, &q);
	if (is_special(t, '<')) {
		if (q.words + q.dots > 0 && !phrase_ok(&q))
			return ADDR_E_SYNTAX;
		return angle_addr(ps);
	}
	if (is_special(t, ':')) {
		if (ps->in_group)
			return ADDR_E_GROUP;
		if (!phrase_ok(&q))
			return ADDR_E_SYNTAX;
		ps->in_group = ps->opened_group = 1;
		ps->out->groups++;
		return ADDR_OK;
	}
	if (q.words + q.dots == 0)
		return ADDR_E_SYNTAX;		/* a stray ">" */
	if (q.eword)
		return ADDR_E_EWORD;
	return ADDR_E_NOAT;
}

static int
parse(struct parser *ps)
{
	struct tok t;
	size_t members = 0;
	int need_sep = 0, rc;

	for (;;) {
		if ((rc = lex(ps, &t)) != ADDR_OK)
			return rc;
		if (t.kind == T_END) {
			if (ps->in_group)
				return ADDR_E_GROUP;
			return members > 0 ? ADDR_OK : ADDR_E_EMPTY;
		}
		if (is_special(&t, ',')) {
			need_sep = 0;
			continue;
		}
		if (is_special(&t, ';')) {
			if (!ps->in_group)
				return ADDR_E_SYNTAX;
			ps->in_group = 0;
			need_sep = 1;
			continue;
		}
		if (need_sep)
			return ADDR_E_SYNTAX;	/* "a@b c@d", "<a@b> x" */
		if ((rc = member(ps, &t)) != ADDR_OK)
			return rc;
		members++;
		need_sep = !ps->opened_group;
	}
}

/*
 * The mailboxes of an address list (a From: field body, unfolded or
 * not).  Returns ADDR_OK with out filled (count may be 0 for a field of
 * empty groups only), or an ADDR_E_* code; out is then undefined.
 */
int
addr_parse_mailboxes(const char *s, size_t len, struct addr_list *out)
{
	struct parser ps;

	memset(out, 0, sizeof(*out));
	memset(&ps, 0, sizeof(ps));
	ps.s = s;
	ps.len = len;
	ps.out = out;
	return parse(&ps);
}

const char *
addr_strerror(int rc)
{
	switch (rc) {
	case ADDR_OK:
		return "ok";
	case ADDR_E_EMPTY:
		return "no address";
	case ADDR_E_NULL:
		return "null address <>";
	case ADDR_E_NOAT:
		return "address without @";
	case ADDR_E_UNTERM:
		return "unterminated comment, quote or literal";
	case ADDR_E_CTRL:
		return "control character";
	case ADDR_E_8BIT:
		return "8-bit address";
	case ADDR_E_EWORD:
		return "encoded word in an address";
	case ADDR_E_LONG:
		return "address too long";
	case ADDR_E_GROUP:
		return "bad group";
	default:
		return "syntax error";
	}
}

/*
 * Same mailbox?  Domains are case-insensitive (RFC 5321 §2.4); local
 * parts are compared case-insensitively too, as RFC 8550 §3 and every
 * certificate authority treat them.
 */
int
addr_spec_eq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}
