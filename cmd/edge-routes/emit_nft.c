/* SPDX-License-Identifier: ISC */
/*
 * --emit nft: fill nftables interval sets with the prefixes, for
 * fwmark-based policy routing ("ip daddr @dst4 meta mark set 1").  The
 * table (inet edgekit_routes unless -N) and the sets NAME4 and NAME6
 * (dst4, dst6 unless -S) are created when missing; the sets' old elements
 * are flushed and the new ones added in one nftables transaction, so a
 * packet sees either the old list or the new one, never half of either.
 * Rules that use the sets are the administrator's: they may live in a
 * chain of this table, which edge-routes never deletes.
 *
 * The sets' current contents are read first: they are what the guards and
 * -n compare with.  A range of the old contents that the new list does
 * not cover in full counts as deleted.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "prefix.h"
#include "routes.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK		270
#endif

/* nftables' own data type numbers (nft's datatype.h). */
#define NFT_TYPE_IPADDR		7
#define NFT_TYPE_IP6ADDR	8

/* Ranges per NEWSETELEM message: two elements each, kept well below the
 * 64 KiB a netlink attribute nest can hold. */
#define RANGES_PER_MSG		512

struct range {
	union edge_addr	lo, hi;		/* inclusive */
};

struct batch {
	char		*buf;
	size_t		 len, cap;
	uint32_t	 seq, seq0;
	size_t		 nack;		/* messages that ask for an ACK */
	char		 (*what)[192];	/* by seq - seq0: for messages */
	size_t		 nwhat;
};

static struct nlmsghdr *
batch_room(struct batch *b)
{
	char *nb;
	char (*nw)[192];
	size_t cap;

	if (b->len + 128 * 1024 > b->cap) {
		cap = b->cap ? b->cap * 2 : 1024 * 1024;
		if ((nb = realloc(b->buf, cap)) == NULL)
			return NULL;
		memset(nb + b->cap, 0, cap - b->cap);
		b->buf = nb;
		b->cap = cap;
	}
	if (b->seq - b->seq0 >= b->nwhat) {
		cap = b->nwhat ? b->nwhat * 2 : 64;
		if ((nw = reallocarray(b->what, cap, sizeof(*nw))) == NULL)
			return NULL;
		b->what = nw;
		b->nwhat = cap;
	}
	return (struct nlmsghdr *)(b->buf + b->len);
}

static void
batch_done(struct batch *b, struct nlmsghdr *nlh, const char *what)
{
	if (nlh->nlmsg_flags & NLM_F_ACK)
		b->nack++;
	snprintf(b->what[b->seq - b->seq0], sizeof(b->what[0]), "%s", what);
	b->seq++;
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Big-endian arithmetic on addresses of n bytes. */
static void
addr_inc(union edge_addr *a, size_t n)
{
	while (n-- > 0)
		if (++a->b[n] != 0)
			break;
}

static bool
addr_is_max(const union edge_addr *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a->b[i] != 0xff)
			return false;
	return true;
}

/*
 * The prefixes of one family, across all attribute groups, aggregated and
 * turned into ranges with neighbours joined (an interval set refuses
 * overlaps, and adjacent ones are one range anyway).  Caller frees.
 */
