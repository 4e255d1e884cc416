/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* proto: version detection, responses, stuffing, limits, commit timing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "unit.h"

static void
feed(struct filter *f, const char *line)
{
	size_t len = strlen(line);
	char *copy = malloc(len + 1);

	if (copy == NULL)
		abort();
	memcpy(copy, line, len + 1);
	proto_line(f, copy, len, 0);
	free(copy);
}

/* Take what the filter wrote so far, as a string the caller frees. */
static char *
take(struct filter *f)
{
	size_t n = buf_used(&f->out);
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	if (n > 0)
		memcpy(s, buf_head(&f->out), n);
	s[n] = '\0';
	buf_consume(&f->out, n);
	return s;
}

static void
handshake(struct filter *f, const char *version)
{
	char line[64];

	(void)filter_init(f, 1 << 20, 1 << 16, "/tmp");
	snprintf(line, sizeof(line), "config|smtpd-version|%s", version);
	feed(f, line);
	feed(f, "config|ready");
	free(take(f));
}

static void
test_versions(void)
{
	UNIT_OK("version-6.7.0", proto_version_from(NULL, "6.7.0") == 6);
	UNIT_OK("version-6.8.0p2", proto_version_from(NULL, "6.8.0p2") == 6);
	UNIT_OK("version-7.3.0", proto_version_from(NULL, "7.3.0") == 6);
	UNIT_OK("version-7.4.0", proto_version_from(NULL, "7.4.0") == 7);
	UNIT_OK("version-7.5.0p0", proto_version_from(NULL, "7.5.0p0") == 7);
	UNIT_OK("version-protocol-key", proto_version_from("0.7", "7.6.0") == 7);
	UNIT_OK("version-protocol-wins", proto_version_from("0.6", "7.6.0") == 6);
	UNIT_OK("version-6.6-refused", proto_version_from(NULL, "6.6.4p1") == -1);
	UNIT_OK("version-0.8-refused", proto_version_from("0.8", "7.9.0") == -1);
	UNIT_OK("version-8-refused", proto_version_from(NULL, "8.0.0") == -1);
	UNIT_OK("version-junk-refused", proto_version_from(NULL, "x.y") == -1);
	UNIT_OK("version-empty-refused", proto_version_from(NULL, "") == -1);
	UNIT_OK("version-missing-refused", proto_version_from(NULL, NULL) == -1);
}

static void
test_handshake(void)
{
	struct filter f;
	char *out;

	(void)filter_init(&f, 1 << 20, 1 << 16, "/tmp");
	feed(&f, "config|smtpd-version|6.8.0p2");
	feed(&f, "config|admd|x|y");
	out = take(&f);
	UNIT_OK("handshake-silent-before-ready", out[0] == '\0');
	free(out);
	feed(&f, "config|ready");
	out = take(&f);
	UNIT_OK("handshake-registers", strstr(out,
	    "register|filter|smtp-in|data-line\n") != NULL &&
	    strstr(out, "register|filter|smtp-in|commit\n") != NULL);
	UNIT_OK("handshake-ready-last", strlen(out) > 15 &&
	    strcmp(out + strlen(out) - 15, "register|ready\n") == 0);
	UNIT_OK("handshake-no-other-phases", strstr(out, "mail-from") == NULL &&
	    strstr(out, "smtp-in|connect\n") == NULL);
	free(out);
	UNIT_OK("handshake-running", f.phase == PHASE_RUNNING &&
	    f.proto_minor == 6);
	filter_free(&f);
}

static void
test_stuffing(void)
{
	struct filter f;
	char *out;

	handshake(&f, "6.8.0p2");
	feed(&f, "filter|0.6|1|smtp-in|data-line|0000000000000001|00000000000000aa|..a");
	feed(&f, "filter|0.6|1|smtp-in|data-line|0000000000000001|00000000000000aa|..");
	feed(&f, "filter|0.6|1|smtp-in|data-line|0000000000000001|00000000000000aa|b|c");
	feed(&f, "filter|0.6|1|smtp-in|data-line|0000000000000001|00000000000000aa|.");
	out = take(&f);
	UNIT_OK("stuffing-kept", strcmp(out,
	    "filter-dataline|0000000000000001|00000000000000aa|..a\n"
	    "filter-dataline|0000000000000001|00000000000000aa|..\n"
	    "filter-dataline|0000000000000001|00000000000000aa|b|c\n"
	    "filter-dataline|0000000000000001|00000000000000aa|.\n") == 0);
	free(out);
	feed(&f, "filter|0.6|1|smtp-in|commit|0000000000000001|00000000000000bb|");
	out = take(&f);
	UNIT_OK("commit-proceed", strcmp(out,
	    "filter-result|0000000000000001|00000000000000bb|proceed\n") == 0);
	free(out);
	filter_free(&f);
}

