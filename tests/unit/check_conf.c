/* SPDX-License-Identifier: ISC */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>

#include "conf.h"

/* A real wg-quick(8) file, as people write them. */
static const char wgquick[] =
    "# wg0 on the edge node\n"
    "[Interface]\n"
    "Address = 10.200.100.8/24, fd00:200::8/64\n"
    "DNS = 10.200.100.1\n"
    "PrivateKey = oK56DE9Ue9zK76rAc8pBl6opph+1v36lm7cXXsQKrQM=\n"
    "ListenPort=51820\n"
    "PostUp = iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A "
    "POSTROUTING -o eth0 -j MASQUERADE # not part of the command\n"
    "PostDown = iptables -D FORWARD -i %i -j ACCEPT\n"
    "\n"
    "[Peer]\r\n"
    "PublicKey = GtL7fZc/bLnqZldpVofMCD6hDjrK28SsdLxevJ+qtKU=\n"
    "PresharedKey = /UwcSPg38hW/D9Y3tcS1FOV0K1wuURMbS0sesJEP5ak=\n"
    "AllowedIPs = 0.0.0.0/0, ::/0\n"
    "Endpoint = demo.wireguard.com:51820\n"
    "\t  # indented comment\n"
    "[Peer]\n"
    "PublicKey = TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=\n"
    "allowedips = 10.200.100.9/32\n"
    "AllowedIPs = 10.200.101.0/24\n"
    "PersistentKeepalive = 25";

static int
parse(struct conf *c, const char *s, char *err, size_t errlen)
{
	return conf_parse(c, "t.conf", s, strlen(s), err, errlen);
}

