// SPDX-License-Identifier: ISC
/*
 * edge-probe: probe many targets (icmp, tcp, tls, http, dns, wg) from one
 * event loop, each through its own uplink if asked, and print a line per
 * result.  See edge-probe(8).
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "log.h"
#include "probe.h"

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: edge-probe [-hjnqVv] [-c count] [-f file] [-i interval] [-o history]\n"
"                  [-P textfile] [-p pace] [-R report] [-S icmp-socket]\n"
"                  [-t timeout]"
" [-W window] [type address [option value ...] ...]\n"
"       edge-probe report [-b bucket] [-s svgfile] history\n"
"types: icmp ADDR, tcp ADDR:PORT, tls ADDR[:PORT], http URL, dns ADDR[:PORT],\n"
"       wg IFNAME\n"
"options: dev IF, src ADDR, mark N, timeout DUR, name NAME, group NAME,\n"
"       sni NAME (tls), host NAME, expect STATUS (http), query NAME,\n"
"       qtype TYPE, expect ADDR (dns), peer KEY, age DUR (wg)\n");
	exit(status);
}

static void
on_signal(struct ev *ev, int signo, void *arg)
{
	ev_break(ev);
}

static uint64_t
duration_arg(const char *opt, const char *s, uint64_t min)
{
	uint64_t ms;

	if (!probe_parse_duration(s, &ms) || ms < min) {
		warnx("-%s: bad duration \"%s\"%s", opt, s,
		    min ? " (at least 10ms)" : "");
		exit(2);
	}
	return ms;
}

static void
dry_run(struct probe_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nt; i++) {
		struct probe_target *t = ctx->tv[i];
		char src[INET6_ADDRSTRLEN] = "-";

		if (t->has_src)
			inet_ntop(t->family, t->family == AF_INET ?
			    (void *)&((struct sockaddr_in *)&t->src)->sin_addr :
			    (void *)&((struct sockaddr_in6 *)&t->src)->sin6_addr,
			    src, sizeof(src));
		printf("%s\t%s\t%s\t%s\tdev=%s\tsrc=%s\tmark=", t->name,
		    t->group[0] ? t->group : "-", probe_type_name(t->type),
		    t->target, t->dev[0] ? t->dev : "-", src);
		if (t->has_mark)
			printf("%u", t->mark);
		else
			printf("-");
		printf("\ttimeout=%llu\n", (unsigned long long)
		    (t->timeout_ms ? t->timeout_ms : ctx->timeout_ms));
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "count",	required_argument,	NULL, 'c' },
		{ "file",	required_argument,	NULL, 'f' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "interval",	required_argument,	NULL, 'i' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "prometheus",	required_argument,	NULL, 'P' },
		{ "pace",	required_argument,	NULL, 'p' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "report",	required_argument,	NULL, 'R' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "window",	required_argument,	NULL, 'W' },
		{ "icmp-socket", required_argument,	NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct probe_ctx ctx;
	const char *errstr, *histfile = NULL;
	char err[512];
	bool dry = false, have_i = false, have_c = false;
	int ch, verbose = 0, rc, status;

	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return probe_report_main(argc - 1, argv + 1);

	memset(&ctx, 0, sizeof(ctx));
	ctx.interval_ms = 1000;
	ctx.timeout_ms = 1000;
	ctx.window_ms = 10000;
	ctx.report_ms = 1000;
	ctx.rounds = 1;
	ctx.histfd = -1;
	ctx.icmp_mode = PROBE_ICMP_AUTO;

	while ((ch = getopt_long(argc, argv, "+c:f:hi:jno:P:p:qR:S:t:VvW:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ctx.rounds = (uint64_t)strtonum(optarg, 1, 1000000000,
			    &errstr);
			if (errstr)
				errx(2, "-c: count %s: %s", errstr, optarg);
			have_c = true;
			break;
		case 'f':
			if (!probe_targets_load(optarg, &ctx.tv, &ctx.nt, err,
			    sizeof(err))) {
				warnx("%s", err);
				probe_targets_free(ctx.tv, ctx.nt);
				return 2;
			}
			break;
		case 'h':
			usage(0);
		case 'i':
			ctx.interval_ms = duration_arg("i", optarg, 10);
			have_i = true;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 'n':
			dry = true;
			break;
		case 'o':
			histfile = optarg;
			break;
		case 'P':
			ctx.promfile = optarg;
			break;
		case 'p':
			ctx.pace_ms = duration_arg("p", optarg, 0);
			break;
		case 'q':
			ctx.quiet = true;
			break;
		case 'R':
			ctx.report_ms = duration_arg("R", optarg, 0);
			break;
		case 'S':
			if (strcmp(optarg, "auto") == 0)
				ctx.icmp_mode = PROBE_ICMP_AUTO;
			else if (strcmp(optarg, "ping") == 0)
				ctx.icmp_mode = PROBE_ICMP_PING;
			else if (strcmp(optarg, "raw") == 0)
				ctx.icmp_mode = PROBE_ICMP_RAW;
			else
				errx(2, "--icmp-socket: auto, ping or raw");
			break;
		case 't':
			ctx.timeout_ms = duration_arg("t", optarg, 0);
			if (ctx.timeout_ms == 0)
				errx(2, "-t: the timeout must be positive");
			break;
		case 'V':
			printf("edge-probe %s\n", EDGEKIT_VERSION);
			return 0;
		case 'v':
			verbose++;
			break;
		case 'W':
			ctx.window_ms = duration_arg("W", optarg, 10);
			break;
		default:
			usage(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0 && !probe_targets_parse(argv, argc, NULL, 0, &ctx.tv,
	    &ctx.nt, err, sizeof(err))) {
		warnx("%s", err);
		probe_targets_free(ctx.tv, ctx.nt);
		return 2;
	}
	if (ctx.nt == 0) {
		warnx("no targets");
		usage(2);
	}
	ctx.continuous = have_i;
	if (have_i && !have_c)
		ctx.rounds = 0;
	if (dry) {
		dry_run(&ctx);
		probe_targets_free(ctx.tv, ctx.nt);
		return 0;
	}

	log_init("edge-probe", 1, verbose);
	signal(SIGPIPE, SIG_IGN);
	if (histfile && (ctx.histfd = open(histfile, O_WRONLY | O_APPEND |
	    O_CREAT | O_CLOEXEC, 0644)) == -1) {
		log_warn("%s", histfile);
		probe_targets_free(ctx.tv, ctx.nt);
		return 2;
	}
	if (!(ctx.ev = ev_new())) {
		log_warn("event loop");
		return 2;
	}
	ev_signal(ctx.ev, SIGINT, on_signal, &ctx);
	ev_signal(ctx.ev, SIGTERM, on_signal, &ctx);
	if ((rc = probe_run_setup(&ctx)) < 0) {
		status = 2;
		goto out;
	}
	if ((rc = ev_run(ctx.ev)) < 0) {
		errno = -rc;
		log_warn("event loop");
		ctx.error = 1;
	}
	if (ctx.rounds > 1)
		probe_summaries(&ctx, true);
	else if (ctx.promfile && probe_out_prometheus(&ctx, ctx.promfile) == -1)
		log_warn("%s", ctx.promfile);
	probe_out_flush(&ctx);
	status = probe_exit_status(&ctx);
	if (ctx.continuous && ctx.rounds == 0 && !ctx.error)
		status = 0;
out:
	probe_run_teardown(&ctx);
	ev_free(ctx.ev);
	if (ctx.histfd >= 0)
		close(ctx.histfd);
	probe_targets_free(ctx.tv, ctx.nt);
	return status;
}
