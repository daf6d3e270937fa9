/* SPDX-License-Identifier: ISC */
/*
 * edge-routes modules without the kernel: the line parser, route sets
 * (aggregation per attribute group, conflicts), plans and formatting.
 */
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include <linux/rtnetlink.h>

#include "routes.h"

Suite	*make_routes_suite(void);

static struct routes_defaults d;

static void
setup(void)
{
	char err[64];
	int fam;

	routes_defaults_init(&d);
	d.table = 100;
	d.has_gw4 = addr_parse("192.0.2.1", &fam, &d.gw4, err, sizeof(err));
}

static bool
parse(const char *s, struct routes_line *rl, char *err, size_t errlen)
{
	char buf[256];

	strlcpy(buf, s, sizeof(buf));
	return routes_parse_line(buf, &d, rl, err, errlen);
}

START_TEST(parse_defaults)
{
	struct routes_line rl;
	char err[128], buf[256];

	ck_assert(parse("198.51.100.0/24", &rl, err, sizeof(err)));
	ck_assert(!rl.empty);
	ck_assert_uint_eq(rl.attr.table, 100);
	ck_assert_uint_eq(rl.attr.gw_family, AF_INET);
	ck_assert_uint_eq(rl.attr.type, RTN_UNICAST);
	routes_format(buf, sizeof(buf), &rl.dst, &rl.attr, &d);
	ck_assert_str_eq(buf, "198.51.100.0/24 via=192.0.2.1");
	routes_format(buf, sizeof(buf), &rl.dst, &rl.attr, NULL);
	ck_assert_str_eq(buf,
	    "198.51.100.0/24 via=192.0.2.1 metric=0 table=100");
}
END_TEST

START_TEST(parse_attributes)
{
	struct routes_line rl;
	char err[128], buf[256];

	ck_assert(parse("  203.0.113.0/24\tdev=wg0 metric=7 table=main # x",
	    &rl, err, sizeof(err)));
	ck_assert_uint_eq(rl.attr.gw_family, 0);	/* dev replaces -g */
	ck_assert_str_eq(rl.attr.dev, "wg0");
	ck_assert_uint_eq(rl.attr.metric, 7);
	ck_assert_uint_eq(rl.attr.table, 254);
	routes_format(buf, sizeof(buf), &rl.dst, &rl.attr, &d);
	ck_assert_str_eq(buf, "203.0.113.0/24 dev=wg0 metric=7 table=254");

	ck_assert(parse("192.0.2.0/25 type=blackhole", &rl, err, sizeof(err)));
	ck_assert_uint_eq(rl.attr.type, RTN_BLACKHOLE);
	ck_assert_uint_eq(rl.attr.gw_family, 0);

	/* IPv6: metric 0 is the kernel's 1024, printed as the default. */
	ck_assert(parse("2001:db8::/32 via=2001:db8::1", &rl, err,
	    sizeof(err)));
	ck_assert_uint_eq(rl.attr.metric, 1024);
	routes_format(buf, sizeof(buf), &rl.dst, &rl.attr, &d);
	ck_assert_str_eq(buf, "2001:db8::/32 via=2001:db8::1");

	/* IPv4 over an IPv6 next hop is allowed (RTA_VIA). */
	ck_assert(parse("10.0.0.0/8 via=fe80::1 dev=e0", &rl, err,
	    sizeof(err)));
	ck_assert_uint_eq(rl.attr.gw_family, AF_INET6);

	ck_assert(parse("   # only a comment", &rl, err, sizeof(err)));
	ck_assert(rl.empty);
	ck_assert(parse("", &rl, err, sizeof(err)));
	ck_assert(rl.empty);
	ck_assert(parse("198.51.100.7", &rl, err, sizeof(err)));
	ck_assert_uint_eq(rl.dst.len, 32);
}
END_TEST

START_TEST(parse_errors)
{
	static const struct {
		const char *line, *msg;
	} bad[] = {
		{ "198.51.100.0/24 via", "key=value" },
		{ "198.51.100.0/24 via=x", "via" },
		{ "198.51.100.0/24 foo=1", "unknown attribute" },
		{ "198.51.100.0/24 metric=1x", "metric" },
		{ "198.51.100.0/24 table=255", "table" },
		{ "198.51.100.0/24 table=0", "table" },
		{ "198.51.100.0/24 type=nat", "type" },
		{ "198.51.100.0/24 dev=a dev=b", "twice" },
		{ "2001:db8::/32", "no next hop" },
		{ "2001:db8::/32 via=192.0.2.1", "IPv4 gateway" },
		{ "198.51.100.0/24 type=prohibit dev=x", "no via or dev" },
		{ "198.51.100.0/24 dev=a/b", "interface name" },
	};
	struct routes_line rl;
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!parse(bad[i].line, &rl, err, sizeof(err)),
		    "accepted: %s", bad[i].line);
		ck_assert_msg(strstr(err, bad[i].msg) != NULL,
		    "\"%s\": \"%s\" lacks \"%s\"", bad[i].line, err,
		    bad[i].msg);
	}
	ck_assert(!parse("198.51.100.1/24", &rl, err, sizeof(err)));
	ck_assert(!parse("198.51.100.0/33", &rl, err, sizeof(err)));
}
END_TEST

/* Without -t a line must name its table: main is never the default. */
START_TEST(parse_no_table)
{
	struct routes_line rl;
	char err[128];

	d.table = ROUTES_TABLE_NONE;
	ck_assert(!parse("198.51.100.0/24", &rl, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "-t is required"));
	ck_assert(parse("198.51.100.0/24 table=101", &rl, err, sizeof(err)));
	ck_assert_uint_eq(rl.attr.table, 101);
	ck_assert(parse("198.51.100.0/24 table=main", &rl, err, sizeof(err)));
	ck_assert_uint_eq(rl.attr.table, RT_TABLE_MAIN);
	ck_assert(parse("# comment", &rl, err, sizeof(err)));
	ck_assert(rl.empty);
}
END_TEST

