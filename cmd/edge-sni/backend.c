// SPDX-License-Identifier: ISC
/*
 * The backend side: the name looked up (through the DNS cache), the
 * addresses the listener may reach tried in order (from a NAT46 source in
 * nat46 mode), then the preamble (PROXY v2, Postgres SSLRequest) and the
 * replay of what the client sent.
 */
#define _GNU_SOURCE
#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "engine.h"

static void	connect_next(struct conn *c);
static bool	try_a(struct conn *c);

static void
backend_drop(struct conn *c)
{
	if (c->bfd != -1) {
		ev_io_forget(sni_w.ev, &c->bio);
		close(c->bfd);
		c->bfd = -1;
	}
}

/* The connection failed: the next address, or give up. */
void
sni_connect_failed(struct conn *c, int err)
{
	char be[128];

	log_debug("%s: connect to %s: %s", c->name[0] ? c->name : "-",
	    sni_sa_str(&c->baddr, be, sizeof(be)), strerror(err));
	backend_drop(c);
	if (c->idx < c->dns.n) {
		connect_next(c);
		return;
	}
	if (try_a(c))
		return;
	sni_stats.connect_fail++;
	sni_conn_close(c, err == EMFILE || err == ENFILE ? RES_NOFD : RES_CONNFAIL);
}

bool
sni_connect_timed_out(struct conn *c)
{
	char be[128];

	if (c->idx >= c->dns.n || ev_now_ms(sni_w.ev) >= c->connect_end)
		return false;
	log_debug("%s: connect to %s: timed out, trying the next address",
	    c->name[0] ? c->name : "-", sni_sa_str(&c->baddr, be, sizeof(be)));
	backend_drop(c);
	connect_next(c);
	return true;
}

/*
 * The time for one connect attempt, as Go's dialer (snid's) splits its
 * deadline: the connect timeout covers all the addresses of one answer,
 * each gets an equal share of what is left, but at least 2 s where that
 * much is left (so a list of many addresses is cut short at its end
 * rather than every one of them given too little).
 */
static uint64_t
attempt_ms(struct conn *c)
{
	uint64_t now = ev_now_ms(sni_w.ev), left, share;
	int rem = c->dns.n - c->idx + 1;	/* this one included */

	if (c->connect_end == 0)
		c->connect_end = now + c->conf->connect_ms;
	left = c->connect_end > now ? c->connect_end - now : 1;
	share = left / (rem > 1 ? (uint64_t)rem : 1);
	if (share < 2000)
		share = left < 2000 ? left : 2000;
	return share;
}

/*
 * unix mode, as snid does it: the socket named after the name in the
 * directory, else the wildcard one, "_" in place of the first label
 * ("_.example.net" for "www.example.net").  A connect on a UNIX socket
 * completes (or fails) at once; EPOLLOUT then starts the replay.
 */
static void
connect_unix(struct conn *c)
{
	struct sockaddr_un *s = (struct sockaddr_un *)&c->baddr;
	const char *dir = c->l->unix_dir, *dot = strchr(c->name, '.');
	int fd, i, n, e = ENOENT;

	c->idx = c->dns.n = 0;	/* no other address to fall back to */
	for (i = 0; i < 2 && e == ENOENT; i++) {
		memset(&c->baddr, 0, sizeof(c->baddr));
		s->sun_family = AF_UNIX;
		n = i == 0 ? snprintf(s->sun_path, sizeof(s->sun_path),
		    "%s/%s", dir, c->name) : snprintf(s->sun_path,
		    sizeof(s->sun_path), "%s/_%s", dir, dot ? dot : "");
		c->baddrlen = sizeof(*s);
		if (n < 0 || (size_t)n >= sizeof(s->sun_path)) {
			e = ENAMETOOLONG;
			break;
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1) {
			sni_connect_failed(c, errno);
			return;
		}
		if (connect(fd, (struct sockaddr *)s, sizeof(*s)) == 0) {
			c->bfd = fd;
			c->state = CS_CONNECT;
			if (ev_io_start(sni_w.ev, &c->bio, fd, EPOLLIN |
			    EPOLLOUT | EPOLLRDHUP | EPOLLET, sni_backend_cb,
			    c) != 0) {
				sni_connect_failed(c, errno);
				return;
			}
			ev_timer_start(sni_w.ev, &c->tm, attempt_ms(c));
			return;
		}
		e = errno;
		close(fd);
	}
	if (e == ENOENT || e == ENAMETOOLONG) {
		log_info("%s: refused: no socket for it in %s", c->name, dir);
		c->baddrlen = 0;
		sni_conn_close(c, RES_NOADDR);
		return;
	}
	/* A stale socket (ECONNREFUSED), a full backlog (EAGAIN), ... */
	sni_connect_failed(c, e);
}

