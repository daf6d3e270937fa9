/* SPDX-License-Identifier: ISC */
/*
 * The kernel side: read the routes carrying our protocol number, resolve
 * device names, and apply a plan in large netlink batches.  Deletions name
 * the protocol too, so the kernel itself refuses to remove a route that is
 * not ours; additions use NLM_F_EXCL, so they never overwrite one.
 */
#include <sys/socket.h>
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/rtnetlink.h>

#include "nl.h"
#include "routes.h"

/* Messages per nl_batch_commit(): bounds the batch's memory. */
#define CHUNK	32768

struct read_ctx {
	struct routes_set	*s;
	uint8_t			 proto;
	uint32_t		 table;
	int			 err;
	/* if_indextoname() costs a socket per call: remember a few. */
	struct {
		uint32_t	 ifindex;
		char		 name[IFNAMSIZ];
	}			 names[16];
	unsigned int		 nnames;
};

static void
ifname(struct read_ctx *c, uint32_t ifindex, char *name)
{
	unsigned int i;

	for (i = 0; i < c->nnames && i < 16; i++) {
		if (c->names[i].ifindex == ifindex) {
			memcpy(name, c->names[i].name, IFNAMSIZ);
			return;
		}
	}
	if (if_indextoname(ifindex, name) == NULL)
		name[0] = '\0';
	i = c->nnames++ % 16;
	c->names[i].ifindex = ifindex;
	memcpy(c->names[i].name, name, IFNAMSIZ);
}

static int
read_cb(const struct nl_route *r, void *arg)
{
	struct read_ctx *c = arg;
	struct routes_attr a;
	uint32_t table = r->table ? r->table : RT_TABLE_MAIN;

	if (r->protocol != c->proto || table != c->table)
		return 0;
	memset(&a, 0, sizeof(a));
	a.table = table;
	a.metric = r->priority;
	a.type = r->type ? r->type : RTN_UNICAST;
	if (r->nnh > 1)
		a.multipath = true;
	else if (r->nnh == 1) {
		a.gw_family = r->nh[0].gw_family;
		a.gw = r->nh[0].gw;
		a.ifindex = r->nh[0].ifindex;
	} else {
		a.gw_family = r->gw_family;
		a.gw = r->gw;
		a.ifindex = r->oif;
	}
	/* The kernel hangs IPv6 blackhole (and similar) routes on lo: that
	 * is no next hop of ours. */
	if (a.type != RTN_UNICAST) {
		a.gw_family = 0;
		a.ifindex = 0;
	}
	if (a.gw_family == 0)
		memset(&a.gw, 0, sizeof(a.gw));
	if (a.ifindex != 0)
		ifname(c, a.ifindex, a.dev);
	if (routes_set_push(c->s, &r->dst, &a) != 0) {
		c->err = -ENOMEM;
		return -ENOMEM;
	}
	return 0;
}

int
routes_kernel_read(struct nl *nl, struct routes_set *s, uint8_t proto,
    int family, const uint32_t *tables, size_t ntables)
{
	struct read_ctx c = { .s = s, .proto = proto };
	size_t i, n0 = s->n;
	int rc, tries = 0;

	for (i = 0; i < ntables; i++) {
		c.table = tables[i];
		rc = nl_route_dump(nl, family, tables[i], proto, read_cb, &c);
		/* A change by someone else interrupted the dump: read the
		 * table again from the start. */
		if (rc == -EINTR && ++tries < 10) {
			s->n = n0;
			i--;
			continue;
		}
		if (rc < 0)
			return c.err ? c.err : rc;
		n0 = s->n;
	}
	routes_set_sort(s);
	return 0;
}

int
routes_kernel_resolve(struct nl *nl, struct routes_set *s, char *err,
    size_t errlen)
{
	size_t i;
	int idx;

	for (i = 0; i < s->nattr; i++) {
		if (s->attr[i].dev[0] == '\0')
			continue;
		if ((idx = nl_ifindex(nl, s->attr[i].dev)) < 0) {
			snprintf(err, errlen, "dev %s: %s", s->attr[i].dev,
			    strerror(-idx));
			return idx;
		}
		s->attr[i].ifindex = (uint32_t)idx;
	}
	return 0;
}

/* The addresses of one family, as the kernel lists them (host scope
 * left out): dumped once, however many gateways are looked up in them. */
struct addr_list {
	struct nl_addr	*a;
	size_t		 n, cap;
	bool		 done;
};

static int
addr_list_cb(const struct nl_addr *a, void *arg)
{
	struct addr_list *l = arg;
	struct nl_addr *na;
	size_t cap;

	if (a->scope == RT_SCOPE_HOST)
		return 0;
	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 64;
		if ((na = reallocarray(l->a, cap, sizeof(*na))) == NULL)
			return -ENOMEM;
		l->a = na;
		l->cap = cap;
	}
	l->a[l->n++] = *a;
	return 0;
}

