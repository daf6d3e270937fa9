// SPDX-License-Identifier: ISC
/*
 * Name lookups for edge-sni: c-ares driven by the worker's event loop,
 * with a cache that keeps answers for their TTL and negative answers
 * (NXDOMAIN, no such record) for the SOA's negative TTL (RFC 2308), and
 * that folds concurrent lookups of one name into one query.
 */
#include <ares.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "ev.h"
#include "sni.h"

#define DNS_MAXSOCK	16
#define DNS_MAXENT	16384
#define DNS_MAXTTL	86400
#define DNS_NOSOA_TTL	5	/* a negative answer without an SOA */

struct sni_dns_entry {
	struct sni_dns_entry	*hnext;
	uint32_t		 hash;
	int			 family;
	bool			 pending;
	uint64_t		 expires;	/* ev_now_ms */
	struct sni_dns_result	 res;
	struct sni_dns_wait	*waiters;
	char			 name[SNI_NAME_MAX];
};

static struct {
	ares_channel		 ch;
	bool			 up;
	struct ev		*ev;
	struct ev_timer		 tm;
	struct {
		struct ev_io	io;
		int		fd;		/* -1: free */
	}			 sock[DNS_MAXSOCK];
	struct sni_dns_entry	**tab;
	size_t			 tabsz, n;
	unsigned int		 neg_ttl_max;
} D;

static uint32_t
hash(const char *name, int family)
{
	uint32_t h = 2166136261u ^ (uint32_t)family;

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h;
}

static void
reschedule(void)
{
	struct timeval tv, *tvp;

	tvp = ares_timeout(D.ch, NULL, &tv);
	if (tvp == NULL)
		ev_timer_stop(D.ev, &D.tm);
	else
		ev_timer_start(D.ev, &D.tm, (uint64_t)tvp->tv_sec * 1000 +
		    (tvp->tv_usec + 999) / 1000);
}

static void
io_cb(struct ev *ev, struct ev_io *io, uint32_t events)
{
	int fd = io->fd;

	ares_process_fd(D.ch,
	    events & (EPOLLIN | EPOLLERR | EPOLLHUP) ? fd : ARES_SOCKET_BAD,
	    events & EPOLLOUT ? fd : ARES_SOCKET_BAD);
	reschedule();
}

static void
timer_cb(struct ev *ev, struct ev_timer *t)
{
	ares_process_fd(D.ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	reschedule();
}

/* c-ares tells us which of its sockets to watch. */
static void
sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	uint32_t events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
	int i, free_slot = -1;

	for (i = 0; i < DNS_MAXSOCK; i++) {
		if (D.sock[i].fd == fd)
			break;
		if (D.sock[i].fd == -1 && free_slot == -1)
			free_slot = i;
	}
	if (i < DNS_MAXSOCK) {
		if (events == 0) {
			ev_io_stop(D.ev, &D.sock[i].io);
			D.sock[i].fd = -1;
		} else
			ev_io_mod(D.ev, &D.sock[i].io, events);
		return;
	}
	if (events == 0 || free_slot == -1)
		return;	/* more sockets than slots: the timer still runs */
	D.sock[free_slot].fd = fd;
	ev_io_start(D.ev, &D.sock[free_slot].io, fd, events, io_cb, NULL);
}

