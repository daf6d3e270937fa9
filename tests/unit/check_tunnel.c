// SPDX-License-Identifier: ISC
/*
 * edge-tunnel's configuration reader: wg-quick files, the edgekit keys,
 * checks across sections, and errors that name file:line.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <linux/rtnetlink.h>

#include "tunnel.h"

Suite *make_tunnel_suite(void);

#define K1 "SDREcZAIpWn6Vs5w/HOjYUPzhtsgNs57VjTBZlHrV3w="
#define P1 "E5jd+C/TD6+9TQu9N5GVmdxdum6yuFLnPmRgg4mZPg8="
#define P2 "oe5XeN0BQHnhnSW4cGc6VhGdNPOM0xap0X68miQu0Xo="

static int
parse(struct tunnel_conf *tc, const char *text, char *err, size_t errlen)
{
	err[0] = '\0';
	return tunnel_conf_parse(tc, "t.conf", "t", text, strlen(text), err,
	    errlen);
}

START_TEST(test_wg_quick)
{
	static const char text[] =
	    "[Interface]\n"
	    "PrivateKey = " K1 "\n"
	    "ListenPort = 51820\n"
	    "FwMark = 0x20\n"
	    "Address = 10.0.0.1/24, fd00::1/64\n"
	    "Address = 10.1.0.1\n"
	    "DNS = 192.0.2.53, example.net\n"
	    "MTU = 1380\n"
	    "Table = 1234\n"
	    "PostUp = echo %i up\n"
	    "PreDown = echo %i down\n"
	    "SaveConfig = false\n"
	    "\n[Peer]\n"
	    "PublicKey = " P1 "\n"
	    "PresharedKey = " K1 "\n"
	    "AllowedIPs = 10.0.0.2/32, 10.9.0.7/16\n"
	    "AllowedIPs = ::/0\n"
	    "Endpoint = [2001:db8::1]:51820\n"
	    "PersistentKeepalive = 25\n"
	    "\n[Peer]\n"
	    "PublicKey = " P2 "\n"
	    "Endpoint = vpn.example.net:4500\n"
	    "Table = off\n";
	struct tunnel_conf tc;
	char err[512], b[PREFIX_STRLEN];
	uint8_t pub[WG_KEY_LEN], k[WG_KEY_LEN];

	ck_assert_msg(parse(&tc, text, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(tc.name, "t");
	ck_assert(tc.wg.flags & WG_DEVICE_HAS_PRIVATE_KEY);
	wg_pubkey(pub, tc.wg.private_key);
	ck_assert(wg_key_from_base64(k, P1));
	ck_assert(wg_key_equal(pub, k));
	ck_assert_int_eq(tc.wg.listen_port, 51820);
	ck_assert_int_eq(tc.wg.fwmark, 0x20);
	ck_assert_int_eq(tc.naddrs, 3);
	/* Interface addresses keep their host bits. */
	ck_assert_str_eq(prefix_ntop(&tc.addrs[0], b, sizeof(b)), "10.0.0.1/24");
	ck_assert_str_eq(prefix_ntop(&tc.addrs[2], b, sizeof(b)), "10.1.0.1/32");
	ck_assert_int_eq(tc.ndns, 2);
	ck_assert_int_eq(tc.mtu, 1380);
	ck_assert_int_eq(tc.table_mode, TABLE_NUM);
	ck_assert_int_eq(tc.table, 1234);
	ck_assert_int_eq(tc.nhooks[HOOK_POSTUP], 1);
	ck_assert_int_eq(tc.nhooks[HOOK_PREDOWN], 1);
	ck_assert_int_eq(tc.wg.npeers, 2);
	ck_assert(tc.wg.peers[0].flags & WG_PEER_HAS_PRESHARED_KEY);
	ck_assert_int_eq(tc.wg.peers[0].nallowedips, 3);
	/* Allowed IPs are normalised, as wg(8) does. */
	ck_assert_str_eq(prefix_ntop(&tc.wg.peers[0].allowedips[1], b,
	    sizeof(b)), "10.9.0.0/16");
	ck_assert_int_eq(tc.wg.peers[0].endpoint.sa.sa_family, AF_INET6);
	ck_assert_int_eq(tc.wg.peers[0].keepalive, 25);
	ck_assert_ptr_null(tc.px[0].host);
	ck_assert_str_eq(tc.px[1].host, "vpn.example.net");
	ck_assert_str_eq(tc.px[1].port, "4500");
	ck_assert(tc.px[1].has_table);
	ck_assert_int_eq(tc.px[1].table_mode, TABLE_OFF);
	tunnel_conf_free(&tc);
}
END_TEST

