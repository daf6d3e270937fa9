/* SPDX-License-Identifier: ISC */
/*
 * The input format: one prefix per line, optionally followed by key=value
 * attributes that override the command-line defaults; "#" starts a
 * comment; IPv4 and IPv6 may be mixed.
 *
 *	192.0.2.0/24
 *	198.51.100.0/24 via=192.0.2.1 metric=10	# LTE
 *	2001:db8::/32 dev=wg0 table=100
 *	203.0.113.0/24 type=blackhole
 */
#include <sys/socket.h>
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "prefix.h"
#include "routes.h"

static const struct {
	const char	*name;
	uint8_t		 type;
} types[] = {
	{ "unicast",	 RTN_UNICAST },
	{ "blackhole",	 RTN_BLACKHOLE },
	{ "unreachable", RTN_UNREACHABLE },
	{ "prohibit",	 RTN_PROHIBIT },
};

void
routes_defaults_init(struct routes_defaults *d)
{
	memset(d, 0, sizeof(*d));
	d->table = ROUTES_TABLE_MAIN;
	d->type = RTN_UNICAST;
	d->family = AF_UNSPEC;
	d->pflags = PREFIX_ADDR_OK;
}

bool
routes_parse_type(const char *s, uint8_t *type)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(s, types[i].name) == 0) {
			*type = types[i].type;
			return true;
		}
	}
	return false;
}

const char *
routes_type_name(uint8_t type)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return types[i].name;
	return "unknown";
}

bool
routes_parse_table(const char *s, uint32_t *table, char *err, size_t errlen)
{
	const char *errstr;
	long long v;

	if (strcmp(s, "main") == 0) {
		*table = RT_TABLE_MAIN;
		return true;
	}
	if (strcmp(s, "default") == 0) {
		*table = RT_TABLE_DEFAULT;
		return true;
	}
	/* 0 is "unspecified" and 255 is the kernel's local table. */
	v = strtonum(s, 1, UINT32_MAX, &errstr);
	if (errstr != NULL || v == RT_TABLE_LOCAL) {
		snprintf(err, errlen, "table \"%s\": %s", s, errstr != NULL ?
		    errstr : "the local table is the kernel's");
		return false;
	}
	*table = (uint32_t)v;
	return true;
}

static bool
parse_dev(const char *s, char *dev, char *err, size_t errlen)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= IFNAMSIZ) {
		snprintf(err, errlen, "dev \"%s\": bad interface name length",
		    s);
		return false;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '/' || isspace((unsigned char)s[i]) ||
		    !isprint((unsigned char)s[i])) {
			snprintf(err, errlen, "dev \"%s\": bad interface name",
			    s);
			return false;
		}
	}
	strlcpy(dev, s, IFNAMSIZ);
	return true;
}

/*
 * The next hop (via, dev, type) is taken from the line as a whole when the
 * line names any part of it, so "P dev=wg0" is a route on wg0 even when -g
 * names a default gateway; table and metric are overridden one by one.
 */
bool
routes_parse_line(char *line, const struct routes_defaults *d,
    struct routes_line *out, char *err, size_t errlen)
{
	struct routes_attr *a = &out->attr;
	char *p, *tok, *val, *save = NULL, perr[128];
	bool seen_via = false, seen_dev = false, seen_type = false;
	bool seen_table = false, seen_metric = false, skip;
	const char *errstr;
	int fam;

	memset(out, 0, sizeof(*out));
	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	tok = strtok_r(line, " \t\r\v\f", &save);
	if (tok == NULL) {
		out->empty = true;
		return true;
	}
	if (!prefix_parse(tok, &out->dst, d->pflags, perr, sizeof(perr))) {
		snprintf(err, errlen, "%s", perr);
		return false;
	}
	/* With -4 or -6 the other family's lines are left out (after their
	 * syntax is checked, so a garbled line is still an error). */
	skip = d->family != AF_UNSPEC && out->dst.family != d->family;

