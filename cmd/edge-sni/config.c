// SPDX-License-Identifier: ISC
/*
 * edge-sni's configuration: snid's command line (getopt_long_only, so
 * "-listen tcp:443 -mode nat46" works unchanged) and edge-sni.conf(5), a
 * wg-quick style file with one [Listener] section per listening socket.
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "sni.h"

void
sni_conf_init(struct sni_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->workers = 1;
	strlcpy(c->access_log, "-", sizeof(c->access_log));
	c->hello_ms = 5000;
	c->connect_ms = 5000;
	c->idle_ms = 600000;
	c->dns_ms = 3000;
	c->neg_ttl_max = 300;
}

void
sni_conf_free(struct sni_conf *c)
{
	free(c->l);
	free(c->file);
	c->l = NULL;
	c->file = NULL;
	c->nl = 0;
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* "host:port", "[v6]:port" or ":port"/"port" (host NULL: any). */
static bool
split_hostport(const char *s, char *host, size_t hlen, uint16_t *port,
    char *err, size_t errlen)
{
	const char *c, *e;
	const char *errstr;
	char pbuf[8];

	host[0] = '\0';
	if (s[0] == '[') {
		e = strchr(s, ']');
		if (e == NULL || e[1] != ':') {
			snprintf(err, errlen, "\"%s\": expected [ADDRESS]:PORT", s);
			return false;
		}
		if ((size_t)(e - s - 1) >= hlen)
			goto bad;
		memcpy(host, s + 1, e - s - 1);
		host[e - s - 1] = '\0';
		c = e + 1;
	} else if ((c = strrchr(s, ':')) != NULL) {
		if (strchr(s, ':') != c) {
			snprintf(err, errlen, "\"%s\": write IPv6 addresses "
			    "in brackets, [ADDRESS]:PORT", s);
			return false;
		}
		if ((size_t)(c - s) >= hlen)
			goto bad;
		memcpy(host, s, c - s);
		host[c - s] = '\0';
	} else
		c = s - 1;
	if (strlcpy(pbuf, c + 1, sizeof(pbuf)) >= sizeof(pbuf))
		goto bad;
	*port = strtonum(pbuf, 1, 65535, &errstr);
	if (errstr != NULL) {
		snprintf(err, errlen, "\"%s\": port is %s", s, errstr);
		return false;
	}
	return true;
bad:
	snprintf(err, errlen, "\"%s\": not an address and port", s);
	return false;
}

static bool
fill_addr(const char *host, uint16_t port, bool any_ok,
    struct sockaddr_storage *ss, socklen_t *len, const char *s, char *err,
    size_t errlen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (host[0] == '\0' && any_ok) {
		/* All addresses: a dual-stack IPv6 socket. */
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		*len = sizeof(*sin6);
	} else if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		*len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		*len = sizeof(*sin6);
	} else {
		snprintf(err, errlen, "\"%s\": \"%s\" is not an IP address",
		    s, host);
		return false;
	}
	set_port(ss, port);
	return true;
}

bool
sni_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len,
    char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 8];
	uint16_t port;
	const char *p = s;

	size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz");

	/* go-listener syntax: "tcp:" or nothing; other kinds are not ours */
	if (n > 0 && p[n] == ':') {
		if (n != 3 || strncmp(p, "tcp", 3) != 0) {
			snprintf(err, errlen, "\"%s\": only tcp: and fd: "
			    "listeners are supported", s);
			return false;
		}
		p += 4;
	}
	if (!split_hostport(p, host, sizeof(host), &port, err, errlen))
		return false;
	return fill_addr(host, port, true, ss, len, s, err, errlen);
}

bool
sni_hostport_parse(const char *s, struct sockaddr_storage *ss,
    socklen_t *len, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 8];
	uint16_t port;

	if (!split_hostport(s, host, sizeof(host), &port, err, errlen))
		return false;
	if (host[0] == '\0') {
		snprintf(err, errlen, "\"%s\": an address is needed", s);
		return false;
	}
	return fill_addr(host, port, false, ss, len, s, err, errlen);
}

