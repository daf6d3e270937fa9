// SPDX-License-Identifier: ISC
/*
 * Endpoint names, resolved with c-ares: all lookups of a run in flight at
 * once, a deadline for the lot.  IPv4 is preferred when a name has both,
 * as wg(8) does.
 */
#include <sys/select.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ares.h>

#include "tunnel.h"

#define RESOLVE_TIMEOUT_MS	10000

struct lookup {
	struct wg_peer	*peer;
	const char	*host;
	int		 status;	/* ARES_*, -1 pending */
	bool		 found;
	union wg_endpoint ep;
};

static void
lookup_done(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct lookup *l = arg;
	struct ares_addrinfo_node *n, *pick = NULL;

	(void)timeouts;
	l->status = status;
	if (status != ARES_SUCCESS || res == NULL) {
		if (res != NULL)
			ares_freeaddrinfo(res);
		return;
	}
	for (n = res->nodes; n != NULL; n = n->ai_next) {
		if (n->ai_family == AF_INET) {
			pick = n;
			break;
		}
		if (n->ai_family == AF_INET6 && pick == NULL)
			pick = n;
	}
	if (pick != NULL && pick->ai_addrlen <= sizeof(l->ep)) {
		memset(&l->ep, 0, sizeof(l->ep));
		memcpy(&l->ep, pick->ai_addr, pick->ai_addrlen);
		l->found = true;
	}
	ares_freeaddrinfo(res);
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
tunnel_resolve(struct tunnel_conf *tc, const bool *only, char *err,
    size_t errlen)
{
	struct ares_addrinfo_hints hints;
	struct lookup *ls;
	ares_channel ch;
	size_t i, n = 0;
	long deadline;
	int failed = 0, rc;

	for (i = 0; i < tc->wg.npeers; i++)
		if (tc->px[i].host != NULL && (only == NULL || only[i]))
			n++;
	if (n == 0)
		return 0;
	if ((ls = calloc(tc->wg.npeers, sizeof(*ls))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (int)n;
	}
	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS ||
	    (rc = ares_init(&ch)) != ARES_SUCCESS) {
		snprintf(err, errlen, "resolver: %s", ares_strerror(rc));
		free(ls);
		return (int)n;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = ARES_AI_NUMERICSERV;
	for (i = 0; i < tc->wg.npeers; i++) {
		if (tc->px[i].host == NULL || (only != NULL && !only[i]))
			continue;
		ls[i].peer = &tc->wg.peers[i];
		ls[i].host = tc->px[i].host;
		ls[i].status = -1;
		ares_getaddrinfo(ch, tc->px[i].host, tc->px[i].port, &hints,
		    lookup_done, &ls[i]);
	}
	deadline = now_ms() + RESOLVE_TIMEOUT_MS;
	for (;;) {
		struct timeval tv, max, *tvp;
		fd_set rfds, wfds;
		int nfds;
		long left;

		FD_ZERO(&rfds);
		FD_ZERO(&wfds);
		nfds = ares_fds(ch, &rfds, &wfds);
		if (nfds == 0)
			break;
		if ((left = deadline - now_ms()) <= 0)
			break;
		max.tv_sec = left / 1000;
		max.tv_usec = (left % 1000) * 1000;
		tvp = ares_timeout(ch, &max, &tv);
		if (select(nfds, &rfds, &wfds, NULL, tvp) < 0 && errno != EINTR)
			break;
		ares_process(ch, &rfds, &wfds);
	}
	ares_destroy(ch);	/* pending lookups end with ARES_EDESTRUCTION */
	for (i = 0; i < tc->wg.npeers; i++) {
		if (ls[i].peer == NULL)
			continue;
		if (!ls[i].found) {
			if (failed++ == 0)
				snprintf(err, errlen, "%s:%u: Endpoint %s: %s",
				    tc->path, tc->px[i].line, ls[i].host,
				    ls[i].status < 0 ? "timed out" :
				    ls[i].status == ARES_SUCCESS ?
				    "no address" : ares_strerror(ls[i].status));
			continue;
		}
		ls[i].peer->endpoint = ls[i].ep;
		ls[i].peer->flags |= WG_PEER_HAS_ENDPOINT;
	}
	free(ls);
	ares_library_cleanup();
	return failed;
}
