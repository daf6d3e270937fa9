/* SPDX-License-Identifier: ISC */
#ifndef FAILOVER_H
#define FAILOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#include "prefix.h"

/*
 * edge-failover: gateway health from edge-probe's result stream, gateway
 * groups, and the routes that follow from them.
 *
 * Time: the decision logic takes "now" in milliseconds of a monotonic
 * clock (the arrival of a result line); the probes' own send times, from
 * the stream, measure runs of lost probes.  Both are plain numbers, so the
 * unit tests drive the logic with synthetic time.
 */

/* Gateway states, ordered by severity; UNKNOWN until the first result. */
enum failover_state {
	FO_UP = 0,
	FO_DEGRADED = 1,
	FO_DOWN = 2,
	FO_UNKNOWN = 3,
};
#define FO_NLEVEL	3

#define FO_MAX_GW	32
#define FO_MAX_TARGETS	8
#define FO_MAX_GROUPS	8
#define FO_MAX_DST	8
#define FO_RING		1024	/* samples kept per target */
#define FO_NAMELEN	64

/* Default rtnetlink protocol number marking edge-failover's routes. */
#define FO_RTPROT	203	/* edgekit(7) */

/* Health thresholds and hysteresis of one gateway. */
struct failover_health {
	unsigned int	degraded_loss;	/* percent */
	unsigned int	down_loss;
	unsigned int	degraded_rtt_ms;
	unsigned int	down_rtt_ms;
	unsigned int	down_after_ms;	/* bad this long: worse state */
	unsigned int	up_after_ms;	/* good this long: better state */
	unsigned int	window_ms;	/* loss and latency averaged over */
	unsigned int	min_samples;	/* before loss/latency count */
};

struct failover_sample_slot {
	uint64_t	at;		/* arrival, monotonic ms */
	uint64_t	sent;		/* stream time of the probe, ms */
	uint32_t	rtt_us;
	bool		ok;
};

/* One probe target feeding a gateway: its recent results. */
struct failover_target {
	char		name[FO_NAMELEN];	/* as matched, for messages */
	struct failover_sample_slot ring[FO_RING];
	size_t		head;		/* next slot to write */
	size_t		n;		/* valid slots */
	uint64_t	nresults;	/* ever */
	uint64_t	last_at;	/* arrival of the latest result */
	uint64_t	floor;		/* results before this do not count */
	/* The current run of lost probes, by the probes' send times. */
	bool		have_good;
	uint64_t	last_good_sent;
	uint64_t	run_first_lost;	/* 0: the latest result was good */
	uint64_t	run_last_lost;
	/* Since when (arrival ms, 0: not) the condition has been at least /
	 * at most each level; see health.c. */
	uint64_t	ge_since[FO_NLEVEL];
	uint64_t	le_since[FO_NLEVEL];
	int		cond;
	/* Statistics over the window, from the latest evaluation. */
	double		loss;		/* percent */
	uint32_t	rtt_us;		/* average of the answered, 0 none */
	size_t		wn;		/* samples in the window */
};

struct failover_gw {
	/* configuration */
	char		name[FO_NAMELEN];
	char		dev[IFNAMSIZ];
	uint32_t	ifindex;	/* resolved at start, 0 unknown */
	int		via_family;	/* 0: no next-hop address */
	union edge_addr	via;
	unsigned int	weight;		/* 1..256 */
	unsigned int	tier;
	bool		metered;
	bool		flush_ct;
	uint32_t	ct_mark, ct_mask;	/* ct_mask 0: not used */
	struct failover_health h;
	char		match[FO_MAX_TARGETS][FO_NAMELEN];
	size_t		nmatch;
	unsigned int	line;		/* where it was defined */

	/* state */
	struct failover_target tg[FO_MAX_TARGETS];
	size_t		ntg;
	int		state;		/* enum failover_state */
	int		prev;
	uint64_t	since;		/* monotonic ms of the last change */
	double		loss;		/* of its best target */
	uint32_t	rtt_us;
	uint64_t	nresults;
};

enum failover_alldown {
	FO_ALLDOWN_KEEP,	/* leave the last route in place */
	FO_ALLDOWN_ALL,		/* spread over every gateway */
};

/* What is programmed, and the route set that follows from the gateways. */
struct failover_choice {
	size_t		n;
	unsigned int	gw[FO_MAX_GW];		/* indexes into cfg->gw */
	unsigned int	weight[FO_MAX_GW];
};

struct failover_group {
	char		name[FO_NAMELEN];
	unsigned int	gw[FO_MAX_GW];		/* members, indexes */
	size_t		ngw;
	struct prefix	dst[FO_MAX_DST];
	size_t		ndst;
	uint32_t	table;			/* 0: main */
	uint32_t	metric;
	int		alldown;
	unsigned int	line;

	/* state */
	bool		programmed;	/* active holds what the kernel has */
	struct failover_choice active;
	uint64_t	changes;
};

struct failover_cfg {
	char		*file;
	struct failover_gw *gw;		/* ngw entries, owned */
	size_t		ngw;
	struct failover_group group[FO_MAX_GROUPS];
	size_t		ngroup;
	char		hook[1024];		/* "" none */
	char		state_file[512];
	unsigned int	stream_timeout_ms;
	unsigned int	start_wait_ms;
	uint8_t		protocol;
};

/* ---- config.c ---- */

/* Parse a configuration.  0, or -1 with "file:line: reason" in err.  The
 * caller frees with failover_cfg_free() in either case. */
