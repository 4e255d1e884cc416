/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* The switch that forces mbedTLS's code (hwcap.h). */
#include <stdlib.h>
#include <string.h>

#include "hwcap.h"

int
hwcap_off(void)
{
	const char *v = getenv("FILTER_SMIME_NO_HW");

	return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}
