// SPDX-License-Identifier: ISC
/*
 * edge-sni: forward IPv4 clients of IPv6-only services by TLS SNI (or
 * HTTP Host, or a fixed backend), connecting from a NAT46 source address
 * that embeds the client's IPv4 address.  See edge-sni(8).
 *
 * main() reads the configuration, opens every listening socket (one per
 * listener and worker, SO_REUSEPORT), drops privileges, then runs one
 * worker in this process or forks -j workers and supervises them.
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "sni.h"

extern int	sni_worker_id;

static int	 g_argc;
static char	**g_argv;

static void
on_stop(struct ev *ev, int signo, void *arg)
{
	ev_break(ev);
}

static void
on_usr1(struct ev *ev, int signo, void *arg)
{
	sni_worker_stats();
}

/* SIGHUP: reopen the logs; with -f, read the configuration again (and
 * the command line over it) and apply it to new connections. */
static void
on_hup(struct ev *ev, int signo, void *arg)
{
	struct sni_conf *cur = arg, *nc;
	bool check = false, fg = false;
	int verbose = 0, *fds;
	size_t i;

	if (cur->file == NULL) {
		sni_worker_reopen();
		log_info("SIGHUP: logs reopened");
		return;
	}
	if ((nc = malloc(sizeof(*nc))) == NULL) {
		log_warn("reload");
		return;
	}
	sni_conf_init(nc);
	optind = 0;
	opterr = 1;
	if (sni_conf_args(nc, g_argc, g_argv, &check, &verbose, &fg) != 0) {
		log_warnx("reload failed: the running configuration stays");
		sni_conf_free(nc);
		free(nc);
		return;
	}
	if ((fds = calloc(nc->nl, sizeof(int))) == NULL) {
		sni_conf_free(nc);
		free(nc);
		return;
	}
	for (i = 0; i < nc->nl; i++) {
		/* Keep a socket only where there is one: a listener that
		 * failed to open on an earlier reload is tried again. */
		if (sni_worker_listening(nc->l[i].spec))
			fds[i] = SNI_FD_KEEP;
		else if (nc->l[i].inherited) {
			/* Its number may name another socket by now. */
			log_warnx("%s: descriptors are taken at start only",
			    nc->l[i].spec);
			fds[i] = -EBADF;
		} else
			fds[i] = sni_listen_socket(&nc->l[i]);
	}
	sni_worker_reload(nc, fds);
	free(fds);
	/* The next SIGHUP reloads over this one. */
	ev_signal(ev, SIGHUP, on_hup, nc);
	log_info("SIGHUP: configuration reloaded, %zu listener(s)", nc->nl);
}

static int
worker_run(struct sni_conf *c, int *fds)
{
	char err[512];
	struct ev *ev;
	size_t i;
	int rc;

	if ((ev = ev_new()) == NULL) {
		log_warn("event loop");
		return 1;
	}
	if (sni_worker_init(ev, c, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return 1;
	}
	for (i = 0; i < c->nl; i++)
		if ((rc = sni_worker_listen(&c->l[i], fds[i])) != 0) {
			log_warnx("%s: %s", c->l[i].spec, strerror(-rc));
			return 1;
		}
	if (ev_signal(ev, SIGTERM, on_stop, NULL) != 0 ||
	    ev_signal(ev, SIGINT, on_stop, NULL) != 0 ||
	    ev_signal(ev, SIGUSR1, on_usr1, NULL) != 0 ||
	    ev_signal(ev, SIGHUP, on_hup, c) != 0) {
		log_warn("signals");
		return 1;
	}
	log_info("worker %d: %zu listener(s)", sni_worker_id, c->nl);
	rc = ev_run(ev);
	if (rc < 0)
		log_warnx("event loop: %s", strerror(-rc));
	sni_worker_stats();
	sni_worker_free();
	ev_free(ev);
	return rc < 0 ? 1 : 0;
}

/*
 * Become user.  With keep_bind (a configuration file, which SIGHUP may
 * extend by a listener below port 1024) CAP_NET_BIND_SERVICE alone
 * survives the change of user, in the permitted and effective sets, and
 * the bounding set loses every other capability; otherwise nothing does.
 * Raw capset(2): no libcap for one capability.
 */
static void
drop_privileges(const char *user, bool keep_bind)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};
	struct __user_cap_data_struct data[2];
	struct passwd *pw;
	int cap;

	if ((pw = getpwnam(user)) == NULL)
		errx(1, "-u %s: no such user", user);
	keep_bind = keep_bind && pw->pw_uid != 0;
	if (keep_bind) {
		/* Best effort (it takes CAP_SETPCAP): the bounding set
		 * only limits what an exec could gain, and we exec
		 * nothing.  EINVAL past the last capability known. */
		for (cap = 0; cap < 64; cap++)
			if (cap != CAP_NET_BIND_SERVICE &&
			    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 &&
			    errno == EINVAL)
				break;
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1)
			err(1, "PR_SET_KEEPCAPS");
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		err(1, "dropping privileges to %s", user);
	if (keep_bind) {
		memset(data, 0, sizeof(data));
		data[0].permitted = data[0].effective =
		    1u << CAP_NET_BIND_SERVICE;
		if (syscall(SYS_capset, &hdr, data) == -1 ||
		    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1)
			err(1, "keeping CAP_NET_BIND_SERVICE as %s", user);
	}
	if (pw->pw_uid != 0 && setuid(0) == 0)
		errx(1, "dropping privileges to %s: could regain root", user);
}

