// SPDX-License-Identifier: ISC
/*
 * up, down, sync and diff are one computation: read the live state, compare
 * it with the file, and make a plan of the changes; diff prints the plan,
 * the others carry it out.  Only objects edge-tunnel owns are considered:
 * its interfaces, and routes and rules carrying protocol 201 that either
 * use its interface or were recorded in its state file when it made them.
 * A failed up undoes what it made, in reverse order.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "log.h"
#include "spawn.h"
#include "plan.h"

struct act *
tunnel_plan_add(struct plan *p, enum act_type type, const char *ifname,
    const char *fmt, ...)
{
	struct act *a;
	va_list ap;

	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 32;

		if ((a = reallocarray(p->v, ncap, sizeof(*a))) == NULL) {
			p->failed = true;
			return NULL;
		}
		p->v = a;
		p->cap = ncap;
	}
	a = &p->v[p->n];
	memset(a, 0, sizeof(*a));
	a->type = type;
	if (ifname != NULL)
		strlcpy(a->ifname, ifname, sizeof(a->ifname));
	va_start(ap, fmt);
	if (vasprintf(&a->desc, fmt, ap) < 0) {
		va_end(ap);
		p->failed = true;
		return NULL;
	}
	va_end(ap);
	p->n++;
	return a;
}

static void
plan_free(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].desc);
		if (p->v[i].type == A_WG_SET && p->v[i].u.wg != NULL) {
			wg_device_free(p->v[i].u.wg);
			free(p->v[i].u.wg);
		}
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* ---- live state ---- */

