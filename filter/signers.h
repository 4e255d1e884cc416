/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Who may sign as whom (filter-smime.yaml(5), signers:): the SMTP AUTH
 * login and the client's address against a table of the identities each
 * may use.  An identity is an address ("alice@a.example"), a domain
 * ("@a.example": any address there) or "*" (any address).  A login
 * that is itself an address may sign as that address (self: yes).
 * Trusted sources (addresses, networks, "local" for the local socket)
 * may sign without AUTH, as the identities they list.
 */
#ifndef SIGNERS_H
#define SIGNERS_H

#include <stdio.h>

enum signers_mismatch {
	SIGNERS_REFUSE,		/* 550 5.7.1 Not allowed to sign as <a> */
	SIGNERS_PASS		/* pass unsigned, with a log line */
};

/* The client of one transaction.  login NULL: not authenticated. */
struct signers_client {
	const char	*login;
	const char	*src;	/* "1.2.3.4:25", "IPv6:::1:25", "unix:...",
				   "local", or NULL/"" (local) */
};

struct signers;

struct signers	*signers_new(void);
void		 signers_free(struct signers *);
/* -1 with errno ENOMEM, or EINVAL for an identity that is none */
int		 signers_add_login(struct signers *, const char *login,
		    const char *ident);
/* -1 (EINVAL) for a source that is no address, network or "local" */
int		 signers_add_trusted(struct signers *, const char *source,
		    const char *ident);
/* 1 for an address, a network (addr/bits) or "local" */
int		 signers_source_valid(const char *);
/* smtpd's senders table format: "login  identity, identity ..." lines */
int		 signers_load_table(struct signers *, const char *path,
		    char *err, size_t errlen);
int		 signers_parse_table(struct signers *, const char *, size_t,
		    const char *name, char *err, size_t errlen);
void		 signers_set_self(struct signers *, int);
void		 signers_set_mismatch(struct signers *, enum signers_mismatch);
enum signers_mismatch signers_mismatch(const struct signers *);

/*
 * 1 when the client may sign as sender, 0 when not; how says why (the
 * login or the trusted source, or what is missing), for the log.
 */
int		 signers_may(const struct signers *,
		    const struct signers_client *, const char *sender,
		    char *how, size_t howsz);
/* 1 when addr is an identity in list form ("@dom" or "*" count) */
int		 signers_ident_valid(const char *);
void		 signers_print(const struct signers *, FILE *);

#endif /* SIGNERS_H */