/*
 * "fd:N": a listening TCP socket the caller left open for us (go-listener
 * syntax; a service manager's, say).  Its address gives the default back
 * end port.
 */
static bool
inherited_parse(struct sni_listener *l, const char *n, const char *s,
    char *err, size_t errlen)
{
	const char *errstr;
	int v, fam;
	socklen_t len = sizeof(v);

	l->ifd = strtonum(n, 0, INT32_MAX, &errstr);
	if (errstr != NULL) {
		snprintf(err, errlen, "\"%s\": descriptor is %s", s, errstr);
		return false;
	}
	errno = 0;
	if (getsockopt(l->ifd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == -1 ||
	    v != 1 || getsockopt(l->ifd, SOL_SOCKET, SO_DOMAIN, &fam,
	    &len) == -1 || (fam != AF_INET && fam != AF_INET6) ||
	    getsockopt(l->ifd, SOL_SOCKET, SO_TYPE, &v, &len) == -1 ||
	    v != SOCK_STREAM) {
		snprintf(err, errlen, "\"%s\": not a listening TCP socket%s%s",
		    s, errno == EBADF ? ": " : "",
		    errno == EBADF ? strerror(errno) : "");
		return false;
	}
	l->addrlen = sizeof(l->addr);
	if (getsockname(l->ifd, (struct sockaddr *)&l->addr,
	    &l->addrlen) == -1) {
		snprintf(err, errlen, "\"%s\": %s", s, strerror(errno));
		return false;
	}
	l->inherited = true;
	return true;
}

/*
 * A listener's spec: go-listener's syntax as snid takes it, "tcp:443",
 * "tcp:192.0.2.4:443", "tcp:[2001:db8::1]:443", optionally wrapped in
 * "proxy:" for a PROXY header from a front balancer.
 */
static bool
listen_set(struct sni_listener *l, const char *s, char *err, size_t errlen)
{
	const char *p = s;

	if (strlcpy(l->spec, s, sizeof(l->spec)) >= sizeof(l->spec)) {
		snprintf(err, errlen, "\"%.32s...\": too long", s);
		return false;
	}
	if (strncmp(p, "proxy:", 6) == 0) {
		l->proxy_in = true;
		p += 6;
	}
	if (strncmp(p, "fd:", 3) == 0)
		return inherited_parse(l, p + 3, s, err, errlen);
	return sni_listen_parse(p, &l->addr, &l->addrlen, err, errlen);
}

static bool
unixdir_set(struct sni_listener *l, const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);

	while (n > 1 && s[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(l->unix_dir)) {
		snprintf(err, errlen, "\"%s\": a directory of 1 to %zu "
		    "characters (socket paths hold 108)", s,
		    sizeof(l->unix_dir) - 1);
		return false;
	}
	/* It goes into the access log as it is, JSON included. */
	if (strcspn(s, "\"\\\t\n\r") != strlen(s)) {
		snprintf(err, errlen, "\"%s\": no quotes, backslashes, tabs "
		    "or newlines in the socket directory", s);
		return false;
	}
	memcpy(l->unix_dir, s, n);
	l->unix_dir[n] = '\0';
	return true;
}

static bool
mode_parse(const char *s, enum sni_mode *m)
{
	if (strcasecmp(s, "nat46") == 0)
		*m = SNI_MODE_NAT46;
	else if (strcasecmp(s, "tcp") == 0)
		*m = SNI_MODE_TCP;
	else if (strcasecmp(s, "static") == 0)
		*m = SNI_MODE_STATIC;
	else if (strcasecmp(s, "unix") == 0)
		*m = SNI_MODE_UNIX;
	else
		return false;
	return true;
}

static bool
proto_parse(const char *s, enum sni_proto *p)
{
	if (strcasecmp(s, "tls") == 0)
		*p = SNI_PROTO_TLS;
	else if (strcasecmp(s, "http") == 0)
		*p = SNI_PROTO_HTTP;
	else if (strcasecmp(s, "postgres") == 0 ||
	    strcasecmp(s, "postgresql") == 0)
		*p = SNI_PROTO_PG;
	else if (strcasecmp(s, "plain") == 0)
		*p = SNI_PROTO_PLAIN;
	else
		return false;
	return true;
}

static bool
nat46_parse(const char *s, struct in6_addr *a, char *err, size_t errlen)
{
	struct prefix p;
	const char *sl = strchr(s, '/');

	if (!prefix_parse(s, &p, PREFIX_V6 | PREFIX_ADDR_OK, err, errlen))
		return false;
	if (sl != NULL && p.len != 96) {
		snprintf(err, errlen, "\"%s\": the NAT46 prefix must be a /96",
		    s);
		return false;
	}
	if (p.addr.b[12] || p.addr.b[13] || p.addr.b[14] || p.addr.b[15]) {
		snprintf(err, errlen, "\"%s\": the low 32 bits of the NAT46 "
		    "prefix must be zero", s);
		return false;
	}
	memcpy(a, &p.addr.v6, 16);
	return true;
}

static bool
cidr_add(struct sni_listener *l, const char *s, char *err, size_t errlen)
{
	if (l->ncidr == SNI_MAX_CIDR) {
		snprintf(err, errlen, "\"%s\": more than %d backend CIDRs", s,
		    SNI_MAX_CIDR);
		return false;
	}
	if (!prefix_parse(s, &l->cidr[l->ncidr], 0, err, errlen))
		return false;
	l->ncidr++;
	return true;
}

static bool
secs_parse(const char *s, unsigned int *ms, char *err, size_t errlen)
{
	const char *errstr;
	long long v = strtonum(s, 1, 86400 * 7, &errstr);

	if (errstr != NULL) {
		snprintf(err, errlen, "\"%s\": seconds %s", s, errstr);
		return false;
	}
	*ms = (unsigned int)v * 1000;
	return true;
}

static bool
yesno(const char *s, bool *b)
{
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 ||
	    strcmp(s, "1") == 0 || strcasecmp(s, "on") == 0)
		*b = true;
	else if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 ||
	    strcmp(s, "0") == 0 || strcasecmp(s, "off") == 0)
		*b = false;
	else
		return false;
	return true;
}

