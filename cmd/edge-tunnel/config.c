// SPDX-License-Identifier: ISC
/*
 * The configuration: wg-quick(8) files unchanged, plus edgekit's keys
 * (Rule, Route, per-peer Table, Masquerade, Forward, Block, [Wire] and
 * [Bridge] sections).  Everything is checked before anything is changed;
 * each error names file:line.  Private and preshared keys never appear in
 * messages.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "conf.h"
#include "tunnel.h"

#define MAX_ITEMS	1024

static const char *hook_keys[4] = { "PreUp", "PostUp", "PreDown", "PostDown" };

uint32_t
tunnel_vxlan_overhead(uint8_t family)
{
	/* outer IP + UDP 8 + VXLAN 8 + inner Ethernet 14 */
	return (family == AF_INET6 ? 40 : 20) + 8 + 8 + 14;
}

static bool
valid_ifname(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= IFNAMSIZ || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]))
			return false;
	return true;
}

int
tunnel_conf_path(const char *arg, char *path, size_t pathlen,
    char ifname[IFNAMSIZ], char *err, size_t errlen)
{
	static const char *dirs[] = { "/etc/edgekit", "/etc/wireguard" };
	const char *base, *dot;
	size_t n, i;

	if (strchr(arg, '/') == NULL && strchr(arg, '.') == NULL) {
		if (!valid_ifname(arg)) {
			snprintf(err, errlen, "%s: not a valid interface name",
			    arg);
			return -1;
		}
		for (i = 0; i < 2; i++) {
			snprintf(path, pathlen, "%s/%s.conf", dirs[i], arg);
			if (access(path, F_OK) == 0)
				break;
		}
		if (i == 2) {
			snprintf(err, errlen, "%s: no /etc/edgekit/%s.conf or "
			    "/etc/wireguard/%s.conf", arg, arg, arg);
			return -1;
		}
		strlcpy(ifname, arg, IFNAMSIZ);
		return 0;
	}
	if (strlcpy(path, arg, pathlen) >= pathlen) {
		snprintf(err, errlen, "%s: path too long", arg);
		return -1;
	}
	base = strrchr(arg, '/');
	base = base ? base + 1 : arg;
	dot = strrchr(base, '.');
	n = dot && strcmp(dot, ".conf") == 0 ? (size_t)(dot - base) :
	    strlen(base);
	if (n == 0 || n >= IFNAMSIZ) {
		snprintf(err, errlen, "%s: the file name does not make an "
		    "interface name (1 to %d characters before .conf)", arg,
		    IFNAMSIZ - 1);
		return -1;
	}
	memcpy(ifname, base, n);
	ifname[n] = '\0';
	if (!valid_ifname(ifname)) {
		snprintf(err, errlen, "%s: \"%s\" is not a valid interface "
		    "name", arg, ifname);
		return -1;
	}
	return 0;
}

int
tunnel_check_mode(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s: mode %04o gives access to group or "
		    "others; it holds keys (chmod 600)", path,
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* ---- value parsers ---- */

static bool
parse_num(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s == '\0' || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

static bool
parse_bool(const char *s, bool *out)
{
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 ||
	    strcasecmp(s, "on") == 0 || strcmp(s, "1") == 0)
		*out = true;
	else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 ||
	    strcasecmp(s, "off") == 0 || strcmp(s, "0") == 0)
		*out = false;
	else
		return false;
	return true;
}

static bool
parse_table(const char *s, enum tunnel_table *mode, uint32_t *table)
{
	uint64_t v;

	if (strcasecmp(s, "auto") == 0) {
		*mode = TABLE_AUTO;
		*table = 0;
	} else if (strcasecmp(s, "off") == 0) {
		*mode = TABLE_OFF;
		*table = 0;
	} else if (strcasecmp(s, "main") == 0) {
		*mode = TABLE_NUM;
		*table = RT_TABLE_MAIN;
	} else if (parse_num(s, UINT32_MAX, &v) && v != 0 &&
	    v != RT_TABLE_LOCAL) {
		*mode = TABLE_NUM;
		*table = (uint32_t)v;
	} else
		return false;
	return true;
}

/* A table number for Rule/Route: "main" or 1..2^32-1. */
static bool
parse_table_num(const char *s, uint32_t *table)
{
	enum tunnel_table mode;

	return parse_table(s, &mode, table) && mode == TABLE_NUM;
}

static bool
read_key_file(const char *path, uint8_t key[WG_KEY_LEN], char *why,
    size_t whylen)
{
	char buf[128];
	ssize_t n;
	int fd;

	if (tunnel_check_mode(path, why, whylen) < 0)
		return false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return false;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return false;
	}
	buf[n] = '\0';
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	if (!wg_key_from_base64(key, buf)) {
		explicit_bzero(buf, sizeof(buf));
		snprintf(why, whylen, "%s: not a base64 WireGuard key", path);
		return false;
	}
	explicit_bzero(buf, sizeof(buf));
	return true;
}

/* ---- growing arrays ---- */

static void *
grow(void *v, size_t *n, size_t size)
{
	char *p = reallocarray(v, *n + 1, size);

	if (p == NULL)
		return NULL;
	memset(p + *n * size, 0, size);
	(*n)++;
	return p;
}

#define PUSH(arr, n) do {						\
	void *_p = grow((arr), &(n), sizeof(*(arr)));			\
	if (_p == NULL)							\
		return conf_err(err, errlen, c, e, "out of memory");	\
	(arr) = _p;							\
} while (0)

