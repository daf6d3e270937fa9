#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Layout 2: a routed subnet behind a NATed host leaves through the tunnel
# by its own routing table, while the host keeps its own default route;
# the far end masquerades the subnet.  The tunnel's MTU is 1380: a
# 1380-byte packet with DF passes, one byte more is refused.
#
#   lan 10.10.0.2 --- gw ==wg(1380)== far --- dst 203.0.113.20
#                     \-- isp --------/
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"

for n in lan gw isp far dst; do ns_make "${n^^}" "$n"; done
veth "$LAN" l0 "$GW" g0
veth "$GW" g1 "$ISP" i0
veth "$ISP" i1 "$FAR" f0
veth "$FAR" f1 "$DST" d0
nsx "$LAN" ip addr add 10.10.0.2/24 dev l0
nsx "$LAN" ip route add default via 10.10.0.1
nsx "$GW" ip addr add 10.10.0.1/24 dev g0
nsx "$GW" ip addr add 192.0.2.2/24 dev g1
nsx "$GW" ip route add default via 192.0.2.1
nsx "$ISP" ip addr add 192.0.2.1/24 dev i0
nsx "$ISP" ip addr add 198.51.100.1/24 dev i1
nsx "$FAR" ip addr add 198.51.100.2/24 dev f0
nsx "$FAR" ip route add default via 198.51.100.1
nsx "$FAR" ip addr add 203.0.113.1/24 dev f1
# dst knows only its own subnet: it can answer the far end's address,
# not the lan's.
nsx "$DST" ip addr add 203.0.113.20/24 dev d0
for n in "$GW" "$ISP" "$FAR"; do nsx "$n" sysctl -qw net.ipv4.ip_forward=1; done

tun_name IG g
tun_name IF f
tun_key KG PG
tun_key KF PF
CG=$(tun_conf "$IG" <<CONF
[Interface]
PrivateKey = $KG
Address = 10.66.0.2/24
MTU = 1380
Rule = from 10.10.0.0/24 table 100 priority 100

[Peer]
PublicKey = $PF
AllowedIPs = 0.0.0.0/0
Table = 100
Endpoint = 198.51.100.2:51820
CONF
)
CF=$(tun_conf "$IF" <<CONF
[Interface]
PrivateKey = $KF
ListenPort = 51820
Address = 10.66.0.1/24
MTU = 1380
Masquerade = 10.10.0.0/24 oif f1

[Peer]
PublicKey = $PG
AllowedIPs = 10.66.0.2/32, 10.10.0.0/24
CONF
)
et "$FAR" up "$CF" 2>/dev/null || fail "up at the far end"
et "$GW" up "$CG" 2>/dev/null || fail "up on the gateway"

wait_for 10 nsx "$LAN" ping -c 1 -W 1 203.0.113.20 ||
	fail "the subnet cannot reach dst through the tunnel"
nsx "$GW" ip route get 203.0.113.20 | grep -q "via 192.0.2.1 dev g1" ||
	fail "the gateway's own traffic does not keep its default route"
nsx "$GW" ip route get 203.0.113.20 from 10.10.0.2 iif g0 | grep -q "dev $IG" ||
	fail "the subnet does not take the tunnel"
nsx "$FAR" nft list table inet "edgekit_$IF" | grep -q 'oifname "f1" masquerade' ||
	fail "no masquerade rule at the far end"
ok "the subnet leaves by table 100 and is masqueraded; the gateway keeps its route"

nsx "$GW" ip link show "$IG" | grep -q "mtu 1380" || fail "tunnel MTU is not 1380"
nsx "$LAN" ping -c 1 -W 2 -M do -s 1352 203.0.113.20 >/dev/null ||
	fail "a 1380-byte packet does not pass"
nsx "$LAN" ping -c 1 -W 2 -M do -s 1353 203.0.113.20 >/dev/null 2>&1 &&
	fail "a 1381-byte packet passed a 1380 MTU"
ok "inner MTU 1380: 1380 bytes pass, 1381 do not"

et "$GW" diff "$CG" >/dev/null || fail "gateway drifted"
et "$FAR" diff "$CF" >/dev/null || fail "far end drifted"
et "$FAR" down "$CF" >/dev/null || fail "down"
nsx "$FAR" nft list tables | grep -q "edgekit_$IF" && fail "down left the NAT table"
ok "diff clean; down removes the NAT table"
