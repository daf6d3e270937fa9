// SPDX-License-Identifier: ISC
/*
 * edge-failover's decision logic with synthetic time: probes every 200 ms
 * (the results delivered in sequence order, lost ones after the probe
 * timeout, as edge-probe prints them), state changes recorded with their
 * times; the stream parser; the group choice; the configuration's errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <check.h>

#include "failover.h"

#define T0	1000000		/* arbitrary start of synthetic time */

/* A probe's outcome at its send time t (ms since T0). */
typedef bool (*outcome_fn)(uint64_t t, uint32_t *rtt_us, void *arg);

struct change {
	uint64_t	at;
	int		from, to;
};

struct sim {
	struct failover_gw *gw;
	unsigned int	interval, timeout;
	struct change	ch[64];
	size_t		nch;
	uint64_t	tnow;
};

static struct failover_gw *
new_gw(const char *name)
{
	struct failover_gw *gw = calloc(1, sizeof(*gw));

	ck_assert_ptr_nonnull(gw);
	strcpy(gw->name, name);
	strcpy(gw->dev, "wan0");
	strcpy(gw->match[0], name);
	gw->nmatch = 1;
	gw->weight = 1;
	gw->tier = 1;
	failover_health_defaults(&gw->h);
	gw->h.down_after_ms = 600;
	gw->h.up_after_ms = 5000;
	failover_gw_reset(gw, T0);
	return gw;
}

static void
eval(struct sim *s, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	int guard = 0;

	while (failover_gw_eval(s->gw, now, &next) && guard++ < 4) {
		ck_assert_uint_lt(s->nch, 64);
		s->ch[s->nch].at = now - T0;
		s->ch[s->nch].from = s->gw->prev;
		s->ch[s->nch].to = s->gw->state;
		s->nch++;
		next = UINT64_MAX;
	}
}

/*
 * Run from ms `from` to `to` (relative to T0) in 10 ms steps.  Probe k is
 * sent at k * interval; its result is known at send + rtt or send +
 * timeout, and delivered no earlier than the one before it.
 */
static void
run(struct sim *s, uint64_t from, uint64_t to, outcome_fn fn, void *arg)
{
	uint64_t t, k = (from + s->interval - 1) / s->interval;
	uint64_t last_delivery = from;
	struct {
		uint64_t sent, at;
		uint32_t rtt;
		bool ok;
	} q[256];
	size_t qh = 0, qn = 0;

	for (t = from; t <= to; t += 10) {
		/* send */
		while (k * s->interval <= t) {
			uint64_t sent = k * s->interval;
			uint32_t rtt = 0;
			bool ok = fn(sent, &rtt, arg);
			size_t i = (qh + qn) % 256;

			q[i].sent = sent;
			q[i].ok = ok;
			q[i].rtt = rtt;
			q[i].at = sent + (ok ? rtt / 1000 : s->timeout);
			if (q[i].at < last_delivery)
				q[i].at = last_delivery;
			last_delivery = q[i].at;
			qn++;
			k++;
		}
		/* deliver in order */
		while (qn > 0 && q[qh].at <= t) {
			struct failover_result r = { 0 };

			r.sent_ms = 1700000000000ULL + q[qh].sent;
			r.name = s->gw->name;
			r.ok = q[qh].ok;
			r.rtt_us = q[qh].rtt;
			failover_gw_sample(s->gw, 0, &r, T0 + t);
			eval(s, T0 + t);
			qh = (qh + 1) % 256;
			qn--;
		}
		eval(s, T0 + t);
	}
	s->tnow = to;
}

static bool
all_ok(uint64_t t, uint32_t *rtt, void *arg)
{
	*rtt = 5000;
	return true;
}

struct window {
	uint64_t from, to;	/* lost in [from, to) */
};

static bool
outage(uint64_t t, uint32_t *rtt, void *arg)
{
	const struct window *w = arg;

	*rtt = 5000;
	return !(t >= w->from && t < w->to);
}

static void
sim_init(struct sim *s, struct failover_gw *gw)
{
	memset(s, 0, sizeof(*s));
	s->gw = gw;
	s->interval = 200;
	s->timeout = 200;
}

START_TEST(test_first_results_decide)
{
	struct sim s;

	sim_init(&s, new_gw("wan"));
	ck_assert_int_eq(s.gw->state, FO_UNKNOWN);
	run(&s, 0, 1000, all_ok, NULL);
	ck_assert_int_eq(s.gw->state, FO_UP);
	ck_assert_uint_eq(s.nch, 1);
	ck_assert_uint_le(s.ch[0].at, 20);
	free(s.gw);
}
END_TEST

