/* SPDX-License-Identifier: ISC */
/*
 * prefix_parse on arbitrary text: whatever parses must print and parse
 * back to the same prefix.  prefix_aggregate on prefixes made from the
 * same bytes (in a small address space, so coverage can be checked unit
 * by unit): the result must be sorted, disjoint, free of siblings, and
 * cover exactly the addresses the input covered.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "prefix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
roundtrip(const uint8_t *data, size_t size)
{
	static const int flagsets[] = {
		0, PREFIX_ADDR_OK, PREFIX_NORMALIZE | PREFIX_ADDR_OK,
		PREFIX_V4 | PREFIX_ADDR_OK, PREFIX_V6 | PREFIX_NORMALIZE,
	};
	char		*s, err[128], buf[PREFIX_STRLEN], abuf[INET6_ADDRSTRLEN];
	struct prefix	 p, q;
	union edge_addr	 a;
	size_t		 i;
	int		 fam;

	if ((s = malloc(size + 1)) == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	for (i = 0; i < sizeof(flagsets) / sizeof(flagsets[0]); i++) {
		err[0] = '\0';
		if (!prefix_parse(s, &p, flagsets[i], err, sizeof(err))) {
			if (err[0] != '"')
				abort();	/* every error names the text */
			continue;
		}
		if (p.pad[0] != 0 || p.pad[1] != 0 ||
		    p.len > prefix_maxlen(p.family))
			abort();
		if ((flagsets[i] & PREFIX_V4) && p.family != AF_INET)
			abort();
		if ((flagsets[i] & PREFIX_V6) && p.family != AF_INET6)
			abort();
		q = p;
		prefix_mask(&q);
		if (memcmp(&p, &q, sizeof(p)) != 0)
			abort();	/* host bits never survive */
		prefix_ntop(&p, buf, sizeof(buf));
		if (!prefix_parse(buf, &q, 0, err, sizeof(err)))
			abort();
		if (memcmp(&p, &q, sizeof(p)) != 0 || !prefix_equal(&p, &q))
			abort();
	}
	if (addr_parse(s, &fam, &a, err, sizeof(err))) {
		union edge_addr b;
		int fam2;

		addr_ntop(fam, &a, abuf, sizeof(abuf));
		if (!addr_parse(abuf, &fam2, &b, err, sizeof(err)) ||
		    fam2 != fam || memcmp(&a, &b, sizeof(a)) != 0)
			abort();
	}
	free(s);
}

/* Three bytes make a prefix inside 10.0.0.0/14 or 2001:db8::/30. */
#define MAXN	256
#define UNITS	4096	/* /26 or /42 units in the space */

static void
make(struct prefix *p, const uint8_t *b)
{
	memset(p, 0, sizeof(*p));
	if (b[0] & 0x80) {
		p->family = AF_INET6;
		p->addr.b[0] = 0x20;
		p->addr.b[1] = 0x01;
		p->addr.b[2] = 0x0d;
		p->addr.b[3] = (uint8_t)(0xb8 | (b[0] & 3));
		p->addr.b[4] = b[1];
		p->addr.b[5] = b[2];
		p->len = (uint8_t)(30 + (b[0] >> 2 & 0x1f) % 13);	/* 30..42 */
	} else {
		p->family = AF_INET;
		p->addr.b[0] = 10;
		p->addr.b[1] = (uint8_t)(b[0] & 3);
		p->addr.b[2] = b[1];
		p->addr.b[3] = b[2];
		p->len = (uint8_t)(14 + (b[0] >> 2 & 0x1f) % 13);	/* 14..26 */
	}
	prefix_mask(p);
}

/*
 * Mark the /26 (/42) units a list covers, through a difference array:
 * every prefix here is at most that long, so a unit is wholly in or out.
 */
static void
coverage(const struct prefix *v, size_t n, uint8_t map[2][UNITS])
{
	static int	diff[2][UNITS + 1];
	size_t		i;
	unsigned int	f, u, cnt;
	int		run;

	memset(diff, 0, sizeof(diff));
	for (i = 0; i < n; i++) {
		const uint8_t *b = v[i].addr.b;

		f = v[i].family == AF_INET6;
		/* inside the space, and not longer than a unit */
		if (f ? (memcmp(b, "\x20\x01\x0d", 3) != 0 ||
		    (b[3] & 0xfc) != 0xb8 || v[i].len < 30 || v[i].len > 42) :
		    (b[0] != 10 || (b[1] & 0xfc) != 0 || v[i].len < 14 ||
		    v[i].len > 26))
			abort();
		u = f ? ((b[3] & 3u) << 10 | (unsigned)b[4] << 2 | b[5] >> 6) :
		    ((b[1] & 3u) << 10 | (unsigned)b[2] << 2 | b[3] >> 6);
		cnt = 1u << (f ? 42 - v[i].len : 26 - v[i].len);
		if (u + cnt > UNITS)
			abort();
		diff[f][u]++;
		diff[f][u + cnt]--;
	}
	for (f = 0; f < 2; f++)
		for (u = 0, run = 0; u < UNITS; u++) {
			run += diff[f][u];
			map[f][u] = run > 0;
		}
}

static void
aggregate(const uint8_t *data, size_t size)
{
	static struct prefix	in[MAXN], out[MAXN];
	static uint8_t		min[2][UNITS], mout[2][UNITS];
	struct prefix		x;
	size_t			n = 0, m, i;

	for (i = 0; i + 3 <= size && n < MAXN; i += 3)
		make(&in[n++], data + i);
	memcpy(out, in, n * sizeof(in[0]));
	m = prefix_aggregate(out, n);
	if (m > n)
		abort();
	for (i = 1; i < m; i++)
		if (prefix_cmp(&out[i - 1], &out[i]) >= 0 ||
		    prefix_contains(&out[i - 1], &out[i]))
			abort();
	for (i = 0; i + 1 < m; i++) {
		if (out[i].family != out[i + 1].family ||
		    out[i].len != out[i + 1].len)
			continue;
		x = out[i];
		x.len--;
		prefix_mask(&x);
		if (prefix_contains(&x, &out[i + 1]))
			abort();	/* unmerged siblings */
	}
	/* A single /14 (/30) is the most that can come out. */
	for (i = 0; i < m; i++) {
		x = out[i];
		prefix_mask(&x);
		if (memcmp(&x, &out[i], sizeof(x)) != 0)
			abort();
	}
	coverage(in, n, min);
	coverage(out, m, mout);
	if (memcmp(min, mout, sizeof(min)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	roundtrip(data, size);
	aggregate(data, size);
	return 0;
}