int	failover_cfg_load(struct failover_cfg *cfg, const char *path,
	    char *err, size_t errlen);
int	failover_cfg_parse(struct failover_cfg *cfg, const char *name,
	    const char *data, size_t len, char *err, size_t errlen);
void	failover_cfg_free(struct failover_cfg *cfg);
void	failover_health_defaults(struct failover_health *h);
/* "600ms", "2s", "1m", or a bare number in unit_ms; false if bad. */
bool	failover_parse_duration(const char *s, unsigned int unit_ms,
	    unsigned int *out);

/* ---- input.c: edge-probe's stream ---- */

struct failover_result {
	uint64_t	sent_ms;	/* the probe's send time (epoch ms) */
	const char	*name;		/* point into the parsed line */
	const char	*group;		/* NULL when "-" */
	const char	*type;
	const char	*target;
	bool		ok;
	uint32_t	rtt_us;		/* 0 when down */
	const char	*detail;	/* NULL when "-" */
};

/*
 * Parse one line of edge-probe's stream in place (tabs become NULs).
 * Returns 1 for a result, 0 for a line to ignore (summaries, comments,
 * blank lines), -1 with the reason in err for a malformed line.
 */
int	failover_parse_line(char *line, struct failover_result *r,
	    char *err, size_t errlen);

/* ---- health.c: the decision logic ---- */

const char *failover_state_name(int state);
void	failover_gw_reset(struct failover_gw *gw, uint64_t now);
/* Which target of gw a result belongs to: its index, or -1. */
int	failover_gw_match(const struct failover_gw *gw,
	    const struct failover_result *r);
/* Record a result of target ti, arrived at now. */
void	failover_gw_sample(struct failover_gw *gw, int ti,
	    const struct failover_result *r, uint64_t now);
/*
 * Re-evaluate gw at now.  Returns true when its state changed (gw->prev
 * holds the state before).  *next is lowered to the time at which a
 * re-evaluation could change something without new input (UINT64_MAX
 * when nothing is pending).
 */
bool	failover_gw_eval(struct failover_gw *gw, uint64_t now, uint64_t *next);

/*
 * The gateways a group should use now.  Returns 1 with *c filled when the
 * route should be (re)programmed to c, 0 when the current route stays
 * (nothing decided yet, or everything down with AllDown = keep).
 */
int	failover_choose(const struct failover_cfg *cfg,
	    const struct failover_group *g, uint64_t now, uint64_t started,
	    struct failover_choice *c);
bool	failover_choice_equal(const struct failover_choice *a,
	    const struct failover_choice *b);
/* "lte0" or "wan1:1,wan2:2"; "-" when empty. */
char	*failover_choice_str(const struct failover_cfg *cfg,
	    const struct failover_choice *c, char *buf, size_t len);

/* ---- route.c ---- */

struct nl;
/* Replace the group's routes by c in one batch.  0, or -1 with err. */
int	failover_route_apply(struct nl *nl, const struct failover_cfg *cfg,
	    struct failover_group *g, const struct failover_choice *c,
	    char *err, size_t errlen);
/* The routes as ip-route(8) would show them; returns the length wanted. */
size_t	failover_route_str(const struct failover_cfg *cfg,
	    const struct failover_group *g, const struct failover_choice *c,
	    char *buf, size_t len);

/* ---- conntrack.c ---- */

/*
 * Delete the conntrack entries that go through gw: those whose reply
 * tuple is addressed to one of addrs (the device's own addresses: what
 * masquerading and local sockets put there), or whose mark matches the
 * gateway's ConntrackMark.  *deleted counts them.  0, or -1 with err.
 */
int	failover_ct_flush(const struct failover_gw *gw, const int *families,
	    const union edge_addr *addrs, size_t naddr, unsigned int *deleted,
	    char *err, size_t errlen);

/* ---- state.c ---- */

/* Write the state file atomically (temporary file, then rename(2)).
 * stream is "ok", "silent" or "ended". */
int	failover_state_write(const char *path, const struct failover_cfg *cfg,
	    uint64_t now, uint64_t wall, const char *stream,
	    uint64_t last_input_wall, char *err, size_t errlen);
/* The status verb: print the state file's gateways and groups to stdout.
 * Returns the exit status: 0 all up, 1 not, 2 unreadable. */
int	failover_status(const char *path, uint64_t wall);

/* ---- flush.c ---- */

/* Delete every route with cfg's protocol from the groups' tables; *n
 * counts them.  0, or -1 with err. */
int	failover_flush(struct nl *nl, const struct failover_cfg *cfg,
	    size_t *n, char *err, size_t errlen);
/* For a reload: delete the routes with from's protocol, in the tables of
 * from's and keep's groups, that no group of keep programs (destination,
 * table and metric); *n counts them.  0, or -1 with err. */
int	failover_prune(struct nl *nl, const struct failover_cfg *from,
	    const struct failover_cfg *keep, size_t *n, char *err,
	    size_t errlen);

/* ---- reload.c ---- */

/*
 * Move the running state of old over to nw, a configuration just loaded,
 * by name: gateways keep their state and the results of the targets they
 * still have (one without any starts over as unknown at now); groups with
 * the same routes keep what they programmed.
 */
void	failover_cfg_carry(struct failover_cfg *nw,
	    const struct failover_cfg *old, uint64_t now);
/* The index of the gateway called name in cfg, or -1. */
int	failover_cfg_gw_index(const struct failover_cfg *cfg,
	    const char *name);

#endif
