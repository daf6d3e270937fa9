#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-tunnel on a real kernel WireGuard: Debian's kernel under qemu
# (tests/net/vm-run), where the link is made over rtnetlink and the device
# set and read over generic netlink.  Two namespaces: up, traffic, show
# (the public key as the kernel reports it), diff clean, sync of changed
# AllowedIPs (same handshake), diff after a change by hand, a peer with
# 300 allowed IPs (a set split over several messages, a dump over several
# replies), down.
source "$(dirname "$0")/lib.sh"
command -v wg >/dev/null || skip "no wg"
[ -x "$BIN/edge-tunnel" ] || skip "no $BIN/edge-tunnel"

# Keys are made here: the guest's entropy pool is not ready for a while.
KA=$(wg genkey); PA=$(echo "$KA" | wg pubkey)
KB=$(wg genkey); PB=$(echo "$KB" | wg pubkey)
many=$(for i in $(seq 0 299); do printf '10.%d.%d.0/24, ' $((100 + i / 250)) $((i % 250)); done)
many=${many%, }

cat > "$T_TMP/guest" <<GUEST
set -e
ET=$BIN/edge-tunnel
umask 077
fail() { echo "FAIL: \$*"; exit 1; }
ok() { echo "ok: \$* (t=\$(cut -d" " -f1 /proc/uptime))"; }
ip netns add a
ip netns add b
ip -n a link set lo up
ip -n b link set lo up
ip link add va type veth peer name vb
ip link set va netns a
ip link set vb netns b
ip -n a addr add 192.0.2.1/24 dev va
ip -n b addr add 192.0.2.2/24 dev vb
ip -n a link set va up
ip -n b link set vb up
mkdir -p /etc/edgekit
cat > /etc/edgekit/wga.conf <<CONF
[Interface]
PrivateKey = $KA
ListenPort = 51820
Address = 10.77.0.1/24
Rule = from 10.77.0.0/24 to 10.60.0.0/24 table 100
Route = 10.60.0.0/24 via 10.77.0.2 table 100

[Peer]
PublicKey = $PB
AllowedIPs = 10.77.0.2/32, 10.88.0.0/24
Endpoint = 192.0.2.2:51820
CONF
cat > /etc/edgekit/wgb.conf <<CONF
[Interface]
PrivateKey = $KB
ListenPort = 51820
Address = 10.77.0.2/24

[Peer]
PublicKey = $PA
AllowedIPs = 10.77.0.1/32
CONF
ip netns exec b \$ET up wgb || fail "up b"
ip netns exec a \$ET -v up wga || fail "up a"
ip -n a -d link show wga | grep -q wireguard || fail "not a kernel wireguard link"
[ ! -e /var/run/wireguard/wga.sock ] || fail "a userspace implementation ran"
ip netns exec a ping -c 1 -W 2 10.77.0.2 >/dev/null || ip netns exec a ping -c 1 -W 2 10.77.0.2 || fail "no traffic"
ok "kernel tunnel up, traffic passes"
ip netns exec a \$ET show wga | grep -q "public key: $PA" || fail "show: public key"
ip netns exec a \$ET show -s wga | grep -q "^peer	wga	$PB" || fail "show -s"
ip netns exec a \$ET diff wga || fail "diff after up"
ip netns exec a wg show wga | grep -q "10.88.0.0/24" || fail "wg(8) disagrees"
ok "show and diff over generic netlink"
hs=\$(ip netns exec a wg show wga latest-handshakes | cut -f2)
sed -i 's|10.88.0.0/24|10.88.0.0/24, 10.89.0.0/24|' /etc/edgekit/wga.conf
ip netns exec a \$ET diff wga >/dev/null && fail "diff missed the change"
ip netns exec a \$ET sync wga || fail "sync"
ip netns exec a \$ET diff wga || fail "diff after sync"
ip netns exec a wg show wga allowed-ips | grep -q 10.89.0.0/24 || fail "sync did not set allowed IPs"
[ "\$(ip netns exec a wg show wga latest-handshakes | cut -f2)" = "\$hs" ] || fail "sync made a new handshake"
ip netns exec a ping -c 1 -W 2 10.77.0.2 >/dev/null || fail "no traffic after sync"
ok "sync keeps the session"
ip netns exec a wg set wga peer $PB allowed-ips 10.77.0.2/32
ip netns exec a \$ET diff wga >/dev/null && fail "diff missed a change by wg(8)"
ip netns exec a \$ET sync wga || fail "sync"
sed -i 's|^AllowedIPs = 10.77.0.2/32.*|AllowedIPs = 10.77.0.2/32, $many|' /etc/edgekit/wga.conf
ip netns exec a \$ET sync wga || fail "sync of 300 allowed IPs"
n=\$(ip netns exec a wg show wga allowed-ips | tr ' ' '\n' | grep -c /24)
[ "\$n" -eq 300 ] || fail "300 allowed IPs expected, kernel has \$n"
ip netns exec a \$ET diff wga || fail "diff with 300 allowed IPs"
ok "300 allowed IPs: split set, multi-part dump, diff clean"
ip netns exec a \$ET down wga || fail "down"
ip -n a link show wga 2>/dev/null && fail "down left the link"
ip -n a rule | grep -q "proto 201" && fail "down left a rule"
ok "down"
GUEST
start=$(date +%s)
rc=0
"$TOP/tests/net/vm-run" -f "$BIN/edge-tunnel" "$T_TMP/guest" > "$T_TMP/vm.log" 2>&1 || rc=$?
grep -E "^(ok|FAIL)" "$T_TMP/vm.log" | tr -d '\r' || true
[ $rc -eq 77 ] && skip "no VM: $(tail -n 1 "$T_TMP/vm.log")"
[ $rc -eq 0 ] || { tail -n 30 "$T_TMP/vm.log"; fail "guest test exited $rc"; }
ok "kernel WireGuard test passed under qemu in $(( $(date +%s) - start )) s"
