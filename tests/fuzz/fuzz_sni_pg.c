// SPDX-License-Identifier: ISC
// FUZZ_SOURCES: cmd/edge-sni/parse.c
/* The PostgreSQL SSLRequest preamble, followed by a ClientHello. */
#include <stdint.h>
#include <stdlib.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[SNI_NAME_MAX];
	enum sni_result r = sni_pg_request(data, size);

	if (r == SNI_FOUND || r == SNI_NONE) {
		if (size < SNI_PG_REQLEN)
			abort();
		(void)sni_tls_hello(data + SNI_PG_REQLEN,
		    size - SNI_PG_REQLEN, name);
	}
	return 0;
}
