/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Recipients' certificates from an LDAP directory: the entries a filter
 * template such as "(mail=%s)" finds under a base, and in them the
 * values of userSMIMECertificate (RFC 2798, a PKCS#7 bag) and
 * userCertificate;binary.  Each server is asked in a child of its own
 * that connects and binds, then enters the sandbox (keystore/sandbox.h)
 * for the search and for reading what came back; only certificates
 * that parse come back to the parent, which reads them again.  Servers
 * are tried in order until one answers.  Needs libldap (HAVE_LDAP);
 * without it every lookup says so.
 */
#ifndef LDAPDIR_H
#define LDAPDIR_H

#include <stddef.h>
#include <stdint.h>

#include "p7certs.h"

#define LDAPDIR_URIS		8
#define LDAPDIR_ATTRS		4
#define LDAPDIR_ENTRIES		8	/* entries read from one answer */
#define LDAPDIR_FILTER_MAX	1024
#define LDAPDIR_CERT_MAX	(16 * 1024)

struct ldapdir_conf {
	const char	*uri[LDAPDIR_URIS];
	size_t		 nuri;
	const char	*bind_dn;	/* NULL: an anonymous bind */
	const char	*password;
	const char	*base;
	const char	*filter;	/* one %s: the address, escaped */
	const char	*attr[LDAPDIR_ATTRS];
	size_t		 nattr;
	int		 timeout;	/* seconds, a server */
};

struct ldapdir_found {
	uint8_t		*der[P7CERTS_MAX];	/* malloc'd */
	size_t		 len[P7CERTS_MAX];
	size_t		 n;
	char		 uri[256];		/* the server that answered */
};

enum ldapdir_rc {
	LDAPDIR_FOUND,
	LDAPDIR_NONE,		/* answered: no certificate there */
	LDAPDIR_DOWN,		/* no server answered: try again later */
	LDAPDIR_UNAVAILABLE	/* built without libldap, or a bad filter */
};

/*
 * The filter for addr: tmpl with its one "%s" replaced by addr escaped
 * as RFC 4515 says (*, (, ), \ and NUL as \XX), so an address cannot
 * widen the search.  0, or -1 when tmpl has no or two %s, or it does
 * not fit.
 */
int	 ldapdir_filter(const char *tmpl, const char *addr, char *out,
	    size_t outsz);
enum ldapdir_rc ldapdir_lookup(const struct ldapdir_conf *, const char *,
	    struct ldapdir_found *, char *why, size_t whysz);
void	 ldapdir_found_free(struct ldapdir_found *);
int	 ldapdir_available(void);

#endif /* LDAPDIR_H */