/* 0.6: 50 bytes of prefix + 1997 = 2047 passes, one more cannot. */
static void
test_limit(const char *version, size_t len, int want_pass, const char *name)
{
	struct filter f;
	char *line, *out;
	size_t pre;

	handshake(&f, version);
	pre = strlen("filter|0.6|1|smtp-in|data-line|0000000000000001|00000000000000aa|");
	if ((line = malloc(pre + len + 1)) == NULL)
		abort();
	memcpy(line, "filter|0.6|1|smtp-in|data-line|0000000000000001|00000000000000aa|", pre);
	memset(line + pre, 'x', len);
	line[pre + len] = '\0';
	feed(&f, line);
	free(line);
	feed(&f, "filter|0.6|1|smtp-in|data-line|0000000000000001|00000000000000aa|.");
	feed(&f, "filter|0.6|1|smtp-in|commit|0000000000000001|00000000000000bb|");
	out = take(&f);
	if (want_pass)
		UNIT_OK(name, strstr(out, "|proceed\n") != NULL &&
		    strlen(out) > len + 100);
	else
		UNIT_OK(name, strstr(out, "|reject|554 5.6.0 ") != NULL &&
		    strstr(out, "xxxxxxxx") == NULL &&
		    strstr(out, "00000000000000aa|.\n") != NULL);
	free(out);
	filter_free(&f);
}

/* A commit that arrives while the message is still being written. */
static void
test_commit_waits(void)
{
	struct filter f;
	char line[200], *out;
	int i;

	handshake(&f, "6.8.0p2");
	for (i = 0; i < 20000; i++) {
		snprintf(line, sizeof(line), "filter|0.6|1|smtp-in|data-line|"
		    "0000000000000002|00000000000000aa|line %d of a message "
		    "that does not fit the output room at once", i);
		feed(&f, line);
	}
	feed(&f, "filter|0.6|1|smtp-in|data-line|0000000000000002|00000000000000aa|.");
	out = take(&f);
	UNIT_OK("emit-paced", strstr(out, "|.\n") == NULL && strlen(out) > 0);
	free(out);
	feed(&f, "filter|0.6|1|smtp-in|commit|0000000000000002|00000000000000bb|");
	out = take(&f);
	UNIT_OK("commit-held-while-emitting", strstr(out, "proceed") == NULL);
	free(out);
	while (proto_pump(&f, PROTO_EMIT_ROOM))
		free(take(&f));
	out = take(&f);
	UNIT_OK("commit-after-last-line", strstr(out,
	    "filter-dataline|0000000000000002|00000000000000aa|.\n"
	    "filter-result|0000000000000002|00000000000000bb|proceed\n") != NULL);
	free(out);
	filter_free(&f);
}

/* Requests we did not register are still answered, ids echoed exactly. */
static void
test_unregistered(void)
{
	struct filter f;
	char *out;

	handshake(&f, "7.4.0");
	feed(&f, "filter|0.7|1|smtp-in|mail-from|00000000000000ff|0123456789abcdef|a@b");
	out = take(&f);
	UNIT_OK("unregistered-proceed", strcmp(out,
	    "filter-result|00000000000000ff|0123456789abcdef|proceed\n") == 0);
	free(out);
	feed(&f, "filter|0.7|1|smtp-in|mail-from|00000000000000fF|0123456789abcdef|a@b");
	feed(&f, "filter|0.7|1|smtp-in|mail-from|00000000000000ff|0123456789abcde|a@b");
	out = take(&f);
	UNIT_OK("bad-ids-not-echoed", out[0] == '\0' && f.nbadlines == 2);
	free(out);
	filter_free(&f);
}

/*
 * A mail-from request whose session id has c at offset at (the rest
 * 1s): 1 when it is answered "proceed", 0 when it is not answered.
 */
static int
id_answered(struct filter *f, size_t at, char c)
{
	char line[128], *out;
	int proceeded;

	snprintf(line, sizeof(line), "filter|0.7|1|smtp-in|mail-from|"
	    "%.*s%c%.*s|0123456789abcdef|a@b", (int)at, "1111111111111111", c,
	    (int)(15 - at), "1111111111111111");
	feed(f, line);
	out = take(f);
	proceeded = strstr(out, "proceed") != NULL;
	if (!proceeded && out[0] != '\0')
		proceeded = -1;
	free(out);
	return proceeded;
}

/*
 * An id is 16 lower-case hex digits: every other octet, first or last,
 * makes the line malformed (the neighbours of the digit ranges too);
 * each of the 16 digits in either place is taken.
 */
static void
test_id_digits(void)
{
	static const char bad[] = "/:@G`g .x-\x80\xff";
	static const char good[] = "0123456789abcdef";
	struct filter f;
	size_t i, at, bad_taken = 0, good_lost = 0;

	handshake(&f, "7.4.0");
	for (at = 0; at < 16; at += 15) {
		for (i = 0; i < sizeof(bad) - 1; i++)
			bad_taken += id_answered(&f, at, bad[i]) != 0;
		for (i = 0; i < sizeof(good) - 1; i++)
			good_lost += id_answered(&f, at, good[i]) != 1;
	}
	UNIT_OK("id-non-hex-refused", bad_taken == 0 &&
	    f.nbadlines == 2 * (sizeof(bad) - 1));
	UNIT_OK("id-hex-taken", good_lost == 0);
	filter_free(&f);
}

int
main(void)
{
	log_init(0);
	test_versions();
	test_handshake();
	test_id_digits();
	test_stuffing();
	test_limit("6.8.0p2", 1997, 1, "limit-06-1997-passes");
	test_limit("6.8.0p2", 1998, 0, "limit-06-1998-rejected");
	test_limit("7.4.0", 60000, 1, "limit-07-none");
	test_limit("7.4.0", 65535, 1, "limit-07-65535-passes");
	test_limit("7.4.0", 65536, 0, "limit-07-65536-rejected");
	test_limit("7.4.0", 4 << 20, 0, "limit-07-4mb-rejected");
	test_commit_waits();
	test_unregistered();
	UNIT_EXIT();
}
