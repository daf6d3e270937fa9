// SPDX-License-Identifier: ISC
/*
 * edge-probe report: read a history file (result lines written with -o) and
 * print a summary per target; with -s, draw a smokeping-style SVG: per
 * target a panel with the latency median and its spread per time bucket,
 * and the loss along the bottom.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "probe.h"

#define DOWN	UINT32_MAX

struct sample {
	uint64_t	ms;
	uint32_t	rtt;
};

struct series {
	char		 name[PROBE_NAMELEN];
	char		 type[8];
	struct sample	*v;
	size_t		 n;
	size_t		 cap;
};

struct history {
	struct series	*s;
	size_t		 n;
	uint64_t	 tmin;
	uint64_t	 tmax;
};

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_sample(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;

	return x->ms < y->ms ? -1 : x->ms > y->ms;
}

/* Nearest-rank percentile of a sorted vector. */
static uint32_t
pct(const uint32_t *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (size_t)(p / 100 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

static struct series *
series_get(struct history *h, const char *name, const char *type)
{
	struct series *s;
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->s[i].name, name) == 0)
			return &h->s[i];
	if (!(s = reallocarray(h->s, h->n + 1, sizeof(*s))))
		return NULL;
	h->s = s;
	s = &h->s[h->n++];
	memset(s, 0, sizeof(*s));
	strlcpy(s->name, name, sizeof(s->name));
	strlcpy(s->type, type, sizeof(s->type));
	return s;
}

static int
load(const char *path, struct history *h)
{
	FILE *f;
	char *line = NULL, *col[10], *p;
	size_t cap = 0;
	unsigned int lineno = 0;
	int n, rc = -1;

	if (!(f = fopen(path, "r"))) {
		warn("%s", path);
		return -1;
	}
	h->tmin = UINT64_MAX;
	while (getline(&line, &cap, f) != -1) {
		struct series *s;
		struct sample *v;
		const char *errstr;
		uint64_t ms;
		uint32_t rtt;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != 'r')
			continue;	/* summaries, blank lines */
		for (n = 0, p = line; n < 10 && p; n++)
			col[n] = strsep(&p, "\t");
		if (n < 10 || strcmp(col[0], "r") != 0) {
			warnx("%s:%u: not a result line", path, lineno);
			goto out;
		}
		ms = (uint64_t)strtonum(col[1], 0, LLONG_MAX, &errstr);
		if (errstr) {
			warnx("%s:%u: bad time \"%s\"", path, lineno, col[1]);
			goto out;
		}
		if (strcmp(col[7], "up") == 0) {
			rtt = (uint32_t)strtonum(col[8], 0, UINT32_MAX - 1,
			    &errstr);
			if (errstr) {
				warnx("%s:%u: bad latency \"%s\"", path,
				    lineno, col[8]);
				goto out;
			}
		} else if (strcmp(col[7], "down") == 0)
			rtt = DOWN;
		else {
			warnx("%s:%u: bad status \"%s\"", path, lineno,
			    col[7]);
			goto out;
		}
		if (!(s = series_get(h, col[2], col[4])))
			goto nomem;
		if (s->n == s->cap) {
			size_t nc = s->cap ? s->cap * 2 : 256;

			if (!(v = reallocarray(s->v, nc, sizeof(*v))))
				goto nomem;
			s->v = v;
			s->cap = nc;
		}
		s->v[s->n].ms = ms;
		s->v[s->n].rtt = rtt;
		s->n++;
		if (ms < h->tmin)
			h->tmin = ms;
		if (ms > h->tmax)
			h->tmax = ms;
	}
	if (ferror(f)) {
		warn("%s", path);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	warnx("out of memory");
out:
	free(line);
	fclose(f);
	return rc;
}

static void
summary(const struct history *h)
{
	size_t i, j;

	printf("name\ttype\tsent\tup\tavail_pct\tp50_us\tp95_us\t"
	    "longest_outage_ms\n");
	for (i = 0; i < h->n; i++) {
		const struct series *s = &h->s[i];
		uint32_t *r = malloc((s->n + 1) * sizeof(*r));
		size_t nup = 0;
		uint64_t longest = 0, start = 0;
		bool in = false;

		if (!r)
			err(2, NULL);
		for (j = 0; j < s->n; j++) {
			if (s->v[j].rtt != DOWN) {
				r[nup++] = s->v[j].rtt;
				if (in && s->v[j].ms - start > longest)
					longest = s->v[j].ms - start;
				in = false;
			} else if (!in) {
				in = true;
				start = s->v[j].ms;
			}
		}
		/* Still down at the end: count to the last result. */
		if (in && s->n > 0 && s->v[s->n - 1].ms - start >= longest)
			longest = s->v[s->n - 1].ms - start;
		qsort(r, nup, sizeof(*r), cmp_u32);
		printf("%s\t%s\t%zu\t%zu\t%.2f\t", s->name, s->type, s->n, nup,
		    s->n ? 100.0 * (double)nup / (double)s->n : 0.0);
		if (nup)
			printf("%u\t%u\t", pct(r, nup, 50), pct(r, nup, 95));
		else
			printf("-\t-\t");
		printf("%llu\n", (unsigned long long)longest);
		free(r);
	}
}

