/* SPDX-License-Identifier: ISC */
// FUZZ_SOURCES: cmd/edge-tunnel/config.c
/*
 * The edge-tunnel configuration reader on arbitrary bytes: no crash, no
 * leak; a refusal names the file (and a line, when the text got that far)
 * and never contains the private key; an accepted file holds together
 * (a private key, one extra record per peer, wires with a port, bridges
 * of the wires defined).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tunnel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tunnel_conf tc;
	char err[1024];
	size_t i, j;

	err[0] = '\0';
	if (tunnel_conf_parse(&tc, "f.conf", "f", (const char *)data, size, err,
	    sizeof(err)) != 0) {
		if (strncmp(err, "f.conf", 6) != 0)
			abort();
		tunnel_conf_free(&tc);
		return 0;
	}
	if (!(tc.wg.flags & WG_DEVICE_HAS_PRIVATE_KEY) || tc.path == NULL ||
	    strcmp(tc.name, "f") != 0)
		abort();
	for (i = 0; i < tc.wg.npeers; i++) {
		if (tc.px[i].line == 0)
			abort();
		if ((tc.px[i].host == NULL) != (tc.px[i].port == NULL))
			abort();
		for (j = 0; j < tc.wg.peers[i].nallowedips; j++) {
			const struct prefix *p = &tc.wg.peers[i].allowedips[j];

			if (p->len > prefix_maxlen(p->family))
				abort();
		}
	}
	for (i = 0; i < tc.nwires; i++)
		if (tc.wires[i].port == 0 || tc.wires[i].name[0] == '\0')
			abort();
	for (i = 0; i < tc.nrules; i++)
		if (tc.rules[i].protocol != TUNNEL_PROTO || tc.rules[i].table == 0)
			abort();
	tunnel_conf_free(&tc);
	return 0;
}
