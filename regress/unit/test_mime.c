/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Unit tests for smime/mime*.c: header sections, Content-Type,
 * multipart walking, transfer encodings and the canonical form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mbedtls/base64.h>

#include "mime.h"
#include "smime.h"
#include "unit.h"

/* 67 octets of 'a', for lines near the 76-column limit. */
#define A67	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
		"aaaaaaaaaaaa"

/* Literal with its length, NULs included. */
#define L(s)	(s), (sizeof(s) - 1)

static void
show(const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n && i < 400; i++) {
		unsigned char c = p[i];
		if (c == '\r')
			printf("\\r");
		else if (c == '\n')
			printf("\\n");
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	if (n > 400)
		printf("...");
}

static void
check_bytes(const char *name, const char *got, size_t gotlen,
    const char *want, size_t wantlen)
{
	if (gotlen == wantlen && (wantlen == 0 ||
	    memcmp(got, want, wantlen) == 0)) {
		UNIT_PASS(name);
		return;
	}
	printf("FAIL %s: got %zu \"", name, gotlen);
	show(got, gotlen);
	printf("\" want %zu \"", wantlen);
	show(want, wantlen);
	printf("\"\n");
	fflush(stdout);
	unit_failed = 1;
}

#define CHECK(name, p, n, lit)	check_bytes((name), (p), (n), L(lit))

/* Headers. */

static void
test_headers(void)
{
	static const char msg[] =
	    "From: a@example.org\r\n"
	    "Subject: hello\r\n"
	    " world\r\n"
	    "\tagain\r\n"
	    "To: b@example.org\r\n"
	    "\r\n"
	    "body\r\n";
	struct mime_entity	e;
	struct mime_hdr_iter	it;
	struct mime_field	f;
	char			buf[64];
	size_t			n;

	UNIT_OK("hdr.parse", mime_entity_parse(L(msg), &e) == MIME_OK);
	UNIT_OK("hdr.nfields", e.nfields == 3);
	UNIT_OK("hdr.has_sep", e.has_sep == 1);
	CHECK("hdr.sep", e.sep, e.seplen, "\r\n");
	CHECK("hdr.body", e.body, e.bodylen, "body\r\n");
	CHECK("hdr.section", e.hdr, e.hdrlen, "From: a@example.org\r\n"
	    "Subject: hello\r\n world\r\n\tagain\r\nTo: b@example.org\r\n");
	mime_hdr_iter_init(&it, &e);
	UNIT_OK("hdr.next1", mime_hdr_next(&it, &f) == 1);
	CHECK("hdr.name1", f.name, f.namelen, "From");
	CHECK("hdr.value1", f.value, f.valuelen, " a@example.org");
	UNIT_OK("hdr.next2", mime_hdr_next(&it, &f) == 1);
	CHECK("hdr.raw2", f.raw, f.rawlen,
	    "Subject: hello\r\n world\r\n\tagain\r\n");
	CHECK("hdr.value2", f.value, f.valuelen, " hello\r\n world\r\n\tagain");
	n = mime_unfold(f.value, f.valuelen, buf);
	CHECK("hdr.unfold", buf, n, "hello world\tagain");
	UNIT_OK("hdr.next3", mime_hdr_next(&it, &f) == 1);
	UNIT_OK("hdr.next.end", mime_hdr_next(&it, &f) == 0);
	UNIT_OK("hdr.find.case", mime_hdr_find(&e, "SUBJECT", 0, &f) == 0 &&
	    f.raw == msg + 21);
	UNIT_OK("hdr.find.none", mime_hdr_find(&e, "Cc", 0, &f) == -1);
}

static void
test_headers_lf(void)
{
	struct mime_entity	e;
	struct mime_field	f;

	UNIT_OK("hdr.lf.parse", mime_entity_parse(L(
	    "A: 1\nB: x\n  y\n\nline1\nline2"), &e) == MIME_OK);
	UNIT_OK("hdr.lf.nfields", e.nfields == 2);
	CHECK("hdr.lf.body", e.body, e.bodylen, "line1\nline2");
	UNIT_OK("hdr.lf.find", mime_hdr_find(&e, "b", 0, &f) == 0);
	CHECK("hdr.lf.value", f.value, f.valuelen, " x\n  y");
	CHECK("hdr.lf.raw", f.raw, f.rawlen, "B: x\n  y\n");

	/* No separator, no body, last line without line end. */
	UNIT_OK("hdr.nobody.parse",
	    mime_entity_parse(L("A: 1\r\nB: 2"), &e) == MIME_OK);
	UNIT_OK("hdr.nobody.sep", e.has_sep == 0 && e.seplen == 0 &&
	    e.bodylen == 0 && e.nfields == 2);
	UNIT_OK("hdr.nobody.find", mime_hdr_find(&e, "B", 0, &f) == 0);
	CHECK("hdr.nobody.value", f.value, f.valuelen, " 2");

	/* A line that is no field starts the body. */
	UNIT_OK("hdr.nosep.parse", mime_entity_parse(L(
	    "A: 1\nthis is text\nB: 2\n"), &e) == MIME_OK);
	UNIT_OK("hdr.nosep.fields", e.nfields == 1 && e.has_sep == 0);
	CHECK("hdr.nosep.body", e.body, e.bodylen, "this is text\nB: 2\n");

	/* An entity with no header fields at all. */
	UNIT_OK("hdr.empty.parse", mime_entity_parse(L("\r\nbody"), &e) ==
	    MIME_OK);
	UNIT_OK("hdr.empty.fields", e.nfields == 0 && e.has_sep == 1);
	CHECK("hdr.empty.body", e.body, e.bodylen, "body");
	UNIT_OK("hdr.zero", mime_entity_parse("", 0, &e) == MIME_OK &&
	    e.nfields == 0 && e.bodylen == 0);

	/* Continuation first: not a header. */
	UNIT_OK("hdr.cont.first", mime_entity_parse(L(" x: 1\n\nb"), &e) ==
	    MIME_OK && e.nfields == 0 && e.bodylen == 8);

	/* Bare CR is data; white space before the colon is accepted. */
	UNIT_OK("hdr.cr.parse", mime_entity_parse(L(
	    "Subject : a\rb\r\n\r\nx"), &e) == MIME_OK && e.nfields == 1);
	UNIT_OK("hdr.cr.find", mime_hdr_find(&e, "subject", 0, &f) == 0);
	CHECK("hdr.cr.name", f.name, f.namelen, "Subject");
	CHECK("hdr.cr.value", f.value, f.valuelen, " a\rb");
}

static void
test_headers_dup(void)
{
	static const char msg[] =
	    "Received: one\r\n"
	    "Content-Type: text/plain\r\n"
	    "received: two\r\n"
	    "Subject: s\r\n"
	    "RECEIVED: three\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "\r\n"
	    "b";
	struct mime_entity	e;
	struct mime_hdr_iter	it;
	struct mime_field	f;
	struct mime_buf		outer, inner;
	char			buf[32];
	size_t			n;

	UNIT_OK("dup.parse", mime_entity_parse(L(msg), &e) == MIME_OK);
	UNIT_OK("dup.count", mime_hdr_count(&e, "Received") == 3);
	UNIT_OK("dup.nth0", mime_hdr_find(&e, "received", 0, &f) == 0);
	n = mime_unfold(f.value, f.valuelen, buf);
	CHECK("dup.value0", buf, n, "one");
	UNIT_OK("dup.nth2", mime_hdr_find(&e, "received", 2, &f) == 0);
	n = mime_unfold(f.value, f.valuelen, buf);
	CHECK("dup.value2", buf, n, "three");
	UNIT_OK("dup.nth3", mime_hdr_find(&e, "received", 3, &f) == -1);

	/* Move Content-* into an inner entity, routing headers stay out. */
	mime_buf_init(&outer, 0);
	mime_buf_init(&inner, 0);
	mime_hdr_iter_init(&it, &e);
	while (mime_hdr_next(&it, &f)) {
		if (f.namelen >= 8 && strncasecmp(f.name, "content-", 8) == 0)
			mime_buf_write(&inner, f.raw, f.rawlen);
		else
			mime_buf_write(&outer, f.raw, f.rawlen);
	}
	CHECK("dup.split.outer", outer.data, outer.len,
	    "Received: one\r\nreceived: two\r\nSubject: s\r\n"
	    "RECEIVED: three\r\n");
	CHECK("dup.split.inner", inner.data, inner.len,
	    "Content-Type: text/plain\r\nContent-Transfer-Encoding: 7bit\r\n");
	mime_buf_clear(&outer);
	mime_buf_clear(&inner);
}

