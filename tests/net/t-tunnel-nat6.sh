#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Masquerade and Forward over IPv6, with traffic: a host whose tunnel
# address (fd00:66::2) the outside cannot route reaches a server behind
# the far end, which masquerades it (the server sees the far end's
# address); the far end's TCP port 8080 is forwarded through the tunnel
# to [fd00:66::2]:80, the host seeing the client's own address.  IPv4 is
# masqueraded by the same table at the same time.  diff is clean, down
# removes the table.
#
#   host fd00:66::2 ==wg== far 2001:db8:20::1 --- dst 2001:db8:20::2
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"
command -v socat >/dev/null || skip "no socat"

ns_make H host
ns_make F far
ns_make D dst
veth "$H" up0 "$F" up0
veth "$F" f1 "$D" d0
nsx "$H" ip addr add 192.0.2.2/24 dev up0
nsx "$F" ip addr add 192.0.2.1/24 dev up0
nsx "$F" ip addr add 2001:db8:20::1/64 dev f1 nodad
nsx "$F" ip addr add 203.0.113.1/24 dev f1
# dst knows only its own subnets: it can answer the far end, not the host.
nsx "$D" ip addr add 2001:db8:20::2/64 dev d0 nodad
nsx "$D" ip addr add 203.0.113.2/24 dev d0
nsx "$F" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1

tun_name IH h
tun_name IF f
tun_key KH PH
tun_key KF PF
CH=$(tun_conf "$IH" <<CONF
[Interface]
PrivateKey = $KH
Address = fd00:66::2/64, 10.66.0.2/24

[Peer]
PublicKey = $PF
AllowedIPs = fd00:66::1/128, 2001:db8:20::/64, 10.66.0.1/32, 203.0.113.0/24
Endpoint = 192.0.2.1:51820
CONF
)
CF=$(tun_conf "$IF" <<CONF
[Interface]
PrivateKey = $KF
ListenPort = 51820
Address = fd00:66::1/64, 10.66.0.1/24
Masquerade = fd00:66::/64 oif f1
Masquerade = 10.66.0.0/24 oif f1
Forward = tcp 8080 to [fd00:66::2]:80

[Peer]
PublicKey = $PH
AllowedIPs = fd00:66::2/128, 10.66.0.2/32
CONF
)
et "$F" up "$CF" 2> "$T_TMP/err" || fail "up far: $(cat "$T_TMP/err")"
et "$H" up "$CH" 2> "$T_TMP/err" || fail "up host: $(cat "$T_TMP/err")"
wait_for 10 nsx "$H" ping -c 1 -W 1 fd00:66::1 || fail "no IPv6 through the tunnel"

# Who the server sees: "peer ADDR" (socat writes IPv6 addresses in full).
bg SRV "$D" socat TCP6-LISTEN:80,bind=[2001:db8:20::2],reuseaddr,fork SYSTEM:'echo "peer \$SOCAT_PEERADDR"'
bg SRV4 "$D" socat TCP4-LISTEN:80,bind=203.0.113.2,reuseaddr,fork SYSTEM:'echo "peer \$SOCAT_PEERADDR"'
listening() { nsx "$D" ss -Hltn 'sport = :80' | grep -c LISTEN | grep -qx 2; }
wait_for 5 listening || fail "the server does not listen"
out=$(nsx "$H" timeout 5 socat -T 3 - 'TCP6:[2001:db8:20::2]:80' 2>&1)
[ "$out" = "peer [2001:0db8:0020:0000:0000:0000:0000:0001]" ] || fail "IPv6 masquerade: the server saw \"$out\""
out=$(nsx "$H" timeout 5 socat -T 3 - TCP4:203.0.113.2:80 2>&1)
[ "$out" = "peer 203.0.113.1" ] || fail "IPv4 masquerade: the server saw \"$out\""
ok "Masquerade: fd00:66::2 reaches 2001:db8:20::2 as 2001:db8:20::1 (and IPv4 alike)"

# The forwarded port: dst -> [2001:db8:20::1]:8080 -> [fd00:66::2]:80.
bg WEB "$H" socat TCP6-LISTEN:80,bind=[fd00:66::2],reuseaddr,fork SYSTEM:'echo "host sees \$SOCAT_PEERADDR"'
hlistening() { nsx "$H" ss -Hltn 'sport = :80' | grep -q LISTEN; }
wait_for 5 hlistening || fail "the host does not listen"
out=$(nsx "$D" timeout 5 socat -T 3 - 'TCP6:[2001:db8:20::1]:8080' 2>&1)
[ "$out" = "host sees [2001:0db8:0020:0000:0000:0000:0000:0002]" ] || fail "Forward to [fd00:66::2]:80: \"$out\""
ok "Forward: [2001:db8:20::1]:8080 reaches [fd00:66::2]:80 through the tunnel, client address kept"

# Without the table nothing passes: the traffic above was the NAT's doing.
nsx "$F" nft delete table inet "edgekit_$IF"
out=$(nsx "$H" timeout 4 socat -T 2 - 'TCP6:[2001:db8:20::2]:80,connect-timeout=2' 2>&1) &&
	[ "$out" = "peer [2001:0db8:0020:0000:0000:0000:0000:0001]" ] && fail "masqueraded without the nftables table"
et "$F" diff "$CF" > "$T_TMP/plan" && fail "diff missed the deleted table"
et "$F" sync "$CF" || fail "sync"
out=$(nsx "$D" timeout 5 socat -T 3 - 'TCP6:[2001:db8:20::1]:8080' 2>&1)
[ "$out" = "host sees [2001:0db8:0020:0000:0000:0000:0000:0002]" ] || fail "Forward after sync: \"$out\""
et "$F" diff "$CF" > "$T_TMP/plan" || fail "diff: $(cat "$T_TMP/plan")"
ok "the table deleted: IPv6 traffic stops; diff reports it, sync brings it back"

et "$F" down "$CF" > /dev/null || fail "down"
nsx "$F" nft list tables | grep -q "edgekit_$IF" && fail "down left the nftables table"
ok "down removed the nftables table"
