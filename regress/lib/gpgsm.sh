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