static void
test_headers_limits(void)
{
	struct mime_entity	 e;
	char			*big;
	size_t			 n = 1024 * 1024, i;

	if ((big = malloc(n + 64)) == NULL) {
		UNIT_FAIL("limit.alloc", "malloc");
		return;
	}
	/* One 1 MB field, folded every 70 octets. */
	memcpy(big, "X-Big: ", 7);
	for (i = 7; i < n; i++)
		big[i] = (i % 72 == 0) ? '\n' : (i % 72 == 1) ? ' ' : 'a';
	memcpy(big + n, "\n\nbody", 6);
	UNIT_OK("limit.hdrsize", mime_entity_parse(big, n + 6, &e) ==
	    MIME_E_HDRSIZE);
	/* One 1 MB line without folding. */
	memset(big + 7, 'b', n - 7);
	UNIT_OK("limit.longline", mime_entity_parse(big, n + 6, &e) ==
	    MIME_E_HDRSIZE);
	/* A long line under the limit is fine. */
	big[100000] = '\n';
	memcpy(big + 100001, "\nbody", 5);
	UNIT_OK("limit.longline.ok", mime_entity_parse(big, 100006, &e) ==
	    MIME_OK && e.nfields == 1 && e.bodylen == 4);
	/* Too many fields. */
	for (i = 0; i + 4 <= n; i += 4)
		memcpy(big + i, "A:\r\n", 4);
	UNIT_OK("limit.fields", mime_entity_parse(big, 4 * (MIME_MAX_FIELDS +
	    1), &e) == MIME_E_FIELDS);
	UNIT_OK("limit.fields.ok", mime_entity_parse(big, 4 * MIME_MAX_FIELDS,
	    &e) == MIME_OK && e.nfields == MIME_MAX_FIELDS);
	free(big);
	UNIT_OK("strerror", strcmp(mime_strerror(MIME_E_DEPTH),
	    "multipart nested too deeply") == 0 &&
	    strcmp(mime_strerror(-1), "unknown error") == 0);
}

/* Content-Type and Content-Transfer-Encoding. */

static void
check_param(const char *name, const struct mime_ctype *ct, const char *pname,
    const char *want, size_t wantlen)
{
	const struct mime_param	*p;

	if ((p = mime_ctype_param(ct, pname)) == NULL) {
		UNIT_FAIL(name, "no parameter %s", pname);
		return;
	}
	check_bytes(name, p->value, p->valuelen, want, wantlen);
}

static void
test_ctype(void)
{
	struct mime_ctype	ct;
	struct mime_span	b;

	mime_ctype_init(&ct);
	UNIT_OK("ct.signed", mime_ctype_parse(L(
	    " multipart/Signed; protocol=\"application/pkcs7-signature\";\r\n"
	    "\tmicalg=sha-256; boundary=\"----=_Part_1\""), &ct) == MIME_OK);
	UNIT_OK("ct.signed.type", strcmp(ct.type, "multipart") == 0 &&
	    strcmp(ct.subtype, "signed") == 0 && !ct.defaulted);
	UNIT_OK("ct.signed.n", ct.nparams == 3);
	check_param("ct.signed.protocol", &ct, "protocol",
	    L("application/pkcs7-signature"));
	check_param("ct.signed.micalg", &ct, "MICALG", L("sha-256"));
	UNIT_OK("ct.signed.boundary", mime_ctype_boundary(&ct, &b) == 0);
	CHECK("ct.signed.boundary.value", b.p, b.len, "----=_Part_1");
	UNIT_OK("ct.signed.kind", mime_smime_kind(&ct) == MIME_SMIME_SIGNED);

	UNIT_OK("ct.comments", mime_ctype_parse(L(
	    "(lead) Text (x) / PLAIN (y (nested \\) ) z) ; CHARSET = "
	    "\"us-ascii\" (trailing) ;"), &ct) == MIME_OK);
	UNIT_OK("ct.comments.type", mime_ctype_is(&ct, "text", "plain") &&
	    strcmp(ct.type, "text") == 0 && strcmp(ct.subtype, "plain") == 0);
	check_param("ct.comments.charset", &ct, "charset", L("us-ascii"));
	UNIT_OK("ct.comments.name", strcmp(ct.params[0].name, "charset") == 0);

	UNIT_OK("ct.escape", mime_ctype_parse(L(
	    "application/octet-stream; name=\"a \\\"b\\\" \\\\c;d\""), &ct) ==
	    MIME_OK);
	check_param("ct.escape.value", &ct, "name", L("a \"b\" \\c;d"));

	UNIT_OK("ct.unterminated", mime_ctype_parse(L(
	    "text/plain; name=\"abc"), &ct) == MIME_E_SYNTAX);
	UNIT_OK("ct.unterminated.type", mime_ctype_is(&ct, "text", "plain"));
	check_param("ct.unterminated.partial", &ct, "name", L("abc"));
	UNIT_OK("ct.unterminated.nul",
	    mime_ctype_param(&ct, "name")->value[3] == '\0');
	UNIT_OK("ct.unterminated.esc", mime_ctype_parse(L(
	    "text/plain; name=\"abc\\"), &ct) == MIME_E_SYNTAX);

	UNIT_OK("ct.2231", mime_ctype_parse(L(
	    "application/x-stuff; title*=us-ascii'en-us'This%20is%20"
	    "%2A%2A%2Afun%2a%2A%2A"), &ct) == MIME_OK);
	check_param("ct.2231.value", &ct, "title", L("This is ***fun***"));
	UNIT_OK("ct.2231.cont", mime_ctype_parse(L(
	    "application/x-stuff; name*0=\"smime\"; name*1=\".p7\";"
	    " name*2*=%6D; other=x"), &ct) == MIME_OK);
	check_param("ct.2231.cont.value", &ct, "name", L("smime.p7m"));
	check_param("ct.2231.cont.other", &ct, "other", L("x"));
	UNIT_OK("ct.2231.nul", mime_ctype_parse(L(
	    "a/b; x*=''a%00b"), &ct) == MIME_OK);
	check_param("ct.2231.nul.value", &ct, "x", L("a\0b"));

	UNIT_OK("ct.lenient", mime_ctype_parse(L(
	    "multipart/mixed; boundary==_abc?x/y=; charset=UTF-8"), &ct) ==
	    MIME_OK);
	check_param("ct.lenient.boundary", &ct, "boundary", L("=_abc?x/y="));

	UNIT_OK("ct.nosubtype", mime_ctype_parse(L("text"), &ct) ==
	    MIME_E_SYNTAX && ct.defaulted &&
	    mime_ctype_is(&ct, "text", "plain"));
	UNIT_OK("ct.empty", mime_ctype_parse("", 0, &ct) == MIME_E_SYNTAX &&
	    ct.defaulted);
	UNIT_OK("ct.2231.noname", mime_ctype_parse(L("a/b; *0*=x"), &ct) ==
	    MIME_E_SYNTAX && ct.nparams == 0);
	UNIT_OK("ct.noeq", mime_ctype_parse(L("text/plain; charset"), &ct) ==
	    MIME_E_SYNTAX);
	UNIT_OK("ct.garbage", mime_ctype_parse(L("text/plain x=y"), &ct) ==
	    MIME_E_SYNTAX);
	UNIT_OK("ct.noboundary", mime_ctype_parse(L("multipart/mixed"),
	    &ct) == MIME_OK && mime_ctype_boundary(&ct, &b) == -1);
	UNIT_OK("ct.emptyboundary", mime_ctype_parse(L(
	    "multipart/mixed; boundary=\"\""), &ct) == MIME_OK &&
	    mime_ctype_boundary(&ct, &b) == -1);
	UNIT_OK("ct.params.limit", mime_ctype_parse(L("a/b; a=1; b=2; c=3; "
	    "d=4; e=5; f=6; g=7; h=8; i=9; j=10; k=11; l=12; m=13; n=14; "
	    "o=15; p=16; q=17; r=18; s=19; t=20; u=21; v=22; w=23; x=24; "
	    "y=25; z=26; A1=27; A2=28; A3=29; A4=30; A5=31; A6=32; A7=33"),
	    &ct) == MIME_E_PARAMS && ct.nparams == MIME_MAX_PARAMS);
	UNIT_OK("ct.kind.p7", mime_ctype_parse(L(
	    "application/x-pkcs7-mime; smime-type=enveloped-data; "
	    "name=smime.p7m"), &ct) == MIME_OK &&
	    mime_smime_kind(&ct) == MIME_SMIME_PKCS7);
	check_param("ct.kind.p7.type", &ct, "smime-type", L("enveloped-data"));
	UNIT_OK("ct.kind.enc", mime_ctype_parse(L("multipart/encrypted; "
	    "boundary=x"), &ct) == MIME_OK &&
	    mime_smime_kind(&ct) == MIME_SMIME_ENCRYPTED);
	UNIT_OK("ct.kind.sig", mime_ctype_parse(L(
	    "application/pkcs7-signature"), &ct) == MIME_OK &&
	    mime_smime_kind(&ct) == MIME_SMIME_SIGNATURE);
	UNIT_OK("ct.kind.none", mime_ctype_parse(L("multipart/mixed; "
	    "boundary=x"), &ct) == MIME_OK &&
	    mime_smime_kind(&ct) == MIME_SMIME_NONE);
	mime_ctype_clear(&ct);
	UNIT_OK("ct.clear", ct.buf == NULL && ct.defaulted);

	UNIT_OK("cte.base64", mime_cte_parse(L(" Base64 ")) ==
	    MIME_CTE_BASE64);
	UNIT_OK("cte.qp", mime_cte_parse(L("(c) quoted-PRINTABLE (d)")) ==
	    MIME_CTE_QP);
	UNIT_OK("cte.8bit", mime_cte_parse(L("8BIT")) == MIME_CTE_8BIT);
	UNIT_OK("cte.binary", mime_cte_parse(L("binary")) == MIME_CTE_BINARY);
	UNIT_OK("cte.unknown", mime_cte_parse(L("x-uuencode")) ==
	    MIME_CTE_UNKNOWN);
	UNIT_OK("cte.name", strcmp(mime_cte_name(MIME_CTE_QP),
	    "quoted-printable") == 0);
}

