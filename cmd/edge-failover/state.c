// SPDX-License-Identifier: ISC
/*
 * The state file, for "edge-failover status" and for scripts: written
 * atomically (a temporary file in the same directory, then rename(2)),
 * tab-separated lines whose first column says what they are:
 *
 *   updated  EPOCH_MS  PID  STREAM(ok|silent|ended)  LAST_INPUT_MS
 *   gateway  NAME  STATE  SINCE_MS  LOSS_PCT  RTT_US  RESULTS  TIER
 *            WEIGHT  ACTIVE(yes|no)  DEVICE
 *   group    NAME  CHANGES  ROUTE...
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failover.h"

static bool
gw_active(const struct failover_cfg *cfg, size_t gi)
{
	size_t i, j;

	for (i = 0; i < cfg->ngroup; i++) {
		const struct failover_group *g = &cfg->group[i];

		if (!g->programmed)
			continue;
		for (j = 0; j < g->active.n; j++)
			if (g->active.gw[j] == gi)
				return true;
	}
	return false;
}

int
failover_state_write(const char *path, const struct failover_cfg *cfg,
    uint64_t now, uint64_t wall, const char *stream,
    uint64_t last_input_wall, char *err, size_t errlen)
{
	char tmp[600], route[1024];
	FILE *f;
	size_t i;
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp)) {
		snprintf(err, errlen, "%s: name too long", path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) < 0 && errno == ENOENT) {
		/* The directory, /run/edgekit by default, is made at the
		 * first write after boot (/run is a tmpfs): only the last
		 * component, as edge-tunnel makes it. */
		char dir[600], *slash;

		snprintf(dir, sizeof(dir), "%s", path);
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0755) == 0 || errno == EEXIST)
				fd = mkstemp(tmp);
			else
				errno = ENOENT;
		}
	}
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	fchmod(fd, 0644);
	if ((f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	fprintf(f, "updated\t%llu\t%ld\t%s\t%llu\n", (unsigned long long)wall,
	    (long)getpid(), stream, (unsigned long long)last_input_wall);
	for (i = 0; i < cfg->ngw; i++) {
		const struct failover_gw *gw = &cfg->gw[i];
		/* since is monotonic; the file wants the wall clock */
		uint64_t since = wall - (now - gw->since);

		fprintf(f, "gateway\t%s\t%s\t%llu\t%.1f\t", gw->name,
		    failover_state_name(gw->state),
		    (unsigned long long)since, gw->loss);
		if (gw->rtt_us)
			fprintf(f, "%u", gw->rtt_us);
		else
			fputc('-', f);
		fprintf(f, "\t%llu\t%u\t%u\t%s\t%s\n",
		    (unsigned long long)gw->nresults, gw->tier, gw->weight,
		    gw_active(cfg, i) ? "yes" : "no", gw->dev);
	}
	for (i = 0; i < cfg->ngroup; i++) {
		const struct failover_group *g = &cfg->group[i];

		if (g->programmed)
			failover_route_str(cfg, g, &g->active, route,
			    sizeof(route));
		else
			snprintf(route, sizeof(route), "-");
		fprintf(f, "group\t%s\t%llu\t%s\n", g->name,
		    (unsigned long long)g->changes, route);
	}
	if (fflush(f) != 0 || ferror(f)) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "rename %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * Print, tab-separated:
 *   NAME  STATE  SINCE_MS  FOR_S  LOSS_PCT  RTT_US  ACTIVE
 * one line per gateway, then "group NAME ROUTE" lines and a closing
 * "stream STATE AGE_S" line.
 */
int
failover_status(const char *path, uint64_t wall)
{
	char line[2048], *col[12], *p;
	unsigned long long updated = 0, since;
	FILE *f;
	int rc = 0, n;
	bool any = false;
	char stream[16] = "?";

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "edge-failover: %s: %s\n", path,
		    strerror(errno));
		return 2;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		for (n = 0, p = line; n < 12 && p != NULL; n++) {
			col[n] = p;
			if ((p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		if (strcmp(col[0], "updated") == 0 && n >= 4) {
			updated = strtoull(col[1], NULL, 10);
			snprintf(stream, sizeof(stream), "%s", col[3]);
		} else if (strcmp(col[0], "gateway") == 0 && n >= 11) {
			since = strtoull(col[3], NULL, 10);
			printf("%s\t%s\t%s\t%llu\t%s\t%s\t%s\n", col[1], col[2],
			    col[3], wall > since ? (wall - since) / 1000 : 0,
			    col[4], col[5], col[9]);
			if (strcmp(col[2], "up") != 0)
				rc = 1;
			any = true;
		} else if (strcmp(col[0], "group") == 0 && n >= 4)
			printf("group\t%s\t%s\n", col[1], col[3]);
	}
	fclose(f);
	if (!any) {
		fprintf(stderr, "edge-failover: %s: no gateways\n", path);
		return 2;
	}
	/* The daemon rewrites the file at least every 10 s. */
	if (wall > updated + 30000)
		snprintf(stream, sizeof(stream), "stale");
	printf("stream\t%s\t%llu\n", stream,
	    wall > updated ? (wall - updated) / 1000 : 0);
	if (strcmp(stream, "ok") != 0)
		rc = 1;
	return rc;
}
