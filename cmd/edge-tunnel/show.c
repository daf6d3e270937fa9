// SPDX-License-Identifier: ISC
/*
 * show (the live device), strip (the wg(8) part of a file) and reresolve
 * (Endpoint names of peers that have gone quiet).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "tunnel.h"

/* A peer that has not completed a handshake for this long is considered
 * gone: its name may point somewhere else now (wireguard-tools'
 * reresolve-dns.sh uses the same 135 s, REJECT_AFTER_TIME + slack). */
#define RERESOLVE_AFTER	135

struct addrs {
	char	 buf[2048];
	size_t	 len;
};

static int
addr_cb(const struct nl_addr *a, void *arg)
{
	struct addrs *s = arg;
	struct prefix p = { .family = a->family, .len = a->prefixlen,
	    .addr = a->addr };
	char b[PREFIX_STRLEN];

	prefix_ntop(&p, b, sizeof(b));
	if (s->len > 0)
		strlcat(s->buf, ",", sizeof(s->buf));
	strlcat(s->buf, b, sizeof(s->buf));
	s->len = strlen(s->buf);
	return 0;
}

static void
allowed_text(const struct wg_peer *p, char *buf, size_t len, const char *sep)
{
	char b[PREFIX_STRLEN];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < p->nallowedips; i++) {
		if (i > 0)
			strlcat(buf, sep, len);
		strlcat(buf, prefix_ntop(&p->allowedips[i], b, sizeof(b)),
		    len);
	}
}

static void
bytes_text(uint64_t n, char *buf, size_t len)
{
	static const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%" PRIu64 " B", n);
	else
		snprintf(buf, len, "%.2f %s", v, u[i]);
}

int
tunnel_show(const char *ifname, bool script, bool keys)
{
	struct wg_device d;
	struct nl nl;
	struct nl_link l;
	struct addrs as;
	char k[WG_KEY_B64_LEN], ep[80], *aips;
	time_t now = time(NULL);
	size_t i;
	int rc;

	memset(&as, 0, sizeof(as));
	memset(&l, 0, sizeof(l));
	if ((rc = wg_get(ifname, &d)) < 0) {
		log_warnx("%s: %s", ifname, rc == -ENOENT || rc == -ENODEV ?
		    "no such WireGuard interface" : strerror(-rc));
		wg_device_free(&d);
		return 1;
	}
	if (nl_open(&nl, NETLINK_ROUTE) == 0) {
		if (nl_link_get(&nl, ifname, &l) == 0)
			nl_addr_dump(&nl, AF_UNSPEC, l.ifindex, addr_cb, &as);
		nl_close(&nl);
	}
	if ((aips = malloc(65536)) == NULL) {
		wg_device_free(&d);
		return 1;
	}
	if (script) {
		char pub[WG_KEY_B64_LEN] = "-", priv[WG_KEY_B64_LEN] = "-";

		if (d.flags & WG_DEVICE_HAS_PUBLIC_KEY)
			wg_key_to_base64(pub, d.public_key);
		if (d.flags & WG_DEVICE_HAS_PRIVATE_KEY)
			wg_key_to_base64(priv, d.private_key);
		printf("interface\t%s\t%s\t%s\t%u\t%s%" PRIx32 "\t%u\t%s\n",
		    ifname, pub, keys ? priv : "(hidden)", d.listen_port,
		    d.fwmark ? "0x" : "", d.fwmark, l.mtu,
		    as.len ? as.buf : "-");
		explicit_bzero(priv, sizeof(priv));
	} else {
		printf("interface: %s\n", ifname);
		if (d.flags & WG_DEVICE_HAS_PUBLIC_KEY) {
			wg_key_to_base64(k, d.public_key);
			printf("  public key: %s\n", k);
		}
		if (d.flags & WG_DEVICE_HAS_PRIVATE_KEY) {
			if (keys)
				wg_key_to_base64(k, d.private_key);
			printf("  private key: %s\n", keys ? k : "(hidden)");
			explicit_bzero(k, sizeof(k));
		}
		if (d.listen_port)
			printf("  listening port: %u\n", d.listen_port);
		if (d.fwmark)
			printf("  fwmark: 0x%" PRIx32 "\n", d.fwmark);
		if (l.mtu)
			printf("  mtu: %u\n", l.mtu);
		if (as.len)
			printf("  address: %s\n", as.buf);
	}
	for (i = 0; i < d.npeers; i++) {
		const struct wg_peer *p = &d.peers[i];
		char psk[WG_KEY_B64_LEN] = "-";

		wg_key_to_base64(k, p->public_key);
		if (p->flags & WG_PEER_HAS_PRESHARED_KEY) {
			if (keys)
				wg_key_to_base64(psk, p->preshared_key);
			else
				strlcpy(psk, "(hidden)", sizeof(psk));
		}
		if (p->endpoint.sa.sa_family != 0)
			wg_endpoint_ntop(&p->endpoint, ep, sizeof(ep));
		else
			strlcpy(ep, script ? "-" : "", sizeof(ep));
		if (script) {
			allowed_text(p, aips, 65536, ",");
			printf("peer\t%s\t%s\t%s\t%s\t%s\t%" PRId64 "\t%" PRIu64
			    "\t%" PRIu64 "\t%s%u\n", ifname, k, psk, ep,
			    aips[0] ? aips : "-", p->last_handshake_sec,
			    p->rx_bytes, p->tx_bytes, "", p->keepalive);
		} else {
			char rx[32], tx[32];

			allowed_text(p, aips, 65536, ", ");
			printf("\npeer: %s\n", k);
			if (p->flags & WG_PEER_HAS_PRESHARED_KEY)
				printf("  preshared key: %s\n", psk);
			if (ep[0])
				printf("  endpoint: %s\n", ep);
			printf("  allowed ips: %s\n",
			    aips[0] ? aips : "(none)");
			if (p->last_handshake_sec)
				printf("  latest handshake: %" PRId64
				    " seconds ago\n", wg_peer_handshake_age(p,
				    (int64_t)now));
			else
				printf("  latest handshake: never\n");
			bytes_text(p->rx_bytes, rx, sizeof(rx));
			bytes_text(p->tx_bytes, tx, sizeof(tx));
			printf("  transfer: %s received, %s sent\n", rx, tx);
			if (p->keepalive)
				printf("  persistent keepalive: every %u "
				    "seconds\n", p->keepalive);
		}
		explicit_bzero(psk, sizeof(psk));
	}
	free(aips);
	wg_device_free(&d);
	return fflush(stdout) == 0 ? 0 : 1;
}

