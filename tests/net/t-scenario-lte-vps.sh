#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Scenario "an LTE-only home", all of whose traffic leaves through the VPS:
# one WireGuard tunnel to the VPS per carrier, each pinned to its carrier
# by its FwMark and a rule (edge-tunnel: FwMark, Rule, Route, Masquerade),
# and the home's default route one weighted multipath route over the three
# tunnels (edge-probe pinging the VPS through each tunnel | edge-failover,
# one tier, weights 1:2:3, no next hops: straight into each tunnel).  The
# internet sees the VPS's address.  Losing a carrier upstream (nft drop,
# carrier up) re-weights the route over the other two tunnels and the
# LAN's traffic carries on; when it comes back the route is 1:2:3 again.
# A breakout list from an AWS-style JSON file (scripts/edge-routes-fetch)
# leaves by carrier 1 directly, not through the VPS.  (t-scenario-lte.sh
# is the other reading: the multipath route over the carriers themselves,
# the tunnel on top carrying the IPv6 /80.)
#
#   lan 10.90.0.2 -- home == tunK (mark 0x1K) == cK -- ispK --+-- inet
#          masquerade onto 10.99.0.1K                         |  203.0.113.10
#                                   vps 203.0.113.70, 10.99.0.1 --+  "EC2" 198.18.1.1
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
source "$(dirname "$0")/failover-lib.sh"
sc_need edge-tunnel edge-probe edge-failover edge-routes

fo_lab c1 c2 c3
HOME_=$FO_HOME; LAN=$FO_LAN; NET=$FO_NET
nsx "$HOME_" sysctl -qw net.ipv4.fib_multipath_hash_policy=1
nsx "$HOME_" sysctl -qw net.ipv4.conf.all.src_valid_mark=1
nsx "$NET" sysctl -qw net.ipv4.ip_forward=1
ns_make VPS vps
veth "$NET" e-vps "$VPS" wan0
nsx "$NET" ip addr add 203.0.113.65/26 dev e-vps
nsx "$NET" ip addr add 198.18.1.1/32 dev lo
nsx "$VPS" ip addr add 203.0.113.70/26 dev wan0
nsx "$VPS" ip route add default via 203.0.113.65
nsx "$VPS" sysctl -qw net.ipv4.ip_forward=1

# The VPS: one interface, a peer per home tunnel, the home's tunnel
# addresses masqueraded out to the internet.
KV=$(wg genkey)
sc_tun_name IV v
peers=
for k in 1 2 3; do
	eval "KH$k=\$(wg genkey)"
	eval "sc_tun_name IT$k t$k"
	kh=KH$k
	peers="$peers
[Peer]
PublicKey = $(echo "${!kh}" | wg pubkey)
AllowedIPs = 10.99.0.1$k/32
"
done
CV=$(sc_conf "$IV" <<CONF
[Interface]
PrivateKey = $KV
ListenPort = 51820
Address = 10.99.0.1/24
Masquerade = 10.99.0.0/24 oif wan0
$peers
CONF
)
sc_tunnel "$VPS" "$CV"

# Every packet of tunnel K (its mark) that leaves by another carrier is
# counted from before the tunnels come up: the first handshake included,
# which left by the main table's carrier 1 when edge-tunnel added the
# FwMark's rule after the link came up (the VPS then answered to carrier
# 1's address and WireGuard kept sending from it, through carrier K).
nsx "$HOME_" nft -f - <<EOF
table ip scpin {
	chain post {
		type filter hook postrouting priority 0;
		meta mark 0x11 oifname != "c1" counter
		meta mark 0x12 oifname != "c2" counter
		meta mark 0x13 oifname != "c3" counter
	}
}
EOF
astray() { sc_count "$HOME_" "ip scpin" post "meta mark 0x0000001$1 oifname"; }

