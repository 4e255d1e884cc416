/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * rules: answer the filter's policy questions from a loaded, immutable
 * struct rules.  Globs compare lowercased text on both sides; regular
 * expressions were compiled with REG_ICASE at load time.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RULES_PRIVATE
#include "rules.h"

/*
 * A lowercased copy of a string: on the stack when short (every valid
 * address is), on the heap otherwise.
 */
struct lc {
	char	 buf[512];
	char	*s;
};

static const char *
lc_init(struct lc *l, const char *src, size_t len)
{
	size_t i;

	l->s = len < sizeof(l->buf) ? l->buf : malloc(len + 1);
	if (l->s == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		l->s[i] = (char)tolower((unsigned char)src[i]);
	l->s[len] = '\0';
	return l->s;
}

static void
lc_clear(struct lc *l)
{
	if (l->s != NULL && l->s != l->buf)
		free(l->s);
	l->s = NULL;
}

/* lower: the subject lowercased; orig: as given (regexes fold case). */
static int
pattern_match(const struct rules_pattern *pat, const char *lower,
    const char *orig)
{
	if (pat->kind == RULES_PAT_REGEX)
		return regexec(&pat->re, orig, 0, NULL, 0) == 0;
	return fnmatch(pat->text, lower, 0) == 0;
}

/*
 * An address that cannot be lowercased (no memory for a very long one)
 * matches no pattern: the caller gets the defaults for it.
 */
static int
rule_matches(const struct rules_rule *rule, const char *sl, const char *so,
    const char *rl, const char *ro)
{
	if (rule->sender != NULL &&
	    (sl == NULL || !pattern_match(rule->sender, sl, so)))
		return 0;
	if (rule->rcpt != NULL &&
	    (rl == NULL || !pattern_match(rule->rcpt, rl, ro)))
		return 0;
	return 1;
}

void
rules_sender_policy(const struct rules *r, const char *sender,
    struct rules_policy *p)
{
	struct lc ls;
	const char *sl;
	size_t i;

	if (sender == NULL)
		sender = "";
	*p = r->defaults;
	sl = lc_init(&ls, sender, strlen(sender));
	for (i = 0; i < r->nrules; i++)
		if (r->rules[i].rcpt == NULL &&
		    rule_matches(&r->rules[i], sl, sender, NULL, NULL))
			rules_policy_apply(p, &r->rules[i]);
	lc_clear(&ls);
}

void
rules_recipient_policy(const struct rules *r, const char *sender,
    const char *rcpt, struct rules_policy *p)
{
	struct lc ls, lr;
	const char *sl, *rl;
	size_t i;

	if (sender == NULL)
		sender = "";
	if (rcpt == NULL)
		rcpt = "";
	*p = r->defaults;
	sl = lc_init(&ls, sender, strlen(sender));
	rl = lc_init(&lr, rcpt, strlen(rcpt));
	for (i = 0; i < r->nrules; i++)
		if (rule_matches(&r->rules[i], sl, sender, rl, rcpt))
			rules_policy_apply(p, &r->rules[i]);
	lc_clear(&lr);
	lc_clear(&ls);
}

/* Does domain d (len n, lowercase) match a carrier entry? */
static int
carrier_match(const char *d, size_t n, const char *entry)
{
	size_t elen;

	if (entry[0] == '.') {
		/* ".example.jp": example.jp and every name under it */
		elen = strlen(entry);
		if (n == elen - 1 && memcmp(d, entry + 1, n) == 0)
			return 1;
		return n > elen && memcmp(d + n - elen, entry, elen) == 0;
	}
	elen = strlen(entry);
	return n == elen && memcmp(d, entry, n) == 0;
}

int
rules_destination_excepted(const struct rules *r, const char *rcpt)
{
	struct lc lr;
	const char *rl, *at;
	size_t i, n;
	int hit = 0;

	if (rcpt == NULL)
		rcpt = "";
	if ((rl = lc_init(&lr, rcpt, strlen(rcpt))) == NULL)
		return 0;
	for (i = 0; i < r->ndests && !hit; i++)
		hit = pattern_match(&r->dests[i], rl, rcpt);
	if (!hit && r->mobile_carriers && (at = strrchr(rl, '@')) != NULL) {
		at++;
		n = strlen(at);
		if (n > 0 && at[n - 1] == '.')
			n--;		/* a fully qualified "domain." */
		for (i = 0; rules_carrier_domains[i] != NULL && !hit; i++)
			hit = carrier_match(at, n, rules_carrier_domains[i]);
	}
	lc_clear(&lr);
	return hit;
}

static int
is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

int
rules_already_smime_ct(const char *v)
{
	static const char *const types[] = {
		"multipart/signed", "application/pkcs7-mime",
		"application/x-pkcs7-mime", "multipart/encrypted", NULL
	};
	size_t n, i;

	if (v == NULL)
		return 0;
	while (is_ws(*v))
		v++;
	for (n = 0; v[n] != '\0' && v[n] != ';' && v[n] != '(' &&
	    !is_ws(v[n]); n++)
		;
	for (i = 0; types[i] != NULL; i++)
		if (strlen(types[i]) == n && strncasecmp(v, types[i], n) == 0)
			return 1;
	return 0;
}

/* Does s start with needle (lowercase), case-insensitively? */
static int
ci_prefix(const char *s, const char *needle, size_t nlen)
{
	size_t i;

	for (i = 0; i < nlen; i++)
		if (s[i] == '\0' ||
		    (char)tolower((unsigned char)s[i]) != needle[i])
			return 0;
	return 1;
}

/* Case-insensitive search for needle (lowercase, nlen > 0) in hay. */
static const char *
ci_find(const char *hay, const char *needle, size_t nlen)
{
	size_t left = strlen(hay);

	if (nlen == 0)
		return hay;
	for (; left >= nlen; hay++, left--)
		if (ci_prefix(hay, needle, nlen))
			return hay;
	return NULL;
}

static int
header_matches(const struct rules_hdr *h, const char *value)
{
	struct lc lv;
	const char *vl;
	size_t n;
	int hit;

	if (h->contains != NULL)
		return ci_find(value, h->contains, h->clen) != NULL;
	/* a match pattern sees the value without surrounding white space */
	while (is_ws(*value))
		value++;
	for (n = strlen(value); n > 0 && is_ws(value[n - 1]); n--)
		;
	if ((vl = lc_init(&lv, value, n)) == NULL)
		return 0;
	/* REG_ICASE: the lowercased copy does for a regex too */
	hit = pattern_match(h->match, vl, vl);
	lc_clear(&lv);
	return hit;
}

/*
 * Whether mail that is S/MIME already may leave unchanged.  The label
 * alone never decides: the engine proves the structure (smime_probe).
 */
int
rules_already_smime(const struct rules *r)
{
	return r->already_smime;
}

int
rules_header_action(const struct rules *r, const char *name,
    const char *value, struct rules_header_hit *hit)
{
	size_t i;

	if (name == NULL || value == NULL)
		return 0;
	for (i = 0; i < r->nhdrs; i++) {
		if (strcasecmp(name, r->hdrs[i].name) != 0 ||
		    !header_matches(&r->hdrs[i], value))
			continue;
		hit->action = r->hdrs[i].action;
		hit->rule = i + 1;
		hit->line = r->hdrs[i].line;
		hit->strip = r->hdrs[i].strip;
		return 1;
	}
	return 0;
}

size_t
rules_strip(const struct rules *r, const struct rules_header_hit *hit,
    const char *value, char *out, size_t outsz)
{
	const struct rules_hdr *h = NULL;
	size_t i = 0, o = 0, trail = 0, n;
	int at_end = 0;
	char last = '\0';

	if (hit != NULL && hit->strip && hit->rule >= 1 &&
	    hit->rule <= r->nhdrs && r->hdrs[hit->rule - 1].strip)
		h = &r->hdrs[hit->rule - 1];
	n = strlen(value);
	while (i < n) {
		if (h != NULL && ci_prefix(value + i, h->contains, h->clen)) {
			i += h->clen;
			/* "[tag] x" and "a [tag] b" leave no doubled space */
			if (o == 0 || is_ws(last))
				while (i < n && is_ws(value[i]))
					i++;
			at_end = i == n;
			continue;
		}
		if (outsz > 0 && o < outsz - 1)
			out[o] = value[i];
		last = value[i++];
		o++;
		trail = is_ws(last) ? trail + 1 : 0;
	}
	if (at_end)
		o -= trail;		/* "x [tag]" leaves no trailing space */
	if (outsz > 0)
		out[o < outsz - 1 ? o : outsz - 1] = '\0';
	return o;
}

const char *
rules_drop_to(const struct rules *r)
{
	return r->drop_to;
}

size_t
rules_drop_line(const struct rules *r)
{
	return r->drop_line;
}

const struct signers *
rules_signers(const struct rules *r)
{
	return r->signers;
}

const char *
rules_authserv_id(const struct rules *r)
{
	return r->authserv_id;
}

int
rules_uses_encryption(const struct rules *r)
{
	size_t i;

	if (r->defaults.encrypt != RULES_ENCRYPT_NO)
		return 1;
	for (i = 0; i < r->nrules; i++)
		if ((r->rules[i].set & RULES_K_ENCRYPT) &&
		    r->rules[i].p.encrypt != RULES_ENCRYPT_NO)
			return 1;
	for (i = 0; i < r->nhdrs; i++)
		if (r->hdrs[i].action == RULES_ACTION_ENCRYPT ||
		    r->hdrs[i].action == RULES_ACTION_SIGN_ENCRYPT ||
		    r->hdrs[i].action == RULES_ACTION_TRIPLE)
			return 1;
	return 0;
}

/*
 * What this release of the filter does not carry out yet, so that -n and
 * start-up can refuse a policy instead of quietly ignoring part of it:
 * 1 when any rule or the defaults ask for a transaction mode other than
 * shared, for bcc: skip-sign, or when a header rule strips text.
 */
int
rules_uses_split_transactions(const struct rules *r)
{
	size_t i;

	if (r->defaults.transaction != RULES_TX_SHARED ||
	    r->defaults.bcc != RULES_BCC_SIGN)
		return 1;
	for (i = 0; i < r->nrules; i++)
		if (((r->rules[i].set & RULES_K_TRANSACTION) &&
		    r->rules[i].p.transaction != RULES_TX_SHARED) ||
		    ((r->rules[i].set & RULES_K_BCC) &&
		    r->rules[i].p.bcc != RULES_BCC_SIGN))
			return 1;
	return 0;
}

/* 1 when any rule or the defaults ask for key-missing: split. */
int
rules_uses_split_delivery(const struct rules *r)
{
	size_t i;

	if (r->defaults.key_missing == RULES_KM_SPLIT)
		return 1;
	for (i = 0; i < r->nrules; i++)
		if ((r->rules[i].set & RULES_K_KEY_MISSING) &&
		    r->rules[i].p.key_missing == RULES_KM_SPLIT)
			return 1;
	return 0;
}

void
rules_inbound(const struct rules *r, struct rules_inbound *out)
{
	out->remove_signature = r->remove_signature;
	out->harvest = r->harvest;
	out->harvest_self_signed = r->harvest_self_signed;
	out->harvest_failed = r->harvest_failed;
	out->encrypt_at_rest = r->encrypt_at_rest;
}

void
rules_revocation(const struct rules *r, struct rules_rev *out)
{
	*out = r->rev;
}

const struct rules_source *
rules_directory(const struct rules *r)
{
	return r->dir.on ? &r->dir : NULL;
}

const struct rules_source *
rules_smimea(const struct rules *r)
{
	return r->dns.on ? &r->dns : NULL;
}

/* "*" is every domain; a domain covers its subdomains too. */
int
rules_source_covers(const struct rules_source *src, const char *addr)
{
	const char *dom = strrchr(addr, '@');
	size_t i, dl, l;

	if (src == NULL || !src->on || dom == NULL || dom[1] == '\0')
		return 0;
	if (src->ndomain == 0)
		return 1;
	dom++;
	dl = strlen(dom);
	for (i = 0; i < src->ndomain; i++) {
		l = strlen(src->domain[i]);
		if (strcmp(src->domain[i], "*") == 0 ||
		    strcasecmp(dom, src->domain[i]) == 0 ||
		    (dl > l && dom[dl - l - 1] == '.' &&
		    strcasecmp(dom + dl - l, src->domain[i]) == 0))
			return 1;
	}
	return 0;
}

int
rules_has_internal(const struct rules *r)
{
	return r->ninternal > 0;
}

int
rules_is_internal(const struct rules *r, const char *addr)
{
	struct lc la;
	const char *al;
	size_t i;
	int hit = 0;

	if (addr == NULL || r->ninternal == 0)
		return 0;
	if ((al = lc_init(&la, addr, strlen(addr))) == NULL)
		return 0;
	for (i = 0; i < r->ninternal && !hit; i++)
		hit = pattern_match(&r->internal[i], al, addr);
	lc_clear(&la);
	return hit;
}
