// SPDX-License-Identifier: ISC
/*
 * edge-failover: read edge-probe's result stream, keep each gateway's
 * health, and point the routes of each group at the best gateways.
 *
 *   edge-probe -i 0.2 -f probes | edge-failover -f failover.conf
 *   edge-failover status [-f failover.conf | -S statefile]
 *
 * SIGHUP reads the configuration again (reload()).
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <err.h>
#include <linux/netlink.h>
#include <sys/epoll.h>

#include "ev.h"
#include "log.h"
#include "nl.h"
#include "spawn.h"
#include "failover.h"

#define DEFAULT_CONF	"/etc/edgekit/failover.conf"
#define BEAT_MS		2000	/* routes checked */
#define STATE_BEATS	5	/* state file rewritten every 5 beats */
#define MAX_LINE	4096
#define MAX_ADDRS	16

struct app {
	struct failover_cfg cfg;
	struct ev	*ev;
	struct nl	 nl;
	bool		 nl_ok;
	bool		 dry;
	const char	*conf;		/* -f, read again on SIGHUP */
	const char	*state_path;	/* NULL: none */
	bool		 state_given;	/* -S: a reload keeps it */

	int		 infd;
	struct ev_io	 in;
	char		 buf[65536];
	size_t		 len;
	bool		 skipping;	/* inside an overlong line */
	bool		 eof;
	uint64_t	 eof_at;	/* monotonic ms */
	uint64_t	 nlines, nbad;

	uint64_t	 started;	/* monotonic ms */
	uint64_t	 last_input;	/* monotonic ms, 0 none */
	uint64_t	 last_input_wall;
	bool		 silent;

	struct ev_timer	 eval_t, stream_t, beat_t;
	unsigned int	 beats;
	char		 route_err[FO_MAX_GROUPS][256];
	bool		 nores_warned[FO_MAX_GW];
	uint64_t	 gw_added[FO_MAX_GW];	/* start, or the reload */
	int		 status;	/* exit status */
};

static void	evaluate(struct app *a);

static void __attribute__((noreturn))
usage(int code)
{
	FILE *f = code ? stderr : stdout;

	fprintf(f,
	    "usage: edge-failover [-hnsVv] [-f file] [-i input] [-S statefile]\n"
	    "       edge-failover status [-f file | -S statefile]\n"
	    "       edge-failover flush [-f file]\n");
	exit(code);
}

static uint64_t
now_ms(const struct app *a)
{
	return ev_monotonic_us() / 1000;
}

static const char *
stream_name(const struct app *a)
{
	if (!a->silent)
		return "ok";
	return a->eof ? "ended" : "silent";
}

static void
write_state(struct app *a)
{
	char err[256];

	if (a->state_path == NULL)
		return;
	if (failover_state_write(a->state_path, &a->cfg, now_ms(a),
	    ev_realtime_ms(), stream_name(a), a->last_input_wall, err,
	    sizeof(err)) < 0)
		log_warnx("state file: %s", err);
}

/* All groups' routes, for the hook's ROUTE. */
static void
routes_str(const struct app *a, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < a->cfg.ngroup && off + 3 < len; i++) {
		const struct failover_group *g = &a->cfg.group[i];

		if (i)
			off += (size_t)snprintf(buf + off, len - off, "; ");
		if (!g->programmed)
			off += (size_t)snprintf(buf + off, len - off, "-");
		else
			off += failover_route_str(&a->cfg, g, &g->active,
			    buf + off, len - off);
	}
}

