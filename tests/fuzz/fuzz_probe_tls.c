// SPDX-License-Identifier: ISC
// FUZZ_SOURCES: cmd/edge-probe/parse.c
/* edge-probe's TLS record / ServerHello parser on arbitrary server bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char detail[PROBE_DETAILLEN];
	uint16_t version = 0;
	int rc;

	rc = probe_tls_parse(data, size, &version, detail, sizeof(detail));
	if (rc < 0 && strlen(detail) == 0)
		__builtin_trap();
	probe_tls_version_name(version);
	return 0;
}
