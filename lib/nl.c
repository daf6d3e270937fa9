/* SPDX-License-Identifier: ISC */
/*
 * The netlink socket, batches of requests and the one reply reader that
 * every request, dump and batch goes through.
 *
 * A batch is one growing buffer of finished messages.  Committing it sends
 * the buffer in chunks, one sendmsg(2) per chunk; only the last message of
 * a chunk asks for an ACK.  The kernel handles a chunk in order and within
 * the sendmsg call, so once that ACK (or that message's error) is read,
 * every error of the chunk has been read too.  Sequence numbers are given
 * out at commit time, one per message, so each error maps back to the
 * index of the request that caused it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "nl.h"
#include "nl_int.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* Receive queue: error replies of a whole chunk must fit in it. */
#define NL_RCVBUF	(32 << 20)
#define NL_SNDBUF	(4 << 20)
/* Our receive buffer: larger than the biggest dump skb (32 KiB). */
#define NL_RXBUF	(64 << 10)
/* Bytes per sendmsg. */
#define NL_CHUNK	(256 << 10)
/* What one queued error reply costs the receive queue, generously. */
#define NL_ERR_COST	2048

struct nl_batch {
	struct nl	*nl;
	char		*buf;
	size_t		 len;		/* bytes of finished messages */
	size_t		 cap;
	size_t		 count;		/* messages, the open one included */
	size_t		 open;		/* offset of the open message */
	bool		 isopen;
	size_t		 chunk;		/* bytes per sendmsg */
	size_t		 chunk_msgs;	/* messages per sendmsg */
};

/* What a read is waiting for. */
struct nl_rx {
	uint32_t	 seq_lo;	/* replies to seq_lo .. seq_lo+n-1 */
	uint32_t	 n;
	uint32_t	 seq_end;	/* the reply to this one ends the read */
	nl_data_cb	 data;
	void		*arg;
	int		 data_ret;
	bool		 batch;		/* errors are per request */
	nl_err_cb	 ecb;
	void		*earg;
	size_t		 nfail;
	int		 err;		/* requests: the kernel's error */
	bool		 intr;
};

static void
nl_setint(int fd, int level, int opt, int val)
{
	(void)setsockopt(fd, level, opt, &val, sizeof(val));
}

