// SPDX-License-Identifier: ISC
/*
 * rusage [-i secs] [-o out] [-e err] command [arg ...]: run command, wait
 * for it with wait4(2) and print, on one line, what it cost:
 *
 *	wall_s cpu_s utime_s stime_s minflt nvcsw nivcsw status
 *
 * cpu is user + system time of the command alone (and of children it
 * waited for), from the kernel's accounting, to the microsecond.  -i sends
 * SIGINT after secs seconds (a continuous run ended as a user would); -o
 * and -e redirect the command's standard output and error.
 */
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
tv(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static volatile sig_atomic_t alarmed;

static void
on_alarm(int sig __attribute__((unused)))
{
	alarmed = 1;
}

int
main(int argc, char *argv[])
{
	posix_spawn_file_actions_t fa;
	const char *out = NULL, *err = NULL;
	struct rusage ru;
	struct sigaction sa;
	double t0, t1, secs = 0;
	pid_t pid;
	int ch, st, rc;

	while ((ch = getopt(argc, argv, "+e:i:o:")) != -1) {
		switch (ch) {
		case 'e':
			err = optarg;
			break;
		case 'i':
			secs = atof(optarg);
			break;
		case 'o':
			out = optarg;
			break;
		default:
			fprintf(stderr, "usage: rusage [-i secs] [-o out] "
			    "[-e err] command [arg ...]\n");
			return 2;
		}
	}
	argv += optind;
	if (!argv[0])
		return 2;
	posix_spawn_file_actions_init(&fa);
	if (out)
		posix_spawn_file_actions_addopen(&fa, 1, out,
		    O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (err)
		posix_spawn_file_actions_addopen(&fa, 2, err,
		    O_WRONLY | O_CREAT | O_TRUNC, 0644);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	t0 = now();
	if ((rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ))) {
		fprintf(stderr, "rusage: %s: %s\n", argv[0], strerror(rc));
		return 2;
	}
	if (secs > 0) {
		struct itimerval it = { .it_value = {
		    .tv_sec = (time_t)secs,
		    .tv_usec = (suseconds_t)((secs - (time_t)secs) * 1e6) } };

		setitimer(ITIMER_REAL, &it, NULL);
	}
	for (;;) {
		if (wait4(pid, &st, 0, &ru) == pid)
			break;
		if (errno != EINTR) {
			perror("rusage: wait4");
			return 2;
		}
		if (alarmed) {
			kill(pid, SIGINT);
			alarmed = 0;
		}
	}
	t1 = now();
	printf("%.6f %.6f %.6f %.6f %ld %ld %ld %d\n", t1 - t0,
	    tv(ru.ru_utime) + tv(ru.ru_stime), tv(ru.ru_utime),
	    tv(ru.ru_stime), ru.ru_minflt, ru.ru_nvcsw, ru.ru_nivcsw,
	    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}
