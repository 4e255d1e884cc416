/*
 * Log lines on stderr, "filter-smime: <text>".  Under smtpd every line we
 * write there lands in the mail log, so we never log message bodies or key
 * material, and bytes that came from the network are quoted first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

/* The only global: set once from the command line before the loop runs. */
static int log_level;

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

static void
vlog(const char *fmt, va_list ap)
{
	if (log_level < 0)	/* quiet: fuzzing */
		return;
	fputs("filter-smime: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
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
	exit(1);
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
