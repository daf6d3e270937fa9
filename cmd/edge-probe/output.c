// SPDX-License-Identifier: ISC
/*
 * Output: result and summary lines (tab-separated or JSON), the history
 * file, the Prometheus textfile, and the sliding-window statistics.  The
 * formats are an interface (edge-failover reads them): see OUTPUT in
 * edge-probe(8) before changing anything here.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "log.h"
#include "probe.h"

struct buf {
	char	b[1024];
	size_t	len;
};

static void __attribute__((format(printf, 2, 3)))
bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= sizeof(b->b))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->b + b->len, sizeof(b->b) - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
	if (b->len >= sizeof(b->b))
		b->len = sizeof(b->b) - 1;
}

/*
 * A string and a number, without printf: a result line is written for
 * every probe, so it is put together by hand.
 */
static void
bputs(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof(b->b) - 1 - b->len)
		n = sizeof(b->b) - 1 - b->len;
	memcpy(b->b + b->len, s, n);
	b->len += n;
}

static void
bputu(struct buf *b, unsigned long long v)
{
	char d[24], *p = d + sizeof(d);

	*--p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	bputs(b, p);
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Lines are gathered while the loop handles one wake-up and written, whole,
 * by a timer that fires before it waits again: a pipe reader sees every
 * result as soon as it is known, at one write(2) per wake-up instead of one
 * per line.
 */
#define OUTBUF	65536

static struct outbuf {
	int	 fd;
	bool	 lazy;		/* a regular file: write when full or asked */
	size_t	 len;
	char	 b[OUTBUF];
} out_std = { .fd = STDOUT_FILENO }, out_hist = { .fd = -1, .lazy = true };
static struct ev_timer flush_timer;
static bool flush_ready;

static void
flush_one(struct probe_ctx *ctx, struct outbuf *o)
{
	if (o->len == 0 || o->fd < 0)
		return;
	if (write_all(o->fd, o->b, o->len) == -1) {
		if (o == &out_std && errno == EPIPE)
			ev_break(ctx->ev);
		else if (o == &out_hist)
			log_warn("history");
	}
	o->len = 0;
}

void
probe_out_flush(struct probe_ctx *ctx)
{
	flush_one(ctx, &out_std);
	flush_one(ctx, &out_hist);
	if (flush_ready)
		ev_timer_stop(ctx->ev, &flush_timer);
}

static void
flush_cb(struct ev *ev, struct ev_timer *t)
{
	probe_out_flush(t->arg);
}

/*
 * Standard output to a pipe or a terminal is written before the loop
 * waits again; to a regular file, as the history file, only when the
 * buffer is full, with each summary (or every second) and at exit.
 */
void
probe_out_init(struct probe_ctx *ctx)
{
	struct stat st;

	out_std.lazy = fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode);
	out_hist.fd = ctx->histfd;
}

static void
append(struct probe_ctx *ctx, struct outbuf *o, const struct buf *b)
{
	if (o->len + b->len > sizeof(o->b))
		flush_one(ctx, o);
	memcpy(o->b + o->len, b->b, b->len);
	o->len += b->len;
	if (o->lazy)
		return;
	if (!flush_ready) {
		ev_timer_init(&flush_timer, flush_cb, ctx);
		flush_ready = true;
	}
	if (!ev_timer_pending(&flush_timer))
		ev_timer_start(ctx->ev, &flush_timer, 0);
}

static void
emit(struct probe_ctx *ctx, struct buf *b)
{
	append(ctx, &out_std, b);
}

static const char *
dash(const char *s)
{
	return s && s[0] ? s : "-";
}

/* JSON strings here never hold quotes, backslashes or controls (checked
 * when parsed), but details come from the network: filter anyway. */
static void
json_str(struct buf *b, const char *s)
{
	if (!s || !s[0]) {
		bprintf(b, "null");
		return;
	}
	bprintf(b, "\"");
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			bprintf(b, "\\u%04x", (unsigned char)*s);
		else
			bprintf(b, "%c", *s);
	bprintf(b, "\"");
}

static void
tsv_result(struct buf *b, const struct probe_slot *s)
{
	const struct probe_target *t = s->t;

	/* As "r\t%llu\t%s\t%s\t%s\t%s\t%u\t%s\t%u|-\t%s\n". */
	bputs(b, "r\t");
	bputu(b, s->sent_ms);
	bputs(b, "\t");
	bputs(b, t->name);
	bputs(b, "\t");
	bputs(b, dash(t->group));
	bputs(b, "\t");
	bputs(b, probe_type_name(t->type));
	bputs(b, "\t");
	bputs(b, t->target);
	bputs(b, "\t");
	bputu(b, s->seq);
	bputs(b, s->up ? "\tup\t" : "\tdown\t-");
	if (s->up)
		bputu(b, s->rtt_us);
	bputs(b, "\t");
	bputs(b, dash(s->detail));
	bputs(b, "\n");
}

