// SPDX-License-Identifier: ISC
/*
 * Load generator and backend for the edge-sni benchmark (b-sni.sh).
 *
 *   sni-load server ADDR PORT REPLY BULK IDLE
 *	accept; read one TLS record (the replayed ClientHello); write REPLY
 *	bytes, then BULK more; then shut down writing and close when the
 *	client does -- unless IDLE is 1, then keep the connection open.
 *   sni-load cps HOST PORT NAME CONC SECS REPLY
 *	CONC connections in flight for SECS seconds: connect, send a real
 *	ClientHello for NAME, read REPLY bytes and the close, close.
 *	Prints: conns cps p50_us p99_us errors (first-byte latency).
 *   sni-load bulk HOST PORT NAME BYTES
 *	one connection; prints the Mbit/s at which BYTES arrived.
 *   sni-load idle HOST PORT NAME N
 *	N connections, each with its hello answered; prints "open N" and
 *	then holds them until killed.
 *
 * One thread, epoll, non-blocking: it must not be the bottleneck.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
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

static uint8_t	hello[600];
static size_t	hellolen;

static uint64_t
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* A ClientHello like a browser's: TLS 1.3 offer, x25519 key share, SNI,
 * padded to 512 bytes of handshake. */
static void
mk_hello(const char *name)
{
	uint8_t *p = hello + 9, *ext;
	size_t nl = strlen(name), i, hl;

	*p++ = 3; *p++ = 3;
	for (i = 0; i < 32; i++)
		*p++ = (uint8_t)(i * 7 + 1);
	*p++ = 32;
	for (i = 0; i < 32; i++)
		*p++ = (uint8_t)(i * 3);
	*p++ = 0; *p++ = 8;
	*p++ = 0x13; *p++ = 0x01; *p++ = 0x13; *p++ = 0x02;
	*p++ = 0x13; *p++ = 0x03; *p++ = 0xc0; *p++ = 0x2f;
	*p++ = 1; *p++ = 0;
	ext = p;
	p += 2;
	/* server_name */
	*p++ = 0; *p++ = 0; *p++ = 0; *p++ = nl + 5;
	*p++ = 0; *p++ = nl + 3; *p++ = 0; *p++ = 0; *p++ = nl;
	memcpy(p, name, nl); p += nl;
	/* supported_versions: TLS 1.3, 1.2 */
	*p++ = 0; *p++ = 43; *p++ = 0; *p++ = 5; *p++ = 4;
	*p++ = 3; *p++ = 4; *p++ = 3; *p++ = 3;
	/* supported_groups: x25519 */
	*p++ = 0; *p++ = 10; *p++ = 0; *p++ = 4; *p++ = 0; *p++ = 2;
	*p++ = 0; *p++ = 29;
	/* key_share: x25519 */
	*p++ = 0; *p++ = 51; *p++ = 0; *p++ = 38; *p++ = 0; *p++ = 36;
	*p++ = 0; *p++ = 29; *p++ = 0; *p++ = 32;
	for (i = 0; i < 32; i++)
		*p++ = (uint8_t)(i + 9);
	/* padding up to 512 bytes of handshake */
	hl = p - (hello + 5);
	if (hl + 4 < 512) {
		size_t pad = 512 - hl - 4;

		*p++ = 0; *p++ = 21; *p++ = pad >> 8; *p++ = pad & 0xff;
		memset(p, 0, pad); p += pad;
	}
	ext[0] = (p - ext - 2) >> 8;
	ext[1] = (p - ext - 2) & 0xff;
	hellolen = p - hello;
	hl = hellolen - 9;
	hello[0] = 0x16; hello[1] = 3; hello[2] = 1;
	hello[3] = (hellolen - 5) >> 8; hello[4] = (hellolen - 5) & 0xff;
	hello[5] = 1; hello[6] = hl >> 16; hello[7] = hl >> 8; hello[8] = hl;
}

static struct sockaddr_storage dst;
static socklen_t dstlen;

static void
resolve(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICHOST }, *ai;
	int e;

	if ((e = getaddrinfo(host, port, &hints, &ai)) != 0)
		errx(2, "%s: %s", host, gai_strerror(e));
	memcpy(&dst, ai->ai_addr, ai->ai_addrlen);
	dstlen = ai->ai_addrlen;
	freeaddrinfo(ai);
}

/* ---- server ---- */

struct sconn {
	int		fd;
	size_t		got, need, sent, total;
	bool		shut;
};

static char	zeros[1 << 16];

static int
server(const char *addr, const char *port, size_t reply, size_t bulk,
    int idle)
{
	struct epoll_event ev, evs[256];
	int lfd, ep, one = 1, i, n;

	resolve(addr, port);
	lfd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&dst, dstlen) || listen(lfd, 4096))
		err(1, "listen %s %s", addr, port);
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	memset(zeros, 'x', sizeof(zeros));
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			struct sconn *c = evs[i].data.ptr;
			ssize_t r;

			if (c == NULL) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) >= 0) {
					c = calloc(1, sizeof(*c));
					c->fd = fd;
					c->need = 5;
					c->total = reply + bulk;
					ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			/* Read the hello record (its length from the header),
			 * then any close. */
			for (;;) {
				uint8_t b[4096];

				r = read(c->fd, b, sizeof(b));
				if (r <= 0)
					break;
				if (c->got < 5 && c->got + r >= 5) {
					uint8_t h[5];
					size_t k = 5 - c->got;

					memcpy(h + c->got, b, k);
					c->need = 5 + (h[3] << 8 | h[4]);
				} else if (c->got < 5)
					; /* header still incomplete */
				c->got += r;
			}
			if (r == 0 && c->got >= c->need && c->shut) {
				close(c->fd);
				free(c);
				continue;
			}
			if (r == 0 && c->got < c->need) {
				close(c->fd);
				free(c);
				continue;
			}
			if (c->got < c->need)
				continue;
			while (c->sent < c->total) {
				size_t w = c->total - c->sent;

				if (w > sizeof(zeros))
					w = sizeof(zeros);
				r = send(c->fd, zeros, w, MSG_NOSIGNAL);
				if (r <= 0)
					break;
				c->sent += r;
			}
			if (c->sent == c->total && !c->shut && !idle) {
				shutdown(c->fd, SHUT_WR);
				c->shut = true;
			}
		}
	}
}

