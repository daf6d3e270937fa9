/* SPDX-License-Identifier: ISC */
/*
 * Route sets: attributes interned in a small hash table (most lists have a
 * handful of distinct next hops), prefixes kept per attribute group until
 * aggregation, then one array sorted by route key.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prefix.h"
#include "routes.h"

/*
 * reallocarray() that asks for transparent huge pages on large arrays: a
 * million routes touch tens of megabytes, and on this kind of machine
 * faulting them in 4 KiB at a time costs more than reading them.
 */
void *
routes_grow(void *p, size_t n, size_t size)
{
	uintptr_t lo, hi;
	void *np;

	if ((np = reallocarray(p, n, size)) == NULL)
		return NULL;
	if (n * size >= (4 << 20)) {
		lo = (uintptr_t)np & ~(uintptr_t)4095;
		hi = ((uintptr_t)np + n * size) & ~(uintptr_t)4095;
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
	}
	return np;
}

void
routes_set_init(struct routes_set *s)
{
	memset(s, 0, sizeof(*s));
}

void
routes_set_free(struct routes_set *s)
{
	size_t i;

	if (s->grp != NULL)
		for (i = 0; i < s->nattr; i++)
			free(s->grp[i].p);
	free(s->grp);
	free(s->attr);
	free(s->hash);
	free(s->r);
	free(s->tables);
	memset(s, 0, sizeof(*s));
}

static size_t
addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static bool
attr_equal(const struct routes_attr *a, const struct routes_attr *b)
{
	return a->table == b->table && a->metric == b->metric &&
	    a->type == b->type && a->gw_family == b->gw_family &&
	    a->multipath == b->multipath &&
	    memcmp(&a->gw, &b->gw, addr_len(a->gw_family)) == 0 &&
	    strcmp(a->dev, b->dev) == 0;
}

static uint32_t
attr_hash(const struct routes_attr *a)
{
	uint32_t h = 2166136261u;
	const uint8_t *p;
	size_t i, n;

#define MIX(x) do { h ^= (uint8_t)(x); h *= 16777619u; } while (0)
	for (i = 0; i < 4; i++) {
		MIX(a->table >> (8 * i));
		MIX(a->metric >> (8 * i));
	}
	MIX(a->type);
	MIX(a->gw_family);
	MIX(a->multipath);
	p = a->gw.b;
	n = addr_len(a->gw_family);
	for (i = 0; i < n; i++)
		MIX(p[i]);
	for (i = 0; a->dev[i] != '\0'; i++)
		MIX(a->dev[i]);
#undef MIX
	return h;
}

static int
rehash(struct routes_set *s, size_t sz)
{
	uint32_t *h;
	size_t i, j;

	if ((h = calloc(sz, sizeof(*h))) == NULL)
		return -ENOMEM;
	for (i = 0; i < s->nattr; i++) {
		j = attr_hash(&s->attr[i]) & (sz - 1);
		while (h[j] != 0)
			j = (j + 1) & (sz - 1);
		h[j] = (uint32_t)i + 1;
	}
	free(s->hash);
	s->hash = h;
	s->hashsz = sz;
	return 0;
}

long
routes_set_attr(struct routes_set *s, const struct routes_attr *a)
{
	struct routes_attr *na;
	struct routes_group *ng;
	size_t j, cap;

	/* Lists and tables come in long runs of one next hop. */
	if (s->last != 0 && attr_equal(&s->attr[s->last - 1], a))
		return (long)s->last - 1;
	if (s->hashsz == 0 && rehash(s, 64) != 0)
		return -1;
	j = attr_hash(a) & (s->hashsz - 1);
	while (s->hash[j] != 0) {
		if (attr_equal(&s->attr[s->hash[j] - 1], a)) {
			s->last = s->hash[j];
			return (long)s->hash[j] - 1;
		}
		j = (j + 1) & (s->hashsz - 1);
	}
	if (s->nattr == s->capattr) {
		cap = s->capattr ? s->capattr * 2 : 16;
		if ((na = reallocarray(s->attr, cap, sizeof(*na))) == NULL)
			return -1;
		s->attr = na;
		if ((ng = reallocarray(s->grp, cap, sizeof(*ng))) == NULL)
			return -1;
		s->grp = ng;
		memset(s->grp + s->capattr, 0,
		    (cap - s->capattr) * sizeof(*ng));
		s->capattr = cap;
	}
	s->attr[s->nattr] = *a;
	s->grp[s->nattr].attr = (uint32_t)s->nattr;
	s->hash[j] = (uint32_t)++s->nattr;
	s->last = (uint32_t)s->nattr;
	if (s->nattr * 2 > s->hashsz && rehash(s, s->hashsz * 2) != 0)
		return -1;
	return (long)s->nattr - 1;
}

int
routes_set_add(struct routes_set *s, const struct prefix *p,
    const struct routes_attr *a)
{
	struct routes_group *g;
	struct prefix *np;
	long i;
	size_t cap;

	if ((i = routes_set_attr(s, a)) < 0)
		return -ENOMEM;
	g = &s->grp[i];
	if (g->n == g->cap) {
		cap = g->cap ? g->cap * 2 : 64;
		if ((np = routes_grow(g->p, cap, sizeof(*np))) == NULL)
			return -ENOMEM;
		g->p = np;
		g->cap = cap;
	}
	g->p[g->n++] = *p;
	return 0;
}

