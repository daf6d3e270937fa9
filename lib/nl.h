/* SPDX-License-Identifier: ISC */
#ifndef EDGE_NL_H
#define EDGE_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <linux/netlink.h>

#include "prefix.h"

/*
 * rtnetlink (and a little generic netlink) over libmnl.
 *
 * Every function returns 0 or a negative errno; nothing prints.  Requests
 * go through a batch: many messages per sendmsg(2), every reply read, and
 * each failure handed back with the index of the request that caused it, so
 * no error is ever lost.  The one-shot helpers (nl_route_add() ...) send
 * one message and read its ACK.
 */

struct mnl_socket;

struct nl {
	struct mnl_socket	*sock;
	uint32_t		 portid;
	uint32_t		 seq;
	char			*buf;		/* receive buffer */
	size_t			 bufsz;
	char			 errmsg[256];	/* last extack message, or "" */
};

/* bus: NETLINK_ROUTE or NETLINK_GENERIC.  Enables strict dump checking,
 * extended and capped acks where the kernel has them, and raises the
 * socket buffers (SO_RCVBUFFORCE when permitted).  Every request resets
 * errmsg and fills it from the kernel's extended ack on failure.  One
 * struct nl serves one thread; nl_close() frees what nl_open() made. */
int	nl_open(struct nl *nl, int bus);
void	nl_close(struct nl *nl);

/*
 * Batches.  Messages are appended with nl_batch_msg() (or the nl_*_msg()
 * builders below) and sent by nl_batch_commit() in chunks of many messages
 * per sendmsg.  Only the last message of a chunk asks for an ACK; the
 * kernel handles a chunk in order, so when that ACK is read every error of
 * the chunk has been read too.  The receive buffer is raised so that error
 * replies are not dropped; if the kernel still reports an overrun the
 * commit fails with -ENOBUFS rather than pretend success.
 *
 * A batch keeps every message in one buffer until the commit (a route is
 * 60-100 bytes; a million take about 100 MB): to bound memory, commit
 * every 100,000 messages or so.  No allocation happens per message.
 */
struct nl_batch;

/* Called once per failed request: idx counts from 0 in the order the
 * messages were added; err is a negative errno; msg the kernel's extack
 * text or NULL. */
typedef void (*nl_err_cb)(void *arg, size_t idx, int err, const char *msg);

struct nl_batch	*nl_batch_new(struct nl *nl);	/* NULL and errno on failure */
void		 nl_batch_free(struct nl_batch *b);
size_t		 nl_batch_count(const struct nl_batch *b);
/* Room guaranteed in a message returned by nl_batch_msg(), header
 * included; libmnl's put functions do not check it. */
#define NL_MSG_MAX	16384

/* A new message with NLM_F_REQUEST|flags; the caller adds the family header
 * and attributes with libmnl.  The pointer is valid until the next call on
 * the batch.  Sequence numbers are given out at commit and NLM_F_ACK is
 * decided there too (a caller's NLM_F_ACK is ignored).  For requests that
 * are answered with an ACK (new/set/delete), never dumps.  NULL and errno
 * ENOMEM when out of memory. */
struct nlmsghdr	*nl_batch_msg(struct nl_batch *b, uint16_t type, uint16_t flags);
/* Drop the message last returned by nl_batch_msg() (a builder that gave up
 * half-way).  The nl_*_msg() builders do this themselves on failure. */
void		 nl_batch_undo(struct nl_batch *b);
/* Send and read everything.  Returns the number of failed requests (0 when
 * all succeeded) or a negative errno when the transport failed (-ENOBUFS:
 * the kernel dropped replies, so some outcomes are unknown); chunks sent
 * before a transport failure may have been applied.  The batch is empty
 * afterwards and can be reused.  cb may be NULL (count only).  cb must not
 * use the same struct nl. */
int		 nl_batch_commit(struct nl_batch *b, nl_err_cb cb, void *arg);

/* Interface index by name: > 0, or -ENODEV (or another negative errno
 * when the request itself failed). */
int	nl_ifindex(struct nl *nl, const char *name);

/* ---- links ---- */

