// SPDX-License-Identifier: ISC
/*
 * lib/wg: keys, X25519 (RFC 7748 vectors), endpoints, the UAPI text both
 * ways, the generic netlink encoding (split sets, merged dumps), and the
 * UAPI transport against a real wireguard-go in a private network
 * namespace (root only).
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <check.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include "wg.h"

Suite *make_wg_suite(void);

static void
unhex(uint8_t *out, const char *s)
{
	ck_assert(wg_key_from_hex(out, s));
}

static void
x25519_check(const char *k, const char *u, const char *want)
{
	uint8_t kb[32], ub[32], out[32];
	char hex[WG_KEY_HEX_LEN];

	unhex(kb, k);
	unhex(ub, u);
	wg_x25519(out, kb, ub);
	wg_key_to_hex(hex, out);
	ck_assert_str_eq(hex, want);
}

START_TEST(test_x25519_rfc7748)
{
	/* RFC 7748, section 5.2. */
	x25519_check(
	    "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
	    "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
	    "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
	x25519_check(
	    "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
	    "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
	    "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"
	    );
}
END_TEST

START_TEST(test_x25519_iterated)
{
	/* RFC 7748 5.2: k = u = 9, then k, u = X25519(k, u), k. */
	uint8_t k[32] = { 9 }, u[32] = { 9 }, r[32];
	char hex[WG_KEY_HEX_LEN];
	int i;

	for (i = 1; i <= 1000; i++) {
		wg_x25519(r, k, u);
		memcpy(u, k, 32);
		memcpy(k, r, 32);
		if (i == 1) {
			wg_key_to_hex(hex, k);
			ck_assert_str_eq(hex, "422c8e7a6227d7bca1350b3e2bb7279f"
			    "7897b87bb6854b783c60e80311ae3079");
		}
	}
	wg_key_to_hex(hex, k);
	ck_assert_str_eq(hex,
	    "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}
END_TEST

START_TEST(test_x25519_dh)
{
	/* RFC 7748, section 6.1. */
	uint8_t a[32], b[32], pa[32], pb[32], s1[32], s2[32];
	char hex[WG_KEY_HEX_LEN];

	unhex(a,
	    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	unhex(b,
	    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	wg_pubkey(pa, a);
	wg_pubkey(pb, b);
	wg_key_to_hex(hex, pa);
	ck_assert_str_eq(hex,
	    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	wg_key_to_hex(hex, pb);
	ck_assert_str_eq(hex,
	    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	wg_x25519(s1, a, pb);
	wg_x25519(s2, b, pa);
	ck_assert(wg_key_equal(s1, s2));
	wg_key_to_hex(hex, s1);
	ck_assert_str_eq(hex,
	    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
}
END_TEST

START_TEST(test_pubkey_wg)
{
	/* Pairs made by wg(8) genkey | pubkey. */
	static const char *pairs[][2] = {
		{ "SDREcZAIpWn6Vs5w/HOjYUPzhtsgNs57VjTBZlHrV3w=",
		  "E5jd+C/TD6+9TQu9N5GVmdxdum6yuFLnPmRgg4mZPg8=" },
		{ "OFzld1OqLtkflIw7D9OU+4idE2EZQcbrdFhkgaowhnU=",
		  "oe5XeN0BQHnhnSW4cGc6VhGdNPOM0xap0X68miQu0Xo=" },
		{ "SBJ01PO90lTMlTqMWPoZFjESXqVOoAoBtZ9C0Ui8yXc=",
		  "PKW6xXyPsy0dknrTH5nUWcIoA8U6vZS9G3gnleiZxkM=" },
	};
	uint8_t priv[32], pub[32];
	char b64[WG_KEY_B64_LEN];
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		ck_assert(wg_key_from_base64(priv, pairs[i][0]));
		wg_pubkey(pub, priv);
		wg_key_to_base64(b64, pub);
		ck_assert_str_eq(b64, pairs[i][1]);
	}
}
END_TEST

START_TEST(test_genkey)
{
	uint8_t a[32], b[32];

	ck_assert_int_eq(wg_genkey(a), 0);
	ck_assert_int_eq(wg_genkey(b), 0);
	ck_assert(!wg_key_equal(a, b));
	ck_assert_int_eq(a[0] & 7, 0);
	ck_assert_int_eq(a[31] & 0xc0, 0x40);
}
END_TEST

START_TEST(test_base64)
{
	uint8_t k[32], k2[32];
	char b64[WG_KEY_B64_LEN], hex[WG_KEY_HEX_LEN];
	int i;

	memset(k, 0, sizeof(k));
	wg_key_to_base64(b64, k);
	ck_assert_str_eq(b64, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	ck_assert(wg_key_is_zero(k));
	for (i = 0; i < 32; i++)
		k[i] = (uint8_t)(i * 37 + 11);
	wg_key_to_base64(b64, k);
	ck_assert_int_eq(strlen(b64), 44);
	ck_assert(wg_key_from_base64(k2, b64));
	ck_assert(wg_key_equal(k, k2));
	wg_key_to_hex(hex, k);
	ck_assert(wg_key_from_hex(k2, hex));
	ck_assert(wg_key_equal(k, k2));
	memset(k2, 0xff, sizeof(k2));
	wg_key_to_base64(b64, k2);
	ck_assert_str_eq(b64, "//////////////////////////////////////////8=");

	/* Wrong length, missing pad, bad character, non-canonical tail. */
	ck_assert(!wg_key_from_base64(k2, ""));
	ck_assert(!wg_key_from_base64(k2,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	ck_assert(!wg_key_from_base64(k2,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	ck_assert(!wg_key_from_base64(k2,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
	ck_assert(!wg_key_from_base64(k2,
	    "AAAAAAAAAAAAAAAAAAAA*AAAAAAAAAAAAAAAAAAAAAA="));
	ck_assert(!wg_key_from_base64(k2,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB="));
	ck_assert(wg_key_from_base64(k2,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE="));
	ck_assert(!wg_key_from_hex(k2, "00"));
	ck_assert(!wg_key_from_hex(k2,
	    "g000000000000000000000000000000000000000000000000000000000000000"));
}
END_TEST

START_TEST(test_endpoint)
{
	union wg_endpoint a, b;
	char buf[80];

	ck_assert(wg_endpoint_parse(&a, "192.0.2.1:51820"));
	ck_assert_int_eq(a.sa.sa_family, AF_INET);
	ck_assert_str_eq(wg_endpoint_ntop(&a, buf, sizeof(buf)),
	    "192.0.2.1:51820");
	ck_assert(wg_endpoint_parse(&b, "[2001:db8::1]:443"));
	ck_assert_int_eq(b.sa.sa_family, AF_INET6);
	ck_assert_str_eq(wg_endpoint_ntop(&b, buf, sizeof(buf)),
	    "[2001:db8::1]:443");
	ck_assert(!wg_endpoint_equal(&a, &b));
	ck_assert(wg_endpoint_parse(&b, "192.0.2.1:51820"));
	ck_assert(wg_endpoint_equal(&a, &b));
	ck_assert(!wg_endpoint_parse(&a, "192.0.2.1"));
	ck_assert(!wg_endpoint_parse(&a, "192.0.2.1:0"));
	ck_assert(!wg_endpoint_parse(&a, "192.0.2.1:65536"));
	ck_assert(!wg_endpoint_parse(&a, "2001:db8::1:80"));
	ck_assert(!wg_endpoint_parse(&a, "[2001:db8::1]80"));
	ck_assert(!wg_endpoint_parse(&a, "host.example:80"));
}
END_TEST

static void
mkkey(uint8_t k[32], int seed)
{
	int i;

	for (i = 0; i < 32; i++)
		k[i] = (uint8_t)(seed * 31 + i * 7 + 1);
}

static struct prefix
pfx(const char *s)
{
	struct prefix p;
	char err[128];

	ck_assert_msg(prefix_parse(s, &p, 0, err, sizeof(err)), "%s", err);
	return p;
}

START_TEST(test_uapi_text)
{
	struct wg_device d, e;
	struct wg_peer *p;
	struct prefix a;
	uint8_t k[32];
	char hex[WG_KEY_HEX_LEN], *text, want[2048];
	char hk1[WG_KEY_HEX_LEN], hk2[WG_KEY_HEX_LEN], hps[WG_KEY_HEX_LEN];

	wg_device_init(&d, "wgtest0");
	mkkey(d.private_key, 1);
	d.flags = WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT |
	    WG_DEVICE_HAS_FWMARK | WG_DEVICE_REPLACE_PEERS;
	d.listen_port = 51820;
	d.fwmark = 0x1234;
	mkkey(k, 2);
	p = wg_peer_add(&d, k);
	ck_assert_ptr_nonnull(p);
	p->flags = WG_PEER_HAS_PRESHARED_KEY | WG_PEER_HAS_ENDPOINT |
	    WG_PEER_HAS_KEEPALIVE | WG_PEER_REPLACE_ALLOWEDIPS;
	mkkey(p->preshared_key, 3);
	ck_assert(wg_endpoint_parse(&p->endpoint, "[2001:db8::2]:51821"));
	p->keepalive = 25;
	a = pfx("10.0.0.0/24");
	ck_assert_int_eq(wg_peer_add_allowedip(p, &a), 0);
	a = pfx("2001:db8:1::/48");
	ck_assert_int_eq(wg_peer_add_allowedip(p, &a), 0);
	mkkey(k, 4);
	p = wg_peer_add(&d, k);
	p->flags = WG_PEER_REMOVE;

	text = wg_uapi_set_text(&d);
	ck_assert_ptr_nonnull(text);
	wg_key_to_hex(hex, d.private_key);
	wg_key_to_hex(hk1, d.peers[0].public_key);
	wg_key_to_hex(hps, d.peers[0].preshared_key);
	wg_key_to_hex(hk2, d.peers[1].public_key);
	snprintf(want, sizeof(want),
	    "set=1\nprivate_key=%s\nlisten_port=51820\nfwmark=4660\n"
	    "replace_peers=true\npublic_key=%s\npreshared_key=%s\n"
	    "endpoint=[2001:db8::2]:51821\n"
	    "persistent_keepalive_interval=25\nreplace_allowed_ips=true\n"
	    "allowed_ip=10.0.0.0/24\nallowed_ip=2001:db8:1::/48\n"
	    "public_key=%s\nremove=true\n\n", hex, hk1, hps, hk2);
	ck_assert_str_eq(text, want);
	free(text);

	/* A get reply as wireguard-go writes it. */
	snprintf(want, sizeof(want),
	    "private_key=%s\nlisten_port=51820\nfwmark=4660\n"
	    "public_key=%s\npreshared_key=%s\nprotocol_version=1\n"
	    "endpoint=192.0.2.7:1000\nlast_handshake_time_sec=1700000000\n"
	    "last_handshake_time_nsec=5\ntx_bytes=100\nrx_bytes=200\n"
	    "persistent_keepalive_interval=0\nallowed_ip=10.0.0.0/24\n"
	    "allowed_ip=2001:db8:1::/48\n"
	    "public_key=%s\npreshared_key=%064d\nprotocol_version=1\n"
	    "last_handshake_time_sec=0\nlast_handshake_time_nsec=0\n"
	    "tx_bytes=0\nrx_bytes=0\npersistent_keepalive_interval=25\n"
	    "errno=0\n\n", hex, hk1, hps, hk2, 0);
	wg_device_init(&e, "x");
	ck_assert_int_eq(wg_uapi_parse(&e, want), 0);
	ck_assert(e.flags & WG_DEVICE_HAS_PRIVATE_KEY);
	ck_assert(wg_key_equal(e.private_key, d.private_key));
	ck_assert_int_eq(e.listen_port, 51820);
	ck_assert_int_eq(e.fwmark, 0x1234);
	ck_assert_int_eq(e.npeers, 2);
	p = &e.peers[0];
	ck_assert(wg_key_equal(p->public_key, d.peers[0].public_key));
	ck_assert(p->flags & WG_PEER_HAS_PRESHARED_KEY);
	ck_assert(!(p->flags & WG_PEER_HAS_KEEPALIVE));
	ck_assert_int_eq(p->last_handshake_sec, 1700000000);
	ck_assert_int_eq(wg_peer_handshake_age(p, 1700000135), 135);
	ck_assert_int_eq(p->tx_bytes, 100);
	ck_assert_int_eq(p->rx_bytes, 200);
	ck_assert_int_eq(p->nallowedips, 2);
	ck_assert(prefix_equal(&p->allowedips[1], &d.peers[0].allowedips[1]));
	ck_assert_str_eq(wg_endpoint_ntop(&p->endpoint, hex, sizeof(hex)),
	    "192.0.2.7:1000");
	p = &e.peers[1];
	ck_assert(!(p->flags & WG_PEER_HAS_PRESHARED_KEY));
	ck_assert_int_eq(p->keepalive, 25);
	ck_assert_int_eq(wg_peer_handshake_age(p, 1700000135), -1);
	wg_device_free(&e);

	/* An error reply, and garbage. */
	wg_device_init(&e, "x");
	ck_assert_int_eq(wg_uapi_parse(&e, "errno=19\n\n"), -19);
	wg_device_free(&e);
	wg_device_init(&e, "x");
	ck_assert_int_eq(wg_uapi_parse(&e, "public_key=zz\nerrno=0\n\n"),
	    -EPROTO);
	wg_device_free(&e);
	wg_device_init(&e, "x");
	ck_assert_int_eq(wg_uapi_parse(&e, "listen_port=1\n"), -EPROTO);
	wg_device_free(&e);
	wg_device_free(&d);
}
END_TEST

/* Collect built messages into one buffer. */
struct msgs {
	char	 buf[1 << 20];
	size_t	 len;
	size_t	 n;
	size_t	 maxlen;
};

static int
collect(void *arg, struct nlmsghdr *nlh)
{
	struct msgs *m = arg;

	ck_assert_uint_le(nlh->nlmsg_len, m->maxlen);
	ck_assert_uint_le(m->len + nlh->nlmsg_len, sizeof(m->buf));
	memcpy(m->buf + m->len, nlh, nlh->nlmsg_len);
	m->len += NLMSG_ALIGN(nlh->nlmsg_len);
	m->n++;
	return 0;
}

static void
build_big(struct wg_device *d)
{
	struct wg_peer *p;
	struct prefix a;
	uint8_t k[32];
	int i, j;

	wg_device_init(d, "wgbig");
	mkkey(d->private_key, 9);
	d->flags = WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT |
	    WG_DEVICE_REPLACE_PEERS;
	d->listen_port = 4242;
	for (i = 0; i < 40; i++) {
		mkkey(k, 100 + i);
		p = wg_peer_add(d, k);
		ck_assert_ptr_nonnull(p);
		p->flags = WG_PEER_REPLACE_ALLOWEDIPS | WG_PEER_HAS_ENDPOINT |
		    WG_PEER_HAS_PRESHARED_KEY | WG_PEER_HAS_KEEPALIVE;
		mkkey(p->preshared_key, 500 + i);
		p->keepalive = (uint16_t)i;
		p->endpoint.in.sin_family = AF_INET;
		p->endpoint.in.sin_port = htons((uint16_t)(1000 + i));
		p->endpoint.in.sin_addr.s_addr = htonl(0xc6336400u + (uint32_t)i);
		/* Peer 7 carries far more allowed IPs than one message holds. */
		for (j = 0; j < (i == 7 ? 3000 : 3); j++) {
			memset(&a, 0, sizeof(a));
			if (j % 2) {
				a.family = AF_INET6;
				a.len = 64;
				a.addr.b[0] = 0x20;
				a.addr.b[1] = 0x01;
				a.addr.b[2] = 0x0d;
				a.addr.b[3] = 0xb8;
				a.addr.b[4] = (uint8_t)i;
				a.addr.b[6] = (uint8_t)(j >> 8);
				a.addr.b[7] = (uint8_t)j;
			} else {
				a.family = AF_INET;
				a.len = 32;
				a.addr.b[0] = 10;
				a.addr.b[1] = (uint8_t)i;
				a.addr.b[2] = (uint8_t)(j >> 8);
				a.addr.b[3] = (uint8_t)j;
			}
			ck_assert_int_eq(wg_peer_add_allowedip(p, &a), 0);
		}
	}
}

static void
roundtrip(const struct wg_device *d, size_t maxlen, size_t minmsgs)
{
	static struct msgs m;
	struct wg_device e;
	const struct nlmsghdr *nlh;
	size_t i, j, len;

	m.len = m.n = 0;
	m.maxlen = maxlen;
	ck_assert_int_eq(wg_genl_build_set(d, 0x20, maxlen, collect, &m), 0);
	ck_assert_uint_ge(m.n, minmsgs);

	/* Parse them back as a dump would be: one device, joined peers. */
	wg_device_init(&e, NULL);
	len = m.len;
	for (nlh = (const struct nlmsghdr *)m.buf; mnl_nlmsg_ok(nlh, (int)len);
	    nlh = mnl_nlmsg_next(nlh, (int *)&len)) {
		const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
		uint32_t before = e.flags;

		ck_assert_int_eq(nlh->nlmsg_type, 0x20);
		ck_assert_int_eq(g->cmd, WG_CMD_SET_DEVICE);
		ck_assert_int_eq(wg_genl_parse(&e, nlh), 0);
		/* Only the first message carries the device's settings. */
		if (nlh != (const struct nlmsghdr *)m.buf)
			ck_assert_int_eq(e.flags, before);
	}
	ck_assert_str_eq(e.name, "wgbig");
	ck_assert(wg_key_equal(e.private_key, d->private_key));
	ck_assert_int_eq(e.listen_port, 4242);
	ck_assert_int_eq(e.npeers, d->npeers);
	for (i = 0; i < d->npeers; i++) {
		const struct wg_peer *a = &d->peers[i], *b = &e.peers[i];

		ck_assert(wg_key_equal(a->public_key, b->public_key));
		ck_assert(wg_key_equal(a->preshared_key, b->preshared_key));
		ck_assert(wg_endpoint_equal(&a->endpoint, &b->endpoint));
		ck_assert_int_eq(a->keepalive, b->keepalive);
		ck_assert_uint_eq(a->nallowedips, b->nallowedips);
		for (j = 0; j < a->nallowedips; j++)
			ck_assert(prefix_equal(&a->allowedips[j],
			    &b->allowedips[j]));
	}
	wg_device_free(&e);
}

START_TEST(test_genl_split_merge)
{
	static struct msgs m;
	struct wg_device d;

	build_big(&d);
	roundtrip(&d, 65536, 2);
	roundtrip(&d, 8192, 8);
	roundtrip(&d, 4096, 16);
	roundtrip(&d, 256, 40);
	/* Too small for any message. */
	m.len = m.n = 0;
	m.maxlen = 128;
	ck_assert_int_eq(wg_genl_build_set(&d, 0x20, m.maxlen, collect, &m),
	    -EMSGSIZE);
	wg_device_free(&d);
}
END_TEST

/* A continued peer must not repeat REPLACE_ALLOWEDIPS (it would wipe the
 * first part) and every message must name the device. */
static int
check_continuation(void *arg, struct nlmsghdr *nlh)
{
	int *count = arg;
	struct nlattr *a, *peers = NULL, *peer, *pa;
	bool named = false;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == WGDEVICE_A_IFNAME)
			named = true;
		if (mnl_attr_get_type(a) == WGDEVICE_A_PEERS)
			peers = a;
		if (*count > 0)
			ck_assert_int_ne(mnl_attr_get_type(a),
			    WGDEVICE_A_PRIVATE_KEY);
	}
	ck_assert(named);
	ck_assert_ptr_nonnull(peers);
	peer = mnl_attr_get_payload(peers);
	if (*count > 0) {
		/* This message starts with the continued peer 0. */
		mnl_attr_for_each_nested(pa, peer)
			ck_assert(mnl_attr_get_type(pa) == WGPEER_A_PUBLIC_KEY ||
			    mnl_attr_get_type(pa) == WGPEER_A_ALLOWEDIPS);
	}
	(*count)++;
	return 0;
}

START_TEST(test_genl_continuation)
{
	struct wg_device d;
	struct wg_peer *p;
	struct prefix a;
	uint8_t k[32];
	int i, count = 0;

	wg_device_init(&d, "wgc");
	mkkey(d.private_key, 1);
	d.flags = WG_DEVICE_HAS_PRIVATE_KEY;
	mkkey(k, 2);
	p = wg_peer_add(&d, k);
	p->flags = WG_PEER_REPLACE_ALLOWEDIPS | WG_PEER_HAS_KEEPALIVE;
	p->keepalive = 10;
	for (i = 0; i < 1000; i++) {
		memset(&a, 0, sizeof(a));
		a.family = AF_INET;
		a.len = 32;
		a.addr.v4.s_addr = htonl(0x0a000000u + (uint32_t)i);
		wg_peer_add_allowedip(p, &a);
	}
	ck_assert_int_eq(wg_genl_build_set(&d, 0x21, 2048, check_continuation,
	    &count), 0);
	ck_assert_int_gt(count, 5);
	wg_device_free(&d);
}
END_TEST

/* ---- against a real wireguard-go ---- */

static pid_t wg_pid;

static int
start_wireguard_go(const char *name)
{
	int tries, fd;

	if ((wg_pid = fork()) < 0)
		return -1;
	if (wg_pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setenv("WG_PROCESS_FOREGROUND", "1", 1);
		execlp("wireguard-go", "wireguard-go", name, (char *)NULL);
		_exit(127);
	}
	for (tries = 0; tries < 100; tries++) {
		if (wg_uapi_exists(name))
			return 0;
		usleep(50000);
	}
	return -1;
}

static void
stop_wireguard_go(const char *name)
{
	char path[128];

	if (wg_pid > 0) {
		kill(wg_pid, SIGTERM);
		waitpid(wg_pid, NULL, 0);
		wg_pid = 0;
	}
	snprintf(path, sizeof(path), "%s/%s.sock", WG_UAPI_DIR, name);
	unlink(path);
}

static bool
have_wireguard_go(void)
{
	const char *path = getenv("PATH");
	char buf[4096], *dir, *save = NULL, full[4200];

	if (path == NULL)
		return false;
	strlcpy(buf, path, sizeof(buf));
	for (dir = strtok_r(buf, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		snprintf(full, sizeof(full), "%s/wireguard-go", dir);
		if (access(full, X_OK) == 0)
			return true;
	}
	return false;
}

START_TEST(test_uapi_wireguard_go)
{
	struct wg_device d, g;
	struct wg_peer *p, *q;
	struct prefix a;
	uint8_t k1[32], k2[32], pub[32];
	char name[IFNAMSIZ];
	const char *fork_mode = getenv("CK_FORK");

	if (geteuid() != 0 || !have_wireguard_go() ||
	    (fork_mode != NULL && strcmp(fork_mode, "no") == 0)) {
		fprintf(stderr, "wg: skipping the wireguard-go test "
		    "(needs root, wireguard-go and forked tests)\n");
		return;
	}
	/* Check forks each test: the namespace dies with this process. */
	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	snprintf(name, sizeof(name), "ekut%x", (unsigned)getpid());
	ck_assert_int_eq(wg_uapi_exists(name), false);
	ck_assert_msg(start_wireguard_go(name) == 0, "wireguard-go failed");

	wg_device_init(&d, name);
	ck_assert_int_eq(wg_genkey(d.private_key), 0);
	d.flags = WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT |
	    WG_DEVICE_HAS_FWMARK | WG_DEVICE_REPLACE_PEERS;
	d.listen_port = 51999;
	d.fwmark = 0x51;
	ck_assert_int_eq(wg_genkey(k1), 0);
	wg_pubkey(k1, k1);
	ck_assert_int_eq(wg_genkey(k2), 0);
	wg_pubkey(k2, k2);
	p = wg_peer_add(&d, k1);
	p->flags = WG_PEER_HAS_PRESHARED_KEY | WG_PEER_HAS_ENDPOINT |
	    WG_PEER_HAS_KEEPALIVE | WG_PEER_REPLACE_ALLOWEDIPS;
	mkkey(p->preshared_key, 77);
	ck_assert(wg_endpoint_parse(&p->endpoint, "192.0.2.9:51820"));
	p->keepalive = 0;
	a = pfx("10.9.0.0/16");
	wg_peer_add_allowedip(p, &a);
	a = pfx("2001:db8:9::/48");
	wg_peer_add_allowedip(p, &a);
	p = wg_peer_add(&d, k2);
	p->flags = WG_PEER_HAS_ENDPOINT;
	ck_assert(wg_endpoint_parse(&p->endpoint, "[2001:db8::9]:51821"));
	a = pfx("10.8.0.1/32");
	wg_peer_add_allowedip(p, &a);
	ck_assert_int_eq(wg_set(&d), 0);

	ck_assert_int_eq(wg_get(name, &g), 0);
	ck_assert(g.flags & WG_DEVICE_HAS_PUBLIC_KEY);
	wg_pubkey(pub, d.private_key);
	ck_assert(wg_key_equal(g.public_key, pub));
	ck_assert(wg_key_equal(g.private_key, d.private_key));
	ck_assert_int_eq(g.listen_port, 51999);
	ck_assert_int_eq(g.fwmark, 0x51);
	ck_assert_int_eq(g.npeers, 2);
	q = wg_peer_find(&g, k1);
	ck_assert_ptr_nonnull(q);
	ck_assert(wg_key_equal(q->preshared_key, d.peers[0].preshared_key));
	ck_assert(wg_endpoint_equal(&q->endpoint, &d.peers[0].endpoint));
	ck_assert_int_eq(q->nallowedips, 2);
	q = wg_peer_find(&g, k2);
	ck_assert_ptr_nonnull(q);
	ck_assert(!(q->flags & WG_PEER_HAS_PRESHARED_KEY));
	ck_assert_int_eq(q->nallowedips, 1);
	ck_assert_int_eq(q->last_handshake_sec, 0);
	wg_device_free(&g);
	wg_device_free(&d);

	/* An incremental change: new allowed IPs for one peer, drop the
	 * other, update_only for an unknown key does nothing. */
	wg_device_init(&d, name);
	p = wg_peer_add(&d, k1);
	p->flags = WG_PEER_REPLACE_ALLOWEDIPS | WG_PEER_UPDATE_ONLY |
	    WG_PEER_HAS_KEEPALIVE;
	p->keepalive = 25;
	a = pfx("10.7.0.0/24");
	wg_peer_add_allowedip(p, &a);
	p = wg_peer_add(&d, k2);
	p->flags = WG_PEER_REMOVE;
	mkkey(k2, 3);
	p = wg_peer_add(&d, k2);
	p->flags = WG_PEER_UPDATE_ONLY;
	ck_assert_int_eq(wg_set(&d), 0);
	wg_device_free(&d);

	ck_assert_int_eq(wg_uapi_get(name, &g), 0);
	ck_assert_int_eq(g.npeers, 1);
	ck_assert(wg_key_equal(g.peers[0].public_key, k1));
	ck_assert_int_eq(g.peers[0].keepalive, 25);
	ck_assert_int_eq(g.peers[0].nallowedips, 1);
	ck_assert(prefix_equal(&g.peers[0].allowedips[0], &a));
	mkkey(k2, 77);
	ck_assert(wg_key_equal(g.peers[0].preshared_key, k2));
	wg_device_free(&g);

	stop_wireguard_go(name);
	ck_assert(!wg_uapi_exists(name));
	wg_device_init(&g, NULL);
	ck_assert_int_lt(wg_uapi_get(name, &g), 0);
	wg_device_free(&g);
}
END_TEST

Suite *
make_wg_suite(void)
{
	Suite *s = suite_create("wg");
	TCase *tc = tcase_create("keys");
	TCase *tn = tcase_create("transport");

	tcase_add_test(tc, test_x25519_rfc7748);
	tcase_add_test(tc, test_x25519_iterated);
	tcase_add_test(tc, test_x25519_dh);
	tcase_add_test(tc, test_pubkey_wg);
	tcase_add_test(tc, test_genkey);
	tcase_add_test(tc, test_base64);
	tcase_add_test(tc, test_endpoint);
	suite_add_tcase(s, tc);
	tcase_add_test(tn, test_uapi_text);
	tcase_add_test(tn, test_genl_split_merge);
	tcase_add_test(tn, test_genl_continuation);
	tcase_add_test(tn, test_uapi_wireguard_go);
	tcase_set_timeout(tn, 30);
	suite_add_tcase(s, tn);
	return s;
}