/* A listener's socket: an "fd:N" one made ready for the accept loop, or
 * a new one.  fd or -errno. */
static int
listener_open(const struct sni_listener *l)
{
	int fd = l->ifd, one = 1, secs = 5;

	if (!l->inherited)
		return sni_listen_socket(l);
	/* As sni_listen_socket() would have set them. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    (l->proto != SNI_PROTO_PLAIN && setsockopt(fd, IPPROTO_TCP,
	    TCP_DEFER_ACCEPT, &secs, sizeof(secs))))
		return -errno;
	return fd;
}

/* systemd socket activation: LISTEN_FDS descriptors from 3 on, one per
 * listener in order.  The same sockets serve every worker. */
static int
activated(struct sni_conf *c, int **fds)
{
	const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
	const char *errstr;
	long long nfd;
	int w, i;

	if (pid == NULL || n == NULL || strtonum(pid, 1, INT32_MAX, &errstr) !=
	    getpid())
		return 0;
	nfd = strtonum(n, 1, 1024, &errstr);
	if (errstr != NULL)
		errx(2, "LISTEN_FDS=%s: %s", n, errstr);
	if ((size_t)nfd != c->nl)
		errx(2, "LISTEN_FDS=%lld but %zu listener(s) configured", nfd,
		    c->nl);
	/* The accept loop runs to EAGAIN: the sockets must not block. */
	for (i = 0; i < nfd; i++)
		if (fcntl(3 + i, F_SETFL, fcntl(3 + i, F_GETFL) | O_NONBLOCK) ==
		    -1 || fcntl(3 + i, F_SETFD, FD_CLOEXEC) == -1)
			err(1, "LISTEN_FDS: descriptor %d", 3 + i);
	for (w = 0; w < c->workers; w++)
		for (i = 0; i < nfd; i++)
			fds[w][i] = 3 + i;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	return 1;
}

int
main(int argc, char **argv)
{
	struct sni_conf *c;
	bool check = false, fg = false;
	int verbose = 0, w, nw, rc, **fds;
	pid_t *pids;
	sigset_t set;
	size_t i;

	g_argc = argc;
	g_argv = argv;
	if ((c = malloc(sizeof(*c))) == NULL)
		err(1, NULL);
	sni_conf_init(c);
	if ((rc = sni_conf_args(c, argc, argv, &check, &verbose, &fg)) != 0 ||
	    check) {
		if (rc == 0)
			fprintf(stderr, "configuration OK: %zu listener(s)\n",
			    c->nl);
		sni_conf_free(c);
		free(c);
		return rc;
	}
	log_init("edge-sni", fg, verbose);
	signal(SIGPIPE, SIG_IGN);

	nw = c->workers;
	if ((fds = calloc(c->workers, sizeof(*fds))) == NULL ||
	    (pids = calloc(c->workers, sizeof(*pids))) == NULL)
		err(1, NULL);
	for (w = 0; w < c->workers; w++)
		if ((fds[w] = calloc(c->nl, sizeof(int))) == NULL)
			err(1, NULL);
	if (!activated(c, fds))
		for (w = 0; w < c->workers; w++)
			for (i = 0; i < c->nl; i++) {
				fds[w][i] = listener_open(&c->l[i]);
				if (fds[w][i] < 0)
					errx(1, "listen %s: %s", c->l[i].spec,
					    strerror(-fds[w][i]));
			}
	if (c->user[0] != '\0')
		drop_privileges(c->user, c->file != NULL);

	if (c->workers == 1) {
		rc = worker_run(c, fds[0]);
		goto out;
	}

	/* Workers: each keeps its own sockets.  The parent passes signals
	 * on and stops everything when one dies. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (w = 0; w < c->workers; w++) {
		if ((pids[w] = fork()) == -1)
			err(1, "fork");
		if (pids[w] == 0) {
			int v;

			sigprocmask(SIG_UNBLOCK, &set, NULL);
			for (v = 0; v < c->workers; v++)
				if (v != w)
					for (i = 0; i < c->nl; i++)
						if (fds[v][i] != fds[w][i])
							close(fds[v][i]);
			sni_worker_id = w;
			log_reopen();
			rc = worker_run(c, fds[w]);
			goto out;
		}
	}
	for (w = 0; w < c->workers; w++)
		for (i = 0; i < c->nl; i++)
			if (w == 0 || fds[w][i] != fds[0][i])
				close(fds[w][i]);
	rc = 0;
	for (;;) {
		int sig, status;
		pid_t p;

		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP || sig == SIGUSR1) {
			for (w = 0; w < c->workers; w++)
				kill(pids[w], sig);
			continue;
		}
		if (sig == SIGCHLD) {
			p = waitpid(-1, &status, WNOHANG);
			if (p <= 0)
				continue;
			log_warnx("worker %d exited (status %d): stopping",
			    (int)p, status);
			rc = 1;
		}
		break;
	}
	for (w = 0; w < c->workers; w++)
		kill(pids[w], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
out:
	/* Not c->workers: after a reload in this worker c is freed. */
	for (w = 0; w < nw; w++)
		free(fds[w]);
	free(fds);
	free(pids);
	/* A reload may have replaced c: the worker frees what it holds. */
	sni_worker_conf_free(c);
	return rc;
}