static bool
all_lost(uint64_t t, uint32_t *rtt, void *arg)
{
	return false;
}

/* A gateway dead from the start is never up, not even for its first
 * results (too few for a loss percentage): it goes down after DownAfter.
 * It used to come up at the first lost result and get the route. */
START_TEST(test_first_results_lost)
{
	struct sim s;

	sim_init(&s, new_gw("wan"));
	run(&s, 0, 3000, all_lost, NULL);
	ck_assert_int_eq(s.gw->state, FO_DOWN);
	ck_assert_uint_eq(s.nch, 1);
	ck_assert_int_eq(s.ch[0].from, FO_UNKNOWN);
	ck_assert_uint_le(s.ch[0].at, 1000);
	free(s.gw);
}
END_TEST

/* Total outage: down within a second with 200 ms probes, timeout 200 ms
 * and down-after 600 ms, whenever in the probe cycle it starts. */
START_TEST(test_outage_fast)
{
	uint64_t start;

	for (start = 10000; start < 10200; start += 20) {
		struct window w = { start, 60000 };
		struct sim s;

		sim_init(&s, new_gw("wan"));
		run(&s, 0, 9990, all_ok, NULL);
		run(&s, 10000, 14000, outage, &w);
		ck_assert_int_eq(s.gw->state, FO_DOWN);
		ck_assert_uint_eq(s.nch, 2);
		ck_assert_int_eq(s.ch[1].to, FO_DOWN);
		ck_assert_uint_le(s.ch[1].at - start, 1000);
		ck_assert_uint_ge(s.ch[1].at - start, 600);
		free(s.gw);
	}
}
END_TEST

/* One or two lost probes in a row are not an outage. */
START_TEST(test_short_loss_ignored)
{
	struct window w = { 10000, 10400 };	/* two probes */
	struct sim s;

	sim_init(&s, new_gw("wan"));
	s.timeout = 1000;	/* results held back behind the lost one */
	run(&s, 0, 20000, outage, &w);
	ck_assert_int_eq(s.gw->state, FO_UP);
	ck_assert_uint_eq(s.nch, 1);
	free(s.gw);
}
END_TEST

/* Coming back needs up_after_ms of answered probes. */
START_TEST(test_failback_waits)
{
	struct window w = { 10000, 20000 };
	struct sim s;

	sim_init(&s, new_gw("wan"));
	run(&s, 0, 40000, outage, &w);
	ck_assert_uint_eq(s.nch, 3);
	ck_assert_int_eq(s.ch[2].from, FO_DOWN);
	ck_assert_int_eq(s.ch[2].to, FO_UP);
	ck_assert_uint_ge(s.ch[2].at, 20000 + 5000);
	ck_assert_uint_le(s.ch[2].at, 20000 + 5000 + 300);
	/* and stays up: the outage's losses are forgotten */
	ck_assert_int_eq(s.gw->state, FO_UP);
	free(s.gw);
}
END_TEST

/* Up 2 s, down 2 s, for a minute: it goes down once and, never up for
 * up_after_ms, stays down. */
static bool
flap(uint64_t t, uint32_t *rtt, void *arg)
{
	*rtt = 5000;
	return t < 10000 || (t / 2000) % 2 == 0;
}

START_TEST(test_flapping_bounded)
{
	struct sim s;

	sim_init(&s, new_gw("wan"));
	run(&s, 0, 70000, flap, NULL);
	ck_assert_uint_eq(s.nch, 2);
	ck_assert_int_eq(s.gw->state, FO_DOWN);
	free(s.gw);
}
END_TEST

/* A fixed pseudo-random loss pattern. */
struct lossy {
	unsigned int	pct;
	uint32_t	seed;
	unsigned int	maxrun, run;
};

static bool
lossy(uint64_t t, uint32_t *rtt, void *arg)
{
	struct lossy *l = arg;
	bool lost;

	*rtt = 5000;
	if (t < 10000)
		return true;
	l->seed = l->seed * 1103515245u + 12345u;
	lost = (l->seed >> 16) % 100 < l->pct;
	/* cap runs of losses, so that only the loss rate decides */
	if (lost && l->maxrun && l->run >= l->maxrun)
		lost = false;
	l->run = lost ? l->run + 1 : 0;
	return !lost;
}

