// SPDX-License-Identifier: ISC
/*
 * edge-probe's parsers: target specifications, durations, and the reply
 * parsers (HTTP status line, TLS records, DNS answers).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "probe.h"

static int
http(const char *s, int *st)
{
	return probe_http_status((const uint8_t *)s, strlen(s), st);
}

START_TEST(test_http_status)
{
	int st = 0;

	ck_assert_int_eq(http("HTTP/1.1 200 OK\r\n", &st), 1);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(http("HTTP/1.0 503 Service Unavailable\r\nX", &st), 1);
	ck_assert_int_eq(st, 503);
	ck_assert_int_eq(http("HTTP/1.1 204\r\n", &st), 1);
	ck_assert_int_eq(st, 204);
	ck_assert_int_eq(http("HTTP/1.1 200 OK", &st), PROBE_MORE);
	ck_assert_int_eq(http("HTTP/1.", &st), PROBE_MORE);
	ck_assert_int_eq(http("HT", &st), PROBE_MORE);
	ck_assert_int_eq(http("", &st), PROBE_MORE);
	ck_assert_int_eq(http("SSH-2.0-OpenSSH\r\n", &st), -1);
	ck_assert_int_eq(http("HTTP/1.1 2x0 OK\r\n", &st), -1);
	ck_assert_int_eq(http("HTTP/1.1 099 OK\r\n", &st), -1);
	ck_assert_int_eq(http("HTTP/1.1 200OK\r\n", &st), -1);
	ck_assert_int_eq(http("HTTP/1\n", &st), -1);
}
END_TEST

/* A ServerHello record; version in supported_versions when sv != 0. */
static size_t
server_hello(uint8_t *b, uint16_t legacy, uint16_t sv)
{
	uint8_t *p = b + 9;
	size_t n;

	*p++ = legacy >> 8;
	*p++ = legacy & 0xff;
	memset(p, 0xab, 32);
	p += 32;
	*p++ = 0;			/* session id */
	*p++ = 0x13;
	*p++ = 0x01;
	*p++ = 0;
	if (sv) {
		*p++ = 0;
		*p++ = 6;
		*p++ = 0;
		*p++ = 43;
		*p++ = 0;
		*p++ = 2;
		*p++ = sv >> 8;
		*p++ = sv & 0xff;
	}
	n = (size_t)(p - b);
	b[0] = 22;
	b[1] = 3;
	b[2] = 3;
	b[3] = (uint8_t)((n - 5) >> 8);
	b[4] = (uint8_t)(n - 5);
	b[5] = 2;
	b[6] = 0;
	b[7] = (uint8_t)((n - 9) >> 8);
	b[8] = (uint8_t)(n - 9);
	return n;
}

START_TEST(test_tls)
{
	uint8_t b[256], rnd[64], hello[1024];
	uint16_t v = 0;
	char d[64];
	size_t n, i;

	n = server_hello(b, 0x0303, 0x0304);
	ck_assert_int_eq(probe_tls_parse(b, n, &v, d, sizeof(d)), 1);
	ck_assert_uint_eq(v, 0x0304);
	ck_assert_str_eq(probe_tls_version_name(v), "TLSv1.3");
	n = server_hello(b, 0x0303, 0);
	ck_assert_int_eq(probe_tls_parse(b, n, &v, d, sizeof(d)), 1);
	ck_assert_uint_eq(v, 0x0303);
	/* Every prefix is "more", never an error. */
	for (i = 0; i < n; i++)
		ck_assert_int_eq(probe_tls_parse(b, i, &v, d, sizeof(d)),
		    PROBE_MORE);
	/* An alert. */
	memcpy(b, "\x15\x03\x03\x00\x02\x02\x70", 7);
	ck_assert_int_eq(probe_tls_parse(b, 7, &v, d, sizeof(d)), -1);
	ck_assert_str_eq(d, "alert=112");
	/* Not TLS at all. */
	ck_assert_int_eq(probe_tls_parse((const uint8_t *)"HTTP/1.1 400 x",
	    14, &v, d, sizeof(d)), -1);
	ck_assert_str_eq(d, "not-tls");

	/* Our ClientHello is a well-formed record with the SNI in it. */
	memset(rnd, 7, sizeof(rnd));
	n = probe_tls_client_hello(hello, sizeof(hello), "example.org", rnd);
	ck_assert_uint_gt(n, 100);
	ck_assert_uint_eq(hello[0], 22);
	ck_assert_uint_eq((size_t)(hello[3] << 8 | hello[4]), n - 5);
	ck_assert_uint_eq(hello[5], 1);
	ck_assert_ptr_nonnull(memmem(hello, n, "example.org", 11));
	ck_assert_uint_eq(probe_tls_client_hello(hello, 50, "x", rnd), 0);
}
END_TEST

