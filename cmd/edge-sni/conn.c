// SPDX-License-Identifier: ISC
/*
 * The edge-sni engine: accept, read the first bytes (PROXY header,
 * Postgres SSLRequest, ClientHello or HTTP request), look the name up,
 * connect to the backend (from a NAT46 source in nat46 mode), replay every
 * byte read, then relay until both sides are done.
 *
 * Sockets are registered once, edge-triggered, for reading and writing,
 * so the relay never calls epoll_ctl.  Small reads go through a stack
 * buffer (recv + send); a pipe is taken from a small pool only when the
 * backend or client cannot take everything at once, or when a side sends
 * in bulk (then splice(2) moves the data), and goes back as soon as it is
 * empty: an idle connection holds its two sockets and nothing else.
 */
#define _GNU_SOURCE
#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "sni.h"

#define HEAD_CAP0	2048		/* first buffer; grows to HEAD_MAX */
#define HEAD_MAX	(SNI_HELLO_MAX + 536)	/* hello + a PROXY header */
#define HTTP_HEAD_MAX	8192
#define CHUNK		16384		/* recv/send size before bulk mode */
#define PIPE_POOL	64
#define BULK_PIPE	(1 << 20)	/* pipe size for a side sending bulk */
#define FD_PAUSE_MS	100		/* out of descriptors: retry after */
#define HOUSEKEEP_MS	1000
#define STATS_EVERY_MS	15000

struct sni_stats sni_stats;

struct sni_lsock {
	struct ev_io			 io;
	const struct sni_listener	*l;
	int				 fd;
	bool				 on;	/* in the loop */
	struct sni_lsock		*next;
};

enum cstate { CS_HEAD, CS_DNS, CS_CONNECT, CS_PGWAIT, CS_RELAY };

struct dir {
	int		 pipe[2];	/* -1: none */
	uint32_t	 pending;	/* bytes in the pipe */
	bool		 rd;		/* the source may have data */
	bool		 wr;		/* the destination may take data */
	bool		 eof, shut, bulk;
	bool		 hup;		/* the source reported RDHUP: FIN in */
	bool		 bigpipe;	/* its pipe was grown for bulk */
	bool		 nodelay;	/* set TCP_NODELAY on dst first */
	uint64_t	 bytes;
};

struct conn {
	struct conn		*next, **prevp;	/* W.conns */
	struct ev_io		 cio, bio;
	struct ev_timer		 tm;
	const struct sni_listener *l;
	struct sni_conf		*conf;
	int			 cfd, bfd;
	enum cstate		 state;
	bool			 proxy_done, pg_done, tried_a;
	uint8_t			*buf;	/* the first bytes; freed at replay */
	uint32_t		 len, cap, off;
	struct sockaddr_storage	 client, local, baddr;
	socklen_t		 baddrlen;
	struct sni_dns_wait	 dw;
	struct sni_dns_result	 dns;
	int			 idx;
	struct dir		 up, down;	/* client->backend, back */
	uint64_t		 start_ms, last_ms;
	char			 name[SNI_NAME_MAX];
};

static struct {
	struct ev		*ev;
	struct sni_conf		*conf;
	struct sni_lsock	*ls;
	struct conn		*conns;
	unsigned int		 nconns, maxconns;
	bool			 paused;
	struct ev_timer		 fdtimer, hk;
	int			 alog;		/* -1: none */
	char			 abuf[1 << 16];	/* whole lines only */
	size_t			 alen;
	int			 pool[PIPE_POOL][2];
	int			 npool;
	bool			 nonlocal_bind;	/* net.ipv6.ip_nonlocal_bind */
	uint64_t		 last_stats;
	uint64_t		 by_result[32];
} W;

int	sni_worker_id;

static void	pump(struct conn *c);

/* ---- results and the access log ---- */

static const char *results[] = {
	"ok", "error", "hello-timeout", "connect-timeout", "idle-timeout",
	"dns-timeout", "dns-fail", "nxdomain", "no-address", "not-allowed",
	"no-sni", "bad-name", "not-tls", "not-http", "no-host",
	"not-postgres", "bad-proxy", "ipv6-client", "connect-fail",
	"backend-no-tls", "client-closed", "no-fd", "reset", "shutdown",
};
enum {
	RES_OK, RES_ERROR, RES_HELLO_TO, RES_CONNECT_TO, RES_IDLE_TO, RES_DNS_TO,
	RES_DNS_FAIL, RES_NXDOMAIN, RES_NOADDR, RES_NOTALLOWED, RES_NOSNI, RES_BADNAME,
	RES_NOTTLS, RES_NOTHTTP, RES_NOHOST, RES_NOTPG, RES_BADPROXY, R_V6CLIENT,
	RES_CONNFAIL, RES_BACKNOTLS, RES_CLOSED, RES_NOFD, RES_RESET, RES_SHUTDOWN, RES_MAX
};

static char *
sa_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {
			inet_ntop(AF_INET, s->sin6_addr.s6_addr + 12, a,
			    sizeof(a));
			snprintf(buf, len, "%s:%u", a, ntohs(s->sin6_port));
		} else {
			inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
			snprintf(buf, len, "[%s]:%u", a, ntohs(s->sin6_port));
		}
	} else
		snprintf(buf, len, "-");
	return buf;
}

