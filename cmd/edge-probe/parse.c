// SPDX-License-Identifier: ISC
/*
 * Reply parsers for the tcp-based and dns probes.  They see bytes from the
 * network and nothing else: every length is checked against what arrived.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "probe.h"

int
probe_http_status(const uint8_t *buf, size_t len, int *status)
{
	static const char proto[] = "HTTP/";
	size_t i, n = sizeof(proto) - 1;

	for (i = 0; i < len && i < n; i++)
		if (buf[i] != (uint8_t)proto[i])
			return -1;
	if (len < n)
		return PROBE_MORE;
	/* "HTTP/" DIGIT "." DIGIT SP 3DIGIT [SP reason] CRLF */
	if (len < n + 8) {
		for (i = n; i < len; i++)
			if (buf[i] == '\n')
				return -1;
		return PROBE_MORE;
	}
	if (buf[n] < '0' || buf[n] > '9' || buf[n + 1] != '.' ||
	    buf[n + 2] < '0' || buf[n + 2] > '9' || buf[n + 3] != ' ')
		return -1;
	for (i = n + 4; i < n + 7; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
	if (buf[n + 4] == '0')
		return -1;
	if (buf[n + 7] != ' ' && buf[n + 7] != '\r' && buf[n + 7] != '\n')
		return -1;
	/* The line must end before we call it one. */
	for (i = n + 7; i < len; i++)
		if (buf[i] == '\n')
			break;
	if (i == len)
		return PROBE_MORE;
	*status = (buf[n + 4] - '0') * 100 + (buf[n + 5] - '0') * 10 +
	    (buf[n + 6] - '0');
	return 1;
}

const char *
probe_tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0300:
		return "SSLv3";
	case 0x0301:
		return "TLSv1.0";
	case 0x0302:
		return "TLSv1.1";
	case 0x0303:
		return "TLSv1.2";
	case 0x0304:
		return "TLSv1.3";
	}
	return "TLS?";
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/* The ServerHello body (after the 4-byte handshake header). */
static int
tls_server_hello(const uint8_t *p, size_t len, uint16_t *version,
    char *detail, size_t dlen)
{
	size_t off, extlen, end;
	uint16_t v;

	if (len < 2 + 32 + 1)
		goto bad;
	v = get16(p);
	off = 2 + 32;
	off += 1 + p[off];			/* session id */
	off += 2 + 1;				/* cipher suite, compression */
	if (off > len)
		goto bad;
	if (off == len) {			/* no extensions */
		*version = v;
		return 1;
	}
	if (off + 2 > len)
		goto bad;
	extlen = get16(p + off);
	off += 2;
	if (off + extlen > len)
		goto bad;
	end = off + extlen;
	while (off + 4 <= end) {
		uint16_t type = get16(p + off);
		size_t l = get16(p + off + 2);

		off += 4;
		if (off + l > end)
			goto bad;
		if (type == 43) {		/* supported_versions */
			if (l != 2)
				goto bad;
			v = get16(p + off);
		}
		off += l;
	}
	if (off != end)
		goto bad;
	*version = v;
	return 1;
bad:
	snprintf(detail, dlen, "bad-server-hello");
	return -1;
}

