/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * A recipient's certificate that the store lacks, from the directory
 * or SMIMEA (rules.yaml directory:, smimea:): what this process keeps
 * (lookmem.h), else asked.  Where it is asked depends on the process:
 * the loop sets the question out (the RCPT TO waits, the loop does
 * not); a worker and pipe mode's child ask the process they came from
 * and wait (engine look_ask); anything else asks the network itself
 * (lookfind.h).
 */
#ifndef LOOKRCPT_H
#define LOOKRCPT_H

#include <stdio.h>

#include <mbedtls/x509_crt.h>

#include "engine.h"

enum lookrcpt {
	LOOKRCPT_NONE,		/* not looked up, or nothing there */
	LOOKRCPT_FOUND,
	LOOKRCPT_DOWN,		/* no answer: try again later */
	LOOKRCPT_ASK		/* in the loop: g->ask set out */
};

enum lookrcpt lookrcpt_cert(struct engine *, const char *, int may_ask,
	    const mbedtls_x509_crt **);
/* Log where the certificate encrypted to comes from. */
void	 lookrcpt_log(struct engine *, const char *);
/* Whether any source is asked about the address. */
int	 lookrcpt_covers(const struct engine *, const char *);
/* The sources, lines for filter-smime -n. */
void	 lookrcpt_print(const struct engine *, FILE *);
/* Seconds a question may take, every source asked in turn. */
int	 lookrcpt_deadline(const struct engine *);

#endif /* LOOKRCPT_H */