/* Lines are buffered and written whole, so several workers can append
 * to one file (O_APPEND) without tearing each other's lines. */
static void
access_log(const struct conn *c, int res)
{
	char cl[64], be[64], line[512];
	uint64_t now = ev_realtime_ms(), dur = ev_now_ms(W.ev) - c->start_ms;
	uint64_t t = now - dur;
	const char *name = c->name[0] ? c->name : "-";
	int n;

	if (W.alog == -1)
		return;
	sa_str(&c->client, cl, sizeof(cl));
	if (c->baddrlen)
		sa_str(&c->baddr, be, sizeof(be));
	else
		strlcpy(be, "-", sizeof(be));
	if (W.conf->logfmt == SNI_LOG_JSON)
		n = snprintf(line, sizeof(line), "{\"time\":%llu.%03u,"
		    "\"client\":\"%s\",\"listener\":\"%s\",\"sni\":\"%s\","
		    "\"backend\":\"%s\",\"result\":\"%s\",\"bytes_up\":%llu,"
		    "\"bytes_down\":%llu,\"duration_ms\":%llu}\n",
		    (unsigned long long)(t / 1000), (unsigned int)(t % 1000),
		    cl, c->l->spec, name, be, results[res],
		    (unsigned long long)c->up.bytes,
		    (unsigned long long)c->down.bytes,
		    (unsigned long long)dur);
	else
		n = snprintf(line, sizeof(line), "%llu.%03u\t%s\t%s\t%s\t%s\t"
		    "%s\t%llu\t%llu\t%llu\n", (unsigned long long)(t / 1000),
		    (unsigned int)(t % 1000), cl, c->l->spec, name, be,
		    results[res], (unsigned long long)c->up.bytes,
		    (unsigned long long)c->down.bytes,
		    (unsigned long long)dur);
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	if (W.alen + n > sizeof(W.abuf))
		sni_worker_flush();
	memcpy(W.abuf + W.alen, line, n);
	W.alen += n;
}

/* ---- pipes ---- */

static int
pipe_get(struct dir *d)
{
	if (d->pipe[0] != -1)
		return 0;
	if (W.npool > 0) {
		W.npool--;
		d->pipe[0] = W.pool[W.npool][0];
		d->pipe[1] = W.pool[W.npool][1];
		return 0;
	}
	if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		d->pipe[0] = d->pipe[1] = -1;
		return -1;
	}
	return 0;
}

static void
pipe_put(struct dir *d)
{
	if (d->pipe[0] == -1)
		return;
	if (d->pending == 0 && W.npool < PIPE_POOL) {
		W.pool[W.npool][0] = d->pipe[0];
		W.pool[W.npool][1] = d->pipe[1];
		W.npool++;
	} else {
		close(d->pipe[0]);
		close(d->pipe[1]);
	}
	d->pipe[0] = d->pipe[1] = -1;
	d->pending = 0;
}

/* ---- accepting ---- */

static void
listeners_set(bool on)
{
	struct sni_lsock *s;

	for (s = W.ls; s != NULL; s = s->next) {
		if (on && !s->on)
			ev_io_start(W.ev, &s->io, s->fd, EPOLLIN, s->io.cb, s);
		else if (!on && s->on)
			ev_io_stop(W.ev, &s->io);
		s->on = on;
	}
	W.paused = !on;
}

static void
conn_close(struct conn *c, int res)
{
	if (c->state == CS_DNS)
		sni_dns_cancel(&c->dw);
	ev_timer_stop(W.ev, &c->tm);
	ev_io_stop(W.ev, &c->cio);
	close(c->cfd);
	if (c->bfd != -1) {
		ev_io_stop(W.ev, &c->bio);
		close(c->bfd);
	}
	pipe_put(&c->up);
	pipe_put(&c->down);
	access_log(c, res);
	W.by_result[res]++;
	sni_stats.active--;
	sni_stats.bytes_up += c->up.bytes;
	sni_stats.bytes_down += c->down.bytes;
	if (res == RES_OK)
		sni_stats.ok++;
	else if (res == RES_ERROR || res == RES_IDLE_TO || res == RES_RESET)
		sni_stats.errors++;
	else
		sni_stats.refused++;
	if (--c->conf->refs == 0 && c->conf != W.conf) {
		sni_conf_free(c->conf);
		free(c->conf);
	}
	*c->prevp = c->next;
	if (c->next != NULL)
		c->next->prevp = c->prevp;
	free(c->buf);
	free(c);
	W.nconns--;
	if (W.paused && W.nconns < W.maxconns && !ev_timer_pending(&W.fdtimer))
		listeners_set(true);
}

static void
conn_timeout(struct ev *ev, struct ev_timer *t)
{
	struct conn *c = t->arg;
	uint64_t now = ev_now_ms(ev), idle = c->conf->idle_ms;

	switch (c->state) {
	case CS_HEAD:
		sni_stats.hello_timeout++;
		conn_close(c, RES_HELLO_TO);
		break;
	case CS_DNS:
		conn_close(c, RES_DNS_TO);
		break;
	case CS_CONNECT:
	case CS_PGWAIT:
		sni_stats.connect_timeout++;
		conn_close(c, RES_CONNECT_TO);
		break;
	case CS_RELAY:
		/* The deadline moves lazily: re-arm for what is left. */
		if (now - c->last_ms < idle) {
			ev_timer_start(ev, t, idle - (now - c->last_ms));
			return;
		}
		sni_stats.idle_timeout++;
		conn_close(c, RES_IDLE_TO);
		break;
	}
}

