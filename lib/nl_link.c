/* SPDX-License-Identifier: ISC */
/*
 * Links (lookup, create, delete, up/down, MTU, master, bridge settings)
 * and addresses (add, delete, dump).
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <libmnl/libmnl.h>

#include "nl.h"
#include "nl_int.h"

/* ---- links ---- */

static void
link_vxlan(struct nl_link *l, const struct nlattr *data)
{
	const struct nlattr *tb[IFLA_VXLAN_MAX + 1];
	bool lo, re;

	nl_attrs_nested(data, tb, IFLA_VXLAN_MAX);
	l->vxlan.id = nl_attr_u32(tb[IFLA_VXLAN_ID]);
	l->vxlan.port = ntohs(nl_attr_u16(tb[IFLA_VXLAN_PORT]));
	if (l->link == 0)
		l->link = nl_attr_u32(tb[IFLA_VXLAN_LINK]);
	l->vxlan.udp_csum = nl_attr_u8(tb[IFLA_VXLAN_UDP_CSUM]) != 0;
	l->vxlan.zero_csum6_tx =
	    nl_attr_u8(tb[IFLA_VXLAN_UDP_ZERO_CSUM6_TX]) != 0;
	l->vxlan.zero_csum6_rx =
	    nl_attr_u8(tb[IFLA_VXLAN_UDP_ZERO_CSUM6_RX]) != 0;
	/* Each end may be missing; the family is that of whichever is set. */
	lo = nl_attr_addr(tb[IFLA_VXLAN_LOCAL], AF_INET, &l->vxlan.local);
	re = nl_attr_addr(tb[IFLA_VXLAN_GROUP], AF_INET, &l->vxlan.remote);
	if (lo || re) {
		l->vxlan.family = AF_INET;
		return;
	}
	lo = nl_attr_addr(tb[IFLA_VXLAN_LOCAL6], AF_INET6, &l->vxlan.local);
	re = nl_attr_addr(tb[IFLA_VXLAN_GROUP6], AF_INET6, &l->vxlan.remote);
	if (lo || re)
		l->vxlan.family = AF_INET6;
}

static void
link_bridge(struct nl_link *l, const struct nlattr *data)
{
	const struct nlattr *tb[IFLA_BR_MAX + 1];

	nl_attrs_nested(data, tb, IFLA_BR_MAX);
	l->bridge.stp_state = nl_attr_u32(tb[IFLA_BR_STP_STATE]);
	/* clock_t, in USER_HZ (100) units: centiseconds. */
	l->bridge.forward_delay = nl_attr_u32(tb[IFLA_BR_FORWARD_DELAY]);
	l->bridge.max_age = nl_attr_u32(tb[IFLA_BR_MAX_AGE]);
}

static int
link_parse(const struct nlmsghdr *nlh, struct nl_link *l)
{
	const struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	memset(l, 0, sizeof(*l));
	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    nl_attrs(nlh, sizeof(*ifi), tb, IFLA_MAX) < 0)
		return -EBADMSG;
	l->ifindex = (uint32_t)ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	nl_attr_str(tb[IFLA_IFNAME], l->name, sizeof(l->name));
	l->mtu = nl_attr_u32(tb[IFLA_MTU]);
	l->master = nl_attr_u32(tb[IFLA_MASTER]);
	l->link = nl_attr_u32(tb[IFLA_LINK]);
	l->operstate = nl_attr_u8(tb[IFLA_OPERSTATE]);
	if (tb[IFLA_LINKINFO] == NULL)
		return 0;
	nl_attrs_nested(tb[IFLA_LINKINFO], li, IFLA_INFO_MAX);
	nl_attr_str(li[IFLA_INFO_KIND], l->kind, sizeof(l->kind));
	if (li[IFLA_INFO_DATA] == NULL)
		return 0;
	if (strcmp(l->kind, "vxlan") == 0)
		link_vxlan(l, li[IFLA_INFO_DATA]);
	else if (strcmp(l->kind, "bridge") == 0)
		link_bridge(l, li[IFLA_INFO_DATA]);
	return 0;
}

static int
link_get_cb(const struct nlmsghdr *nlh, void *arg)
{
	return link_parse(nlh, arg);
}