START_TEST(test_edgekit_keys)
{
	static const char text[] =
	    "[Interface]\n"
	    "PrivateKey = " K1 "\n"
	    "Rule = from 10.10.0.0/24 to 10.20.0.0/16 fwmark 0x200/0xff00 "
	    "iif lan0 table 100 priority 100\n"
	    "Rule = not fwmark 7 table main\n"
	    "Rule = from 2001:db8:1::/48 table 200\n"
	    "Route = 10.60.0.0/24 via 10.66.0.1 table 100 metric 5\n"
	    "Route = 2001:db8:2::/48\n"
	    "Masquerade = 10.10.0.0/24 oif up0\n"
	    "Masquerade = 10.11.0.0/24\n"
	    "Forward = tcp 8080 to 10.77.0.2:80\n"
	    "Forward = udp 53 to [2001:db8::53]:5353\n"
	    "Forward = tcp 22 to 10.77.0.3\n"
	    "Block = from 10.10.0.0/24 to 10.20.0.0/16\n"
	    "\n[Bridge]\nName = br0\nSTP = off\nForwardDelay = 4\n"
	    "Address = 10.200.0.1/24\n"
	    "\n[Wire]\nName = vx1\nVNI = 12\nLocal = 10.99.0.1\n"
	    "Remote = 10.99.0.2\nBridge = br0\nChecksum = off\n";
	struct tunnel_conf tc;
	char err[512];

	ck_assert_msg(parse(&tc, text, err, sizeof(err)) == 0, "%s", err);
	/* A rule without addresses is made for both families. */
	ck_assert_int_eq(tc.nrules, 4);
	ck_assert_int_eq(tc.rules[0].family, AF_INET);
	ck_assert_int_eq(tc.rules[0].src.len, 24);
	ck_assert_int_eq(tc.rules[0].dst.len, 16);
	ck_assert(tc.rules[0].has_fwmark);
	ck_assert_int_eq(tc.rules[0].fwmark, 0x200);
	ck_assert_int_eq(tc.rules[0].fwmask, 0xff00);
	ck_assert_str_eq(tc.rules[0].iif, "lan0");
	ck_assert_int_eq(tc.rules[0].table, 100);
	ck_assert_int_eq(tc.rules[0].priority, 100);
	ck_assert_int_eq(tc.rules[0].protocol, TUNNEL_PROTO);
	ck_assert(tc.rules[1].invert && tc.rules[2].invert);
	ck_assert_int_eq(tc.rules[1].family, AF_INET);
	ck_assert_int_eq(tc.rules[2].family, AF_INET6);
	ck_assert_int_eq(tc.rules[1].table, RT_TABLE_MAIN);
	ck_assert_int_eq(tc.rules[3].family, AF_INET6);
	ck_assert_uint_eq(tc.rule_line[3], 5);
	ck_assert_int_eq(tc.nroutes, 2);
	ck_assert_int_eq(tc.routes[0].gw_family, AF_INET);
	ck_assert_int_eq(tc.routes[0].table, 100);
	ck_assert_int_eq(tc.routes[0].metric, 5);
	ck_assert_int_eq(tc.routes[1].gw_family, 0);
	ck_assert_int_eq(tc.nmasq, 2);
	ck_assert_str_eq(tc.masq[0].oif, "up0");
	ck_assert_str_eq(tc.masq[1].oif, "");
	ck_assert_int_eq(tc.nfwd, 3);
	ck_assert_int_eq(tc.fwd[0].l4proto, IPPROTO_TCP);
	ck_assert_int_eq(tc.fwd[0].port, 8080);
	ck_assert_int_eq(tc.fwd[0].to_port, 80);
	ck_assert_int_eq(tc.fwd[1].family, AF_INET6);
	ck_assert_int_eq(tc.fwd[1].to_port, 5353);
	ck_assert_int_eq(tc.fwd[2].to_port, 0);
	ck_assert_int_eq(tc.nblock, 1);
	ck_assert_int_eq(tc.nbridges, 1);
	ck_assert(!tc.bridges[0].stp);
	ck_assert_int_eq(tc.bridges[0].forward_delay, 400);
	ck_assert_int_eq(tc.bridges[0].naddrs, 1);
	ck_assert_int_eq(tc.nwires, 1);
	ck_assert_int_eq(tc.wires[0].port, TUNNEL_VXLAN_PORT);
	ck_assert_int_eq(tc.wires[0].vni, 12);
	ck_assert(tc.wires[0].no_csum);
	ck_assert_str_eq(tc.wires[0].bridge, "br0");
	tunnel_conf_free(&tc);
}
END_TEST

