/* SPDX-License-Identifier: ISC */
#ifndef EDGE_PROBE_H
#define EDGE_PROBE_H

#include <sys/epoll.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev.h"
#include "prefix.h"

/*
 * edge-probe: targets, the probes in flight and the shared run state.  One
 * event loop drives every target; each target has a send timer, a timeout
 * timer and a ring of probes in flight, completed in sequence order.
 */

enum probe_type {
	PROBE_ICMP,
	PROBE_TCP,
	PROBE_TLS,
	PROBE_HTTP,
	PROBE_DNS,
	PROBE_WG,
};

#define PROBE_NAMELEN	64
#define PROBE_HOSTLEN	256
#define PROBE_TARGETLEN	64	/* "[v6 address]:port", an interface name */
#define PROBE_DETAILLEN	96
#define PROBE_CONNBUF	2048

struct probe_ctx;
struct probe_target;

/* An IPv4 or IPv6 socket address: what a target needs, no more. */
union probe_sa {
	struct sockaddr		sa;
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
};
struct probe_sock;

/* One probe in flight. */
struct probe_slot {
	struct probe_target	*t;
	uint32_t		 seq;		/* the target's probe number */
	bool			 busy;
	bool			 done;
	bool			 up;
	uint32_t		 rtt_us;
	uint64_t		 sent_us;	/* monotonic */
	uint64_t		 sent_ms;	/* epoch */
	uint64_t		 sent_rt_ns;	/* CLOCK_REALTIME, for kernel stamps */
	uint64_t		 deadline_us;
	char			 detail[PROBE_DETAILLEN];
	/* icmp */
	struct probe_sock	*sock;
	uint16_t		 echo_seq;
	/* tcp, tls, http */
	int			 fd;
	int			 state;
	struct ev_io		 io;
	uint8_t			*buf;		/* PROBE_CONNBUF, owned by the slot */
	size_t			 len;
	size_t			 off;
	uint64_t		 ttfb_us;
};

struct probe_target {
	struct probe_ctx	*ctx;
	size_t			 idx;
	enum probe_type		 type;
	char			 name[PROBE_NAMELEN];
	char			 group[PROBE_NAMELEN];
	char			 target[PROBE_TARGETLEN]; /* address[:port] as printed */
	unsigned int		 line;			/* file line, 0: argv */

	union probe_sa		 addr;
	socklen_t		 addrlen;
	int			 family;
	char			 dev[IFNAMSIZ];
	bool			 has_src;
	union probe_sa		 src;
	bool			 has_mark;
	uint32_t		 mark;
	uint64_t		 timeout_ms;		/* 0: the default */

	/*
	 * type-specific; the strings are allocated (NULL: not given) and
	 * freed by probe_targets_free, so that the many icmp targets of a
	 * large list stay small.
	 */
	char			*host;			/* tls sni, http host */
	char			*path;			/* http */
	int			 expect_status;		/* http; 0: 200-399 */
	char			*query;			/* dns */
	uint16_t		 qtype;
	bool			 has_expect_addr;
	int			 expect_family;
	union edge_addr		 expect_addr;
	char			 wg_peer[64];		/* base64 public key */
	uint64_t		 wg_age_ms;

	/* run state */
	struct ev_timer		 send_timer;
	struct ev_timer		 to_timer;
	uint64_t		 start_us;
	uint64_t		 rounds_sent;
	uint32_t		 next_seq;
	struct probe_slot	*slots;
	unsigned int		 nslots;
	unsigned int		 head;
	unsigned int		 count;
	struct probe_target	*qnext;			/* pacing queue */
	bool			 queued;
	bool			 finished;
	struct probe_sock	*sock;			/* icmp */
	void			*dns;			/* dns.c state */

	/* statistics */
	struct probe_hist	*hist;
	unsigned int		 hsize;
	unsigned int		 hhead;
	unsigned int		 hcount;
	uint64_t		 sent_total;
	uint64_t		 recv_total;
	int			 last;			/* -1 none, 0 down, 1 up */
	uint32_t		 last_rtt_us;
	bool			 ever_up;
};

struct probe_hist {
	uint64_t	 sent_ms;	/* monotonic ms */
	uint32_t	 rtt_us;	/* UINT32_MAX: down */
};

enum probe_icmp_mode {
	PROBE_ICMP_AUTO,
	PROBE_ICMP_PING,
	PROBE_ICMP_RAW,
};

