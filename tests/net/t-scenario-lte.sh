#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Scenario "an LTE-only home": three carrier uplinks used active-active
# through one weighted multipath default route (edge-probe | edge-failover,
# one tier, weights 1:2:3), the tunnel to the VPS riding on top and
# carrying the home's IPv6 /80.  Losing a carrier upstream (an nft drop in
# its network, carrier kept up), the very one the tunnel uses, re-weights
# the route over the other two, and the tunnel and the LAN's IPv4 traffic
# carry on; when it comes back the route is 1:2:3 again.  A breakout list
# from an AWS-style JSON file (scripts/edge-routes-fetch) is routed out of
# carrier 1 directly, whatever the multipath route would choose.
#
#   lan 10.90.0.2, ::11 -- home -- c1 -- isp1 --\
#                               -- c2 -- isp2 ---+-- inet 203.0.113.10
#                               -- c3 -- isp3 --/     |-- vps 203.0.113.70
#                           (masquerade)              |-- client6
#                                                     \-- "EC2" 198.18.1.1
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
source "$(dirname "$0")/failover-lib.sh"
sc_need edge-tunnel edge-probe edge-failover edge-routes

fo_lab c1 c2 c3
HOME_=$FO_HOME; LAN=$FO_LAN; NET=$FO_NET
nsx "$HOME_" sysctl -qw net.ipv4.fib_multipath_hash_policy=1
nsx "$HOME_" sysctl -qw net.ipv6.conf.all.forwarding=1
for n in "$HOME_" "$LAN" "$NET"; do nsx "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0; done
nsx "$NET" sysctl -qw net.ipv6.conf.all.forwarding=1
nsx "$NET" sysctl -qw net.ipv4.ip_forward=1
ns_make VPS vps
ns_make C6 client6
veth "$NET" e-vps "$VPS" wan0
veth "$NET" e-c6 "$C6" eth0
nsx "$NET" ip addr add 203.0.113.65/26 dev e-vps
nsx "$NET" ip -6 addr add 2001:db8:f::1/64 dev e-vps nodad
nsx "$NET" ip -6 addr add 2001:db8:c::1/64 dev e-c6 nodad
nsx "$NET" ip -6 route add 2001:db8:1::/64 via 2001:db8:f::10
nsx "$NET" ip addr add 198.18.1.1/32 dev lo
nsx "$VPS" ip addr add 203.0.113.70/26 dev wan0
nsx "$VPS" ip -6 addr add 2001:db8:f::10/64 dev wan0 nodad
nsx "$VPS" ip route add default via 203.0.113.65
nsx "$VPS" ip -6 route add default via 2001:db8:f::1
nsx "$VPS" sysctl -qw net.ipv6.conf.all.forwarding=1
nsx "$C6" ip -6 addr add 2001:db8:c::10/64 dev eth0 nodad
nsx "$C6" ip -6 route add default via 2001:db8:c::1
nsx "$HOME_" ip -6 addr add 2001:db8:1:0:1::1/80 dev lan0 nodad
nsx "$LAN" ip -6 addr add 2001:db8:1:0:1::11/80 dev eth0 nodad
nsx "$LAN" ip -6 route add default via 2001:db8:1:0:1::1

# The gateways: one tier, weights 1:2:3, conntrack flushed off a dead one.
{
	echo "[Failover]"
	echo "DownAfter = 600ms"
	echo "UpAfter = 2s"
	echo "Hook = echo \"\$GATEWAY \$PREVIOUS -> \$STATE: \$ROUTE\" >> $T_TMP/hook.log"
	for k in 1 2 3; do
		printf '\n[Gateway]\nName = carrier%d\nDevice = c%d\n' $k $k
		printf 'Via = 10.8.%d.1\nWeight = %d\nTargets = c%d-far\n' $k $k $k
		printf 'FlushConntrack = yes\n'
	done
	printf '\n[Group]\nName = internet\nAllDown = all\n'
} > "$T_TMP/carriers.conf"
mkfifo "$T_TMP/stream"
bg FO "$HOME_" "$BIN/edge-failover" -f "$T_TMP/carriers.conf" -S "$T_TMP/state" \
    -i "$T_TMP/stream" 2>"$T_TMP/fo.log"
fo_prober PROBE "$T_TMP/stream" c1 c2 c3
all3="^default nexthop via 10.8.1.1 dev c1 weight 1 nexthop via 10.8.2.1 dev c2 weight 2 nexthop via 10.8.3.1 dev c3 weight 3 ?$"
fo_wait_route 6 "$all3" || fail "no weighted 3-way default: $(fo_route); $(cat "$T_TMP/fo.log")"
ok "edge-probe | edge-failover: $(fo_route)"

