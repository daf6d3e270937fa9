/* SPDX-License-Identifier: ISC */
#ifndef EDGE_TUNNEL_H
#define EDGE_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#include "nl.h"
#include "prefix.h"
#include "wg.h"

/* Every route, rule and address edge-tunnel makes carries this mark
 * (edgekit(7), "Ownership"); its nftables table is TUNNEL_NFT_PREFIX NAME. */
#define TUNNEL_PROTO		201
#define TUNNEL_NFT_PREFIX	"edgekit_"
#define TUNNEL_STATE_DIR	"/run/edgekit"
#define TUNNEL_VXLAN_PORT	4789
#define TUNNEL_AUTO_TABLE	51820

enum tunnel_table { TABLE_AUTO, TABLE_OFF, TABLE_NUM };

struct tunnel_peer_extra {
	char		*host;		/* Endpoint name when not numeric */
	char		*port;		/* its port, as written */
	bool		 has_table;	/* per-peer Table = */
	enum tunnel_table table_mode;
	uint32_t	 table;
	unsigned int	 line;		/* the [Peer] header */
};

struct tunnel_route {
	struct prefix	dst;
	uint8_t		gw_family;	/* 0: none */
	union edge_addr	gw;
	uint32_t	table;		/* 0: main */
	uint32_t	metric;
	unsigned int	line;
};

struct tunnel_masq {
	struct prefix	src;
	char		oif[IFNAMSIZ];	/* "" any */
	unsigned int	line;
};

struct tunnel_fwd {
	uint8_t		l4proto;	/* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t	port;
	uint8_t		family;
	union edge_addr	addr;
	uint16_t	to_port;	/* 0: same */
	unsigned int	line;
};

struct tunnel_block {
	struct prefix	from, to;
	unsigned int	line;
};

struct tunnel_wire {
	char		name[IFNAMSIZ];
	uint32_t	vni;
	uint8_t		family;
	union edge_addr	local, remote;
	uint16_t	port;
	char		bridge[IFNAMSIZ];	/* "" none */
	uint32_t	mtu;		/* 0: computed */
	bool		no_csum;
	unsigned int	line;
};

struct tunnel_bridge {
	char		name[IFNAMSIZ];
	bool		stp;
	uint32_t	forward_delay;	/* centiseconds; 0 kernel default */
	uint32_t	max_age;	/* centiseconds; 0 kernel default */
	uint32_t	mtu;		/* 0: from its ports */
	struct prefix	*addrs;		/* host bits kept */
	size_t		naddrs;
	unsigned int	line;
};

struct tunnel_conf {
	char			 name[IFNAMSIZ];
	char			*path;
	struct wg_device	 wg;		/* the wg(8) part */
	struct tunnel_peer_extra *px;		/* parallel to wg.peers */
	struct prefix		*addrs;		/* Address: host bits kept */
	size_t			 naddrs;
	uint32_t		 mtu;		/* 0: computed */
	enum tunnel_table	 table_mode;
	uint32_t		 table;
	char			**dns;
	size_t			 ndns;
	char			**hooks[4];	/* PreUp PostUp PreDown PostDown */
	size_t			 nhooks[4];
	bool			 save_config;
	/* ReturnMark: connections that come in through the tunnel are
	 * marked with it (conntrack) and their replies routed back through
	 * the tunnel by a rule fwmark MARK -> table MARK.  0: none. */
	uint32_t		 return_mark;
	unsigned int		 return_mark_line;
	struct nl_rule		*rules;
	unsigned int		*rule_line;
	size_t			 nrules;
	struct tunnel_route	*routes;
	size_t			 nroutes;
	struct tunnel_masq	*masq;
	size_t			 nmasq;
	struct tunnel_fwd	*fwd;
	size_t			 nfwd;
	struct tunnel_block	*block;
	size_t			 nblock;
	struct tunnel_wire	*wires;
	size_t			 nwires;
	struct tunnel_bridge	*bridges;
	size_t			 nbridges;
	/* Not read: the fwmark of Table = auto's own table, 0 when there is
	 * none; set by the plan, used for the nftables table. */
	uint32_t		 auto_fwmark;
};

enum { HOOK_PREUP, HOOK_POSTUP, HOOK_PREDOWN, HOOK_POSTDOWN };

