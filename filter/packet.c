/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Packets over a SOCK_SEQPACKET socket, each with at most one file
 * descriptor beside it (SCM_RIGHTS): how the loop, the workers and the
 * key process talk.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "packet.h"

/* Room for one descriptor beside a packet. */
union fd_space {
	struct cmsghdr	 h;
	char		 buf[CMSG_SPACE(sizeof(int))];
};

static void
packet_init(struct msghdr *m, struct iovec *iov, const void *p, size_t n,
    union fd_space *c)
{
	memset(m, 0, sizeof(*m));
	memset(c, 0, sizeof(*c));
	iov->iov_base = (void *)(uintptr_t)p;
	iov->iov_len = n;
	m->msg_iov = iov;
	m->msg_iovlen = 1;
	m->msg_control = c->buf;
	m->msg_controllen = sizeof(c->buf);
}

/* One packet, with a descriptor when fd != -1. */
int
packet_send(int sock, const void *p, size_t n, int fd)
{
	union fd_space c;
	struct msghdr m;
	struct iovec iov;
	struct cmsghdr *cm;
	ssize_t r;

	packet_init(&m, &iov, p, n, &c);
	if (fd == -1) {
		m.msg_control = NULL;
		m.msg_controllen = 0;
	} else {
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do {
		r = sendmsg(sock, &m, MSG_NOSIGNAL);
	} while (r == -1 && errno == EINTR);
	return r == (ssize_t)n ? 0 : -1;
}

/* One packet: its length (0 at end of file, -1 on error), *fd or -1. */
ssize_t
packet_recv(int sock, void *p, size_t n, int *fd)
{
	union fd_space c;
	struct msghdr m;
	struct iovec iov;
	struct cmsghdr *cm;
	ssize_t r;

	*fd = -1;
	packet_init(&m, &iov, p, n, &c);
	do {
		r = recvmsg(sock, &m, 0);
	} while (r == -1 && errno == EINTR);
	if (r <= 0)
		return r;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
	if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (*fd != -1)
			(void)close(*fd);
		*fd = -1;
		errno = EMSGSIZE;
		return -1;
	}
	return r;
}
