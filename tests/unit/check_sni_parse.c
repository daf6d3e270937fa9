/* SPDX-License-Identifier: ISC */
/* edge-sni's first-bytes parsers: cmd/edge-sni/parse.c. */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* A ClientHello captured from "openssl s_client -servername
 * WWW.Example.ORG." (OpenSSL 3.0): one record, 322 bytes. */
static const uint8_t real_hello[] = {
  0x16, 0x03, 0x01, 0x01, 0x3d, 0x01, 0x00, 0x01, 0x39, 0x03, 0x03, 0x35,
  0xe5, 0x4e, 0x83, 0xcf, 0xda, 0x37, 0xe4, 0xcd, 0x71, 0xc3, 0x7c, 0x3e,
  0x7a, 0xe8, 0xca, 0x7b, 0x80, 0xd8, 0x46, 0x78, 0x4e, 0x3b, 0xb3, 0x44,
  0xfe, 0x19, 0xdf, 0x68, 0x8c, 0xb4, 0x2c, 0x20, 0x57, 0x1b, 0xfc, 0xc3,
  0x7d, 0xcf, 0x5e, 0x78, 0xea, 0x0b, 0xe1, 0x1d, 0x96, 0xea, 0x61, 0x72,
  0x69, 0x45, 0xa9, 0xa3, 0xce, 0x54, 0x7e, 0xa6, 0xf4, 0x92, 0x6c, 0x82,
  0x97, 0xd0, 0x85, 0x9b, 0x00, 0x3e, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01,
  0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
  0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b,
  0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39,
  0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d,
  0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00, 0xb2,
  0x00, 0x00, 0x00, 0x15, 0x00, 0x13, 0x00, 0x00, 0x10, 0x57, 0x57, 0x57,
  0x2e, 0x45, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x4f, 0x52, 0x47,
  0x2e, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00,
  0x16, 0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00,
  0x18, 0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00,
  0x23, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00,
  0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08,
  0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08,
  0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03,
  0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02, 0x00, 0x2b, 0x00,
  0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01, 0x00, 0x2d,
  0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d,
  0x00, 0x20, 0xd0, 0x3c, 0xe0, 0xea, 0x15, 0x1a, 0x29, 0x88, 0x7a, 0x6e,
  0x77, 0xdf, 0x3f, 0x0e, 0xcf, 0x42, 0x08, 0x43, 0x02, 0x15, 0x9b, 0x3d,
  0x1a, 0x86, 0xef, 0x83, 0x17, 0x63, 0x10, 0x7b, 0xf1, 0x4e
};

/*
 * Build a ClientHello with the given extensions block, framed into records
 * of at most recsz bytes of handshake data each.  Returns the length.
 */
static size_t
mk_hello(uint8_t *out, size_t outsz, const uint8_t *ext, size_t extlen,
    size_t pad, size_t recsz)
{
	uint8_t hs[40000];
	size_t n = 0, off = 0, o = 0, bodylen;

	hs[n++] = 1;
	n += 3;
	hs[n++] = 3; hs[n++] = 3;
	memset(hs + n, 0xab, 32); n += 32;
	hs[n++] = 0;				/* session id */
	hs[n++] = 0; hs[n++] = 2; hs[n++] = 0x13; hs[n++] = 0x01;
	hs[n++] = 1; hs[n++] = 0;		/* null compression */
	if (ext != NULL || pad) {
		size_t el = extlen + (pad ? 4 + pad : 0);

		hs[n++] = el >> 8; hs[n++] = el & 0xff;
		if (extlen)
			memcpy(hs + n, ext, extlen);
		n += extlen;
		if (pad) {			/* padding extension (21) */
			hs[n++] = 0; hs[n++] = 21;
			hs[n++] = pad >> 8; hs[n++] = pad & 0xff;
			memset(hs + n, 0, pad); n += pad;
		}
	}
	bodylen = n - 4;
	hs[1] = bodylen >> 16; hs[2] = bodylen >> 8; hs[3] = bodylen;
	while (off < n) {
		size_t r = n - off < recsz ? n - off : recsz;

		ck_assert_uint_le(o + 5 + r, outsz);
		out[o++] = 0x16; out[o++] = 3; out[o++] = 1;
		out[o++] = r >> 8; out[o++] = r & 0xff;
		memcpy(out + o, hs + off, r);
		o += r; off += r;
	}
	return o;
}

