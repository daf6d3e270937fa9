/* SPDX-License-Identifier: ISC */
/*
 * --emit exabgp: run as an ExaBGP "process" (text encoder).  The routes of
 * the input files are announced, then the files are watched: when one
 * changes (or on SIGHUP) they are read again and only the differences are
 * announced or withdrawn.  ExaBGP answers every command with "done" or
 * "error" on our standard input; those answers are read as they come, with
 * at most WINDOW commands outstanding, so neither side ever blocks on a
 * full pipe (the classic hang of helper scripts that never read them).
 *
 * Routes are keyed by prefix alone (BGP has no tables); a prefix listed
 * twice with different attributes is an input error.  The next hop is the
 * route's gateway or "self"; a metric becomes the MED; a blackhole route
 * carries the BLACKHOLE community (RFC 7999).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#include "prefix.h"
#include "routes.h"

#define WINDOW		32	/* commands awaiting an answer */
#define PER_CMD		200	/* prefixes per announce/withdraw command */
#define ACK_WAIT_MS	10000	/* then assume exabgp.api.ack is off */

struct xb {
	char		*out;		/* commands not yet written */
	size_t		 outlen, outoff, outcap;
	size_t		*ends;		/* end offset of each queued command */
	size_t		 nends, endhead, endcap;
	size_t		 inflight;
	bool		 ack;
	char		 in[4096];
	size_t		 inlen;
	unsigned long	 nerr;
};

static volatile sig_atomic_t got_hup, got_term;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static void
queue(struct xb *x, const char *s, size_t len)
{
	size_t cap;

	if (x->outlen + len > x->outcap) {
		cap = x->outcap ? x->outcap : 65536;
		while (cap < x->outlen + len)
			cap *= 2;
		if ((x->out = realloc(x->out, cap)) == NULL)
			err(1, NULL);
		x->outcap = cap;
	}
	memcpy(x->out + x->outlen, s, len);
	x->outlen += len;
	if (x->nends == x->endcap) {
		x->endcap = x->endcap ? x->endcap * 2 : 256;
		if ((x->ends = reallocarray(x->ends, x->endcap,
		    sizeof(*x->ends))) == NULL)
			err(1, NULL);
	}
	x->ends[x->nends++] = x->outlen;
}

/* Handle what ExaBGP sent us.  -1: it is gone or shutting down. */
static int
read_answers(struct xb *x)
{
	char *nl, *line;
	ssize_t n;

	n = read(STDIN_FILENO, x->in + x->inlen, sizeof(x->in) - x->inlen);
	if (n == 0)
		return -1;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	x->inlen += (size_t)n;
	line = x->in;
	while ((nl = memchr(line, '\n', x->inlen - (size_t)(line - x->in)))) {
		*nl = '\0';
		if (strcmp(line, "done") == 0 || strcmp(line, "error") == 0) {
			if (x->inflight > 0)
				x->inflight--;
			if (*line == 'e') {
				x->nerr++;
				warnx("exabgp refused a command (see its log)");
			}
		} else if (strcmp(line, "shutdown") == 0)
			return -1;
		line = nl + 1;
	}
	x->inlen -= (size_t)(line - x->in);
	memmove(x->in, line, x->inlen);
	/* A line longer than the buffer is not an answer: drop it. */
	if (x->inlen == sizeof(x->in))
		x->inlen = 0;
	return 0;
}

/* Write every queued command and read every answer.  -1 when ExaBGP went
 * away or we were told to stop. */
static int
pump(struct xb *x)
{
	struct pollfd pfd[2];
	size_t end;
	ssize_t n;
	int rc, idle = 0;

	while (x->endhead < x->nends || (x->ack && x->inflight > 0)) {
		if (got_term)
			return -1;
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = STDOUT_FILENO;
		pfd[1].events = x->endhead < x->nends &&
		    (!x->ack || x->inflight < WINDOW) ? POLLOUT : 0;
		rc = poll(pfd, 2, 1000);
		if (rc < 0 && errno != EINTR)
			return -1;
		if (rc <= 0) {
			if (x->ack && x->inflight > 0 &&
			    (idle += 1000) >= ACK_WAIT_MS) {
				warnx("no answer from exabgp for %d s; "
				    "assuming exabgp.api.ack is off",
				    ACK_WAIT_MS / 1000);
				x->ack = false;
				x->inflight = 0;
			}
			continue;
		}
		idle = 0;
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			if (read_answers(x) < 0)
				return -1;
		if (pfd[1].revents & (POLLERR | POLLHUP))
			return -1;
		if (!(pfd[1].revents & POLLOUT))
			continue;
		end = x->ends[x->endhead];
		n = write(STDOUT_FILENO, x->out + x->outoff, end - x->outoff);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		x->outoff += (size_t)n;
		if (x->outoff == end) {
			x->endhead++;
			if (x->ack)
				x->inflight++;
		}
	}
	x->outlen = x->outoff = 0;
	x->nends = x->endhead = 0;
	return 0;
}

