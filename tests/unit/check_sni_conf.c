/* SPDX-License-Identifier: ISC */
/* edge-sni's configuration: cmd/edge-sni/config.c. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sni.h"

Suite *make_sni_conf_suite(void);

START_TEST(listen_specs)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	socklen_t len;
	char err[256];

	ck_assert(sni_listen_parse("tcp:443", &ss, &len, err, sizeof(err)));
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert(IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr));
	ck_assert_uint_eq(ntohs(s6->sin6_port), 443);
	ck_assert(sni_listen_parse("tcp:192.0.2.4:8443", &ss, &len, err,
	    sizeof(err)));
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_uint_eq(ntohl(s4->sin_addr.s_addr), 0xc0000204);
	ck_assert(sni_listen_parse("[2001:db8::1]:443", &ss, &len, err,
	    sizeof(err)));
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert(sni_listen_parse(":80", &ss, &len, err, sizeof(err)));
	ck_assert(sni_listen_parse("80", &ss, &len, err, sizeof(err)));
	ck_assert(!sni_listen_parse("unix:/run/x", &ss, &len, err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "only tcp:"));
	ck_assert(!sni_listen_parse("tcp:2001:db8::1:443", &ss, &len, err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "brackets"));
	ck_assert(!sni_listen_parse("tcp:0", &ss, &len, err, sizeof(err)));
	ck_assert(!sni_listen_parse("tcp:65536", &ss, &len, err,
	    sizeof(err)));
	ck_assert(!sni_listen_parse("tcp:host.example:443", &ss, &len, err,
	    sizeof(err)));
	ck_assert(!sni_hostport_parse(":22", &ss, &len, err, sizeof(err)));
	ck_assert(sni_hostport_parse("[2001:db8::5]:22", &ss, &len, err,
	    sizeof(err)));
}
END_TEST

static struct sni_listener *
nat46_listener(struct sni_listener *l)
{
	char err[256];

	memset(l, 0, sizeof(*l));
	l->mode = SNI_MODE_NAT46;
	l->has_nat46 = true;
	inet_pton(AF_INET6, "64:ff9b:1::", &l->nat46);
	ck_assert(prefix_parse("2001:db8:1::/48", &l->cidr[0], 0, err,
	    sizeof(err)));
	ck_assert(prefix_parse("64:ff9b::/32", &l->cidr[1], 0, err,
	    sizeof(err)));
	ck_assert(prefix_parse("::/0", &l->cidr[2], 0, err, sizeof(err)));
	l->ncidr = 1;
	return l;
}

static bool
allowed(const struct sni_listener *l, const char *a)
{
	union edge_addr ea;
	int fam = strchr(a, ':') ? AF_INET6 : AF_INET;

	ck_assert_int_eq(inet_pton(fam, a, &ea), 1);
	return sni_backend_allowed(l, fam, &ea);
}

START_TEST(backend_rules)
{
	struct sni_listener l;

	nat46_listener(&l);
	ck_assert(allowed(&l, "2001:db8:1::10"));
	ck_assert(!allowed(&l, "2001:db8:2::10"));	/* outside */
	/* Even when a CIDR would cover them: */
	l.ncidr = 3;
	ck_assert(!allowed(&l, "::1"));
	ck_assert(!allowed(&l, "fe80::1"));
	ck_assert(!allowed(&l, "::"));
	ck_assert(!allowed(&l, "ff02::1"));
	ck_assert(!allowed(&l, "::ffff:192.0.2.1"));
	ck_assert(!allowed(&l, "64:ff9b:1::c000:201"));	/* the prefix */
	ck_assert(allowed(&l, "64:ff9b:2::1"));
	ck_assert(allowed(&l, "2001:db8:ffff::1"));
	ck_assert(!allowed(&l, "192.0.2.1"));	/* no IPv4 CIDR */
}
END_TEST

static int
parse_args(struct sni_conf *c, const char *line)
{
	char buf[1024], *argv[64], *s, *save = NULL;
	bool check = false, fg = false;
	int argc = 0, verbose = 0;

	snprintf(buf, sizeof(buf), "edge-sni %s", line);
	for (s = strtok_r(buf, " ", &save); s; s = strtok_r(NULL, " ", &save))
		argv[argc++] = s;
	argv[argc] = NULL;
	sni_conf_init(c);
	optind = 0;
	return sni_conf_args(c, argc, argv, &check, &verbose, &fg);
}

