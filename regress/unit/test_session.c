/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* session table: many sessions, lookups, removal, transaction state. */
#include <stdint.h>

#include "session.h"
#include "unit.h"

int
main(void)
{
	struct session_table t;
	struct spool_pool pool;
	struct session *s;
	uint64_t i;
	int ok;

	spool_pool_init(&pool, 1 << 20, 1 << 16, "/tmp");
	UNIT_OK("session-init", session_table_init(&t) == 0);

	for (i = 1, ok = 1; i <= 5000; i++) {
		s = session_get(&t, i * 0x9e3779b97f4a7c15ULL, &pool);
		if (s == NULL || s->id != i * 0x9e3779b97f4a7c15ULL)
			ok = 0;
	}
	UNIT_OK("session-create-5000", ok && t.count == 5000);
	UNIT_OK("session-grows", t.nbuckets >= 4096);
	for (i = 1, ok = 1; i <= 5000; i++)
		if (session_find(&t, i * 0x9e3779b97f4a7c15ULL) == NULL)
			ok = 0;
	UNIT_OK("session-find-all", ok);
	UNIT_OK("session-get-existing",
	    session_get(&t, 0x9e3779b97f4a7c15ULL, &pool) ==
	    session_find(&t, 0x9e3779b97f4a7c15ULL) && t.count == 5000);
	UNIT_OK("session-find-missing", session_find(&t, 42) == NULL);

	for (i = 1; i <= 5000; i += 2)
		session_remove(&t, i * 0x9e3779b97f4a7c15ULL);
	for (i = 1, ok = 1; i <= 5000; i++)
		if ((session_find(&t, i * 0x9e3779b97f4a7c15ULL) != NULL) !=
		    (i % 2 == 0))
			ok = 0;
	UNIT_OK("session-remove-half", ok && t.count == 2500);
	session_remove(&t, 42);
	UNIT_OK("session-remove-missing", t.count == 2500);

	s = session_get(&t, 7, &pool);
	ok = s && session_set_sender(s, "a@example.org") == 0;
	for (i = 0; ok && i < 100; i++)
		ok = session_add_rcpt(s, "r@example.net",
		    i % 3 ? RCPT_OK : RCPT_TEMPFAIL) == 0;
	UNIT_OK("session-tx-fill", ok && s->nrcpts == 100 &&
	    s->rcpts[0].result == RCPT_TEMPFAIL && s->rcpts[1].result == RCPT_OK);
	session_tx_clear(s);
	UNIT_OK("session-tx-clear", s->nrcpts == 0 && s->sender == NULL);

	session_fail(s, "451 4.3.0 first", "why %d", 1);
	session_fail(s, "554 5.6.0 second", "why %d", 2);
	UNIT_OK("session-fail-first-wins", s->failed &&
	    strcmp(s->fail_reply, "451 4.3.0 first") == 0 &&
	    strcmp(s->fail_why, "why 1") == 0);
	session_msg_clear(s);
	UNIT_OK("session-msg-clear", !s->failed && s->state == MSG_NONE);

	session_table_free(&t);
	UNIT_EXIT();
}
