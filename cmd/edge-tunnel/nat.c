// SPDX-License-Identifier: ISC
/*
 * Masquerade, Forward and Block live in one nftables table per interface,
 * "inet edgekit_NAME", which edge-tunnel owns: it is replaced as a whole in
 * one transaction (begin, delete, add table, chains, rules, end; one send,
 * every reply read), so the kernel never sees half of it.  Whether the live
 * table matches the file is decided by comparing chains and each rule's
 * expressions as libnftnl prints them, so changes made by hand with nft(8)
 * show up as drift.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/select.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#include "log.h"
#include "tunnel.h"

#define MNL_SOCKET_DUMP_SIZE_	32768
#define MNL_SOCKET_BUFFER_SIZE_	8192

struct chain_def {
	const char	*name;
	const char	*type;
	uint32_t	 hook;
	int32_t		 prio;
};

/* In creation order, which is also the order the kernel lists them in. */
#define NCHAINS	7
static const struct chain_def chains[NCHAINS] = {
	{ "prerouting", "nat", NF_INET_PRE_ROUTING, -100 },
	{ "postrouting", "nat", NF_INET_POST_ROUTING, 100 },
	{ "forward", "filter", NF_INET_FORWARD, 0 },
	/* Table = auto with a default route, as wg-quick: */
	{ "preraw", "filter", NF_INET_PRE_ROUTING, -300 },
	{ "premangle", "filter", NF_INET_PRE_ROUTING, -150 },
	{ "postmangle", "filter", NF_INET_POST_ROUTING, -150 },
	/* ReturnMark: the host's own replies are routed again when marked. */
	{ "outmangle", "route", NF_INET_LOCAL_OUT, -150 },
};

/* Whether the interface needs its table at all. */
static bool
nat_wanted(const struct tunnel_conf *tc)
{
	return tc->nmasq + tc->nfwd + tc->nblock > 0 || tc->auto_fwmark != 0 ||
	    tc->return_mark != 0;
}

static bool
default_route(const struct tunnel_conf *tc, int family)
{
	size_t i, j;

	for (i = 0; i < tc->wg.npeers; i++)
		for (j = 0; j < tc->wg.peers[i].nallowedips; j++)
			if (tc->wg.peers[i].allowedips[j].family == family &&
			    tc->wg.peers[i].allowedips[j].len == 0)
				return true;
	return false;
}

static void
table_name(const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", TUNNEL_NFT_PREFIX, ifname);
}

/* ---- building rules ---- */

static void
add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	nftnl_rule_add_expr(r, e);
}

static void
e_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	add_expr(r, e);
}

static void
e_cmp(struct nftnl_rule *r, uint32_t sreg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	add_expr(r, e);
}

static void
e_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
    uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	add_expr(r, e);
}

static void
e_cmp_neq(struct nftnl_rule *r, uint32_t sreg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_NEQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	add_expr(r, e);
}

static void
e_family(struct nftnl_rule *r, uint8_t family)
{
	uint8_t nfproto = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;

	e_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	e_cmp(r, NFT_REG_1, &nfproto, 1);
}

/* Match the source or destination address against a prefix. */
static void
e_prefix(struct nftnl_rule *r, const struct prefix *p, bool src)
{
	uint32_t alen = p->family == AF_INET ? 4 : 16;
	uint32_t off = p->family == AF_INET ? (src ? 12 : 16) :
	    (src ? 8 : 24);
	uint8_t mask[16], zero[16];
	unsigned int i;

	if (p->len == 0)
		return;
	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, alen, NFT_REG_1);
	if (p->len < alen * 8) {
		struct nftnl_expr *e = nftnl_expr_alloc("bitwise");

		memset(mask, 0, sizeof(mask));
		memset(zero, 0, sizeof(zero));
		for (i = 0; i < p->len; i++)
			mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, alen);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, alen);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, alen);
		add_expr(r, e);
	}
	e_cmp(r, NFT_REG_1, &p->addr, alen);
}

static struct nftnl_rule *
new_rule(const char *table, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r == NULL)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	return r;
}

struct ruleset {
	struct nftnl_rule	*r[1024];
	const char		*chain[1024];
	size_t			 n;
	bool			 used[NCHAINS];
};