static bool
client_v4(const struct conn *c, uint8_t v4[4])
{
	const struct sockaddr_storage *ss = &c->client;

	if (ss->ss_family == AF_INET) {
		memcpy(v4, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(v4, a->s6_addr + 12, 4);
			return true;
		}
	}
	return false;
}

static bool
nat46_source(const struct conn *c)
{
	return c->l->has_nat46 && (c->l->mode == SNI_MODE_NAT46 ||
	    (c->l->mode == SNI_MODE_STATIC &&
	    c->l->backend.ss_family == AF_INET6));
}

/* ---- connecting ---- */

static void	connect_next(struct conn *c);
static void	client_cb(struct ev *ev, struct ev_io *io, uint32_t events);
static void	backend_cb(struct ev *ev, struct ev_io *io, uint32_t events);

static void
backend_drop(struct conn *c)
{
	if (c->bfd != -1) {
		ev_io_stop(W.ev, &c->bio);
		close(c->bfd);
		c->bfd = -1;
	}
}

/* The connection failed: the next address, or give up. */
static void
connect_failed(struct conn *c, int err)
{
	char be[64];

	log_debug("%s: connect to %s: %s", c->name[0] ? c->name : "-",
	    sa_str(&c->baddr, be, sizeof(be)), strerror(err));
	backend_drop(c);
	if (c->idx < c->dns.n) {
		connect_next(c);
		return;
	}
	sni_stats.connect_fail++;
	conn_close(c, err == EMFILE || err == ENFILE ? RES_NOFD : RES_CONNFAIL);
}

static void
connect_next(struct conn *c)
{
	const struct sni_listener *l = c->l;
	int fd, one = 1;

	memset(&c->baddr, 0, sizeof(c->baddr));
	if (l->mode == SNI_MODE_STATIC) {
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
		connect_failed(c, errno);
		return;
	}
	c->bfd = fd;
	if (nat46_source(c)) {
		struct sockaddr_in6 src;

		memset(&src, 0, sizeof(src));
		src.sin6_family = AF_INET6;
		memcpy(&src.sin6_addr, &l->nat46, 12);
		client_v4(c, src.sin6_addr.s6_addr + 12);
		/* The prefix is routed to lo ("local" route), not assigned:
		 * FREEBIND lets us bind it, and leaving the port to
		 * connect() lets many clients share one source port
		 * space per backend. */
		if ((!W.nonlocal_bind && setsockopt(fd, SOL_IPV6,
		    IPV6_FREEBIND, &one, sizeof(one)) == -1) ||
		    setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one)) == -1 ||
		    bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
			connect_failed(c, errno);
			return;
		}
	}
	c->up.nodelay = true;	/* set before the second write, in move() */
	if (connect(fd, (struct sockaddr *)&c->baddr, c->baddrlen) == -1 &&
	    errno != EINPROGRESS) {
		connect_failed(c, errno);
		return;
	}
	c->state = CS_CONNECT;
	if (ev_io_start(W.ev, &c->bio, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP |
	    EPOLLET, backend_cb, c) != 0) {
		connect_failed(c, errno);
		return;
	}
	ev_timer_start(W.ev, &c->tm, c->conf->connect_ms);
}

static void	dns_cb(struct sni_dns_wait *w, const struct sni_dns_result *r);

