/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The key process's messages: fixed headers, two length-checked data
 * fields, decoded into struct km_msg only when every field is in range
 * for its type.  One binary on one machine writes and reads them, so
 * integers go in host order.
 *
 *   GRANT    loop -> key process: what one channel's current message
 *            may use (its envelope sender, its recipients); no answer
 *   CHANNEL  loop -> key process: a new worker's socket (SCM_RIGHTS)
 *            for slot chan; no answer
 *   SPAWN    loop -> its key process: fork a key process for a worker;
 *            the answer carries that one's control channel (SCM_RIGHTS)
 *   OPEN     a certificate's blob, certs/FPR.EXT (EXT in d1: der or
 *            chain), for a worker that may not open files; the answer
 *            carries the descriptor
 *   SIGN     sign hash (d1) with the key of fpr; md, pss in flag
 *   UNWRAP   RSA key transport: ek (d1) for the key of fpr, outlen
 *            octets wanted; OAEP with md when flag
 *   KEK      key agreement: the originator's point (d1) on curve, the
 *            X9.63 KDF with md over SharedInfo (d2), outlen octets
 *   REPLY    status, and the signature, key or KEK in d1
 */
#ifndef KEYMSG_H
#define KEYMSG_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ecp.h>
#include <mbedtls/md.h>

#define KM_FPR_LEN	64		/* SHA-256 hex, as the keystore */
#define KM_MAX		8192		/* one message, whole */
#define KM_CHANS	16		/* worker slots (WORKERS_MAX) */
#define KM_SELF		UINT32_MAX	/* GRANT: the control channel */
#define KM_RCPTS	1000		/* recipients in one grant */
#define KM_ADDR_MAX	320		/* one address (KS_ACCOUNT_MAX) */
#define KM_EK_MAX	1024		/* RSA-8192 key transport */
#define KM_POINT_MAX	133		/* P-521, uncompressed */
#define KM_INFO_MAX	512		/* ECC-CMS-SharedInfo */

enum km_type { KM_GRANT = 1, KM_CHANNEL, KM_SIGN, KM_UNWRAP, KM_KEK,
    KM_REPLY, KM_SPAWN, KM_OPEN };

enum km_status {
	KM_OK = 0,
	KM_RANDOM,	/* UNWRAP failed: random octets (Bleichenbacher) */
	KM_REFUSED,	/* not this channel's message's key */
	KM_NOKEY,	/* no such key, or it cannot be unsealed */
	KM_BAD,		/* malformed request */
	KM_FAIL		/* the operation failed */
};

struct km_msg {
	enum km_type	 type;
	enum km_status	 status;	/* REPLY */
	mbedtls_md_type_t md;
	int		 flag;		/* SIGN: PSS; UNWRAP: OAEP; GRANT: any */
	uint32_t	 chan;		/* GRANT, CHANNEL */
	uint32_t	 count;		/* GRANT: recipients */
	size_t		 outlen;	/* UNWRAP, KEK */
	mbedtls_ecp_group_id curve;	/* KEK */
	char		 fpr[KM_FPR_LEN + 1];
	const uint8_t	*d1;		/* borrowed from the buffer */
	size_t		 l1;
	const uint8_t	*d2;
	size_t		 l2;
};

/* The packet for m in buf (KM_MAX octets): its length, or 0. */
size_t	 km_encode(const struct km_msg *, uint8_t *, size_t);
/* buf decoded into m (pointing into buf): 0, or -1 when malformed. */
int	 km_decode(const uint8_t *, size_t, struct km_msg *);
/* A GRANT's strings: sender first, then each recipient; NULL after. */
const char *km_grant_next(const struct km_msg *, size_t *);
const char *km_status_str(enum km_status);

#endif
