// SPDX-License-Identifier: ISC
// FUZZ_SOURCES: cmd/edge-sni/parse.c
/* The TLS ClientHello parser: any input, every prefix length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[SNI_NAME_MAX], again[SNI_NAME_MAX];
	enum sni_result r;

	r = sni_tls_hello(data, size, name);
	if (r == SNI_FOUND) {
		/* A found name is valid, normalised and stable. */
		if (!sni_name_valid(name, strlen(name), again) ||
		    strcmp(name, again) != 0)
			abort();
	}
	/* A decision, once made, is not taken back by more bytes: the
	 * input's first half must not have decided differently. */
	if (size > 1 && r != SNI_MORE) {
		enum sni_result h = sni_tls_hello(data, size / 2, again);

		if (h != SNI_MORE && h != r)
			abort();
	}
	return 0;
}