static void
connect_next(struct conn *c)
{
	const struct sni_listener *l = c->l;
	int fd, one = 1;

	memset(&c->baddr, 0, sizeof(c->baddr));
	if (l->mode == SNI_MODE_UNIX) {
		connect_unix(c);
		return;
	} else if (l->mode == SNI_MODE_STATIC) {
		memcpy(&c->baddr, &l->backend, l->backendlen);
		c->baddrlen = l->backendlen;
		c->idx = c->dns.n = 1;
	} else if (c->dns.family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&c->baddr;

		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, &c->dns.a[c->idx++].v6, 16);
		s->sin6_port = htons(l->backend_port);
		c->baddrlen = sizeof(*s);
	} else {
		struct sockaddr_in *s = (struct sockaddr_in *)&c->baddr;

		s->sin_family = AF_INET;
		s->sin_addr = c->dns.a[c->idx++].v4;
		s->sin_port = htons(l->backend_port);
		c->baddrlen = sizeof(*s);
	}
	fd = socket(c->baddr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		sni_connect_failed(c, errno);
		return;
	}
	c->bfd = fd;
	if (sni_nat46_source(c)) {
		struct sockaddr_in6 src;

		memset(&src, 0, sizeof(src));
		src.sin6_family = AF_INET6;
		memcpy(&src.sin6_addr, &l->nat46, 12);
		sni_client_v4(c, src.sin6_addr.s6_addr + 12);
		/* The prefix is routed to lo ("local" route), not assigned:
		 * FREEBIND lets us bind it, and leaving the port to
		 * connect() lets many clients share one source port
		 * space per backend. */
		if ((!sni_w.nonlocal_bind && setsockopt(fd, SOL_IPV6,
		    IPV6_FREEBIND, &one, sizeof(one)) == -1) ||
		    setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one)) == -1 ||
		    bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
			sni_connect_failed(c, errno);
			return;
		}
	}
	/* When something is written as soon as the connection is up (the
	 * replay, PROXY header or SSLRequest), TCP_DEFER_ACCEPT on a
	 * connecting socket holds the handshake's last ACK back for it to
	 * ride on that first data: one segment fewer per connection.  Not
	 * where the server speaks first: its accept() would wait for the
	 * delayed ACK. */
	if ((c->len > c->off || l->proxy_out || l->proto == SNI_PROTO_PG) &&
	    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one,
	    sizeof(one)) == -1) {
		sni_connect_failed(c, errno);
		return;
	}
	c->up.nodelay = true;	/* set before the second write, in move() */
	if (connect(fd, (struct sockaddr *)&c->baddr, c->baddrlen) == -1 &&
	    errno != EINPROGRESS) {
		sni_connect_failed(c, errno);
		return;
	}
	c->state = CS_CONNECT;
	if (ev_io_start(sni_w.ev, &c->bio, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP |
	    EPOLLET, sni_backend_cb, c) != 0) {
		sni_connect_failed(c, errno);
		return;
	}
	ev_timer_start(sni_w.ev, &c->tm, attempt_ms(c));
}

static void	dns_cb(struct sni_dns_wait *w, const struct sni_dns_result *r);

static void
dns_done(struct conn *c, const struct sni_dns_result *r)
{
	int i, n = 0;

	if (r->status != ARES_SUCCESS) {
		if (r->status == ARES_ENODATA && try_a(c))
			return;
		if (r->status == ARES_ENODATA && c->refused6) {
			sni_stats.not_allowed++;
			sni_conn_close(c, RES_NOTALLOWED);
			return;
		}
		sni_stats.dns_fail++;
		log_debug("%s: %s", c->name, ares_strerror(r->status));
		sni_conn_close(c, r->status == ARES_ETIMEOUT ? RES_DNS_TO :
		    r->status == ARES_ENOTFOUND ? RES_NXDOMAIN :
		    r->status == ARES_ENODATA ? RES_NOADDR : RES_DNS_FAIL);
		return;
	}
	/* Keep the addresses this listener may reach, in order. */
	c->dns.family = r->family;
	for (i = 0; i < r->n; i++)
		if (sni_backend_allowed(c->l, r->family, &r->a[i]))
			c->dns.a[n++] = r->a[i];
	c->dns.n = n;
	c->idx = 0;
	c->connect_end = 0;	/* a budget for this answer's addresses */
	if (n == 0) {
		char a[INET6_ADDRSTRLEN];

		if (r->family == AF_INET6)
			c->refused6 = true;
		if (try_a(c))
			return;

		sni_stats.not_allowed++;
		log_info("%s: refused: resolves to %s, outside the backend "
		    "networks", c->name, inet_ntop(r->family, &r->a[0], a,
		    sizeof(a)) ? a : "?");
		sni_conn_close(c, RES_NOTALLOWED);
		return;
	}
	connect_next(c);
}

/*
 * tcp mode, as snid's dialer does: the name's A record when its AAAA gives
 * nothing to connect to (no record, none inside the CIDRs, none
 * answering).  True when the lookup was started: c may be gone already.
 */