int
nl_open(struct nl *nl, int bus)
{
	int fd, err;

	memset(nl, 0, sizeof(*nl));
	if ((nl->buf = malloc(NL_RXBUF)) == NULL)
		return -ENOMEM;
	nl->bufsz = NL_RXBUF;
	if ((nl->sock = mnl_socket_open2(bus, SOCK_CLOEXEC)) == NULL)
		goto fail;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	fd = mnl_socket_get_fd(nl->sock);

	/* Optional: older kernels lack some; each only makes things better. */
	nl_setint(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
	nl_setint(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
	nl_setint(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
	/* FORCE needs CAP_NET_ADMIN; otherwise take what rmem_max allows. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &(int){ NL_RCVBUF },
	    sizeof(int)) < 0)
		nl_setint(fd, SOL_SOCKET, SO_RCVBUF, NL_RCVBUF);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &(int){ NL_SNDBUF },
	    sizeof(int)) < 0)
		nl_setint(fd, SOL_SOCKET, SO_SNDBUF, NL_SNDBUF);
	return 0;
fail:
	err = -errno;
	nl_close(nl);
	return err ? err : -EIO;
}

void
nl_close(struct nl *nl)
{
	if (nl->sock != NULL)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	memset(nl, 0, sizeof(*nl));
}

/* ---- attributes ---- */

struct nl_tb {
	const struct nlattr	**tb;
	unsigned		  max;
};

static int
nl_attr_cb(const struct nlattr *a, void *arg)
{
	struct nl_tb *t = arg;
	unsigned type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

int
nl_attrs(const struct nlmsghdr *nlh, size_t offset, const struct nlattr **tb,
    unsigned max)
{
	struct nl_tb t = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_nlmsg_get_payload_len(nlh) < offset)
		return -EINVAL;
	mnl_attr_parse(nlh, offset, nl_attr_cb, &t);
	return 0;
}

void
nl_attrs_nested(const struct nlattr *nest, const struct nlattr **tb,
    unsigned max)
{
	struct nl_tb t = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	mnl_attr_parse_nested(nest, nl_attr_cb, &t);
}

uint8_t
nl_attr_u8(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) >= 1 ? mnl_attr_get_u8(a) : 0;
}

uint16_t
nl_attr_u16(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) >= 2 ? mnl_attr_get_u16(a) : 0;
}

uint32_t
nl_attr_u32(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) >= 4 ? mnl_attr_get_u32(a) : 0;
}

void
nl_attr_str(const struct nlattr *a, char *buf, size_t size)
{
	size_t n = 0;

	if (a != NULL) {
		n = mnl_attr_get_payload_len(a);
		if (n > size - 1)
			n = size - 1;
		memcpy(buf, mnl_attr_get_payload(a), n);
		n = strnlen(buf, n);
	}
	buf[n] = '\0';
}

size_t
nl_addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

bool
nl_attr_addr(const struct nlattr *a, int family, union edge_addr *out)
{
	size_t alen = nl_addr_len(family);

	memset(out, 0, sizeof(*out));
	if (a == NULL || alen == 0 || mnl_attr_get_payload_len(a) != alen)
		return false;
	memcpy(out, mnl_attr_get_payload(a), alen);
	return true;
}

/* ---- the reply reader ---- */

/* The extack text after an error or NLMSG_DONE payload of hlen bytes. */
static const char *
nl_extack(const struct nlmsghdr *nlh, size_t hlen)
{
	const struct nlattr *a;
	const char *end = (const char *)nlh + nlh->nlmsg_len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    mnl_nlmsg_get_payload_len(nlh) < hlen)
		return NULL;
	for (a = mnl_nlmsg_get_payload_offset(nlh, hlen);
	    mnl_attr_ok(a, (int)(end - (const char *)a)); a = mnl_attr_next(a))
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(a);
	return NULL;
}

static void
nl_set_errmsg(struct nl *nl, const char *msg)
{
	if (msg != NULL)
		snprintf(nl->errmsg, sizeof(nl->errmsg), "%s", msg);
}

/* One reply message; returns true when it ends the read. */
static bool
nl_rx_one(struct nl *nl, struct nl_rx *rx, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e;
	const char *msg;
	size_t hlen;
	int err;

	if (nlh->nlmsg_pid != nl->portid ||
	    (uint32_t)(nlh->nlmsg_seq - rx->seq_lo) >= rx->n)
		return false;	/* not ours, or a stale reply */
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		rx->intr = true;

	switch (nlh->nlmsg_type) {
	case NLMSG_NOOP:
		return false;
	case NLMSG_OVERRUN:
		if (rx->err == 0)
			rx->err = -ENOBUFS;
		return false;
	case NLMSG_ERROR:
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
			err = -EBADMSG;
			msg = NULL;
		} else {
			e = mnl_nlmsg_get_payload(nlh);
			err = e->error > 0 ? -e->error : e->error;
			hlen = sizeof(*e);
			if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
			    e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
				hlen += e->msg.nlmsg_len -
				    sizeof(struct nlmsghdr);
			msg = nl_extack(nlh, hlen);
		}
		if (err < 0) {
			nl_set_errmsg(nl, msg);
			if (rx->batch) {
				if (rx->ecb != NULL)
					rx->ecb(rx->earg,
					    nlh->nlmsg_seq - rx->seq_lo, err,
					    msg);
				rx->nfail++;
			} else if (rx->err == 0)
				rx->err = err;
		}
		return nlh->nlmsg_seq == rx->seq_end;
	case NLMSG_DONE:
		if (nlh->nlmsg_seq != rx->seq_end)
			return false;
		if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
			memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
			if (err < 0 && rx->err == 0) {
				rx->err = err;
				nl_set_errmsg(nl, nl_extack(nlh, sizeof(int)));
			}
		}
		return true;
	default:
		if (rx->data != NULL && rx->data_ret == 0)
			rx->data_ret = rx->data(nlh, rx->arg);
		return false;
	}
}