static struct sni_listener *
listener_new(struct sni_conf *c)
{
	struct sni_listener *l;

	l = reallocarray(c->l, c->nl + 1, sizeof(*l));
	if (l == NULL)
		return NULL;
	c->l = l;
	l = &c->l[c->nl++];
	memset(l, 0, sizeof(*l));
	l->proto = SNI_PROTO_TLS;
	return l;
}

/* A global setting, shared by the file's [Global] and the command line. */
static bool
global_set(struct sni_conf *c, const char *key, const char *v, char *err,
    size_t errlen)
{
	const char *errstr;

	if (strcasecmp(key, "Workers") == 0) {
		c->workers = strtonum(v, 1, 64, &errstr);
		if (errstr != NULL)
			goto num;
	} else if (strcasecmp(key, "User") == 0) {
		if (strlcpy(c->user, v, sizeof(c->user)) >= sizeof(c->user))
			goto toolong;
	} else if (strcasecmp(key, "Resolver") == 0) {
		if (strlcpy(c->resolver, v, sizeof(c->resolver)) >=
		    sizeof(c->resolver))
			goto toolong;
	} else if (strcasecmp(key, "AccessLog") == 0) {
		if (strlcpy(c->access_log, v, sizeof(c->access_log)) >=
		    sizeof(c->access_log))
			goto toolong;
	} else if (strcasecmp(key, "LogFormat") == 0) {
		if (strcasecmp(v, "tsv") == 0 || strcasecmp(v, "text") == 0)
			c->logfmt = SNI_LOG_TSV;
		else if (strcasecmp(v, "json") == 0)
			c->logfmt = SNI_LOG_JSON;
		else {
			snprintf(err, errlen, "\"%s\": LogFormat is tsv or "
			    "json", v);
			return false;
		}
	} else if (strcasecmp(key, "Stats") == 0) {
		if (strlcpy(c->stats, v, sizeof(c->stats)) >= sizeof(c->stats))
			goto toolong;
	} else if (strcasecmp(key, "HelloTimeout") == 0) {
		return secs_parse(v, &c->hello_ms, err, errlen);
	} else if (strcasecmp(key, "ConnectTimeout") == 0) {
		return secs_parse(v, &c->connect_ms, err, errlen);
	} else if (strcasecmp(key, "IdleTimeout") == 0) {
		return secs_parse(v, &c->idle_ms, err, errlen);
	} else if (strcasecmp(key, "DNSTimeout") == 0) {
		return secs_parse(v, &c->dns_ms, err, errlen);
	} else if (strcasecmp(key, "MaxConnections") == 0) {
		c->max_conns = strtonum(v, 1, 1000000, &errstr);
		if (errstr != NULL)
			goto num;
	} else if (strcasecmp(key, "NegativeTTL") == 0) {
		c->neg_ttl_max = strtonum(v, 0, 86400, &errstr);
		if (errstr != NULL)
			goto num;
	} else {
		snprintf(err, errlen, "unknown key \"%s\"", key);
		return false;
	}
	return true;
num:
	snprintf(err, errlen, "%s \"%s\" is %s", key, v, errstr);
	return false;
toolong:
	snprintf(err, errlen, "%s: value too long", key);
	return false;
}

