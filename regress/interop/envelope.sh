#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# EnvelopedData / AuthEnvelopedData interop matrix.  Ours -> openssl cms,
# gpgsm, NSS cmsutil; theirs -> us; and the negative cases with their
# precise verdicts.  Every cell prints one ok/FAIL line named
# interop-env-FROM-VARIANT-TO.  Plaintexts are compared byte for byte.
#
# Cells a tool cannot do are not run (checked by hand, see below):
#   gpgsm 2.2.40: RSA PKCS#1 v1.5 with issuerAndSerialNumber and CBC only;
#     SKI recipients ("error getting info"), RSAES-OAEP, AES-GCM ("error
#     getting IV") and ECDH fail for openssl's messages as for ours, and
#     importing an EC PKCS#12 crashes it.
#   NSS 3.87 cmsutil: RSA v1.5 with CBC only; RSAES-OAEP
#     (SEC_ERROR_UNSUPPORTED_KEYALG), AuthEnvelopedData (UNRECOGNIZED_OID)
#     and KeyAgreeRecipientInfo (BAD_DER, openssl's too; -E refuses EC).
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/interop/lib.sh
interop_setup

M=$W/m.bin
printf 'Content-Type: text/plain\r\n\r\nEnveloped interop body.\r\n.dot\r\n' > "$M"
openssl rand 3001 >> "$M"
printf '\r\nno final newline' >> "$M"

ours() {	# ours OUT [encrypt options...]: our message, or a FAIL line
	_o=$1; shift
	"$TOOL" encrypt "$@" -i "$M" -o "$_o" > "$W/enc.err" 2>&1 ||
	    { echo "FAIL interop-env-ours-$(basename "$_o" .der): $(cat "$W/enc.err")"; return 1; }
}

odec() {	# odec FILE NAME: openssl decrypts FILE to exactly $M
	openssl cms -decrypt -binary -inform DER -in "$1" -recip "$P/$2.pem" \
	    -inkey "$P/$2.key" -out "$W/odec.out" && cmp "$W/odec.out" "$M"
}

udec() {	# udec FILE NAME: we decrypt FILE to exactly $M
	"$TOOL" decrypt -c "$P/$2.pem" -k "$P/$2.key" -i "$1" \
	    -o "$W/udec.out" && cmp "$W/udec.out" "$M"
}

