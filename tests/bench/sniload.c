// SPDX-License-Identifier: ISC
/*
 * sniload: load generator and backend for the edge-sni benchmark
 * (tests/bench/b-sni.sh).  One thread, epoll, non-blocking sockets.
 *
 *   sniload server [-H] [-b bytes] [-r bytes] [-u bytes] address port
 *	Backend.  For each connection: read one TLS record (the ClientHello
 *	the proxy replays), then -u more bytes (an upload), then write -r
 *	bytes and -b more (a download), then shut down writing -- or, with
 *	-H, hold the connection open -- and close when the peer closes.
 *   sniload cps [-qS] [-c conc] [-d secs] [-n name] [-r bytes] addr port
 *	-c connections in flight for -d seconds: connect, send a
 *	ClientHello for -n, read -r bytes and the close, close, repeat.
 *	Prints: conns cps p50_us p99_us errors cpu_us, tab-separated:
 *	conns counts every connection completed (also those drained after
 *	the deadline), cps only those completed within it; latencies are
 *	from connect() to the first reply byte; cpu_us is sniload's own.
 *   sniload bulk [-q] [-n name] [-b bytes | -u bytes] address port
 *	One connection: hello, then -b bytes down from the server or -u
 *	bytes up to it (answered by one byte).  Prints: bytes secs Mbit/s
 *	cpu_us (sniload's own CPU: the receiving or sending end's).
 *   sniload idle [-q] [-c n] [-n name] address port
 *	-c connections, each with its hello answered by at least one byte;
 *	prints "open N" and holds them until killed.  Exit 1 if any fails.
 *   sniload hello [-q] [-n name]
 *	Write the ClientHello record to stdout.
 *   sniload tlscheck [-q] [-n name] address port
 *	Send the hello to a real TLS server (openssl s_server) and check
 *	that a ServerHello comes back: the hello is a real one.
 *
 * -q makes the hello post-quantum sized (an X25519MLKEM768 key share
 * next to x25519, about 1.8 KB, as current browsers send); without it
 * the hello is padded to 512 bytes of handshake like BoringSSL's.  -S
 * sends the hello in two segments (TCP_NODELAY, two writes).
 *
 * The hello is built in the shape of a browser's: GREASE values, 15
 * cipher suites, SNI, ALPN h2/http1.1, status_request, signature
 * algorithms, SCT, key_share, psk modes, supported_versions 1.3/1.2,
 * compress_certificate, application_settings, GREASE ECH.
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint8_t	hello[4096];
static size_t	hellolen;
static bool	split;

static uint64_t
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static uint8_t *
put16(uint8_t *p, unsigned int v)
{
	*p++ = v >> 8;
	*p++ = v & 0xff;
	return p;
}

static uint8_t *
putbytes(uint8_t *p, unsigned int n, unsigned int seed)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		*p++ = (uint8_t)(seed + i * 167);
	return p;
}

/* Start an extension: type, and room for its length, set by ext_end. */
static uint8_t *
ext_begin(uint8_t *p, unsigned int type, uint8_t **len)
{
	p = put16(p, type);
	*len = p;
	return p + 2;
}

static void
ext_end(uint8_t *len, uint8_t *p)
{
	put16(len, p - len - 2);
}

