#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Scenario "routed subnet behind NAT": a host behind a NAT router (no
# public address, PersistentKeepalive = 30) routes its service subnet out
# through the tunnel by a routing table of its own, while its own traffic
# keeps its default route through the NAT; the far end (a VPS) masquerades
# the subnet.  The tunnel's MTU is 1380 and full-size packets pass: a
# 1380-byte ping with DF, and TCP transfers both ways (path MTU discovery
# through the tunnel and the masquerade).
#
#   svc 10.10.0.2 -- host ==wg(1380)============ vps 203.0.113.10 (masquerade)
#                     | 192.168.1.2                 |
#                    nat 198.51.100.2 --- inet ------+--- dst 192.0.2.20
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
sc_need edge-tunnel

for n in svc host nat inet vps dst; do ns_make "${n^^}" "$n"; done
veth "$SVC" eth0 "$HOST" s0
veth "$HOST" wan0 "$NAT" lan0
veth "$NAT" wan0 "$INET" e-nat
veth "$INET" e-vps "$VPS" wan0
veth "$INET" e-dst "$DST" eth0
nsx "$SVC" ip addr add 10.10.0.2/24 dev eth0
nsx "$SVC" ip route add default via 10.10.0.1
nsx "$HOST" ip addr add 10.10.0.1/24 dev s0
nsx "$HOST" ip addr add 192.168.1.2/24 dev wan0
nsx "$HOST" ip route add default via 192.168.1.1
nsx "$NAT" ip addr add 192.168.1.1/24 dev lan0
nsx "$NAT" ip addr add 198.51.100.2/24 dev wan0
nsx "$NAT" ip route add default via 198.51.100.1
nsx "$INET" ip addr add 198.51.100.1/24 dev e-nat
nsx "$INET" ip addr add 203.0.113.1/26 dev e-vps
nsx "$INET" ip addr add 192.0.2.1/26 dev e-dst
nsx "$VPS" ip addr add 203.0.113.10/26 dev wan0
nsx "$VPS" ip route add default via 203.0.113.1
nsx "$DST" ip addr add 192.0.2.20/26 dev eth0
nsx "$DST" ip route add default via 192.0.2.1
for n in "$HOST" "$NAT" "$INET" "$VPS"; do nsx "$n" sysctl -qw net.ipv4.ip_forward=1; done
nsx "$NAT" nft add table ip nat
nsx "$NAT" nft add chain ip nat post '{ type nat hook postrouting priority srcnat; }'
nsx "$NAT" nft add rule ip nat post oifname wan0 masquerade

sc_tun_name IH h
sc_tun_name IV v
KH=$(wg genkey); KV=$(wg genkey)
CH=$(sc_conf "$IH" <<CONF
# The host behind NAT: only its service subnet leaves through the tunnel.
[Interface]
PrivateKey = $KH
Address = 10.66.0.2/24
MTU = 1380
Rule = from 10.10.0.0/24 iif s0 table 100 priority 100

[Peer]
PublicKey = $(echo "$KV" | wg pubkey)
AllowedIPs = 0.0.0.0/0
Table = 100
Endpoint = 203.0.113.10:51820
PersistentKeepalive = 30
CONF
)
CV=$(sc_conf "$IV" <<CONF
# The VPS: no endpoint for the host, which it learns from its packets.
[Interface]
PrivateKey = $KV
ListenPort = 51820
Address = 10.66.0.1/24
MTU = 1380
Masquerade = 10.10.0.0/24 oif wan0

[Peer]
PublicKey = $(echo "$KH" | wg pubkey)
AllowedIPs = 10.66.0.2/32, 10.10.0.0/24
CONF
)
sc_tunnel "$VPS" "$CV"
sc_tunnel "$HOST" "$CH"

# dst answers every TCP connection on 7 with the address it sees.
bg WHO "$DST" socat TCP-LISTEN:7,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR'
sc_wait 5 nsx "$DST" bash -c 'exec 3<>/dev/tcp/192.0.2.20/7' || fail "socat on dst"

sc_wait 10 nsx "$SVC" ping -c 1 -W 1 192.0.2.20 ||
	fail "the service subnet cannot reach dst through the tunnel"
