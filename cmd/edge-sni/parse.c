// SPDX-License-Identifier: ISC
/*
 * First-bytes parsers: TLS ClientHello SNI, HTTP Host, PROXY v1/v2,
 * PostgreSQL SSLRequest.  Everything here is pure: no I/O, no allocation,
 * safe on any input (each has a libFuzzer target in tests/fuzz/).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "parse.h"

const uint8_t sni_tls_alert[7] = {
	0x15, 0x03, 0x01, 0x00, 0x02,	/* alert record, TLS 1.0 framing */
	0x02, 0x70,			/* fatal, unrecognized_name (112) */
};

const uint8_t sni_pg_sslrequest[SNI_PG_REQLEN] = {
	0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f,
};

const char *
sni_result_str(enum sni_result r)
{
	switch (r) {
	case SNI_MORE:		return "more";
	case SNI_FOUND:		return "found";
	case SNI_NONE:		return "none";
	case SNI_BAD:		return "bad";
	case SNI_BADNAME:	return "badname";
	}
	return "?";
}

static inline unsigned int
get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static inline unsigned int
get24(const uint8_t *p)
{
	return (unsigned int)p[0] << 16 | (unsigned int)p[1] << 8 | p[2];
}

bool
sni_name_valid(const char *s, size_t len, char out[SNI_NAME_MAX])
{
	size_t i, label = 0;
	bool digits = true;	/* the current label is all digits so far */

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			digits = true;
		} else if ((c >= 'a' && c <= 'z') || c == '-') {
			if (c == '-' && label == 0)
				return false;	/* labels don't start with '-' */
			digits = false;
			if (++label > 63)
				return false;
		} else if (c >= '0' && c <= '9') {
			if (++label > 63)
				return false;
		} else
			return false;	/* NUL, '_', ':', '%', ... */
		out[i] = c;
	}
	/* A trailing empty label was stripped above; "a..": caught by label. */
	if (label == 0 || s[len - 1] == '-')
		return false;
	/* "192.0.2.1", "10.1", "0x7f.1": the last label of a real host name
	 * is never all digits, and these would parse as IPv4 literals. */
	if (digits)
		return false;
	out[len] = '\0';
	return true;
}

/* Parse a complete ClientHello handshake body (after the 4-byte header). */
static enum sni_result
tls_hello_body(const uint8_t *p, size_t n, char name[SNI_NAME_MAX])
{
	const uint8_t *end = p + n;
	size_t l;
	bool seen = false;
	enum sni_result res = SNI_NONE;

	if (n < 2 + 32 + 1)
		return SNI_BAD;
	if (p[0] != 3)			/* legacy_version 3.x */
		return SNI_BAD;
	p += 2 + 32;
	l = *p++;			/* session id */
	if (l > 32 || (size_t)(end - p) < l + 2)
		return SNI_BAD;
	p += l;
	l = get16(p);			/* cipher suites */
	p += 2;
	if (l < 2 || l % 2 || (size_t)(end - p) < l + 1)
		return SNI_BAD;
	p += l;
	l = *p++;			/* compression methods */
	if (l < 1 || (size_t)(end - p) < l)
		return SNI_BAD;
	p += l;
	if (p == end)			/* SSLv3-style hello: no extensions */
		return SNI_NONE;
	if (end - p < 2)
		return SNI_BAD;
	l = get16(p);
	p += 2;
	if ((size_t)(end - p) != l)
		return SNI_BAD;
	while (p < end) {
		unsigned int type, elen;

		if (end - p < 4)
			return SNI_BAD;
		type = get16(p);
		elen = get16(p + 2);
		p += 4;
		if ((size_t)(end - p) < elen)
			return SNI_BAD;
		if (type == 0) {	/* server_name */
			const uint8_t *q = p, *qe = p + elen;
			unsigned int ll;

			if (seen)
				return SNI_BAD;	/* duplicate extension */
			seen = true;
			if (elen == 0)	/* server's empty echo: never a client's */
				return SNI_BAD;
			if (elen < 2 || (ll = get16(q)) != elen - 2)
				return SNI_BAD;
			q += 2;
			while (q < qe) {
				unsigned int nt, nl;

				if (qe - q < 3)
					return SNI_BAD;
				nt = q[0];
				nl = get16(q + 1);
				q += 3;
				if ((size_t)(qe - q) < nl)
					return SNI_BAD;
				if (nt == 0 && res == SNI_NONE)
					res = sni_name_valid((const char *)q,
					    nl, name) ? SNI_FOUND : SNI_BADNAME;
				q += nl;
			}
		}
		p += elen;
	}
	return res;
}