int
nl_link_get(struct nl *nl, const char *name, struct nl_link *out)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (strlen(name) >= IFNAMSIZ || name[0] == '\0')
		return -ENODEV;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	/* Counters are large and unused here. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nl_talk(nl, nlh, link_get_cb, out);
}

int
nl_ifindex(struct nl *nl, const char *name)
{
	struct nl_link l;
	int err;

	if ((err = nl_link_get(nl, name, &l)) < 0)
		return err;
	return l.ifindex > 0 ? (int)l.ifindex : -ENODEV;
}

struct link_dump {
	nl_link_cb	 cb;
	void		*arg;
};

static int
link_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct link_dump *d = arg;
	struct nl_link l;
	int err;

	if ((err = link_parse(nlh, &l)) < 0)
		return err;
	return d->cb(&l, d->arg);
}

int
nl_link_dump(struct nl *nl, nl_link_cb cb, void *arg)
{
	char buf[NL_REQ_SIZE];
	struct link_dump d = { cb, arg };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_DUMP;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nl_talk(nl, nlh, link_dump_cb, &d);
}

static int
link_put_vxlan(struct nlmsghdr *nlh, const struct nl_link_info *li)
{
	int fam = li->u.vxlan.family;
	bool v6 = fam == AF_INET6;
	size_t alen = nl_addr_len(fam);

	if (fam != 0 && alen == 0)
		return -EAFNOSUPPORT;
	mnl_attr_put_u32(nlh, IFLA_VXLAN_ID, li->u.vxlan.id);
	/* The kernel's default port is the pre-IANA 8472: always say. */
	mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT,
	    htons(li->u.vxlan.port ? li->u.vxlan.port : 4789));
	if (fam != 0) {
		static const union edge_addr zero;

		if (memcmp(&li->u.vxlan.local, &zero, alen) != 0)
			mnl_attr_put(nlh, v6 ? IFLA_VXLAN_LOCAL6 :
			    IFLA_VXLAN_LOCAL, alen, &li->u.vxlan.local);
		if (memcmp(&li->u.vxlan.remote, &zero, alen) != 0)
			mnl_attr_put(nlh, v6 ? IFLA_VXLAN_GROUP6 :
			    IFLA_VXLAN_GROUP, alen, &li->u.vxlan.remote);
	}
	if (li->u.vxlan.dev)
		mnl_attr_put_u32(nlh, IFLA_VXLAN_LINK, li->u.vxlan.dev);
	if (li->u.vxlan.ttl)
		mnl_attr_put_u8(nlh, IFLA_VXLAN_TTL, li->u.vxlan.ttl);
	mnl_attr_put_u8(nlh, IFLA_VXLAN_LEARNING, li->u.vxlan.learning);
	if (v6) {
		mnl_attr_put_u8(nlh, IFLA_VXLAN_UDP_ZERO_CSUM6_TX,
		    li->u.vxlan.no_udp_csum);
		mnl_attr_put_u8(nlh, IFLA_VXLAN_UDP_ZERO_CSUM6_RX,
		    li->u.vxlan.no_udp_csum);
	} else
		mnl_attr_put_u8(nlh, IFLA_VXLAN_UDP_CSUM,
		    !li->u.vxlan.no_udp_csum);
	return 0;
}

static void
link_put_bridge(struct nlmsghdr *nlh, bool stp, uint32_t forward_delay)
{
	/* The kernel checks forward_delay against STP's limits when STP is
	 * on, and applies it before STP_STATE. */
	if (forward_delay)
		mnl_attr_put_u32(nlh, IFLA_BR_FORWARD_DELAY, forward_delay);
	mnl_attr_put_u32(nlh, IFLA_BR_STP_STATE, stp ? 1 : 0);
}

static int
link_put_info(struct nlmsghdr *nlh, const struct nl_link_info *li)
{
	struct nlattr *info, *data, *peer;
	struct ifinfomsg *pi;
	int err = 0;

	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, li->kind);
	if (strcmp(li->kind, "vxlan") == 0) {
		data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		err = link_put_vxlan(nlh, li);
		mnl_attr_nest_end(nlh, data);
	} else if (strcmp(li->kind, "bridge") == 0) {
		data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		if (li->u.bridge.max_age)
			mnl_attr_put_u32(nlh, IFLA_BR_MAX_AGE,
			    li->u.bridge.max_age);
		link_put_bridge(nlh, li->u.bridge.stp,
		    li->u.bridge.forward_delay);
		mnl_attr_nest_end(nlh, data);
	} else if (strcmp(li->kind, "veth") == 0 && li->u.veth.peer != NULL) {
		if (strlen(li->u.veth.peer) >= IFNAMSIZ ||
		    li->u.veth.peer[0] == '\0')
			return -EINVAL;
		data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
		/* The peer's attributes follow its own ifinfomsg. */
		pi = mnl_nlmsg_get_payload_tail(nlh);
		memset(pi, 0, MNL_ALIGN(sizeof(*pi)));
		nlh->nlmsg_len += MNL_ALIGN(sizeof(*pi));
		mnl_attr_put_strz(nlh, IFLA_IFNAME, li->u.veth.peer);
		if (li->mtu)
			mnl_attr_put_u32(nlh, IFLA_MTU, li->mtu);
		mnl_attr_nest_end(nlh, peer);
		mnl_attr_nest_end(nlh, data);
	}
	mnl_attr_nest_end(nlh, info);
	return err;
}

int
nl_link_add(struct nl *nl, const char *name, const struct nl_link_info *li)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int err;

	if (strlen(name) >= IFNAMSIZ || name[0] == '\0' || li->kind == NULL ||
	    strlen(li->kind) >= 16)
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (li->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, li->mtu);
	if ((err = link_put_info(nlh, li)) < 0)
		return err;
	return nl_talk(nl, nlh, NULL, NULL);
}

