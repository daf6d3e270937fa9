// SPDX-License-Identifier: ISC
/*
 * ICMP and ICMPv6 echo.  Targets with the same family and binding (device,
 * source, mark) share one socket; a reply finds its probe through the
 * socket's table indexed by echo sequence number, and the payload says which
 * target and probe it belongs to.  Unprivileged ping sockets are tried
 * first (the kernel then owns the identifier and only our replies arrive);
 * raw sockets otherwise, with a BPF filter on our identifier so that other
 * pingers' replies never wake us up.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"

#define ICMP_MAGIC	0x65647072	/* "edpr" */
#define BATCH		64

struct probe_sock {
	struct probe_sock	*next;
	struct probe_ctx	*ctx;
	int			 family;
	bool			 raw;
	int			 fd;
	struct ev_io		 io;
	char			 dev[IFNAMSIZ];
	bool			 has_src;
	union probe_sa		 src;
	bool			 has_mark;
	uint32_t		 mark;
	uint16_t		 ident;
	uint16_t		 seq;
	/* Set when the socket could not be had for want of permission. */
	const char		*denied;
	struct probe_slot	*pending[65536];
};

struct echo_payload {
	uint32_t	magic;
	uint32_t	target;
	uint32_t	seq;
	uint32_t	pad[5];
};

static uint16_t
cksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static bool
same_binding(const struct probe_sock *k, const struct probe_target *t)
{
	if (k->family != t->family || strcmp(k->dev, t->dev) != 0 ||
	    k->has_mark != t->has_mark || k->has_src != t->has_src)
		return false;
	if (k->has_mark && k->mark != t->mark)
		return false;
	if (k->has_src && memcmp(&k->src, &t->src, t->family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) != 0)
		return false;
	return true;
}

static void	icmp_read(struct ev *ev, struct ev_io *io, uint32_t events);

static int
raw_filter(int fd, int family, uint16_t ident)
{
	/*
	 * Accept echo replies carrying our identifier, and unreachable or
	 * time-exceeded errors quoting one of our echo requests (whose IP
	 * header, being ours, has no options); drop the rest.
	 */
	struct sock_filter v4[] = {
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP_ECHOREPLY, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP_UNREACH, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP_TIMXCEED, 3, 8),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ident, 5, 6),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_LD | BPF_B | BPF_IND, 8 + 20),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP_ECHO, 0, 3),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 8 + 20 + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ident, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter v6[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP6_ECHO_REPLY, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP6_DST_UNREACH, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP6_TIME_EXCEEDED, 3, 8),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ident, 5, 6),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 8 + 40),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP6_ECHO_REQUEST, 0, 3),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 8 + 40 + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ident, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog;

	if (family == AF_INET) {
		prog.len = sizeof(v4) / sizeof(v4[0]);
		prog.filter = v4;
	} else {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
		    sizeof(f)) == -1)
			return -1;
		prog.len = sizeof(v6) / sizeof(v6[0]);
		prog.filter = v6;
	}
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog));
}

