/* SPDX-License-Identifier: ISC */
/*
 * lib/nl against the real kernel.  Check forks every test; the fixture
 * moves the child into a fresh network namespace, so each test starts with
 * nothing but a down loopback and leaves nothing behind.  Without the right
 * to make a namespace (root) every test fails: make check runs this suite
 * as tests/net/t-nl.sh, which the harness reports as skipped without root,
 * not from the unit loop of tests/run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <linux/fib_rules.h>
#include <linux/genetlink.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <check.h>

#include "nl.h"

#define PROTO		0xe7	/* our owner mark in these tests */
#define FOREIGN		0x63
#define TABLE		1000

static struct nl nl;

static void
setup(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		ck_abort_msg("nl: cannot make a network namespace (%s): "
		    "the kernel tests need root (tests/net/t-nl.sh)",
		    strerror(errno));
	ck_assert_int_eq(nl_open(&nl, NETLINK_ROUTE), 0);
}

static void
teardown(void)
{
	nl_close(&nl);
}

static union edge_addr
ip(const char *s)
{
	union edge_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, &a.v4) != 1)
		ck_assert_int_eq(inet_pton(AF_INET6, s, &a.v6), 1);
	return a;
}

static struct prefix
pfx(int family, const char *s, int len)
{
	struct prefix p;

	memset(&p, 0, sizeof(p));
	p.family = (uint8_t)family;
	p.len = (uint8_t)len;
	p.addr = ip(s);
	return p;
}

static bool
addr_eq(int family, const union edge_addr *a, const char *s)
{
	union edge_addr b = ip(s);

	return memcmp(a, &b, family == AF_INET ? 4 : 16) == 0;
}

static uint32_t
ifindex(const char *name)
{
	int i = nl_ifindex(&nl, name);

	ck_assert_msg(i > 0, "no %s: %d", name, i);
	return (uint32_t)i;
}

/* A veth pair, both up; the first end gets 192.0.2.1/24 and
 * 2001:db8::1/64 so gateways 192.0.2.x and 2001:db8::x are on-link. */
static uint32_t
make_uplink(void)
{
	struct nl_link_info li = { .kind = "veth" };
	struct nl_addr a;
	uint32_t i0;

	li.u.veth.peer = "up1";
	ck_assert_int_eq(nl_link_add(&nl, "up0", &li), 0);
	i0 = ifindex("up0");
	ck_assert_int_eq(nl_link_set_up(&nl, i0, true), 0);
	ck_assert_int_eq(nl_link_set_up(&nl, ifindex("up1"), true), 0);
	memset(&a, 0, sizeof(a));
	a.ifindex = i0;
	a.family = AF_INET;
	a.prefixlen = 24;
	a.addr = ip("192.0.2.1");
	ck_assert_int_eq(nl_addr_add(&nl, &a), 0);
	a.family = AF_INET6;
	a.prefixlen = 64;
	a.flags = IFA_F_NODAD;
	a.addr = ip("2001:db8::1");
	ck_assert_int_eq(nl_addr_add(&nl, &a), 0);
	return i0;
}

/* ---- links ---- */

START_TEST(test_veth)
{
	struct nl_link_info li = { .kind = "veth", .mtu = 1400 };
	struct nl_link_info br = { .kind = "bridge" };
	struct nl_link l;
	uint32_t a, b, bi;

	li.u.veth.peer = "vb";
	ck_assert_int_eq(nl_link_add(&nl, "va", &li), 0);
	ck_assert_int_eq(nl_link_add(&nl, "va", &li), -EEXIST);
	ck_assert_int_eq(nl_link_get(&nl, "va", &l), 0);
	a = l.ifindex;
	ck_assert_str_eq(l.name, "va");
	ck_assert_str_eq(l.kind, "veth");
	ck_assert_uint_eq(l.mtu, 1400);
	ck_assert(!(l.flags & IFF_UP));
	ck_assert_int_eq(nl_link_get(&nl, "vb", &l), 0);
	b = l.ifindex;
	ck_assert_uint_eq(l.mtu, 1400);
	ck_assert_uint_ne(a, b);

	ck_assert_int_eq(nl_link_set_up(&nl, a, true), 0);
	ck_assert_int_eq(nl_link_set_mtu(&nl, a, 1300), 0);
	ck_assert_int_eq(nl_link_get(&nl, "va", &l), 0);
	ck_assert(l.flags & IFF_UP);
	ck_assert_uint_eq(l.mtu, 1300);
	ck_assert_int_eq(nl_link_set_up(&nl, a, false), 0);
	ck_assert_int_eq(nl_link_get(&nl, "va", &l), 0);
	ck_assert(!(l.flags & IFF_UP));

	ck_assert_int_eq(nl_link_add(&nl, "br0", &br), 0);
	bi = ifindex("br0");
	ck_assert_int_eq(nl_link_set_master(&nl, a, bi), 0);
	ck_assert_int_eq(nl_link_get(&nl, "va", &l), 0);
	ck_assert_uint_eq(l.master, bi);
	ck_assert_int_eq(nl_link_set_master(&nl, a, 0), 0);
	ck_assert_int_eq(nl_link_get(&nl, "va", &l), 0);
	ck_assert_uint_eq(l.master, 0);

	ck_assert_int_eq(nl_link_del(&nl, a), 0);
	ck_assert_int_eq(nl_link_get(&nl, "va", &l), -ENODEV);
	ck_assert_int_eq(nl_link_get(&nl, "vb", &l), -ENODEV);
	ck_assert_int_eq(nl_ifindex(&nl, "vb"), -ENODEV);
	ck_assert_int_eq(nl_ifindex(&nl, "a-name-too-long-for-ifnamsiz"),
	    -ENODEV);
	ck_assert_int_eq(nl_link_del(&nl, b), -ENODEV);
}
END_TEST

