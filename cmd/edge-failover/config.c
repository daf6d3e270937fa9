// SPDX-License-Identifier: ISC
/*
 * edge-failover.conf(5): [Failover], [Gateway] and [Group] sections in
 * the wg-quick(8) INI dialect read by lib/conf.  Every error names
 * file:line; nothing is half-applied (the caller discards the result).
 */
#include <sys/socket.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "failover.h"

#define DEFAULT_STATE_FILE	"/run/edgekit/failover.state"

void
failover_health_defaults(struct failover_health *h)
{
	/* pfSense's gateway defaults for loss and latency. */
	h->degraded_loss = 10;
	h->down_loss = 20;
	h->degraded_rtt_ms = 200;
	h->down_rtt_ms = 500;
	h->down_after_ms = 1000;
	h->up_after_ms = 10000;
	h->window_ms = 10000;
	h->min_samples = 10;
}

bool
failover_parse_duration(const char *s, unsigned int unit_ms,
    unsigned int *out)
{
	char *end;
	double v;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || !isfinite(v) || v < 0)
		return false;
	if (*end == '\0')
		v *= unit_ms;
	else if (strcmp(end, "ms") == 0)
		;
	else if (strcmp(end, "s") == 0)
		v *= 1000;
	else if (strcmp(end, "m") == 0)
		v *= 60000;
	else
		return false;
	if (v > 86400000.0 * 7)
		return false;
	*out = (unsigned int)(v + 0.5);
	return true;
}

static int
parse_bool(const char *s)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") ||
	    !strcasecmp(s, "on") || !strcmp(s, "1"))
		return 1;
	if (!strcasecmp(s, "no") || !strcasecmp(s, "false") ||
	    !strcasecmp(s, "off") || !strcmp(s, "0"))
		return 0;
	return -1;
}

static bool
valid_name(const char *s, size_t max)
{
	size_t i;

	if (s[0] == '\0' || strlen(s) >= max)
		return false;
	for (i = 0; s[i]; i++)
		if (isspace((unsigned char)s[i]) || s[i] == ',' ||
		    s[i] == ':' || s[i] == '=' || !isprint((unsigned char)s[i]))
			return false;
	return true;
}

/* Keys that the [Failover] section sets as defaults and each [Gateway]
 * may override.  Returns 1 if e was one of them, 0 if not, -1 on error. */
static int
health_key(const struct conf *c, const struct conf_entry *e,
    struct failover_health *h, char *err, size_t errlen)
{
	static const struct {
		const char	*key;
		size_t		 off;
		unsigned int	 unit;	/* 0: a plain number */
		unsigned int	 max;
	} keys[] = {
		{ "DegradedLoss", offsetof(struct failover_health,
		    degraded_loss), 0, 100 },
		{ "DownLoss", offsetof(struct failover_health, down_loss),
		    0, 100 },
		{ "DegradedLatency", offsetof(struct failover_health,
		    degraded_rtt_ms), 1, 600000 },
		{ "DownLatency", offsetof(struct failover_health,
		    down_rtt_ms), 1, 600000 },
		{ "DownAfter", offsetof(struct failover_health,
		    down_after_ms), 1, 3600000 },
		{ "UpAfter", offsetof(struct failover_health, up_after_ms),
		    1000, 86400000 },
		{ "Window", offsetof(struct failover_health, window_ms),
		    1000, 3600000 },
		{ "MinSamples", offsetof(struct failover_health,
		    min_samples), 0, FO_RING },
	};
	const char *errstr = NULL;
	unsigned int v;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!conf_key_is(e, keys[i].key))
			continue;
		if (keys[i].unit == 0) {
			v = (unsigned int)strtonum(e->value, 0, keys[i].max,
			    &errstr);
			if (errstr != NULL)
				return conf_err(err, errlen, c, e,
				    "%s \"%s\" is %s (0 to %u)", keys[i].key,
				    e->value, errstr, keys[i].max);
		} else if (!failover_parse_duration(e->value, keys[i].unit,
		    &v) || v > keys[i].max)
			return conf_err(err, errlen, c, e,
			    "%s \"%s\" is not a duration (e.g. %s)",
			    keys[i].key, e->value,
			    keys[i].unit == 1 ? "600ms" : "10s");
		*(unsigned int *)(void *)((char *)h + keys[i].off) = v;
		return 1;
	}
	return 0;
}