int
probe_tls_parse(const uint8_t *buf, size_t len, uint16_t *version,
    char *detail, size_t dlen)
{
	uint8_t hs[PROBE_CONNBUF];
	size_t off = 0, hlen = 0;

	/*
	 * Gather the handshake bytes of the records that arrived (a message
	 * may be split over records) until the first message is complete.
	 */
	while (off + 5 <= len) {
		uint8_t type = buf[off];
		size_t rlen = get16(buf + off + 3);

		if (buf[off + 1] != 3 || rlen == 0 || rlen > 16384 + 2048) {
			snprintf(detail, dlen, "not-tls");
			return -1;
		}
		if (off + 5 + rlen > len) {
			/* Incomplete record: an alert needs its 2 bytes. */
			if (type == 21 || hlen + (len - off - 5) < 4)
				return PROBE_MORE;
			if (type != 22)
				goto unexpected;
			rlen = len - off - 5;	/* use what is here */
		}
		if (type == 21) {
			if (rlen < 2) {
				snprintf(detail, dlen, "bad-alert");
				return -1;
			}
			snprintf(detail, dlen, "alert=%u", buf[off + 6]);
			return -1;
		}
		if (type != 22)
			goto unexpected;
		if (rlen > sizeof(hs) - hlen)
			rlen = sizeof(hs) - hlen;
		memcpy(hs + hlen, buf + off + 5, rlen);
		hlen += rlen;
		off += 5 + rlen;
		if (hlen >= 4) {
			size_t mlen = get24(hs + 1);

			if (hs[0] != 2) {
				snprintf(detail, dlen, "handshake=%u", hs[0]);
				return -1;
			}
			if (mlen > sizeof(hs) - 4) {
				snprintf(detail, dlen, "bad-server-hello");
				return -1;
			}
			if (hlen >= 4 + mlen)
				return tls_server_hello(hs + 4, mlen, version,
				    detail, dlen);
		}
		if (hlen == sizeof(hs)) {
			snprintf(detail, dlen, "bad-server-hello");
			return -1;
		}
	}
	if (off < len && buf[off] != 21 && buf[off] != 22) {
		snprintf(detail, dlen, "not-tls");
		return -1;
	}
	return PROBE_MORE;
unexpected:
	snprintf(detail, dlen, "record=%u", buf[off]);
	return -1;
}

static uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
	return p + 2;
}

size_t
probe_tls_client_hello(uint8_t *buf, size_t len, const char *sni,
    const uint8_t random[64])
{
	static const uint16_t suites[] = {
		0x1301, 0x1302, 0x1303,		/* TLS 1.3 */
		0xc02b, 0xc02f, 0xc02c, 0xc030,	/* ECDHE GCM */
		0xcca9, 0xcca8,			/* ECDHE CHACHA20 */
		0xc009, 0xc013, 0xc00a, 0xc014,	/* ECDHE CBC */
		0x009c, 0x009d, 0x002f, 0x0035,	/* RSA */
	};
	static const uint16_t groups[] = { 0x001d, 0x0017, 0x0018 };
	static const uint16_t sigalgs[] = {
		0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806,
		0x0601, 0x0203, 0x0201,
	};
	uint8_t tmp[1024], *p = tmp, *ext, *hs;
	size_t snilen = sni ? strlen(sni) : 0, i, n;

	if (snilen > 255)
		return 0;
	/* Handshake: ClientHello */
	p = put16(p, 0x0303);
	memcpy(p, random, 32);
	p += 32;
	*p++ = 32;			/* a session id, for middleboxes */
	memcpy(p, random + 32, 32);
	p += 32;
	p = put16(p, sizeof(suites));
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		p = put16(p, suites[i]);
	*p++ = 1;
	*p++ = 0;			/* null compression */
	ext = p;
	p += 2;
	if (snilen > 0) {
		p = put16(p, 0);
		p = put16(p, (uint16_t)(snilen + 5));
		p = put16(p, (uint16_t)(snilen + 3));
		*p++ = 0;
		p = put16(p, (uint16_t)snilen);
		memcpy(p, sni, snilen);
		p += snilen;
	}
	p = put16(p, 10);		/* supported_groups */
	p = put16(p, sizeof(groups) + 2);
	p = put16(p, sizeof(groups));
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		p = put16(p, groups[i]);
	p = put16(p, 11);		/* ec_point_formats: uncompressed */
	p = put16(p, 2);
	*p++ = 1;
	*p++ = 0;
	p = put16(p, 13);		/* signature_algorithms */
	p = put16(p, sizeof(sigalgs) + 2);
	p = put16(p, sizeof(sigalgs));
	for (i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
		p = put16(p, sigalgs[i]);
	p = put16(p, 43);		/* supported_versions: 1.3, 1.2 */
	p = put16(p, 5);
	*p++ = 4;
	p = put16(p, 0x0304);
	p = put16(p, 0x0303);
	p = put16(p, 45);		/* psk_key_exchange_modes: psk_dhe */
	p = put16(p, 2);
	*p++ = 1;
	*p++ = 1;
	/*
	 * key_share: an X25519 share.  We never finish the handshake, so the
	 * "public key" is random bytes (with the top bit clear, as a real
	 * one); the server only needs it to be well-formed.
	 */
	p = put16(p, 51);
	p = put16(p, 2 + 4 + 32);
	p = put16(p, 4 + 32);
	p = put16(p, 0x001d);
	p = put16(p, 32);
	for (i = 0; i < 32; i++)
		p[i] = random[i] ^ random[63 - i];
	p[31] &= 0x7f;
	p += 32;
	put16(ext, (uint16_t)(p - ext - 2));

	n = (size_t)(p - tmp);
	if (len < 5 + 4 + n)
		return 0;
	hs = buf;
	*hs++ = 22;			/* record: handshake */
	hs = put16(hs, 0x0301);
	hs = put16(hs, (uint16_t)(n + 4));
	*hs++ = 1;			/* client_hello */
	*hs++ = 0;
	hs = put16(hs, (uint16_t)n);
	memcpy(hs, tmp, n);
	return 5 + 4 + n;
}

/* Skip a (possibly compressed) name; 0 when malformed. */
static size_t
dns_skip_name(const uint8_t *buf, size_t len, size_t off)
{
	unsigned int labels = 0;

	while (off < len) {
		uint8_t l = buf[off];

		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (l & 0xc0)
			return 0;
		off += 1 + l;
		if (l == 0)
			return off <= len ? off : 0;
		if (++labels > 127)
			return 0;
	}
	return 0;
}

static const char *
dns_rcode_name(unsigned int rc)
{
	static const char *names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED",
	};

	return rc < sizeof(names) / sizeof(names[0]) ? names[rc] : NULL;
}

