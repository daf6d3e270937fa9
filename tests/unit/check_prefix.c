/* SPDX-License-Identifier: ISC */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <check.h>

#include "prefix.h"

static struct prefix
P(const char *s)
{
	struct prefix	p;
	char		err[128];

	if (!prefix_parse(s, &p, PREFIX_ADDR_OK, err, sizeof(err)))
		ck_abort_msg("parse %s: %s", s, err);
	return p;
}

static const char *
ntop(const struct prefix *p)
{
	static char	buf[4][PREFIX_STRLEN];
	static int	i;

	i = (i + 1) % 4;
	return prefix_ntop(p, buf[i], sizeof(buf[i]));
}

/* Parse with flags; NULL on success, else the error text. */
static const char *
perr(const char *s, int flags)
{
	static char	err[256];
	struct prefix	p;

	if (prefix_parse(s, &p, flags, err, sizeof(err)))
		return NULL;
	return err;
}

static void
roundtrip(const char *in, int flags, const char *want)
{
	struct prefix	p;
	char		err[256];

	ck_assert_msg(prefix_parse(in, &p, flags, err, sizeof(err)),
	    "%s: %s", in, err);
	ck_assert_str_eq(ntop(&p), want);
}

START_TEST(parse_ok)
{
	struct prefix p;

	roundtrip("10.0.0.0/8", 0, "10.0.0.0/8");
	roundtrip("0.0.0.0/0", 0, "0.0.0.0/0");
	roundtrip("255.255.255.255/32", 0, "255.255.255.255/32");
	roundtrip("192.0.2.1", PREFIX_ADDR_OK, "192.0.2.1/32");
	roundtrip("::/0", 0, "::/0");
	roundtrip("::", PREFIX_ADDR_OK, "::/128");
	roundtrip("2001:DB8::/32", 0, "2001:db8::/32");
	roundtrip("2001:db8:0:0:0:0:0:1/128", 0, "2001:db8::1/128");
	roundtrip("::ffff:1.2.3.4", PREFIX_ADDR_OK, "::ffff:1.2.3.4/128");
	roundtrip("::ffff:0.0.0.0/96", 0, "::ffff:0.0.0.0/96");
	roundtrip("  198.51.100.0/24\n", 0, "198.51.100.0/24");
	roundtrip("\t2001:db8::/48 ", 0, "2001:db8::/48");
	roundtrip("10.1.2.3/8", PREFIX_NORMALIZE, "10.0.0.0/8");
	roundtrip("2001:db8::1/32", PREFIX_NORMALIZE, "2001:db8::/32");
	roundtrip("10.0.0.0/0", PREFIX_NORMALIZE, "0.0.0.0/0");
	roundtrip("10.0.0.0/24", PREFIX_V4, "10.0.0.0/24");
	roundtrip("::1", PREFIX_V6 | PREFIX_ADDR_OK, "::1/128");

	p = P("192.0.2.0/24");
	ck_assert_int_eq(p.family, AF_INET);
	ck_assert_int_eq(p.len, 24);
	ck_assert_int_eq(p.pad[0] | p.pad[1], 0);
	ck_assert_int_eq(p.addr.b[0], 192);
	ck_assert_int_eq(p.addr.b[4], 0);
	p = P("2001:db8::/32");
	ck_assert_int_eq(p.family, AF_INET6);
	ck_assert_int_eq(p.len, 32);
}
END_TEST

