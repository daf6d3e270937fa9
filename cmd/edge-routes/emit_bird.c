/* SPDX-License-Identifier: ISC */
/*
 * --emit bird: a BIRD 2 include file of static routes, for a "protocol
 * static { ipv4; include "FILE"; }" block.  The file is written beside its
 * final name, synced and renamed over it, so BIRD never reads half a list;
 * the caller runs "birdc configure" afterwards.  A static protocol has one
 * channel, so one file holds one family (-4 or -6).
 *
 * The file that is there is the state the guards and -n compare with: a
 * list that would remove more than --max-delete of its routes is refused,
 * and -n prints the changes (+, -, ~ and the BIRD line) without writing.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#include "routes.h"

/* One route of the file: its prefix and its BIRD line (without ";\n"). */
struct bline {
	struct prefix	 p;
	char		*text;
};

static void
format_route(char *buf, size_t len, const struct routes_route *r,
    const struct routes_attr *a)
{
	char pbuf[PREFIX_STRLEN], gbuf[INET6_ADDRSTRLEN];
	size_t o;

	prefix_ntop(&r->dst, pbuf, sizeof(pbuf));
	o = (size_t)snprintf(buf, len, "route %s", pbuf);
	switch (a->type) {
	case RTN_BLACKHOLE:
		snprintf(buf + o, len - o, " blackhole");
		break;
	case RTN_UNREACHABLE:
		snprintf(buf + o, len - o, " unreachable");
		break;
	case RTN_PROHIBIT:
		snprintf(buf + o, len - o, " prohibit");
		break;
	default:
		if (a->gw_family != 0) {
			addr_ntop(a->gw_family, &a->gw, gbuf, sizeof(gbuf));
			if (a->dev[0] != '\0')
				snprintf(buf + o, len - o, " via %s%%%s", gbuf,
				    a->dev);
			else
				snprintf(buf + o, len - o, " via %s", gbuf);
		} else
			snprintf(buf + o, len - o, " via \"%s\"", a->dev);
		break;
	}
}

static int
bline_cmp(const void *a, const void *b)
{
	return prefix_cmp(&((const struct bline *)a)->p,
	    &((const struct bline *)b)->p);
}

static void
blines_free(struct bline *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i].text);
	free(v);
}

/* The routes of s as BIRD lines, sorted by prefix.  Caller frees. */
static struct bline *
new_lines(const struct routes_set *s)
{
	struct bline *v;
	char buf[256];
	size_t i;

	if ((v = calloc(s->n + 1, sizeof(*v))) == NULL)
		err(1, NULL);
	for (i = 0; i < s->n; i++) {
		format_route(buf, sizeof(buf), &s->r[i],
		    &s->attr[s->r[i].attr]);
		v[i].p = s->r[i].dst;
		if ((v[i].text = strdup(buf)) == NULL)
			err(1, NULL);
	}
	qsort(v, s->n, sizeof(*v), bline_cmp);
	return v;
}

/*
 * The routes of the file edge-routes wrote before: 0 (none when there is
 * no file), 1 when it cannot be read or holds a line edge-routes does not
 * write (then the guard cannot judge it: --force replaces it).
 */
static int
old_lines(const char *path, bool force, struct bline **out, size_t *nout,
    bool *exists)
{
	struct bline *v = NULL, *nv;
	char *line = NULL, *tok, *end, why[128];
	size_t cap = 0, n = 0, vcap = 0;
	unsigned long lineno = 0;
	ssize_t len;
	FILE *f;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	*exists = false;
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		warn("%s", path);
		return 1;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == ';'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (n == vcap) {
			vcap = vcap ? vcap * 2 : 1024;
			if ((nv = reallocarray(v, vcap, sizeof(*v))) == NULL)
				err(1, NULL);
			v = nv;
		}
		tok = line + 6;
		if (strncmp(line, "route ", 6) != 0 ||
		    (end = strchr(tok, ' ')) == NULL ||
		    (*end = '\0', !prefix_parse(tok, &v[n].p, 0, why,
		    sizeof(why)))) {
			if (force)
				continue;
			warnx("%s:%lu: not a line edge-routes writes; the "
			    "guards cannot judge the change (--force to "
			    "replace the file)", path, lineno);
			rc = 1;
			break;
		}
		*end = ' ';
		if ((v[n].text = strdup(line)) == NULL)
			err(1, NULL);
		n++;
	}
	if (rc == 0 && ferror(f)) {
		warn("%s", path);
		rc = 1;
	}
	fclose(f);
	free(line);
	if (rc != 0) {
		blines_free(v, n);
		return rc;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), bline_cmp);
	*out = v;
	*nout = n;
	*exists = true;
	return 0;
}

