// SPDX-License-Identifier: ISC
// FUZZ_SOURCES: cmd/edge-sni/parse.c
/* The PROXY v1/v2 parser, and v2 headers built from what it read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sni_proxy p, q;
	uint8_t out[SNI_PROXY_V2_MAX];
	size_t n;

	if (sni_proxy_parse(data, size, &p) != SNI_FOUND)
		return 0;
	if (p.hdrlen > size)
		abort();
	if (p.local)
		return 0;
	/* Rebuilt as v2, it parses back to the same addresses. */
	n = sni_proxy_v2((struct sockaddr *)&p.src, (struct sockaddr *)&p.dst,
	    out);
	if (sni_proxy_parse(out, n, &q) != SNI_FOUND || q.hdrlen != n)
		abort();
	if (n > 16 && q.local)
		abort();
	/* v4-mapped IPv6 pairs come back as IPv4, by design. */
	if (n > 16 && q.src.ss_family == p.src.ss_family &&
	    memcmp(&p.src, &q.src, sizeof(p.src)) != 0)
		abort();
	return 0;
}