START_TEST(test_loss30_down)
{
	struct lossy l = { 30, 42, 2, 0 };
	struct sim s;

	sim_init(&s, new_gw("wan"));
	run(&s, 0, 40000, lossy, &l);
	ck_assert_int_eq(s.gw->state, FO_DOWN);
	ck_assert_double_ge(s.gw->loss, 20.0);
	free(s.gw);
}
END_TEST

START_TEST(test_loss30_degraded)
{
	struct lossy l = { 30, 42, 2, 0 };
	struct sim s;

	sim_init(&s, new_gw("wan"));
	s.gw->h.down_loss = 50;
	s.gw->h.degraded_loss = 20;
	run(&s, 0, 40000, lossy, &l);
	ck_assert_int_eq(s.gw->state, FO_DEGRADED);
	ck_assert_double_ge(s.gw->loss, 20.0);
	ck_assert_double_lt(s.gw->loss, 50.0);
	free(s.gw);
}
END_TEST

static bool
slow(uint64_t t, uint32_t *rtt, void *arg)
{
	*rtt = t < 10000 ? 5000 : *(uint32_t *)arg;
	return true;
}

START_TEST(test_latency)
{
	uint32_t rtt;
	struct sim s;

	rtt = 300000;
	sim_init(&s, new_gw("wan"));
	s.timeout = 1000;
	run(&s, 0, 30000, slow, &rtt);
	ck_assert_int_eq(s.gw->state, FO_DEGRADED);
	free(s.gw);

	rtt = 600000;
	sim_init(&s, new_gw("wan"));
	s.timeout = 1000;
	run(&s, 0, 30000, slow, &rtt);
	ck_assert_int_eq(s.gw->state, FO_DOWN);
	free(s.gw);
}
END_TEST

/* 800 ms from 10 s to 30 s, then 5 ms again. */
static bool
slow_then_fast(uint64_t t, uint32_t *rtt, void *arg)
{
	*rtt = t >= 10000 && t < 30000 ? 800000 : 5000;
	return true;
}

/*
 * Back from a latency outage the window's average falls below the down
 * threshold first, the degraded one later: the gateway steps down ->
 * degraded -> up, and the step to up comes UpAfter after the results
 * became good, not UpAfter after the step to degraded.
 */
START_TEST(test_latency_recovery)
{
	uint64_t deg = 0, up = 0;
	struct sim s;
	size_t i;

	sim_init(&s, new_gw("wan"));
	s.timeout = 1000;
	run(&s, 0, 60000, slow_then_fast, NULL);
	ck_assert_int_eq(s.gw->state, FO_UP);
	for (i = 0; i < s.nch; i++) {
		if (s.ch[i].from == FO_DOWN && s.ch[i].to == FO_DEGRADED)
			deg = s.ch[i].at;
		if (s.ch[i].from == FO_DEGRADED && s.ch[i].to == FO_UP)
			up = s.ch[i].at;
	}
	/* Window 10 s: the average is under 500 ms about 3.8 s after the
	 * change at 30 s, under 200 ms about 7.6 s after it. */
	ck_assert_uint_gt(deg, 30000 + 3000 + 5000);
	ck_assert_uint_gt(up, deg);
	ck_assert_uint_lt(up - deg, 5000);
	ck_assert_uint_le(up, 30000 + 8500 + 5000);
	free(s.gw);
}
END_TEST

/* Two targets: one dead does not make the gateway down. */
START_TEST(test_two_targets)
{
	struct failover_gw *gw = new_gw("wan");
	struct failover_result r = { 0 };
	uint64_t t, next;

	strcpy(gw->match[1], "far");
	gw->nmatch = 2;
	for (t = 0; t < 20000; t += 200) {
		r.sent_ms = t;
		r.ok = true;
		r.rtt_us = 1000;
		r.name = "wan";
		failover_gw_sample(gw, 0, &r, T0 + t);
		r.ok = t < 5000;
		r.name = "far";
		failover_gw_sample(gw, 1, &r, T0 + t + 1);
		next = UINT64_MAX;
		failover_gw_eval(gw, T0 + t + 1, &next);
	}
	ck_assert_int_eq(gw->state, FO_UP);
	/* now both die */
	for (; t < 22000; t += 200) {
		r.sent_ms = t;
		r.ok = false;
		r.name = "wan";
		failover_gw_sample(gw, 0, &r, T0 + t);
		failover_gw_sample(gw, 1, &r, T0 + t);
		failover_gw_eval(gw, T0 + t, &next);
	}
	ck_assert_int_eq(gw->state, FO_DOWN);
	free(gw);
}
END_TEST