/* An RTM_NEWLINK (or DELLINK) for an existing link. */
static struct nlmsghdr *
link_req(char *buf, uint16_t type, uint32_t ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	return nlh;
}

int
nl_link_del(struct nl *nl, uint32_t ifindex)
{
	char buf[NL_REQ_SIZE];

	if (ifindex == 0)
		return -ENODEV;
	return nl_talk(nl, link_req(buf, RTM_DELLINK, ifindex), NULL, NULL);
}

int
nl_link_set_up(struct nl *nl, uint32_t ifindex, bool up)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (ifindex == 0)
		return -ENODEV;
	nlh = link_req(buf, RTM_NEWLINK, ifindex);
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	return nl_talk(nl, nlh, NULL, NULL);
}

int
nl_link_set_mtu(struct nl *nl, uint32_t ifindex, uint32_t mtu)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;

	if (ifindex == 0)
		return -ENODEV;
	nlh = link_req(buf, RTM_NEWLINK, ifindex);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_talk(nl, nlh, NULL, NULL);
}

int
nl_link_set_master(struct nl *nl, uint32_t ifindex, uint32_t master)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;

	if (ifindex == 0)
		return -ENODEV;
	nlh = link_req(buf, RTM_NEWLINK, ifindex);
	mnl_attr_put_u32(nlh, IFLA_MASTER, master);
	return nl_talk(nl, nlh, NULL, NULL);
}

int
nl_bridge_set(struct nl *nl, uint32_t ifindex, bool stp,
    uint32_t forward_delay)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *info, *data;

	if (ifindex == 0)
		return -ENODEV;
	nlh = link_req(buf, RTM_NEWLINK, ifindex);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	link_put_bridge(nlh, stp, forward_delay);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_talk(nl, nlh, NULL, NULL);
}

int
nl_bridge_set_max_age(struct nl *nl, uint32_t ifindex, uint32_t max_age)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *info, *data;

	if (ifindex == 0)
		return -ENODEV;
	nlh = link_req(buf, RTM_NEWLINK, ifindex);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_BR_MAX_AGE, max_age);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_talk(nl, nlh, NULL, NULL);
}

/* ---- addresses ---- */

static int
addr_build(struct nlmsghdr *nlh, uint16_t cmd, const void *obj)
{
	const struct nl_addr *a = obj;
	struct ifaddrmsg *ifa;
	size_t alen = nl_addr_len(a->family);

	if (alen == 0)
		return -EAFNOSUPPORT;
	if (a->prefixlen > alen * 8 || a->ifindex == 0)
		return -EINVAL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_flags = (uint8_t)a->flags;
	ifa->ifa_scope = a->scope;
	ifa->ifa_index = a->ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, alen, &a->addr);
	if (cmd == RTM_NEWADDR) {
		mnl_attr_put(nlh, IFA_ADDRESS, alen, &a->addr);
		if (a->flags > 0xff)
			mnl_attr_put_u32(nlh, IFA_FLAGS, a->flags);
	}
	if (a->proto)
		mnl_attr_put_u8(nlh, IFA_PROTO, a->proto);
	return 0;
}

int
nl_addr_msg(struct nl_batch *b, uint16_t cmd, uint16_t flags,
    const struct nl_addr *a)
{
	return nl_batch_build(b, cmd, flags, addr_build, a);
}

int
nl_addr_add(struct nl *nl, const struct nl_addr *a)
{
	return nl_build_talk(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
	    addr_build, a);
}

int
nl_addr_del(struct nl *nl, const struct nl_addr *a)
{
	return nl_build_talk(nl, RTM_DELADDR, 0, addr_build, a);
}

struct addr_dump {
	int		 family;
	uint32_t	 ifindex;
	nl_addr_cb	 cb;
	void		*arg;
};

static int
addr_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[IFA_MAX + 1], *at;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct addr_dump *d = arg;
	struct nl_addr a;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    nl_attrs(nlh, sizeof(*ifa), tb, IFA_MAX) < 0)
		return -EBADMSG;
	if ((d->family != AF_UNSPEC && ifa->ifa_family != d->family) ||
	    (d->ifindex != 0 && ifa->ifa_index != d->ifindex) ||
	    nl_addr_len(ifa->ifa_family) == 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.ifindex = ifa->ifa_index;
	a.family = ifa->ifa_family;
	a.prefixlen = ifa->ifa_prefixlen;
	a.scope = ifa->ifa_scope;
	a.flags = tb[IFA_FLAGS] ? nl_attr_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	a.proto = nl_attr_u8(tb[IFA_PROTO]);
	/* IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on
	 * point-to-point links and the only one for IPv6. */
	at = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!nl_attr_addr(at, a.family, &a.addr))
		return 0;
	return d->cb(&a, d->arg);
}

int
nl_addr_dump(struct nl *nl, int family, uint32_t ifindex, nl_addr_cb cb,
    void *arg)
{
	char buf[NL_REQ_SIZE];
	struct addr_dump d = { family, ifindex, cb, arg };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_index = ifindex;	/* filtered in the kernel (strict) */
	return nl_talk(nl, nlh, addr_dump_cb, &d);
}
