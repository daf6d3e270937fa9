#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Forward on two endpoint nodes to the same home VM, replies back through
# the node each client used (ReturnMark), the client's own address kept:
#
#   client =198.51.100.0/30= node1 =192.0.2.0/30== home -- vm 10.0.0.11:22
#          =198.51.100.4/30= node2 =192.0.2.4/30==/
#
# Each node maps its TCP port 2222 to the VM (Forward, DNAT only) and routes
# 10.0.0.0/24 into its tunnel.  The home has one tunnel per node (Table =
# off, AllowedIPs 0.0.0.0/0) and its default route via node 1's underlay;
# ReturnMark = N on each tunnel marks connections that come in through it
# (ct mark) and routes their replies back through it (fwmark N, table N).
# Without it, connections through node 2 fail (their replies leave by the
# default route); with it, each client's connection through either node is
# answered, and the VM sees the client's own address.  Strict rp_filter on
# the home is made loose on the tunnels.  diff is clean; nft by hand is
# drift; down removes the rules, routes and table.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"
command -v socat >/dev/null || skip "no socat"

ns_make C c
ns_make N1 n1
ns_make N2 n2
ns_make H h
ns_make V v
veth "$C" c1 "$N1" up0
veth "$C" c2 "$N2" up0
veth "$N1" dn0 "$H" wan1
veth "$N2" dn0 "$H" wan2
veth "$H" lan0 "$V" eth0
nsx "$C" ip addr add 198.51.100.2/30 dev c1
nsx "$C" ip addr add 198.51.100.6/30 dev c2
nsx "$N1" ip addr add 198.51.100.1/30 dev up0
nsx "$N2" ip addr add 198.51.100.5/30 dev up0
nsx "$N1" ip addr add 192.0.2.1/30 dev dn0
nsx "$N2" ip addr add 192.0.2.5/30 dev dn0
nsx "$H" ip addr add 192.0.2.2/30 dev wan1
nsx "$H" ip addr add 192.0.2.6/30 dev wan2
nsx "$H" ip route add default via 192.0.2.1
nsx "$H" ip addr add 10.0.0.1/24 dev lan0
nsx "$V" ip addr add 10.0.0.11/24 dev eth0
nsx "$V" ip route add default via 10.0.0.1
for n in "$N1" "$N2" "$H"; do nsx "$n" sysctl -qw net.ipv4.ip_forward=1; done
bg VM "$V" socat TCP-LISTEN:22,reuseaddr,fork SYSTEM:'echo "vm sees \$SOCAT_PEERADDR"'

declare -a IN IH CN CH
for k in 1 2; do
	tun_name "IN[$k]" "n$k"
	tun_name "IH[$k]" "h$k"
	tun_key kn pn
	tun_key kh ph
	CN[$k]=$(tun_conf "${IN[$k]}" <<-CONF
	# endpoint node $k: port 2222 to the VM at home
	[Interface]
	PrivateKey = $kn
	ListenPort = 51820
	Address = 10.99.$k.1/30
	Forward = tcp 2222 to 10.0.0.11:22

	[Peer]
	PublicKey = $ph
	AllowedIPs = 10.99.$k.2/32, 10.0.0.0/24
	CONF
	)
	CH[$k]=$(tun_conf "${IH[$k]}" <<-CONF
	# home's tunnel to node $k: what comes in through it goes back through it
	[Interface]
	PrivateKey = $kh
	Address = 10.99.$k.2/30
	Table = off
	ReturnMark = 10$k

	[Peer]
	PublicKey = $pn
	AllowedIPs = 0.0.0.0/0
	Endpoint = 192.0.2.$((k == 1 ? 1 : 5)):51820
	PersistentKeepalive = 1
	CONF
	)
	et "$(eval echo "\$N$k")" up "${CN[$k]}" 2>/dev/null || fail "up node $k"
done
N=("" "$N1" "$N2")
NODE4=("" 198.51.100.1 198.51.100.5)
CLIENT4=("" 198.51.100.2 198.51.100.6)
ask() { nsx "$C" timeout 3 socat -T 2 - "TCP:${NODE4[$1]}:2222" 2>/dev/null; }

# First without ReturnMark: node 2's clients get no answer.
for k in 1 2; do
	sed '/^ReturnMark/d' "${CH[$k]}" > "$T_TMP/plain$k.conf"
	chmod 600 "$T_TMP/plain$k.conf"
	cp -p "$T_TMP/plain$k.conf" "$T_TMP/p/${IH[$k]}.conf" 2>/dev/null ||
	    { mkdir -p "$T_TMP/p"; cp -p "$T_TMP/plain$k.conf" "$T_TMP/p/${IH[$k]}.conf"; }
	et "$H" up "$T_TMP/p/${IH[$k]}.conf" 2>/dev/null || fail "up home $k"