/* config.c */
/* The path for NAME or PATH (name: /etc/edgekit, then /etc/wireguard).
 * Writes the interface name into ifname.  0 or -1 with err set. */
int	tunnel_conf_path(const char *arg, char *path, size_t pathlen,
	    char ifname[IFNAMSIZ], char *err, size_t errlen);
/* Refuse files readable or writable by group or others. */
int	tunnel_check_mode(const char *path, char *err, size_t errlen);
int	tunnel_conf_load(struct tunnel_conf *tc, const char *path,
	    const char *ifname, char *err, size_t errlen);
/* From memory (fuzzing, tests): no permission check, no key files. */
int	tunnel_conf_parse(struct tunnel_conf *tc, const char *name,
	    const char *ifname, const char *data, size_t len, char *err,
	    size_t errlen);
void	tunnel_conf_free(struct tunnel_conf *tc);
/* MTU overheads of what runs over the tunnel. */
uint32_t tunnel_vxlan_overhead(uint8_t family);

/* resolve.c: resolve every Endpoint name of tc into its wg peers (c-ares).
 * only: when not NULL, resolve just the peers whose flag is set.  Returns
 * the number of names that failed; err names the first. */
int	tunnel_resolve(struct tunnel_conf *tc, const bool *only, char *err,
	    size_t errlen);

/* plan.c */
struct tunnel_opts {
	bool	dry_run;	/* -n */
	bool	quiet;
	int	verbose;
};

enum tunnel_verb { VERB_UP, VERB_DOWN, VERB_SYNC, VERB_DIFF, VERB_SAVE };

/* Compute what to change and (unless diff or dry run) do it.  Prints the
 * plan on stdout for diff and -n.  Returns the number of changes (diff:
 * drift found), or -1 when something failed (messages already printed). */
int	tunnel_run(struct tunnel_conf *tc, enum tunnel_verb verb,
	    const struct tunnel_opts *o);

/* nat.c: the nftables table of the interface. */
struct tunnel_nat;
/* Whether the live table matches the config: 1 yes, 0 no (and present
 * says whether the table exists), -errno on failure. */
int	tunnel_nat_check(const struct tunnel_conf *tc, bool *present);
/* Replace the table with the config's in one transaction (or delete it
 * when the config has no NAT).  0 or -errno, err set. */
int	tunnel_nat_apply(const struct tunnel_conf *tc, char *err, size_t errlen);
int	tunnel_nat_delete(const char *ifname);
/* A text form of the desired ruleset, for plans. */
void	tunnel_nat_describe(const struct tunnel_conf *tc, char *buf, size_t len);

/* dns.c: DNS = through resolvconf(8), as wg-quick. */
/* The nameserver and search lines the file asks for ("" for none). */
void	tunnel_dns_text(const struct tunnel_conf *tc, char *buf, size_t len);
/* What resolvconf holds for the interface, the same lines: 1 with buf
 * filled ("" when nothing), 0 when it cannot be read back. */
int	tunnel_dns_read(const char *ifname, char *buf, size_t len);
/* resolvconf -a / -d.  0 or -errno (-EIO: it failed), err set. */
int	tunnel_dns_set(const struct tunnel_conf *tc, char *err, size_t errlen);
int	tunnel_dns_unset(const char *ifname, char *err, size_t errlen);

/* save.c: write the live interface back into its file (SaveConfig =
 * true, the save verb).  0 or -errno, err set. */
int	tunnel_save(const struct tunnel_conf *tc, char *err, size_t errlen);

/* offload.c: turn checksum offload off on a link.  0 or -errno. */
int	tunnel_offload_csum_off(const char *ifname);
/* Turn it back on (what the link's hardware features allow).  0 or -errno. */
int	tunnel_offload_csum_on(const char *ifname);
/* Whether it is on: 1 yes, 0 no, -errno. */
int	tunnel_offload_csum_get(const char *ifname);

/* show.c */
int	tunnel_show(const char *ifname, bool script, bool keys);
int	tunnel_strip(const struct tunnel_conf *tc);
int	tunnel_reresolve(struct tunnel_conf *tc, const struct tunnel_opts *o);

#endif