START_TEST(parse_errors)
{
	ck_assert_str_eq(perr("10.0.0.1/24", 0),
	    "\"10.0.0.1/24\": host bits set (did you mean 10.0.0.0/24?)");
	ck_assert_str_eq(perr("2001:db8::1/32", 0),
	    "\"2001:db8::1/32\": host bits set (did you mean 2001:db8::/32?)");
	ck_assert_str_eq(perr("10.0.0.0/33", 0),
	    "\"10.0.0.0/33\": prefix length out of range");
	ck_assert_str_eq(perr("::/129", 0),
	    "\"::/129\": prefix length out of range");
	ck_assert_str_eq(perr("10.0.0.0/99999999999999999999", 0),
	    "\"10.0.0.0/99999999999999999999\": prefix length out of range");
	ck_assert_str_eq(perr("10.0.0.0/", 0),
	    "\"10.0.0.0/\": missing prefix length after \"/\"");
	ck_assert_str_eq(perr("10.0.0.0/x", 0),
	    "\"10.0.0.0/x\": prefix length is not a number");
	ck_assert_str_eq(perr("10.0.0.0/-1", 0),
	    "\"10.0.0.0/-1\": prefix length is not a number");
	ck_assert_str_eq(perr("10.0.0.0/ 8", 0),
	    "\"10.0.0.0/ 8\": prefix length is not a number");
	ck_assert_str_eq(perr("10.0.0.0/08", 0),
	    "\"10.0.0.0/08\": prefix length has a leading zero");
	ck_assert_str_eq(perr("10.0.0.0", 0),
	    "\"10.0.0.0\": missing prefix length (\"/N\")");
	ck_assert_str_eq(perr("010.0.0.0/8", 0),
	    "\"010.0.0.0/8\": invalid IPv4 address: octet 1 has a leading zero");
	ck_assert_str_eq(perr("10.0.0.00/32", 0),
	    "\"10.0.0.00/32\": invalid IPv4 address: octet 4 has a leading zero");
	ck_assert_str_eq(perr("10.0.0.256/32", 0),
	    "\"10.0.0.256/32\": invalid IPv4 address: octet 4 is greater than 255");
	ck_assert_str_eq(perr("10.0.1000.0/32", 0),
	    "\"10.0.1000.0/32\": invalid IPv4 address: octet 3 is greater than 255");
	ck_assert_str_eq(perr("10.0.0/24", 0),
	    "\"10.0.0/24\": invalid IPv4 address: too few octets");
	ck_assert_str_eq(perr("10.0.0.0.0/24", 0),
	    "\"10.0.0.0.0/24\": invalid IPv4 address: too many octets");
	ck_assert_str_eq(perr("10..0.0/24", 0),
	    "\"10..0.0/24\": invalid IPv4 address: octet 2 is empty or not a number");
	ck_assert_str_eq(perr("10.0.0.0 /24", 0),
	    "\"10.0.0.0 /24\": invalid IPv4 address: unexpected character");
	ck_assert_str_eq(perr("10.0.0.0x/24", 0),
	    "\"10.0.0.0x/24\": invalid IPv4 address: unexpected character");
	ck_assert_str_eq(perr("example.com", 0),
	    "\"example.com\": not an IPv4 or IPv6 address");
	ck_assert_str_eq(perr("", 0), "\"\": missing address");
	ck_assert_str_eq(perr("   ", 0), "\"\": missing address");
	ck_assert_str_eq(perr("/24", 0), "\"/24\": missing address");
	ck_assert_str_eq(perr("2001:db8::g/64", 0),
	    "\"2001:db8::g/64\": invalid IPv6 address");
	ck_assert_str_eq(perr("1:2:3:4:5:6:7:8:9/64", 0),
	    "\"1:2:3:4:5:6:7:8:9/64\": invalid IPv6 address");
	ck_assert_str_eq(perr("2001:db8:::1/64", 0),
	    "\"2001:db8:::1/64\": invalid IPv6 address");
	ck_assert_str_eq(perr("::ffff:01.2.3.4", PREFIX_ADDR_OK),
	    "\"::ffff:01.2.3.4\": invalid IPv6 address");
	ck_assert_str_eq(perr("fe80::1%eth0", PREFIX_ADDR_OK),
	    "\"fe80::1%eth0\": invalid IPv6 address: zone index not allowed");
	ck_assert_str_eq(perr("::/0", PREFIX_V4),
	    "\"::/0\": IPv6 not allowed here");
	ck_assert_str_eq(perr("0.0.0.0/0", PREFIX_V6),
	    "\"0.0.0.0/0\": IPv4 not allowed here");
	/* Long input is cut in the message. */
	ck_assert_ptr_nonnull(strstr(perr(
	    "1111111111111111111111111111111111111111111111111111111111111111111111",
	    0), "...\": "));
	/* A failed parse leaves the output alone. */
	{
		struct prefix p = P("192.0.2.0/24"), q = p;
		char err[64];

		ck_assert(!prefix_parse("10.0.0.1/8", &p, 0, err, sizeof(err)));
		ck_assert(prefix_equal(&p, &q));
		/* A short or absent error buffer is fine. */
		ck_assert(!prefix_parse("10.0.0.1/8", &p, 0, err, 8));
		ck_assert_str_eq(err, "\"10.0.0");
		ck_assert(!prefix_parse("10.0.0.1/8", &p, 0, NULL, 0));
	}
}
END_TEST