/* A server_name extension holding one host_name. */
static size_t
mk_sni(uint8_t *out, const char *name, size_t nl)
{
	size_t n = 0;

	out[n++] = 0; out[n++] = 0;
	out[n++] = (nl + 5) >> 8; out[n++] = (nl + 5) & 0xff;
	out[n++] = (nl + 3) >> 8; out[n++] = (nl + 3) & 0xff;
	out[n++] = 0;
	out[n++] = nl >> 8; out[n++] = nl & 0xff;
	memcpy(out + n, name, nl);
	return n + nl;
}

/* Every proper prefix of a complete hello asks for more. */
static void
all_prefixes_more(const uint8_t *b, size_t len)
{
	char name[SNI_NAME_MAX];
	size_t i;

	for (i = 0; i < len; i++)
		ck_assert_int_eq(sni_tls_hello(b, i, name), SNI_MORE);
}

START_TEST(tls_real)
{
	char name[SNI_NAME_MAX];

	ck_assert_int_eq(sni_tls_hello(real_hello, sizeof(real_hello), name),
	    SNI_FOUND);
	ck_assert_str_eq(name, "www.example.org");
	all_prefixes_more(real_hello, sizeof(real_hello));
}
END_TEST

START_TEST(tls_records)
{
	static const size_t sizes[] = { 1, 3, 4, 5, 100, 512, 1000, 16384 };
	uint8_t ext[300], b[40000];
	char name[SNI_NAME_MAX];
	size_t i, el, n;

	el = mk_sni(ext, "Home.Example.NET", 16);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* ~1.8 KB, like a post-quantum hello */
		n = mk_hello(b, sizeof(b), ext, el, 1700, sizes[i]);
		memset(name, 0, sizeof(name));
		ck_assert_int_eq(sni_tls_hello(b, n, name), SNI_FOUND);
		ck_assert_str_eq(name, "home.example.net");
		all_prefixes_more(b, n);
	}
}
END_TEST

START_TEST(tls_trailing_data)
{
	uint8_t ext[300], b[4000];
	char name[SNI_NAME_MAX];
	size_t el, n;

	/* Bytes after the hello (early data, the next record) don't matter. */
	el = mk_sni(ext, "a.example", 9);
	n = mk_hello(b, sizeof(b), ext, el, 0, 30);
	memcpy(b + n, "\x17\x03\x03\x00\x05hello", 10);
	ck_assert_int_eq(sni_tls_hello(b, n + 10, name), SNI_FOUND);
	ck_assert_str_eq(name, "a.example");
}
END_TEST

START_TEST(tls_nosni)
{
	uint8_t b[4000];
	char name[SNI_NAME_MAX];
	size_t n;

	n = mk_hello(b, sizeof(b), NULL, 0, 0, 16384);
	ck_assert_int_eq(sni_tls_hello(b, n, name), SNI_NONE);
	n = mk_hello(b, sizeof(b), NULL, 0, 200, 50);
	ck_assert_int_eq(sni_tls_hello(b, n, name), SNI_NONE);
	all_prefixes_more(b, n);
}
END_TEST

