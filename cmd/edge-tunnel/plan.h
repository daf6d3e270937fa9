/* SPDX-License-Identifier: ISC */
#ifndef EDGE_TUNNEL_PLAN_H
#define EDGE_TUNNEL_PLAN_H

/*
 * The plan shared by plan.c (what differs), links.c (wires and bridges)
 * and apply.c (carrying it out).
 */
#include "tunnel.h"

enum act_type {
	A_HOOK, A_WG_CREATE, A_WG_SET, A_LINK_ADD, A_LINK_DEL, A_LINK_MTU,
	A_LINK_UP, A_LINK_MASTER, A_BRIDGE_SET, A_ADDR_ADD, A_ADDR_DEL,
	A_ROUTE_ADD, A_ROUTE_DEL, A_RULE_ADD, A_RULE_DEL, A_NAT_APPLY,
	A_NAT_DEL, A_SYSCTL, A_STATE_DEL, A_BRIDGE_MAXAGE,
	A_CSUM_OFF, A_DNS_SET, A_DNS_DEL, A_SAVE, A_CSUM_ON
};

struct act {
	enum act_type	 type;
	char		 ifname[IFNAMSIZ];	/* the link acted on */
	char		 other[IFNAMSIZ];	/* master; route/rule oif */
	char		*desc;
	union {
		struct nl_addr	 addr;
		struct nl_route	 route;
		struct nl_rule	 rule;
		struct nl_link_info li;
		uint32_t	 mtu;
		struct { bool stp; uint32_t fd; } br;
		struct wg_device *wg;
		const char	*hook;
		struct { const char *path, *value; } sysctl;
	} u;
	char		 sysctl_path[128];	/* a per-link sysctl */
	int		 err;		/* a batched step's failure, -errno */
	bool		 done;
};

struct plan {
	struct act	*v;
	size_t		 n, cap;
	bool		 failed;	/* building the plan failed */
};

/* One link as seen in a dump: what the plan needs. */
struct live_link {
	struct nl_link	 l;
};

struct live {
	struct live_link *links;
	size_t		 nlinks;
	struct nl_route	*routes;	/* protocol 201 only */
	size_t		 nroutes;
	struct nl_rule	*rules;		/* protocol 201 only */
	size_t		 nrules;
	char		**owned;	/* state file lines */
	size_t		 nowned;
};

struct want {
	struct nl_route	*routes;
	char		(*route_oif)[IFNAMSIZ];
	size_t		 nroutes;
	struct nl_rule	*rules;
	size_t		 nrules;
	uint32_t	 fwmark;	/* effective */
	uint32_t	 auto_table;	/* 0: none */
	uint32_t	 mtu;
};

struct act	*tunnel_plan_add(struct plan *p, enum act_type type,
		    const char *ifname, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
const struct nl_link *tunnel_live_link(const struct live *lv, const char *name);
bool	tunnel_owned(const struct live *lv, const char *key);
void	tunnel_route_key(const struct nl_route *r, const char *oif, char *buf,
	    size_t len);
void	tunnel_rule_key(const struct nl_rule *r, bool with_prio, char *buf,
	    size_t len);
void	tunnel_state_path(const char *ifname, char *buf, size_t len);
void	tunnel_plan_addrs(struct plan *pl, struct nl *nl, const char *ifname,
	    const struct nl_link *l, const struct prefix *want, size_t nwant);

/* links.c */
void	tunnel_plan_links(struct plan *pl, struct nl *nl,
	    const struct tunnel_conf *tc, const struct live *lv, uint32_t tmtu,
	    bool down);
int	tunnel_check_stack_mtu(const struct tunnel_conf *tc,
	    const struct live *lv, uint32_t tmtu);

/* apply.c */
int	tunnel_apply_one(struct nl *nl, const struct tunnel_conf *tc,
	    struct act *a, char *err, size_t errlen);
/* Addresses, routes and rules go to the kernel in batches: a run of them
 * in the plan is one netlink batch (many messages per sendmsg, every
 * reply read).  Those that succeed are marked done; a failed one gets its
 * -errno in err.  Returns the number that failed, or -errno when the
 * transport failed (then every step counts as possibly done). */
bool	tunnel_batchable(enum act_type t);
int	tunnel_apply_batch(struct nl *nl, struct act *v, size_t n);
void	tunnel_undo_one(struct nl *nl, const struct tunnel_conf *tc,
	    struct act *a);
/* Write the state file: what the tunnel owned before this run and still
 * wants, and what this run made (the plan's done steps). */
int	tunnel_state_write(const struct tunnel_conf *tc, const struct want *w,
	    const struct live *lv, const struct plan *pl);

#endif