done
for k in 1 2; do
	wait_for 5 nsx "$H" ping -c 1 -W 1 10.99.$k.1 || fail "tunnel $k carries no traffic"
done
[ "$(ask 1)" = "vm sees ${CLIENT4[1]}" ] || fail "through node 1 without ReturnMark: $(ask 1)"
[ -z "$(ask 2)" ] || fail "through node 2 answered without ReturnMark (the default route is via node 1)"
ok "without ReturnMark: node 1 works (asymmetrically, by the home's default route), node 2 gets no replies"

# A home with strict reverse-path filtering from here on.
nsx "$H" sysctl -qw net.ipv4.conf.all.rp_filter=1

for k in 1 2; do
	et "$H" -n sync "${CH[$k]}" > "$T_TMP/plan" || fail "sync -n $k"
	grep -q "^+ route 0.0.0.0/0 via - dev ${IH[$k]} table 10$k" "$T_TMP/plan" &&
	    grep -q "^+ rule -4 from all to all fwmark $(printf 0x%x $((100 + k)))/0xffffffff table 10$k" "$T_TMP/plan" &&
	    grep -q "replies marked back into the tunnel" "$T_TMP/plan" &&
	    grep -q "^~ sysctl net.ipv4.conf.${IH[$k]}.rp_filter=2" "$T_TMP/plan" ||
		fail "plan for ReturnMark on tunnel $k: $(cat "$T_TMP/plan")"
	et "$H" sync "${CH[$k]}" || fail "sync home $k"
	[ "$(nsx "$H" sysctl -n "net.ipv4.conf.${IH[$k]}.rp_filter")" = 2 ] || fail "rp_filter on ${IH[$k]}"
	et "$H" diff "${CH[$k]}" > "$T_TMP/plan" || fail "diff after sync $k: $(cat "$T_TMP/plan")"
done
ok "ReturnMark: route, rule, nftables marks and loose rp_filter planned, made, diff clean"

for k in 1 2; do
	out=$(ask "$k")
	[ "$out" = "vm sees ${CLIENT4[$k]}" ] || fail "through node $k: \"$out\", want \"vm sees ${CLIENT4[$k]}\""
done
# Both at once, several times: each connection answered through its node.
for i in 1 2 3; do
	ask 1 > "$T_TMP/a1" & p1=$!
	ask 2 > "$T_TMP/a2" & p2=$!
	wait "$p1" "$p2"
	[ "$(cat "$T_TMP/a1")" = "vm sees ${CLIENT4[1]}" ] &&
	    [ "$(cat "$T_TMP/a2")" = "vm sees ${CLIENT4[2]}" ] ||
		fail "round $i: node 1 said \"$(cat "$T_TMP/a1")\", node 2 \"$(cat "$T_TMP/a2")\""
done
marks=$(nsx "$H" conntrack -L -p tcp --dport 22 2>/dev/null | grep -o 'mark=10[12]' | sort -u | tr '\n' ' ')
ok "each client is answered through the node it used, with its own address kept${marks:+ (conntrack: $marks)}"

# Drift: the mark rule removed by hand.
nsx "$H" nft flush chain inet "edgekit_${IH[2]}" premangle || fail "nft flush"
et "$H" diff "${CH[2]}" > "$T_TMP/plan" && fail "diff missed the flushed chain"
grep -q "~ nftables table inet edgekit_${IH[2]}" "$T_TMP/plan" || fail "plan: $(cat "$T_TMP/plan")"
et "$H" sync "${CH[2]}" || fail "sync after nft"
[ "$(ask 2)" = "vm sees ${CLIENT4[2]}" ] || fail "node 2 after sync"
ok "the mark rules flushed by hand: diff reports it, sync restores the return path"

for k in 1 2; do
	et "$H" down "${CH[$k]}" || fail "down $k"
	nsx "$H" ip rule | grep -q "lookup 10$k" && fail "down left the rule for $k"
	nsx "$H" ip route show table 10$k 2>/dev/null | grep -q . && fail "down left table 10$k"
	nsx "$H" nft list table inet "edgekit_${IH[$k]}" >/dev/null 2>&1 && fail "down left the nft table"
done
ok "down removes the rules, the tables and the nftables table"
