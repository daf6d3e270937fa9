// SPDX-License-Identifier: ISC
/*
 * Reporting: one access-log line per connection (tab-separated or JSON),
 * the counters in the log on SIGUSR1 and in a Prometheus textfile.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "engine.h"

const char *sni_results[] = {
	"ok", "error", "hello-timeout", "connect-timeout", "idle-timeout",
	"dns-timeout", "dns-fail", "nxdomain", "no-address", "not-allowed",
	"no-sni", "bad-name", "not-tls", "not-http", "no-host",
	"not-postgres", "bad-proxy", "ipv6-client", "connect-fail",
	"backend-no-tls", "client-closed", "no-fd", "reset", "shutdown",
};

/*
 * The access log is written by hand, not by printf: formatting was most
 * of edge-sni's own instructions per connection.
 */
static char *
put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static char *
put_u64(char *p, uint64_t v)
{
	char t[20];
	int n = 0;

	do {
		t[n++] = '0' + v % 10;
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*p++ = t[--n];
	return p;
}

static char *
put_v4(char *p, const uint8_t *a)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (i > 0)
			*p++ = '.';
		p = put_u64(p, a[i]);
	}
	return p;
}

/* RFC 5952: lowercase, no leading zeros, the longest run of two or more
 * zero groups (the first of equal ones) as "::". */
static char *
put_v6(char *p, const uint8_t *a)
{
	static const char hex[] = "0123456789abcdef";
	int i, run = 0, best = -1, bestlen = 1;

	for (i = 0; i < 8; i++) {
		if (a[2 * i] == 0 && a[2 * i + 1] == 0) {
			if (++run > bestlen) {
				bestlen = run;
				best = i - run + 1;
			}
		} else
			run = 0;
	}
	for (i = 0; i < 8; i++) {
		unsigned int w = a[2 * i] << 8 | a[2 * i + 1];
		int sh;

		if (i == best) {
			*p++ = ':';
			*p++ = ':';
			i += bestlen - 1;
			continue;
		}
		if (i > 0 && i != best + bestlen)
			*p++ = ':';
		for (sh = 12; sh > 0 && (w >> sh) == 0; sh -= 4)
			;
		for (; sh >= 0; sh -= 4)
			*p++ = hex[(w >> sh) & 0xf];
	}
	return p;
}

/* An address and port as "192.0.2.1:443" or "[2001:db8::1]:443" (a
 * v4-mapped address as IPv4), a UNIX socket as "unix:PATH"; "-" for
 * none.  At most SA_MAX_LEN characters. */
#define SA_MAX_LEN	(5 + sizeof(((struct sockaddr_un *)0)->sun_path))
static char *
put_sa(char *p, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		p = put_v4(p, (const uint8_t *)&s4->sin_addr);
		*p++ = ':';
		return put_u64(p, ntohs(s4->sin_port));
	}
	if (ss->ss_family == AF_UNIX) {
		const struct sockaddr_un *su = (const struct sockaddr_un *)ss;
		size_t n = strnlen(su->sun_path, sizeof(su->sun_path));

		p = put_str(p, "unix:");
		memcpy(p, su->sun_path, n);
		return p + n;
	}
	if (ss->ss_family != AF_INET6) {
		*p++ = '-';
		return p;
	}
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		p = put_v4(p, s6->sin6_addr.s6_addr + 12);
	else {
		*p++ = '[';
		p = put_v6(p, s6->sin6_addr.s6_addr);
		*p++ = ']';
	}
	*p++ = ':';
	return put_u64(p, ntohs(s6->sin6_port));
}

char *
sni_sa_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char t[SA_MAX_LEN + 1];

	*put_sa(t, ss) = '\0';
	strlcpy(buf, t, len);
	return buf;
}

/* The longest line: the fixed text and the longest of every field. */
#define LINE_MAX_LEN	(128 + 2 * SA_MAX_LEN + sizeof(((struct sni_listener *)0)->spec) + \
	SNI_NAME_MAX + 16 + 4 * 20)

/* Lines are buffered and written whole, so several workers can append
 * to one file (O_APPEND) without tearing each other's lines. */
void
sni_access_log(const struct conn *c, int res)
{
	uint64_t now = ev_realtime_ms(), dur = ev_now_ms(sni_w.ev) - c->start_ms;
	uint64_t t = now - dur;
	const char *name = c->name[0] ? c->name : "-";
	bool json = sni_w.conf->logfmt == SNI_LOG_JSON;
	char *p;

	if (sni_w.alog == -1)
		return;
	if (sni_w.alen + LINE_MAX_LEN > sizeof(sni_w.abuf))
		sni_worker_flush();
	p = sni_w.abuf + sni_w.alen;
	p = put_str(p, json ? "{\"time\":" : "");
	p = put_u64(p, t / 1000);
	*p++ = '.';
	*p++ = '0' + t % 1000 / 100;
	*p++ = '0' + t % 100 / 10;
	*p++ = '0' + t % 10;
	p = put_str(p, json ? ",\"client\":\"" : "\t");
	p = put_sa(p, &c->client);
	p = put_str(p, json ? "\",\"listener\":\"" : "\t");
	p = put_str(p, c->l->spec);
	p = put_str(p, json ? "\",\"sni\":\"" : "\t");
	p = put_str(p, name);
	p = put_str(p, json ? "\",\"backend\":\"" : "\t");
	if (c->baddrlen)
		p = put_sa(p, &c->baddr);
	else
		*p++ = '-';
	p = put_str(p, json ? "\",\"result\":\"" : "\t");
	p = put_str(p, sni_results[res]);
	p = put_str(p, json ? "\",\"bytes_up\":" : "\t");
	p = put_u64(p, c->up.bytes);
	p = put_str(p, json ? ",\"bytes_down\":" : "\t");
	p = put_u64(p, c->down.bytes);
	p = put_str(p, json ? ",\"duration_ms\":" : "\t");
	p = put_u64(p, dur);
	p = put_str(p, json ? "}\n" : "\n");
	sni_w.alen = p - sni_w.abuf;
}