static void
ruleset_free(struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		nftnl_rule_free(rs->r[i]);
	rs->n = 0;
}

static int
push(struct ruleset *rs, struct nftnl_rule *r, int chain)
{
	if (r == NULL || rs->n == sizeof(rs->r) / sizeof(rs->r[0])) {
		if (r != NULL)
			nftnl_rule_free(r);
		return -ENOMEM;
	}
	rs->chain[rs->n] = chains[chain].name;
	rs->r[rs->n++] = r;
	rs->used[chain] = true;
	return 0;
}

/*
 * wg-quick's rules for a default route through the tunnel: packets for
 * the tunnel's addresses arriving elsewhere from non-local sources are
 * dropped (no spoofing into the tunnel), and the tunnel's own UDP keeps
 * its fwmark in conntrack, so that replies pass reverse-path filtering
 * with src_valid_mark.
 */
static int
add_auto(const struct tunnel_conf *tc, const char *table, struct ruleset *rs)
{
	struct nftnl_rule *r;
	struct nftnl_expr *e;
	char name[IFNAMSIZ];
	uint32_t local = RTN_LOCAL, mark = tc->auto_fwmark;
	uint8_t udp = IPPROTO_UDP;
	size_t i;

	memset(name, 0, sizeof(name));
	strlcpy(name, tc->name, sizeof(name));
	for (i = 0; i < tc->naddrs; i++) {
		const struct prefix *a = &tc->addrs[i];

		if (!default_route(tc, a->family))
			continue;
		if ((r = new_rule(table, "preraw")) == NULL)
			return -ENOMEM;
		e_family(r, a->family);
		e_meta(r, NFT_META_IIFNAME, NFT_REG_1);
		e_cmp_neq(r, NFT_REG_1, name, sizeof(name));
		e_payload(r, NFT_PAYLOAD_NETWORK_HEADER,
		    a->family == AF_INET ? 16 : 24,
		    a->family == AF_INET ? 4 : 16, NFT_REG_1);
		e_cmp(r, NFT_REG_1, &a->addr, a->family == AF_INET ? 4 : 16);
		e = nftnl_expr_alloc("fib");
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_SADDR);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT,
		    NFT_FIB_RESULT_ADDRTYPE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
		add_expr(r, e);
		e_cmp_neq(r, NFT_REG_1, &local, 4);
		e = nftnl_expr_alloc("immediate");
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
		add_expr(r, e);
		if (push(rs, r, 3) < 0)
			return -ENOMEM;
	}
	/* premangle: meta l4proto udp meta mark set ct mark */
	if ((r = new_rule(table, "premangle")) == NULL)
		return -ENOMEM;
	e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	e_cmp(r, NFT_REG_1, &udp, 1);
	e = nftnl_expr_alloc("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	add_expr(r, e);
	e = nftnl_expr_alloc("meta");
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
	add_expr(r, e);
	if (push(rs, r, 4) < 0)
		return -ENOMEM;
	/* postmangle: meta l4proto udp mark MARK ct mark set mark */
	if ((r = new_rule(table, "postmangle")) == NULL)
		return -ENOMEM;
	e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	e_cmp(r, NFT_REG_1, &udp, 1);
	e_meta(r, NFT_META_MARK, NFT_REG_1);
	e_cmp(r, NFT_REG_1, &mark, 4);
	e_meta(r, NFT_META_MARK, NFT_REG_1);
	e = nftnl_expr_alloc("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	add_expr(r, e);
	if (push(rs, r, 5) < 0)
		return -ENOMEM;
	return 0;
}

/* "ct direction reply ct mark MARK meta mark set MARK" */
static struct nftnl_rule *
mark_reply(const char *table, const char *chain, uint32_t mark)
{
	struct nftnl_rule *r;
	struct nftnl_expr *e;
	uint8_t reply = IP_CT_DIR_REPLY;

	if ((r = new_rule(table, chain)) == NULL)
		return NULL;
	e = nftnl_expr_alloc("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_DIRECTION);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	add_expr(r, e);
	e_cmp(r, NFT_REG_1, &reply, 1);
	e = nftnl_expr_alloc("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	add_expr(r, e);
	e_cmp(r, NFT_REG_1, &mark, 4);
	e = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &mark, 4);
	add_expr(r, e);
	e = nftnl_expr_alloc("meta");
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
	add_expr(r, e);
	return r;
}

/*
 * ReturnMark: a connection that comes in through the tunnel (a port
 * forwarded by an endpoint node, with the client's own address) is marked
 * in conntrack; packets of its reply direction get the mark as their
 * packet mark before routing, and the rule fwmark MARK sends them back
 * through the tunnel they came from, whatever the main table says.  With
 * several endpoint nodes, each tunnel has its own mark, so each client's
 * replies leave through the node it used.
 */
static int
add_return(const struct tunnel_conf *tc, const char *table, struct ruleset *rs)
{
	struct nftnl_rule *r;
	struct nftnl_expr *e;
	char name[IFNAMSIZ];
	uint32_t mark = tc->return_mark, isnew = NF_CT_STATE_BIT(IP_CT_NEW);
	uint32_t zero = 0;

	/* premangle: iifname NAME ct state new ct mark set MARK */
	memset(name, 0, sizeof(name));
	strlcpy(name, tc->name, sizeof(name));
	if ((r = new_rule(table, "premangle")) == NULL)
		return -ENOMEM;
	e_meta(r, NFT_META_IIFNAME, NFT_REG_1);
	e_cmp(r, NFT_REG_1, name, sizeof(name));
	e = nftnl_expr_alloc("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	add_expr(r, e);
	e = nftnl_expr_alloc("bitwise");
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &isnew, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	add_expr(r, e);
	e_cmp_neq(r, NFT_REG_1, &zero, 4);
	e = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &mark, 4);
	add_expr(r, e);
	e = nftnl_expr_alloc("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	add_expr(r, e);
	if (push(rs, r, 4) < 0)
		return -ENOMEM;
	/* premangle and outmangle: the replies, forwarded and local. */
	if (push(rs, mark_reply(table, "premangle", mark), 4) < 0 ||
	    push(rs, mark_reply(table, "outmangle", mark), 6) < 0)
		return -ENOMEM;
	return 0;
}

static int
build_ruleset(const struct tunnel_conf *tc, struct ruleset *rs)
{
	char table[64];
	struct nftnl_rule *r;
	struct nftnl_expr *e;
	size_t i;
	int rc;

	memset(rs, 0, sizeof(*rs));
	table_name(tc->name, table, sizeof(table));
	for (i = 0; i < tc->nfwd; i++) {
		const struct tunnel_fwd *f = &tc->fwd[i];
		uint16_t port = htons(f->port);
		uint16_t to = htons(f->to_port ? f->to_port : f->port);
		uint32_t local = RTN_LOCAL;

		if ((r = new_rule(table, "prerouting")) == NULL)
			return -ENOMEM;
		e_family(r, f->family);
		/* Only traffic addressed to this host. */
		e = nftnl_expr_alloc("fib");
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT,
		    NFT_FIB_RESULT_ADDRTYPE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
		add_expr(r, e);
		e_cmp(r, NFT_REG_1, &local, 4);
		e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
		e_cmp(r, NFT_REG_1, &f->l4proto, 1);
		e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
		e_cmp(r, NFT_REG_1, &port, 2);
		e = nftnl_expr_alloc("immediate");
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
		nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &f->addr,
		    f->family == AF_INET ? 4 : 16);
		add_expr(r, e);
		e = nftnl_expr_alloc("immediate");
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_2);
		nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &to, 2);
		add_expr(r, e);
		e = nftnl_expr_alloc("nat");
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY,
		    f->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MAX, NFT_REG_2);
		/* As the kernel reports them back: compared in diff. */
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS,
		    NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
		add_expr(r, e);
		if (push(rs, r, 0) < 0)
			return -ENOMEM;
	}
	for (i = 0; i < tc->nmasq; i++) {
		const struct tunnel_masq *m = &tc->masq[i];

		if ((r = new_rule(table, "postrouting")) == NULL)
			return -ENOMEM;
		e_family(r, m->src.family);
		e_prefix(r, &m->src, true);
		if (m->oif[0] != '\0') {
			char name[IFNAMSIZ];

			memset(name, 0, sizeof(name));
			strlcpy(name, m->oif, sizeof(name));
			e_meta(r, NFT_META_OIFNAME, NFT_REG_1);
			e_cmp(r, NFT_REG_1, name, sizeof(name));
		}
		add_expr(r, nftnl_expr_alloc("masq"));
		if (push(rs, r, 1) < 0)
			return -ENOMEM;
	}
	for (i = 0; i < tc->nblock; i++) {
		const struct tunnel_block *b = &tc->block[i];

		if ((r = new_rule(table, "forward")) == NULL)
			return -ENOMEM;
		e_family(r, b->from.family);
		e_prefix(r, &b->from, true);
		e_prefix(r, &b->to, false);
		e = nftnl_expr_alloc("immediate");
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
		add_expr(r, e);
		if (push(rs, r, 2) < 0)
			return -ENOMEM;
	}
	if (tc->return_mark != 0 && (rc = add_return(tc, table, rs)) < 0)
		return rc;
	if (tc->auto_fwmark != 0)
		return add_auto(tc, table, rs);
	return 0;
}

