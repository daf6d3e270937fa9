// SPDX-License-Identifier: ISC
/*
 * WireGuard devices over UAPI (userspace implementations) and generic
 * netlink (the kernel), plus the key handling both need: base64 and hex
 * forms and X25519 to derive public keys, since wireguard-go reports only
 * the private key of its own interface.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include "nl.h"
#include "wg.h"

/* ---- the model ---- */

void
wg_device_init(struct wg_device *d, const char *name)
{
	memset(d, 0, sizeof(*d));
	if (name != NULL)
		strlcpy(d->name, name, sizeof(d->name));
}

void
wg_device_free(struct wg_device *d)
{
	size_t i;

	for (i = 0; i < d->npeers; i++) {
		free(d->peers[i].allowedips);
		explicit_bzero(d->peers[i].preshared_key, WG_KEY_LEN);
	}
	free(d->peers);
	explicit_bzero(d->private_key, WG_KEY_LEN);
	d->peers = NULL;
	d->npeers = d->peers_cap = 0;
	d->flags = 0;
}

struct wg_peer *
wg_peer_add(struct wg_device *d, const uint8_t key[WG_KEY_LEN])
{
	struct wg_peer *p;

	if (d->npeers == d->peers_cap) {
		size_t ncap = d->peers_cap ? d->peers_cap * 2 : 8;

		p = reallocarray(d->peers, ncap, sizeof(*p));
		if (p == NULL)
			return NULL;
		d->peers = p;
		d->peers_cap = ncap;
	}
	p = &d->peers[d->npeers++];
	memset(p, 0, sizeof(*p));
	memcpy(p->public_key, key, WG_KEY_LEN);
	return p;
}

struct wg_peer *
wg_peer_find(const struct wg_device *d, const uint8_t key[WG_KEY_LEN])
{
	size_t i;

	for (i = 0; i < d->npeers; i++)
		if (memcmp(d->peers[i].public_key, key, WG_KEY_LEN) == 0)
			return &d->peers[i];
	return NULL;
}