	a->table = d->table;
	a->metric = d->metric;
	while ((tok = strtok_r(NULL, " \t\r\v\f", &save)) != NULL) {
		if ((val = strchr(tok, '=')) == NULL) {
			snprintf(err, errlen, "\"%s\": expected key=value",
			    tok);
			return false;
		}
		*val++ = '\0';
		if (strcmp(tok, "via") == 0) {
			if (seen_via)
				goto dup;
			seen_via = true;
			if (!addr_parse(val, &fam, &a->gw, perr,
			    sizeof(perr))) {
				snprintf(err, errlen, "via: %s", perr);
				return false;
			}
			a->gw_family = (uint8_t)fam;
		} else if (strcmp(tok, "dev") == 0) {
			if (seen_dev)
				goto dup;
			seen_dev = true;
			if (!parse_dev(val, a->dev, err, errlen))
				return false;
		} else if (strcmp(tok, "metric") == 0) {
			if (seen_metric)
				goto dup;
			seen_metric = true;
			a->metric = (uint32_t)strtonum(val, 0, UINT32_MAX,
			    &errstr);
			if (errstr != NULL) {
				snprintf(err, errlen, "metric \"%s\": %s", val,
				    errstr);
				return false;
			}
		} else if (strcmp(tok, "table") == 0) {
			if (seen_table)
				goto dup;
			seen_table = true;
			if (!routes_parse_table(val, &a->table, err, errlen))
				return false;
		} else if (strcmp(tok, "type") == 0) {
			if (seen_type)
				goto dup;
			seen_type = true;
			if (!routes_parse_type(val, &a->type)) {
				snprintf(err, errlen, "type \"%s\": expected "
				    "unicast, blackhole, unreachable or "
				    "prohibit", val);
				return false;
			}
		} else {
			snprintf(err, errlen, "unknown attribute \"%s\" "
			    "(known: via dev metric table type)", tok);
			return false;
		}
	}

	if (skip) {
		memset(out, 0, sizeof(*out));
		out->empty = true;
		return true;
	}
	if (a->table == ROUTES_TABLE_NONE) {
		snprintf(err, errlen, "no table: -t is required (-t main for "
		    "the main table) unless every line has table=");
		return false;
	}
	/* The kernel stores an IPv6 route of metric 0 with its default,
	 * 1024 (IP6_RT_PRIO_USER); say so up front so that the route read
	 * back is the route asked for. */
	if (out->dst.family == AF_INET6 && a->metric == 0)
		a->metric = ROUTES_IP6_METRIC;
	if (!seen_via && !seen_dev && !seen_type) {
		a->type = d->type;
		strlcpy(a->dev, d->dev, sizeof(a->dev));
		if (d->type == RTN_UNICAST) {
			if (out->dst.family == AF_INET && d->has_gw4) {
				a->gw_family = AF_INET;
				a->gw = d->gw4;
			} else if (d->has_gw6) {
				a->gw_family = AF_INET6;
				a->gw = d->gw6;
			}
		}
	} else if (!seen_type)
		a->type = RTN_UNICAST;

	if (a->type != RTN_UNICAST) {
		if (a->gw_family != 0 || a->dev[0] != '\0') {
			snprintf(err, errlen, "a %s route takes no via or dev",
			    routes_type_name(a->type));
			return false;
		}
		return true;
	}
	if (a->gw_family == 0 && a->dev[0] == '\0' && !d->no_nexthop_ok) {
		snprintf(err, errlen, "no next hop: give via= or dev= (or -g "
		    "or -d%s)", out->dst.family == AF_INET6 && d->has_gw4 ?
		    "; -g names only an IPv4 gateway" : "");
		return false;
	}
	/* The kernel takes an IPv6 gateway for an IPv4 route (RTA_VIA), not
	 * the other way round. */
	if (out->dst.family == AF_INET6 && a->gw_family == AF_INET) {
		snprintf(err, errlen, "IPv6 prefix with an IPv4 gateway");
		return false;
	}
	return true;
dup:
	snprintf(err, errlen, "%s= given twice", tok);
	return false;
}