/* ---- clients ---- */

struct cconn {
	int		fd;
	uint64_t	t0;
	size_t		got;
	bool		first;
};

static uint32_t	*lat;
static size_t	nlat, caplat;

static int
cmp32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
open_one(int ep, struct cconn *c)
{
	struct epoll_event ev;

	c->fd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -1;
	c->t0 = now_us();
	c->got = 0;
	c->first = false;
	if (connect(c->fd, (struct sockaddr *)&dst, dstlen) &&
	    errno != EINPROGRESS) {
		close(c->fd);
		return -1;
	}
	ev.events = EPOLLOUT | EPOLLIN | EPOLLET;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
}

/* cps, bulk and idle share this loop.  want: bytes before the close (cps,
 * bulk) or before holding (idle). */
static int
clients(int conc, double secs, size_t want, int hold, uint64_t *done_out,
    uint64_t *err_out, double *el)
{
	struct cconn *cs = calloc(conc, sizeof(*cs));
	struct epoll_event evs[256];
	uint64_t start = now_us(), end = start + (uint64_t)(secs * 1e6);
	uint64_t done = 0, errs = 0;
	int ep = epoll_create1(0), i, n, live = 0, held = 0;
	static uint8_t buf[1 << 17];

	for (i = 0; i < conc; i++) {
		if (open_one(ep, &cs[i]) == 0)
			live++;
		else
			errs++;
	}
	while (live > 0) {
		n = epoll_wait(ep, evs, 256, 1000);
		for (i = 0; i < n; i++) {
			struct cconn *c = evs[i].data.ptr;
			ssize_t r;
			bool finished = false, failed = false;

			if ((evs[i].events & EPOLLOUT) && c->got == 0 &&
			    !c->first) {
				c->first = true;	/* connected: send */
				if (send(c->fd, hello, hellolen, MSG_NOSIGNAL)
				    != (ssize_t)hellolen)
					failed = true;
			}
			while (!failed && !finished) {
				r = recv(c->fd, buf, sizeof(buf), 0);
				if (r > 0) {
					if (c->got == 0 && nlat < caplat)
						lat[nlat++] = now_us() - c->t0;
					c->got += r;
					if (hold && c->got >= want) {
						finished = true;
					}
					continue;
				}
				if (r == 0) {
					if (c->got >= want)
						finished = true;
					else
						failed = true;
				} else if (errno != EAGAIN)
					failed = true;
				break;
			}
			if (!finished && !failed)
				continue;
			if (hold && finished) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				done++;
				if (++held == conc) {
					printf("open %d\n", held);
					fflush(stdout);
					for (;;)
						pause();
				}
				continue;
			}
			close(c->fd);
			live--;
			if (failed)
				errs++;
			else
				done++;
			if (now_us() < end && !hold) {
				if (open_one(ep, c) == 0)
					live++;
				else
					errs++;
			}
		}
		/* cps: 5 s after the end; bulk (secs 0): 2 minutes */
		if (now_us() > end + (hold ? 60000000 : secs > 0 ? 5000000 :
		    120000000)) {
			errs += live;	/* stuck: count them, stop */
			break;
		}
	}
	*el = (now_us() - start) / 1e6;
	*done_out = done;
	*err_out = errs;
	return 0;
}

int
main(int argc, char **argv)
{
	uint64_t done, errs;
	double el;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 7 && strcmp(argv[1], "server") == 0)
		return server(argv[2], argv[3], strtoul(argv[4], NULL, 10),
		    strtoull(argv[5], NULL, 10), atoi(argv[6]));
	if (argc < 5)
		errx(2, "usage: see the comment at the top of sni-load.c");
	resolve(argv[2], argv[3]);
	mk_hello(argv[4]);
	if (strcmp(argv[1], "cps") == 0 && argc == 8) {
		caplat = 4000000;
		lat = malloc(caplat * sizeof(*lat));
		clients(atoi(argv[5]), atof(argv[6]),
		    strtoul(argv[7], NULL, 10), 0, &done, &errs, &el);
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		qsort(lat, nlat, sizeof(*lat), cmp32);
		printf("%llu %.0f %u %u %llu %.1f\n", (unsigned long long)done,
		    done / el, nlat ? lat[nlat / 2] : 0,
		    nlat ? lat[nlat * 99 / 100] : 0, (unsigned long long)errs,
		    done ? (ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec +
		    ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec) / done : 0.0);
		return 0;
	}
	if (strcmp(argv[1], "bulk") == 0 && argc == 6) {
		size_t bytes = strtoull(argv[5], NULL, 10);

		clients(1, 0, bytes, 0, &done, &errs, &el);
		if (done != 1)
			errx(1, "bulk transfer failed");
		printf("%.0f\n", bytes * 8 / el / 1e6);
		return 0;
	}
	if (strcmp(argv[1], "idle") == 0 && argc == 6) {
		clients(atoi(argv[5]), 0, 1, 1, &done, &errs, &el);
		errx(1, "only %llu of %s connections opened",
		    (unsigned long long)done, argv[5]);
	}
	errx(2, "usage: see the comment at the top of sni-load.c");
}
