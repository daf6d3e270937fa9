#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-tunnel up that fails half-way undoes what it made: a route that
# cannot be added, or a PostUp hook that fails, leave no link, no rule, no
# route, no NAT table and no state behind.  Hooks see %i as the interface.
# The userspace implementation is the one WG_QUICK_USERSPACE_IMPLEMENTATION
# names, as with wg-quick.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"

ns_make A a
tun_name IA a
tun_key KA PA
tun_key KB PB

conf() {
	tun_conf "$IA" <<CONF
[Interface]
PrivateKey = $KA
Address = 10.77.0.1/24
Rule = from 10.50.0.0/24 table 100 priority 1000
Masquerade = 10.50.0.0/24
PreUp = echo pre %i >> $T_TMP/hooks
PostUp = echo post %i >> $T_TMP/hooks
$1

[Peer]
PublicKey = $PB
AllowedIPs = 10.77.0.2/32, 10.88.0.0/24
CONF
}

nothing_left() {
	nsx "$A" ip link show "$IA" >/dev/null 2>&1 && fail "$1: the link is left"
	[ -n "$(nsx "$A" ip route show table all proto 201)" ] && fail "$1: routes left"
	nsx "$A" ip rule | grep -q "proto 201" && fail "$1: rules left"
	nsx "$A" nft list tables | grep -q "edgekit_$IA" && fail "$1: NAT table left"
	[ -e "/run/edgekit/tunnel-$IA.state" ] && fail "$1: state file left"
	wait_for 5 test ! -e "/var/run/wireguard/$IA.sock" || fail "$1: wireguard-go left"
}

# A gateway no route leads to: the kernel refuses the route, late in up.
CA=$(conf "Route = 10.60.0.0/24 via 203.0.113.99 table 100")
et "$A" up "$CA" 2> "$T_TMP/err" && fail "up with an unreachable gateway succeeded"
grep -q "route 10.60.0.0/24" "$T_TMP/err" || fail "error: $(cat "$T_TMP/err")"
nothing_left "bad route"
ok "a failed route: up undone ($(grep -c . "$T_TMP/err") lines of error)"

: > "$T_TMP/hooks"
CA=$(conf "PostUp = exit 3")
et "$A" up "$CA" 2> "$T_TMP/err" && fail "up with a failing PostUp succeeded"
grep -q "exit 3" "$T_TMP/err" || fail "error: $(cat "$T_TMP/err")"
nothing_left "failed hook"
grep -q "^pre $IA$" "$T_TMP/hooks" || fail "PreUp did not run with %i"
ok "a failing PostUp hook: up undone"

# A working up through a named userspace implementation.
cat > "$T_TMP/wg-impl" <<IMPL
#!/bin/sh
echo "\$@" >> "$T_TMP/impl.log"
exec wireguard-go "\$@"
IMPL
chmod 755 "$T_TMP/wg-impl"
: > "$T_TMP/hooks"
CA=$(conf "")
WG_QUICK_USERSPACE_IMPLEMENTATION=$T_TMP/wg-impl et "$A" up "$CA" 2>/dev/null ||
	fail "up through the wrapper"
grep -q "^$IA$" "$T_TMP/impl.log" || fail "WG_QUICK_USERSPACE_IMPLEMENTATION not used"
grep -q "^post $IA$" "$T_TMP/hooks" || fail "PostUp did not run"
et "$A" down "$CA" > /dev/null || fail "down"
nothing_left "down"
ok "WG_QUICK_USERSPACE_IMPLEMENTATION is honoured; down after up leaves nothing"
