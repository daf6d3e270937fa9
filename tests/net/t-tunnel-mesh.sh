#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Layout 3: three sites joined by WireGuard, with a VXLAN "wire" between
# each pair inside the tunnel (UDP 4789), the wires joined in an STP
# bridge at each site (forward delay 2 s, max age 6 s).  STP blocks one wire of the
# triangle; cutting a forwarding wire (both ends down) keeps every site
# reachable once STP has reconverged.  MTUs down the stack: WireGuard 1420,
# wires 1370, bridges 1370; a bridge port with a larger MTU is reported.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"

ns_make SW sw
nsx "$SW" ip link add br0 type bridge
nsx "$SW" ip link set br0 up
declare -A NS IF K P
for i in 1 2 3; do
	ns_make "NS[$i]" "n$i"
	veth "${NS[$i]}" up0 "$SW" "p$i"
	nsx "$SW" ip link set "p$i" master br0
	nsx "${NS[$i]}" ip addr add "192.0.2.$i/24" dev up0
	tun_name "IF[$i]" "m$i"
	tun_key "K[$i]" "P[$i]"
done

for i in 1 2 3; do
	{
		cat <<CONF
[Interface]
PrivateKey = ${K[$i]}
ListenPort = 51820
Address = 10.99.0.$i/24

[Bridge]
Name = br0
STP = on
ForwardDelay = 2
MaxAge = 6
Address = 10.200.0.$i/24
CONF
		for j in 1 2 3; do
			[ "$i" = "$j" ] && continue
			lo=$(( i < j ? i : j )); hi=$(( i < j ? j : i ))
			cat <<CONF

[Peer]
PublicKey = ${P[$j]}
AllowedIPs = 10.99.0.$j/32
Endpoint = 192.0.2.$j:51820

[Wire]
Name = vx$j
VNI = $lo$hi
Local = 10.99.0.$i
Remote = 10.99.0.$j
Bridge = br0
$([ "$i" = 1 ] && echo "Checksum = off")
CONF
		done
	} | tun_conf "${IF[$i]}" > /dev/null
	et "${NS[$i]}" up "$T_TMP/${IF[$i]}.conf" 2>/dev/null || fail "up on site $i"
done

nsx "${NS[1]}" ip -d link show vx2 | grep -q "dstport 4789" || fail "wire port is not 4789"
nsx "${NS[1]}" ip link show "${IF[1]}" | grep -q "mtu 1420" || fail "tunnel MTU"
nsx "${NS[1]}" ip link show vx2 | grep -q "mtu 1370" || fail "wire MTU is not 1420 - 50"
nsx "${NS[1]}" ip link show br0 | grep -q "mtu 1370" || fail "bridge MTU"
# Site 1's wires: no UDP checksums, no checksum offload.
nsx "${NS[1]}" ip -d link show vx2 | grep -q "noudpcsum" || fail "UDP checksums still on"
if command -v ethtool >/dev/null; then
	nsx "${NS[1]}" ethtool -k vx2 | grep -q "^tx-checksumming: off" ||
		fail "checksum offload still on: $(nsx "${NS[1]}" ethtool -k vx2 | grep checksum)"
	nsx "${NS[2]}" ethtool -k vx1 | grep -q "^tx-checksumming: on" ||
		fail "checksum offload off where it was not asked"
fi
for i in 1 2 3; do
	et "${NS[$i]}" diff "$T_TMP/${IF[$i]}.conf" > "$T_TMP/plan" ||
		fail "site $i drifted: $(cat "$T_TMP/plan")"
done
ok "three sites, six wires, three STP bridges; MTU 1420 > 1370 > 1370"