# ---- ours -> openssl ----------------------------------------------------
for rk in rsa:v15 rsa:oaep p256:ecdh p384:ecdh; do
	k=${rk%%:*} kt=${rk#*:}
	opt=""; [ "$kt" = oaep ] && opt=-R
	for a in aes128-cbc aes256-cbc aes128-gcm aes256-gcm; do
		for id in ias ski; do
			s=""; [ "$id" = ski ] && s=-s
			n=$k-$kt-$a-$id
			ours "$W/$n.der" -r "$P/$k.pem" $opt $s -a "$a" || continue
			cell "interop-env-ours-$n-openssl" odec "$W/$n.der" "$k"
		done
	done
done
# two recipients, RSA and EC: each one decrypts, with openssl and with us
for a in aes256-cbc aes128-gcm; do
	ours "$W/two-$a.der" -r "$P/rsa.pem" -r "$P/ecbob.pem" -a "$a" || continue
	cell "interop-env-ours-two-$a-rsa-openssl" odec "$W/two-$a.der" rsa
	cell "interop-env-ours-two-$a-ecbob-openssl" odec "$W/two-$a.der" ecbob
	cell "interop-env-ours-two-$a-rsa-ours" udec "$W/two-$a.der" rsa
	cell "interop-env-ours-two-$a-ecbob-ours" udec "$W/two-$a.der" ecbob
done
# a large message: 4-octet lengths, many chunks, bounded memory
head -c 3000000 /dev/urandom > "$W/big.bin"
for a in aes256-cbc aes256-gcm; do
	if "$TOOL" encrypt -r "$P/p256.pem" -a "$a" -i "$W/big.bin" \
	    -o "$W/big-$a.der" > "$W/enc.err" 2>&1; then
		cell "interop-env-ours-big-$a-openssl" sh -c "openssl cms \
		    -decrypt -binary -inform DER -in '$W/big-$a.der' -recip \
		    '$P/p256.pem' -inkey '$P/p256.key' | cmp -s - '$W/big.bin'"
	else
		echo "FAIL interop-env-ours-big-$a: $(cat "$W/enc.err")"
	fi
done

# streamed (indefinite lengths, ciphertext in chunks), as sign+encrypt
# writes it: openssl and we read it whole, GCM's mac after the chunks
for a in aes256-cbc aes128-gcm; do
	for k in rsa p256; do
		ours "$W/stream-$k-$a.der" -S -r "$P/$k.pem" -a "$a" || continue
		cell "interop-env-ours-streamed-$k-$a-openssl" odec \
		    "$W/stream-$k-$a.der" "$k"
		cell "interop-env-ours-streamed-$k-$a-ours" udec \
		    "$W/stream-$k-$a.der" "$k"
	done
done
if "$TOOL" encrypt -S -r "$P/p256.pem" -a aes256-cbc -i "$W/big.bin" \
    -o "$W/big-stream.der" > "$W/enc.err" 2>&1; then
	cell "interop-env-ours-streamed-big-openssl" sh -c "openssl cms \
	    -decrypt -binary -inform DER -in '$W/big-stream.der' -recip \
	    '$P/p256.pem' -inkey '$P/p256.key' | cmp -s - '$W/big.bin'"
else
	echo "FAIL interop-env-ours-streamed-big: $(cat "$W/enc.err")"
fi
ours "$W/stream-rsa-v15-cbc.der" -S -r "$P/rsa.pem" -a aes256-cbc &&
    stream_ok=1 || stream_ok=0

# ---- ours -> gpgsm (RSA v1.5, issuerAndSerialNumber, CBC) ---------------
gdec() {	# gdec FILE: gpgsm decrypts FILE to exactly $M
	echo test | gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 \
	    --decrypt -o "$W/gdec.out" "$1" && cmp "$W/gdec.out" "$M"
}
for a in aes128-cbc aes256-cbc; do
	rm -f "$W/gdec.out"
	cell "interop-env-ours-rsa-v15-$a-ias-gpgsm" gdec "$W/rsa-v15-$a-ias.der"
done
[ $stream_ok = 1 ] &&
    cell "interop-env-ours-streamed-rsa-v15-aes256-cbc-gpgsm" gdec \
    "$W/stream-rsa-v15-cbc.der"

# ---- ours -> NSS (RSA v1.5, CBC; both recipient identifiers) ------------
p12_of bob
pk12util -i "$P/rsa.p12" -d "$NSSDB" -W test > /dev/null 2>&1
pk12util -i "$P/bob.p12" -d "$NSSDB" -W test > /dev/null 2>&1
for a in aes128-cbc aes256-cbc; do
	for id in ias ski; do
		cell "interop-env-ours-rsa-v15-$a-$id-nss" sh -c "cmsutil -D \
		    -d '$NSSDB' -i '$W/rsa-v15-$a-$id.der' | cmp -s - '$M'"
	done
done
[ $stream_ok = 1 ] &&
    cell "interop-env-ours-streamed-rsa-v15-aes256-cbc-nss" sh -c "cmsutil \
    -D -d '$NSSDB' -i '$W/stream-rsa-v15-cbc.der' | cmp -s - '$M'"

# ---- theirs -> us: openssl ----------------------------------------------
oenc() {	# oenc NAME RECIP [openssl cms options...]
	_n=$1 _k=$2; shift 2
	openssl cms -encrypt -binary -in "$M" -outform DER \
	    -out "$W/theirs-$_n.der" -recip "$P/$_k.pem" "$@" \
	    2> "$W/oenc.err" || {
		echo "FAIL interop-env-openssl-$_n: openssl could not encrypt: $(head -n 2 "$W/oenc.err" | tr '\n' ' ')"
		return 1; }
}
for k in rsa p256 p384; do
	# des3: EC recipients get the RFC 3217 Triple-DES key wrap
	ciphers="aes128 aes256 aes-128-gcm aes-256-gcm des3"
	for c in $ciphers; do
		for v in plain stream keyid oaep kdf-sha256; do
			case $v:$k in
			plain:*) vo="" ;;
			stream:*) vo=-stream ;;
			keyid:*) vo=-keyid ;;
			oaep:rsa) vo="-keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256" ;;
			kdf-sha256:p*) vo="-keyopt ecdh_kdf_md:sha256" ;;
			*) continue ;;
			esac
			n=$k-$c-$v
			oenc "$n" "$k" "-$c" $vo || continue
			cell "interop-env-openssl-$n-ours" udec "$W/theirs-$n.der" "$k"
		done
	done
done
# RSAES-OAEP with openssl's defaults (SHA-1, MGF1-SHA-1)
oenc rsa-oaep-sha1 rsa -aes128 -keyopt rsa_padding_mode:oaep &&
    cell "interop-env-openssl-rsa-oaep-sha1-ours" udec "$W/theirs-rsa-oaep-sha1.der" rsa
# two recipients in one openssl message, streamed
openssl cms -encrypt -binary -stream -aes256 -in "$M" -outform DER \
    -out "$W/theirs-two.der" "$P/bob.pem" "$P/ecbob.pem" 2>/dev/null
cell "interop-env-openssl-two-bob-ours" udec "$W/theirs-two.der" bob
cell "interop-env-openssl-two-ecbob-ours" udec "$W/theirs-two.der" ecbob

# ---- theirs -> us: gpgsm, NSS -------------------------------------------
for c in default 2.16.840.1.101.3.4.1.42; do
	co=""; [ "$c" = default ] || co="--cipher-algo $c"
	n=gpgsm-$(echo "$c" | tr . -)
	if gpgsm --batch $co -r rsa@example.org --encrypt \
	    -o "$W/$n.der" "$M" 2> "$W/genc.err"; then
		cell "interop-env-$n-ours" udec "$W/$n.der" rsa
	else
		echo "FAIL interop-env-$n: gpgsm could not encrypt: $(tail -n 1 "$W/genc.err")"
	fi