# Home tunnel K: its packets carry mark 0x1K, which finds table 1K and its
# carrier's default route (what the carrier's DHCP gives, put in a table
# of its own); the LAN masqueraded onto the tunnel's address.
for k in 1 2 3; do
	it=IT$k kh=KH$k
	nsx "$HOME_" ip route add default via "10.8.$k.1" dev "c$k" table "1$k"
	c=$(sc_conf "${!it}" <<CONF
[Interface]
PrivateKey = ${!kh}
Address = 10.99.0.1$k/32
FwMark = 0x1$k
Table = off
Route = 10.99.0.1/32 metric 1$k
Rule = fwmark 0x1$k table 1$k priority 5$k
Masquerade = 10.90.0.0/24 oif ${!it}

[Peer]
PublicKey = $(echo "$KV" | wg pubkey)
Endpoint = 203.0.113.70:51820
AllowedIPs = 0.0.0.0/0
PersistentKeepalive = 1
CONF
)
	# The plan: the FwMark's rule and the masquerade before the device
	# and its peer (wireguard-go sends the first handshake as soon as
	# the peer is set, link up or not), the routes into it after.
	nsx "$HOME_" "$BIN/edge-tunnel" -n up "$c" > "$T_TMP/plan$k" || fail "edge-tunnel -n up $k"
	order=$(awk '/^\+ rule -4 .*fwmark/ { print "rule" } /^\+ nftables/ { print "nat" }
	    /^\+ link .* type wireguard/ { print "link" } /^~ wireguard .* peers/ { print "peer" }
	    /^~ link .* up$/ { print "up" } /^\+ route / { print "route" }' "$T_TMP/plan$k" | tr '\n' ' ')
	[ "$order" = "rule nat link peer up route " ] ||
		fail "tunnel $k: plan order '$order': $(cat "$T_TMP/plan$k")"
	sc_tunnel "$HOME_" "$c"
done
for k in 1 2 3; do
	it=IT$k
	sc_wait 10 nsx "$HOME_" ping -c 1 -W 1 -I "${!it}" 10.99.0.1 ||
		{ nsx "$HOME_" wg show; nsx "$VPS" wg show; fail "tunnel $k does not answer"; }
done
ok "three tunnels to the VPS, one per carrier (rules and masquerade planned before the peer): each pings 10.99.0.1"

nsx "$HOME_" nft -f - <<EOF
table ip sccount {
	chain post {
		type filter hook postrouting priority 0;
		oifname "$IT1" udp dport 9 counter
		oifname "$IT2" udp dport 9 counter
		oifname "$IT3" udp dport 9 counter
		oifname "$IT1" ip daddr 203.0.113.10 icmp type echo-request counter
		oifname "$IT2" ip daddr 203.0.113.10 icmp type echo-request counter
		oifname "$IT3" ip daddr 203.0.113.10 icmp type echo-request counter
		oifname "c1" ip daddr 198.18.0.0/15 counter
	}
}
EOF
tuncnt() { local it=IT$1; sc_count "$HOME_" "ip sccount" post "oifname \"${!it}\" udp dport 9"; }
pingcnt() { local it=IT$1; sc_count "$HOME_" "ip sccount" post "oifname \"${!it}\" ip daddr 203.0.113.10 icmp"; }
# Each tunnel leaves by its own carrier: peer K's endpoint as the VPS
# sees it is carrier K's address.
for k in 1 2 3; do
	kh=KH$k
	ep=$(nsx "$VPS" wg show "$IV" endpoints | awk -v p="$(echo "${!kh}" | wg pubkey)" '$1 == p { print $2 }')
	[ "${ep%:*}" = "10.8.$k.2" ] || fail "tunnel $k reaches the VPS from $ep, not carrier $k"
done
for k in 1 2 3; do
	[ "$(astray $k)" = 0 ] || fail "tunnel $k: $(astray $k) packets left by another carrier"
done
ok "each tunnel pinned to its carrier by its mark from its first packet: the VPS sees 10.8.1.2, 10.8.2.2, 10.8.3.2"

# The failover pipeline: the VPS's tunnel address probed through each
# tunnel, one gateway per tunnel, weights 1:2:3.
{
	echo "[Failover]"
	echo "DownAfter = 600ms"
	echo "UpAfter = 2s"
	echo "Hook = echo \"\$GATEWAY \$PREVIOUS -> \$STATE: \$ROUTE\" >> $T_TMP/hook.log"
	for k in 1 2 3; do
		it=IT$k
		printf '\n[Gateway]\nName = vps%d\nDevice = %s\n' "$k" "${!it}"
		printf 'Weight = %d\nTargets = t%d-far\nFlushConntrack = yes\n' "$k" "$k"
	done
	printf '\n[Group]\nName = internet\nAllDown = all\n'
} > "$T_TMP/tunnels.conf"
mkfifo "$T_TMP/stream"
bg FO "$HOME_" "$BIN/edge-failover" -f "$T_TMP/tunnels.conf" -S "$T_TMP/state" \
    -i "$T_TMP/stream" 2>"$T_TMP/fo.log"
bg PROBE "$HOME_" "$BIN/edge-probe" -i 0.2 -t 0.2 -R 0 \
    icmp 10.99.0.1 dev "$IT1" name t1-far \
    icmp 10.99.0.1 dev "$IT2" name t2-far \
    icmp 10.99.0.1 dev "$IT3" name t3-far >"$T_TMP/stream" 2>"$T_TMP/probe.err"
n1="nexthop dev $IT1 weight 1" n2="nexthop dev $IT2 weight 2" n3="nexthop dev $IT3 weight 3"
all3="^default $n1 $n2 $n3 ?\$"
fo_wait_route 8 "$all3" || fail "no weighted default over the tunnels: $(fo_route); $(cat "$T_TMP/fo.log")"
ok "edge-probe | edge-failover: $(fo_route)"

# LAN flows spread over the three tunnels and reach the internet from the
# VPS's address.
flows() { nsx "$LAN" bash -c "for i in \$(seq $1); do echo x >/dev/udp/$2/9; done"; }
for k in 1 2 3; do eval "b$k=\$(tuncnt $k)"; done
flows 90 203.0.113.10
for k in 1 2 3; do eval "f$k=\$((\$(tuncnt $k) - b$k))"; done
[ "$f1" -gt 0 ] && [ "$f2" -gt 0 ] && [ "$f3" -gt 0 ] || fail "a tunnel got no flows: $f1 $f2 $f3"
[ "$f3" -gt "$f1" ] || fail "weight 3 got fewer flows than weight 1: $f1 $f2 $f3"
bg WHO "$NET" socat TCP-LISTEN:7,bind=203.0.113.10,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR'
wait_for 5 nsx "$NET" bash -c 'exec 3<>/dev/tcp/203.0.113.10/7' || fail "no test server"
seen=$(for i in $(seq 12); do nsx "$LAN" timeout 3 socat -u TCP:203.0.113.10:7 - || echo failed; done | sort -u | tr '\n' ' ')
[ "$seen" = "203.0.113.70 " ] || fail "the internet should see only the VPS, saw: $seen"
ok "90 LAN flows over the tunnels, $f1 $f2 $f3; 12 TCP connections seen from 203.0.113.70"

# Lose the carrier of the tunnel that carries a running ping from the LAN.
nsx "$LAN" ping -D -i 0.1 -W 1 203.0.113.10 > "$T_TMP/ping4.log" 2>&1 &
T_PIDS+=($!)
sleep 0.5
tk=
for k in 1 2 3; do [ "$(pingcnt "$k")" -gt 0 ] && tk="$tk$k"; done
[ "${#tk}" = 1 ] || fail "the ping should take one tunnel, took: '$tk'"
case $tk in
1) two="$n2 $n3" ;;
2) two="$n1 $n3" ;;
3) two="$n1 $n2" ;;
esac
t0=$(sc_ms)
fo_blackhole "$tk" on
fo_wait_route 5 "^default $two ?\$" || fail "not re-weighted after losing carrier $tk: $(fo_route)"
ok "the ping goes by tunnel $tk; carrier $tk dropped upstream: $(fo_route) after $(sc_elapsed "$t0") ms"
sc_wait 8 bash -c "[ \$(awk -v now=\$(date +%s.%N) '/bytes from/ { p = substr(\$1, 2, length(\$1) - 2) } END { print int((now - p) * 1000) }' $T_TMP/ping4.log) -lt 300 ]" ||
	fail "the LAN's traffic did not recover: $(tail -n 3 "$T_TMP/ping4.log")"