static bool
listener_set(struct sni_listener *l, const char *key, const char *v,
    char *err, size_t errlen)
{
	const char *errstr;

	if (strcasecmp(key, "Listen") == 0) {
		return listen_set(l, v, err, errlen);
	} else if (strcasecmp(key, "Mode") == 0) {
		if (!mode_parse(v, &l->mode)) {
			snprintf(err, errlen, "\"%s\": Mode is nat46, tcp, "
			    "static or unix", v);
			return false;
		}
	} else if (strcasecmp(key, "UnixDirectory") == 0) {
		return unixdir_set(l, v, err, errlen);
	} else if (strcasecmp(key, "Protocol") == 0) {
		if (!proto_parse(v, &l->proto)) {
			snprintf(err, errlen, "\"%s\": Protocol is tls, http, "
			    "postgres or plain", v);
			return false;
		}
	} else if (strcasecmp(key, "Nat46Prefix") == 0) {
		l->has_nat46 = true;
		return nat46_parse(v, &l->nat46, err, errlen);
	} else if (strcasecmp(key, "BackendCIDR") == 0) {
		char tmp[1024], *items[SNI_MAX_CIDR + 1];
		int i, n;

		strlcpy(tmp, v, sizeof(tmp));
		n = conf_split(tmp, items, SNI_MAX_CIDR);
		if (n < 0) {
			snprintf(err, errlen, "more than %d backend CIDRs",
			    SNI_MAX_CIDR);
			return false;
		}
		for (i = 0; i < n; i++)
			if (!cidr_add(l, items[i], err, errlen))
				return false;
	} else if (strcasecmp(key, "BackendPort") == 0) {
		l->backend_port = strtonum(v, 1, 65535, &errstr);
		if (errstr != NULL) {
			snprintf(err, errlen, "BackendPort \"%s\" is %s", v,
			    errstr);
			return false;
		}
	} else if (strcasecmp(key, "Backend") == 0) {
		return sni_hostport_parse(v, &l->backend, &l->backendlen, err,
		    errlen);
	} else if (strcasecmp(key, "DefaultHostname") == 0) {
		if (!sni_name_valid(v, strlen(v), l->default_host)) {
			snprintf(err, errlen, "\"%s\" is not a valid host "
			    "name", v);
			return false;
		}
	} else if (strcasecmp(key, "AcceptProxy") == 0) {
		if (!yesno(v, &l->proxy_in))
			goto yn;
	} else if (strcasecmp(key, "SendProxy") == 0) {
		if (!yesno(v, &l->proxy_out))
			goto yn;
	} else {
		snprintf(err, errlen, "unknown key \"%s\"", key);
		return false;
	}
	return true;
yn:
	snprintf(err, errlen, "%s: \"%s\" is not yes or no", key, v);
	return false;
}

