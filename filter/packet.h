/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Packets with an optional descriptor beside them: see packet.c. */
#ifndef PACKET_H
#define PACKET_H

#include <stddef.h>
#include <sys/types.h>

/* One packet, with the descriptor fd unless it is -1: 0 or -1. */
int	 packet_send(int, const void *, size_t, int);
/* One packet: its length (0 at end of file, -1 on error), *fd or -1. */
ssize_t	 packet_recv(int, void *, size_t, int *);

#endif