static void
dns_done(struct conn *c, const struct sni_dns_result *r)
{
	int i, n = 0;

	if (r->status != ARES_SUCCESS) {
		if (c->l->mode == SNI_MODE_TCP && r->family == AF_INET6 &&
		    r->status == ARES_ENODATA && !c->tried_a) {
			c->tried_a = true;
			if (sni_dns_lookup(c->name, AF_INET, &c->dw,
			    dns_cb, &c->dns) == 0)
				dns_done(c, &c->dns);
			return;
		}
		sni_stats.dns_fail++;
		log_debug("%s: %s", c->name, ares_strerror(r->status));
		conn_close(c, r->status == ARES_ETIMEOUT ? RES_DNS_TO :
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
	if (n == 0) {
		char a[INET6_ADDRSTRLEN];

		sni_stats.not_allowed++;
		log_info("%s: refused: resolves to %s, outside the backend "
		    "networks", c->name, inet_ntop(r->family, &r->a[0], a,
		    sizeof(a)) ? a : "?");
		conn_close(c, RES_NOTALLOWED);
		return;
	}
	connect_next(c);
}

static void
dns_cb(struct sni_dns_wait *w, const struct sni_dns_result *r)
{
	struct conn *c = (struct conn *)((char *)w -
	    offsetof(struct conn, dw));

	dns_done(c, r);
}

static void
route(struct conn *c)
{
	int fam = c->l->mode == SNI_MODE_TCP || c->l->mode == SNI_MODE_NAT46 ?
	    AF_INET6 : AF_INET;

	c->state = CS_DNS;
	/* c-ares keeps its own time; this is only a backstop. */
	ev_timer_start(W.ev, &c->tm, c->conf->dns_ms + 1000);
	if (c->l->mode == SNI_MODE_STATIC) {
		connect_next(c);
		return;
	}
	if (sni_dns_lookup(c->name, fam, &c->dw, dns_cb, &c->dns) == 0)
		dns_done(c, &c->dns);
	/* else: c may be gone already */
}

/* ---- the first bytes ---- */

static void
reply_close(struct conn *c, const void *msg, size_t len, int res)
{
	/* Best effort: a fresh socket always has room for a few bytes. */
	(void)send(c->cfd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	conn_close(c, res);
}

static const char http400[] = "HTTP/1.1 400 Bad Request\r\n"
    "Content-Length: 0\r\nConnection: close\r\n\r\n";

/* Returns true when c was handed on (or closed): don't touch it. */
static bool
head_parse(struct conn *c)
{
	const struct sni_listener *l = c->l;
	struct sni_proxy px;
	enum sni_result r;

	if (l->proxy_in && !c->proxy_done) {
		r = sni_proxy_parse(c->buf + c->off, c->len - c->off, &px);
		if (r == SNI_MORE)
			return false;
		if (r != SNI_FOUND) {
			conn_close(c, RES_BADPROXY);
			return true;
		}
		if (!px.local) {
			c->client = px.src;
			c->local = px.dst;
		}
		c->off += px.hdrlen;
		c->proxy_done = true;
	}
	if (l->mode == SNI_MODE_NAT46 || (nat46_source(c))) {
		uint8_t v4[4];

		if (!client_v4(c, v4)) {
			conn_close(c, R_V6CLIENT);
			return true;
		}
	}
	while (l->proto == SNI_PROTO_PG && !c->pg_done) {
		r = sni_pg_request(c->buf + c->off, c->len - c->off);
		if (r == SNI_MORE)
			return false;
		if (r == SNI_BAD) {
			conn_close(c, RES_NOTPG);
			return true;
		}
		/* GSSENCRequest: say no, an SSLRequest follows.  The
		 * backend gets our own SSLRequest, not these bytes. */
		if (send(c->cfd, r == SNI_FOUND ? "S" : "N", 1,
		    MSG_NOSIGNAL) != 1) {
			conn_close(c, RES_ERROR);
			return true;
		}
		c->off += SNI_PG_REQLEN;
		c->pg_done = r == SNI_FOUND;
	}
	if (l->proto == SNI_PROTO_PLAIN) {
		route(c);
		return true;
	}
	if (l->proto == SNI_PROTO_HTTP) {
		r = sni_http_host(c->buf + c->off, c->len - c->off,
		    HTTP_HEAD_MAX, c->name);
		switch (r) {
		case SNI_MORE:
			return false;
		case SNI_FOUND:
			break;
		case SNI_NONE:
			if (l->default_host[0]) {
				strlcpy(c->name, l->default_host,
				    sizeof(c->name));
				break;
			}
			sni_stats.noname++;
			reply_close(c, http400, sizeof(http400) - 1, RES_NOHOST);
			return true;
		case SNI_BADNAME:
			sni_stats.badname++;
			c->name[0] = '\0';
			reply_close(c, http400, sizeof(http400) - 1, RES_BADNAME);
			return true;
		case SNI_BAD:
			conn_close(c, RES_NOTHTTP);
			return true;
		}
		route(c);
		return true;
	}
	r = sni_tls_hello(c->buf + c->off, c->len - c->off, c->name);
	switch (r) {
	case SNI_MORE:
		return false;
	case SNI_FOUND:
		break;
	case SNI_NONE:
		if (l->default_host[0]) {
			strlcpy(c->name, l->default_host, sizeof(c->name));
			break;
		}
		sni_stats.noname++;
		reply_close(c, sni_tls_alert, sizeof(sni_tls_alert), RES_NOSNI);
		return true;
	case SNI_BADNAME:
		sni_stats.badname++;
		c->name[0] = '\0';
		reply_close(c, sni_tls_alert, sizeof(sni_tls_alert), RES_BADNAME);
		return true;
	case SNI_BAD:
		conn_close(c, RES_NOTTLS);
		return true;
	}
	route(c);
	return true;
}

/* Read what the client has sent and try to route.  Edge-triggered: read
 * until the socket is drained (a short read says so). */
static void
head_read(struct conn *c)
{
	for (;;) {
		size_t room;
		ssize_t n;

		if (c->len == c->cap) {
			uint8_t *nb;
			uint32_t ncap = c->cap * 2 > HEAD_MAX ? HEAD_MAX :
			    c->cap * 2;

			if (c->cap == HEAD_MAX) {
				/* Every parser has answered by now. */
				conn_close(c, c->l->proto == SNI_PROTO_HTTP ?
				    RES_NOTHTTP : RES_NOTTLS);
				return;
			}
			if ((nb = realloc(c->buf, ncap)) == NULL) {
				conn_close(c, RES_ERROR);
				return;
			}
			c->buf = nb;
			c->cap = ncap;
		}
		room = c->cap - c->len;
		n = recv(c->cfd, c->buf + c->len, room, 0);
		if (n == 0) {
			conn_close(c, RES_CLOSED);
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				c->up.rd = false;
				return;
			}
			conn_close(c, RES_CLOSED);
			return;
		}
		c->len += n;
		if ((size_t)n < room && !c->up.hup)
			c->up.rd = false;
		if (head_parse(c))
			return;
		if (!c->up.rd)
			return;
	}
}

/* ---- the backend side: preamble and replay ---- */

static void
relay_start(struct conn *c)
{
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = c->off = 0;
	c->state = CS_RELAY;
	/* up.rd and down.rd hold what the edges said meanwhile. */
	c->down.wr = true;
	c->last_ms = ev_now_ms(W.ev);
	ev_timer_start(W.ev, &c->tm, c->conf->idle_ms);
	pump(c);
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
		relay_start(c);
		return;
	}
	n = writev(c->bfd, iov, cnt);
	if (n < 0 && errno != EAGAIN) {
		connect_failed(c, errno);
		return;
	}
	if (n < 0)
		n = 0;
	if ((size_t)n < total) {
		/* Rare: a hello bigger than the first send buffer. */
		size_t skip = n, i;

		c->up.wr = false;
		if (pipe_get(&c->up) == -1) {
			conn_close(c, RES_NOFD);
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
				conn_close(c, RES_ERROR);
				return;
			}
			c->up.pending += l - skip;
			skip = 0;
		}
	}
	c->up.bytes += c->len - c->off;
	relay_start(c);
}

