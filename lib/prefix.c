/* SPDX-License-Identifier: ISC */
/*
 * IPv4/IPv6 addresses and CIDR prefixes: parsing with precise messages,
 * printing, ordering, and aggregation.
 *
 * Sorting is an LSD radix sort over the bytes that matter (length, then
 * address bytes from least to most significant), skipping bytes that are
 * the same in every element; aggregation is one stack pass over the
 * sorted array.  Together they are O(n log n) in the worst case and close
 * to linear for real inputs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "prefix.h"

/* Longest input echoed back in an error message. */
#define ECHO_MAX	64

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
fail(char *err, size_t errlen, const char *s, size_t n, const char *fmt,
    const char *arg)
{
	char	msg[128];

	if (err == NULL || errlen == 0)
		return false;
	snprintf(msg, sizeof(msg), fmt, arg);
	snprintf(err, errlen, "\"%.*s%s\": %s",
	    (int)(n > ECHO_MAX ? ECHO_MAX : n), s, n > ECHO_MAX ? "..." : "",
	    msg);
	return false;
}

/*
 * Dotted quad, exactly four decimal octets, no leading zeros (as
 * inet_pton(3): "010" is ambiguous between octal and decimal).
 * On failure *why names the problem.
 */
static bool
parse_v4(const char *s, size_t n, uint8_t out[4], char *why, size_t whylen)
{
	size_t	i = 0;
	int	oct;

	for (oct = 0; oct < 4; oct++) {
		unsigned int	v = 0, digits = 0;
		size_t		start = i;

		if (oct > 0) {
			if (i >= n || s[i] != '.') {
				snprintf(why, whylen, "invalid IPv4 address: "
				    "%s", i >= n ? "too few octets" :
				    "unexpected character");
				return false;
			}
			start = ++i;
		}
		while (i < n && is_digit(s[i])) {
			v = v * 10 + (unsigned int)(s[i] - '0');
			if (++digits > 3)
				break;
			i++;
		}
		if (digits == 0) {
			snprintf(why, whylen, "invalid IPv4 address: "
			    "octet %d is empty or not a number", oct + 1);
			return false;
		}
		if (digits > 3 || v > 255) {
			snprintf(why, whylen, "invalid IPv4 address: "
			    "octet %d is greater than 255", oct + 1);
			return false;
		}
		if (digits > 1 && s[start] == '0') {
			snprintf(why, whylen, "invalid IPv4 address: "
			    "octet %d has a leading zero", oct + 1);
			return false;
		}
		out[oct] = (uint8_t)v;
	}
	if (i != n) {
		snprintf(why, whylen, "invalid IPv4 address: %s",
		    s[i] == '.' ? "too many octets" : "unexpected character");
		return false;
	}
	return true;
}

/*
 * The address part, s[0..n).  Decides the family by the presence of a
 * colon and lets inet_pton(3) judge IPv6 (it knows "::", embedded IPv4
 * and rejects zone indices).
 */
static bool
parse_addr(const char *s, size_t n, int flags, int *family,
    union edge_addr *a, char *why, size_t whylen)
{
	char	buf[INET6_ADDRSTRLEN + 8];

	memset(a, 0, sizeof(*a));
	if (n == 0) {
		snprintf(why, whylen, "missing address");
		return false;
	}
	if (memchr(s, ':', n) != NULL) {
		if (flags & PREFIX_V4) {
			snprintf(why, whylen, "IPv6 not allowed here");
			return false;
		}
		if (memchr(s, '%', n) != NULL) {
			snprintf(why, whylen, "invalid IPv6 address: "
			    "zone index not allowed");
			return false;
		}
		if (n >= sizeof(buf)) {
			snprintf(why, whylen, "invalid IPv6 address: too long");
			return false;
		}
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (inet_pton(AF_INET6, buf, &a->v6) != 1) {
			snprintf(why, whylen, "invalid IPv6 address");
			return false;
		}
		*family = AF_INET6;
		return true;
	}
	if (!is_digit(s[0])) {
		snprintf(why, whylen, "not an IPv4 or IPv6 address");
		return false;
	}
	if (flags & PREFIX_V6) {
		if (parse_v4(s, n, a->b, why, whylen))
			snprintf(why, whylen, "IPv4 not allowed here");
		memset(a, 0, sizeof(*a));
		return false;
	}
	if (!parse_v4(s, n, a->b, why, whylen))
		return false;
	*family = AF_INET;
	return true;
}