int
sni_conf_file(struct sni_conf *c, const char *path, char *err, size_t errlen)
{
	struct conf cf;
	struct sni_listener *l = NULL;
	char why[256];
	unsigned int cur = (unsigned int)-1;
	size_t i;
	int rc = -1;

	if (conf_load(&cf, path, err, errlen) != 0)
		goto out;
	for (i = 0; i < cf.nent; i++) {
		const struct conf_entry *e = &cf.ent[i];

		if (conf_section_is(e, "Global")) {
			if (!global_set(c, e->key, e->value, why, sizeof(why))) {
				conf_err(err, errlen, &cf, e, "%s", why);
				goto out;
			}
		} else if (conf_section_is(e, "Listener")) {
			if (e->sect_idx != cur) {
				cur = e->sect_idx;
				if ((l = listener_new(c)) == NULL) {
					snprintf(err, errlen, "out of memory");
					goto out;
				}
				l->line = cf.sect_line[cur];
			}
			if (!listener_set(l, e->key, e->value, why,
			    sizeof(why))) {
				conf_err(err, errlen, &cf, e, "%s", why);
				goto out;
			}
		} else {
			conf_err(err, errlen, &cf, e, "unknown section [%s]",
			    e->section);
			goto out;
		}
	}
	/* Sections without keys still count as listeners to check. */
	rc = 0;
out:
	conf_free(&cf);
	return rc;
}

bool
sni_backend_allowed(const struct sni_listener *l, int family,
    const union edge_addr *a)
{
	int i;

	if (family == AF_INET6) {
		const struct in6_addr *v6 = &a->v6;

		if (IN6_IS_ADDR_UNSPECIFIED(v6) || IN6_IS_ADDR_LOOPBACK(v6) ||
		    IN6_IS_ADDR_LINKLOCAL(v6) || IN6_IS_ADDR_MULTICAST(v6) ||
		    IN6_IS_ADDR_V4MAPPED(v6) || IN6_IS_ADDR_V4COMPAT(v6))
			return false;
		/* Never back into our own NAT46 prefix: a loop, or a way to
		 * reach the proxy host's local services. */
		if (l->has_nat46 && memcmp(v6, &l->nat46, 12) == 0)
			return false;
	} else if (family == AF_INET) {
		uint32_t v4 = ntohl(a->v4.s_addr);

		if ((v4 >> 24) == 127 || (v4 >> 24) == 0 ||
		    (v4 >> 16) == 0xa9fe || (v4 >> 28) >= 0xe)
			return false;
	} else
		return false;
	for (i = 0; i < l->ncidr; i++)
		if (prefix_contains_addr(&l->cidr[i], family, a))
			return true;
	return false;
}

static uint16_t
addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static int
lerr(char *err, size_t errlen, const struct sni_conf *c,
    const struct sni_listener *l, const char *msg)
{
	if (l->line)
		snprintf(err, errlen, "%s:%u: %s", c->file, l->line, msg);
	else
		snprintf(err, errlen, "-listen %s: %s", l->spec, msg);
	return -1;
}