enum sni_result
sni_tls_hello(const uint8_t *buf, size_t len, char name[SNI_NAME_MAX])
{
	uint8_t hs[SNI_HELLO_MAX];
	size_t off = 0, have = 0, need = 0;

	/* Check each byte as soon as it is there: a client speaking something
	 * else is told apart on its first bytes, not after a timeout. */
	if (len >= 1 && buf[0] != 0x16)
		return SNI_BAD;
	if (len >= 2 && buf[1] != 3)
		return SNI_BAD;
	if (len >= 6 && buf[5] != 1)	/* handshake type client_hello */
		return SNI_BAD;

	/* The common case: the whole hello in the first record. */
	if (len >= 9 && get16(buf + 3) >= 4) {
		size_t rlen = get16(buf + 3), mlen = get24(buf + 6);

		if (rlen > 16384 || 4 + mlen > SNI_HELLO_MAX)
			return SNI_BAD;
		if (4 + mlen <= rlen) {
			if (len < 5 + 4 + mlen)
				return SNI_MORE;
			return tls_hello_body(buf + 9, mlen, name);
		}
	}

	/* Spread over several records: gather the handshake fragments. */
	while (off + 5 <= len) {
		size_t rlen = get16(buf + off + 3), take;

		if (buf[off] != 0x16 || buf[off + 1] != 3)
			return SNI_BAD;
		if (rlen == 0 || rlen > 16384)
			return SNI_BAD;
		take = len - off - 5;
		if (take > rlen)
			take = rlen;
		if (have + take > sizeof(hs))
			take = sizeof(hs) - have;
		memcpy(hs + have, buf + off + 5, take);
		have += take;
		if (have >= 4 && need == 0) {
			if (hs[0] != 1)
				return SNI_BAD;
			need = 4 + get24(hs + 1);
			if (need > SNI_HELLO_MAX)
				return SNI_BAD;
		}
		if (need && have >= need)
			return tls_hello_body(hs + 4, need - 4, name);
		if (take < rlen)
			break;		/* this record is still arriving */
		off += 5 + rlen;
	}
	if (len >= SNI_HELLO_MAX)
		return SNI_BAD;
	if (off < len && buf[off] != 0x16)
		return SNI_BAD;
	return SNI_MORE;
}

/* ---- HTTP ---- */

static bool
is_tchar_upper(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

enum sni_result
sni_http_host(const uint8_t *buf, size_t len, size_t max,
    char name[SNI_NAME_MAX])
{
	size_t i, ls, le;
	const uint8_t *nl;

	/* Request line: METHOD SP target SP HTTP/1.x */
	for (i = 0; i < len && i < 16 && buf[i] != ' '; i++)
		if (!is_tchar_upper(buf[i]))
			return SNI_BAD;
	if (i == 16 || (i < len && i == 0))
		return SNI_BAD;
	if (len > max)
		len = max;
	nl = memchr(buf, '\n', len);
	if (nl == NULL)
		return len >= max ? SNI_BAD : SNI_MORE;
	le = nl - buf;
	if (le > 0 && buf[le - 1] == '\r')
		le--;
	if (le < i + 1 + 1 + 1 + 8 ||
	    memcmp(buf + le - 8, "HTTP/1.", 7) != 0 || buf[le - 9] != ' ')
		return SNI_BAD;
	ls = nl - buf + 1;

	for (;;) {
		size_t s, e, c;

		nl = memchr(buf + ls, '\n', len - ls);
		if (nl == NULL)
			return len >= max ? SNI_BAD : SNI_MORE;
		le = nl - buf;
		e = le;
		if (e > ls && buf[e - 1] == '\r')
			e--;
		if (e == ls)
			return SNI_NONE;	/* end of the header block */
		if (e - ls >= 5 && strncasecmp((const char *)buf + ls,
		    "host:", 5) == 0) {
			s = ls + 5;
			while (s < e && (buf[s] == ' ' || buf[s] == '\t'))
				s++;
			while (e > s && (buf[e - 1] == ' ' || buf[e - 1] == '\t'))
				e--;
			if (s < e && buf[s] == '[')
				return SNI_BADNAME;	/* IPv6 literal */
			/* Drop ":port" (digits only). */
			for (c = e; c > s && buf[c - 1] >= '0' &&
			    buf[c - 1] <= '9'; c--)
				;
			if (c > s && buf[c - 1] == ':')
				e = c - 1;
			return sni_name_valid((const char *)buf + s, e - s,
			    name) ? SNI_FOUND : SNI_BADNAME;
		}
		ls = le + 1;
	}
}

/* ---- PROXY protocol ---- */

static const uint8_t v2sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51,
	0x55, 0x49, 0x54, 0x0a,
};