struct item {
	uint32_t	attr;
	uint32_t	family;
	size_t		idx;
};

static int
item_cmp(const void *va, const void *vb)
{
	const struct item *a = va, *b = vb;

	if (a->attr != b->attr)
		return a->attr < b->attr ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Queue announce (or withdraw) commands for the routes it[0..n) of s,
 * grouped by attributes. */
static void
emit(struct xb *x, const struct routes_set *s, struct item *it, size_t n,
    bool announce)
{
	const struct routes_attr *a;
	char cmd[PER_CMD * (PREFIX_STRLEN + 1) + 256], pbuf[PREFIX_STRLEN];
	char gbuf[INET6_ADDRSTRLEN];
	size_t i, j, len;

	if (n > 1)
		qsort(it, n, sizeof(*it), item_cmp);
	for (i = 0; i < n; i = j) {
		a = &s->attr[it[i].attr];
		if (a->gw_family != 0)
			addr_ntop(a->gw_family, &a->gw, gbuf, sizeof(gbuf));
		else
			strlcpy(gbuf, "self", sizeof(gbuf));
		len = (size_t)snprintf(cmd, sizeof(cmd), "%s attributes",
		    announce ? "announce" : "withdraw");
		/* The metric as MED; an IPv6 route's 1024 is the kernel's
		 * "none given". */
		if (announce && a->metric != 0 && !(it[i].family == AF_INET6 &&
		    a->metric == ROUTES_IP6_METRIC))
			len += (size_t)snprintf(cmd + len, sizeof(cmd) - len,
			    " med %u", a->metric);
		if (announce && a->type == RTN_BLACKHOLE)
			len += (size_t)snprintf(cmd + len, sizeof(cmd) - len,
			    " community [65535:666]");
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len,
		    " next-hop %s nlri", gbuf);
		for (j = i; j < n && j < i + PER_CMD &&
		    it[j].attr == it[i].attr && it[j].family == it[i].family;
		    j++) {
			prefix_ntop(&s->r[it[j].idx].dst, pbuf, sizeof(pbuf));
			cmd[len++] = ' ';
			len += strlcpy(cmd + len, pbuf, sizeof(cmd) - len);
		}
		cmd[len++] = '\n';
		queue(x, cmd, len);
	}
}

/*
 * Load the files into s keyed by prefix only.  Exit status on error
 * (messages printed).
 */
static int
load(struct routes_set *s, const struct routes_emit_opts *o)
{
	char b1[256], b2[256];
	size_t i;
	int rc;

	routes_set_init(s);
	if ((rc = routes_load(s, o->files, o->nfiles, o->d, o->aggregate)))
		return rc;
	for (i = 0; i < s->n; i++)
		s->r[i].table = s->r[i].metric = 0;
	routes_set_sort(s);
	for (i = 1; i < s->n; i++) {
		if (!prefix_equal(&s->r[i - 1].dst, &s->r[i].dst))
			continue;
		routes_format(b1, sizeof(b1), &s->r[i - 1].dst,
		    &s->attr[s->r[i - 1].attr], NULL);
		routes_format(b2, sizeof(b2), &s->r[i].dst,
		    &s->attr[s->r[i].attr], NULL);
		warnx("one prefix, two routes (BGP carries one): \"%s\" and "
		    "\"%s\"", b1, b2);
		return 2;
	}
	if (s->n == 0 && !o->allow_empty) {
		warnx("the input holds no routes: refusing to withdraw "
		    "everything (--allow-empty to do so)");
		return 2;
	}
	return 0;
}

static bool
same_bgp(const struct routes_attr *a, const struct routes_attr *b)
{
	return a->type == b->type && a->metric == b->metric &&
	    a->gw_family == b->gw_family &&
	    memcmp(&a->gw, &b->gw, a->gw_family == AF_INET ? 4 : 16) == 0;
}

