#!/bin/sh
# Install every package the build and the tests need, on Debian 12.
# Non-interactive and idempotent; never starts the system's smtpd or Exim.
set -eu

PKGS="make gcc clang libclang-rt-14-dev pkg-config
libmbedtls-dev libyaml-dev libbsd-dev
opensmtpd swaks openssl gpgsm libnss3-tools python3 iproute2 util-linux procps
mandoc"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
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
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
# Some images have no policy layer at all: make sure nothing stays running
# or enabled.
if command -v systemctl >/dev/null 2>&1; then
	systemctl disable --now opensmtpd >/dev/null 2>&1 || true
fi
echo "deps: installed$missing"