static void
test_entity_ctype(void)
{
	struct mime_entity	e;
	struct mime_ctype	ct;

	mime_ctype_init(&ct);
	UNIT_OK("ect.absent", mime_entity_parse(L("Subject: x\n\nb"), &e) ==
	    MIME_OK && mime_entity_ctype(&e, &ct) == MIME_OK &&
	    ct.defaulted && mime_ctype_is(&ct, "text", "plain"));
	UNIT_OK("ect.cte.absent", mime_entity_cte(&e) == MIME_CTE_7BIT);
	UNIT_OK("ect.folded", mime_entity_parse(L(
	    "content-type: multipart/mixed;\n boundary=\"b1\"\n"
	    "Content-Transfer-Encoding: 7bit\n\n"), &e) == MIME_OK &&
	    mime_entity_ctype(&e, &ct) == MIME_OK &&
	    mime_ctype_is(&ct, "multipart", "mixed"));
	check_param("ect.folded.boundary", &ct, "boundary", L("b1"));
	UNIT_OK("ect.broken", mime_entity_parse(L(
	    "Content-Type: ;;;\n\n"), &e) == MIME_OK &&
	    mime_entity_ctype(&e, &ct) == MIME_OK && ct.defaulted);
	mime_ctype_clear(&ct);

	UNIT_OK("smime.yes", mime_is_smime(L("Content-Type: application/"
	    "pkcs7-mime; smime-type=signed-data\r\n\r\nMIIB")) == 1);
	UNIT_OK("smime.signed", mime_is_smime(L("Content-Type: multipart/"
	    "signed; boundary=x\r\n\r\n")) == 1);
	UNIT_OK("smime.no", mime_is_smime(L("Content-Type: text/plain\r\n"
	    "\r\nx")) == 0);
	UNIT_OK("smime.nohdr", mime_is_smime(L("hello")) == 0);
}

/* Multipart. */

static void
test_multipart(void)
{
	static const char body[] =
	    "preamble\r\n"
	    "--b\r\n"
	    "A: 1\r\n\r\npart1\r\n"
	    "--b \t\r\n"
	    "\r\npart2\r\n\r\n"
	    "--bb\r\n"
	    "--b x\r\n"
	    "--b--\r\n"
	    "epilogue\r\n";
	struct mime_mp		mp;
	struct mime_span	part;

	mime_mp_init(&mp, L(body), "b", 1);
	UNIT_OK("mp.next1", mime_mp_next(&mp, &part) == 1);
	CHECK("mp.part1", part.p, part.len, "A: 1\r\n\r\npart1");
	CHECK("mp.preamble", mp.preamble.p, mp.preamble.len, "preamble");
	UNIT_OK("mp.next2", mime_mp_next(&mp, &part) == 1);
	CHECK("mp.part2", part.p, part.len,
	    "\r\npart2\r\n\r\n--bb\r\n--b x");
	UNIT_OK("mp.end", mime_mp_next(&mp, &part) == 0 &&
	    mime_mp_next(&mp, &part) == 0);
	UNIT_OK("mp.state", mp.closed && mp.close_eol && mp.nparts == 2 &&
	    mp.err == MIME_OK && !mp.delim_at_start);
	CHECK("mp.epilogue", mp.epilogue.p, mp.epilogue.len, "epilogue\r\n");

	mime_mp_init(&mp, L("--b\nx\n\n--b--"), "b", 1);
	UNIT_OK("mp.lf.next", mime_mp_next(&mp, &part) == 1);
	CHECK("mp.lf.part", part.p, part.len, "x\n");
	UNIT_OK("mp.lf.end", mime_mp_next(&mp, &part) == 0 && mp.closed &&
	    !mp.close_eol && mp.delim_at_start && mp.epilogue.len == 0 &&
	    mp.preamble.len == 0);

	mime_mp_init(&mp, L("--b\r\nx\r\n--b\r\ny\r\n"), "b", 1);
	UNIT_OK("mp.noclose.1", mime_mp_next(&mp, &part) == 1);
	CHECK("mp.noclose.part1", part.p, part.len, "x");
	UNIT_OK("mp.noclose.2", mime_mp_next(&mp, &part) == 1);
	CHECK("mp.noclose.part2", part.p, part.len, "y\r\n");
	UNIT_OK("mp.noclose.err", mime_mp_next(&mp, &part) == 0 &&
	    mp.err == MIME_E_NOCLOSE && !mp.closed);

	mime_mp_init(&mp, L("no delimiters\r\n--c\r\n"), "b", 1);
	UNIT_OK("mp.nodelim", mime_mp_next(&mp, &part) == 0 &&
	    mp.err == MIME_E_NODELIM && mp.nparts == 0);
	mime_mp_init(&mp, L("pre\n--b--\nepi"), "b", 1);
	UNIT_OK("mp.closefirst", mime_mp_start(&mp) == MIME_OK &&
	    mime_mp_next(&mp, &part) == 0 && mp.closed && mp.nparts == 0);
	CHECK("mp.closefirst.epi", mp.epilogue.p, mp.epilogue.len, "epi");
	mime_mp_init(&mp, L("--b\r\n--b\r\n--b--"), "b", 1);
	UNIT_OK("mp.empty.parts", mime_mp_next(&mp, &part) == 1 &&
	    part.len == 0 && mime_mp_next(&mp, &part) == 1 &&
	    part.len == 0 && mime_mp_next(&mp, &part) == 0 && mp.closed);
}

/* The first part of a multipart/signed: what a verifier hashes. */
static void
test_signed_span(void)
{
	static const char msg[] =
	    "From: a@example.org\n"
	    "Content-Type: multipart/signed; protocol=\"application/"
	    "pkcs7-signature\"; micalg=sha-256; boundary=\"sig\"\n"
	    "\n"
	    "This is an S/MIME signed message\n"
	    "\n"
	    "--sig\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "signed text\r\n"
	    "\r\n"
	    "--sig\r\n"
	    "Content-Type: application/pkcs7-signature; name=smime.p7s\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n"
	    "MIIB\r\n"
	    "--sig--\r\n";
	struct mime_entity	e;
	struct mime_ctype	ct;
	struct mime_span	b, part;
	struct mime_mp		mp;

	mime_ctype_init(&ct);
	UNIT_OK("signed.parse", mime_entity_parse(L(msg), &e) == MIME_OK &&
	    mime_entity_ctype(&e, &ct) == MIME_OK &&
	    mime_ctype_boundary(&ct, &b) == 0);
	mime_mp_init(&mp, e.body, e.bodylen, b.p, b.len);
	UNIT_OK("signed.part1", mime_mp_next(&mp, &part) == 1);
	CHECK("signed.part1.bytes", part.p, part.len,
	    "Content-Type: text/plain\r\n\r\nsigned text\r\n");
	CHECK("signed.preamble", mp.preamble.p, mp.preamble.len,
	    "This is an S/MIME signed message\n");
	UNIT_OK("signed.part2", mime_mp_next(&mp, &part) == 1);
	CHECK("signed.part2.bytes", part.p, part.len,
	    "Content-Type: application/pkcs7-signature; name=smime.p7s\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nMIIB");
	UNIT_OK("signed.end", mime_mp_next(&mp, &part) == 0 && mp.closed);
	mime_ctype_clear(&ct);
}

struct walk_count {
	size_t		nodes;
	size_t		leaves;
	unsigned int	maxdepth;
	int		nobnd;
};

static int
walk_cb(void *arg, const struct mime_node *n)
{
	struct walk_count	*w = arg;

	w->nodes++;
	if (!mime_ctype_is(n->ct, "multipart", NULL))
		w->leaves++;
	if (n->depth > w->maxdepth)
		w->maxdepth = n->depth;
	if (n->mperr == MIME_E_NOBOUNDARY)
		w->nobnd++;
	return 0;
}

