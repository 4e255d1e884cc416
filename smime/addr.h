/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * RFC 5322 address lists (§3.4, §3.6.2, obsolete forms of §4.4): the
 * mailboxes of a From: (or Sender:, To:) field body and the addr-spec of
 * each.  One pass, no recursion, no allocation: the caller owns the
 * result.  Display names, comments and RFC 2047 encoded words are
 * skipped; none of them can produce an address.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>

#define ADDR_MAX	8	/* mailboxes kept; more are only counted */
#define ADDR_SPEC_MAX	320	/* longest addr-spec kept (RFC 5321: 64@255) */

enum addr_err {
	ADDR_OK = 0,
	ADDR_E_EMPTY = -1,	/* nothing but white space and comments */
	ADDR_E_NULL = -2,	/* <>: the null path is no author */
	ADDR_E_NOAT = -3,	/* a mailbox without "@" */
	ADDR_E_SYNTAX = -4,	/* anything else out of place */
	ADDR_E_UNTERM = -5,	/* unterminated comment, quote or literal */
	ADDR_E_CTRL = -6,	/* NUL, bare CR or LF, other control */
	ADDR_E_8BIT = -7,	/* 8-bit octet inside an addr-spec */
	ADDR_E_EWORD = -8,	/* encoded word where an address must be */
	ADDR_E_LONG = -9,	/* addr-spec longer than ADDR_SPEC_MAX */
	ADDR_E_GROUP = -10	/* group inside a group, or not closed */
};

struct addr_mailbox {
	char	 spec[ADDR_SPEC_MAX + 1];	/* local@domain */
	size_t	 at;				/* offset of the separating @ */
	int	 in_group;
};

struct addr_list {
	size_t			 count;		/* every mailbox of the field */
	size_t			 groups;	/* groups, empty or not */
	struct addr_mailbox	 mb[ADDR_MAX];	/* the first ADDR_MAX */
};

int		 addr_parse_mailboxes(const char *, size_t, struct addr_list *);
const char	*addr_strerror(int);
int		 addr_spec_eq(const char *, const char *);

#endif /* ADDR_H */