struct vx_seen {
	int		n;
	struct nl_link	v4, v6;
};

static int
vx_cb(const struct nl_link *l, void *arg)
{
	struct vx_seen *s = arg;

	if (strcmp(l->kind, "vxlan") != 0)
		return 0;
	s->n++;
	if (strcmp(l->name, "vx4") == 0)
		s->v4 = *l;
	else if (strcmp(l->name, "vx6") == 0)
		s->v6 = *l;
	return 0;
}

START_TEST(test_vxlan)
{
	struct nl_link_info li = { .kind = "vxlan", .mtu = 1450 };
	struct vx_seen s;
	uint32_t up;

	up = make_uplink();
	li.u.vxlan.id = 42;
	li.u.vxlan.family = AF_INET;
	li.u.vxlan.local = ip("192.0.2.1");
	li.u.vxlan.remote = ip("198.51.100.7");
	li.u.vxlan.dev = up;
	li.u.vxlan.ttl = 64;
	ck_assert_int_eq(nl_link_add(&nl, "vx4", &li), 0);

	memset(&li.u, 0, sizeof(li.u));
	li.u.vxlan.id = 4242;
	li.u.vxlan.family = AF_INET6;
	li.u.vxlan.local = ip("2001:db8::1");
	li.u.vxlan.remote = ip("2001:db8::99");
	li.u.vxlan.port = 8472;
	li.u.vxlan.no_udp_csum = true;
	li.u.vxlan.learning = true;
	ck_assert_int_eq(nl_link_add(&nl, "vx6", &li), 0);

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(nl_link_dump(&nl, vx_cb, &s), 0);
	ck_assert_int_eq(s.n, 2);
	ck_assert_uint_eq(s.v4.vxlan.id, 42);
	ck_assert_uint_eq(s.v4.vxlan.port, 4789);
	ck_assert_uint_eq(s.v4.vxlan.family, AF_INET);
	ck_assert(addr_eq(AF_INET, &s.v4.vxlan.local, "192.0.2.1"));
	ck_assert(addr_eq(AF_INET, &s.v4.vxlan.remote, "198.51.100.7"));
	ck_assert_uint_eq(s.v4.mtu, 1450);
	ck_assert_uint_eq(s.v4.link, up);
	ck_assert_uint_eq(s.v6.vxlan.id, 4242);
	ck_assert_uint_eq(s.v6.vxlan.port, 8472);
	ck_assert_uint_eq(s.v6.vxlan.family, AF_INET6);
	ck_assert(addr_eq(AF_INET6, &s.v6.vxlan.local, "2001:db8::1"));
	ck_assert(addr_eq(AF_INET6, &s.v6.vxlan.remote, "2001:db8::99"));
}
END_TEST

START_TEST(test_bridge)
{
	struct nl_link_info li = { .kind = "bridge" };
	struct nl_link l;
	uint32_t bi;

	li.u.bridge.stp = true;
	li.u.bridge.forward_delay = 400;
	ck_assert_int_eq(nl_link_add(&nl, "br1", &li), 0);
	ck_assert_int_eq(nl_link_get(&nl, "br1", &l), 0);
	ck_assert_str_eq(l.kind, "bridge");
	ck_assert_uint_ne(l.bridge.stp_state, 0);
	ck_assert_uint_eq(l.bridge.forward_delay, 400);
	bi = l.ifindex;

	ck_assert_int_eq(nl_bridge_set(&nl, bi, false, 300), 0);
	ck_assert_int_eq(nl_link_get(&nl, "br1", &l), 0);
	ck_assert_uint_eq(l.bridge.stp_state, 0);
	ck_assert_uint_eq(l.bridge.forward_delay, 300);
	ck_assert_int_eq(nl_bridge_set(&nl, bi, true, 200), 0);
	ck_assert_int_eq(nl_link_get(&nl, "br1", &l), 0);
	ck_assert_uint_ne(l.bridge.stp_state, 0);
	ck_assert_uint_eq(l.bridge.forward_delay, 200);
	ck_assert_uint_eq(l.bridge.max_age, 2000);	/* the default */
	ck_assert_int_eq(nl_bridge_set_max_age(&nl, bi, 600), 0);
	ck_assert_int_eq(nl_link_get(&nl, "br1", &l), 0);
	ck_assert_uint_eq(l.bridge.max_age, 600);
	ck_assert_int_lt(nl_bridge_set_max_age(&nl, bi, 100), 0);

	li.u.bridge.max_age = 800;
	ck_assert_int_eq(nl_link_add(&nl, "br2", &li), 0);
	ck_assert_int_eq(nl_link_get(&nl, "br2", &l), 0);
	ck_assert_uint_eq(l.bridge.max_age, 800);
}
END_TEST

