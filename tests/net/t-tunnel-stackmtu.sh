#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The MTU check down the stack (WireGuard -> VXLAN -> bridge) is reported
# by up and sync as well as by diff: a wire whose MTU does not fit a
# computed tunnel MTU, and a bridge port larger than the wires, each give a
# warning naming it; up and sync still succeed (the links work, only full
# frames are lost), diff exits 1.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"

ns_make A a
tun_name IA a
tun_key KA PA
tun_key KB PB

# No MTU in [Interface]: computed, 1420 here (no routes: 1500 - 80).  The
# wire asks for 1400, which needs 1450 of the tunnel.
CA=$(tun_conf "$IA" <<CONF
[Interface]
PrivateKey = $KA
Address = 10.77.0.1/24

[Peer]
PublicKey = $PB
AllowedIPs = 10.77.0.2/32

[Bridge]
Name = br0
STP = off

[Wire]
Name = vx2
VNI = 12
Local = 10.77.0.1
Remote = 10.77.0.2
Bridge = br0
MTU = 1400
CONF
)
et "$A" up "$CA" > /dev/null 2> "$T_TMP/err" || fail "up: $(cat "$T_TMP/err")"
nsx "$A" ip link show "$IA" | grep -q "mtu 1420" || fail "tunnel MTU is not 1420"
grep -q "wire vx2 MTU 1400 does not fit tunnel $IA (MTU 1420)" "$T_TMP/err" ||
	fail "up did not report the wire: $(cat "$T_TMP/err")"
ok "up reports a wire too large for the computed tunnel MTU, and succeeds"

# The wire fits again; a 1500-byte port joins the 1370-byte bridge.
sed -i '/^MTU = 1400/d' "$CA"
et "$A" sync "$CA" > /dev/null 2> "$T_TMP/err" || fail "sync: $(cat "$T_TMP/err")"
[ -s "$T_TMP/err" ] && fail "sync warned about a stack that fits: $(cat "$T_TMP/err")"
nsx "$A" ip link show vx2 | grep -q "mtu 1370" || fail "wire MTU is not 1370"
nsx "$A" ip link add big0 mtu 1500 type veth peer name big1
nsx "$A" ip link set big0 master br0
for verb in sync up; do
	et "$A" "$verb" "$CA" > /dev/null 2> "$T_TMP/err" ||
		fail "$verb with a large port: $(cat "$T_TMP/err")"
	grep -q "bridge br0: port big0 has MTU 1500, more than wire vx2 carries (1370)" "$T_TMP/err" ||
		fail "$verb did not report the port: $(cat "$T_TMP/err")"
done
et "$A" diff "$CA" > /dev/null 2> "$T_TMP/err" && fail "diff accepted the large port"
grep -q "port big0 has MTU 1500" "$T_TMP/err" || fail "diff: $(cat "$T_TMP/err")"
ok "sync and up report a 1500-byte bridge port over 1370-byte wires; diff exits 1"

nsx "$A" ip link del big0
et "$A" sync "$CA" > /dev/null 2> "$T_TMP/err" || fail "sync"
[ -s "$T_TMP/err" ] && fail "a warning after the port left: $(cat "$T_TMP/err")"
et "$A" down "$CA" > /dev/null || fail "down"
ok "no warning once the stack fits"