START_TEST(tls_badnames)
{
	static const char *bad[] = {
		"192.0.2.1", "10.1", "example.123", "a_b.example", "a..b",
		".a.example", "a.example..", "x:1", "", ".", "-", "-a.example",
		"a-.example", "a.example-", "ex ample",
		"a.\xc3\xa9.example",
	};
	uint8_t ext[600], b[4000];
	char name[SNI_NAME_MAX], longname[300];
	size_t i, el, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		el = mk_sni(ext, bad[i], strlen(bad[i]));
		n = mk_hello(b, sizeof(b), ext, el, 0, 16384);
		ck_assert_msg(sni_tls_hello(b, n, name) == SNI_BADNAME,
		    "accepted \"%s\"", bad[i]);
	}
	/* NUL inside */
	el = mk_sni(ext, "a\0b.example", 11);
	n = mk_hello(b, sizeof(b), ext, el, 0, 16384);
	ck_assert_int_eq(sni_tls_hello(b, n, name), SNI_BADNAME);
	/* 64-character label */
	memset(longname, 'a', 64);
	memcpy(longname + 64, ".example", 9);
	el = mk_sni(ext, longname, strlen(longname));
	n = mk_hello(b, sizeof(b), ext, el, 0, 16384);
	ck_assert_int_eq(sni_tls_hello(b, n, name), SNI_BADNAME);
	/* 253 characters is the limit; a trailing dot does not count */
	for (i = 0; i < 253; i++)
		longname[i] = i % 2 ? '.' : 'a';
	longname[252] = 'z';
	longname[253] = '.';
	el = mk_sni(ext, longname, 254);
	n = mk_hello(b, sizeof(b), ext, el, 0, 16384);
	ck_assert_int_eq(sni_tls_hello(b, n, name), SNI_FOUND);
	ck_assert_uint_eq(strlen(name), 253);
	longname[253] = 'b';
	el = mk_sni(ext, longname, 254);
	n = mk_hello(b, sizeof(b), ext, el, 0, 16384);
	ck_assert_int_eq(sni_tls_hello(b, n, name), SNI_BADNAME);
}
END_TEST

START_TEST(tls_not_tls)
{
	char name[SNI_NAME_MAX];

	/* Told apart on the first byte. */
	ck_assert_int_eq(sni_tls_hello((const uint8_t *)"G", 1, name), SNI_BAD);
	ck_assert_int_eq(sni_tls_hello((const uint8_t *)"SSH-2.0-x\r\n", 11,
	    name), SNI_BAD);
	/* SSLv2-style record, alert record, server hello */
	ck_assert_int_eq(sni_tls_hello((const uint8_t *)"\x80\x2e\x01", 3,
	    name), SNI_BAD);
	ck_assert_int_eq(sni_tls_hello((const uint8_t *)"\x15\x03\x01\x00\x02"
	    "\x02\x28", 7, name), SNI_BAD);
	ck_assert_int_eq(sni_tls_hello((const uint8_t *)"\x16\x03\x03\x00\x30"
	    "\x02", 6, name), SNI_BAD);
	ck_assert_int_eq(sni_tls_hello((const uint8_t *)"\x16\x02", 2, name),
	    SNI_BAD);
}
END_TEST

START_TEST(tls_too_big)
{
	static uint8_t b[40000];
	uint8_t ext[300];
	char name[SNI_NAME_MAX];
	size_t el, n;

	/* Declared over the cap: refused at once. */
	el = mk_sni(ext, "x.example", 9);
	n = mk_hello(b, sizeof(b), ext, el, 17000, 16384);
	ck_assert_int_eq(sni_tls_hello(b, 9, name), SNI_BAD);
	ck_assert_int_eq(sni_tls_hello(b, n, name), SNI_BAD);
	/* Just under the cap in many records: the framing pushes it over. */
	n = mk_hello(b, sizeof(b), ext, el, 16200, 100);
	ck_assert_int_eq(sni_tls_hello(b, SNI_HELLO_MAX, name), SNI_BAD);
	/* Just under the cap in one record: fine. */
	n = mk_hello(b, sizeof(b), ext, el, 16300, 16384);
	ck_assert_uint_le(n, SNI_HELLO_MAX);
	ck_assert_int_eq(sni_tls_hello(b, n, name), SNI_FOUND);
}
END_TEST

