// SPDX-License-Identifier: ISC
/*
 * The decision logic: the health of each gateway from its probe results,
 * with hysteresis, and the gateways each group should use.  No I/O and no
 * clock: the caller passes the time, so tests can drive it.
 *
 * A target's condition is UP, DEGRADED or DOWN from its loss and average
 * latency over the window (once it holds min_samples results).  A gateway
 * gets worse when every one of its targets has been at least that bad for
 * down_after_ms, or at once goes DOWN when every target has lost probes
 * spanning down_after_ms of sending time since its last answered probe (a
 * total outage: with probes every 200 ms and down_after_ms 600 that is the
 * third lost probe in a row).  It gets better when any of its targets has
 * been that good for up_after_ms (a streak that began before a step up
 * still counts for the next one); while a gateway is DOWN only the results
 * since its latest lost probe count, so coming back needs up_after_ms of
 * answered probes in a row, and the outage is forgotten once it is back.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "failover.h"

/* Probes are sent by timers that may fire a little early or late: a run
 * of lost probes this much short of down_after_ms still counts, or one
 * millisecond of jitter would cost a whole probe interval. */
#define RUN_SLACK_MS	20

static const char *const state_names[] = {
	[FO_UP] = "up",
	[FO_DEGRADED] = "degraded",
	[FO_DOWN] = "down",
	[FO_UNKNOWN] = "unknown",
};

const char *
failover_state_name(int state)
{
	if (state < 0 || state > FO_UNKNOWN)
		return "?";
	return state_names[state];
}

void
failover_gw_reset(struct failover_gw *gw, uint64_t now)
{
	size_t i;

	for (i = 0; i < FO_MAX_TARGETS; i++) {
		struct failover_target *t = &gw->tg[i];
		char name[FO_NAMELEN];

		memcpy(name, t->name, sizeof(name));
		memset(t, 0, sizeof(*t));
		memcpy(t->name, name, sizeof(name));
		t->cond = -1;
	}
	gw->state = gw->prev = FO_UNKNOWN;
	gw->since = now;
	gw->loss = 0;
	gw->rtt_us = 0;
	gw->nresults = 0;
}

int
failover_gw_match(const struct failover_gw *gw,
    const struct failover_result *r)
{
	size_t i;

	for (i = 0; i < gw->nmatch; i++) {
		const char *m = gw->match[i];

		if (strcmp(m, r->name) == 0 ||
		    (r->group != NULL && strcmp(m, r->group) == 0) ||
		    (r->target != NULL && strcmp(m, r->target) == 0))
			return (int)i;
	}
	return -1;
}

void
failover_gw_sample(struct failover_gw *gw, int ti,
    const struct failover_result *r, uint64_t now)
{
	struct failover_target *t;
	struct failover_sample_slot *s;

	if (ti < 0 || (size_t)ti >= FO_MAX_TARGETS)
		return;
	t = &gw->tg[ti];
	if ((size_t)ti >= gw->ntg)
		gw->ntg = ti + 1;
	s = &t->ring[t->head];
	s->at = now;
	s->sent = r->sent_ms;
	s->ok = r->ok;
	s->rtt_us = r->ok ? r->rtt_us : 0;
	t->head = (t->head + 1) % FO_RING;
	if (t->n < FO_RING)
		t->n++;
	t->nresults++;
	t->last_at = now;
	gw->nresults++;

	if (r->ok) {
		t->have_good = true;
		t->last_good_sent = r->sent_ms;
		t->run_first_lost = 0;
	} else {
		if (t->run_first_lost == 0)
			t->run_first_lost = r->sent_ms ? r->sent_ms : 1;
		t->run_last_lost = r->sent_ms;
	}
}

/* Span of sending time covered by the current run of lost probes,
 * counted from the last answered probe when there was one. */
static uint64_t
lost_run_ms(const struct failover_target *t)
{
	uint64_t from;

	if (t->run_first_lost == 0)
		return 0;
	from = t->run_first_lost;
	if (t->have_good && t->last_good_sent < from)
		from = t->last_good_sent;
	return t->run_last_lost > from ? t->run_last_lost - from : 0;
}

static int
classify(const struct failover_health *h, size_t n, size_t lost,
    uint64_t rtt_sum, size_t answered)
{
	double loss;
	uint64_t rtt_ms;

	if (n == 0)
		return FO_DOWN;
	/* Too few results for loss and latency to mean much: up if any
	 * was answered.  Not when none was: a gateway whose first results
	 * are all lost is not up (it was, and got the route). */
	if (n < h->min_samples)
		return answered ? FO_UP : FO_DOWN;
	loss = 100.0 * lost / n;
	rtt_ms = answered ? rtt_sum / answered / 1000 : 0;
	if (loss >= h->down_loss || (answered && rtt_ms >= h->down_rtt_ms))
		return FO_DOWN;
	if (loss >= h->degraded_loss ||
	    (answered && rtt_ms >= h->degraded_rtt_ms))
		return FO_DEGRADED;
	return FO_UP;
}