START_TEST(test_wireguard)
{
	struct nl_link_info li = { .kind = "wireguard" };
	struct nl_link l;
	int err;

	/* No module here: the kernel's error comes back, nothing is made. */
	err = nl_link_add(&nl, "wg0", &li);
	if (err == 0) {
		ck_assert_int_eq(nl_link_get(&nl, "wg0", &l), 0);
		ck_assert_str_eq(l.kind, "wireguard");
	} else {
		ck_assert_int_lt(err, 0);
		ck_assert_int_eq(nl_link_get(&nl, "wg0", &l), -ENODEV);
	}
}
END_TEST

/* ---- addresses ---- */

struct addr_seen {
	int		n;
	struct nl_addr	last;
};

static int
addr_cb(const struct nl_addr *a, void *arg)
{
	struct addr_seen *s = arg;

	s->n++;
	s->last = *a;
	return 0;
}

START_TEST(test_addr)
{
	struct nl_link_info li = { .kind = "veth" };
	struct nl_addr a4, a6;
	struct addr_seen s;
	uint32_t i;

	li.u.veth.peer = "ab";
	ck_assert_int_eq(nl_link_add(&nl, "aa", &li), 0);
	i = ifindex("aa");
	ck_assert_int_eq(nl_link_set_up(&nl, i, true), 0);

	memset(&a4, 0, sizeof(a4));
	a4.ifindex = i;
	a4.family = AF_INET;
	a4.prefixlen = 24;
	a4.proto = PROTO;
	a4.addr = ip("198.51.100.9");
	ck_assert_int_eq(nl_addr_add(&nl, &a4), 0);
	ck_assert_int_eq(nl_addr_add(&nl, &a4), -EEXIST);
	a6 = a4;
	a6.family = AF_INET6;
	a6.prefixlen = 64;
	a6.flags = IFA_F_NODAD;
	a6.addr = ip("2001:db8:5::9");
	ck_assert_int_eq(nl_addr_add(&nl, &a6), 0);

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(nl_addr_dump(&nl, AF_INET, i, addr_cb, &s), 0);
	ck_assert_int_eq(s.n, 1);
	ck_assert_uint_eq(s.last.ifindex, i);
	ck_assert_uint_eq(s.last.prefixlen, 24);
	ck_assert_uint_eq(s.last.proto, PROTO);
	ck_assert(addr_eq(AF_INET, &s.last.addr, "198.51.100.9"));

	/* IPv6: ours plus the link-local one the kernel made. */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(nl_addr_dump(&nl, AF_INET6, i, addr_cb, &s), 0);
	ck_assert_int_ge(s.n, 1);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(nl_addr_dump(&nl, AF_UNSPEC, 0, addr_cb, &s), 0);
	ck_assert_int_ge(s.n, 2);

	ck_assert_int_eq(nl_addr_del(&nl, &a4), 0);
	ck_assert_int_eq(nl_addr_del(&nl, &a6), 0);
	ck_assert_int_eq(nl_addr_del(&nl, &a4), -EADDRNOTAVAIL);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(nl_addr_dump(&nl, AF_INET, i, addr_cb, &s), 0);
	ck_assert_int_eq(s.n, 0);
}
END_TEST

struct addr6_find {
	bool		found;
	uint32_t	flags;
};

static int
addr6_cb(const struct nl_addr *a, void *arg)
{
	struct addr6_find *f = arg;

	if (addr_eq(AF_INET6, &a->addr, "2001:db8::1") && a->prefixlen == 64) {
		f->found = true;
		f->flags = a->flags;
	}
	return 0;
}

START_TEST(test_addr6_nodad)
{
	struct addr6_find f = { 0 };

	make_uplink();
	ck_assert_int_eq(nl_addr_dump(&nl, AF_INET6, 0, addr6_cb, &f), 0);
	ck_assert(f.found);
	ck_assert(f.flags & IFA_F_NODAD);
	ck_assert(!(f.flags & IFA_F_TENTATIVE));
}
END_TEST

/* ---- rules ---- */

struct rule_seen {
	int		n;
	struct nl_rule	r;
};