/* The expressions of a rule as text: what is compared. */
static void
rule_text(const struct nftnl_rule *r, char *buf, size_t len)
{
	struct nftnl_expr_iter *it;
	struct nftnl_expr *e;
	size_t off = 0;
	int n;

	buf[0] = '\0';
	if ((it = nftnl_expr_iter_create(r)) == NULL)
		return;
	while ((e = nftnl_expr_iter_next(it)) != NULL && off + 2 < len) {
		off += (size_t)snprintf(buf + off, len - off, "[%s ",
		    nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
		if (off >= len)
			break;
		n = nftnl_expr_snprintf(buf + off, len - off, e,
		    NFTNL_OUTPUT_DEFAULT, 0);
		if (n < 0)
			break;
		off += (size_t)n;
		if (off + 2 >= len)
			break;
		off += (size_t)snprintf(buf + off, len - off, "]");
	}
	nftnl_expr_iter_destroy(it);
}

/* ---- talking to the kernel ---- */

struct dump {
	char		 text[65536];
	size_t		 len;
	const char	*table;
	int		 err;
};

static void
dump_append(struct dump *d, const char *s)
{
	size_t n = strlen(s);

	if (d->len + n + 1 >= sizeof(d->text)) {
		d->err = -E2BIG;
		return;
	}
	memcpy(d->text + d->len, s, n + 1);
	d->len += n;
}

static int
chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	char line[256];

	if (c == NULL || nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		nftnl_chain_free(c);
		return MNL_CB_OK;
	}
	if (strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), d->table) == 0) {
		snprintf(line, sizeof(line), "chain %s %s hook %u prio %d\n",
		    nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
		    nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE) ?
		    nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE) : "-",
		    nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) ?
		    nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) : 99,
		    nftnl_chain_is_set(c, NFTNL_CHAIN_PRIO) ?
		    nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) : 0);
		dump_append(d, line);
	}
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

