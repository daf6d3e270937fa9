// SPDX-License-Identifier: ISC
// FUZZ_SOURCES: cmd/edge-probe/parse.c
/* edge-probe's DNS answer check on arbitrary server bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union edge_addr want;
	char detail[PROBE_DETAILLEN];

	memset(&want, 0xc0, sizeof(want));
	probe_dns_check(data, size, 1, 0, NULL, detail, sizeof(detail));
	probe_dns_check(data, size, 1, AF_INET, &want, detail, sizeof(detail));
	probe_dns_check(data, size, 28, AF_INET6, &want, detail,
	    sizeof(detail));
	return 0;
}
