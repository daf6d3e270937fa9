// SPDX-License-Identifier: ISC
/*
 * Failing back off a metered uplink: delete the conntrack entries of the
 * connections that still go through it, so that their next packets make
 * new entries through the uplink now routed (and masqueraded) instead of
 * lingering, mis-translated, on the metered one.
 *
 * What identifies them: a connection leaving through a masquerading
 * uplink has that uplink's address as the destination of its reply
 * tuple; so has a connection the router itself opened from that address.
 * Routed connections without NAT carry no trace of their output device,
 * so for those the gateway can name a conntrack mark (ConntrackMark) that
 * the firewall sets per uplink.  One ctnetlink dump, then the deletions
 * (by original tuple and id) in batches, every acknowledgement read.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "failover.h"

struct ct_ctx {
	const struct failover_gw *gw;
	const int	*families;
	const union edge_addr *addrs;
	size_t		 naddr;
	char		*out;		/* delete requests, back to back */
	size_t		 outlen, outcap;
	size_t		 nout;
	uint32_t	 seq;
	int		 err;
};

static int
attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = a;
	return MNL_CB_OK;
}

static int
nested_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	/* CTA_TUPLE_MAX and CTA_IP_MAX are both small; the tables are
	 * sized for the larger. */
	if (type > CTA_TUPLE_MAX && type > CTA_IP_MAX)
		return MNL_CB_OK;
	tb[type] = a;
	return MNL_CB_OK;
}

/* The reply tuple's destination, or false. */
static bool
reply_dst(const struct nlattr *tuple, int *family, union edge_addr *a)
{
	const struct nlattr *tt[CTA_TUPLE_MAX + CTA_IP_MAX + 2] = { 0 };
	const struct nlattr *ip[CTA_TUPLE_MAX + CTA_IP_MAX + 2] = { 0 };

	if (mnl_attr_parse_nested(tuple, nested_cb, tt) < 0 ||
	    tt[CTA_TUPLE_IP] == NULL)
		return false;
	if (mnl_attr_parse_nested(tt[CTA_TUPLE_IP], nested_cb, ip) < 0)
		return false;
	memset(a, 0, sizeof(*a));
	if (ip[CTA_IP_V4_DST] != NULL &&
	    mnl_attr_get_payload_len(ip[CTA_IP_V4_DST]) == 4) {
		*family = AF_INET;
		memcpy(&a->v4, mnl_attr_get_payload(ip[CTA_IP_V4_DST]), 4);
		return true;
	}
	if (ip[CTA_IP_V6_DST] != NULL &&
	    mnl_attr_get_payload_len(ip[CTA_IP_V6_DST]) == 16) {
		*family = AF_INET6;
		memcpy(&a->v6, mnl_attr_get_payload(ip[CTA_IP_V6_DST]), 16);
		return true;
	}
	return false;
}

static bool
matches(const struct ct_ctx *x, const struct nlattr **tb)
{
	union edge_addr a;
	int family;
	size_t i;

	if (x->gw->ct_mask != 0 && tb[CTA_MARK] != NULL) {
		uint32_t m = ntohl(mnl_attr_get_u32(tb[CTA_MARK]));

		if ((m & x->gw->ct_mask) == x->gw->ct_mark)
			return true;
	}
	if (tb[CTA_TUPLE_REPLY] == NULL ||
	    !reply_dst(tb[CTA_TUPLE_REPLY], &family, &a))
		return false;
	for (i = 0; i < x->naddr; i++) {
		size_t len = x->families[i] == AF_INET ? 4 : 16;

		if (x->families[i] == family &&
		    memcmp(&x->addrs[i], &a, len) == 0)
			return true;
	}
	return false;
}

/* Append an attribute, header and all, as it came from the kernel. */
static void
copy_attr(struct nlmsghdr *nlh, const struct nlattr *a)
{
	memcpy((char *)nlh + MNL_ALIGN(nlh->nlmsg_len), a, a->nla_len);
	nlh->nlmsg_len = MNL_ALIGN(nlh->nlmsg_len) + MNL_ALIGN(a->nla_len);
}

