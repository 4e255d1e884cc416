/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * RFC 8601 syntax, both ways: the authserv-id of an incoming
 * Authentication-Results field, read as leniently as any reader might
 * (so every field that could pass for ours is found), and values and
 * comments for the fields we write, always well-formed whatever a
 * certificate or a message put in them.
 */
#ifndef AUTHRES_H
#define AUTHRES_H

#include <stddef.h>

#define AUTHRES_ID_MAX	255
#define AUTHRES_MARK	"..."	/* ends a value or comment cut short */

int	 authres_servid(const char *, size_t, char *, size_t);
int	 authres_claims(const char *, size_t, const char *);
int	 authres_id_eq(const char *, size_t, const char *, size_t);
int	 authres_is_token(const char *);
size_t	 authres_value(char *, size_t, const char *, size_t, int);
size_t	 authres_comment(char *, size_t, const char *, size_t);

#endif /* AUTHRES_H */
