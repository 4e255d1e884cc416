#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Command lines: options, exit codes, -n checks, smimectl init, man pages,
# make install.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
W=$(mktemp -d /tmp/fsmime-cli.XXXXXX)
trap 'rm -rf "$W"' EXIT
F=./filter-smime
C=./smimectl

t() {	# t NAME WANT_RC CMD...: the command's exit status must be WANT_RC
	name=$1; want=$2; shift 2
	"$@" > "$W/out" 2> "$W/err" < /dev/null
	rc=$?
	if [ "$rc" = "$want" ]; then
		echo "ok $name"
	else
		echo "FAIL $name: exit $rc, want $want: $(head -c 300 "$W/err")"
	fi
}

# t_err NAME PATTERN: the last command's stderr contains PATTERN
t_err() {
	if grep -q -- "$2" "$W/err"; then echo "ok $1"; else
		echo "FAIL $1: stderr lacks '$2': $(head -c 300 "$W/err")"; fi
}

t cli-unknown-option 64 $F -x
t_err cli-unknown-option-usage 'usage: filter-smime'
t cli-extra-argument 64 $F stray
t cli-missing-optarg 64 $F -f
t cli-check-example-rules 0 $F -n -f rules.yaml.example
t_err cli-check-ok-message 'configuration OK'
t_err cli-check-revocation-default "revocation: crl: the store's CRLs"
printf 'version: 1\nrevocation: ocsp-then-crl\nrevocation-fail: hard\nocsp-timeout: 9\n' > "$W/rev.yaml"
t cli-check-revocation 0 $F -n -f "$W/rev.yaml"
t_err cli-check-revocation-line 'revocation: ocsp-then-crl: .*no answer: smime=temperror (hard); 9 s a question'

printf 'version: 1\nrules:\n  - sign: [yes\n' > "$W/bad.yaml"
t cli-check-bad-yaml 78 $F -n -f "$W/bad.yaml"
t_err cli-check-bad-yaml-position "$W/bad.yaml:4:1: "
# -n prints the signer table as understood
printf 'alice alice@a.example, @b.example\n' > "$W/senders"
printf 'version: 1\nsigners:\n  table: %s\n  trusted:\n    - { source: 10.0.0.0/8, as: "@t.example" }\n  not-allowed: pass\n' \
    "$W/senders" > "$W/signers.yaml"
t cli-check-signers 0 $F -n -f "$W/signers.yaml"
t_err cli-check-signers-login "$(printf 'signers: login alice\talice@a.example, @b.example')"
t_err cli-check-signers-trusted "$(printf 'signers: trusted 10.0.0.0/8\t@t.example')"
t_err cli-check-signers-pass 'signers: not allowed: pass unsigned'
t cli-check-signers-default 0 $F -n
t_err cli-check-signers-default-none 'signers: no trusted sources'
printf 'version: 1\nsigners:\n  table: %s/nothere\n' "$W" > "$W/signers-bad.yaml"
t cli-check-signers-table-missing 78 $F -n -f "$W/signers-bad.yaml"
t_err cli-check-signers-table-missing-where "signers-bad.yaml:3:10: table: $W/nothere: No such file"
t cli-client-options-filter-mode 64 $F -u alice
t cli-check-missing-rules 78 $F -n -f "$W/none.yaml"
t_err cli-check-missing-rules-message "$W/none.yaml: No such file"

t smimectl-no-verb 64 $C
t smimectl-help 0 $C --help
t smimectl-unknown-verb 64 $C frobnicate
t smimectl-init 0 $C -k "$W/store" init
if [ "$(stat -c %a "$W/store")" = 700 ] &&
    [ "$(stat -c %a "$W/store/master.key")" = 600 ] &&
    [ "$(stat -c %s "$W/store/master.key")" = 32 ]; then
	echo "ok smimectl-init-modes"
else
	echo "FAIL smimectl-init-modes: $(ls -la "$W/store")"
fi
cp "$W/store/master.key" "$W/key.before"
t smimectl-init-twice-refused 73 $C -k "$W/store" init
t_err smimectl-init-twice-message 'already initialised'
if cmp -s "$W/store/master.key" "$W/key.before"; then
	echo "ok smimectl-init-keeps-key"
else
	echo "FAIL smimectl-init-keeps-key: master key changed"
fi
t smimectl-init-second-store 0 $C -k "$W/store2" init
if cmp -s "$W/store/master.key" "$W/store2/master.key"; then
	echo "FAIL smimectl-init-random: two stores got the same key"
else
	echo "ok smimectl-init-random"
fi