static void
run_hook(struct app *a, const char *event, const char *gw, const char *state,
    const char *prev, double loss, uint32_t rtt_us)
{
	char e_ev[64], e_gw[FO_NAMELEN + 16], e_st[64], e_pr[64], e_loss[64];
	char e_rtt[64], e_route[2048];
	const char *env[8];
	pid_t pid;
	int rc;

	if (a->cfg.hook[0] == '\0' || a->dry)
		return;
	snprintf(e_ev, sizeof(e_ev), "EVENT=%s", event);
	snprintf(e_gw, sizeof(e_gw), "GATEWAY=%s", gw);
	snprintf(e_st, sizeof(e_st), "STATE=%s", state);
	snprintf(e_pr, sizeof(e_pr), "PREVIOUS=%s", prev);
	snprintf(e_loss, sizeof(e_loss), "LOSS=%.1f", loss);
	if (rtt_us)
		snprintf(e_rtt, sizeof(e_rtt), "RTT=%u", rtt_us);
	else
		snprintf(e_rtt, sizeof(e_rtt), "RTT=");
	memcpy(e_route, "ROUTE=", 6);
	routes_str(a, e_route + 6, sizeof(e_route) - 6);
	env[0] = e_ev;
	env[1] = e_gw;
	env[2] = e_st;
	env[3] = e_pr;
	env[4] = e_loss;
	env[5] = e_rtt;
	env[6] = e_route;
	env[7] = NULL;
	if ((rc = spawn_sh(a->cfg.hook, env, &pid)) < 0)
		log_warnx("hook: %s", strerror(-rc));
	else
		log_debug("hook started, pid %ld", (long)pid);
}

/* The device's addresses, which conntrack entries through it carry. */
struct addrs {
	int		family[MAX_ADDRS];
	union edge_addr	addr[MAX_ADDRS];
	size_t		n;
};

static int
addr_cb(const struct nl_addr *ad, void *arg)
{
	struct addrs *x = arg;

	if (x->n < MAX_ADDRS) {
		x->family[x->n] = ad->family;
		x->addr[x->n] = ad->addr;
		x->n++;
	}
	return 0;
}

static void
resolve_ifindex(struct app *a, struct failover_gw *gw)
{
	int rc;

	if (gw->ifindex != 0 || !a->nl_ok)
		return;
	if ((rc = nl_ifindex(&a->nl, gw->dev)) > 0)
		gw->ifindex = (uint32_t)rc;
}

static void
flush_conntrack(struct app *a, struct failover_gw *gw)
{
	struct addrs x;
	char err[256];
	unsigned int n = 0;
	int rc;

	memset(&x, 0, sizeof(x));
	if (a->dry) {
		log_info("gateway %s: would delete its conntrack entries",
		    gw->name);
		return;
	}
	resolve_ifindex(a, gw);
	if (gw->ifindex != 0 && (rc = nl_addr_dump(&a->nl, AF_UNSPEC,
	    gw->ifindex, addr_cb, &x)) < 0)
		log_warnx("gateway %s: addresses of %s: %s", gw->name, gw->dev,
		    strerror(-rc));
	if (failover_ct_flush(gw, x.family, x.addr, x.n, &n, err,
	    sizeof(err)) < 0)
		log_warnx("gateway %s: conntrack: %s", gw->name, err);
	else
		log_info("gateway %s: deleted %u conntrack entries", gw->name,
		    n);
}

static bool
in_choice(const struct failover_choice *c, unsigned int gi)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->gw[i] == gi)
			return true;
	return false;
}


/* Point group g at c.  Returns true when its route changed. */
static bool
program(struct app *a, struct failover_group *g,
    const struct failover_choice *c, uint64_t decided_us)
{
	char was[1024], now[1024], err[256];
	uint64_t done_us;
	size_t i;

	for (i = 0; i < c->n; i++) {
		const struct failover_gw *gw = &a->cfg.gw[c->gw[i]];

		resolve_ifindex(a, &a->cfg.gw[c->gw[i]]);
		if (gw->ifindex == 0 && !a->dry) {
			snprintf(err, sizeof(err), "device %s of gateway %s "
			    "not found", gw->dev, gw->name);
			goto fail;
		}
	}
	if (g->programmed)
		failover_route_str(&a->cfg, g, &g->active, was, sizeof(was));
	else
		snprintf(was, sizeof(was), "-");
	failover_route_str(&a->cfg, g, c, now, sizeof(now));
	if (a->dry) {
		log_info("group %s: would route %s (was %s)", g->name, now,
		    was);
	} else {
		if (failover_route_apply(&a->nl, &a->cfg, g, c, err,
		    sizeof(err)) < 0)
			goto fail;
		a->route_err[g - a->cfg.group][0] = '\0';
		done_us = ev_monotonic_us();
		log_info("group %s: route %s (was %s), %llu us after the "
		    "decision", g->name, now, was,
		    (unsigned long long)(done_us - decided_us));
	}
	g->active = *c;
	g->programmed = true;
	g->changes++;
	return true;
fail:
	/* A device may have been made anew (a PPP or modem link): look its
	 * index up again next time. */
	for (i = 0; i < c->n; i++)
		a->cfg.gw[c->gw[i]].ifindex = 0;
	/* Retried with every evaluation; said once. */
	if (strcmp(err, a->route_err[g - a->cfg.group]) != 0)
		log_warnx("group %s: %s", g->name, err);
	snprintf(a->route_err[g - a->cfg.group], sizeof(a->route_err[0]),
	    "%s", err);
	return false;
}