static void
mk_hello(const char *name, bool pq)
{
	static const uint16_t suites[] = { 0x0a0a, 0x1301, 0x1302, 0x1303,
	    0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
	    0x009c, 0x009d, 0x002f, 0x0035 };
	static const uint16_t sigalgs[] = { 0x0403, 0x0804, 0x0401, 0x0503,
	    0x0805, 0x0501, 0x0806, 0x0601 };
	uint8_t *p = hello + 9, *exts, *l, *l2;
	size_t nl = strlen(name), i, hl;

	if (nl == 0 || nl > 253)
		errx(2, "-n %s: bad name", name);
	p = put16(p, 0x0303);
	p = putbytes(p, 32, 1);			/* random */
	*p++ = 32;
	p = putbytes(p, 32, 77);		/* legacy session id */
	p = put16(p, sizeof(suites));
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		p = put16(p, suites[i]);
	*p++ = 1;
	*p++ = 0;				/* null compression */
	exts = p;
	p += 2;

	p = put16(p, 0x2a2a);			/* GREASE */
	p = put16(p, 0);
	p = ext_begin(p, 0, &l);		/* server_name */
	p = put16(p, nl + 3);
	*p++ = 0;				/* host_name */
	p = put16(p, nl);
	memcpy(p, name, nl);
	p += nl;
	ext_end(l, p);
	p = put16(p, 23);			/* extended_master_secret */
	p = put16(p, 0);
	p = put16(p, 0xff01);			/* renegotiation_info */
	p = put16(p, 1);
	*p++ = 0;
	p = ext_begin(p, 10, &l);		/* supported_groups */
	p = put16(p, pq ? 10 : 8);
	p = put16(p, 0x3a3a);
	if (pq)
		p = put16(p, 0x11ec);		/* X25519MLKEM768 */
	p = put16(p, 0x001d);
	p = put16(p, 0x0017);
	p = put16(p, 0x0018);
	ext_end(l, p);
	p = put16(p, 11);			/* ec_point_formats */
	p = put16(p, 2);
	*p++ = 1;
	*p++ = 0;
	p = put16(p, 35);			/* session_ticket */
	p = put16(p, 0);
	p = ext_begin(p, 16, &l);		/* ALPN */
	p = put16(p, 12);
	*p++ = 2;
	memcpy(p, "h2", 2);
	p += 2;
	*p++ = 8;
	memcpy(p, "http/1.1", 8);
	p += 8;
	ext_end(l, p);
	p = put16(p, 5);			/* status_request */
	p = put16(p, 5);
	*p++ = 1;
	p = put16(p, 0);
	p = put16(p, 0);
	p = ext_begin(p, 13, &l);		/* signature_algorithms */
	p = put16(p, sizeof(sigalgs));
	for (i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
		p = put16(p, sigalgs[i]);
	ext_end(l, p);
	p = put16(p, 18);			/* signed_certificate_timestamp */
	p = put16(p, 0);
	p = ext_begin(p, 51, &l);		/* key_share */
	l2 = p;
	p += 2;
	p = put16(p, 0x3a3a);			/* GREASE share */
	p = put16(p, 1);
	*p++ = 0;
	if (pq) {
		p = put16(p, 0x11ec);
		p = put16(p, 1184 + 32);
		p = putbytes(p, 1184 + 32, 5);
	}
	p = put16(p, 0x001d);
	p = put16(p, 32);
	p = putbytes(p, 32, 9);
	put16(l2, p - l2 - 2);
	ext_end(l, p);
	p = put16(p, 45);			/* psk_key_exchange_modes */
	p = put16(p, 2);
	*p++ = 1;
	*p++ = 1;
	p = put16(p, 43);			/* supported_versions */
	p = put16(p, 7);
	*p++ = 6;
	p = put16(p, 0x6a6a);
	p = put16(p, 0x0304);
	p = put16(p, 0x0303);
	p = put16(p, 27);			/* compress_certificate: brotli */
	p = put16(p, 3);
	*p++ = 2;
	p = put16(p, 2);
	p = put16(p, 0x4469);			/* application_settings */
	p = put16(p, 5);
	p = put16(p, 3);
	*p++ = 2;
	memcpy(p, "h2", 2);
	p += 2;
	p = ext_begin(p, 0xfe0d, &l);		/* GREASE ECH, as Chrome */
	*p++ = 0;				/* outer */
	p = put16(p, 1);			/* HKDF-SHA256 */
	p = put16(p, 1);			/* AES-128-GCM */
	*p++ = 0x5c;				/* config id */
	p = put16(p, 32);
	p = putbytes(p, 32, 21);		/* enc */
	p = put16(p, 208);
	p = putbytes(p, 208, 33);		/* payload */
	ext_end(l, p);
	p = put16(p, 0xbaba);			/* GREASE */
	p = put16(p, 1);
	*p++ = 0;
	/* BoringSSL pads hellos of 256-511 bytes of handshake to 512. */
	hl = p - (hello + 5);
	if (hl >= 256 && hl + 4 < 512) {
		size_t pad = 512 - hl - 4;

		p = put16(p, 21);
		p = put16(p, pad);
		memset(p, 0, pad);
		p += pad;
	}
	put16(exts, p - exts - 2);
	hellolen = p - hello;
	hl = hellolen - 9;
	hello[0] = 0x16;			/* handshake record */
	put16(hello + 1, 0x0301);
	put16(hello + 3, hellolen - 5);
	hello[5] = 1;				/* client_hello */
	hello[6] = hl >> 16;
	put16(hello + 7, hl);
}

static struct sockaddr_storage dst;
static socklen_t dstlen;

static void
resolve(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV }, *ai;
	int e;

	if ((e = getaddrinfo(host, port, &hints, &ai)) != 0)
		errx(2, "%s port %s: %s", host, port, gai_strerror(e));
	memcpy(&dst, ai->ai_addr, ai->ai_addrlen);
	dstlen = ai->ai_addrlen;
	freeaddrinfo(ai);
}