static int
rule_cb(const struct nl_rule *r, void *arg)
{
	struct rule_seen *s = arg;

	if (r->protocol != PROTO)
		return 0;
	s->n++;
	s->r = *r;
	return 0;
}

START_TEST(test_rules)
{
	struct nl_rule r, r6;
	struct rule_seen s;

	nl_rule_init(&r, AF_INET);
	r.src = pfx(AF_INET, "192.0.2.0", 24);
	r.dst = pfx(AF_INET, "198.51.100.0", 24);
	r.has_fwmark = true;
	r.fwmark = 0x10;
	r.fwmask = 0xff;
	strcpy(r.iif, "lo");
	r.table = TABLE;
	r.priority = 1234;
	r.protocol = PROTO;
	ck_assert_int_eq(nl_rule_add(&nl, &r), 0);
	ck_assert_int_eq(nl_rule_add(&nl, &r), -EEXIST);

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(nl_rule_dump(&nl, AF_INET, rule_cb, &s), 0);
	ck_assert_int_eq(s.n, 1);
	ck_assert_uint_eq(s.r.src.family, AF_INET);
	ck_assert_uint_eq(s.r.src.len, 24);
	ck_assert(addr_eq(AF_INET, &s.r.src.addr, "192.0.2.0"));
	ck_assert_uint_eq(s.r.dst.len, 24);
	ck_assert(addr_eq(AF_INET, &s.r.dst.addr, "198.51.100.0"));
	ck_assert(s.r.has_fwmark);
	ck_assert_uint_eq(s.r.fwmark, 0x10);
	ck_assert_uint_eq(s.r.fwmask, 0xff);
	ck_assert_str_eq(s.r.iif, "lo");
	ck_assert_str_eq(s.r.oif, "");
	ck_assert_uint_eq(s.r.table, TABLE);
	ck_assert_uint_eq(s.r.priority, 1234);
	ck_assert_uint_eq(s.r.action, FR_ACT_TO_TBL);
	ck_assert(!s.r.invert);
	ck_assert_int_eq(s.r.suppress_prefixlen, -1);

	/* IPv6: "not to ... lookup main suppress_prefixlength 0". */
	nl_rule_init(&r6, AF_INET6);
	r6.dst = pfx(AF_INET6, "2001:db8:77::", 48);
	r6.invert = true;
	r6.table = RT_TABLE_MAIN;
	r6.priority = 99;
	r6.protocol = PROTO;
	r6.suppress_prefixlen = 0;
	strcpy(r6.oif, "lo");
	ck_assert_int_eq(nl_rule_add(&nl, &r6), 0);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(nl_rule_dump(&nl, AF_INET6, rule_cb, &s), 0);
	ck_assert_int_eq(s.n, 1);
	ck_assert(s.r.invert);
	ck_assert_int_eq(s.r.suppress_prefixlen, 0);
	ck_assert_uint_eq(s.r.dst.len, 48);
	ck_assert_uint_eq(s.r.src.len, 0);
	ck_assert_uint_eq(s.r.src.family, 0);
	ck_assert_str_eq(s.r.oif, "lo");
	ck_assert_uint_eq(s.r.table, RT_TABLE_MAIN);
	ck_assert(!s.r.has_fwmark);

	/* Both families in one dump, then both gone. */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(nl_rule_dump(&nl, AF_UNSPEC, rule_cb, &s), 0);
	ck_assert_int_eq(s.n, 2);
	ck_assert_int_eq(nl_rule_del(&nl, &r), 0);
	ck_assert_int_eq(nl_rule_del(&nl, &r6), 0);
	ck_assert_int_eq(nl_rule_del(&nl, &r), -ENOENT);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(nl_rule_dump(&nl, AF_UNSPEC, rule_cb, &s), 0);
	ck_assert_int_eq(s.n, 0);
}
END_TEST

/* ---- routes ---- */

#define NROUTES	10000

static struct nl_route
route4(uint32_t n, const char *gw)
{
	struct nl_route r;

	memset(&r, 0, sizeof(r));
	r.dst.family = AF_INET;
	r.dst.len = 24;
	/* 10.0.0.0/24, 10.0.1.0/24, ... */
	r.dst.addr.v4.s_addr = htonl(0x0a000000 | (n << 8));
	r.table = TABLE;
	r.protocol = PROTO;
	r.gw_family = AF_INET;
	r.gw = ip(gw);
	return r;
}

struct route_seen {
	int		 n;
	int		 bad;
	uint8_t		*bits;		/* per route index, if set */
	struct nl_route	 last;
	struct nl_route	 first;
};

static int
route_cb(const struct nl_route *r, void *arg)
{
	struct route_seen *s = arg;
	uint32_t n;

	if (s->n++ == 0)
		s->first = *r;
	s->last = *r;
	if (s->bits == NULL)
		return 0;
	n = (ntohl(r->dst.addr.v4.s_addr) >> 8) & 0xffff;
	if (r->dst.family != AF_INET || r->dst.len != 24 ||
	    r->table != TABLE || r->protocol != PROTO || n >= NROUTES ||
	    s->bits[n] || r->gw_family != AF_INET ||
	    !addr_eq(AF_INET, &r->gw, "192.0.2.2") || r->nnh != 0)
		s->bad++;
	else
		s->bits[n] = 1;
	return 0;
}

