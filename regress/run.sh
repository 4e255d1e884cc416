#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Run every test group, collect "ok NAME" / "FAIL NAME: why" lines and end
# with one line "N passed, N failed".  Exit non-zero on any failure.
#
# Groups: unit runners (ASan+UBSan), fuzz corpus replay, shell tests under
# regress/e2e/ and regress/interop/ (each a script printing ok/FAIL lines).
# A group that exits non-zero without printing a FAIL line is counted as a
# failure of its own, so a crash never goes unnoticed.
# ONLY=pattern runs only the groups whose name matches.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=$top/regress/out
rm -rf "$out"
mkdir -p "$out"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
log=$out/all.log
: > "$log"

rungroup() {
	name=$1; shift
	case "$name" in *${ONLY:-}*) ;; *) return 0 ;; esac
	glog=$out/$(echo "$name" | tr '/ ' '__').log
	start=$(date +%s)
	"$@" > "$glog" 2>&1
	rc=$?
	grep -E '^(ok|FAIL) ' "$glog" | tee -a "$log"
	if [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$glog"; then
		echo "FAIL $name: exited $rc without a FAIL line (see $glog)" |
		    tee -a "$log"
		tail -n 20 "$glog"
	fi
	echo "# $name: $(( $(date +%s) - start ))s" >&2
}

for t in obj/asan/test_*; do
	[ -x "$t" ] || continue
	rungroup "unit/$(basename "$t")" "$t"
done
# SHA-256, AES-CBC, base64, ECDSA nonces and RSA signatures again with
# the CPU's instructions and our own arithmetic forced off, so that both
# paths of smime/digest.c, smime/cms_env.c, smime/mime_enc.c,
# smime/ecpool.c and smime/rsafix.c run on any CPU.
for t in test_sha256 test_cms_env test_aes_hw test_b64_hw test_mime test_ecfix \
    test_ecpool test_rsafix; do
	[ -x obj/asan/$t ] || continue
	rungroup "unit/$t-no-hw" env FILTER_SMIME_NO_HW=1 obj/asan/$t
done
for f in obj/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	rungroup "fuzz-replay/$(basename "$f")" sh regress/fuzz/replay.sh "$f"
done
for t in regress/cli/run.sh regress/transcript/run.sh regress/ct/ct.sh regress/keystore/*.sh regress/e2e/*.sh regress/interop/*.sh regress/package/*.sh; do
	[ -f "$t" ] || continue
	case "$t" in */lib.sh|*/pki.sh) continue ;; esac	# sourced helpers
	rungroup "$t" sh "$t"
done

# The failure map in filter-smime(8), DIAGNOSTICS, names the tests that
# prove each row: on a full run, each must have run and passed.
if [ -z "${ONLY:-}" ]; then
	missing=""
	for t in $(sed -n '/^\.Sh DIAGNOSTICS/,/^\.Sh /s/^\.\\" tests: //p' \
	    man/filter-smime.8); do
		grep -qx "ok $t" "$log" || missing="$missing $t"
	done
	if [ -z "$missing" ]; then
		echo "ok diagnostics-map-tested" | tee -a "$log"
	else
		echo "FAIL diagnostics-map-tested: not run or failed:$missing" |
		    tee -a "$log"
	fi
fi

pass=$(grep -c '^ok ' "$log")
fail=$(grep -c '^FAIL ' "$log")
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
