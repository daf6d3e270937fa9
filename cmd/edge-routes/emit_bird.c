/* SPDX-License-Identifier: ISC */
/*
 * --emit bird: a BIRD 2 include file of static routes, for a "protocol
 * static { ipv4; include "FILE"; }" block.  The file is written beside its
 * final name, synced and renamed over it, so BIRD never reads half a list;
 * the caller runs "birdc configure" afterwards.  A static protocol has one
 * channel, so one file holds one family (-4 or -6).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#include "routes.h"

static void
write_route(FILE *f, const struct routes_route *r, const struct routes_attr *a)
{
	char pbuf[PREFIX_STRLEN], gbuf[INET6_ADDRSTRLEN];

	prefix_ntop(&r->dst, pbuf, sizeof(pbuf));
	fprintf(f, "route %s", pbuf);
	switch (a->type) {
	case RTN_BLACKHOLE:
		fputs(" blackhole", f);
		break;
	case RTN_UNREACHABLE:
		fputs(" unreachable", f);
		break;
	case RTN_PROHIBIT:
		fputs(" prohibit", f);
		break;
	default:
		if (a->gw_family != 0) {
			addr_ntop(a->gw_family, &a->gw, gbuf, sizeof(gbuf));
			fprintf(f, " via %s", gbuf);
			if (a->dev[0] != '\0')
				fprintf(f, "%%%s", a->dev);
		} else
			fprintf(f, " via \"%s\"", a->dev);
		break;
	}
	fputs(";\n", f);
}

int
routes_emit_bird(const struct routes_set *s, const struct routes_emit_opts *o)
{
	char tmp[PATH_MAX];
	FILE *f = stdout;
	size_t i;
	int fd = -1, fam = o->family;

	for (i = 0; i < s->n; i++) {
		if (fam == AF_UNSPEC)
			fam = s->r[i].dst.family;
		else if (s->r[i].dst.family != fam) {
			warnx("--emit bird: the input mixes IPv4 and IPv6; a "
			    "BIRD static protocol takes one (use -4 or -6)");
			return 2;
		}
	}
	if (o->output != NULL) {
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX",
		    o->output) >= sizeof(tmp)) {
			warnx("%s: name too long", o->output);
			return 2;
		}
		if ((fd = mkstemp(tmp)) == -1 ||
		    fchmod(fd, 0644) == -1 ||
		    (f = fdopen(fd, "w")) == NULL) {
			warn("%s", tmp);
			if (fd != -1) {
				close(fd);
				unlink(tmp);
			}
			return 1;
		}
	}
	fprintf(f, "# Written by edge-routes; %zu routes.  Do not edit: the "
	    "next run replaces it.\n", s->n);
	for (i = 0; i < s->n; i++)
		write_route(f, &s->r[i], &s->attr[s->r[i].attr]);
	if (fflush(f) != 0)
		goto fail;
	if (o->output == NULL)
		return 0;
	if (fsync(fileno(f)) != 0 || fclose(f) != 0) {
		f = NULL;
		goto fail;
	}
	f = NULL;
	if (rename(tmp, o->output) != 0)
		goto fail;
	return 0;
fail:
	warn("%s", o->output != NULL ? o->output : "stdout");
	if (o->output != NULL) {
		if (f != NULL)
			fclose(f);
		unlink(tmp);
	}
	return 1;
}