static int
count_routes(int family, uint32_t table, uint8_t proto)
{
	struct route_seen s = { 0 };

	ck_assert_int_eq(nl_route_dump(&nl, family, table, proto, route_cb,
	    &s), 0);
	return s.n;
}

struct errs {
	int	n;
	size_t	idx;
	int	err;
	char	msg[256];
};

static void
err_cb(void *arg, size_t idx, int err, const char *msg)
{
	struct errs *e = arg;

	e->n++;
	e->idx = idx;
	e->err = err;
	snprintf(e->msg, sizeof(e->msg), "%s", msg ? msg : "");
}

START_TEST(test_routes_batch)
{
	struct nl_batch *b;
	struct nl_route r;
	struct route_seen s = { 0 };
	struct errs e = { 0 };
	uint32_t i;

	make_uplink();
	ck_assert_int_eq(count_routes(AF_INET, TABLE, PROTO), 0);
	ck_assert_ptr_nonnull(b = nl_batch_new(&nl));
	for (i = 0; i < NROUTES; i++) {
		r = route4(i, "192.0.2.2");
		ck_assert_int_eq(nl_route_msg(b, RTM_NEWROUTE,
		    NLM_F_CREATE | NLM_F_EXCL, &r), 0);
	}
	ck_assert_uint_eq(nl_batch_count(b), NROUTES);
	ck_assert_int_eq(nl_batch_commit(b, err_cb, &e), 0);
	ck_assert_int_eq(e.n, 0);
	ck_assert_uint_eq(nl_batch_count(b), 0);

	s.bits = calloc(NROUTES, 1);
	ck_assert_int_eq(nl_route_dump(&nl, AF_INET, TABLE, PROTO, route_cb,
	    &s), 0);
	ck_assert_int_eq(s.n, NROUTES);
	ck_assert_int_eq(s.bad, 0);
	free(s.bits);
	/* Nothing landed in main. */
	ck_assert_int_eq(count_routes(AF_INET, RT_TABLE_MAIN, PROTO), 0);

	/* Adding them again: every one fails, and every error is told. */
	for (i = 0; i < NROUTES; i++) {
		r = route4(i, "192.0.2.2");
		ck_assert_int_eq(nl_route_msg(b, RTM_NEWROUTE,
		    NLM_F_CREATE | NLM_F_EXCL, &r), 0);
	}
	ck_assert_int_eq(nl_batch_commit(b, err_cb, &e), NROUTES);
	ck_assert_int_eq(e.n, NROUTES);
	ck_assert_uint_eq(e.idx, NROUTES - 1);
	ck_assert_int_eq(e.err, -EEXIST);

	for (i = 0; i < NROUTES; i++) {
		r = route4(i, "192.0.2.2");
		ck_assert_int_eq(nl_route_msg(b, RTM_DELROUTE, 0, &r), 0);
	}
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(nl_batch_commit(b, err_cb, &e), 0);
	ck_assert_int_eq(e.n, 0);
	ck_assert_int_eq(count_routes(AF_INET, TABLE, PROTO), 0);
	ck_assert_int_eq(count_routes(AF_UNSPEC, TABLE, 0), 0);
	nl_batch_free(b);
}
END_TEST

START_TEST(test_routes_error)
{
	struct nl_batch *b;
	struct nl_route r;
	struct errs e = { 0 };
	uint32_t i;

	make_uplink();
	ck_assert_ptr_nonnull(b = nl_batch_new(&nl));
	for (i = 0; i < 1000; i++) {
		/* 203.0.113.1 is on no connected subnet. */
		r = route4(i, i == 737 ? "203.0.113.1" : "192.0.2.2");
		ck_assert_int_eq(nl_route_msg(b, RTM_NEWROUTE,
		    NLM_F_CREATE | NLM_F_EXCL, &r), 0);
	}
	ck_assert_int_eq(nl_batch_commit(b, err_cb, &e), 1);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.idx, 737);
	ck_assert_int_eq(e.err, -ENETUNREACH);
	/* The kernel's extended ack names the problem. */
	ck_assert_str_ne(e.msg, "");
	ck_assert_str_eq(nl.errmsg, e.msg);
	ck_assert_int_eq(count_routes(AF_INET, TABLE, PROTO), 999);

	/* The one-shot form says the same. */
	r = route4(737, "203.0.113.1");
	ck_assert_int_eq(nl_route_add(&nl, &r, false), -ENETUNREACH);
	ck_assert_str_ne(nl.errmsg, "");
	/* A builder that refuses leaves the batch as it was. */
	r.dst.len = 33;
	ck_assert_int_eq(nl_route_msg(b, RTM_NEWROUTE, NLM_F_CREATE, &r),
	    -EINVAL);
	ck_assert_uint_eq(nl_batch_count(b), 0);
	r.dst.family = 77;
	ck_assert_int_eq(nl_route_msg(b, RTM_NEWROUTE, NLM_F_CREATE, &r),
	    -EAFNOSUPPORT);
	ck_assert_uint_eq(nl_batch_count(b), 0);
	/* An empty batch commits to nothing. */
	ck_assert_int_eq(nl_batch_commit(b, NULL, NULL), 0);
	nl_batch_free(b);
}
END_TEST