static int
health_check(const struct conf *c, unsigned int line,
    const struct failover_health *h, char *err, size_t errlen)
{
	const char *f = c->file;

	if (h->degraded_loss > h->down_loss) {
		snprintf(err, errlen, "%s:%u: DegradedLoss %u is above "
		    "DownLoss %u", f, line, h->degraded_loss, h->down_loss);
		return -1;
	}
	if (h->degraded_rtt_ms > h->down_rtt_ms) {
		snprintf(err, errlen, "%s:%u: DegradedLatency %u ms is above "
		    "DownLatency %u ms", f, line, h->degraded_rtt_ms,
		    h->down_rtt_ms);
		return -1;
	}
	if (h->window_ms == 0) {
		snprintf(err, errlen, "%s:%u: Window must not be 0", f, line);
		return -1;
	}
	return 0;
}

static int
parse_failover(struct failover_cfg *cfg, const struct conf *c,
    const struct conf_entry *e, struct failover_health *defh, char *err,
    size_t errlen)
{
	const char *errstr = NULL;
	unsigned int v;
	int r;

	if ((r = health_key(c, e, defh, err, errlen)) != 0)
		return r < 0 ? -1 : 0;
	if (conf_key_is(e, "Hook")) {
		if (strlcpy(cfg->hook, e->value, sizeof(cfg->hook)) >=
		    sizeof(cfg->hook))
			return conf_err(err, errlen, c, e, "Hook too long");
	} else if (conf_key_is(e, "StateFile")) {
		if (e->value[0] != '/')
			return conf_err(err, errlen, c, e,
			    "StateFile \"%s\" is not an absolute path",
			    e->value);
		if (strlcpy(cfg->state_file, e->value,
		    sizeof(cfg->state_file)) >= sizeof(cfg->state_file))
			return conf_err(err, errlen, c, e,
			    "StateFile too long");
	} else if (conf_key_is(e, "StreamTimeout")) {
		if (!failover_parse_duration(e->value, 1000, &v) || v == 0)
			return conf_err(err, errlen, c, e, "StreamTimeout "
			    "\"%s\" is not a duration (e.g. 5s)", e->value);
		cfg->stream_timeout_ms = v;
	} else if (conf_key_is(e, "StartWait")) {
		if (!failover_parse_duration(e->value, 1000, &v))
			return conf_err(err, errlen, c, e, "StartWait "
			    "\"%s\" is not a duration (e.g. 3s)", e->value);
		cfg->start_wait_ms = v;
	} else if (conf_key_is(e, "Protocol")) {
		v = (unsigned int)strtonum(e->value, 5, 255, &errstr);
		if (errstr != NULL)
			return conf_err(err, errlen, c, e, "Protocol \"%s\" "
			    "is %s (5 to 255)", e->value, errstr);
		cfg->protocol = (uint8_t)v;
	} else
		return conf_err(err, errlen, c, e,
		    "unknown key \"%s\" in [Failover]", e->key);
	return 0;
}

