// SPDX-License-Identifier: ISC
/*
 * Connection probes: tcp (connect time), tls (ClientHello until the
 * ServerHello) and http (a GET until the status line).  Each probe is one
 * non-blocking socket in the event loop; it is closed with a reset, so that
 * fast probing leaves no TIME_WAIT sockets behind.
 */
#include <sys/socket.h>
#include <sys/random.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"

enum {
	ST_CONNECTING = 1,
	ST_SENDING,
	ST_READING,
};

int
probe_bind_socket(int fd, const struct probe_target *t)
{
	int on = 1;

	if (t->dev[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, t->dev,
	    (socklen_t)strlen(t->dev) + 1) == -1)
		return -errno;
	if (t->has_mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &t->mark,
	    sizeof(t->mark)) == -1)
		return -errno;
	if (t->has_src) {
		union probe_sa ss = t->src;
		socklen_t sl = t->family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

		/* The port is chosen at connect time, not by bind. */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on,
		    sizeof(on));
		if (bind(fd, (struct sockaddr *)&ss, sl) == -1)
			return -errno;
	}
	return 0;
}

void
probe_conn_cancel(struct probe_slot *s)
{
	if (s->fd == -1)
		return;
	if (s->state != 0)
		ev_io_stop(s->t->ctx->ev, &s->io);
	s->state = 0;
	close(s->fd);
	s->fd = -1;
}

static uint32_t
elapsed(const struct probe_slot *s, uint64_t now)
{
	return now > s->sent_us ? (uint32_t)(now - s->sent_us) : 0;
}

/*
 * The connect time: the kernel's measurement of the handshake when it has
 * one (it is not delayed by our scheduling), unless the SYN was sent again,
 * when only the time we waited tells the truth.
 */
static uint32_t
connect_time(const struct probe_slot *s, uint64_t now)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(s->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    ti.tcpi_rtt > 0 && ti.tcpi_total_retrans == 0 &&
	    ti.tcpi_rtt <= elapsed(s, now))
		return ti.tcpi_rtt;
	return elapsed(s, now);
}

static void
fail_errno(struct probe_slot *s, int e)
{
	log_debug("%s: %s", s->t->name, strerror(e));
	probe_done(s, false, 0, probe_errno_word(e));
}

static void
build_request(struct probe_slot *s)
{
	struct probe_target *t = s->t;
	int n;

	if (!s->buf && !(s->buf = malloc(PROBE_CONNBUF))) {
		s->len = 0;
		return;
	}
	if (t->type == PROBE_TLS) {
		uint8_t rnd[64];

		if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
			memset(rnd, (int)s->seq, sizeof(rnd));
		s->len = probe_tls_client_hello(s->buf, PROBE_CONNBUF,
		    t->host, rnd);
	} else {
		n = snprintf((char *)s->buf, PROBE_CONNBUF,
		    "GET %s HTTP/1.1\r\nHost: %s\r\n"
		    "User-Agent: edge-probe/" EDGEKIT_VERSION "\r\n"
		    "Accept: */*\r\nConnection: close\r\n\r\n",
		    t->path, t->host);
		s->len = n > 0 && n < PROBE_CONNBUF ? (size_t)n : 0;
	}
	s->off = 0;
}

static void
got_data(struct probe_slot *s, uint64_t now)
{
	struct probe_target *t = s->t;
	char detail[PROBE_DETAILLEN];
	uint16_t version;
	int rc, status;

	if (t->type == PROBE_TLS) {
		rc = probe_tls_parse(s->buf, s->len, &version, detail,
		    sizeof(detail));
		if (rc == PROBE_MORE)
			return;
		if (rc < 0) {
			probe_done(s, false, 0, detail);
			return;
		}
		probe_done(s, true, elapsed(s, now),
		    probe_tls_version_name(version));
		return;
	}
	rc = probe_http_status(s->buf, s->len, &status);
	if (rc == PROBE_MORE)
		return;
	if (rc < 0) {
		probe_done(s, false, 0, "not-http");
		return;
	}
	snprintf(detail, sizeof(detail), "status=%d", status);
	if (t->expect_status ? status == t->expect_status :
	    status >= 200 && status < 400)
		probe_done(s, true, (uint32_t)(s->ttfb_us - s->sent_us),
		    detail);
	else
		probe_done(s, false, 0, detail);
}

static void
conn_io(struct ev *ev, struct ev_io *io, uint32_t events)
{
	struct probe_slot *s = io->arg;
	uint64_t now = ev_monotonic_us();
	int err = 0;
	socklen_t el = sizeof(err);
	ssize_t n;

	switch (s->state) {
	case ST_CONNECTING:
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1)
			err = errno;
		if (err) {
			fail_errno(s, err);
			return;
		}
		if (s->t->type == PROBE_TCP) {
			probe_done(s, true, connect_time(s, now), NULL);
			return;
		}
		build_request(s);
		if (s->len == 0) {
			probe_done(s, false, 0, "no-buffers");
			return;
		}
		s->state = ST_SENDING;
		/* FALLTHROUGH */
	case ST_SENDING:
		while (s->off < s->len) {
			n = send(s->fd, s->buf + s->off, s->len - s->off,
			    MSG_NOSIGNAL);
			if (n == -1) {
				if (errno == EAGAIN)
					return;
				fail_errno(s, errno);
				return;
			}
			s->off += (size_t)n;
		}
		s->state = ST_READING;
		s->len = 0;
		if (ev_io_mod(ev, io, EPOLLIN) < 0) {
			probe_done(s, false, 0, "error");
			return;
		}
		return;
	case ST_READING:
		n = recv(s->fd, s->buf + s->len, PROBE_CONNBUF - s->len, 0);
		if (n == -1) {
			if (errno == EAGAIN)
				return;
			fail_errno(s, errno);
			return;
		}
		if (n == 0) {
			probe_done(s, false, 0, "closed");
			return;
		}
		if (s->len == 0)
			s->ttfb_us = now;
		s->len += (size_t)n;
		got_data(s, now);
		if (s->done)
			return;
		if (s->len == PROBE_CONNBUF)
			probe_done(s, false, 0, "too-long");
		return;
	}
}

void
probe_conn_start(struct probe_slot *s)
{
	struct probe_target *t = s->t;
	int fd, rc, one = 1;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	fd = socket(t->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		fail_errno(s, errno);
		return;
	}
	s->fd = fd;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((rc = probe_bind_socket(fd, t)) < 0) {
		fail_errno(s, -rc);
		return;
	}
	if (connect(fd, (struct sockaddr *)&t->addr, t->addrlen) == -1 &&
	    errno != EINPROGRESS) {
		fail_errno(s, errno);
		return;
	}
	if ((rc = ev_io_start(t->ctx->ev, &s->io, fd, EPOLLOUT, conn_io,
	    s)) < 0) {
		fail_errno(s, -rc);
		return;
	}
	s->state = ST_CONNECTING;
}