/* The evaluation tells when to look again without new input. */
START_TEST(test_next_wakeup)
{
	struct failover_gw *gw = new_gw("wan");
	struct failover_result r = { 0 };
	uint64_t next = UINT64_MAX;
	uint64_t t;

	r.name = "wan";
	r.ok = true;
	r.rtt_us = 300000;	/* degraded latency */
	for (t = 0; t < 2200; t += 200) {
		r.sent_ms = t;
		failover_gw_sample(gw, 0, &r, T0 + t);
		next = UINT64_MAX;
		failover_gw_eval(gw, T0 + t, &next);
	}
	/* condition degraded since the 10th sample (1800 ms): the change is
	 * due 600 ms later */
	ck_assert_int_eq(gw->state, FO_UP);
	ck_assert_uint_eq(next, T0 + 1800 + 600);
	failover_gw_eval(gw, next, &next);
	ck_assert_int_eq(gw->state, FO_DEGRADED);
	free(gw);
}
END_TEST

/* ---- groups ---- */

static struct failover_cfg *
cfg3(void)
{
	struct failover_cfg *cfg = calloc(1, sizeof(*cfg));
	static const char *names[] = { "wan", "lte", "lte2" };
	size_t i;

	cfg->gw = calloc(3, sizeof(*cfg->gw));
	cfg->ngw = 3;
	cfg->start_wait_ms = 3000;
	for (i = 0; i < 3; i++) {
		strcpy(cfg->gw[i].name, names[i]);
		cfg->gw[i].weight = i + 1;
		cfg->gw[i].tier = i == 0 ? 1 : 2;
		cfg->gw[i].state = FO_UNKNOWN;
	}
	cfg->ngroup = 1;
	cfg->group[0].ngw = 3;
	for (i = 0; i < 3; i++)
		cfg->group[0].gw[i] = i;
	return cfg;
}

static void
cfg_free3(struct failover_cfg *cfg)
{
	free(cfg->gw);
	free(cfg);
}

START_TEST(test_choose_tiers)
{
	struct failover_cfg *cfg = cfg3();
	struct failover_group *g = &cfg->group[0];
	struct failover_choice c;
	char buf[128];

	/* nothing known yet: wait */
	ck_assert_int_eq(failover_choose(cfg, g, 100, 0, &c), 0);
	/* backups up, primary unknown: still wait, for a while */
	cfg->gw[1].state = cfg->gw[2].state = FO_UP;
	ck_assert_int_eq(failover_choose(cfg, g, 100, 0, &c), 0);
	ck_assert_int_eq(failover_choose(cfg, g, 3000, 0, &c), 1);
	ck_assert_str_eq(failover_choice_str(cfg, &c, buf, sizeof(buf)),
	    "lte:2,lte2:3");
	/* primary up: it alone */
	cfg->gw[0].state = FO_UP;
	ck_assert_int_eq(failover_choose(cfg, g, 100, 0, &c), 1);
	ck_assert_str_eq(failover_choice_str(cfg, &c, buf, sizeof(buf)),
	    "wan");
	/* primary degraded, a backup up: the backup tier */
	cfg->gw[0].state = FO_DEGRADED;
	cfg->gw[2].state = FO_DOWN;
	ck_assert_int_eq(failover_choose(cfg, g, 100, 0, &c), 1);
	ck_assert_str_eq(failover_choice_str(cfg, &c, buf, sizeof(buf)),
	    "lte");
	/* nothing up: the degraded one */
	cfg->gw[1].state = FO_DOWN;
	ck_assert_int_eq(failover_choose(cfg, g, 100, 0, &c), 1);
	ck_assert_str_eq(failover_choice_str(cfg, &c, buf, sizeof(buf)),
	    "wan");
	/* all down: keep, or all */
	cfg->gw[0].state = FO_DOWN;
	ck_assert_int_eq(failover_choose(cfg, g, 100, 0, &c), 0);
	g->alldown = FO_ALLDOWN_ALL;
	ck_assert_int_eq(failover_choose(cfg, g, 100, 0, &c), 1);
	ck_assert_str_eq(failover_choice_str(cfg, &c, buf, sizeof(buf)),
	    "wan:1,lte:2,lte2:3");
	cfg_free3(cfg);
}
END_TEST