/*
 * A target's condition at now, for a gateway in state S.  Also returns
 * through *postloss_first the arrival of the oldest result after the
 * latest lost one (0 when the newest is lost), and through *expire when
 * the oldest result in the window leaves it.
 */
static void
target_eval(struct failover_target *t, const struct failover_health *h,
    int S, uint64_t now, uint64_t *postloss_first, uint64_t *expire)
{
	size_t i, n = 0, lost = 0, ans = 0;
	size_t pn = 0, pans = 0;
	uint64_t sum = 0, psum = 0, from, oldest = 0;
	bool post = true;
	int cond, L;

	from = now > h->window_ms ? now - h->window_ms : 0;
	*postloss_first = 0;
	for (i = 0; i < t->n; i++) {
		const struct failover_sample_slot *s =
		    &t->ring[(t->head + FO_RING - 1 - i) % FO_RING];

		if (s->at < from || s->at < t->floor)
			break;
		oldest = s->at;
		n++;
		if (!s->ok) {
			lost++;
			post = false;
		} else {
			ans++;
			sum += s->rtt_us;
		}
		if (post) {
			pn++;
			pans++;
			psum += s->rtt_us;
			*postloss_first = s->at;
		}
	}
	if (oldest && oldest + h->window_ms + 1 < *expire)
		*expire = oldest + h->window_ms + 1;

	t->wn = n;
	t->loss = n ? 100.0 * lost / n : 100.0;
	t->rtt_us = ans ? (uint32_t)(sum / ans) : 0;

	if (S == FO_DOWN)
		cond = classify(h, pn, 0, psum, pans);
	else
		cond = classify(h, n, lost, sum, ans);
	t->cond = cond;

	for (L = 0; L < FO_NLEVEL; L++) {
		if (cond >= L) {
			if (t->ge_since[L] == 0)
				t->ge_since[L] = now;
		} else
			t->ge_since[L] = 0;
		if (cond <= L) {
			if (t->le_since[L] == 0)
				t->le_since[L] = now;
		} else
			t->le_since[L] = 0;
	}
}

/* Has target t been at least level L long enough to make gw worse? */
static bool
target_worse(const struct failover_target *t, const struct failover_health *h,
    int L, uint64_t now)
{
	if (t->run_first_lost != 0 &&
	    lost_run_ms(t) + RUN_SLACK_MS >= h->down_after_ms)
		return true;	/* every level, DOWN included */
	return t->ge_since[L] != 0 && now - t->ge_since[L] >= h->down_after_ms;
}

