/* SPDX-License-Identifier: ISC */
/*
 * Routes (add, replace, delete, dump; any table, multipath with weights,
 * IPv6 gateways for IPv4 destinations) and policy rules.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "nl.h"
#include "nl_int.h"

/* ---- routes ---- */

/* A gateway as RTA_GATEWAY, or RTA_VIA when its family differs. */
static int
route_put_gw(struct nlmsghdr *nlh, int family, int gw_family,
    const union edge_addr *gw)
{
	struct {
		uint16_t	family;		/* struct rtvia, fixed size */
		uint8_t		addr[16];
	} via;

	if (gw_family == family) {
		mnl_attr_put(nlh, RTA_GATEWAY, nl_addr_len(family), gw);
		return 0;
	}
	if (family != AF_INET || gw_family != AF_INET6)
		return -EAFNOSUPPORT;
	via.family = AF_INET6;
	memcpy(via.addr, gw, 16);
	mnl_attr_put(nlh, RTA_VIA, sizeof(via), &via);
	return 0;
}

static int
route_put_multipath(struct nlmsghdr *nlh, const struct nl_route *r)
{
	struct nlattr *mp;
	struct rtnexthop *rtnh;
	const struct nl_nexthop *nh;
	uint16_t i;
	int err;

	mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	for (i = 0; i < r->nnh; i++) {
		nh = &r->nh[i];
		if (nh->weight > 256)
			return -EINVAL;
		rtnh = mnl_nlmsg_get_payload_tail(nlh);
		memset(rtnh, 0, sizeof(*rtnh));
		nlh->nlmsg_len += RTNH_ALIGN(sizeof(*rtnh));
		rtnh->rtnh_hops = nh->weight ? (uint8_t)(nh->weight - 1) : 0;
		rtnh->rtnh_ifindex = (int)nh->ifindex;
		if (nh->gw_family != 0 && (err = route_put_gw(nlh,
		    r->dst.family, nh->gw_family, &nh->gw)) < 0)
			return err;
		rtnh->rtnh_len = (unsigned short)((char *)
		    mnl_nlmsg_get_payload_tail(nlh) - (char *)rtnh);
	}
	mnl_attr_nest_end(nlh, mp);
	return 0;
}

static int
route_build(struct nlmsghdr *nlh, uint16_t cmd, const void *obj)
{
	const struct nl_route *r = obj;
	struct rtmsg *rtm;
	struct nlattr *mx;
	int family = r->dst.family;
	size_t alen = nl_addr_len(family);
	uint32_t table = r->table ? r->table : RT_TABLE_MAIN;
	int err;

	if (alen == 0)
		return -EAFNOSUPPORT;
	if (r->dst.len > alen * 8 || r->nnh > NL_MAX_NEXTHOPS)
		return -EINVAL;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = r->dst.len;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = r->protocol;
	if (cmd == RTM_DELROUTE) {
		/* 0 matches any type; NOWHERE any scope. */
		rtm->rtm_type = r->type;
		rtm->rtm_scope = r->scope ? r->scope : RT_SCOPE_NOWHERE;
	} else {
		rtm->rtm_type = r->type ? r->type : RTN_UNICAST;
		rtm->rtm_scope = r->scope;
	}
	if (r->dst.len > 0)
		mnl_attr_put(nlh, RTA_DST, alen, &r->dst.addr);
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (r->priority)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->priority);
	if (r->prefsrc_family) {
		if (r->prefsrc_family != family)
			return -EINVAL;
		mnl_attr_put(nlh, RTA_PREFSRC, alen, &r->prefsrc);
	}
	if (r->mtu) {
		mx = mnl_attr_nest_start(nlh, RTA_METRICS);
		mnl_attr_put_u32(nlh, RTAX_MTU, r->mtu);
		mnl_attr_nest_end(nlh, mx);
	}
	if (r->nnh > 0)
		return route_put_multipath(nlh, r);
	if (r->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, r->oif);
	if (r->gw_family != 0 &&
	    (err = route_put_gw(nlh, family, r->gw_family, &r->gw)) < 0)
		return err;
	return 0;
}