static void
backend_connected(struct conn *c)
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
		connect_failed(c, errno ? errno : EIO);
		return;
	}
	c->state = CS_PGWAIT;
}

static void
pg_answer(struct conn *c)
{
	char a;
	ssize_t n = recv(c->bfd, &a, 1, 0);

	if (n < 0 && errno == EAGAIN)
		return;
	if (n != 1 || a != 'S') {
		if (n == 1)
			log_info("%s: the backend does not take TLS (\"%c\")",
			    c->name, a);
		conn_close(c, n == 1 ? RES_BACKNOTLS : RES_CONNFAIL);
		return;
	}
	if (!c->down.hup)
		c->down.rd = false;
	replay(c, false);
}

/* ---- relaying ---- */

/* Move what can be moved from one side to the other.  -1: the
 * connection failed. */
/* Nagle only ever holds a write back while an earlier one is
 * unacknowledged: the replayed hello, the first, never waits, so the
 * backend socket gets TCP_NODELAY just before its second write, and
 * connections that send nothing more skip the call. */
static inline void
nodelay(struct dir *d, int dst)
{
	int one = 1;

	if (d->nodelay) {
		setsockopt(dst, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		d->nodelay = false;
	}
}

static int
move(struct dir *d, const struct dir *other, int src, int dst)
{
	uint8_t buf[CHUNK];
	ssize_t n, w;

	for (;;) {
		if (d->pending) {
			if (!d->wr)
				return 0;
			nodelay(d, dst);
			n = splice(d->pipe[0], NULL, dst, NULL, d->pending,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n < 0) {
				if (errno == EAGAIN) {
					d->wr = false;
					return 0;
				}
				return -1;
			}
			d->pending -= n;
			d->bytes += n;
			if (d->pending == 0)
				pipe_put(d);
			continue;
		}
		if (d->eof) {
			/* When the other way is finished too, close() sends
			 * this FIN: no shutdown call. */
			if (!d->shut && !other->shut)
				shutdown(dst, SHUT_WR);
			d->shut = true;
			return 0;
		}
		if (!d->rd)
			return 0;
		if (d->bulk) {
			if (pipe_get(d) == -1)
				return -1;
			/* Fewer, larger splices for a bulk transfer; the
			 * kernel holds pages only while data is in flight. */
			if (!d->bigpipe) {
				d->bigpipe = true;
				(void)fcntl(d->pipe[1], F_SETPIPE_SZ, BULK_PIPE);
			}
			n = splice(src, NULL, d->pipe[1], NULL, BULK_PIPE,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n <= 0) {
				pipe_put(d);
				if (n == 0) {
					d->eof = true;
					continue;
				}
				if (errno == EAGAIN) {
					d->rd = false;
					return 0;
				}
				return -1;
			}
			d->pending = n;
			continue;
		}
		n = recv(src, buf, sizeof(buf), 0);
		if (n == 0) {
			d->eof = true;
			continue;
		}
		if (n < 0) {
			if (errno == EAGAIN) {
				d->rd = false;
				return 0;
			}
			return -1;
		}
		/* A short read drained the socket; a new arrival makes a
		 * new edge.  After a reported FIN nothing can arrive: a
		 * short read reached it.  A full read: bulk from now on. */
		if (n == (ssize_t)sizeof(buf))
			d->bulk = true;
		else if (d->hup)
			d->eof = true;	/* short read after the FIN: done */
		else
			d->rd = false;
		nodelay(d, dst);
		w = d->wr ? send(dst, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) : 0;
		if (w < 0) {
			if (errno != EAGAIN)
				return -1;
			w = 0;
		}
		d->bytes += w;
		if (w < n) {
			d->wr = false;
			if (pipe_get(d) == -1)
				return -1;
			/* The pipe is empty and holds 64 KiB: all fits. */
			if (write(d->pipe[1], buf + w, n - w) != n - w)
				return -1;
			d->pending = n - w;
			return 0;
		}
	}
}

static void
pump(struct conn *c)
{
	uint64_t before = c->up.bytes + c->down.bytes;

	if (move(&c->up, &c->down, c->cfd, c->bfd) == -1 ||
	    move(&c->down, &c->up, c->bfd, c->cfd) == -1) {
		/* A peer that closes with unread data resets: common at
		 * the end of a session, and told apart from other errors. */
		conn_close(c, errno == ECONNRESET || errno == EPIPE ?
		    RES_RESET : RES_ERROR);
		return;
	}
	if (c->up.shut && c->down.shut) {
		conn_close(c, RES_OK);
		return;
	}
	if (c->up.bytes + c->down.bytes != before)
		c->last_ms = ev_now_ms(W.ev);
}

static void
client_cb(struct ev *ev, struct ev_io *io, uint32_t events)
{
	struct conn *c = io->arg;

	if (events & EPOLLRDHUP)
		c->up.hup = true;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->up.rd = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->down.wr = true;
	switch (c->state) {
	case CS_HEAD:
		if (c->up.rd)
			head_read(c);
		break;
	case CS_RELAY:
		pump(c);
		break;
	default:
		/* Waiting for DNS or the backend; a reset client ends it. */
		if (events & (EPOLLERR | EPOLLHUP))
			conn_close(c, RES_CLOSED);
		break;
	}
}

static void
backend_cb(struct ev *ev, struct ev_io *io, uint32_t events)
{
	struct conn *c = io->arg;

	if (events & EPOLLRDHUP)
		c->down.hup = true;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->down.rd = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->up.wr = true;
	switch (c->state) {
	case CS_CONNECT:
		if (events & (EPOLLERR | EPOLLHUP)) {
			int e = 0;
			socklen_t l = sizeof(e);

			getsockopt(c->bfd, SOL_SOCKET, SO_ERROR, &e, &l);
			connect_failed(c, e ? e : ECONNREFUSED);
		} else if (events & EPOLLOUT)
			backend_connected(c);
		break;
	case CS_PGWAIT:
		if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
			pg_answer(c);
		break;
	case CS_RELAY:
		pump(c);
		break;
	default:
		break;
	}
}

static void
conn_new(struct sni_lsock *s, int fd, const struct sockaddr_storage *ss)
{
	struct conn *c;
	socklen_t sl = sizeof(c->local);

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->next = W.conns;
	if (c->next != NULL)
		c->next->prevp = &c->next;
	c->prevp = &W.conns;
	W.conns = c;
	c->l = s->l;
	c->conf = W.conf;
	c->conf->refs++;
	c->cfd = fd;
	c->bfd = -1;
	c->up.pipe[0] = c->up.pipe[1] = -1;
	c->down.pipe[0] = c->down.pipe[1] = -1;
	c->client = *ss;
	c->start_ms = ev_now_ms(W.ev);
	c->state = CS_HEAD;
	W.nconns++;
	sni_stats.accepted++;
	sni_stats.active++;
	ev_timer_init(&c->tm, conn_timeout, c);
	/* PROXY v2 to the backend names the address the client reached. */
	if (c->l->proxy_out)
		getsockname(fd, (struct sockaddr *)&c->local, &sl);
	if (ev_io_start(W.ev, &c->cio, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP |
	    EPOLLET, client_cb, c) != 0) {
		conn_close(c, RES_ERROR);
		return;
	}
	if (c->l->proto == SNI_PROTO_PLAIN && !c->l->proxy_in) {
		head_parse(c);
		return;
	}
	if ((c->buf = malloc(HEAD_CAP0)) == NULL) {
		conn_close(c, RES_ERROR);
		return;
	}
	c->cap = HEAD_CAP0;
	ev_timer_start(W.ev, &c->tm, c->conf->hello_ms);
	/* With TCP_DEFER_ACCEPT the hello is usually here already. */
	c->up.rd = false;
	head_read(c);
}

static void
fd_resume(struct ev *ev, struct ev_timer *t)
{
	if (W.nconns < W.maxconns)
		listeners_set(true);
}

static void
accept_cb(struct ev *ev, struct ev_io *io, uint32_t events)
{
	struct sni_lsock *s = io->arg;
	int i;

	for (i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd;

		if (W.nconns >= W.maxconns) {
			sni_stats.capped++;
			listeners_set(false);
			return;
		}
		fd = accept4(s->fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			switch (errno) {
			case EAGAIN:
				return;
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				/* Leave the connection in the backlog and stop
				 * listening for a moment, not spin. */
				if (!W.paused)
					log_warn("accept (paused %d ms)",
					    FD_PAUSE_MS);
				sni_stats.accept_paused++;
				listeners_set(false);
				ev_timer_start(ev, &W.fdtimer, FD_PAUSE_MS);
				return;
			default:
				log_warn("accept");
				return;
			}
		}
		conn_new(s, fd, &ss);
	}
}

/* ---- listeners, stats, housekeeping ---- */

int
sni_listen_socket(const struct sni_listener *l)
{
	int fd, one = 1, zero = 0, secs;

	fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	secs = 5;	/* the default hello timeout */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    /* Accepted sockets inherit it: no call per connection. */
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		goto fail;
	if (l->addr.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)
	    &l->addr)->sin6_addr) &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)))
		goto fail;
	/* The client speaks first on everything but plain listeners: wake
	 * up only when its first bytes are there. */
	if (l->proto != SNI_PROTO_PLAIN &&
	    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs)))
		goto fail;
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) ||
	    listen(fd, 4096))
		goto fail;
	return fd;