bool
failover_gw_eval(struct failover_gw *gw, uint64_t now, uint64_t *next)
{
	const struct failover_health *h = &gw->h;
	uint64_t plf[FO_MAX_TARGETS];
	uint64_t expire = UINT64_MAX, w;
	int S = gw->state, newS, L, best = FO_UNKNOWN, bi = -1;
	size_t i, nt = 0;

	for (i = 0; i < gw->ntg; i++) {
		struct failover_target *t = &gw->tg[i];

		plf[i] = 0;
		if (t->nresults == 0)
			continue;
		target_eval(t, h, S, now, &plf[i], &expire);
		nt++;
		if (t->cond < best || (t->cond == best && bi >= 0 &&
		    t->loss < gw->tg[bi].loss)) {
			best = t->cond;
			bi = (int)i;
		}
	}
	if (nt == 0)
		return false;
	gw->loss = gw->tg[bi].loss;
	gw->rtt_us = gw->tg[bi].rtt_us;

	newS = S;
	/* Worse: every target with results must agree. */
	if (S != FO_DOWN) {
		for (L = FO_DOWN; L >= FO_DEGRADED; L--) {
			bool all = true;

			if (S != FO_UNKNOWN && L <= S)
				break;
			for (i = 0; i < gw->ntg && all; i++) {
				const struct failover_target *t = &gw->tg[i];

				if (t->nresults == 0)
					continue;
				if (!target_worse(t, h, L, now))
					all = false;
			}
			if (all) {
				newS = L;
				break;
			}
		}
	}
	/* The first results decide at once, unless they are bad. */
	if (newS == FO_UNKNOWN && best <= FO_DEGRADED)
		newS = best;
	/* Better: one good target is enough. */
	if (newS == S && S != FO_UNKNOWN && S > FO_UP) {
		for (L = FO_UP; L < S; L++) {
			bool any = false;

			for (i = 0; i < gw->ntg && !any; i++) {
				const struct failover_target *t = &gw->tg[i];

				if (t->nresults && t->le_since[L] &&
				    now - t->le_since[L] >= h->up_after_ms)
					any = true;
			}
			if (any) {
				newS = L;
				break;
			}
		}
	}

	if (newS != S) {
		gw->prev = S;
		gw->state = newS;
		gw->since = now;
		for (i = 0; i < gw->ntg; i++) {
			struct failover_target *t = &gw->tg[i];

			/* Getting worse breaks every good streak.  Getting
			 * better keeps the streaks of the levels above the
			 * new state: a gateway back from DOWN to DEGRADED
			 * whose results have been UP-good for a while is up
			 * UpAfter after they became so, not UpAfter after
			 * it became degraded. */
			if (newS > S || S == FO_UNKNOWN)
				memset(t->le_since, 0, sizeof(t->le_since));
			/* Back from DOWN: forget the outage's losses, or
			 * they would take the gateway down again. */
			if (S == FO_DOWN)
				t->floor = plf[i] ? plf[i] : now;
		}
		*next = now;	/* evaluate again in the new state */
		return true;
	}

	/* When could time alone change the state? */
	for (i = 0; i < gw->ntg; i++) {
		const struct failover_target *t = &gw->tg[i];

		if (t->nresults == 0)
			continue;
		for (L = 0; L < FO_NLEVEL; L++) {
			if ((S == FO_UNKNOWN || L > S) && t->ge_since[L]) {
				w = t->ge_since[L] + h->down_after_ms;
				if (w > now && w < *next)
					*next = w;
			}
			if (S != FO_UNKNOWN && L < S && t->le_since[L]) {
				w = t->le_since[L] + h->up_after_ms;
				if (w > now && w < *next)
					*next = w;
			}
		}
	}
	if (expire > now && expire < *next)
		*next = expire;
	return false;
}

int
failover_choose(const struct failover_cfg *cfg,
    const struct failover_group *g, uint64_t now, uint64_t started,
    struct failover_choice *c)
{
	unsigned int tier[2] = { UINT32_MAX, UINT32_MAX };
	unsigned int unknown_tier = UINT32_MAX;
	int use;
	size_t i;

	for (i = 0; i < g->ngw; i++) {
		const struct failover_gw *gw = &cfg->gw[g->gw[i]];

		if (gw->state <= FO_DEGRADED && gw->tier < tier[gw->state])
			tier[gw->state] = gw->tier;
		if (gw->state == FO_UNKNOWN && gw->tier < unknown_tier)
			unknown_tier = gw->tier;
	}
	/* A gateway not heard from yet may still be better than the best
	 * known one: wait for it, a while, at start. */
	if (unknown_tier != UINT32_MAX && unknown_tier <= tier[FO_UP] &&
	    now - started < cfg->start_wait_ms)
		return 0;

	memset(c, 0, sizeof(*c));
	if (tier[FO_UP] != UINT32_MAX)
		use = FO_UP;
	else if (tier[FO_DEGRADED] != UINT32_MAX)
		use = FO_DEGRADED;
	else if (g->alldown == FO_ALLDOWN_KEEP)
		return 0;
	else
		use = -1;

	for (i = 0; i < g->ngw; i++) {
		const struct failover_gw *gw = &cfg->gw[g->gw[i]];

		if (use >= 0 && (gw->state != use || gw->tier != tier[use]))
			continue;
		c->gw[c->n] = g->gw[i];
		c->weight[c->n] = gw->weight;
		c->n++;
	}
	return 1;
}

bool
failover_choice_equal(const struct failover_choice *a,
    const struct failover_choice *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->gw[i] != b->gw[i] || a->weight[i] != b->weight[i])
			return false;
	return true;
}

char *
failover_choice_str(const struct failover_cfg *cfg,
    const struct failover_choice *c, char *buf, size_t len)
{
	size_t i, off = 0;
	int k;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (c->n == 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	for (i = 0; i < c->n && off < len; i++) {
		if (c->n == 1)
			k = snprintf(buf + off, len - off, "%s",
			    cfg->gw[c->gw[i]].name);
		else
			k = snprintf(buf + off, len - off, "%s%s:%u",
			    i ? "," : "", cfg->gw[c->gw[i]].name, c->weight[i]);
		if (k < 0)
			break;
		off += (size_t)k;
	}
	return buf;
}