int
nl_route_msg(struct nl_batch *b, uint16_t cmd, uint16_t flags,
    const struct nl_route *r)
{
	return nl_batch_build(b, cmd, flags, route_build, r);
}

int
nl_route_add(struct nl *nl, const struct nl_route *r, bool replace)
{
	return nl_build_talk(nl, RTM_NEWROUTE, NLM_F_CREATE |
	    (replace ? NLM_F_REPLACE : NLM_F_EXCL), route_build, r);
}

int
nl_route_del(struct nl *nl, const struct nl_route *r)
{
	return nl_build_talk(nl, RTM_DELROUTE, 0, route_build, r);
}

/* A gateway attribute into family/address; false when malformed. */
static bool
route_get_gw(const struct nlattr *gw, const struct nlattr *via, int family,
    uint8_t *gw_family, union edge_addr *out)
{
	const uint8_t *p;
	uint16_t vf;

	if (gw != NULL) {
		if (!nl_attr_addr(gw, family, out))
			return false;
		*gw_family = (uint8_t)family;
		return true;
	}
	if (via == NULL)
		return true;
	if (mnl_attr_get_payload_len(via) < 2)
		return false;
	p = mnl_attr_get_payload(via);
	memcpy(&vf, p, sizeof(vf));
	if (nl_addr_len(vf) == 0 ||
	    mnl_attr_get_payload_len(via) < 2 + nl_addr_len(vf))
		return false;
	memset(out, 0, sizeof(*out));
	memcpy(out, p + 2, nl_addr_len(vf));
	*gw_family = (uint8_t)vf;
	return true;
}

static int
route_parse_multipath(const struct nlattr *mp, struct nl_route *r)
{
	const struct rtnexthop *rtnh = mnl_attr_get_payload(mp);
	const struct nlattr *tb[RTA_MAX + 1], *a;
	struct nl_nexthop *nh;
	int len = (int)mnl_attr_get_payload_len(mp), alen;

	while (len >= (int)sizeof(*rtnh) && rtnh->rtnh_len >= sizeof(*rtnh) &&
	    rtnh->rtnh_len <= len) {
		if (r->nnh == NL_MAX_NEXTHOPS)
			return -EOVERFLOW;
		nh = &r->nh[r->nnh++];
		memset(nh, 0, sizeof(*nh));
		nh->ifindex = (uint32_t)rtnh->rtnh_ifindex;
		nh->weight = (uint16_t)(rtnh->rtnh_hops + 1);
		memset(tb, 0, sizeof(tb));
		alen = rtnh->rtnh_len - RTNH_ALIGN(sizeof(*rtnh));
		for (a = (const struct nlattr *)((const char *)rtnh +
		    RTNH_ALIGN(sizeof(*rtnh)));
		    mnl_attr_ok(a, alen); a = mnl_attr_next(a)) {
			alen -= (int)MNL_ALIGN(a->nla_len);
			if (mnl_attr_get_type(a) <= RTA_MAX)
				tb[mnl_attr_get_type(a)] = a;
		}
		if (!route_get_gw(tb[RTA_GATEWAY], tb[RTA_VIA], r->dst.family,
		    &nh->gw_family, &nh->gw))
			return -EBADMSG;
		len -= RTNH_ALIGN(rtnh->rtnh_len);
		rtnh = (const struct rtnexthop *)((const char *)rtnh +
		    RTNH_ALIGN(rtnh->rtnh_len));
	}
	return 0;
}

