/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The revocation process: the one process of the filter that talks to
 * OCSP responders.  Workers verify signatures in a sandbox without the
 * network; a question of theirs (revq.h) goes to the loop, which hands
 * it to this process and hands the answer back, so the loop never waits
 * on the network.  The process holds no key and parses no message: it
 * is forked from the loop when the first question comes, asks one
 * responder at a time (each answer is read and checked in a sandboxed
 * child, keystore/fetch.h) and keeps the answers until their
 * nextUpdate.  A process that dies is forked again at the next
 * question; the questions it had are answered "no answer".
 */
#ifndef REVPROC_H
#define REVPROC_H

#include <stddef.h>
#include <stdint.h>

#include "lookq.h"
#include "revq.h"

struct filter;

/* Seconds the loop waits for an answer beyond the question's timeout. */
#define REVPROC_GRACE	5
/* Seconds a worker waits at most for a lookup (the job's -t bounds it). */
#define REVPROC_LOOK_WAIT	120

/* Its socket, to poll, or -1. */
int	 revproc_fd(void);
/* RCPTs parked at once for an answer; more wait no answer. */
#define REVPROC_SESSIONS	64

/* A parked RCPT TO of session sid asks (the question from hooks). */
int	 revproc_session_question(struct filter *, uint64_t);
/* Worker i asks (the packet as it sent it). */
void	 revproc_question(struct filter *, size_t, const uint8_t *, size_t);
/* Worker i asks for a recipient's certificate (lookq.h). */
void	 revproc_look_question(struct filter *, size_t, const uint8_t *,
	    size_t);
/* The process answered (or ended). */
void	 revproc_input(struct filter *);
/* Questions over their time answered "no answer". */
void	 revproc_check(struct filter *);
void	 revproc_stop(void);
/* After a reload: the process ends (what it had is answered "no
 * answer"), and the next question forks one with the new rules. */
void	 revproc_renew(struct filter *);

/* In a worker: ask the loop, and wait for the answer. */
void	 revproc_ask_from_worker(int, const struct revq_question *,
	    struct revq_reply *);
/* In a worker: a lookup question to the loop; the answer packet into
 * buf, its length (0: none came). */
size_t	 revproc_look_from_worker(int, const struct lookq_question *,
	    uint8_t *, size_t);

#endif /* REVPROC_H */
