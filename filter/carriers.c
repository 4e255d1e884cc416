/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The default mobile-carrier destination exception: mail domains of
 * mobile carriers whose handsets (notably Japanese feature phones) do not
 * display S/MIME.  From ../shared/data/mobile-carrier-domains.txt.  A
 * leading '.' means the domain and all its subdomains; other entries
 * match the domain exactly.  Lowercase.
 */
#include <stddef.h>

#include "rules.h"

const char *const rules_carrier_domains[] = {
	"docomo.ne.jp",
	"ezweb.ne.jp",
	"au.com",
	"softbank.ne.jp",
	"i.softbank.jp",
	".vodafone.ne.jp",
	"disney.ne.jp",
	"ymobile.ne.jp",
	"y-mobile.ne.jp",
	"willcom.com",
	".pdx.ne.jp",
	"emnet.ne.jp",
	"uqmobile.jp",
	NULL
};