int
wg_peer_add_allowedip(struct wg_peer *p, const struct prefix *a)
{
	if (p->nallowedips == p->allowedips_cap) {
		size_t ncap = p->allowedips_cap ? p->allowedips_cap * 2 : 4;
		struct prefix *v;

		v = reallocarray(p->allowedips, ncap, sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		p->allowedips = v;
		p->allowedips_cap = ncap;
	}
	p->allowedips[p->nallowedips++] = *a;
	return 0;
}

int64_t
wg_peer_handshake_age(const struct wg_peer *p, int64_t now)
{
	if (p->last_handshake_sec == 0 && p->last_handshake_nsec == 0)
		return -1;
	return now > p->last_handshake_sec ? now - p->last_handshake_sec : 0;
}

/* ---- keys ---- */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
wg_key_to_base64(char out[WG_KEY_B64_LEN], const uint8_t key[WG_KEY_LEN])
{
	unsigned int i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= WG_KEY_LEN; i += 3) {
		v = (uint32_t)key[i] << 16 | (uint32_t)key[i + 1] << 8 | key[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	/* 32 = 30 + 2: the last two bytes make three characters and a pad. */
	v = (uint32_t)key[30] << 16 | (uint32_t)key[31] << 8;
	out[o++] = b64[v >> 18 & 63];
	out[o++] = b64[v >> 12 & 63];
	out[o++] = b64[v >> 6 & 63];
	out[o++] = '=';
	out[o] = '\0';
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

bool
wg_key_from_base64(uint8_t key[WG_KEY_LEN], const char *s)
{
	uint8_t tmp[WG_KEY_LEN];
	unsigned int i, o = 0;
	uint32_t v;
	int c, j;

	if (strlen(s) != WG_KEY_B64_LEN - 1 || s[WG_KEY_B64_LEN - 2] != '=')
		return false;
	for (i = 0; i < 40; i += 4) {
		v = 0;
		for (j = 0; j < 4; j++) {
			if ((c = b64_value(s[i + j])) < 0)
				goto bad;
			v = v << 6 | (uint32_t)c;
		}
		tmp[o++] = v >> 16;
		tmp[o++] = v >> 8;
		tmp[o++] = v;
	}
	v = 0;
	for (j = 0; j < 3; j++) {
		if ((c = b64_value(s[40 + j])) < 0)
			goto bad;
		v = v << 6 | (uint32_t)c;
	}
	/* 18 bits for 16: the two spare bits must be zero (canonical). */
	if (v & 3)
		goto bad;
	tmp[o++] = v >> 10;
	tmp[o++] = v >> 2;
	memcpy(key, tmp, WG_KEY_LEN);
	explicit_bzero(tmp, sizeof(tmp));
	return true;
bad:
	explicit_bzero(tmp, sizeof(tmp));
	return false;
}

void
wg_key_to_hex(char out[WG_KEY_HEX_LEN], const uint8_t key[WG_KEY_LEN])
{
	static const char hx[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < WG_KEY_LEN; i++) {
		out[2 * i] = hx[key[i] >> 4];
		out[2 * i + 1] = hx[key[i] & 15];
	}
	out[2 * WG_KEY_LEN] = '\0';
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
wg_key_from_hex(uint8_t key[WG_KEY_LEN], const char *s)
{
	uint8_t tmp[WG_KEY_LEN];
	unsigned int i;
	int hi, lo;

	if (strlen(s) != WG_KEY_HEX_LEN - 1)
		return false;
	for (i = 0; i < WG_KEY_LEN; i++) {
		if ((hi = hex_value(s[2 * i])) < 0 ||
		    (lo = hex_value(s[2 * i + 1])) < 0) {
			explicit_bzero(tmp, sizeof(tmp));
			return false;
		}
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(key, tmp, WG_KEY_LEN);
	explicit_bzero(tmp, sizeof(tmp));
	return true;
}

bool
wg_key_is_zero(const uint8_t key[WG_KEY_LEN])
{
	uint8_t acc = 0;
	unsigned int i;

	for (i = 0; i < WG_KEY_LEN; i++)
		acc |= key[i];
	return acc == 0;
}

bool
wg_key_equal(const uint8_t a[WG_KEY_LEN], const uint8_t b[WG_KEY_LEN])
{
	uint8_t acc = 0;
	unsigned int i;

	for (i = 0; i < WG_KEY_LEN; i++)
		acc |= a[i] ^ b[i];
	return acc == 0;
}

/* ---- endpoints ---- */

bool
wg_endpoint_parse(union wg_endpoint *ep, const char *s)
{
	char host[INET6_ADDRSTRLEN + IFNAMSIZ + 2];
	const char *port, *errstr;
	char *pct;
	size_t hl;
	long long pn;

	memset(ep, 0, sizeof(*ep));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':')
			return false;
		hl = (size_t)(end - s - 1);
		port = end + 2;
		s++;
	} else {
		port = strrchr(s, ':');
		if (port == NULL)
			return false;
		hl = (size_t)(port - s);
		port++;
		/* An IPv6 address needs its brackets. */
		if (memchr(s, ':', hl) != NULL)
			return false;
	}
	if (hl == 0 || hl >= sizeof(host))
		return false;
	memcpy(host, s, hl);
	host[hl] = '\0';
	pn = strtonum(port, 1, 65535, &errstr);
	if (errstr != NULL)
		return false;
	if (inet_pton(AF_INET, host, &ep->in.sin_addr) == 1) {
		ep->in.sin_family = AF_INET;
		ep->in.sin_port = htons((uint16_t)pn);
		return true;
	}
	if ((pct = strchr(host, '%')) != NULL) {
		*pct++ = '\0';
		ep->in6.sin6_scope_id = (uint32_t)strtonum(pct, 1, UINT32_MAX,
		    &errstr);
		if (errstr != NULL &&
		    (ep->in6.sin6_scope_id = if_nametoindex(pct)) == 0)
			return false;
	}
	if (inet_pton(AF_INET6, host, &ep->in6.sin6_addr) != 1) {
		memset(ep, 0, sizeof(*ep));
		return false;
	}
	ep->in6.sin6_family = AF_INET6;
	ep->in6.sin6_port = htons((uint16_t)pn);
	return true;
}

char *
wg_endpoint_ntop(const union wg_endpoint *ep, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	switch (ep->sa.sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &ep->in.sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(ep->in.sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &ep->in6.sin6_addr, a, sizeof(a));
		if (ep->in6.sin6_scope_id != 0)
			snprintf(buf, len, "[%s%%%u]:%u", a,
			    ep->in6.sin6_scope_id, ntohs(ep->in6.sin6_port));
		else
			snprintf(buf, len, "[%s]:%u", a,
			    ntohs(ep->in6.sin6_port));
		break;
	default:
		snprintf(buf, len, "(none)");
	}
	return buf;
}

bool
wg_endpoint_equal(const union wg_endpoint *a, const union wg_endpoint *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	switch (a->sa.sa_family) {
	case AF_INET:
		return a->in.sin_port == b->in.sin_port &&
		    a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	case AF_INET6:
		return a->in6.sin6_port == b->in6.sin6_port &&
		    a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
		    memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
	}
	return true;
}

static void
derive_public(struct wg_device *d)
{
	if ((d->flags & WG_DEVICE_HAS_PRIVATE_KEY) &&
	    !(d->flags & WG_DEVICE_HAS_PUBLIC_KEY) &&
	    !wg_key_is_zero(d->private_key)) {
		wg_pubkey(d->public_key, d->private_key);
		d->flags |= WG_DEVICE_HAS_PUBLIC_KEY;
	}
}

/* ---- UAPI ---- */

static int
uapi_connect(const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	int fd, n;

	if (name[0] == '\0' || strchr(name, '/') != NULL)
		return -EINVAL;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s.sock",
	    WG_UAPI_DIR, name);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	/* A wedged daemon must not hang the caller forever. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	return fd;
}

bool
wg_uapi_exists(const char *name)
{
	int fd;

	if ((fd = uapi_connect(name)) < 0)
		return false;
	close(fd);
	return true;
}

/*
 * Send req and read the reply up to its closing empty line.  The reply is
 * malloc'd and NUL-terminated; the caller frees it (it may hold keys).
 */
static int
uapi_exchange(const char *name, const char *req, char **reply)
{
	size_t len = strlen(req), off = 0, cap = 4096;
	char *buf = NULL, *nb;
	ssize_t n;
	int fd, rc;

	*reply = NULL;
	if ((fd = uapi_connect(name)) < 0)
		return fd;
	while (off < len) {
		n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		off += (size_t)n;
	}
	off = 0;
	if ((buf = malloc(cap)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (cap - off < 2048) {
			if ((nb = realloc(buf, cap * 2)) == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + off, cap - off - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto out;
		}
		if (n == 0) {
			rc = -EPROTO;	/* closed before the reply ended */
			goto out;
		}
		off += (size_t)n;
		if (off >= 2 && buf[off - 1] == '\n' && buf[off - 2] == '\n')
			break;
	}
	buf[off] = '\0';
	*reply = buf;
	buf = NULL;
	rc = 0;
out:
	if (buf != NULL) {
		explicit_bzero(buf, cap);
		free(buf);
	}
	close(fd);
	return rc;
}

static bool
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

int
wg_uapi_parse(struct wg_device *d, const char *text)
{
	struct wg_peer *p = NULL;
	char *copy, *line, *save = NULL, *val;
	struct prefix pfx;
	uint64_t v;
	int rc = -EPROTO;
	bool have_errno = false;

	if ((copy = strdup(text)) == NULL)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((val = strchr(line, '=')) == NULL)
			goto out;
		*val++ = '\0';
		if (strcmp(line, "errno") == 0) {
			if (!parse_u64(val, INT32_MAX, &v))
				goto out;
			rc = -(int)v;
			have_errno = true;
			break;
		} else if (strcmp(line, "private_key") == 0 && p == NULL) {
			if (!wg_key_from_hex(d->private_key, val))
				goto out;
			d->flags |= WG_DEVICE_HAS_PRIVATE_KEY;
		} else if (strcmp(line, "listen_port") == 0 && p == NULL) {
			if (!parse_u64(val, 65535, &v))
				goto out;
			d->listen_port = (uint16_t)v;
			d->flags |= WG_DEVICE_HAS_LISTEN_PORT;
		} else if (strcmp(line, "fwmark") == 0 && p == NULL) {
			if (!parse_u64(val, UINT32_MAX, &v))
				goto out;
			d->fwmark = (uint32_t)v;
			d->flags |= WG_DEVICE_HAS_FWMARK;
		} else if (strcmp(line, "public_key") == 0) {
			uint8_t k[WG_KEY_LEN];

			if (!wg_key_from_hex(k, val))
				goto out;
			if ((p = wg_peer_add(d, k)) == NULL) {
				rc = -ENOMEM;
				goto out;
			}
		} else if (p == NULL) {
			continue;	/* a device key we don't know */
		} else if (strcmp(line, "preshared_key") == 0) {
			if (!wg_key_from_hex(p->preshared_key, val))
				goto out;
			if (!wg_key_is_zero(p->preshared_key))
				p->flags |= WG_PEER_HAS_PRESHARED_KEY;
		} else if (strcmp(line, "endpoint") == 0) {
			if (!wg_endpoint_parse(&p->endpoint, val))
				goto out;
			p->flags |= WG_PEER_HAS_ENDPOINT;
		} else if (strcmp(line, "persistent_keepalive_interval") == 0) {
			if (!parse_u64(val, 65535, &v))
				goto out;
			p->keepalive = (uint16_t)v;
			if (v != 0)
				p->flags |= WG_PEER_HAS_KEEPALIVE;
		} else if (strcmp(line, "last_handshake_time_sec") == 0) {
			if (!parse_u64(val, INT64_MAX, &v))
				goto out;
			p->last_handshake_sec = (int64_t)v;
		} else if (strcmp(line, "last_handshake_time_nsec") == 0) {
			if (!parse_u64(val, INT64_MAX, &v))
				goto out;
			p->last_handshake_nsec = (int64_t)v;
		} else if (strcmp(line, "rx_bytes") == 0) {
			if (!parse_u64(val, UINT64_MAX, &v))
				goto out;
			p->rx_bytes = v;
		} else if (strcmp(line, "tx_bytes") == 0) {
			if (!parse_u64(val, UINT64_MAX, &v))
				goto out;
			p->tx_bytes = v;
		} else if (strcmp(line, "allowed_ip") == 0) {
			if (!prefix_parse(val, &pfx, PREFIX_NORMALIZE, NULL, 0))
				goto out;
			if (wg_peer_add_allowedip(p, &pfx) < 0) {
				rc = -ENOMEM;
				goto out;
			}
		}
		/* protocol_version and unknown keys are skipped. */
	}
	if (!have_errno)
		rc = -EPROTO;
out:
	explicit_bzero(copy, strlen(text));
	free(copy);
	return rc;
}

int
wg_uapi_get(const char *name, struct wg_device *d)
{
	char *reply;
	int rc;

	wg_device_init(d, name);
	if ((rc = uapi_exchange(name, "get=1\n\n", &reply)) < 0)
		return rc;
	rc = wg_uapi_parse(d, reply);
	explicit_bzero(reply, strlen(reply));
	free(reply);
	if (rc == 0) {
		d->ifindex = if_nametoindex(name);
		derive_public(d);
	}
	return rc;
}

char *
wg_uapi_set_text(const struct wg_device *d)
{
	char hex[WG_KEY_HEX_LEN], ep[INET6_ADDRSTRLEN + 32];
	char pfx[PREFIX_STRLEN];
	char *out = NULL;
	size_t outlen = 0, i, j;
	FILE *f;

	if ((f = open_memstream(&out, &outlen)) == NULL)
		return NULL;
	fputs("set=1\n", f);
	if (d->flags & WG_DEVICE_HAS_PRIVATE_KEY) {
		wg_key_to_hex(hex, d->private_key);
		fprintf(f, "private_key=%s\n", hex);
	}
	if (d->flags & WG_DEVICE_HAS_LISTEN_PORT)
		fprintf(f, "listen_port=%u\n", d->listen_port);
	if (d->flags & WG_DEVICE_HAS_FWMARK)
		fprintf(f, "fwmark=%" PRIu32 "\n", d->fwmark);
	if (d->flags & WG_DEVICE_REPLACE_PEERS)
		fputs("replace_peers=true\n", f);
	for (i = 0; i < d->npeers; i++) {
		const struct wg_peer *p = &d->peers[i];

		wg_key_to_hex(hex, p->public_key);
		fprintf(f, "public_key=%s\n", hex);
		if (p->flags & WG_PEER_REMOVE) {
			fputs("remove=true\n", f);
			continue;
		}
		if (p->flags & WG_PEER_UPDATE_ONLY)
			fputs("update_only=true\n", f);
		if (p->flags & WG_PEER_HAS_PRESHARED_KEY) {
			wg_key_to_hex(hex, p->preshared_key);
			fprintf(f, "preshared_key=%s\n", hex);
		}
		if ((p->flags & WG_PEER_HAS_ENDPOINT) &&
		    p->endpoint.sa.sa_family != 0)
			fprintf(f, "endpoint=%s\n",
			    wg_endpoint_ntop(&p->endpoint, ep, sizeof(ep)));
		if (p->flags & WG_PEER_HAS_KEEPALIVE)
			fprintf(f, "persistent_keepalive_interval=%u\n",
			    p->keepalive);
		if (p->flags & WG_PEER_REPLACE_ALLOWEDIPS)
			fputs("replace_allowed_ips=true\n", f);
		for (j = 0; j < p->nallowedips; j++)
			fprintf(f, "allowed_ip=%s\n", prefix_ntop(
			    &p->allowedips[j], pfx, sizeof(pfx)));
	}
	fputs("\n", f);
	explicit_bzero(hex, sizeof(hex));
	if (ferror(f)) {
		fclose(f);
		if (out != NULL)
			explicit_bzero(out, outlen);
		free(out);
		errno = ENOMEM;
		return NULL;
	}
	fclose(f);
	return out;
}

int
wg_uapi_set(const struct wg_device *d)
{
	char *req, *reply;
	int rc;

	if ((req = wg_uapi_set_text(d)) == NULL)
		return -errno;
	rc = uapi_exchange(d->name, req, &reply);
	explicit_bzero(req, strlen(req));
	free(req);
	if (rc < 0)
		return rc;
	{
		struct wg_device tmp;

		wg_device_init(&tmp, NULL);
		rc = wg_uapi_parse(&tmp, reply);
		wg_device_free(&tmp);
	}
	free(reply);
	return rc;
}

/* ---- generic netlink ---- */

static bool
put_allowedip(struct nlmsghdr *nlh, size_t maxlen, const struct prefix *a)
{
	struct nlattr *n;

	if ((n = mnl_attr_nest_start_check(nlh, maxlen, 0)) == NULL)
		return false;
	if (!mnl_attr_put_u16_check(nlh, maxlen, WGALLOWEDIP_A_FAMILY,
	    a->family) ||
	    !mnl_attr_put_check(nlh, maxlen, WGALLOWEDIP_A_IPADDR,
	    a->family == AF_INET ? 4 : 16, &a->addr) ||
	    !mnl_attr_put_u8_check(nlh, maxlen, WGALLOWEDIP_A_CIDR_MASK,
	    a->len)) {
		mnl_attr_nest_cancel(nlh, n);
		return false;
	}
	mnl_attr_nest_end(nlh, n);
	return true;
}

/* The peer's own settings, sent once, in the first part of the peer. */
static bool
put_peer_settings(struct nlmsghdr *nlh, size_t maxlen, const struct wg_peer *p)
{
	uint32_t flags = 0;

	if (p->flags & WG_PEER_REMOVE)
		flags |= WGPEER_F_REMOVE_ME;
	if (p->flags & WG_PEER_REPLACE_ALLOWEDIPS)
		flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	if (p->flags & WG_PEER_UPDATE_ONLY)
		flags |= WGPEER_F_UPDATE_ONLY;
	if (flags != 0 &&
	    !mnl_attr_put_u32_check(nlh, maxlen, WGPEER_A_FLAGS, flags))
		return false;
	if (p->flags & WG_PEER_REMOVE)
		return true;
	if ((p->flags & WG_PEER_HAS_PRESHARED_KEY) &&
	    !mnl_attr_put_check(nlh, maxlen, WGPEER_A_PRESHARED_KEY,
	    WG_KEY_LEN, p->preshared_key))
		return false;
	if ((p->flags & WG_PEER_HAS_ENDPOINT) &&
	    p->endpoint.sa.sa_family == AF_INET &&
	    !mnl_attr_put_check(nlh, maxlen, WGPEER_A_ENDPOINT,
	    sizeof(p->endpoint.in), &p->endpoint.in))
		return false;
	if ((p->flags & WG_PEER_HAS_ENDPOINT) &&
	    p->endpoint.sa.sa_family == AF_INET6 &&
	    !mnl_attr_put_check(nlh, maxlen, WGPEER_A_ENDPOINT,
	    sizeof(p->endpoint.in6), &p->endpoint.in6))
		return false;
	if ((p->flags & WG_PEER_HAS_KEEPALIVE) &&
	    !mnl_attr_put_u16_check(nlh, maxlen,
	    WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p->keepalive))
		return false;
	return true;
}

int
wg_genl_build_set(const struct wg_device *d, uint16_t family, size_t maxlen,
    wg_genl_emit_cb emit, void *arg)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	struct nlattr *peers, *pn, *an;
	size_t pi = 0, ai = 0, ai0, inmsg;
	bool first = true, started = false, full;
	char *buf;
	int rc = 0;

	if (maxlen < 256)
		return -EMSGSIZE;
	if ((buf = malloc(maxlen)) == NULL)
		return -ENOMEM;
	do {
		memset(buf, 0, maxlen);
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = family;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->cmd = WG_CMD_SET_DEVICE;
		g->version = WG_GENL_VERSION;
		mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, d->name);
		if (first) {
			uint32_t fl = d->flags & WG_DEVICE_REPLACE_PEERS ?
			    WGDEVICE_F_REPLACE_PEERS : 0;

			if (fl)
				mnl_attr_put_u32(nlh, WGDEVICE_A_FLAGS, fl);
			if (d->flags & WG_DEVICE_HAS_PRIVATE_KEY)
				mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY,
				    WG_KEY_LEN, d->private_key);
			if (d->flags & WG_DEVICE_HAS_LISTEN_PORT)
				mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT,
				    d->listen_port);
			if (d->flags & WG_DEVICE_HAS_FWMARK)
				mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK,
				    d->fwmark);
		}
		full = false;
		inmsg = 0;
		if (pi < d->npeers) {
			peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
			for (; pi < d->npeers; pi++, ai = 0, started = false) {
				const struct wg_peer *p = &d->peers[pi];

				pn = mnl_attr_nest_start_check(nlh, maxlen, 0);
				if (pn == NULL || !mnl_attr_put_check(nlh,
				    maxlen, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN,
				    p->public_key) || (!started &&
				    !put_peer_settings(nlh, maxlen, p))) {
					if (pn != NULL)
						mnl_attr_nest_cancel(nlh, pn);
					full = true;
					break;
				}
				ai0 = ai;
				if (!(p->flags & WG_PEER_REMOVE) &&
				    ai < p->nallowedips) {
					an = mnl_attr_nest_start_check(nlh,
					    maxlen, WGPEER_A_ALLOWEDIPS);
					while (an != NULL &&
					    ai < p->nallowedips &&
					    put_allowedip(nlh, maxlen,
					    &p->allowedips[ai]))
						ai++;
					if (an != NULL && ai == ai0)
						mnl_attr_nest_cancel(nlh, an);
					else if (an != NULL)
						mnl_attr_nest_end(nlh, an);
					if (ai < p->nallowedips) {
						/*
						 * The rest of this peer's
						 * allowed IPs go in the next
						 * message, under its key
						 * alone.
						 */
						if (started && ai == ai0) {
							mnl_attr_nest_cancel(
							    nlh, pn);
						} else {
							mnl_attr_nest_end(nlh,
							    pn);
							started = true;
							inmsg++;
						}
						full = true;
						break;
					}
				}
				mnl_attr_nest_end(nlh, pn);
				inmsg++;
			}
			if (inmsg == 0) {
				/* Not even one peer fits in an empty message. */
				rc = -EMSGSIZE;
				goto out;
			}
			mnl_attr_nest_end(nlh, peers);
		}
		if ((rc = emit(arg, nlh)) < 0)
			goto out;
		first = false;
	} while (full);
