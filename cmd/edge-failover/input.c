// SPDX-License-Identifier: ISC
/*
 * edge-probe's stream, as documented in edge-probe(8) under OUTPUT: tab
 * separated lines starting with a kind.  Result lines ("r") are used;
 * summaries ("s") are not, because edge-failover keeps its own window per
 * gateway.  Columns beyond the documented ones are ignored, as the format
 * asks of its readers.  This is the one place that knows the format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failover.h"

enum {
	COL_KIND, COL_TIME, COL_NAME, COL_GROUP, COL_TYPE, COL_TARGET,
	COL_SEQ, COL_STATUS, COL_LATENCY, COL_DETAIL, NCOL
};

static const char *
dash_null(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : s;
}

int
failover_parse_line(char *line, struct failover_result *r, char *err,
    size_t errlen)
{
	char *col[NCOL], *p = line;
	const char *e = NULL;
	long long v;
	size_t n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '\0' || line[0] == '#')
		return 0;
	/* Only result lines matter; other kinds (summaries, and whatever a
	 * later edge-probe adds) are skipped. */
	if (line[0] != 'r' || line[1] != '\t')
		return 0;
	while (n < NCOL) {
		col[n++] = p;
		p = strchr(p, '\t');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	/* Extra columns, if any, were cut off after the last known one. */
	if (n < NCOL) {
		snprintf(err, errlen, "result line with %zu columns, "
		    "expected %d", n, NCOL);
		return -1;
	}

	memset(r, 0, sizeof(*r));
	v = strtonum(col[COL_TIME], 0, INT64_MAX, &e);
	if (e != NULL) {
		snprintf(err, errlen, "time \"%s\" is %s", col[COL_TIME], e);
		return -1;
	}
	r->sent_ms = (uint64_t)v;
	if (col[COL_NAME][0] == '\0') {
		snprintf(err, errlen, "empty name");
		return -1;
	}
	r->name = col[COL_NAME];
	r->group = dash_null(col[COL_GROUP]);
	r->type = col[COL_TYPE];
	r->target = dash_null(col[COL_TARGET]);
	if (strcmp(col[COL_STATUS], "up") == 0)
		r->ok = true;
	else if (strcmp(col[COL_STATUS], "down") == 0)
		r->ok = false;
	else {
		snprintf(err, errlen, "status \"%s\" is neither up nor down",
		    col[COL_STATUS]);
		return -1;
	}
	if (r->ok) {
		v = strtonum(col[COL_LATENCY], 0, UINT32_MAX, &e);
		if (e != NULL) {
			snprintf(err, errlen, "latency \"%s\" is %s",
			    col[COL_LATENCY], e);
			return -1;
		}
		r->rtt_us = (uint32_t)v;
	}
	r->detail = dash_null(col[COL_DETAIL]);
	return 1;
}
