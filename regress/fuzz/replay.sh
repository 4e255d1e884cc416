#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Replay the committed seed corpus of one fuzz target: every input once,
# under ASan+UBSan.  Prints one ok/FAIL line.
set -u
bin=$1
name=$(basename "$bin" | sed 's/^fuzz_//')
dir=$(dirname "$0")/corpus/$name
if [ ! -d "$dir" ] || [ -z "$(ls -A "$dir")" ]; then
	echo "FAIL fuzz-replay-$name: no seed corpus in $dir"
	exit 1
fi
n=$(ls "$dir" | wc -l)
if "$bin" -runs=0 "$dir" > /dev/null 2>&1 && "$bin" "$dir"/* > /dev/null 2>&1; then
	echo "ok fuzz-replay-$name ($n inputs)"
else
	echo "FAIL fuzz-replay-$name: a corpus input crashed (rerun: $bin $dir/*)"
	exit 1
fi