static void
evaluate(struct app *a)
{
	struct failover_cfg *cfg = &a->cfg;
	struct failover_choice c;
	bool was_active[FO_MAX_GW], changed[FO_MAX_GW], any = false;
	uint64_t now = now_ms(a), next = UINT64_MAX, decided_us;
	size_t i, j;
	int guard;

	if (a->silent)
		return;		/* hold everything while blind */
	for (i = 0; i < cfg->ngw; i++) {
		struct failover_gw *gw = &cfg->gw[i];
		int from = gw->state;
		uint64_t n = UINT64_MAX;

		changed[i] = false;
		/* A change can make another due at once: settle it. */
		for (guard = 0; guard < 4; guard++) {
			n = UINT64_MAX;
			if (!failover_gw_eval(gw, now, &n))
				break;
		}
		if (n < next)
			next = n;
		if (gw->state != from) {
			changed[i] = any = true;
			gw->prev = from;
			log_info("gateway %s: %s -> %s (loss %.1f%%, rtt "
			    "%.1f ms)", gw->name, failover_state_name(from),
			    failover_state_name(gw->state), gw->loss,
			    gw->rtt_us / 1000.0);
		}
	}
	/* A gateway nothing was heard of after the start: most likely its
	 * Targets name no probe in the stream. */
	for (i = 0; i < cfg->ngw; i++)
		if (cfg->gw[i].nresults == 0 && !a->nores_warned[i] &&
		    now - a->gw_added[i] >= cfg->start_wait_ms) {
			a->nores_warned[i] = true;
			log_warnx("gateway %s: no result for its targets (%s%s) "
			    "after %u ms", cfg->gw[i].name, cfg->gw[i].match[0],
			    cfg->gw[i].nmatch > 1 ? ", ..." : "",
			    cfg->start_wait_ms);
		}
	decided_us = ev_monotonic_us();

	for (i = 0; i < cfg->ngw; i++)
		was_active[i] = false;
	for (j = 0; j < cfg->ngroup; j++) {
		struct failover_group *g = &cfg->group[j];

		if (g->programmed)
			for (i = 0; i < g->active.n; i++)
				was_active[g->active.gw[i]] = true;
		if (failover_choose(cfg, g, now, a->started, &c) == 0) {
			/* Waiting at start for every gateway's first
			 * results: look again when the wait is over. */
			uint64_t w = a->started + cfg->start_wait_ms;

			if (w > now && w < next)
				next = w;
			continue;
		}
		if (g->programmed && failover_choice_equal(&g->active, &c))
			continue;
		if (program(a, g, &c, decided_us))
			any = true;
	}

	/* Failback: a gateway no group uses any more may strand
	 * connections; delete its conntrack entries if asked to. */
	for (i = 0; i < cfg->ngw; i++) {
		bool active = false;

		if (!was_active[i] || !cfg->gw[i].flush_ct)
			continue;
		for (j = 0; j < cfg->ngroup; j++)
			if (cfg->group[j].programmed &&
			    in_choice(&cfg->group[j].active, (unsigned int)i))
				active = true;
		if (!active)
			flush_conntrack(a, &cfg->gw[i]);
	}

	for (i = 0; i < cfg->ngw; i++)
		if (changed[i])
			run_hook(a, "gateway", cfg->gw[i].name,
			    failover_state_name(cfg->gw[i].state),
			    failover_state_name(cfg->gw[i].prev),
			    cfg->gw[i].loss, cfg->gw[i].rtt_us);
	if (any)
		write_state(a);

	if (next != UINT64_MAX)
		ev_timer_start(a->ev, &a->eval_t, next > now ? next - now : 0);
	else
		ev_timer_stop(a->ev, &a->eval_t);
}

