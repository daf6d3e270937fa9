// SPDX-License-Identifier: ISC
/*
 * Relaying both ways until both are done.  Sockets are registered once,
 * edge-triggered, for reading and writing, so the relay never calls
 * epoll_ctl.  Small reads go through a stack buffer (recv + send); a pipe
 * is taken from a small pool only when the backend or client cannot take
 * everything at once, or when a side sends in bulk (then splice(2) moves
 * the data), and goes back as soon as it is empty: an idle connection
 * holds its two sockets and nothing else.
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

#define CHUNK		16384		/* recv/send size before bulk mode */
#define BULK_PIPE	(1 << 20)	/* pipe size for a side sending bulk */

int
sni_pipe_get(struct dir *d)
{
	if (d->pipe[0] != -1)
		return 0;
	if (sni_w.npool > 0) {
		sni_w.npool--;
		d->pipe[0] = sni_w.pool[sni_w.npool][0];
		d->pipe[1] = sni_w.pool[sni_w.npool][1];
		return 0;
	}
	if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		d->pipe[0] = d->pipe[1] = -1;
		return -1;
	}
	return 0;
}

void
sni_pipe_put(struct dir *d)
{
	if (d->pipe[0] == -1)
		return;
	if (d->pending == 0 && sni_w.npool < PIPE_POOL) {
		sni_w.pool[sni_w.npool][0] = d->pipe[0];
		sni_w.pool[sni_w.npool][1] = d->pipe[1];
		sni_w.npool++;
	} else {
		close(d->pipe[0]);
		close(d->pipe[1]);
	}
	d->pipe[0] = d->pipe[1] = -1;
	d->pending = 0;
}

/* The replay is written (or queued): relay from now on. */
void
sni_relay_start(struct conn *c)
{
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = c->off = 0;
	c->state = CS_RELAY;
	/* up.rd and down.rd hold what the edges said meanwhile. */
	c->down.wr = true;
	c->last_ms = ev_now_ms(sni_w.ev);
	ev_timer_start(sni_w.ev, &c->tm, c->conf->idle_ms);
	sni_pump(c);
}

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

/* Move what can be moved from one side to the other.  -1: the
 * connection failed. */
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
				sni_pipe_put(d);
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
			if (sni_pipe_get(d) == -1)
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
				sni_pipe_put(d);
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
		/* The last data: held back (MSG_MORE) for the FIN that
		 * shutdown() or close() sends next to ride on it. */
		w = d->wr ? send(dst, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT |
		    (d->eof ? MSG_MORE : 0)) : 0;
		if (w < 0) {
			if (errno != EAGAIN)
				return -1;
			w = 0;
		}
		d->bytes += w;
		if (w < n) {
			d->wr = false;
			if (sni_pipe_get(d) == -1)
				return -1;
			/* The pipe is empty and holds 64 KiB: all fits. */
			if (write(d->pipe[1], buf + w, n - w) != n - w)
				return -1;
			d->pending = n - w;
			return 0;
		}
	}
}

void
sni_pump(struct conn *c)
{
	uint64_t before = c->up.bytes + c->down.bytes;

	if (move(&c->up, &c->down, c->cfd, c->bfd) == -1 ||
	    move(&c->down, &c->up, c->bfd, c->cfd) == -1) {
		/* A peer that closes with unread data resets: common at
		 * the end of a session, and told apart from other errors. */
		sni_conn_close(c, errno == ECONNRESET || errno == EPIPE ?
		    RES_RESET : RES_ERROR);
		return;
	}
	if (c->up.shut && c->down.shut) {
		sni_conn_close(c, RES_OK);
		return;
	}
	if (c->up.bytes + c->down.bytes != before)
		c->last_ms = ev_now_ms(sni_w.ev);
}
