#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# The Debian package.  dpkg-buildpackage -us -uc -b builds it from a copy
# of the working tree; the .deb is checked for its paths (the filter in
# /usr/libexec/opensmtpd as Debian's OpenSMTPD filters go, smimectl in
# /usr/sbin, man pages, example rules, copyright), its Depends (the
# shared libraries, from ${shlibs:Depends}) and for programs that run.
#
# With FSMIME_SYSTEM_INSTALL=1 or CI=true (a disposable system: the
# Debian 13 root of regress/debian13.sh, and CI's machine) it is installed with dpkg -i, the
# README's demo runs against the installed paths, and it is purged again.
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
. regress/lib/tree.sh

W=$(mktemp -d /tmp/fsmime-deb.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
FILTER_PATH=/usr/libexec/opensmtpd/filter-smime

ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; }
check() { if eval "$2"; then ok "$1"; else fail "$1" "$3"; fi; }

for t in dpkg-buildpackage dh dpkg-deb; do
	command -v "$t" > /dev/null ||
	    { fail deb-tools "$t missing (make deps installs it)"; exit 1; }
done

tree_copy "$top" "$W/filter-smime"
if (cd "$W/filter-smime" && dpkg-buildpackage -us -uc -b) \
    > "$W/build.log" 2>&1; then
	ok deb-build
else
	fail deb-build "$(grep -E 'error|Error' "$W/build.log" | head -n 3)"
	exit 1
fi
deb=$(ls "$W"/filter-smime_*.deb 2>/dev/null | head -n 1)
check deb-file '[ -f "$deb" ]' "no .deb in $W"
[ -f "$deb" ] || exit 1

dpkg-deb -c "$deb" | awk '{ print $1, $6 }' > "$W/contents"
for p in "-rwxr-xr-x .$FILTER_PATH" "-rwxr-xr-x ./usr/sbin/smimectl" \
    "-rw-r--r-- ./usr/share/man/man8/filter-smime.8.gz" \
    "-rw-r--r-- ./usr/share/man/man8/smimectl.8.gz" \
    "-rw-r--r-- ./usr/share/man/man5/filter-smime.yaml.5.gz" \
    "-rw-r--r-- ./usr/share/doc/filter-smime/examples/rules.yaml.example" \
    "-rw-r--r-- ./usr/share/doc/filter-smime/copyright"; do
	name=deb-has-$(basename "${p#* }")
	check "$name" 'grep -qxF -- "$p" "$W/contents"' \
	    "not in the package as '$p'"
done
check deb-nothing-in-local '! grep -q "/usr/local" "$W/contents"' \
    "files under /usr/local"

dep=$(dpkg-deb -f "$deb" Depends)
for lib in libmbedcrypto libmbedx509 libyaml libbsd libc6; do
	check "deb-depends-$lib" 'echo "$dep" | grep -q "$lib"' \
	    "Depends: $dep"
done

# The packaged programs run from the unpacked package.
dpkg-deb -x "$deb" "$W/x"
check deb-smimectl-runs '"$W/x/usr/sbin/smimectl" --help > /dev/null 2>&1' \
    "smimectl --help failed"
check deb-filter-runs '"$W/x$FILTER_PATH" -n -f rules.yaml.example \
    > "$W/n.out" 2>&1' "filter-smime -n: $(cat "$W/n.out" 2>/dev/null)"

[ "${FSMIME_SYSTEM_INSTALL:-0}" = 1 ] || [ "${CI:-}" = true ] || exit 0

if dpkg -i "$deb" > "$W/install.log" 2>&1; then
	ok deb-install
else
	fail deb-install "$(tail -n 3 "$W/install.log")"
	exit 1
fi
check deb-installed-paths '[ -x "$FILTER_PATH" ] && [ -x /usr/sbin/smimectl ]' \
    "programs not where the package puts them"
H_FILTER_INSTALLED=1 FILTER=$FILTER_PATH SMIMECTL=/usr/sbin/smimectl \
    sh regress/demo.sh \
    > "$W/demo.out" 2>&1
check deb-demo-signed 'grep -q "multipart/signed" "$W/demo.out"' \
    "$(tail -n 5 "$W/demo.out")"
check deb-demo-verifies 'grep -q "Verification successful" "$W/demo.out"' \
    "$(tail -n 5 "$W/demo.out")"
check deb-demo-installed-filter 'grep -qF "$FILTER_PATH" "$W/demo.out"' \
    "the demo's smtpd.conf does not name $FILTER_PATH"
dpkg --purge filter-smime > "$W/purge.log" 2>&1
check deb-purge '[ ! -e "$FILTER_PATH" ] && [ ! -e /usr/sbin/smimectl ]' \
    "files left after purge: $(tail -n 2 "$W/purge.log")"