static void
xml_text(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		default:
			fputc(*s, f);
		}
}

static void
fmt_time(char *buf, size_t len, uint64_t ms, bool date)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, date ? "%Y-%m-%d %H:%M:%S UTC" : "%H:%M:%S", &tm);
}

/* An axis label: microseconds below a millisecond, else milliseconds. */
static void
fmt_latency(char *buf, size_t len, double us, uint32_t scale)
{
	if (scale < 2000)
		snprintf(buf, len, "%.0f us", us);
	else if (scale < 20000)
		snprintf(buf, len, "%.1f ms", us / 1000);
	else
		snprintf(buf, len, "%.0f ms", us / 1000);
}

/* Loss colours, as smokeping: none, a little, some, much, all. */
static const char *
loss_colour(double loss)
{
	if (loss <= 0)
		return "#00a000";
	if (loss < 5)
		return "#00b8e0";
	if (loss < 20)
		return "#8040ff";
	if (loss < 50)
		return "#ff8000";
	return "#e00000";
}

#define W	900
#define PH	180
#define ML	70
#define MR	20
#define MT	40
#define LOSSH	14

static int
svg(const struct history *h, const char *path, uint64_t bucket_ms)
{
	uint64_t span = h->tmax - h->tmin + 1;
	size_t nb, i, j, b;
	double pw = W - ML - MR, bw;
	char t1[64], t2[64];
	FILE *f;
	int height = MT + (int)h->n * (PH + 40) + 30;

	if (bucket_ms == 0)
		bucket_ms = span / 120 ? span / 120 : 1;
	nb = (size_t)((span + bucket_ms - 1) / bucket_ms);
	if (nb > 2000)
		nb = 2000, bucket_ms = (span + 1999) / 2000;
	if (nb == 0)
		nb = 1;
	bw = pw / (double)nb;
	if (!(f = fopen(path, "w"))) {
		warn("%s", path);
		return -1;
	}
	fmt_time(t1, sizeof(t1), h->tmin, true);
	fmt_time(t2, sizeof(t2), h->tmax, true);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
	    "font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" "
	    "fill=\"white\"/>\n<text x=\"%d\" y=\"20\" font-size=\"14\">"
	    "edge-probe: %s to %s, buckets of %llu ms</text>\n",
	    W, height, W, height, ML, t1, t2, (unsigned long long)bucket_ms);
	for (i = 0; i < h->n; i++) {
		const struct series *s = &h->s[i];
		uint32_t *all, *r, ymax;
		size_t nup = 0, *cnt, *start, k;
		double y0 = MT + (double)i * (PH + 40) + 20, yb = y0 + PH;

		/* Scale: the 98th percentile of everything, with room. */
		if (!(all = malloc((s->n + 1) * sizeof(*all))) ||
		    !(cnt = calloc(nb + 1, sizeof(*cnt))) ||
		    !(start = calloc(nb + 1, sizeof(*start))) ||
		    !(r = malloc((s->n + 1) * sizeof(*r))))
			err(2, NULL);
		for (j = 0; j < s->n; j++)
			if (s->v[j].rtt != DOWN)
				all[nup++] = s->v[j].rtt;
		qsort(all, nup, sizeof(*all), cmp_u32);
		ymax = nup ? pct(all, nup, 98) : 1000;
		ymax = ymax + ymax / 5 + 1;
		fprintf(f, "<g>\n<text x=\"%d\" y=\"%.0f\" font-size=\"13\" "
		    "font-weight=\"bold\">", ML, y0 - 6);
		xml_text(f, s->name);
		fprintf(f, " (%s)</text>\n", s->type);
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" "
		    "fill=\"#333\">%zu probes, %.2f%% up", ML + pw, y0 - 6,
		    s->n, s->n ? 100.0 * (double)nup / (double)s->n : 0.0);
		if (nup) {
			char l1[32], l2[32];

			fmt_latency(l1, sizeof(l1), pct(all, nup, 50),
			    pct(all, nup, 50));
			fmt_latency(l2, sizeof(l2), pct(all, nup, 95),
			    pct(all, nup, 95));
			fprintf(f, ", median %s, p95 %s", l1, l2);
		}
		fprintf(f, "</text>\n");
		fprintf(f, "<rect x=\"%d\" y=\"%.0f\" width=\"%.0f\" "
		    "height=\"%d\" fill=\"#fafafa\" stroke=\"#888\"/>\n", ML,
		    y0, pw, PH);
		for (k = 0; k <= 4; k++) {
			double y = yb - LOSSH - (PH - LOSSH) * (double)k / 4;

			char lab[32];

			fmt_latency(lab, sizeof(lab),
			    (double)ymax * (double)k / 4, ymax);
			fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.0f\" "
			    "y2=\"%.1f\" stroke=\"#ddd\"/>\n<text x=\"%d\" "
			    "y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			    ML, y, ML + pw, y, ML - 4, y + 4, lab);
		}
		/* Samples are per target in time order; sort to be sure. */
		qsort(s->v, s->n, sizeof(*s->v), cmp_sample);
		for (j = 0; j < s->n; j++) {
			b = (size_t)((s->v[j].ms - h->tmin) / bucket_ms);
			if (b >= nb)
				b = nb - 1;
			cnt[b]++;
		}
		for (b = 1; b <= nb; b++)
			start[b] = start[b - 1] + cnt[b - 1];
		for (b = 0; b < nb; b++) {
			size_t m = 0, lost;
			double x = ML + bw * (double)b, loss;
			uint32_t mn, q1, med, q3, mx;

			if (cnt[b] == 0) {
				continue;
			}
			for (j = start[b]; j < start[b] + cnt[b]; j++)
				if (s->v[j].rtt != DOWN)
					r[m++] = s->v[j].rtt;
			lost = cnt[b] - m;
			loss = 100.0 * (double)lost / (double)cnt[b];
			if (lost)
				fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" "
				    "width=\"%.2f\" height=\"%.1f\" "
				    "fill=\"%s\"><title>loss %.1f%%</title>"
				    "</rect>\n", x, yb - LOSSH * loss / 100,
				    bw, LOSSH * loss / 100, loss_colour(loss),
				    loss);
			if (m == 0) {
				continue;
			}
			qsort(r, m, sizeof(*r), cmp_u32);
			mn = r[0];
			mx = r[m - 1];
			q1 = pct(r, m, 25);
			med = pct(r, m, 50);
			q3 = pct(r, m, 75);