static void
on_eval(struct ev *ev, struct ev_timer *t)
{
	evaluate(t->arg);
}

static void
stream_fault(struct app *a)
{
	a->silent = true;
	if (a->eof && a->nlines == 0)
		log_warnx("input ended %llu ms ago without a single line: "
		    "holding the routes",
		    (unsigned long long)(now_ms(a) - a->eof_at));
	else if (a->eof)
		log_warnx("input ended %llu ms ago: holding the routes",
		    (unsigned long long)(now_ms(a) - a->eof_at));
	else
		log_warnx("no input for %u ms: holding the routes",
		    a->cfg.stream_timeout_ms);
	ev_timer_stop(a->ev, &a->eval_t);
	run_hook(a, "stream", "", stream_name(a), "ok", 0, 0);
	write_state(a);
	if (a->eof) {
		a->status = 1;
		ev_break(a->ev);
	}
}

static void
on_stream_timer(struct ev *ev, struct ev_timer *t)
{
	struct app *a = t->arg;
	uint64_t now = now_ms(a), last = a->last_input ? a->last_input :
	    a->started;

	if (a->silent)
		return;
	if (now - last >= a->cfg.stream_timeout_ms)
		stream_fault(a);
	else
		ev_timer_start(ev, t, a->cfg.stream_timeout_ms - (now - last));
}

/* Is dst (with the group's metric) among the routes found? */
struct seen {
	const struct failover_group *g;
	bool		 found[FO_MAX_DST];
};

static int
seen_cb(const struct nl_route *r, void *arg)
{
	struct seen *x = arg;
	size_t i;

	for (i = 0; i < x->g->ndst; i++)
		if (prefix_equal(&r->dst, &x->g->dst[i]) &&
		    r->priority == x->g->metric)
			x->found[i] = true;
	return 0;
}

/*
 * The kernel drops a route whose only device goes away or down, and
 * someone may delete ours by hand: put back what a group should have.
 */
static void
check_routes(struct app *a)
{
	char err[256];
	size_t j, i;
	int rc;

	if (a->dry || !a->nl_ok)
		return;
	for (j = 0; j < a->cfg.ngroup; j++) {
		struct failover_group *g = &a->cfg.group[j];
		struct seen x;
		bool missing = false;

		if (!g->programmed || g->active.n == 0)
			continue;
		memset(&x, 0, sizeof(x));
		x.g = g;
		for (i = 0; i < g->ndst; i++)
			if (i == 0 || g->dst[i].family != g->dst[i - 1].family)
				if ((rc = nl_route_dump(&a->nl, g->dst[i].family,
				    g->table ? g->table : 254, a->cfg.protocol,
				    seen_cb, &x)) < 0)
					return;
		for (i = 0; i < g->ndst; i++) {
			size_t k;
			bool served = false;

			/* A family no chosen gateway serves has no route
			 * on purpose. */
			for (k = 0; k < g->active.n; k++) {
				int f = a->cfg.gw[g->active.gw[k]].via_family;

				if (f == 0 || f == g->dst[i].family)
					served = true;
			}
			if (served && !x.found[i])
				missing = true;
		}
		if (!missing)
			continue;
		if (failover_route_apply(&a->nl, &a->cfg, g, &g->active, err,
		    sizeof(err)) < 0) {
			if (strcmp(err, a->route_err[j]) != 0)
				log_warnx("group %s: %s", g->name, err);
			snprintf(a->route_err[j], sizeof(a->route_err[0]),
			    "%s", err);
		} else
			log_info("group %s: a route was gone, programmed "
			    "again", g->name);
	}
}

static void
on_beat(struct ev *ev, struct ev_timer *t)
{
	struct app *a = t->arg;

	check_routes(a);
	if (++a->beats % STATE_BEATS == 0)
		write_state(a);
	ev_timer_start(ev, t, BEAT_MS);
}