int
probe_dns_check(const uint8_t *buf, size_t len, uint16_t qtype,
    int expect_family, const union edge_addr *expect, char *detail,
    size_t dlen)
{
	unsigned int qd, an, rcode, i, seen = 0;
	size_t off;
	bool found = false;
	char first[INET6_ADDRSTRLEN] = "";

	snprintf(detail, dlen, "malformed");
	if (len < 12 || !(buf[2] & 0x80))
		return -1;
	rcode = buf[3] & 0x0f;
	qd = get16(buf + 4);
	an = get16(buf + 6);
	if (rcode != 0) {
		const char *n = dns_rcode_name(rcode);

		if (n)
			snprintf(detail, dlen, "rcode=%s", n);
		else
			snprintf(detail, dlen, "rcode=%u", rcode);
		return 0;
	}
	off = 12;
	for (i = 0; i < qd; i++) {
		if ((off = dns_skip_name(buf, len, off)) == 0 ||
		    off + 4 > len)
			return -1;
		off += 4;
	}
	for (i = 0; i < an; i++) {
		uint16_t type, rdlen;

		if ((off = dns_skip_name(buf, len, off)) == 0 ||
		    off + 10 > len)
			return -1;
		type = get16(buf + off);
		rdlen = get16(buf + off + 8);
		off += 10;
		if (off + rdlen > len)
			return -1;
		if (type == qtype)
			seen++;
		if (type == 1 && rdlen == 4) {
			if (!first[0])
				inet_ntop(AF_INET, buf + off, first,
				    sizeof(first));
			if (expect_family == AF_INET &&
			    memcmp(buf + off, expect->b, 4) == 0)
				found = true;
		} else if (type == 28 && rdlen == 16) {
			if (!first[0])
				inet_ntop(AF_INET6, buf + off, first,
				    sizeof(first));
			if (expect_family == AF_INET6 &&
			    memcmp(buf + off, expect->b, 16) == 0)
				found = true;
		}
		off += rdlen;
	}
	if (expect_family != 0 && !found) {
		snprintf(detail, dlen, "unexpected=%s",
		    first[0] ? first : "none");
		return 0;
	}
	if (expect_family == 0 && seen == 0) {
		snprintf(detail, dlen, "no-answer");
		return 0;
	}
	if (first[0])
		snprintf(detail, dlen, "%s", first);
	else
		snprintf(detail, dlen, "answers=%u", seen);
	return 1;
}

bool
probe_dns_qtype(const char *s, uint16_t *qtype)
{
	static const struct {
		const char	*name;
		uint16_t	 type;
	} types[] = {
		{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 },
		{ "PTR", 12 }, { "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 },
		{ "SRV", 33 },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, types[i].name) == 0) {
			*qtype = types[i].type;
			return true;
		}
	return false;
}