bool
routes_read_file(struct routes_set *s, FILE *f, const char *name,
    const struct routes_defaults *d, char *err, size_t errlen)
{
	struct routes_line rl;
	char *line = NULL, why[256];
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0;
	bool ok = true;

	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (strlen(line) != (size_t)len) {
			snprintf(err, errlen, "%s:%lu: NUL byte in line", name,
			    lineno);
			ok = false;
			break;
		}
		if (!routes_parse_line(line, d, &rl, why, sizeof(why))) {
			snprintf(err, errlen, "%s:%lu: %s", name, lineno, why);
			ok = false;
			break;
		}
		if (rl.empty)
			continue;
		if (routes_set_add(s, &rl.dst, &rl.attr) != 0) {
			snprintf(err, errlen, "%s:%lu: out of memory", name,
			    lineno);
			ok = false;
			break;
		}
	}
	if (ok && ferror(f)) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		ok = false;
	}
	free(line);
	return ok;
}

int
routes_format(char *buf, size_t len, const struct prefix *p,
    const struct routes_attr *a, const struct routes_defaults *d)
{
	char pbuf[PREFIX_STRLEN], gbuf[INET6_ADDRSTRLEN];
	size_t o;

	prefix_ntop(p, pbuf, sizeof(pbuf));
	o = strlcpy(buf, pbuf, len);
	if (a->type != RTN_UNICAST)
		o += snprintf(buf + o, o < len ? len - o : 0, " type=%s",
		    routes_type_name(a->type));
	if (a->gw_family != 0) {
		addr_ntop(a->gw_family, &a->gw, gbuf, sizeof(gbuf));
		o += snprintf(buf + o, o < len ? len - o : 0, " via=%s", gbuf);
	}
	if (a->dev[0] != '\0')
		o += snprintf(buf + o, o < len ? len - o : 0, " dev=%s",
		    a->dev);
	else if (a->ifindex != 0)
		o += snprintf(buf + o, o < len ? len - o : 0, " dev=if%u",
		    a->ifindex);
	if (d == NULL || (a->metric != d->metric && !(p->family == AF_INET6 &&
	    d->metric == 0 && a->metric == ROUTES_IP6_METRIC)))
		o += snprintf(buf + o, o < len ? len - o : 0, " metric=%u",
		    a->metric);
	if (d == NULL || a->table != d->table)
		o += snprintf(buf + o, o < len ? len - o : 0, " table=%u",
		    a->table);
	if (a->multipath)
		o += snprintf(buf + o, o < len ? len - o : 0, " # multipath");
	return (int)o;
}

unsigned long
routes_find_line(FILE *f, const struct routes_defaults *d,
    const struct routes_route *r, const struct routes_attr *a)
{
	struct routes_line rl;
	const struct routes_attr *la = &rl.attr;
	char *line = NULL, why[256];
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0, found = 0;

	while (found == 0 && (len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!routes_parse_line(line, d, &rl, why, sizeof(why)) ||
		    rl.empty)
			continue;
		/* A device filled in for a gateway (routes_kernel_gateways())
		 * was not on the line. */
		if (prefix_contains(&r->dst, &rl.dst) &&
		    la->table == a->table && la->metric == a->metric &&
		    la->type == a->type && la->gw_family == a->gw_family &&
		    memcmp(&la->gw, &a->gw, sizeof(la->gw)) == 0 &&
		    (la->dev[0] == '\0' || strcmp(la->dev, a->dev) == 0))
			found = lineno;
	}
	free(line);
	return found;
}

/*
 * Standard input, kept while a load is under way: a conflict is found only
 * after every line was read, and its lines are then looked up again.
 */
static char	*stdin_buf;
static size_t	 stdin_len;

/* Standard input again, from memory; NULL when it was empty. */
static FILE *
stdin_again(void)
{
	return stdin_len ? fmemopen(stdin_buf, stdin_len, "r") : NULL;
}

