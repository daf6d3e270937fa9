// SPDX-License-Identifier: ISC
/*
 * Checksum offload on wires, through the ethtool generic netlink family:
 * a VXLAN link whose frames go into a tunnel does its checksums in
 * software when Checksum = off, so nothing relies on hardware that is not
 * there (the tunnel's tun device under a userspace WireGuard).
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/sockios.h>

#include <libmnl/libmnl.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>

#include "tunnel.h"

/* The features that are checksum offload, by their ethtool names. */
static const char *const csum_features[] = {
	"tx-checksum-ip-generic",
	"tx-checksum-ipv4",
	"tx-checksum-ipv6",
	"tx-checksum-sctp",
};

struct offload_err {
	int	err;
};

static void
offload_err_cb(void *arg, size_t idx, int err, const char *msg)
{
	struct offload_err *e = arg;

	(void)idx;
	(void)msg;
	if (e->err == 0)
		e->err = err;
}

int
tunnel_offload_csum_off(const char *ifname)
{
	struct nl nl;
	struct nl_batch *b;
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	struct nlattr *hdr, *wanted, *bits, *bit;
	struct offload_err e = { 0 };
	uint16_t family;
	size_t i;
	int rc;

	if ((rc = nl_open(&nl, NETLINK_GENERIC)) < 0)
		return rc;
	if ((rc = nl_genl_family(&nl, ETHTOOL_GENL_NAME, &family)) < 0)
		goto out;
	if ((b = nl_batch_new(&nl)) == NULL) {
		rc = -errno;
		goto out;
	}
	if ((nlh = nl_batch_msg(b, family, 0)) == NULL) {
		rc = -ENOMEM;
		nl_batch_free(b);
		goto out;
	}
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = ETHTOOL_MSG_FEATURES_SET;
	g->version = ETHTOOL_GENL_VERSION;
	hdr = mnl_attr_nest_start(nlh, ETHTOOL_A_FEATURES_HEADER);
	mnl_attr_put_strz(nlh, ETHTOOL_A_HEADER_DEV_NAME, ifname);
	mnl_attr_nest_end(nlh, hdr);
	/* A bitset with a mask: only the bits listed change; listed without
	 * a VALUE flag, they are turned off. */
	wanted = mnl_attr_nest_start(nlh, ETHTOOL_A_FEATURES_WANTED);
	bits = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS);
	for (i = 0; i < sizeof(csum_features) / sizeof(csum_features[0]);
	    i++) {
		bit = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS_BIT);
		mnl_attr_put_strz(nlh, ETHTOOL_A_BITSET_BIT_NAME,
		    csum_features[i]);
		mnl_attr_nest_end(nlh, bit);
	}
	mnl_attr_nest_end(nlh, bits);
	mnl_attr_nest_end(nlh, wanted);
	rc = nl_batch_commit(b, offload_err_cb, &e);
	nl_batch_free(b);
	if (rc > 0)
		rc = e.err != 0 ? e.err : -EIO;
out:
	nl_close(&nl);
	return rc;
}

/* One ETHTOOL_GTXCSUM or ETHTOOL_STXCSUM request; 0 or -errno. */
static int
txcsum_ioctl(const char *ifname, uint32_t cmd, uint32_t *data)
{
	struct ethtool_value ev;
	struct ifreq ifr;
	int fd, rc;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memset(&ev, 0, sizeof(ev));
	strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	ev.cmd = cmd;
	ev.data = *data;
	ifr.ifr_data = (void *)&ev;
	rc = ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
	*data = ev.data;
	close(fd);
	return rc;
}

/*
 * Whether transmit checksum offload is on: ETHTOOL_GTXCSUM answers for
 * the features above that a VXLAN link has (IPv4, IPv6 and generic
 * checksums) in one value, with no bit names to look up.
 */
int
tunnel_offload_csum_get(const char *ifname)
{
	uint32_t on = 0;
	int rc;

	if ((rc = txcsum_ioctl(ifname, ETHTOOL_GTXCSUM, &on)) < 0)
		return rc;
	return on != 0;
}

/*
 * ETHTOOL_STXCSUM turns on the checksum features the link's hardware
 * features allow, as "ethtool -K IF tx on" does: asking by name over
 * netlink would fail for those a VXLAN link cannot change (IPv4, SCTP).
 */
int
tunnel_offload_csum_on(const char *ifname)
{
	uint32_t on = 1;

	return txcsum_ioctl(ifname, ETHTOOL_STXCSUM, &on);
}
