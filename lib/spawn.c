/* SPDX-License-Identifier: ISC */
/*
 * Hooks through posix_spawn(3).  The child gets the default disposition
 * for every signal and an empty signal mask: a daemon that blocks signals
 * for signalfd or ignores SIGPIPE must not pass that on to its hooks.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>	/* lib/spawn.h, which includes the libc one */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>



extern char **environ;

static size_t
name_len(const char *s)
{
	const char *eq = strchr(s, '=');

	return eq != NULL ? (size_t)(eq - s) : 0;
}

/* True when env (the extra variables) names the variable of s. */
static bool
overridden(const char *s, const char *const env[])
{
	size_t	n = name_len(s), i;

	if (n == 0)
		return false;
	for (i = 0; env[i] != NULL; i++)
		if (name_len(env[i]) == n && memcmp(env[i], s, n) == 0)
			return true;
	return false;
}

/*
 * The child's environment: environ without the names env sets, then env.
 * Returns a new pointer array (the strings are not copied; the caller
 * frees the array), or NULL with errno.
 */
static char **
make_env(const char *const env[])
{
	char	**out;
	size_t	  ne = 0, nx = 0, i, j = 0;

	for (i = 0; env[i] != NULL; i++) {
		if (name_len(env[i]) == 0) {
			errno = EINVAL;
			return NULL;
		}
		nx++;
	}
	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		ne++;
	if ((out = calloc(ne + nx + 1, sizeof(*out))) == NULL)
		return NULL;
	for (i = 0; i < ne; i++)
		if (!overridden(environ[i], env))
			out[j++] = environ[i];
	/* A later duplicate in env wins, as it would with setenv(3). */
	for (i = 0; i < nx; i++) {
		size_t k, n = name_len(env[i]);
		bool later = false;

		for (k = i + 1; k < nx && !later; k++)
			later = name_len(env[k]) == n &&
			    memcmp(env[k], env[i], n) == 0;
		if (!later)
			out[j++] = (char *)(uintptr_t)env[i];
	}
	out[j] = NULL;
	return out;
}

static int
do_spawn(bool path, const char *file, const char *const argv[],
    const char *const env[], const posix_spawn_file_actions_t *fa,
    pid_t *pid)
{
	posix_spawnattr_t	 attr;
	sigset_t		 none, all;
	char			**envp = environ;
	int			 r;

	if (argv == NULL || argv[0] == NULL)
		return -EINVAL;
	if (env != NULL && (envp = make_env(env)) == NULL)
		return -errno;
	if ((r = posix_spawnattr_init(&attr)) != 0)
		goto out;
	sigemptyset(&none);
	sigfillset(&all);
	if ((r = posix_spawnattr_setsigmask(&attr, &none)) != 0 ||
	    (r = posix_spawnattr_setsigdefault(&attr, &all)) != 0 ||
	    (r = posix_spawnattr_setflags(&attr,
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) != 0) {
		posix_spawnattr_destroy(&attr);
		goto out;
	}
	/* The prototypes lack const on argv and envp, but they are not
	 * modified. */
	if (path)
		r = posix_spawnp(pid, file, fa, &attr,
		    (char *const *)(uintptr_t)argv, envp);
	else
		r = posix_spawn(pid, file, fa, &attr,
		    (char *const *)(uintptr_t)argv, envp);
	posix_spawnattr_destroy(&attr);
out:
	if (envp != environ)
		free(envp);
	return -r;
}

int
spawn(const char *const argv[], const char *const env[], pid_t *pid)
{
	if (argv == NULL || argv[0] == NULL)
		return -EINVAL;
	return do_spawn(true, argv[0], argv, env, NULL, pid);
}

int
spawn_io(const char *const argv[], const char *const env[], int in_fd,
    int out_fd, int err_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int r;

	if (argv == NULL || argv[0] == NULL)
		return -EINVAL;
	if ((r = posix_spawn_file_actions_init(&fa)) != 0)
		return -r;
	/* dup2 onto 0, 1 or 2 clears close-on-exec on the copy only. */
	if ((in_fd >= 0 && (r = posix_spawn_file_actions_adddup2(&fa, in_fd,
	    STDIN_FILENO)) != 0) || (out_fd >= 0 &&
	    (r = posix_spawn_file_actions_adddup2(&fa, out_fd,
	    STDOUT_FILENO)) != 0) || (err_fd >= 0 &&
	    (r = posix_spawn_file_actions_adddup2(&fa, err_fd,
	    STDERR_FILENO)) != 0)) {
		posix_spawn_file_actions_destroy(&fa);
		return -r;
	}
	r = do_spawn(true, argv[0], argv, env, &fa, pid);
	posix_spawn_file_actions_destroy(&fa);
	return r;
}

static int
wait_for(pid_t pid)
{
	int	status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -EINVAL;
}

int
spawn_wait(const char *const argv[], const char *const env[])
{
	pid_t	pid;
	int	r;

	if ((r = spawn(argv, env, &pid)) != 0)
		return r;
	return wait_for(pid);
}

int
spawn_reap(pid_t pid)
{
	return wait_for(pid);
}

int
spawn_sh(const char *cmd, const char *const env[], pid_t *pid)
{
	const char *argv[] = { "sh", "-c", cmd, NULL };

	if (cmd == NULL)
		return -EINVAL;
	return do_spawn(false, "/bin/sh", argv, env, NULL, pid);
}

int
spawn_sh_wait(const char *cmd, const char *const env[])
{
	pid_t	pid;
	int	r;

	if ((r = spawn_sh(cmd, env, &pid)) != 0)
		return r;
	return wait_for(pid);
}
