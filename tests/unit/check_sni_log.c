/* SPDX-License-Identifier: ISC */
/* edge-sni's access-log address formatting: cmd/edge-sni/accesslog.c. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

Suite *make_sni_log_suite(void);

static const char *
v6str(const char *addr, unsigned int port, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &s->sin6_addr), 1);
	return sni_sa_str(&ss, buf, len);
}

START_TEST(known)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	char b[64];

	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(443);
	s4->sin_addr.s_addr = htonl(0xc0000201);
	ck_assert_str_eq(sni_sa_str(&ss, b, sizeof(b)), "192.0.2.1:443");
	s4->sin_addr.s_addr = 0;
	s4->sin_port = 0;
	ck_assert_str_eq(sni_sa_str(&ss, b, sizeof(b)), "0.0.0.0:0");
	ck_assert_str_eq(v6str("2001:db8:1::10", 8443, b, sizeof(b)),
	    "[2001:db8:1::10]:8443");
	ck_assert_str_eq(v6str("::ffff:198.51.100.7", 80, b, sizeof(b)),
	    "198.51.100.7:80");
	ck_assert_str_eq(v6str("::", 1, b, sizeof(b)), "[::]:1");
	ck_assert_str_eq(v6str("::1", 1, b, sizeof(b)), "[::1]:1");
	ck_assert_str_eq(v6str("1::", 1, b, sizeof(b)), "[1::]:1");
	/* One zero group is not shortened; of equal runs the first is. */
	ck_assert_str_eq(v6str("2001:db8:0:1:1:1:1:1", 1, b, sizeof(b)),
	    "[2001:db8:0:1:1:1:1:1]:1");
	ck_assert_str_eq(v6str("2001:0:0:1:0:0:1:1", 1, b, sizeof(b)),
	    "[2001::1:0:0:1:1]:1");
	ck_assert_str_eq(v6str("2001:db8:0:0:1:0:0:0", 65535, b, sizeof(b)),
	    "[2001:db8:0:0:1::]:65535");
	ck_assert_str_eq(v6str("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    65535, b, sizeof(b)),
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	ss.ss_family = AF_UNSPEC;
	ck_assert_str_eq(sni_sa_str(&ss, b, sizeof(b)), "-");
	/* Truncated to the buffer, like snprintf. */
	ck_assert_str_eq(v6str("2001:db8::1", 443, b, 8), "[2001:d");
}
END_TEST

/* Random addresses, many zero groups: the same text as inet_ntop(3), but
 * for the deprecated IPv4-compatible "::a.b.c.d" form it prefers. */
START_TEST(like_inet_ntop)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
	char b[64], a[INET6_ADDRSTRLEN], want[64];
	int i, j;

	srandom(5952);
	memset(&ss, 0, sizeof(ss));
	s->sin6_family = AF_INET6;
	for (i = 0; i < 200000; i++) {
		for (j = 0; j < 8; j++) {
			unsigned int w = random() % 3 == 0 ? 0 :
			    random() % 4 == 0 ? random() % 16 : random();

			s->sin6_addr.s6_addr[2 * j] = w >> 8;
			s->sin6_addr.s6_addr[2 * j + 1] = w;
		}
		s->sin6_port = htons(random());
		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr) ||
		    memcmp(s->sin6_addr.s6_addr, "\0\0\0\0\0\0\0\0\0\0", 10) == 0)
			continue;
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(want, sizeof(want), "[%s]:%u", a,
		    ntohs(s->sin6_port));
		ck_assert_str_eq(sni_sa_str(&ss, b, sizeof(b)), want);
	}
}
END_TEST

Suite *
make_sni_log_suite(void)
{
	Suite *s = suite_create("sni_log");
	TCase *tc = tcase_create("log");

	tcase_add_test(tc, known);
	tcase_add_test(tc, like_inet_ntop);
	suite_add_tcase(s, tc);
	return s;
}