static void
handle_line(struct app *a, char *line, uint64_t now)
{
	struct failover_result r;
	char err[256];
	size_t i;
	int rc, ti;

	a->nlines++;
	rc = failover_parse_line(line, &r, err, sizeof(err));
	if (rc < 0) {
		/* Say so, but not for every line of a garbled stream. */
		if (a->nbad++ < 10 || a->nbad % 1000 == 0)
			log_warnx("input line %llu: %s",
			    (unsigned long long)a->nlines, err);
		return;
	}
	if (rc == 0)
		return;
	for (i = 0; i < a->cfg.ngw; i++) {
		struct failover_gw *gw = &a->cfg.gw[i];

		if ((ti = failover_gw_match(gw, &r)) >= 0) {
			if (gw->tg[ti].name[0] == '\0')
				snprintf(gw->tg[ti].name, FO_NAMELEN, "%s",
				    r.name);
			failover_gw_sample(gw, ti, &r, now);
		}
	}
}

static void
on_input(struct ev *ev, struct ev_io *io, uint32_t events)
{
	struct app *a = io->arg;
	uint64_t now;
	ssize_t n;
	char *p, *nl;
	bool got = false;

	for (;;) {
		n = read(a->infd, a->buf + a->len, sizeof(a->buf) - a->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			log_warn("input");
			n = 0;
		}
		if (n == 0) {
			log_warnx("input ended; routes stay as they are");
			a->eof = true;
			a->eof_at = now_ms(a);
			ev_io_stop(ev, io);
			break;
		}
		got = true;
		now = now_ms(a);
		a->len += (size_t)n;
		p = a->buf;
		while ((nl = memchr(p, '\n', a->len - (size_t)(p - a->buf)))
		    != NULL) {
			*nl = '\0';
			if (!a->skipping)
				handle_line(a, p, now);
			a->skipping = false;
			p = nl + 1;
		}
		a->len -= (size_t)(p - a->buf);
		memmove(a->buf, p, a->len);
		if (a->len == sizeof(a->buf) || a->len > MAX_LINE) {
			if (!a->skipping)
				log_warnx("input line %llu: longer than %d "
				    "bytes, skipped",
				    (unsigned long long)a->nlines + 1,
				    MAX_LINE);
			a->skipping = true;
			a->len = 0;
		}
	}
	if (!got)
		return;
	a->last_input = now_ms(a);
	a->last_input_wall = ev_realtime_ms();
	if (a->silent) {
		size_t i, k;

		/* Time spent blind proves nothing either way: the
		 * hysteresis starts over. */
		for (i = 0; i < a->cfg.ngw; i++)
			for (k = 0; k < FO_MAX_TARGETS; k++) {
				struct failover_target *t = &a->cfg.gw[i].tg[k];

				memset(t->ge_since, 0, sizeof(t->ge_since));
				memset(t->le_since, 0, sizeof(t->le_since));
			}
		a->silent = false;
		log_info("input is back");
		run_hook(a, "stream", "", "ok", "silent", 0, 0);
		write_state(a);
	}
	if (!ev_timer_pending(&a->stream_t))
		ev_timer_start(ev, &a->stream_t, a->cfg.stream_timeout_ms);
	evaluate(a);
}

/*
 * SIGHUP: read the configuration again.  A bad file changes nothing.
 * Gateways and groups move over by name (failover_cfg_carry()); routes
 * of destinations, tables or metrics no longer configured are removed
 * (failover_prune()), those still configured stay in place until the
 * evaluation below replaces them, so traffic never sees a gap.
 */
