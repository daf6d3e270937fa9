#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-tunnel sync: changing a peer's AllowedIPs (and adding a route, a
# rule and a masquerade) while a TCP stream runs through the tunnel keeps
# the stream and the WireGuard session alive; a sync with nothing changed
# makes no kernel change at all (ip monitor and nft monitor stay silent).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"
command -v socat >/dev/null || skip "no socat"

ns_make A a
ns_make B b
veth "$A" up0 "$B" up0
nsx "$A" ip addr add 192.0.2.1/24 dev up0
nsx "$B" ip addr add 192.0.2.2/24 dev up0
tun_name IA a
tun_name IB b
tun_key KA PA
tun_key KB PB

conf_a() {
	tun_conf "$IA" <<CONF
[Interface]
PrivateKey = $KA
ListenPort = 51820
Address = 10.77.0.1/24
$1

[Peer]
PublicKey = $PB
AllowedIPs = 10.77.0.2/32$2
Endpoint = 192.0.2.2:51820
CONF
}
CA=$(conf_a "" "")
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
wait_for 10 nsx "$A" ping -c 1 -W 1 10.77.0.2 || fail "no traffic"

# A stream of numbered lines from A to B, one every 20 ms, on one
# connection: if the connection breaks, the sender exits.
bg RECV "$B" socat -u TCP-LISTEN:5000,reuseaddr OPEN:"$T_TMP/recv",creat,append
listening() { nsx "$B" ss -Hltn 'sport = :5000' | grep -q 5000; }
wait_for 5 listening || fail "socat did not listen"
# socat is the process recorded (exec), so killing it ends the stream;
# the counting loop then dies of SIGPIPE instead of living on.
bg SEND "$A" bash -c 'exec socat -u - TCP:10.77.0.2:5000 < <(i=0;
    while :; do echo $i; i=$((i+1)); sleep 0.02; done)'
wait_for 5 test -s "$T_TMP/recv" || fail "the stream did not start"
hs_before=$(nsx "$A" wg show "$IA" latest-handshakes | awk '{print $2}')

CA=$(conf_a "Route = 10.99.0.0/24 via 10.77.0.2 table 100
Rule = from 10.77.0.0/24 to 10.99.0.0/24 table 100
Masquerade = 10.50.0.0/24 oif up0" ", 10.98.0.0/24")
et "$A" diff "$CA" > "$T_TMP/plan" && fail "diff saw no change"
grep -q "allowed-ips" "$T_TMP/plan" || fail "the plan misses allowed-ips"
grep -q "^- peer\|^+ peer" "$T_TMP/plan" && fail "the plan replaces the peer"
et "$A" sync "$CA" || fail "sync"
n1=$(wc -l < "$T_TMP/recv")
sleep 1
n2=$(wc -l < "$T_TMP/recv")
kill -0 "$SEND" 2>/dev/null || fail "the TCP stream died"
[ "$n2" -gt "$n1" ] || fail "the stream stopped ($n1 -> $n2 lines)"
awk 'NR - 1 != $1 { exit 1 }' "$T_TMP/recv" || fail "the stream lost lines"
hs_after=$(nsx "$A" wg show "$IA" latest-handshakes | awk '{print $2}')
[ "$hs_before" = "$hs_after" ] || fail "sync made a new handshake"
nsx "$A" wg show "$IA" allowed-ips | grep -q 10.98.0.0/24 || fail "allowed IPs not set"
nsx "$A" ip route show proto 201 | grep -q "^10.98.0.0/24 dev $IA" || fail "no route"
nsx "$A" ip route show table 100 proto 201 | grep -q "10.99.0.0/24 via 10.77.0.2" ||
	fail "no Route in table 100"
nsx "$A" ip rule | grep -q "from 10.77.0.0/24 to 10.99.0.0/24 lookup 100 proto 201" ||
	fail "no Rule"
nsx "$A" nft list table inet "edgekit_$IA" | grep -q masquerade || fail "no NAT table"
et "$A" diff "$CA" >/dev/null || fail "diff after sync"
ok "sync changed allowed IPs, routes, rules and NAT; the stream ($n2 lines) lived on"

# Nothing changed: not one netlink or nftables event.  (ip netns exec
# runs the monitors in place, so $! is the monitor itself.)  The kernel's
# own IPv6 link-local addresses on the veths must have settled first (made
# and through DAD), or their events are counted.
settled() {
	local n
	for n in "$A" "$B"; do
		nsx "$n" ip -6 addr show dev up0 scope link | grep -q inet6 || return 1
		[ -z "$(nsx "$n" ip -6 addr show tentative)" ] || return 1
	done
}
wait_for 10 settled || fail "IPv6 link-local addresses did not settle"
ip netns exec "$A" ip monitor link address route rule > "$T_TMP/mon" 2>&1 &
MON=$!
T_PIDS+=("$MON")
ip netns exec "$A" nft monitor > "$T_TMP/nmon" 2>&1 &
NMON=$!
T_PIDS+=("$NMON")
sleep 0.3
et "$A" sync "$CA" || fail "second sync"
et "$A" up "$CA" 2>/dev/null || fail "up on a running tunnel"
sleep 0.3
kill "$MON" "$NMON"
[ -s "$T_TMP/mon" ] && fail "a no-op sync changed the kernel: $(cat "$T_TMP/mon")"
[ -s "$T_TMP/nmon" ] && fail "a no-op sync changed nftables: $(cat "$T_TMP/nmon")"
# The canary: the monitors do see a real change.
ip netns exec "$A" ip monitor route > "$T_TMP/mon" 2>&1 &
MON3=$!
T_PIDS+=("$MON3")
sleep 0.3
nsx "$A" ip route add 10.97.0.0/24 dev "$IA"
sleep 0.3
kill "$MON3"
grep -q 10.97.0.0 "$T_TMP/mon" || fail "ip monitor saw nothing at all"
ok "sync with nothing to do made zero kernel changes"