int
sni_conf_finish(struct sni_conf *c, char *err, size_t errlen)
{
	size_t i, j;

	if (c->nl == 0) {
		snprintf(err, errlen, "no listener: give -listen or a "
		    "[Listener] in -f FILE");
		return -1;
	}
	for (i = 0; i < c->nl; i++) {
		struct sni_listener *l = &c->l[i];

		if (l->spec[0] == '\0')
			return lerr(err, errlen, c, l, "Listen is missing");
		for (j = 0; j < i; j++)
			if (strcmp(c->l[j].spec, l->spec) == 0)
				return lerr(err, errlen, c, l,
				    "listener given twice");
		if (l->backend_port == 0)
			l->backend_port = addr_port(&l->addr);
		switch (l->mode) {
		case SNI_MODE_NAT46:
			if (!l->has_nat46)
				return lerr(err, errlen, c, l, "nat46 mode "
				    "needs a NAT46 prefix (-nat46-prefix)");
			/* FALLTHROUGH */
		case SNI_MODE_TCP:
			if (l->ncidr == 0)
				return lerr(err, errlen, c, l, "a backend CIDR "
				    "is required (-backend-cidr): edge-sni is "
				    "never an open proxy");
			if (l->proto == SNI_PROTO_PLAIN)
				return lerr(err, errlen, c, l, "plain needs "
				    "static mode: there is no name to route on");
			if (l->backendlen)
				return lerr(err, errlen, c, l, "a fixed backend "
				    "needs static mode");
			break;
		case SNI_MODE_UNIX:
			/* The directory is the list of back ends: snid's
			 * -backend-cidr and -nat46-prefix play no part. */
			if (l->unix_dir[0] == '\0')
				return lerr(err, errlen, c, l, "unix mode needs "
				    "a socket directory (-unix-directory)");
			if (l->proto == SNI_PROTO_PLAIN)
				return lerr(err, errlen, c, l, "plain needs "
				    "static mode: there is no name to route on");
			if (l->backendlen)
				return lerr(err, errlen, c, l, "a fixed backend "
				    "needs static mode");
			l->has_nat46 = false;
			l->ncidr = 0;
			break;
		case SNI_MODE_STATIC:
			if (l->backendlen == 0)
				return lerr(err, errlen, c, l, "static mode "
				    "needs a backend (-backend ADDRESS:PORT)");
			if (l->proto != SNI_PROTO_PLAIN &&
			    l->proto != SNI_PROTO_TLS)
				return lerr(err, errlen, c, l, "static mode "
				    "forwards plain TCP");
			l->proto = SNI_PROTO_PLAIN;
			if (l->has_nat46 &&
			    l->backend.ss_family != AF_INET6)
				return lerr(err, errlen, c, l, "a NAT46 source "
				    "needs an IPv6 backend");
			break;
		}
		for (j = 0; j < (size_t)l->ncidr; j++)
			if (l->mode == SNI_MODE_NAT46 &&
			    l->cidr[j].family != AF_INET6)
				return lerr(err, errlen, c, l, "nat46 mode "
				    "takes IPv6 backend CIDRs only");
	}
	return 0;
}

static void __attribute__((noreturn))
usage(FILE *f, int rc)
{
	fprintf(f,
"usage: edge-sni [-dhnVv] [-f file] [-j workers] [-u user] [-r resolver]\n"
"                [-a access-log] [-F tsv|json] [-s stats-file]\n"
"                [-listen [proxy:]tcp:[address:]port|fd:n] [-http-listen spec]\n"
"                [-postgres-listen spec] [-mode nat46|tcp|static|unix]\n"
"                [-nat46-prefix prefix] [-backend-cidr cidr]\n"
"                [-backend-port port] [-backend address:port]\n"
"                [-unix-directory dir] [-default-hostname name]\n"
"                [-proxy-proto] [-accept-proxy] [-hello-timeout s]\n"
"                [-connect-timeout s] [-idle-timeout s] [-dns-timeout s]\n"
"                [-negative-ttl s] [-max-conns n]\n");
	exit(rc);
}

enum {
	O_HTTP = 256, O_PG, O_DNSTO, O_UNIX, O_NEGTTL, O_OLDBACKEND,
};

