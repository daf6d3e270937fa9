// SPDX-License-Identifier: ISC
/*
 * Target specifications: "TYPE ADDRESS [option value]..." on the command
 * line or, one per line, in a file.
 */
#include <sys/types.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "probe.h"

static const char *type_names[] = {
	[PROBE_ICMP] = "icmp",
	[PROBE_TCP] = "tcp",
	[PROBE_TLS] = "tls",
	[PROBE_HTTP] = "http",
	[PROBE_DNS] = "dns",
	[PROBE_WG] = "wg",
};

const char *
probe_type_name(enum probe_type type)
{
	return type_names[type];
}

static bool
type_parse(const char *s, enum probe_type *type)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcmp(s, type_names[i]) == 0) {
			*type = (enum probe_type)i;
			return true;
		}
	return false;
}

bool
probe_parse_duration(const char *s, uint64_t *ms)
{
	char *end;
	double v;

	if (!isdigit((unsigned char)s[0]) && s[0] != '.')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s)
		return false;
	if (strcmp(end, "ms") == 0)
		;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		v *= 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		v *= 60000;
	else
		return false;
	if (v < 0 || v > 86400000.0 * 365)
		return false;
	*ms = (uint64_t)(v + 0.5);
	return true;
}

const char *
probe_errno_word(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "refused";
	case ECONNRESET:
		return "reset";
	case EHOSTUNREACH:
		return "host-unreachable";
	case ENETUNREACH:
		return "net-unreachable";
	case ETIMEDOUT:
		return "timeout";
	case EACCES:
	case EPERM:
		return "denied";
	case EADDRNOTAVAIL:
		return "no-source";
	case ENODEV:
		return "no-device";
	case ENETDOWN:
		return "net-down";
	case EMSGSIZE:
		return "too-big";
	case ENOBUFS:
	case ENOMEM:
		return "no-buffers";
	case EPIPE:
		return "closed";
	}
	return "error";
}

static int
perr(char *err, size_t errlen, const char *file, unsigned int line,
    const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (file)
		snprintf(err, errlen, "%s:%u: %s", file, line, msg);
	else
		snprintf(err, errlen, "%s", msg);
	return -1;
}

/*
 * "ADDR", "ADDR:PORT", "[V6]", "[V6]:PORT", or a host name with an optional
 * port.  Names are resolved now (blocking: this runs once, at start).
 */