START_TEST(test_choose_multipath_reweight)
{
	struct failover_cfg *cfg = cfg3();
	struct failover_group *g = &cfg->group[0];
	struct failover_choice a, b;
	char buf[128];
	size_t i;

	for (i = 0; i < 3; i++) {
		cfg->gw[i].tier = 1;
		cfg->gw[i].state = FO_UP;
	}
	ck_assert_int_eq(failover_choose(cfg, g, 0, 0, &a), 1);
	ck_assert_uint_eq(a.n, 3);
	ck_assert_str_eq(failover_choice_str(cfg, &a, buf, sizeof(buf)),
	    "wan:1,lte:2,lte2:3");
	cfg->gw[1].state = FO_DOWN;
	ck_assert_int_eq(failover_choose(cfg, g, 0, 0, &b), 1);
	ck_assert_str_eq(failover_choice_str(cfg, &b, buf, sizeof(buf)),
	    "wan:1,lte2:3");
	ck_assert(!failover_choice_equal(&a, &b));
	ck_assert(failover_choice_equal(&b, &b));
	cfg_free3(cfg);
}
END_TEST

START_TEST(test_route_str)
{
	struct failover_cfg *cfg = cfg3();
	struct failover_group *g = &cfg->group[0];
	struct failover_choice c;
	char buf[512], err[64];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(cfg->gw[i].dev, sizeof(cfg->gw[i].dev), "eth%zu", i);
		cfg->gw[i].via_family = AF_INET;
		cfg->gw[i].via.b[0] = 192;
		cfg->gw[i].via.b[1] = 0;
		cfg->gw[i].via.b[2] = 2;
		cfg->gw[i].via.b[3] = (uint8_t)(i + 1);
		cfg->gw[i].state = FO_UP;
		cfg->gw[i].tier = 1;
	}
	cfg->gw[2].via_family = 0;	/* point-to-point */
	ck_assert(prefix_parse("0.0.0.0/0", &g->dst[0], 0, err, sizeof(err)));
	ck_assert(prefix_parse("::/0", &g->dst[1], 0, err, sizeof(err)));
	g->ndst = 2;
	g->table = 100;
	ck_assert_int_eq(failover_choose(cfg, g, 0, 0, &c), 1);
	failover_route_str(cfg, g, &c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "default nexthop via 192.0.2.1 dev eth0 weight 1"
	    " nexthop via 192.0.2.2 dev eth1 weight 2 nexthop dev eth2"
	    " weight 3 table 100; default6 dev eth2 table 100");
	cfg->gw[2].state = FO_DOWN;
	ck_assert_int_eq(failover_choose(cfg, g, 0, 0, &c), 1);
	failover_route_str(cfg, g, &c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "default nexthop via 192.0.2.1 dev eth0 weight 1"
	    " nexthop via 192.0.2.2 dev eth1 weight 2 table 100;"
	    " default6 unreachable table 100");
	/* truncation is safe */
	failover_route_str(cfg, g, &c, buf, 10);
	ck_assert_uint_eq(strlen(buf), 9);
	cfg_free3(cfg);
}
END_TEST

/* ---- the stream ---- */

START_TEST(test_parse_result)
{
	char line[] = "r\t1763780000123\twan0-gw\twan0\ticmp\t192.0.2.1\t7"
	    "\tup\t1234\tttl=64\textra\tcolumns\n";
	char down[] = "r\t1763780000323\twan0-gw\t-\ticmp\t192.0.2.1\t8"
	    "\tdown\t-\ttimeout";
	char summary[] = "s\t1763780001000\twan0-gw\twan0\ticmp\t10000\t10"
	    "\t9\t10.0\t1250\t40\tup";
	char err[128];
	struct failover_result r;

	ck_assert_int_eq(failover_parse_line(line, &r, err, sizeof(err)), 1);
	ck_assert_uint_eq(r.sent_ms, 1763780000123ULL);
	ck_assert_str_eq(r.name, "wan0-gw");
	ck_assert_str_eq(r.group, "wan0");
	ck_assert_str_eq(r.target, "192.0.2.1");
	ck_assert(r.ok);
	ck_assert_uint_eq(r.rtt_us, 1234);
	ck_assert_str_eq(r.detail, "ttl=64");

	ck_assert_int_eq(failover_parse_line(down, &r, err, sizeof(err)), 1);
	ck_assert(!r.ok);
	ck_assert_ptr_null(r.group);
	ck_assert_str_eq(r.detail, "timeout");

	ck_assert_int_eq(failover_parse_line(summary, &r, err, sizeof(err)),
	    0);
}
END_TEST