out:
	explicit_bzero(buf, maxlen);
	free(buf);
	return rc;
}

struct parse_ctx {
	struct wg_device	*d;
	struct wg_peer		*p;
	int			 err;
};

static int
parse_allowedip(const struct nlattr *attr, void *data)
{
	struct parse_ctx *ctx = data;
	const struct nlattr *a;
	struct prefix pfx;
	bool has_fam = false, has_addr = false, has_cidr = false;
	const void *addr = NULL;
	size_t alen = 0;
	int rc;

	memset(&pfx, 0, sizeof(pfx));
	mnl_attr_for_each_nested(a, attr) {
		switch (mnl_attr_get_type(a)) {
		case WGALLOWEDIP_A_FAMILY:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				goto bad;
			pfx.family = (uint8_t)mnl_attr_get_u16(a);
			has_fam = true;
			break;
		case WGALLOWEDIP_A_IPADDR:
			addr = mnl_attr_get_payload(a);
			alen = mnl_attr_get_payload_len(a);
			has_addr = true;
			break;
		case WGALLOWEDIP_A_CIDR_MASK:
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				goto bad;
			pfx.len = mnl_attr_get_u8(a);
			has_cidr = true;
			break;
		}
	}
	if (!has_fam || !has_addr || !has_cidr)
		goto bad;
	if ((pfx.family == AF_INET && (alen != 4 || pfx.len > 32)) ||
	    (pfx.family == AF_INET6 && (alen != 16 || pfx.len > 128)) ||
	    (pfx.family != AF_INET && pfx.family != AF_INET6))
		goto bad;
	memcpy(&pfx.addr, addr, alen);
	prefix_mask(&pfx);
	if ((rc = wg_peer_add_allowedip(ctx->p, &pfx)) < 0) {
		ctx->err = rc;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
bad:
	ctx->err = -EPROTO;
	return MNL_CB_ERROR;
}

static int
parse_peer(const struct nlattr *attr, void *data)
{
	struct parse_ctx *ctx = data;
	struct wg_device *d = ctx->d;
	const struct nlattr *a, *aips = NULL;
	const uint8_t *key = NULL;
	struct wg_peer *p;
	size_t len;

	mnl_attr_for_each_nested(a, attr) {
		if (mnl_attr_get_type(a) == WGPEER_A_PUBLIC_KEY) {
			if (mnl_attr_get_payload_len(a) != WG_KEY_LEN)
				goto bad;
			key = mnl_attr_get_payload(a);
		}
	}
	if (key == NULL)
		goto bad;
	/* A dump continues a peer that did not fit under the same key. */
	if (d->npeers > 0 &&
	    memcmp(d->peers[d->npeers - 1].public_key, key, WG_KEY_LEN) == 0)
		p = &d->peers[d->npeers - 1];
	else if ((p = wg_peer_add(d, key)) == NULL) {
		ctx->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	ctx->p = p;
	mnl_attr_for_each_nested(a, attr) {
		len = mnl_attr_get_payload_len(a);
		switch (mnl_attr_get_type(a)) {
		case WGPEER_A_PRESHARED_KEY:
			if (len != WG_KEY_LEN)
				goto bad;
			memcpy(p->preshared_key, mnl_attr_get_payload(a),
			    WG_KEY_LEN);
			if (!wg_key_is_zero(p->preshared_key))
				p->flags |= WG_PEER_HAS_PRESHARED_KEY;
			break;
		case WGPEER_A_ENDPOINT: {
			const struct sockaddr *sa = mnl_attr_get_payload(a);

			if (len < sizeof(*sa))
				goto bad;
			if (sa->sa_family == AF_INET &&
			    len >= sizeof(struct sockaddr_in))
				memcpy(&p->endpoint.in, sa,
				    sizeof(struct sockaddr_in));
			else if (sa->sa_family == AF_INET6 &&
			    len >= sizeof(struct sockaddr_in6))
				memcpy(&p->endpoint.in6, sa,
				    sizeof(struct sockaddr_in6));
			else
				break;
			p->flags |= WG_PEER_HAS_ENDPOINT;
			break;
		}
		case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				goto bad;
			p->keepalive = mnl_attr_get_u16(a);
			if (p->keepalive != 0)
				p->flags |= WG_PEER_HAS_KEEPALIVE;
			break;
		case WGPEER_A_LAST_HANDSHAKE_TIME: {
			struct { int64_t sec, nsec; } ts;

			if (len != sizeof(ts))
				goto bad;
			memcpy(&ts, mnl_attr_get_payload(a), sizeof(ts));
			p->last_handshake_sec = ts.sec;
			p->last_handshake_nsec = ts.nsec;
			break;
		}
		case WGPEER_A_RX_BYTES:
			if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
				goto bad;
			p->rx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_TX_BYTES:
			if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
				goto bad;
			p->tx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_ALLOWEDIPS:
			aips = a;
			break;
		}
	}
	if (aips != NULL &&
	    mnl_attr_parse_nested(aips, parse_allowedip, ctx) != MNL_CB_OK)
		return MNL_CB_ERROR;
	return MNL_CB_OK;
bad:
	ctx->err = -EPROTO;
	return MNL_CB_ERROR;
}

static int
parse_device_attr(const struct nlattr *a, void *data)
{
	struct parse_ctx *ctx = data;
	struct wg_device *d = ctx->d;
	size_t len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case WGDEVICE_A_IFINDEX:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			goto bad;
		d->ifindex = mnl_attr_get_u32(a);
		break;
	case WGDEVICE_A_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			goto bad;
		strlcpy(d->name, mnl_attr_get_str(a), sizeof(d->name));
		break;
	case WGDEVICE_A_PRIVATE_KEY:
		if (len != WG_KEY_LEN)
			goto bad;
		memcpy(d->private_key, mnl_attr_get_payload(a), WG_KEY_LEN);
		d->flags |= WG_DEVICE_HAS_PRIVATE_KEY;
		break;
	case WGDEVICE_A_PUBLIC_KEY:
		if (len != WG_KEY_LEN)
			goto bad;
		memcpy(d->public_key, mnl_attr_get_payload(a), WG_KEY_LEN);
		d->flags |= WG_DEVICE_HAS_PUBLIC_KEY;
		break;
	case WGDEVICE_A_LISTEN_PORT:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			goto bad;
		d->listen_port = mnl_attr_get_u16(a);
		d->flags |= WG_DEVICE_HAS_LISTEN_PORT;
		break;
	case WGDEVICE_A_FWMARK:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			goto bad;
		d->fwmark = mnl_attr_get_u32(a);
		d->flags |= WG_DEVICE_HAS_FWMARK;
		break;
	case WGDEVICE_A_PEERS:
		return mnl_attr_parse_nested(a, parse_peer, ctx);
	}
	return MNL_CB_OK;
bad:
	ctx->err = -EPROTO;
	return MNL_CB_ERROR;
}

int
wg_genl_parse(struct wg_device *d, const struct nlmsghdr *nlh)
{
	struct parse_ctx ctx = { .d = d };

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct genlmsghdr)))
		return -EPROTO;
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), parse_device_attr,
	    &ctx) != MNL_CB_OK)
		return ctx.err != 0 ? ctx.err : -EPROTO;
	return 0;
}