static uint64_t
num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0')
		errx(2, "%s %s: not a number", what, s);
	return v;
}

static uint64_t
cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static uint8_t	buf[1 << 18];

/* ---- the backend ---- */

struct sconn {
	int		fd;
	uint64_t	got, need, sent, total;
	bool		started, shut;
};

static void
srv_close(struct sconn *c)
{
	close(c->fd);
	free(c);
}

/* Returns false when the connection is gone. */
static bool
srv_io(struct sconn *c, uint64_t reply, uint64_t upload, bool hold)
{
	ssize_t r;

	for (;;) {
		r = recv(c->fd, buf, sizeof(buf), 0);
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			srv_close(c);
			return false;
		}
		if (r < 0)
			break;
		/* The hello's record header gives its length. */
		if (c->got < 5 && c->got + r >= 5) {
			uint8_t h[5];
			size_t k = 5 - c->got;

			memcpy(h + c->got, buf, k);
			c->need = 5 + (h[3] << 8 | h[4]) + upload;
		}
		c->got += r;
	}
	if (!c->started && c->need && c->got >= c->need) {
		c->started = true;
		c->total = reply;
	}
	while (c->started && c->sent < c->total) {
		size_t w = c->total - c->sent;

		if (w > sizeof(buf))
			w = sizeof(buf);
		r = send(c->fd, buf, w, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EAGAIN)
				return true;
			srv_close(c);
			return false;
		}
		c->sent += r;
	}
	if (c->started && !c->shut && !hold) {
		shutdown(c->fd, SHUT_WR);
		c->shut = true;
	}
	return true;
}

static int
server(int argc, char **argv)
{
	struct epoll_event ev, evs[256];
	uint64_t reply = 4, bulk = 0, upload = 0;
	bool hold = false;
	int lfd, ep, one = 1, i, n, ch;

	while ((ch = getopt(argc, argv, "Hb:r:u:")) != -1)
		switch (ch) {
		case 'H': hold = true; break;
		case 'b': bulk = num(optarg, "-b"); break;
		case 'r': reply = num(optarg, "-r"); break;
		case 'u': upload = num(optarg, "-u"); break;
		default: errx(2, "server: bad option");
		}
	if (argc - optind != 2)
		errx(2, "server: address and port");
	resolve(argv[optind], argv[optind + 1]);
	memset(buf, 'x', sizeof(buf));
	reply += bulk;
	if ((lfd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		err(1, "socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&dst, dstlen) == -1 ||
	    listen(lfd, 4096) == -1)
		err(1, "listen %s %s", argv[optind], argv[optind + 1]);
	if ((ep = epoll_create1(0)) == -1)
		err(1, "epoll");
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			struct sconn *c = evs[i].data.ptr;
			int fd;

			if (c != NULL) {
				srv_io(c, reply, upload, hold);
				continue;
			}
			while ((fd = accept4(lfd, NULL, NULL,
			    SOCK_NONBLOCK)) >= 0) {
				if ((c = calloc(1, sizeof(*c))) == NULL)
					err(1, NULL);
				c->fd = fd;
				ev.events = EPOLLIN | EPOLLOUT | EPOLLET |
				    EPOLLRDHUP;
				ev.data.ptr = c;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
					srv_close(c);
			}
			if (errno == EMFILE || errno == ENFILE)
				usleep(1000);
		}
	}
}

/* ---- the clients ---- */

struct cconn {
	int		fd;
	uint64_t	t0, got, sent;
	bool		connected;
};