static int
walk_stop(void *arg, const struct mime_node *n)
{
	(void)arg;
	return n->depth == 1;
}

static void
test_walk(void)
{
	static const char msg[] =
	    "Content-Type: multipart/mixed; boundary=outer\n\n"
	    "--outer\n"
	    "Content-Type: multipart/alternative; boundary=inner\n\n"
	    "--inner\nContent-Type: text/plain\n\nplain\n"
	    "--inner\nContent-Type: text/html\n\n<p>html</p>\n"
	    "--inner--\n"
	    "--outer\n"
	    "Content-Type: application/octet-stream\n\nAAAA\n"
	    "--outer\n"
	    "Content-Type: multipart/mixed\n\nno boundary\n"
	    "--outer--\n";
	struct walk_count	w;

	memset(&w, 0, sizeof(w));
	UNIT_OK("walk.nested", mime_walk(L(msg), walk_cb, &w) ==
	    MIME_E_NOBOUNDARY);
	UNIT_OK("walk.nested.counts", w.nodes == 6 && w.leaves == 3 &&
	    w.maxdepth == 2 && w.nobnd == 1);
	UNIT_OK("walk.stop", mime_walk(L(msg), walk_stop, NULL) ==
	    MIME_E_CALLBACK);
	memset(&w, 0, sizeof(w));
	UNIT_OK("walk.noclose", mime_walk(L(
	    "Content-Type: multipart/mixed; boundary=x\n\n--x\n\na\n--x\n\nb"),
	    walk_cb, &w) == MIME_E_NOCLOSE && w.nodes == 3);
	memset(&w, 0, sizeof(w));
	UNIT_OK("walk.nodelim", mime_walk(L(
	    "Content-Type: multipart/mixed; boundary=x\n\nnothing"),
	    walk_cb, &w) == MIME_E_NODELIM && w.nodes == 1);
	UNIT_OK("walk.leaf", mime_walk(L("plain"), NULL, NULL) == MIME_OK);

	memset(&w, 0, sizeof(w));
	UNIT_OK("walk.rfc822", mime_walk(L(
	    "Content-Type: multipart/mixed; boundary=x\n\n"
	    "--x\nContent-Type: message/rfc822\n\n"
	    "Subject: inner\nContent-Type: multipart/mixed; boundary=y\n\n"
	    "--y\n\ninner part\n--y--\n"
	    "--x\nContent-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: base64\n\nU3ViamVjdDogeA==\n"
	    "--x--\n"), walk_cb, &w) == MIME_OK);
	UNIT_OK("walk.rfc822.counts", w.nodes == 5 && w.maxdepth == 3 &&
	    w.leaves == 3);
}

/* depth nested multiparts, each with one part; a text leaf inside. */
static char *
make_nested(size_t depth, size_t *lenp)
{
	struct mime_buf	b;
	char		line[128];
	size_t		i;
	int		n, ok = 1;

	mime_buf_init(&b, 0);
	for (i = 0; i < depth; i++) {
		n = snprintf(line, sizeof(line), "Content-Type: "
		    "multipart/mixed; boundary=b%zu\n\n--b%zu\n", i, i);
		ok &= mime_buf_write(&b, line, (size_t)n) == 0;
	}
	ok &= mime_buf_write(&b, L("Content-Type: text/plain\n\nleaf")) == 0;
	for (i = depth; i-- > 0;) {
		n = snprintf(line, sizeof(line), "\n--b%zu--", i);
		ok &= mime_buf_write(&b, line, (size_t)n) == 0;
	}
	if (!ok) {
		mime_buf_clear(&b);
		return NULL;
	}
	*lenp = b.len;
	return b.data;
}

/* depth message/rfc822 entities, one inside the other. */
static char *
make_messages(size_t depth, size_t *lenp)
{
	struct mime_buf	b;
	size_t		i;
	int		ok = 1;

	mime_buf_init(&b, 0);
	for (i = 0; i < depth; i++)
		ok &= mime_buf_write(&b, L("Content-Type: message/rfc822\n\n"))
		    == 0;
	ok &= mime_buf_write(&b, L("Subject: leaf\n\nx\n")) == 0;
	if (!ok) {
		mime_buf_clear(&b);
		return NULL;
	}
	*lenp = b.len;
	return b.data;
}

static int
discard(void *arg, const void *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return 0;
}

static void
test_depth(void)
{
	struct walk_count	 w;
	char			*m;
	size_t			 len;

	if ((m = make_nested(10000, &len)) == NULL) {
		UNIT_FAIL("depth.alloc", "malloc");
		return;
	}
	UNIT_OK("depth.10000.walk", mime_walk(m, len, NULL, NULL) ==
	    MIME_E_DEPTH);
	UNIT_OK("depth.10000.canon", mime_canon(m, len, discard, NULL) ==
	    MIME_E_DEPTH);
	free(m);
	if ((m = make_messages(10000, &len)) == NULL) {
		UNIT_FAIL("depth.alloc", "malloc");
		return;
	}
	UNIT_OK("depth.rfc822.walk", mime_walk(m, len, NULL, NULL) ==
	    MIME_E_DEPTH);
	UNIT_OK("depth.rfc822.canon", mime_canon(m, len, discard, NULL) ==
	    MIME_E_DEPTH);
	free(m);
	if ((m = make_nested(MIME_MAX_DEPTH - 1, &len)) == NULL) {
		UNIT_FAIL("depth.alloc", "malloc");
		return;
	}
	memset(&w, 0, sizeof(w));
	UNIT_OK("depth.max.walk", mime_walk(m, len, walk_cb, &w) == MIME_OK &&
	    w.nodes == MIME_MAX_DEPTH && w.leaves == 1);
	UNIT_OK("depth.max.canon", mime_canon(m, len, discard, NULL) ==
	    MIME_OK);
	free(m);
	if ((m = make_nested(MIME_MAX_DEPTH, &len)) == NULL) {
		UNIT_FAIL("depth.alloc", "malloc");
		return;
	}
	UNIT_OK("depth.over.walk", mime_walk(m, len, NULL, NULL) ==
	    MIME_E_DEPTH);
	free(m);
}

static void
test_many_parts(void)
{
	struct mime_buf		b;
	struct walk_count	w;
	struct mime_buf		out;
	clock_t			t0;
	double			secs;
	size_t			i;
	int			ok = 1;

	mime_buf_init(&b, 0);
	ok &= mime_buf_write(&b, L("Content-Type: multipart/mixed; "
	    "boundary=p\r\n\r\n")) == 0;
	for (i = 0; i < 100000; i++)
		ok &= mime_buf_write(&b, L("--p\r\n\r\nx\r\n")) == 0;
	ok &= mime_buf_write(&b, L("--p--\r\n")) == 0;
	if (!ok) {
		UNIT_FAIL("many.alloc", "malloc");
		mime_buf_clear(&b);
		return;
	}
	memset(&w, 0, sizeof(w));
	t0 = clock();
	UNIT_OK("many.walk", mime_walk(b.data, b.len, walk_cb, &w) ==
	    MIME_OK && w.leaves == 100000);
	mime_buf_init(&out, 0);
	UNIT_OK("many.canon", mime_canon(b.data, b.len, mime_buf_write,
	    &out) == MIME_OK);
	UNIT_OK("many.canon.same", out.len == b.len &&
	    memcmp(out.data, b.data, b.len) == 0);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	if (secs < 1.0)
		UNIT_PASS("many.time");
	else
		UNIT_FAIL("many.time", "%.2f s for 100000 parts", secs);
	mime_buf_clear(&out);
	mime_buf_clear(&b);
}

/* Transfer encodings. */