sleep 1
g4=$(awk '/bytes from/ { t = substr($1, 2, length($1) - 2)
	if (p != "" && (t - p) * 1000 > g) g = (t - p) * 1000; p = t }
	END { printf "%d\n", g }' "$T_TMP/ping4.log")
[ "$g4" -lt 5000 ] || fail "the LAN's traffic was out for $g4 ms"
p0=$(pingcnt "$tk")
sleep 0.5
[ "$(pingcnt "$tk")" = "$p0" ] || fail "the ping still enters tunnel $tk"
ok "the LAN's ping moved to another tunnel: out for $g4 ms at most"
b2=$(tuncnt "$tk")
flows 60 203.0.113.10
[ "$(tuncnt "$tk")" = "$b2" ] || fail "new flows still enter tunnel $tk: $(( $(tuncnt "$tk") - b2 ))"
seen=$(for i in $(seq 12); do nsx "$LAN" timeout 3 socat -u TCP:203.0.113.10:7 - || echo failed; done | sort -u | tr '\n' ' ')
[ "$seen" = "203.0.113.70 " ] || fail "TCP connections after losing carrier $tk: $seen"
ok "no new flow enters tunnel $tk; 12 new TCP connections all answered through the VPS"

t0=$(sc_ms)
fo_blackhole "$tk" off
fo_wait_route 8 "$all3" || fail "carrier $tk back but the route is $(fo_route)"
ok "carrier $tk back: 1:2:3 again after $(sc_elapsed "$t0") ms (UpAfter 2 s)"
grep -q "vps$tk up -> down" "$T_TMP/hook.log" || fail "the hook did not see vps$tk go down: $(cat "$T_TMP/hook.log")"

