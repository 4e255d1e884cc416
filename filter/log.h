/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Diagnostics on stderr; smtpd copies a filter's stderr into its log. */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

void	 log_init(int verbose);
int	 log_verbose(void);
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
char	*log_quote(char *, size_t, const char *, size_t);
void	 log_use_syslog(int);
void	 log_set_context(const char *);
void	 log_deadline_arm(unsigned int, int);
size_t	 log_exim_id(const char *, size_t, char *, size_t);
void	 pipe_log_context(const char *, size_t, char **, int);

#endif