static struct range *
ranges(const struct routes_set *s, int family, size_t *nout)
{
	struct prefix *v;
	struct range *r;
	union edge_addr next;
	size_t i, n = 0, k = 0, alen = family == AF_INET ? 4 : 16;
	unsigned int bit;

	if ((v = calloc(s->n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < s->n; i++)
		if (s->r[i].dst.family == family)
			v[n++] = s->r[i].dst;
	n = prefix_aggregate(v, n);
	if ((r = calloc(n + 1, sizeof(*r))) == NULL) {
		free(v);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		struct range cur;

		cur.lo = v[i].addr;
		cur.hi = v[i].addr;
		for (bit = v[i].len; bit < alen * 8; bit++)
			cur.hi.b[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		if (k > 0 && !addr_is_max(&r[k - 1].hi, alen)) {
			next = r[k - 1].hi;
			addr_inc(&next, alen);
			if (memcmp(&next, &cur.lo, alen) == 0) {
				r[k - 1].hi = cur.hi;
				continue;
			}
		}
		r[k++] = cur;
	}
	free(v);
	*nout = k;
	return r;
}

static struct nftnl_set *
set_new(const char *table, const char *name)
{
	struct nftnl_set *s;

	if ((s = nftnl_set_alloc()) == NULL)
		return NULL;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	return s;
}

static void
addr_dec(union edge_addr *a, size_t n)
{
	while (n-- > 0)
		if (a->b[n]-- != 0)
			break;
}

/* A range as nft shows it: a prefix when it is one, else "lo-hi". */
static void
range_fmt(const struct range *r, int family, char *buf, size_t len)
{
	struct prefix p;
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	size_t alen = family == AF_INET ? 4 : 16;
	unsigned int plen, bit;
	union edge_addr top;

	for (plen = 0; plen <= alen * 8; plen++) {
		top = r->lo;
		for (bit = plen; bit < alen * 8; bit++)
			top.b[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		if (memcmp(&top, &r->hi, alen) != 0)
			continue;
		memset(&p, 0, sizeof(p));
		p.family = (uint8_t)family;
		p.len = (uint8_t)plen;
		p.addr = r->lo;
		/* lo must have no bits past plen: then lo..top is the prefix. */
		for (bit = plen; bit < alen * 8; bit++)
			if (r->lo.b[bit / 8] & (0x80 >> (bit % 8)))
				break;
		if (bit == alen * 8) {
			prefix_ntop(&p, buf, len);
			return;
		}
	}
	addr_ntop(family, &r->lo, lo, sizeof(lo));
	addr_ntop(family, &r->hi, hi, sizeof(hi));
	snprintf(buf, len, "%s-%s", lo, hi);
}

/* ---- reading a set's contents ---- */

struct key {
	union edge_addr	a;
	bool		end;
};

struct getctx {
	size_t		 alen;
	uint32_t	 flags;		/* the set's */
	struct key	*k;
	size_t		 n, cap;
	bool		 nomem;
};

static int
set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct getctx *g = data;
	struct nftnl_set *s;

	if ((s = nftnl_set_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_set_nlmsg_parse(nlh, s) == 0 &&
	    nftnl_set_is_set(s, NFTNL_SET_FLAGS))
		g->flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

static int
elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct getctx *g = data;
	struct nftnl_set *s;
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	struct key *nk;
	const void *key;
	uint32_t len;
	size_t cap;

	if ((s = nftnl_set_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) != 0 ||
	    (it = nftnl_set_elems_iter_create(s)) == NULL) {
		nftnl_set_free(s);
		return MNL_CB_ERROR;
	}
	for (e = nftnl_set_elems_iter_cur(it); e != NULL;
	    e = nftnl_set_elems_iter_next(it)) {
		key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
		if (key == NULL || len != g->alen)
			continue;
		if (g->n == g->cap) {
			cap = g->cap ? g->cap * 2 : 1024;
			if ((nk = reallocarray(g->k, cap, sizeof(*nk))) == NULL) {
				g->nomem = true;
				break;
			}
			g->k = nk;
			g->cap = cap;
		}
		memset(&g->k[g->n], 0, sizeof(g->k[0]));
		memcpy(&g->k[g->n].a, key, len);
		g->k[g->n].end = nftnl_set_elem_is_set(e,
		    NFTNL_SET_ELEM_FLAGS) && (nftnl_set_elem_get_u32(e,
		    NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END);
		g->n++;
	}
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return g->nomem ? MNL_CB_ERROR : MNL_CB_OK;
}

/* One request about a set, its answers run through cb.  0 or -errno. */
static int
query(struct mnl_socket *nl, uint16_t type, const char *table,
    const char *name, uint32_t seq, mnl_cb_t cb, struct getctx *g)
{
	static char buf[1 << 16];
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	ssize_t len;
	int rc;

	if ((s = set_new(table, name)) == NULL)
		return -ENOMEM;
	/* A dump ends with NLMSG_DONE, a single GET with its ACK. */
	nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET,
	    type == NFT_MSG_GETSETELEM ? NLM_F_DUMP : NLM_F_ACK, seq);
	if (type == NFT_MSG_GETSET)
		nftnl_set_nlmsg_build_payload(nlh, s);
	else
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		if ((len = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)len, seq,
		    mnl_socket_get_portid(nl), cb, g);
	} while (rc > MNL_CB_STOP);
	if (rc < 0)
		return g->nomem ? -ENOMEM : -errno;
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c;

	if ((c = memcmp(&x->a, &y->a, sizeof(x->a))) != 0)
		return c;
	return (int)y->end - (int)x->end;	/* an end before a start */
}

/*
 * The ranges of set NAME now, sorted: none (and !*exists) when it does not
 * exist.  An
 * interval set holds each range as its start and the address after its
 * end (flagged); one reaching the top of the space has no end.  Caller
 * frees *out.  0 or -errno.
 */
static int
read_ranges(struct mnl_socket *nl, const char *table, const char *name,
    int family, uint32_t seq, struct range **out, size_t *nout, bool *exists)
{
	struct getctx g = { .alen = family == AF_INET ? 4 : 16 };
	struct range *r;
	union edge_addr lo;
	size_t i, k = 0;
	bool open = false;
	int rc;

	*out = NULL;
	*nout = 0;
	*exists = false;
	if ((rc = query(nl, NFT_MSG_GETSET, table, name, seq, set_cb,
	    &g)) != 0 ||
	    (rc = query(nl, NFT_MSG_GETSETELEM, table, name, seq + 1, elem_cb,
	    &g)) != 0) {
		free(g.k);
		return rc == -ENOENT ? 0 : rc;
	}
	if ((r = calloc(g.n + 1, sizeof(*r))) == NULL) {
		free(g.k);
		return -ENOMEM;
	}
	*exists = true;
	if (g.n > 0)
		qsort(g.k, g.n, sizeof(*g.k), key_cmp);
	memset(&lo, 0, sizeof(lo));
	for (i = 0; i < g.n; i++) {
		if (!(g.flags & NFT_SET_INTERVAL)) {
			r[k].lo = r[k].hi = g.k[i].a;
			k++;
		} else if (g.k[i].end) {
			if (!open)
				continue;
			r[k].lo = lo;
			r[k].hi = g.k[i].a;
			addr_dec(&r[k].hi, g.alen);
			k++;
			open = false;
		} else {
			if (open) {
				r[k].lo = lo;
				r[k].hi = g.k[i].a;
				addr_dec(&r[k].hi, g.alen);
				k++;
			}
			lo = g.k[i].a;
			open = true;
		}
	}
	if (open) {
		r[k].lo = lo;
		memset(&r[k].hi, 0xff, g.alen);
		k++;
	}
	free(g.k);
	*out = r;
	*nout = k;
	return 0;
}

/*
 * Old ranges the new ones do not cover in full; with print, the plan:
 * "+ SET RANGE" and "- SET RANGE" for ranges that are not in both, and
 * their number in *ndiff.
 */
static size_t
compare(const struct range *nw, size_t nn, const struct range *old,
    size_t no, int family, const char *set, bool print, size_t *ndiff)
{
	size_t alen = family == AF_INET ? 4 : 16, i, j, lo, hi, ndel = 0;
	char buf[2 * INET6_ADDRSTRLEN + 2];
	int c;

	for (j = 0; j < no; j++) {
		/* The last new range that starts at or before this one. */
		for (lo = 0, hi = nn; lo < hi;) {
			i = (lo + hi) / 2;
			if (memcmp(&nw[i].lo, &old[j].lo, alen) <= 0)
				lo = i + 1;
			else
				hi = i;
		}
		if (lo == 0 || memcmp(&nw[lo - 1].hi, &old[j].hi, alen) < 0)
			ndel++;
	}
	*ndiff = 0;
	for (i = j = 0; i < nn || j < no;) {
		c = i == nn ? 1 : j == no ? -1 : memcmp(&nw[i].lo, &old[j].lo,
		    alen);
		if (c == 0 && memcmp(&nw[i].hi, &old[j].hi, alen) == 0) {
			i++;
			j++;
			continue;
		}
		(*ndiff)++;
		if (c <= 0 && print) {
			range_fmt(&nw[i], family, buf, sizeof(buf));
			printf("+ %s %s\n", set, buf);
		}
		if (c >= 0 && print) {
			range_fmt(&old[j], family, buf, sizeof(buf));
			printf("- %s %s\n", set, buf);
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return ndel;
}

static int
add_table(struct batch *b, const char *table)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	char what[192];

	if ((nlh = batch_room(b)) == NULL || (t = nftnl_table_alloc()) == NULL)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nlh = nftnl_nlmsg_build_hdr((char *)nlh, NFT_MSG_NEWTABLE,
	    NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK, b->seq);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	snprintf(what, sizeof(what), "table inet %s", table);
	batch_done(b, nlh, what);
	return 0;
}

static int
add_set(struct batch *b, const char *table, const char *name, int family)
{
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	char what[192];

	if ((nlh = batch_room(b)) == NULL ||
	    (s = set_new(table, name)) == NULL)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, family == AF_INET ?
	    NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, family == AF_INET ? 4 : 16);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
	nftnl_set_set_u32(s, NFTNL_SET_ID, family == AF_INET ? 4 : 6);
	nlh = nftnl_nlmsg_build_hdr((char *)nlh, NFT_MSG_NEWSET, NFPROTO_INET,
	    NLM_F_CREATE | NLM_F_ACK, b->seq);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	snprintf(what, sizeof(what), "set %s", name);
	batch_done(b, nlh, what);

	/* A DELSETELEM without elements flushes the set. */
	if ((nlh = batch_room(b)) == NULL ||
	    (s = set_new(table, name)) == NULL)
		return -ENOMEM;
	nlh = nftnl_nlmsg_build_hdr((char *)nlh, NFT_MSG_DELSETELEM,
	    NFPROTO_INET, NLM_F_ACK, b->seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	snprintf(what, sizeof(what), "flush set %s", name);
	batch_done(b, nlh, what);
	return 0;
}

static int
add_elems(struct batch *b, const char *table, const char *name,
    const struct range *r, size_t n, size_t alen)
{
	struct nftnl_set *s;
	struct nftnl_set_elem *e;
	struct nlmsghdr *nlh;
	union edge_addr end;
	char what[192];
	size_t i, j;

	for (i = 0; i < n; i += RANGES_PER_MSG) {
		if ((nlh = batch_room(b)) == NULL ||
		    (s = set_new(table, name)) == NULL)
			return -ENOMEM;
		for (j = i; j < n && j < i + RANGES_PER_MSG; j++) {
			if ((e = nftnl_set_elem_alloc()) == NULL)
				goto nomem;
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &r[j].lo,
			    (uint32_t)alen);
			nftnl_set_elem_add(s, e);
			/* The range ends where the next address begins; one
			 * reaching the top of the space stays open. */
			if (addr_is_max(&r[j].hi, alen))
				continue;
			end = r[j].hi;
			addr_inc(&end, alen);
			if ((e = nftnl_set_elem_alloc()) == NULL)
				goto nomem;
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &end,
			    (uint32_t)alen);
			nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS,
			    NFT_SET_ELEM_INTERVAL_END);
			nftnl_set_elem_add(s, e);
		}
		nlh = nftnl_nlmsg_build_hdr((char *)nlh, NFT_MSG_NEWSETELEM,
		    NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK, b->seq);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		snprintf(what, sizeof(what), "elements %zu-%zu of set %s",
		    i + 1, j, name);
		batch_done(b, nlh, what);
	}
	return 0;
nomem:
	nftnl_set_free(s);
	return -ENOMEM;
}

/* Read one reply per message that asked for an ACK; report errors. */
static int
read_acks(struct mnl_socket *nl, struct batch *b)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 4];
	struct pollfd pfd = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };
	const struct nlmsgerr *e;
	struct nlmsghdr *nlh;
	size_t got = 0;
	ssize_t len;
	int failed = 0, rc;
	uint32_t i;

	while (got < b->nack) {
		if ((rc = poll(&pfd, 1, 30000)) <= 0) {
			warnx("nftables: %s waiting for replies (%zu of %zu)",
			    rc == 0 ? "timed out" : strerror(errno), got,
			    b->nack);
			return -1;
		}
		if ((len = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0) {
			warn("nftables: reading the answers (the transaction "
			    "may or may not have been applied)");
			return -1;
		}
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, (int)len);
		    nlh = mnl_nlmsg_next(nlh, (int *)&len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			got++;
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error == 0)
				continue;
			failed++;
			i = nlh->nlmsg_seq - b->seq0;
			warnx("nftables: %s: %s", i < b->nwhat ? b->what[i] :
			    "?", strerror(-e->error));
		}
	}
	return failed;
}