/* Compare, count and (with -n) print the changes from old to new. */
static size_t
compare(const struct bline *nw, size_t nn, const struct bline *old, size_t no,
    bool print, size_t *nadd, size_t *nrep)
{
	size_t i = 0, j = 0, ndel = 0;
	int c;

	*nadd = *nrep = 0;
	while (i < nn || j < no) {
		c = i == nn ? 1 : j == no ? -1 : prefix_cmp(&nw[i].p, &old[j].p);
		if (c < 0) {
			(*nadd)++;
			if (print)
				printf("+ %s;\n", nw[i].text);
		} else if (c > 0) {
			ndel++;
			if (print)
				printf("- %s;\n", old[j].text);
		} else if (strcmp(nw[i].text, old[j].text) != 0) {
			(*nrep)++;
			if (print)
				printf("~ %s;\n", nw[i].text);
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return ndel;
}

int
routes_emit_bird(const struct routes_set *s, const struct routes_emit_opts *o)
{
	char tmp[PATH_MAX];
	FILE *f = stdout;
	struct bline *nw = NULL, *old = NULL;
	size_t i, nold = 0, ndel, nadd, nrep;
	int fd = -1, fam = o->family, rc;
	bool exists = false;

	for (i = 0; i < s->n; i++) {
		if (fam == AF_UNSPEC)
			fam = s->r[i].dst.family;
		else if (s->r[i].dst.family != fam) {
			warnx("--emit bird: the input mixes IPv4 and IPv6; a "
			    "BIRD static protocol takes one (use -4 or -6)");
			return 2;
		}
	}
	nw = new_lines(s);
	if (o->output != NULL &&
	    (rc = old_lines(o->output, o->force, &old, &nold, &exists)) != 0)
		goto done;
	ndel = compare(nw, s->n, old, nold, o->dry_run, &nadd, &nrep);
	if (o->verbose)
		fprintf(stderr, "edge-routes: bird: %zu to add, %zu to "
		    "replace, %zu to delete, %zu unchanged\n", nadd, nrep,
		    ndel, nold - ndel - nrep);
	if (!routes_guard_ok(ndel, nold, o->force, o->max_delete,
	    o->output != NULL ? "routes of the BIRD file" : "routes")) {
		rc = 1;
		goto done;
	}
	if (o->dry_run) {
		rc = fflush(stdout) == 0 ? 0 : 1;
		goto done;
	}
	/* In step: the file stays as it is (and BIRD need not reload). */
	if (exists && !o->force && nadd == 0 && nrep == 0 && ndel == 0 &&
	    nold == s->n) {
		rc = 0;
		goto done;
	}
	if (o->output != NULL) {
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX",
		    o->output) >= sizeof(tmp)) {
			warnx("%s: name too long", o->output);
			rc = 2;
			goto done;
		}
		if ((fd = mkstemp(tmp)) == -1 ||
		    fchmod(fd, 0644) == -1 ||
		    (f = fdopen(fd, "w")) == NULL) {
			warn("%s", tmp);
			if (fd != -1) {
				close(fd);
				unlink(tmp);
			}
			rc = 1;
			goto done;
		}
	}
	fprintf(f, "# Written by edge-routes; %zu routes.  Do not edit: the "
	    "next run replaces it.\n", s->n);
	for (i = 0; i < s->n; i++)
		fprintf(f, "%s;\n", nw[i].text);
	rc = 0;
	if (fflush(f) != 0)
		goto fail;
	if (o->output == NULL)
		goto done;
	if (fsync(fileno(f)) != 0 || fclose(f) != 0) {
		f = NULL;
		goto fail;
	}
	f = NULL;
	if (rename(tmp, o->output) != 0)
		goto fail;
	goto done;
fail:
	warn("%s", o->output != NULL ? o->output : "stdout");
	if (o->output != NULL) {
		if (f != NULL)
			fclose(f);
		unlink(tmp);
	}
	rc = 1;
done:
	blines_free(nw, s->n);
	blines_free(old, nold);
	return rc;
}
