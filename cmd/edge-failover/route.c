// SPDX-License-Identifier: ISC
/*
 * Programming a group's routes: for each destination one RTM_NEWROUTE with
 * NLM_F_REPLACE (a single next hop, or RTA_MULTIPATH with the gateways'
 * weights), all in one netlink batch, so the kernel swaps each route
 * atomically and traffic never sees a gap.  Routes carry edge-failover's
 * protocol number.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "nl.h"
#include "failover.h"

/* Does gateway gw carry traffic for destinations of family? */
static bool
gw_serves(const struct failover_gw *gw, int family)
{
	return gw->via_family == 0 || gw->via_family == family;
}

static void
route_build(const struct failover_cfg *cfg, const struct failover_group *g,
    const struct failover_choice *c, size_t di, struct nl_route *r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->dst = g->dst[di];
	r->table = g->table;
	r->protocol = cfg->protocol;
	r->priority = g->metric;
	for (i = 0; i < c->n && r->nnh < NL_MAX_NEXTHOPS; i++) {
		const struct failover_gw *gw = &cfg->gw[c->gw[i]];
		struct nl_nexthop *nh = &r->nh[r->nnh];

		if (!gw_serves(gw, r->dst.family))
			continue;
		nh->ifindex = gw->ifindex;
		nh->gw_family = (uint8_t)gw->via_family;
		nh->gw = gw->via;
		nh->weight = (uint16_t)c->weight[i];
		r->nnh++;
	}
	if (r->nnh == 1) {
		/* One next hop: a plain route, as ip-route(8) would make. */
		r->oif = r->nh[0].ifindex;
		r->gw_family = r->nh[0].gw_family;
		r->gw = r->nh[0].gw;
		if (r->gw_family == 0)
			r->scope = RT_SCOPE_LINK;
		r->nnh = 0;
	}
}

size_t
failover_route_str(const struct failover_cfg *cfg,
    const struct failover_group *g, const struct failover_choice *c,
    char *buf, size_t len)
{
	size_t di, i, off = 0, n;
	char pb[PREFIX_STRLEN], ab[INET6_ADDRSTRLEN];
	int k;

#define ADD(...) do {							\
	k = snprintf(buf + off, off < len ? len - off : 0, __VA_ARGS__);	\
	if (k > 0)							\
		off += (size_t)k;					\
} while (0)
	if (len)
		buf[0] = '\0';
	for (di = 0; di < g->ndst; di++) {
		const struct prefix *p = &g->dst[di];

		if (di)
			ADD("; ");
		if (p->len == 0)
			ADD("default");
		else
			ADD("%s", prefix_ntop(p, pb, sizeof(pb)));
		if (p->family == AF_INET6 && p->len == 0)
			ADD("6");
		for (n = 0, i = 0; i < c->n; i++)
			if (gw_serves(&cfg->gw[c->gw[i]], p->family))
				n++;
		if (n == 0)
			ADD(" unreachable");
		for (i = 0; i < c->n; i++) {
			const struct failover_gw *gw = &cfg->gw[c->gw[i]];

			if (!gw_serves(gw, p->family))
				continue;
			if (n > 1)
				ADD(" nexthop");
			if (gw->via_family)
				ADD(" via %s", addr_ntop(gw->via_family,
				    &gw->via, ab, sizeof(ab)));
			ADD(" dev %s", gw->dev);
			if (n > 1)
				ADD(" weight %u", c->weight[i]);
		}
		if (g->table)
			ADD(" table %u", g->table);
		if (g->metric)
			ADD(" metric %u", g->metric);
	}
#undef ADD
	if (off >= len && len > 0)
		buf[len - 1] = '\0';
	return off;
}

struct apply_err {
	int	first;
	size_t	idx;
	char	msg[128];
	size_t	ndel;		/* deletions: their ESRCH is fine */
	const bool *is_del;
};

static void
on_err(void *arg, size_t idx, int err, const char *msg)
{
	struct apply_err *ae = arg;

	if (ae->is_del[idx] && err == -ESRCH)
		return;
	if (ae->first == 0) {
		ae->first = err;
		ae->idx = idx;
		snprintf(ae->msg, sizeof(ae->msg), "%s", msg ? msg : "");
	}
}

int
failover_route_apply(struct nl *nl, const struct failover_cfg *cfg,
    struct failover_group *g, const struct failover_choice *c,
    char *err, size_t errlen)
{
	struct nl_batch *b;
	struct nl_route r;
	struct apply_err ae;
	bool is_del[FO_MAX_DST];
	char pb[PREFIX_STRLEN];
	size_t di;
	int rc;

	memset(&ae, 0, sizeof(ae));
	ae.is_del = is_del;
	if ((b = nl_batch_new(nl)) == NULL) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		return -1;
	}
	for (di = 0; di < g->ndst; di++) {
		route_build(cfg, g, c, di, &r);
		if (r.nnh == 0 && r.oif == 0 && r.gw_family == 0) {
			/* No chosen gateway serves this family: withdraw
			 * our route rather than leave a stale one. */
			is_del[di] = true;
			rc = nl_route_msg(b, RTM_DELROUTE, 0, &r);
		} else {
			is_del[di] = false;
			rc = nl_route_msg(b, RTM_NEWROUTE,
			    NLM_F_CREATE | NLM_F_REPLACE, &r);
		}
		if (rc < 0) {
			snprintf(err, errlen, "route %s: %s",
			    prefix_ntop(&g->dst[di], pb, sizeof(pb)),
			    strerror(-rc));
			nl_batch_free(b);
			return -1;
		}
	}
	rc = nl_batch_commit(b, on_err, &ae);
	nl_batch_free(b);
	if (rc < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(-rc));
		return -1;
	}
	if (ae.first != 0) {
		snprintf(err, errlen, "route %s: %s%s%s",
		    prefix_ntop(&g->dst[ae.idx], pb, sizeof(pb)),
		    strerror(-ae.first), ae.msg[0] ? ": " : "", ae.msg);
		return -1;
	}
	return 0;
}