fail:
	one = -errno;
	close(fd);
	return one;
}

int
sni_worker_listen(const struct sni_listener *l, int fd)
{
	struct sni_lsock *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	s->l = l;
	s->fd = fd;
	s->io.cb = accept_cb;
	s->next = W.ls;
	W.ls = s;
	if (!W.paused) {
		if (ev_io_start(W.ev, &s->io, fd, EPOLLIN, accept_cb, s) != 0)
			return -errno;
		s->on = true;
	}
	return 0;
}

static void
stats_write(void)
{
	char path[PATH_MAX + 16], tmp[PATH_MAX + 32];
	const char *p = W.conf->stats;
	size_t pl = strlen(p);
	FILE *f;
	int i;

	if (p[0] == '\0')
		return;
	if (W.conf->workers > 1 && pl > 5 && strcmp(p + pl - 5, ".prom") == 0)
		snprintf(path, sizeof(path), "%.*s-w%d.prom", (int)(pl - 5), p,
		    sni_worker_id);
	else if (W.conf->workers > 1)
		snprintf(path, sizeof(path), "%s.%d", p, sni_worker_id);
	else
		snprintf(path, sizeof(path), "%s", p);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		log_warn("%s", tmp);
		return;
	}
	fprintf(f, "# HELP edge_sni_connections_total Connections accepted.\n"
	    "# TYPE edge_sni_connections_total counter\n"
	    "edge_sni_connections_total{worker=\"%d\"} %llu\n"
	    "# HELP edge_sni_connections_active Connections open now.\n"
	    "# TYPE edge_sni_connections_active gauge\n"
	    "edge_sni_connections_active{worker=\"%d\"} %llu\n"
	    "# HELP edge_sni_results_total Connections closed, by result.\n"
	    "# TYPE edge_sni_results_total counter\n",
	    sni_worker_id, (unsigned long long)sni_stats.accepted,
	    sni_worker_id, (unsigned long long)sni_stats.active);
	for (i = 0; i < RES_MAX; i++)
		fprintf(f, "edge_sni_results_total{worker=\"%d\",result=\"%s\"}"
		    " %llu\n", sni_worker_id, results[i],
		    (unsigned long long)W.by_result[i]);
	fprintf(f, "# HELP edge_sni_bytes_total Bytes relayed.\n"
	    "# TYPE edge_sni_bytes_total counter\n"
	    "edge_sni_bytes_total{worker=\"%d\",direction=\"up\"} %llu\n"
	    "edge_sni_bytes_total{worker=\"%d\",direction=\"down\"} %llu\n"
	    "# HELP edge_sni_dns_lookups_total Name lookups, by cache use.\n"
	    "# TYPE edge_sni_dns_lookups_total counter\n"
	    "edge_sni_dns_lookups_total{worker=\"%d\",cache=\"hit\"} %llu\n"
	    "edge_sni_dns_lookups_total{worker=\"%d\",cache=\"miss\"} %llu\n"
	    "# HELP edge_sni_accept_paused_total Accept pauses for lack of "
	    "descriptors.\n"
	    "# TYPE edge_sni_accept_paused_total counter\n"
	    "edge_sni_accept_paused_total{worker=\"%d\"} %llu\n",
	    sni_worker_id, (unsigned long long)sni_stats.bytes_up,
	    sni_worker_id, (unsigned long long)sni_stats.bytes_down,
	    sni_worker_id, (unsigned long long)sni_stats.dns_hit,
	    sni_worker_id, (unsigned long long)sni_stats.dns_miss,
	    sni_worker_id, (unsigned long long)sni_stats.accept_paused);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		log_warn("%s", path);
		unlink(tmp);
	}
}