START_TEST(addr)
{
	union edge_addr	a;
	int		fam;
	char		err[128], buf[INET6_ADDRSTRLEN];

	ck_assert(addr_parse("192.0.2.7", &fam, &a, err, sizeof(err)));
	ck_assert_int_eq(fam, AF_INET);
	ck_assert_str_eq(addr_ntop(fam, &a, buf, sizeof(buf)), "192.0.2.7");
	ck_assert(addr_parse(" 2001:db8::7 ", &fam, &a, err, sizeof(err)));
	ck_assert_int_eq(fam, AF_INET6);
	ck_assert_str_eq(addr_ntop(fam, &a, buf, sizeof(buf)), "2001:db8::7");
	ck_assert(!addr_parse("192.0.2.0/24", &fam, &a, err, sizeof(err)));
	ck_assert_str_eq(err,
	    "\"192.0.2.0/24\": expected an address, not a prefix");
	ck_assert(!addr_parse("1.2.3", &fam, &a, err, sizeof(err)));
	ck_assert_str_eq(err, "\"1.2.3\": invalid IPv4 address: too few octets");
}
END_TEST

/* Every textual IPv4 address agrees with inet_pton's verdict. */
START_TEST(v4_like_inet_pton)
{
	static const char *cases[] = {
		"1.2.3.4", "01.2.3.4", "1.2.3.04", "0.0.0.0", "00.0.0.0",
		"255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3",
		"1.2.3.", ".1.2.3", "1.2.3.4 ", "0x1.2.3.4", "1.2.3.-4",
		"1234.1.1.1", "1.2.3.4a", "9.9.9.9", "100.200.250.199",
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct in_addr	ia;
		union edge_addr	a;
		int		fam, want, got;
		char		err[128];

		want = inet_pton(AF_INET, cases[i], &ia) == 1;
		/* Our parser trims white space; inet_pton does not. */
		if (strchr(cases[i], ' ') != NULL)
			want = 1;
		got = addr_parse(cases[i], &fam, &a, err, sizeof(err));
		ck_assert_msg(got == want, "%s: ours %d inet_pton %d",
		    cases[i], got, want);
		if (got && strchr(cases[i], ' ') == NULL)
			ck_assert(memcmp(&ia, a.b, 4) == 0);
	}
}
END_TEST

