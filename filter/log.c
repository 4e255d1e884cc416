/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Log lines on stderr, "filter-smime: <text>".  Under smtpd every line we
 * write there lands in the mail log, so we never log message bodies or key
 * material, and bytes that came from the network are quoted first.
 *
 * Under Exim (-e) stderr would be delivered inside the message, so every
 * line goes to syslog (LOG_MAIL) instead, prefixed with the Exim message id
 * and the recipients once they are known.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"

/* Set once from the command line before the loop runs. */
static int log_level;
static int log_syslog;			/* -e: syslog only, never stderr */
static int log_fatal_status = 1;	/* exit status of fatalx() */
static char log_ctx[512];		/* "id=... rcpt=...: " under -e */

/* The deadline's last words, formatted before the alarm is armed. */
static char deadline_line[600];
static size_t deadline_len;
static int deadline_fd = -1;
static int deadline_status = 75;
static unsigned int deadline_secs;

static void deadline_format(void);

void
log_init(int verbose)
{
	log_level = verbose;
}

int
log_verbose(void)
{
	return log_level;
}

/*
 * -e: from now on syslog only.  Standard error is pointed at /dev/null so
 * that nothing (a library's message included) can end up in the mail.
 */
void
log_use_syslog(int fatal_status)
{
	int fd;

	log_syslog = 1;
	log_fatal_status = fatal_status;
	openlog("filter-smime", LOG_PID | LOG_NDELAY, LOG_MAIL);
	if ((fd = open("/dev/null", O_WRONLY)) != -1) {
		if (fd != STDERR_FILENO) {
			(void)dup2(fd, STDERR_FILENO);
			close(fd);
		}
	}
}

/* What every later syslog line starts with (quoted by the caller). */
void
log_set_context(const char *ctx)
{
	if (ctx == NULL || *ctx == '\0')
		log_ctx[0] = '\0';
	else
		snprintf(log_ctx, sizeof(log_ctx), "%s: ", ctx);
	if (deadline_secs) {
		sigset_t set, old;

		/* the handler reads the line: not while it changes */
		sigemptyset(&set);
		sigaddset(&set, SIGALRM);
		sigprocmask(SIG_BLOCK, &set, &old);
		deadline_format();
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
}

/*
 * One line, one write(2): lines of the loop, its workers and key
 * processes share stderr and must not interleave (a pipe keeps a write
 * of up to PIPE_BUF octets whole), and a line costs one system call,
 * not three.  A longer line goes out through stdio as before.
 */
static void
emit_stderr(const char *fmt, va_list ap)
{
	static const char prefix[] = "filter-smime: ";
	char line[4096];
	va_list copy;
	size_t len = sizeof(prefix) - 1;
	int n;

	memcpy(line, prefix, len);
	va_copy(copy, ap);
	n = vsnprintf(line + len, sizeof(line) - len, fmt, copy);
	va_end(copy);
	if (n >= 0 && (size_t)n < sizeof(line) - len - 1) {
		len += (size_t)n;
		line[len++] = '\n';
		fflush(stderr);		/* anything stdio still holds first */
		(void)fdio_write_all(STDERR_FILENO, line, len);
		return;
	}
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static void
vlog(const char *fmt, va_list ap)
{
	char line[1024];

	if (log_level < 0)	/* quiet: fuzzing */
		return;
	if (log_syslog) {
		vsnprintf(line, sizeof(line), fmt, ap);
		syslog(LOG_WARNING, "%s%s", log_ctx, line);
		return;
	}
	emit_stderr(fmt, ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level < 1)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	exit(log_fatal_status);
}

/*
 * The internal deadline (-t).  The handler may only use async-signal-safe
 * calls, so the line is formatted now: a datagram for /dev/log under -e
 * (syslogd adds the time), a line for stderr otherwise.
 */
static void
on_deadline(int sig)
{
	(void)sig;
	if (deadline_fd != -1)
		(void)send(deadline_fd, deadline_line, deadline_len, 0);
	else if (!log_syslog &&
	    write(STDERR_FILENO, deadline_line, deadline_len) == -1) {
		/* nowhere left to say it: exit all the same */
	}
	_exit(deadline_status);
}

static void
deadline_format(void)
{
	int n;

	if (log_syslog)
		n = snprintf(deadline_line, sizeof(deadline_line),
		    "<%d>filter-smime[%ld]: %sdeadline of %u s reached, "
		    "exiting %d", LOG_MAIL | LOG_ERR, (long)getpid(), log_ctx,
		    deadline_secs, deadline_status);
	else
		n = snprintf(deadline_line, sizeof(deadline_line),
		    "filter-smime: deadline of %u s reached, exiting %d\n",
		    deadline_secs, deadline_status);
	deadline_len = n < 0 ? 0 : (size_t)n >= sizeof(deadline_line) ?
	    sizeof(deadline_line) - 1 : (size_t)n;
}

void
log_deadline_arm(unsigned int seconds, int status)
{
	struct sigaction sa;
	struct sockaddr_un sun;

	if (seconds == 0)
		return;
	deadline_status = status;
	deadline_secs = seconds;
	if (log_syslog && deadline_fd == -1) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		strlcpy(sun.sun_path, "/dev/log", sizeof(sun.sun_path));
		if ((deadline_fd = socket(AF_UNIX, SOCK_DGRAM, 0)) != -1 &&
		    connect(deadline_fd, (struct sockaddr *)&sun, sizeof(sun))
		    == -1) {
			close(deadline_fd);
			deadline_fd = -1;
		}
	}
	deadline_format();
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_deadline;
	if (sigaction(SIGALRM, &sa, NULL) == -1)
		fatalx("sigaction: %s", strerror(errno));
	alarm(seconds);
}

/*
 * Copy at most the first bytes of src into dst as printable ASCII, control
 * and 8-bit bytes as \xNN, so hostile input cannot forge log lines.
 */
char *
log_quote(char *dst, size_t dstsz, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;
	unsigned char c;

	if (dstsz == 0)
		return dst;
	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= dstsz)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dstsz)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	if (i < len && o + 3 < dstsz) {
		dst[o++] = '.';
		dst[o++] = '.';
		dst[o++] = '.';
	}
	dst[o] = '\0';
	return dst;
}