/* An answer to "a.example A" with the given rcode and A records. */
static size_t
dns_answer(uint8_t *b, unsigned int rcode, const char *const *addrs)
{
	static const uint8_t q[] = "\x01" "a" "\x07" "example" "\x00"
	    "\x00\x01\x00\x01";
	uint8_t *p = b;
	unsigned int n = 0;

	while (addrs && addrs[n])
		n++;
	memset(b, 0, 12);
	b[0] = 0x12;
	b[2] = 0x81;
	b[3] = 0x80 | (uint8_t)rcode;
	b[5] = 1;
	b[7] = (uint8_t)n;
	p += 12;
	memcpy(p, q, sizeof(q) - 1);
	p += sizeof(q) - 1;
	for (unsigned int i = 0; i < n; i++) {
		*p++ = 0xc0;		/* pointer to the question name */
		*p++ = 12;
		memcpy(p, "\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04", 10);
		p += 10;
		inet_pton(AF_INET, addrs[i], p);
		p += 4;
	}
	return (size_t)(p - b);
}

START_TEST(test_dns)
{
	static const char *const two[] = { "192.0.2.7", "192.0.2.8", NULL };
	union edge_addr want;
	uint8_t b[512];
	char d[96];
	size_t n, i;

	n = dns_answer(b, 0, two);
	ck_assert_int_eq(probe_dns_check(b, n, 1, 0, NULL, d, sizeof(d)), 1);
	ck_assert_str_eq(d, "192.0.2.7");
	inet_pton(AF_INET, "192.0.2.8", &want);
	ck_assert_int_eq(probe_dns_check(b, n, 1, AF_INET, &want, d,
	    sizeof(d)), 1);
	inet_pton(AF_INET, "192.0.2.9", &want);
	ck_assert_int_eq(probe_dns_check(b, n, 1, AF_INET, &want, d,
	    sizeof(d)), 0);
	ck_assert_str_eq(d, "unexpected=192.0.2.7");
	n = dns_answer(b, 2, NULL);
	ck_assert_int_eq(probe_dns_check(b, n, 1, 0, NULL, d, sizeof(d)), 0);
	ck_assert_str_eq(d, "rcode=SERVFAIL");
	n = dns_answer(b, 0, NULL);
	ck_assert_int_eq(probe_dns_check(b, n, 1, 0, NULL, d, sizeof(d)), 0);
	ck_assert_str_eq(d, "no-answer");
	/* Truncations are malformed, never read past the end. */
	n = dns_answer(b, 0, two);
	for (i = 0; i < n; i++)
		ck_assert_int_le(probe_dns_check(b, i, 1, 0, NULL, d,
		    sizeof(d)), 0);
}
END_TEST

START_TEST(test_duration)
{
	uint64_t ms;

	ck_assert(probe_parse_duration("0.2", &ms));
	ck_assert_uint_eq(ms, 200);
	ck_assert(probe_parse_duration("200ms", &ms));
	ck_assert_uint_eq(ms, 200);
	ck_assert(probe_parse_duration("2s", &ms));
	ck_assert_uint_eq(ms, 2000);
	ck_assert(probe_parse_duration("10ms", &ms));
	ck_assert_uint_eq(ms, 10);
	ck_assert(!probe_parse_duration("-1", &ms));
	ck_assert(!probe_parse_duration("1h", &ms));
	ck_assert(!probe_parse_duration("", &ms));
	ck_assert(!probe_parse_duration("s", &ms));
}
END_TEST