static int
rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	char line[4096];
	int n;

	if (r == NULL || nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		nftnl_rule_free(r);
		return MNL_CB_OK;
	}
	if (strcmp(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), d->table) == 0) {
		n = snprintf(line, sizeof(line), "rule %s ",
		    nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
		rule_text(r, line + n, sizeof(line) - (size_t)n - 1);
		strlcat(line, "\n", sizeof(line));
		dump_append(d, line);
	}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

/* Run one request (a dump or a get) and feed every reply to cb. */
static int
nft_query(uint16_t type, uint16_t flags, const char *table, mnl_cb_t cb,
    void *data)
{
	struct mnl_socket *nl;
	char *buf;
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL), portid;
	ssize_t n;
	int rc;

	if ((buf = malloc(MNL_SOCKET_DUMP_SIZE_)) == NULL)
		return -ENOMEM;
	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		if (nl != NULL)
			mnl_socket_close(nl);
		free(buf);
		return rc;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET,
	    NLM_F_ACK | flags, seq);
	if (type == NFT_MSG_GETTABLE) {
		struct nftnl_table *t = nftnl_table_alloc();

		nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
		nftnl_table_nlmsg_build_payload(nlh, t);
		nftnl_table_free(t);
	} else if (type == NFT_MSG_GETRULE) {
		struct nftnl_rule *r = nftnl_rule_alloc();

		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
		nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nftnl_rule_free(r);
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	do {
		n = mnl_socket_recvfrom(nl, buf, MNL_SOCKET_DUMP_SIZE_);
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
	} while (rc > 0);
	rc = rc < 0 ? -errno : 0;
out:
	mnl_socket_close(nl);
	free(buf);
	return rc;
}

