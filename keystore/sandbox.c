/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The workers' sandbox (sandbox.h).  On Linux a seccomp filter, written
 * as BPF here rather than with libseccomp: the list is short, fixed at
 * build time, and one dependency fewer.  A system call not on it kills
 * the worker (SECCOMP_RET_KILL_PROCESS); the loop then fails that
 * message with 451 and starts another worker.
 *
 * open and openat are allowed only with O_TMPFILE: that makes a new
 * file without a name and can open no existing one, so a worker taken
 * over by a parser bug cannot read the keystore, the master key or
 * anything else.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* O_TMPFILE */
#endif
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__)) && \
    !defined(SANDBOX_OPENBSD_STUBS)
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

/* AddressSanitizer reserves terabytes of address space: no RLIMIT_AS */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN	1
#endif
#endif
#ifdef __SANITIZE_ADDRESS__
#define SANDBOX_ASAN	1
#endif

#if defined(__x86_64__)
#define SANDBOX_ARCH	AUDIT_ARCH_X86_64
#else
#define SANDBOX_ARCH	AUDIT_ARCH_AARCH64
#endif

#define NR		offsetof(struct seccomp_data, nr)
#define ARCH		offsetof(struct seccomp_data, arch)
/* the low half of an argument, on a little-endian machine */
#define ARG(i)		(offsetof(struct seccomp_data, args) + 8 * (i))

#define ALLOW(name)							\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_##name, 0, 1),		\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* open or openat with O_TMPFILE in the flags argument, nothing else */
#define ALLOW_TMPFILE(name, flagsarg)					\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_##name, 0, 5),		\
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG(flagsarg)),		\
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, __O_TMPFILE),		\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __O_TMPFILE, 0, 1),		\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),			\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)

static const struct sock_filter filter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARCH),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
	/* the work: descriptors it was given, memory, time, randomness */
	ALLOW(read),
	ALLOW(write),
	ALLOW(readv),
	ALLOW(writev),
	ALLOW(pread64),
	ALLOW(pwrite64),
	ALLOW(lseek),
	ALLOW(sendfile),	/* a spool to stdout: read and write in one */
	ALLOW(close),
	ALLOW(fstat),
	ALLOW(newfstatat),	/* glibc's fstat; metadata, no content */
	ALLOW(ftruncate),
	ALLOW(fcntl),
	ALLOW(recvmsg),
	ALLOW(sendmsg),
	ALLOW(sendto),		/* syslog on its connected socket (-e) */
	ALLOW(ppoll),
	ALLOW(mmap),
	ALLOW(munmap),
	ALLOW(mremap),
	ALLOW(mprotect),
	ALLOW(madvise),
	ALLOW(brk),
	ALLOW(getrandom),
	ALLOW(clock_gettime),
	ALLOW(gettimeofday),
	ALLOW(getpid),
	ALLOW(rt_sigreturn),
	ALLOW(rt_sigprocmask),
	ALLOW(sigaltstack),	/* the sanitizers' */
	ALLOW(exit),
	ALLOW(exit_group),
#ifdef SYS_poll
	ALLOW(poll),
#endif
#ifdef SYS_time
	ALLOW(time),
#endif
#ifdef SYS_open
	ALLOW_TMPFILE(open, 1),
#endif
	ALLOW_TMPFILE(openat, 2),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)
};

#ifdef FILTER_SMIME_REGRESS
/*
 * Development only (the regress build, FILTER_SMIME_SANDBOX_TRAP set):
 * a refused call is named on stderr before the worker ends, to find
 * what the list lacks.
 */
static void
on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	char m[64];
	int n;

	(void)sig;
	(void)ctx;
	n = snprintf(m, sizeof(m), "worker: sandbox refused system call %d\n",
	    si->si_syscall);
	if (n > 0)
		(void)write(STDERR_FILENO, m, (size_t)n);
	_exit(1);
}

static void
trap_instead(struct sock_filter *f, size_t n)
{
	struct sigaction sa;
	size_t i;

	if (getenv("FILTER_SMIME_SANDBOX_TRAP") == NULL)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	(void)sigaction(SIGSYS, &sa, NULL);
	for (i = 0; i < n; i++)
		if (f[i].code == (BPF_RET | BPF_K) &&
		    f[i].k == SECCOMP_RET_KILL_PROCESS)
			f[i].k = SECCOMP_RET_TRAP;
}
#endif

int
sandbox_worker(sandbox_warn_fn warn)
{
	static struct sock_filter f[sizeof(filter) / sizeof(filter[0])];
	struct sock_fprog prog;
	struct rlimit rl;

	/* what libc would read on first use, read now: the time zone */
	tzset();
	/* a few descriptors at a time: its sockets, spools, blobs */
	rl.rlim_cur = rl.rlim_max = 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		warn("sandbox: RLIMIT_NOFILE: %s", strerror(errno));
#ifndef SANDBOX_ASAN
	/*
	 * Address space: a bound on a runaway allocation, with room for
	 * a large message mapped three times over (in, signed, sealed).
	 * Not under AddressSanitizer, which reserves terabytes.
	 */
	rl.rlim_cur = rl.rlim_max = (rlim_t)4 << 30;
	if (setrlimit(RLIMIT_AS, &rl) == -1)
		warn("sandbox: RLIMIT_AS: %s", strerror(errno));
#endif
	memcpy(f, filter, sizeof(f));
#ifdef FILTER_SMIME_REGRESS
	trap_instead(f, sizeof(f) / sizeof(f[0]));
#endif
	prog.len = (unsigned short)(sizeof(f) / sizeof(f[0]));
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == -1) {
		warn("sandbox: no sandbox: %s", strerror(errno));
		return -1;
	}
	return 0;
}

#elif defined(__OpenBSD__) || defined(SANDBOX_OPENBSD_STUBS)

#ifdef SANDBOX_OPENBSD_STUBS
/* compile-testing the OpenBSD calls elsewhere (regress/cli) */
int	 pledge(const char *, const char *);
int	 unveil(const char *, const char *);
#endif

int
sandbox_worker(sandbox_warn_fn warn)
{
	/* descriptors it has and is sent; O_TMPFILE has no OpenBSD kin:
	 * spools come through "tmppath" */
	if (pledge("stdio recvfd sendfd tmppath", NULL) == -1) {
		warn("sandbox: pledge: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
sandbox_loop(const char *store, const char *rules, const char *tmpdir,
    sandbox_warn_fn warn)
{
	/* the loop reloads rules and index, writes harvests and spools */
	if ((store && unveil(store, "rwc") == -1) ||
	    (rules && unveil(rules, "r") == -1) ||
	    unveil(tmpdir, "rwc") == -1 ||
	    unveil("/etc/ssl/cert.pem", "r") == -1 ||
	    unveil(NULL, NULL) == -1) {
		warn("unveil: %s", strerror(errno));
		return -1;
	}
	return 0;
}

#else

int
sandbox_worker(sandbox_warn_fn warn)
{
	warn("sandbox: no sandbox on this system");
	return -1;
}

#endif

#if !defined(__OpenBSD__) && !defined(SANDBOX_OPENBSD_STUBS)
/* Linux and others: the loop reads and writes the keystore as it is. */
int
sandbox_loop(const char *store, const char *rules, const char *tmpdir,
    sandbox_warn_fn warn)
{
	(void)store;
	(void)rules;
	(void)tmpdir;
	(void)warn;
	return 0;
}
#endif

void
sandbox_warn_stderr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)fprintf(stderr, "smimectl: ");
	(void)vfprintf(stderr, fmt, ap);
	(void)fprintf(stderr, "\n");
	va_end(ap);
}