static int
open_sock(struct probe_ctx *ctx, struct probe_sock *k)
{
	int proto = k->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int fd = -1, on = 1, rcvbuf = 4 << 20, saved;
	struct sockaddr_storage ss;
	socklen_t sl;

	if (ctx->icmp_mode != PROBE_ICMP_RAW) {
		fd = socket(k->family, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, proto);
		if (fd == -1 && (ctx->icmp_mode == PROBE_ICMP_PING ||
		    (errno != EACCES && errno != EPERM &&
		    errno != EPROTONOSUPPORT))) {
			if (errno == EPERM || errno == EACCES)
				k->denied = "no-icmp-socket";
			return -errno;
		}
	}
	k->raw = fd == -1;
	if (k->raw && (fd = socket(k->family, SOCK_RAW | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, proto)) == -1) {
		/*
		 * Neither a ping socket (ping_group_range) nor a raw one
		 * (CAP_NET_RAW): the caller reports these targets down.
		 */
		if (errno == EPERM || errno == EACCES)
			k->denied = "no-icmp-socket";
		return -errno;
	}
	k->fd = fd;
	if (k->dev[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, k->dev,
	    (socklen_t)strlen(k->dev) + 1) == -1)
		goto fail;
	if (k->has_mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &k->mark,
	    sizeof(k->mark)) == -1) {
		/* SO_MARK wants CAP_NET_ADMIN or CAP_NET_RAW. */
		if (errno == EPERM)
			k->denied = "no-mark";
		goto fail;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	if (k->family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on,
		    sizeof(on));
	/* A ping socket hears of ICMP errors through its error queue. */
	if (!k->raw && k->family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
	else if (!k->raw)
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
	if (k->has_src || !k->raw) {
		memset(&ss, 0, sizeof(ss));
		if (k->has_src)
			memcpy(&ss, &k->src, sizeof(k->src));
		ss.ss_family = (sa_family_t)k->family;
		sl = k->family == AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6);
		/* For a ping socket, port 0 lets the kernel pick the id. */
		if (k->family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = 0;
		if (bind(fd, (struct sockaddr *)&ss, sl) == -1)
			goto fail;
		if (!k->raw) {
			sl = sizeof(ss);
			if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
				goto fail;
			k->ident = ntohs(k->family == AF_INET ?
			    ((struct sockaddr_in *)&ss)->sin_port :
			    ((struct sockaddr_in6 *)&ss)->sin6_port);
		}
	}
	if (k->raw && raw_filter(fd, k->family, k->ident) == -1)
		goto fail;
	if (ev_io_start(ctx->ev, &k->io, fd, EPOLLIN, icmp_read, k) < 0)
		goto fail;
	log_debug("icmp: %s %s socket%s%s, id %u", k->family == AF_INET ?
	    "IPv4" : "IPv6", k->raw ? "raw" : "ping", k->dev[0] ? " dev " : "",
	    k->dev, k->ident);
	return 0;
fail:
	saved = errno;
	close(fd);
	k->fd = -1;
	return -saved;
}

int
probe_icmp_attach(struct probe_ctx *ctx, struct probe_target *t)
{
	static uint16_t next_ident;
	struct probe_sock *k;
	int rc;

	for (k = ctx->socks; k; k = k->next)
		if (same_binding(k, t)) {
			t->sock = k;
			return 0;
		}
	if (!(k = calloc(1, sizeof(*k))))
		return -ENOMEM;
	if (next_ident == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		next_ident = (uint16_t)(getpid() ^ ts.tv_nsec ^
		    (ts.tv_nsec >> 16));
	}
	k->ctx = ctx;
	k->family = t->family;
	memcpy(k->dev, t->dev, sizeof(k->dev));
	k->has_src = t->has_src;
	k->src = t->src;
	k->has_mark = t->has_mark;
	k->mark = t->mark;
	k->ident = next_ident++;
	k->fd = -1;
	if ((rc = open_sock(ctx, k)) < 0 && !k->denied) {
		free(k);
		return rc;
	}
	if (rc < 0)
		log_warnx("%s: icmp%s%s: %s: %s; reported down", t->name,
		    k->dev[0] ? " dev " : "", k->dev, strerror(-rc),
		    strcmp(k->denied, "no-mark") == 0 ?
		    "a mark needs CAP_NET_ADMIN or CAP_NET_RAW" :
		    "neither ping sockets (net.ipv4.ping_group_range) nor "
		    "raw sockets (CAP_NET_RAW) are allowed");
	/* A socket that was denied stays, so that its targets share it. */
	k->next = ctx->socks;
	ctx->socks = k;
	t->sock = k;
	return 0;
}

void
probe_icmp_close_all(struct probe_ctx *ctx)
{
	struct probe_sock *k, *next;

	for (k = ctx->socks; k; k = next) {
		next = k->next;
		if (k->fd != -1) {
			ev_io_stop(ctx->ev, &k->io);
			close(k->fd);
		}
		free(k);
	}
	ctx->socks = NULL;
}

void
probe_icmp_cancel(struct probe_slot *s)
{
	if (s->sock && s->sock->pending[s->echo_seq] == s)
		s->sock->pending[s->echo_seq] = NULL;
	s->sock = NULL;
}

void
probe_icmp_send(struct probe_slot *s)
{
	struct probe_target *t = s->t;
	struct probe_sock *k = t->sock;
	struct {
		uint8_t			type;
		uint8_t			code;
		uint16_t		cksum;
		uint16_t		id;
		uint16_t		seq;
		struct echo_payload	p;
	} pkt;
	unsigned int tries;
	ssize_t n;

	if (k->fd == -1) {
		probe_done(s, false, 0, k->denied);
		return;
	}
	/* Skip sequence numbers still in use (a very slow reply). */
	for (tries = 0; tries < 65536 && k->pending[k->seq]; tries++)
		k->seq++;
	s->sock = k;
	s->echo_seq = k->seq++;
	k->pending[s->echo_seq] = s;

	memset(&pkt, 0, sizeof(pkt));
	pkt.type = t->family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	pkt.id = htons(k->ident);
	pkt.seq = htons(s->echo_seq);
	pkt.p.magic = htonl(ICMP_MAGIC);
	pkt.p.target = htonl((uint32_t)t->idx);
	pkt.p.seq = htonl(s->seq);
	if (t->family == AF_INET && k->raw)
		pkt.cksum = cksum(&pkt, sizeof(pkt));
	n = sendto(k->fd, &pkt, sizeof(pkt), 0,
	    (struct sockaddr *)&t->addr, t->addrlen);
	if (n == -1) {
		int e = errno;

		log_debug("%s: sendto: %s", t->name, strerror(e));
		probe_done(s, false, 0, probe_errno_word(e));
	}
}

static const char *
error_word(int family, int type, int code)
{
	if (family == AF_INET) {
		if (type == ICMP_TIMXCEED)
			return "ttl-exceeded";
		switch (code) {
		case ICMP_UNREACH_NET:
		case ICMP_UNREACH_NET_UNKNOWN:
			return "net-unreachable";
		case ICMP_UNREACH_HOST:
		case ICMP_UNREACH_HOST_UNKNOWN:
			return "host-unreachable";
		case ICMP_UNREACH_NET_PROHIB:
		case ICMP_UNREACH_HOST_PROHIB:
		case ICMP_UNREACH_FILTER_PROHIB:
			return "prohibited";
		}
		return "unreachable";
	}
	if (type == ICMP6_TIME_EXCEEDED)
		return "ttl-exceeded";
	switch (code) {
	case ICMP6_DST_UNREACH_NOROUTE:
		return "net-unreachable";
	case ICMP6_DST_UNREACH_ADDR:
		return "host-unreachable";
	case ICMP6_DST_UNREACH_ADMIN:
		return "prohibited";
	}
	return "unreachable";
}

/* The probe an echo request we sent belongs to, from its quoted header. */
static struct probe_slot *
quoted_slot(struct probe_sock *k, const uint8_t *echo, size_t len)
{
	if (len < 8 || echo[0] != (k->family == AF_INET ? ICMP_ECHO :
	    ICMP6_ECHO_REQUEST))
		return NULL;
	if (k->raw && (uint16_t)(echo[4] << 8 | echo[5]) != k->ident)
		return NULL;
	return k->pending[(uint16_t)(echo[6] << 8 | echo[7])];
}

static bool
quoted_dst_ok(const struct probe_target *t, const uint8_t *dst)
{
	if (t->family == AF_INET)
		return memcmp(dst, &((const struct sockaddr_in *)&t->addr)->
		    sin_addr, 4) == 0;
	return memcmp(dst, &((const struct sockaddr_in6 *)&t->addr)->
	    sin6_addr, 16) == 0;
}

/* An ICMP error (raw socket): the packet quotes our echo request. */
static void
handle_error(struct probe_sock *k, const uint8_t *p, size_t len)
{
	struct probe_slot *s;
	size_t hl;

	if (len < 8)
		return;
	if (k->family == AF_INET) {
		if (len < 8 + 20)
			return;
		hl = (size_t)(p[8] & 0x0f) * 4;
		if (hl < 20 || len < 8 + hl + 8)
			return;
		if (!(s = quoted_slot(k, p + 8 + hl, len - 8 - hl)) ||
		    !quoted_dst_ok(s->t, p + 8 + 16))
			return;
	} else {
		if (len < 8 + 40 + 8)
			return;
		if (!(s = quoted_slot(k, p + 8 + 40, len - 8 - 40)) ||
		    !quoted_dst_ok(s->t, p + 8 + 24))
			return;
	}
	probe_done(s, false, 0, error_word(k->family, p[0], p[1]));
}

/* ICMP errors of a ping socket, from its error queue. */
static void
read_errors(struct probe_sock *k)
{
	uint8_t buf[256];
	union {
		char		buf[512];
		struct cmsghdr	align;
	} ctl;
	struct sockaddr_storage from;
	struct msghdr m;
	struct iovec iov;
	struct cmsghdr *c;
	ssize_t n;
	int i;

	for (i = 0; i < 1024; i++) {
		struct sock_extended_err *ee = NULL;
		struct probe_slot *s;

		memset(&m, 0, sizeof(m));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_name = &from;
		m.msg_namelen = sizeof(from);
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		if ((n = recvmsg(k->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT)) < 0)
			return;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if ((c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_RECVERR) ||
			    (c->cmsg_level == IPPROTO_IPV6 &&
			    c->cmsg_type == IPV6_RECVERR))
				ee = (struct sock_extended_err *)CMSG_DATA(c);
		if (!ee || (ee->ee_origin != SO_EE_ORIGIN_ICMP &&
		    ee->ee_origin != SO_EE_ORIGIN_ICMP6))
			continue;
		/* The queue holds the echo request as we sent it. */
		if (!(s = quoted_slot(k, buf, (size_t)n)))
			continue;
		if (((struct sockaddr *)&from)->sa_family == k->family &&
		    !quoted_dst_ok(s->t, k->family == AF_INET ?
		    (const uint8_t *)&((struct sockaddr_in *)&from)->sin_addr :
		    (const uint8_t *)&((struct sockaddr_in6 *)&from)->
		    sin6_addr))
			continue;
		probe_done(s, false, 0, error_word(k->family, ee->ee_type,
		    ee->ee_code));
	}
}

static void
handle_reply(struct probe_sock *k, const uint8_t *p, size_t len,
    const struct sockaddr_storage *from, uint64_t rx_ns, int ttl)
{
	const struct echo_payload *pl;
	struct probe_slot *s;
	struct probe_target *t;
	uint16_t id, seq;
	uint64_t rtt_ns;
	char detail[32];

	if (k->raw && k->family == AF_INET) {
		size_t hl;

		if (len < sizeof(struct iphdr))
			return;
		hl = (size_t)(p[0] & 0x0f) * 4;
		if (hl < 20 || hl > len)
			return;
		ttl = p[8];
		p += hl;
		len -= hl;
	}
	if (k->raw && len >= 8 && (k->family == AF_INET ?
	    p[0] == ICMP_UNREACH || p[0] == ICMP_TIMXCEED :
	    p[0] == ICMP6_DST_UNREACH || p[0] == ICMP6_TIME_EXCEEDED)) {
		handle_error(k, p, len);
		return;
	}
	if (len < 8 + sizeof(*pl))
		return;
	if (p[0] != (k->family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY))
		return;
	id = (uint16_t)(p[4] << 8 | p[5]);
	seq = (uint16_t)(p[6] << 8 | p[7]);
	if (k->raw && id != k->ident)
		return;
	if (!(s = k->pending[seq]))
		return;
	t = s->t;
	pl = (const struct echo_payload *)(p + 8);
	if (ntohl(pl->magic) != ICMP_MAGIC || ntohl(pl->target) != t->idx ||
	    ntohl(pl->seq) != s->seq)
		return;
	/* The reply must come from the target itself. */
	if (t->family == AF_INET) {
		if (((const struct sockaddr_in *)from)->sin_addr.s_addr !=
		    ((const struct sockaddr_in *)&t->addr)->sin_addr.s_addr)
			return;
	} else if (memcmp(&((const struct sockaddr_in6 *)from)->sin6_addr,
	    &((const struct sockaddr_in6 *)&t->addr)->sin6_addr, 16) != 0)
		return;
	if (rx_ns && rx_ns > s->sent_rt_ns)
		rtt_ns = rx_ns - s->sent_rt_ns;
	else
		rtt_ns = (ev_monotonic_us() - s->sent_us) * 1000;
	if (ttl >= 0)
		snprintf(detail, sizeof(detail), "ttl=%d", ttl);
	else
		detail[0] = '\0';
	probe_done(s, true, (uint32_t)((rtt_ns + 500) / 1000), detail);
}

/*
 * The receive vectors, shared by every socket (one loop, one thread): set
 * up once, and after each batch only the lengths the kernel changed are
 * put back.
 */
static struct {
	bool			ready;
	struct mmsghdr		msgs[BATCH];
	struct iovec		iov[BATCH];
	struct sockaddr_storage	from[BATCH];
	uint8_t			bufs[BATCH][256];
	union {
		char		buf[CMSG_SPACE(sizeof(struct timespec)) +
				    CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	}			ctl[BATCH];
} rx;

static void
rx_reset(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct msghdr *h = &rx.msgs[i].msg_hdr;

		if (!rx.ready) {
			rx.iov[i].iov_base = rx.bufs[i];
			rx.iov[i].iov_len = sizeof(rx.bufs[i]);
			h->msg_iov = &rx.iov[i];
			h->msg_iovlen = 1;
			h->msg_name = &rx.from[i];
			h->msg_control = rx.ctl[i].buf;
		}
		h->msg_namelen = sizeof(rx.from[i]);
		h->msg_controllen = sizeof(rx.ctl[i].buf);
		h->msg_flags = 0;
	}
	rx.ready = true;
}

static void
icmp_read(struct ev *ev, struct ev_io *io, uint32_t events)
{
	struct probe_sock *k = io->arg;
	struct mmsghdr *msgs = rx.msgs;
	uint8_t (*bufs)[256] = rx.bufs;
	struct sockaddr_storage *from = rx.from;
	int i, n;

	if (events & EPOLLERR)
		read_errors(k);
	if (!rx.ready)
		rx_reset(BATCH);
	for (;;) {
		n = recvmmsg(k->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("icmp: recv");
			return;
		}
		for (i = 0; i < n; i++) {
			struct cmsghdr *c;
			uint64_t rx_ns = 0;
			int ttl = -1;

			for (c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c;
			    c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
				if (c->cmsg_level == SOL_SOCKET &&
				    c->cmsg_type == SCM_TIMESTAMPNS) {
					struct timespec ts;

					memcpy(&ts, CMSG_DATA(c), sizeof(ts));
					rx_ns = (uint64_t)ts.tv_sec *
					    1000000000 + (uint64_t)ts.tv_nsec;
				} else if ((c->cmsg_level == IPPROTO_IP &&
				    c->cmsg_type == IP_TTL) ||
				    (c->cmsg_level == IPPROTO_IPV6 &&
				    c->cmsg_type == IPV6_HOPLIMIT))
					memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
			}
			handle_reply(k, bufs[i], msgs[i].msg_len, &from[i],
			    rx_ns, ttl);
		}
		rx_reset(n);
		if (n < BATCH)
			return;
	}
}
