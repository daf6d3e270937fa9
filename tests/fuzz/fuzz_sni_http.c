// SPDX-License-Identifier: ISC
// FUZZ_SOURCES: cmd/edge-sni/parse.c
/* The HTTP Host header parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[SNI_NAME_MAX], again[SNI_NAME_MAX];

	if (sni_http_host(data, size, 4096, name) == SNI_FOUND &&
	    (!sni_name_valid(name, strlen(name), again) ||
	    strcmp(name, again) != 0))
		abort();
	return 0;
}