static bool
try_a(struct conn *c)
{
	if (c->l->mode != SNI_MODE_TCP || c->tried_a)
		return false;
	c->tried_a = true;
	c->state = CS_DNS;
	ev_timer_start(sni_w.ev, &c->tm, c->conf->dns_ms + 1000);
	if (sni_dns_lookup(c->name, AF_INET, &c->dw, dns_cb, &c->dns) == 0)
		dns_done(c, &c->dns);
	return true;
}

static void
dns_cb(struct sni_dns_wait *w, const struct sni_dns_result *r)
{
	struct conn *c = (struct conn *)((char *)w -
	    offsetof(struct conn, dw));

	dns_done(c, r);
}

void
sni_route(struct conn *c)
{
	int fam = c->l->mode == SNI_MODE_TCP || c->l->mode == SNI_MODE_NAT46 ?
	    AF_INET6 : AF_INET;

	c->state = CS_DNS;
	/* c-ares keeps its own time; this is only a backstop. */
	ev_timer_start(sni_w.ev, &c->tm, c->conf->dns_ms + 1000);
	if (c->l->mode == SNI_MODE_STATIC || c->l->mode == SNI_MODE_UNIX) {
		connect_next(c);
		return;
	}
	if (sni_dns_lookup(c->name, fam, &c->dw, dns_cb, &c->dns) == 0)
		dns_done(c, &c->dns);
	/* else: c may be gone already */
}

/* Write what was read from the client, after the PROXY v2 header when
 * asked.  What the socket does not take goes into the up pipe. */
static void
replay(struct conn *c, bool with_proxy)
{
	uint8_t hdr[SNI_PROXY_V2_MAX];
	struct iovec iov[2];
	size_t hl = 0, total;
	ssize_t n;
	int cnt = 0;

	if (with_proxy && c->l->proxy_out) {
		hl = sni_proxy_v2((struct sockaddr *)&c->client,
		    (struct sockaddr *)&c->local, hdr);
		iov[cnt].iov_base = hdr;
		iov[cnt++].iov_len = hl;
	}
	if (c->len > c->off) {
		iov[cnt].iov_base = c->buf + c->off;
		iov[cnt++].iov_len = c->len - c->off;
	}
	total = hl + (c->len - c->off);
	c->up.wr = true;
	if (cnt == 0) {
		sni_relay_start(c);
		return;
	}
	n = writev(c->bfd, iov, cnt);
	if (n < 0 && errno != EAGAIN) {
		sni_connect_failed(c, errno);
		return;
	}
	if (n < 0)
		n = 0;
	if ((size_t)n < total) {
		/* Rare: a hello bigger than the first send buffer. */
		size_t skip = n, i;

		c->up.wr = false;
		if (sni_pipe_get(&c->up) == -1) {
			sni_conn_close(c, RES_NOFD);
			return;
		}
		for (i = 0; i < (size_t)cnt; i++) {
			uint8_t *p = iov[i].iov_base;
			size_t l = iov[i].iov_len;

			if (skip >= l) {
				skip -= l;
				continue;
			}
			if (write(c->up.pipe[1], p + skip, l - skip) !=
			    (ssize_t)(l - skip)) {
				sni_conn_close(c, RES_ERROR);
				return;
			}
			c->up.pending += l - skip;
			skip = 0;
		}
	}
	c->up.bytes += c->len - c->off;
	sni_relay_start(c);
}

void
sni_backend_connected(struct conn *c)
{
	uint8_t pre[SNI_PROXY_V2_MAX + SNI_PG_REQLEN];
	size_t n = 0;

	if (c->l->proto != SNI_PROTO_PG) {
		replay(c, true);
		return;
	}
	/* Postgres: our own SSLRequest, then wait for the backend's 'S'. */
	if (c->l->proxy_out)
		n = sni_proxy_v2((struct sockaddr *)&c->client,
		    (struct sockaddr *)&c->local, pre);
	memcpy(pre + n, sni_pg_sslrequest, SNI_PG_REQLEN);
	n += SNI_PG_REQLEN;
	if (send(c->bfd, pre, n, MSG_NOSIGNAL) != (ssize_t)n) {
		sni_connect_failed(c, errno ? errno : EIO);
		return;
	}
	c->state = CS_PGWAIT;
	/* Its answer may take what is left of the whole connect budget,
	 * not just this address's share. */
	ev_timer_start(sni_w.ev, &c->tm, c->connect_end > ev_now_ms(sni_w.ev) ?
	    c->connect_end - ev_now_ms(sni_w.ev) : 1);
}

void
sni_pg_answer(struct conn *c)
{
	char a;
	ssize_t n = recv(c->bfd, &a, 1, 0);

	if (n < 0 && errno == EAGAIN)
		return;
	if (n != 1 || a != 'S') {
		if (n == 1)
			log_info("%s: the backend does not take TLS (\"%c\")",
			    c->name, a);
		sni_conn_close(c, n == 1 ? RES_BACKNOTLS : RES_CONNFAIL);
		return;
	}
	if (!c->down.hup)
		c->down.rd = false;
	replay(c, false);
}