struct nl_link {
	uint32_t	ifindex;
	char		name[IFNAMSIZ];
	char		kind[16];	/* "" when the kernel gives none */
	uint32_t	mtu;
	uint32_t	master;		/* 0: none */
	uint32_t	flags;		/* IFF_UP, IFF_LOWER_UP, ... */
	uint8_t		operstate;	/* IF_OPER_* */
	uint32_t	link;		/* lower device (IFLA_LINK, or a
					 * vxlan's IFLA_VXLAN_LINK), 0 none */
	/* Kind-specific, filled by dumps where the kernel reports them. */
	struct {
		uint32_t	id;
		uint8_t		family;		/* of local/remote, 0 none */
		union edge_addr	local, remote;
		uint16_t	port;		/* host order */
		/* UDP checksums: IFLA_VXLAN_UDP_CSUM (IPv4, sent when
		 * set) and IFLA_VXLAN_UDP_ZERO_CSUM6_TX/_RX (IPv6, zero
		 * checksums sent / accepted when set). */
		bool		udp_csum;
		bool		zero_csum6_tx, zero_csum6_rx;
	} vxlan;
	struct {
		uint32_t	stp_state;
		uint32_t	forward_delay;	/* centiseconds */
		uint32_t	max_age;	/* centiseconds */
	} bridge;
};

/* What to create. */
struct nl_link_info {
	const char	*kind;		/* "vxlan", "bridge", "veth", "wireguard" */
	uint32_t	 mtu;		/* 0: kernel default */
	union {
		struct {
			uint32_t	id;		/* VNI */
			uint8_t		family;
			union edge_addr	local, remote;
			uint16_t	port;		/* host order; 0: 4789 */
			uint32_t	dev;		/* lower ifindex, 0 none */
			uint8_t		ttl;
			bool		no_udp_csum;	/* clear UDP(6) checksums */
			bool		learning;
		} vxlan;
		struct {
			bool		stp;
			uint32_t	forward_delay;	/* centiseconds, 0: default */
			uint32_t	max_age;	/* centiseconds, 0: default */
		} bridge;
		struct {
			const char	*peer;		/* the other end's name */
		} veth;
	} u;
};

typedef int (*nl_link_cb)(const struct nl_link *l, void *arg);

int	nl_link_get(struct nl *nl, const char *name, struct nl_link *out);
int	nl_link_dump(struct nl *nl, nl_link_cb cb, void *arg);
/* NLM_F_CREATE|NLM_F_EXCL: -EEXIST when the name is taken.  Kinds other
 * than those above are created with no kind-specific data; a veth's mtu
 * applies to both ends.  vxlan: IFLA_VXLAN_LEARNING is always sent (false
 * means nolearning); no_udp_csum false turns IPv4 UDP checksums on. */
int	nl_link_add(struct nl *nl, const char *name, const struct nl_link_info *li);
int	nl_link_del(struct nl *nl, uint32_t ifindex);
int	nl_link_set_up(struct nl *nl, uint32_t ifindex, bool up);
int	nl_link_set_mtu(struct nl *nl, uint32_t ifindex, uint32_t mtu);
/* master 0 removes the link from its bridge. */
int	nl_link_set_master(struct nl *nl, uint32_t ifindex, uint32_t master);
/* Bridge settings on an existing bridge. */
int	nl_bridge_set(struct nl *nl, uint32_t ifindex, bool stp,
	    uint32_t forward_delay);
/* STP's max age (centiseconds; the kernel takes 6 to 40 s): how long a
 * port keeps the last BPDU it heard, so how soon a silent path is given
 * up. */
int	nl_bridge_set_max_age(struct nl *nl, uint32_t ifindex,
	    uint32_t max_age);

/* ---- addresses ---- */

struct nl_addr {
	uint32_t	ifindex;
	uint8_t		family;
	uint8_t		prefixlen;
	uint8_t		scope;		/* RT_SCOPE_* */
	uint8_t		proto;		/* IFA_PROTO: owner mark, 0 none */
	uint32_t	flags;		/* IFA_F_NODAD, IFA_F_PERMANENT, ... */
	union edge_addr	addr;		/* the address itself, host bits kept */
};

typedef int (*nl_addr_cb)(const struct nl_addr *a, void *arg);

int	nl_addr_msg(struct nl_batch *b, uint16_t cmd, uint16_t flags,
	    const struct nl_addr *a);
/* NLM_F_CREATE|NLM_F_EXCL: -EEXIST when present.  IFA_PROTO is sent when
 * proto is set (kernels before 6.1 ignore it). */
int	nl_addr_add(struct nl *nl, const struct nl_addr *a);
int	nl_addr_del(struct nl *nl, const struct nl_addr *a);
/* family AF_UNSPEC for all; ifindex 0 for all links. */
int	nl_addr_dump(struct nl *nl, int family, uint32_t ifindex,
	    nl_addr_cb cb, void *arg);

/* ---- routes ---- */

struct nl_nexthop {
	uint32_t	ifindex;	/* 0: none */
	uint8_t		gw_family;	/* 0: no gateway */
	uint16_t	weight;		/* 1..256; 0 means 1 */
	union edge_addr	gw;
};

#define NL_MAX_NEXTHOPS	32