struct run {
	int		 ep;
	uint64_t	 want;		/* bytes before the close (or hold) */
	uint64_t	 upload;
	bool		 hold;
	uint32_t	*lat;
	size_t		 nlat, caplat;
};

static int
open_one(struct run *r, struct cconn *c)
{
	struct epoll_event ev;
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd == -1)
		return -1;
	if (split)
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->t0 = now_us();
	if (connect(c->fd, (struct sockaddr *)&dst, dstlen) == -1 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		return -1;
	}
	ev.events = EPOLLOUT | EPOLLIN | EPOLLET | EPOLLRDHUP;
	ev.data.ptr = c;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
		close(c->fd);
		return -1;
	}
	return 0;
}

/* Send what is due: the hello, then any upload.  -1 on error. */
static int
send_due(struct run *r, struct cconn *c)
{
	uint64_t total = hellolen + r->upload;
	ssize_t n;

	while (c->sent < total) {
		const uint8_t *p;
		size_t len;

		if (c->sent < hellolen) {
			p = hello + c->sent;
			len = hellolen - c->sent;
			if (split && c->sent == 0)
				len = hellolen / 2;
		} else {
			p = buf;
			len = total - c->sent;
			if (len > sizeof(buf))
				len = sizeof(buf);
		}
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->sent += n;
	}
	return 0;
}

/* 1: finished (closed or, with hold, answered), 0: more to come, -1:
 * failed. */
static int
client_io(struct run *r, struct cconn *c, uint32_t events)
{
	ssize_t n;

	if (!c->connected && (events & (EPOLLOUT | EPOLLIN)))
		c->connected = true;
	if (c->connected && send_due(r, c) == -1)
		return -1;
	for (;;) {
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			if (c->got == 0 && r->nlat < r->caplat)
				r->lat[r->nlat++] = now_us() - c->t0;
			c->got += n;
			if (r->hold && c->got >= r->want)
				return 1;
			continue;
		}
		if (n == 0)
			return c->got >= r->want ? 1 : -1;
		return errno == EAGAIN ? 0 : -1;
	}
}

