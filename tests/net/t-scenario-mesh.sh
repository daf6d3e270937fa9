#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Scenario "a private internet": four sites joined by WireGuard in an
# incomplete mesh (A, B, C public; D roaming behind NAT with no endpoint
# of its own: A and B only learn where it is from its packets; C and D
# have no link), with a VXLAN wire over WireGuard for each link, the wires
# joined in an STP bridge per site (edge-tunnel [Wire] and [Bridge],
# ForwardDelay 2 s, MaxAge 6 s).  The two loops (A-B-C, A-B-D) are
# blocked, every site reaches every other on the bridges (C reaches D
# through A or B); D roaming to another NAT keeps it reachable; when the
# path behind D's forwarding wire then dies silently (WireGuard between
# nat2 and the far site dropped on the switch, every link up) the mesh
# reconverges through D's other wire, and when the path comes back the
# loop is blocked again.
#
# A silent cut is noticed when the BPDUs it held back age out: MaxAge
# (less up to a hello time: the last BPDU came before the cut), then the
# port taking over listens and learns for 2 x ForwardDelay: the test asks
# for no less than MaxAge - HelloTime + 2 x ForwardDelay (less 1.5 s of
# timer slack; a cut seen by carrier can take just 2 x ForwardDelay), and
# allows MaxAge + 2 x ForwardDelay and 20 s more for bridge entries that
# still point at the dead wire and for a busy machine: 30 s.  That the
# bridges run with the file's MaxAge and ForwardDelay (not the kernel's
# 20 s and 15 s) is read from the kernel before the cut.
#
#        A ---- B          A, B, C: 192.0.2.1-3 on one switch
#        | \  / |          D: behind nat1 (192.0.2.101), later nat2 (.102)
#        |  C   |
#        D------+ (D-A, D-B)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
sc_need edge-tunnel

# STP timers, seconds: the [Bridge] keys, and the kernel's hello time
# (edge-tunnel has no HelloTime key).
FD=2 MAXAGE=6 HELLO=2
BOUND=$(( MAXAGE + 2 * FD + 20 ))

ns_make SW sw
nsx "$SW" ip link add br0 type bridge
nsx "$SW" ip link set br0 up
declare -A NS IF K P
n=0
for s in A B C D; do
	n=$((n + 1))
	ns_make "NS[$s]" "site$s"
	sc_tun_name "IF[$s]" "m$s"
	K[$s]=$(wg genkey); P[$s]=$(echo "${K[$s]}" | wg pubkey)
	NUM[$n]=$s
done
declare -A N=([A]=1 [B]=2 [C]=3 [D]=4)
for s in A B C; do
	veth "${NS[$s]}" up0 "$SW" "p$s"
	nsx "$SW" ip link set "p$s" master br0
	nsx "${NS[$s]}" ip addr add "192.0.2.${N[$s]}/24" dev up0
done
# D's two ways out, each through a NAT of its own on the switch.
for k in 1 2; do
	ns_make "NAT$k" "nat$k"
	v=NAT$k
	veth "${!v}" wan0 "$SW" "pn$k"
	nsx "$SW" ip link set "pn$k" master br0
	nsx "${!v}" ip addr add "192.0.2.10$k/24" dev wan0
	veth "${NS[D]}" "up$k" "${!v}" lan0
	nsx "${!v}" ip addr add "192.168.$k.1/24" dev lan0
	nsx "${NS[D]}" ip addr add "192.168.$k.2/24" dev "up$k"
	nsx "${!v}" sysctl -qw net.ipv4.ip_forward=1
	nsx "${!v}" nft add table ip nat
	nsx "${!v}" nft add chain ip nat post '{ type nat hook postrouting priority srcnat; }'
	nsx "${!v}" nft add rule ip nat post oifname wan0 masquerade
done
nsx "${NS[D]}" ip route add default via 192.168.1.1

