// SPDX-License-Identifier: ISC
/*
 * The scheduler: when each target sends, pacing across targets, the ring of
 * probes in flight per target, timeouts, and printing results in sequence
 * order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"

#define MAX_INFLIGHT	256

static void	send_probe(struct probe_target *t);

static uint64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static uint64_t
target_timeout(const struct probe_target *t)
{
	return t->timeout_ms ? t->timeout_ms : t->ctx->timeout_ms;
}

static void
arm_timeout(struct probe_target *t)
{
	struct probe_slot *s;
	uint64_t now;

	if (t->count == 0) {
		ev_timer_stop(t->ctx->ev, &t->to_timer);
		return;
	}
	s = &t->slots[t->head];
	now = ev_monotonic_us();
	ev_timer_start(t->ctx->ev, &t->to_timer, s->deadline_us > now ?
	    (s->deadline_us - now + 999) / 1000 : 0);
}

static void
check_finished(struct probe_target *t)
{
	struct probe_ctx *ctx = t->ctx;

	if (t->finished || ctx->rounds == 0 || t->rounds_sent < ctx->rounds ||
	    t->count > 0)
		return;
	t->finished = true;
	if (--ctx->active == 0)
		ev_break(ctx->ev);
}

/* Print the completed slots at the head of the ring, in order. */
static void
flush(struct probe_target *t)
{
	while (t->count > 0 && t->slots[t->head].done) {
		struct probe_slot *s = &t->slots[t->head];

		t->sent_total++;
		if (s->up) {
			t->recv_total++;
			t->last_rtt_us = s->rtt_us;
			t->ever_up = true;
		}
		t->last = s->up;
		probe_hist_add(t, s->sent_us / 1000,
		    s->up ? s->rtt_us : UINT32_MAX);
		probe_out_result(t->ctx, s);
		s->busy = false;
		t->head = (t->head + 1) % t->nslots;
		t->count--;
	}
	arm_timeout(t);
	check_finished(t);
}

static void
cancel(struct probe_slot *s)
{
	switch (s->t->type) {
	case PROBE_ICMP:
		probe_icmp_cancel(s);
		break;
	case PROBE_TCP:
	case PROBE_TLS:
	case PROBE_HTTP:
		probe_conn_cancel(s);
		break;
	default:
		break;
	}
}

void
probe_done(struct probe_slot *s, bool up, uint32_t rtt_us, const char *detail)
{
	if (!s->busy || s->done)
		return;
	cancel(s);
	s->done = true;
	s->up = up;
	s->rtt_us = up ? rtt_us : 0;
	if (detail && detail != s->detail)
		snprintf(s->detail, sizeof(s->detail), "%s", detail);
	else if (!detail)
		s->detail[0] = '\0';
	if (&s->t->slots[s->t->head] == s)
		flush(s->t);
}

static void
timeout_cb(struct ev *ev, struct ev_timer *tm)
{
	struct probe_target *t = tm->arg;
	uint64_t now = ev_monotonic_us();
	unsigned int i, k;

	for (i = 0, k = t->head; i < t->count; i++, k = (k + 1) % t->nslots) {
		struct probe_slot *s = &t->slots[k];

		if (s->deadline_us > now)
			break;
		if (!s->done) {
			cancel(s);
			s->done = true;
			s->up = false;
			snprintf(s->detail, sizeof(s->detail), "timeout");
		}
	}
	flush(t);
}

static void
send_probe(struct probe_target *t)
{
	struct probe_ctx *ctx = t->ctx;
	struct probe_slot *s;
	unsigned int k;

	if (t->count == t->nslots) {
		/* Too many in flight: the oldest has waited long enough. */
		s = &t->slots[t->head];
		cancel(s);
		s->done = true;
		s->up = false;
		snprintf(s->detail, sizeof(s->detail), "timeout");
		flush(t);
	}
	k = (t->head + t->count) % t->nslots;
	s = &t->slots[k];
	t->count++;
	s->t = t;
	s->busy = true;
	s->done = false;
	s->up = false;
	s->rtt_us = 0;
	s->detail[0] = '\0';
	s->seq = t->next_seq++;
	s->fd = -1;
	s->len = s->off = 0;
	s->state = 0;
	s->sent_rt_ns = realtime_ns();
	s->sent_ms = s->sent_rt_ns / 1000000;
	s->sent_us = ev_monotonic_us();
	s->deadline_us = s->sent_us + target_timeout(t) * 1000;
	ctx->last_send_us = s->sent_us;
	if (t->count == 1)
		arm_timeout(t);
	switch (t->type) {
	case PROBE_ICMP:
		probe_icmp_send(s);
		break;
	case PROBE_TCP:
	case PROBE_TLS:
	case PROBE_HTTP:
		probe_conn_start(s);
		break;
	case PROBE_DNS:
		probe_dns_send(s);
		break;
	case PROBE_WG:
		probe_wg_check(s);
		break;
	}
}