int
routes_set_merge_groups(struct routes_set *s)
{
	struct routes_group *g, *into;
	struct prefix *np;
	size_t i, j, cap;

	for (i = 1; i < s->nattr; i++) {
		g = &s->grp[i];
		for (j = 0; j < i; j++)
			if (attr_equal(&s->attr[j], &s->attr[i]))
				break;
		if (j == i || g->n == 0)
			continue;
		into = &s->grp[j];
		if (into->n + g->n > into->cap) {
			cap = into->n + g->n;
			if ((np = routes_grow(into->p, cap, sizeof(*np))) == NULL)
				return -ENOMEM;
			into->p = np;
			into->cap = cap;
		}
		memcpy(into->p + into->n, g->p, g->n * sizeof(*g->p));
		into->n += g->n;
		free(g->p);
		g->p = NULL;
		g->n = g->cap = 0;
	}
	/* The hash still finds the first of equal attributes. */
	s->last = 0;
	return s->hashsz ? rehash(s, s->hashsz) : 0;
}

static int
push(struct routes_set *s, const struct prefix *p, uint32_t ai)
{
	struct routes_route *nr;
	size_t cap;

	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 1024;
		if ((nr = routes_grow(s->r, cap, sizeof(*nr))) == NULL)
			return -ENOMEM;
		s->r = nr;
		s->cap = cap;
	}
	s->r[s->n].dst = *p;
	s->r[s->n].table = s->attr[ai].table;
	s->r[s->n].metric = s->attr[ai].metric;
	s->r[s->n].attr = ai;
	s->n++;
	return 0;
}

int
routes_set_push(struct routes_set *s, const struct prefix *p,
    const struct routes_attr *a)
{
	long i;

	if ((i = routes_set_attr(s, a)) < 0)
		return -ENOMEM;
	return push(s, p, (uint32_t)i);
}

int
routes_route_cmp(const struct routes_route *a, const struct routes_route *b)
{
	if (a->table != b->table)
		return a->table < b->table ? -1 : 1;
	if (a->dst.family != b->dst.family)
		return a->dst.family < b->dst.family ? -1 : 1;
	if (a->metric != b->metric)
		return a->metric < b->metric ? -1 : 1;
	return prefix_cmp(&a->dst, &b->dst);
}

static int
route_qcmp(const void *a, const void *b)
{
	return routes_route_cmp(a, b);
}

void
routes_set_sort(struct routes_set *s)
{
	size_t i, j;
	uint32_t *t;

	/* Both the kernel's dump of one table and an aggregated list of one
	 * next hop usually arrive in order already. */
	for (i = 1; i < s->n; i++)
		if (routes_route_cmp(&s->r[i - 1], &s->r[i]) > 0)
			break;
	if (i < s->n)
		qsort(s->r, s->n, sizeof(*s->r), route_qcmp);
	/* The distinct tables, in order: the array is sorted by table. */
	free(s->tables);
	s->tables = NULL;
	s->ntables = 0;
	for (i = 0, j = 0; i < s->n; i++)
		if (i == 0 || s->r[i].table != s->r[i - 1].table)
			j++;
	if (j == 0 || (t = calloc(j, sizeof(*t))) == NULL)
		return;
	for (i = 0; i < s->n; i++)
		if (i == 0 || s->r[i].table != s->r[i - 1].table)
			t[s->ntables++] = s->r[i].table;
	s->tables = t;
}

static size_t
dedup(struct prefix *v, size_t n)
{
	size_t i, o;

	prefix_sort(v, n);
	for (i = 0, o = 0; i < n; i++)
		if (o == 0 || !prefix_equal(&v[o - 1], &v[i]))
			v[o++] = v[i];
	return o;
}

int
routes_set_finish(struct routes_set *s, bool aggregate, char *err,
    size_t errlen)
{
	struct routes_group *g;
	struct routes_route *nr;
	char b1[256], b2[256];
	size_t i, j, total = 0;
	int rc;

	for (i = 0; i < s->nattr; i++) {
		g = &s->grp[i];
		g->n = aggregate ? prefix_aggregate(g->p, g->n) :
		    dedup(g->p, g->n);
		total += g->n;
	}
	if (total > 0) {
		if ((nr = routes_grow(s->r, total + s->n,
		    sizeof(*s->r))) == NULL)
			return -ENOMEM;
		s->r = nr;
		s->cap = total + s->n;
	}
	for (i = 0; i < s->nattr; i++) {
		g = &s->grp[i];
		for (j = 0; j < g->n; j++)
			if ((rc = push(s, &g->p[j], g->attr)) != 0)
				return rc;
		free(g->p);
		g->p = NULL;
		g->n = g->cap = 0;
	}
	routes_set_sort(s);
	for (i = 1; i < s->n; i++) {
		if (routes_route_cmp(&s->r[i - 1], &s->r[i]) != 0)
			continue;
		routes_format(b1, sizeof(b1), &s->r[i - 1].dst,
		    &s->attr[s->r[i - 1].attr], NULL);
		routes_format(b2, sizeof(b2), &s->r[i].dst,
		    &s->attr[s->r[i].attr], NULL);
		snprintf(err, errlen, "conflicting routes for one destination "
		    "(same table and metric): \"%s\" and \"%s\"", b1, b2);
		s->conflict[0] = s->r[i - 1];
		s->conflict[1] = s->r[i];
		s->conflict_attr[0] = s->attr[s->r[i - 1].attr];
		s->conflict_attr[1] = s->attr[s->r[i].attr];
		return -EINVAL;
	}
	return 0;
}

bool
routes_attr_match(const struct routes_attr *want,
    const struct routes_attr *have)
{
	if (have->multipath || want->type != have->type ||
	    want->gw_family != have->gw_family ||
	    memcmp(&want->gw, &have->gw, addr_len(want->gw_family)) != 0)
		return false;
	/* A route given by gateway alone leaves the device to the kernel. */
	if (want->dev[0] != '\0' && want->ifindex != have->ifindex)
		return false;
	return true;
}