static int
link_cb(const struct nl_link *l, void *arg)
{
	struct live *lv = arg;
	struct live_link *v;

	v = reallocarray(lv->links, lv->nlinks + 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	lv->links = v;
	v[lv->nlinks++].l = *l;
	return 0;
}

static int
route_cb(const struct nl_route *r, void *arg)
{
	struct live *lv = arg;
	struct nl_route *v;

	if (r->protocol != TUNNEL_PROTO)
		return 0;
	v = reallocarray(lv->routes, lv->nroutes + 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	lv->routes = v;
	v[lv->nroutes++] = *r;
	return 0;
}

static int
rule_cb(const struct nl_rule *r, void *arg)
{
	struct live *lv = arg;
	struct nl_rule *v;

	if (r->protocol != TUNNEL_PROTO)
		return 0;
	v = reallocarray(lv->rules, lv->nrules + 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	lv->rules = v;
	v[lv->nrules++] = *r;
	return 0;
}

const struct nl_link *
tunnel_live_link(const struct live *lv, const char *name)
{
	size_t i;

	for (i = 0; i < lv->nlinks; i++)
		if (strcmp(lv->links[i].l.name, name) == 0)
			return &lv->links[i].l;
	return NULL;
}

static const char *
ifname_of(const struct live *lv, uint32_t ifindex)
{
	size_t i;

	if (ifindex == 0)
		return "";
	for (i = 0; i < lv->nlinks; i++)
		if (lv->links[i].l.ifindex == ifindex)
			return lv->links[i].l.name;
	return "?";
}

static void
live_free(struct live *lv)
{
	size_t i;

	free(lv->links);
	free(lv->routes);
	free(lv->rules);
	for (i = 0; i < lv->nowned; i++)
		free(lv->owned[i]);
	free(lv->owned);
	memset(lv, 0, sizeof(*lv));
}

/* ---- keys: one text form per object, for comparing and the state ---- */

static uint32_t
route_table(uint32_t t)
{
	return t == 0 ? RT_TABLE_MAIN : t;
}

static uint32_t
route_metric(const struct nl_route *r)
{
	/* The kernel gives IPv6 routes metric 1024 when none is asked. */
	if (r->priority == 0 && r->dst.family == AF_INET6)
		return 1024;
	return r->priority;
}

void
tunnel_route_key(const struct nl_route *r, const char *oif, char *buf, size_t len)
{
	char dst[PREFIX_STRLEN], gw[INET6_ADDRSTRLEN] = "-";

	prefix_ntop(&r->dst, dst, sizeof(dst));
	if (r->gw_family != 0)
		addr_ntop(r->gw_family, &r->gw, gw, sizeof(gw));
	/* A gateway route's device is the kernel's choice: not compared. */
	snprintf(buf, len, "route %s via %s dev %s table %u metric %u", dst,
	    gw, oif[0] && r->gw_family == 0 ? oif : "-",
	    route_table(r->table), route_metric(r));
}

void
tunnel_rule_key(const struct nl_rule *r, bool with_prio, char *buf, size_t len)
{
	char src[PREFIX_STRLEN] = "all", dst[PREFIX_STRLEN] = "all";
	char mark[40] = "", sup[48] = "", prio[24] = "";

	if (r->src.family != 0)
		prefix_ntop(&r->src, src, sizeof(src));
	if (r->dst.family != 0)
		prefix_ntop(&r->dst, dst, sizeof(dst));
	if (r->has_fwmark)
		snprintf(mark, sizeof(mark), " fwmark 0x%x/0x%x", r->fwmark,
		    r->fwmask ? r->fwmask : 0xffffffffu);
	if (r->suppress_prefixlen >= 0)
		snprintf(sup, sizeof(sup), " suppress_prefixlength %d",
		    r->suppress_prefixlen);
	if (with_prio && r->priority != 0)
		snprintf(prio, sizeof(prio), " priority %u", r->priority);
	snprintf(buf, len, "rule%s -%c %sfrom %s to %s%s%s%s%s%s%s "
	    "table %u%s%s", r->invert ? " not" : "",
	    r->family == AF_INET6 ? '6' : '4', "", src, dst, mark,
	    r->iif[0] ? " iif " : "", r->iif, r->oif[0] ? " oif " : "",
	    r->oif, prio, route_table(r->table), sup, "");
}

bool
tunnel_owned(const struct live *lv, const char *key)
{
	size_t i;

	for (i = 0; i < lv->nowned; i++)
		if (strcmp(lv->owned[i], key) == 0)
			return true;
	return false;
}

/* ---- the state file: what this interface made beyond its own link ---- */

void
tunnel_state_path(const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, "%s/tunnel-%s.state", TUNNEL_STATE_DIR, ifname);
}

static void
state_read(struct live *lv, const char *ifname)
{
	char path[256], line[512];
	FILE *f;
	char **v;

	tunnel_state_path(ifname, path, sizeof(path));
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0')
			continue;
		v = reallocarray(lv->owned, lv->nowned + 1, sizeof(*v));
		if (v == NULL)
			break;
		lv->owned = v;
		if ((v[lv->nowned] = strdup(line)) == NULL)
			break;
		lv->nowned++;
	}
	fclose(f);
}

/* ---- desired state ---- */


static int
want_route(struct want *w, const struct nl_route *r, const char *oif)
{
	char k1[256], k2[256];
	size_t i;
	void *v;

	tunnel_route_key(r, oif, k1, sizeof(k1));
	for (i = 0; i < w->nroutes; i++) {
		tunnel_route_key(&w->routes[i], w->route_oif[i], k2, sizeof(k2));
		if (strcmp(k1, k2) == 0)
			return 0;
	}
	if ((v = reallocarray(w->routes, w->nroutes + 1,
	    sizeof(*w->routes))) == NULL)
		return -1;
	w->routes = v;
	w->routes[w->nroutes] = *r;
	/* A device route is link scope, as ip(8) makes it. */
	if (r->gw_family == 0 && oif[0] != '\0' && r->dst.family == AF_INET)
		w->routes[w->nroutes].scope = RT_SCOPE_LINK;
	if ((v = reallocarray(w->route_oif, w->nroutes + 1,
	    sizeof(*w->route_oif))) == NULL)
		return -1;
	w->route_oif = v;
	strlcpy(w->route_oif[w->nroutes], oif, IFNAMSIZ);
	w->nroutes++;
	return 0;
}

static int
want_rule(struct want *w, const struct nl_rule *r)
{
	void *v;

	if ((v = reallocarray(w->rules, w->nrules + 1,
	    sizeof(*w->rules))) == NULL)
		return -1;
	w->rules = v;
	w->rules[w->nrules++] = *r;
	return 0;
}

static void
want_free(struct want *w)
{
	free(w->routes);
	free(w->route_oif);
	free(w->rules);
	memset(w, 0, sizeof(*w));
}

struct allroutes {
	struct nl_route	*v;
	size_t		 n;
};

static int
allroute_cb(const struct nl_route *r, void *arg)
{
	struct allroutes *a = arg;
	struct nl_route *v;

	if (r->type != 0 && r->type != RTN_UNICAST)
		return 0;
	if ((v = reallocarray(a->v, a->n + 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	a->v = v;
	v[a->n++] = *r;
	return 0;
}

/* The MTU of the link a main-table route to addr leaves by, 0 none. */
static uint32_t
mtu_towards(const struct allroutes *ar, const struct live *lv, int family,
    const union edge_addr *addr, bool default_only)
{
	const struct nl_route *best = NULL;
	uint32_t ifindex;
	size_t i;

	for (i = 0; i < ar->n; i++) {
		const struct nl_route *r = &ar->v[i];

		if (r->dst.family != family)
			continue;
		if (default_only ? r->dst.len != 0 :
		    !prefix_contains_addr(&r->dst, family, addr))
			continue;
		if (best == NULL || r->dst.len > best->dst.len)
			best = r;
	}
	if (best == NULL)
		return 0;
	if (best->mtu != 0)
		return best->mtu;
	ifindex = best->nnh > 0 ? best->nh[0].ifindex : best->oif;
	for (i = 0; i < lv->nlinks; i++)
		if (lv->links[i].l.ifindex == ifindex)
			return lv->links[i].l.mtu;
	return 0;
}

static uint32_t
compute_mtu(const struct tunnel_conf *tc, struct nl *nl, const struct live *lv)
{
	struct allroutes ar = { NULL, 0 };
	uint32_t best = 0, m;
	size_t i;
	bool any = false;

	nl_route_dump(nl, AF_UNSPEC, RT_TABLE_MAIN, 0, allroute_cb, &ar);
	for (i = 0; i < tc->wg.npeers; i++) {
		const union wg_endpoint *ep = &tc->wg.peers[i].endpoint;
		union edge_addr a;

		if (ep->sa.sa_family == AF_INET)
			memcpy(&a.v4, &ep->in.sin_addr, 4);
		else if (ep->sa.sa_family == AF_INET6)
			memcpy(&a.v6, &ep->in6.sin6_addr, 16);
		else
			continue;
		any = true;
		m = mtu_towards(&ar, lv, ep->sa.sa_family, &a, false);
		if (m > best)
			best = m;
	}
	if (!any || best == 0) {
		best = mtu_towards(&ar, lv, AF_INET, NULL, true);
		if ((m = mtu_towards(&ar, lv, AF_INET6, NULL, true)) > best)
			best = m;
	}
	free(ar.v);
	if (best == 0)
		best = 1500;
	return best > 80 + 576 ? best - 80 : 576;
}

static bool
has_default(const struct tunnel_conf *tc, int family)
{
	size_t i, j;

	for (i = 0; i < tc->wg.npeers; i++) {
		const struct tunnel_peer_extra *x = &tc->px[i];

		if (x->has_table && x->table_mode != TABLE_AUTO)
			continue;
		for (j = 0; j < tc->wg.peers[i].nallowedips; j++)
			if (tc->wg.peers[i].allowedips[j].family == family &&
			    tc->wg.peers[i].allowedips[j].len == 0)
				return true;
	}
	return false;
}

/* Is the prefix already covered by an Address's own subnet route? */
static bool
covered_by_address(const struct tunnel_conf *tc, const struct prefix *p)
{
	size_t i;

	for (i = 0; i < tc->naddrs; i++) {
		struct prefix net = tc->addrs[i];

		prefix_mask(&net);
		if (net.len < prefix_maxlen(net.family) &&
		    prefix_contains(&net, p))
			return true;
	}
	return false;
}

static int
build_want(const struct tunnel_conf *tc, struct nl *nl, const struct live *lv,
    struct want *w)
{
	struct nl_route r;
	struct nl_rule ru;
	size_t i, j;
	int f;

	memset(w, 0, sizeof(*w));
	w->fwmark = tc->wg.flags & WG_DEVICE_HAS_FWMARK ? tc->wg.fwmark : 0;
	w->mtu = tc->mtu ? tc->mtu : compute_mtu(tc, nl, lv);

	/* Table=auto with a default route: wg-quick's fwmark table. */
	if (tc->table_mode == TABLE_AUTO &&
	    (has_default(tc, AF_INET) || has_default(tc, AF_INET6))) {
		w->auto_table = w->fwmark ? w->fwmark : TUNNEL_AUTO_TABLE;
		/* Skip tables someone else already uses, as wg-quick does. */
		if (w->fwmark == 0) {
			for (;;) {
				struct allroutes ar = { NULL, 0 };
				bool others = false;

				nl_route_dump(nl, AF_UNSPEC, w->auto_table, 0,
				    allroute_cb, &ar);
				for (i = 0; i < ar.n; i++)
					if (ar.v[i].protocol != TUNNEL_PROTO ||
					    strcmp(ifname_of(lv, ar.v[i].oif),
					    tc->name) != 0)
						others = true;
				free(ar.v);
				if (!others)
					break;
				w->auto_table++;
			}
			w->fwmark = w->auto_table;
		}
		for (f = 0; f < 2; f++) {
			int fam = f == 0 ? AF_INET : AF_INET6;

			if (!has_default(tc, fam))
				continue;
			nl_rule_init(&ru, fam);
			ru.protocol = TUNNEL_PROTO;
			ru.invert = true;
			ru.has_fwmark = true;
			ru.fwmark = w->auto_table;
			ru.table = w->auto_table;
			if (want_rule(w, &ru) < 0)
				return -1;
			nl_rule_init(&ru, fam);
			ru.protocol = TUNNEL_PROTO;
			ru.table = RT_TABLE_MAIN;
			ru.suppress_prefixlen = 0;
			if (want_rule(w, &ru) < 0)
				return -1;
		}
	}

	for (i = 0; i < tc->wg.npeers; i++) {
		const struct wg_peer *p = &tc->wg.peers[i];
		const struct tunnel_peer_extra *x = &tc->px[i];
		enum tunnel_table mode = x->has_table ? x->table_mode :
		    tc->table_mode;
		uint32_t table = x->has_table ? x->table : tc->table;

		if (mode == TABLE_OFF)
			continue;
		for (j = 0; j < p->nallowedips; j++) {
			memset(&r, 0, sizeof(r));
			r.dst = p->allowedips[j];
			r.protocol = TUNNEL_PROTO;
			if (mode == TABLE_NUM)
				r.table = table;
			else if (r.dst.len == 0)
				r.table = w->auto_table;
			else if (covered_by_address(tc, &r.dst))
				continue;
			else
				r.table = RT_TABLE_MAIN;
			if (want_route(w, &r, tc->name) < 0)
				return -1;
		}
	}
	for (i = 0; i < tc->nroutes; i++) {
		const struct tunnel_route *t = &tc->routes[i];

		memset(&r, 0, sizeof(r));
		r.dst = t->dst;
		r.protocol = TUNNEL_PROTO;
		r.table = t->table ? t->table : RT_TABLE_MAIN;
		r.priority = t->metric;
		r.gw_family = t->gw_family;
		r.gw = t->gw;
		if (want_route(w, &r, t->gw_family ? "" : tc->name) < 0)
			return -1;
	}
	for (i = 0; i < tc->nrules; i++)
		if (want_rule(w, &tc->rules[i]) < 0)
			return -1;
	/* ReturnMark: replies to connections that came in through the
	 * tunnel carry the mark (nat.c) and find a default route back
	 * through it in their own table. */
	for (f = 0; tc->return_mark != 0 && f < 2; f++) {
		int fam = f == 0 ? AF_INET : AF_INET6;
		bool any = false;

		for (i = 0; i < tc->wg.npeers; i++)
			for (j = 0; j < tc->wg.peers[i].nallowedips; j++)
				if (tc->wg.peers[i].allowedips[j].family ==
				    fam && tc->wg.peers[i].allowedips[j].len == 0)
					any = true;
		if (!any)
			continue;
		memset(&r, 0, sizeof(r));
		r.dst.family = (uint8_t)fam;
		r.protocol = TUNNEL_PROTO;
		r.table = tc->return_mark;
		if (want_route(w, &r, tc->name) < 0)
			return -1;
		nl_rule_init(&ru, fam);
		ru.protocol = TUNNEL_PROTO;
		ru.has_fwmark = true;
		ru.fwmark = tc->return_mark;
		ru.table = tc->return_mark;
		if (want_rule(w, &ru) < 0)
			return -1;
	}
	return 0;
}

/* ---- comparing ---- */

static bool
addr_same(const struct nl_addr *a, const struct prefix *p)
{
	size_t n = p->family == AF_INET ? 4 : 16;

	return a->family == p->family && a->prefixlen == p->len &&
	    memcmp(&a->addr, &p->addr, n) == 0;
}

struct addrlist {
	struct nl_addr	*v;
	size_t		 n;
};

static int
addr_cb(const struct nl_addr *a, void *arg)
{
	struct addrlist *al = arg;
	struct nl_addr *v;

	if (a->scope == RT_SCOPE_LINK || a->scope == RT_SCOPE_HOST)
		return 0;
	if ((v = reallocarray(al->v, al->n + 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	al->v = v;
	v[al->n++] = *a;
	return 0;
}

void
tunnel_plan_addrs(struct plan *pl, struct nl *nl, const char *ifname,
    const struct nl_link *l, const struct prefix *want, size_t nwant)
{
	struct addrlist al = { NULL, 0 };
	char buf[PREFIX_STRLEN];
	struct act *a;
	size_t i, j;

	if (l != NULL)
		nl_addr_dump(nl, AF_UNSPEC, l->ifindex, addr_cb, &al);
	for (i = 0; i < al.n; i++) {
		for (j = 0; j < nwant; j++)
			if (addr_same(&al.v[i], &want[j]))
				break;
		if (j < nwant)
			continue;
		{
			struct prefix p = { .family = al.v[i].family,
			    .len = al.v[i].prefixlen, .addr = al.v[i].addr };

			a = tunnel_plan_add(pl, A_ADDR_DEL, ifname,
			    "- address %s dev %s", prefix_ntop(&p, buf,
			    sizeof(buf)), ifname);
		}
		if (a != NULL)
			a->u.addr = al.v[i];
	}
	for (j = 0; j < nwant; j++) {
		for (i = 0; i < al.n; i++)
			if (addr_same(&al.v[i], &want[j]))
				break;
		if (i < al.n)
			continue;
		a = tunnel_plan_add(pl, A_ADDR_ADD, ifname, "+ address %s dev %s",
		    prefix_ntop(&want[j], buf, sizeof(buf)), ifname);
		if (a == NULL)
			continue;
		a->u.addr.family = want[j].family;
		a->u.addr.prefixlen = want[j].len;
		a->u.addr.addr = want[j].addr;
		a->u.addr.proto = TUNNEL_PROTO;
		if (want[j].family == AF_INET6)
			a->u.addr.flags = IFA_F_NODAD;
	}
	free(al.v);
}

static bool
allowedips_same(const struct wg_peer *a, const struct wg_peer *b)
{
	struct prefix *x, *y;
	size_t i;
	bool same;

	if (a->nallowedips != b->nallowedips)
		return false;
	if (a->nallowedips == 0)
		return true;
	x = calloc(a->nallowedips, sizeof(*x));
	y = calloc(b->nallowedips, sizeof(*y));
	if (x == NULL || y == NULL) {
		free(x);
		free(y);
		return false;
	}
	memcpy(x, a->allowedips, a->nallowedips * sizeof(*x));
	memcpy(y, b->allowedips, b->nallowedips * sizeof(*y));
	prefix_sort(x, a->nallowedips);
	prefix_sort(y, b->nallowedips);
	same = true;
	for (i = 0; i < a->nallowedips; i++)
		if (!prefix_equal(&x[i], &y[i]))
			same = false;
	free(x);
	free(y);
	return same;
}

static int
copy_allowedips(struct wg_peer *dst, const struct wg_peer *src)
{
	size_t i;

	for (i = 0; i < src->nallowedips; i++)
		if (wg_peer_add_allowedip(dst, &src->allowedips[i]) < 0)
			return -1;
	return 0;
}

/*
 * The WireGuard part: a device holding only what differs.  A peer whose
 * keys did not change is updated in place (UPDATE_ONLY), so its session
 * survives.  Returns NULL with *changes 0 when nothing differs.
 */
static struct wg_device *
wg_delta(const struct tunnel_conf *tc, const struct wg_device *live,
    uint32_t fwmark, struct plan *pl)
{
	const struct wg_device *want = &tc->wg;
	struct wg_device *d;
	char key[WG_KEY_B64_LEN];
	size_t i, nchg = 0;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	wg_device_init(d, tc->name);
	if (live == NULL) {
		/* A new device: everything, replacing any peers. */
		memcpy(d->private_key, want->private_key, WG_KEY_LEN);
		d->flags = WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_REPLACE_PEERS |
		    WG_DEVICE_HAS_FWMARK;
		d->fwmark = fwmark;
		if (want->flags & WG_DEVICE_HAS_LISTEN_PORT) {
			d->flags |= WG_DEVICE_HAS_LISTEN_PORT;
			d->listen_port = want->listen_port;
		}
		for (i = 0; i < want->npeers; i++) {
			const struct wg_peer *wp = &want->peers[i];
			struct wg_peer *np = wg_peer_add(d, wp->public_key);

			if (np == NULL)
				goto fail;
			np->flags = wp->flags | WG_PEER_REPLACE_ALLOWEDIPS;
			memcpy(np->preshared_key, wp->preshared_key,
			    WG_KEY_LEN);
			np->endpoint = wp->endpoint;
			np->keepalive = wp->keepalive;
			if (copy_allowedips(np, wp) < 0)
				goto fail;
		}
		tunnel_plan_add(pl, A_WG_SET, tc->name, "~ wireguard %s: private key, "
		    "%zu peers", tc->name, want->npeers);
		return d;
	}
	if (!(live->flags & WG_DEVICE_HAS_PRIVATE_KEY) ||
	    !wg_key_equal(live->private_key, want->private_key)) {
		memcpy(d->private_key, want->private_key, WG_KEY_LEN);
		d->flags |= WG_DEVICE_HAS_PRIVATE_KEY;
		tunnel_plan_add(pl, A_WG_SET, NULL, "~ wireguard %s: private key "
		    "(hidden)", tc->name);
		nchg++;
	}
	if ((want->flags & WG_DEVICE_HAS_LISTEN_PORT) &&
	    live->listen_port != want->listen_port) {
		d->flags |= WG_DEVICE_HAS_LISTEN_PORT;
		d->listen_port = want->listen_port;
		tunnel_plan_add(pl, A_WG_SET, NULL, "~ wireguard %s: listen-port %u "
		    "(now %u)", tc->name, want->listen_port,
		    live->listen_port);
		nchg++;
	}
	if (live->fwmark != fwmark) {
		d->flags |= WG_DEVICE_HAS_FWMARK;
		d->fwmark = fwmark;
		tunnel_plan_add(pl, A_WG_SET, NULL, "~ wireguard %s: fwmark 0x%x "
		    "(now 0x%x)", tc->name, fwmark, live->fwmark);
		nchg++;
	}
	for (i = 0; i < live->npeers; i++) {
		struct wg_peer *np;

		if (wg_peer_find(want, live->peers[i].public_key) != NULL)
			continue;
		if ((np = wg_peer_add(d, live->peers[i].public_key)) == NULL)
			goto fail;
		np->flags = WG_PEER_REMOVE;
		wg_key_to_base64(key, np->public_key);
		tunnel_plan_add(pl, A_WG_SET, NULL, "- peer %s", key);
		nchg++;
	}
	for (i = 0; i < want->npeers; i++) {
		const struct wg_peer *wp = &want->peers[i];
		const struct wg_peer *lp = wg_peer_find(live, wp->public_key);
		struct wg_peer *np;
		char what[256] = "";
		char eps[80];

		wg_key_to_base64(key, wp->public_key);
		if (lp == NULL) {
			if ((np = wg_peer_add(d, wp->public_key)) == NULL)
				goto fail;
			np->flags = wp->flags | WG_PEER_REPLACE_ALLOWEDIPS;
			memcpy(np->preshared_key, wp->preshared_key,
			    WG_KEY_LEN);
			np->endpoint = wp->endpoint;
			np->keepalive = wp->keepalive;
			if (copy_allowedips(np, wp) < 0)
				goto fail;
			tunnel_plan_add(pl, A_WG_SET, NULL, "+ peer %s", key);
			nchg++;
			continue;
		}
		if ((np = wg_peer_add(d, wp->public_key)) == NULL)
			goto fail;
		np->flags = WG_PEER_UPDATE_ONLY;
		if (!wg_key_equal(lp->preshared_key, wp->preshared_key)) {
			np->flags |= WG_PEER_HAS_PRESHARED_KEY;
			memcpy(np->preshared_key, wp->preshared_key,
			    WG_KEY_LEN);
			strlcat(what, " preshared-key", sizeof(what));
		}
		if ((wp->flags & WG_PEER_HAS_ENDPOINT) &&
		    !wg_endpoint_equal(&lp->endpoint, &wp->endpoint)) {
			np->flags |= WG_PEER_HAS_ENDPOINT;
			np->endpoint = wp->endpoint;
			strlcat(what, " endpoint ", sizeof(what));
			strlcat(what, wg_endpoint_ntop(&wp->endpoint, eps,
			    sizeof(eps)), sizeof(what));
		}
		if (lp->keepalive != wp->keepalive) {
			np->flags |= WG_PEER_HAS_KEEPALIVE;
			np->keepalive = wp->keepalive;
			strlcat(what, " persistent-keepalive", sizeof(what));
		}
		if (!allowedips_same(lp, wp)) {
			np->flags |= WG_PEER_REPLACE_ALLOWEDIPS;
			if (copy_allowedips(np, wp) < 0)
				goto fail;
			strlcat(what, " allowed-ips", sizeof(what));
		}
		if (what[0] == '\0') {
			/* Unchanged: drop it from the delta again. */
			free(np->allowedips);
			d->npeers--;
			continue;
		}
		tunnel_plan_add(pl, A_WG_SET, NULL, "~ peer %s:%s", key, what);
		nchg++;
	}
	if (nchg == 0) {
		wg_device_free(d);
		free(d);
		return NULL;
	}
	/* The first A_WG_SET of this run carries the device. */
	return d;
fail:
	wg_device_free(d);
	free(d);
	pl->failed = true;
	return NULL;
}

static void
plan_routes(struct plan *pl, const struct tunnel_conf *tc,
    const struct live *lv, const struct want *w, bool down)
{
	char k1[256], k2[256];
	struct act *a;
	size_t i, j;

	for (i = 0; i < lv->nroutes; i++) {
		const struct nl_route *r = &lv->routes[i];
		const char *oif = ifname_of(lv, r->oif);

		tunnel_route_key(r, oif, k1, sizeof(k1));
		if (strcmp(oif, tc->name) != 0 && !tunnel_owned(lv, k1))
			continue;
		if (!down) {
			for (j = 0; j < w->nroutes; j++) {
				tunnel_route_key(&w->routes[j], w->route_oif[j], k2,
				    sizeof(k2));
				if (strcmp(k1, k2) == 0)
					break;
			}
			if (j < w->nroutes)
				continue;
		}
		if ((a = tunnel_plan_add(pl, A_ROUTE_DEL, NULL, "- %s", k1)) != NULL)
			a->u.route = *r;
	}
	if (down)
		return;
	for (j = 0; j < w->nroutes; j++) {
		tunnel_route_key(&w->routes[j], w->route_oif[j], k2, sizeof(k2));
		for (i = 0; i < lv->nroutes; i++) {
			tunnel_route_key(&lv->routes[i], ifname_of(lv,
			    lv->routes[i].oif), k1, sizeof(k1));
			if (strcmp(k1, k2) == 0)
				break;
		}
		if (i < lv->nroutes)
			continue;
		if ((a = tunnel_plan_add(pl, A_ROUTE_ADD, NULL, "+ %s", k2)) != NULL) {
			a->u.route = w->routes[j];
			strlcpy(a->other, w->route_oif[j], sizeof(a->other));
		}
	}
}

static bool
rule_match(const struct nl_rule *live, const struct nl_rule *want)
{
	char k1[400], k2[400];

	tunnel_rule_key(live, false, k1, sizeof(k1));
	tunnel_rule_key(want, false, k2, sizeof(k2));
	if (strcmp(k1, k2) != 0)
		return false;
	return want->priority == 0 || want->priority == live->priority;
}

static void
plan_rules(struct plan *pl, const struct live *lv, const struct want *w,
    bool down)
{
	char k[400];
	struct act *a;
	size_t i, j;

	for (i = 0; i < lv->nrules; i++) {
		bool wanted = false;

		for (j = 0; j < w->nrules; j++)
			if (rule_match(&lv->rules[i], &w->rules[j]))
				wanted = true;
		/* Only rules this tunnel made (its state file) are removed:
		 * a wanted rule that was there before up (by hand, or
		 * another tunnel's identical one) is used, not taken. */
		tunnel_rule_key(&lv->rules[i], false, k, sizeof(k));
		if (!tunnel_owned(lv, k))
			continue;
		if (wanted && !down)
			continue;
		tunnel_rule_key(&lv->rules[i], true, k, sizeof(k));
		if ((a = tunnel_plan_add(pl, A_RULE_DEL, NULL, "- %s", k)) != NULL)
			a->u.rule = lv->rules[i];
	}
	if (down)
		return;
	for (j = 0; j < w->nrules; j++) {
		for (i = 0; i < lv->nrules; i++)
			if (rule_match(&lv->rules[i], &w->rules[j]))
				break;
		if (i < lv->nrules)
			continue;
		tunnel_rule_key(&w->rules[j], true, k, sizeof(k));
		if ((a = tunnel_plan_add(pl, A_RULE_ADD, NULL, "+ %s", k)) != NULL)
			a->u.rule = w->rules[j];
	}
}

/* resolvconf's lines on one line, separated by "; ". */
static void
oneline(const char *in, char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; in[i] != '\0' && o + 3 < len; i++) {
		if (in[i] != '\n')
			buf[o++] = in[i];
		else if (in[i + 1] != '\0') {
			buf[o++] = ';';
			buf[o++] = ' ';
		}
	}
	buf[o] = '\0';
}

/*
 * DNS: what resolvconf holds for the interface against the file.  When it
 * cannot be read back (a resolvconf without -l or an interface directory),
 * DNS is set when the interface is made or first asked for, and not
 * compared afterwards.
 */
static void
plan_dns(struct plan *pl, const struct tunnel_conf *tc, const struct live *lv,
    bool exists)
{
	char want[2048], live[2048], one[2048];
	bool owned = tunnel_owned(lv, "dns");
	int known = 0;

	if (tc->ndns == 0 && !owned)
		return;
	tunnel_dns_text(tc, want, sizeof(want));
	if (exists)
		known = tunnel_dns_read(tc->name, live, sizeof(live));
	if (tc->ndns == 0) {
		if (!known || live[0] != '\0')
			tunnel_plan_add(pl, A_DNS_DEL, NULL, "- dns %s", tc->name);
		return;
	}
	if (exists && !known && owned)
		return;
	if (known && strcmp(live, want) == 0)
		return;
	oneline(want, one, sizeof(one));
	if (known && live[0] != '\0') {
		char was[2048];

		oneline(live, was, sizeof(was));
		tunnel_plan_add(pl, A_DNS_SET, NULL, "~ dns %s: %s (now %s)",
		    tc->name, one, was);
	} else
		tunnel_plan_add(pl, A_DNS_SET, NULL, "+ dns %s: %s", tc->name,
		    one);
}

static int
read_sysctl(const char *path)
{
	char v[16] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (read(fd, v, sizeof(v) - 1) < 0)
		v[0] = '\0';
	close(fd);
	return v[0] >= '0' && v[0] <= '9' ? atoi(v) : -1;
}

/*
 * ReturnMark brings packets from any address in through the tunnel while
 * the main table sends those addresses elsewhere: strict reverse-path
 * filtering (rp_filter 1, the larger of "all" and the interface's own
 * value counts) would drop them.  The interface is made loose (2).
 */
static void
plan_rp_filter(struct plan *pl, const struct tunnel_conf *tc, bool exists)
{
	char path[128];
	struct act *a;
	int all, own;

	all = read_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter");
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter",
	    exists ? tc->name : "default");
	own = read_sysctl(path);
	if ((all > own ? all : own) != 1)
		return;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter",
	    tc->name);
	if ((a = tunnel_plan_add(pl, A_SYSCTL, NULL, "~ sysctl "
	    "net.ipv4.conf.%s.rp_filter=2", tc->name)) != NULL) {
		/* Not a pointer into the plan: it may move as it grows. */
		strlcpy(a->sysctl_path, path, sizeof(a->sysctl_path));
		a->u.sysctl.value = "2";
	}
}

static bool
has_nat(const struct tunnel_conf *tc)
{
	return tc->nmasq + tc->nfwd + tc->nblock > 0 || tc->auto_fwmark != 0 ||
	    tc->return_mark != 0;
}

static void
add_hooks(struct plan *pl, const struct tunnel_conf *tc, int which)
{
	static const char *names[4] = { "PreUp", "PostUp", "PreDown",
	    "PostDown" };
	struct act *a;
	size_t i;

	for (i = 0; i < tc->nhooks[which]; i++)
		if ((a = tunnel_plan_add(pl, A_HOOK, NULL, "! %s: %s", names[which],
		    tc->hooks[which][i])) != NULL)
			a->u.hook = tc->hooks[which][i];
}

int
tunnel_run(struct tunnel_conf *tc, enum tunnel_verb verb,
    const struct tunnel_opts *o)
{
	struct nl nl;
	struct live lv;
	struct want w;
	struct plan pl;
	struct wg_device live_wg, *delta = NULL;
	const struct nl_link *wl;
	struct act *a;
	char err[512];
	bool exists, userspace, down = verb == VERB_DOWN, failed = false;
	bool save = verb == VERB_SAVE;
	bool hooks = verb == VERB_UP || verb == VERB_DOWN;
	size_t i, first_wg = (size_t)-1, nchanges = 0;
	int rc, problems = 0;

	memset(&lv, 0, sizeof(lv));
	memset(&w, 0, sizeof(w));
	memset(&pl, 0, sizeof(pl));
	wg_device_init(&live_wg, tc->name);
	if ((rc = nl_open(&nl, NETLINK_ROUTE)) < 0) {
		log_warnx("netlink: %s", strerror(-rc));
		return -1;
	}
	if ((rc = nl_link_dump(&nl, link_cb, &lv)) < 0 ||
	    (rc = nl_route_dump(&nl, AF_UNSPEC, 0, TUNNEL_PROTO, route_cb,
	    &lv)) < 0 ||
	    (rc = nl_rule_dump(&nl, AF_UNSPEC, rule_cb, &lv)) < 0) {
		log_warnx("reading the kernel's state: %s", strerror(-rc));
		goto fail;
	}
	state_read(&lv, tc->name);
	wl = tunnel_live_link(&lv, tc->name);
	exists = wl != NULL;
	userspace = wg_uapi_exists(tc->name);
	if (exists && !userspace && strcmp(wl->kind, "wireguard") != 0) {
		log_warnx("%s exists and is not a WireGuard interface (%s)",
		    tc->name, wl->kind[0] ? wl->kind : "no kind");
		goto fail;
	}

	if (down || save) {
		if (!exists) {
			log_warnx("%s is not up", tc->name);
			goto fail;
		}
		if (hooks)
			add_hooks(&pl, tc, HOOK_PREDOWN);
		if (build_want(tc, &nl, &lv, &w) < 0) {
			log_warnx("out of memory");
			goto fail;
		}
		tc->auto_fwmark = w.auto_table != 0 ? w.fwmark : 0;
		/* As wg-quick: after PreDown, while everything is there. */
		if (save || tc->save_config)
			tunnel_plan_add(&pl, A_SAVE, NULL, "~ save %s to %s",
			    tc->name, tc->path);
		if (save)
			goto run;
		plan_rules(&pl, &lv, &w, true);
		plan_routes(&pl, tc, &lv, &w, true);
		{
			bool present = false;

			if (tunnel_nat_check(tc, &present) >= 0 && present)
				tunnel_plan_add(&pl, A_NAT_DEL, NULL, "- nftables table "
				    "inet %s%s", TUNNEL_NFT_PREFIX, tc->name);
		}
		tunnel_plan_links(&pl, &nl, tc, &lv, 0, true);
		tunnel_plan_add(&pl, A_LINK_DEL, tc->name, "- link %s (wireguard)",
		    tc->name);
		if (tc->ndns > 0 || tunnel_owned(&lv, "dns"))
			tunnel_plan_add(&pl, A_DNS_DEL, NULL, "- dns %s", tc->name);
		tunnel_plan_add(&pl, A_STATE_DEL, NULL, "- state file");
		if (hooks)
			add_hooks(&pl, tc, HOOK_POSTDOWN);
		goto run;
	}

	if (build_want(tc, &nl, &lv, &w) < 0) {
		log_warnx("out of memory");
		goto fail;
	}
	tc->auto_fwmark = w.auto_table != 0 ? w.fwmark : 0;
	if (hooks && !exists)
		add_hooks(&pl, tc, HOOK_PREUP);
	/*
	 * Rules and NAT before the peers: the first handshake can leave as
	 * soon as a peer is set (wireguard-go sends it even while the link
	 * is down), and by the main table when the FwMark's rule is not
	 * there yet; the peer then answers to that uplink's address, which
	 * WireGuard keeps as its source, so the tunnel stays on the wrong
	 * uplink.  A flow that enters the tunnel before its masquerade is
	 * tracked without it.  Routes into the tunnel come after the link
	 * is up: they need it.
	 */
	plan_rules(&pl, &lv, &w, false);
	{
		bool present = false;

		rc = tunnel_nat_check(tc, &present);
		if (rc < 0) {
			log_warnx("nftables: %s", strerror(-rc));
			goto fail;
		}
		if (rc == 0 && has_nat(tc)) {
			char d[1024];

			tunnel_nat_describe(tc, d, sizeof(d));
			tunnel_plan_add(&pl, A_NAT_APPLY, NULL, "%c nftables table inet "
			    "%s%s:%s", present ? '~' : '+', TUNNEL_NFT_PREFIX,
			    tc->name, d);
		} else if (rc == 0 && present)
			tunnel_plan_add(&pl, A_NAT_DEL, NULL, "- nftables table inet "
			    "%s%s", TUNNEL_NFT_PREFIX, tc->name);
	}
	if (!exists)
		tunnel_plan_add(&pl, A_WG_CREATE, tc->name, "+ link %s type wireguard",
		    tc->name);
	else if ((rc = wg_get(tc->name, &live_wg)) < 0) {
		log_warnx("%s: reading the WireGuard device: %s", tc->name,
		    strerror(-rc));
		goto fail;
	}
	first_wg = pl.n;
	delta = wg_delta(tc, exists ? &live_wg : NULL, w.fwmark, &pl);
	if (pl.failed)
		goto fail;
	if (delta != NULL) {
		/* The first A_WG_SET line applies the whole delta. */
		for (i = first_wg; i < pl.n; i++)
			if (pl.v[i].type == A_WG_SET) {
				pl.v[i].u.wg = delta;
				delta = NULL;
				break;
			}
	}
	if (!exists || wl->mtu != w.mtu) {
		a = tunnel_plan_add(&pl, A_LINK_MTU, tc->name, "~ link %s mtu %u%s",
		    tc->name, w.mtu, exists ? "" : "");
		if (a != NULL)
			a->u.mtu = w.mtu;
	}
	tunnel_plan_addrs(&pl, &nl, tc->name, wl, tc->addrs, tc->naddrs);
	if (!exists || !(wl->flags & IFF_UP))
		tunnel_plan_add(&pl, A_LINK_UP, tc->name, "~ link %s up", tc->name);
	plan_dns(&pl, tc, &lv, exists);
	if (w.auto_table != 0 && has_default(tc, AF_INET)) {
		char v[8] = "";
		int fd = open("/proc/sys/net/ipv4/conf/all/src_valid_mark",
		    O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			if (read(fd, v, sizeof(v) - 1) < 0)
				v[0] = '\0';
			close(fd);
		}
		if (v[0] != '1' && (a = tunnel_plan_add(&pl, A_SYSCTL, NULL,
		    "~ sysctl net.ipv4.conf.all.src_valid_mark=1")) != NULL) {
			a->u.sysctl.path =
			    "/proc/sys/net/ipv4/conf/all/src_valid_mark";
			a->u.sysctl.value = "1";
		}
	}
	if (tc->return_mark != 0)
		plan_rp_filter(&pl, tc, exists);
	tunnel_plan_links(&pl, &nl, tc, &lv, w.mtu, false);
	plan_routes(&pl, tc, &lv, &w, false);
	if (hooks && !exists)
		add_hooks(&pl, tc, HOOK_POSTUP);
	if (verb == VERB_DIFF || o->dry_run)
		problems = tunnel_check_stack_mtu(tc, &lv, w.mtu);

run:
	if (pl.failed)
		goto fail;
	for (i = 0; i < pl.n; i++)
		if (pl.v[i].type != A_HOOK && pl.v[i].type != A_STATE_DEL)
			nchanges++;
	if (verb == VERB_DIFF || o->dry_run) {
		for (i = 0; i < pl.n; i++)
			printf("%s\n", pl.v[i].desc);
		fflush(stdout);
		rc = (int)nchanges + problems;
		goto out;
	}
	for (i = 0; i < pl.n; i++) {
		a = &pl.v[i];
		if (tunnel_batchable(a->type)) {
			size_t j, k;

			for (j = i; j < pl.n && tunnel_batchable(pl.v[j].type);
			    j++)
				log_debug("%s", pl.v[j].desc);
			rc = tunnel_apply_batch(&nl, &pl.v[i], j - i);
			if (rc < 0)
				log_warnx("%s: netlink: %s", tc->name,
				    strerror(-rc));
			for (k = i; rc > 0 && k < j; k++)
				if (pl.v[k].err != 0)
					log_warnx("%s: %s: %s", tc->name,
					    pl.v[k].desc + 2,
					    strerror(-pl.v[k].err));
			i = j - 1;
			if (rc != 0) {
				failed = true;
				if (!down)
					break;
			}
			continue;
		}
		log_debug("%s", a->desc);
		if ((rc = tunnel_apply_one(&nl, tc, a, err, sizeof(err))) < 0 ||
		    (a->type == A_HOOK && rc != 0)) {
			log_warnx("%s: %s: %s", tc->name, a->desc + 2,
			    err[0] ? err : strerror(rc < 0 ? -rc : EIO));
			failed = true;
			/* down goes on: remove as much as can be removed,
			 * unless the live state could not be saved first. */
			if (!down || a->type == A_SAVE)
				break;
			continue;
		}
		a->done = true;
	}
	if (failed && verb == VERB_UP) {
		/* Undo, newest first; a link removed takes its addresses
		 * and routes with it. */
		for (i = pl.n; i-- > 0;)
			if (pl.v[i].done)
				tunnel_undo_one(&nl, tc, &pl.v[i]);
		log_warnx("%s: up failed; what it made was removed", tc->name);
	}
	if (!down && !save && !failed)
		if ((rc = tunnel_state_write(tc, &w, &lv, &pl)) < 0)
			log_warnx("%s/tunnel-%s.state: %s", TUNNEL_STATE_DIR,
			    tc->name, strerror(-rc));
	if (!down && !save && !failed && tc->nwires > 0) {
		/* The stack as made: a warning, since the links are up and
		 * work except for the frames too large for a wire. */
		struct live now;

		memset(&now, 0, sizeof(now));
		if (nl_link_dump(&nl, link_cb, &now) == 0)
			(void)tunnel_check_stack_mtu(tc, &now, w.mtu);
		live_free(&now);
	}
	rc = failed ? -1 : (int)nchanges;
	goto out;
fail:
	rc = -1;
out:
	if (delta != NULL) {
		wg_device_free(delta);
		free(delta);
	}
	wg_device_free(&live_wg);
	plan_free(&pl);
	want_free(&w);
	live_free(&lv);
	nl_close(&nl);
	return rc;
}
