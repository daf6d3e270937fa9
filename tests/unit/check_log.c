/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>

#include "log.h"

/* Send stderr to a file for the duration, then read it back. */
static int	saved_fd = -1;
static char	path[64];

static void
grab(void)
{
	int fd;

	strcpy(path, "/tmp/check_log.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved_fd = dup(2);
	dup2(fd, 2);
	close(fd);
}

static const char *
release(void)
{
	static char	buf[4096];
	FILE		*f;
	size_t		 n;

	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	return buf;
}

START_TEST(foreground)
{
	const char *out;

	log_init("edge-test", 1, 0);
	ck_assert_int_eq(log_getverbose(), 0);
	grab();
	log_info("hello %d", 42);
	log_warnx("bad %s", "thing");
	errno = ENOENT;
	log_warn("open %s", "/x");
	ck_assert_int_eq(errno, ENOENT);	/* preserved */
	log_debug("not shown");
	log_trace("not shown");
	out = release();
	ck_assert_str_eq(out, "edge-test: hello 42\n"
	    "edge-test: bad thing\n"
	    "edge-test: open /x: No such file or directory\n");
}
END_TEST

START_TEST(verbosity)
{
	const char *out;

	log_init("v", 1, 1);
	grab();
	log_debug("d%d", 1);
	log_trace("t%d", 1);
	log_setverbose(2);
	ck_assert_int_eq(log_getverbose(), 2);
	log_debug("d%d", 2);
	log_trace("t%d", 2);
	log_setverbose(0);
	log_debug("d%d", 3);
	out = release();
	ck_assert_str_eq(out, "v: d1\nv: d2\nv: t2\n");
}
END_TEST

START_TEST(long_message)
{
	char		 big[3000];
	const char	*out;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_init("long", 1, 0);
	grab();
	log_warnx("%s", big);
	log_info("after");
	out = release();
	/* cut, but still one line each, and the process lives on */
	ck_assert_ptr_nonnull(strstr(out, "aaaa\nlong: after\n"));
	ck_assert_uint_lt(strlen(out), 1100);
}
END_TEST

/* Daemonized: nothing on stderr (the message goes to syslog). */
START_TEST(syslog_mode)
{
	const char *out;

	log_init("edge-test", 0, 2);
	grab();
	log_info("to syslog");
	log_warnx("to syslog");
	log_debug("to syslog");
	log_reopen();
	log_info("after reopen");
	out = release();
	ck_assert_str_eq(out, "");
}
END_TEST

Suite *make_log_suite(void);

Suite *
make_log_suite(void)
{
	Suite	*s = suite_create("log");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, foreground);
	tcase_add_test(tc, verbosity);
	tcase_add_test(tc, long_message);
	tcase_add_test(tc, syslog_mode);
	suite_add_tcase(s, tc);
	return s;
}
