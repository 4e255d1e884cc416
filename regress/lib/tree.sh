# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Sourced.  tree_copy TOP DEST: the working tree at TOP, as a developer
# has it (tracked files and untracked ones git does not ignore, with
# their uncommitted changes; no build products), copied into DEST.
tree_copy() {
	mkdir -p "$2"
	if git -C "$1" rev-parse --git-dir > /dev/null 2>&1; then
		git -C "$1" ls-files -z -c -o --exclude-standard |
		    (cd "$1" && tar --null -T - -cf -) | tar -C "$2" -xf -
	else
		(cd "$1" && tar --exclude=./obj --exclude=./regress/out \
		    -cf - .) | tar -C "$2" -xf -
	fi
}
