// SPDX-License-Identifier: ISC
/*
 * One worker: its listening sockets and the accept loop, the connection
 * cap and the pause when descriptors run out, housekeeping, configuration
 * reload and shutdown.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "engine.h"

#define FD_PAUSE_MS	100		/* out of descriptors: retry after */
#define HOUSEKEEP_MS	1000
#define STATS_EVERY_MS	15000

struct sni_stats	sni_stats;
struct sni_worker	sni_w;

int	sni_worker_id;

void
sni_listeners_set(bool on)
{
	struct sni_lsock *s;

	for (s = sni_w.ls; s != NULL; s = s->next) {
		if (on && !s->on)
			ev_io_start(sni_w.ev, &s->io, s->fd, EPOLLIN, s->io.cb, s);
		else if (!on && s->on)
			ev_io_stop(sni_w.ev, &s->io);
		s->on = on;
	}
	sni_w.paused = !on;
}

static void
fd_resume(struct ev *ev, struct ev_timer *t)
{
	if (sni_w.nconns < sni_w.maxconns)
		sni_listeners_set(true);
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

		if (sni_w.nconns >= sni_w.maxconns) {
			sni_stats.capped++;
			sni_listeners_set(false);
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
				if (!sni_w.paused)
					log_warn("accept (paused %d ms)",
					    FD_PAUSE_MS);
				sni_stats.accept_paused++;
				sni_listeners_set(false);
				ev_timer_start(ev, &sni_w.fdtimer, FD_PAUSE_MS);
				return;
			default:
				log_warn("accept");
				return;
			}
		}
		sni_conn_new(s, fd, &ss);
	}
}

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
	s->next = sni_w.ls;
	sni_w.ls = s;
	if (!sni_w.paused) {
		if (ev_io_start(sni_w.ev, &s->io, fd, EPOLLIN, accept_cb, s) != 0)
			return -errno;
		s->on = true;
	}
	return 0;
}

static void
housekeep(struct ev *ev, struct ev_timer *t)
{
	uint64_t now = ev_now_ms(ev);

	sni_worker_flush();
	if (now - sni_w.last_stats >= STATS_EVERY_MS) {
		sni_w.last_stats = now;
		sni_stats_write();
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
	sni_w.ev = ev;
	sni_w.conf = c;
	sni_w.alog = -1;
	sni_w.nonlocal_bind = nonlocal_bind();
	sni_w.maxconns = c->max_conns ? c->max_conns : default_maxconns();
	ev_timer_init(&sni_w.fdtimer, fd_resume, NULL);
	ev_timer_init(&sni_w.hk, housekeep, NULL);
	ev_timer_start(ev, &sni_w.hk, HOUSEKEEP_MS);
	sni_w.last_stats = ev_now_ms(ev);
	sni_worker_reopen();
	return sni_dns_init(ev, c->resolver, c->dns_ms, c->neg_ttl_max, err,
	    errlen);
}

bool
sni_worker_listening(const char *spec)
{
	struct sni_lsock *s;

	for (s = sni_w.ls; s != NULL; s = s->next)
		if (strcmp(s->l->spec, spec) == 0)
			return true;
	return false;
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
	struct sni_conf *old = sni_w.conf;
	struct sni_lsock **pp, *s;
	size_t i;
	int rc = 0;

	for (pp = &sni_w.ls; (s = *pp) != NULL;) {
		for (i = 0; i < nc->nl; i++)
			if (strcmp(nc->l[i].spec, s->l->spec) == 0)
				break;
		if (i == nc->nl) {
			if (s->on)
				ev_io_stop(sni_w.ev, &s->io);
			close(s->fd);
			*pp = s->next;
			free(s);
			continue;
		}
		s->l = &nc->l[i];
		pp = &s->next;
	}
	for (i = 0; i < nc->nl; i++) {
		for (s = sni_w.ls; s != NULL; s = s->next)
			if (s->l == &nc->l[i])
				break;
		if (s != NULL)
			continue;
		if (fds[i] == SNI_FD_KEEP) {
			/* The caller saw a socket that is not there. */
			log_warnx("%s: no socket to keep", nc->l[i].spec);
			rc = -1;
			continue;
		}
		if (fds[i] < 0) {
			log_warnx("%s: cannot listen: %s", nc->l[i].spec,
			    strerror(-fds[i]));
			rc = -1;
			continue;
		}
		sni_worker_listen(&nc->l[i], fds[i]);
	}
	sni_w.conf = nc;
	sni_w.maxconns = nc->max_conns ? nc->max_conns : default_maxconns();
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

	sni_w.paused = true;	/* no resuming from sni_conn_close */
	while (sni_w.conns != NULL)
		sni_conn_close(sni_w.conns, RES_SHUTDOWN);
	while ((s = sni_w.ls) != NULL) {
		if (s->on)
			ev_io_stop(sni_w.ev, &s->io);
		close(s->fd);
		sni_w.ls = s->next;
		free(s);
	}
	while (sni_w.npool > 0) {
		sni_w.npool--;
		close(sni_w.pool[sni_w.npool][0]);
		close(sni_w.pool[sni_w.npool][1]);
	}
	ev_timer_stop(sni_w.ev, &sni_w.hk);
	ev_timer_stop(sni_w.ev, &sni_w.fdtimer);
	sni_worker_flush();
	if (sni_w.alog > STDERR_FILENO)
		close(sni_w.alog);
	sni_w.alog = -1;
	sni_dns_free();
}

/* Free the configuration in use: the worker's current one (a reload may
 * have replaced the first, which its last connection then freed), or
 * orig where no worker ran. */
void
sni_worker_conf_free(struct sni_conf *orig)
{
	struct sni_conf *c = sni_w.conf != NULL ? sni_w.conf : orig;

	sni_conf_free(c);
	free(c);
	sni_w.conf = NULL;
}
