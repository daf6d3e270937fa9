/* SPDX-License-Identifier: ISC */
#ifndef EDGE_PREFIX_H
#define EDGE_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/*
 * IPv4 and IPv6 addresses and CIDR prefixes.  An address is a prefix of
 * full length.  Bits beyond len are always zero in a parsed prefix.
 */
union edge_addr {
	struct in_addr	v4;
	struct in6_addr	v6;
	uint8_t		b[16];
};

struct prefix {
	uint8_t		family;		/* AF_INET or AF_INET6 */
	uint8_t		len;		/* 0..32 or 0..128 */
	uint8_t		pad[2];		/* zero: structs compare with memcmp */
	union edge_addr	addr;
};

/* prefix_parse() flags */
#define PREFIX_NORMALIZE	0x01	/* clear host bits instead of failing */
#define PREFIX_ADDR_OK		0x02	/* a bare address means /32 or /128 */
#define PREFIX_V4		0x04	/* accept only IPv4 */
#define PREFIX_V6		0x08	/* accept only IPv6 */

/* Longest text form, with "/128" and the NUL. */
#define PREFIX_STRLEN		(INET6_ADDRSTRLEN + 4)

/*
 * Parse "A.B.C.D/N" or "X:X::X/N".  Surrounding white space (a line read
 * from a file) is ignored; IPv4 takes exactly four decimal octets without
 * leading zeros, as inet_pton(3); IPv6 zone indices ("%eth0") are
 * refused.  On failure return false, leave *p alone and write what is
 * wrong into err (may be NULL), quoting the text, e.g.
 *	"10.0.0.1/24": host bits set (did you mean 10.0.0.0/24?)
 */
bool	prefix_parse(const char *s, struct prefix *p, int flags,
	    char *err, size_t errlen);
/* Parse a bare address (no /N), with the same rules. */
bool	addr_parse(const char *s, int *family, union edge_addr *a,
	    char *err, size_t errlen);
/* Text forms (inet_ntop(3) style, "/N" always); return buf. */
char	*prefix_ntop(const struct prefix *p, char *buf, size_t len);
char	*addr_ntop(int family, const union edge_addr *a, char *buf, size_t len);

int	prefix_maxlen(int family);
/* Total order: family, then address, then length (shorter first). */
int	prefix_cmp(const struct prefix *a, const struct prefix *b);
bool	prefix_equal(const struct prefix *a, const struct prefix *b);
/* True when inner lies inside outer (equal counts). */
bool	prefix_contains(const struct prefix *outer, const struct prefix *inner);
bool	prefix_contains_addr(const struct prefix *p, int family,
	    const union edge_addr *a);
/* Clear the bits beyond len. */
void	prefix_mask(struct prefix *p);
/* Sort by prefix_cmp(); a radix sort for long arrays.  Zeroes the unused
 * bytes (pad, IPv4's addr.b[4..15]). */
void	prefix_sort(struct prefix *v, size_t n);
/*
 * Aggregate in place: clear host bits, sort, drop prefixes covered by
 * others (and duplicates), merge siblings into their parent, repeatedly.
 * Returns the new count; v[0..count) is sorted, disjoint and covers
 * exactly the addresses the input covered.  O(n log n); allocates a
 * temporary copy of v, and falls back to qsort(3) if that fails.
 */
size_t	prefix_aggregate(struct prefix *v, size_t n);

#endif