static const struct option longopts[] = {
	{ "listen",		required_argument,	NULL, 'l' },
	{ "http-listen",	required_argument,	NULL, O_HTTP },
	{ "postgres-listen",	required_argument,	NULL, O_PG },
	{ "mode",		required_argument,	NULL, 'm' },
	{ "nat46-prefix",	required_argument,	NULL, 'P' },
	{ "backend-cidr",	required_argument,	NULL, 'c' },
	{ "backend-port",	required_argument,	NULL, 'p' },
	{ "backend",		required_argument,	NULL, 'b' },
	{ "default-hostname",	required_argument,	NULL, 'H' },
	{ "proxy-proto",	no_argument,		NULL, 'X' },
	{ "accept-proxy",	no_argument,		NULL, 'A' },
	{ "unix-directory",	required_argument,	NULL, O_UNIX },
	/* The flags of snid's first releases: -backend :PORT or -backend
	 * /DIR chose tcp or unix, with -allow, -ipv6-source-prefix and
	 * -proxy.  "-backend" is handled in the 'b' case. */
	{ "allow",		required_argument,	NULL, 'c' },
	{ "ipv6-source-prefix",	required_argument,	NULL, 'P' },
	{ "proxy",		no_argument,		NULL, 'X' },
	{ "config",		required_argument,	NULL, 'f' },
	{ "workers",		required_argument,	NULL, 'j' },
	{ "user",		required_argument,	NULL, 'u' },
	{ "resolver",		required_argument,	NULL, 'r' },
	{ "access-log",		required_argument,	NULL, 'a' },
	{ "log-format",		required_argument,	NULL, 'F' },
	{ "stats",		required_argument,	NULL, 's' },
	{ "hello-timeout",	required_argument,	NULL, 'T' },
	{ "connect-timeout",	required_argument,	NULL, 'C' },
	{ "idle-timeout",	required_argument,	NULL, 'I' },
	{ "dns-timeout",	required_argument,	NULL, O_DNSTO },
	{ "negative-ttl",	required_argument,	NULL, O_NEGTTL },
	{ "max-conns",		required_argument,	NULL, 'M' },
	{ "debug",		no_argument,		NULL, 'd' },
	{ "check",		no_argument,		NULL, 'n' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 },
};

/* A global option from the command line, by its config key. */
struct globopt {
	int		 ch;
	const char	*key;
	const char	*val;
};