# The tunnel to the VPS on top of the carriers, carrying the /80.
sc_tun_name IH h
sc_tun_name IV v
KH=$(wg genkey); KV=$(wg genkey)
CV=$(sc_conf "$IV" <<CONF
[Interface]
PrivateKey = $KV
ListenPort = 51820
Address = fd00:99::1/64

[Peer]
PublicKey = $(echo "$KH" | wg pubkey)
AllowedIPs = fd00:99::2/128, 2001:db8:1:0:1::/80
CONF
)
CH=$(sc_conf "$IH" <<CONF
[Interface]
PrivateKey = $KH
Address = fd00:99::2/64
Rule = from 2001:db8:1:0:1::/80 to 2001:db8:1:0:1::/80 table main priority 90
Rule = from 2001:db8:1:0:1::/80 table 100 priority 100

[Peer]
PublicKey = $(echo "$KV" | wg pubkey)
Endpoint = 203.0.113.70:51820
AllowedIPs = ::/0
Table = 100
PersistentKeepalive = 2
CONF
)
sc_tunnel "$VPS" "$CV"
sc_tunnel "$HOME_" "$CH"
sc_wait 10 nsx "$C6" ping -c 1 -W 1 2001:db8:1:0:1::11 || {
	nsx "$HOME_" wg show; nsx "$VPS" wg show; nsx "$HOME_" ip -6 rule; nsx "$HOME_" ip -6 route show table all
	fail "the IPv6 client cannot reach the LAN through the tunnel"; }
ok "the tunnel rides the carriers: client6 reaches 2001:db8:1:0:1::11 via the VPS"

# IPv4 flows from the LAN spread over all three carriers.
nsx "$HOME_" nft -f - <<EOF
table ip sccount {
	chain post {
		type filter hook postrouting priority 0;
		oifname "c1" udp dport 9 counter
		oifname "c2" udp dport 9 counter
		oifname "c3" udp dport 9 counter
		oifname "c1" udp dport 51820 counter
		oifname "c2" udp dport 51820 counter
		oifname "c3" udp dport 51820 counter
	}
}
EOF
flows() { nsx "$LAN" bash -c "for i in \$(seq $1); do echo x >/dev/udp/$2/9; done"; }
cnt() { sc_count "$HOME_" "ip sccount" post "oifname \"c$1\" udp dport $2"; }
flows 90 203.0.113.10
for k in 1 2 3; do eval "f$k=\$(cnt $k 9)"; done
[ "$f1" -gt 0 ] && [ "$f2" -gt 0 ] && [ "$f3" -gt 0 ] || fail "a carrier got no flows: $f1 $f2 $f3"
[ "$f3" -gt "$f1" ] || fail "weight 3 got fewer flows than weight 1: $f1 $f2 $f3"
ok "90 LAN flows spread over the carriers: $f1 $f2 $f3"

# Which carrier carries the tunnel?  Cut exactly that one.
nsx "$C6" ping -c 3 -i 0.2 -W 1 2001:db8:1:0:1::11 >/dev/null || true
tk=
for k in 1 2 3; do [ "$(cnt "$k" 51820)" -gt 0 ] && tk="$tk$k"; done
[ "${#tk}" = 1 ] || fail "the tunnel should leave by one carrier, used: '$tk'"
ok "the tunnel leaves by carrier $tk"

bg WHO "$NET" socat TCP-LISTEN:7,bind=203.0.113.10,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR'
# Long-running traffic: the IPv6 client through the tunnel, the LAN over IPv4.
nsx "$C6" ping -D -i 0.1 -W 1 2001:db8:1:0:1::11 > "$T_TMP/ping6.log" 2>&1 &
T_PIDS+=($!)
nsx "$LAN" ping -D -i 0.1 -W 1 203.0.113.10 > "$T_TMP/ping4.log" 2>&1 &
T_PIDS+=($!)
sleep 0.5
t0=$(sc_ms)
fo_blackhole "$tk" on
case $tk in
1) two="nexthop via 10.8.2.1 dev c2 weight 2 nexthop via 10.8.3.1 dev c3 weight 3" ;;
2) two="nexthop via 10.8.1.1 dev c1 weight 1 nexthop via 10.8.3.1 dev c3 weight 3" ;;
3) two="nexthop via 10.8.1.1 dev c1 weight 1 nexthop via 10.8.2.1 dev c2 weight 2" ;;
esac
fo_wait_route 5 "^default $two ?\$" || fail "not re-weighted after losing carrier $tk: $(fo_route)"
moved=$(sc_elapsed "$t0")
ok "carrier $tk dropped upstream: $(fo_route) after $moved ms"