#define Y(v) (yb - LOSSH - (PH - LOSSH) * \
	    ((double)((v) > ymax ? ymax : (v)) / (double)ymax))
			fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
			    "height=\"%.1f\" fill=\"#d8d8d8\"/>\n", x, Y(mx), bw,
			    Y(mn) - Y(mx) + 0.5);
			fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
			    "height=\"%.1f\" fill=\"#909090\"/>\n", x, Y(q3), bw,
			    Y(q1) - Y(q3) + 0.5);
			fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
			    "height=\"2\" fill=\"%s\"><title>median %.3f ms, "
			    "loss %.1f%%</title></rect>\n", x, Y(med) - 1,
			    bw, loss_colour(loss), (double)med / 1000, loss);
#undef Y
		}
		for (k = 0; k <= 4; k++) {
			uint64_t tm = h->tmin + span * k / 4;
			double x = ML + pw * (double)k / 4;

			fmt_time(t1, sizeof(t1), tm, false);
			fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" "
			    "text-anchor=\"%s\">%s</text>\n", x, yb + 14,
			    k == 0 ? "start" : k == 4 ? "end" : "middle", t1);
		}
		fprintf(f, "</g>\n");
		free(all);
		free(cnt);
		free(start);
		free(r);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#555\">median: line "
	    "(colour = loss: green 0, blue &lt;5%%, purple &lt;20%%, "
	    "orange &lt;50%%, red more); dark band 25-75th percentile; "
	    "light band min-max; bars: loss</text>\n</svg>\n", ML,
	    height - 10);
	if (fclose(f) == EOF) {
		warn("%s", path);
		return -1;
	}
	return 0;
}

int
probe_report_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "bucket",	required_argument,	NULL, 'b' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "svg",	required_argument,	NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct history h;
	const char *svgfile = NULL;
	uint64_t bucket = 0;
	size_t i;
	int ch, rc = 0;

	while ((ch = getopt_long(argc, argv, "b:hs:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (!probe_parse_duration(optarg, &bucket) ||
			    bucket == 0)
				errx(2, "-b: bad duration \"%s\"", optarg);
			break;
		case 'h':
			printf("usage: edge-probe report [-b bucket] "
			    "[-s svgfile] history\n");
			return 0;
		case 's':
			svgfile = optarg;
			break;
		default:
			fprintf(stderr, "usage: edge-probe report [-b bucket] "
			    "[-s svgfile] history\n");
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: edge-probe report [-b bucket] "
		    "[-s svgfile] history\n");
		return 2;
	}
	memset(&h, 0, sizeof(h));
	if (load(argv[optind], &h) == -1)
		rc = 2;
	else if (h.n == 0) {
		warnx("%s: no results", argv[optind]);
		rc = 1;
	} else {
		summary(&h);
		if (svgfile && svg(&h, svgfile, bucket) == -1)
			rc = 2;
	}
	for (i = 0; i < h.n; i++)
		free(h.s[i].v);
	free(h.s);
	return rc;
}
