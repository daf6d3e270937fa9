/* SPDX-License-Identifier: ISC */
/*
 * edge-routes: keep the routes it owns in a routing table in step with
 * prefix lists.  See edge-routes(8).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#include "nl.h"
#include "prefix.h"
#include "routes.h"

enum emit { EMIT_NONE, EMIT_IP, EMIT_BIRD, EMIT_NFT, EMIT_EXABGP };

struct opts {
	struct routes_defaults	 d;
	bool			 table_given;
	uint8_t			 proto;
	bool			 dry_run;
	bool			 aggregate;
	bool			 allow_empty;
	unsigned int		 max_delete;	/* percent */
	bool			 force;
	enum emit		 emit;
	const char		*output;
	const char		*nft_table;
	const char		*nft_set;
	unsigned int		 interval;
	int			 verbose;
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: edge-routes sync [-46AEFnv] [-d dev] [-e emit] [-g via] [-i seconds]\n"
"                   [-M percent] [-m metric] [-N table] [-o file]\n"
"                   [-P protocol] [-S set] [-T type] [-t table] [file ...]\n"
"       edge-routes diff [-46Av] [-d dev] [-g via] [-m metric] [-P protocol]\n"
"                   [-T type] [-t table] [file ...]\n"
"       edge-routes dump [-46] [-P protocol] -t table\n"
"       edge-routes flush [-46nv] [-P protocol] -t table\n"
"       edge-routes aggregate [-46A] [file ...]\n"
"sync and diff need -t unless every line has table= (-t main for main)\n"
"emitters (-e): ip, bird, nft (-N table, -S set), exabgp (-i seconds)\n");
	exit(status);
}

/* The tables a verb works on: -t's and every table the input names. */
static uint32_t *
scope_tables(const struct opts *o, const struct routes_set *want, size_t *n)
{
	uint32_t *t;
	size_t i, k = 0;
	bool have = false;

	if ((t = calloc(want->ntables + 1, sizeof(*t))) == NULL)
		err(1, NULL);
	for (i = 0; i < want->ntables; i++) {
		t[k++] = want->tables[i];
		if (want->tables[i] == o->d.table)
			have = true;
	}
	if (!have && (o->table_given || want->ntables == 0))
		t[k++] = o->d.table;
	*n = k;
	return t;
}

struct stale_ctx {
	uint8_t		 proto;
	const uint32_t	*scope;
	size_t		 nscope;
	struct {
		uint32_t table;
		size_t	 n;
	}		 t[16];
	size_t		 nt;
};

static int
stale_cb(const struct nl_route *r, void *arg)
{
	struct stale_ctx *c = arg;
	uint32_t table = r->table ? r->table : RT_TABLE_MAIN;
	size_t i;

	if (r->protocol != c->proto)
		return 0;
	for (i = 0; i < c->nscope; i++)
		if (c->scope[i] == table)
			return 0;
	for (i = 0; i < c->nt; i++)
		if (c->t[i].table == table)
			break;
	if (i == c->nt) {
		if (c->nt == sizeof(c->t) / sizeof(c->t[0]))
			return 0;
		c->t[c->nt].table = table;
		c->t[c->nt++].n = 0;
	}
	c->t[i].n++;
	return 0;
}

/*
 * Without -t a run is about the tables its lines name.  When every line
 * of a table is gone, its owned routes stay: say so (they may belong to
 * another list of the same protocol number, so this is a warning).
 */
static void
warn_stale(struct nl *nl, const struct opts *o, const uint32_t *tables,
    size_t ntables)
{
	struct stale_ctx c = { .proto = o->proto, .scope = tables,
	    .nscope = ntables };
	size_t i;

	if (nl_route_dump(nl, o->d.family, 0, o->proto, stale_cb, &c) < 0)
		return;
	for (i = 0; i < c.nt; i++)
		warnx("table %u holds %zu owned route%s that no line names "
		    "(a list gone?); 'flush -t %u' removes them", c.t[i].table,
		    c.t[i].n, c.t[i].n == 1 ? "" : "s", c.t[i].table);
}

