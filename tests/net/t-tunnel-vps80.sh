#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Layout 1: a VPS routes a public IPv6 /80 down the tunnel to a home
# router; the servers' replies go back through the tunnel by a policy
# rule and the home router's own table, while the home router's default
# route points elsewhere (to an ISP that cannot reach the client).
#
#   client 2001:db8:c::10 --- vps ==wg== home --- srv 2001:db8:1:0:1::11
#                                          \--- isp (home's default route)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"

ns_make CLIENT client
ns_make VPS vps
ns_make HOMER home
ns_make SRV srv
ns_make ISP isp
veth "$CLIENT" c0 "$VPS" v0
veth "$VPS" v1 "$HOMER" h0
veth "$HOMER" h1 "$SRV" s0
veth "$HOMER" h2 "$ISP" i0
nsx "$CLIENT" ip addr add 2001:db8:c::10/64 dev c0 nodad
nsx "$CLIENT" ip route add default via 2001:db8:c::1
nsx "$VPS" ip addr add 2001:db8:c::1/64 dev v0 nodad
nsx "$VPS" ip addr add 198.51.100.1/26 dev v1
nsx "$HOMER" ip addr add 198.51.100.2/26 dev h0
nsx "$HOMER" ip addr add 2001:db8:1:0:1::1/80 dev h1 nodad
nsx "$HOMER" ip addr add 2001:db8:e::2/64 dev h2 nodad
nsx "$HOMER" ip route add default via 2001:db8:e::1
nsx "$ISP" ip addr add 2001:db8:e::1/64 dev i0 nodad
nsx "$SRV" ip addr add 2001:db8:1:0:1::11/80 dev s0 nodad
nsx "$SRV" ip route add default via 2001:db8:1:0:1::1
for n in "$VPS" "$HOMER"; do nsx "$n" sysctl -qw net.ipv6.conf.all.forwarding=1; done

tun_name IV v
tun_name IH h
tun_key KV PV
tun_key KH PH
CV=$(tun_conf "$IV" <<CONF
# The VPS: the home /80 is routed down the tunnel (main table).
[Interface]
PrivateKey = $KV
ListenPort = 51820
Address = fd00:1::1/64

[Peer]
PublicKey = $PH
AllowedIPs = fd00:1::2/128, 2001:db8:1:0:1::/80
CONF
)
CH=$(tun_conf "$IH" <<CONF
# Home: everything from the /80 goes back through the tunnel by its own
# table; the home router's own default route is untouched.
[Interface]
PrivateKey = $KH
Address = fd00:1::2/64
Rule = from 2001:db8:1:0:1::/80 table 200 priority 100
Rule = fwmark 0x200 table 200 priority 101

[Peer]
PublicKey = $PV
AllowedIPs = ::/0
Table = 200
Endpoint = 198.51.100.1:51820
PersistentKeepalive = 25
CONF
)
et "$VPS" up "$CV" 2>/dev/null || fail "up on the VPS"
et "$HOMER" up "$CH" 2>/dev/null || fail "up at home"

nsx "$HOMER" ip -6 route show default | grep -q "via 2001:db8:e::1" ||
	fail "home's own default route changed"
nsx "$HOMER" ip -6 route show table 200 | grep -q "default dev $IH" ||
	fail "no default route in table 200"
wait_for 10 nsx "$CLIENT" ping -6 -c 1 -W 1 2001:db8:1:0:1::11 ||
	fail "the client cannot reach the server in the /80"
nsx "$HOMER" ip -6 route get 2001:db8:c::10 from 2001:db8:1:0:1::11 iif h1 |
	grep -q "dev $IH" || fail "replies do not take the tunnel"
nsx "$HOMER" ip -6 route get 2001:db8:c::10 | grep -q "dev h2" ||
	fail "home's own traffic does not take its default route"
ok "the /80 is reachable through the VPS; replies are policy-routed back"

# Without the rule the replies leave by the ISP and are lost: the rule is
# what makes it work, and diff notices it is gone.
nsx "$HOMER" ip -6 rule del priority 100
nsx "$CLIENT" ping -6 -c 1 -W 1 2001:db8:1:0:1::11 >/dev/null &&
	fail "ping works without the policy rule"
et "$HOMER" diff "$CH" >/dev/null && fail "diff missed the lost rule"
et "$HOMER" sync "$CH" || fail "sync"
nsx "$CLIENT" ping -6 -c 1 -W 1 2001:db8:1:0:1::11 >/dev/null ||
	fail "sync did not bring the rule back"
et "$VPS" diff "$CV" >/dev/null || fail "VPS drifted"
ok "the policy rule carries the replies; diff and sync restore it"
