#!/bin/bash
# SPDX-License-Identifier: ISC
#
# A wire's Checksum setting is reconciled in full: the UDP checksum
# setting of a live VXLAN link (IFLA_VXLAN_UDP_CSUM over IPv4,
# IFLA_VXLAN_UDP_ZERO_CSUM6_TX/RX over IPv6) is read back and compared, so
# a changed Checksum line, or a wire recreated by hand with other
# checksums, is reported by diff and the wire is recreated by sync; with
# Checksum on, offload turned off by hand is turned on again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"
command -v ethtool >/dev/null || skip "no ethtool"

ns_make A a
tun_name IA a
tun_key KA PA
tun_key KB PB

CA=$(tun_conf "$IA" <<CONF
[Interface]
PrivateKey = $KA
Address = 10.77.0.1/24, fd00:77::1/64

[Peer]
PublicKey = $PB
AllowedIPs = 10.77.0.2/32, fd00:77::2/128

[Bridge]
Name = br0
STP = off

[Wire]
Name = vx4
VNI = 12
Local = 10.77.0.1
Remote = 10.77.0.2
Bridge = br0
# as vx6 (70 bytes of overhead over IPv6), so the bridge's ports match
MTU = 1350
Checksum = off

[Wire]
Name = vx6
VNI = 13
Local = fd00:77::1
Remote = fd00:77::2
Bridge = br0
Checksum = off
CONF
)
csum() {	# the UDP checksum words ip(8) prints for a wire (udpcsum is the
	# IPv4 flag; over IPv6 the udp6zerocsum* ones count)
	nsx "$A" ip -d link show "$1" | grep -o -w 'noudpcsum\|udpcsum\|udp6zerocsumtx\|udp6zerocsumrx' |
		tr '\n' ' '
}
offload() { nsx "$A" ethtool -k "$1" | sed -n 's/^tx-checksumming: \([a-z]*\).*/\1/p'; }
clean() { et "$A" diff "$CA" > "$T_TMP/plan" || fail "$1: diff: $(cat "$T_TMP/plan")"; }

et "$A" up "$CA" 2> "$T_TMP/err" || fail "up: $(cat "$T_TMP/err")"
[ "$(csum vx4)" = "noudpcsum " ] || fail "vx4: $(csum vx4)"
[ "$(csum vx6)" = "udpcsum udp6zerocsumtx udp6zerocsumrx " ] || fail "vx6: $(csum vx6)"
[ "$(offload vx4)" = off ] && [ "$(offload vx6)" = off ] || fail "offload still on"
clean "after up"
ok "Checksum = off: no UDP checksums (IPv4), zero IPv6 checksums, offload off"

# The file turns checksums on: both wires are recreated, offload on.
sed -i '/^Checksum = off/d' "$CA"
et "$A" diff "$CA" > "$T_TMP/plan" && fail "diff missed Checksum turned on"
for w in vx4 vx6; do
	grep -qx -- "- link $w (udp checksums off, the file says on)" "$T_TMP/plan" ||
		fail "plan for $w: $(cat "$T_TMP/plan")"
done
et "$A" sync "$CA" 2> "$T_TMP/err" || fail "sync: $(cat "$T_TMP/err")"
[ "$(csum vx4)" = "udpcsum " ] || fail "vx4 after sync: $(csum vx4)"
[ "$(csum vx6)" = "udpcsum " ] || fail "vx6 after sync: $(csum vx6)"
[ "$(offload vx4)" = on ] && [ "$(offload vx6)" = on ] || fail "offload not back on"
clean "after Checksum on"
ok "Checksum off -> on: diff reports it, sync recreates the wires with checksums and offload on"

# Offload turned off by hand on a Checksum = on wire.
nsx "$A" ethtool -K vx4 tx off > /dev/null
et "$A" diff "$CA" > "$T_TMP/plan" && fail "diff missed offload turned off"
[ "$(cat "$T_TMP/plan")" = "~ link vx4 checksum offload on (now off)" ] ||
	fail "plan: $(cat "$T_TMP/plan")"
et "$A" sync "$CA" || fail "sync"
[ "$(offload vx4)" = on ] || fail "sync left offload off"
clean "after offload on"
ok "offload turned off by ethtool -K on a Checksum = on wire: reported and turned on"

# vx6 recreated by hand, same VNI and addresses, zero IPv6 checksums.
nsx "$A" ip link del vx6
nsx "$A" ip link add vx6 type vxlan id 13 local fd00:77::1 remote fd00:77::2 dstport 4789 \
	udp6zerocsumtx udp6zerocsumrx
et "$A" diff "$CA" > "$T_TMP/plan" && fail "diff missed the hand-made vx6"
grep -qx -- "- link vx6 (udp checksums off, the file says on)" "$T_TMP/plan" ||
	fail "plan: $(cat "$T_TMP/plan")"
et "$A" sync "$CA" || fail "sync"
[ "$(csum vx6)" = "udpcsum " ] || fail "vx6 after sync: $(csum vx6)"
clean "after the hand-made vx6"
ok "a wire remade by hand with other checksums: reported and recreated"

# Back to off.
sed -i '/^Bridge = br0/a Checksum = off' "$CA"
et "$A" diff "$CA" > "$T_TMP/plan" && fail "diff missed Checksum turned off"
grep -qx -- "- link vx4 (udp checksums on, the file says off)" "$T_TMP/plan" ||
	fail "plan: $(cat "$T_TMP/plan")"
et "$A" sync "$CA" || fail "sync"
[ "$(csum vx4)" = "noudpcsum " ] || fail "vx4: $(csum vx4)"
[ "$(csum vx6)" = "udpcsum udp6zerocsumtx udp6zerocsumrx " ] || fail "vx6: $(csum vx6)"
[ "$(offload vx4)" = off ] && [ "$(offload vx6)" = off ] || fail "offload on"
clean "after Checksum off"
et "$A" down "$CA" > /dev/null || fail "down"
ok "Checksum on -> off: wires recreated without checksums, offload off"
