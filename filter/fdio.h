/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Writing to a descriptor until all is written: write(2) may take part
 * of a buffer (a pipe, a signal), and is asked again for the rest.
 */
#ifndef FDIO_H
#define FDIO_H

#include <stddef.h>

/* All n octets of p to fd: 0, or -1 with errno when fd fails. */
int	 fdio_write_all(int, const void *, size_t);

#endif
