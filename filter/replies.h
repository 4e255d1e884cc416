/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Every SMTP reply the filter gives, in one place: the failure map of
 * filter-smime(8), section DIAGNOSTICS, mirrors this file (a test in
 * regress/cli checks that each reply here is in the table and each
 * reply of the table is here).
 *
 * The rule: temporary (4xx, pipe mode 75) only when retrying can succeed
 * without anyone changing the message; permanent (5xx) only when it
 * never can; inbound verification never refuses mail it could deliver
 * unchanged.
 */
#ifndef REPLIES_H
#define REPLIES_H

/* MAIL FROM: the sender's only signing certificate, and none at all */
#define REPLY_EXPIRED	"451 4.7.0 S/MIME certificate is expired"
#define REPLY_NOT_VALID	"451 4.7.0 S/MIME certificate is not yet valid"
#define REPLY_REVOKED	"451 4.7.0 S/MIME certificate is revoked"
#define REPLY_REV_UNKNOWN "451 4.7.0 Revocation status of the recipient's " \
			"S/MIME certificate unknown, try again later"
#define REPLY_NO_KEY	"451 4.7.0 No S/MIME signing certificate for the sender"

/*
 * MAIL FROM (the login or source may not use the sender) and commit (the
 * From: author is not in the signing certificate): followed by " <" the
 * address ">".  Permanent: the same client sending the same message is
 * refused again.
 */
#define REPLY_NOT_SIGNER	"550 5.7.1 Not allowed to sign as"

/* RCPT TO: encryption required, no certificate (key-missing) */
#define REPLY_NO_CERT_BOUNCE	"550 5.7.1 No S/MIME certificate for this " \
			"recipient, and policy requires encryption"
#define REPLY_NO_CERT_TEMP	"451 4.7.1 No S/MIME certificate for this " \
			"recipient yet, try again later"
/* RCPT TO and commit: the directory or DNS that may hold it is down */
#define REPLY_LOOKUP_DOWN	"451 4.4.3 Directory lookup of the " \
			"recipient's S/MIME certificate failed, try again later"

/* RCPT TO: another transaction for this recipient (per-class, split) */
#define REPLY_DEFER	"452 4.5.3 Too many recipients for one S/MIME " \
			"message, send the others in another transaction"

/*
 * Commit: anything that may pass on a retry (TMPDIR full or unwritable,
 * keystore unreadable, a worker that died or ran past -t, out of memory)
 */
#define REPLY_INTERNAL	"451 4.3.0 Temporary failure in the S/MIME filter, " \
			"try again later"
#define REPLY_TEMPFAIL	REPLY_INTERNAL

/* Commit: what no retry changes */
#define REPLY_BAD_MIME	"554 5.6.0 The message is not valid MIME"
#define REPLY_LONGLINE	"554 5.6.0 Message has a line too long to pass " \
			"through the S/MIME filter"

#endif /* REPLIES_H */