LINKS="A-B A-C B-C A-D B-D"
peers_of() { local l; for l in $LINKS; do case $l in "$1"-*) echo "${l#*-}" ;; *-"$1") echo "${l%-*}" ;; esac; done; }
for s in A B C D; do
	{
		echo "[Interface]"
		echo "PrivateKey = ${K[$s]}"
		[ "$s" != D ] && echo "ListenPort = 51820"
		echo "Address = 10.99.0.${N[$s]}/24"
		printf '\n[Bridge]\nName = br0\nSTP = on\nForwardDelay = %s\nMaxAge = %s\nAddress = 10.200.0.%s/24\n' \
		    "$FD" "$MAXAGE" "${N[$s]}"
		for j in $(peers_of "$s"); do
			a=${N[$s]} b=${N[$j]}
			lo=$(( a < b ? a : b )); hi=$(( a < b ? b : a ))
			printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.99.0.%s/32\n' "${P[$j]}" "$b"
			# D has no endpoint of its own: only D names the others'.
			[ "$j" != D ] && echo "Endpoint = 192.0.2.$b:51820"
			[ "$s" = D ] && echo "PersistentKeepalive = 2"
			printf '\n[Wire]\nName = vx%s\nVNI = %s%s\nLocal = 10.99.0.%s\nRemote = 10.99.0.%s\nBridge = br0\n' \
			    "$j" "$lo" "$hi" "$a" "$b"
		done
	} | sc_conf "${IF[$s]}" > /dev/null
done
t0=$(sc_ms)
for s in A B C D; do sc_tunnel "${NS[$s]}" "$T_TMP/${IF[$s]}.conf"; done

reach() {	# every site reaches every other on the bridges
	local i j
	for i in A B C D; do for j in A B C D; do
		[ "$i" = "$j" ] && continue
		nsx "${NS[$i]}" ping -c 1 -W 1 "10.200.0.${N[$j]}" >/dev/null || return 1
	done; done
}
sc_wait 30 reach || fail "the bridges did not converge"
ok "4 sites, 5 wires, STP bridges: everyone reaches everyone after $(sc_elapsed "$t0") ms"
nsx "${NS[C]}" ip neigh show 10.200.0.4 dev br0 | grep -q lladdr ||
	fail "C does not see D on the bridge"
nsx "${NS[A]}" wg show "${IF[A]}" endpoints | grep -q "192.0.2.101:" ||
	fail "A did not learn D behind nat1: $(nsx "${NS[A]}" wg show "${IF[A]}" endpoints)"
ok "C reaches D with no link between them; A learned D's endpoint from its packets (nat1)"