static int
route_parse(const struct nlmsghdr *nlh, const struct nlattr **tb,
    struct nl_route *r)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *mx[RTAX_MAX + 1];

	memset(r, 0, offsetof(struct nl_route, nh));
	r->dst.family = rtm->rtm_family;
	r->dst.len = rtm->rtm_dst_len;
	r->table = tb[RTA_TABLE] ? nl_attr_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	r->protocol = rtm->rtm_protocol;
	r->type = rtm->rtm_type;
	r->scope = rtm->rtm_scope;
	if (tb[RTA_DST] != NULL &&
	    !nl_attr_addr(tb[RTA_DST], r->dst.family, &r->dst.addr))
		return -EBADMSG;
	r->priority = nl_attr_u32(tb[RTA_PRIORITY]);
	r->oif = nl_attr_u32(tb[RTA_OIF]);
	if (!route_get_gw(tb[RTA_GATEWAY], tb[RTA_VIA], r->dst.family,
	    &r->gw_family, &r->gw))
		return -EBADMSG;
	if (tb[RTA_PREFSRC] != NULL &&
	    nl_attr_addr(tb[RTA_PREFSRC], r->dst.family, &r->prefsrc))
		r->prefsrc_family = r->dst.family;
	if (tb[RTA_METRICS] != NULL) {
		nl_attrs_nested(tb[RTA_METRICS], mx, RTAX_MAX);
		r->mtu = nl_attr_u32(mx[RTAX_MTU]);
	}
	if (tb[RTA_MULTIPATH] != NULL)
		return route_parse_multipath(tb[RTA_MULTIPATH], r);
	return 0;
}

struct route_dump {
	int		 family;
	uint32_t	 table;
	uint8_t		 protocol;
	nl_route_cb	 cb;
	void		*arg;
	struct nl_route	 r;	/* large: kept off the stack */
};

static int
route_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct route_dump *d = arg;
	uint32_t table;
	int err;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nl_attrs(nlh, sizeof(*rtm), tb, RTA_MAX) < 0)
		return -EBADMSG;
	/* The kernel filtered already; an older one may not have. */
	table = tb[RTA_TABLE] ? nl_attr_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if ((d->family != AF_UNSPEC && rtm->rtm_family != d->family) ||
	    (d->table != 0 && table != d->table) ||
	    (d->protocol != 0 && rtm->rtm_protocol != d->protocol) ||
	    nl_addr_len(rtm->rtm_family) == 0)
		return 0;
	if ((err = route_parse(nlh, tb, &d->r)) < 0)
		return err;
	return d->cb(&d->r, d->arg);
}

int
nl_route_dump(struct nl *nl, int family, uint32_t table, uint8_t protocol,
    nl_route_cb cb, void *arg)
{
	char buf[NL_REQ_SIZE];
	struct route_dump *d;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int err;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -ENOMEM;
	d->family = family;
	d->table = table;
	d->protocol = protocol;
	d->cb = cb;
	d->arg = arg;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_protocol = protocol;
	if (table != 0) {
		rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
		mnl_attr_put_u32(nlh, RTA_TABLE, table);
	}
	err = nl_talk(nl, nlh, route_dump_cb, d);
	/* A table that was never created has no routes. */
	if (err == -ENOENT && table != 0) {
		nl->errmsg[0] = '\0';
		err = 0;
	}
	free(d);
	return err;
}

/* ---- policy rules ---- */

void
nl_rule_init(struct nl_rule *r, int family)
{
	memset(r, 0, sizeof(*r));
	r->family = (uint8_t)family;
	r->suppress_prefixlen = -1;
}

static int
rule_put_prefix(struct nlmsghdr *nlh, uint16_t type, int family,
    const struct prefix *p, uint8_t *len)
{
	if (p->family == 0 && p->len == 0)
		return 0;
	if (p->family != family || p->len > nl_addr_len(family) * 8)
		return -EINVAL;
	*len = p->len;
	mnl_attr_put(nlh, type, nl_addr_len(family), &p->addr);
	return 0;
}

