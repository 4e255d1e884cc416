/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Key processes: the only processes of filter-smime that read the
 * master key or hold an unsealed private key.  The loop's is forked at
 * start, before any message is read, and each worker gets one of its
 * own (so that workers sign in parallel), forked by the loop's key
 * process, so that the loop never needs the master key.  Each answers key operations (keymsg.h) and parses no
 * message, no CMS and no certificate from the network.  A request must
 * name a key its channel's current message may use: the envelope
 * sender's signing key, or a recipient's decryption key.  The loop
 * (which has the envelope from smtpd) says which, per channel.
 */
#ifndef KEYPROC_H
#define KEYPROC_H

#include <sys/types.h>

#include "cms.h"
#include "keymsg.h"

/* Fork it; *ctl is the control channel (the caller's own too). */
pid_t	 keyproc_start(const char *, int *);

/* ---- the client side (keyclient.c) ---- */

/* Start it (the loop, pipe mode); notice and replace it if it ended. */
int	 keyclient_start(const char *);
int	 keyclient_check(void);
void	 keyclient_release(void);
void	 keyclient_stop(void);
/* This process's channel to the key process: the loop's, a worker's. */
void	 keyclient_set_fd(int);
int	 keyclient_fd(void);
/* Another key process (a worker's), forked by ours: its control channel. */
int	 keyclient_fork(int *);
/* Over control channel ctl: what chan's message may use (sender NULL:
 * nothing now); no answer. */
int	 keyclient_grant(int, uint32_t, const char *, char *const *, size_t,
	    int);
/* Over ctl: a client's socket for slot chan. */
int	 keyclient_channel(int, uint32_t, int);
/* One request and its reply (rep points into buf, KM_MAX octets). */
int	 keyclient_call(const struct km_msg *, struct km_msg *, uint8_t *);
int	 keyclient_call_fd(const struct km_msg *, struct km_msg *, uint8_t *,
	    int *);
/* A certificate's blob through the key process (a ks_set_blob_opener). */
int	 keyclient_open_blob(void *, const char *, const char *, const char *);

/* A key the key process holds, as the CMS engine uses keys. */
struct key_remote {
	struct cms_keyop	 op;
	char			 fpr[KM_FPR_LEN + 1];
};

void	 key_remote_init(struct key_remote *, const char *,
	    mbedtls_pk_type_t);

#endif