START_TEST(test_parse_bad)
{
	static const char *bad[] = {
		"r\t1\tx\t-\ticmp\t192.0.2.1\t1\tup",
		"r\tnow\tx\t-\ticmp\t192.0.2.1\t1\tup\t5\t-",
		"r\t1\tx\t-\ticmp\t192.0.2.1\t1\tmaybe\t5\t-",
		"r\t1\tx\t-\ticmp\t192.0.2.1\t1\tup\t-\t-",
		"r\t1\t\t-\ticmp\t192.0.2.1\t1\tup\t5\t-",
	};
	char buf[256], err[128];
	struct failover_result r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(buf, bad[i]);
		err[0] = '\0';
		ck_assert_int_eq(failover_parse_line(buf, &r, err,
		    sizeof(err)), -1);
		ck_assert(err[0] != '\0');
	}
	strcpy(buf, "# comment");
	ck_assert_int_eq(failover_parse_line(buf, &r, err, sizeof(err)), 0);
	strcpy(buf, "");
	ck_assert_int_eq(failover_parse_line(buf, &r, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_duration)
{
	unsigned int v;

	ck_assert(failover_parse_duration("600ms", 1, &v));
	ck_assert_uint_eq(v, 600);
	ck_assert(failover_parse_duration("2s", 1, &v));
	ck_assert_uint_eq(v, 2000);
	ck_assert(failover_parse_duration("0.5s", 1, &v));
	ck_assert_uint_eq(v, 500);
	ck_assert(failover_parse_duration("10", 1000, &v));
	ck_assert_uint_eq(v, 10000);
	ck_assert(!failover_parse_duration("10x", 1, &v));
	ck_assert(!failover_parse_duration("-1", 1, &v));
	ck_assert(!failover_parse_duration("", 1, &v));
}
END_TEST

/* ---- configuration ---- */

static const char good_conf[] =
    "# two uplinks\n"
    "[Failover]\n"
    "DownAfter = 600ms\n"
    "UpAfter = 5\n"
    "Hook = logger -t failover \"$GATEWAY $STATE\"\n"
    "\n"
    "[Gateway]\n"
    "Name = wan\n"
    "Device = wan0\n"
    "Via = 192.0.2.1\n"
    "Targets = wan0-gw, wan0-far\n"
    "DownLoss = 30\n"
    "\n"
    "[Gateway]\n"
    "Name = lte\n"
    "Device = lte0\n"
    "Via = 2001:db8::1\n"
    "Tier = 2\n"
    "Weight = 3\n"
    "Metered = yes\n"
    "\n"
    "[Group]\n"
    "Name = inet\n"
    "Table = 100\n"
    "AllDown = all\n";

START_TEST(test_config_good)
{
	struct failover_cfg cfg;
	char err[256] = "";
	int rc;

	rc = failover_cfg_parse(&cfg, "t.conf", good_conf,
	    sizeof(good_conf) - 1, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_uint_eq(cfg.ngw, 2);
	ck_assert_str_eq(cfg.gw[0].name, "wan");
	ck_assert_uint_eq(cfg.gw[0].h.down_after_ms, 600);
	ck_assert_uint_eq(cfg.gw[0].h.up_after_ms, 5000);
	ck_assert_uint_eq(cfg.gw[0].h.down_loss, 30);
	ck_assert_uint_eq(cfg.gw[1].h.down_loss, 20);
	ck_assert_uint_eq(cfg.gw[0].h.degraded_rtt_ms, 200);
	ck_assert_uint_eq(cfg.gw[0].h.down_rtt_ms, 500);
	ck_assert_uint_eq(cfg.gw[0].nmatch, 2);
	ck_assert_str_eq(cfg.gw[0].match[1], "wan0-far");
	ck_assert_str_eq(cfg.gw[1].match[0], "lte");	/* default: Name */
	ck_assert(!cfg.gw[0].flush_ct);
	ck_assert(cfg.gw[1].flush_ct);			/* metered */
	ck_assert_uint_eq(cfg.gw[1].tier, 2);
	ck_assert_uint_eq(cfg.gw[1].weight, 3);
	ck_assert_uint_eq(cfg.ngroup, 1);
	ck_assert_uint_eq(cfg.group[0].table, 100);
	ck_assert_int_eq(cfg.group[0].alldown, FO_ALLDOWN_ALL);
	/* IPv4 and IPv6 next hops: a default route of each family */
	ck_assert_uint_eq(cfg.group[0].ndst, 2);
	ck_assert_int_eq(cfg.group[0].dst[0].family, AF_INET);
	ck_assert_int_eq(cfg.group[0].dst[1].family, AF_INET6);
	ck_assert_ptr_nonnull(strstr(cfg.hook, "$GATEWAY"));
	failover_cfg_free(&cfg);
}
END_TEST

START_TEST(test_config_errors)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "[Gateway]\nName = a\nDevice = x\nWeight = 300\n",
		  "t.conf:4: Weight" },
		{ "[Gateway]\nName = a\nDevice = x\nVia = nope\n",
		  "t.conf:4: Via" },
		{ "[Gateway]\nName = a\n", "t.conf:1: [Gateway] a has no "
		  "Device" },
		{ "[Failover]\nUpAfter = soon\n[Gateway]\nName = a\n"
		  "Device = x\n", "t.conf:2: UpAfter" },
		{ "[Gateway]\nName = a b\nDevice = x\n", "t.conf:2: Name" },
		{ "[Gateway]\nName = a\nDevice = x\nMetered = perhaps\n",
		  "t.conf:4: Metered" },
		{ "[Gateway]\nName = a\nDevice = x\n[Group]\nTable = 255\n",
		  "t.conf:5: Table" },
		{ "[Gateway]\nName = a\nDevice = x\n[Group]\nName = g\n"
		  "[Group]\nName = g\n", "t.conf:6: a [Group] named" },
		{ "[Gateway]\nName = a\nDevice = x\n[Group]\n[Group]\n",
		  "t.conf:5: [Group] group2 programs the same route" },
	};
	struct failover_cfg cfg;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(failover_cfg_parse(&cfg, "t.conf", bad[i].text,
		    strlen(bad[i].text), err, sizeof(err)), -1);
		ck_assert_msg(strncmp(err, bad[i].want, strlen(bad[i].want))
		    == 0, "case %zu: \"%s\", wanted \"%s...\"", i, err,
		    bad[i].want);
		failover_cfg_free(&cfg);
	}
}
END_TEST