/* Each bad line, alone after a good [Interface], is refused at its line. */
START_TEST(test_errors)
{
	static const struct { const char *text, *want; } bad[] = {
		{ "ListenPrt = 1\n", "t.conf:3: unknown key \"ListenPrt\"" },
		{ "ListenPort = 70000\n", "t.conf:3: ListenPort" },
		{ "Address = 10.0.0.300/24\n", "t.conf:3: Address" },
		{ "MTU = 100\n", "t.conf:3: MTU" },
		{ "Table = sometimes\n", "t.conf:3: Table" },
		{ "Rule = from 10.0.0.0/8\n", "t.conf:3: Rule: no table" },
		{ "Rule = from 10.0.0.0/8 to ::/0 table 1\n", "t.conf:3: Rule: from and to mix" },
		{ "Rule = bogus 1 table 1\n", "t.conf:3: Rule: unknown word" },
		{ "Route = 10.0.0.0/33\n", "t.conf:3: Route" },
		{ "Route = 10.0.0.0/8 via nowhere\n", "t.conf:3: Route" },
		{ "Masquerade = 10.0.0.0/8 iif x\n", "t.conf:3: Masquerade" },
		{ "Forward = sctp 1 to 10.0.0.1\n", "t.conf:3: Forward" },
		{ "Forward = tcp 0 to 10.0.0.1\n", "t.conf:3: Forward" },
		{ "Block = from 10.0.0.0/8 to ::/0\n", "t.conf:3: Block" },
		{ "[Peer]\nPublicKey = " P1 "\nAllowedIPs = 10.0.0.0/33\n",
		  "t.conf:5: AllowedIPs" },
		{ "[Peer]\nPublicKey = nope\n", "t.conf:4: PublicKey" },
		{ "[Peer]\nAllowedIPs = 10.0.0.0/8\n", "t.conf:3: [Peer] has no PublicKey" },
		{ "[Peer]\nPublicKey = " P1 "\n[Peer]\nPublicKey = " P1 "\n",
		  "t.conf:5: this PublicKey is already used by the peer at line 3" },
		{ "[Peer]\nPublicKey = " P1 "\nEndpoint = host\n", "t.conf:5: Endpoint" },
		{ "[Peer]\nPublicKey = " P1 "\nPersistentKeepalive = -1\n",
		  "t.conf:5: PersistentKeepalive" },
		{ "[Wire]\nName = vx1\nVNI = 1\nLocal = 10.0.0.1\n",
		  "t.conf:3: a [Wire] needs Name, Local and Remote" },
		{ "[Wire]\nName = vx1\nLocal = 10.0.0.1\nRemote = 10.0.0.2\n"
		  "Bridge = br9\n", "t.conf:3: wire vx1 joins bridge br9" },
		{ "[Wire]\nName = vx1\nVNI = 99999999\n", "t.conf:5: VNI" },
		{ "[Bridge]\nName = br0\nForwardDelay = 1\n", "t.conf:5: ForwardDelay" },
		{ "ReturnMark = 0\n", "t.conf:3: ReturnMark" },
		{ "ReturnMark = 254\n", "t.conf:3: ReturnMark" },
		{ "ReturnMark = 101\n[Peer]\nPublicKey = " P1 "\n"
		  "AllowedIPs = 10.0.0.0/8\n", "t.conf:3: ReturnMark: no peer "
		  "has AllowedIPs 0.0.0.0/0" },
		{ "FwMark = 101\nReturnMark = 101\n[Peer]\nPublicKey = " P1
		  "\nAllowedIPs = 0.0.0.0/0\n", "t.conf:4: ReturnMark is the "
		  "tunnel's own FwMark" },
		{ "SaveConfig = maybe\n", "t.conf:3: SaveConfig" },
		{ "[Pear]\n", "t.conf:3: unknown section [Pear]" },
		{ "[Interface]\n", "t.conf:3: a second [Interface]" },
	};
	struct tunnel_conf tc;
	char text[1024], err[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[Interface]\nPrivateKey = " K1
		    "\n%s", bad[i].text);
		ck_assert_msg(parse(&tc, text, err, sizeof(err)) == -1,
		    "accepted: %s", bad[i].text);
		ck_assert_msg(strstr(err, bad[i].want) != NULL,
		    "for %s: got \"%s\", want \"%s\"", bad[i].text, err,
		    bad[i].want);
		ck_assert_msg(strstr(err, K1) == NULL, "key in \"%s\"", err);
		tunnel_conf_free(&tc);
	}
	/* A bad private key is not echoed. */
	ck_assert_int_eq(parse(&tc, "[Interface]\nPrivateKey = " K1 "x\n", err,
	    sizeof(err)), -1);
	ck_assert_ptr_null(strstr(err, K1));
	ck_assert_ptr_nonnull(strstr(err, "t.conf:2: PrivateKey"));
	tunnel_conf_free(&tc);
	ck_assert_int_eq(parse(&tc, "[Peer]\nPublicKey = " P1 "\n", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no [Interface]"));
	tunnel_conf_free(&tc);
}
END_TEST

START_TEST(test_wire_mtu)
{
	static const char text[] =
	    "[Interface]\nPrivateKey = " K1 "\nMTU = 1420\n"
	    "[Bridge]\nName = br0\nMTU = 1400\n"
	    "[Wire]\nName = vx1\nLocal = 10.0.0.1\nRemote = 10.0.0.2\n"
	    "MTU = %u\nBridge = br0\n";
	struct tunnel_conf tc;
	char buf[512], err[512];

	/* 1420 - 50 = 1370 fits; 1371 does not. */
	snprintf(buf, sizeof(buf), text, 1371u);
	ck_assert_int_eq(parse(&tc, buf, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "t.conf:7: wire vx1 MTU 1371 does "
	    "not fit the tunnel's MTU 1420 (at most 1370"));
	tunnel_conf_free(&tc);
	/* The bridge is larger than its wire: full frames would be lost. */
	snprintf(buf, sizeof(buf), text, 1370u);
	ck_assert_int_eq(parse(&tc, buf, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "t.conf:4: bridge br0 MTU 1400 is "
	    "larger than its port vx1"));
	tunnel_conf_free(&tc);
	ck_assert_int_eq(tunnel_vxlan_overhead(AF_INET), 50);
	ck_assert_int_eq(tunnel_vxlan_overhead(AF_INET6), 70);
}
END_TEST

START_TEST(test_paths)
{
	char path[256], ifname[IFNAMSIZ], err[256];

	ck_assert_int_eq(tunnel_conf_path("/x/y/wg7.conf", path, sizeof(path),
	    ifname, err, sizeof(err)), 0);
	ck_assert_str_eq(path, "/x/y/wg7.conf");
	ck_assert_str_eq(ifname, "wg7");
	ck_assert_int_eq(tunnel_conf_path("./a-very-long-interface.conf", path,
	    sizeof(path), ifname, err, sizeof(err)), -1);
	ck_assert_int_eq(tunnel_conf_path("/x/.conf", path, sizeof(path),
	    ifname, err, sizeof(err)), -1);
	ck_assert_int_eq(tunnel_conf_path("nosuchtun9", path,
	    sizeof(path), ifname, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/etc/edgekit/nosuchtun9.conf"));
}
END_TEST

Suite *
make_tunnel_suite(void)
{
	Suite *s = suite_create("tunnel");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, test_wg_quick);
	tcase_add_test(tc, test_edgekit_keys);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_wire_mtu);
	tcase_add_test(tc, test_paths);
	suite_add_tcase(s, tc);
	return s;
}