static bool
parse_hostport(const char *s, int defport, bool want_port,
    union probe_sa *ss, socklen_t *sslen, int *family,
    char *text, size_t textlen, char *why, size_t whylen)
{
	char host[PROBE_HOSTLEN], portbuf[16] = "";
	const char *colon, *errstr;
	struct addrinfo hints, *res = NULL;
	long long port = defport;
	int rc;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || (size_t)(close - s - 1) >= sizeof(host)) {
			snprintf(why, whylen, "bad address \"%s\"", s);
			return false;
		}
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		if (close[1] == ':')
			strlcpy(portbuf, close + 2, sizeof(portbuf));
		else if (close[1] != '\0') {
			snprintf(why, whylen, "bad address \"%s\"", s);
			return false;
		}
	} else if ((colon = strchr(s, ':')) && !strchr(colon + 1, ':')) {
		if ((size_t)(colon - s) >= sizeof(host)) {
			snprintf(why, whylen, "bad address \"%s\"", s);
			return false;
		}
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		strlcpy(portbuf, colon + 1, sizeof(portbuf));
	} else if (strlcpy(host, s, sizeof(host)) >= sizeof(host)) {
		snprintf(why, whylen, "bad address \"%s\"", s);
		return false;
	}
	if (portbuf[0]) {
		port = strtonum(portbuf, 1, 65535, &errstr);
		if (errstr) {
			snprintf(why, whylen, "bad port \"%s\"", portbuf);
			return false;
		}
	} else if (want_port && port == 0) {
		snprintf(why, whylen, "\"%s\" needs a port", s);
		return false;
	}
	if (host[0] == '\0') {
		snprintf(why, whylen, "bad address \"%s\"", s);
		return false;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &ss->sin.sin_addr) == 1) {
		/* The common case, without getaddrinfo's cost per target. */
		ss->sin.sin_family = AF_INET;
		*sslen = sizeof(ss->sin);
		*family = AF_INET;
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_DGRAM;
		hints.ai_flags = AI_NUMERICHOST;
		rc = getaddrinfo(host, NULL, &hints, &res);
		if (rc == EAI_NONAME) {
			hints.ai_flags = AI_ADDRCONFIG;
			rc = getaddrinfo(host, NULL, &hints, &res);
		}
		if (rc != 0 || !res) {
			snprintf(why, whylen, "cannot resolve \"%s\": %s",
			    host, gai_strerror(rc));
			return false;
		}
		if (res->ai_addrlen > sizeof(*ss)) {
			freeaddrinfo(res);
			snprintf(why, whylen, "bad address \"%s\"", host);
			return false;
		}
		memcpy(ss, res->ai_addr, res->ai_addrlen);
		*sslen = res->ai_addrlen;
		*family = res->ai_family;
		freeaddrinfo(res);
	}
	if (*family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	{
		char a[INET6_ADDRSTRLEN];
		const void *p = *family == AF_INET ?
		    (const void *)&((struct sockaddr_in *)ss)->sin_addr :
		    (const void *)&((struct sockaddr_in6 *)ss)->sin6_addr;

		inet_ntop(*family, p, a, sizeof(a));
		if (port == 0)
			snprintf(text, textlen, "%s", a);
		else if (*family == AF_INET6)
			snprintf(text, textlen, "[%s]:%lld", a, port);
		else
			snprintf(text, textlen, "%s:%lld", a, port);
	}
	return true;
}

/* Replace *dst by a copy of v; false when out of memory. */
static bool
set_str(char **dst, const char *v)
{
	char *c;

	if (!(c = strdup(v)))
		return false;
	free(*dst);
	*dst = c;
	return true;
}

static bool
word_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (isspace((unsigned char)*s) || !isprint((unsigned char)*s) ||
		    *s == '"' || *s == '\\')
			return false;
	return true;
}

static bool
target_finish(struct probe_target *t, const char *file, unsigned int line,
    char *err, size_t errlen)
{
	char pfx[PROBE_HOSTLEN + 64];

	if (t->has_src) {
		if (t->type == PROBE_WG)
			return perr(err, errlen, file, line,
			    "\"src\" does not apply to wg") == 0;
		if (t->src.sa.sa_family != t->family)
			return perr(err, errlen, file, line,
			    "src and target %s are not of one family",
			    t->target) == 0;
	}
	switch (t->type) {
	case PROBE_HTTP:
		if (!t->path && !set_str(&t->path, "/"))
			return perr(err, errlen, file, line,
			    "out of memory") == 0;
		break;
	case PROBE_DNS:
		if (!t->query)
			return perr(err, errlen, file, line,
			    "dns %s needs \"query NAME\"", t->target) == 0;
		if (!t->qtype)
			t->qtype = 1;
		break;
	case PROBE_WG:
		if (!t->wg_peer[0])
			return perr(err, errlen, file, line,
			    "wg %s needs \"peer KEY\"", t->target) == 0;
		if (!t->wg_age_ms)
			t->wg_age_ms = 180000;
		break;
	default:
		break;
	}
	if (!t->name[0]) {
		snprintf(pfx, sizeof(pfx), "%s/%s%s%s", probe_type_name(t->type),
		    t->target, t->dev[0] ? "%" : "", t->dev);
		if (t->type == PROBE_WG)
			snprintf(pfx, sizeof(pfx), "wg/%s/%.8s", t->target,
			    t->wg_peer);
		strlcpy(t->name, pfx, sizeof(t->name));
	}
	return true;
}

