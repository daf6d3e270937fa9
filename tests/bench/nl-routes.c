/* SPDX-License-Identifier: ISC */
/*
 * Benchmark helper for b-nl-routes.sh: add or delete N IPv4 /32 routes
 * (10.0.0.0 upwards, via 192.0.2.2, in TABLE with protocol PROTO) through
 * one lib/nl batch, and print the seconds the whole operation took
 * (building the messages included).  Run inside the benchmark's namespace.
 *
 *	nl-routes add|del N TABLE PROTO
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>

#include "nl.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
report(void *arg, size_t idx, int error, const char *msg)
{
	if ((*(size_t *)arg)++ < 5)
		warnx("request %zu: %s%s%s", idx, strerror(-error),
		    msg ? ": " : "", msg ? msg : "");
}

int
main(int argc, char **argv)
{
	struct nl nl;
	struct nl_batch *b;
	struct nl_route r;
	const char *errstr;
	size_t nfail = 0;
	long long n, i;
	uint16_t cmd;
	double t0;
	int e;

	if (argc != 5 || (strcmp(argv[1], "add") && strcmp(argv[1], "del")))
		errx(2, "usage: nl-routes add|del N TABLE PROTO");
	cmd = strcmp(argv[1], "add") == 0 ? RTM_NEWROUTE : RTM_DELROUTE;
	n = strtonum(argv[2], 1, 1 << 24, &errstr);
	if (errstr != NULL)
		errx(2, "N %s: %s", argv[2], errstr);
	memset(&r, 0, sizeof(r));
	r.dst.family = AF_INET;
	r.dst.len = 32;
	r.table = (uint32_t)strtonum(argv[3], 1, UINT32_MAX, &errstr);
	if (errstr != NULL)
		errx(2, "TABLE %s: %s", argv[3], errstr);
	r.protocol = (uint8_t)strtonum(argv[4], 1, 255, &errstr);
	if (errstr != NULL)
		errx(2, "PROTO %s: %s", argv[4], errstr);
	r.gw_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.2", &r.gw.v4);

	if ((e = nl_open(&nl, NETLINK_ROUTE)) < 0)
		errx(1, "nl_open: %s", strerror(-e));
	if ((b = nl_batch_new(&nl)) == NULL)
		err(1, "nl_batch_new");
	t0 = now();
	for (i = 0; i < n; i++) {
		r.dst.addr.v4.s_addr = htonl(0x0a000000 + (uint32_t)i);
		if ((e = nl_route_msg(b, cmd, cmd == RTM_NEWROUTE ?
		    NLM_F_CREATE | NLM_F_EXCL : 0, &r)) < 0)
			errx(1, "nl_route_msg: %s", strerror(-e));
	}
	if ((e = nl_batch_commit(b, report, &nfail)) < 0)
		errx(1, "commit: %s", strerror(-e));
	printf("%.3f\n", now() - t0);
	nl_batch_free(b);
	nl_close(&nl);
	if (e > 0)
		errx(1, "%d requests failed", e);
	return 0;
}