t cli-check-keystore 0 $F -n -k "$W/store"
chmod 0755 "$W/store"
t cli-check-keystore-open-refused 78 $F -n -k "$W/store"
t_err cli-check-keystore-open-message 'readable or writable by others'
t cli-check-keystore-missing 78 $F -n -k "$W/nostore"
# bcc: skip-sign in a shared transaction would sign the Bcc copy: refused
printf 'version: 1\ndefaults:\n  bcc: skip-sign\n' > "$W/bcc.yaml"
t cli-check-bcc-skip-sign-shared 78 $F -n -f "$W/bcc.yaml"
t_err cli-check-bcc-skip-sign-shared-where "bcc.yaml:3:3: bcc: skip-sign needs transaction: per-recipient"

# gcc builds everything for the other tests; clang must be clean too
# (the same preprocessor flags as the build: they differ between systems)
bad=""
cppflags=$(make -s --no-print-directory print-cppflags)
for f in filter/*.c smime/*.c keystore/*.c regress/tools/*.c; do
	# shellcheck disable=SC2086
	clang $cppflags -O2 -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
	    -Wmissing-prototypes -Wstrict-prototypes -fsyntax-only "$f" \
	    > "$W/clang.out" 2>&1 || bad="$bad $f"
done
[ -z "$bad" ] && echo "ok build-clang-clean" ||
    echo "FAIL build-clang-clean:$bad: $(head -n 3 "$W/clang.out")"

# The failure map: every reply in filter/replies.h is in filter-smime(8)
# DIAGNOSTICS, and every reply there is one the code gives.
sed -n '/^\.Sh DIAGNOSTICS/,/^\.Sh /p' man/filter-smime.8 > "$W/diag"
awk '/^#define REPLY_/ { s = ""; more = 1 }
    more { while (match($0, /"[^"]*"/)) { s = s substr($0, RSTART + 1, RLENGTH - 2); $0 = substr($0, RSTART + RLENGTH) } }
    more && !/\\$/ { if (s != "") print s; more = 0 }' filter/replies.h | sort -u > "$W/replies"
nomap=""
while IFS= read -r r; do
	grep -qF "$r" "$W/diag" || nomap="$nomap [$r]"
done < "$W/replies"
nocode=""
grep -oE '^\.Dq [245][0-9][0-9] [245]\.[0-9]\.[0-9].*' "$W/diag" |
    sed 's/^\.Dq //; s/ [.;,]$//' | sort -u > "$W/mapped"
while IFS= read -r r; do
	case "$r" in *" "*" "*) ;; *) continue ;; esac	# "451 4.3.0" alone
	grep -qxF "$r" "$W/replies" || nocode="$nocode [$r]"
done < "$W/mapped"
[ -s "$W/replies" ] && [ -z "$nomap" ] && [ -z "$nocode" ] &&
    echo "ok diagnostics-map-replies" ||
    echo "FAIL diagnostics-map-replies: not in the map:$nomap; not in the code:$nocode"

# Every source file carries the license header (LICENSE: ISC).
nolic=""
for f in $(git ls-files 2>/dev/null | grep -E '\.(c|h|sh|py)$|^GNUmakefile$|^debian/rules$|^man/.*\.[58]$'); do
	head -n 3 "$f" | grep -q 'SPDX-License-Identifier: ISC' ||
	    nolic="$nolic $f"
done
[ -f LICENSE ] && grep -q 'Permission to use, copy, modify, and distribute' LICENSE &&
    [ -z "$nolic" ] && echo "ok license-headers" ||
    echo "FAIL license-headers: LICENSE or the header missing in:$nolic"

for m in man/*.[58]; do
	if mandoc -Tlint -W warning "$m" > "$W/lint" 2>&1; then
		echo "ok man-lint-$(basename "$m")"
	else
		echo "FAIL man-lint-$(basename "$m"): $(head -n 3 "$W/lint")"
	fi
done

# The OpenBSD sandbox (pledge, unveil) cannot run here: its code is
# compiled against declarations of those two calls, as on OpenBSD.
if ${CC:-cc} $cppflags -DSANDBOX_OPENBSD_STUBS -Wall -Wextra \
    -Werror -fsyntax-only keystore/sandbox.c > "$W/obsd" 2>&1; then
	echo "ok sandbox-openbsd-compiles"
else
	echo "FAIL sandbox-openbsd-compiles: $(head -n 3 "$W/obsd")"
fi

if make -s install DESTDIR="$W/root" PREFIX=/opt/fs > "$W/inst" 2>&1 &&
    [ -x "$W/root/opt/fs/libexec/smtpd/filter-smime" ] &&
    [ -x "$W/root/opt/fs/sbin/smimectl" ] &&
    [ -f "$W/root/opt/fs/share/man/man8/filter-smime.8" ] &&
    [ -f "$W/root/opt/fs/share/man/man8/smimectl.8" ] &&
    [ -f "$W/root/opt/fs/share/man/man5/filter-smime.yaml.5" ] &&
    [ -f "$W/root/opt/fs/share/examples/filter-smime/rules.yaml.example" ]; then
	echo "ok make-install-destdir-prefix"
else
	echo "FAIL make-install-destdir-prefix: $(tail -n 3 "$W/inst"; find "$W/root" -type f)"
fi
exit 0
