/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* The From: author of a message, and whether a certificate names it. */
#include <stdio.h>
#include <string.h>

#include "author.h"
#include "mime.h"

void
author_of(const char *msg, size_t len, struct author *a)
{
	struct mime_entity e;
	struct mime_field f;
	struct addr_list l;
	size_t n;
	int rc;

	a->spec[0] = a->matched[0] = '\0';
	a->unreadable = 0;
	if (mime_entity_parse(msg, len, &e) != MIME_OK) {
		a->unreadable = 1;
		snprintf(a->why, sizeof(a->why), "header section unreadable");
		return;
	}
	if ((n = mime_hdr_count(&e, "from")) != 1 ||
	    mime_hdr_find(&e, "from", 0, &f) != 0) {
		snprintf(a->why, sizeof(a->why), n == 0 ? "no From: field" :
		    "%zu From: fields", n);
		return;
	}
	if ((rc = addr_parse_mailboxes(f.value, f.valuelen, &l)) != ADDR_OK) {
		snprintf(a->why, sizeof(a->why), "From: %s", addr_strerror(rc));
		return;
	}
	if (l.count != 1) {
		snprintf(a->why, sizeof(a->why), "From: holds %zu mailboxes",
		    l.count);
		return;
	}
	/* a group name beside the mailbox reads like another author */
	if (l.groups > 1 || (l.groups == 1 && !l.mb[0].in_group)) {
		snprintf(a->why, sizeof(a->why), "From: holds a group beside "
		    "its mailbox");
		return;
	}
	(void)strlcpy(a->spec, l.mb[0].spec, sizeof(a->spec));
}

/*
 * All of the certificate's addresses count, rfc822Names and emailAddress
 * alike (certid.h).  An author-less message matches nothing.
 */
int
author_in_cert(struct author *a, const uint8_t *der, size_t len)
{
	struct certid_addrs ca;
	size_t i;

	a->matched[0] = '\0';
	if (certid_addrs(der, len, &ca) != 0)
		return -1;
	if (a->spec[0] == '\0')
		return 0;
	for (i = 0; i < ca.n; i++)
		if (addr_spec_eq(ca.addr[i], a->spec)) {
			(void)strlcpy(a->matched, ca.addr[i],
			    sizeof(a->matched));
			return 1;
		}
	return 0;
}
