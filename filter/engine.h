/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * What happens to one message, shared by filter mode and pipe mode:
 * the sender's signing identity from the keystore, the S/MIME engine,
 * and the verdict with its SMTP reply.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include <stddef.h>
#include <time.h>

#include "cms.h"
#include "harvestpkt.h"
#include "lookmem.h"
#include "revq.h"
#include "idcache.h"
#include "ks.h"
#include "mime.h"
#include "replies.h"
#include "rules.h"
#include "signers.h"

#define ENGINE_MID_MEM	(1024 * 1024)	/* signed-then-encrypted: in memory up to */

enum engine_action { ACTION_AUTO, ACTION_SIGN, ACTION_NONE, ACTION_ENCRYPT,
    ACTION_SIGN_ENCRYPT, ACTION_VERIFY,
    ACTION_TRIPLE };	/* given to engine_init only: sign-encrypt, triple */

enum engine_verdict {
	VERDICT_PASS,		/* passed unchanged */
	VERDICT_SIGNED,
	VERDICT_ENCRYPTED,
	VERDICT_SIGNED_ENCRYPTED,
	VERDICT_CHECKED,	/* inbound: result header added */
	VERDICT_TEMPFAIL,	/* 4xx / EX_TEMPFAIL */
	VERDICT_REJECT,		/* 5xx / EX_NOPERM */
	VERDICT_BADINPUT,	/* 5xx / EX_DATAERR */
	VERDICT_KEPT,		/* proven S/MIME: unchanged behind our trace */
	VERDICT_DROP		/* RCPT: no certificate, key-missing: drop */
};


#define ENGINE_ASK_REVOCATION	1
#define ENGINE_ASK_LOOKUP	2

struct engine {
	char			*rules_path;
	struct rules		*rules;
	char			*store_dir;
	struct ks_store		 store;
	int			 have_store;
	enum engine_action	 action;
	int			 triple;	/* -a triple: sign-encrypt-sign */
	struct cms_rng		 rng;
	time_t			 checked;	/* last look for a new index */
	struct cms_budget	 budget;	/* one inbound message's */
	/* in a worker, which writes no file: where harvests go instead */
	int			(*harvest_to)(void *,
				    const struct harvest *);
	void			*harvest_arg;
	/* revocation questions: where they go (NULL: answered here) */
	void			(*revq_ask)(const struct revq_question *,
				    struct revq_reply *);
	/* lookup questions (lookq.h): where they go (NULL: answered here),
	 * and the answers kept (lookmem.h) */
	size_t			(*look_ask)(const struct lookq_question *,
				    uint8_t *, size_t);
	struct lookmem		*looked;
	struct revq_server	*revq_local;	/* answering here: memory */
	/*
	 * In the loop, which never waits: a recipient's question is set
	 * out here for the loop to send, and RCPT TO is answered when
	 * the answer is in revq_local.
	 */
	int			 revq_async;
	int			 rcpt_asked;	/* ENGINE_ASK_*: no second */
	struct engine_ask {
		int			 what;	/* ENGINE_ASK_* */
		struct lookq_question	 lq;
		struct revq_question	 q;
		uint8_t			 hash[32];
		uint8_t			*buf;	/* the certificates */
	}			 ask;
	/*
	 * Identities and certificates: 133 KB, last, so that engine_init
	 * and engine_free clear only what comes before it (idcache.h).
	 */
	struct idcache		 ids;
};

struct engine_result {
	enum engine_verdict	 verdict;
	char			 reply[128];	/* SMTP reply for 4xx/5xx */
	char			 why[200];	/* for the log */
	int			 notice;	/* a pass worth a log line */
};

/* Its struct must be zero (static, calloc'd, or after engine_free). */
int	 engine_init(struct engine *, const char *, const char *,
	    enum engine_action, char *, size_t);
/* Leaves the struct zero, ready for engine_init again. */
void	 engine_free(struct engine *);
int	 engine_refresh(struct engine *, int);
void	 engine_preload(struct engine *);
void	 engine_harvest_store(struct engine *, const struct harvest *);
int	 engine_sender_check(struct engine *, const struct signers_client *,
	    const char *, struct engine_result *);
int	 engine_rcpt_check(struct engine *, const char *, const char *,
	    struct engine_result *);
int	 engine_checks_rcpt(const struct engine *);
int	 engine_rcpt_class(struct engine *, const char *, const char *);
int	 engine_tx_mode(const struct engine *, const char *);
void	 engine_process(struct engine *, const struct signers_client *,
	    const char *, char *const *, size_t, const char *, size_t, mime_write_fn, void *,
	    struct engine_result *);
void	 engine_inbound(struct engine *, char *const *, size_t, const char *,
	    size_t, mime_write_fn, void *, struct engine_result *);
struct engine_ident *engine_ident(struct engine *, const struct ks_entry *,
	    struct engine_result *);
int	 engine_is_inbound(const struct engine *, const char *,
	    char *const *, size_t);
void	 engine_result_set(struct engine_result *, enum engine_verdict,
	    const char *, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
const char *engine_verdict_str(enum engine_verdict);

#endif /* ENGINE_H */