static int
parse_gateway(struct failover_cfg *cfg, struct failover_gw *gw,
    const struct conf *c, const struct conf_entry *e, int *flush,
    char *err, size_t errlen)
{
	const char *errstr = NULL;
	char tmp[1024], *items[FO_MAX_TARGETS + 1];
	char perr[128];
	int n, i, b;

	if ((n = health_key(c, e, &gw->h, err, errlen)) != 0)
		return n < 0 ? -1 : 0;
	if (conf_key_is(e, "Name")) {
		if (!valid_name(e->value, sizeof(gw->name)))
			return conf_err(err, errlen, c, e, "Name \"%s\" must "
			    "be 1 to %zu characters without spaces, commas "
			    "or colons", e->value, sizeof(gw->name) - 1);
		strlcpy(gw->name, e->value, sizeof(gw->name));
	} else if (conf_key_is(e, "Device")) {
		if (!valid_name(e->value, IFNAMSIZ))
			return conf_err(err, errlen, c, e, "Device \"%s\" is "
			    "not an interface name", e->value);
		strlcpy(gw->dev, e->value, sizeof(gw->dev));
	} else if (conf_key_is(e, "Via")) {
		if (!addr_parse(e->value, &gw->via_family, &gw->via, perr,
		    sizeof(perr)))
			return conf_err(err, errlen, c, e, "Via: %s", perr);
	} else if (conf_key_is(e, "Weight")) {
		gw->weight = (unsigned int)strtonum(e->value, 1, 256, &errstr);
		if (errstr != NULL)
			return conf_err(err, errlen, c, e, "Weight \"%s\" is "
			    "%s (1 to 256)", e->value, errstr);
	} else if (conf_key_is(e, "Tier")) {
		gw->tier = (unsigned int)strtonum(e->value, 0, 255, &errstr);
		if (errstr != NULL)
			return conf_err(err, errlen, c, e, "Tier \"%s\" is "
			    "%s (0 to 255)", e->value, errstr);
	} else if (conf_key_is(e, "Targets")) {
		if (strlcpy(tmp, e->value, sizeof(tmp)) >= sizeof(tmp))
			return conf_err(err, errlen, c, e, "Targets too long");
		n = conf_split(tmp, items, FO_MAX_TARGETS);
		if (n < 0 || gw->nmatch + (size_t)n > FO_MAX_TARGETS)
			return conf_err(err, errlen, c, e, "more than %d "
			    "Targets", FO_MAX_TARGETS);
		for (i = 0; i < n; i++) {
			if (!valid_name(items[i], FO_NAMELEN) &&
			    strchr(items[i], ':') == NULL)
				return conf_err(err, errlen, c, e, "Targets: "
				    "bad name \"%s\"", items[i]);
			if (strlen(items[i]) >= FO_NAMELEN)
				return conf_err(err, errlen, c, e, "Targets: "
				    "\"%s\" too long", items[i]);
			strlcpy(gw->match[gw->nmatch++], items[i],
			    FO_NAMELEN);
		}
	} else if (conf_key_is(e, "Metered")) {
		if ((b = parse_bool(e->value)) < 0)
			return conf_err(err, errlen, c, e, "Metered \"%s\" is "
			    "not yes or no", e->value);
		gw->metered = b;
	} else if (conf_key_is(e, "FlushConntrack")) {
		if ((b = parse_bool(e->value)) < 0)
			return conf_err(err, errlen, c, e, "FlushConntrack "
			    "\"%s\" is not yes or no", e->value);
		*flush = b;
	} else if (conf_key_is(e, "ConntrackMark")) {
		char *slash, *end;
		unsigned long m, k = 0xffffffffUL;

		if (strlcpy(tmp, e->value, sizeof(tmp)) >= sizeof(tmp))
			goto badmark;
		if ((slash = strchr(tmp, '/')) != NULL)
			*slash++ = '\0';
		errno = 0;
		m = strtoul(tmp, &end, 0);
		if (errno || *end || tmp[0] == '\0' || m > 0xffffffffUL)
			goto badmark;
		if (slash != NULL) {
			k = strtoul(slash, &end, 0);
			if (errno || *end || *slash == '\0' || k == 0 ||
			    k > 0xffffffffUL)
				goto badmark;
		}
		gw->ct_mark = (uint32_t)m;
		gw->ct_mask = (uint32_t)k;
	} else
		return conf_err(err, errlen, c, e,
		    "unknown key \"%s\" in [Gateway]", e->key);
	return 0;
badmark:
	return conf_err(err, errlen, c, e, "ConntrackMark \"%s\" is not "
	    "MARK or MARK/MASK", e->value);
}

