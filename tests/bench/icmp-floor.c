// SPDX-License-Identifier: ISC
/*
 * icmp-floor N PACE_MS PREFIX: the least a paced pinger can do, as a
 * yardstick for b-probe.sh.  One raw ICMP socket; N echo requests to
 * PREFIX.0.1, PREFIX.0.2, ... (10.77 gives 10.77.0.1 ... 10.77.3.232), one
 * every PACE_MS; between sends it waits in poll(2) and reads whatever
 * arrives, without parsing, timing or printing anything.  What a prober
 * spends above this is its own work; below it nothing paced can go.
 * Prints the number of replies read on standard error.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint16_t
cksum(const void *data, size_t len)
{
	const uint16_t *p = data;
	uint32_t s = 0;

	for (; len > 1; len -= 2)
		s += *p++;
	if (len)
		s += *(const uint8_t *)p;
	s = (s >> 16) + (s & 0xffff);
	s += s >> 16;
	return (uint16_t)~s;
}

int
main(int argc, char *argv[])
{
	struct timespec next, now;
	struct in_addr base;
	int fd, i, n, pace, got = 0;
	char pfx[64];

	if (argc != 4) {
		fprintf(stderr, "usage: icmp-floor count pace-ms prefix\n");
		return 2;
	}
	n = atoi(argv[1]);
	pace = atoi(argv[2]);
	snprintf(pfx, sizeof(pfx), "%s.0.0", argv[3]);
	if (inet_pton(AF_INET, pfx, &base) != 1) {
		fprintf(stderr, "icmp-floor: bad prefix %s\n", argv[3]);
		return 2;
	}
	if ((fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) == -1) {
		perror("icmp-floor: socket");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 1; i <= n; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		struct icmp pk;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[256];

		a.sin_addr.s_addr = htonl(ntohl(base.s_addr) + (uint32_t)i);
		memset(&pk, 0, sizeof(pk));
		pk.icmp_type = ICMP_ECHO;
		pk.icmp_id = htons((uint16_t)getpid());
		pk.icmp_seq = htons((uint16_t)i);
		pk.icmp_cksum = cksum(&pk, 16);
		sendto(fd, &pk, 16, 0, (struct sockaddr *)&a, sizeof(a));
		next.tv_nsec += pace * 1000000L;
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		for (;;) {
			long ms;

			clock_gettime(CLOCK_MONOTONIC, &now);
			ms = (next.tv_sec - now.tv_sec) * 1000 +
			    (next.tv_nsec - now.tv_nsec) / 1000000;
			if (ms <= 0)
				break;
			if (poll(&p, 1, (int)ms) > 0 &&
			    recv(fd, buf, sizeof(buf), 0) > 0)
				got++;
		}
	}
	fprintf(stderr, "%d replies\n", got);
	return 0;
}
