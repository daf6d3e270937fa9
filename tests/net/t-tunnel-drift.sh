#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-tunnel diff: changes made behind its back with ip(8), nft(8) and
# wg(8) are reported (exit 1) and sync puts them right (diff exits 0
# again); objects that are not edge-tunnel's are never reported.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"

ns_make A a
ns_make B b
veth "$A" up0 "$B" up0
nsx "$A" ip addr add 192.0.2.1/24 dev up0
nsx "$B" ip addr add 192.0.2.2/24 dev up0
tun_name IA a
tun_name IB b
tun_key KA PA
tun_key KB PB
tun_key KX PX

CA=$(tun_conf "$IA" <<CONF
[Interface]
PrivateKey = $KA
ListenPort = 51820
Address = 10.77.0.1/24
Rule = from 10.50.0.0/24 table 100 priority 1000
Route = 10.60.0.0/24 via 10.77.0.2 table 100
Masquerade = 10.50.0.0/24 oif $IA
Forward = tcp 8080 to 10.77.0.2:80

[Peer]
PublicKey = $PB
AllowedIPs = 10.77.0.2/32, 10.88.0.0/24
Endpoint = 192.0.2.2:51820
CONF
)
CB=$(tun_conf "$IB" <<CONF
[Interface]
PrivateKey = $KB
ListenPort = 51820
Address = 10.77.0.2/24

[Peer]
PublicKey = $PA
AllowedIPs = 10.77.0.1/32
CONF
)
et "$B" up "$CB" 2>/dev/null || fail "up B"
et "$A" up "$CA" 2>/dev/null || fail "up A"
et "$A" diff "$CA" >/dev/null || fail "diff after up"

# Somebody else's objects: not edge-tunnel's business.
nsx "$A" ip route add 10.61.0.0/24 via 192.0.2.2 table 100 proto static
nsx "$A" ip rule add from 10.51.0.0/24 table 100 priority 1001
nsx "$A" nft add table inet other
et "$A" diff "$CA" >/dev/null || fail "diff reported objects that are not its own"
ok "foreign routes, rules and tables are left alone"

# drift DESCRIPTION EXPECTED-PLAN-LINE command...
drift() {
	local what=$1 want=$2; shift 2
	"$@" || fail "$what: the command failed"
	if et "$A" diff "$CA" > "$T_TMP/plan"; then
		fail "$what: diff saw nothing"
	fi
	grep -q -- "$want" "$T_TMP/plan" ||
		fail "$what: plan lacks \"$want\": $(cat "$T_TMP/plan")"
	et "$A" sync "$CA" || fail "$what: sync"
	et "$A" diff "$CA" > "$T_TMP/plan" ||
		fail "$what: still drifting after sync: $(cat "$T_TMP/plan")"
	ok "$what"
}

drift "route deleted" "+ route 10.88.0.0/24" \
	nsx "$A" ip route del 10.88.0.0/24 dev "$IA"
drift "route in another table deleted" "+ route 10.60.0.0/24 via 10.77.0.2" \
	nsx "$A" ip route del 10.60.0.0/24 table 100
drift "address added" "- address 10.66.0.1/24" \
	nsx "$A" ip addr add 10.66.0.1/24 dev "$IA"
drift "address deleted" "+ address 10.77.0.1/24" \
	nsx "$A" ip addr del 10.77.0.1/24 dev "$IA"
drift "rule deleted" "+ rule -4 from 10.50.0.0/24" \
	nsx "$A" ip rule del priority 1000
drift "MTU changed" "mtu 1420" \
	nsx "$A" ip link set "$IA" mtu 1300
drift "link set down" "up" \
	nsx "$A" ip link set "$IA" down
drift "nft rule added" "~ nftables table inet edgekit_$IA" \
	nsx "$A" nft add rule inet "edgekit_$IA" postrouting counter
drift "nft rule changed" "~ nftables table inet edgekit_$IA" \
	nsx "$A" nft flush chain inet "edgekit_$IA" prerouting
drift "nft table deleted" "+ nftables table inet edgekit_$IA" \
	nsx "$A" nft delete table inet "edgekit_$IA"
drift "allowed IPs changed" "allowed-ips" \
	nsx "$A" wg set "$IA" peer "$PB" allowed-ips 10.77.0.2/32
drift "peer added" "- peer $PX" \
	nsx "$A" wg set "$IA" peer "$PX" allowed-ips 10.79.0.0/24
drift "peer removed" "+ peer $PB" \
	nsx "$A" wg set "$IA" peer "$PB" remove
drift "listen port changed" "listen-port 51820" \
	nsx "$A" wg set "$IA" listen-port 4000
wait_for 10 nsx "$A" ping -c 1 -W 1 10.77.0.2 || fail "no traffic after the repairs"
nsx "$A" ip route show table 100 | grep -q "10.61.0.0/24 .*proto static" ||
	fail "sync removed a foreign route"
nsx "$A" ip rule | grep -q "^1001:" || fail "sync removed a foreign rule"
nsx "$A" nft list tables | grep -q "inet other" || fail "sync removed a foreign table"
ok "the tunnel works after all repairs; foreign objects survived"