/* ---- reload ---- */

static void
parse_ok(struct failover_cfg *cfg, const char *text)
{
	char err[256] = "";

	ck_assert_msg(failover_cfg_parse(cfg, "r.conf", text, strlen(text),
	    err, sizeof(err)) == 0, "%s", err);
}

START_TEST(test_reload_carry)
{
	static const char before[] =
	    "[Gateway]\nName = wan\nDevice = wan0\nVia = 10.0.1.1\n"
	    "Targets = wan-far, wan-gw\n"
	    "[Gateway]\nName = lte\nDevice = lte0\nVia = 10.0.2.1\nTier = 2\n"
	    "[Gateway]\nName = old\nDevice = old0\nVia = 10.0.3.1\n"
	    "[Group]\nName = inet\nGateways = wan, lte, old\n"
	    "[Group]\nName = guests\nGateways = wan, lte\nTable = 100\n";
	/* old gone, new added; lte's targets all new; guests' next hop
	 * moved; inet unchanged */
	static const char after[] =
	    "[Gateway]\nName = new\nDevice = new0\nVia = 10.0.4.1\n"
	    "[Gateway]\nName = lte\nDevice = lte0\nVia = 10.0.2.1\nTier = 2\n"
	    "Targets = lte-far\n"
	    "[Gateway]\nName = wan\nDevice = wan0\nVia = 10.0.1.1\n"
	    "Targets = wan-gw\n"
	    "[Group]\nName = inet\nGateways = wan, lte, new\n"
	    "[Group]\nName = guests\nGateways = wan, lte\nTable = 100\n"
	    "Destination = 192.0.2.0/24\n";
	struct failover_cfg o, n;
	struct failover_result r = { 0 };
	struct failover_gw *w;
	uint64_t next = UINT64_MAX;

	parse_ok(&o, before);
	failover_gw_reset(&o.gw[0], T0);
	failover_gw_reset(&o.gw[1], T0);
	failover_gw_reset(&o.gw[2], T0);
	/* wan up by wan-gw (its second target), lte up */
	r.ok = true;
	r.rtt_us = 1000;
	r.name = "wan-gw";
	r.sent_ms = 1;
	failover_gw_sample(&o.gw[0], 1, &r, T0 + 10);
	failover_gw_eval(&o.gw[0], T0 + 10, &next);
	ck_assert_int_eq(o.gw[0].state, FO_UP);
	r.name = "lte";
	failover_gw_sample(&o.gw[1], 0, &r, T0 + 10);
	failover_gw_eval(&o.gw[1], T0 + 10, &next);
	ck_assert_int_eq(o.gw[1].state, FO_UP);
	o.gw[0].ifindex = 7;
	o.group[0].programmed = o.group[1].programmed = true;
	o.group[0].active.n = 1;
	o.group[0].active.gw[0] = 0;	/* wan */
	o.group[0].active.weight[0] = 1;
	o.group[0].changes = 3;
	o.group[1].active = o.group[0].active;

	parse_ok(&n, after);
	failover_cfg_carry(&n, &o, T0 + 5000);
	/* wan (now index 2) keeps its state, since and wan-gw's results,
	 * moved to its first target slot; lte has no target left: unknown */
	w = &n.gw[2];
	ck_assert_int_eq(w->state, FO_UP);
	ck_assert_uint_eq(w->since, T0 + 10);
	ck_assert_uint_eq(w->tg[0].nresults, 1);
	ck_assert_uint_eq(w->ntg, 1);
	ck_assert_uint_eq(w->ifindex, 7);
	ck_assert_int_eq(n.gw[1].state, FO_UNKNOWN);
	ck_assert_uint_eq(n.gw[1].since, T0 + 5000);
	ck_assert_int_eq(n.gw[0].state, FO_UNKNOWN);
	ck_assert_int_eq(failover_cfg_gw_index(&n, "wan"), 2);
	ck_assert_int_eq(failover_cfg_gw_index(&n, "old"), -1);
	/* inet: same routes, its gateway renumbered */
	ck_assert(n.group[0].programmed);
	ck_assert_uint_eq(n.group[0].active.n, 1);
	ck_assert_uint_eq(n.group[0].active.gw[0], 2);
	ck_assert_uint_eq(n.group[0].changes, 3);
	/* guests: another destination: programmed anew */
	ck_assert(!n.group[1].programmed);
	failover_cfg_free(&n);

	/* the active gateway's next hop moved: programmed anew */
	parse_ok(&n, before);
	n.gw[0].via.b[3] = 254;
	failover_cfg_carry(&n, &o, T0 + 5000);
	ck_assert(!n.group[0].programmed);
	ck_assert_int_eq(n.gw[0].state, FO_UP);
	failover_cfg_free(&n);
	failover_cfg_free(&o);
}
END_TEST