static void
test_base64(void)
{
	static const struct {
		const char	*in, *out;
	} v[] = {	/* RFC 4648 §10 */
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	struct mime_buf	b;
	char		name[64], want[64];
	size_t		i, n;

	mime_buf_init(&b, 0);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(name, sizeof(name), "b64.enc.%zu", i);
		b.len = 0;
		n = (size_t)snprintf(want, sizeof(want), "%s%s", v[i].out,
		    *v[i].out ? "\r\n" : "");
		if (mime_b64_encode(v[i].in, strlen(v[i].in), MIME_ENC_CRLF,
		    &b) != MIME_OK)
			UNIT_FAIL(name, "error");
		else
			check_bytes(name, b.data, b.len, want, n);
		snprintf(name, sizeof(name), "b64.dec.%zu", i);
		b.len = 0;
		if (mime_b64_decode(v[i].out, strlen(v[i].out), &b) != MIME_OK)
			UNIT_FAIL(name, "error");
		else
			check_bytes(name, b.data, b.len, v[i].in,
			    strlen(v[i].in));
	}
	b.len = 0;
	UNIT_OK("b64.enc.lf", mime_b64_encode(L("foob"), 0, &b) == MIME_OK);
	CHECK("b64.enc.lf.bytes", b.data, b.len, "Zm9vYg==\n");
	b.len = 0;
	UNIT_OK("b64.dec.ws", mime_b64_decode(L(" Zm9v\r\n YmFy \t\n\n"),
	    &b) == MIME_OK);
	CHECK("b64.dec.ws.bytes", b.data, b.len, "foobar");
	b.len = 0;
	UNIT_OK("b64.dec.nopad", mime_b64_decode(L("Zm9vYg"), &b) == MIME_OK);
	CHECK("b64.dec.nopad.bytes", b.data, b.len, "foob");
	b.len = 0;
	UNIT_OK("b64.dec.nopad2", mime_b64_decode(L("Zm9vYmE\r\n"), &b) ==
	    MIME_OK);
	CHECK("b64.dec.nopad2.bytes", b.data, b.len, "fooba");
	b.len = 0;
	UNIT_OK("b64.dec.halfpad", mime_b64_decode(L("Zg="), &b) == MIME_OK);
	CHECK("b64.dec.halfpad.bytes", b.data, b.len, "f");
	UNIT_OK("b64.dec.garbage", mime_b64_decode(L("Zm9v!mFy"), &b) ==
	    MIME_E_BASE64);
	UNIT_OK("b64.dec.lone", mime_b64_decode(L("Zm9vY"), &b) ==
	    MIME_E_BASE64);
	UNIT_OK("b64.dec.afterpad", mime_b64_decode(L("Zg==Zg=="), &b) ==
	    MIME_E_BASE64);
	UNIT_OK("b64.dec.pad3", mime_b64_decode(L("Z==="), &b) ==
	    MIME_E_BASE64);
	UNIT_OK("b64.dec.toomuchpad", mime_b64_decode(L("Zg==="), &b) ==
	    MIME_E_BASE64);
	UNIT_OK("b64.dec.8bit", mime_b64_decode(L("Zm9v\xc3\xa9"), &b) ==
	    MIME_E_BASE64);

	/* 57 octets make one full 76-column line. */
	b.len = 0;
	UNIT_OK("b64.cols", mime_b64_encode(L(
	    "0123456789012345678901234567890123456789012345678901234567"),
	    MIME_ENC_CRLF, &b) == MIME_OK);
	CHECK("b64.cols.bytes", b.data, b.len,
	    "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0"
	    "NTY3ODkwMTIzNDU2\r\nNw==\r\n");
	mime_buf_clear(&b);
}

static void
test_qp(void)
{
	struct mime_buf	b;

	mime_buf_init(&b, 0);
#define QPD(name, in, want) do {					\
	b.len = 0;							\
	if (mime_qp_decode(L(in), &b) != MIME_OK)			\
		UNIT_FAIL(name, "error");				\
	else								\
		CHECK(name, b.data, b.len, want);			\
} while (0)
#define QPE(name, flags, in, want) do {					\
	b.len = 0;							\
	if (mime_qp_encode(L(in), (flags), &b) != MIME_OK)		\
		UNIT_FAIL(name, "error");				\
	else								\
		CHECK(name, b.data, b.len, want);			\
} while (0)
	QPD("qpd.basic", "a=3Db=\r\nc", "a=bc");
	QPD("qpd.lower", "caf=c3=a9", "caf\xc3\xa9");
	QPD("qpd.bad", "=XY=4=\x01z", "=XY=4=\x01z");
	QPD("qpd.badhex2", "=4g", "=4g");
	QPD("qpd.end1", "ab=4", "ab=4");
	QPD("qpd.endeq", "ab=", "ab");
	QPD("qpd.trailing", "abc  \r\ndef\t \nghi  ", "abc\r\ndef\nghi");
	QPD("qpd.soft.pad", "ab= \t\r\ncd", "abcd");
	QPD("qpd.soft.lf", "ab=\ncd", "abcd");
	QPD("qpd.notsoft", "ab= x", "ab= x");
	QPD("qpd.ws.inner", "a b\tc", "a b\tc");
	QPD("qpd.bare.cr", "a\rb \r \r\n", "a\rb \r\r\n");
	QPD("qpd.ws.eq", "a =\r\nb", "a b");
	QPD("qpd.eq.eq", "==3D", "==");

	QPE("qpe.eq", 0, "a=b", "a=3Db");
	QPE("qpe.8bit", 0, "caf\xe9\x00", "caf=E9=00");
	QPE("qpe.trailing", 0, "trailing  \nx\t\n", "trailing =20\nx=09\n");
	QPE("qpe.trailing.eof", 0, "end ", "end=20");
	QPE("qpe.from", 0, "From me\nno From\n", "=46rom me\nno From\n");
	QPE("qpe.dot", 0, ".\n..\n", "=2E\n=2E.\n");
	QPE("qpe.dash", 0, "--b\na-b\n", "=2D-b\na-b\n");
	QPE("qpe.crlf", MIME_ENC_CRLF, "a\nb\r\nc", "a\r\nb\r\nc");
	QPE("qpe.crlf.in", 0, "a\r\nb", "a\nb");
	QPE("qpe.bare.cr", 0, "a\rb \r\r", "a=0Db =0D=0D");
	QPE("qpe.ws.cr", 0, "a \rb", "a =0Db");
	QPE("qpe.long", 0,
	    A67
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    A67
	    "aaaaaaaa=\naaaaaaaaaaaaaaaaaaaaaaaaa\n");
	/* The escape must not be split by a soft break. */
	QPE("qpe.long.esc", 0,
	    A67
	    "aaaaaa\xff",
	    A67
	    "aaaaaa=\n=FF");
	/* An 'F' that a soft break puts at a line start. */
	QPE("qpe.long.from", 0,
	    A67
	    "aaaaaaaaFrom",
	    A67
	    "aaaaaaaa=\n=46rom");
	/* A soft break must not make a delimiter-looking line. */
	QPE("qpe.long.dash", 0,
	    A67
	    "aaaaaaaa--b",
	    A67
	    "aaaaaaaa=\n=2D-b");
#undef QPD
#undef QPE
	mime_buf_clear(&b);
}

/* Random data, random chunking: streaming must match one-shot. */

static uint32_t rng_state = 12345;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

enum { C_B64E, C_B64D, C_QPE, C_QPD };

static int
chunked(int which, const char *p, size_t n, int flags, struct mime_buf *b)
{
	struct mime_b64enc	be;
	struct mime_b64dec	bd;
	struct mime_qpenc	qe;
	struct mime_qpdec	qd;
	size_t			off = 0, k;
	int			error = 0;

	mime_b64enc_init(&be, flags);
	mime_b64dec_init(&bd);
	mime_qpenc_init(&qe, flags);
	mime_qpdec_init(&qd);
	while (off < n && error == 0) {
		/* small pieces, and some past a base64 line (57) */
		k = rng() % 8 == 0 ? 0 : rng() % 4 == 0 ? 1 + rng() % 300 :
		    1 + rng() % 9;
		if (k > n - off)
			k = n - off;
		switch (which) {
		case C_B64E:
			error = mime_b64enc_update(&be, p + off, k,
			    mime_buf_write, b);
			break;
		case C_B64D:
			error = mime_b64dec_update(&bd, p + off, k,
			    mime_buf_write, b);
			break;
		case C_QPE:
			error = mime_qpenc_update(&qe, p + off, k,
			    mime_buf_write, b);
			break;
		default:
			error = mime_qpdec_update(&qd, p + off, k,
			    mime_buf_write, b);
			break;
		}
		off += k;
	}
	if (error)
		return error;
	switch (which) {
	case C_B64E:
		return mime_b64enc_final(&be, mime_buf_write, b);
	case C_B64D:
		return mime_b64dec_final(&bd, mime_buf_write, b);
	case C_QPE:
		return mime_qpenc_final(&qe, mime_buf_write, b);
	default:
		return mime_qpdec_final(&qd, mime_buf_write, b);
	}
}

static int
same(const struct mime_buf *a, const struct mime_buf *b)
{
	return a->len == b->len && (a->len == 0 ||
	    memcmp(a->data, b->data, a->len) == 0);
}

/* Every output line ends CRLF or LF as asked and is at most 76 long. */
static int
lines_ok(const struct mime_buf *b, int crlf)
{
	size_t	i, col = 0;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\n') {
			if (crlf != (i > 0 && b->data[i - 1] == '\r'))
				return 0;
			col = 0;
		} else if (b->data[i] != '\r' && ++col > 76)
			return 0;
	}
	return 1;
}

/* mime_clean over p in pieces of at most max against the whole test. */
static int
clean_agrees(const char *p, size_t n, size_t max)
{
	struct mime_clean c;
	size_t off = 0, k;

	mime_clean_init(&c);
	while (off < n) {
		k = rng() % (max + 1);
		if (k > n - off)
			k = n - off;
		mime_clean_update(&c, p + off, k);
		off += k;
	}
	return mime_clean_final(&c) == !mime_body_needs_encoding(p, n);
}

