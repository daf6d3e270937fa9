#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-tunnel: a two-node tunnel over wireguard-go.  up brings traffic
# through in both families; up again and diff find nothing to do; show
# hides keys unless asked and derives the public key; strip keeps only the
# wg(8) part; private keys never reach the logs; down removes the link,
# its routes and its state, and wireguard-go goes with it.
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
tun_key KC PC

CA=$(tun_conf "$IA" <<CONF
# node A
[Interface]
PrivateKey = $KA
ListenPort = 51820
Address = 10.77.0.1/24, fd00:77::1/64

[Peer]
PublicKey = $PB
AllowedIPs = 10.77.0.2/32, fd00:77::2/128, 10.88.0.0/24
Endpoint = 192.0.2.2:51820
PersistentKeepalive = 25

[Peer]
# not running: a second peer only for show
PublicKey = $PC
AllowedIPs = 10.77.0.3/32
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
Endpoint = 192.0.2.1:51820
CONF
)

et "$B" up "$CB" 2>/dev/null || fail "up B"
et "$A" -vv up "$CA" 2>"$T_TMP/up-a.log" || { cat "$T_TMP/up-a.log"; fail "up A"; }
grep -q -- "$KA" "$T_TMP/up-a.log" && fail "the private key reached the log"
wait_for 10 nsx "$A" ping -c 1 -W 1 10.77.0.2 || fail "no IPv4 through the tunnel"
nsx "$B" ping -c 1 -W 2 fd00:77::1 >/dev/null || fail "no IPv6 through the tunnel"
ok "traffic both ways, both families"

# What up made: MTU as wg-quick computes it (1500 - 80), the route for
# 10.88.0.0/24 with protocol 201, addresses with the same mark.
nsx "$A" ip link show "$IA" | grep -q "mtu 1420" || fail "MTU is not 1420"
nsx "$A" ip route show proto 201 | grep -q "^10.88.0.0/24 dev $IA" ||
	fail "no route for 10.88.0.0/24"
nsx "$A" ip -4 addr show dev "$IA" | grep -q "10.77.0.1/24" || fail "no address"
nsx "$A" wg show "$IA" peers | grep -q "$PC" || fail "wg(8) does not see peer C"
ok "link, MTU, addresses and routes"

et "$A" diff "$CA" > "$T_TMP/diff" || { cat "$T_TMP/diff"; fail "diff after up"; }
[ -s "$T_TMP/diff" ] && fail "diff printed a plan: $(cat "$T_TMP/diff")"
et "$A" up "$CA" 2>/dev/null || fail "up again failed"
et "$A" -n sync "$CA" > "$T_TMP/plan" || fail "sync -n"
[ -s "$T_TMP/plan" ] && fail "a second up left work: $(cat "$T_TMP/plan")"
ok "up is idempotent; diff is clean"

et "$A" show "$IA" > "$T_TMP/show" || fail "show"
grep -q "public key: $PA" "$T_TMP/show" || fail "show: public key not derived"
grep -q "private key: (hidden)" "$T_TMP/show" || fail "show: private key not hidden"
grep -q -- "$KA" "$T_TMP/show" && fail "show printed the private key"
et "$A" show -s "$IA" > "$T_TMP/dump"
awk -F'\t' '$1 == "interface" { if (NF != 8 || $3 != pub || $4 != "(hidden)") exit 1; i++ }
    $1 == "peer" { if (NF != 10) exit 1; p++ }
    END { exit !(i == 1 && p == 2) }' pub="$PA" "$T_TMP/dump" ||
	{ cat "$T_TMP/dump"; fail "show -s columns"; }
et "$A" show -s -k "$IA" | grep -q -- "$KA" || fail "show -k does not show the key"
ok "show and show -s"

et "$A" strip "$CA" > "$T_TMP/strip"
grep -qi "^Address" "$T_TMP/strip" && fail "strip kept Address"
grep -q "^PrivateKey = $KA" "$T_TMP/strip" || fail "strip lost PrivateKey"
nsx "$A" wg syncconf "$IA" "$T_TMP/strip" || fail "wg(8) refuses strip's output"
et "$A" diff "$CA" >/dev/null || fail "strip's output differs from the tunnel"
ok "strip"

et "$A" down "$CA" >/dev/null || fail "down"
nsx "$A" ip link show "$IA" >/dev/null 2>&1 && fail "link still there"
[ -n "$(nsx "$A" ip route show table all proto 201)" ] && fail "routes left"
[ -e "/run/edgekit/tunnel-$IA.state" ] && fail "state file left"
wait_for 5 test ! -e "/var/run/wireguard/$IA.sock" || fail "wireguard-go still running"
et "$A" down "$CA" 2>/dev/null && fail "down of a tunnel that is down succeeded"
ok "down removed everything"
