/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <check.h>

#include "spawn.h"

/* Run cmd through sh with env and return what it printed. */
static int
capture(const char *cmd, const char *const env[], char *out, size_t outlen)
{
	char	path[] = "/tmp/check_spawn.XXXXXX", full[512];
	int	fd, r;
	ssize_t	n;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	snprintf(full, sizeof(full), "exec >%s; %s", path, cmd);
	r = spawn_sh_wait(full, env);
	n = read(fd, out, outlen - 1);
	ck_assert_int_ge(n, 0);
	out[n] = '\0';
	close(fd);
	unlink(path);
	return r;
}

START_TEST(exit_status)
{
	const char *const t[] = { "true", NULL };
	const char *const f[] = { "false", NULL };
	const char *const sh[] = { "sh", "-c", "exit 42", NULL };
	const char *const kill9[] = { "sh", "-c", "kill -9 $$", NULL };
	const char *const nosuch[] = { "edgekit-no-such-program", NULL };
	const char *const abs[] = { "/bin/sh", "-c", "exit 3", NULL };
	const char *const empty[] = { NULL };

	ck_assert_int_eq(spawn_wait(t, NULL), 0);
	ck_assert_int_eq(spawn_wait(f, NULL), 1);
	ck_assert_int_eq(spawn_wait(sh, NULL), 42);
	ck_assert_int_eq(spawn_wait(abs, NULL), 3);
	ck_assert_int_eq(spawn_wait(kill9, NULL), 128 + SIGKILL);
	ck_assert_int_eq(spawn_wait(nosuch, NULL), -ENOENT);
	ck_assert_int_eq(spawn_wait(empty, NULL), -EINVAL);
	ck_assert_int_eq(spawn_sh_wait("exit 7", NULL), 7);
	ck_assert_int_eq(spawn_sh_wait("kill -TERM $$", NULL), 128 + SIGTERM);
	ck_assert_int_eq(spawn_sh_wait(NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(no_wait)
{
	const char *const argv[] = { "sh", "-c", "exit 5", NULL };
	pid_t	pid = 0;
	int	st;

	ck_assert_int_eq(spawn(argv, NULL, &pid), 0);
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 5);
	ck_assert_int_eq(spawn_sh("exit 6", NULL, &pid), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 6);
}
END_TEST

START_TEST(environment)
{
	const char *const env[] = { "EDGE_IFACE=wg0", "EDGE_TEST=new",
	    "EDGE_SPACE=a b;c", NULL };
	const char *const dup[] = { "EDGE_X=1", "EDGE_X=2", NULL };
	const char *const bad[] = { "NOEQUALS", NULL };
	char out[512];

	setenv("EDGE_TEST", "old", 1);
	setenv("EDGE_KEEP", "kept", 1);
	ck_assert_int_eq(capture("printf '%s|%s|%s|%s' \"$EDGE_IFACE\" "
	    "\"$EDGE_TEST\" \"$EDGE_KEEP\" \"$EDGE_SPACE\"", env, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "wg0|new|kept|a b;c");
	/* overridden, not duplicated */
	ck_assert_int_eq(capture("env | grep -c '^EDGE_TEST='", env, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "1\n");
	/* the parent's environment is unchanged */
	ck_assert_str_eq(getenv("EDGE_TEST"), "old");
	ck_assert_ptr_null(getenv("EDGE_IFACE"));
	/* without extra variables the environment passes through */
	ck_assert_int_eq(capture("printf %s \"$EDGE_TEST\"", NULL, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "old");
	/* the later of two wins, once */
	ck_assert_int_eq(capture("env | grep '^EDGE_X='", dup, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "EDGE_X=2\n");
	ck_assert_int_eq(spawn_sh_wait("true", bad), -EINVAL);
	/* argv is passed as is, no shell in between */
	{
		const char *const argv[] = { "sh", "-c",
		    "[ \"$1\" = 'a b;$(c)' ] && [ $# -eq 1 ]", "x",
		    "a b;$(c)", NULL };

		ck_assert_int_eq(spawn_wait(argv, NULL), 0);
	}
}
END_TEST

/* A daemon's blocked and ignored signals are not passed to hooks. */
/* spawn_io: the child reads the given stdin and writes to the given
 * stdout and stderr; the parent's copies are its own to close. */
START_TEST(io)
{
	const char *argv[] = { "sh", "-c", "tr a-z A-Z; echo err >&2; exit 3",
	    NULL };
	int in[2], out[2], errp[2];
	char buf[64];
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(errp, O_CLOEXEC), 0);
	ck_assert_int_eq(write(in[1], "hello\n", 6), 6);
	close(in[1]);
	ck_assert_int_eq(spawn_io(argv, NULL, in[0], out[1], errp[1], &pid), 0);
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	n = read(out[0], buf, sizeof(buf) - 1);
	ck_assert_int_eq(n, 6);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "HELLO\n");
	n = read(errp[0], buf, sizeof(buf) - 1);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(spawn_reap(pid), 3);
	close(out[0]);
	close(errp[0]);
}
END_TEST

START_TEST(signals_reset)
{
	sigset_t	set;
	char		out[256];

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(capture("grep -E '^Sig(Blk|Ign):' /proc/self/status",
	    NULL, out, sizeof(out)), 0);
	{
		unsigned long long blk, ign;

		ck_assert_int_eq(sscanf(out, "SigBlk: %llx SigIgn: %llx", &blk,
		    &ign), 2);
		ck_assert_msg(blk == 0, "blocked %llx", blk);
		/*
		 * glibc's posix_spawn leaves its two internal real-time
		 * signals (32, 33) ignored in every child; the standard ones
		 * must be at their defaults.
		 */
		ck_assert_msg((ign & 0x7fffffffull) == 0, "ignored %llx", ign);
	}
	ck_assert_int_eq(spawn_sh_wait("kill -TERM $$; exit 0", NULL),
	    128 + SIGTERM);
}
END_TEST

Suite *make_spawn_suite(void);

Suite *
make_spawn_suite(void)
{
	Suite	*s = suite_create("spawn");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, exit_status);
	tcase_add_test(tc, no_wait);
	tcase_add_test(tc, environment);
	tcase_add_test(tc, signals_reset);
	tcase_add_test(tc, io);
	suite_add_tcase(s, tc);
	return s;
}
