/* SPDX-License-Identifier: ISC */
/*
 * The edge-sni engine, shared between its modules (sni.h is what main.c
 * sees): accept (worker.c, conn.c), read the first bytes (head.c), look
 * the name up and connect (backend.c), replay every byte read, then relay
 * until both sides are done (relay.c); one access-log line per connection
 * and the counters (accesslog.c).
 */
#ifndef EDGE_SNI_ENGINE_H
#define EDGE_SNI_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ev.h"
#include "sni.h"

#define HEAD_CAP0	2048		/* first buffer; grows to HEAD_MAX */
#define HEAD_MAX	(SNI_HELLO_MAX + 536)	/* hello + a PROXY header */
#define PIPE_POOL	64

struct sni_lsock {
	struct ev_io			 io;
	const struct sni_listener	*l;
	int				 fd;
	bool				 on;	/* in the loop */
	struct sni_lsock		*next;
};

enum cstate { CS_HEAD, CS_DNS, CS_CONNECT, CS_PGWAIT, CS_RELAY };

/* One direction of the relay. */
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
	struct conn		*next, **prevp;	/* sni_w.conns */
	struct ev_io		 cio, bio;
	struct ev_timer		 tm;
	const struct sni_listener *l;
	struct sni_conf		*conf;
	int			 cfd, bfd;
	enum cstate		 state;
	bool			 proxy_done, pg_done, tried_a;
	bool			 refused6;	/* AAAA outside the CIDRs */
	uint8_t			*buf;	/* the first bytes; freed at replay */
	uint32_t		 len, cap, off;
	struct sockaddr_storage	 client, local, baddr;
	socklen_t		 baddrlen;
	struct sni_dns_wait	 dw;
	struct sni_dns_result	 dns;
	int			 idx;
	struct dir		 up, down;	/* client->backend, back */
	uint64_t		 start_ms, last_ms;
	uint64_t		 connect_end;	/* budget for the addresses; 0 */
	char			 name[SNI_NAME_MAX];
};

/* The worker's state (worker.c). */
struct sni_worker {
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
};

extern struct sni_worker	sni_w;
extern int			sni_worker_id;

/* How a connection ended: the access log's result column, in the order
 * of sni_results[]. */
enum {
	RES_OK, RES_ERROR, RES_HELLO_TO, RES_CONNECT_TO, RES_IDLE_TO, RES_DNS_TO,
	RES_DNS_FAIL, RES_NXDOMAIN, RES_NOADDR, RES_NOTALLOWED, RES_NOSNI, RES_BADNAME,
	RES_NOTTLS, RES_NOTHTTP, RES_NOHOST, RES_NOTPG, RES_BADPROXY, R_V6CLIENT,
	RES_CONNFAIL, RES_BACKNOTLS, RES_CLOSED, RES_NOFD, RES_RESET, RES_SHUTDOWN, RES_MAX
};

/* accesslog.c */
extern const char	*sni_results[];
char	*sni_sa_str(const struct sockaddr_storage *ss, char *buf, size_t len);
void	 sni_access_log(const struct conn *c, int res);
void	 sni_stats_write(void);

/* worker.c */
void	sni_listeners_set(bool on);

/* conn.c */
void	sni_conn_new(struct sni_lsock *s, int fd,
	    const struct sockaddr_storage *ss);
/* Log c's result, count it, free c and everything it holds. */
void	sni_conn_close(struct conn *c, int res);
bool	sni_client_v4(const struct conn *c, uint8_t v4[4]);
bool	sni_nat46_source(const struct conn *c);
void	sni_client_cb(struct ev *ev, struct ev_io *io, uint32_t events);
void	sni_backend_cb(struct ev *ev, struct ev_io *io, uint32_t events);

/* head.c */
void	sni_head_read(struct conn *c);
/* Returns true when c was handed on (or closed): don't touch it. */
bool	sni_head_parse(struct conn *c);

/* backend.c */
/* Look c->name up (or take the static backend) and connect. */
void	sni_route(struct conn *c);
void	sni_connect_failed(struct conn *c, int err);
/* The attempt timed out: true when the next address was tried. */
bool	sni_connect_timed_out(struct conn *c);
void	sni_backend_connected(struct conn *c);
void	sni_pg_answer(struct conn *c);

/* relay.c */
int	sni_pipe_get(struct dir *d);
void	sni_pipe_put(struct dir *d);
void	sni_relay_start(struct conn *c);
void	sni_pump(struct conn *c);

#endif