START_TEST(snid_flags)
{
	struct sni_conf c;

	/* snid's own command line, unchanged */
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -mode nat46 "
	    "-nat46-prefix 64:ff9b:1:: -backend-cidr 2001:db8:1::/80 "
	    "-default-hostname www.example.test"), 0);
	ck_assert_uint_eq(c.nl, 1);
	ck_assert_int_eq(c.l[0].mode, SNI_MODE_NAT46);
	ck_assert_int_eq(c.l[0].proto, SNI_PROTO_TLS);
	ck_assert_uint_eq(c.l[0].backend_port, 443);
	ck_assert_str_eq(c.l[0].default_host, "www.example.test");
	ck_assert_int_eq(c.l[0].ncidr, 1);
	sni_conf_free(&c);
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -listen tcp:8443 "
	    "-mode tcp -backend-cidr 192.0.2.0/24 -backend-port 443 "
	    "-proxy-proto -j 2 -u nobody"), 0);
	ck_assert_uint_eq(c.nl, 2);
	ck_assert(c.l[1].proxy_out);
	ck_assert_uint_eq(c.l[1].backend_port, 443);
	ck_assert_int_eq(c.workers, 2);
	ck_assert_str_eq(c.user, "nobody");
	sni_conf_free(&c);
	/* Refusals, exit status 2 */
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -mode nat46 "
	    "-nat46-prefix 64:ff9b:1::"), 2);
	sni_conf_free(&c);
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -mode nat46 "
	    "-backend-cidr 2001:db8::/32"), 2);
	sni_conf_free(&c);
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -mode nat46 "
	    "-nat46-prefix 64:ff9b:1::1 -backend-cidr 2001:db8::/32"), 2);
	sni_conf_free(&c);
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -mode nat46 "
	    "-nat46-prefix 64:ff9b:1::/64 -backend-cidr 2001:db8::/32"), 2);
	sni_conf_free(&c);
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -mode bogus"), 2);
	sni_conf_free(&c);
	ck_assert_int_eq(parse_args(&c, "-listen tcp:22 -mode static"), 2);
	sni_conf_free(&c);
	ck_assert_int_eq(parse_args(&c, "-listen tcp:22 -backend "
	    "[2001:db8::5]:22 -nat46-prefix 64:ff9b:1::"), 0);
	ck_assert_int_eq(c.l[0].mode, SNI_MODE_STATIC);
	ck_assert_int_eq(c.l[0].proto, SNI_PROTO_PLAIN);
	sni_conf_free(&c);
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -mode tcp "
	    "-backend-cidr 192.0.2.0/24 -default-hostname 192.0.2.1"), 2);
	sni_conf_free(&c);
}
END_TEST

START_TEST(snid_unix_and_old_flags)
{
	struct sni_conf c;

	/* snid's unix mode: the socket directory is the list of back ends */
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -mode unix "
	    "-unix-directory /run/snid/ -proxy-proto"), 0);
	ck_assert_int_eq(c.l[0].mode, SNI_MODE_UNIX);
	ck_assert_str_eq(c.l[0].unix_dir, "/run/snid");
	ck_assert(c.l[0].proxy_out);
	sni_conf_free(&c);
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -mode unix"), 2);
	sni_conf_free(&c);
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -mode unix "
	    "-unix-directory /a/directory/name/much/too/long/for/a/unix/"
	    "socket/path/once/the/name/is/added/to/it/xxxxxxxxxxxxxxxxxxxx"),
	    2);
	sni_conf_free(&c);
	/* go-listener's proxy: wrapper: a PROXY header comes first */
	ck_assert_int_eq(parse_args(&c, "-listen proxy:tcp:443 -mode tcp "
	    "-backend-cidr 192.0.2.0/24"), 0);
	ck_assert(c.l[0].proxy_in);
	ck_assert_str_eq(c.l[0].spec, "proxy:tcp:443");
	sni_conf_free(&c);
	/* go-listener's fd:N, a listening socket left open for us */
	{
		struct sockaddr_in sin = { .sin_family = AF_INET };
		char args[128];
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
		snprintf(args, sizeof(args), "-listen fd:%d -mode tcp "
		    "-backend-cidr 192.0.2.0/24", fd);
		ck_assert_int_eq(parse_args(&c, args), 2);	/* not listening */
		sni_conf_free(&c);
		ck_assert_int_eq(listen(fd, 1), 0);
		ck_assert_int_eq(parse_args(&c, args), 0);
		ck_assert(c.l[0].inherited);
		ck_assert_int_eq(c.l[0].ifd, fd);
		ck_assert_int_eq(c.l[0].addr.ss_family, AF_INET);
		ck_assert_uint_ne(c.l[0].backend_port, 0);
		sni_conf_free(&c);
		close(fd);
		ck_assert_int_eq(parse_args(&c, args), 2);	/* closed */
		sni_conf_free(&c);
	}
	/* snid's first releases: -backend :PORT or /DIR, -allow,
	 * -ipv6-source-prefix, -proxy */
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -backend :8443 "
	    "-allow 2001:db8:1::/64 -ipv6-source-prefix 64:ff9b:1:: -proxy"),
	    0);
	ck_assert_int_eq(c.l[0].mode, SNI_MODE_NAT46);
	ck_assert_uint_eq(c.l[0].backend_port, 8443);
	ck_assert_int_eq(c.l[0].ncidr, 1);
	ck_assert(c.l[0].proxy_out);
	sni_conf_free(&c);
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -backend :443 "
	    "-allow 192.0.2.0/24"), 0);
	ck_assert_int_eq(c.l[0].mode, SNI_MODE_TCP);
	sni_conf_free(&c);
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -backend /run/snid"),
	    0);
	ck_assert_int_eq(c.l[0].mode, SNI_MODE_UNIX);
	ck_assert_str_eq(c.l[0].unix_dir, "/run/snid");
	sni_conf_free(&c);
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -backend :0 "
	    "-allow 192.0.2.0/24"), 2);
	sni_conf_free(&c);
	/* -negative-ttl */
	ck_assert_int_eq(parse_args(&c, "-listen tcp:443 -mode tcp "
	    "-backend-cidr 192.0.2.0/24 -negative-ttl 7"), 0);
	ck_assert_uint_eq(c.neg_ttl_max, 7);
	sni_conf_free(&c);
}
END_TEST

