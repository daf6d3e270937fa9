// SPDX-License-Identifier: ISC
/*
 * The first bytes from the client: a PROXY header, the Postgres
 * SSLRequest, then the TLS ClientHello or the HTTP request head, read
 * into one buffer (every byte of it is replayed to the backend) until a
 * name is found or the client is refused.
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

#define HTTP_HEAD_MAX	8192

static void
reply_close(struct conn *c, const void *msg, size_t len, int res)
{
	/* Best effort: a fresh socket always has room for a few bytes. */
	(void)send(c->cfd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	sni_conn_close(c, res);
}

static const char http400[] = "HTTP/1.1 400 Bad Request\r\n"
    "Content-Length: 0\r\nConnection: close\r\n\r\n";

/* Returns true when c was handed on (or closed): don't touch it. */
bool
sni_head_parse(struct conn *c)
{
	const struct sni_listener *l = c->l;
	struct sni_proxy px;
	enum sni_result r;

	if (l->proxy_in && !c->proxy_done) {
		r = sni_proxy_parse(c->buf + c->off, c->len - c->off, &px);
		if (r == SNI_MORE)
			return false;
		if (r != SNI_FOUND) {
			sni_conn_close(c, RES_BADPROXY);
			return true;
		}
		if (!px.local) {
			c->client = px.src;
			c->local = px.dst;
		}
		c->off += px.hdrlen;
		c->proxy_done = true;
	}
	if (l->mode == SNI_MODE_NAT46 || (sni_nat46_source(c))) {
		uint8_t v4[4];

		if (!sni_client_v4(c, v4)) {
			sni_conn_close(c, R_V6CLIENT);
			return true;
		}
	}
	while (l->proto == SNI_PROTO_PG && !c->pg_done) {
		r = sni_pg_request(c->buf + c->off, c->len - c->off);
		if (r == SNI_MORE)
			return false;
		if (r == SNI_BAD) {
			sni_conn_close(c, RES_NOTPG);
			return true;
		}
		/* GSSENCRequest: say no, an SSLRequest follows.  The
		 * backend gets our own SSLRequest, not these bytes. */
		if (send(c->cfd, r == SNI_FOUND ? "S" : "N", 1,
		    MSG_NOSIGNAL) != 1) {
			sni_conn_close(c, RES_ERROR);
			return true;
		}
		c->off += SNI_PG_REQLEN;
		c->pg_done = r == SNI_FOUND;
	}
	if (l->proto == SNI_PROTO_PLAIN) {
		sni_route(c);
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
			sni_conn_close(c, RES_NOTHTTP);
			return true;
		}
		sni_route(c);
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
		sni_conn_close(c, RES_NOTTLS);
		return true;
	}
	sni_route(c);
	return true;
}

/* Read what the client has sent and try to route.  Edge-triggered: read
 * until the socket is drained (a short read says so). */
void
sni_head_read(struct conn *c)
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
				sni_conn_close(c, c->l->proto == SNI_PROTO_HTTP ?
				    RES_NOTHTTP : RES_NOTTLS);
				return;
			}
			if ((nb = realloc(c->buf, ncap)) == NULL) {
				sni_conn_close(c, RES_ERROR);
				return;
			}
			c->buf = nb;
			c->cap = ncap;
		}
		room = c->cap - c->len;
		n = recv(c->cfd, c->buf + c->len, room, 0);
		if (n == 0) {
			sni_conn_close(c, RES_CLOSED);
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				c->up.rd = false;
				return;
			}
			sni_conn_close(c, RES_CLOSED);
			return;
		}
		c->len += n;
		if ((size_t)n < room && !c->up.hup)
			c->up.rd = false;
		if (sni_head_parse(c))
			return;
		if (!c->up.rd)
			return;
	}
}
