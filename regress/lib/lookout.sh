# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
# Outbound mail through smtpd to recipients the filter looks up
# (directory.sh, smimea.sh).  Needs harness.sh ($W, h_send, h_delivered),
# $C (smimectl), and ok/fail.
#   lookout_store DIR CA   a store trusting CA, with a signing key for
#                          signer@example.net, owned by smtpd's user
#   out TAG RCPT           "secret TAG" from signer@example.net to RCPT;
#                          smtpd's reply in $W/TAG.reply
#   got TAG                the message delivered with Subject: TAG
#   opens TAG CERT KEY NAME  delivered encrypted, and KEY opens it

lookout_store() {
	"$C" -k "$1" init > /dev/null
	"$C" -k "$1" anchor import "$2" > /dev/null
	"$C" -k "$1" selfsign --ec P-256 --usage sign signer@example.net > /dev/null
	chown -R opensmtpd "$1"
}
out() {
	printf 'From: <signer@example.net>\nTo: <%s>\nSubject: %s\n\nsecret %s\n' \
	    "$2" "$1" "$1" > "$W/$1.eml"
	h_send --from signer@example.net --to "$2" --file "$W/$1.eml" \
	    > "$W/$1.reply" 2>&1
}
got() {
	for _f in $(h_delivered); do
		grep -q "^Subject: $1\$" "$_f" && { cat "$_f"; return 0; }
	done
	return 1
}
opens() {
	got "$1" > "$W/$1.got" || { fail "$1-delivered" "not delivered"; return; }
	if grep -q 'application/pkcs7-mime' "$W/$1.got" &&
	    openssl cms -decrypt -recip "$2" -inkey "$3" -in "$W/$1.got" \
	    2>/dev/null | grep -q "secret $1"; then
		ok "$1-$4"
	else
		fail "$1-$4" "$(head -c 300 "$W/$1.got")"
	fi
}
