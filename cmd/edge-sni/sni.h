/* SPDX-License-Identifier: ISC */
#ifndef EDGE_SNI_H
#define EDGE_SNI_H

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "parse.h"
#include "prefix.h"

enum sni_mode {
	SNI_MODE_NAT46,		/* AAAA, source = prefix + client IPv4 */
	SNI_MODE_TCP,		/* AAAA then A, from our own address */
	SNI_MODE_STATIC,	/* one fixed backend, no name needed */
	SNI_MODE_UNIX,		/* the socket named after the name in a dir */
};

enum sni_proto {
	SNI_PROTO_TLS,		/* route on the ClientHello's SNI */
	SNI_PROTO_HTTP,		/* route on the Host header */
	SNI_PROTO_PG,		/* SSLRequest, then the ClientHello */
	SNI_PROTO_PLAIN,	/* static only: nothing is read first */
};

#define SNI_MAX_CIDR	32
/* A sun_path holds 108 bytes: the directory, a slash, a name, a NUL. */
#define SNI_UNIX_DIR_MAX	96

struct sni_listener {
	char			 spec[96];	/* "tcp:443", as given */
	unsigned int		 line;		/* config line, 0: command line */
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	enum sni_mode		 mode;
	enum sni_proto		 proto;
	bool			 proxy_in;	/* expect a PROXY header */
	bool			 proxy_out;	/* send PROXY v2 to the backend */
	uint16_t		 backend_port;	/* 0: the listener's port */
	struct sockaddr_storage	 backend;	/* static mode */
	socklen_t		 backendlen;
	bool			 has_nat46;
	struct in6_addr		 nat46;		/* a /96; low 32 bits zero */
	struct prefix		 cidr[SNI_MAX_CIDR];
	int			 ncidr;
	char			 default_host[SNI_NAME_MAX];	/* "" none */
	char			 unix_dir[SNI_UNIX_DIR_MAX];	/* unix mode */
	bool			 inherited;	/* "fd:N": a socket given */
	int			 ifd;		/* to us at start, N */
};

enum sni_logfmt { SNI_LOG_TSV, SNI_LOG_JSON };

struct sni_conf {
	struct sni_listener	*l;
	size_t			 nl;
	char			*file;		/* -f, or NULL */
	int			 workers;
	char			 user[64];
	char			 resolver[512];	/* c-ares servers CSV, "" system */
	char			 access_log[PATH_MAX];	/* "-" stdout, "" none */
	enum sni_logfmt		 logfmt;
	char			 stats[PATH_MAX];	/* textfile, "" none */
	unsigned int		 hello_ms, connect_ms, idle_ms, dns_ms;
	unsigned int		 max_conns;	/* 0: from the fd limit */
	unsigned int		 neg_ttl_max;	/* seconds */
	unsigned int		 refs;		/* connections still using it */
};

/* config.c */

/*
 * The command line, snid's flags included.  Returns 0, or 2 after
 * printing what is wrong; sets *check for -n.  A -f file is read here
 * too, command-line options winning over its [Global] section.
 */
int	sni_conf_args(struct sni_conf *c, int argc, char **argv, bool *check,
	    int *verbose, bool *foreground);
/* Read and check just a config file (for SIGHUP).  0, or -1 with err. */
int	sni_conf_file(struct sni_conf *c, const char *path, char *err,
	    size_t errlen);
/* Fill in defaults and check the listeners.  0, or -1 with err. */
int	sni_conf_finish(struct sni_conf *c, char *err, size_t errlen);
void	sni_conf_init(struct sni_conf *c);
void	sni_conf_free(struct sni_conf *c);
/* "tcp:443", "tcp:192.0.2.4:443", "tcp:[2001:db8::1]:443", ":443". */
bool	sni_listen_parse(const char *s, struct sockaddr_storage *ss,
	    socklen_t *len, char *err, size_t errlen);
/* "[2001:db8::5]:22", "192.0.2.5:22". */
bool	sni_hostport_parse(const char *s, struct sockaddr_storage *ss,
	    socklen_t *len, char *err, size_t errlen);

/*
 * Whether a backend address may be used by listener l: inside one of its
 * CIDRs and none of loopback, link-local, unspecified, multicast, a
 * v4-mapped address, or the NAT46 prefix itself.
 */
bool	sni_backend_allowed(const struct sni_listener *l, int family,
	    const union edge_addr *a);

/* dns.c: c-ares with a TTL-respecting positive and negative cache. */

#define SNI_DNS_MAXADDR	8

struct sni_dns_result {
	int		 status;	/* 0, or an ARES_E* code */
	int		 family;
	int		 n;
	union edge_addr	 a[SNI_DNS_MAXADDR];
};

struct sni_dns_wait;
typedef void (*sni_dns_cb)(struct sni_dns_wait *w,
	    const struct sni_dns_result *r);

struct sni_dns_wait {
	struct sni_dns_wait	*next, **prevp;
	struct sni_dns_entry	*ent;		/* NULL: not waiting */
	sni_dns_cb		 cb;
};

struct ev;
int	sni_dns_init(struct ev *ev, const char *servers, unsigned int timeout_ms,
	    unsigned int neg_ttl_max, char *err, size_t errlen);
void	sni_dns_free(void);
/*
 * Look name up (family AF_INET6: AAAA, AF_INET: A).  From the cache:
 * returns 0 with *r filled and no callback.  Otherwise returns 1 and
 * w->cb runs later (possibly before this returns: the caller must not
 * touch its state after a 1).
 */
int	sni_dns_lookup(const char *name, int family, struct sni_dns_wait *w,
	    sni_dns_cb cb, struct sni_dns_result *r);
void	sni_dns_cancel(struct sni_dns_wait *w);

/* conn.c: the engine. */

struct sni_stats {
	uint64_t	accepted, active, refused, ok, errors;
	uint64_t	hello_timeout, connect_timeout, idle_timeout;
	uint64_t	dns_fail, dns_hit, dns_miss, not_allowed, badname;
	uint64_t	noname, connect_fail, accept_paused, capped;
	uint64_t	bytes_up, bytes_down;
};

extern struct sni_stats	sni_stats;

/* One listening socket of this worker. */
struct sni_lsock;

int	sni_worker_init(struct ev *ev, struct sni_conf *c, char *err,
	    size_t errlen);
int	sni_worker_listen(const struct sni_listener *l, int fd);
/* Whether this worker has a listening socket for spec. */
bool	sni_worker_listening(const char *spec);
/* Swap in a reloaded configuration; listeners are matched by spec.
 * fds[i]: a new socket for c->l[i], SNI_FD_KEEP where the worker has one
 * (sni_worker_listening), or -errno of the attempt to open it. */
#define SNI_FD_KEEP	INT_MIN
int	sni_worker_reload(struct sni_conf *c, const int *fds);
void	sni_worker_stats(void);	/* log and write the textfile */
void	sni_worker_reopen(void);
void	sni_worker_flush(void);
void	sni_worker_free(void);
void	sni_worker_conf_free(struct sni_conf *orig);

/* A listening socket for l: non-blocking, SO_REUSEPORT, deferred accept
 * where the client speaks first.  fd or -errno. */
int	sni_listen_socket(const struct sni_listener *l);

#endif