void
sni_stats_write(void)
{
	char path[PATH_MAX + 16], tmp[PATH_MAX + 32];
	const char *p = sni_w.conf->stats;
	size_t pl = strlen(p);
	FILE *f;
	int i;

	if (p[0] == '\0')
		return;
	if (sni_w.conf->workers > 1 && pl > 5 && strcmp(p + pl - 5, ".prom") == 0)
		snprintf(path, sizeof(path), "%.*s-w%d.prom", (int)(pl - 5), p,
		    sni_worker_id);
	else if (sni_w.conf->workers > 1)
		snprintf(path, sizeof(path), "%s.%d", p, sni_worker_id);
	else
		snprintf(path, sizeof(path), "%s", p);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		log_warn("%s", tmp);
		return;
	}
	fprintf(f, "# HELP edge_sni_connections_total Connections accepted.\n"
	    "# TYPE edge_sni_connections_total counter\n"
	    "edge_sni_connections_total{worker=\"%d\"} %llu\n"
	    "# HELP edge_sni_connections_active Connections open now.\n"
	    "# TYPE edge_sni_connections_active gauge\n"
	    "edge_sni_connections_active{worker=\"%d\"} %llu\n"
	    "# HELP edge_sni_results_total Connections closed, by result.\n"
	    "# TYPE edge_sni_results_total counter\n",
	    sni_worker_id, (unsigned long long)sni_stats.accepted,
	    sni_worker_id, (unsigned long long)sni_stats.active);
	for (i = 0; i < RES_MAX; i++)
		fprintf(f, "edge_sni_results_total{worker=\"%d\",result=\"%s\"}"
		    " %llu\n", sni_worker_id, sni_results[i],
		    (unsigned long long)sni_w.by_result[i]);
	fprintf(f, "# HELP edge_sni_bytes_total Bytes relayed.\n"
	    "# TYPE edge_sni_bytes_total counter\n"
	    "edge_sni_bytes_total{worker=\"%d\",direction=\"up\"} %llu\n"
	    "edge_sni_bytes_total{worker=\"%d\",direction=\"down\"} %llu\n"
	    "# HELP edge_sni_dns_lookups_total Name lookups, by cache use.\n"
	    "# TYPE edge_sni_dns_lookups_total counter\n"
	    "edge_sni_dns_lookups_total{worker=\"%d\",cache=\"hit\"} %llu\n"
	    "edge_sni_dns_lookups_total{worker=\"%d\",cache=\"miss\"} %llu\n"
	    "# HELP edge_sni_accept_paused_total Accept pauses for lack of "
	    "descriptors.\n"
	    "# TYPE edge_sni_accept_paused_total counter\n"
	    "edge_sni_accept_paused_total{worker=\"%d\"} %llu\n",
	    sni_worker_id, (unsigned long long)sni_stats.bytes_up,
	    sni_worker_id, (unsigned long long)sni_stats.bytes_down,
	    sni_worker_id, (unsigned long long)sni_stats.dns_hit,
	    sni_worker_id, (unsigned long long)sni_stats.dns_miss,
	    sni_worker_id, (unsigned long long)sni_stats.accept_paused);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		log_warn("%s", path);
		unlink(tmp);
	}
}

void
sni_worker_stats(void)
{
	log_info("worker %d: accepted %llu active %llu ok %llu refused %llu "
	    "errors %llu hello-timeout %llu connect-timeout %llu "
	    "idle-timeout %llu dns-fail %llu not-allowed %llu dns hit %llu "
	    "miss %llu bytes up %llu down %llu accept-paused %llu",
	    sni_worker_id,
	    (unsigned long long)sni_stats.accepted,
	    (unsigned long long)sni_stats.active,
	    (unsigned long long)sni_stats.ok,
	    (unsigned long long)sni_stats.refused,
	    (unsigned long long)sni_stats.errors,
	    (unsigned long long)sni_stats.hello_timeout,
	    (unsigned long long)sni_stats.connect_timeout,
	    (unsigned long long)sni_stats.idle_timeout,
	    (unsigned long long)sni_stats.dns_fail,
	    (unsigned long long)sni_stats.not_allowed,
	    (unsigned long long)sni_stats.dns_hit,
	    (unsigned long long)sni_stats.dns_miss,
	    (unsigned long long)sni_stats.bytes_up,
	    (unsigned long long)sni_stats.bytes_down,
	    (unsigned long long)sni_stats.accept_paused);
	sni_worker_flush();
	sni_stats_write();
}

void
sni_worker_flush(void)
{
	size_t off = 0;
	ssize_t n;

	while (sni_w.alog != -1 && off < sni_w.alen) {
		n = write(sni_w.alog, sni_w.abuf + off, sni_w.alen - off);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			log_warn("access log");
			break;
		}
		off += n;
	}
	sni_w.alen = 0;
}

void
sni_worker_reopen(void)
{
	const char *p = sni_w.conf->access_log;

	sni_worker_flush();
	if (sni_w.alog > STDERR_FILENO)
		close(sni_w.alog);
	sni_w.alog = -1;
	if (strcmp(p, "-") == 0)
		sni_w.alog = STDOUT_FILENO;
	else if (p[0] != '\0' && (sni_w.alog = open(p, O_WRONLY | O_APPEND |
	    O_CREAT | O_CLOEXEC, 0640)) == -1)
		log_warn("%s", p);
}