bool
probe_targets_parse(char **w, int n, const char *file, unsigned int line,
    struct probe_target ***tvp, size_t *ntp, char *err, size_t errlen)
{
	struct probe_target *t = NULL, **tv;
	char why[300];
	const char *errstr;
	int i;

	for (i = 0; i < n; i++) {
		enum probe_type type;
		const char *k = w[i], *v;

		if (type_parse(k, &type)) {
			if (t && !target_finish(t, file, line, err, errlen))
				return false;
			if (i + 1 >= n)
				return perr(err, errlen, file, line,
				    "%s: missing address", k) == 0;
			v = w[++i];
			if (!(t = calloc(1, sizeof(*t))))
				return perr(err, errlen, file, line,
				    "out of memory") == 0;
			/*
			 * The vector doubles whenever its length reaches a
			 * power of two, so a list of thousands is not copied
			 * once per target.
			 */
			tv = *tvp;
			if (*ntp == 0 || (*ntp >= 8 &&
			    (*ntp & (*ntp - 1)) == 0))
				tv = reallocarray(*tvp, *ntp ? *ntp * 2 : 8,
				    sizeof(*tv));
			if (!tv) {
				free(t);
				return perr(err, errlen, file, line,
				    "out of memory") == 0;
			}
			*tvp = tv;
			tv[(*ntp)++] = t;
			t->type = type;
			t->line = line;
			t->last = -1;
			switch (type) {
			case PROBE_ICMP:
				if (!parse_hostport(v, 0, false, &t->addr,
				    &t->addrlen, &t->family, t->target,
				    sizeof(t->target), why, sizeof(why)))
					return perr(err, errlen, file, line,
					    "icmp: %s", why) == 0;
				if (strchr(t->target, ']') ||
				    (t->family == AF_INET &&
				    strchr(t->target, ':')))
					return perr(err, errlen, file, line,
					    "icmp: \"%s\": no port here",
					    v) == 0;
				break;
			case PROBE_TCP:
			case PROBE_TLS:
			case PROBE_DNS:
				if (!parse_hostport(v, type == PROBE_TLS ? 443 :
				    type == PROBE_DNS ? 53 : 0, true, &t->addr,
				    &t->addrlen, &t->family, t->target,
				    sizeof(t->target), why, sizeof(why)))
					return perr(err, errlen, file, line,
					    "%s: %s", k, why) == 0;
				if (type == PROBE_TLS && v[0] != '[') {
					/* A name is also the default SNI. */
					char h[PROBE_HOSTLEN];
					struct in6_addr a6;

					strlcpy(h, v, sizeof(h));
					if (strchr(h, ':') == strrchr(h, ':'))
						h[strcspn(h, ":")] = '\0';
					if (inet_pton(AF_INET, h, &a6) != 1 &&
					    inet_pton(AF_INET6, h, &a6) != 1 &&
					    !set_str(&t->host, h))
						return perr(err, errlen, file,
						    line, "out of memory") == 0;
				}
				break;
			case PROBE_HTTP: {
				char hp[PROBE_HOSTLEN];
				const char *s = v, *slash;

				if (strncmp(s, "http://", 7) == 0)
					s += 7;
				else if (strncmp(s, "https://", 8) == 0)
					return perr(err, errlen, file, line,
					    "http: use tls for https") == 0;
				slash = strchr(s, '/');
				if (!slash)
					slash = s + strlen(s);
				if ((size_t)(slash - s) >= sizeof(hp))
					return perr(err, errlen, file, line,
					    "http: bad address \"%s\"", v) == 0;
				memcpy(hp, s, (size_t)(slash - s));
				hp[slash - s] = '\0';
				if (strlen(slash) >= PROBE_HOSTLEN ||
				    (*slash && !word_ok(slash)))
					return perr(err, errlen, file, line,
					    "http: bad path in \"%s\"", v) == 0;
				if (!set_str(&t->path, *slash ? slash : "/"))
					return perr(err, errlen, file, line,
					    "out of memory") == 0;
				if (!parse_hostport(hp, 80, true, &t->addr,
				    &t->addrlen, &t->family, t->target,
				    sizeof(t->target), why, sizeof(why)))
					return perr(err, errlen, file, line,
					    "http: %s", why) == 0;
				if (!set_str(&t->host, hp))
					return perr(err, errlen, file, line,
					    "out of memory") == 0;
				break;
			}
			case PROBE_WG:
				if (strlen(v) >= IFNAMSIZ || !word_ok(v))
					return perr(err, errlen, file, line,
					    "wg: bad interface \"%s\"", v) == 0;
				strlcpy(t->target, v, sizeof(t->target));
				break;
			}
			continue;
		}
		if (!t)
			return perr(err, errlen, file, line,
			    "\"%s\": expected a probe type (icmp, tcp, tls, "
			    "http, dns, wg)", k) == 0;
		if (i + 1 >= n)
			return perr(err, errlen, file, line,
			    "\"%s\" needs a value", k) == 0;
		v = w[++i];
		if (strcmp(k, "dev") == 0) {
			if (strlen(v) >= IFNAMSIZ || !word_ok(v))
				return perr(err, errlen, file, line,
				    "bad interface name \"%s\"", v) == 0;
			if (t->type == PROBE_WG)
				return perr(err, errlen, file, line,
				    "\"dev\" does not apply to wg") == 0;
			strlcpy(t->dev, v, sizeof(t->dev));
		} else if (strcmp(k, "src") == 0) {
			struct addrinfo hints, *res;

			memset(&hints, 0, sizeof(hints));
			hints.ai_flags = AI_NUMERICHOST;
			if (getaddrinfo(v, NULL, &hints, &res) != 0)
				return perr(err, errlen, file, line,
				    "bad source address \"%s\"", v) == 0;
			if (res->ai_addrlen > sizeof(t->src)) {
				freeaddrinfo(res);
				return perr(err, errlen, file, line,
				    "bad source address \"%s\"", v) == 0;
			}
			memcpy(&t->src, res->ai_addr, res->ai_addrlen);
			freeaddrinfo(res);
			t->has_src = true;
		} else if (strcmp(k, "mark") == 0) {
			char *end;
			unsigned long m;

			errno = 0;
			m = strtoul(v, &end, 0);
			if (errno || *end || end == v || m > UINT32_MAX ||
			    v[0] == '-')
				return perr(err, errlen, file, line,
				    "bad mark \"%s\"", v) == 0;
			t->mark = (uint32_t)m;
			t->has_mark = true;
		} else if (strcmp(k, "timeout") == 0) {
			if (!probe_parse_duration(v, &t->timeout_ms) ||
			    t->timeout_ms == 0)
				return perr(err, errlen, file, line,
				    "bad timeout \"%s\"", v) == 0;
		} else if (strcmp(k, "name") == 0 || strcmp(k, "group") == 0) {
			char *dst = k[0] == 'n' ? t->name : t->group;

			if (!word_ok(v) || strlen(v) >= PROBE_NAMELEN ||
			    strcmp(v, "-") == 0)
				return perr(err, errlen, file, line,
				    "bad %s \"%s\"", k, v) == 0;
			strlcpy(dst, v, PROBE_NAMELEN);
		} else if (strcmp(k, "sni") == 0 && t->type == PROBE_TLS) {
			if (!word_ok(v) || strlen(v) > 255)
				return perr(err, errlen, file, line,
				    "bad sni \"%s\"", v) == 0;
			if (!set_str(&t->host, v))
				return perr(err, errlen, file, line,
				    "out of memory") == 0;
		} else if (strcmp(k, "host") == 0 && t->type == PROBE_HTTP) {
			if (!word_ok(v) || strlen(v) > 255)
				return perr(err, errlen, file, line,
				    "bad host \"%s\"", v) == 0;
			if (!set_str(&t->host, v))
				return perr(err, errlen, file, line,
				    "out of memory") == 0;
		} else if (strcmp(k, "expect") == 0 && t->type == PROBE_HTTP) {
			t->expect_status = (int)strtonum(v, 100, 599, &errstr);
			if (errstr)
				return perr(err, errlen, file, line,
				    "bad status \"%s\"", v) == 0;
		} else if (strcmp(k, "expect") == 0 && t->type == PROBE_DNS) {
			if (!addr_parse(v, &t->expect_family, &t->expect_addr,
			    why, sizeof(why)))
				return perr(err, errlen, file, line,
				    "expect: %s", why) == 0;
			t->has_expect_addr = true;
		} else if (strcmp(k, "query") == 0 && t->type == PROBE_DNS) {
			if (!word_ok(v) || strlen(v) > 253)
				return perr(err, errlen, file, line,
				    "bad query name \"%s\"", v) == 0;
			if (!set_str(&t->query, v))
				return perr(err, errlen, file, line,
				    "out of memory") == 0;
		} else if (strcmp(k, "qtype") == 0 && t->type == PROBE_DNS) {
			if (!probe_dns_qtype(v, &t->qtype))
				return perr(err, errlen, file, line,
				    "unknown qtype \"%s\"", v) == 0;
		} else if (strcmp(k, "peer") == 0 && t->type == PROBE_WG) {
			if (strlen(v) != 44 || v[43] != '=' || !word_ok(v))
				return perr(err, errlen, file, line,
				    "bad public key \"%s\"", v) == 0;
			strlcpy(t->wg_peer, v, sizeof(t->wg_peer));
		} else if (strcmp(k, "age") == 0 && t->type == PROBE_WG) {
			if (!probe_parse_duration(v, &t->wg_age_ms) ||
			    t->wg_age_ms == 0)
				return perr(err, errlen, file, line,
				    "bad age \"%s\"", v) == 0;
		} else
			return perr(err, errlen, file, line,
			    "unknown option \"%s\" for %s", k,
			    probe_type_name(t->type)) == 0;
	}
	if (t && !target_finish(t, file, line, err, errlen))
		return false;
	return true;
}