/* Parse a decimal port, no sign, no leading zero. */
static bool
port_parse(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = htons((uint16_t)v);
	return true;
}

static bool
v1_addr(int fam, const char *a, const char *port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (fam == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		return inet_pton(AF_INET, a, &sin->sin_addr) == 1 &&
		    port_parse(port, &sin->sin_port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		return inet_pton(AF_INET6, a, &sin6->sin6_addr) == 1 &&
		    port_parse(port, &sin6->sin6_port);
	}
}

static enum sni_result
proxy_v1(const uint8_t *buf, size_t len, struct sni_proxy *p)
{
	char line[108], *tok[7], *s, *save = NULL;
	const uint8_t *cr;
	size_t n;
	int fam, nt = 0;

	/* The longest v1 line is 107 bytes with its CRLF. */
	cr = memchr(buf, '\r', len < 107 ? len : 107);
	if (cr == NULL)
		return len >= 107 ? SNI_BAD : SNI_MORE;
	n = cr - buf;
	if (n + 1 >= len)
		return SNI_MORE;
	if (cr[1] != '\n')
		return SNI_BAD;
	memcpy(line, buf, n);
	line[n] = '\0';
	if (memchr(line, '\0', n) != NULL)
		return SNI_BAD;
	/* Exactly one space between fields. */
	if (strstr(line, "  ") != NULL || line[n - 1] == ' ')
		return SNI_BAD;
	for (s = strtok_r(line, " ", &save); s != NULL && nt < 7;
	    s = strtok_r(NULL, " ", &save))
		tok[nt++] = s;
	if (s != NULL || nt < 2 || strcmp(tok[0], "PROXY") != 0)
		return SNI_BAD;
	p->hdrlen = n + 2;
	if (strcmp(tok[1], "UNKNOWN") == 0) {
		p->local = true;
		return SNI_FOUND;
	}
	if (strcmp(tok[1], "TCP4") == 0)
		fam = AF_INET;
	else if (strcmp(tok[1], "TCP6") == 0)
		fam = AF_INET6;
	else
		return SNI_BAD;
	if (nt != 6 || !v1_addr(fam, tok[2], tok[4], &p->src) ||
	    !v1_addr(fam, tok[3], tok[5], &p->dst))
		return SNI_BAD;
	p->local = false;
	return SNI_FOUND;
}

static enum sni_result
proxy_v2(const uint8_t *buf, size_t len, struct sni_proxy *p)
{
	size_t alen;
	uint8_t cmd, fam;

	if (len < 16)
		return SNI_MORE;
	if ((buf[12] & 0xf0) != 0x20)
		return SNI_BAD;
	cmd = buf[12] & 0x0f;
	fam = buf[13];
	alen = get16(buf + 14);
	if (cmd > 1 || 16 + alen > SNI_HELLO_MAX)
		return SNI_BAD;
	if (len < 16 + alen)
		return SNI_MORE;
	p->hdrlen = 16 + alen;
	p->local = true;
	if (cmd == 0)
		return SNI_FOUND;	/* LOCAL: health checks and such */
	memset(&p->src, 0, sizeof(p->src));
	memset(&p->dst, 0, sizeof(p->dst));
	if (fam == 0x11) {		/* TCP over IPv4 */
		struct sockaddr_in *s = (struct sockaddr_in *)&p->src;
		struct sockaddr_in *d = (struct sockaddr_in *)&p->dst;

		if (alen < 12)
			return SNI_BAD;
		s->sin_family = d->sin_family = AF_INET;
		memcpy(&s->sin_addr, buf + 16, 4);
		memcpy(&d->sin_addr, buf + 20, 4);
		memcpy(&s->sin_port, buf + 24, 2);
		memcpy(&d->sin_port, buf + 26, 2);
		p->local = false;
	} else if (fam == 0x21) {	/* TCP over IPv6 */
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&p->src;
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&p->dst;

		if (alen < 36)
			return SNI_BAD;
		s->sin6_family = d->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, buf + 16, 16);
		memcpy(&d->sin6_addr, buf + 32, 16);
		memcpy(&s->sin6_port, buf + 48, 2);
		memcpy(&d->sin6_port, buf + 50, 2);
		p->local = false;
	} else if ((fam & 0x0f) == 0x02)
		return SNI_BAD;		/* UDP on a TCP listener */
	/* Other families (UNSPEC, UNIX): keep the connection's addresses,
	 * as the specification asks. */
	return SNI_FOUND;
}