START_TEST(tls_malformed)
{
	uint8_t b[4000], ext[300];
	char name[SNI_NAME_MAX];
	size_t el, n, i;

	el = mk_sni(ext, "a.example", 9);
	n = mk_hello(b, sizeof(b), ext, el, 0, 16384);
	/* Corrupt each length byte in the SNI extension in turn. */
	for (i = n - el; i < n - 9; i++) {
		uint8_t save = b[i];

		if (i == n - el + 1 || i == n - el + 6)
			continue;	/* extension type, name type */
		b[i] ^= 0x40;
		ck_assert_int_ne(sni_tls_hello(b, n, name), SNI_FOUND);
		b[i] = save;
	}
	/* Two server_name extensions. */
	memcpy(ext + el, ext, el);
	n = mk_hello(b, sizeof(b), ext, 2 * el, 0, 16384);
	ck_assert_int_eq(sni_tls_hello(b, n, name), SNI_BAD);
	/* A zero-length record. */
	ck_assert_int_eq(sni_tls_hello((const uint8_t *)"\x16\x03\x01\x00\x00"
	    "\x16\x03\x01\x00\x04\x01\x00\x00\x00", 14, name), SNI_BAD);
}
END_TEST

START_TEST(name_rules)
{
	char out[SNI_NAME_MAX];

	ck_assert(sni_name_valid("Xn--Bcher-KVA.Example.", 22, out));
	ck_assert_str_eq(out, "xn--bcher-kva.example");
	ck_assert(sni_name_valid("localhost", 9, out));
	ck_assert(sni_name_valid("1a.2b", 5, out));
	ck_assert(!sni_name_valid("1.2", 3, out));
	ck_assert(!sni_name_valid("a..", 3, out));
	ck_assert(!sni_name_valid("a\0", 2, out));
}
END_TEST

static enum sni_result
host(const char *s, char *name)
{
	return sni_http_host((const uint8_t *)s, strlen(s), 8192, name);
}

START_TEST(http_host)
{
	static const char req[] = "GET /.well-known/acme-challenge/x HTTP/1.1\r\n"
	    "User-Agent: curl\r\nhOsT:  Www.Example.COM:8080 \r\n"
	    "Accept: */*\r\n\r\n";
	char name[SNI_NAME_MAX];
	size_t i, hl = strstr(req, "Accept") - req;

	ck_assert_int_eq(host(req, name), SNI_FOUND);
	ck_assert_str_eq(name, "www.example.com");
	for (i = 0; i < hl; i++)
		ck_assert_int_eq(sni_http_host((const uint8_t *)req, i, 8192,
		    name), SNI_MORE);
	ck_assert_int_eq(host("GET / HTTP/1.0\r\nHost: a.example\n\n", name),
	    SNI_FOUND);
	ck_assert_str_eq(name, "a.example");
	ck_assert_int_eq(host("GET / HTTP/1.0\r\nX: y\r\n\r\n", name),
	    SNI_NONE);
	ck_assert_int_eq(host("GET / HTTP/1.1\r\nHost: [2001:db8::1]\r\n\r\n",
	    name), SNI_BADNAME);
	ck_assert_int_eq(host("GET / HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n",
	    name), SNI_BADNAME);
	ck_assert_int_eq(host("GET / HTTP/1.1\r\nHost: \r\n\r\n", name),
	    SNI_BADNAME);
	/* Not HTTP */
	ck_assert_int_eq(host("\x16\x03\x01", name), SNI_BAD);
	ck_assert_int_eq(host("get / HTTP/1.1\r\n", name), SNI_BAD);
	ck_assert_int_eq(host("GET / SPDY/3\r\n", name), SNI_BAD);
	ck_assert_int_eq(host(" GET", name), SNI_BAD);
	ck_assert_int_eq(host("ABCDEFGHIJKLMNOPQRSTUVWXYZ ", name), SNI_BAD);
	ck_assert_int_eq(host("GET / HTTP/2.0\r\n", name), SNI_BAD);
}
END_TEST

START_TEST(http_toolong)
{
	static char big[9000];
	char name[SNI_NAME_MAX];

	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	ck_assert_int_eq(sni_http_host((const uint8_t *)big, 8000, 8192, name),
	    SNI_MORE);
	ck_assert_int_eq(sni_http_host((const uint8_t *)big, sizeof(big), 8192,
	    name), SNI_BAD);
}
END_TEST

