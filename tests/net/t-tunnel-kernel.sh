#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# edge-tunnel on a real kernel WireGuard device, over generic netlink: the
# host kernel has no WireGuard module, so Debian's own kernel boots under
# qemu (tests/net/vm-run) and runs a two-namespace tunnel test there: up,
# traffic, diff in step, drift made by hand found, sync, diff in step again,
# down removes the link and everything edge-tunnel added.
source "$(dirname "$0")/lib.sh"

command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64"
command -v wg >/dev/null || skip "no wg (wireguard-tools) to make keys"
[ -x "$BIN/edge-tunnel" ] || fail "bin/edge-tunnel not built"

# Keys are made on the host: the guest's entropy pool is not ready early.
ka=$(wg genkey); kb=$(wg genkey)
pa=$(echo "$ka" | wg pubkey); pb=$(echo "$kb" | wg pubkey)

cat > "$T_TMP/guest.sh" <<EOF
set -e
T=$BIN/edge-tunnel
mkdir -p /etc/a /etc/b
umask 077
cat > /etc/a/wgk.conf <<'CONF'
[Interface]
PrivateKey = $ka
ListenPort = 51820
Address = 10.9.0.1/24, fd00:9::1/64
Table = off

[Peer]
PublicKey = $pb
AllowedIPs = 10.9.0.2/32, fd00:9::2/128
Endpoint = 10.1.0.2:51820
CONF
cat > /etc/b/wgk.conf <<'CONF'
[Interface]
PrivateKey = $kb
ListenPort = 51820
Address = 10.9.0.2/24, fd00:9::2/64
Table = off

[Peer]
PublicKey = $pa
AllowedIPs = 10.9.0.1/32, fd00:9::1/128
Endpoint = 10.1.0.1:51820
CONF
ip netns add a; ip netns add b
ip link add va type veth peer name vb
ip link set va netns a; ip link set vb netns b
ip -n a addr add 10.1.0.1/24 dev va; ip -n a link set va up; ip -n a link set lo up
ip -n b addr add 10.1.0.2/24 dev vb; ip -n b link set vb up; ip -n b link set lo up

ip netns exec a \$T up /etc/a/wgk.conf
ip netns exec b \$T up /etc/b/wgk.conf
echo "check: the link is a kernel wireguard device"
ip -n a -d link show wgk | grep -q wireguard
echo "check: traffic over IPv4 and IPv6"
ip netns exec a ping -c 2 -W 2 10.9.0.2
ip netns exec a ping -c 2 -W 2 fd00:9::2
echo "check: diff is in step after up"
ip netns exec a \$T diff /etc/a/wgk.conf
echo "check: up again changes nothing and succeeds"
ip netns exec a \$T up /etc/a/wgk.conf
echo "check: an address removed by hand is drift"
ip -n a addr del 10.9.0.1/24 dev wgk
if ip netns exec a \$T diff /etc/a/wgk.conf; then echo "diff missed drift"; exit 1; fi
echo "check: a new AllowedIPs in the file is drift too"
sed -i 's|^AllowedIPs = 10.9.0.2/32.*|AllowedIPs = 10.9.0.2/32, fd00:9::2/128, 10.77.0.0/16|' /etc/a/wgk.conf
if ip netns exec a \$T diff /etc/a/wgk.conf; then echo "diff missed drift"; exit 1; fi
ip netns exec a \$T sync /etc/a/wgk.conf
ip netns exec a \$T diff /etc/a/wgk.conf
echo "check: sync reached the kernel device"
ip netns exec a wg show wgk allowed-ips | grep -q 10.77.0.0/16
ip -n a addr show dev wgk | grep -q 10.9.0.1/24
ip netns exec a ping -c 1 -W 2 10.9.0.2
echo "check: down removes the device"
ip netns exec a \$T down /etc/a/wgk.conf
if ip -n a link show wgk 2>/dev/null; then echo "wgk still there"; exit 1; fi
ip netns exec b \$T down /etc/b/wgk.conf
echo "guest: all checks passed"
EOF

"$TOP/tests/net/vm-run" -f "$BIN/edge-tunnel" "$T_TMP/guest.sh" 2>&1 |
	tr -d '\r' | sed -n '/init: running/,$p' | grep -v '^\[' || true
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || fail "the guest test failed (status $rc)"
ok "edge-tunnel up/diff/sync/down over kernel genetlink in Debian's kernel"