done
if cmsutil -E -d "$NSSDB" -r rsa@example.org -i "$M" -o "$W/nss.der" \
    > "$W/nenc.err" 2>&1; then
	cell "interop-env-nss-rsa-ours" udec "$W/nss.der" rsa
else
	echo "FAIL interop-env-nss-rsa: cmsutil could not encrypt: $(tail -n 1 "$W/nenc.err")"
fi
if cmsutil -E -d "$NSSDB" -r rsa@example.org,bob@example.net -i "$M" \
    -o "$W/nss-two.der" > "$W/nenc.err" 2>&1; then
	cell "interop-env-nss-two-bob-ours" udec "$W/nss-two.der" bob
else
	echo "FAIL interop-env-nss-two: cmsutil could not encrypt: $(tail -n 1 "$W/nenc.err")"
fi

# ---- negative: each gives its precise verdict ---------------------------
neg() {	# neg NAME WANT-OUTPUT WANT-EXIT FILE CERT KEY
	_n=$1 _w=$2 _x=$3
	"$TOOL" decrypt -c "$P/$5.pem" -k "$P/$6.key" -i "$4" \
	    -o "$W/neg.out" > "$W/neg.txt" 2>&1
	_rc=$?
	if [ "$_rc" = "$_x" ] && grep -q -- "$_w" "$W/neg.txt"; then
		echo "ok interop-env-negative-$_n"
	else
		echo "FAIL interop-env-negative-$_n: want '$_w' exit $_x, got exit $_rc: $(head -n 2 "$W/neg.txt" | tr '\n' ' ')"
	fi
}
R=$W/rsa-v15-aes128-cbc-ias.der
G=$W/rsa-v15-aes128-gcm-ias.der
neg no-recipient "error: no matching recipient" 1 "$R" bob bob
neg no-recipient-ec "error: no matching recipient" 1 "$W/p256-ecdh-aes128-cbc-ias.der" ecbob ecbob
# RecipientInfo found, but the key behind it differs
neg wrong-key-rsa-cbc "^error: decryption failed$" 1 "$R" rsa bob
neg wrong-key-rsa-oaep-cbc "^error: decryption failed$" 1 "$W/rsa-oaep-aes256-cbc-ias.der" rsa bob
neg wrong-key-rsa-gcm "^error: authentication tag check failed$" 1 "$G" rsa bob
neg wrong-key-ec "^error: wrong key" 1 "$W/p256-ecdh-aes128-cbc-ias.der" p256 ecbob
# tampered ciphertext: CBC gives the same words as a wrong key
flip() {	# flip IN OUT OFFSET-FROM-END: xor one byte with 0x5a
	cp "$1" "$2"
	flip_byte "$2" $(( $(stat -c %s "$2") - $3 ))
}
# the last byte of the next-to-last block: the padding byte changes to
# one that is never valid, whatever the key
flip "$R" "$W/tamper-cbc.der" 17
neg tampered-cbc "^error: decryption failed$" 1 "$W/tamper-cbc.der" rsa rsa
"$TOOL" decrypt -c "$P/rsa.pem" -k "$P/bob.key" -i "$R" -o /dev/null > "$W/o1.txt" 2>&1
"$TOOL" decrypt -c "$P/rsa.pem" -k "$P/rsa.key" -i "$W/tamper-cbc.der" -o /dev/null > "$W/o2.txt" 2>&1
cell "interop-env-negative-no-padding-oracle" cmp "$W/o1.txt" "$W/o2.txt"
flip "$G" "$W/tamper-gcm.der" 40
neg tampered-gcm "^error: authentication tag check failed$" 1 "$W/tamper-gcm.der" rsa rsa
cell "interop-env-negative-tampered-gcm-no-plaintext" test ! -s "$W/neg.out"
flip "$G" "$W/tamper-mac.der" 1
neg tampered-gcm-mac "^error: authentication tag check failed$" 1 "$W/tamper-mac.der" rsa rsa
# the same tampered files are refused by openssl too (controls)
cell_fails "interop-env-negative-tampered-gcm-openssl" odec "$W/tamper-gcm.der" rsa
# truncated and garbage input: malformed, exit 65
head -c $(( $(stat -c %s "$R") / 2 )) "$R" > "$W/trunc.der"
neg truncated "^error: malformed" 65 "$W/trunc.der" rsa rsa
head -c 200 "$W/theirs-rsa-aes128-stream.der" > "$W/trunc.ber"
neg truncated-ber "^error: malformed" 65 "$W/trunc.ber" rsa rsa
head -c 1000 /dev/urandom > "$W/garbage.der"
neg garbage "^error: malformed" 65 "$W/garbage.der" rsa rsa
openssl cms -sign -binary -in "$M" -signer "$P/rsa.pem" -inkey "$P/rsa.key" \
    -outform DER -out "$W/signed.der" 2>/dev/null
neg signed-data "^error: not an EnvelopedData" 1 "$W/signed.der" rsa rsa
exit 0