static const char *
write_conf(const char *text)
{
	static char path[] = "/tmp/check_sni_conf.XXXXXX";
	int fd;

	strcpy(path, "/tmp/check_sni_conf.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

START_TEST(conf_file)
{
	struct sni_conf c;
	const char *p;
	char err[512];

	p = write_conf("[Global]\nWorkers = 2\nLogFormat = json\n"
	    "HelloTimeout = 3\n\n"
	    "[Listener]\nListen = tcp:443\nNat46Prefix = 64:ff9b:1::/96\n"
	    "BackendCIDR = 2001:db8:1::/64, 2001:db8:2::/64\n\n"
	    "[Listener]\nListen = tcp:80\nProtocol = http\n"
	    "Nat46Prefix = 64:ff9b:1::\nBackendCIDR = 2001:db8:1::/64\n\n"
	    "[Listener]\nListen = tcp:2222\nMode = static\n"
	    "Backend = [2001:db8:1::20]:22\nAcceptProxy = yes\n");
	sni_conf_init(&c);
	c.file = strdup(p);
	ck_assert_int_eq(sni_conf_file(&c, p, err, sizeof(err)), 0);
	ck_assert_int_eq(sni_conf_finish(&c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.nl, 3);
	ck_assert_int_eq(c.workers, 2);
	ck_assert_int_eq(c.logfmt, SNI_LOG_JSON);
	ck_assert_uint_eq(c.hello_ms, 3000);
	ck_assert_int_eq(c.l[0].ncidr, 2);
	ck_assert_int_eq(c.l[1].proto, SNI_PROTO_HTTP);
	ck_assert_int_eq(c.l[2].mode, SNI_MODE_STATIC);
	ck_assert_int_eq(c.l[2].proto, SNI_PROTO_PLAIN);
	ck_assert(c.l[2].proxy_in);
	sni_conf_free(&c);
	unlink(p);

	/* unix mode and a proxy: listener from the file */
	p = write_conf("[Listener]\nListen = proxy:tcp:443\nMode = unix\n"
	    "UnixDirectory = /run/snid\nSendProxy = yes\n");
	sni_conf_init(&c);
	c.file = strdup(p);
	ck_assert_int_eq(sni_conf_file(&c, p, err, sizeof(err)), 0);
	ck_assert_int_eq(sni_conf_finish(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.l[0].mode, SNI_MODE_UNIX);
	ck_assert_str_eq(c.l[0].unix_dir, "/run/snid");
	ck_assert(c.l[0].proxy_in);
	ck_assert(c.l[0].proxy_out);
	sni_conf_free(&c);
	unlink(p);
	p = write_conf("[Listener]\nListen = tcp:443\nMode = unix\n"
	    "UnixDirectory = /run/\"x\"\n");
	sni_conf_init(&c);
	ck_assert_int_eq(sni_conf_file(&c, p, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":4:"));
	sni_conf_free(&c);
	unlink(p);

	/* Errors name file:line */
	p = write_conf("[Listener]\nListen = tcp:443\nMode = nat64\n");
	sni_conf_init(&c);
	ck_assert_int_eq(sni_conf_file(&c, p, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":3:"));
	ck_assert_ptr_nonnull(strstr(err, "nat64"));
	sni_conf_free(&c);
	unlink(p);
	p = write_conf("[Listener]\nListen = tcp:443\nNat46Prefix = 64:ff9b:1::\n"
	    "\n[Listener]\nListen = tcp:443\n");
	sni_conf_init(&c);
	c.file = strdup(p);
	ck_assert_int_eq(sni_conf_file(&c, p, err, sizeof(err)), 0);
	ck_assert_int_eq(sni_conf_finish(&c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":1: "));	/* no backend CIDR */
	sni_conf_free(&c);
	unlink(p);
	p = write_conf("[Global]\nFrobnicate = 1\n");
	sni_conf_init(&c);
	ck_assert_int_eq(sni_conf_file(&c, p, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":2:"));
	sni_conf_free(&c);
	unlink(p);
}
END_TEST

Suite *
make_sni_conf_suite(void)
{
	Suite *s = suite_create("sni_conf");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, listen_specs);
	tcase_add_test(tc, backend_rules);
	tcase_add_test(tc, snid_flags);
	tcase_add_test(tc, snid_unix_and_old_flags);
	tcase_add_test(tc, conf_file);
	suite_add_tcase(s, tc);
	return s;
}