int
sni_dns_init(struct ev *ev, const char *servers, unsigned int timeout_ms,
    unsigned int neg_ttl_max, char *err, size_t errlen)
{
	struct ares_options o;
	int i, rc, mask;

	memset(&D, 0, sizeof(D));
	D.ev = ev;
	D.neg_ttl_max = neg_ttl_max;
	for (i = 0; i < DNS_MAXSOCK; i++)
		D.sock[i].fd = -1;
	ev_timer_init(&D.tm, timer_cb, NULL);
	D.tabsz = 1024;
	if ((D.tab = calloc(D.tabsz, sizeof(*D.tab))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS)
		goto fail;
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = sock_state_cb;
	o.timeout = timeout_ms / 2 > 0 ? timeout_ms / 2 : 1;
	o.tries = 2;
	mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
	if ((rc = ares_init_options(&D.ch, &o, mask)) != ARES_SUCCESS)
		goto fail;
	D.up = true;
	if (servers != NULL && servers[0] != '\0' &&
	    (rc = ares_set_servers_ports_csv(D.ch, servers)) != ARES_SUCCESS) {
		snprintf(err, errlen, "resolver \"%s\": %s", servers,
		    ares_strerror(rc));
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
	return -1;
}

void
sni_dns_free(void)
{
	size_t i;

	if (D.up)
		ares_destroy(D.ch);
	D.up = false;
	for (i = 0; i < D.tabsz && D.tab; i++)
		while (D.tab[i] != NULL) {
			struct sni_dns_entry *e = D.tab[i];

			D.tab[i] = e->hnext;
			free(e);
		}
	free(D.tab);
	D.tab = NULL;
}

static void
unlink_entry(struct sni_dns_entry *e)
{
	struct sni_dns_entry **pp = &D.tab[e->hash & (D.tabsz - 1)];

	for (; *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			D.n--;
			return;
		}
}

/* Make room: drop what has expired, or failing that every finished
 * entry.  Pending ones stay: their waiters point at them. */
static void
evict(bool all)
{
	uint64_t now = ev_now_ms(D.ev);
	size_t i;

	for (i = 0; i < D.tabsz; i++) {
		struct sni_dns_entry **pp = &D.tab[i], *e;

		while ((e = *pp) != NULL) {
			if (!e->pending && (all || e->expires <= now)) {
				*pp = e->hnext;
				D.n--;
				free(e);
			} else
				pp = &e->hnext;
		}
	}
}

static const uint8_t *
skip_name(const uint8_t *p, const uint8_t *end)
{
	while (p < end) {
		if ((*p & 0xc0) == 0xc0)
			return p + 2 <= end ? p + 2 : NULL;
		if (*p == 0)
			return p + 1;
		p += *p + 1;
	}
	return NULL;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* The negative TTL of a reply: min(SOA TTL, SOA minimum), RFC 2308. */
static unsigned int
negative_ttl(const uint8_t *abuf, int alen)
{
	const uint8_t *p, *end = abuf + alen;
	unsigned int qd, an, ns, i;

	if (abuf == NULL || alen < 12)
		return DNS_NOSOA_TTL;
	qd = abuf[4] << 8 | abuf[5];
	an = abuf[6] << 8 | abuf[7];
	ns = abuf[8] << 8 | abuf[9];
	p = abuf + 12;
	for (i = 0; i < qd; i++) {
		if ((p = skip_name(p, end)) == NULL || end - p < 4)
			return DNS_NOSOA_TTL;
		p += 4;
	}
	for (i = 0; i < an + ns; i++) {
		unsigned int type, rdlen, ttl, min;

		if ((p = skip_name(p, end)) == NULL || end - p < 10)
			return DNS_NOSOA_TTL;
		type = p[0] << 8 | p[1];
		ttl = get32(p + 4);
		rdlen = p[8] << 8 | p[9];
		p += 10;
		if ((size_t)(end - p) < rdlen)
			return DNS_NOSOA_TTL;
		if (i >= an && type == ns_t_soa && rdlen >= 22) {
			min = get32(p + rdlen - 4);
			return ttl < min ? ttl : min;
		}
		p += rdlen;
	}
	return DNS_NOSOA_TTL;
}

static void
query_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct sni_dns_entry *e = arg;
	struct sni_dns_wait *list, *w;
	unsigned int ttl = 0, i;
	bool cache = false;
	int n = SNI_DNS_MAXADDR;

	if (status == ARES_EDESTRUCTION)
		return;
	memset(&e->res, 0, sizeof(e->res));
	e->res.family = e->family;
	if (status == ARES_SUCCESS && e->family == AF_INET6) {
		struct ares_addr6ttl t[SNI_DNS_MAXADDR];

		status = ares_parse_aaaa_reply(abuf, alen, NULL, t, &n);
		for (i = 0; status == ARES_SUCCESS && i < (unsigned int)n;
		    i++) {
			memcpy(&e->res.a[i].v6, &t[i].ip6addr, 16);
			if (i == 0 || (unsigned int)t[i].ttl < ttl)
				ttl = t[i].ttl;
		}
	} else if (status == ARES_SUCCESS) {
		struct ares_addrttl t[SNI_DNS_MAXADDR];

		status = ares_parse_a_reply(abuf, alen, NULL, t, &n);
		for (i = 0; status == ARES_SUCCESS && i < (unsigned int)n;
		    i++) {
			e->res.a[i].v4 = t[i].ipaddr;
			if (i == 0 || (unsigned int)t[i].ttl < ttl)
				ttl = t[i].ttl;
		}
	}
	if (status == ARES_SUCCESS && n > 0) {
		e->res.n = n;
		cache = true;
	} else if (status == ARES_SUCCESS || status == ARES_ENODATA ||
	    status == ARES_ENOTFOUND) {
		e->res.status = status == ARES_ENOTFOUND ? ARES_ENOTFOUND :
		    ARES_ENODATA;
		ttl = negative_ttl(abuf, alen);
		if (ttl > D.neg_ttl_max)
			ttl = D.neg_ttl_max;
		cache = true;
	} else
		e->res.status = status;	/* timeout, SERVFAIL: not kept */
	if (ttl > DNS_MAXTTL)
		ttl = DNS_MAXTTL;
	e->expires = ev_now_ms(D.ev) + (uint64_t)ttl * 1000;
	e->pending = false;

	list = e->waiters;
	e->waiters = NULL;
	if (list != NULL)
		list->prevp = &list;
	if (!cache)
		unlink_entry(e);
	while ((w = list) != NULL) {
		list = w->next;
		if (list != NULL)
			list->prevp = &list;
		w->ent = NULL;
		w->next = NULL;
		w->prevp = NULL;
		w->cb(w, &e->res);
	}
	if (!cache)
		free(e);
}

int
sni_dns_lookup(const char *name, int family, struct sni_dns_wait *w,
    sni_dns_cb cb, struct sni_dns_result *r)
{
	uint32_t h = hash(name, family);
	struct sni_dns_entry *e;

	for (e = D.tab[h & (D.tabsz - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && e->family == family &&
		    strcmp(e->name, name) == 0)
			break;
	if (e != NULL && !e->pending && e->expires > ev_now_ms(D.ev)) {
		sni_stats.dns_hit++;
		*r = e->res;
		return 0;
	}
	sni_stats.dns_miss++;
	w->cb = cb;
	if (e == NULL) {
		if (D.n >= DNS_MAXENT) {
			evict(false);
			if (D.n >= DNS_MAXENT)
				evict(true);
		}
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			memset(r, 0, sizeof(*r));
			r->status = ARES_ENOMEM;
			return 0;
		}
		strlcpy(e->name, name, sizeof(e->name));
		e->hash = h;
		e->family = family;
		e->hnext = D.tab[h & (D.tabsz - 1)];
		D.tab[h & (D.tabsz - 1)] = e;
		D.n++;
	}
	/* Join the waiters first: the query may answer at once. */
	w->ent = e;
	w->next = e->waiters;
	if (w->next != NULL)
		w->next->prevp = &w->next;
	w->prevp = &e->waiters;
	e->waiters = w;
	if (!e->pending) {
		e->pending = true;
		ares_query(D.ch, name, ns_c_in,
		    family == AF_INET6 ? ns_t_aaaa : ns_t_a, query_cb, e);
		reschedule();
	}
	return 1;
}

void
sni_dns_cancel(struct sni_dns_wait *w)
{
	if (w->ent == NULL)
		return;
	*w->prevp = w->next;
	if (w->next != NULL)
		w->next->prevp = w->prevp;
	w->ent = NULL;
	w->next = NULL;
	w->prevp = NULL;
}