state() { nsx "${NS[$1]}" ip -d link show "vx$2" | grep -o 'bridge_slave state [a-z]*' | awk '{print $3}'; }
states() { local l; for l in $LINKS; do printf '%s:%s/%s ' "$l" "$(state "${l%-*}" "${l#*-}")" "$(state "${l#*-}" "${l%-*}")"; done; }
blocked() {
	local l n=0
	for l in $LINKS; do
		[ "$(state "${l%-*}" "${l#*-}")" = blocking ] && n=$((n + 1))
		[ "$(state "${l#*-}" "${l%-*}")" = blocking ] && n=$((n + 1))
	done
	echo $n
}
two_blocked() { [ "$(blocked)" = 2 ]; }
sc_wait 10 two_blocked || fail "two loops need two blocked ports: $(states)"
ok "both loops blocked (two ports in blocking state): $(states)"
nsx "${NS[A]}" ping -c 1 -W 2 -M do -s 1342 10.200.0.4 >/dev/null ||
	fail "a full 1370-byte frame does not cross the wires to D"
for s in A B C D; do
	nsx "${NS[$s]}" "$BIN/edge-tunnel" diff "$T_TMP/${IF[$s]}.conf" > "$T_TMP/plan" 2>&1 ||
		fail "site $s differs from its file: $(cat "$T_TMP/plan")"
done
ok "full 1370-byte frames cross to D; edge-tunnel diff clean at every site"

# D roams: it leaves nat1's network (its address there is gone, as when a
# laptop changes networks) and goes out through nat2; A and B follow it.
# With the old address still there, wireguard-go's remembered source
# (192.168.1.2) stays valid and D could go on sending from it by nat2.
nsx "${NS[D]}" ip route replace default via 192.168.2.1
nsx "${NS[D]}" ip addr del 192.168.1.2/24 dev up1
nsx "${NS[D]}" ip link set up1 down
t0=$(sc_ms)
for s in A B; do
	sc_wait 15 bash -c "ip netns exec ${NS[$s]} wg show ${IF[$s]} endpoints | grep -q '192.0.2.102:'" ||
		fail "$s did not follow D to nat2: $(nsx "${NS[$s]}" wg show "${IF[$s]}" endpoints | tr '\n' ' '); D: $(nsx "${NS[D]}" wg show "${IF[D]}" transfer | tr '\n' ' ')"
done
sc_wait 15 reach || fail "not everyone reaches everyone after D roamed: $(states)"
ok "D roamed behind nat2: A and B follow it at 192.0.2.102, everyone reachable after $(sc_elapsed "$t0") ms"

# Cut D's wire that carries traffic (forwarding at both ends) the way a
# path dies on the internet: WireGuard between nat2 and that site is
# dropped on the switch, and no link loses carrier.
cut=
for j in A B; do
	[ "$(state D $j)" = forwarding ] && [ "$(state $j D)" = forwarding ] && cut=$j
done
[ -n "$cut" ] || fail "D has no forwarding wire: $(states)"
for s in A B C D; do
	nsx "${NS[$s]}" ip -d link show br0 | grep -q "forward_delay $((FD * 100)) .*max_age $((MAXAGE * 100)) " ||
		fail "$s's br0 does not have the file's timers: $(nsx "${NS[$s]}" ip -d link show br0 | grep -o 'forward_delay [0-9]*.*max_age [0-9]*')"
done
nsx "$SW" nft -f - <<NFT
table bridge cut {
	chain wan {
		type filter hook forward priority 0; policy accept;
		ip saddr 192.0.2.102 ip daddr 192.0.2.${N[$cut]} udp dport 51820 counter drop
		ip saddr 192.0.2.${N[$cut]} ip daddr 192.0.2.102 udp sport 51820 counter drop
	}
}
NFT
t0=$(sc_ms)
sc_wait "$BOUND" reach ||
	fail "no reconvergence within $BOUND s after wire D-$cut went silent: $(states)"
took=$(sc_elapsed "$t0")
nsx "${NS[D]}" ip link show "vx$cut" | grep -q "UP,LOWER_UP" &&
	nsx "${NS[$cut]}" ip link show vxD | grep -q "UP,LOWER_UP" ||
	fail "wire D-$cut is not up at both ends: the cut was not silent"
lo=$(( (MAXAGE - HELLO + 2 * FD) * 1000 - 1500 ))
[ "$took" -ge "$lo" ] ||
	fail "reconverged after $took ms, before the BPDUs could age out ($lo ms): the cut was not silent"
drops=$(nsx "$SW" nft list table bridge cut | grep -o 'packets [0-9]*' | awk '{n += $2} END {print n}')
[ "$drops" -gt 0 ] || fail "the blackhole dropped nothing"
ok "wire D-$cut silent, links up: everyone reaches everyone again after $took ms (bound $BOUND s; $(states))"

# The path comes back: the dead wire carries BPDUs again and the loop
# A-B-D is blocked again within a hello time or two.  Traffic settles
# later than STP does (bridge entries that point at a wire end gone back
# to blocking; see t-tunnel-mesh): everyone reaches everyone within 30 s.
nsx "$SW" nft delete table bridge cut
t0=$(sc_ms)
sc_wait "$BOUND" two_blocked || fail "the loops are not blocked again after wire D-$cut came back: $(states)"
tb=$(sc_elapsed "$t0")
sc_wait 30 reach || fail "not everyone reaches everyone 30 s after wire D-$cut came back: $(states)"
ok "wire D-$cut back: loops blocked again after $tb ms, everyone reachable after $(sc_elapsed "$t0") ms ($(states))"