# Checksum offload turned back on behind edge-tunnel's back (ethtool -K):
# diff reports it, sync turns it off again; on a wire without
# Checksum = off, offload turned off is reported and turned on again.
if command -v ethtool >/dev/null; then
	nsx "${NS[1]}" ethtool -K vx2 tx on > /dev/null || fail "ethtool -K vx2 tx on"
	nsx "${NS[2]}" ethtool -K vx1 tx off > /dev/null || fail "ethtool -K vx1 tx off"
	et "${NS[1]}" diff "$T_TMP/${IF[1]}.conf" > "$T_TMP/plan" &&
		fail "diff missed checksum offload turned on"
	grep -qx "~ link vx2 checksum offload off (now on)" "$T_TMP/plan" ||
		fail "plan: $(cat "$T_TMP/plan")"
	[ "$(wc -l < "$T_TMP/plan")" -eq 1 ] || fail "plan has more: $(cat "$T_TMP/plan")"
	et "${NS[2]}" diff "$T_TMP/${IF[2]}.conf" > "$T_TMP/plan" &&
		fail "diff on site 2 missed offload turned off"
	[ "$(cat "$T_TMP/plan")" = "~ link vx1 checksum offload on (now off)" ] ||
		fail "site 2 plan: $(cat "$T_TMP/plan")"
	et "${NS[1]}" sync "$T_TMP/${IF[1]}.conf" || fail "sync"
	nsx "${NS[1]}" ethtool -k vx2 | grep -q "^tx-checksumming: off" ||
		fail "sync left checksum offload on: $(nsx "${NS[1]}" ethtool -k vx2 | grep checksum)"
	et "${NS[1]}" diff "$T_TMP/${IF[1]}.conf" > "$T_TMP/plan" ||
		fail "diff after sync: $(cat "$T_TMP/plan")"
	et "${NS[2]}" sync "$T_TMP/${IF[2]}.conf" || fail "sync site 2"
	nsx "${NS[2]}" ethtool -k vx1 | grep -q "^tx-checksumming: on" ||
		fail "sync left checksum offload off: $(nsx "${NS[2]}" ethtool -k vx1 | grep checksum)"
	et "${NS[2]}" diff "$T_TMP/${IF[2]}.conf" > "$T_TMP/plan" ||
		fail "diff after sync on site 2: $(cat "$T_TMP/plan")"
	ok "checksum offload changed by ethtool -K: diff reports it, sync restores it"
fi

reach() {	# every site reaches every other on the bridges
	local i j
	for i in 1 2 3; do for j in 1 2 3; do
		[ "$i" = "$j" ] && continue
		nsx "${NS[$i]}" ping -c 1 -W 1 "10.200.0.$j" >/dev/null || return 1
	done; done
}
wait_for 20 reach || fail "the bridges did not converge"
nsx "${NS[1]}" ping -c 1 -W 2 -M do -s 1342 10.200.0.2 >/dev/null ||
	fail "a full 1370-byte frame does not cross a wire"
state() { nsx "${NS[$1]}" ip -d link show "vx$2" | grep -o 'bridge_slave state [a-z]*' | awk '{print $3}'; }
blocked=0
for i in 1 2 3; do for j in 1 2 3; do
	[ "$i" = "$j" ] && continue
	[ "$(state "$i" "$j")" = blocking ] && blocked=$((blocked + 1))
done; done
[ "$blocked" -eq 1 ] || fail "STP should block exactly one wire end, blocks $blocked"
ok "converged: everyone reaches everyone, one wire end blocked"

# Cut a wire that carries traffic: both its ends forwarding.
cut=
for i in 1 2 3; do for j in 1 2 3; do
	[ "$i" -lt "$j" ] || continue
	[ "$(state "$i" "$j")" = forwarding ] && [ "$(state "$j" "$i")" = forwarding ] &&
		cut="$i $j"
done; done
[ -n "$cut" ] || fail "no forwarding wire to cut"
set -- $cut
nsx "${NS[$1]}" ip link set "vx$2" down
nsx "${NS[$2]}" ip link set "vx$1" down
start=$(date +%s)
wait_for 30 reach || fail "no reconvergence after cutting wire $1-$2"
ok "wire $1-$2 cut: everyone reachable again after $(( $(date +%s) - start )) s"

et "${NS[$1]}" diff "$T_TMP/${IF[$1]}.conf" > "$T_TMP/plan" && fail "diff missed the cut wire"
grep -q "link vx$2 up" "$T_TMP/plan" || fail "plan: $(cat "$T_TMP/plan")"
et "${NS[$1]}" sync "$T_TMP/${IF[$1]}.conf" || fail "sync"
et "${NS[$2]}" sync "$T_TMP/${IF[$2]}.conf" || fail "sync"
wait_for 20 reach || fail "not reachable after repairing the wire"
ok "diff reports the cut wire; sync repairs it"

# A port with a larger MTU than the wires: its full frames would be lost.
nsx "${NS[1]}" ip link add big0 mtu 1500 type veth peer name big1
nsx "${NS[1]}" ip link set big0 master br0
et "${NS[1]}" diff "$T_TMP/${IF[1]}.conf" > /dev/null 2> "$T_TMP/err" &&
	fail "diff accepted a 1500-byte port on a 1370-byte bridge"
grep -q "port big0 has MTU 1500" "$T_TMP/err" || fail "no MTU report: $(cat "$T_TMP/err")"
nsx "${NS[1]}" ip link del big0
ok "a bridge port with MTU 1500 over 1370-byte wires is reported"

et "${NS[1]}" down "$T_TMP/${IF[1]}.conf" > /dev/null || fail "down"
for l in vx2 vx3 br0 "${IF[1]}"; do
	nsx "${NS[1]}" ip link show "$l" >/dev/null 2>&1 && fail "down left $l"
done
ok "down removed the wires, the bridge and the tunnel"
