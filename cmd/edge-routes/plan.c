/* SPDX-License-Identifier: ISC */
/*
 * A plan: walk the desired and the owned routes, both sorted by key, and
 * list what to add, replace and delete.  Adds come first and deletions
 * last, so that a prefix that moves (a /24 merged into a /23) is never
 * without a route in between.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"

int
routes_plan_make(struct routes_plan *pl, const struct routes_set *want,
    const struct routes_set *have)
{
	struct routes_op *add, *rep, *del;
	size_t i = 0, j = 0, na = 0, nr = 0, nd = 0;
	int c;

	memset(pl, 0, sizeof(*pl));
	add = calloc(want->n + 1, sizeof(*add));
	rep = calloc(want->n + 1, sizeof(*rep));
	del = calloc(have->n + 1, sizeof(*del));
	if (add == NULL || rep == NULL || del == NULL)
		goto nomem;

	while (i < want->n || j < have->n) {
		if (i == want->n)
			c = 1;
		else if (j == have->n)
			c = -1;
		else
			c = routes_route_cmp(&want->r[i], &have->r[j]);
		if (c < 0) {
			add[na].op = ROUTES_ADD;
			add[na].r = &want->r[i++];
			add[na++].s = want;
		} else if (c > 0) {
			del[nd].op = ROUTES_DEL;
			del[nd].r = &have->r[j++];
			del[nd++].s = have;
		} else {
			if (routes_attr_match(&want->attr[want->r[i].attr],
			    &have->attr[have->r[j].attr]))
				pl->nkeep++;
			else {
				rep[nr].op = ROUTES_REPLACE;
				rep[nr].r = &want->r[i];
				rep[nr++].s = want;
			}
			i++;
			j++;
			/* Owned duplicates of one key (appended by someone
			 * else with our protocol): all but one go. */
			while (j < have->n && routes_route_cmp(&want->r[i - 1],
			    &have->r[j]) == 0) {
				del[nd].op = ROUTES_DEL;
				del[nd].r = &have->r[j++];
				del[nd++].s = have;
			}
		}
	}

	pl->n = na + nr + nd;
	if ((pl->op = reallocarray(add, pl->n + 1, sizeof(*add))) == NULL)
		goto nomem;
	memcpy(pl->op + na, rep, nr * sizeof(*rep));
	memcpy(pl->op + na + nr, del, nd * sizeof(*del));
	free(rep);
	free(del);
	pl->nadd = na;
	pl->nrep = nr;
	pl->ndel = nd;
	return 0;
nomem:
	free(add);
	free(rep);
	free(del);
	return -ENOMEM;
}

void
routes_plan_free(struct routes_plan *pl)
{
	free(pl->op);
	memset(pl, 0, sizeof(*pl));
}

bool
routes_guard_ok(size_t ndel, size_t nhave, bool force,
    unsigned int max_delete, const char *what)
{
	if (ndel == 0 || force ||
	    (unsigned long long)ndel * 100 <=
	    (unsigned long long)max_delete * nhave)
		return true;
	warnx("refusing to delete %zu of %zu %s (more than %u%%; "
	    "--max-delete or --force to allow)", ndel, nhave, what,
	    max_delete);
	return false;
}

void
routes_plan_print(FILE *f, const struct routes_plan *pl,
    const struct routes_defaults *d)
{
	const struct routes_op *o;
	char buf[512];
	size_t i;

	for (i = 0; i < pl->n; i++) {
		o = &pl->op[i];
		routes_format(buf, sizeof(buf), &o->r->dst,
		    &o->s->attr[o->r->attr], d);
		fprintf(f, "%c %s\n", o->op, buf);
	}
}
