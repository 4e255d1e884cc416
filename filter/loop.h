/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* The single-threaded poll(2) loop that moves protocol lines. */
#ifndef LOOP_H
#define LOOP_H

#include <signal.h>

#include "proto.h"

int	 loop_run(struct filter *, int, int, volatile sig_atomic_t *);

#endif
