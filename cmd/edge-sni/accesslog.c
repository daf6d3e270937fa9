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

char *
sni_sa_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {
			inet_ntop(AF_INET, s->sin6_addr.s6_addr + 12, a,
			    sizeof(a));
			snprintf(buf, len, "%s:%u", a, ntohs(s->sin6_port));
		} else {
			inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
			snprintf(buf, len, "[%s]:%u", a, ntohs(s->sin6_port));
		}
	} else if (ss->ss_family == AF_UNIX)
		snprintf(buf, len, "unix:%s",
		    ((const struct sockaddr_un *)ss)->sun_path);
	else
		snprintf(buf, len, "-");
	return buf;
}

/* Lines are buffered and written whole, so several workers can append
 * to one file (O_APPEND) without tearing each other's lines. */
void
sni_access_log(const struct conn *c, int res)
{
	/* be: "unix:" and a socket path at most */
	char cl[64], be[128], line[1024];
	uint64_t now = ev_realtime_ms(), dur = ev_now_ms(sni_w.ev) - c->start_ms;
	uint64_t t = now - dur;
	const char *name = c->name[0] ? c->name : "-";
	int n;

	if (sni_w.alog == -1)
		return;
	sni_sa_str(&c->client, cl, sizeof(cl));
	if (c->baddrlen)
		sni_sa_str(&c->baddr, be, sizeof(be));
	else
		strlcpy(be, "-", sizeof(be));
	if (sni_w.conf->logfmt == SNI_LOG_JSON)
		n = snprintf(line, sizeof(line), "{\"time\":%llu.%03u,"
		    "\"client\":\"%s\",\"listener\":\"%s\",\"sni\":\"%s\","
		    "\"backend\":\"%s\",\"result\":\"%s\",\"bytes_up\":%llu,"
		    "\"bytes_down\":%llu,\"duration_ms\":%llu}\n",
		    (unsigned long long)(t / 1000), (unsigned int)(t % 1000),
		    cl, c->l->spec, name, be, sni_results[res],
		    (unsigned long long)c->up.bytes,
		    (unsigned long long)c->down.bytes,
		    (unsigned long long)dur);
	else
		n = snprintf(line, sizeof(line), "%llu.%03u\t%s\t%s\t%s\t%s\t"
		    "%s\t%llu\t%llu\t%llu\n", (unsigned long long)(t / 1000),
		    (unsigned int)(t % 1000), cl, c->l->spec, name, be,
		    sni_results[res], (unsigned long long)c->up.bytes,
		    (unsigned long long)c->down.bytes,
		    (unsigned long long)dur);
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	if (sni_w.alen + n > sizeof(sni_w.abuf))
		sni_worker_flush();
	memcpy(sni_w.abuf + sni_w.alen, line, n);
	sni_w.alen += n;
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