static int
table_exists(const char *table)
{
	int rc = nft_query(NFT_MSG_GETTABLE, 0, table, NULL, NULL);

	if (rc == 0)
		return 1;
	return rc == -ENOENT ? 0 : rc;
}

static int
live_text(const char *table, struct dump *d)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->table = table;
	if ((rc = nft_query(NFT_MSG_GETCHAIN, NLM_F_DUMP, table, chain_cb,
	    d)) < 0)
		return rc;
	if ((rc = nft_query(NFT_MSG_GETRULE, NLM_F_DUMP, table, rule_cb,
	    d)) < 0)
		return rc;
	return d->err;
}

static int
want_text(const struct tunnel_conf *tc, struct dump *d)
{
	struct ruleset rs;
	char line[4096];
	size_t i, c;
	int rc, n;

	memset(d, 0, sizeof(*d));
	if ((rc = build_ruleset(tc, &rs)) < 0) {
		ruleset_free(&rs);
		return rc;
	}
	/* Chains in the order the kernel lists them: creation order. */
	for (i = 0; i < NCHAINS; i++) {
		if (!rs.used[i])
			continue;
		snprintf(line, sizeof(line), "chain %s %s hook %u prio %d\n",
		    chains[i].name, chains[i].type, chains[i].hook,
		    chains[i].prio);
		dump_append(d, line);
	}
	/* Rules as the kernel lists them: chain by chain, each chain's in
	 * the order they were added. */
	for (c = 0; c < NCHAINS; c++)
		for (i = 0; i < rs.n; i++) {
			if (strcmp(rs.chain[i], chains[c].name) != 0)
				continue;
			n = snprintf(line, sizeof(line), "rule %s ",
			    rs.chain[i]);
			rule_text(rs.r[i], line + n, sizeof(line) -
			    (size_t)n - 1);
			strlcat(line, "\n", sizeof(line));
			dump_append(d, line);
		}
	ruleset_free(&rs);
	return d->err;
}

int
tunnel_nat_check(const struct tunnel_conf *tc, bool *present)
{
	static struct dump live, want;
	char table[64];
	int rc;

	table_name(tc->name, table, sizeof(table));
	if ((rc = table_exists(table)) < 0)
		return rc;
	*present = rc == 1;
	if (!nat_wanted(tc))
		return *present ? 0 : 1;
	if (!*present)
		return 0;
	if ((rc = live_text(table, &live)) < 0)
		return rc;
	if ((rc = want_text(tc, &want)) < 0)
		return rc;
	log_trace("nftables, live:\n%swanted:\n%s", live.text, want.text);
	return strcmp(live.text, want.text) == 0 ? 1 : 0;
}

void
tunnel_nat_describe(const struct tunnel_conf *tc, char *buf, size_t len)
{
	snprintf(buf, len, " %zu masquerade, %zu forward, %zu block%s%s",
	    tc->nmasq, tc->nfwd, tc->nblock, tc->return_mark ?
	    ", replies marked back into the tunnel" : "", tc->auto_fwmark ?
	    ", wg-quick's rules for the default route" : "");
}

/* Send a batch and read every reply; the first error wins. */
static int
send_batch(struct mnl_nlmsg_batch *b, char *err, size_t errlen)
{
	struct mnl_socket *nl;
	char buf[MNL_SOCKET_BUFFER_SIZE_];
	struct nlmsghdr *nlh;
	ssize_t n;
	int rc = 0, len;

	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		if (nl != NULL)
			mnl_socket_close(nl);
		return rc;
	}
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b),
	    mnl_nlmsg_batch_size(b)) < 0) {
		rc = -errno;
		goto out;
	}
	/* Every message asked for an ACK; read until none is pending. */
	for (;;) {
		fd_set rfds;
		struct timeval tv = { 0, 0 };
		int fd = mnl_socket_get_fd(nl);

		FD_ZERO(&rfds);
		FD_SET(fd, &rfds);
		if (select(fd + 1, &rfds, NULL, NULL, &tv) <= 0)
			break;
		if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) <= 0)
			break;
		/* Walk every message: one buffer may hold many ACKs. */
		len = (int)n;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		    nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error != 0 && rc == 0) {
				rc = e->error;
				snprintf(err, errlen, "nftables: %s",
				    strerror(-e->error));
			}
		}
	}
