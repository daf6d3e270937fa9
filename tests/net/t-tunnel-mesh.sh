#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Layout 3: three sites joined by WireGuard, with a VXLAN "wire" between
# each pair inside the tunnel (UDP 4789), the wires joined in an STP
# bridge at each site (ForwardDelay 2 s, MaxAge 6 s).  STP blocks one wire
# of the triangle.  A forwarding wire whose path dies silently (WireGuard
# between its two sites dropped on the switch, every link still up) is
# given up when its BPDUs age out, and every site is reachable again within
# MaxAge + 2 x ForwardDelay (plus slack); when the path comes back the loop
# is blocked again.  A wire cut by hand (both ends down) is reported by
# diff and repaired by sync.  MTUs down the stack: WireGuard 1420, wires
# 1370, bridges 1370; a bridge port with a larger MTU is reported.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"

# STP timers, seconds: the [Bridge] keys, and the kernel's hello time
# (edge-tunnel has no HelloTime key).
FD=2 MAXAGE=6 HELLO=2

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
ForwardDelay = $FD
MaxAge = $MAXAGE
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
states() {
	local i j
	for i in 1 2 3; do for j in 1 2 3; do
		[ "$i" -lt "$j" ] || continue
		printf '%s-%s:%s/%s ' "$i" "$j" "$(state "$i" "$j")" "$(state "$j" "$i")"
	done; done
}
one_blocked() {
	local i j n=0
	for i in 1 2 3; do for j in 1 2 3; do
		[ "$i" != "$j" ] && [ "$(state "$i" "$j")" = blocking ] && n=$((n + 1))
	done; done
	[ "$n" -eq 1 ]
}
forwarding_wire() {	# a wire that carries traffic: both its ends forwarding
	local i j
	for i in 1 2 3; do for j in 1 2 3; do
		[ "$i" -lt "$j" ] || continue
		[ "$(state "$i" "$j")" = forwarding ] &&
			[ "$(state "$j" "$i")" = forwarding ] && echo "$i $j"
	done; done | head -n 1
}
ms() { echo $(( $(date +%s%N) / 1000000 )); }
one_blocked || fail "STP should block exactly one wire end: $(states)"
ok "converged: everyone reaches everyone, one wire end blocked"

# The wire's path dies the way it does on the internet: WireGuard between
# its two sites is dropped on the switch, and every link stays up, so no
# port loses carrier.  The port whose root path went over the wire hears
# no BPDU for up to MaxAge, then the blocked wire end goes through
# listening and learning (2 x ForwardDelay).  The last BPDU came at most a
# hello time before the cut, so that takes at least MaxAge - HelloTime +
# 2 x ForwardDelay (the test allows 1.5 s less, for timer slack; a cut
# noticed at once, by carrier, can take just 2 x ForwardDelay).
# The bound is MaxAge + 2 x ForwardDelay and 20 s more, for the bridges'
# entries that still point at the dead wire (up to 7.5 s more seen here
# on a busy machine) and a busier one.  That the bridges run with the
# file's MaxAge and ForwardDelay (not the kernel's 20 s and 15 s) is read
# from the kernel before the cut.
for i in 1 2 3; do
	nsx "${NS[$i]}" ip -d link show br0 | grep -q "forward_delay $((FD * 100)) .*max_age $((MAXAGE * 100)) " ||
		fail "site $i's br0 does not have the file's timers: $(nsx "${NS[$i]}" ip -d link show br0 | grep -o 'forward_delay [0-9]*.*max_age [0-9]*')"
done
cut=$(forwarding_wire)
[ -n "$cut" ] || fail "no forwarding wire to cut: $(states)"
set -- $cut
nsx "$SW" nft -f - <<NFT
table bridge cut {
	chain wan {
		type filter hook forward priority 0; policy accept;
		ip saddr 192.0.2.$1 ip daddr 192.0.2.$2 udp dport 51820 counter drop
		ip saddr 192.0.2.$2 ip daddr 192.0.2.$1 udp dport 51820 counter drop
	}
}
NFT
t0=$(ms)
lo=$(( (MAXAGE - HELLO + 2 * FD) * 1000 - 1500 ))
bound=$(( MAXAGE + 2 * FD + 20 ))
wait_for "$bound" reach ||
	fail "no reconvergence within $bound s after wire $1-$2 went silent: $(states)"
took=$(( $(ms) - t0 ))
nsx "${NS[$1]}" ip link show "vx$2" | grep -q "UP,LOWER_UP" &&
	nsx "${NS[$2]}" ip link show "vx$1" | grep -q "UP,LOWER_UP" ||
	fail "wire $1-$2 is not up at both ends: the cut was not silent"
[ "$took" -ge "$lo" ] ||
	fail "reconverged after $took ms, before the BPDUs could age out ($lo ms): the cut was not silent"
drops=$(nsx "$SW" nft list table bridge cut | grep -o 'packets [0-9]*' | awk '{n += $2} END {print n}')
[ "$drops" -gt 0 ] || fail "the blackhole dropped nothing"
ok "wire $1-$2 silent, links up: everyone reachable again after $took ms (bound ${bound} s; $(states))"

# The path comes back: BPDUs cross the wire again and the loop is blocked
# again within a hello time or two, which is what keeps the mesh from
# melting down.  Traffic takes longer to settle: the wire end that goes
# back to blocking leaves bridge entries pointing at it, and two sites can
# lose each other until traffic or ARP moves those (up to 17.5 s seen
# here; short losses a while later too), so the test asks only that
# everyone reaches everyone again within 30 s, and still does, with the
# loop blocked, MaxAge + 2 x ForwardDelay later.
nsx "$SW" nft delete table bridge cut
t0=$(ms)
wait_for "$bound" one_blocked || fail "the loop is not blocked again: $(states)"
blocked=$(( $(ms) - t0 ))
wait_for 30 reach ||
	fail "not everyone reaches everyone 30 s after wire $1-$2 came back: $(states)"
took=$(( $(ms) - t0 ))
sleep $(( MAXAGE + 2 * FD ))
wait_for 5 reach || fail "not everyone reaches everyone once the mesh settled: $(states)"
one_blocked || fail "the loop is not blocked once the mesh settled: $(states)"
ok "wire $1-$2 back: loop blocked again after $blocked ms, everyone reachable after $took ms and still $(( MAXAGE + 2 * FD )) s later ($(states))"

# Cut a wire by hand, both its ends down: STP sees the carrier go, and
# edge-tunnel sees the drift.
cut=$(forwarding_wire)
[ -n "$cut" ] || fail "no forwarding wire to cut: $(states)"
set -- $cut
nsx "${NS[$1]}" ip link set "vx$2" down
nsx "${NS[$2]}" ip link set "vx$1" down
t0=$(ms)
wait_for "$bound" reach || fail "no reconvergence after cutting wire $1-$2: $(states)"
ok "wire $1-$2 down at both ends: everyone reachable again after $(( $(ms) - t0 )) ms"

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