START_TEST(cmp_contains)
{
	struct prefix a = P("10.0.0.0/8"), b = P("10.0.0.0/16"),
	    c = P("10.1.0.0/16"), d = P("11.0.0.0/8"), e = P("::/0"),
	    f = P("2001:db8::/32"), g = P("0.0.0.0/0");
	union edge_addr x;
	int fam;

	ck_assert_int_lt(prefix_cmp(&a, &b), 0);	/* shorter first */
	ck_assert_int_lt(prefix_cmp(&b, &c), 0);
	ck_assert_int_lt(prefix_cmp(&c, &d), 0);
	ck_assert_int_lt(prefix_cmp(&d, &e), 0);	/* v4 before v6 */
	ck_assert_int_lt(prefix_cmp(&g, &a), 0);
	ck_assert_int_gt(prefix_cmp(&f, &e), 0);
	ck_assert_int_eq(prefix_cmp(&f, &f), 0);
	ck_assert(prefix_equal(&a, &a));
	ck_assert(!prefix_equal(&a, &b));

	ck_assert(prefix_contains(&a, &b));
	ck_assert(prefix_contains(&a, &c));
	ck_assert(prefix_contains(&a, &a));
	ck_assert(!prefix_contains(&b, &a));
	ck_assert(!prefix_contains(&b, &c));
	ck_assert(!prefix_contains(&a, &d));
	ck_assert(prefix_contains(&g, &d));
	ck_assert(!prefix_contains(&g, &e));	/* families differ */
	ck_assert(!prefix_contains(&e, &g));
	ck_assert(prefix_contains(&e, &f));
	{
		struct prefix h = P("10.128.0.0/9"), i = P("10.127.255.255/32");

		ck_assert(!prefix_contains(&h, &i));
		ck_assert(prefix_contains(&a, &i));
	}

	ck_assert(addr_parse("10.255.1.1", &fam, &x, NULL, 0));
	ck_assert(prefix_contains_addr(&a, fam, &x));
	ck_assert(!prefix_contains_addr(&b, fam, &x));
	ck_assert(!prefix_contains_addr(&e, fam, &x));
	ck_assert(addr_parse("2001:db8:ffff::1", &fam, &x, NULL, 0));
	ck_assert(prefix_contains_addr(&f, fam, &x));
	ck_assert(prefix_contains_addr(&e, fam, &x));

	ck_assert_int_eq(prefix_maxlen(AF_INET), 32);
	ck_assert_int_eq(prefix_maxlen(AF_INET6), 128);
	ck_assert_int_eq(prefix_maxlen(AF_UNIX), 0);
}
END_TEST

START_TEST(mask)
{
	struct prefix p;
	char err[64];

	ck_assert(prefix_parse("255.255.255.255", &p, PREFIX_ADDR_OK, err,
	    sizeof(err)));
	p.len = 13;
	prefix_mask(&p);
	ck_assert_str_eq(ntop(&p), "255.248.0.0/13");
	ck_assert(prefix_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &p,
	    PREFIX_ADDR_OK, err, sizeof(err)));
	p.len = 65;
	prefix_mask(&p);
	ck_assert_str_eq(ntop(&p), "ffff:ffff:ffff:ffff:8000::/65");
	p.len = 0;
	prefix_mask(&p);
	ck_assert_str_eq(ntop(&p), "::/0");
}
END_TEST

/* Aggregate the list in and compare with the expected text. */
static void
agg(const char *in, const char *want)
{
	struct prefix	v[64];
	char		buf[1024] = "", *s, *tok, *save;
	size_t		n = 0, m, i;

	s = strdup(in);
	for (tok = strtok_r(s, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save))
		v[n++] = P(tok);
	free(s);
	m = prefix_aggregate(v, n);
	for (i = 0; i < m; i++) {
		if (i > 0)
			strcat(buf, " ");
		strcat(buf, ntop(&v[i]));
	}
	ck_assert_msg(strcmp(buf, want) == 0, "aggregate(%s) = \"%s\", want "
	    "\"%s\"", in, buf, want);
}