struct probe_ctx {
	struct ev		*ev;
	struct probe_target	**tv;
	size_t			 nt;
	uint64_t		 interval_ms;
	uint64_t		 timeout_ms;
	uint64_t		 pace_ms;
	uint64_t		 window_ms;
	uint64_t		 report_ms;
	uint64_t		 rounds;	/* 0: forever */
	bool			 continuous;
	bool			 json;
	bool			 quiet;
	enum probe_icmp_mode	 icmp_mode;
	int			 histfd;
	const char		*promfile;
	size_t			 active;
	uint64_t		 start_ms;
	struct probe_sock	*socks;
	struct probe_target	*qhead;
	struct probe_target	**qtail;
	struct ev_timer		 pace_timer;
	uint64_t		 last_send_us;
	uint64_t		 pace_next_us;
	struct ev_timer		 report_timer;
	int			 error;
};

/* target.c */
const char	*probe_type_name(enum probe_type type);
bool	probe_parse_duration(const char *s, uint64_t *ms);
/*
 * Parse target specifications from a word vector: "TYPE ADDRESS [option
 * value]...", repeated.  Appends to *tv (realloc'ed; the caller frees with
 * probe_targets_free).  where names the source for errors ("file:line" or
 * "argument").  Returns false with err set.
 */
bool	probe_targets_parse(char **words, int nwords, const char *file,
	    unsigned int line, struct probe_target ***tv, size_t *nt,
	    char *err, size_t errlen);
bool	probe_targets_load(const char *path, struct probe_target ***tv,
	    size_t *nt, char *err, size_t errlen);
void	probe_targets_free(struct probe_target **tv, size_t nt);
/* "%d" for errno values probes meet; a short word without spaces. */
const char	*probe_errno_word(int err);

/* run.c: the scheduler shared by every probe type */
int	probe_run_setup(struct probe_ctx *ctx);
void	probe_run_teardown(struct probe_ctx *ctx);
/* Complete a slot; the result is printed once the slots before it are. */
void	probe_done(struct probe_slot *s, bool up, uint32_t rtt_us,
	    const char *detail);
int	probe_exit_status(const struct probe_ctx *ctx);
void	probe_summaries(struct probe_ctx *ctx, bool final);

/* icmp.c */
int	probe_icmp_attach(struct probe_ctx *ctx, struct probe_target *t);
void	probe_icmp_send(struct probe_slot *s);
void	probe_icmp_cancel(struct probe_slot *s);
void	probe_icmp_close_all(struct probe_ctx *ctx);

/* conn.c: tcp, tls, http */
void	probe_conn_start(struct probe_slot *s);
void	probe_conn_cancel(struct probe_slot *s);
int	probe_bind_socket(int fd, const struct probe_target *t);

/* dns.c */
int	probe_dns_attach(struct probe_ctx *ctx, struct probe_target *t);
void	probe_dns_send(struct probe_slot *s);
void	probe_dns_detach(struct probe_target *t);

/* wg.c */
void	probe_wg_check(struct probe_slot *s);

/* output.c */
void	probe_out_result(struct probe_ctx *ctx, const struct probe_slot *s);
void	probe_out_summary(struct probe_ctx *ctx, struct probe_target *t,
	    uint64_t now_ms, uint64_t window_ms, bool final);
void	probe_out_init(struct probe_ctx *ctx);
/* Write out what is buffered (done before the loop waits, and at exit). */
void	probe_out_flush(struct probe_ctx *ctx);
int	probe_out_prometheus(struct probe_ctx *ctx, const char *path);
void	probe_hist_add(struct probe_target *t, uint64_t sent_ms, uint32_t rtt);

/* parse.c: reply parsers, no I/O */
#define PROBE_MORE	0	/* need more bytes */
/*
 * The HTTP status line at the start of buf.  1 with *status set, PROBE_MORE,
 * or -1 when it is not one.
 */
int	probe_http_status(const uint8_t *buf, size_t len, int *status);
/*
 * TLS records from the server, up to the ServerHello.  1 with *version set
 * (0x0304 for TLS 1.3, from supported_versions), PROBE_MORE, or -1 with
 * detail set (an alert, or not TLS).
 */
int	probe_tls_parse(const uint8_t *buf, size_t len, uint16_t *version,
	    char *detail, size_t dlen);
const char	*probe_tls_version_name(uint16_t v);
/* A ClientHello offering TLS 1.3 and 1.2 with the given SNI (or none).
 * Returns its length, or 0 when it does not fit. */
size_t	probe_tls_client_hello(uint8_t *buf, size_t len, const char *sni,
	    const uint8_t random[64]);
/*
 * A DNS response: 1 when it is an answer with rcode NOERROR (and, when
 * expect is set, that address among the answers), 0 when it says no, -1
 * when it is malformed.  detail names the rcode or the first answer.
 */
int	probe_dns_check(const uint8_t *buf, size_t len, uint16_t qtype,
	    int expect_family, const union edge_addr *expect,
	    char *detail, size_t dlen);
bool	probe_dns_qtype(const char *s, uint16_t *qtype);

/* report.c */
int	probe_report_main(int argc, char *argv[]);

#endif