/*
 * The line test made as a message is written, against the test of the
 * whole: lines cut at every place that matters, then random ones.
 */
/*
 * Every octet value at every place of lines of 1..80 octets (the 16-
 * and 8-octet steps of the test and their tails): NUL, CR and 8-bit
 * octets need encoding, anything else does not, but a CR right before
 * the LF, which is a CRLF.  The expectation is written out here, not
 * taken from the code under test.
 */
static void
test_clean_octets(void)
{
	char	line[82];
	size_t	len, at;
	int	c, want, bad = 0;

	for (len = 1; len <= 80; len++)
		for (at = 0; at < len; at++)
			for (c = 0; c < 256; c++) {
				if (c == '\n')
					continue;
				memset(line, 'a', len);
				line[at] = (char)c;
				line[len] = '\n';
				want = c == 0 || c >= 0x80 || (c == '\r' &&
				    at + 1 < len);
				/* trailing white space needs encoding too */
				if (at + 1 == len && (c == ' ' || c == '\t'))
					want = 1;
				if (mime_body_needs_encoding(line, len + 1) !=
				    want)
					bad++;
			}
	UNIT_OK("clean.every-octet-everywhere", bad == 0);
}

/*
 * LF text with no CR, NUL or 8-bit octet, the kind the line test takes
 * in one pass: only a line too long, "From " at a line's start or white
 * space at its end makes it need encoding.  Both outcomes must occur.
 */
static void
test_clean_lf_text(void)
{
	static char text[3000];
	size_t len, ll, i;
	int bad = 0, round, dirty = 0, clean = 0;

	for (round = 0; round < 3000; round++) {
		len = 0;
		do {
			ll = rng() % 40 == 0 ? 994 + rng() % 8 : rng() % 90;
			for (i = 0; i < ll; i++)
				text[len + i] = (char)('a' + rng() % 26);
			if (ll >= 5 && rng() % 400 == 0)
				memcpy(text + len, "From ", 5);
			if (ll > 0 && rng() % 400 == 0)
				text[len + ll - 1] = rng() % 2 ? ' ' : '\t';
			len += ll;
			text[len++] = '\n';
		} while (len < sizeof(text) - 1100 && rng() % 25 != 0);
		if (rng() % 4 == 0)	/* a last line without its LF */
			len--;
		bad += !clean_agrees(text, len, 1 + rng() % 2000);
		if (mime_body_needs_encoding(text, len))
			dirty++;
		else
			clean++;
	}
	UNIT_OK("clean.lf-text", bad == 0 && dirty > 300 && clean > 300);
}

static void
test_clean(void)
{
	static const char *const cut[] = {
		"a\nFrom me\nb\n", "a\nFrom\nb\n", "x \r\ny\n",
		"x\t\ny", "a\rb\n", "a\r", "a\r\n", "tail ", "ok\r\nok",
		"\n\n\n", "", "caf\xc3\xa9\n", "nul\0\n", ".\n..\n",
	};
	static char line[3000];
	size_t i, k, len;
	int bad = 0, round;

	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++)
		for (k = 1; k < 8; k++)
			bad += !clean_agrees(cut[i], strlen(cut[i]) +
			    (strstr(cut[i], "nul") != NULL ? 2 : 0), k);
	UNIT_OK("clean.cut-lines", bad == 0);
	/* lines of 997..1001 octets, LF or CRLF, in pieces of any size */
	bad = 0;
	for (len = 996; len <= 1001; len++) {
		memset(line, 'x', len);
		memcpy(line + len, "\r\nok\n", 6);
		for (k = 1; k < 1200; k += 37)
			bad += !clean_agrees(line, len + 6, k) ||
			    !clean_agrees(line + 1, len + 4, k);
	}
	UNIT_OK("clean.line-limit", bad == 0);
	bad = 0;
	for (round = 0; round < 3000; round++) {
		len = rng() % sizeof(line);
		for (i = 0; i < len; i++)
			line[i] = rng() % 50 == 0 ? "\r \t\xe9\0F"[rng() % 6] :
			    rng() % 40 == 0 ? '\n' : rng() % 700 == 0 ?
			    "From "[0] : 'a' + (char)(rng() % 26);
		if (round % 3 == 0)	/* long clean runs, long lines */
			for (i = 0; i < len; i++)
				if (line[i] != '\n')
					line[i] = 'b';
		bad += !clean_agrees(line, len, 1 + rng() % 2000);
	}
	UNIT_OK("clean.random", bad == 0);
	test_clean_lf_text();
	test_clean_octets();
}

/*
 * Our base64 against mbedTLS's, for every length to 400 and a few long
 * ones: the same characters, in lines of 76 (the last shorter).
 */
static void
test_b64_reference(void)
{
	static unsigned char data[5000], ref[7000], flat[7000];
	struct mime_buf	enc;
	size_t		n, i, j, reflen, col;
	int		bad = 0;

	mime_buf_init(&enc, 0);
	for (n = 0; n < 420 && !bad; n++) {
		size_t len = n < 400 ? n : 400 + (n - 400) * 229;

		for (i = 0; i < len; i++)
			data[i] = (unsigned char)rng();
		enc.len = 0;
		if (mime_b64_encode((const char *)data, len, MIME_ENC_CRLF,
		    &enc) != 0 || mbedtls_base64_encode(ref, sizeof(ref),
		    &reflen, data, len) != 0) {
			bad = 1;
			break;
		}
		for (i = j = col = 0; i < enc.len; i++) {
			if (enc.data[i] == '\r')
				continue;
			if (enc.data[i] == '\n') {
				if (col != 76 && i + 1 != enc.len)
					bad = 1;
				col = 0;
				continue;
			}
			col++;
			flat[j++] = (unsigned char)enc.data[i];
		}
		if (j != reflen || memcmp(flat, ref, reflen) != 0)
			bad = 1;
	}
	UNIT_OK("base64.as-mbedtls", !bad);
	mime_buf_clear(&enc);
}

/* Decoded one octet per call: the state machine alone, no quanta. */
static int
b64_by_octet(const char *p, size_t n, struct mime_buf *b)
{
	struct mime_b64dec	d;
	size_t			i;
	int			error = MIME_OK;

	mime_b64dec_init(&d);
	for (i = 0; i < n && error == MIME_OK; i++)
		error = mime_b64dec_update(&d, p + i, 1, mime_buf_write, b);
	return error != MIME_OK ? error :
	    mime_b64dec_final(&d, mime_buf_write, b);
}

/*
 * The decoder's fast path (whole quanta at once) against its state
 * machine, on text that is mostly base64 with white space, padding,
 * 8-bit octets, NUL and other junk where a hostile sender puts them:
 * the same octets and the same error, every time.
 */
static void
test_b64_quanta(void)
{
	static const char junk[] = " \t\r\n=!*-.\xc3\xff";
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	struct mime_buf	one, each;
	char		in[600];
	size_t		n, i;
	int		round, e1, e2, differ = 0, errors = 0;

	mime_buf_init(&one, 0);
	mime_buf_init(&each, 0);
	for (round = 0; round < 20000; round++) {
		n = rng() % sizeof(in);
		for (i = 0; i < n; i++) {
			if (rng() % (round % 7 == 0 ? 4 : 80) != 0)
				in[i] = alpha[rng() % (sizeof(alpha) - 1)];
			else if (rng() % 11 == 0)
				in[i] = '\0';
			else
				in[i] = junk[rng() % (sizeof(junk) - 1)];
		}
		one.len = each.len = 0;
		e1 = mime_b64_decode(in, n, &one);
		e2 = b64_by_octet(in, n, &each);
		if (e1 != e2 || (e1 == MIME_OK && !same(&one, &each)))
			differ++;
		if (e1 != MIME_OK)
			errors++;
	}
	UNIT_OK("base64.quanta-as-octets", differ == 0);
	/* the inputs reached both outcomes */
	UNIT_OK("base64.quanta-both-outcomes", errors > 100 &&
	    errors < 19900);
	mime_buf_clear(&one);
	mime_buf_clear(&each);
}

/*
 * smime_lf_write, chunked at random, against the rule it keeps: the CR
 * of each CRLF dropped, every other octet (a lone CR too) kept.
 */