int
routes_emit_nft(const struct routes_set *s, const struct routes_emit_opts *o)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	struct batch b;
	struct mnl_socket *nl = NULL;
	struct nlmsghdr *nlh;
	struct range *r[2] = { NULL, NULL }, *old[2] = { NULL, NULL };
	char name[2][64];
	size_t n[2] = { 0, 0 }, nold[2] = { 0, 0 }, f, ndel = 0, total = 0;
	size_t ndiff = 0, d;
	bool exists, missing = false;
	int rc = 1, sz, one, e;

	memset(&b, 0, sizeof(b));
	if (strlen(o->nft_table) >= 64 || strlen(o->nft_set) > 60) {
		warnx("nftables table or set name too long");
		return 2;
	}
	b.seq = b.seq0 = (uint32_t)time(NULL);
	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		warn("nftables: netlink");
		goto out;
	}
	for (f = 0; f < 2; f++) {
		if (o->family != AF_UNSPEC && o->family != fams[f])
			continue;
		snprintf(name[f], sizeof(name[f]), "%s%c", o->nft_set,
		    fams[f] == AF_INET ? '4' : '6');
		if ((r[f] = ranges(s, fams[f], &n[f])) == NULL)
			goto nomem;
		if ((e = read_ranges(nl, o->nft_table, name[f], fams[f],
		    b.seq0 - 16 + 2 * (uint32_t)f, &old[f], &nold[f],
		    &exists)) != 0) {
			warnx("nftables: reading set %s: %s", name[f],
			    strerror(-e));
			goto out;
		}
		ndel += compare(r[f], n[f], old[f], nold[f], fams[f], name[f],
		    o->dry_run, &d);
		ndiff += d;
		total += nold[f];
		if (!exists)
			missing = true;
	}
	if (o->verbose)
		fprintf(stderr, "edge-routes: nft: %zu ranges now, %zu of them "
		    "not covered by the new list, %zu ranges new\n", total,
		    ndel, n[0] + n[1]);
	if (!routes_guard_ok(ndel, total, o->force, o->max_delete,
	    "ranges of the nftables sets"))
		goto out;
	if (o->dry_run) {
		rc = fflush(stdout) == 0 ? 0 : 1;
		goto out;
	}
	/* In step: no transaction, so nothing in the ruleset changes. */
	if (ndiff == 0 && !missing) {
		rc = 0;
		goto out;
	}

	if ((nlh = batch_room(&b)) == NULL)
		goto nomem;
	nftnl_batch_begin((char *)nlh, b.seq);
	batch_done(&b, nlh, "batch begin");
	if (add_table(&b, o->nft_table) != 0)
		goto nomem;
	for (f = 0; f < 2; f++) {
		if (o->family != AF_UNSPEC && o->family != fams[f])
			continue;
		if (add_set(&b, o->nft_table, name[f], fams[f]) != 0 ||
		    add_elems(&b, o->nft_table, name[f], r[f], n[f],
		    fams[f] == AF_INET ? 4 : 16) != 0)
			goto nomem;
	}
	if ((nlh = batch_room(&b)) == NULL)
		goto nomem;
	nftnl_batch_end((char *)nlh, b.seq);
	batch_done(&b, nlh, "batch end");

	/* One sendmsg: nfnetlink applies a batch only when all of it
	 * arrives in one message, so the send buffer must hold it. */
	sz = (int)(b.len + 65536);
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &sz,
	    sizeof(sz)) != 0)
		(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUF,
		    &sz, sizeof(sz));
	/* Every answer must fit in the receive queue at once: the kernel
	 * sends them all before we read any.  Error answers are capped to
	 * the request's header. */
	one = 1;
	(void)setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_CAP_ACK,
	    &one, sizeof(one));
	sz = (int)(b.nack * 1024 + (1 << 20));
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &sz,
	    sizeof(sz)) != 0)
		(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF,
		    &sz, sizeof(sz));
	if (mnl_socket_sendto(nl, b.buf, b.len) < 0) {
		warn("nftables: send");
		goto out;
	}
	switch (read_acks(nl, &b)) {
	case 0:
		rc = 0;
		break;
	case -1:
		break;
	default:
		warnx("nftables: the transaction was refused; the sets are "
		    "unchanged");
		break;
	}
	goto out;
nomem:
	warnx("nftables: %s", strerror(ENOMEM));
out:
	if (nl != NULL)
		mnl_socket_close(nl);
	for (f = 0; f < 2; f++) {
		free(r[f]);
		free(old[f]);
	}
	free(b.buf);
	free(b.what);
	return rc;
}