out:
	mnl_socket_close(nl);
	return rc;
}

static struct nlmsghdr *
batch_msg(struct mnl_nlmsg_batch *b, uint16_t type, uint16_t flags,
    uint32_t *seq)
{
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type,
	    NFPROTO_INET, flags | NLM_F_ACK, (*seq)++);
	return nlh;
}

static int
transaction(const struct tunnel_conf *tc, const char *ifname, bool add,
    bool del, char *err, size_t errlen)
{
	struct mnl_nlmsg_batch *b;
	struct nftnl_table *t = NULL;
	struct ruleset rs;
	struct nlmsghdr *nlh;
	char table[64], *buf;
	uint32_t seq = (uint32_t)time(NULL);
	size_t i, bufsz = 1 << 20;
	int rc = 0;

	memset(&rs, 0, sizeof(rs));
	table_name(ifname, table, sizeof(table));
	if (add && (rc = build_ruleset(tc, &rs)) < 0)
		goto done;
	if ((buf = malloc(bufsz)) == NULL) {
		rc = -ENOMEM;
		goto done;
	}
	b = mnl_nlmsg_batch_start(buf, bufsz);
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	t = nftnl_table_alloc();
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	if (del) {
		nlh = batch_msg(b, NFT_MSG_DELTABLE, 0, &seq);
		nftnl_table_nlmsg_build_payload(nlh, t);
		mnl_nlmsg_batch_next(b);
	}
	if (add) {
		nlh = batch_msg(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, &seq);
		nftnl_table_nlmsg_build_payload(nlh, t);
		mnl_nlmsg_batch_next(b);
		for (i = 0; i < NCHAINS; i++) {
			struct nftnl_chain *c;

			if (!rs.used[i])
				continue;
			c = nftnl_chain_alloc();
			nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY,
			    NFPROTO_INET);
			nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
			nftnl_chain_set_str(c, NFTNL_CHAIN_NAME,
			    chains[i].name);
			nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE,
			    chains[i].type);
			nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM,
			    chains[i].hook);
			nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO,
			    chains[i].prio);
			nlh = batch_msg(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE,
			    &seq);
			nftnl_chain_nlmsg_build_payload(nlh, c);
			nftnl_chain_free(c);
			mnl_nlmsg_batch_next(b);
		}
		for (i = 0; i < rs.n; i++) {
			nlh = batch_msg(b, NFT_MSG_NEWRULE,
			    NLM_F_CREATE | NLM_F_APPEND, &seq);
			nftnl_rule_nlmsg_build_payload(nlh, rs.r[i]);
			if (!mnl_nlmsg_batch_next(b)) {
				rc = -E2BIG;
				break;
			}
		}
	}
	nftnl_batch_end(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	if (rc == 0)
		rc = send_batch(b, err, errlen);
	mnl_nlmsg_batch_stop(b);
	free(buf);
done:
	if (t != NULL)
		nftnl_table_free(t);
	ruleset_free(&rs);
	return rc;
}

int
tunnel_nat_apply(const struct tunnel_conf *tc, char *err, size_t errlen)
{
	char table[64];
	int present;

	table_name(tc->name, table, sizeof(table));
	if ((present = table_exists(table)) < 0)
		return present;
	if (!nat_wanted(tc))
		return present ? transaction(tc, tc->name, false, true, err,
		    errlen) : 0;
	return transaction(tc, tc->name, true, present == 1, err, errlen);
}

int
tunnel_nat_delete(const char *ifname)
{
	char table[64], err[128];
	int present;

	table_name(ifname, table, sizeof(table));
	if ((present = table_exists(table)) <= 0)
		return present;
	return transaction(NULL, ifname, false, true, err, sizeof(err));
}
