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
#define UNITS	1024	/* /24 or /40 units in the space */

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

static void
unit(struct prefix *u, int v6, unsigned int i)
{
	memset(u, 0, sizeof(*u));
	if (v6) {
		u->family = AF_INET6;
		u->addr.b[0] = 0x20;
		u->addr.b[1] = 0x01;
		u->addr.b[2] = 0x0d;
		u->addr.b[3] = (uint8_t)(0xb8 | i >> 8);
		u->addr.b[4] = (uint8_t)i;
		u->len = 42;
	} else {
		u->family = AF_INET;
		u->addr.b[0] = 10;
		u->addr.b[1] = (uint8_t)(i >> 8);
		u->addr.b[2] = (uint8_t)i;
		u->len = 26;
	}
}

/* Coverage of a /26 (or /42) unit's first quarter: inputs are at most
 * that long, so a unit is either wholly in or wholly out. */
static int
covered(const struct prefix *v, size_t n, const struct prefix *u)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (prefix_contains(&v[i], u))
			return 1;
	return 0;
}

static void
aggregate(const uint8_t *data, size_t size)
{
	static struct prefix	in[MAXN], out[MAXN];
	struct prefix		u, x;
	size_t			n = 0, m, i;
	unsigned int		k, q;
	int			v6;

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
	/* Every /26 (/42) of the space; the last two bits of the unit
	 * index pick the quarter of the /24 (/40). */
	for (v6 = 0; v6 < 2; v6++)
		for (k = 0; k < UNITS; k++)
			for (q = 0; q < 4; q++) {
				unit(&u, v6, k);
				u.addr.b[v6 ? 5 : 3] = (uint8_t)(q << 6);
				if (covered(in, n, &u) != covered(out, m, &u))
					abort();
			}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	roundtrip(data, size);
	aggregate(data, size);
	return 0;
}