START_TEST(proxy_v1)
{
	static const char v4[] = "PROXY TCP4 198.51.100.7 203.0.113.1 "
	    "40000 443\r\nTLS";
	static const char v6[] = "PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n";
	struct sni_proxy p;
	struct sockaddr_in *s = (struct sockaddr_in *)&p.src;
	struct sockaddr_in6 *d6 = (struct sockaddr_in6 *)&p.dst;
	size_t i, n = strlen(v4) - 3;

	ck_assert_int_eq(sni_proxy_parse((const uint8_t *)v4, strlen(v4), &p),
	    SNI_FOUND);
	ck_assert_uint_eq(p.hdrlen, n);
	ck_assert(!p.local);
	ck_assert_int_eq(s->sin_family, AF_INET);
	ck_assert_uint_eq(ntohl(s->sin_addr.s_addr), 0xc6336407);
	ck_assert_uint_eq(ntohs(s->sin_port), 40000);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(sni_proxy_parse((const uint8_t *)v4, i, &p),
		    SNI_MORE);
	ck_assert_int_eq(sni_proxy_parse((const uint8_t *)v6, strlen(v6), &p),
	    SNI_FOUND);
	ck_assert_int_eq(d6->sin6_family, AF_INET6);
	ck_assert_uint_eq(ntohs(d6->sin6_port), 65535);
	ck_assert_int_eq(sni_proxy_parse((const uint8_t *)"PROXY UNKNOWN\r\n",
	    15, &p), SNI_FOUND);
	ck_assert(p.local);
	ck_assert_uint_eq(p.hdrlen, 15);
	/* Broken ones */
	ck_assert_int_eq(sni_proxy_parse((const uint8_t *)
	    "PROXY TCP4 198.51.100.7 203.0.113.1 40000 65536\r\n", 49, &p),
	    SNI_BAD);
	ck_assert_int_eq(sni_proxy_parse((const uint8_t *)
	    "PROXY TCP4 2001:db8::1 203.0.113.1 1 2\r\n", 40, &p), SNI_BAD);
	ck_assert_int_eq(sni_proxy_parse((const uint8_t *)
	    "PROXY TCP4  198.51.100.7 203.0.113.1 1 2\r\n", 42, &p), SNI_BAD);
	ck_assert_int_eq(sni_proxy_parse((const uint8_t *)
	    "PROXY TCP4 198.51.100.7 203.0.113.1 01 2\r\n", 42, &p), SNI_BAD);
	ck_assert_int_eq(sni_proxy_parse((const uint8_t *)"PROXY TCP4 1\rX",
	    14, &p), SNI_BAD);
	ck_assert_int_eq(sni_proxy_parse((const uint8_t *)"\x16\x03", 2, &p),
	    SNI_BAD);
	ck_assert_int_eq(sni_proxy_parse((const uint8_t *)"PROXZ", 5, &p),
	    SNI_BAD);
}
END_TEST

