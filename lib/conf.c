/* SPDX-License-Identifier: ISC */
/*
 * The wg-quick(8) INI dialect.  Like wg-quick, "#" starts a comment
 * anywhere on a line (so a PostUp command cannot contain one), a line is
 * split at its first "=", and key and value are trimmed of white space.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

/* Larger files are refused: no configuration is that big. */
#define CONF_FILE_MAX	(16u << 20)

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Trim [*s, *e) of white space. */
static void
trim(char **s, char **e)
{
	while (*s < *e && is_space(**s))
		(*s)++;
	while (*e > *s && is_space((*e)[-1]))
		(*e)--;
}

static int
lerr(char *err, size_t errlen, const char *name, unsigned int line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
lerr(char *err, size_t errlen, const char *name, unsigned int line,
    const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(err, errlen, "%s:%u: %s", name, line, msg);
	else
		snprintf(err, errlen, "%s: %s", name, msg);
	return -1;
}

static int
grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void	*np;
	size_t	 ncap;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	if ((np = reallocarray(*(void **)pp, ncap, size)) == NULL)
		return -1;
	*(void **)pp = np;
	*cap = ncap;
	return 0;
}

int
conf_parse(struct conf *c, const char *name, const char *data, size_t len,
    char *err, size_t errlen)
{
	char		*p, *end, *eol, *s, *e, *eq;
	size_t		 entcap = 0, sectcap = 0, linecap = 0;
	unsigned int	 line = 0;
	const char	*nul;

	memset(c, 0, sizeof(*c));
	if (name == NULL)
		name = "(config)";
	if ((c->file = strdup(name)) == NULL ||
	    (c->buf = malloc(len + 1)) == NULL)
		return lerr(err, errlen, name, 0, "%s", strerror(errno));
	memcpy(c->buf, data, len);
	c->buf[len] = '\0';

	/* A NUL byte is reported on its line, before anything else. */
	if ((nul = memchr(data, '\0', len)) != NULL) {
		const char *q;

		line = 1;
		for (q = data; q < nul; q++)
			if (*q == '\n')
				line++;
		return lerr(err, errlen, name, line, "NUL byte in line");
	}

	p = c->buf;
	end = c->buf + len;
	/* A UTF-8 byte order mark, as some editors write. */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	for (; p < end; p = eol + 1) {
		line++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) > CONF_LINE_MAX)
			return lerr(err, errlen, name, line,
			    "line too long (more than %u bytes)",
			    CONF_LINE_MAX);
		*eol = '\0';
		s = p;
		if ((e = strchr(s, '#')) == NULL)
			e = eol;
		trim(&s, &e);
		if (s == e)
			continue;
		*e = '\0';
		if (*s == '[') {
			char *close = memchr(s, ']', (size_t)(e - s));

			if (close == NULL)
				return lerr(err, errlen, name, line,
				    "missing \"]\" in section header");
			if (close + 1 != e)
				return lerr(err, errlen, name, line,
				    "text after \"]\" in section header");
			s++;
			e = close;
			trim(&s, &e);
			if (s == e)
				return lerr(err, errlen, name, line,
				    "empty section name");
			*e = '\0';
			if (grow(&c->sect, &sectcap, c->nsect + 1,
			    sizeof(*c->sect)) == -1 ||
			    grow(&c->sect_line, &linecap, c->nsect + 1,
			    sizeof(*c->sect_line)) == -1)
				return lerr(err, errlen, name, line, "%s",
				    strerror(errno));
			c->sect[c->nsect] = s;
			c->sect_line[c->nsect] = line;
			c->nsect++;
			continue;
		}
		if ((eq = memchr(s, '=', (size_t)(e - s))) == NULL)
			return lerr(err, errlen, name, line,
			    "expected \"Key = Value\" or \"[Section]\"");
		if (c->nsect == 0)
			return lerr(err, errlen, name, line,
			    "\"Key = Value\" outside any [Section]");
		{
			char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
			struct conf_entry *ent;

			trim(&ks, &ke);
			trim(&vs, &ve);
			if (ks == ke)
				return lerr(err, errlen, name, line,
				    "empty key before \"=\"");
			*ke = '\0';
			*ve = '\0';
			if (grow(&c->ent, &entcap, c->nent + 1,
			    sizeof(*c->ent)) == -1)
				return lerr(err, errlen, name, line, "%s",
				    strerror(errno));
			ent = &c->ent[c->nent++];
			ent->section = c->sect[c->nsect - 1];
			ent->sect_idx = c->nsect - 1;
			ent->key = ks;
			ent->value = vs;
			ent->line = line;
		}
	}
	return 0;
}

int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	char		*data = NULL, *nd;
	size_t		 len = 0, cap = 0, want;
	ssize_t		 r;
	int		 fd, ret = -1, saved;

	memset(c, 0, sizeof(*c));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return lerr(err, errlen, path, 0, "%s", strerror(errno));
	if (fstat(fd, &st) == -1) {
		lerr(err, errlen, path, 0, "%s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		lerr(err, errlen, path, 0, "is a directory");
		goto out;
	}
	/*
	 * Read to the end: st_size is only a hint (pipes, /dev/stdin, a file
	 * that grows).  One byte more than the limit tells "too large".
	 */
	want = S_ISREG(st.st_mode) && st.st_size < CONF_FILE_MAX ?
	    (size_t)st.st_size + 1 : 4096;
	for (;;) {
		if (len == cap) {
			if (cap > CONF_FILE_MAX) {
				lerr(err, errlen, path, 0, "file too large "
				    "(more than %u bytes)", CONF_FILE_MAX);
				goto out;
			}
			if (cap > 0)
				want = cap * 2 > CONF_FILE_MAX + 1 ?
				    CONF_FILE_MAX + 1 : cap * 2;
			if ((nd = realloc(data, want)) == NULL) {
				lerr(err, errlen, path, 0, "%s",
				    strerror(errno));
				goto out;
			}
			data = nd;
			cap = want;
		}
		r = read(fd, data + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			lerr(err, errlen, path, 0, "%s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	ret = conf_parse(c, path, data, len, err, errlen);
out:
	saved = errno;
	free(data);
	close(fd);
	errno = saved;
	return ret;
}

void
conf_free(struct conf *c)
{
	free(c->file);
	free(c->ent);
	free(c->sect);
	free(c->sect_line);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

bool
conf_key_is(const struct conf_entry *e, const char *key)
{
	return strcasecmp(e->key, key) == 0;
}

bool
conf_section_is(const struct conf_entry *e, const char *section)
{
	return strcasecmp(e->section, section) == 0;
}

int
conf_split(char *s, char **items, int max)
{
	char	*p = s, *next, *a, *b;
	int	 n = 0;

	while (p != NULL) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		a = p;
		b = p + strlen(p);
		trim(&a, &b);
		*b = '\0';
		if (a != b) {
			if (n >= max)
				return -1;
			items[n++] = a;
		}
		p = next;
	}
	return n;
}

int
conf_err(char *err, size_t errlen, const struct conf *c,
    const struct conf_entry *e, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lerr(err, errlen, c->file != NULL ? c->file : "(config)",
	    e != NULL ? e->line : 0, "%s", msg);
}
