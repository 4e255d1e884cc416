#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# SignedData interop matrix.  Ours -> openssl cms, gpgsm, NSS cmsutil;
# theirs -> us; and the negative cases, each with its precise verdict.
# Every cell prints one ok/FAIL line named interop-sign-FROM-VARIANT-TO.
set -u
cd "$(dirname "$0")/../.." || exit 1
. regress/interop/lib.sh
interop_setup

printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nInterop test body.\r\n.leading dot\r\nFrom here\r\n' > "$W/m.txt"
M=$W/m.txt

# ---- ours -> openssl, gpgsm, NSS ------------------------------------
for v in rsa:sha256: rsa:sha384: rsa:sha512: rsa:sha256:-P rsa:sha512:-P \
    p256:sha256: p384:sha384: p521:sha512:; do
	key=${v%%:*}; rest=${v#*:}; md=${rest%%:*}; pss=${rest#*:}
	for form in detached opaque; do
		name=$key-$md${pss:+-pss}-$form
		o=$W/ours-$name.p7
		op=""; [ "$form" = opaque ] && op=-O
		if ! "$TOOL" sign -c "$P/$key.pem" -k "$P/$key.key" \
		    -C "$P/chain.pem" -m "$md" $pss $op -i "$M" -o "$o" \
		    > "$W/sign.err" 2>&1; then
			echo "FAIL interop-sign-ours-$name: $(cat "$W/sign.err")"
			continue
		fi
		if [ "$form" = detached ]; then
			cell "interop-sign-ours-$name-openssl" openssl cms -verify \
			    -binary -inform DER -in "$o" -content "$M" \
			    -CAfile "$P/root.pem" -purpose smimesign -out /dev/null
			cell "interop-sign-ours-$name-nss" cmsutil -D -d "$NSSDB" \
			    -i "$o" -c "$M" -u 4 -n
		else
			cell "interop-sign-ours-$name-openssl" sh -c "openssl cms \
			    -verify -binary -inform DER -in '$o' -CAfile \
			    '$P/root.pem' -purpose smimesign | cmp -s - '$M'"
			cell "interop-sign-ours-$name-nss" sh -c "cmsutil -D -d \
			    '$NSSDB' -i '$o' -u 4 | cmp -s - '$M'"
		fi
		# gpgsm does RSA (v1.5 and PSS); its ECDSA CMS support is
		# missing in 2.2, so EC cells are not run there.
		if [ "$key" = rsa ] && [ "$form" = detached ]; then
			cell "interop-sign-ours-$name-gpgsm" sh -c "gpgsm --batch \
			    --status-fd 1 --verify '$o' '$M' 2>/dev/null |
			    grep -q TRUST_FULLY"
		fi
	done
done
# the chain really travels in the message: NSS and openssl know only the root
cell "interop-sign-ours-chain-included" sh -c "openssl pkcs7 -inform DER \
    -in '$W/ours-rsa-sha256-detached.p7' -print_certs | grep -c 'subject=' |
    grep -qx 2"
# negative controls: the same verifiers must refuse a changed content
printf 'tampered\r\n' > "$W/bad.txt"
cell_fails "interop-sign-ours-tampered-openssl" openssl cms -verify -binary \
    -inform DER -in "$W/ours-rsa-sha256-detached.p7" -content "$W/bad.txt" \
    -CAfile "$P/root.pem" -out /dev/null
cell_fails "interop-sign-ours-tampered-nss" cmsutil -D -d "$NSSDB" \
    -i "$W/ours-rsa-sha256-detached.p7" -c "$W/bad.txt" -u 4 -n
cell_fails "interop-sign-ours-tampered-gpgsm" sh -c "gpgsm --batch \
    --status-fd 1 --verify '$W/ours-rsa-sha256-detached.p7' '$W/bad.txt' \
    2>/dev/null | grep -q GOODSIG"

# ---- theirs -> us -----------------------------------------------------
osign() {	# osign NAME KEY [openssl cms options...]
	n=$1 k=$2; shift 2
	openssl cms -sign -binary -in "$M" -signer "$P/$k.pem" \
	    -inkey "$P/$k.key" -certfile "$P/chain.pem" -outform DER \
	    -out "$W/theirs-$n.p7" "$@" 2>"$W/osign.err" ||
	    echo "FAIL interop-sign-openssl-$n: openssl could not sign: $(cat "$W/osign.err")"
}
osign rsa-detached rsa
osign rsa-opaque rsa -nodetach
osign rsa-ber-stream rsa -nodetach -stream
osign rsa-pss rsa -keyopt rsa_padding_mode:pss
osign rsa-pss-salt-max rsa -keyopt rsa_padding_mode:pss -keyopt rsa_pss_saltlen:max
osign rsa-sha512 rsa -md sha512
osign rsa-noattr rsa -noattr
osign rsa-noattr-opaque rsa -noattr -nodetach
osign p256 p256
osign p384-stream p384 -md sha384 -nodetach -stream
osign p521 p521 -md sha512
osign rsa-ski rsa -keyid
for n in rsa-detached rsa-pss rsa-pss-salt-max rsa-sha512 rsa-noattr p256 \
    p521 rsa-ski; do
	cell_says "interop-sign-openssl-$n-ours" "signer 0: ok email=" \
	    "$TOOL" verify -A "$P/root.pem" -c "$M" "$W/theirs-$n.p7"
done
for n in rsa-opaque rsa-ber-stream rsa-noattr-opaque p384-stream; do
	cell "interop-sign-openssl-$n-ours" sh -c "'$TOOL' verify -A \
	    '$P/root.pem' -o '$W/out-$n' '$W/theirs-$n.p7' && cmp '$W/out-$n' '$M'"
done
# two signers in one message
openssl cms -sign -binary -in "$M" -signer "$P/rsa.pem" -inkey "$P/rsa.key" \
    -signer "$P/p256.pem" -inkey "$P/p256.key" -certfile "$P/chain.pem" \
    -outform DER -out "$W/theirs-two.p7"
cell "interop-sign-openssl-two-signers-ours" sh -c "'$TOOL' verify -A \
    '$P/root.pem' -c '$M' '$W/theirs-two.p7' > '$W/two.out' &&
    grep -q '^signer .: ok email=p256@example.org' '$W/two.out' &&
    grep -q '^signer .: ok email=rsa@example.org' '$W/two.out'"

# gpgsm signs (RSA): import the identity, sign detached and opaque
echo test | gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 \
    -u rsa@example.org --detach-sign -o "$W/gpgsm-detached.p7" "$M" \
    2>"$W/gpgsm.err"
if [ ! -s "$W/gpgsm-detached.p7" ]; then
	echo "FAIL interop-sign-gpgsm-detached-ours: gpgsm did not sign: $(grep -v DBG "$W/gpgsm.err" "$W/gpgsm-import.log" | tail -n 6 | tr '\n' ' ')"
else
	cell_says "interop-sign-gpgsm-detached-ours" "signer 0: ok email=rsa@example.org" \
	    "$TOOL" verify -A "$P/root.pem" -c "$M" "$W/gpgsm-detached.p7"
fi
echo test | gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 \
    -u rsa@example.org --sign -o "$W/gpgsm-opaque.p7" "$M" \
    2>>"$W/gpgsm.err"
cell "interop-sign-gpgsm-opaque-ours" sh -c "'$TOOL' verify -A '$P/root.pem' \
    -o '$W/out-gpgsm' '$W/gpgsm-opaque.p7' && cmp '$W/out-gpgsm' '$M'"

# NSS signs: import the identities, sign detached (RSA) and opaque (P-256)
p12_of p256
pk12util -i "$P/rsa.p12" -d "$NSSDB" -W test > /dev/null 2>&1
pk12util -i "$P/p256.p12" -d "$NSSDB" -W test > /dev/null 2>&1
cmsutil -S -d "$NSSDB" -N rsa -G -P -T -i "$M" -o "$W/nss-detached.p7" 2>"$W/nss.err"
cell_says "interop-sign-nss-rsa-detached-ours" "signer 0: ok email=rsa@example.org" \
    "$TOOL" verify -A "$P/root.pem" -c "$M" "$W/nss-detached.p7"
cmsutil -S -d "$NSSDB" -N p256 -G -P -i "$M" -o "$W/nss-opaque.p7" 2>>"$W/nss.err"
cell "interop-sign-nss-p256-opaque-ours" sh -c "'$TOOL' verify -A '$P/root.pem' \
    -o '$W/out-nss' '$W/nss-opaque.p7' && cmp '$W/out-nss' '$M'"

# ---- negative: each gives its precise verdict ---------------------------
neg() {	# neg NAME KEY VERDICT [verify options]
	n=$1 k=$2 want=$3; shift 3
	"$TOOL" sign -c "$P/$k.pem" -k "$P/$k.key" -C "$P/chain.pem" -i "$M" \
	    -o "$W/neg-$n.p7" 2>/dev/null
	cell_says "interop-sign-negative-$n" "signer 0: $want" "$TOOL" verify \
	    -A "$P/root.pem" -c "$M" "$@" "$W/neg-$n.p7"
}
neg expired expired "certificate expired"
neg not-yet-valid future "certificate not yet valid"
neg key-usage noku "key usage does not allow signing"
neg eku noeku "extended key usage does not allow email protection"
neg revoked revoked "certificate revoked" -R "$P/crl.pem"
neg revoked-no-crl revoked "ok"
# anchored at a root that did not issue the chain
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/other.key" \
    -subj "/CN=Some Other Root" -days 30 -out "$W/other.pem" 2>/dev/null
cell_says "interop-sign-negative-untrusted-root" "signer 0: untrusted certificate chain" \
    "$TOOL" verify -A "$W/other.pem" -c "$M" "$W/ours-rsa-sha256-detached.p7"
cell_says "interop-sign-negative-tampered-content" "signer 0: content digest mismatch" \
    "$TOOL" verify -A "$P/root.pem" -c "$W/bad.txt" "$W/ours-rsa-sha256-detached.p7"
# a flipped byte in the signature value (the last bytes of the file)
cp "$W/ours-rsa-sha256-detached.p7" "$W/flip.p7"
sz=$(stat -c %s "$W/flip.p7")
flip_byte "$W/flip.p7" $((sz - 5))
cell_says "interop-sign-negative-flipped-signature" "signer 0: bad signature" \
    "$TOOL" verify -A "$P/root.pem" -c "$M" "$W/flip.p7"
# the validation time moves: valid at signing, expired later
cell_says "interop-sign-negative-time-after-expiry" "signer 0: certificate expired" \
    "$TOOL" verify -A "$P/root.pem" -c "$M" -t 4102444800 \
    "$W/ours-rsa-sha256-detached.p7"
exit 0