START_TEST(aggregate)
{
	agg("", "");
	agg("10.0.0.0/8", "10.0.0.0/8");
	/* covered */
	agg("10.1.0.0/16 10.0.0.0/8 10.2.3.0/24", "10.0.0.0/8");
	agg("10.0.0.0/16 10.0.0.0/8", "10.0.0.0/8");
	/* siblings */
	agg("10.0.1.0/24 10.0.0.0/24", "10.0.0.0/23");
	/* not siblings: adjacent but not aligned */
	agg("10.0.1.0/24 10.0.2.0/24", "10.0.1.0/24 10.0.2.0/24");
	/* cascading merges */
	agg("10.0.0.0/24 10.0.1.0/24 10.0.2.0/23 10.0.4.0/22",
	    "10.0.0.0/21");
	agg("192.0.2.3/32 192.0.2.2/32 192.0.2.1/32 192.0.2.0/32",
	    "192.0.2.0/30");
	agg("0.0.0.0/1 128.0.0.0/1", "0.0.0.0/0");
	agg("0.0.0.0/0 10.0.0.0/8 2001:db8::/32", "0.0.0.0/0 2001:db8::/32");
	agg("::/0 ::/1 8000::/1 2001:db8::1/128", "::/0");
	agg("::/1 8000::/1", "::/0");
	/* duplicates */
	agg("10.0.0.0/8 10.0.0.0/8 10.0.0.0/8", "10.0.0.0/8");
	agg("10.0.0.0/25 10.0.0.0/25 10.0.0.128/25 10.0.0.128/25",
	    "10.0.0.0/24");
	/* mixed families, v4 first */
	agg("2001:db8:1::/48 10.0.0.0/9 2001:db8::/48 10.128.0.0/9",
	    "10.0.0.0/8 2001:db8::/47");
	/* merge made after a covered entry was dropped */
	agg("10.0.0.0/24 10.0.0.7/32 10.0.1.0/24", "10.0.0.0/23");
	/* a merge that then covers a later entry */
	agg("10.0.0.0/25 10.0.0.128/25 10.0.0.200/32 10.0.1.0/24",
	    "10.0.0.0/23");
	/* unsorted, with holes */
	agg("192.0.2.128/25 198.51.100.0/24 192.0.2.0/26 192.0.2.64/26 "
	    "203.0.113.0/25",
	    "192.0.2.0/24 198.51.100.0/24 203.0.113.0/25");
	/* v4-mapped IPv6 is IPv6 */
	agg("::ffff:10.0.0.0/104 10.0.0.0/8", "10.0.0.0/8 ::ffff:10.0.0.0/104");
}
END_TEST

static uint32_t rnd_state = 12345;

static uint32_t
rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static bool
covered_by(const struct prefix *v, size_t n, const struct prefix *p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (prefix_contains(&v[i], p))
			return true;
	return false;
}

/* Cross-check aggregation against brute force on a small v4 space. */
START_TEST(aggregate_random)
{
	enum { N = 200 };
	struct prefix	in[N], out[N], x;
	size_t		n, m, i, j, k;
	int		round;

	for (round = 0; round < 200; round++) {
		n = 1 + rnd() % N;
		for (i = 0; i < n; i++) {
			memset(&in[i], 0, sizeof(in[i]));
			if (rnd() % 4 == 0) {
				in[i].family = AF_INET6;
				in[i].addr.b[0] = 0x20;
				in[i].addr.b[1] = (uint8_t)(rnd() & 0x3);
				in[i].len = (uint8_t)(6 + rnd() % 11);
			} else {
				in[i].family = AF_INET;
				in[i].addr.b[0] = 10;
				in[i].addr.b[1] = (uint8_t)rnd();
				in[i].len = (uint8_t)(8 + rnd() % 9);
			}
			prefix_mask(&in[i]);
		}
		memcpy(out, in, n * sizeof(in[0]));
		m = prefix_aggregate(out, n);
		/* sorted, disjoint, no siblings */
		for (i = 1; i < m; i++) {
			ck_assert_int_lt(prefix_cmp(&out[i - 1], &out[i]), 0);
			ck_assert(!prefix_contains(&out[i - 1], &out[i]));
		}
		for (i = 0; i + 1 < m; i++)
			if (out[i].family == out[i + 1].family &&
			    out[i].len == out[i + 1].len && out[i].len > 0) {
				x = out[i];
				x.len--;
				prefix_mask(&x);
				ck_assert(!prefix_contains(&x, &out[i + 1]));
			}
		/* every /16 (v4) or /16 (v6) unit is in both or neither */
		for (k = 0; k < 2; k++)
			for (j = 0; j < (k ? 4u * 1024 : 256u); j++) {
				memset(&x, 0, sizeof(x));
				if (k == 0) {
					x.family = AF_INET;
					x.addr.b[0] = 10;
					x.addr.b[1] = (uint8_t)j;
				} else {
					x.family = AF_INET6;
					x.addr.b[0] = 0x20;
					x.addr.b[1] = (uint8_t)(j >> 8);
					x.addr.b[2] = (uint8_t)j;
				}
				x.len = 16;
				if (k == 1 && x.addr.b[1] > 3)
					continue;
				ck_assert_int_eq(covered_by(in, n, &x),
				    covered_by(out, m, &x));
			}
	}
}
END_TEST