static bool
parse(const char *line, struct probe_target ***tv, size_t *nt, char *err,
    size_t errlen)
{
	char buf[512], *w[32], *p, *save;
	int n = 0;

	strcpy(buf, line);
	for (p = strtok_r(buf, " ", &save); p; p = strtok_r(NULL, " ", &save))
		w[n++] = p;
	return probe_targets_parse(w, n, "probes", 3, tv, nt, err, errlen);
}

START_TEST(test_targets)
{
	struct probe_target **tv = NULL;
	size_t nt = 0;
	char err[512];

	ck_assert_msg(parse("icmp 192.0.2.1 dev wan0 name gw group wan0 "
	    "tcp [2001:db8::7]:443 mark 0x10 timeout 500ms "
	    "tls 192.0.2.2 sni example.org "
	    "http http://192.0.2.3:8080/health expect 204 host h.example "
	    "dns 192.0.2.53 query a.example expect 192.0.2.7 src 192.0.2.100",
	    &tv, &nt, err, sizeof(err)), "%s", err);
	ck_assert_uint_eq(nt, 5);
	ck_assert_int_eq(tv[0]->type, PROBE_ICMP);
	ck_assert_str_eq(tv[0]->name, "gw");
	ck_assert_str_eq(tv[0]->group, "wan0");
	ck_assert_str_eq(tv[0]->dev, "wan0");
	ck_assert_str_eq(tv[0]->target, "192.0.2.1");
	ck_assert_int_eq(tv[1]->family, AF_INET6);
	ck_assert_str_eq(tv[1]->target, "[2001:db8::7]:443");
	ck_assert_str_eq(tv[1]->name, "tcp/[2001:db8::7]:443");
	ck_assert(tv[1]->has_mark);
	ck_assert_uint_eq(tv[1]->mark, 16);
	ck_assert_uint_eq(tv[1]->timeout_ms, 500);
	ck_assert_str_eq(tv[2]->target, "192.0.2.2:443");
	ck_assert_str_eq(tv[2]->host, "example.org");
	ck_assert_str_eq(tv[3]->target, "192.0.2.3:8080");
	ck_assert_str_eq(tv[3]->path, "/health");
	ck_assert_str_eq(tv[3]->host, "h.example");
	ck_assert_int_eq(tv[3]->expect_status, 204);
	ck_assert_str_eq(tv[4]->target, "192.0.2.53:53");
	ck_assert_str_eq(tv[4]->query, "a.example");
	ck_assert_uint_eq(tv[4]->qtype, 1);
	ck_assert(tv[4]->has_expect_addr);
	ck_assert(tv[4]->has_src);
	probe_targets_free(tv, nt);

	tv = NULL;
	nt = 0;
	ck_assert(!parse("icmp 192.0.2.1 bogus 1", &tv, &nt, err,
	    sizeof(err)));
	ck_assert_str_eq(err, "probes:3: unknown option \"bogus\" for icmp");
	ck_assert(!parse("dev wan0", &tv, &nt, err, sizeof(err)));
	ck_assert(!parse("tcp 192.0.2.1", &tv, &nt, err, sizeof(err)));
	ck_assert_str_eq(err, "probes:3: tcp: \"192.0.2.1\" needs a port");
	ck_assert(!parse("tcp 192.0.2.1:70000", &tv, &nt, err, sizeof(err)));
	ck_assert(!parse("icmp 192.0.2.1 mark -1", &tv, &nt, err,
	    sizeof(err)));
	ck_assert(!parse("icmp 192.0.2.1 src 2001:db8::1", &tv, &nt, err,
	    sizeof(err)));
	ck_assert(!parse("dns 192.0.2.1", &tv, &nt, err, sizeof(err)));
	ck_assert(!parse("icmp 192.0.2.1 name", &tv, &nt, err, sizeof(err)));
	ck_assert(!parse("icmp 192.0.2.1:80", &tv, &nt, err, sizeof(err)));
	probe_targets_free(tv, nt);
}
END_TEST

Suite *make_probe_suite(void);

Suite *
make_probe_suite(void)
{
	Suite *s = suite_create("probe");
	TCase *tc = tcase_create("parsers");

	tcase_add_test(tc, test_http_status);
	tcase_add_test(tc, test_tls);
	tcase_add_test(tc, test_dns);
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_targets);
	suite_add_tcase(s, tc);
	return s;
}