bool
probe_targets_load(const char *path, struct probe_target ***tv, size_t *nt,
    char *err, size_t errlen)
{
	FILE *f;
	char *line = NULL, *w[64], *p, *save;
	size_t cap = 0;
	ssize_t len;
	unsigned int lineno = 0;
	int n;
	bool ok = true;

	if (!(f = fopen(path, "r"))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if ((p = strchr(line, '#')))
			*p = '\0';
		n = 0;
		for (p = strtok_r(line, " \t\r\n", &save); p;
		    p = strtok_r(NULL, " \t\r\n", &save)) {
			if (n == (int)(sizeof(w) / sizeof(w[0]))) {
				perr(err, errlen, path, lineno,
				    "too many words");
				ok = false;
				goto out;
			}
			w[n++] = p;
		}
		if (n == 0)
			continue;
		if (!probe_targets_parse(w, n, path, lineno, tv, nt, err,
		    errlen)) {
			ok = false;
			goto out;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		ok = false;
	}
out:
	free(line);
	fclose(f);
	return ok;
}

void
probe_targets_free(struct probe_target **tv, size_t nt)
{
	size_t i, j;

	for (i = 0; i < nt; i++) {
		if (!tv[i])
			continue;
		if (tv[i]->slots)
			for (j = 0; j < tv[i]->nslots; j++)
				free(tv[i]->slots[j].buf);
		free(tv[i]->slots);
		free(tv[i]->hist);
		free(tv[i]->host);
		free(tv[i]->path);
		free(tv[i]->query);
		free(tv[i]);
	}
	free(tv);
}