static int
push_str(char ***v, size_t *n, const char *s)
{
	char **nv = reallocarray(*v, *n + 1, sizeof(*nv));

	if (nv == NULL)
		return -1;
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

/* ---- the edgekit keys ---- */

static int
tokenize(char *s, char **tok, int max)
{
	int n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(s, " \t", &save); t != NULL;
	    t = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return -1;
		tok[n++] = t;
	}
	return n;
}

static int
parse_rule(struct tunnel_conf *tc, const struct conf *c,
    const struct conf_entry *e, char *err, size_t errlen)
{
	struct nl_rule r;
	char buf[512], *tok[16], why[160];
	uint64_t v;
	int n, i, fam = 0;
	bool has_table = false;
	char *slash;

	nl_rule_init(&r, AF_UNSPEC);
	r.protocol = TUNNEL_PROTO;
	if (strlcpy(buf, e->value, sizeof(buf)) >= sizeof(buf) ||
	    (n = tokenize(buf, tok, 16)) < 0)
		return conf_err(err, errlen, c, e, "Rule too long");
	for (i = 0; i < n; i++) {
		const char *k = tok[i], *val = i + 1 < n ? tok[i + 1] : NULL;

		if (strcmp(k, "not") == 0) {
			r.invert = true;
			continue;
		}
		if (val == NULL)
			return conf_err(err, errlen, c, e,
			    "Rule: \"%s\" needs a value", k);
		i++;
		if (strcmp(k, "from") == 0 || strcmp(k, "to") == 0) {
			struct prefix *p = k[0] == 'f' ? &r.src : &r.dst;

			if (strcmp(val, "all") == 0)
				continue;
			if (!prefix_parse(val, p, PREFIX_ADDR_OK, why,
			    sizeof(why)))
				return conf_err(err, errlen, c, e, "Rule: %s",
				    why);
			if (fam != 0 && fam != p->family)
				return conf_err(err, errlen, c, e,
				    "Rule: from and to mix IPv4 and IPv6");
			fam = p->family;
		} else if (strcmp(k, "fwmark") == 0) {
			if ((slash = strchr(val, '/')) != NULL)
				*slash++ = '\0';
			if (!parse_num(val, UINT32_MAX, &v))
				return conf_err(err, errlen, c, e,
				    "Rule: bad fwmark \"%s\"", val);
			r.has_fwmark = true;
			r.fwmark = (uint32_t)v;
			if (slash != NULL) {
				if (!parse_num(slash, UINT32_MAX, &v))
					return conf_err(err, errlen, c, e,
					    "Rule: bad fwmark mask \"%s\"",
					    slash);
				r.fwmask = (uint32_t)v;
			}
		} else if (strcmp(k, "iif") == 0) {
			if (!valid_ifname(val))
				return conf_err(err, errlen, c, e,
				    "Rule: bad interface \"%s\"", val);
			strlcpy(r.iif, val, sizeof(r.iif));
		} else if (strcmp(k, "oif") == 0) {
			if (!valid_ifname(val))
				return conf_err(err, errlen, c, e,
				    "Rule: bad interface \"%s\"", val);
			strlcpy(r.oif, val, sizeof(r.oif));
		} else if (strcmp(k, "table") == 0 || strcmp(k, "lookup") == 0) {
			if (!parse_table_num(val, &r.table))
				return conf_err(err, errlen, c, e,
				    "Rule: bad table \"%s\"", val);
			has_table = true;
		} else if (strcmp(k, "priority") == 0 ||
		    strcmp(k, "pref") == 0 || strcmp(k, "prio") == 0) {
			if (!parse_num(val, UINT32_MAX, &v) || v == 0)
				return conf_err(err, errlen, c, e,
				    "Rule: bad priority \"%s\"", val);
			r.priority = (uint32_t)v;
		} else
			return conf_err(err, errlen, c, e,
			    "Rule: unknown word \"%s\"", k);
	}
	if (!has_table)
		return conf_err(err, errlen, c, e, "Rule: no table");
	/* A rule with no address applies to both families. */
	for (i = 0; i < 2; i++) {
		int f = i == 0 ? AF_INET : AF_INET6;

		if (fam != 0 && fam != f)
			continue;
		r.family = (uint8_t)f;
		PUSH(tc->rules, tc->nrules);
		tc->nrules--;
		{
			unsigned int *nl = reallocarray(tc->rule_line,
			    tc->nrules + 1, sizeof(*nl));

			if (nl == NULL)
				return conf_err(err, errlen, c, e,
				    "out of memory");
			tc->rule_line = nl;
		}
		tc->rules[tc->nrules] = r;
		tc->rule_line[tc->nrules] = e->line;
		tc->nrules++;
	}
	return 0;
}

