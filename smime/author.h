/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The author of a message: the one mailbox of its one From: field (RFC
 * 5322 §3.6.2), which a signature must be bound to (RFC 8550 §3).
 * Anything else (no From:, two of them, a list, a group beside the
 * mailbox, "<>", what does not parse) has no author and says why:
 * clients show such fields in different ways, so no signer can be
 * their author.  Inbound verdicts and outbound signing both ask here.
 */
#ifndef AUTHOR_H
#define AUTHOR_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "certid.h"

struct author {
	char	 spec[ADDR_SPEC_MAX + 1];	/* "" when there is none */
	char	 why[120];			/* why there is none */
	char	 matched[CERTID_ADDR_LEN + 1];	/* the certificate's spelling */
	int	 unreadable;			/* the header section is not MIME */
};

void	 author_of(const char *, size_t, struct author *);
/*
 * 1 when the author is among the addresses of a certificate (DER), 0
 * when not, -1 when the certificate's names cannot be read
 */
int	 author_in_cert(struct author *, const uint8_t *, size_t);

#endif /* AUTHOR_H */
