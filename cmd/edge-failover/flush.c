// SPDX-License-Identifier: ISC
/*
 * "edge-failover flush": remove every route carrying edge-failover's
 * protocol number from the tables its groups use, in one batch.  Nothing
 * else is touched: the protocol number is the mark of ownership.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "nl.h"
#include "failover.h"

struct flush_ctx {
	struct nl_batch	*b;
	uint8_t		 protocol;
	size_t		 n;
	int		 err;
};

static int
flush_cb(const struct nl_route *r, void *arg)
{
	struct flush_ctx *x = arg;
	struct nl_route del;
	int rc;

	if (r->protocol != x->protocol)
		return 0;
	/* Deleting by destination, table, metric and protocol is enough:
	 * the kernel matches the rest. */
	memset(&del, 0, sizeof(del));
	del.dst = r->dst;
	del.table = r->table;
	del.protocol = r->protocol;
	del.priority = r->priority;
	del.type = r->type;
	if ((rc = nl_route_msg(x->b, RTM_DELROUTE, 0, &del)) < 0) {
		x->err = rc;
		return rc;
	}
	x->n++;
	return 0;
}

struct flush_err {
	int	first;
	char	msg[128];
};

static void
flush_err_cb(void *arg, size_t idx, int err, const char *msg)
{
	struct flush_err *fe = arg;

	/* gone meanwhile: fine */
	if (err == -ESRCH || fe->first != 0)
		return;
	fe->first = err;
	snprintf(fe->msg, sizeof(fe->msg), "%s", msg ? msg : "");
}

int
failover_flush(struct nl *nl, const struct failover_cfg *cfg, size_t *n,
    char *err, size_t errlen)
{
	struct flush_ctx x;
	struct flush_err fe;
	uint32_t tables[FO_MAX_GROUPS];
	size_t nt = 0, i, j;
	int rc;

	*n = 0;
	memset(&x, 0, sizeof(x));
	memset(&fe, 0, sizeof(fe));
	x.protocol = cfg->protocol;
	if ((x.b = nl_batch_new(nl)) == NULL) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < cfg->ngroup; i++) {
		uint32_t t = cfg->group[i].table ? cfg->group[i].table : 254;

		for (j = 0; j < nt; j++)
			if (tables[j] == t)
				break;
		if (j < nt)
			continue;
		tables[nt++] = t;
		if ((rc = nl_route_dump(nl, AF_UNSPEC, t, cfg->protocol,
		    flush_cb, &x)) < 0) {
			snprintf(err, errlen, "table %u: %s", t,
			    strerror(-(x.err ? x.err : rc)));
			nl_batch_free(x.b);
			return -1;
		}
	}
	rc = nl_batch_commit(x.b, flush_err_cb, &fe);
	nl_batch_free(x.b);
	if (rc < 0 || fe.first != 0) {
		snprintf(err, errlen, "delete: %s%s%s",
		    strerror(rc < 0 ? -rc : -fe.first), fe.msg[0] ? ": " : "",
		    fe.msg);
		return -1;
	}
	*n = x.n;
	return 0;
}