START_TEST(proxy_v2_roundtrip)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET,
	    .sin_port = htons(1234) }, d4 = s4;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
	    .sin6_port = htons(5678) }, d6 = s6, m6 = s6;
	uint8_t b[SNI_PROXY_V2_MAX + 10];
	struct sni_proxy p;
	size_t n, i;

	inet_pton(AF_INET, "192.0.2.9", &s4.sin_addr);
	inet_pton(AF_INET, "203.0.113.4", &d4.sin_addr);
	n = sni_proxy_v2((struct sockaddr *)&s4, (struct sockaddr *)&d4, b);
	ck_assert_uint_eq(n, 28);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(sni_proxy_parse(b, i, &p), SNI_MORE);
	ck_assert_int_eq(sni_proxy_parse(b, n, &p), SNI_FOUND);
	ck_assert_uint_eq(p.hdrlen, 28);
	ck_assert(!p.local);
	ck_assert_mem_eq(&((struct sockaddr_in *)&p.src)->sin_addr,
	    &s4.sin_addr, 4);
	ck_assert_uint_eq(((struct sockaddr_in *)&p.dst)->sin_port,
	    htons(1234));

	/* A v4-mapped source with a v4 destination is IPv4. */
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &m6.sin6_addr);
	n = sni_proxy_v2((struct sockaddr *)&m6, (struct sockaddr *)&d4, b);
	ck_assert_uint_eq(n, 28);
	ck_assert_int_eq(sni_proxy_parse(b, n, &p), SNI_FOUND);
	ck_assert_mem_eq(&((struct sockaddr_in *)&p.src)->sin_addr,
	    &s4.sin_addr, 4);

	inet_pton(AF_INET6, "2001:db8::5", &s6.sin6_addr);
	inet_pton(AF_INET6, "2001:db8:1::6", &d6.sin6_addr);
	n = sni_proxy_v2((struct sockaddr *)&s6, (struct sockaddr *)&d6, b);
	ck_assert_uint_eq(n, 52);
	ck_assert_int_eq(sni_proxy_parse(b, n, &p), SNI_FOUND);
	ck_assert_mem_eq(&((struct sockaddr_in6 *)&p.dst)->sin6_addr,
	    &d6.sin6_addr, 16);

	/* Mixed families: LOCAL */
	n = sni_proxy_v2((struct sockaddr *)&s6, (struct sockaddr *)&d4, b);
	ck_assert_uint_eq(n, 16);
	ck_assert_int_eq(sni_proxy_parse(b, n, &p), SNI_FOUND);
	ck_assert(p.local);

	/* Bad version, bad command, UDP, short address block */
	n = sni_proxy_v2((struct sockaddr *)&s4, (struct sockaddr *)&d4, b);
	b[12] = 0x11;
	ck_assert_int_eq(sni_proxy_parse(b, n, &p), SNI_BAD);
	b[12] = 0x22;
	ck_assert_int_eq(sni_proxy_parse(b, n, &p), SNI_BAD);
	b[12] = 0x21; b[13] = 0x12;
	ck_assert_int_eq(sni_proxy_parse(b, n, &p), SNI_BAD);
	b[13] = 0x11; b[15] = 8;
	ck_assert_int_eq(sni_proxy_parse(b, n, &p), SNI_BAD);
}
END_TEST

START_TEST(pg)
{
	static const uint8_t gss[8] = { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30 };
	static const uint8_t startup[8] = { 0, 0, 0, 0x54, 0, 3, 0, 0 };
	size_t i;

	ck_assert_int_eq(sni_pg_request(sni_pg_sslrequest, 8), SNI_FOUND);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(sni_pg_request(sni_pg_sslrequest, i), SNI_MORE);
	ck_assert_int_eq(sni_pg_request(gss, 8), SNI_NONE);
	ck_assert_int_eq(sni_pg_request(startup, 8), SNI_BAD);
	ck_assert_int_eq(sni_pg_request(startup, 4), SNI_BAD);
	ck_assert_int_eq(sni_pg_request(real_hello, 8), SNI_BAD);
}
END_TEST

Suite *make_sni_parse_suite(void);

Suite *
make_sni_parse_suite(void)
{
	Suite *s = suite_create("sni_parse");
	TCase *tc = tcase_create("tls");

	tcase_add_test(tc, tls_real);
	tcase_add_test(tc, tls_records);
	tcase_add_test(tc, tls_trailing_data);
	tcase_add_test(tc, tls_nosni);
	tcase_add_test(tc, tls_badnames);
	tcase_add_test(tc, tls_not_tls);
	tcase_add_test(tc, tls_too_big);
	tcase_add_test(tc, tls_malformed);
	tcase_add_test(tc, name_rules);
	suite_add_tcase(s, tc);
	tc = tcase_create("http");
	tcase_add_test(tc, http_host);
	tcase_add_test(tc, http_toolong);
	suite_add_tcase(s, tc);
	tc = tcase_create("proxy");
	tcase_add_test(tc, proxy_v1);
	tcase_add_test(tc, proxy_v2_roundtrip);
	suite_add_tcase(s, tc);
	tc = tcase_create("pg");
	tcase_add_test(tc, pg);
	suite_add_tcase(s, tc);
	return s;
}