int
tunnel_strip(const struct tunnel_conf *tc)
{
	const struct wg_device *d = &tc->wg;
	char k[WG_KEY_B64_LEN], ep[80], *aips;
	size_t i;

	if ((aips = malloc(65536)) == NULL)
		return 1;
	printf("[Interface]\n");
	wg_key_to_base64(k, d->private_key);
	printf("PrivateKey = %s\n", k);
	if (d->flags & WG_DEVICE_HAS_LISTEN_PORT)
		printf("ListenPort = %u\n", d->listen_port);
	if ((d->flags & WG_DEVICE_HAS_FWMARK) && d->fwmark)
		printf("FwMark = 0x%" PRIx32 "\n", d->fwmark);
	for (i = 0; i < d->npeers; i++) {
		const struct wg_peer *p = &d->peers[i];

		printf("\n[Peer]\n");
		wg_key_to_base64(k, p->public_key);
		printf("PublicKey = %s\n", k);
		if (p->flags & WG_PEER_HAS_PRESHARED_KEY) {
			wg_key_to_base64(k, p->preshared_key);
			printf("PresharedKey = %s\n", k);
		}
		allowed_text(p, aips, 65536, ", ");
		if (aips[0])
			printf("AllowedIPs = %s\n", aips);
		if (tc->px[i].host != NULL)
			printf("Endpoint = %s:%s\n", tc->px[i].host,
			    tc->px[i].port);
		else if (p->flags & WG_PEER_HAS_ENDPOINT)
			printf("Endpoint = %s\n", wg_endpoint_ntop(
			    &p->endpoint, ep, sizeof(ep)));
		if ((p->flags & WG_PEER_HAS_KEEPALIVE) && p->keepalive)
			printf("PersistentKeepalive = %u\n", p->keepalive);
	}
	explicit_bzero(k, sizeof(k));
	free(aips);
	return fflush(stdout) == 0 ? 0 : 1;
}

int
tunnel_reresolve(struct tunnel_conf *tc, const struct tunnel_opts *o)
{
	struct wg_device live, delta;
	bool *only;
	char err[512], k[WG_KEY_B64_LEN], a[80], b[80];
	time_t now = time(NULL);
	size_t i, n = 0;
	int rc, failed;

	if ((rc = wg_get(tc->name, &live)) < 0) {
		log_warnx("%s: %s", tc->name, strerror(-rc));
		wg_device_free(&live);
		return 1;
	}
	if ((only = calloc(tc->wg.npeers + 1, sizeof(*only))) == NULL) {
		wg_device_free(&live);
		return 1;
	}
	for (i = 0; i < tc->wg.npeers; i++) {
		const struct wg_peer *lp;
		int64_t age;

		if (tc->px[i].host == NULL)
			continue;
		lp = wg_peer_find(&live, tc->wg.peers[i].public_key);
		if (lp == NULL)
			continue;	/* not ours to add: that is sync's job */
		age = wg_peer_handshake_age(lp, (int64_t)now);
		if (age >= 0 && age <= RERESOLVE_AFTER)
			continue;
		only[i] = true;
		n++;
	}
	if (n == 0) {
		free(only);
		wg_device_free(&live);
		return 0;
	}
	failed = tunnel_resolve(tc, only, err, sizeof(err));
	if (failed > 0)
		log_warnx("%s", err);
	wg_device_init(&delta, tc->name);
	for (i = 0; i < tc->wg.npeers; i++) {
		const struct wg_peer *wp = &tc->wg.peers[i], *lp;
		struct wg_peer *np;

		if (!only[i] || !(wp->flags & WG_PEER_HAS_ENDPOINT))
			continue;
		lp = wg_peer_find(&live, wp->public_key);
		if (lp == NULL || wg_endpoint_equal(&lp->endpoint,
		    &wp->endpoint))
			continue;
		wg_key_to_base64(k, wp->public_key);
		printf("~ peer %s: endpoint %s (%s, was %s)\n", k,
		    wg_endpoint_ntop(&wp->endpoint, a, sizeof(a)),
		    tc->px[i].host, lp->endpoint.sa.sa_family ?
		    wg_endpoint_ntop(&lp->endpoint, b, sizeof(b)) : "none");
		if ((np = wg_peer_add(&delta, wp->public_key)) == NULL) {
			failed++;
			break;
		}
		np->flags = WG_PEER_UPDATE_ONLY | WG_PEER_HAS_ENDPOINT;
		np->endpoint = wp->endpoint;
	}
	fflush(stdout);
	if (delta.npeers > 0 && !o->dry_run &&
	    (rc = wg_set(&delta)) < 0) {
		log_warnx("%s: setting endpoints: %s", tc->name,
		    strerror(-rc));
		failed++;
	}
	wg_device_free(&delta);
	wg_device_free(&live);
	free(only);
	return failed ? 1 : 0;
}