int
sni_conf_args(struct sni_conf *c, int argc, char **argv, bool *check,
    int *verbose, bool *foreground)
{
	struct sni_listener tmpl;
	struct globopt g[] = {
		{ 'j', "Workers", NULL }, { 'u', "User", NULL },
		{ 'r', "Resolver", NULL }, { 'a', "AccessLog", NULL },
		{ 'F', "LogFormat", NULL }, { 's', "Stats", NULL },
		{ 'T', "HelloTimeout", NULL }, { 'C', "ConnectTimeout", NULL },
		{ 'I', "IdleTimeout", NULL }, { O_DNSTO, "DNSTimeout", NULL },
		{ 'M', "MaxConnections", NULL }, { O_NEGTTL, "NegativeTTL", NULL },
	};
	struct { const char *spec; enum sni_proto proto; } *ls = NULL;
	char ebuf[512];
	const char *mode = NULL, *errstr, *old_backend = NULL;
	size_t nls = 0, i, k;
	int ch;

	memset(&tmpl, 0, sizeof(tmpl));
	while ((ch = getopt_long_only(argc, argv,
	    "l:m:P:c:p:b:H:XAf:j:u:r:a:F:s:T:C:I:M:dnvhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'l':
		case O_HTTP:
		case O_PG:
			ls = reallocarray(ls, nls + 1, sizeof(*ls));
			if (ls == NULL)
				err(1, NULL);
			ls[nls].spec = optarg;
			ls[nls++].proto = ch == 'l' ? SNI_PROTO_TLS :
			    ch == O_HTTP ? SNI_PROTO_HTTP : SNI_PROTO_PG;
			break;
		case 'm':
			mode = optarg;
			if (!mode_parse(optarg, &tmpl.mode)) {
				warnx("-mode %s: nat46, tcp, static or unix",
				    optarg);
				goto bad;
			}
			break;
		case 'P':
			if (!nat46_parse(optarg, &tmpl.nat46, ebuf,
			    sizeof(ebuf))) {
				warnx("-nat46-prefix %s", ebuf);
				goto bad;
			}
			tmpl.has_nat46 = true;
			break;
		case 'c':
			if (!cidr_add(&tmpl, optarg, ebuf, sizeof(ebuf))) {
				warnx("-backend-cidr %s", ebuf);
				goto bad;
			}
			break;
		case 'p':
			tmpl.backend_port = strtonum(optarg, 1, 65535, &errstr);
			if (errstr != NULL) {
				warnx("-backend-port %s: %s", optarg, errstr);
				goto bad;
			}
			break;
		case 'b':
			/* snid's first releases: -backend :PORT (tcp, or
			 * nat46 with -ipv6-source-prefix) or -backend /DIR
			 * (unix) */
			if (optarg[0] == ':' || optarg[0] == '/') {
				old_backend = optarg;
				break;
			}
			if (!sni_hostport_parse(optarg, &tmpl.backend,
			    &tmpl.backendlen, ebuf, sizeof(ebuf))) {
				warnx("-backend %s", ebuf);
				goto bad;
			}
			break;
		case 'H':
			if (!sni_name_valid(optarg, strlen(optarg),
			    tmpl.default_host)) {
				warnx("-default-hostname %s: not a valid host "
				    "name", optarg);
				goto bad;
			}
			break;
		case 'X':
			tmpl.proxy_out = true;
			break;
		case 'A':
			tmpl.proxy_in = true;
			break;
		case O_UNIX:
			if (!unixdir_set(&tmpl, optarg, ebuf, sizeof(ebuf))) {
				warnx("-unix-directory %s", ebuf);
				goto bad;
			}
			break;
		case 'f':
			free(c->file);
			if ((c->file = strdup(optarg)) == NULL)
				err(1, NULL);
			break;
		case 'd':
			*foreground = true;
			break;
		case 'n':
			*check = true;
			break;
		case 'v':
			(*verbose)++;
			break;
		case 'h':
			usage(stdout, 0);
		case 'V':
			printf("edge-sni %s\n", EDGEKIT_VERSION);
			exit(0);
		default:
			for (k = 0; k < sizeof(g) / sizeof(g[0]); k++)
				if (g[k].ch == ch)
					break;
			if (k == sizeof(g) / sizeof(g[0]))
				usage(stderr, 2);
			g[k].val = optarg;
			break;
		}
	}
	if (optind != argc) {
		warnx("unexpected argument \"%s\"", argv[optind]);
		usage(stderr, 2);
	}
	if (c->file != NULL && sni_conf_file(c, c->file, ebuf, sizeof(ebuf))) {
		warnx("%s", ebuf);
		goto bad;
	}
	for (k = 0; k < sizeof(g) / sizeof(g[0]); k++) {
		if (g[k].val == NULL)
			continue;
		if (!global_set(c, g[k].key, g[k].val, ebuf, sizeof(ebuf))) {
			for (i = 0; i < sizeof(longopts) / sizeof(longopts[0]);
			    i++)
				if (longopts[i].val == g[k].ch)
					break;
			warnx("-%s %s", longopts[i].name, ebuf);
			goto bad;
		}
	}
	if (old_backend != NULL && old_backend[0] == '/') {
		if (!unixdir_set(&tmpl, old_backend, ebuf, sizeof(ebuf))) {
			warnx("-backend %s", ebuf);
			goto bad;
		}
		if (mode == NULL)
			tmpl.mode = SNI_MODE_UNIX;
	} else if (old_backend != NULL) {
		tmpl.backend_port = strtonum(old_backend + 1, 1, 65535,
		    &errstr);
		if (errstr != NULL) {
			warnx("-backend %s: port is %s", old_backend, errstr);
			goto bad;
		}
		if (mode == NULL)
			tmpl.mode = tmpl.has_nat46 ? SNI_MODE_NAT46 :
			    SNI_MODE_TCP;
	}
	if (mode == NULL && tmpl.backendlen)
		tmpl.mode = SNI_MODE_STATIC;
	for (i = 0; i < nls; i++) {
		struct sni_listener *l = listener_new(c);

		if (l == NULL)
			err(1, NULL);
		*l = tmpl;
		l->proto = ls[i].proto;
		if (l->mode == SNI_MODE_STATIC)
			l->proto = SNI_PROTO_PLAIN;
		if (!listen_set(l, ls[i].spec, ebuf, sizeof(ebuf))) {
			warnx("-listen %s", ebuf);
			goto bad;
		}
	}
	free(ls);
	if (sni_conf_finish(c, ebuf, sizeof(ebuf)) != 0) {
		warnx("%s", ebuf);
		return 2;
	}
	return 0;
bad:
	free(ls);
	return 2;
}
