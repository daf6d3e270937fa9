/* SPDX-License-Identifier: ISC */
/*
 * --emit ip: the plan as an ip(8) batch script, for "ip -batch -".  It
 * does what sync would do, one route at a time.
 */
#include <sys/socket.h>
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "routes.h"

int
routes_emit_ip(const struct routes_plan *pl, const struct routes_emit_opts *o)
{
	const struct routes_op *op;
	const struct routes_attr *a;
	char pbuf[PREFIX_STRLEN], gbuf[INET6_ADDRSTRLEN];
	FILE *f = stdout;
	size_t i;

	if (o->output != NULL && (f = fopen(o->output, "w")) == NULL) {
		warn("%s", o->output);
		return 1;
	}
	for (i = 0; i < pl->n; i++) {
		op = &pl->op[i];
		a = &op->s->attr[op->r->attr];
		prefix_ntop(&op->r->dst, pbuf, sizeof(pbuf));
		fprintf(f, "route %s ", op->op == ROUTES_ADD ? "add" :
		    op->op == ROUTES_DEL ? "del" : "replace");
		if (a->type != RTN_UNICAST)
			fprintf(f, "%s ", routes_type_name(a->type));
		fputs(pbuf, f);
		if (op->op != ROUTES_DEL) {
			if (a->gw_family != 0) {
				addr_ntop(a->gw_family, &a->gw, gbuf,
				    sizeof(gbuf));
				fprintf(f, " via %s%s", a->gw_family !=
				    op->r->dst.family ? "inet6 " : "", gbuf);
			}
			if (a->dev[0] != '\0')
				fprintf(f, " dev %s", a->dev);
		}
		fprintf(f, " metric %u table %u proto %u\n", a->metric,
		    a->table, o->proto);
	}
	if (fflush(f) != 0 || (f != stdout && fclose(f) != 0)) {
		warn("%s", o->output ? o->output : "stdout");
		return 1;
	}
	return 0;
}
