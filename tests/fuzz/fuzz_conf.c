/* SPDX-License-Identifier: ISC */
/*
 * conf_parse on arbitrary bytes: no crash, no leak, and what it returns
 * holds together: entries point into the buffer, lines increase, no value
 * holds a comment or a line break, errors name file:line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	 c;
	char		 err[256], *items[8], *copy;
	size_t		 i;
	unsigned int	 last = 0;

	err[0] = '\0';
	if (conf_parse(&c, "f", (const char *)data, size, err,
	    sizeof(err)) != 0) {
		if (strncmp(err, "f:", 2) != 0)
			abort();
		conf_free(&c);
		return 0;
	}
	for (i = 0; i < c.nent; i++) {
		const struct conf_entry *e = &c.ent[i];

		if (e->sect_idx >= c.nsect || e->line <= last ||
		    e->line < c.sect_line[e->sect_idx] ||
		    e->section != c.sect[e->sect_idx] || e->key[0] == '\0' ||
		    strpbrk(e->key, "#\n=") != NULL ||
		    strpbrk(e->value, "#\n") != NULL)
			abort();
		last = e->line;
		(void)conf_key_is(e, "AllowedIPs");
		(void)conf_section_is(e, "Peer");
		if ((copy = strdup(e->value)) == NULL)
			continue;
		if (conf_split(copy, items, 8) > 8)
			abort();
		free(copy);
	}
	if (c.nent > 0)
		conf_err(err, sizeof(err), &c, &c.ent[0], "x %d", 1);
	conf_free(&c);
	return 0;
}