static int
slurp_stdin(void)
{
	char *nb;
	size_t cap = 0, n;

	free(stdin_buf);
	stdin_buf = NULL;
	stdin_len = 0;
	for (;;) {
		if (stdin_len + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((nb = routes_grow(stdin_buf, cap, 1)) == NULL)
				return -1;
			stdin_buf = nb;
		}
		n = fread(stdin_buf + stdin_len, 1, cap - stdin_len, stdin);
		stdin_len += n;
		if (n == 0)
			return ferror(stdin) ? -1 : 0;
	}
}

/* Read every file (stdin when none, or "-") into s; not finished. */
int
routes_load_read(struct routes_set *s, char *const *files, int nfiles,
    const struct routes_defaults *d)
{
	char err[512];
	FILE *f;
	int i;
	bool ok;

	for (i = 0; i < (nfiles ? nfiles : 1); i++) {
		if (nfiles == 0 || strcmp(files[i], "-") == 0) {
			if (slurp_stdin() != 0 || (stdin_len > 0 &&
			    (f = stdin_again()) == NULL)) {
				warn("stdin");
				return 2;
			}
			if (stdin_len == 0)
				continue;
			ok = routes_read_file(s, f, "stdin", d, err,
			    sizeof(err));
			fclose(f);
		} else {
			if ((f = fopen(files[i], "r")) == NULL) {
				warn("%s", files[i]);
				return 2;
			}
			ok = routes_read_file(s, f, files[i], d, err,
			    sizeof(err));
			fclose(f);
		}
		if (!ok) {
			warnx("%s", err);
			return 2;
		}
	}
	return 0;
}

/* Where in the inputs route k of a conflict came from: "FILE:LINE". */
static unsigned long long
locate(const struct routes_set *s, int k, char *const *files, int nfiles,
    const struct routes_defaults *d, char *buf, size_t len)
{
	unsigned long line = 0;
	const char *name = "?";
	FILE *f;
	int i;

	for (i = 0; line == 0 && i < (nfiles ? nfiles : 1); i++) {
		if (nfiles == 0 || strcmp(files[i], "-") == 0) {
			name = "stdin";
			f = stdin_again();
		} else {
			name = files[i];
			f = fopen(files[i], "r");
		}
		if (f == NULL)
			continue;
		line = routes_find_line(f, d, &s->conflict[k],
		    &s->conflict_attr[k]);
		fclose(f);
	}
	if (line == 0) {
		snprintf(buf, len, "?");
		return ~0ULL;
	}
	snprintf(buf, len, "%s:%lu", name, line);
	/* The order of lines across the inputs. */
	return (unsigned long long)(i - 1) << 40 | line;
}

int
routes_load_finish(struct routes_set *s, bool aggregate, char *const *files,
    int nfiles, const struct routes_defaults *d)
{
	char err[512], at[2][PATH_MAX + 24], b[2][256];
	int rc, k;

	rc = routes_set_finish(s, aggregate, err, sizeof(err));
	if (rc == -EINVAL) {
		/* Named at the later of the two lines. */
		k = locate(s, 0, files, nfiles, d, at[0], sizeof(at[0])) >
		    locate(s, 1, files, nfiles, d, at[1], sizeof(at[1])) ?
		    0 : 1;
		routes_format(b[0], sizeof(b[0]), &s->conflict[0].dst,
		    &s->conflict_attr[0], NULL);
		routes_format(b[1], sizeof(b[1]), &s->conflict[1].dst,
		    &s->conflict_attr[1], NULL);
		warnx("%s: conflicting routes for one destination (same table "
		    "and metric): \"%s\" here and \"%s\" at %s", at[k], b[k],
		    b[1 - k], at[1 - k]);
		rc = 2;
	} else if (rc != 0) {
		warnx("%s", strerror(-rc));
		rc = 2;
	}
	free(stdin_buf);
	stdin_buf = NULL;
	stdin_len = 0;
	return rc;
}

int
routes_load(struct routes_set *s, char *const *files, int nfiles,
    const struct routes_defaults *d, bool aggregate)
{
	int rc;

	if ((rc = routes_load_read(s, files, nfiles, d)) != 0)
		return rc;
	return routes_load_finish(s, aggregate, files, nfiles, d);
}