START_TEST(test_overrun)
{
	struct nl_batch *b;
	struct nl_route r;
	struct errs e = { 0 };
	int fd, small = 0, big = 32 << 20;
	uint32_t i;

	make_uplink();
	/* A receive queue too small for a chunk's error replies: the kernel
	 * drops some, and the commit must say so rather than succeed. */
	fd = mnl_socket_get_fd(nl.sock);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small,
	    sizeof(small)), 0);
	ck_assert_ptr_nonnull(b = nl_batch_new(&nl));
	for (i = 0; i < 2000; i++) {
		r = route4(i, "203.0.113.1");
		ck_assert_int_eq(nl_route_msg(b, RTM_NEWROUTE,
		    NLM_F_CREATE | NLM_F_EXCL, &r), 0);
	}
	ck_assert_int_eq(nl_batch_commit(b, err_cb, &e), -ENOBUFS);
	ck_assert_int_lt(e.n, 2000);
	/* The socket is clean again: the next requests get their own
	 * answers. */
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big,
	    sizeof(big)), 0);
	ck_assert_int_eq(count_routes(AF_INET, TABLE, PROTO), 0);
	r = route4(1, "192.0.2.2");
	ck_assert_int_eq(nl_route_add(&nl, &r, false), 0);
	r = route4(1, "203.0.113.1");
	ck_assert_int_eq(nl_route_add(&nl, &r, true), -ENETUNREACH);
	ck_assert_int_eq(count_routes(AF_INET, TABLE, PROTO), 1);
	nl_batch_free(b);
}
END_TEST

START_TEST(test_routes_single)
{
	struct nl_route r = route4(1, "192.0.2.2");
	struct route_seen s = { 0 };

	make_uplink();
	ck_assert_int_eq(nl_route_add(&nl, &r, false), 0);
	ck_assert_int_eq(nl_route_add(&nl, &r, false), -EEXIST);
	/* Replace: a new gateway and an MTU. */
	r.gw = ip("192.0.2.3");
	r.mtu = 1280;
	ck_assert_int_eq(nl_route_add(&nl, &r, true), 0);
	ck_assert_int_eq(nl_route_dump(&nl, AF_INET, TABLE, PROTO, route_cb,
	    &s), 0);
	ck_assert_int_eq(s.n, 1);
	ck_assert(addr_eq(AF_INET, &s.last.gw, "192.0.2.3"));
	ck_assert_uint_eq(s.last.mtu, 1280);
	ck_assert_uint_eq(s.last.oif, ifindex("up0"));
	/* Deleting with another owner's mark does not touch it. */
	r.protocol = FOREIGN;
	ck_assert_int_eq(nl_route_del(&nl, &r), -ESRCH);
	r.protocol = PROTO;
	ck_assert_int_eq(nl_route_del(&nl, &r), 0);
	ck_assert_int_eq(nl_route_del(&nl, &r), -ESRCH);
	/* A table never made is empty, not an error. */
	ck_assert_int_eq(count_routes(AF_INET, 4242, 0), 0);
	ck_assert_int_eq(count_routes(AF_INET6, 4242, 0), 0);
}
END_TEST

