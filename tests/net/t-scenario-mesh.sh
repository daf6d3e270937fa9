#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Scenario "a private internet": four sites joined by WireGuard in an
# incomplete mesh (A, B, C public; D roaming behind NAT with no endpoint
# of its own: A and B only learn where it is from its packets; C and D
# have no link), with a VXLAN wire over WireGuard for each link, the wires
# joined in an STP bridge per site (edge-tunnel [Wire] and [Bridge],
# ForwardDelay 2 s).  The two loops (A-B-C, A-B-D) are blocked, every site
# reaches every other on the bridges (C reaches D through A or B); cutting
# D's forwarding wire reconverges through its other one; D roaming to
# another NAT keeps it reachable.
#
# Reconvergence takes 4 s (2 x ForwardDelay) when the cut end's own
# bridge holds the alternate port, but up to max_age (the kernel's 20 s)
# more when a bridge further away must first let the old BPDU information
# age out: edge-tunnel's [Bridge] has ForwardDelay but no MaxAge or
# HelloTime key, so the test allows 30 s (a gap reported to the lead).
#
#        A ---- B          A, B, C: 192.0.2.1-3 on one switch
#        | \  / |          D: behind nat1 (192.0.2.101), later nat2 (.102)
#        |  C   |
#        D------+ (D-A, D-B)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
sc_need edge-tunnel

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
		printf '\n[Bridge]\nName = br0\nSTP = on\nForwardDelay = 2\nAddress = 10.200.0.%s/24\n' "${N[$s]}"
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

# Cut D's wire that carries traffic (forwarding at both ends).
cut=
for j in A B; do
	[ "$(state D $j)" = forwarding ] && [ "$(state $j D)" = forwarding ] && cut=$j
done
[ -n "$cut" ] || fail "D has no forwarding wire: $(states)"
nsx "${NS[D]}" ip link set "vx$cut" down
nsx "${NS[$cut]}" ip link set vxD down
t0=$(sc_ms)
sc_wait 30 reach || fail "no reconvergence after cutting wire D-$cut: $(states)"
ok "wire D-$cut cut: everyone reaches everyone again after $(sc_elapsed "$t0") ms ($(states))"

# D roams: its way out moves from nat1 to nat2; A and B follow it.
nsx "${NS[D]}" ip route replace default via 192.168.2.1
nsx "${NS[D]}" ip link set up1 down
t0=$(sc_ms)
for s in A B; do
	sc_wait 15 bash -c "ip netns exec ${NS[$s]} wg show ${IF[$s]} endpoints | grep -q '192.0.2.102:'" ||
		fail "$s did not follow D to nat2: $(nsx "${NS[$s]}" wg show "${IF[$s]}" endpoints)"
done
sc_wait 15 reach || fail "not everyone reaches everyone after D roamed"
ok "D roamed behind nat2: A and B follow it at 192.0.2.102, everyone reachable after $(sc_elapsed "$t0") ms"
