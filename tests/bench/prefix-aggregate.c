/* SPDX-License-Identifier: ISC */
/*
 * Benchmark helper for b-prefix-aggregate.sh: read prefixes (one a line)
 * from FILE, aggregate them with lib/prefix and print the result, as
 * iprange(1) does.  The time for reading, parsing, aggregating and
 * printing goes to stderr, split by phase.
 *
 *	prefix-aggregate FILE
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prefix.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	static char	 obuf[1 << 16];
	struct prefix	*v = NULL, *nv;
	size_t		 n = 0, cap = 0, m, i, lineno = 0;
	char		 line[256], msg[256], buf[PREFIX_STRLEN];
	double		 t0, t1, t2, t3;
	FILE		*f;

	if (argc != 2)
		errx(2, "usage: prefix-aggregate FILE");
	if ((f = fopen(argv[1], "r")) == NULL)
		err(1, "%s", argv[1]);
	t0 = now();
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				err(1, NULL);
			v = nv;
		}
		if (!prefix_parse(line, &v[n], PREFIX_ADDR_OK, msg,
		    sizeof(msg)))
			errx(1, "%s:%zu: %s", argv[1], lineno, msg);
		n++;
	}
	fclose(f);
	t1 = now();
	m = prefix_aggregate(v, n);
	t2 = now();
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	for (i = 0; i < m; i++) {
		fputs(prefix_ntop(&v[i], buf, sizeof(buf)), stdout);
		putchar('\n');
	}
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	t3 = now();
	fprintf(stderr, "%zu in, %zu out: parse %.3f s, aggregate %.3f s, "
	    "print %.3f s\n", n, m, t1 - t0, t2 - t1, t3 - t2);
	free(v);
	return 0;
}
