# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# store DIR LEAF...: a keystore with $P/LEAF-bundle.pem imported for each
# LEAF and $P/root.pem as its anchor (C: smimectl; fail from the caller).
store() {
	_s=$1; shift
	"$C" -k "$_s" init > /dev/null
	for _l in "$@"; do
		"$C" -k "$_s" import "$P/$_l-bundle.pem" > /dev/null ||
		    fail "store-$_l" "cannot import $_l"
	done
	"$C" -k "$_s" anchor import "$P/root.pem" > /dev/null
}