START_TEST(test_routes_multipath)
{
	struct nl_route r;
	struct route_seen s = { 0 };
	uint32_t up;

	up = make_uplink();
	memset(&r, 0, sizeof(r));
	r.dst = pfx(AF_INET, "10.200.0.0", 16);
	r.table = TABLE;
	r.protocol = PROTO;
	r.priority = 50;
	r.nnh = 2;
	r.nh[0].ifindex = up;
	r.nh[0].gw_family = AF_INET;
	r.nh[0].gw = ip("192.0.2.2");
	r.nh[0].weight = 1;
	r.nh[1].ifindex = up;
	r.nh[1].gw_family = AF_INET;
	r.nh[1].gw = ip("192.0.2.3");
	r.nh[1].weight = 3;
	ck_assert_int_eq(nl_route_add(&nl, &r, false), 0);
	/* Device-only next hops, dumped right after the one above: nothing
	 * of its gateways may leak into this one. */
	r.dst = pfx(AF_INET, "10.210.0.0", 16);
	r.nh[0].gw_family = r.nh[1].gw_family = 0;
	r.nh[1].ifindex = ifindex("up1");
	ck_assert_int_eq(nl_route_add(&nl, &r, false), 0);
	r.nh[1].ifindex = up;

	/* IPv6 multipath, weights 2 and 5. */
	r.dst = pfx(AF_INET6, "2001:db8:100::", 48);
	r.nh[0].gw_family = r.nh[1].gw_family = AF_INET6;
	r.nh[0].gw = ip("2001:db8::2");
	r.nh[1].gw = ip("2001:db8::3");
	r.nh[0].weight = 2;
	r.nh[1].weight = 5;
	ck_assert_int_eq(nl_route_add(&nl, &r, false), 0);

	ck_assert_int_eq(nl_route_dump(&nl, AF_INET, TABLE, PROTO, route_cb,
	    &s), 0);
	ck_assert_int_eq(s.n, 2);
	ck_assert_uint_eq(s.first.nnh, 2);
	ck_assert_uint_eq(s.first.priority, 50);
	ck_assert_uint_eq(s.first.nh[0].ifindex, up);
	ck_assert_uint_eq(s.first.nh[0].weight, 1);
	ck_assert_uint_eq(s.first.nh[0].gw_family, AF_INET);
	ck_assert(addr_eq(AF_INET, &s.first.nh[0].gw, "192.0.2.2"));
	ck_assert_uint_eq(s.first.nh[1].weight, 3);
	ck_assert(addr_eq(AF_INET, &s.first.nh[1].gw, "192.0.2.3"));
	ck_assert_uint_eq(s.last.dst.len, 16);
	ck_assert(addr_eq(AF_INET, &s.last.dst.addr, "10.210.0.0"));
	ck_assert_uint_eq(s.last.nnh, 2);
	ck_assert_uint_eq(s.last.nh[0].gw_family, 0);
	ck_assert_uint_eq(s.last.nh[1].gw_family, 0);
	ck_assert_uint_eq(s.last.nh[1].ifindex, ifindex("up1"));
	ck_assert_uint_eq(s.last.nh[1].weight, 3);

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(nl_route_dump(&nl, AF_INET6, TABLE, PROTO, route_cb,
	    &s), 0);
	ck_assert_int_eq(s.n, 1);
	ck_assert_uint_eq(s.last.nnh, 2);
	ck_assert_uint_eq(s.last.nh[0].gw_family, AF_INET6);
	ck_assert_uint_eq(s.last.nh[0].weight, 2);
	ck_assert(addr_eq(AF_INET6, &s.last.nh[0].gw, "2001:db8::2"));
	ck_assert_uint_eq(s.last.nh[1].weight, 5);
	ck_assert(addr_eq(AF_INET6, &s.last.nh[1].gw, "2001:db8::3"));
}
END_TEST

START_TEST(test_routes_v6)
{
	struct nl_route r;
	struct route_seen s = { 0 };
	struct nl_batch *b;
	uint32_t up, i;

	up = make_uplink();
	ck_assert_ptr_nonnull(b = nl_batch_new(&nl));
	for (i = 0; i < 100; i++) {
		memset(&r, 0, sizeof(r));
		r.dst = pfx(AF_INET6, "2001:db8:1000::", 48);
		r.dst.addr.b[5] = (uint8_t)i;
		r.table = TABLE;
		r.protocol = PROTO;
		r.priority = 10;
		r.gw_family = AF_INET6;
		r.gw = ip("2001:db8::2");
		r.oif = up;
		ck_assert_int_eq(nl_route_msg(b, RTM_NEWROUTE,
		    NLM_F_CREATE | NLM_F_EXCL, &r), 0);
	}
	ck_assert_int_eq(nl_batch_commit(b, NULL, NULL), 0);
	ck_assert_int_eq(count_routes(AF_INET6, TABLE, PROTO), 100);
	ck_assert_int_eq(count_routes(AF_INET, TABLE, PROTO), 0);
	ck_assert_int_eq(count_routes(AF_UNSPEC, TABLE, PROTO), 100);

	/* IPv4 destination, IPv6 gateway (RTA_VIA). */
	memset(&r, 0, sizeof(r));
	r.dst = pfx(AF_INET, "10.201.0.0", 16);
	r.table = TABLE;
	r.protocol = PROTO;
	r.gw_family = AF_INET6;
	r.gw = ip("2001:db8::2");
	r.oif = up;
	ck_assert_int_eq(nl_route_add(&nl, &r, false), 0);
	ck_assert_int_eq(nl_route_dump(&nl, AF_INET, TABLE, PROTO, route_cb,
	    &s), 0);
	ck_assert_int_eq(s.n, 1);
	ck_assert_uint_eq(s.last.gw_family, AF_INET6);
	ck_assert(addr_eq(AF_INET6, &s.last.gw, "2001:db8::2"));
	ck_assert_uint_eq(s.last.dst.len, 16);

	for (i = 0; i < 100; i++) {
		memset(&r, 0, sizeof(r));
		r.dst = pfx(AF_INET6, "2001:db8:1000::", 48);
		r.dst.addr.b[5] = (uint8_t)i;
		r.table = TABLE;
		r.protocol = PROTO;
		r.priority = 10;
		ck_assert_int_eq(nl_route_msg(b, RTM_DELROUTE, 0, &r), 0);
	}
	ck_assert_int_eq(nl_batch_commit(b, NULL, NULL), 0);
	ck_assert_int_eq(count_routes(AF_INET6, TABLE, PROTO), 0);
	nl_batch_free(b);
}
END_TEST