/* Trim surrounding white space: callers often pass lines from files. */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_space((*s)[*n - 1]))
		(*n)--;
}

bool
addr_parse(const char *s, int *family, union edge_addr *a, char *err,
    size_t errlen)
{
	const char	*t = s;
	size_t		 n = strlen(s);
	char		 why[96];
	int		 fam;

	trim(&t, &n);
	if (memchr(t, '/', n) != NULL)
		return fail(err, errlen, t, n,
		    "%s", "expected an address, not a prefix");
	if (!parse_addr(t, n, 0, &fam, a, why, sizeof(why)))
		return fail(err, errlen, t, n, "%s", why);
	*family = fam;
	return true;
}

bool
prefix_parse(const char *s, struct prefix *p, int flags, char *err,
    size_t errlen)
{
	const char	*t = s, *slash;
	size_t		 n = strlen(s), alen;
	char		 why[96];
	unsigned int	 len, max, digits = 0;
	int		 fam;
	struct prefix	 q;

	trim(&t, &n);
	slash = memchr(t, '/', n);
	alen = slash != NULL ? (size_t)(slash - t) : n;
	memset(&q, 0, sizeof(q));
	if (!parse_addr(t, alen, flags, &fam, &q.addr, why, sizeof(why)))
		return fail(err, errlen, t, n, "%s", why);
	q.family = (uint8_t)fam;
	max = fam == AF_INET ? 32 : 128;
	if (slash == NULL) {
		if (!(flags & PREFIX_ADDR_OK))
			return fail(err, errlen, t, n, "%s",
			    "missing prefix length (\"/N\")");
		len = max;
	} else {
		const char *l = slash + 1, *end = t + n;

		if (l == end)
			return fail(err, errlen, t, n, "%s",
			    "missing prefix length after \"/\"");
		len = 0;
		for (; l < end; l++) {
			if (!is_digit(*l))
				return fail(err, errlen, t, n, "%s",
				    "prefix length is not a number");
			if (digits++ > 0 && len == 0)
				return fail(err, errlen, t, n, "%s",
				    "prefix length has a leading zero");
			if (len <= max)
				len = len * 10 + (unsigned int)(*l - '0');
		}
		if (len > max)
			return fail(err, errlen, t, n, "%s",
			    "prefix length out of range");
	}
	q.len = (uint8_t)len;
	if (!(flags & PREFIX_NORMALIZE)) {
		struct prefix	m = q;
		char		buf[PREFIX_STRLEN];

		prefix_mask(&m);
		if (memcmp(&m, &q, sizeof(q)) != 0)
			return fail(err, errlen, t, n,
			    "host bits set (did you mean %s?)",
			    prefix_ntop(&m, buf, sizeof(buf)));
	} else
		prefix_mask(&q);
	*p = q;
	return true;
}

static char *
v4_ntop(const uint8_t *b, char *out)
{
	int	i;

	for (i = 0; i < 4; i++) {
		unsigned int v = b[i];

		if (v >= 100) {
			*out++ = (char)('0' + v / 100);
			*out++ = (char)('0' + v / 10 % 10);
		} else if (v >= 10)
			*out++ = (char)('0' + v / 10);
		*out++ = (char)('0' + v % 10);
		*out++ = '.';
	}
	out[-1] = '\0';
	return out - 1;
}

