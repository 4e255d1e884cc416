#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Build and test this tree inside a Debian 13 "trixie" root: mbedTLS 3.6
# LTS, libbsd 0.12, OpenSMTPD 7.6 (filter protocol 0.7), Exim 4.98,
# OpenSSL 3.5, GnuPG 2.4, clang 19.
#
#   sh regress/debian13.sh [command]     default: make deps && make check
#
# The root is made once with debootstrap --variant=minbase and kept in
# $D13_DIR (default /var/cache/filter-smime-trixie, outside the
# repository, like the private Exim); packages installed there by
# "make deps" stay between runs.  Each run copies the working tree
# (tracked and untracked files that git does not ignore) to a directory
# of its own in the root (/src.XXXXXX, removed afterwards) and runs the
# command there, in a mount namespace of its own, so
# nothing stays mounted afterwards.  The root is bind-mounted onto itself
# first: the end-to-end harness calls "unshare -m", which fails in a
# chroot whose root is not a mount point ("cannot change root filesystem
# propagation").
#
# The mirror is the one the host's apt uses for Debian (else
# debootstrap's default).  Needs root, debootstrap and unshare.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
D13_DIR=${D13_DIR:-/var/cache/filter-smime-trixie}
R=$D13_DIR/root
cmd=${1:-make deps && make check}

. "$top/regress/lib/tree.sh"

die() { echo "debian13: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"
command -v debootstrap > /dev/null || die "debootstrap missing: make deps"
command -v unshare > /dev/null || die "unshare missing (util-linux)"

# The Debian mirror the host already uses: deb822 sources first, then
# one-line sources.
host_mirror() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^URIs:/ && $2 ~ /debian\/?$/ { print $2; exit }' "$f"
	done | head -n 1 | grep . && return 0
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
	    awk '$1 == "deb" && $3 !~ /security/ && $2 ~ /debian\/?$/ {
		print $2; exit }'
}

make_root() {
	[ -f "$R/etc/debian_version" ] && [ -x "$R/bin/sh" ] && return 0
	echo "debian13: making the root in $R (debootstrap trixie)"
	mkdir -p "$D13_DIR"
	rm -rf "$R.new"
	mirror=$(host_mirror || true)
	# shellcheck disable=SC2086
	debootstrap --variant=minbase trixie "$R.new" $mirror \
	    > "$D13_DIR/debootstrap.log" 2>&1 ||
	    { tail -n 20 "$D13_DIR/debootstrap.log"; die "debootstrap failed"; }
	rm -rf "$R"
	mv "$R.new" "$R"
}

make_root
# A directory of this run's own, so that two runs can share the root.
src=$(mktemp -d "$R/src.XXXXXX")
trap 'rm -rf "$src"' EXIT INT TERM
tree_copy "$top" "$src"
cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true
grep -q '^# filter-smime' "$R/etc/hosts" 2>/dev/null ||
    printf '# filter-smime\n127.0.0.1\tlocalhost\n::1\tlocalhost\n' \
    > "$R/etc/hosts"

export R cmd src
# A clean environment inside: the host's PATH and locale, nothing else.
unshare -m --propagation private sh -c '
	set -e
	mount --bind "$R" "$R"
	mount -t proc proc "$R/proc"
	mount --rbind /sys "$R/sys"
	mount --rbind /dev "$R/dev"
	mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
	mkdir -p "$R/run"
	mount -t tmpfs -o mode=755 tmpfs "$R/run"
	exec chroot "$R" /usr/bin/env -i \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    HOME=/root LANG=C.UTF-8 TERM=dumb CI="${CI:-}" \
	    FSMIME_SYSTEM_INSTALL=1 \
	    /bin/sh -c "command -v make > /dev/null || {
		apt-get update -qq && apt-get install -y -qq make > /dev/null; }
	    cd /${src##*/} && $cmd"
'
