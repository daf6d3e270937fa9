#!/bin/bash
# SPDX-License-Identifier: ISC
#
# SaveConfig = true: down writes the live interface back into its file
# first, as wg-quick does (addresses, private key, listen port, every peer
# with its allowed IPs, endpoint and keepalive, MTU when the file sets
# one), while comments, hooks, Table, edgekit's own keys, [Wire]/[Bridge]
# sections and Endpoint names stay as written.  The file is replaced
# atomically (a new inode, no .tmp left) with mode 0600, and brings the
# saved state back up with diff clean.  save does the same without down;
# -n and SaveConfig = false leave the file alone; a file that cannot be
# written stops down before anything is removed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"

ns_make A a
ns_make B b
veth "$A" up0 "$B" up0
nsx "$A" ip addr add 192.0.2.1/24 dev up0
nsx "$B" ip addr add 192.0.2.2/24 dev up0
nsx "$A" ip addr add 192.0.2.3/32 dev lo
# ip netns exec puts /etc/netns/NS/hosts over /etc/hosts: B by name.
made_dir=
[ -d /etc/netns ] || made_dir=1
mkdir -p "/etc/netns/$A"
trap 'rc=$?; set +e; rm -rf "/etc/netns/$A"; [ -n "$made_dir" ] && rmdir /etc/netns 2>/dev/null;
    tun_cleanup; (exit $rc); t_cleanup' EXIT
printf '127.0.0.1 localhost\n192.0.2.2 node-b.test\n' > "/etc/netns/$A/hosts"
tun_name IA a
tun_name IB b
tun_key KA PA
tun_key KB PB
tun_key KC PC

CA=$(tun_conf "$IA" <<CONF
# node A: SaveConfig keeps this comment
[Interface]
PrivateKey = $KA
ListenPort = 51820
Address = 10.77.0.1/24
MTU = 1400
SaveConfig = true
PostUp = echo up %i > $T_TMP/hook
Rule = from 10.50.0.0/24 table 100 priority 1000
Route = 10.60.0.0/24 table 100

[Peer]
# B, by name
PublicKey = $PB
AllowedIPs = 10.77.0.2/32
Endpoint = node-b.test:51820
PersistentKeepalive = 25
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
CONF
)
et "$B" up "$CB" 2>/dev/null || fail "up B"
et "$A" up "$CA" 2>/dev/null || fail "up A"

# The live state changes behind the file's back, as wg(8) and ip(8) users do.
nsx "$A" wg set "$IA" listen-port 51999 peer "$PC" allowed-ips 10.77.0.3/32,10.90.0.0/24 \
    endpoint 192.0.2.9:51820 || fail "wg set"
nsx "$A" wg set "$IA" peer "$PB" allowed-ips 10.77.0.2/32,10.91.0.0/24 || fail "wg set B"
nsx "$A" ip addr add 10.66.0.1/24 dev "$IA" || fail "ip addr add"
nsx "$A" ip link set "$IA" mtu 1380 || fail "ip link set mtu"
before=$(md5sum < "$CA")
et "$A" -n down "$CA" > "$T_TMP/plan" || fail "down -n"
grep -qx "~ save $IA to $CA" "$T_TMP/plan" || fail "plan lacks the save: $(cat "$T_TMP/plan")"
[ "$(md5sum < "$CA")" = "$before" ] || fail "down -n wrote the file"
ino=$(stat -c %i "$CA")
et "$A" down "$CA" || fail "down"
nsx "$A" ip link show "$IA" >/dev/null 2>&1 && fail "down left $IA"
[ "$(stat -c %a "$CA")" = 600 ] || fail "mode $(stat -c %a "$CA"), not 600"
[ "$(stat -c %i "$CA")" != "$ino" ] || fail "the file was rewritten in place, not replaced"
[ -e "$CA.tmp" ] && fail "$CA.tmp left behind"
has() { grep -qx -- "$1" "$CA" || fail "saved file lacks \"$1\":
$(sed 's/^\(Private\|Preshared\)Key = .*/\1Key = (hidden)/' "$CA")"; }
has "# node A: SaveConfig keeps this comment"
has "Address = 10.77.0.1/24"
has "Address = 10.66.0.1/24"
has "MTU = 1380"
has "ListenPort = 51999"
has "PrivateKey = $KA"
has "SaveConfig = true"
has "PostUp = echo up %i > $T_TMP/hook"
has "Rule = from 10.50.0.0/24 table 100 priority 1000"
has "Route = 10.60.0.0/24 table 100"
has "PublicKey = $PC"
has "AllowedIPs = 10.77.0.3/32, 10.90.0.0/24"
has "Endpoint = 192.0.2.9:51820"
has "AllowedIPs = 10.77.0.2/32, 10.91.0.0/24"
has "Endpoint = node-b.test:51820"
has "PersistentKeepalive = 25"
[ "$(grep -c '^ListenPort' "$CA")" = 1 ] || fail "ListenPort twice"
[ "$(grep -c '^\[Peer\]' "$CA")" = 2 ] || fail "not two peers"
ok "down with SaveConfig: live addresses, MTU, port and peers saved; comments, hooks, rules, names kept; mode 600, replaced atomically"

et "$A" up "$CA" 2>/dev/null || fail "up from the saved file"
et "$A" diff "$CA" > "$T_TMP/plan" || fail "saved file differs from what it brings up: $(cat "$T_TMP/plan")"
nsx "$A" wg show "$IA" allowed-ips | grep -q "10.90.0.0/24" || fail "peer C not back"
wait_for 5 nsx "$A" ping -c 1 -W 1 10.77.0.2 >/dev/null || fail "no traffic after up from the saved file"
ok "the saved file brings the same state back: diff clean, traffic flows"

# save: the same without down.
nsx "$A" ip addr add 10.67.0.1/24 dev "$IA"
et "$A" save "$CA" || fail "save"
grep -qx "Address = 10.67.0.1/24" "$CA" || fail "save did not write the new address"
nsx "$A" ip link show "$IA" >/dev/null 2>&1 || fail "save took the interface down"
ok "save writes the live state and leaves the interface up"

# A directory that cannot be written: down stops before removing anything.
chattr_ok=
if chattr +i "$CA" 2>/dev/null; then chattr -i "$CA"; chattr_ok=1; fi
if [ -n "$chattr_ok" ]; then
	mkdir "$T_TMP/ro" && cp -p "$CA" "$T_TMP/ro/$IA.conf"
	chattr +i "$T_TMP/ro"
	et "$A" down "$T_TMP/ro/$IA.conf" 2> "$T_TMP/err" && { chattr -i "$T_TMP/ro"; fail "down succeeded without saving"; }
	chattr -i "$T_TMP/ro"
	nsx "$A" ip link show "$IA" >/dev/null 2>&1 || fail "down removed $IA although the save failed"
	grep -q "save $IA" "$T_TMP/err" || fail "no message naming the save: $(cat "$T_TMP/err")"
	ok "a file that cannot be written stops down: $(head -n 1 "$T_TMP/err")"
fi

# SaveConfig = false: down leaves the file alone.
sed -i 's/^SaveConfig = true$/SaveConfig = false/' "$CA"
before=$(md5sum < "$CA")
et "$A" down "$CA" || fail "down without SaveConfig"
[ "$(md5sum < "$CA")" = "$before" ] || fail "down rewrote the file with SaveConfig = false"
ok "SaveConfig = false: down leaves the file as it was"