static int
parse_route(struct tunnel_conf *tc, const struct conf *c,
    const struct conf_entry *e, char *err, size_t errlen)
{
	struct tunnel_route rt;
	char buf[512], *tok[16], why[160];
	uint64_t v;
	int n, i, fam;

	memset(&rt, 0, sizeof(rt));
	rt.line = e->line;
	if (strlcpy(buf, e->value, sizeof(buf)) >= sizeof(buf) ||
	    (n = tokenize(buf, tok, 16)) < 1)
		return conf_err(err, errlen, c, e, "Route: needs a prefix");
	if (!prefix_parse(tok[0], &rt.dst, PREFIX_ADDR_OK, why, sizeof(why)))
		return conf_err(err, errlen, c, e, "Route: %s", why);
	for (i = 1; i < n; i += 2) {
		if (i + 1 >= n)
			return conf_err(err, errlen, c, e,
			    "Route: \"%s\" needs a value", tok[i]);
		if (strcmp(tok[i], "via") == 0) {
			if (!addr_parse(tok[i + 1], &fam, &rt.gw, why,
			    sizeof(why)))
				return conf_err(err, errlen, c, e, "Route: %s",
				    why);
			rt.gw_family = (uint8_t)fam;
		} else if (strcmp(tok[i], "table") == 0) {
			if (!parse_table_num(tok[i + 1], &rt.table))
				return conf_err(err, errlen, c, e,
				    "Route: bad table \"%s\"", tok[i + 1]);
		} else if (strcmp(tok[i], "metric") == 0) {
			if (!parse_num(tok[i + 1], UINT32_MAX, &v))
				return conf_err(err, errlen, c, e,
				    "Route: bad metric \"%s\"", tok[i + 1]);
			rt.metric = (uint32_t)v;
		} else
			return conf_err(err, errlen, c, e,
			    "Route: unknown word \"%s\"", tok[i]);
	}
	PUSH(tc->routes, tc->nroutes);
	tc->routes[tc->nroutes - 1] = rt;
	return 0;
}

static int
parse_masq(struct tunnel_conf *tc, const struct conf *c,
    const struct conf_entry *e, char *err, size_t errlen)
{
	struct tunnel_masq m;
	char buf[256], *tok[4], why[160];
	int n;

	memset(&m, 0, sizeof(m));
	m.line = e->line;
	if (strlcpy(buf, e->value, sizeof(buf)) >= sizeof(buf) ||
	    (n = tokenize(buf, tok, 4)) < 1)
		return conf_err(err, errlen, c, e,
		    "Masquerade: needs a source prefix");
	if (!prefix_parse(tok[0], &m.src, PREFIX_ADDR_OK, why, sizeof(why)))
		return conf_err(err, errlen, c, e, "Masquerade: %s", why);
	if (n == 3 && strcmp(tok[1], "oif") == 0 && valid_ifname(tok[2]))
		strlcpy(m.oif, tok[2], sizeof(m.oif));
	else if (n != 1)
		return conf_err(err, errlen, c, e,
		    "Masquerade: expected PREFIX [oif IF]");
	PUSH(tc->masq, tc->nmasq);
	tc->masq[tc->nmasq - 1] = m;
	return 0;
}