/* Queue what turns "old" into "new": withdrawals, then announcements. */
static int
diff(struct xb *x, const struct routes_set *old, const struct routes_set *new,
    const struct routes_emit_opts *o)
{
	struct item *ann, *wd;
	size_t i = 0, j = 0, na = 0, nw = 0;
	int c;

	ann = calloc(new->n + 1, sizeof(*ann));
	wd = calloc(old->n + 1, sizeof(*wd));
	if (ann == NULL || wd == NULL)
		err(1, NULL);
	while (i < new->n || j < old->n) {
		c = i == new->n ? 1 : j == old->n ? -1 :
		    prefix_cmp(&new->r[i].dst, &old->r[j].dst);
		if (c < 0 || (c == 0 && !same_bgp(&new->attr[new->r[i].attr],
		    &old->attr[old->r[j].attr]))) {
			ann[na].attr = new->r[i].attr;
			ann[na].family = new->r[i].dst.family;
			ann[na++].idx = i;
		}
		if (c > 0) {
			wd[nw].attr = old->r[j].attr;
			wd[nw].family = old->r[j].dst.family;
			wd[nw++].idx = j;
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	if (nw > 0 && !o->force && (unsigned long long)nw * 100 >
	    (unsigned long long)o->max_delete * old->n) {
		warnx("refusing to withdraw %zu of %zu routes (more than %u%%; "
		    "--max-delete or --force to allow); keeping the old list",
		    nw, old->n, o->max_delete);
		free(ann);
		free(wd);
		return -1;
	}
	emit(x, old, wd, nw, false);
	emit(x, new, ann, na, true);
	fprintf(stderr, "edge-routes: exabgp: %zu announced, %zu withdrawn, "
	    "%zu routes\n", na, nw, new->n);
	free(ann);
	free(wd);
	return 0;
}

struct stamp {
	dev_t	dev;
	ino_t	ino;
	off_t	size;
	struct timespec mtime;
};

static void
stamps(const struct routes_emit_opts *o, struct stamp *st)
{
	struct stat sb;
	int i;

	for (i = 0; i < o->nfiles; i++) {
		memset(&st[i], 0, sizeof(st[i]));
		if (stat(o->files[i], &sb) != 0)
			continue;
		st[i].dev = sb.st_dev;
		st[i].ino = sb.st_ino;
		st[i].size = sb.st_size;
		st[i].mtime = sb.st_mtim;
	}
}

int
routes_emit_exabgp(const struct routes_emit_opts *o)
{
	struct routes_set cur, next, empty;
	struct sigaction sa;
	struct stamp *st, *st2;
	struct pollfd pfd;
	struct xb x;
	int rc;

	if (o->nfiles == 0) {
		warnx("--emit exabgp reads files (it watches them for "
		    "changes); standard input is ExaBGP's");
		return 2;
	}
	if ((st = calloc((size_t)o->nfiles, sizeof(*st))) == NULL ||
	    (st2 = calloc((size_t)o->nfiles, sizeof(*st2))) == NULL)
		err(1, NULL);
	memset(&x, 0, sizeof(x));
	x.ack = true;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) |
	    O_NONBLOCK) == -1 || fcntl(STDIN_FILENO, F_SETFL,
	    fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK) == -1)
		err(1, "fcntl");

	stamps(o, st);
	if ((rc = load(&cur, o)) != 0) {
		routes_set_free(&cur);
		goto out;
	}
	routes_set_init(&empty);
	diff(&x, &empty, &cur, o);
	rc = 0;
	if (pump(&x) < 0)
		goto done;

	for (;;) {
		pfd.fd = STDIN_FILENO;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)o->interval * 1000) > 0 &&
		    read_answers(&x) < 0)
			break;
		if (got_term)
			break;
		stamps(o, st2);
		if (!got_hup && memcmp(st, st2, sizeof(*st) *
		    (size_t)o->nfiles) == 0)
			continue;
		got_hup = 0;
		memcpy(st, st2, sizeof(*st) * (size_t)o->nfiles);
		if (load(&next, o) != 0) {
			warnx("keeping the routes announced before");
			routes_set_free(&next);
			continue;
		}
		if (diff(&x, &cur, &next, o) != 0) {
			routes_set_free(&next);
			continue;
		}
		routes_set_free(&cur);
		cur = next;
		if (pump(&x) < 0)
			break;
	}
done:
	routes_set_free(&cur);
out:
	free(x.out);
	free(x.ends);
	free(st);
	free(st2);
	if (rc == 0 && x.nerr > 0)
		rc = 1;
	return rc;
}