static int
dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	struct ct_ctx *x = data;
	struct nlmsghdr *del;
	struct nfgenmsg *dfg;
	size_t need;

	if (mnl_attr_parse(nlh, sizeof(*nfg), attr_cb, tb) < 0)
		return MNL_CB_OK;
	if (tb[CTA_TUPLE_ORIG] == NULL || !matches(x, tb))
		return MNL_CB_OK;

	need = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*dfg)) +
	    MNL_ALIGN(tb[CTA_TUPLE_ORIG]->nla_len) + 64;
	if (x->outcap - x->outlen < need) {
		size_t cap = x->outcap ? x->outcap * 2 : 65536;
		char *p = realloc(x->out, cap);

		if (p == NULL) {
			x->err = -ENOMEM;
			return MNL_CB_ERROR;
		}
		x->out = p;
		x->outcap = cap;
	}
	del = mnl_nlmsg_put_header(x->out + x->outlen);
	del->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	del->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	del->nlmsg_seq = ++x->seq;
	dfg = mnl_nlmsg_put_extra_header(del, sizeof(*dfg));
	dfg->nfgen_family = nfg->nfgen_family;
	dfg->version = NFNETLINK_V0;
	dfg->res_id = 0;
	copy_attr(del, tb[CTA_TUPLE_ORIG]);
	if (tb[CTA_ZONE] != NULL)
		copy_attr(del, tb[CTA_ZONE]);
	if (tb[CTA_ID] != NULL)
		copy_attr(del, tb[CTA_ID]);
	x->outlen += MNL_ALIGN(del->nlmsg_len);
	x->nout++;
	return MNL_CB_OK;
}

/* Send the deletions in chunks and read every acknowledgement.  An entry
 * gone meanwhile (ENOENT) is not an error. */
static int
send_deletes(struct mnl_socket *nl, struct ct_ctx *x, unsigned int *deleted)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	size_t off = 0;

	while (off < x->outlen) {
		size_t end = off, pending = 0;
		ssize_t n;

		while (end < x->outlen) {
			const struct nlmsghdr *h =
			    (const struct nlmsghdr *)(x->out + end);
			size_t l = MNL_ALIGN(h->nlmsg_len);

			if (end > off && end + l - off > 16384)
				break;
			end += l;
			pending++;
		}
		if (mnl_socket_sendto(nl, x->out + off, end - off) < 0)
			return -errno;
		off = end;
		while (pending > 0) {
			const struct nlmsghdr *h;
			int len;

			n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
			if (n < 0)
				return -errno;
			len = (int)n;
			for (h = (const struct nlmsghdr *)buf;
			    mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
				const struct nlmsgerr *e;

				if (h->nlmsg_type != NLMSG_ERROR)
					continue;
				e = mnl_nlmsg_get_payload(h);
				pending--;
				if (e->error == 0)
					(*deleted)++;
				else if (e->error != -ENOENT && x->err == 0)
					x->err = e->error;
			}
		}
	}
	return 0;
}

int
failover_ct_flush(const struct failover_gw *gw, const int *families,
    const union edge_addr *addrs, size_t naddr, unsigned int *deleted,
    char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	struct ct_ctx x;
	uint32_t portid, seq;
	int one = 1, rc = -1;
	ssize_t n;

	*deleted = 0;
	memset(&x, 0, sizeof(x));
	x.gw = gw;
	x.families = families;
	x.addrs = addrs;
	x.naddr = naddr;
	if (naddr == 0 && gw->ct_mask == 0) {
		snprintf(err, errlen, "%s: no address on %s and no "
		    "ConntrackMark: nothing identifies its connections",
		    gw->name, gw->dev);
		return -1;
	}

	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL) {
		snprintf(err, errlen, "ctnetlink: %s", strerror(errno));
		return -1;
	}
	/* Short acknowledgements: the deletions' errors without copies. */
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "ctnetlink: bind: %s", strerror(errno));
		goto out;
	}
	portid = mnl_socket_get_portid(nl);

	seq = (uint32_t)time(NULL);
	x.seq = seq;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;	/* both families */
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		snprintf(err, errlen, "ctnetlink dump: %s", strerror(errno));
		goto out;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			snprintf(err, errlen, "ctnetlink dump: %s",
			    strerror(errno));
			goto out;
		}
		n = mnl_cb_run(buf, (size_t)n, seq, portid, dump_cb, &x);
		if (n == MNL_CB_STOP)
			break;
		if (n < 0) {
			snprintf(err, errlen, "ctnetlink dump: %s",
			    strerror(x.err ? -x.err : errno));
			goto out;
		}
	}
	if (x.nout > 0) {
		int e = send_deletes(nl, &x, deleted);

		if (e < 0 || x.err < 0) {
			snprintf(err, errlen, "ctnetlink delete: %s",
			    strerror(e < 0 ? -e : -x.err));
			goto out;
		}
	}
	rc = 0;
out:
	free(x.out);
	mnl_socket_close(nl);
	return rc;
}