/* Whatever is still queued after an overrun is useless: drop it so the
 * next request starts clean.  The kernel queues every reply to a request
 * within our sendmsg, so nothing more will arrive for it. */
static void
nl_drain(struct nl *nl)
{
	int fd = mnl_socket_get_fd(nl->sock);

	while (recv(fd, nl->buf, nl->bufsz, MSG_DONTWAIT) > 0 ||
	    errno == ENOBUFS || errno == EINTR)
		;
}

static int
nl_recv(struct nl *nl, struct nl_rx *rx)
{
	const struct nlmsghdr *nlh;
	ssize_t n;
	int left;

	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, nl->bufsz);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS)
				return -errno;
			nl_drain(nl);
			return -ENOBUFS;
		}
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)nl->buf;
		    mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			if (nl_rx_one(nl, rx, nlh))
				return rx->err == -ENOBUFS ? -ENOBUFS : 0;
	}
}

static int
nl_send(struct nl *nl, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = mnl_socket_sendto(nl->sock, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int
nl_talk(struct nl *nl, struct nlmsghdr *nlh, nl_data_cb cb, void *arg)
{
	struct nl_rx rx;
	int err;

	nl->errmsg[0] = '\0';
	nlh->nlmsg_flags |= NLM_F_REQUEST;
	if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	memset(&rx, 0, sizeof(rx));
	rx.seq_lo = rx.seq_end = nlh->nlmsg_seq;
	rx.n = 1;
	rx.data = cb;
	rx.arg = arg;
	if ((err = nl_send(nl, nlh, nlh->nlmsg_len)) < 0)
		return err;
	if ((err = nl_recv(nl, &rx)) < 0)
		return err;
	if (rx.err != 0)
		return rx.err;
	if (rx.data_ret != 0)
		return rx.data_ret;
	return rx.intr ? -EINTR : 0;
}

/* ---- batches ---- */

struct nl_batch *
nl_batch_new(struct nl *nl)
{
	struct nl_batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->nl = nl;
	return b;
}

/* The kernel refuses a sendmsg larger than the send buffer, and the error
 * replies to a whole chunk must fit in the receive buffer: size chunks to
 * what the socket has now. */
static void
nl_batch_sizes(struct nl_batch *b)
{
	socklen_t sl;
	int fd, snd = 0, rcv = 0;

	fd = mnl_socket_get_fd(b->nl->sock);
	sl = sizeof(snd);
	(void)getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &sl);
	sl = sizeof(rcv);
	(void)getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &sl);
	b->chunk = NL_CHUNK;
	if (snd > 0 && (size_t)snd / 2 < b->chunk)
		b->chunk = (size_t)snd / 2;
	if (b->chunk < NL_MSG_MAX)
		b->chunk = NL_MSG_MAX;
	b->chunk_msgs = rcv > 0 ? (size_t)rcv / 2 / NL_ERR_COST : 16;
	if (b->chunk_msgs < 16)
		b->chunk_msgs = 16;
}

void
nl_batch_free(struct nl_batch *b)
{
	if (b == NULL)
		return;
	free(b->buf);
	free(b);
}

size_t
nl_batch_count(const struct nl_batch *b)
{
	return b->count;
}

static void
nl_batch_close(struct nl_batch *b)
{
	const struct nlmsghdr *nlh;

	if (!b->isopen)
		return;
	nlh = (const struct nlmsghdr *)(b->buf + b->open);
	b->len = b->open + MNL_ALIGN(nlh->nlmsg_len);
	b->isopen = false;
}