static int
find_gw(const struct failover_cfg *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->ngw; i++)
		if (strcmp(cfg->gw[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
parse_group(struct failover_cfg *cfg, struct failover_group *g,
    const struct conf *c, const struct conf_entry *e, char *err,
    size_t errlen)
{
	const char *errstr = NULL;
	char tmp[2048], *items[FO_MAX_GW + 1], perr[128];
	int n, i, k;
	size_t j;

	if (conf_key_is(e, "Name")) {
		if (!valid_name(e->value, sizeof(g->name)))
			return conf_err(err, errlen, c, e, "Name \"%s\" must "
			    "be 1 to %zu characters without spaces",
			    e->value, sizeof(g->name) - 1);
		strlcpy(g->name, e->value, sizeof(g->name));
	} else if (conf_key_is(e, "Gateways")) {
		if (strlcpy(tmp, e->value, sizeof(tmp)) >= sizeof(tmp))
			return conf_err(err, errlen, c, e, "Gateways too long");
		n = conf_split(tmp, items, FO_MAX_GW);
		if (n <= 0)
			return conf_err(err, errlen, c, e, "Gateways: none "
			    "or more than %d", FO_MAX_GW);
		for (i = 0; i < n; i++) {
			if ((k = find_gw(cfg, items[i])) < 0)
				return conf_err(err, errlen, c, e, "Gateways: "
				    "no [Gateway] named \"%s\"", items[i]);
			for (j = 0; j < g->ngw; j++)
				if (g->gw[j] == (unsigned int)k)
					return conf_err(err, errlen, c, e,
					    "Gateways: \"%s\" twice",
					    items[i]);
			if (g->ngw == FO_MAX_GW)
				return conf_err(err, errlen, c, e,
				    "too many Gateways");
			g->gw[g->ngw++] = (unsigned int)k;
		}
	} else if (conf_key_is(e, "Destination")) {
		if (strlcpy(tmp, e->value, sizeof(tmp)) >= sizeof(tmp))
			return conf_err(err, errlen, c, e,
			    "Destination too long");
		n = conf_split(tmp, items, FO_MAX_DST);
		if (n <= 0 || g->ndst + (size_t)n > FO_MAX_DST)
			return conf_err(err, errlen, c, e, "Destination: "
			    "none or more than %d", FO_MAX_DST);
		for (i = 0; i < n; i++) {
			struct prefix *p = &g->dst[g->ndst];

			if (strcmp(items[i], "default") == 0)
				prefix_parse("0.0.0.0/0", p, 0, perr,
				    sizeof(perr));
			else if (strcmp(items[i], "default6") == 0)
				prefix_parse("::/0", p, 0, perr, sizeof(perr));
			else if (!prefix_parse(items[i], p, PREFIX_ADDR_OK,
			    perr, sizeof(perr)))
				return conf_err(err, errlen, c, e,
				    "Destination: %s", perr);
			g->ndst++;
		}
	} else if (conf_key_is(e, "Table")) {
		if (strcasecmp(e->value, "main") == 0)
			g->table = 0;
		else {
			g->table = (uint32_t)strtonum(e->value, 1,
			    UINT32_MAX, &errstr);
			if (errstr != NULL || g->table == 255)
				return conf_err(err, errlen, c, e, "Table "
				    "\"%s\" is not main or a table number",
				    e->value);
			if (g->table == 254)
				g->table = 0;
		}
	} else if (conf_key_is(e, "Metric")) {
		g->metric = (uint32_t)strtonum(e->value, 0, UINT32_MAX,
		    &errstr);
		if (errstr != NULL)
			return conf_err(err, errlen, c, e, "Metric \"%s\" is "
			    "%s", e->value, errstr);
	} else if (conf_key_is(e, "AllDown")) {
		if (strcasecmp(e->value, "keep") == 0)
			g->alldown = FO_ALLDOWN_KEEP;
		else if (strcasecmp(e->value, "all") == 0)
			g->alldown = FO_ALLDOWN_ALL;
		else
			return conf_err(err, errlen, c, e, "AllDown \"%s\" is "
			    "not keep or all", e->value);
	} else
		return conf_err(err, errlen, c, e,
		    "unknown key \"%s\" in [Group]", e->key);
	return 0;
}

/* A group without Destination gets the default route of each family its
 * gateways' next hops have (IPv4 when none has an address). */
static void
group_default_dst(const struct failover_cfg *cfg, struct failover_group *g)
{
	bool v4 = false, v6 = false;
	char perr[64];
	size_t i;

	for (i = 0; i < g->ngw; i++) {
		if (cfg->gw[g->gw[i]].via_family == AF_INET6)
			v6 = true;
		else
			v4 = true;
	}
	if (v4 || !v6)
		prefix_parse("0.0.0.0/0", &g->dst[g->ndst++], 0, perr,
		    sizeof(perr));
	if (v6)
		prefix_parse("::/0", &g->dst[g->ndst++], 0, perr, sizeof(perr));
}

/* Does some member of g have a next hop usable for dst's family? */
static bool
group_reaches(const struct failover_cfg *cfg, const struct failover_group *g,
    const struct prefix *dst)
{
	size_t i;

	for (i = 0; i < g->ngw; i++) {
		int f = cfg->gw[g->gw[i]].via_family;

		if (f == 0 || f == dst->family)
			return true;
	}
	return false;
}

static const char *const known_sections[] = { "Failover", "Gateway",
	"Group" };

static int
cfg_build(struct failover_cfg *cfg, struct conf *cp, char *err, size_t errlen)
{
	const struct conf c = *cp;
	struct failover_health defh;
	int *flush = NULL, ret = -1;
	unsigned int s;
	size_t i, j, k, ngw = 0;

	failover_health_defaults(&defh);
	/* Sections first: names, and how many gateways. */
	for (s = 0; s < c.nsect; s++) {
		bool known = false;

		for (k = 0; k < 3; k++)
			if (strcasecmp(c.sect[s], known_sections[k]) == 0)
				known = true;
		if (!known) {
			snprintf(err, errlen, "%s:%u: unknown section [%s]",
			    c.file, c.sect_line[s], c.sect[s]);
			goto out;
		}
		if (strcasecmp(c.sect[s], "Gateway") == 0)
			ngw++;
		else if (strcasecmp(c.sect[s], "Group") == 0 &&
		    cfg->ngroup++ == FO_MAX_GROUPS) {
			snprintf(err, errlen, "%s:%u: more than %d [Group] "
			    "sections", c.file, c.sect_line[s], FO_MAX_GROUPS);
			goto out;
		}
	}
	if (ngw == 0) {
		snprintf(err, errlen, "%s: no [Gateway] section", c.file);
		goto out;
	}
	if (ngw > FO_MAX_GW) {
		snprintf(err, errlen, "%s: more than %d [Gateway] sections",
		    c.file, FO_MAX_GW);
		goto out;
	}
	cfg->gw = calloc(ngw, sizeof(*cfg->gw));
	flush = calloc(ngw, sizeof(*flush));
	if (cfg->gw == NULL || flush == NULL) {
		snprintf(err, errlen, "%s: out of memory", c.file);
		goto out;
	}

	/* Pass 1: [Failover], whose health keys are the gateways' defaults
	 * wherever it stands. */
	for (i = 0; i < c.nent; i++)
		if (conf_section_is(&c.ent[i], "Failover") &&
		    parse_failover(cfg, &c, &c.ent[i], &defh, err, errlen) < 0)
			goto out;

	for (s = 0; s < c.nsect; s++)
		if (strcasecmp(c.sect[s], "Failover") == 0) {
			if (health_check(&c, c.sect_line[s], &defh, err,
			    errlen) < 0)
				goto out;
			break;
		}

	/* Pass 2: gateways. */
	for (s = 0; s < c.nsect; s++) {
		struct failover_gw *gw;

		if (strcasecmp(c.sect[s], "Gateway") != 0)
			continue;
		gw = &cfg->gw[cfg->ngw];
		gw->h = defh;
		gw->weight = 1;
		gw->tier = 1;
		gw->line = c.sect_line[s];
		flush[cfg->ngw] = -1;
		for (i = 0; i < c.nent; i++)
			if (c.ent[i].sect_idx == s &&
			    parse_gateway(cfg, gw, &c, &c.ent[i],
			    &flush[cfg->ngw], err, errlen) < 0)
				goto out;
		if (gw->name[0] == '\0') {
			snprintf(err, errlen, "%s:%u: [Gateway] without Name",
			    c.file, gw->line);
			goto out;
		}
		if (find_gw(cfg, gw->name) >= 0) {
			snprintf(err, errlen, "%s:%u: a [Gateway] named \"%s\" "
			    "already exists", c.file, gw->line, gw->name);
			goto out;
		}
		if (gw->dev[0] == '\0') {
			snprintf(err, errlen, "%s:%u: [Gateway] %s has no "
			    "Device", c.file, gw->line, gw->name);
			goto out;
		}
		if (health_check(&c, gw->line, &gw->h, err, errlen) < 0)
			goto out;
		if (gw->nmatch == 0)
			strlcpy(gw->match[gw->nmatch++], gw->name, FO_NAMELEN);
		gw->flush_ct = flush[cfg->ngw] < 0 ? gw->metered :
		    flush[cfg->ngw] == 1;
		cfg->ngw++;
	}

	/* Pass 3: groups, or one group of every gateway. */
	cfg->ngroup = 0;
	for (s = 0; s < c.nsect; s++) {
		struct failover_group *g;

		if (strcasecmp(c.sect[s], "Group") != 0)
			continue;
		g = &cfg->group[cfg->ngroup];
		g->line = c.sect_line[s];
		for (i = 0; i < c.nent; i++)
			if (c.ent[i].sect_idx == s &&
			    parse_group(cfg, g, &c, &c.ent[i], err, errlen) < 0)
				goto out;
		if (g->name[0] == '\0')
			snprintf(g->name, sizeof(g->name), "group%zu",
			    cfg->ngroup + 1);
		for (j = 0; j < cfg->ngroup; j++)
			if (strcmp(cfg->group[j].name, g->name) == 0) {
				snprintf(err, errlen, "%s:%u: a [Group] named "
				    "\"%s\" already exists", c.file, g->line,
				    g->name);
				goto out;
			}
		cfg->ngroup++;
	}
	if (cfg->ngroup == 0) {
		struct failover_group *g = &cfg->group[cfg->ngroup++];

		strlcpy(g->name, "default", sizeof(g->name));
	}
	for (j = 0; j < cfg->ngroup; j++) {
		struct failover_group *g = &cfg->group[j];

		if (g->ngw == 0)
			for (i = 0; i < cfg->ngw; i++)
				g->gw[g->ngw++] = (unsigned int)i;
		if (g->ndst == 0)
			group_default_dst(cfg, g);
		for (i = 0; i < g->ndst; i++) {
			char pb[PREFIX_STRLEN];

			if (!group_reaches(cfg, g, &g->dst[i])) {
				snprintf(err, errlen, "%s:%u: [Group] %s: no "
				    "gateway has a next hop for %s", c.file,
				    g->line, g->name, prefix_ntop(&g->dst[i],
				    pb, sizeof(pb)));
				goto out;
			}
			for (k = 0; k < i; k++)
				if (prefix_equal(&g->dst[k], &g->dst[i])) {
					snprintf(err, errlen, "%s:%u: [Group] "
					    "%s: Destination %s twice", c.file,
					    g->line, g->name, prefix_ntop(
					    &g->dst[i], pb, sizeof(pb)));
					goto out;
				}
		}
	}
	/* Two groups must not program the same route. */
	for (j = 0; j < cfg->ngroup; j++)
		for (k = 0; k < j; k++) {
			const struct failover_group *a = &cfg->group[j];
			const struct failover_group *b = &cfg->group[k];
			size_t x, y;

			if (a->table != b->table || a->metric != b->metric)
				continue;
			for (x = 0; x < a->ndst; x++)
				for (y = 0; y < b->ndst; y++)
					if (prefix_equal(&a->dst[x],
					    &b->dst[y])) {
						snprintf(err, errlen, "%s:%u: "
						    "[Group] %s programs the "
						    "same route as [Group] %s",
						    c.file, a->line, a->name,
						    b->name);
						goto out;
					}
		}
	ret = 0;
out:
	free(flush);
	return ret;
}

static void
cfg_init(struct failover_cfg *cfg, const char *name)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->file = strdup(name);
	strlcpy(cfg->state_file, DEFAULT_STATE_FILE, sizeof(cfg->state_file));
	cfg->stream_timeout_ms = 5000;
	cfg->start_wait_ms = 3000;
	cfg->protocol = FO_RTPROT;
}

int
failover_cfg_parse(struct failover_cfg *cfg, const char *name,
    const char *data, size_t len, char *err, size_t errlen)
{
	struct conf c;
	int ret = -1;

	cfg_init(cfg, name);
	memset(&c, 0, sizeof(c));
	if (conf_parse(&c, name, data, len, err, errlen) == 0)
		ret = cfg_build(cfg, &c, err, errlen);
	conf_free(&c);
	return ret;
}

int
failover_cfg_load(struct failover_cfg *cfg, const char *path, char *err,
    size_t errlen)
{
	struct conf c;
	int ret = -1;

	cfg_init(cfg, path);
	memset(&c, 0, sizeof(c));
	if (conf_load(&c, path, err, errlen) == 0)
		ret = cfg_build(cfg, &c, err, errlen);
	conf_free(&c);
	return ret;
}

void
failover_cfg_free(struct failover_cfg *cfg)
{
	free(cfg->file);
	free(cfg->gw);
	memset(cfg, 0, sizeof(*cfg));
}
