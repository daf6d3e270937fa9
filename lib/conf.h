/* SPDX-License-Identifier: ISC */
#ifndef EDGE_CONF_H
#define EDGE_CONF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A reader for the wg-quick(8) INI dialect: "[Section]" headers, "Key =
 * Value" lines, repeated keys kept in order, "#" comments to the end of the
 * line, blank lines, keys compared without case.  Entries outside any
 * section are an error.  Values are trimmed; interpretation (comma lists,
 * numbers) is the caller's, with the helpers below.
 *
 * As in wg-quick, "#" starts a comment anywhere on a line (also inside a
 * PostUp value), a line is split at its first "=" (so values may contain
 * "="), "[ Name ]" is trimmed to "Name", CR before LF and a leading UTF-8
 * byte order mark are ignored.  Errors: a NUL byte, a line longer than
 * CONF_LINE_MAX bytes, a missing "]", text after "]", an empty section
 * name, a line without "=", an empty key, a key before any section.
 */
#define CONF_LINE_MAX	65536
struct conf_entry {
	const char	*section;	/* as written, e.g. "Peer" */
	unsigned int	 sect_idx;	/* 0 for the first section, ... */
	const char	*key;		/* as written */
	const char	*value;		/* trimmed, may be "" */
	unsigned int	 line;
};

struct conf {
	char			*file;	/* name used in messages */
	struct conf_entry	*ent;
	size_t			 nent;
	unsigned int		 nsect;
	const char		**sect;	/* section names, by sect_idx */
	unsigned int		*sect_line;
	char			*buf;	/* owns every string above */
};

/*
 * Read a file.  Returns 0, or -1 with "file:line: reason" (or "file:
 * strerror") in err.  The caller frees with conf_free() in either case.
 */
int	conf_load(struct conf *c, const char *path, char *err, size_t errlen);
/* The same from memory; name is used in messages. */
int	conf_parse(struct conf *c, const char *name, const char *data,
	    size_t len, char *err, size_t errlen);
void	conf_free(struct conf *c);

bool	conf_key_is(const struct conf_entry *e, const char *key);
bool	conf_section_is(const struct conf_entry *e, const char *section);

/*
 * Split a comma list in place into at most max trimmed items, skipping
 * empty ones.  Returns the number of items, or -1 if there were more.
 */
int	conf_split(char *s, char **items, int max);

/* Write "file:line: message" into err; returns -1 for tail calls. */
int	conf_err(char *err, size_t errlen, const struct conf *c,
	    const struct conf_entry *e, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

#endif
