/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

#ifndef HOOKS_H
#define HOOKS_H

#include "engine.h"
#include "proto.h"

void	 hooks_install(struct filter *, struct engine *);
int	 pipe_run(struct engine *, const struct signers_client *,
	    const char *, char **, int);
int	 pipe_run_sandboxed(struct engine *, const struct signers_client *,
	    const char *, char **, int);

#endif
