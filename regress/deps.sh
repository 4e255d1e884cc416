#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Install every package the build and the tests need, on Debian 12.
# Non-interactive and idempotent; never starts the system's smtpd or Exim.
#
# Exim for regress/e2e/exim.sh is never installed (exim4 conflicts with
# opensmtpd and would become the system MTA): its packages are fetched with
# apt-get download into $EXIM_DIR (default /var/cache/filter-smime-exim,
# outside the repository, kept between "make deps" and "make check") and
# unpacked with dpkg -x into $EXIM_DIR/root; only the shared libraries the
# binary lacks (per ldd) are installed, and the Debian-exim system user
# that the binary looks up at start is created if missing.
set -eu

EXIM_DIR=${EXIM_DIR:-/var/cache/filter-smime-exim}
EXIM_PKGS="exim4-daemon-light exim4-base"

exim_ready() {
	[ -x "$EXIM_DIR/root/usr/sbin/exim4" ] &&
	    ! ldd "$EXIM_DIR/root/usr/sbin/exim4" | grep -q 'not found' &&
	    id Debian-exim > /dev/null 2>&1
}

# The library package that provides a missing soname, by Debian's naming
# (libidn.so.12 -> libidn12, libpcre2-8.so.0 -> libpcre2-8-0).
lib_package() {
	apt-cache search --names-only "^$(echo "$1" | sed 's/\([0-9]\)\.so\.\([0-9]*\).*/\1-\2/; s/\.so\.\([0-9]*\).*/\1/; s/_/-/g; s/\./-/g' | tr 'A-Z' 'a-z')\$" |
	    awk '{ print $1; exit }'
}

prepare_exim() {
	exim_ready && { echo "deps: private Exim ready in $EXIM_DIR"; return 0; }
	if [ "$(id -u)" != 0 ]; then
		echo "deps: need root to prepare the private Exim" >&2
		exit 1
	fi
	mkdir -p "$EXIM_DIR"
	if [ ! -x "$EXIM_DIR/root/usr/sbin/exim4" ]; then
		[ "${apt_updated:-0}" = 1 ] || apt-get update -qq
		apt_updated=1
		# apt's sandbox user must be able to write the download
		chmod 755 "$EXIM_DIR"
		rm -f "$EXIM_DIR"/*.deb
		# shellcheck disable=SC2086
		(cd "$EXIM_DIR" && apt-get download -q $EXIM_PKGS 2>&1 |
		    grep -v 'unsandboxed' || true)
		rm -rf "$EXIM_DIR/root"
		for d in "$EXIM_DIR"/*.deb; do
			dpkg -x "$d" "$EXIM_DIR/root"
		done
	fi
	libs=$(ldd "$EXIM_DIR/root/usr/sbin/exim4" |
	    awk '/not found/ { print $1 }')
	if [ -n "$libs" ]; then
		[ "${apt_updated:-0}" = 1 ] || apt-get update -qq
		apt_updated=1
		pk=""
		for l in $libs; do
			p=$(lib_package "$l")
			[ -n "$p" ] || { echo "deps: no package for $l" >&2; exit 1; }
			pk="$pk $p"
		done
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends $pk
	fi
	# The Debian build looks up its compiled-in user before reading any
	# configuration, so it must exist (the tests then run as it).
	if ! getent group Debian-exim > /dev/null; then
		groupadd --system Debian-exim
	fi
	if ! id Debian-exim > /dev/null 2>&1; then
		useradd --system -g Debian-exim -d /nonexistent -M \
		    -s /usr/sbin/nologin Debian-exim
	fi
	exim_ready || { echo "deps: private Exim not usable" >&2; exit 1; }
	echo "deps: private Exim ready in $EXIM_DIR"
}

PKGS="make gcc clang libclang-rt-dev pkg-config git debootstrap
dpkg-dev debhelper build-essential
libmbedtls-dev libyaml-dev libbsd-dev
opensmtpd swaks libnet-ssleay-perl openssl ca-certificates gpgsm gpg-agent libnss3-tools python3
python3-cryptography
iproute2 util-linux procps
time strace valgrind
mandoc
libldap-dev slapd ldap-utils
libunbound-dev nsd bind9-utils dns-root-data"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	prepare_exim
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: need root to install:$missing" >&2
	exit 1
fi

# A policy-rc.d that denies every service start, so installing opensmtpd
# does not start or enable a system smtpd.  Removed again on exit unless
# one was there before.
own_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	own_policy=1
fi
cleanup() { [ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d; true; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
echo "opensmtpd opensmtpd/mailname string localhost" | debconf-set-selections
echo "opensmtpd opensmtpd/root_address string" | debconf-set-selections
# slapd is for the directory tests, which start their own: none for the system
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
apt-get update -qq
apt_updated=1
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
# Some images have no policy layer at all: make sure nothing stays running
# or enabled.
if command -v systemctl >/dev/null 2>&1; then
	systemctl disable --now opensmtpd >/dev/null 2>&1 || true
	systemctl disable --now slapd nsd >/dev/null 2>&1 || true
fi
echo "deps: installed$missing"
prepare_exim
