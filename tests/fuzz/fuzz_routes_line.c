/* SPDX-License-Identifier: ISC */
// FUZZ_SOURCES: cmd/edge-routes/input.c cmd/edge-routes/set.c
/*
 * The edge-routes line parser: any bytes, split into lines, through
 * routes_read_file() (parse, group, aggregate, format every route back).
 */
#include <sys/socket.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct routes_defaults d;
	struct routes_set s;
	char err[512], buf[512];
	union edge_addr gw;
	size_t i;
	int fam;
	FILE *f;

	if (size == 0 || (f = fmemopen((void *)(uintptr_t)data, size, "r")) ==
	    NULL)
		return 0;
	routes_defaults_init(&d);
	d.has_gw4 = addr_parse("192.0.2.1", &fam, &gw, err, sizeof(err));
	d.gw4 = gw;
	routes_set_init(&s);
	if (routes_read_file(&s, f, "fuzz", &d, err, sizeof(err)) &&
	    routes_set_finish(&s, data[0] & 1, err, sizeof(err)) == 0) {
		for (i = 0; i < s.n; i++)
			routes_format(buf, sizeof(buf), &s.r[i].dst,
			    &s.attr[s.r[i].attr], &d);
	}
	routes_set_free(&s);
	fclose(f);
	return 0;
}