static void
reload(struct app *a)
{
	struct failover_cfg nc;
	bool warned[FO_MAX_GW];
	uint64_t added[FO_MAX_GW], now = now_ms(a);
	char err[512], old_state[sizeof(nc.state_file)];
	size_t i, n = 0;
	int k;

	if (failover_cfg_load(&nc, a->conf, err, sizeof(err)) < 0) {
		log_warnx("reload: %s; the running configuration stays", err);
		failover_cfg_free(&nc);
		return;
	}
	failover_cfg_carry(&nc, &a->cfg, now);
	for (i = 0; i < nc.ngw; i++) {
		k = failover_cfg_gw_index(&a->cfg, nc.gw[i].name);
		warned[i] = k >= 0 ? a->nores_warned[k] : false;
		added[i] = k >= 0 ? a->gw_added[k] : now;
		resolve_ifindex(a, &nc.gw[i]);
	}
	if (a->dry)
		;
	else if (!a->nl_ok)
		log_warnx("reload: no netlink: stale routes stay");
	else if (failover_prune(&a->nl, &a->cfg, &nc, &n, err,
	    sizeof(err)) < 0)
		log_warnx("reload: removing routes no longer configured: %s",
		    err);

	snprintf(old_state, sizeof(old_state), "%s", a->cfg.state_file);
	failover_cfg_free(&a->cfg);
	a->cfg = nc;
	memset(a->nores_warned, 0, sizeof(a->nores_warned));
	for (i = 0; i < a->cfg.ngw; i++) {
		a->nores_warned[i] = warned[i];
		a->gw_added[i] = added[i];
	}
	memset(a->route_err, 0, sizeof(a->route_err));
	if (!a->state_given && !a->dry) {
		/* The old file would only go stale. */
		if (strcmp(old_state, a->cfg.state_file) != 0)
			unlink(old_state);
		a->state_path = a->cfg.state_file;
	}
	log_info("reloaded %s: %zu gateways, %zu groups, %zu routes no "
	    "longer configured removed", a->conf, a->cfg.ngw, a->cfg.ngroup,
	    n);
	if (!a->silent)
		ev_timer_start(a->ev, &a->stream_t, a->cfg.stream_timeout_ms);
	write_state(a);
	evaluate(a);
}

static void
on_signal(struct ev *ev, int signo, void *arg)
{
	struct app *a = arg;
	int st;
	pid_t pid;

	switch (signo) {
	case SIGCHLD:
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
				log_warnx("hook (pid %ld) exited %d",
				    (long)pid, WEXITSTATUS(st));
			else if (WIFSIGNALED(st))
				log_warnx("hook (pid %ld) killed by signal %d",
				    (long)pid, WTERMSIG(st));
		}
		break;
	case SIGHUP:
		reload(a);
		break;
	default:
		log_info("signal %d: exiting; routes stay as they are",
		    signo);
		write_state(a);
		ev_break(ev);
		break;
	}
}