static int
cmp32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: sniload server [-H] [-b bytes] [-r bytes] "
	    "[-u bytes] address port\n"
	    "       sniload cps [-qS] [-c conc] [-d secs] [-n name] "
	    "[-r bytes] address port\n"
	    "       sniload bulk [-q] [-n name] [-b bytes | -u bytes] "
	    "address port\n"
	    "       sniload idle [-q] [-c n] [-n name] address port\n"
	    "       sniload hello [-q] [-n name]\n"
	    "       sniload tlscheck [-q] [-n name] address port\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct run r = { 0 };
	struct epoll_event evs[256];
	struct cconn *cs;
	const char *mode, *name = "www.example.test";
	uint64_t start, end, reply = 4, bulk = 0, done = 0, inwin = 0;
	uint64_t errs = 0, c0, grace = 5000000;
	double secs = 5;
	bool pq = false;
	int conc = 64, ch, i, n, live = 0, held = 0, pending = 0;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		usage();
	mode = argv[1];
	argc--;
	argv++;
	if (strcmp(mode, "server") == 0)
		return server(argc, argv);
	while ((ch = getopt(argc, argv, "Sb:c:d:n:qr:u:")) != -1)
		switch (ch) {
		case 'S': split = true; break;
		case 'b': bulk = num(optarg, "-b"); break;
		case 'c': conc = num(optarg, "-c"); break;
		case 'd': secs = atof(optarg); break;
		case 'n': name = optarg; break;
		case 'q': pq = true; break;
		case 'r': reply = num(optarg, "-r"); break;
		case 'u': r.upload = num(optarg, "-u"); break;
		default: usage();
		}
	argc -= optind;
	argv += optind;
	mk_hello(name, pq);
	if (strcmp(mode, "hello") == 0) {
		fwrite(hello, 1, hellolen, stdout);
		return 0;
	}
	if (argc != 2 || conc < 1)
		usage();
	resolve(argv[0], argv[1]);
	if ((r.ep = epoll_create1(0)) == -1)
		err(1, "epoll");

	if (strcmp(mode, "tlscheck") == 0) {
		struct cconn c;
		uint64_t t = now_us() + 5000000;

		r.want = 1 << 30;
		if (open_one(&r, &c) == -1)
			err(1, "connect");
		while (c.got < 9 && now_us() < t) {
			if (epoll_wait(r.ep, evs, 1, 100) == 1 &&
			    client_io(&r, &c, evs[0].events) != 0)
				break;
		}
		/* handshake record, TLS 1.2 record version, server_hello */
		if (c.got < 9 || buf[0] != 0x16 || buf[1] != 3 ||
		    buf[5] != 2)
			errx(1, "no ServerHello for the %zu-byte hello "
			    "(%llu bytes back, first %02x)", hellolen,
			    (unsigned long long)c.got, c.got ? buf[0] : 0);
		printf("ServerHello for a %zu-byte ClientHello\n", hellolen);
		return 0;
	}

	if ((cs = calloc(conc, sizeof(*cs))) == NULL)
		err(1, NULL);
	if (strcmp(mode, "cps") == 0) {
		r.want = reply;
		r.caplat = 1 << 24;
	} else if (strcmp(mode, "bulk") == 0) {
		if ((bulk == 0) == (r.upload == 0))
			errx(2, "bulk: give -b or -u");
		r.want = bulk ? bulk : 1;
		r.caplat = 1;
		conc = 1;
		secs = 0;
		grace = 600000000;
	} else if (strcmp(mode, "idle") == 0) {
		r.want = 1;
		r.hold = true;
		secs = 120;
		grace = 0;
	} else
		usage();
	if ((r.lat = calloc(r.caplat ? r.caplat : 1, sizeof(*r.lat))) == NULL)
		err(1, NULL);

	c0 = cpu_us();
	start = now_us();
	end = start + (uint64_t)(secs * 1e6);
	/* idle: at most 256 connections being set up at once, so that no
	 * listen queue overflows */
	for (i = 0; i < conc && (!r.hold || pending < 256); i++) {
		if (open_one(&r, &cs[i]) == 0) {
			live++;
			pending++;
		} else
			errs++;
	}
	while (live > 0) {
		n = epoll_wait(r.ep, evs, 256, 1000);
		for (i = 0; i < n; i++) {
			struct cconn *c = evs[i].data.ptr;
			int rc = client_io(&r, c, evs[i].events);

			if (rc == 0)
				continue;
			pending--;
			if (r.hold && rc == 1) {
				epoll_ctl(r.ep, EPOLL_CTL_DEL, c->fd, NULL);
				live--;
				if (++held == conc) {
					printf("open %d\n", held);
					fflush(stdout);
					for (;;)
						pause();
				}
				if (c - cs + 256 < conc &&
				    open_one(&r, c + 256) == 0) {
					live++;
					pending++;
				}
				continue;
			}
			close(c->fd);
			live--;
			if (rc < 0) {
				errs++;
				if (r.hold)
					errx(1, "idle: connection %d failed "
					    "(%d open)", (int)(c - cs), held);
			} else {
				done++;
				if (now_us() <= end)
					inwin++;
			}
			if (now_us() < end && open_one(&r, c) == 0) {
				live++;
				pending++;
			}
		}
		if (now_us() > end + grace) {
			errs += live;	/* stuck: count them and stop */
			break;
		}
	}
	if (r.hold)
		errx(1, "idle: only %d of %d connections opened", held, conc);
	if (strcmp(mode, "bulk") == 0) {
		double el = (now_us() - start) / 1e6;
		uint64_t bytes = bulk ? bulk : r.upload;

		if (done != 1)
			errx(1, "bulk: transfer failed");
		printf("%llu\t%.3f\t%.0f\t%llu\n", (unsigned long long)bytes,
		    el, bytes * 8 / el / 1e6,
		    (unsigned long long)(cpu_us() - c0));
		return 0;
	}
	qsort(r.lat, r.nlat, sizeof(*r.lat), cmp32);
	printf("%llu\t%.0f\t%u\t%u\t%llu\t%llu\n", (unsigned long long)done,
	    inwin / secs, r.nlat ? r.lat[r.nlat / 2] : 0,
	    r.nlat ? r.lat[r.nlat * 99 / 100] : 0, (unsigned long long)errs,
	    (unsigned long long)(cpu_us() - c0));
	return 0;
}