/* The radix sort agrees with qsort on prefix_cmp, both families. */
START_TEST(sort_large)
{
	enum { N = 20000 };
	struct prefix	*a, *b;
	size_t		 i;

	a = calloc(N, sizeof(*a));
	b = calloc(N, sizeof(*b));
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	for (i = 0; i < N; i++) {
		a[i].family = rnd() % 3 ? AF_INET : AF_INET6;
		if (a[i].family == AF_INET) {
			uint32_t v = rnd() & 0xff0fffff;

			memcpy(a[i].addr.b, &v, 4);
			a[i].len = (uint8_t)(rnd() % 33);
		} else {
			a[i].addr.b[0] = 0x20;
			a[i].addr.b[rnd() % 16] = (uint8_t)rnd();
			a[i].addr.b[rnd() % 16] = (uint8_t)rnd();
			a[i].len = (uint8_t)(rnd() % 129);
		}
	}
	memcpy(b, a, N * sizeof(*a));
	prefix_sort(a, N);
	qsort(b, N, sizeof(*b), (int (*)(const void *, const void *))prefix_cmp);
	for (i = 0; i < N; i++)
		ck_assert_msg(prefix_equal(&a[i], &b[i]), "at %zu: %s vs %s",
		    i, ntop(&a[i]), ntop(&b[i]));
	free(a);
	free(b);
}
END_TEST

/*
 * The budget is "a million prefixes in about a second".  ASan (make check
 * SANITIZE=1) slows this down several times, so it gets 5 s.  The time is
 * this process's CPU time, not the wall clock: the machine may be shared.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED	1
#endif
#endif
#ifndef AGGREGATE_BUDGET
#ifdef SANITIZED
#define AGGREGATE_BUDGET	5.0
#else
#define AGGREGATE_BUDGET	1.5
#endif
#endif

static double
elapsed(const struct timespec *t0, const struct timespec *t1)
{
	return (double)(t1->tv_sec - t0->tv_sec) +
	    (double)(t1->tv_nsec - t0->tv_nsec) / 1e9;
}

START_TEST(aggregate_million)
{
	enum { N = 1000000 };
	struct prefix	*v;
	size_t		 i, m;
	struct timespec	 t0, t1, c0, c1;
	double		 secs, cpu;

	v = calloc(N, sizeof(*v));
	ck_assert_ptr_nonnull(v);
	for (i = 0; i < N; i++) {
		uint32_t a = rnd();

		v[i].family = AF_INET;
		v[i].len = (uint8_t)(16 + rnd() % 17);
		memcpy(v[i].addr.b, &a, 4);
		prefix_mask(&v[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	m = prefix_aggregate(v, N);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = elapsed(&t0, &t1);
	cpu = elapsed(&c0, &c1);
	ck_assert_uint_gt(m, 0);
	ck_assert_uint_lt(m, N);
	for (i = 1; i < m; i++)
		ck_assert(prefix_cmp(&v[i - 1], &v[i]) < 0 &&
		    !prefix_contains(&v[i - 1], &v[i]));
	ck_assert_msg(cpu < AGGREGATE_BUDGET,
	    "aggregating 1M prefixes took %.2f s of CPU (%.2f s wall), "
	    "budget %.1f s", cpu, secs, AGGREGATE_BUDGET);
	free(v);
}
END_TEST

Suite *make_prefix_suite(void);

Suite *
make_prefix_suite(void)
{
	Suite	*s = suite_create("prefix");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, parse_ok);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, addr);
	tcase_add_test(tc, v4_like_inet_pton);
	tcase_add_test(tc, cmp_contains);
	tcase_add_test(tc, mask);
	tcase_add_test(tc, aggregate);
	tcase_add_test(tc, aggregate_random);
	tcase_add_test(tc, sort_large);
	tcase_add_test(tc, aggregate_million);
	suite_add_tcase(s, tc);
	return s;
}