static void
pace_cb(struct ev *ev, struct ev_timer *tm)
{
	struct probe_ctx *ctx = tm->arg;
	struct probe_target *t;
	uint64_t now = ev_monotonic_us(), due;

	/*
	 * Sends are due every pace_ms after the previous one was due, not
	 * after it happened, so that timer slack does not add up; after an
	 * idle spell the next send is due at once.  A send up to 0.5 ms
	 * early is let go (the timers have millisecond steps).  A late send
	 * is not followed by a hurried one to catch up: the next waits for
	 * at least pace_ms - 1 ms after it, then the schedule goes on.
	 */
	while ((t = ctx->qhead)) {
		if (ctx->pace_next_us + ctx->pace_ms * 1000 < now)
			ctx->pace_next_us = now;
		due = ctx->pace_next_us;
		if (due + 500 < ctx->last_send_us + ctx->pace_ms * 1000)
			due = ctx->last_send_us + ctx->pace_ms * 1000 - 500;
		if (now + 500 < due) {
			ev_timer_start(ev, tm, (due - now + 500) / 1000);
			return;
		}
		ctx->qhead = t->qnext;
		if (!ctx->qhead)
			ctx->qtail = &ctx->qhead;
		t->queued = false;
		t->qnext = NULL;
		send_probe(t);
		ctx->pace_next_us += ctx->pace_ms * 1000;
		now = ev_monotonic_us();
	}
}

static void
send_cb(struct ev *ev, struct ev_timer *tm)
{
	struct probe_target *t = tm->arg;
	struct probe_ctx *ctx = t->ctx;
	uint64_t next, now;

	if (ctx->rounds && t->rounds_sent >= ctx->rounds)
		return;
	t->rounds_sent++;
	if (!ctx->rounds || t->rounds_sent < ctx->rounds) {
		/* Drift-free: round k is due at start + k * interval. */
		next = t->start_us + t->rounds_sent * ctx->interval_ms * 1000;
		now = ev_monotonic_us();
		ev_timer_start(ev, tm, next > now ?
		    (next - now + 500) / 1000 : 0);
	}
	if (ctx->pace_ms == 0) {
		send_probe(t);
		return;
	}
	if (t->queued) {
		/*
		 * Still waiting from the previous round: pacing is slower than
		 * the interval.  This round is skipped, not queued twice.
		 */
		return;
	}
	t->queued = true;
	*ctx->qtail = t;
	ctx->qtail = &t->qnext;
	if (!ev_timer_pending(&ctx->pace_timer))
		pace_cb(ev, &ctx->pace_timer);
}

static void
report_cb(struct ev *ev, struct ev_timer *tm)
{
	struct probe_ctx *ctx = tm->arg;

	if (ctx->report_ms > 0)
		probe_summaries(ctx, false);
	else if (ctx->promfile &&
	    probe_out_prometheus(ctx, ctx->promfile) == -1)
		log_warn("%s", ctx->promfile);
	probe_out_flush(ctx);
	ev_timer_start(ev, tm, ctx->report_ms ? ctx->report_ms : 1000);
}

void
probe_summaries(struct probe_ctx *ctx, bool final)
{
	uint64_t now = ev_monotonic_us() / 1000;
	size_t i;

	for (i = 0; i < ctx->nt; i++)
		probe_out_summary(ctx, ctx->tv[i], now, final ?
		    now - ctx->start_ms + 1 : ctx->window_ms, final);
	if (ctx->promfile && probe_out_prometheus(ctx, ctx->promfile) == -1)
		log_warn("%s", ctx->promfile);
}