/* The one interface whose connected subnet holds gw, or 0. */
static uint32_t
gw_ifindex(const struct addr_list *l, int family, const union edge_addr *gw)
{
	struct prefix p;
	uint32_t ifindex = 0;
	unsigned int n = 0;	/* interfaces that match */
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (l->a[i].family != family)
			continue;
		memset(&p, 0, sizeof(p));
		p.family = l->a[i].family;
		p.len = l->a[i].prefixlen;
		p.addr = l->a[i].addr;
		if (!prefix_contains_addr(&p, family, gw))
			continue;
		if (n == 0 || ifindex != l->a[i].ifindex)
			n++;
		ifindex = l->a[i].ifindex;
	}
	return n == 1 ? ifindex : 0;
}

int
routes_kernel_gateways(struct nl *nl, struct routes_set *s)
{
	struct addr_list al[2];
	struct addr_list *l;
	char name[IFNAMSIZ];
	uint32_t ifindex;
	size_t i;
	bool changed = false;
	int rc = 0, fam;

	memset(al, 0, sizeof(al));
	for (i = 0; i < s->nattr; i++) {
		if (s->attr[i].gw_family == 0 || s->attr[i].dev[0] != '\0' ||
		    s->grp[i].n == 0)
			continue;
		fam = s->attr[i].gw_family;
		l = &al[fam == AF_INET6];
		if (!l->done) {
			if ((rc = nl_addr_dump(nl, fam, 0, addr_list_cb, l)) < 0)
				goto out;
			l->done = true;
		}
		if ((ifindex = gw_ifindex(l, fam, &s->attr[i].gw)) == 0 ||
		    if_indextoname(ifindex, name) == NULL)
			continue;
		strlcpy(s->attr[i].dev, name, sizeof(s->attr[i].dev));
		changed = true;
	}
	rc = changed ? routes_set_merge_groups(s) : 0;
out:
	free(al[0].a);
	free(al[1].a);
	return rc;
}

static void
to_nl(struct nl_route *nr, const struct routes_op *o, uint8_t proto)
{
	const struct routes_attr *a = &o->s->attr[o->r->attr];

	memset(nr, 0, sizeof(*nr));
	nr->dst = o->r->dst;
	nr->table = a->table;
	nr->protocol = proto;
	nr->type = a->type;
	nr->priority = a->metric;
	/* A deletion leaves scope 0 (any): the key and the protocol pick
	 * the route. */
	if (o->op == ROUTES_DEL)
		return;
	nr->oif = a->ifindex;
	nr->gw_family = a->gw_family;
	nr->gw = a->gw;
	/* As ip(8) does: a unicast route without a gateway is on-link. */
	if (a->type == RTN_UNICAST && a->gw_family == 0)
		nr->scope = RT_SCOPE_LINK;
}

struct apply_ctx {
	const struct routes_plan	*pl;
	const struct routes_defaults	*d;
	size_t				 base;
};

static void
apply_err(void *arg, size_t idx, int err, const char *msg)
{
	struct apply_ctx *c = arg;
	const struct routes_op *o = &c->pl->op[c->base + idx];
	char buf[512];

	routes_format(buf, sizeof(buf), &o->r->dst, &o->s->attr[o->r->attr],
	    NULL);
	warnx("%s %s: %s%s%s%s", o->op == ROUTES_ADD ? "add" :
	    o->op == ROUTES_DEL ? "delete" : "replace", buf, strerror(-err),
	    msg != NULL && *msg != '\0' ? " (" : "",
	    msg != NULL ? msg : "", msg != NULL && *msg != '\0' ? ")" : "");
	if (o->op == ROUTES_ADD && err == -EEXIST)
		warnx("a route not owned by this protocol has that "
		    "destination, table and metric; left alone");
}

int
routes_kernel_apply(struct nl *nl, const struct routes_plan *pl,
    uint8_t proto, const struct routes_defaults *d)
{
	struct apply_ctx c = { .pl = pl, .d = d };
	struct nl_batch *b;
	struct nl_route nr;
	const struct routes_op *o;
	size_t i;
	int rc, failed = 0;
	uint16_t cmd, flags;

	if (pl->n == 0)
		return 0;
	if ((b = nl_batch_new(nl)) == NULL)
		return -errno;
	for (i = 0; i < pl->n; i++) {
		o = &pl->op[i];
		to_nl(&nr, o, proto);
		if (o->op == ROUTES_DEL) {
			cmd = RTM_DELROUTE;
			flags = 0;
		} else {
			cmd = RTM_NEWROUTE;
			flags = NLM_F_CREATE | (o->op == ROUTES_ADD ?
			    NLM_F_EXCL : NLM_F_REPLACE);
		}
		if ((rc = nl_route_msg(b, cmd, flags, &nr)) < 0)
			goto out;
		if (nl_batch_count(b) == CHUNK || i + 1 == pl->n) {
			if ((rc = nl_batch_commit(b, apply_err, &c)) < 0)
				goto out;
			failed += rc;
			c.base = i + 1;
		}
	}
	rc = failed;
out:
	nl_batch_free(b);
	return rc;
}