void
sni_worker_stats(void)
{
	log_info("worker %d: accepted %llu active %llu ok %llu refused %llu "
	    "errors %llu hello-timeout %llu connect-timeout %llu "
	    "idle-timeout %llu dns-fail %llu not-allowed %llu dns hit %llu "
	    "miss %llu bytes up %llu down %llu accept-paused %llu",
	    sni_worker_id,
	    (unsigned long long)sni_stats.accepted,
	    (unsigned long long)sni_stats.active,
	    (unsigned long long)sni_stats.ok,
	    (unsigned long long)sni_stats.refused,
	    (unsigned long long)sni_stats.errors,
	    (unsigned long long)sni_stats.hello_timeout,
	    (unsigned long long)sni_stats.connect_timeout,
	    (unsigned long long)sni_stats.idle_timeout,
	    (unsigned long long)sni_stats.dns_fail,
	    (unsigned long long)sni_stats.not_allowed,
	    (unsigned long long)sni_stats.dns_hit,
	    (unsigned long long)sni_stats.dns_miss,
	    (unsigned long long)sni_stats.bytes_up,
	    (unsigned long long)sni_stats.bytes_down,
	    (unsigned long long)sni_stats.accept_paused);
	sni_worker_flush();
	stats_write();
}

void
sni_worker_flush(void)
{
	size_t off = 0;
	ssize_t n;

	while (W.alog != -1 && off < W.alen) {
		n = write(W.alog, W.abuf + off, W.alen - off);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			log_warn("access log");
			break;
		}
		off += n;
	}
	W.alen = 0;
}