struct nl_route {
	struct prefix	dst;		/* family and destination */
	uint32_t	table;		/* RTA_TABLE; 0 means main (254) */
	uint8_t		protocol;	/* RTPROT_*: owner mark */
	uint8_t		type;		/* RTN_*; 0 means RTN_UNICAST (on
					 * delete: any type) */
	uint8_t		scope;		/* RT_SCOPE_*; 0 universe (on delete:
					 * any scope).  Sent as given: ip(8)
					 * would pick link for a device-only
					 * IPv4 route; set that here if
					 * other routes' gateways must
					 * resolve through this one. */
	uint32_t	priority;	/* metric */
	uint32_t	oif;		/* single next hop: device, 0 none */
	uint8_t		gw_family;	/* 0: no gateway; AF_INET6 under an
					 * IPv4 dst is sent as RTA_VIA */
	union edge_addr	gw;
	uint8_t		prefsrc_family;	/* 0: none */
	union edge_addr	prefsrc;
	uint32_t	mtu;		/* RTAX_MTU, 0 none */
	uint16_t	nnh;		/* > 0: multipath, nh[] used instead */
	struct nl_nexthop nh[NL_MAX_NEXTHOPS];
};

/* Returning non-zero from a dump callback stops the calls (the rest of the
 * dump is still read off the socket); that value is returned by the dump
 * function.  This holds for every *_dump() here.  Dump callbacks must not
 * use the same struct nl (it is reading); building a batch is fine.
 *
 * Every dump returns -EINTR when the kernel flagged it as interrupted by a
 * concurrent change (NLM_F_DUMP_INTR): the callback may have seen a
 * partial or inconsistent view; start over. */
typedef int (*nl_route_cb)(const struct nl_route *r, void *arg);

/* cmd RTM_NEWROUTE or RTM_DELROUTE; flags such as NLM_F_CREATE|NLM_F_EXCL
 * or NLM_F_CREATE|NLM_F_REPLACE. */
int	nl_route_msg(struct nl_batch *b, uint16_t cmd, uint16_t flags,
	    const struct nl_route *r);
/* replace false: NLM_F_CREATE|NLM_F_EXCL (-EEXIST when present); true:
 * NLM_F_CREATE|NLM_F_REPLACE.  Deleting with protocol set removes only a
 * route carrying that mark (-ESRCH otherwise). */
int	nl_route_add(struct nl *nl, const struct nl_route *r, bool replace);
int	nl_route_del(struct nl *nl, const struct nl_route *r);
/* family AF_UNSPEC for both; table 0 for all; protocol 0 for all.  Table
 * and protocol are filtered in the kernel (strict checking) and again
 * here; a table that does not exist yet gives no routes, not an error.
 * Kernel-made local/broadcast routes are passed on like any other (callers
 * filter by protocol); cached clones (exceptions) are not dumped.  A route
 * with more than NL_MAX_NEXTHOPS next hops ends the dump with -EOVERFLOW.
 * The struct passed to cb is reused: copy what you keep. */
int	nl_route_dump(struct nl *nl, int family, uint32_t table,
	    uint8_t protocol, nl_route_cb cb, void *arg);

/* ---- policy rules ---- */

struct nl_rule {
	uint8_t		family;
	uint8_t		protocol;	/* FRA_PROTOCOL: owner mark */
	uint8_t		action;		/* FR_ACT_*; 0 means FR_ACT_TO_TBL */
	bool		invert;		/* "not" */
	struct prefix	src, dst;	/* len 0 with family 0: any */
	uint32_t	table;
	uint32_t	priority;	/* 0: kernel chooses */
	bool		has_fwmark;
	uint32_t	fwmark, fwmask;	/* fwmask 0 means 0xffffffff */
	char		iif[IFNAMSIZ], oif[IFNAMSIZ];
	int		suppress_prefixlen;	/* -1: none */
};

typedef int (*nl_rule_cb)(const struct nl_rule *r, void *arg);

/* Set the fields that mean "none" (suppress_prefixlen = -1). */
void	nl_rule_init(struct nl_rule *r, int family);
int	nl_rule_msg(struct nl_batch *b, uint16_t cmd, uint16_t flags,
	    const struct nl_rule *r);
/* NLM_F_CREATE|NLM_F_EXCL: -EEXIST for an identical rule.  Deleting
 * matches on every field set, protocol included. */
int	nl_rule_add(struct nl *nl, const struct nl_rule *r);
int	nl_rule_del(struct nl *nl, const struct nl_rule *r);
int	nl_rule_dump(struct nl *nl, int family, nl_rule_cb cb, void *arg);

/* ---- generic netlink ---- */

/* Resolve a generic netlink family's id (nl opened on NETLINK_GENERIC). */
int	nl_genl_family(struct nl *nl, const char *name, uint16_t *id);

#endif
