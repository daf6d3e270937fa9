// SPDX-License-Identifier: ISC
// FUZZ_SOURCES: cmd/edge-probe/parse.c
/* edge-probe's HTTP status-line parser on arbitrary server bytes. */
#include <stddef.h>
#include <stdint.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int status = 0, rc;

	rc = probe_http_status(data, size, &status);
	if (rc == 1 && (status < 100 || status > 999))
		__builtin_trap();
	return 0;
}