# replies LOG: the latest reply's time must be recent, and the longest gap
# between replies bounded (failover + conntrack flush + one keepalive).
gap() {	# log: the longest gap between replies, in ms; and the last reply's age
	awk -v now="$(date +%s.%N)" '/bytes from/ { t = substr($1, 2, length($1) - 2)
		if (p != "" && (t - p) * 1000 > g) g = (t - p) * 1000; p = t }
		END { printf "%d %d\n", g, (now - p) * 1000 }' "$1"
}
sc_wait 8 bash -c "[ \$(awk -v now=\$(date +%s.%N) '/bytes from/ { p = substr(\$1, 2, length(\$1) - 2) } END { print int((now - p) * 1000) }' $T_TMP/ping6.log) -lt 300 ]" ||
	fail "the tunnel did not recover after losing carrier $tk: $(tail -n 3 "$T_TMP/ping6.log")"
sleep 1
read -r g6 a6 < <(gap "$T_TMP/ping6.log")
read -r g4 a4 < <(gap "$T_TMP/ping4.log")
[ "$a4" -lt 300 ] || fail "the LAN's IPv4 traffic stopped after losing carrier $tk"
[ "$g6" -lt 5000 ] || fail "the tunnel was out for $g6 ms"
[ "$g4" -lt 5000 ] || fail "the LAN's IPv4 was out for $g4 ms"
ok "traffic kept flowing: tunnel (IPv6) out for $g6 ms, LAN IPv4 out for $g4 ms"
ok "the tunnel now leaves by carriers: $(for k in 1 2 3; do printf '%s=%s ' c$k "$(cnt $k 51820)"; done)"
before=$(cnt "$tk" 9)
flows 60 203.0.113.10
[ "$(cnt "$tk" 9)" = "$before" ] || fail "new flows still leave by the dead carrier $tk"
# New TCP connections all complete, from the two live carriers' addresses.
seen=$(for i in $(seq 20); do nsx "$LAN" timeout 3 socat -u TCP:203.0.113.10:7 - || echo failed; done | sort | uniq -c | tr -s ' \n' '  ')
case $seen in *failed*|*10.8.$tk.2*) fail "TCP connections after losing carrier $tk: $seen" ;; esac
ok "no new flow leaves by carrier $tk; 20 new TCP connections all answered, seen from:$seen"

t0=$(sc_ms)
fo_blackhole "$tk" off
fo_wait_route 8 "$all3" || fail "carrier $tk back but the route is $(fo_route)"
ok "carrier $tk back: 1:2:3 again after $(sc_elapsed "$t0") ms (UpAfter 2 s)"

# The breakout list: the saved AWS-style sample through the fetcher, out of
# carrier 1 directly, in table 200.
"$TOP/scripts/edge-routes-fetch" aws -s EC2 -r eu-central-1 \
    "$TOP/scripts/lab-data/aws-ip-ranges.json" > "$T_TMP/aws.list" ||
	fail "edge-routes-fetch on the saved sample"
out=$(nsx "$HOME_" "$BIN/edge-routes" sync -4 -t 200 -g 10.8.1.1 -d c1 "$T_TMP/aws.list" 2>&1) ||
	fail "edge-routes sync: $out"
nsx "$HOME_" ip rule add lookup 200 priority 200
nsx "$HOME_" ip route show table 200 | grep -q "198.18.0.0/22 via 10.8.1.1 dev c1 proto 202" ||
	fail "no breakout route: $(nsx "$HOME_" ip route show table 200)"
b1=$(cnt 1 9) b2=$(cnt 2 9) b3=$(cnt 3 9)
flows 60 198.18.1.1
n1=$(( $(cnt 1 9) - b1 )) n2=$(( $(cnt 2 9) - b2 )) n3=$(( $(cnt 3 9) - b3 ))
[ "$n1" = 60 ] && [ "$n2" = 0 ] && [ "$n3" = 0 ] ||
	fail "breakout flows by carrier: $n1 $n2 $n3, expected 60 0 0"
nsx "$LAN" ping -c 2 -i 0.2 -W 2 198.18.1.1 >/dev/null || fail "no reply from the provider's host"
ok "$(grep -vc '^#' "$T_TMP/aws.list") EC2 prefixes via carrier 1 (table 200): 60 of 60 flows to 198.18.1.1 left by c1"
grep -q "carrier$tk up -> down" "$T_TMP/hook.log" || fail "the hook did not see carrier $tk go down"
