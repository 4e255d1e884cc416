/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Optional libraries opened when first needed (optlib.h). */
#include <dlfcn.h>
#include <stdio.h>

#include "optlib.h"

int
optlib_present(const char *soname)
{
	return dlopen(soname, RTLD_LAZY | RTLD_LOCAL) != NULL;
}

int
optlib_open(const char *soname, const struct optsym *syms, size_t n,
    char *why, size_t whysz)
{
	const char *err;
	void *h;
	size_t i;

	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		err = dlerror();
		snprintf(why, whysz, "%s", err ? err : soname);
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((*syms[i].fn = dlsym(h, syms[i].name)) == NULL) {
			snprintf(why, whysz, "%s has no %s", soname,
			    syms[i].name);
			return -1;
		}
	return 0;
}