static int
parse_forward(struct tunnel_conf *tc, const struct conf *c,
    const struct conf_entry *e, char *err, size_t errlen)
{
	struct tunnel_fwd f;
	char buf[256], *tok[6], why[160], *host, *port = NULL;
	uint64_t v;
	int n, fam;

	memset(&f, 0, sizeof(f));
	f.line = e->line;
	if (strlcpy(buf, e->value, sizeof(buf)) >= sizeof(buf) ||
	    (n = tokenize(buf, tok, 6)) != 4 || strcmp(tok[2], "to") != 0)
		return conf_err(err, errlen, c, e,
		    "Forward: expected tcp|udp PORT to ADDR[:PORT]");
	if (strcmp(tok[0], "tcp") == 0)
		f.l4proto = IPPROTO_TCP;
	else if (strcmp(tok[0], "udp") == 0)
		f.l4proto = IPPROTO_UDP;
	else
		return conf_err(err, errlen, c, e,
		    "Forward: protocol must be tcp or udp, not \"%s\"", tok[0]);
	if (!parse_num(tok[1], 65535, &v) || v == 0)
		return conf_err(err, errlen, c, e, "Forward: bad port \"%s\"",
		    tok[1]);
	f.port = (uint16_t)v;
	host = tok[3];
	if (host[0] == '[') {
		char *end = strchr(host, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return conf_err(err, errlen, c, e,
			    "Forward: bad address \"%s\"", tok[3]);
		*end = '\0';
		if (end[1] == ':')
			port = end + 2;
		host++;
	} else if (strchr(host, ':') == strrchr(host, ':') &&
	    (port = strchr(host, ':')) != NULL)
		*port++ = '\0';
	if (!addr_parse(host, &fam, &f.addr, why, sizeof(why)))
		return conf_err(err, errlen, c, e, "Forward: %s", why);
	f.family = (uint8_t)fam;
	if (port != NULL) {
		if (!parse_num(port, 65535, &v) || v == 0)
			return conf_err(err, errlen, c, e,
			    "Forward: bad port \"%s\"", port);
		f.to_port = (uint16_t)v;
	}
	PUSH(tc->fwd, tc->nfwd);
	tc->fwd[tc->nfwd - 1] = f;
	return 0;
}

static int
parse_block(struct tunnel_conf *tc, const struct conf *c,
    const struct conf_entry *e, char *err, size_t errlen)
{
	struct tunnel_block b;
	char buf[256], *tok[5], why[160];
	int n;

	memset(&b, 0, sizeof(b));
	b.line = e->line;
	if (strlcpy(buf, e->value, sizeof(buf)) >= sizeof(buf) ||
	    (n = tokenize(buf, tok, 5)) != 4 || strcmp(tok[0], "from") != 0 ||
	    strcmp(tok[2], "to") != 0)
		return conf_err(err, errlen, c, e,
		    "Block: expected from PREFIX to PREFIX");
	if (!prefix_parse(tok[1], &b.from, PREFIX_ADDR_OK, why, sizeof(why)) ||
	    !prefix_parse(tok[3], &b.to, PREFIX_ADDR_OK, why, sizeof(why)))
		return conf_err(err, errlen, c, e, "Block: %s", why);
	if (b.from.family != b.to.family)
		return conf_err(err, errlen, c, e,
		    "Block: from and to mix IPv4 and IPv6");
	PUSH(tc->block, tc->nblock);
	tc->block[tc->nblock - 1] = b;
	return 0;
}

/* Address lists: interface and bridge addresses keep their host bits. */
static int
parse_addrs(struct prefix **v, size_t *nv, const struct conf *c,
    const struct conf_entry *e, char *err, size_t errlen)
{
	char *copy, *items[MAX_ITEMS], why[160];
	int n, i;

	if ((copy = strdup(e->value)) == NULL)
		return conf_err(err, errlen, c, e, "out of memory");
	if ((n = conf_split(copy, items, MAX_ITEMS)) < 0) {
		free(copy);
		return conf_err(err, errlen, c, e, "too many addresses");
	}
	for (i = 0; i < n; i++) {
		struct prefix p, q;
		struct prefix *nvv;

		/* Parse once normalised for validity, keep the host bits. */
		if (!prefix_parse(items[i], &q, PREFIX_NORMALIZE |
		    PREFIX_ADDR_OK, why, sizeof(why))) {
			free(copy);
			return conf_err(err, errlen, c, e, "Address: %s", why);
		}
		{
			char a[INET6_ADDRSTRLEN + 1], *slash;
			int fam;

			strlcpy(a, items[i], sizeof(a));
			if ((slash = strchr(a, '/')) != NULL)
				*slash = '\0';
			p = q;
			if (!addr_parse(a, &fam, &p.addr, why, sizeof(why))) {
				free(copy);
				return conf_err(err, errlen, c, e,
				    "Address: %s", why);
			}
		}
		if ((nvv = reallocarray(*v, *nv + 1, sizeof(**v))) == NULL) {
			free(copy);
			return conf_err(err, errlen, c, e, "out of memory");
		}
		*v = nvv;
		(*v)[(*nv)++] = p;
	}
	free(copy);
	return 0;
}

/* ---- sections ---- */

enum sect { S_NONE, S_INTERFACE, S_PEER, S_WIRE, S_BRIDGE };

static int
interface_key(struct tunnel_conf *tc, const struct conf *c,
    const struct conf_entry *e, bool keyfiles, char *err, size_t errlen)
{
	char why[256];
	uint64_t v;
	int i;

	if (conf_key_is(e, "PrivateKey")) {
		if (!wg_key_from_base64(tc->wg.private_key, e->value))
			return conf_err(err, errlen, c, e,
			    "PrivateKey is not a base64 WireGuard key");
		tc->wg.flags |= WG_DEVICE_HAS_PRIVATE_KEY;
	} else if (conf_key_is(e, "PrivateKeyFile")) {
		if (!keyfiles)
			return conf_err(err, errlen, c, e,
			    "PrivateKeyFile is not allowed here");
		if (!read_key_file(e->value, tc->wg.private_key, why,
		    sizeof(why)))
			return conf_err(err, errlen, c, e, "%s", why);
		tc->wg.flags |= WG_DEVICE_HAS_PRIVATE_KEY;
	} else if (conf_key_is(e, "ListenPort")) {
		if (!parse_num(e->value, 65535, &v))
			return conf_err(err, errlen, c, e,
			    "ListenPort: bad port \"%s\"", e->value);
		tc->wg.listen_port = (uint16_t)v;
		tc->wg.flags |= WG_DEVICE_HAS_LISTEN_PORT;
	} else if (conf_key_is(e, "FwMark")) {
		if (strcasecmp(e->value, "off") == 0)
			v = 0;
		else if (!parse_num(e->value, UINT32_MAX, &v))
			return conf_err(err, errlen, c, e,
			    "FwMark: bad mark \"%s\"", e->value);
		tc->wg.fwmark = (uint32_t)v;
		tc->wg.flags |= WG_DEVICE_HAS_FWMARK;
	} else if (conf_key_is(e, "Address")) {
		return parse_addrs(&tc->addrs, &tc->naddrs, c, e, err, errlen);
	} else if (conf_key_is(e, "DNS")) {
		char *copy = strdup(e->value), *items[64];
		int n;

		if (copy == NULL || (n = conf_split(copy, items, 64)) < 0) {
			free(copy);
			return conf_err(err, errlen, c, e, "DNS: too long");
		}
		for (i = 0; i < n; i++)
			push_str(&tc->dns, &tc->ndns, items[i]);
		free(copy);
	} else if (conf_key_is(e, "MTU")) {
		if (!parse_num(e->value, 65535, &v) || v < 576)
			return conf_err(err, errlen, c, e,
			    "MTU: \"%s\" is not 576..65535", e->value);
		tc->mtu = (uint32_t)v;
	} else if (conf_key_is(e, "Table")) {
		if (!parse_table(e->value, &tc->table_mode, &tc->table))
			return conf_err(err, errlen, c, e,
			    "Table: expected auto, off or a number, not \"%s\"",
			    e->value);
	} else if (conf_key_is(e, "SaveConfig")) {
		if (!parse_bool(e->value, &tc->save_config))
			return conf_err(err, errlen, c, e,
			    "SaveConfig: expected true or false");
	} else if (conf_key_is(e, "ReturnMark")) {
		if (!parse_num(e->value, UINT32_MAX, &v) || v == 0 ||
		    (v >= RT_TABLE_DEFAULT && v <= RT_TABLE_LOCAL))
			return conf_err(err, errlen, c, e,
			    "ReturnMark: \"%s\" is not a mark and table number "
			    "(1..4294967295, not 253..255)", e->value);
		tc->return_mark = (uint32_t)v;
		tc->return_mark_line = e->line;
	} else if (conf_key_is(e, "Rule")) {
		return parse_rule(tc, c, e, err, errlen);
	} else if (conf_key_is(e, "Route")) {
		return parse_route(tc, c, e, err, errlen);
	} else if (conf_key_is(e, "Masquerade")) {
		return parse_masq(tc, c, e, err, errlen);
	} else if (conf_key_is(e, "Forward")) {
		return parse_forward(tc, c, e, err, errlen);
	} else if (conf_key_is(e, "Block")) {
		return parse_block(tc, c, e, err, errlen);
	} else {
		for (i = 0; i < 4; i++)
			if (conf_key_is(e, hook_keys[i])) {
				if (push_str(&tc->hooks[i], &tc->nhooks[i],
				    e->value) < 0)
					return conf_err(err, errlen, c, e,
					    "out of memory");
				return 0;
			}
		return conf_err(err, errlen, c, e,
		    "unknown key \"%s\" in [Interface]", e->key);
	}
	return 0;
}

static int
peer_key(struct tunnel_conf *tc, struct wg_peer *p,
    struct tunnel_peer_extra *x, bool *has_key, const struct conf *c,
    const struct conf_entry *e, bool keyfiles, char *err, size_t errlen)
{
	char why[256];
	uint64_t v;

	if (conf_key_is(e, "PublicKey")) {
		if (!wg_key_from_base64(p->public_key, e->value))
			return conf_err(err, errlen, c, e,
			    "PublicKey \"%s\" is not a base64 WireGuard key",
			    e->value);
		*has_key = true;
	} else if (conf_key_is(e, "PresharedKey") ||
	    conf_key_is(e, "PresharedKeyFile")) {
		if (conf_key_is(e, "PresharedKeyFile")) {
			if (!keyfiles)
				return conf_err(err, errlen, c, e,
				    "PresharedKeyFile is not allowed here");
			if (!read_key_file(e->value, p->preshared_key, why,
			    sizeof(why)))
				return conf_err(err, errlen, c, e, "%s", why);
		} else if (!wg_key_from_base64(p->preshared_key, e->value))
			return conf_err(err, errlen, c, e,
			    "PresharedKey is not a base64 WireGuard key");
		p->flags |= WG_PEER_HAS_PRESHARED_KEY;
	} else if (conf_key_is(e, "AllowedIPs")) {
		char *copy = strdup(e->value), *items[MAX_ITEMS];
		int n, i;

		if (copy == NULL || (n = conf_split(copy, items,
		    MAX_ITEMS)) < 0) {
			free(copy);
			return conf_err(err, errlen, c, e,
			    "AllowedIPs: too many on one line");
		}
		for (i = 0; i < n; i++) {
			struct prefix pf;

			if (!prefix_parse(items[i], &pf, PREFIX_NORMALIZE |
			    PREFIX_ADDR_OK, why, sizeof(why))) {
				free(copy);
				return conf_err(err, errlen, c, e,
				    "AllowedIPs: %s", why);
			}
			if (wg_peer_add_allowedip(p, &pf) < 0) {
				free(copy);
				return conf_err(err, errlen, c, e,
				    "out of memory");
			}
		}
		free(copy);
	} else if (conf_key_is(e, "Endpoint")) {
		const char *s = e->value, *colon;

		if (wg_endpoint_parse(&p->endpoint, s)) {
			p->flags |= WG_PEER_HAS_ENDPOINT;
			return 0;
		}
		/* A name: HOST:PORT, resolved later. */
		colon = strrchr(s, ':');
		if (colon == NULL || colon == s || s[0] == '[' ||
		    !parse_num(colon + 1, 65535, &v) || v == 0 ||
		    memchr(s, ':', (size_t)(colon - s)) != NULL)
			return conf_err(err, errlen, c, e,
			    "Endpoint \"%s\" is not HOST:PORT", s);
		free(x->host);
		free(x->port);
		x->host = strndup(s, (size_t)(colon - s));
		x->port = strdup(colon + 1);
		if (x->host == NULL || x->port == NULL)
			return conf_err(err, errlen, c, e, "out of memory");
	} else if (conf_key_is(e, "PersistentKeepalive")) {
		if (strcasecmp(e->value, "off") == 0)
			v = 0;
		else if (!parse_num(e->value, 65535, &v))
			return conf_err(err, errlen, c, e,
			    "PersistentKeepalive: \"%s\" is not 0..65535 or off",
			    e->value);
		p->keepalive = (uint16_t)v;
		p->flags |= WG_PEER_HAS_KEEPALIVE;
	} else if (conf_key_is(e, "Table")) {
		if (!parse_table(e->value, &x->table_mode, &x->table))
			return conf_err(err, errlen, c, e,
			    "Table: expected auto, off or a number, not \"%s\"",
			    e->value);
		x->has_table = true;
	} else
		return conf_err(err, errlen, c, e,
		    "unknown key \"%s\" in [Peer]", e->key);
	(void)tc;
	return 0;
}

static int
wire_key(struct tunnel_wire *w, const struct conf *c,
    const struct conf_entry *e, char *err, size_t errlen)
{
	char why[160];
	uint64_t v;
	int fam;
	bool b;

	if (conf_key_is(e, "Name")) {
		if (!valid_ifname(e->value))
			return conf_err(err, errlen, c, e,
			    "Name: \"%s\" is not an interface name", e->value);
		strlcpy(w->name, e->value, sizeof(w->name));
	} else if (conf_key_is(e, "VNI")) {
		if (!parse_num(e->value, 0xffffff, &v))
			return conf_err(err, errlen, c, e,
			    "VNI: \"%s\" is not 0..16777215", e->value);
		w->vni = (uint32_t)v;
	} else if (conf_key_is(e, "Local") || conf_key_is(e, "Remote")) {
		union edge_addr *a = conf_key_is(e, "Local") ? &w->local :
		    &w->remote;

		if (!addr_parse(e->value, &fam, a, why, sizeof(why)))
			return conf_err(err, errlen, c, e, "%s: %s", e->key,
			    why);
		if (w->family != 0 && w->family != fam)
			return conf_err(err, errlen, c, e,
			    "Local and Remote mix IPv4 and IPv6");
		w->family = (uint8_t)fam;
	} else if (conf_key_is(e, "Port")) {
		if (!parse_num(e->value, 65535, &v) || v == 0)
			return conf_err(err, errlen, c, e,
			    "Port: bad port \"%s\"", e->value);
		w->port = (uint16_t)v;
	} else if (conf_key_is(e, "Bridge")) {
		if (!valid_ifname(e->value))
			return conf_err(err, errlen, c, e,
			    "Bridge: \"%s\" is not an interface name", e->value);
		strlcpy(w->bridge, e->value, sizeof(w->bridge));
	} else if (conf_key_is(e, "MTU")) {
		if (!parse_num(e->value, 65535, &v) || v < 576)
			return conf_err(err, errlen, c, e,
			    "MTU: \"%s\" is not 576..65535", e->value);
		w->mtu = (uint32_t)v;
	} else if (conf_key_is(e, "Checksum")) {
		if (!parse_bool(e->value, &b))
			return conf_err(err, errlen, c, e,
			    "Checksum: expected on or off");
		w->no_csum = !b;
	} else
		return conf_err(err, errlen, c, e,
		    "unknown key \"%s\" in [Wire]", e->key);
	return 0;
}

static int
bridge_key(struct tunnel_bridge *b, const struct conf *c,
    const struct conf_entry *e, char *err, size_t errlen)
{
	uint64_t v;

	if (conf_key_is(e, "Name")) {
		if (!valid_ifname(e->value))
			return conf_err(err, errlen, c, e,
			    "Name: \"%s\" is not an interface name", e->value);
		strlcpy(b->name, e->value, sizeof(b->name));
	} else if (conf_key_is(e, "STP")) {
		if (!parse_bool(e->value, &b->stp))
			return conf_err(err, errlen, c, e,
			    "STP: expected on or off");
	} else if (conf_key_is(e, "ForwardDelay")) {
		/* Seconds; the kernel takes 2..30 with STP on. */
		if (!parse_num(e->value, 30, &v) || v < 2)
			return conf_err(err, errlen, c, e,
			    "ForwardDelay: \"%s\" is not 2..30 seconds",
			    e->value);
		b->forward_delay = (uint32_t)v * 100;
	} else if (conf_key_is(e, "MaxAge")) {
		/* Seconds; the kernel takes 6..40. */
		if (!parse_num(e->value, 40, &v) || v < 6)
			return conf_err(err, errlen, c, e,
			    "MaxAge: \"%s\" is not 6..40 seconds", e->value);
		b->max_age = (uint32_t)v * 100;
	} else if (conf_key_is(e, "MTU")) {
		if (!parse_num(e->value, 65535, &v) || v < 576)
			return conf_err(err, errlen, c, e,
			    "MTU: \"%s\" is not 576..65535", e->value);
		b->mtu = (uint32_t)v;
	} else if (conf_key_is(e, "Address")) {
		return parse_addrs(&b->addrs, &b->naddrs, c, e, err, errlen);
	} else
		return conf_err(err, errlen, c, e,
		    "unknown key \"%s\" in [Bridge]", e->key);
	return 0;
}

/* Checks across sections, once everything is read. */
static int
check_all(struct tunnel_conf *tc, const struct conf *c, char *err,
    size_t errlen)
{
	size_t i, j;

	if (!(tc->wg.flags & WG_DEVICE_HAS_PRIVATE_KEY)) {
		snprintf(err, errlen, "%s: [Interface] has no PrivateKey",
		    c->file);
		return -1;
	}
	for (i = 0; i < tc->wg.npeers; i++)
		for (j = 0; j < i; j++)
			if (wg_key_equal(tc->wg.peers[i].public_key,
			    tc->wg.peers[j].public_key)) {
				snprintf(err, errlen, "%s:%u: this PublicKey "
				    "is already used by the peer at line %u",
				    c->file, tc->px[i].line, tc->px[j].line);
				return -1;
			}
	if (tc->return_mark != 0) {
		bool any = false;

		for (i = 0; i < tc->wg.npeers; i++)
			for (j = 0; j < tc->wg.peers[i].nallowedips; j++)
				if (tc->wg.peers[i].allowedips[j].len == 0)
					any = true;
		if (!any) {
			snprintf(err, errlen, "%s:%u: ReturnMark: no peer has "
			    "AllowedIPs 0.0.0.0/0 or ::/0, so replies to "
			    "other addresses cannot go back through the "
			    "tunnel", c->file, tc->return_mark_line);
			return -1;
		}
		if ((tc->wg.flags & WG_DEVICE_HAS_FWMARK) &&
		    tc->wg.fwmark == tc->return_mark) {
			snprintf(err, errlen, "%s:%u: ReturnMark is the "
			    "tunnel's own FwMark", c->file,
			    tc->return_mark_line);
			return -1;
		}
	}
	for (i = 0; i < tc->nwires; i++) {
		struct tunnel_wire *w = &tc->wires[i];
		uint32_t max;

		static const union edge_addr zero;

		if (w->name[0] == '\0' || w->family == 0 ||
		    memcmp(&w->local, &zero, sizeof(zero)) == 0 ||
		    memcmp(&w->remote, &zero, sizeof(zero)) == 0) {
			snprintf(err, errlen, "%s:%u: a [Wire] needs Name, "
			    "Local and Remote", c->file, w->line);
			return -1;
		}
		if (w->port == 0)
			w->port = TUNNEL_VXLAN_PORT;
		for (j = 0; j < i; j++)
			if (strcmp(tc->wires[j].name, w->name) == 0) {
				snprintf(err, errlen, "%s:%u: wire %s is "
				    "already defined at line %u", c->file,
				    w->line, w->name, tc->wires[j].line);
				return -1;
			}
		if (strcmp(w->name, tc->name) == 0) {
			snprintf(err, errlen, "%s:%u: wire %s has the "
			    "tunnel's name", c->file, w->line, w->name);
			return -1;
		}
		/* The wire rides inside the tunnel: its frames plus the
		 * VXLAN overhead must fit the tunnel's MTU, or full frames
		 * are dropped without a word. */
		if (tc->mtu != 0) {
			max = tc->mtu - tunnel_vxlan_overhead(w->family);
			if (w->mtu > max) {
				snprintf(err, errlen, "%s:%u: wire %s MTU %u "
				    "does not fit the tunnel's MTU %u (at most "
				    "%u with VXLAN over IPv%c)", c->file,
				    w->line, w->name, w->mtu, tc->mtu, max,
				    w->family == AF_INET6 ? '6' : '4');
				return -1;
			}
		}
		if (w->bridge[0] != '\0') {
			for (j = 0; j < tc->nbridges; j++)
				if (strcmp(tc->bridges[j].name,
				    w->bridge) == 0)
					break;
			if (j == tc->nbridges) {
				snprintf(err, errlen, "%s:%u: wire %s joins "
				    "bridge %s, which has no [Bridge] section",
				    c->file, w->line, w->name, w->bridge);
				return -1;
			}
		}
	}
	for (i = 0; i < tc->nbridges; i++) {
		struct tunnel_bridge *b = &tc->bridges[i];

		if (b->name[0] == '\0') {
			snprintf(err, errlen, "%s:%u: a [Bridge] needs a Name",
			    c->file, b->line);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(tc->bridges[j].name, b->name) == 0) {
				snprintf(err, errlen, "%s:%u: bridge %s is "
				    "already defined at line %u", c->file,
				    b->line, b->name, tc->bridges[j].line);
				return -1;
			}
		for (j = 0; j < tc->nwires; j++) {
			struct tunnel_wire *w = &tc->wires[j];

			if (strcmp(w->name, b->name) == 0) {
				snprintf(err, errlen, "%s:%u: bridge %s has "
				    "the name of a wire", c->file, b->line,
				    b->name);
				return -1;
			}
			if (b->mtu != 0 && w->mtu != 0 &&
			    strcmp(w->bridge, b->name) == 0 &&
			    b->mtu > w->mtu) {
				snprintf(err, errlen, "%s:%u: bridge %s MTU %u "
				    "is larger than its port %s (MTU %u): full "
				    "frames would be dropped", c->file, b->line,
				    b->name, b->mtu, w->name, w->mtu);
				return -1;
			}
		}
	}
	return 0;
}

static int
conf_build(struct tunnel_conf *tc, struct conf *c, const char *ifname,
    bool keyfiles, char *err, size_t errlen)
{
	enum sect cur = S_NONE;
	unsigned int sidx = (unsigned int)-1;
	struct wg_peer *p = NULL;
	bool has_key = false, seen_iface = false;
	size_t i;
	int rc;

	memset(tc, 0, sizeof(*tc));
	strlcpy(tc->name, ifname, sizeof(tc->name));
	wg_device_init(&tc->wg, ifname);
	tc->wg.flags |= WG_DEVICE_REPLACE_PEERS;
	tc->table_mode = TABLE_AUTO;

	for (i = 0; i <= c->nent; i++) {
		const struct conf_entry *e = i < c->nent ? &c->ent[i] : NULL;
		unsigned int si = e ? e->sect_idx : c->nsect;

		/* Section changes, including sections with no keys. */
		while (sidx != si && (sidx == (unsigned int)-1 ||
		    sidx < si)) {
			/* Close the one we are leaving. */
			if (cur == S_PEER && !has_key) {
				snprintf(err, errlen, "%s:%u: [Peer] has no "
				    "PublicKey", c->file, tc->px[tc->wg.npeers
				    - 1].line);
				return -1;
			}
			sidx = sidx == (unsigned int)-1 ? 0 : sidx + 1;
			if (sidx >= c->nsect)
				break;
			{
				const char *sn = c->sect[sidx];
				unsigned int sl = c->sect_line[sidx];
				uint8_t zero[WG_KEY_LEN] = { 0 };

				if (strcasecmp(sn, "Interface") == 0) {
					if (seen_iface) {
						snprintf(err, errlen, "%s:%u: "
						    "a second [Interface]",
						    c->file, sl);
						return -1;
					}
					seen_iface = true;
					cur = S_INTERFACE;
				} else if (strcasecmp(sn, "Peer") == 0) {
					struct tunnel_peer_extra *nx;

					nx = reallocarray(tc->px,
					    tc->wg.npeers + 1, sizeof(*nx));
					if (nx == NULL)
						goto nomem;
					tc->px = nx;
					memset(&nx[tc->wg.npeers], 0,
					    sizeof(*nx));
					nx[tc->wg.npeers].line = sl;
					if ((p = wg_peer_add(&tc->wg, zero)) ==
					    NULL)
						goto nomem;
					p->flags |= WG_PEER_REPLACE_ALLOWEDIPS;
					has_key = false;
					cur = S_PEER;
				} else if (strcasecmp(sn, "Wire") == 0) {
					void *nv = grow(tc->wires, &tc->nwires,
					    sizeof(*tc->wires));

					if (nv == NULL)
						goto nomem;
					tc->wires = nv;
					tc->wires[tc->nwires - 1].line = sl;
					cur = S_WIRE;
				} else if (strcasecmp(sn, "Bridge") == 0) {
					void *nv = grow(tc->bridges,
					    &tc->nbridges,
					    sizeof(*tc->bridges));

					if (nv == NULL)
						goto nomem;
					tc->bridges = nv;
					tc->bridges[tc->nbridges - 1].line = sl;
					tc->bridges[tc->nbridges - 1].stp = true;
					cur = S_BRIDGE;
				} else {
					snprintf(err, errlen, "%s:%u: unknown "
					    "section [%s]", c->file, sl, sn);
					return -1;
				}
			}
		}
		if (e == NULL)
			break;
		switch (cur) {
		case S_INTERFACE:
			rc = interface_key(tc, c, e, keyfiles, err, errlen);
			break;
		case S_PEER:
			p = &tc->wg.peers[tc->wg.npeers - 1];
			rc = peer_key(tc, p, &tc->px[tc->wg.npeers - 1],
			    &has_key, c, e, keyfiles, err, errlen);
			break;
		case S_WIRE:
			rc = wire_key(&tc->wires[tc->nwires - 1], c, e, err,
			    errlen);
			break;
		case S_BRIDGE:
			rc = bridge_key(&tc->bridges[tc->nbridges - 1], c, e,
			    err, errlen);
			break;
		default:
			rc = conf_err(err, errlen, c, e,
			    "\"%s\" outside any section", e->key);
		}
		if (rc < 0)
			return -1;
	}
	if (!seen_iface) {
		snprintf(err, errlen, "%s: no [Interface] section", c->file);
		return -1;
	}
	return check_all(tc, c, err, errlen);
nomem:
	snprintf(err, errlen, "%s: out of memory", c->file);
	return -1;
}

int
tunnel_conf_parse(struct tunnel_conf *tc, const char *name,
    const char *ifname, const char *data, size_t len, char *err,
    size_t errlen)
{
	struct conf c;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(tc, 0, sizeof(*tc));
	if (conf_parse(&c, name, data, len, err, errlen) < 0) {
		conf_free(&c);
		return -1;
	}
	rc = conf_build(tc, &c, ifname, false, err, errlen);
	if ((tc->path = strdup(name)) == NULL && rc == 0) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	if (c.buf != NULL)
		explicit_bzero(c.buf, strlen(c.buf));
	conf_free(&c);
	return rc;
}

int
tunnel_conf_load(struct tunnel_conf *tc, const char *path,
    const char *ifname, char *err, size_t errlen)
{
	struct conf c;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(tc, 0, sizeof(*tc));
	if (tunnel_check_mode(path, err, errlen) < 0)
		return -1;
	if (conf_load(&c, path, err, errlen) < 0) {
		conf_free(&c);
		return -1;
	}
	rc = conf_build(tc, &c, ifname, true, err, errlen);
	if ((tc->path = strdup(path)) == NULL && rc == 0) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	conf_free(&c);
	return rc;
}

void
tunnel_conf_free(struct tunnel_conf *tc)
{
	size_t i, j;

	for (i = 0; i < tc->wg.npeers && tc->px != NULL; i++) {
		free(tc->px[i].host);
		free(tc->px[i].port);
	}
	free(tc->px);
	wg_device_free(&tc->wg);
	free(tc->addrs);
	for (i = 0; i < tc->ndns; i++)
		free(tc->dns[i]);
	free(tc->dns);
	for (i = 0; i < 4; i++) {
		for (j = 0; j < tc->nhooks[i]; j++)
			free(tc->hooks[i][j]);
		free(tc->hooks[i]);
	}
	free(tc->rules);
	free(tc->rule_line);
	free(tc->routes);
	free(tc->masq);
	free(tc->fwd);
	free(tc->block);
	free(tc->wires);
	for (i = 0; i < tc->nbridges; i++)
		free(tc->bridges[i].addrs);
	free(tc->bridges);
	free(tc->path);
	memset(tc, 0, sizeof(*tc));
}