static int
open_input(const char *path)
{
	struct stat st;
	int fd, fl;

	if (path == NULL || strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		if (stat(path, &st) < 0)
			return -1;
		/* A FIFO opened for writing as well never reads EOF when
		 * a writer goes away: a restarted prober simply goes on. */
		fd = open(path, (S_ISFIFO(st.st_mode) ? O_RDWR : O_RDONLY) |
		    O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fd;
}

static int
status_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "state", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct failover_cfg cfg;
	const char *conf = NULL, *state = NULL;
	char err[512], path[512];
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:hS:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			conf = optarg;
			break;
		case 'S':
			state = optarg;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (state == NULL) {
		if (failover_cfg_load(&cfg, conf ? conf : DEFAULT_CONF, err,
		    sizeof(err)) < 0) {
			warnx("%s", err);
			failover_cfg_free(&cfg);
			return 2;
		}
		snprintf(path, sizeof(path), "%s", cfg.state_file);
		failover_cfg_free(&cfg);
		state = path;
	}
	return failover_status(state, ev_realtime_ms());
}

static int
flush_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct failover_cfg cfg;
	struct nl nl;
	const char *conf = DEFAULT_CONF;
	char err[512];
	size_t n;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			conf = optarg;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (failover_cfg_load(&cfg, conf, err, sizeof(err)) < 0) {
		warnx("%s", err);
		failover_cfg_free(&cfg);
		return 2;
	}
	if ((rc = nl_open(&nl, NETLINK_ROUTE)) < 0) {
		warnx("netlink: %s", strerror(-rc));
		failover_cfg_free(&cfg);
		return 1;
	}
	rc = failover_flush(&nl, &cfg, &n, err, sizeof(err));
	nl_close(&nl);
	failover_cfg_free(&cfg);
	if (rc < 0) {
		warnx("flush: %s", err);
		return 1;
	}
	printf("%zu\n", n);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "input", required_argument, NULL, 'i' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "state", required_argument, NULL, 'S' },
		{ "syslog", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct app app;
	struct app *a = &app;
	const char *conf = DEFAULT_CONF, *input = NULL, *state = NULL;
	char ebuf[512];
	int ch, verbose = 0, rc;
	bool use_syslog = false;
	size_t i;

	if (argc > 1 && strcmp(argv[1], "status") == 0)
		return status_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "flush") == 0)
		return flush_main(argc - 1, argv + 1);

	while ((ch = getopt_long(argc, argv, "f:hi:nS:sVv", opts, NULL))
	    != -1) {
		switch (ch) {
		case 'f':
			conf = optarg;
			break;
		case 'h':
			usage(0);
		case 'i':
			input = optarg;
			break;
		case 'n':
			a->dry = true;
			break;
		case 'S':
			state = optarg;
			break;
		case 's':
			use_syslog = true;
			break;
		case 'V':
			printf("edge-failover %s\n", EDGEKIT_VERSION);
			return 0;
		case 'v':
			verbose++;
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);

	if (failover_cfg_load(&a->cfg, conf, ebuf, sizeof(ebuf)) < 0) {
		warnx("%s", ebuf);
		failover_cfg_free(&a->cfg);
		return 2;
	}
	a->conf = conf;
	/* A dry run leaves the real one's state file alone unless told. */
	a->state_given = state != NULL;
	a->state_path = state ? state : a->dry ? NULL : a->cfg.state_file;

	if ((a->infd = open_input(input)) < 0)
		err(2, "%s", input ? input : "stdin");
	log_init("edge-failover", !use_syslog, verbose);
	signal(SIGPIPE, SIG_IGN);

	if ((rc = nl_open(&a->nl, NETLINK_ROUTE)) < 0) {
		if (!a->dry) {
			warnx("netlink: %s", strerror(-rc));
			return 1;
		}
	} else
		a->nl_ok = true;
	for (i = 0; i < a->cfg.ngw; i++) {
		resolve_ifindex(a, &a->cfg.gw[i]);
		if (a->cfg.gw[i].ifindex == 0)
			log_warnx("gateway %s: no device %s (yet)",
			    a->cfg.gw[i].name, a->cfg.gw[i].dev);
	}

	if ((a->ev = ev_new()) == NULL)
		err(1, "event loop");
	a->started = now_ms(a);
	for (i = 0; i < a->cfg.ngw; i++) {
		failover_gw_reset(&a->cfg.gw[i], a->started);
		a->gw_added[i] = a->started;
	}
	ev_timer_init(&a->eval_t, on_eval, a);
	ev_timer_init(&a->stream_t, on_stream_timer, a);
	ev_timer_init(&a->beat_t, on_beat, a);
	if (ev_io_start(a->ev, &a->in, a->infd, EPOLLIN, on_input, a) < 0)
		err(2, "%s: cannot watch (a pipe, FIFO or socket is needed)",
		    input ? input : "stdin");
	if (ev_signal(a->ev, SIGTERM, on_signal, a) < 0 ||
	    ev_signal(a->ev, SIGINT, on_signal, a) < 0 ||
	    ev_signal(a->ev, SIGHUP, on_signal, a) < 0 ||
	    ev_signal(a->ev, SIGCHLD, on_signal, a) < 0)
		err(1, "signals");
	ev_timer_start(a->ev, &a->stream_t, a->cfg.stream_timeout_ms);
	ev_timer_start(a->ev, &a->beat_t, BEAT_MS);
	log_info("%zu gateways, %zu groups%s", a->cfg.ngw, a->cfg.ngroup,
	    a->dry ? ", dry run: no route is changed" : "");
	write_state(a);

	if ((rc = ev_run(a->ev)) < 0) {
		log_warnx("event loop: %s", strerror(-rc));
		a->status = 1;
	}
	ev_free(a->ev);
	if (a->nl_ok)
		nl_close(&a->nl);
	failover_cfg_free(&a->cfg);
	return a->status;
}
