#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# make fuzz: run every fuzz target for SECONDS, growing a scratch corpus
# seeded from the committed one.  Crashes are left as crash-* files in
# regress/out/fuzz/ and make the run fail.
set -u
secs=${1:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
work=regress/out/fuzz
mkdir -p "$work"
status=0
for bin in obj/fuzz/fuzz_*; do
	name=$(basename "$bin" | sed 's/^fuzz_//')
	mkdir -p "$work/$name"
	cp -n regress/fuzz/corpus/"$name"/* "$work/$name"/ 2>/dev/null
	echo "fuzz: $name for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -artifact_prefix="$work/" \
	    -print_final_stats=1 "$work/$name" 2> "$work/$name.log"; then
		echo "fuzz: $name FOUND A CRASH, see $work/$name.log"
		status=1
	fi
	grep -E 'stat::number_of_executed_units|stat::peak_rss' "$work/$name.log"
done
exit $status