void
sni_worker_reopen(void)
{
	const char *p = W.conf->access_log;

	sni_worker_flush();
	if (W.alog > STDERR_FILENO)
		close(W.alog);
	W.alog = -1;
	if (strcmp(p, "-") == 0)
		W.alog = STDOUT_FILENO;
	else if (p[0] != '\0' && (W.alog = open(p, O_WRONLY | O_APPEND |
	    O_CREAT | O_CLOEXEC, 0640)) == -1)
		log_warn("%s", p);
}

static void
housekeep(struct ev *ev, struct ev_timer *t)
{
	uint64_t now = ev_now_ms(ev);

	sni_worker_flush();
	if (now - W.last_stats >= STATS_EVERY_MS) {
		W.last_stats = now;
		stats_write();
	}
	ev_timer_start(ev, t, HOUSEKEEP_MS);
}

/* With net.ipv6.ip_nonlocal_bind set, any address binds: no per-socket
 * IPV6_FREEBIND needed. */
static bool
nonlocal_bind(void)
{
	char b[4] = "";
	int fd = open("/proc/sys/net/ipv6/ip_nonlocal_bind", O_RDONLY |
	    O_CLOEXEC);

	if (fd == -1)
		return false;
	if (read(fd, b, sizeof(b) - 1) < 1)
		b[0] = '0';
	close(fd);
	return b[0] == '1';
}

static unsigned int
default_maxconns(void)
{
	long n = sysconf(_SC_OPEN_MAX);

	/* Two sockets per connection, a pipe while data is in flight. */
	if (n <= 0)
		n = 1024;
	return n > 128 ? (unsigned int)((n - 64) / 3) : 16;
}

int
sni_worker_init(struct ev *ev, struct sni_conf *c, char *err, size_t errlen)
{
	W.ev = ev;
	W.conf = c;
	W.alog = -1;
	W.nonlocal_bind = nonlocal_bind();
	W.maxconns = c->max_conns ? c->max_conns : default_maxconns();
	ev_timer_init(&W.fdtimer, fd_resume, NULL);
	ev_timer_init(&W.hk, housekeep, NULL);
	ev_timer_start(ev, &W.hk, HOUSEKEEP_MS);
	W.last_stats = ev_now_ms(ev);
	sni_worker_reopen();
	return sni_dns_init(ev, c->resolver, c->dns_ms, c->neg_ttl_max, err,
	    errlen);
}

/*
 * A new configuration: listeners with the same Listen keep their socket
 * and take the new settings (open connections keep the old ones, which
 * live on until the last of them closes); new ones are opened (fds[i] >= 0
 * when the caller opened it), gone ones closed.
 */
int
sni_worker_reload(struct sni_conf *nc, const int *fds)
{
	struct sni_conf *old = W.conf;
	struct sni_lsock **pp, *s;
	size_t i;
	int rc = 0;

	for (pp = &W.ls; (s = *pp) != NULL;) {
		for (i = 0; i < nc->nl; i++)
			if (strcmp(nc->l[i].spec, s->l->spec) == 0)
				break;
		if (i == nc->nl) {
			if (s->on)
				ev_io_stop(W.ev, &s->io);
			close(s->fd);
			*pp = s->next;
			free(s);
			continue;
		}
		s->l = &nc->l[i];
		pp = &s->next;
	}
	for (i = 0; i < nc->nl; i++) {
		for (s = W.ls; s != NULL; s = s->next)
			if (s->l == &nc->l[i])
				break;
		if (s != NULL)
			continue;
		if (fds[i] < 0) {
			log_warnx("%s: cannot listen: %s", nc->l[i].spec,
			    strerror(-fds[i]));
			rc = -1;
			continue;
		}
		sni_worker_listen(&nc->l[i], fds[i]);
	}
	W.conf = nc;
	W.maxconns = nc->max_conns ? nc->max_conns : default_maxconns();
	if (old->refs == 0) {
		sni_conf_free(old);
		free(old);
	}
	sni_worker_reopen();
	return rc;
}

/* At exit: close every connection (logged as "shutdown"), every
 * listener and pooled pipe, flush the log.  The configuration is the
 * caller's. */
void
sni_worker_free(void)
{
	struct sni_lsock *s;

	W.paused = true;	/* no resuming from conn_close */
	while (W.conns != NULL)
		conn_close(W.conns, RES_SHUTDOWN);
	while ((s = W.ls) != NULL) {
		if (s->on)
			ev_io_stop(W.ev, &s->io);
		close(s->fd);
		W.ls = s->next;
		free(s);
	}
	while (W.npool > 0) {
		W.npool--;
		close(W.pool[W.npool][0]);
		close(W.pool[W.npool][1]);
	}
	ev_timer_stop(W.ev, &W.hk);
	ev_timer_stop(W.ev, &W.fdtimer);
	sni_worker_flush();
	if (W.alog > STDERR_FILENO)
		close(W.alog);
	W.alog = -1;
	sni_dns_free();
}

/* Free the configuration in use: the worker's current one (a reload may
 * have replaced the first, which its last connection then freed), or
 * orig where no worker ran. */
void
sni_worker_conf_free(struct sni_conf *orig)
{
	struct sni_conf *c = W.conf != NULL ? W.conf : orig;

	sni_conf_free(c);
	free(c);
	W.conf = NULL;
}