static void
test_lf_write(void)
{
	static char data[4000], want[4000];
	struct mime_buf	got;
	struct smime_lf	lf;
	size_t		n, i, w, off, k;
	int		round, bad = 0;

	mime_buf_init(&got, 0);
	for (round = 0; round < 300 && !bad; round++) {
		n = rng() % sizeof(data);
		for (i = 0; i < n; i++)
			data[i] = "\r\nab"[rng() % 4];
		for (i = w = 0; i < n; i++)
			if (!(data[i] == '\r' && i + 1 < n &&
			    data[i + 1] == '\n'))
				want[w++] = data[i];
		memset(&lf, 0, sizeof(lf));
		lf.fn = mime_buf_write;
		lf.arg = &got;
		got.len = 0;
		for (off = 0; off < n; off += k) {
			k = rng() % 4 == 0 ? 0 : 1 + rng() % 7;
			if (k > n - off)
				k = n - off;
			if (smime_lf_write(&lf, data + off, k) != 0)
				bad = 1;
		}
		if (smime_lf_flush(&lf) != 0 || got.len != w ||
		    (w > 0 && memcmp(got.data, want, w) != 0))
			bad = 1;
	}
	UNIT_OK("lf-write.chunked", !bad);
	mime_buf_clear(&got);
}

static void
test_roundtrip(void)
{
	struct mime_buf	enc, enc2, dec, dec2;
	char		data[3000], qpish[600];
	static const char alpha[] = "=AF0a \t\r\n.x";
	size_t		n, i;
	int		round, bad_b64 = 0, bad_qp = 0, bad_qpd = 0, flags;

	mime_buf_init(&enc, 0);
	mime_buf_init(&enc2, 0);
	mime_buf_init(&dec, 0);
	mime_buf_init(&dec2, 0);
	for (round = 0; round < 300; round++) {
		n = rng() % sizeof(data);
		for (i = 0; i < n; i++)
			data[i] = rng() % 4 == 0 ? " \t\nF."[rng() % 5] :
			    (char)rng();
		flags = round % 2 ? MIME_ENC_CRLF : 0;
		enc.len = enc2.len = dec.len = dec2.len = 0;
		/* base64: one-shot == chunked, decode(chunked) == data */
		if (mime_b64_encode(data, n, flags, &enc) != 0 ||
		    chunked(C_B64E, data, n, flags, &enc2) != 0 ||
		    !same(&enc, &enc2) || !lines_ok(&enc, flags) ||
		    chunked(C_B64D, enc.data, enc.len, 0, &dec) != 0 ||
		    dec.len != n || (n && memcmp(dec.data, data, n) != 0))
			bad_b64++;
		/* QP: no CR so that line ends come back as they were. */
		for (i = 0; i < n; i++)
			if (data[i] == '\r')
				data[i] = 'r';
		enc.len = enc2.len = dec.len = 0;
		if (mime_qp_encode(data, n, 0, &enc) != 0 ||
		    chunked(C_QPE, data, n, 0, &enc2) != 0 ||
		    !same(&enc, &enc2) || !lines_ok(&enc, 0) ||
		    chunked(C_QPD, enc.data, enc.len, 0, &dec) != 0 ||
		    dec.len != n || (n && memcmp(dec.data, data, n) != 0))
			bad_qp++;
		/* QP decoding of QP-looking noise: chunking-independent. */
		n = rng() % sizeof(qpish);
		for (i = 0; i < n; i++)
			qpish[i] = alpha[rng() % (sizeof(alpha) - 1)];
		dec.len = dec2.len = 0;
		if (mime_qp_decode(qpish, n, &dec) != 0 ||
		    chunked(C_QPD, qpish, n, 0, &dec2) != 0 ||
		    !same(&dec, &dec2))
			bad_qpd++;
		/* And QP encoding of it, with CRs, CRLF output. */
		enc.len = enc2.len = 0;
		if (mime_qp_encode(qpish, n, MIME_ENC_CRLF, &enc) != 0 ||
		    chunked(C_QPE, qpish, n, MIME_ENC_CRLF, &enc2) != 0 ||
		    !same(&enc, &enc2) || !lines_ok(&enc, 1))
			bad_qpd++;
	}
	UNIT_OK("roundtrip.base64", bad_b64 == 0);
	test_b64_reference();
	test_b64_quanta();
	test_clean();
	test_lf_write();
	UNIT_OK("roundtrip.qp", bad_qp == 0);
	UNIT_OK("roundtrip.qp.chunking", bad_qpd == 0);
	mime_buf_clear(&enc);
	mime_buf_clear(&enc2);
	mime_buf_clear(&dec);
	mime_buf_clear(&dec2);
}

/* Canonical form. */

static void
check_canon(const char *name, const char *in, size_t inlen, int wanterr,
    const char *want, size_t wantlen)
{
	struct mime_buf	b;
	int		error;

	mime_buf_init(&b, 0);
	if ((error = mime_canon(in, inlen, mime_buf_write, &b)) != wanterr)
		UNIT_FAIL(name, "error %d (%s), want %d", error,
		    mime_strerror(error), wanterr);
	else if (wanterr == MIME_OK)
		check_bytes(name, b.data, b.len, want, wantlen);
	else
		UNIT_PASS(name);
	mime_buf_clear(&b);
}

#define CANON(name, in, want) \
	check_canon((name), L(in), MIME_OK, L(want))

