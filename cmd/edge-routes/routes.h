/* SPDX-License-Identifier: ISC */
#ifndef EDGE_ROUTES_H
#define EDGE_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <net/if.h>

#include "prefix.h"

/*
 * edge-routes keeps the routes it owns (those carrying its rtnetlink
 * protocol number) in step with prefix lists.  The modules:
 *
 *   input.c	the line parser: "PREFIX [key=value ...]"
 *   set.c	route sets: attribute groups, aggregation, sorting
 *   plan.c	desired set against current set: add, replace, delete
 *   kernel.c	reading owned routes and applying a plan over rtnetlink
 *   emit_*.c	ip -batch, BIRD, nftables and ExaBGP output
 *   main.c	options and verbs
 */

#define ROUTES_PROTO_DEFAULT	202	/* rt_protos: "202 edge-routes" */
#define ROUTES_TABLE_MAIN	254
#define ROUTES_TABLE_NONE	0	/* no -t: every line must name one */
#define ROUTES_IP6_METRIC	1024	/* what the kernel makes of metric 0 */

/* The next hop and placement of a route: everything but its prefix. */
struct routes_attr {
	uint32_t	table;
	uint32_t	metric;
	uint8_t		type;		/* RTN_UNICAST, RTN_BLACKHOLE, ... */
	uint8_t		gw_family;	/* 0: no gateway */
	bool		multipath;	/* from the kernel; never matches */
	union edge_addr	gw;
	char		dev[IFNAMSIZ];	/* "": none named */
	uint32_t	ifindex;	/* dev resolved; 0 until then */
};

/* Command-line defaults that lines override. */
struct routes_defaults {
	uint32_t	table;
	uint32_t	metric;
	uint8_t		type;
	bool		has_gw4, has_gw6;
	union edge_addr	gw4, gw6;
	char		dev[IFNAMSIZ];
	int		family;		/* AF_UNSPEC, or -4/-6: only that one */
	int		pflags;		/* prefix_parse() flags */
	bool		no_nexthop_ok;	/* -e nft: next hops are not used */
};

/* One parsed line. */
struct routes_line {
	bool		empty;		/* blank or comment only */
	struct prefix	dst;
	struct routes_attr attr;
};

void	routes_defaults_init(struct routes_defaults *d);
/*
 * Parse one line (without its newline; it is modified).  False with the
 * reason in err (the caller adds file:line).
 */
bool	routes_parse_line(char *line, const struct routes_defaults *d,
	    struct routes_line *out, char *err, size_t errlen);
bool	routes_parse_table(const char *s, uint32_t *table, char *err,
	    size_t errlen);
bool	routes_parse_type(const char *s, uint8_t *type);
const char *routes_type_name(uint8_t type);

/*
 * A set of routes.  While reading, prefixes are kept per attribute group
 * (routes with equal attributes) so that aggregation only merges prefixes
 * that lead the same way.  routes_set_finish() then builds one array
 * sorted by key (family, table, metric, prefix).
 */
struct routes_group {
	uint32_t	 attr;		/* index into set->attr */
	struct prefix	*p;
	size_t		 n, cap;
};

struct routes_route {
	struct prefix	dst;
	uint32_t	table;
	uint32_t	metric;
	uint32_t	attr;		/* index into set->attr */
};

struct routes_set {
	struct routes_attr	*attr;
	size_t			 nattr, capattr;
	uint32_t		*hash;		/* attr index + 1, 0: empty */
	size_t			 hashsz;
	uint32_t		 last;		/* last interned attr + 1 */
	struct routes_group	*grp;		/* by attr index */
	struct routes_route	*r;
	size_t			 n, cap;
	uint32_t		*tables;	/* distinct tables, sorted */
	size_t			 ntables;
	/* After routes_set_finish() found a conflict: the two routes. */
	struct routes_route	 conflict[2];
	struct routes_attr	 conflict_attr[2];
};

/* reallocarray() that asks for huge pages on large arrays. */
void	*routes_grow(void *p, size_t n, size_t size);
void	routes_set_init(struct routes_set *s);
void	routes_set_free(struct routes_set *s);
/* Intern an attribute set; index, or -1 (ENOMEM). */
long	routes_set_attr(struct routes_set *s, const struct routes_attr *a);
/* Add a prefix to its group.  0 or -ENOMEM. */
int	routes_set_add(struct routes_set *s, const struct prefix *p,
	    const struct routes_attr *a);
/* Append to the flat array directly (the kernel reader). */
int	routes_set_push(struct routes_set *s, const struct prefix *p,
	    const struct routes_attr *a);
/*
 * Aggregate each group (or only sort and drop duplicates when !aggregate),
 * build the sorted flat array and the list of tables.  Two routes with the
 * same key but different attributes are an error, described in err.
 * Returns 0, -EINVAL (conflict) or -ENOMEM.
 */
int	routes_set_finish(struct routes_set *s, bool aggregate, char *err,
	    size_t errlen);
/*
 * Before routes_set_finish(), after attributes were changed in place (a
 * gateway's device filled in): merge the groups whose attributes are now
 * equal, so that aggregation sees them as one.  0 or -ENOMEM.
 */
int	routes_set_merge_groups(struct routes_set *s);
/* Sort the flat array (after routes_set_push()). */
void	routes_set_sort(struct routes_set *s);
int	routes_route_cmp(const struct routes_route *a,
	    const struct routes_route *b);
