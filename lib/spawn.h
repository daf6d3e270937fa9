/* SPDX-License-Identifier: ISC */
#ifndef EDGE_SPAWN_H
#define EDGE_SPAWN_H

/*
 * With -Ilib this file shadows the C library's <spawn.h>: include that one
 * too, so posix_spawn(3) stays declared wherever <spawn.h> is included.
 */
#include_next <spawn.h>
#include <sys/types.h>

/*
 * Hooks, run with posix_spawn(3): an argument vector, never system(3).
 * env holds extra "NAME=value" strings (NULL-terminated, may be NULL) added
 * to, or replacing names in, the current environment.
 *
 * The child starts with every signal at its default action and none
 * blocked (a daemon's signalfd mask and SIG_IGN for SIGPIPE are not
 * passed on).  An env string without "=" is -EINVAL.  The *_wait forms
 * reap their own child with waitpid(2): a SIGCHLD handler that reaps with
 * waitpid(-1, ...) must not run in between.
 */

/* Start argv (argv[0] searched in PATH) without waiting.  0 with *pid set,
 * or -errno (-ENOENT: no such program). */
int	spawn(const char *const argv[], const char *const env[], pid_t *pid);
/* Run and wait: exit status 0..255, 128 + signal number when killed, or
 * -errno when it could not be started. */
int	spawn_wait(const char *const argv[], const char *const env[]);
/* As spawn(), with the child's standard input, output and error taken
 * from in_fd, out_fd and err_fd (-1: inherited).  Open them close-on-exec
 * (pipe2(O_CLOEXEC)) so the child keeps only the copies. */
int	spawn_io(const char *const argv[], const char *const env[], int in_fd,
	    int out_fd, int err_fd, pid_t *pid);
/* Wait for a child started by spawn() or spawn_io(): as spawn_wait(). */
int	spawn_reap(pid_t pid);
/* A hook written as a shell command line in a configuration file (as
 * wg-quick's PostUp): runs "/bin/sh -c cmd" without waiting. */
int	spawn_sh(const char *cmd, const char *const env[], pid_t *pid);
int	spawn_sh_wait(const char *cmd, const char *const env[]);

#endif
