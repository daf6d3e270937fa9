/* SPDX-License-Identifier: ISC */
// FUZZ_SOURCES: cmd/edge-failover/config.c cmd/edge-failover/input.c
/*
 * edge-failover's two parsers on arbitrary bytes: the configuration
 * (errors must name the file, and a parsed one must hold together) and
 * each line as a line of edge-probe's stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "failover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct failover_cfg cfg;
	struct failover_result r;
	char err[512], *buf, *p, *nl;
	size_t i, j;
	int rc;

	err[0] = '\0';
	if (failover_cfg_parse(&cfg, "f", (const char *)data, size, err,
	    sizeof(err)) != 0) {
		if (strncmp(err, "f:", 2) != 0)
			abort();
	} else {
		if (cfg.ngw == 0 || cfg.ngroup == 0)
			abort();
		for (i = 0; i < cfg.ngroup; i++) {
			if (cfg.group[i].ngw == 0 || cfg.group[i].ndst == 0)
				abort();
			for (j = 0; j < cfg.group[i].ngw; j++)
				if (cfg.group[i].gw[j] >= cfg.ngw)
					abort();
		}
		for (i = 0; i < cfg.ngw; i++)
			if (cfg.gw[i].weight < 1 || cfg.gw[i].weight > 256 ||
			    cfg.gw[i].nmatch == 0)
				abort();
	}
	failover_cfg_free(&cfg);

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (p = buf; p != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		err[0] = '\0';
		rc = failover_parse_line(p, &r, err, sizeof(err));
		if (rc < 0 && err[0] == '\0')
			abort();
		if (rc == 1 && (r.name == NULL || r.name[0] == '\0' ||
		    (!r.ok && r.rtt_us != 0)))
			abort();
	}
	free(buf);
	return 0;
}