static int
rule_build(struct nlmsghdr *nlh, uint16_t cmd, const void *obj)
{
	const struct nl_rule *r = obj;
	struct fib_rule_hdr *frh;
	int err;

	if (nl_addr_len(r->family) == 0)
		return -EAFNOSUPPORT;
	if (strnlen(r->iif, IFNAMSIZ) == IFNAMSIZ ||
	    strnlen(r->oif, IFNAMSIZ) == IFNAMSIZ)
		return -EINVAL;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = r->family;
	frh->action = r->action ? r->action : FR_ACT_TO_TBL;
	frh->table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	if (r->invert)
		frh->flags |= FIB_RULE_INVERT;
	if ((err = rule_put_prefix(nlh, FRA_SRC, r->family, &r->src,
	    &frh->src_len)) < 0 ||
	    (err = rule_put_prefix(nlh, FRA_DST, r->family, &r->dst,
	    &frh->dst_len)) < 0)
		return err;
	if (r->table)
		mnl_attr_put_u32(nlh, FRA_TABLE, r->table);
	if (r->priority)
		mnl_attr_put_u32(nlh, FRA_PRIORITY, r->priority);
	if (r->has_fwmark) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, r->fwmark);
		mnl_attr_put_u32(nlh, FRA_FWMASK,
		    r->fwmask ? r->fwmask : 0xffffffff);
	}
	if (r->iif[0] != '\0')
		mnl_attr_put_strz(nlh, FRA_IIFNAME, r->iif);
	if (r->oif[0] != '\0')
		mnl_attr_put_strz(nlh, FRA_OIFNAME, r->oif);
	if (r->protocol)
		mnl_attr_put_u8(nlh, FRA_PROTOCOL, r->protocol);
	if (r->suppress_prefixlen >= 0)
		mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN,
		    (uint32_t)r->suppress_prefixlen);
	(void)cmd;
	return 0;
}

int
nl_rule_msg(struct nl_batch *b, uint16_t cmd, uint16_t flags,
    const struct nl_rule *r)
{
	return nl_batch_build(b, cmd, flags, rule_build, r);
}

int
nl_rule_add(struct nl *nl, const struct nl_rule *r)
{
	return nl_build_talk(nl, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL,
	    rule_build, r);
}

int
nl_rule_del(struct nl *nl, const struct nl_rule *r)
{
	return nl_build_talk(nl, RTM_DELRULE, 0, rule_build, r);
}

struct rule_dump {
	int		 family;
	nl_rule_cb	 cb;
	void		*arg;
};

static int
rule_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[FRA_MAX + 1];
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	struct rule_dump *d = arg;
	struct nl_rule r;

	if (nlh->nlmsg_type != RTM_NEWRULE ||
	    nl_attrs(nlh, sizeof(*frh), tb, FRA_MAX) < 0)
		return -EBADMSG;
	if ((d->family != AF_UNSPEC && frh->family != d->family) ||
	    nl_addr_len(frh->family) == 0)
		return 0;
	nl_rule_init(&r, frh->family);
	r.action = frh->action;
	r.invert = (frh->flags & FIB_RULE_INVERT) != 0;
	r.table = tb[FRA_TABLE] ? nl_attr_u32(tb[FRA_TABLE]) : frh->table;
	r.priority = nl_attr_u32(tb[FRA_PRIORITY]);
	r.protocol = nl_attr_u8(tb[FRA_PROTOCOL]);
	if (nl_attr_addr(tb[FRA_SRC], frh->family, &r.src.addr)) {
		r.src.family = frh->family;
		r.src.len = frh->src_len;
	}
	if (nl_attr_addr(tb[FRA_DST], frh->family, &r.dst.addr)) {
		r.dst.family = frh->family;
		r.dst.len = frh->dst_len;
	}
	if (tb[FRA_FWMARK] != NULL || tb[FRA_FWMASK] != NULL) {
		r.has_fwmark = true;
		r.fwmark = nl_attr_u32(tb[FRA_FWMARK]);
		r.fwmask = tb[FRA_FWMASK] ? nl_attr_u32(tb[FRA_FWMASK]) :
		    0xffffffff;
	}
	nl_attr_str(tb[FRA_IIFNAME], r.iif, sizeof(r.iif));
	nl_attr_str(tb[FRA_OIFNAME], r.oif, sizeof(r.oif));
	if (tb[FRA_SUPPRESS_PREFIXLEN] != NULL)
		r.suppress_prefixlen =
		    (int32_t)nl_attr_u32(tb[FRA_SUPPRESS_PREFIXLEN]);
	return d->cb(&r, d->arg);
}

int
nl_rule_dump(struct nl *nl, int family, nl_rule_cb cb, void *arg)
{
	char buf[NL_REQ_SIZE];
	struct rule_dump d = { family, cb, arg };
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *frh;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETRULE;
	nlh->nlmsg_flags = NLM_F_DUMP;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = (uint8_t)family;
	return nl_talk(nl, nlh, rule_dump_cb, &d);
}
