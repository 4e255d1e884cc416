# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# run NAME WANT_RC PATTERN CMD...: CMD's exit status must be WANT_RC and
# its output (stdout and stderr, kept in $W/run.out) must match PATTERN
# (grep; empty: anything).  Prints through the caller's ok and fail.
# (sourced; POSIX sh)
run() {
	_n=$1 _rc=$2 _pat=$3; shift 3
	"$@" > "$W/run.out" 2>&1
	_got=$?
	if [ "$_got" != "$_rc" ]; then
		fail "$_n" "exit $_got, want $_rc: $(head -c 400 "$W/run.out")"
	elif [ -n "$_pat" ] && ! grep -q -- "$_pat" "$W/run.out"; then
		fail "$_n" "output lacks '$_pat': $(head -c 400 "$W/run.out")"
	else
		ok "$_n"
	fi
}