char *
addr_ntop(int family, const union edge_addr *a, char *buf, size_t len)
{
	char	tmp[INET6_ADDRSTRLEN];

	if (family == AF_INET)
		v4_ntop(a->b, tmp);
	else if (family != AF_INET6 ||
	    inet_ntop(AF_INET6, &a->v6, tmp, sizeof(tmp)) == NULL)
		strcpy(tmp, "?");
	if (len > 0)
		snprintf(buf, len, "%s", tmp);
	return buf;
}

char *
prefix_ntop(const struct prefix *p, char *buf, size_t len)
{
	char	tmp[PREFIX_STRLEN], *e;

	if (p->family == AF_INET && len >= PREFIX_STRLEN) {
		/* The fast path for long lists of IPv4 prefixes. */
		e = v4_ntop(p->addr.b, buf);
		if (p->len >= 10) {
			*e++ = '/';
			*e++ = (char)('0' + p->len / 10);
			*e++ = (char)('0' + p->len % 10);
			*e = '\0';
		} else {
			*e++ = '/';
			*e++ = (char)('0' + p->len);
			*e = '\0';
		}
		return buf;
	}
	addr_ntop(p->family, &p->addr, tmp, sizeof(tmp));
	if (len > 0)
		snprintf(buf, len, "%s/%u", tmp, p->len);
	return buf;
}