struct collect {
	struct nl_batch	*b;
	int		 n;
};

static int
collect_del_cb(const struct nl_route *r, void *arg)
{
	struct collect *c = arg;

	c->n++;
	return nl_route_msg(c->b, RTM_DELROUTE, 0, r);
}

START_TEST(test_routes_foreign)
{
	struct nl_route r;
	struct collect c = { 0 };
	uint32_t i;

	make_uplink();
	for (i = 0; i < 8; i++) {
		r = route4(i, "192.0.2.2");
		if (i < 3)
			r.protocol = FOREIGN;
		ck_assert_int_eq(nl_route_add(&nl, &r, false), 0);
	}
	/* Same destination in main, ours: other tables are not touched. */
	r = route4(5, "192.0.2.2");
	r.table = RT_TABLE_MAIN;
	ck_assert_int_eq(nl_route_add(&nl, &r, false), 0);

	ck_assert_int_eq(count_routes(AF_INET, TABLE, PROTO), 5);
	ck_assert_int_eq(count_routes(AF_INET, TABLE, FOREIGN), 3);
	ck_assert_int_eq(count_routes(AF_INET, TABLE, 0), 8);
	ck_assert_int_eq(count_routes(AF_UNSPEC, 0, PROTO), 6);

	/* Remove exactly what a filtered dump returned. */
	ck_assert_ptr_nonnull(c.b = nl_batch_new(&nl));
	ck_assert_int_eq(nl_route_dump(&nl, AF_INET, TABLE, PROTO,
	    collect_del_cb, &c), 0);
	ck_assert_int_eq(c.n, 5);
	ck_assert_int_eq(nl_batch_commit(c.b, NULL, NULL), 0);
	ck_assert_int_eq(count_routes(AF_INET, TABLE, PROTO), 0);
	ck_assert_int_eq(count_routes(AF_INET, TABLE, FOREIGN), 3);
	ck_assert_int_eq(count_routes(AF_INET, RT_TABLE_MAIN, PROTO), 1);
	nl_batch_free(c.b);
}
END_TEST

static int
stop_cb(const struct nl_route *r, void *arg)
{
	return ++*(int *)arg == 3 ? 42 : 0;
}

START_TEST(test_dump_stop)
{
	struct nl_route r;
	uint32_t i;
	int n = 0;

	make_uplink();
	for (i = 0; i < 10; i++) {
		r = route4(i, "192.0.2.2");
		ck_assert_int_eq(nl_route_add(&nl, &r, false), 0);
	}
	ck_assert_int_eq(nl_route_dump(&nl, AF_INET, TABLE, PROTO, stop_cb,
	    &n), 42);
	ck_assert_int_eq(n, 3);
	/* The rest of that dump was read: the socket is clean. */
	ck_assert_int_eq(count_routes(AF_INET, TABLE, PROTO), 10);
}
END_TEST

START_TEST(test_genl)
{
	struct nl g;
	uint16_t id = 0;

	ck_assert_int_eq(nl_open(&g, NETLINK_GENERIC), 0);
	ck_assert_int_eq(nl_genl_family(&g, "nlctrl", &id), 0);
	ck_assert_uint_eq(id, GENL_ID_CTRL);
	ck_assert_int_eq(nl_genl_family(&g, "no-such-family", &id), -ENOENT);
	nl_close(&g);
}
END_TEST

Suite *make_nl_suite(void);

Suite *
make_nl_suite(void)
{
	Suite *s = suite_create("nl");
	TCase *tc = tcase_create("kernel");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_veth);
	tcase_add_test(tc, test_vxlan);
	tcase_add_test(tc, test_bridge);
	tcase_add_test(tc, test_wireguard);
	tcase_add_test(tc, test_addr);
	tcase_add_test(tc, test_addr6_nodad);
	tcase_add_test(tc, test_rules);
	tcase_add_test(tc, test_routes_batch);
	tcase_add_test(tc, test_routes_error);
	tcase_add_test(tc, test_overrun);
	tcase_add_test(tc, test_routes_single);
	tcase_add_test(tc, test_routes_multipath);
	tcase_add_test(tc, test_routes_v6);
	tcase_add_test(tc, test_routes_foreign);
	tcase_add_test(tc, test_dump_stop);
	tcase_add_test(tc, test_genl);
	suite_add_tcase(s, tc);
	return s;
}