void
probe_out_result(struct probe_ctx *ctx, const struct probe_slot *s)
{
	const struct probe_target *t = s->t;
	struct buf b;

	if (ctx->quiet && ctx->histfd < 0)
		return;
	b.len = 0;
	if (!ctx->json || ctx->histfd >= 0)
		tsv_result(&b, s);
	if (ctx->histfd >= 0)
		append(ctx, &out_hist, &b);
	if (ctx->quiet)
		return;
	if (!ctx->json) {
		emit(ctx, &b);
		return;
	}
	b.len = 0;
	bprintf(&b, "{\"kind\":\"result\",\"time_ms\":%llu,\"name\":",
	    (unsigned long long)s->sent_ms);
	json_str(&b, t->name);
	bprintf(&b, ",\"group\":");
	json_str(&b, t->group);
	bprintf(&b, ",\"type\":\"%s\",\"target\":", probe_type_name(t->type));
	json_str(&b, t->target);
	bprintf(&b, ",\"seq\":%u,\"status\":\"%s\",\"rtt_us\":", s->seq,
	    s->up ? "up" : "down");
	if (s->up)
		bprintf(&b, "%u", s->rtt_us);
	else
		bprintf(&b, "null");
	bprintf(&b, ",\"detail\":");
	json_str(&b, s->detail);
	bprintf(&b, "}\n");
	emit(ctx, &b);
}

void
probe_hist_add(struct probe_target *t, uint64_t sent_ms, uint32_t rtt)
{
	unsigned int k;

	if (t->hsize == 0)
		return;
	k = (t->hhead + t->hcount) % t->hsize;
	if (t->hcount == t->hsize)
		t->hhead = (t->hhead + 1) % t->hsize;
	else
		t->hcount++;
	t->hist[k].sent_ms = sent_ms;
	t->hist[k].rtt_us = rtt;
}

/* Square root by Newton's method: libm is not linked into the tools. */
static double
root(double x)
{
	double r = x > 1 ? x / 2 : 1;
	int i;

	if (x <= 0)
		return 0;
	for (i = 0; i < 100; i++) {
		double n = (r + x / r) / 2;

		if (n == r)
			break;
		r = n;
	}
	return r;
}

struct stats {
	unsigned int	sent;
	unsigned int	recv;
	double		loss;
	double		avg;
	double		sd;
};

static void
window_stats(const struct probe_target *t, uint64_t now_ms,
    uint64_t window_ms, struct stats *st)
{
	double sum = 0, sq = 0;
	unsigned int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < t->hcount; i++) {
		const struct probe_hist *h =
		    &t->hist[(t->hhead + i) % t->hsize];

		if (h->sent_ms + window_ms < now_ms)
			continue;
		st->sent++;
		if (h->rtt_us != UINT32_MAX) {
			st->recv++;
			sum += h->rtt_us;
		}
	}
	if (st->sent)
		st->loss = 100.0 * (st->sent - st->recv) / st->sent;
	if (st->recv == 0)
		return;
	st->avg = sum / st->recv;
	for (i = 0; i < t->hcount; i++) {
		const struct probe_hist *h =
		    &t->hist[(t->hhead + i) % t->hsize];

		if (h->sent_ms + window_ms < now_ms || h->rtt_us == UINT32_MAX)
			continue;
		sq += (h->rtt_us - st->avg) * (h->rtt_us - st->avg);
	}
	st->sd = root(sq / st->recv);
}

static const char *
last_word(const struct probe_target *t)
{
	return t->last < 0 ? NULL : t->last ? "up" : "down";
}