Suite *make_failover_suite(void);

Suite *
make_failover_suite(void)
{
	Suite *s = suite_create("failover");
	TCase *tc = tcase_create("health");

	tcase_add_test(tc, test_first_results_decide);
	tcase_add_test(tc, test_first_results_lost);
	tcase_add_test(tc, test_outage_fast);
	tcase_add_test(tc, test_short_loss_ignored);
	tcase_add_test(tc, test_failback_waits);
	tcase_add_test(tc, test_flapping_bounded);
	tcase_add_test(tc, test_loss30_down);
	tcase_add_test(tc, test_loss30_degraded);
	tcase_add_test(tc, test_latency);
	tcase_add_test(tc, test_latency_recovery);
	tcase_add_test(tc, test_two_targets);
	tcase_add_test(tc, test_next_wakeup);
	suite_add_tcase(s, tc);

	tc = tcase_create("groups");
	tcase_add_test(tc, test_choose_tiers);
	tcase_add_test(tc, test_choose_multipath_reweight);
	tcase_add_test(tc, test_route_str);
	suite_add_tcase(s, tc);

	tc = tcase_create("stream");
	tcase_add_test(tc, test_parse_result);
	tcase_add_test(tc, test_parse_bad);
	tcase_add_test(tc, test_duration);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_test(tc, test_config_good);
	tcase_add_test(tc, test_config_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("reload");
	tcase_add_test(tc, test_reload_carry);
	suite_add_tcase(s, tc);
	return s;
}