/* Does the route we have do what the route we want asks? */
bool	routes_attr_match(const struct routes_attr *want,
	    const struct routes_attr *have);

/*
 * Read files (or stdin for "-") into s.  On a bad line, false with
 * "file:line: reason" in err and s partly filled (the caller frees it).
 */
bool	routes_read_file(struct routes_set *s, FILE *f, const char *name,
	    const struct routes_defaults *d, char *err, size_t errlen);

/*
 * The first line of f (parsed with d) that went into route r with
 * attributes a after aggregation (its prefix inside r's, the same
 * placement and next hop); its number, or 0 when there is none.
 */
unsigned long routes_find_line(FILE *f, const struct routes_defaults *d,
	    const struct routes_route *r, const struct routes_attr *a);

/* Print a route as an input line: "PREFIX via=... dev=..."; fields equal
 * to the defaults' table and metric are left out. */
int	routes_format(char *buf, size_t len, const struct prefix *p,
	    const struct routes_attr *a, const struct routes_defaults *d);

/* ---- plans ---- */

enum { ROUTES_ADD = '+', ROUTES_DEL = '-', ROUTES_REPLACE = '~' };

struct routes_op {
	uint8_t		 op;
	const struct routes_route *r;	/* the route to add, replace or del */
	const struct routes_set	*s;	/* whose attributes r uses */
};

struct routes_plan {
	struct routes_op	*op;
	size_t			 n;
	size_t			 nadd, ndel, nrep, nkeep;
};

/* Compare desired (want) against owned (have), both finished/sorted.
 * Adds first, then replacements, then deletions.  0 or -ENOMEM. */
int	routes_plan_make(struct routes_plan *pl, const struct routes_set *want,
	    const struct routes_set *have);
void	routes_plan_free(struct routes_plan *pl);
void	routes_plan_print(FILE *f, const struct routes_plan *pl,
	    const struct routes_defaults *d);
/*
 * The max-delete guard, for sync and every emitter: may a change delete
 * ndel of the nhave things (routes, ranges) there are?  When not, says so
 * on stderr ("refusing to delete N of M WHAT ...") and returns false.
 */
bool	routes_guard_ok(size_t ndel, size_t nhave, bool force,
	    unsigned int max_delete, const char *what);

/* ---- the kernel ---- */

struct nl;

/* Read the owned routes of the given tables (and family) into s, sorted. */
int	routes_kernel_read(struct nl *nl, struct routes_set *s, uint8_t proto,
	    int family, const uint32_t *tables, size_t ntables);
/* Resolve dev names of s's attributes to ifindexes; on failure names the
 * device in err and returns -ENODEV. */
int	routes_kernel_resolve(struct nl *nl, struct routes_set *s, char *err,
	    size_t errlen);
/*
 * Fill in the device of every attribute that names a gateway but no
 * device, when the gateway is in the connected subnet of exactly one
 * interface: the device the kernel would pick.  Then "via=X" and
 * "via=X dev=IF" are one next hop to aggregation, as they are to the
 * kernel (and in dump's output).  Call before routes_set_finish().
 */
int	routes_kernel_gateways(struct nl *nl, struct routes_set *s);
/* Apply a plan; failures are printed one per route.  Returns the number
 * of failed routes, or a negative errno when the socket failed. */
int	routes_kernel_apply(struct nl *nl, const struct routes_plan *pl,
	    uint8_t proto, const struct routes_defaults *d);

/* ---- emitters ---- */

struct routes_emit_opts {
	const char	*output;	/* file, NULL: stdout */
	uint8_t		 proto;
	int		 family;
	const char	*nft_table;
	const char	*nft_set;	/* base name: NAME4 and NAME6 */
	unsigned int	 interval;	/* exabgp: seconds between re-reads */
	char *const	*files;		/* exabgp: the inputs to re-read */
	int		 nfiles;
	bool		 aggregate;
	bool		 allow_empty;	/* exabgp: guards, as for sync */
	bool		 force;
	unsigned int	 max_delete;
	bool		 dry_run;	/* -n: print the plan, change nothing */
	int		 verbose;
	const struct routes_defaults *d;
};

/* Each returns an exit status: 0, 1 (failed), 2 (input error). */
int	routes_emit_ip(const struct routes_plan *pl, const struct
	    routes_emit_opts *o);
int	routes_emit_bird(const struct routes_set *s,
	    const struct routes_emit_opts *o);
int	routes_emit_nft(const struct routes_set *s,
	    const struct routes_emit_opts *o);
int	routes_emit_exabgp(const struct routes_emit_opts *o);

/* Read every file (or stdin) into a finished set; exit status on error. */
int	routes_load(struct routes_set *s, char *const *files, int nfiles,
	    const struct routes_defaults *d, bool aggregate);
/* The two halves of routes_load(): read (groups filled, not finished),
 * then finish (aggregate, sort, check for conflicts: the message names
 * the file and line of both routes, read again to find them). */
int	routes_load_read(struct routes_set *s, char *const *files, int nfiles,
	    const struct routes_defaults *d);
int	routes_load_finish(struct routes_set *s, bool aggregate,
	    char *const *files, int nfiles, const struct routes_defaults *d);

#endif
