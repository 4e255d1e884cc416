# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# gpgsm_verify_mime MSG ANCHOR DIR: 0 when gpgsm reports a good signature
# on the multipart/signed message MSG, trusting the certificate ANCHOR;
# DIR is a scratch directory (made here).  gpgsm verifies detached CMS
# only, so the signed part (CRLF, as signed) and the signature are split
# out first.  Sourced; POSIX sh.
gpgsm_verify_mime() {
	_gm=$1 _ga=$2 _gd=$3
	mkdir -m 700 "$_gd/gnupg" || return 1
	printf '%s\n' disable-crl-checks disable-policy-checks \
	    > "$_gd/gnupg/gpgsm.conf"
	GNUPGHOME=$_gd/gnupg gpgsm --batch --import "$_ga" > /dev/null 2>&1
	_gf=$(GNUPGHOME=$_gd/gnupg gpgsm --with-colons --list-keys 2>/dev/null |
	    awk -F: '/^fpr/ { print $10; exit }')
	echo "$_gf S relax" > "$_gd/gnupg/trustlist.txt"
	_gb=$(sed -n 's/.*boundary="\([^"]*\)".*/\1/p' "$_gm" | head -n 1)
	awk -v b="--$_gb" '
		$0 == b { part++; first = 1; next }
		$0 == b "--" { exit }
		part == 1 { if (!first) printf "\r\n"; printf "%s", $0; first = 0 }
	' "$_gm" > "$_gd/signed-part"
	openssl smime -pk7out -in "$_gm" -outform DER -out "$_gd/sig.der" 2>/dev/null
	GNUPGHOME=$_gd/gnupg gpgsm --batch --status-fd 1 --verify "$_gd/sig.der" \
	    "$_gd/signed-part" 2>/dev/null | grep -q GOODSIG
	_gr=$?
	GNUPGHOME=$_gd/gnupg gpgconf --kill all 2>/dev/null
	return $_gr
}

# gpgsm_import_secret P12 PASSWORD CERT: import a PKCS#12 file into
# $GNUPGHOME and check that the secret key of CERT (PEM) is there.  Under
# load an import has now and then failed with "possibly bad passphrase"
# (seen in make check, not reproduced alone), so the agent is started
# first and the import tried up to three times, the agent restarted
# between tries (seen with gpgsm 2.2 and 2.4).  Output in
# $W/gpgsm-import.log.
gpgsm_import_secret() {
	_gp=$(openssl x509 -in "$3" -noout -fingerprint -sha1 |
	    sed 's/.*=//; s/://g')
	gpgconf --launch gpg-agent > /dev/null 2>&1
	for _gt in 1 2 3; do
		echo "$2" | gpgsm --batch --pinentry-mode loopback \
		    --passphrase-fd 0 --import "$1" >> "$W/gpgsm-import.log" 2>&1
		gpgsm --with-colons --list-secret-keys 2>/dev/null |
		    grep -q "^fpr:.*:$_gp:" && return 0
		gpgconf --kill gpg-agent > /dev/null 2>&1
		sleep 2
		gpgconf --launch gpg-agent > /dev/null 2>&1
	done
	return 1
}

# gpgsm_identity DIR NAME EMAIL: the RSA leaf DIR/NAME of pki.sh, with its
# secret key, in $GNUPGHOME (DIR/NAME.p12 is left for other tools).  Call
# it before anything uses the leaf's key.  gpgsm 2.4's own PKCS#12 reader
# fails on about one RSA key in fifty ("p12_parse(bag.encryptedData)
# ... Decryption failed", 3 of 120 fresh RSA-2048 keys on Debian 13),
# every time for that key, and gpgsm later asks for a smartcard when it
# would decrypt.  So a key gpgsm cannot import is replaced by a fresh one
# (same subject, same intermediate), as regress/keystore/pfx.sh does for
# gpgsm's export.  Needs pki.sh.
gpgsm_identity() {
	for _gi in 1 2 3 4; do
		openssl pkcs12 -export -in "$1/$2.pem" -inkey "$1/$2.key" \
		    -certfile "$1/chain.pem" -name "$2" -passout pass:test \
		    -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 \
		    -out "$1/$2.p12" || return 1
		: > "$W/gpgsm-import.log"
		gpgsm_import_secret "$1/$2.p12" test "$1/$2.pem" && return 0
		echo "# gpgsm could not import $2 (try $_gi): $(grep -v DBG "$W/gpgsm-import.log" | tail -n 2 | tr '\n' ' ')" >&2
		gpgsm --batch --yes --delete-keys "$3" > /dev/null 2>&1
		pki_leaf "$1" "$2" rsa \
		    "digitalSignature,nonRepudiation,keyEncipherment" \
		    emailProtection "$3" -days 365
	done
	return 1
}
