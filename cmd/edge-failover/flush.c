// SPDX-License-Identifier: ISC
/*
 * Removing edge-failover's routes: "edge-failover flush" removes every
 * route carrying its protocol number from the tables its groups use; a
 * reload (SIGHUP) removes those that the new configuration no longer
 * asks for.  One batch each.  Nothing else is touched: the protocol
 * number is the mark of ownership.
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
	const struct failover_cfg *keep;	/* NULL: delete all */
	uint8_t		 protocol;
	size_t		 n;
	int		 err;
};

static uint32_t
table_of(uint32_t t)
{
	return t ? t : RT_TABLE_MAIN;
}

/* Does a group of cfg program r (destination, table and metric)? */
static bool
configured(const struct failover_cfg *cfg, const struct nl_route *r)
{
	size_t i, j;

	for (i = 0; i < cfg->ngroup; i++) {
		const struct failover_group *g = &cfg->group[i];

		if (table_of(g->table) != table_of(r->table) ||
		    g->metric != r->priority)
			continue;
		for (j = 0; j < g->ndst; j++)
			if (prefix_equal(&g->dst[j], &r->dst))
				return true;
	}
	return false;
}

static int
flush_cb(const struct nl_route *r, void *arg)
{
	struct flush_ctx *x = arg;
	struct nl_route del;
	int rc;

	if (r->protocol != x->protocol)
		return 0;
	if (x->keep != NULL && configured(x->keep, r))
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

/* Add the tables of cfg's groups to t (n of them so far, room for max). */
static size_t
add_tables(const struct failover_cfg *cfg, uint32_t *t, size_t n, size_t max)
{
	size_t i, j;

	for (i = 0; i < cfg->ngroup; i++) {
		uint32_t id = table_of(cfg->group[i].table);

		for (j = 0; j < n; j++)
			if (t[j] == id)
				break;
		if (j == n && n < max)
			t[n++] = id;
	}
	return n;
}

int
failover_prune(struct nl *nl, const struct failover_cfg *from,
    const struct failover_cfg *keep, size_t *n, char *err, size_t errlen)
{
	struct flush_ctx x;
	struct flush_err fe;
	uint32_t tables[2 * FO_MAX_GROUPS];
	size_t nt, i;
	int rc;

	*n = 0;
	memset(&x, 0, sizeof(x));
	memset(&fe, 0, sizeof(fe));
	x.protocol = from->protocol;
	x.keep = keep;
	nt = add_tables(from, tables, 0, 2 * FO_MAX_GROUPS);
	if (keep != NULL)
		nt = add_tables(keep, tables, nt, 2 * FO_MAX_GROUPS);
	if ((x.b = nl_batch_new(nl)) == NULL) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < nt; i++)
		if ((rc = nl_route_dump(nl, AF_UNSPEC, tables[i],
		    from->protocol, flush_cb, &x)) < 0) {
			snprintf(err, errlen, "table %u: %s", tables[i],
			    strerror(-(x.err ? x.err : rc)));
			nl_batch_free(x.b);
			return -1;
		}
	rc = nl_batch_count(x.b) ? nl_batch_commit(x.b, flush_err_cb, &fe) : 0;
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

int
failover_flush(struct nl *nl, const struct failover_cfg *cfg, size_t *n,
    char *err, size_t errlen)
{
	return failover_prune(nl, cfg, NULL, n, err, errlen);
}
