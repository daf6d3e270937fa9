#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Table = auto with a default route, as wg-quick does it: the default
# route goes into table 51820, the tunnel's own packets carry fwmark 51820
# and skip it ("not fwmark 51820 table 51820"), and "table main
# suppress_prefixlength 0" keeps the main table's specific routes.  All
# traffic takes the tunnel; the tunnel itself still reaches its endpoint.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"

ns_make A a
ns_make B b
veth "$A" up0 "$B" up0
nsx "$A" ip addr add 192.0.2.1/24 dev up0
nsx "$A" ip route add default via 192.0.2.2
nsx "$B" ip addr add 192.0.2.2/24 dev up0
nsx "$B" ip addr add 203.0.113.1/32 dev lo
nsx "$B" ip -6 addr add 2001:db8:f::1/128 dev lo
tun_name IA a
tun_name IB b
tun_key KA PA
tun_key KB PB
CA=$(tun_conf "$IA" <<CONF
[Interface]
PrivateKey = $KA
Address = 10.77.0.1/24, fd00:77::1/64

[Peer]
PublicKey = $PB
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = 192.0.2.2:51820
CONF
)
CB=$(tun_conf "$IB" <<CONF
[Interface]
PrivateKey = $KB
ListenPort = 51820
Address = 10.77.0.2/24, fd00:77::2/64

[Peer]
PublicKey = $PA
AllowedIPs = 10.77.0.1/32, fd00:77::1/128
CONF
)
et "$B" up "$CB" 2>/dev/null || fail "up B"
et "$A" up "$CA" 2>/dev/null || fail "up A"

[ "$(nsx "$A" wg show "$IA" fwmark)" = "0xca6c" ] || fail "fwmark is not 51820"
nsx "$A" ip route show table 51820 | grep -q "^default dev $IA" || fail "no IPv4 default in 51820"
nsx "$A" ip -6 route show table 51820 | grep -q "^default dev $IA" || fail "no IPv6 default in 51820"
nsx "$A" ip rule | grep -q "not from all fwmark 0xca6c lookup 51820 proto 201" ||
	fail "no fwmark rule"
nsx "$A" ip rule | grep -q "from all lookup main suppress_prefixlength 0 proto 201" ||
	fail "no suppress_prefixlength rule"
nsx "$A" ip -6 rule | grep -q "not from all fwmark 0xca6c lookup 51820" || fail "no IPv6 rule"
[ "$(nsx "$A" cat /proc/sys/net/ipv4/conf/all/src_valid_mark)" = 1 ] ||
	fail "src_valid_mark not set"
nsx "$A" nft list table inet "edgekit_$IA" > "$T_TMP/nft" || fail "no nftables table"
grep -q "iifname != \"$IA\" ip daddr 10.77.0.1 fib saddr type != local drop" "$T_TMP/nft" ||
	fail "no anti-spoofing rule: $(cat "$T_TMP/nft")"
grep -q "iifname != \"$IA\" ip6 daddr fd00:77::1 fib saddr type != local drop" "$T_TMP/nft" ||
	fail "no IPv6 anti-spoofing rule"
grep -q "meta l4proto udp meta mark 0x0000ca6c ct mark set meta mark" "$T_TMP/nft" ||
	fail "no postmangle rule: $(cat "$T_TMP/nft")"
grep -q "meta l4proto udp meta mark set ct mark" "$T_TMP/nft" || fail "no premangle rule"
ok "table 51820, fwmark 0xca6c, the two rules and the nftables rules, as wg-quick"

nsx "$A" ip route get 203.0.113.1 | grep -q "dev $IA" || fail "the internet is not through the tunnel"
nsx "$A" ip route get 192.0.2.2 mark 0xca6c | grep -q "dev up0" ||
	fail "the tunnel's own packets do not leave by the uplink"
wait_for 10 nsx "$A" ping -c 1 -W 1 203.0.113.1 || fail "no IPv4 through the full tunnel"
nsx "$A" ping -6 -c 1 -W 2 2001:db8:f::1 >/dev/null || fail "no IPv6 through the full tunnel"
rx=$(nsx "$A" wg show "$IA" transfer | awk '{print $2}')
[ "$rx" -gt 0 ] || fail "nothing came back through the tunnel"
et "$A" diff "$CA" >/dev/null || fail "diff after up"
ok "all traffic through the tunnel; its own packets still reach the endpoint"

et "$A" down "$CA" >/dev/null || fail "down"
nsx "$A" ip rule | grep -q "proto 201" && fail "down left rules"
nsx "$A" ip route show table 51820 | grep -q . && fail "down left table 51820"
nsx "$A" nft list tables | grep -q "edgekit_$IA" && fail "down left the nftables table"
ok "down removed the rules and table 51820"
