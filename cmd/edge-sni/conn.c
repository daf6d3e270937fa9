// SPDX-License-Identifier: ISC
/*
 * The life of one connection: created on accept, driven by the events on
 * its two sockets (dispatched here by state), closed with one result.
 */
#define _GNU_SOURCE
#include <errno.h>
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

static void
conn_timeout(struct ev *ev, struct ev_timer *t)
{
	struct conn *c = t->arg;
	uint64_t now = ev_now_ms(ev), idle = c->conf->idle_ms;

	switch (c->state) {
	case CS_HEAD:
		sni_stats.hello_timeout++;
		sni_conn_close(c, RES_HELLO_TO);
		break;
	case CS_DNS:
		sni_conn_close(c, RES_DNS_TO);
		break;
	case CS_CONNECT:
		if (sni_connect_timed_out(c))
			break;
		/* FALLTHROUGH */
	case CS_PGWAIT:
		sni_stats.connect_timeout++;
		sni_conn_close(c, RES_CONNECT_TO);
		break;
	case CS_RELAY:
		/* The deadline moves lazily: re-arm for what is left. */
		if (now - c->last_ms < idle) {
			ev_timer_start(ev, t, idle - (now - c->last_ms));
			return;
		}
		sni_stats.idle_timeout++;
		sni_conn_close(c, RES_IDLE_TO);
		break;
	}
}

void
sni_conn_new(struct sni_lsock *s, int fd, const struct sockaddr_storage *ss)
{
	struct conn *c;
	socklen_t sl = sizeof(c->local);

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->next = sni_w.conns;
	if (c->next != NULL)
		c->next->prevp = &c->next;
	c->prevp = &sni_w.conns;
	sni_w.conns = c;
	c->l = s->l;
	c->conf = sni_w.conf;
	c->conf->refs++;
	c->cfd = fd;
	c->bfd = -1;
	c->up.pipe[0] = c->up.pipe[1] = -1;
	c->down.pipe[0] = c->down.pipe[1] = -1;
	c->client = *ss;
	c->start_ms = ev_now_ms(sni_w.ev);
	c->state = CS_HEAD;
	sni_w.nconns++;
	sni_stats.accepted++;
	sni_stats.active++;
	ev_timer_init(&c->tm, conn_timeout, c);
	/* PROXY v2 to the backend names the address the client reached. */
	if (c->l->proxy_out)
		getsockname(fd, (struct sockaddr *)&c->local, &sl);
	if (ev_io_start(sni_w.ev, &c->cio, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP |
	    EPOLLET, sni_client_cb, c) != 0) {
		sni_conn_close(c, RES_ERROR);
		return;
	}
	if (c->l->proto == SNI_PROTO_PLAIN && !c->l->proxy_in) {
		sni_head_parse(c);
		return;
	}
	if ((c->buf = malloc(HEAD_CAP0)) == NULL) {
		sni_conn_close(c, RES_ERROR);
		return;
	}
	c->cap = HEAD_CAP0;
	ev_timer_start(sni_w.ev, &c->tm, c->conf->hello_ms);
	/* With TCP_DEFER_ACCEPT the hello is usually here already. */
	c->up.rd = false;
	sni_head_read(c);
}

void
sni_conn_close(struct conn *c, int res)
{
	if (c->state == CS_DNS)
		sni_dns_cancel(&c->dw);
	ev_timer_stop(sni_w.ev, &c->tm);
	/* Our sockets are never shared: close() takes them out of the
	 * epoll set, no epoll_ctl() needed. */
	ev_io_forget(sni_w.ev, &c->cio);
	close(c->cfd);
	if (c->bfd != -1) {
		ev_io_forget(sni_w.ev, &c->bio);
		close(c->bfd);
	}
	sni_pipe_put(&c->up);
	sni_pipe_put(&c->down);
	sni_access_log(c, res);
	sni_w.by_result[res]++;
	sni_stats.active--;
	sni_stats.bytes_up += c->up.bytes;
	sni_stats.bytes_down += c->down.bytes;
	if (res == RES_OK)
		sni_stats.ok++;
	else if (res == RES_ERROR || res == RES_IDLE_TO || res == RES_RESET)
		sni_stats.errors++;
	else
		sni_stats.refused++;
	if (--c->conf->refs == 0 && c->conf != sni_w.conf) {
		sni_conf_free(c->conf);
		free(c->conf);
	}
	*c->prevp = c->next;
	if (c->next != NULL)
		c->next->prevp = c->prevp;
	free(c->buf);
	free(c);
	sni_w.nconns--;
	if (sni_w.paused && sni_w.nconns < sni_w.maxconns && !ev_timer_pending(&sni_w.fdtimer))
		sni_listeners_set(true);
}

bool
sni_client_v4(const struct conn *c, uint8_t v4[4])
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

bool
sni_nat46_source(const struct conn *c)
{
	return c->l->has_nat46 && (c->l->mode == SNI_MODE_NAT46 ||
	    (c->l->mode == SNI_MODE_STATIC &&
	    c->l->backend.ss_family == AF_INET6));
}

void
sni_client_cb(struct ev *ev, struct ev_io *io, uint32_t events)
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
			sni_head_read(c);
		break;
	case CS_RELAY:
		sni_pump(c);
		break;
	default:
		/* Waiting for DNS or the backend; a reset client ends it. */
		if (events & (EPOLLERR | EPOLLHUP))
			sni_conn_close(c, RES_CLOSED);
		break;
	}
}

void
sni_backend_cb(struct ev *ev, struct ev_io *io, uint32_t events)
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
			sni_connect_failed(c, e ? e : ECONNREFUSED);
		} else if (events & EPOLLOUT)
			sni_backend_connected(c);
		break;
	case CS_PGWAIT:
		if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
			sni_pg_answer(c);
		break;
	case CS_RELAY:
		sni_pump(c);
		break;
	default:
		break;
	}
}