int
probe_run_setup(struct probe_ctx *ctx)
{
	uint64_t now, spread, per, hwant, nslot;
	size_t i;
	int rc;

	ctx->qhead = NULL;
	ctx->qtail = &ctx->qhead;
	ev_timer_init(&ctx->pace_timer, pace_cb, ctx);
	ev_timer_init(&ctx->report_timer, report_cb, ctx);
	now = ev_monotonic_us();
	ctx->start_ms = now / 1000;
	ctx->active = ctx->nt;
	/*
	 * Continuous mode spreads the targets over the interval, in at most
	 * one slot per 10 ms: targets sharing a slot are sent in one wake-up
	 * and their replies tend to arrive in one, which is what keeps the
	 * CPU cost per probe low with many targets.
	 */
	spread = ctx->continuous ? ctx->interval_ms * 1000 : 0;
	nslot = ctx->interval_ms / 10;
	if (nslot > ctx->nt)
		nslot = ctx->nt;
	if (nslot == 0)
		nslot = 1;
	for (i = 0; i < ctx->nt; i++) {
		struct probe_target *t = ctx->tv[i];
		uint64_t inflight;

		t->ctx = ctx;
		t->idx = i;
		inflight = target_timeout(t) / ctx->interval_ms + 2;
		if (ctx->rounds && inflight > ctx->rounds)
			inflight = ctx->rounds;
		t->nslots = inflight > MAX_INFLIGHT ? MAX_INFLIGHT :
		    (unsigned int)inflight;
		if (!(t->slots = calloc(t->nslots, sizeof(*t->slots)))) {
			log_warnx("out of memory");
			return -ENOMEM;
		}
		/*
		 * The continuous mode keeps a window's worth; the once mode
		 * exactly its rounds (its summary covers the whole run).
		 */
		hwant = ctx->window_ms / ctx->interval_ms + 2;
		if (!ctx->continuous || (ctx->rounds && ctx->rounds > hwant))
			hwant = ctx->rounds;
		if (hwant > 100000)
			hwant = 100000;
		t->hsize = (unsigned int)hwant;
		if (!(t->hist = calloc(t->hsize, sizeof(*t->hist)))) {
			log_warnx("out of memory");
			return -ENOMEM;
		}
		switch (t->type) {
		case PROBE_ICMP:
			rc = probe_icmp_attach(ctx, t);
			break;
		case PROBE_DNS:
			rc = probe_dns_attach(ctx, t);
			break;
		default:
			rc = 0;
		}
		if (rc < 0) {
			log_warnx("%s: %s%s%s: %s", t->name,
			    probe_type_name(t->type), t->dev[0] ? " dev " : "",
			    t->dev, strerror(-rc));
			return rc;
		}
		ev_timer_init(&t->send_timer, send_cb, t);
		ev_timer_init(&t->to_timer, timeout_cb, t);
		per = spread / nslot * (i * nslot / ctx->nt);
		t->start_us = now + per;
		if ((rc = ev_timer_start(ctx->ev, &t->send_timer,
		    per / 1000)) < 0) {
			log_warnx("timer: %s", strerror(-rc));
			return rc;
		}
	}
	/*
	 * Summaries, the textfile and the history file's buffer: every
	 * report period, or every second without summaries.
	 */
	if (ctx->continuous && (ctx->report_ms > 0 || ctx->promfile ||
	    ctx->histfd >= 0))
		ev_timer_start(ctx->ev, &ctx->report_timer,
		    ctx->report_ms ? ctx->report_ms : 1000);
	return 0;
}

void
probe_run_teardown(struct probe_ctx *ctx)
{
	size_t i;
	unsigned int k;

	for (i = 0; i < ctx->nt; i++) {
		struct probe_target *t = ctx->tv[i];

		if (!t->slots)
			continue;
		for (k = 0; k < t->nslots; k++)
			if (t->slots[k].busy && !t->slots[k].done)
				cancel(&t->slots[k]);
		ev_timer_stop(ctx->ev, &t->send_timer);
		ev_timer_stop(ctx->ev, &t->to_timer);
		if (t->type == PROBE_DNS)
			probe_dns_detach(t);
	}
	ev_timer_stop(ctx->ev, &ctx->pace_timer);
	ev_timer_stop(ctx->ev, &ctx->report_timer);
	probe_icmp_close_all(ctx);
}

int
probe_exit_status(const struct probe_ctx *ctx)
{
	size_t i;

	if (ctx->error)
		return 2;
	for (i = 0; i < ctx->nt; i++)
		if (!ctx->tv[i]->ever_up)
			return 1;
	return 0;
}