START_TEST(parse_family_filter)
{
	struct routes_line rl;
	char err[128];

	d.family = AF_INET;
	/* The other family is skipped, even without a next hop for it... */
	ck_assert(parse("2001:db8::/32", &rl, err, sizeof(err)));
	ck_assert(rl.empty);
	/* ...but a garbled line is still an error. */
	ck_assert(!parse("2001:db8::/32 bogus", &rl, err, sizeof(err)));
}
END_TEST

static void
load(struct routes_set *s, const char *text, bool aggregate)
{
	char err[256];
	FILE *f;

	routes_set_init(s);
	f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(routes_read_file(s, f, "t", &d, err, sizeof(err)),
	    "%s", err);
	fclose(f);
	ck_assert_int_eq(routes_set_finish(s, aggregate, err, sizeof(err)),
	    0);
}

static const char *
fmt(const struct routes_set *s, size_t i)
{
	static char buf[256];

	routes_format(buf, sizeof(buf), &s->r[i].dst, &s->attr[s->r[i].attr],
	    &d);
	return buf;
}

START_TEST(set_aggregate_per_group)
{
	struct routes_set s;

	load(&s, "10.0.0.0/25\n10.0.0.128/25 via=192.0.2.9\n"
	    "10.0.1.0/25\n10.0.1.128/25\n10.0.1.7/32\n"
	    "10.0.0.128/26 via=192.0.2.9\n", true);
	/* The two 10.0.1.x halves merge; 10.0.0.x halves lead different
	 * ways and stay apart. */
	ck_assert_uint_eq(s.n, 3);
	ck_assert_str_eq(fmt(&s, 0), "10.0.0.0/25 via=192.0.2.1");
	ck_assert_str_eq(fmt(&s, 1), "10.0.0.128/25 via=192.0.2.9");
	ck_assert_str_eq(fmt(&s, 2), "10.0.1.0/24 via=192.0.2.1");
	ck_assert_uint_eq(s.ntables, 1);
	routes_set_free(&s);

	load(&s, "10.0.1.0/25\n10.0.1.128/25\n10.0.1.0/25\n", false);
	ck_assert_uint_eq(s.n, 2);		/* -A: duplicates only */
	routes_set_free(&s);
}
END_TEST

START_TEST(set_conflict)
{
	struct routes_set s;
	char err[256];
	FILE *f;
	const char *text = "10.0.0.0/24\n10.0.0.0/24 via=192.0.2.9\n";
	unsigned long l0, l1;

	routes_set_init(&s);
	f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	ck_assert(routes_read_file(&s, f, "t", &d, err, sizeof(err)));
	fclose(f);
	ck_assert_int_ne(routes_set_finish(&s, true, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "conflicting"));
	/* The conflict's two routes, and the lines they came from. */
	f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	l0 = routes_find_line(f, &d, &s.conflict[0], &s.conflict_attr[0]);
	rewind(f);
	l1 = routes_find_line(f, &d, &s.conflict[1], &s.conflict_attr[1]);
	fclose(f);
	ck_assert(l0 == 1 || l0 == 2);
	ck_assert_uint_eq(l0 + l1, 3);
	routes_set_free(&s);
}
END_TEST

START_TEST(read_error_names_line)
{
	struct routes_set s;
	char err[256];
	FILE *f;
	const char *text = "# header\n10.0.0.0/24\n\n10.0.0.0/24 via=bad\n";

	routes_set_init(&s);
	f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	ck_assert(!routes_read_file(&s, f, "list.txt", &d, err, sizeof(err)));
	fclose(f);
	ck_assert_msg(strncmp(err, "list.txt:4: via", 15) == 0, "%s", err);
	routes_set_free(&s);
}
END_TEST

START_TEST(plan_ops)
{
	struct routes_set want, have;
	struct routes_plan pl;

	load(&want, "10.0.0.0/24\n10.0.1.0/24 via=192.0.2.9\n10.0.3.0/24\n",
	    true);
	load(&have, "10.0.0.0/24\n10.0.1.0/24\n10.0.2.0/24\n", false);
	ck_assert_int_eq(routes_plan_make(&pl, &want, &have), 0);
	ck_assert_uint_eq(pl.n, 3);
	ck_assert_uint_eq(pl.nkeep, 1);
	/* Adds first, replacements next, deletions last. */
	ck_assert_int_eq(pl.op[0].op, ROUTES_ADD);
	ck_assert_int_eq(pl.op[1].op, ROUTES_REPLACE);
	ck_assert_int_eq(pl.op[2].op, ROUTES_DEL);
	routes_plan_free(&pl);
	ck_assert_int_eq(routes_plan_make(&pl, &want, &want), 0);
	ck_assert_uint_eq(pl.n, 0);
	routes_plan_free(&pl);
	routes_set_free(&want);
	routes_set_free(&have);
}
END_TEST

Suite *
make_routes_suite(void)
{
	Suite *s = suite_create("routes");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, parse_defaults);
	tcase_add_test(tc, parse_attributes);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, parse_no_table);
	tcase_add_test(tc, parse_family_filter);
	tcase_add_test(tc, set_aggregate_per_group);
	tcase_add_test(tc, set_conflict);
	tcase_add_test(tc, read_error_names_line);
	tcase_add_test(tc, plan_ops);
	suite_add_tcase(s, tc);
	return s;
}