enum sni_result
sni_proxy_parse(const uint8_t *buf, size_t len, struct sni_proxy *p)
{
	size_t n = len < 12 ? len : 12;

	if (len == 0)
		return SNI_MORE;
	if (memcmp(buf, v2sig, n) == 0)
		return n < 12 ? SNI_MORE : proxy_v2(buf, len, p);
	if (memcmp(buf, "PROXY ", len < 6 ? len : 6) == 0)
		return len < 6 ? SNI_MORE : proxy_v1(buf, len, p);
	return SNI_BAD;
}

/* An IPv4 address from a v4 or v4-mapped v6 sockaddr. */
static bool
as_v4(const struct sockaddr *sa, uint8_t a[4], uint8_t port[2])
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;

		memcpy(a, &s->sin_addr, 4);
		memcpy(port, &s->sin_port, 2);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;

		if (!IN6_IS_ADDR_V4MAPPED(&s->sin6_addr))
			return false;
		memcpy(a, s->sin6_addr.s6_addr + 12, 4);
		memcpy(port, &s->sin6_port, 2);
		return true;
	}
	return false;
}

size_t
sni_proxy_v2(const struct sockaddr *src, const struct sockaddr *dst,
    uint8_t out[SNI_PROXY_V2_MAX])
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)src;
	const struct sockaddr_in6 *d6 = (const struct sockaddr_in6 *)dst;

	memcpy(out, v2sig, 12);
	if (as_v4(src, out + 16, out + 24) && as_v4(dst, out + 20, out + 26)) {
		out[12] = 0x21;
		out[13] = 0x11;
		out[14] = 0;
		out[15] = 12;
		return 16 + 12;
	}
	if (src->sa_family == AF_INET6 && dst->sa_family == AF_INET6) {
		out[12] = 0x21;
		out[13] = 0x21;
		out[14] = 0;
		out[15] = 36;
		memcpy(out + 16, &s6->sin6_addr, 16);
		memcpy(out + 32, &d6->sin6_addr, 16);
		memcpy(out + 48, &s6->sin6_port, 2);
		memcpy(out + 50, &d6->sin6_port, 2);
		return 16 + 36;
	}
	out[12] = 0x20;			/* LOCAL */
	out[13] = 0x00;
	out[14] = 0;
	out[15] = 0;
	return 16;
}

/* ---- PostgreSQL ---- */

enum sni_result
sni_pg_request(const uint8_t *buf, size_t len)
{
	size_t n = len < 7 ? len : 7;

	if (memcmp(buf, sni_pg_sslrequest, n) != 0)
		return SNI_BAD;
	if (len < SNI_PG_REQLEN)
		return SNI_MORE;
	if (buf[7] == 0x2f)
		return SNI_FOUND;	/* 80877103: SSLRequest */
	if (buf[7] == 0x30)
		return SNI_NONE;	/* 80877104: GSSENCRequest */
	return SNI_BAD;
}
