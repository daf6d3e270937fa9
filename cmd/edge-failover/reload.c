// SPDX-License-Identifier: ISC
/*
 * Reloading the configuration (SIGHUP): what the running daemon knows
 * moves over to the new configuration by name.  A gateway that is still
 * configured keeps its state, its since-when and the recent results of
 * every target it still has; a group whose routes are the same (same
 * destinations, table, metric and protocol) keeps what it programmed, so
 * an unchanged group is not reprogrammed.  Everything else starts as at
 * start-up.  Removing the routes of destinations no longer configured is
 * failover_prune() (flush.c).
 */
#include <sys/socket.h>
#include <string.h>

#include "failover.h"

static const struct failover_gw *
old_gw(const struct failover_cfg *old, const char *name, int *idx)
{
	size_t i;

	for (i = 0; i < old->ngw; i++)
		if (strcmp(old->gw[i].name, name) == 0) {
			if (idx != NULL)
				*idx = (int)i;
			return &old->gw[i];
		}
	return NULL;
}

/* Gateway index in nw of the gateway old->gw[oi], or -1. */
static int
new_index(const struct failover_cfg *nw, const struct failover_cfg *old,
    unsigned int oi)
{
	size_t i;

	for (i = 0; i < nw->ngw; i++)
		if (strcmp(nw->gw[i].name, old->gw[oi].name) == 0)
			return (int)i;
	return -1;
}

/* Carry one gateway's state; false when none of its targets is left. */
static bool
carry_gw(struct failover_gw *gw, const struct failover_gw *o)
{
	size_t i, j;
	bool any = false;

	for (i = 0; i < gw->nmatch; i++)
		for (j = 0; j < o->nmatch && j < o->ntg; j++) {
			if (strcmp(gw->match[i], o->match[j]) != 0 ||
			    o->tg[j].nresults == 0)
				continue;
			gw->tg[i] = o->tg[j];
			if (i >= gw->ntg)
				gw->ntg = i + 1;
			any = true;
			break;
		}
	if (!any)
		return false;
	gw->state = o->state;
	gw->prev = o->prev;
	gw->since = o->since;
	gw->loss = o->loss;
	gw->rtt_us = o->rtt_us;
	gw->nresults = o->nresults;
	if (strcmp(gw->dev, o->dev) == 0)
		gw->ifindex = o->ifindex;
	return true;
}

static bool
same_hop(const struct failover_gw *a, const struct failover_gw *b)
{
	return strcmp(a->dev, b->dev) == 0 && a->via_family == b->via_family &&
	    (a->via_family == 0 || memcmp(&a->via, &b->via,
	    a->via_family == AF_INET ? 4 : 16) == 0);
}

static bool
same_routes(const struct failover_cfg *nw, const struct failover_group *g,
    const struct failover_cfg *old, const struct failover_group *o)
{
	size_t i;

	if (nw->protocol != old->protocol || g->table != o->table ||
	    g->metric != o->metric || g->ndst != o->ndst)
		return false;
	for (i = 0; i < g->ndst; i++)
		if (!prefix_equal(&g->dst[i], &o->dst[i]))
			return false;
	return true;
}

void
failover_cfg_carry(struct failover_cfg *nw, const struct failover_cfg *old,
    uint64_t now)
{
	size_t i, j, k;

	for (i = 0; i < nw->ngw; i++) {
		struct failover_gw *gw = &nw->gw[i];
		const struct failover_gw *o = old_gw(old, gw->name, NULL);

		failover_gw_reset(gw, now);
		if (o != NULL && !carry_gw(gw, o))
			failover_gw_reset(gw, now);
	}
	for (j = 0; j < nw->ngroup; j++) {
		struct failover_group *g = &nw->group[j];
		const struct failover_group *o = NULL;

		for (k = 0; k < old->ngroup; k++)
			if (strcmp(old->group[k].name, g->name) == 0)
				o = &old->group[k];
		g->programmed = false;
		memset(&g->active, 0, sizeof(g->active));
		if (o == NULL)
			continue;
		g->changes = o->changes;
		if (!o->programmed || !same_routes(nw, g, old, o))
			continue;
		/* What the kernel has, in the new gateway numbering; a
		 * gateway gone from the file, or with another device or
		 * next hop, makes it a new route. */
		for (i = 0; i < o->active.n; i++) {
			int ni = new_index(nw, old, o->active.gw[i]);

			if (ni < 0 || !same_hop(&nw->gw[ni],
			    &old->gw[o->active.gw[i]]))
				break;
			g->active.gw[i] = (unsigned int)ni;
			g->active.weight[i] = o->active.weight[i];
		}
		if (i < o->active.n) {
			memset(&g->active, 0, sizeof(g->active));
			continue;
		}
		g->active.n = o->active.n;
		g->programmed = true;
	}
}

int
failover_cfg_gw_index(const struct failover_cfg *cfg, const char *name)
{
	int idx = -1;

	return old_gw(cfg, name, &idx) != NULL ? idx : -1;
}
