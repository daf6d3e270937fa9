#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-tunnel down removes exactly what up made.  A bridge or a VXLAN link
# of a name the file configures that was there before up is refused (exit
# 1, a message naming it, nothing changed: the foreign bridge keeps its
# address and its port).  A rule the file asks for that was already there
# (the identical protocol 201 rule of another tunnel) is used but not
# recorded in the state file, and survives up, sync and down; the rule and
# the links up did make are removed by down.
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
STATE=/run/edgekit/tunnel-$IA.state

CA=$(tun_conf "$IA" <<CONF
[Interface]
PrivateKey = $KA
ListenPort = 51820
Address = 10.77.0.1/24
Rule = from 10.50.0.0/24 table 100 priority 1000
Rule = from 10.51.0.0/24 table 100 priority 1001

[Peer]
PublicKey = $PB
AllowedIPs = 10.77.0.2/32
Endpoint = 192.0.2.2:51820

[Bridge]
Name = br0
STP = off
Address = 10.200.0.1/24

[Wire]
Name = vx2
VNI = 12
Local = 10.77.0.1
Remote = 10.77.0.2
Bridge = br0
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
Endpoint = 192.0.2.1:51820
CONF
)
et "$B" up "$CB" 2>/dev/null || fail "up B"

snapshot() {
	{ nsx "$A" ip -d link show | sed "s/_timer *[0-9.]*/_timer/g"; nsx "$A" ip addr; nsx "$A" ip route show table all
	  nsx "$A" ip rule; nsx "$A" nft list ruleset; } 2>&1
}

# A LAN bridge br0 with an address and a port, made by someone else.
nsx "$A" ip link add br0 type bridge
nsx "$A" ip link add lan0 type veth peer name lan1
nsx "$A" ip link set lan0 master br0
nsx "$A" ip addr add 198.51.100.1/24 dev br0
nsx "$A" ip link set br0 up
snapshot > "$T_TMP/before"
for verb in up diff; do
	rc=0
	et "$A" "$verb" "$CA" > /dev/null 2> "$T_TMP/err" || rc=$?
	[ $rc -eq 1 ] || fail "$verb with a foreign br0: exit $rc: $(cat "$T_TMP/err")"
	grep -q "$CA:[0-9]*: bridge br0 exists and was not made by edge-tunnel" "$T_TMP/err" ||
		fail "$verb: message: $(cat "$T_TMP/err")"
done
snapshot > "$T_TMP/after"
diff -u "$T_TMP/before" "$T_TMP/after" || fail "a refused up changed something"
nsx "$A" ip link show "$IA" >/dev/null 2>&1 && fail "a refused up left the tunnel"
[ -e "$STATE" ] && fail "a refused up wrote a state file"
ok "a foreign bridge of the same name: refused, its address and port kept"

nsx "$A" ip link del br0
nsx "$A" ip link add vx2 type vxlan id 99 dstport 4789 local 192.0.2.1 remote 192.0.2.2
rc=0
et "$A" up "$CA" > /dev/null 2> "$T_TMP/err" || rc=$?
[ $rc -eq 1 ] || fail "up with a foreign vx2: exit $rc: $(cat "$T_TMP/err")"
grep -q "wire vx2 exists and was not made by edge-tunnel" "$T_TMP/err" ||
	fail "message: $(cat "$T_TMP/err")"
nsx "$A" ip -d link show vx2 | grep -q "vxlan id 99 " || fail "the foreign vx2 was changed"
nsx "$A" ip link show br0 >/dev/null 2>&1 && fail "a refused up made br0"
nsx "$A" ip link del vx2
ok "a foreign VXLAN link of a wire's name: refused and left as it was"

# Another tunnel's identical rule (protocol 201, same priority) is there.
nsx "$A" ip rule add from 10.50.0.0/24 table 100 priority 1000 proto 201
et "$A" up "$CA" 2> "$T_TMP/err" || fail "up: $(cat "$T_TMP/err")"
[ "$(nsx "$A" ip rule | grep -c "from 10.50.0.0/24")" -eq 1 ] ||
	fail "the rule twice: $(nsx "$A" ip rule)"
grep -q "10.50.0.0/24" "$STATE" && fail "the foreign rule was recorded: $(cat "$STATE")"
grep -q "10.51.0.0/24" "$STATE" || fail "the rule up made is not recorded: $(cat "$STATE")"
grep -qx "link br0" "$STATE" || fail "br0 not recorded: $(cat "$STATE")"
grep -qx "link vx2" "$STATE" || fail "vx2 not recorded: $(cat "$STATE")"
et "$A" diff "$CA" > "$T_TMP/plan" || fail "diff after up: $(cat "$T_TMP/plan")"
et "$A" up "$CA" 2> "$T_TMP/err" || fail "up again: $(cat "$T_TMP/err")"
et "$A" sync "$CA" 2> "$T_TMP/err" || fail "sync: $(cat "$T_TMP/err")"
grep -q "10.50.0.0/24" "$STATE" && fail "sync recorded the foreign rule: $(cat "$STATE")"
grep -qx "link br0" "$STATE" || fail "sync lost br0 from the state: $(cat "$STATE")"
ok "a rule that was there before up is used, not recorded"

# The rule up made is deleted by hand and put back by sync: then it is
# this tunnel's (recorded).
nsx "$A" ip rule del priority 1001
et "$A" sync "$CA" 2> "$T_TMP/err" || fail "sync: $(cat "$T_TMP/err")"
grep -q "10.51.0.0/24" "$STATE" || fail "the rule sync made is not recorded: $(cat "$STATE")"

et "$A" down "$CA" > "$T_TMP/plan" 2> "$T_TMP/err" || fail "down: $(cat "$T_TMP/err")"
nsx "$A" ip rule | grep -q "^1000:.*from 10.50.0.0/24 lookup 100 proto 201" ||
	fail "down removed the rule it did not make: $(nsx "$A" ip rule)"
nsx "$A" ip rule | grep -q "10.51.0.0/24" && fail "down left the rule it made"
for l in br0 vx2 "$IA"; do
	nsx "$A" ip link show "$l" >/dev/null 2>&1 && fail "down left $l"
done
[ -e "$STATE" ] && fail "down left the state file"
ok "down removed its rule, wire, bridge and tunnel; the other rule survived"

# The foreign bridge again, after a clean down: down of a tunnel that was
# refused does not remove it either.
nsx "$A" ip link add br0 type bridge
nsx "$A" ip addr add 198.51.100.1/24 dev br0
et "$A" up "$CA" > /dev/null 2>&1 && fail "up took over br0"
nsx "$A" ip addr show br0 | grep -q "198.51.100.1/24" || fail "br0 lost its address"
ok "nothing of a refused up to take down"