static int
open_nl(struct nl *nl)
{
	int rc;

	if ((rc = nl_open(nl, NETLINK_ROUTE)) < 0) {
		warnx("netlink: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

static int
read_owned(struct nl *nl, const struct opts *o, struct routes_set *have,
    const uint32_t *tables, size_t ntables)
{
	int rc;

	rc = routes_kernel_read(nl, have, o->proto, o->d.family, tables,
	    ntables);
	if (rc < 0) {
		warnx("reading routes: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

static int
apply(struct nl *nl, const struct opts *o, const struct routes_plan *pl)
{
	int rc;

	rc = routes_kernel_apply(nl, pl, o->proto, &o->d);
	if (rc < 0) {
		warnx("netlink: %s", strerror(-rc));
		return 1;
	}
	if (rc > 0) {
		warnx("%d of %zu changes failed", rc, pl->n);
		return 1;
	}
	return 0;
}

static void
summary(const struct opts *o, const struct routes_plan *pl, const char *verb)
{
	if (o->verbose)
		fprintf(stderr, "edge-routes: %s: %zu to add, %zu to replace, "
		    "%zu to delete, %zu unchanged\n", verb, pl->nadd, pl->nrep,
		    pl->ndel, pl->nkeep);
}

/* sync and diff */
static int
cmd_sync(const struct opts *o, char *const *files, int nfiles, bool diff)
{
	struct routes_emit_opts eo = { .output = o->output, .proto = o->proto,
	    .family = o->d.family, .nft_table = o->nft_table,
	    .nft_set = o->nft_set, .interval = o->interval, .files = files,
	    .nfiles = nfiles, .aggregate = o->aggregate,
	    .allow_empty = o->allow_empty, .force = o->force,
	    .max_delete = o->max_delete, .dry_run = o->dry_run,
	    .verbose = o->verbose, .d = &o->d };
	struct routes_set want, have;
	struct routes_plan pl;
	struct nl nl;
	uint32_t *tables = NULL;
	size_t ntables;
	char err[256];
	bool kernel, nl_opened = false;
	int rc, e;

	if (o->emit == EMIT_EXABGP)
		return routes_emit_exabgp(&eo);

	routes_set_init(&want);
	routes_set_init(&have);
	memset(&pl, 0, sizeof(pl));
	if ((rc = routes_load_read(&want, files, nfiles, &o->d)))
		goto out;
	/* For the kernel, "via=X" and "via=X dev=IF" are one next hop when
	 * X is on IF: aggregate them as one (dump prints the device). */
	kernel = o->emit == EMIT_NONE || o->emit == EMIT_IP;
	rc = 1;
	if (kernel) {
		if (open_nl(&nl) != 0)
			goto out;
		nl_opened = true;
		if ((e = routes_kernel_gateways(&nl, &want)) < 0) {
			warnx("reading addresses: %s", strerror(-e));
			goto out;
		}
	}
	if ((rc = routes_load_finish(&want, o->aggregate, files, nfiles,
	    &o->d)))
		goto out;
	if (want.n == 0 && !o->allow_empty && !diff) {
		warnx("the input holds no routes: refusing to empty the table "
		    "(--allow-empty to do so)");
		rc = 2;
		goto out;
	}
	if (o->emit == EMIT_BIRD) {
		rc = routes_emit_bird(&want, &eo);
		goto out;
	}
	if (o->emit == EMIT_NFT) {
		rc = routes_emit_nft(&want, &eo);
		goto out;
	}
	/* Without -t the lines name their tables; with none there is no
	 * table to work on, and main is never assumed. */
	if (want.ntables == 0 && o->d.table == ROUTES_TABLE_NONE) {
		warnx("%s: -t is required (-t main for the main table)",
		    diff ? "diff" : "sync");
		rc = 2;
		goto out;
	}

	rc = 1;
	if (routes_kernel_resolve(&nl, &want, err, sizeof(err)) != 0) {
		warnx("%s", err);
		goto out;
	}
	tables = scope_tables(o, &want, &ntables);
	if (read_owned(&nl, o, &have, tables, ntables) != 0)
		goto out;
	if (!o->table_given)
		warn_stale(&nl, o, tables, ntables);
	if (routes_plan_make(&pl, &want, &have) != 0) {
		warnx("plan: %s", strerror(ENOMEM));
		goto out;
	}
	summary(o, &pl, diff ? "diff" : "sync");
	if (diff || o->dry_run)
		routes_plan_print(stdout, &pl, &o->d);
	if (diff) {
		rc = pl.n > 0;
		goto out;
	}
	/* The guard comes before anything is printed for ip -batch, and a
	 * dry run says when the real one would be refused. */
	if (!routes_guard_ok(pl.ndel, have.n, o->force, o->max_delete,
	    "owned routes"))
		goto out;
	if (o->dry_run)
		rc = 0;
	else if (o->emit == EMIT_IP)
		rc = routes_emit_ip(&pl, &eo);
	else
		rc = apply(&nl, o, &pl);
out:
	if (nl_opened)
		nl_close(&nl);
	free(tables);
	routes_plan_free(&pl);
	routes_set_free(&want);
	routes_set_free(&have);
	return rc;
}

/*
 * Would sync's aggregation change these routes (siblings or covered
 * prefixes with the same attributes)?  Then "dump | sync" without -A is
 * no no-op, and dump says so.
 */
static bool
aggregates_further(const struct routes_set *have)
{
	struct prefix *v;
	size_t *off, i, a, n;
	bool further = false;

	/* The prefixes grouped by attribute (a counting sort), then each
	 * group aggregated on its own, as sync does. */
	v = calloc(have->n + 1, sizeof(*v));
	off = calloc(have->nattr + 2, sizeof(*off));
	if (v == NULL || off == NULL)
		goto out;
	for (i = 0; i < have->n; i++)
		off[have->r[i].attr + 2]++;
	for (a = 2; a < have->nattr + 2; a++)
		off[a] += off[a - 1];
	for (i = 0; i < have->n; i++)
		v[off[have->r[i].attr + 1]++] = have->r[i].dst;
	for (a = 0; a < have->nattr && !further; a++) {
		n = off[a + 1] - off[a];
		further = n > 1 && prefix_aggregate(v + off[a], n) != n;
	}
out:
	free(v);
	free(off);
	return further;
}

/* dump and flush */
static int
cmd_owned(const struct opts *o, bool flush)
{
	struct routes_set want, have;
	struct routes_plan pl;
	struct nl nl;
	char buf[512];
	size_t i;
	int rc = 1;

	routes_set_init(&want);
	routes_set_init(&have);
	memset(&pl, 0, sizeof(pl));
	if (open_nl(&nl) != 0)
		return 1;
	if (read_owned(&nl, o, &have, &o->d.table, 1) != 0)
		goto out;
	if (!flush) {
		if (aggregates_further(&have))
			warnx("dump: owned routes of table %u aggregate further "
			    "(synced with -A?): read this back with sync -A to "
			    "keep them as they are", o->d.table);
		for (i = 0; i < have.n; i++) {
			routes_format(buf, sizeof(buf), &have.r[i].dst,
			    &have.attr[have.r[i].attr], &o->d);
			puts(buf);
		}
		rc = fflush(stdout) == 0 ? 0 : 1;
		goto out;
	}
	if (routes_plan_make(&pl, &want, &have) != 0) {
		warnx("plan: %s", strerror(ENOMEM));
		goto out;
	}
	summary(o, &pl, "flush");
	if (o->dry_run) {
		routes_plan_print(stdout, &pl, &o->d);
		rc = 0;
		goto out;
	}
	rc = apply(&nl, o, &pl);
out:
	nl_close(&nl);
	routes_plan_free(&pl);
	routes_set_free(&want);
	routes_set_free(&have);
	return rc;
}

/*
 * aggregate: prefixes in, the smallest equivalent list out.  Anything
 * after the prefix on a line is ignored, so input lines with attributes
 * work too; host bits are cleared.
 */
static int
aggregate_file(FILE *f, const char *name, const struct opts *o,
    struct prefix **v, size_t *n, size_t *cap)
{
	char *line = NULL, *p, *tok, *save, why[128];
	size_t lcap = 0;
	unsigned long lineno = 0;
	struct prefix *nv;
	ssize_t len;
	struct stat sb;
	int rc = 0, fl = PREFIX_ADDR_OK | PREFIX_NORMALIZE;

	/* A file's size bounds its number of lines (a prefix takes at least
	 * eight bytes with its newline): size the array once. */
	if (*cap == 0 && fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_size > 0) {
		*cap = (size_t)sb.st_size / 8 + 1;
		if ((*v = routes_grow(NULL, *cap, sizeof(**v))) == NULL)
			err(1, NULL);
	}
	while ((len = getline(&line, &lcap, f)) != -1) {
		lineno++;
		if ((p = memchr(line, '#', (size_t)len)) != NULL)
			*p = '\0';
		if ((tok = strtok_r(line, " \t\r\n\v\f", &save)) == NULL)
			continue;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 4096;
			if ((nv = routes_grow(*v, *cap, sizeof(*nv))) == NULL)
				err(1, NULL);
			*v = nv;
		}
		if (!prefix_parse(tok, &(*v)[*n], fl, why, sizeof(why))) {
			warnx("%s:%lu: %s", name, lineno, why);
			rc = 2;
			break;
		}
		/* -4 and -6 leave the other family out, as for sync. */
		if (o->d.family == AF_UNSPEC || (*v)[*n].family == o->d.family)
			(*n)++;
	}
	if (rc == 0 && ferror(f)) {
		warn("%s", name);
		rc = 2;
	}
	free(line);
	return rc;
}

static int
cmd_aggregate(const struct opts *o, char *const *files, int nfiles)
{
	struct prefix *v = NULL;
	size_t n = 0, cap = 0, i;
	char buf[PREFIX_STRLEN];
	static char obuf[1 << 16];
	FILE *f;
	int rc = 0;

	for (i = 0; rc == 0 && i < (size_t)(nfiles ? nfiles : 1); i++) {
		if (nfiles == 0 || strcmp(files[i], "-") == 0)
			rc = aggregate_file(stdin, "stdin", o, &v, &n, &cap);
		else if ((f = fopen(files[i], "r")) == NULL) {
			warn("%s", files[i]);
			rc = 2;
		} else {
			rc = aggregate_file(f, files[i], o, &v, &n, &cap);
			fclose(f);
		}
	}
	if (rc != 0) {
		free(v);
		return rc;
	}
	n = o->aggregate ? prefix_aggregate(v, n) : n;
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	for (i = 0; i < n; i++) {
		fputs(prefix_ntop(&v[i], buf, sizeof(buf)), stdout);
		putchar('\n');
	}
	free(v);
	if (fflush(stdout) != 0) {
		warn("stdout");
		return 1;
	}
	return 0;
}

static const struct option longopts[] = {
	{ "table",	  required_argument, NULL, 't' },
	{ "via",	  required_argument, NULL, 'g' },
	{ "dev",	  required_argument, NULL, 'd' },
	{ "metric",	  required_argument, NULL, 'm' },
	{ "type",	  required_argument, NULL, 'T' },
	{ "protocol",	  required_argument, NULL, 'P' },
	{ "dry-run",	  no_argument,	     NULL, 'n' },
	{ "no-aggregate", no_argument,	     NULL, 'A' },
	{ "allow-empty",  no_argument,	     NULL, 'E' },
	{ "max-delete",	  required_argument, NULL, 'M' },
	{ "force",	  no_argument,	     NULL, 'F' },
	{ "ipv4",	  no_argument,	     NULL, '4' },
	{ "ipv6",	  no_argument,	     NULL, '6' },
	{ "emit",	  required_argument, NULL, 'e' },
	{ "output",	  required_argument, NULL, 'o' },
	{ "nft-table",	  required_argument, NULL, 'N' },
	{ "nft-set",	  required_argument, NULL, 'S' },
	{ "interval",	  required_argument, NULL, 'i' },
	{ "verbose",	  no_argument,	     NULL, 'v' },
	{ "help",	  no_argument,	     NULL, 'h' },
	{ "version",	  no_argument,	     NULL, 'V' },
	{ NULL,		  0,		     NULL, 0 }
};

static int
parse_opts(struct opts *o, int argc, char **argv)
{
	const char *errstr;
	char why[128], *end;
	union edge_addr a;
	int ch, fam;
	unsigned long pct;

	routes_defaults_init(&o->d);
	o->proto = ROUTES_PROTO_DEFAULT;
	o->aggregate = true;
	o->max_delete = 50;
	o->nft_table = "edgekit_routes";
	o->nft_set = "dst";
	o->interval = 5;
	while ((ch = getopt_long(argc, argv,
	    "46Ad:Ee:Fg:hi:M:m:N:no:P:S:T:t:vV", longopts, NULL)) != -1) {
		switch (ch) {
		case '4':
			o->d.family = AF_INET;
			break;
		case '6':
			o->d.family = AF_INET6;
			break;
		case 'A':
			o->aggregate = false;
			break;
		case 'd':
			if (strlen(optarg) == 0 || strlen(optarg) >= IFNAMSIZ)
				errx(2, "-d %s: bad interface name", optarg);
			strlcpy(o->d.dev, optarg, sizeof(o->d.dev));
			break;
		case 'E':
			o->allow_empty = true;
			break;
		case 'e':
			if (strcmp(optarg, "ip") == 0)
				o->emit = EMIT_IP;
			else if (strcmp(optarg, "bird") == 0)
				o->emit = EMIT_BIRD;
			else if (strcmp(optarg, "nft") == 0)
				o->emit = EMIT_NFT;
			else if (strcmp(optarg, "exabgp") == 0)
				o->emit = EMIT_EXABGP;
			else
				errx(2, "-e %s: expected ip, bird, nft or "
				    "exabgp", optarg);
			break;
		case 'F':
			o->force = true;
			break;
		case 'g':
			if (!addr_parse(optarg, &fam, &a, why, sizeof(why)))
				errx(2, "-g: %s", why);
			if (fam == AF_INET) {
				o->d.has_gw4 = true;
				o->d.gw4 = a;
			} else {
				o->d.has_gw6 = true;
				o->d.gw6 = a;
			}
			break;
		case 'h':
			usage(0);
		case 'i':
			o->interval = (unsigned int)strtonum(optarg, 1, 86400,
			    &errstr);
			if (errstr != NULL)
				errx(2, "-i %s: %s", optarg, errstr);
			break;
		case 'M':
			errno = 0;
			pct = strtoul(optarg, &end, 10);
			if (end == optarg || (*end != '\0' &&
			    strcmp(end, "%") != 0) || pct > 100 || errno)
				errx(2, "-M %s: expected a percentage, 0 to "
				    "100", optarg);
			o->max_delete = (unsigned int)pct;
			break;
		case 'm':
			o->d.metric = (uint32_t)strtonum(optarg, 0, UINT32_MAX,
			    &errstr);
			if (errstr != NULL)
				errx(2, "-m %s: %s", optarg, errstr);
			break;
		case 'N':
			o->nft_table = optarg;
			break;
		case 'n':
			o->dry_run = true;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'P':
			o->proto = (uint8_t)strtonum(optarg, 1, 255, &errstr);
			if (errstr != NULL)
				errx(2, "-P %s: %s", optarg, errstr);
			if (o->proto <= RTPROT_STATIC)
				errx(2, "-P %s: reserved for the kernel and "
				    "ip(8) (use a number of its own)", optarg);
			break;
		case 'S':
			o->nft_set = optarg;
			break;
		case 'T':
			if (!routes_parse_type(optarg, &o->d.type))
				errx(2, "-T %s: expected unicast, blackhole, "
				    "unreachable or prohibit", optarg);
			break;
		case 't':
			if (!routes_parse_table(optarg, &o->d.table, why,
			    sizeof(why)))
				errx(2, "-t: %s", why);
			o->table_given = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'V':
			printf("edge-routes %s\n", EDGEKIT_VERSION);
			exit(0);
		default:
			usage(2);
		}
	}
	return optind;
}

int
main(int argc, char **argv)
{
	struct opts o;
	const char *verb;
	int i;

	memset(&o, 0, sizeof(o));
	if (argc < 2)
		usage(2);
	verb = argv[1];
	if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0)
		usage(0);
	if (strcmp(verb, "-V") == 0 || strcmp(verb, "--version") == 0) {
		printf("edge-routes %s\n", EDGEKIT_VERSION);
		return 0;
	}
	i = parse_opts(&o, argc - 1, argv + 1) + 1;
	argc -= i;
	argv += i;

	/*
	 * Routes in main are never touched unless asked for: the kernel
	 * verbs (and -e ip, which names tables) need -t, or table= on every
	 * line.  BIRD, nft and ExaBGP have no tables.
	 */
	if (!o.table_given) {
		if (strcmp(verb, "dump") == 0 || strcmp(verb, "flush") == 0)
			errx(2, "%s: -t is required (-t main for the main "
			    "table)", verb);
		if (o.emit == EMIT_NONE || o.emit == EMIT_IP)
			o.d.table = ROUTES_TABLE_NONE;
	}

	/* An nft set holds prefixes only: a line needs no next hop. */
	if (o.emit == EMIT_NFT)
		o.d.no_nexthop_ok = true;

	if (o.emit == EMIT_EXABGP && o.dry_run)
		errx(2, "-e exabgp runs as ExaBGP's process: there is no -n");

	if (strcmp(verb, "sync") == 0)
		return cmd_sync(&o, argv, argc, false);
	if (strcmp(verb, "diff") == 0) {
		if (o.emit != EMIT_NONE || o.dry_run)
			errx(2, "diff takes no -e or -n");
		return cmd_sync(&o, argv, argc, true);
	}
	if (strcmp(verb, "dump") == 0 || strcmp(verb, "flush") == 0) {
		if (argc > 0)
			errx(2, "%s takes no files", verb);
		return cmd_owned(&o, strcmp(verb, "flush") == 0);
	}
	if (strcmp(verb, "aggregate") == 0)
		return cmd_aggregate(&o, argv, argc);
	warnx("unknown verb \"%s\"", verb);
	usage(2);
}