# The breakout list: out of carrier 1 directly, in table 200.
"$TOP/scripts/edge-routes-fetch" aws -s EC2 -r eu-central-1 \
    "$TOP/scripts/lab-data/aws-ip-ranges.json" > "$T_TMP/aws.list" ||
	fail "edge-routes-fetch on the saved sample"
out=$(nsx "$HOME_" "$BIN/edge-routes" sync -4 -t 200 -g 10.8.1.1 -d c1 "$T_TMP/aws.list" 2>&1) ||
	fail "edge-routes sync: $out"
nsx "$HOME_" ip rule add lookup 200 priority 200
bc() { sc_count "$HOME_" "ip sccount" post 'oifname "c1" ip daddr 198.18.0.0/15'; }
b0=$(bc)
flows 30 198.18.1.1
[ $(( $(bc) - b0 )) = 30 ] || fail "breakout flows by carrier 1: $(( $(bc) - b0 )) of 30"
bg WHO2 "$NET" socat TCP-LISTEN:7,bind=198.18.1.1,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR'
wait_for 5 nsx "$NET" bash -c 'exec 3<>/dev/tcp/198.18.1.1/7' || fail "no provider server"
who=$(nsx "$LAN" timeout 3 socat -u TCP:198.18.1.1:7 -)
[ "$who" = 10.8.1.2 ] || fail "the provider should see carrier 1's address, saw '$who'"
ok "$(grep -vc '^#' "$T_TMP/aws.list") EC2 prefixes via carrier 1 (table 200): 30 of 30 flows left by c1; the provider sees 10.8.1.2, not the VPS"