START_TEST(wg_quick)
{
	struct conf	c;
	char		err[256] = "";
	size_t		i;
	int		npeer = 0, nallowed = 0;

	ck_assert_int_eq(parse(&c, wgquick, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.nsect, 3);
	ck_assert_str_eq(c.sect[0], "Interface");
	ck_assert_str_eq(c.sect[1], "Peer");
	ck_assert_uint_eq(c.sect_line[0], 2);
	ck_assert_uint_eq(c.sect_line[1], 10);
	ck_assert_uint_eq(c.sect_line[2], 16);
	ck_assert_uint_eq(c.nent, 14);
	ck_assert_str_eq(c.file, "t.conf");

	ck_assert_str_eq(c.ent[0].key, "Address");
	ck_assert_str_eq(c.ent[0].value, "10.200.100.8/24, fd00:200::8/64");
	ck_assert_str_eq(c.ent[0].section, "Interface");
	ck_assert_uint_eq(c.ent[0].line, 3);
	/* "=" inside a value (base64) stays */
	ck_assert_str_eq(c.ent[2].value,
	    "oK56DE9Ue9zK76rAc8pBl6opph+1v36lm7cXXsQKrQM=");
	ck_assert_str_eq(c.ent[3].key, "ListenPort");
	ck_assert_str_eq(c.ent[3].value, "51820");
	/* "#" ends the line, also in PostUp, as in wg-quick */
	ck_assert_str_eq(c.ent[4].value, "iptables -A FORWARD -i %i -j ACCEPT; "
	    "iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE");
	for (i = 0; i < c.nent; i++) {
		if (conf_key_is(&c.ent[i], "publickey") &&
		    conf_section_is(&c.ent[i], "PEER"))
			npeer++;
		if (conf_key_is(&c.ent[i], "AllowedIPs")) {
			nallowed++;
			ck_assert_uint_ge(c.ent[i].sect_idx, 1);
		}
	}
	ck_assert_int_eq(npeer, 2);
	ck_assert_int_eq(nallowed, 3);
	/* the last line has no newline */
	ck_assert_str_eq(c.ent[13].key, "PersistentKeepalive");
	ck_assert_str_eq(c.ent[13].value, "25");
	ck_assert_uint_eq(c.ent[13].line, 20);
	ck_assert_uint_eq(c.ent[13].sect_idx, 2);
	conf_free(&c);
}
END_TEST

START_TEST(edge_cases)
{
	struct conf	c;
	char		err[256];

	ck_assert_int_eq(parse(&c, "", err, sizeof(err)), 0);
	ck_assert_uint_eq(c.nent, 0);
	ck_assert_uint_eq(c.nsect, 0);
	conf_free(&c);

	ck_assert_int_eq(parse(&c, "\xef\xbb\xbf[ A b ]\nK=\n  x  =  y = z  \n",
	    err, sizeof(err)), 0);
	ck_assert_str_eq(c.sect[0], "A b");
	ck_assert_str_eq(c.ent[0].key, "K");
	ck_assert_str_eq(c.ent[0].value, "");
	ck_assert_str_eq(c.ent[1].key, "x");
	ck_assert_str_eq(c.ent[1].value, "y = z");
	ck_assert_uint_eq(c.ent[1].line, 3);
	conf_free(&c);

	/* Sections without entries still count. */
	ck_assert_int_eq(parse(&c, "[A]\n[B]\n[A]\nk=v\n", err, sizeof(err)),
	    0);
	ck_assert_uint_eq(c.nsect, 3);
	ck_assert_uint_eq(c.ent[0].sect_idx, 2);
	conf_free(&c);

	/* conf_free on a zeroed conf and twice is fine */
	memset(&c, 0, sizeof(c));
	conf_free(&c);
	conf_free(&c);
}
END_TEST

static void
bad(const char *text, const char *want)
{
	struct conf	c;
	char		err[256] = "";

	ck_assert_int_eq(parse(&c, text, err, sizeof(err)), -1);
	ck_assert_msg(strcmp(err, want) == 0, "got \"%s\", want \"%s\"", err,
	    want);
	conf_free(&c);
}

START_TEST(errors)
{
	bad("[Interface\n", "t.conf:1: missing \"]\" in section header");
	bad("[Interface]\nA=1\n[Peer # comment]\n",
	    "t.conf:3: missing \"]\" in section header");
	bad("\n\n[Peer] x\n", "t.conf:3: text after \"]\" in section header");
	bad("[]\n", "t.conf:1: empty section name");
	bad("[  ]\n", "t.conf:1: empty section name");
	bad("[Interface]\nAddress 10.0.0.1/24\n",
	    "t.conf:2: expected \"Key = Value\" or \"[Section]\"");
	bad("# top\nKey = value\n[Interface]\n",
	    "t.conf:2: \"Key = Value\" outside any [Section]");
	bad("[Interface]\n\n\n  = value\n", "t.conf:4: empty key before \"=\"");
	bad("[Interface]\nK = a # = b\nx # = y\n",
	    "t.conf:3: expected \"Key = Value\" or \"[Section]\"");
	{
		static const char nul[] = "[Interface]\nA = 1\nB = x\0y\nC = 2\n";
		struct conf c;
		char err[128];

		ck_assert_int_eq(conf_parse(&c, "n.conf", nul, sizeof(nul) - 1,
		    err, sizeof(err)), -1);
		ck_assert_str_eq(err, "n.conf:3: NUL byte in line");
		conf_free(&c);
	}
	{
		size_t	 n = CONF_LINE_MAX + 100;
		char	*s = malloc(n + 64), msg[128];

		strcpy(s, "[Interface]\nA = 1\nPostUp = ");
		memset(s + strlen(s), 'x', n);
		s[n] = '\0';
		snprintf(msg, sizeof(msg),
		    "t.conf:3: line too long (more than %u bytes)",
		    CONF_LINE_MAX);
		bad(s, msg);
		/* exactly at the limit is fine */
		memset(s, 0, n + 64);
		strcpy(s, "[I]\n");
		memset(s + 4, 'x', CONF_LINE_MAX);
		memcpy(s + 4, "k=", 2);
		{
			struct conf c;
			char err[128];

			ck_assert_int_eq(parse(&c, s, err, sizeof(err)), 0);
			ck_assert_uint_eq(strlen(c.ent[0].value),
			    CONF_LINE_MAX - 2);
			conf_free(&c);
		}
		free(s);
	}
}
END_TEST

START_TEST(load)
{
	struct conf	c;
	char		path[] = "/tmp/check_conf.XXXXXX", err[512];
	int		fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, wgquick, sizeof(wgquick) - 1),
	    (ssize_t)sizeof(wgquick) - 1);
	close(fd);
	ck_assert_int_eq(conf_load(&c, path, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.nent, 14);
	ck_assert_str_eq(c.file, path);
	conf_free(&c);

	/* conf_err: file:line: message */
	{
		char want[512];

		ck_assert_int_eq(conf_load(&c, path, err, sizeof(err)), 0);
		ck_assert_int_eq(conf_err(err, sizeof(err), &c, &c.ent[3],
		    "bad port %s", c.ent[3].value), -1);
		snprintf(want, sizeof(want), "%s:6: bad port 51820", path);
		ck_assert_str_eq(err, want);
		conf_err(err, sizeof(err), &c, NULL, "no peers");
		snprintf(want, sizeof(want), "%s: no peers", path);
		ck_assert_str_eq(err, want);
		conf_free(&c);
	}

	/* an error while loading names the file */
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "[Peer]\nfoo\n", 11), 11);
	close(fd);
	ck_assert_int_eq(conf_load(&c, path, err, sizeof(err)), -1);
	{
		char want[512];

		snprintf(want, sizeof(want), "%s:2: expected \"Key = Value\" or "
		    "\"[Section]\"", path);
		ck_assert_str_eq(err, want);
	}
	conf_free(&c);
	unlink(path);

	ck_assert_int_eq(conf_load(&c, "/nonexistent/x.conf", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/x.conf: No such file or directory");
	conf_free(&c);
	ck_assert_int_eq(conf_load(&c, "/tmp", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/tmp: is a directory");
	conf_free(&c);

	/* too large, told before parsing (the file is sparse) */
	strcpy(path, "/tmp/check_conf.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (16 << 20) + 1), 0);
	close(fd);
	ck_assert_int_eq(conf_load(&c, path, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ": file too large (more than "
	    "16777216 bytes)"));
	conf_free(&c);
	unlink(path);

	/* a pipe: no size known in advance, more than one read */
	{
		int	p[2];
		char	dev[64];
		size_t	i;

		ck_assert_int_eq(pipe(p), 0);
		ck_assert_int_eq(write(p[1], "[Interface]\n", 12), 12);
		for (i = 0; i < 2000; i++)
			ck_assert_int_eq(write(p[1], "K = v\n", 6), 6);
		close(p[1]);
		snprintf(dev, sizeof(dev), "/dev/fd/%d", p[0]);
		ck_assert_int_eq(conf_load(&c, dev, err, sizeof(err)), 0);
		ck_assert_uint_eq(c.nent, 2000);
		ck_assert_uint_eq(c.ent[1999].line, 2001);
		conf_free(&c);
		close(p[0]);
	}
}
END_TEST

START_TEST(split)
{
	char	 s[] = " 10.0.0.0/8 ,, 2001:db8::/32,\t192.0.2.1/32 , ";
	char	 t[] = "a,b,c";
	char	 u[] = " , ";
	char	*it[4];

	ck_assert_int_eq(conf_split(s, it, 4), 3);
	ck_assert_str_eq(it[0], "10.0.0.0/8");
	ck_assert_str_eq(it[1], "2001:db8::/32");
	ck_assert_str_eq(it[2], "192.0.2.1/32");
	ck_assert_int_eq(conf_split(t, it, 2), -1);
	ck_assert_int_eq(conf_split(u, it, 4), 0);
}
END_TEST

Suite *make_conf_suite(void);

Suite *
make_conf_suite(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, wg_quick);
	tcase_add_test(tc, edge_cases);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, load);
	tcase_add_test(tc, split);
	suite_add_tcase(s, tc);
	return s;
}
