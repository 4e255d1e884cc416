# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Shared by the interop tests (sourced; POSIX sh).  Sets up, in $W:
# the test PKI (pki.sh), a gpgsm home trusting the test root, an NSS
# database trusting it, and helpers that print one ok/FAIL line.
. regress/interop/pki.sh
. regress/lib/gpgsm.sh

TOOL=${TOOL:-$(pwd)/obj/asan/smimetool}
W=$(mktemp -d /tmp/fsmime-interop.XXXXXX)
trap 'gpgconf --homedir "$W/gnupg" --kill all >/dev/null 2>&1; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
P=$W/pki

cell() {	# cell NAME CMD...: ok when CMD succeeds
	_c=$1; shift
	if "$@" > "$W/cell.out" 2>&1; then
		echo "ok $_c"
	else
		echo "FAIL $_c: $(tail -n 3 "$W/cell.out" | tr '\n' ' ' | cut -c1-300)"
	fi
}

cell_fails() {	# cell_fails NAME CMD...: ok when CMD fails (negative control)
	_c=$1; shift
	if "$@" > "$W/cell.out" 2>&1; then
		echo "FAIL $_c: succeeded where it must fail"
	else
		echo "ok $_c"
	fi
}

cell_says() {	# cell_says NAME PATTERN CMD...: ok when the output matches
	_c=$1; _p=$2; shift 2
	"$@" > "$W/cell.out" 2>&1
	if grep -q -- "$_p" "$W/cell.out"; then
		echo "ok $_c"
	else
		echo "FAIL $_c: want '$_p', got: $(head -n 3 "$W/cell.out" | tr '\n' ' ' | cut -c1-300)"
	fi
}

interop_setup() {
	pki_make "$P" || { echo "FAIL interop-pki: cannot make the test PKI"; exit 1; }
	GNUPGHOME=$W/gnupg
	export GNUPGHOME
	mkdir -m 700 "$GNUPGHOME"
	printf '%s\n' disable-crl-checks disable-policy-checks \
	    > "$GNUPGHOME/gpgsm.conf"
	echo allow-loopback-pinentry > "$GNUPGHOME/gpg-agent.conf"
	gpgsm --batch --import "$P/root.pem" > /dev/null 2>&1
	fpr=$(gpgsm --with-colons --list-keys 2>/dev/null |
	    awk -F: '/^fpr/ { print $10; exit }')
	echo "$fpr S relax" > "$GNUPGHOME/trustlist.txt"
	NSSDB=sql:$W/nss
	mkdir "$W/nss"
	certutil -N -d "$NSSDB" --empty-password
	certutil -A -d "$NSSDB" -n root -t "C,C,C" -i "$P/root.pem"
	# gpgsm decrypts for rsa and signs as rsa; the keystore tests have it
	# export bob
	gpgsm_identity "$P" rsa rsa@example.org &&
	    gpgsm_identity "$P" bob bob@example.net ||
	    echo "FAIL interop-gpgsm-identity: gpgsm imported none of 4 keys: $(tail -n 2 "$W/gpgsm-import.log" | tr '\n' ' ')"
}

# A PKCS#12 of a test identity (for gpgsm and NSS to sign or decrypt
# with), 3DES-sealed as Windows exports them: gpgsm 2.2 reads that.
p12_of() {	# p12_of NAME -> $P/NAME.p12, password "test"
	openssl pkcs12 -export -in "$P/$1.pem" -inkey "$P/$1.key" \
	    -certfile "$P/chain.pem" -name "$1" -passout pass:test \
	    -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 \
	    -out "$P/$1.p12"
}


# flip_byte FILE OFFSET: xor the byte at OFFSET with 0x5a, so it always
# changes (writing a fixed value leaves it alone one time in 256)
flip_byte() {
	_fb=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf '%03o' $(( _fb ^ 90 )))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
