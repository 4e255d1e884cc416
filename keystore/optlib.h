/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The optional libraries (libldap for directory lookups, libunbound for
 * SMIMEA), opened by the lookup child that uses them rather than linked.
 * Linked, they and what they pull in (GnuTLS, nettle, GMP, p11-kit, SASL,
 * libevent: fourteen libraries) are loaded, relocated and initialised at
 * every start of filter-smime and smimectl, about 9 ms of a pipe-mode
 * message that never looks anything up.
 */
#ifndef OPTLIB_H
#define OPTLIB_H

#include <stddef.h>

struct optsym {
	const char	 *name;
	void		**fn;		/* where its address goes */
};

/*
 * Open soname and find every symbol in it (or in the libraries it
 * needs): 0, or -1 and why.  The library stays open: it is opened by a
 * child that ends after its one lookup.
 */
int	 optlib_open(const char *soname, const struct optsym *, size_t,
	    char *why, size_t whysz);
/* Can soname be opened?  (It then stays open: ask only to explain.) */
int	 optlib_present(const char *soname);

#endif /* OPTLIB_H */