seen=$(nsx "$SVC" timeout 5 socat -u TCP:192.0.2.20:7 -)
[ "$seen" = 203.0.113.10 ] || fail "dst saw the subnet's traffic from '$seen', not the VPS (203.0.113.10)"
seen=$(nsx "$HOST" timeout 5 socat -u TCP:192.0.2.20:7 -)
[ "$seen" = 198.51.100.2 ] || fail "dst saw the host's own traffic from '$seen', not its NAT (198.51.100.2)"
nsx "$HOST" ip route get 192.0.2.20 | grep -q "via 192.168.1.1 dev wan0" ||
	fail "the host's own default route changed: $(nsx "$HOST" ip route get 192.0.2.20)"
nsx "$HOST" ip route get 192.0.2.20 from 10.10.0.2 iif s0 | grep -q "dev $IH table 100" ||
	fail "the subnet does not leave by table 100"
ok "subnet -> dst via the tunnel, seen as 203.0.113.10 (masquerade); the host's own traffic via its NAT, seen as 198.51.100.2"

# Behind NAT: the VPS learned the NAT's address and reaches the subnet
# through the mapping the keepalive holds open.
ep=$(nsx "$VPS" wg show "$IV" endpoints | awk '{print $2}')
case $ep in 198.51.100.2:*) ;; *) fail "the VPS's endpoint for the host is '$ep', not the NAT's address" ;; esac
ka=$(nsx "$HOST" wg show "$IH" persistent-keepalive | awk '{print $2}')
[ "$ka" = 30 ] || fail "keepalive is '$ka', not 30"
nsx "$VPS" ping -c 1 -W 2 10.10.0.2 >/dev/null ||
	fail "the VPS cannot reach the subnet behind the NAT"
ok "the VPS learned the host at $ep (the NAT), keepalive 30 s, and reaches 10.10.0.2 inbound"

# MTU 1380 inside: 1352 + 28 = 1380 bytes with DF pass, one more does not.
nsx "$HOST" ip link show "$IH" | grep -q "mtu 1380" || fail "the tunnel's MTU is not 1380"
nsx "$VPS" ip link show "$IV" | grep -q "mtu 1380" || fail "the VPS's tunnel MTU is not 1380"
nsx "$SVC" ping -c 2 -i 0.2 -W 2 -M do -s 1352 192.0.2.20 >/dev/null ||
	fail "a full 1380-byte packet with DF does not pass"
nsx "$SVC" ping -c 1 -W 1 -M do -s 1353 192.0.2.20 >/dev/null 2>&1 &&
	fail "a 1381-byte packet with DF passed a 1380-byte tunnel"
ok "ping -M do -s 1352 passes the 1380-byte tunnel, -s 1353 does not"

# TCP both ways with full-size segments (MSS 1460 on both ends: path MTU
# discovery has to work through the tunnel and both NATs).
head -c 4000000 /dev/urandom > "$T_TMP/big"
sum=$(sha256sum < "$T_TMP/big")
bg DL "$DST" socat -u OPEN:"$T_TMP/big" TCP-LISTEN:9000,reuseaddr
bg UL "$DST" socat -u TCP-LISTEN:9001,reuseaddr CREATE:"$T_TMP/up"
sc_wait 5 nsx "$DST" bash -c 'ss -ltn | grep -q ":9001 "' || fail "socat listeners"
t0=$(sc_ms)
nsx "$SVC" timeout 20 socat -u TCP:192.0.2.20:9000 CREATE:"$T_TMP/down" ||
	fail "download through the tunnel failed"
[ "$(sha256sum < "$T_TMP/down")" = "$sum" ] || fail "the download arrived damaged"
nsx "$SVC" timeout 20 socat -u OPEN:"$T_TMP/big" TCP:192.0.2.20:9001 ||
	fail "upload through the tunnel failed"
upsize() { [ "$(stat -c %s "$T_TMP/up" 2>/dev/null)" = 4000000 ]; }
sc_wait 10 upsize ||
	fail "upload incomplete: $(stat -c %s "$T_TMP/up" 2>/dev/null) of 4000000 bytes arrived"
[ "$(sha256sum < "$T_TMP/up")" = "$sum" ] || fail "the upload arrived damaged"
ok "4 MB down and up through the 1380-byte tunnel, intact, in $(sc_elapsed "$t0") ms"

for e in "$HOST $CH" "$VPS $CV"; do
	set -- $e
	nsx "$1" "$BIN/edge-tunnel" diff "$2" > "$T_TMP/plan" ||
		fail "edge-tunnel diff: $(cat "$T_TMP/plan")"
done
ok "both ends in step with their files"