void
probe_out_summary(struct probe_ctx *ctx, struct probe_target *t,
    uint64_t now_ms, uint64_t window_ms, bool final)
{
	struct buf b = { .len = 0 };
	struct stats st;
	uint64_t epoch = ev_realtime_ms();

	if (ctx->quiet)
		return;
	window_stats(t, now_ms, window_ms, &st);
	if (!ctx->json) {
		bprintf(&b, "s\t%llu\t%s\t%s\t%s\t%llu\t%u\t%u\t",
		    (unsigned long long)epoch, t->name, dash(t->group),
		    probe_type_name(t->type), (unsigned long long)window_ms,
		    st.sent, st.recv);
		if (st.sent)
			bprintf(&b, "%.1f\t", st.loss);
		else
			bprintf(&b, "-\t");
		if (st.recv)
			bprintf(&b, "%.0f\t%.0f\t", st.avg, st.sd);
		else
			bprintf(&b, "-\t-\t");
		bprintf(&b, "%s\n", dash(last_word(t)));
		emit(ctx, &b);
		return;
	}
	bprintf(&b, "{\"kind\":\"summary\",\"time_ms\":%llu,\"name\":",
	    (unsigned long long)epoch);
	json_str(&b, t->name);
	bprintf(&b, ",\"group\":");
	json_str(&b, t->group);
	bprintf(&b, ",\"type\":\"%s\",\"window_ms\":%llu,\"sent\":%u,"
	    "\"received\":%u,\"loss_pct\":", probe_type_name(t->type),
	    (unsigned long long)window_ms, st.sent, st.recv);
	if (st.sent)
		bprintf(&b, "%.1f", st.loss);
	else
		bprintf(&b, "null");
	if (st.recv)
		bprintf(&b, ",\"avg_us\":%.0f,\"stddev_us\":%.0f", st.avg,
		    st.sd);
	else
		bprintf(&b, ",\"avg_us\":null,\"stddev_us\":null");
	bprintf(&b, ",\"status\":");
	json_str(&b, last_word(t));
	bprintf(&b, "}\n");
	emit(ctx, &b);
}

static void
prom_labels(FILE *f, const struct probe_target *t)
{
	fprintf(f, "{name=\"%s\",group=\"%s\",type=\"%s\",target=\"%s\"}",
	    t->name, t->group, probe_type_name(t->type), t->target);
}

int
probe_out_prometheus(struct probe_ctx *ctx, const char *path)
{
	static const struct {
		const char	*name;
		const char	*type;
		const char	*help;
	} m[] = {
		{ "edge_probe_up", "gauge",
		    "1 when the latest probe succeeded" },
		{ "edge_probe_rtt_seconds", "gauge",
		    "Latency of the latest successful probe" },
		{ "edge_probe_loss_ratio", "gauge",
		    "Lost probes over the window" },
		{ "edge_probe_rtt_avg_seconds", "gauge",
		    "Average latency over the window" },
		{ "edge_probe_rtt_stddev_seconds", "gauge",
		    "Standard deviation of the latency over the window" },
		{ "edge_probe_sent_total", "counter", "Probes sent" },
		{ "edge_probe_received_total", "counter",
		    "Probes that succeeded" },
	};
	char tmp[4096];
	uint64_t now = ev_monotonic_us() / 1000;
	size_t i, j;
	FILE *f;
	int fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1)
		return -1;
	if (fchmod(fd, 0644) == -1 || !(f = fdopen(fd, "w"))) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	for (j = 0; j < sizeof(m) / sizeof(m[0]); j++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", m[j].name,
		    m[j].help, m[j].name, m[j].type);
		for (i = 0; i < ctx->nt; i++) {
			struct probe_target *t = ctx->tv[i];
			struct stats st;

			window_stats(t, now, ctx->continuous ? ctx->window_ms :
			    now - ctx->start_ms + 1, &st);
			switch (j) {
			case 0:
				if (t->last < 0)
					continue;
				fprintf(f, "%s", m[j].name);
				prom_labels(f, t);
				fprintf(f, " %d\n", t->last);
				break;
			case 1:
				if (!t->ever_up)
					continue;
				fprintf(f, "%s", m[j].name);
				prom_labels(f, t);
				fprintf(f, " %.6f\n", t->last_rtt_us / 1e6);
				break;
			case 2:
				if (!st.sent)
					continue;
				fprintf(f, "%s", m[j].name);
				prom_labels(f, t);
				fprintf(f, " %.4f\n", st.loss / 100);
				break;
			case 3:
			case 4:
				if (!st.recv)
					continue;
				fprintf(f, "%s", m[j].name);
				prom_labels(f, t);
				fprintf(f, " %.6f\n",
				    (j == 3 ? st.avg : st.sd) / 1e6);
				break;
			case 5:
			case 6:
				fprintf(f, "%s", m[j].name);
				prom_labels(f, t);
				fprintf(f, " %llu\n", (unsigned long long)
				    (j == 5 ? t->sent_total : t->recv_total));
				break;
			}
		}
	}
	if (fflush(f) == EOF || fsync(fileno(f)) == -1) {
		saved = errno;
		fclose(f);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	if (fclose(f) == EOF || rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}