struct nlmsghdr *
nl_batch_msg(struct nl_batch *b, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;
	size_t cap;
	char *p;

	nl_batch_close(b);
	if (b->cap - b->len < NL_MSG_MAX) {
		cap = b->cap ? b->cap * 2 : (1 << 20);
		if ((p = realloc(b->buf, cap)) == NULL) {
			errno = ENOMEM;
			return NULL;
		}
		b->buf = p;
		b->cap = cap;
	}
	nlh = mnl_nlmsg_put_header(b->buf + b->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = (uint32_t)b->count;	/* final one set at commit */
	b->open = b->len;
	b->isopen = true;
	b->count++;
	return nlh;
}

/* Drop the last message added (a builder that failed half-way). */
void
nl_batch_undo(struct nl_batch *b)
{
	if (!b->isopen)
		return;
	b->isopen = false;
	b->len = b->open;
	b->count--;
}

int
nl_batch_commit(struct nl_batch *b, nl_err_cb cb, void *arg)
{
	struct nl *nl = b->nl;
	struct nlmsghdr *nlh, *last;
	struct nl_rx rx;
	size_t off, start, idx, first;
	uint32_t seq0;
	int err = 0;

	nl_batch_close(b);
	nl_batch_sizes(b);
	nl->errmsg[0] = '\0';
	seq0 = nl->seq + 1;
	nl->seq += (uint32_t)b->count + 1;

	memset(&rx, 0, sizeof(rx));
	rx.seq_lo = seq0;
	rx.n = (uint32_t)b->count;
	rx.batch = true;
	rx.ecb = cb;
	rx.earg = arg;

	for (off = 0, idx = 0; off < b->len && err == 0;) {
		start = off;
		first = idx;
		do {
			nlh = (struct nlmsghdr *)(b->buf + off);
			nlh->nlmsg_seq = seq0 + (uint32_t)idx;
			nlh->nlmsg_flags &= ~NLM_F_ACK;
			last = nlh;
			off += MNL_ALIGN(nlh->nlmsg_len);
			idx++;
		} while (off < b->len && idx - first < b->chunk_msgs &&
		    off - start + ((struct nlmsghdr *)(b->buf + off))->nlmsg_len
		    <= b->chunk);
		last->nlmsg_flags |= NLM_F_ACK;
		rx.seq_end = last->nlmsg_seq;
		if ((err = nl_send(nl, b->buf + start, off - start)) < 0)
			break;
		err = nl_recv(nl, &rx);
		if (err == 0 && rx.err != 0)
			err = rx.err;
	}
	b->len = 0;
	b->count = 0;
	return err < 0 ? err : (int)(rx.nfail > INT32_MAX ? INT32_MAX :
	    rx.nfail);
}

/* ---- generic netlink ---- */

static int
nl_genl_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];

	if (nl_attrs(nlh, sizeof(struct genlmsghdr), tb, CTRL_ATTR_MAX) < 0 ||
	    tb[CTRL_ATTR_FAMILY_ID] == NULL)
		return -EBADMSG;
	*(uint16_t *)arg = nl_attr_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return 0;
}

int
nl_genl_family(struct nl *nl, const char *name, uint16_t *id)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	uint16_t got = 0;
	int err;

	if (strlen(name) >= GENL_NAMSIZ)
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	if ((err = nl_talk(nl, nlh, nl_genl_cb, &got)) < 0)
		return err;
	if (got == 0)
		return -ENOENT;
	*id = got;
	return 0;
}

int
nl_batch_build(struct nl_batch *b, uint16_t cmd, uint16_t flags,
    nl_build_fn build, const void *obj)
{
	struct nlmsghdr *nlh;
	int err;

	if ((nlh = nl_batch_msg(b, cmd, flags)) == NULL)
		return -ENOMEM;
	if ((err = build(nlh, cmd, obj)) < 0)
		nl_batch_undo(b);
	return err;
}

int
nl_build_talk(struct nl *nl, uint16_t cmd, uint16_t flags,
    nl_build_fn build, const void *obj)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	int err;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = cmd;
	nlh->nlmsg_flags = flags;
	if ((err = build(nlh, cmd, obj)) < 0)
		return err;
	return nl_talk(nl, nlh, NULL, NULL);
}
