// SPDX-License-Identifier: ISC
/*
 * The dns probe: one c-ares channel per target (its server and binding),
 * driven by our event loop through the socket-state callback.  The answer
 * is judged by probe_dns_check(), not by c-ares, so that SERVFAIL and
 * REFUSED show as what they are.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>

#include "log.h"
#include "probe.h"

#define DNS_SOCKS	8

struct dns_state {
	struct probe_target	*t;
	ares_channel		 ch;
	struct ev_timer		 tm;
	struct {
		int		fd;
		bool		on;
		struct ev_io	io;
	} s[DNS_SOCKS];
};

struct dns_query {
	struct probe_target	*t;
	uint32_t		 seq;
};

static bool ares_ready;

static void	dns_timer(struct ev *ev, struct ev_timer *tm);

static void
rearm(struct dns_state *d)
{
	struct timeval tv, *tvp;
	struct ev *ev = d->t->ctx->ev;

	tvp = ares_timeout(d->ch, NULL, &tv);
	if (!tvp) {
		ev_timer_stop(ev, &d->tm);
		return;
	}
	ev_timer_start(ev, &d->tm, (uint64_t)tvp->tv_sec * 1000 +
	    (uint64_t)(tvp->tv_usec + 999) / 1000);
}

static void
dns_io(struct ev *ev, struct ev_io *io, uint32_t events)
{
	struct dns_state *d = io->arg;
	int fd = io->fd;

	ares_process_fd(d->ch,
	    events & (EPOLLIN | EPOLLERR | EPOLLHUP) ? fd : ARES_SOCKET_BAD,
	    events & EPOLLOUT ? fd : ARES_SOCKET_BAD);
	rearm(d);
}

static void
dns_timer(struct ev *ev, struct ev_timer *tm)
{
	struct dns_state *d = tm->arg;

	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	rearm(d);
}

static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_state *d = data;
	struct ev *ev = d->t->ctx->ev;
	uint32_t events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
	int i, free_i = -1;

	for (i = 0; i < DNS_SOCKS; i++) {
		if (d->s[i].on && d->s[i].fd == fd)
			break;
		if (!d->s[i].on && free_i < 0)
			free_i = i;
	}
	if (i < DNS_SOCKS) {
		if (events == 0) {
			ev_io_stop(ev, &d->s[i].io);
			d->s[i].on = false;
		} else
			ev_io_mod(ev, &d->s[i].io, events);
		return;
	}
	if (events == 0)
		return;
	if (free_i < 0) {
		log_warnx("%s: too many c-ares sockets", d->t->name);
		return;
	}
	if (ev_io_start(ev, &d->s[free_i].io, fd, events, dns_io, d) < 0) {
		log_warn("%s: c-ares socket", d->t->name);
		return;
	}
	d->s[free_i].fd = fd;
	d->s[free_i].on = true;
}

static int
sock_config(ares_socket_t fd, int type, void *data)
{
	struct dns_state *d = data;

	if (d->t->has_mark && setsockopt(fd, SOL_SOCKET, SO_MARK,
	    &d->t->mark, sizeof(d->t->mark)) == -1)
		return -1;
	return 0;
}

int
probe_dns_attach(struct probe_ctx *ctx, struct probe_target *t)
{
	struct ares_options o;
	struct dns_state *d;
	int rc, mask;

	if (!ares_ready) {
		if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
			return -ENOMEM;
		ares_ready = true;
	}
	if (!(d = calloc(1, sizeof(*d))))
		return -ENOMEM;
	d->t = t;
	ev_timer_init(&d->tm, dns_timer, d);
	memset(&o, 0, sizeof(o));
	o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH;
	o.tries = 1;
	o.timeout = (int)(t->timeout_ms ? t->timeout_ms : ctx->timeout_ms);
	o.sock_state_cb = sock_state;
	o.sock_state_cb_data = d;
	mask = ARES_OPT_FLAGS | ARES_OPT_TRIES | ARES_OPT_TIMEOUTMS |
	    ARES_OPT_SOCK_STATE_CB;
	if ((rc = ares_init_options(&d->ch, &o, mask)) != ARES_SUCCESS) {
		log_warnx("%s: c-ares: %s", t->name, ares_strerror(rc));
		free(d);
		return -EINVAL;
	}
	if ((rc = ares_set_servers_ports_csv(d->ch, t->target)) !=
	    ARES_SUCCESS) {
		log_warnx("%s: c-ares server %s: %s", t->name, t->target,
		    ares_strerror(rc));
		ares_destroy(d->ch);
		free(d);
		return -EINVAL;
	}
	if (t->dev[0])
		ares_set_local_dev(d->ch, t->dev);
	if (t->has_src && t->family == AF_INET)
		ares_set_local_ip4(d->ch, ntohl(((struct sockaddr_in *)
		    &t->src)->sin_addr.s_addr));
	else if (t->has_src)
		ares_set_local_ip6(d->ch, ((struct sockaddr_in6 *)
		    &t->src)->sin6_addr.s6_addr);
	ares_set_socket_configure_callback(d->ch, sock_config, d);
	t->dns = d;
	return 0;
}

static struct probe_slot *
find_slot(struct probe_target *t, uint32_t seq)
{
	unsigned int i, k;

	for (i = 0, k = t->head; i < t->count; i++, k = (k + 1) % t->nslots)
		if (t->slots[k].seq == seq)
			return t->slots[k].busy && !t->slots[k].done ?
			    &t->slots[k] : NULL;
	return NULL;
}

static void
answered(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_query *q = arg;
	struct probe_target *t = q->t;
	struct probe_slot *s;
	char detail[PROBE_DETAILLEN];
	uint64_t now;
	int rc;

	if (status == ARES_EDESTRUCTION || !(s = find_slot(t, q->seq))) {
		free(q);
		return;
	}
	free(q);
	now = ev_monotonic_us();
	if (status != ARES_SUCCESS || !abuf) {
		probe_done(s, false, 0, status == ARES_ETIMEOUT ? "timeout" :
		    status == ARES_ECONNREFUSED ? "refused" : "error");
		return;
	}
	rc = probe_dns_check(abuf, (size_t)alen, t->qtype,
	    t->has_expect_addr ? t->expect_family : 0, &t->expect_addr,
	    detail, sizeof(detail));
	probe_done(s, rc == 1, (uint32_t)(now - s->sent_us), detail);
}

void
probe_dns_send(struct probe_slot *s)
{
	struct probe_target *t = s->t;
	struct dns_state *d = t->dns;
	struct dns_query *q;
	unsigned char *qbuf;
	int qlen, rc;

	rc = ares_create_query(t->query, 1 /* C_IN */, t->qtype, 0, 1, &qbuf,
	    &qlen, 0);
	if (rc != ARES_SUCCESS) {
		probe_done(s, false, 0, "bad-query");
		return;
	}
	if (!(q = malloc(sizeof(*q)))) {
		ares_free_string(qbuf);
		probe_done(s, false, 0, "no-buffers");
		return;
	}
	q->t = t;
	q->seq = s->seq;
	ares_send(d->ch, qbuf, qlen, answered, q);
	ares_free_string(qbuf);
	rearm(d);
}

void
probe_dns_detach(struct probe_target *t)
{
	struct dns_state *d = t->dns;
	int i;

	if (!d)
		return;
	ev_timer_stop(t->ctx->ev, &d->tm);
	ares_destroy(d->ch);	/* runs the callbacks with EDESTRUCTION */
	for (i = 0; i < DNS_SOCKS; i++)
		if (d->s[i].on)
			ev_io_stop(t->ctx->ev, &d->s[i].io);
	free(d);
	t->dns = NULL;
}