int
prefix_maxlen(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

static int
addr_bytes(int family)
{
	return family == AF_INET ? 4 : 16;
}

int
prefix_cmp(const struct prefix *a, const struct prefix *b)
{
	int	r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((r = memcmp(a->addr.b, b->addr.b, addr_bytes(a->family))) != 0)
		return r < 0 ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return 0;
}

bool
prefix_equal(const struct prefix *a, const struct prefix *b)
{
	return prefix_cmp(a, b) == 0;
}

/* True when the first len bits of x and y agree. */
static bool
bits_equal(const uint8_t *x, const uint8_t *y, unsigned int len)
{
	unsigned int	full = len / 8, rest = len % 8;
	uint8_t		m;

	if (memcmp(x, y, full) != 0)
		return false;
	if (rest == 0)
		return true;
	m = (uint8_t)(0xff << (8 - rest));
	return ((x[full] ^ y[full]) & m) == 0;
}

bool
prefix_contains(const struct prefix *outer, const struct prefix *inner)
{
	if (outer->family != inner->family || outer->len > inner->len ||
	    outer->len > prefix_maxlen(outer->family))
		return false;
	return bits_equal(outer->addr.b, inner->addr.b, outer->len);
}

bool
prefix_contains_addr(const struct prefix *p, int family,
    const union edge_addr *a)
{
	if (p->family != family || p->len > prefix_maxlen(family))
		return false;
	return bits_equal(p->addr.b, a->b, p->len);
}

void
prefix_mask(struct prefix *p)
{
	unsigned int	max = (unsigned int)prefix_maxlen(p->family);
	unsigned int	len = p->len, i;

	if (max == 0)
		return;
	if (len > max)
		len = p->len = (uint8_t)max;
	i = len / 8;
	if (len % 8 != 0) {
		p->addr.b[i] &= (uint8_t)(0xff << (8 - len % 8));
		i++;
	}
	memset(p->addr.b + i, 0, sizeof(p->addr.b) - i);
	p->pad[0] = p->pad[1] = 0;
}

static int
cmp_qsort(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

/*
 * LSD radix sort of n prefixes of one family on the key bytes: len is
 * the least significant, then address bytes from last to first.  tmp
 * holds n elements.  A byte that has the same value everywhere is skipped,
 * which makes IPv6 (mostly zero low bytes) and short lists cheap.
 */
static void
radix_sort(struct prefix *v, struct prefix *tmp, size_t n, int nbytes)
{
	/* key byte k: k == 0 is len, k >= 1 is addr.b[nbytes - k]. */
	size_t		(*count)[256];
	struct prefix	*src = v, *dst = tmp, *t;
	size_t		 i;
	int		 k, nkeys = nbytes + 1;

	count = calloc((size_t)nkeys, sizeof(*count));
	if (count == NULL) {
		qsort(v, n, sizeof(*v), cmp_qsort);
		return;
	}
	for (i = 0; i < n; i++) {
		const struct prefix *p = &v[i];

		count[0][p->len]++;
		for (k = 1; k < nkeys; k++)
			count[k][p->addr.b[nbytes - k]]++;
	}
	for (k = 0; k < nkeys; k++) {
		size_t	pos = 0, c;
		int	b, off = k == 0 ? -1 : nbytes - k;

		for (b = 0; b < 256; b++) {
			if (count[k][b] == n)
				break;
			c = count[k][b];
			count[k][b] = pos;
			pos += c;
		}
		if (b < 256)
			continue;	/* one value everywhere */
		if (off < 0) {
			for (i = 0; i < n; i++)
				dst[count[k][src[i].len]++] = src[i];
		} else {
			for (i = 0; i < n; i++)
				dst[count[k][src[i].addr.b[off]]++] = src[i];
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(count);
}

void
prefix_sort(struct prefix *v, size_t n)
{
	struct prefix	*tmp;
	size_t		 i, n4 = 0, j4, j6;

	if (n == 0)
		return;		/* v may be NULL */

	/* Only the key bytes count: zero the rest. */
	for (i = 0; i < n; i++) {
		v[i].pad[0] = v[i].pad[1] = 0;
		if (v[i].family == AF_INET) {
			memset(v[i].addr.b + 4, 0, 12);
			n4++;
		} else if (v[i].family != AF_INET6)
			break;
	}
	if (i < n || n < 64 || (tmp = malloc(n * sizeof(*tmp))) == NULL) {
		/* Short, unknown families or no memory: the general way. */
		qsort(v, n, sizeof(*v), cmp_qsort);
		return;
	}
	/* Stable split by family (AF_INET < AF_INET6), then each part. */
	if (n4 != 0 && n4 != n) {
		for (i = 0, j4 = 0, j6 = n4; i < n; i++)
			tmp[v[i].family == AF_INET ? j4++ : j6++] = v[i];
		memcpy(v, tmp, n * sizeof(*v));
	}
	if (n4 > 0)
		radix_sort(v, tmp, n4, 4);
	if (n > n4)
		radix_sort(v + n4, tmp, n - n4, 16);
	free(tmp);
}

/* b is a's sibling: same family and length, differing in the last bit. */
static bool
siblings(const struct prefix *a, const struct prefix *b)
{
	unsigned int	bit;
	union edge_addr	x;

	if (a->family != b->family || a->len != b->len || a->len == 0 ||
	    a->len > prefix_maxlen(a->family))
		return false;
	bit = a->len - 1u;
	x = a->addr;
	if (x.b[bit / 8] & (0x80 >> (bit % 8)))
		return false;
	x.b[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	return memcmp(x.b, b->addr.b, (size_t)addr_bytes(a->family)) == 0;
}

size_t
prefix_aggregate(struct prefix *v, size_t n)
{
	size_t	i, w = 0;

	for (i = 0; i < n; i++)
		prefix_mask(&v[i]);
	prefix_sort(v, n);
	/*
	 * v[0..w) is a stack of disjoint prefixes in address order.  In
	 * sorted order a prefix can only be covered by the top of the
	 * stack, and never covers it; a push may make the top two siblings,
	 * and their parent may again be a sibling of the one below.
	 */
	for (i = 0; i < n; i++) {
		if (w > 0 && prefix_contains(&v[w - 1], &v[i]))
			continue;
		v[w++] = v[i];
		while (w >= 2 && siblings(&v[w - 2], &v[w - 1])) {
			w--;
			v[w - 1].len--;
		}
	}
	return w;
}