static int
genl_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct wg_device *d = data;
	int rc;

	if ((rc = wg_genl_parse(d, nlh)) < 0) {
		errno = -rc;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* Big enough for any dump skb the kernel builds (at most 32 KiB). */
#define GENL_RECV_SIZE	65536

static int
genl_open(struct nl *nl, uint16_t *family)
{
	int rc;

	if ((rc = nl_open(nl, NETLINK_GENERIC)) < 0)
		return rc;
	if ((rc = nl_genl_family(nl, WG_GENL_NAME, family)) < 0) {
		nl_close(nl);
		return rc;
	}
	return 0;
}

int
wg_genl_get(const char *name, struct wg_device *d)
{
	struct nl nl;
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	uint16_t family;
	uint32_t seq;
	char *buf;
	ssize_t n;
	int rc;

	wg_device_init(d, name);
	if ((rc = genl_open(&nl, &family)) < 0)
		return rc;
	if ((buf = malloc(GENL_RECV_SIZE)) == NULL) {
		nl_close(&nl);
		return -ENOMEM;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP;
	nlh->nlmsg_seq = seq = ++nl.seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_GET_DEVICE;
	g->version = WG_GENL_VERSION;
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, name);
	if (mnl_socket_sendto(nl.sock, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	do {
		n = mnl_socket_recvfrom(nl.sock, buf, GENL_RECV_SIZE);
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		rc = mnl_cb_run(buf, (size_t)n, seq, nl.portid, genl_get_cb, d);
	} while (rc > 0);
	if (rc < 0) {
		rc = errno ? -errno : -EPROTO;
		goto out;
	}
	derive_public(d);
	rc = 0;
out:
	explicit_bzero(buf, GENL_RECV_SIZE);
	free(buf);
	nl_close(&nl);
	return rc;
}

struct genl_set_ctx {
	struct nl	*nl;
	char		*buf;
};

/* Send one SET message and wait for its acknowledgement. */
static int
genl_set_emit(void *arg, struct nlmsghdr *nlh)
{
	struct genl_set_ctx *ctx = arg;
	uint32_t seq;
	ssize_t n;
	int rc;

	nlh->nlmsg_seq = seq = ++ctx->nl->seq;
	if (mnl_socket_sendto(ctx->nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(ctx->nl->sock, ctx->buf,
		    GENL_RECV_SIZE);
		if (n < 0)
			return -errno;
		rc = mnl_cb_run(ctx->buf, (size_t)n, seq, ctx->nl->portid,
		    NULL, NULL);
	} while (rc > 0);
	return rc < 0 ? (errno ? -errno : -EPROTO) : 0;
}

int
wg_genl_set(const struct wg_device *d)
{
	struct genl_set_ctx ctx;
	struct nl nl;
	uint16_t family;
	int rc;

	if ((rc = genl_open(&nl, &family)) < 0)
		return rc;
	ctx.nl = &nl;
	if ((ctx.buf = malloc(GENL_RECV_SIZE)) == NULL) {
		nl_close(&nl);
		return -ENOMEM;
	}
	rc = wg_genl_build_set(d, family, (size_t)MNL_SOCKET_BUFFER_SIZE,
	    genl_set_emit, &ctx);
	free(ctx.buf);
	nl_close(&nl);
	return rc;
}

/* ---- either ---- */

int
wg_get(const char *name, struct wg_device *d)
{
	if (wg_uapi_exists(name))
		return wg_uapi_get(name, d);
	return wg_genl_get(name, d);
}

int
wg_set(const struct wg_device *d)
{
	if (wg_uapi_exists(d->name))
		return wg_uapi_set(d);
	return wg_genl_set(d);
}