static void
test_canon(void)
{
	CANON("canon.7bit.lf",
	    "Content-Type: text/plain\nSubject: a\n b\n\nhello\nworld\n",
	    "Content-Type: text/plain\r\nSubject: a\r\n b\r\n\r\n"
	    "hello\r\nworld\r\n");
	CANON("canon.7bit.crlf",
	    "Content-Type: text/plain\r\n\r\nhello\r\nworld",
	    "Content-Type: text/plain\r\n\r\nhello\r\nworld");
	CANON("canon.8bit",
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "Subject: x\n\n"
	    "caf\xc3\xa9 \nFrom here\n",
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Subject: x\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "caf=C3=A9=20\r\n=46rom here\r\n");
	CANON("canon.trailing",
	    "Content-Type: text/plain\n\nline \n",
	    "Content-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "line=20\r\n");
	CANON("canon.nul",
	    "Content-Type: text/plain\n\na\0b\n",
	    "Content-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "YQBiDQo=\r\n");
	CANON("canon.binary",
	    "Content-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: binary\n\n\x01\x02\n\x80",
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "AQIKgA==\r\n");
	CANON("canon.b64.dirty",
	    "Content-Type: image/png\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "Zm9v \r\nYmFy\r\n",
	    "Content-Type: image/png\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "Zm9vYmFy\r\n");
	CANON("canon.b64.clean",
	    "Content-Type: image/png\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "Zm9v\nYmFy\n",
	    "Content-Type: image/png\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "Zm9v\r\nYmFy\r\n");
	CANON("canon.qp.dirty",
	    "Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "From x=3D\xe9\n",
	    "Content-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "=46rom x=3D=E9\r\n");
	CANON("canon.nohdr", "caf\xe9\n",
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "caf=E9\r\n");
	CANON("canon.unknown.cte",
	    "Content-Transfer-Encoding: x-uuencode\n\nbegin \n",
	    "Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin \r\n");
	CANON("canon.multipart",
	    "Content-Type: multipart/mixed; boundary=XX\n\n"
	    "pre\n"
	    "--XX\n"
	    "Content-Type: text/plain\n\nplain\n"
	    "--XX\n"
	    "Content-Type: text/plain\n\n\xff\n"
	    "--XX--\n"
	    "epi\n",
	    "Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
	    "pre\r\n"
	    "--XX\r\n"
	    "Content-Type: text/plain\r\n\r\nplain\r\n"
	    "--XX\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n=FF\r\n"
	    "--XX--\r\n"
	    "epi\r\n");
	CANON("canon.nested",
	    "Content-Type: multipart/mixed; boundary=o\n\n"
	    "--o\n"
	    "Content-Type: multipart/alternative; boundary=i\n\n"
	    "--i\n\nx \n--i--\n"
	    "--o--",
	    "Content-Type: multipart/mixed; boundary=o\r\n\r\n"
	    "--o\r\n"
	    "Content-Type: multipart/alternative; boundary=i\r\n\r\n"
	    "--i\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\nx=20\r\n"
	    "--i--\r\n"
	    "--o--");
	CANON("canon.noclose",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n",
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n"
	    "x\r\n\r\n--b--\r\n");
	CANON("canon.nodelim",
	    "Content-Type: multipart/mixed; boundary=b\n\nno parts\n",
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\nno parts\r\n");
	CANON("canon.padding",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b  \n\nx\n--b-- \n",
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n"
	    "x\r\n--b--\r\n");
	CANON("canon.rfc822",
	    "Content-Type: multipart/mixed; boundary=x\n\n"
	    "--x\n"
	    "Content-Type: message/rfc822\n\n"
	    "Subject: fwd\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n"
	    "\xc3\xa9t\xc3\xa9\n"
	    "--x--\n",
	    "Content-Type: multipart/mixed; boundary=x\r\n\r\n"
	    "--x\r\n"
	    "Content-Type: message/rfc822\r\n\r\n"
	    "Subject: fwd\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "=C3=A9t=C3=A9\r\n"
	    "--x--\r\n");
	CANON("canon.rfc822.base64",
	    "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: base64\n\nU3ViamVjdDog\n",
	    "Content-Type: message/rfc822\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDog\r\n");
	CANON("canon.mostly.binary",
	    "Content-Type: text/plain\n\n\x01\x02\x03\x04 \n",
	    "Content-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "AQIDBCANCg==\r\n");
	check_canon("canon.bad.b64", L("Content-Transfer-Encoding: base64\n\n"
	    "Zm9v!\x80"), MIME_E_BASE64, NULL, 0);

	UNIT_OK("needs.clean", !mime_body_needs_encoding(L("a\r\nb\nc")));
	UNIT_OK("needs.8bit", mime_body_needs_encoding(L("a\xe9")));
	UNIT_OK("needs.nul", mime_body_needs_encoding(L("a\0")));
	UNIT_OK("needs.cr", mime_body_needs_encoding(L("a\rb\n")));
	UNIT_OK("needs.cr.end", mime_body_needs_encoding(L("a\r")));
	UNIT_OK("needs.ws", mime_body_needs_encoding(L("a\t\r\nb")));
	UNIT_OK("needs.ws.end", mime_body_needs_encoding(L("a ")));
	UNIT_OK("needs.from", mime_body_needs_encoding(L("x\nFrom y")));
	UNIT_OK("needs.from.not", !mime_body_needs_encoding(L("x\nFromy")));
}

static void
test_canon_long(void)
{
	static const char hdr[] = "Content-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
	struct mime_buf	in, want;
	char		line[1200];
	size_t		i;
	int		ok = 1;

	/* A 1000-octet line comes out as 13 soft-broken lines of 75. */
	mime_buf_init(&in, 0);
	mime_buf_init(&want, 0);
	memset(line, 'a', sizeof(line));
	ok &= mime_buf_write(&in, L("Content-Type: text/plain\n\n")) == 0;
	ok &= mime_buf_write(&in, line, 1000) == 0;
	ok &= mime_buf_write(&in, "\n", 1) == 0;
	ok &= mime_buf_write(&want, L(hdr)) == 0;
	for (i = 0; i < 13; i++) {
		ok &= mime_buf_write(&want, line, 75) == 0;
		ok &= mime_buf_write(&want, L("=\r\n")) == 0;
	}
	ok &= mime_buf_write(&want, line, 25) == 0;
	ok &= mime_buf_write(&want, L("\r\n")) == 0;
	if (ok)
		check_canon("canon.longline", in.data, in.len, MIME_OK,
		    want.data, want.len);
	else
		UNIT_FAIL("canon.longline", "malloc");
	mime_buf_clear(&in);
	mime_buf_clear(&want);

	memset(line, 'a', sizeof(line));
	line[998] = '\n';
	UNIT_OK("needs.998", !mime_body_needs_encoding(line, 999));
	UNIT_OK("needs.999", mime_body_needs_encoding(line, 999 + 1) == 0);
	line[998] = 'a';
	line[999] = '\n';
	UNIT_OK("needs.long", mime_body_needs_encoding(line, 1000));
	UNIT_OK("needs.long.eof", mime_body_needs_encoding(line, 999));
	line[998] = '\r';
	UNIT_OK("needs.998.crlf", !mime_body_needs_encoding(line, 1000));
}

/* LF -> CRLF the simple way, for comparing with the chunked passes. */
static void
naive_crlf(const char *p, size_t n, struct mime_buf *out)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			(void)mime_buf_write(out, "\r", 1);
		(void)mime_buf_write(out, p + i, 1);
	}
}

static int	reclaimed;

static void
count_reclaim(void *arg)
{
	(void)arg;
	reclaimed++;
}

/*
 * The passes read large bodies MIME_CHUNK octets at a time: a CRLF split
 * by a chunk edge, a decoder fed across edges and an entity whose header
 * and body are apart all give what one pass over a copy gives, and the
 * reclaim hook is called as the input is read.
 */
static void
test_canon_chunks(void)
{
	const char *hdr = "Content-Type: text/plain\n\n";
	size_t hl = strlen(hdr), bl = 3 * MIME_CHUNK + 17, i;
	struct mime_buf msg, got, want, dec;
	struct mime_entity e, sep;
	char *body;

	if ((body = malloc(bl)) == NULL)
		return;
	for (i = 0; i < bl; i++)
		body[i] = (char)(i % 61 == 60 ? '\n' : 'a' + i % 26);
	/* a CRLF across the first edge, a CR alone at the second */
	body[MIME_CHUNK - 1] = '\r';
	body[MIME_CHUNK] = '\n';
	body[2 * MIME_CHUNK - 1] = 'x';
	mime_buf_init(&msg, 0);
	mime_buf_init(&got, 0);
	mime_buf_init(&want, 0);
	mime_buf_init(&dec, 0);
	(void)mime_buf_write(&msg, hdr, hl);
	(void)mime_buf_write(&msg, body, bl);
	naive_crlf(msg.data, msg.len, &want);
	reclaimed = 0;
	mime_set_reclaim(count_reclaim, NULL);
	UNIT_OK("chunks.crlf.edge", mime_canon(msg.data, msg.len,
	    mime_buf_write, &got) == MIME_OK && got.len == want.len &&
	    memcmp(got.data, want.data, got.len) == 0);
	/* header and body apart: the same octets */
	mime_buf_clear(&got);
	if (mime_entity_parse(msg.data, msg.len, &e) == MIME_OK &&
	    mime_entity_parse(hdr, hl, &sep) == MIME_OK) {
		sep.body = body;
		sep.bodylen = bl;
		UNIT_OK("chunks.entity.apart", mime_canon_entity(&sep,
		    mime_buf_write, &got) == MIME_OK && got.len == want.len &&
		    memcmp(got.data, want.data, got.len) == 0);
	} else
		UNIT_FAIL("chunks.entity.apart", "parse");
	/* 8-bit text over several chunks: quoted-printable, decoding back */
	for (i = 0; i < bl; i++)
		body[i] = (char)(i % 61 == 60 ? '\n' : i % 7 == 0 ? 0xe9 :
		    'a' + i % 26);
	mime_buf_clear(&msg);
	mime_buf_clear(&got);
	mime_buf_clear(&want);
	(void)mime_buf_write(&msg, hdr, hl);
	(void)mime_buf_write(&msg, body, bl);
	naive_crlf(body, bl, &want);
	if (mime_canon(msg.data, msg.len, mime_buf_write, &got) == MIME_OK &&
	    mime_entity_parse(got.data, got.len, &e) == MIME_OK &&
	    mime_entity_cte(&e) == MIME_CTE_QP &&
	    mime_qp_decode(e.body, e.bodylen, &dec) == MIME_OK)
		UNIT_OK("chunks.qp.roundtrip", dec.len == want.len &&
		    memcmp(dec.data, want.data, dec.len) == 0);
	else
		UNIT_FAIL("chunks.qp.roundtrip", "not re-encoded as QP");
	free(body);
	/* twice MIME_RECLAIM read: the hook ran at least twice */
	bl = 2 * MIME_RECLAIM + 100;
	if ((body = malloc(bl)) == NULL)
		return;
	for (i = 0; i < bl; i++)
		body[i] = i % 70 == 69 ? '\n' : 'z';
	sep.body = body;
	sep.bodylen = bl;
	reclaimed = 0;
	UNIT_OK("chunks.reclaim.called", mime_canon_entity(&sep, discard,
	    NULL) == MIME_OK && reclaimed >= 2);
	mime_set_reclaim(NULL, NULL);
	reclaimed = 0;
	UNIT_OK("chunks.reclaim.off", mime_canon_entity(&sep, discard,
	    NULL) == MIME_OK && reclaimed == 0);
	free(body);
	mime_buf_clear(&msg);
	mime_buf_clear(&got);
	mime_buf_clear(&want);
	mime_buf_clear(&dec);
}

/* Scratch space without a provider is memory: written, then read. */
static void
test_scratch(void)
{
	struct mime_scratch sc;
	const char *p;
	size_t n;

	UNIT_OK("scratch.open", mime_scratch_open(&sc) == 0);
	UNIT_OK("scratch.write", mime_scratch_write(&sc, "abc", 3) == 0 &&
	    mime_scratch_write(&sc, "de", 2) == 0);
	UNIT_OK("scratch.map", mime_scratch_map(&sc, &p, &n) == 0 && n == 5 &&
	    memcmp(p, "abcde", 5) == 0);
	mime_scratch_close(&sc);
	UNIT_OK("scratch.closed", sc.buf.data == NULL && sc.ext == NULL);
}

int
main(void)
{
	test_headers();
	test_headers_lf();
	test_headers_dup();
	test_headers_limits();
	test_ctype();
	test_entity_ctype();
	test_multipart();
	test_signed_span();
	test_walk();
	test_depth();
	test_many_parts();
	test_base64();
	test_qp();
	test_roundtrip();
	test_canon();
	test_canon_long();
	test_canon_chunks();
	test_scratch();
	UNIT_EXIT();
}
