#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Two uplinks: a home router H with wan0 (the default route) and wan1, each
# through its own router (R0, R1) to one far host T.  A probe bound with
# "dev" or "mark" must leave through its own uplink whatever the default
# route is: nft counters on T, per incoming link, say which way each probe
# came; the same for IPv6 (icmp and tcp).  Then wan1 is blackholed upstream: its probes go down while wan0's
# stay up, and none leaks out through wan0.
source "$(dirname "$0")/lib.sh"

P=$BIN/edge-probe
[ -x "$P" ] || fail "no $P"
ns_make H home
ns_make R0 isp0
ns_make R1 isp1
ns_make T far
veth "$H" wan0 "$R0" d0
veth "$H" wan1 "$R1" d1
veth "$R0" u0 "$T" t0
veth "$R1" u1 "$T" t1
nsx "$H" ip addr add 192.0.2.1/24 dev wan0
nsx "$R0" ip addr add 192.0.2.254/24 dev d0
nsx "$H" ip addr add 198.51.100.1/24 dev wan1
nsx "$R1" ip addr add 198.51.100.254/24 dev d1
nsx "$R0" ip addr add 203.0.113.1/30 dev u0
nsx "$T" ip addr add 203.0.113.2/30 dev t0
nsx "$R1" ip addr add 203.0.113.5/30 dev u1
nsx "$T" ip addr add 203.0.113.6/30 dev t1
nsx "$T" ip addr add 203.0.113.100/32 dev lo
nsx "$R0" ip route add default via 203.0.113.2
nsx "$R1" ip route add default via 203.0.113.6
nsx "$T" ip route add 192.0.2.0/24 via 203.0.113.1
nsx "$T" ip route add 198.51.100.0/24 via 203.0.113.5
for r in "$R0" "$R1"; do nsx "$r" sysctl -qw net.ipv4.ip_forward=1; done
# IPv6 the same way: 2001:db8:10::/64 on wan0, 2001:db8:11::/64 on wan1,
# the far host at 2001:db8:99::100.
nsx "$H" ip addr add 2001:db8:10::1/64 dev wan0 nodad
nsx "$R0" ip addr add 2001:db8:10::fe/64 dev d0 nodad
nsx "$H" ip addr add 2001:db8:11::1/64 dev wan1 nodad
nsx "$R1" ip addr add 2001:db8:11::fe/64 dev d1 nodad
nsx "$R0" ip addr add 2001:db8:20::1/64 dev u0 nodad
nsx "$T" ip addr add 2001:db8:20::2/64 dev t0 nodad
nsx "$R1" ip addr add 2001:db8:21::1/64 dev u1 nodad
nsx "$T" ip addr add 2001:db8:21::2/64 dev t1 nodad
nsx "$T" ip addr add 2001:db8:99::100/128 dev lo
nsx "$R0" ip -6 route add default via 2001:db8:20::2
nsx "$R1" ip -6 route add default via 2001:db8:21::2
nsx "$T" ip -6 route add 2001:db8:10::/64 via 2001:db8:20::1
nsx "$T" ip -6 route add 2001:db8:11::/64 via 2001:db8:21::1
for r in "$R0" "$R1"; do nsx "$r" sysctl -qw net.ipv6.conf.all.forwarding=1; done
nsx "$H" ip -6 route add default via 2001:db8:10::fe dev wan0 metric 10
nsx "$H" ip -6 route add default via 2001:db8:11::fe dev wan1 metric 20
nsx "$H" ip -6 route add default via 2001:db8:11::fe dev wan1 table 20
nsx "$H" ip -6 rule add fwmark 0x20 lookup 20

# The default route is wan0; wan1 has a worse default (found by a socket
# bound to wan1) and its own table for marked traffic.
nsx "$H" ip route add default via 192.0.2.254 dev wan0 metric 10
nsx "$H" ip route add default via 198.51.100.254 dev wan1 metric 20
nsx "$H" ip route add default via 198.51.100.254 dev wan1 table 20
nsx "$H" ip rule add fwmark 0x20 lookup 20

# Counters on the far side, per incoming link and protocol.
nsx "$T" nft -f - <<'EOF'
table inet cnt {
	counter icmp0 {}
	counter icmp1 {}
	counter tcp0 {}
	counter tcp1 {}
	counter dns0 {}
	counter dns1 {}
	chain in {
		type filter hook input priority 0;
		ip daddr 203.0.113.100 icmp type echo-request iifname "t0" counter name icmp0
		ip daddr 203.0.113.100 icmp type echo-request iifname "t1" counter name icmp1
		ip daddr 203.0.113.100 tcp dport 22 tcp flags & syn == syn iifname "t0" counter name tcp0
		ip daddr 203.0.113.100 tcp dport 22 tcp flags & syn == syn iifname "t1" counter name tcp1
		ip daddr 203.0.113.100 udp dport 53 iifname "t0" counter name dns0
		ip daddr 203.0.113.100 udp dport 53 iifname "t1" counter name dns1
	}
}
EOF
cnt() { nsx "$T" nft -j list counter inet cnt "$1" | jq '.nftables[1].counter.packets'; }
expect() {	# icmp0 icmp1 tcp0 tcp1 dns0 dns1
	local got
	got="$(cnt icmp0) $(cnt icmp1) $(cnt tcp0) $(cnt tcp1) $(cnt dns0) $(cnt dns1)"
	[ "$got" = "$*" ] || fail "counters icmp0 icmp1 tcp0 tcp1 dns0 dns1: $got, expected $*"
	echo "counters: $got"
}
bg _ "$T" socat TCP-LISTEN:22,fork,reuseaddr,bind=203.0.113.100 SYSTEM:'sleep 0.2'
bg _ "$T" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts \
	--listen-address=203.0.113.100 --bind-interfaces --port=53 \
	--address=/up.example/192.0.2.77 --pid-file="$T_TMP/dnsmasq.pid" \
	--user=root --group=root
wait_for 5 nsx "$T" bash -c 'echo > /dev/tcp/203.0.113.100/22' ||
	fail "responder did not start"
sleep 0.2
expect 0 0 0 0 0 0

# Unbound: the default route, wan0.
nsx "$H" "$P" -q -c 3 -i 10ms icmp 203.0.113.100 || fail "unbound probe down"
expect 3 0 0 0 0 0
# dev wan1: through wan1 although the default is wan0.
nsx "$H" "$P" -q -c 4 -i 10ms icmp 203.0.113.100 dev wan1 \
	tcp 203.0.113.100:22 dev wan1 \
	dns 203.0.113.100 dev wan1 query up.example expect 192.0.2.77 ||
	fail "probes bound to wan1 down"
expect 3 4 0 4 0 4
# mark 0x20: through wan1 by policy routing.
nsx "$H" "$P" -q -c 2 -i 10ms icmp 203.0.113.100 mark 0x20 \
	tcp 203.0.113.100:22 mark 0x20 \
	dns 203.0.113.100 mark 0x20 query up.example || fail "marked probes down"
expect 3 6 0 6 0 6
# Both uplinks in one run: one icmp socket per binding, each its own way.
out=$(nsx "$H" "$P" -v -c 5 -i 10ms icmp 203.0.113.100 dev wan0 name w0 \
	icmp 203.0.113.100 dev wan1 name w1 tcp 203.0.113.100:22 dev wan0 \
	2>"$T_TMP/err") || fail "both uplinks: $out"
grep -c 'raw socket' "$T_TMP/err" | grep -qx 2 || fail "expected two icmp sockets"
expect 8 11 5 6 0 6
# src 198.51.100.1: through wan1 by a source rule.
nsx "$H" ip rule add from 198.51.100.1 lookup 20
nsx "$H" "$P" -q -c 2 -i 10ms icmp 203.0.113.100 src 198.51.100.1 \
	tcp 203.0.113.100:22 src 198.51.100.1 \
	dns 203.0.113.100 src 198.51.100.1 query up.example || fail "src probes down"
expect 8 13 5 8 0 8
ok "dev, mark and src pick the uplink (icmp, tcp, dns), counted on the far side"

# IPv6: neighbours on every hop resolved first, then counters of their own.
for d in wan0 wan1; do
	wait_for 5 nsx "$H" ping -6 -c 1 -W 1 -I "$d" 2001:db8:99::100 \
		>/dev/null || fail "no IPv6 path through $d"
done
nsx "$T" nft -f - <<'EOF'
table inet cnt6 {
	counter icmp0 {}
	counter icmp1 {}
	counter tcp0 {}
	counter tcp1 {}
	chain in {
		type filter hook input priority 0;
		ip6 daddr 2001:db8:99::100 icmpv6 type echo-request iifname "t0" counter name icmp0
		ip6 daddr 2001:db8:99::100 icmpv6 type echo-request iifname "t1" counter name icmp1
		ip6 daddr 2001:db8:99::100 tcp dport 22 tcp flags & syn == syn iifname "t0" counter name tcp0
		ip6 daddr 2001:db8:99::100 tcp dport 22 tcp flags & syn == syn iifname "t1" counter name tcp1
	}
}
EOF
cnt6() { nsx "$T" nft -j list counter inet cnt6 "$1" | jq '.nftables[1].counter.packets'; }
expect6() {	# icmp0 icmp1 tcp0 tcp1
	local got
	got="$(cnt6 icmp0) $(cnt6 icmp1) $(cnt6 tcp0) $(cnt6 tcp1)"
	[ "$got" = "$*" ] || fail "IPv6 counters icmp0 icmp1 tcp0 tcp1: $got, expected $*"
	echo "IPv6 counters: $got"
}
bg _ "$T" socat TCP6-LISTEN:22,fork,reuseaddr,bind=[2001:db8:99::100] \
	SYSTEM:'sleep 0.2'
wait_for 5 nsx "$T" bash -c 'echo > /dev/tcp/2001:db8:99::100/22' ||
	fail "IPv6 responder did not start"
sleep 0.2
expect6 0 0 0 0
nsx "$H" "$P" -q -c 3 -i 10ms icmp 2001:db8:99::100 tcp [2001:db8:99::100]:22 ||
	fail "unbound IPv6 probes down"
expect6 3 0 3 0
nsx "$H" "$P" -q -c 4 -i 10ms icmp 2001:db8:99::100 dev wan1 \
	tcp [2001:db8:99::100]:22 dev wan1 || fail "IPv6 probes bound to wan1 down"
expect6 3 4 3 4
nsx "$H" "$P" -q -c 2 -i 10ms icmp 2001:db8:99::100 mark 0x20 \
	tcp [2001:db8:99::100]:22 mark 0x20 || fail "marked IPv6 probes down"
expect6 3 6 3 6
out=$(nsx "$H" "$P" -v -c 5 -i 10ms icmp 2001:db8:99::100 dev wan0 name w0 \
	icmp 2001:db8:99::100 dev wan1 name w1 \
	tcp [2001:db8:99::100]:22 dev wan0 name t0 \
	tcp [2001:db8:99::100]:22 mark 0x20 name t1 2>"$T_TMP/err") ||
	fail "both IPv6 uplinks: $out"
grep -c 'IPv6 raw socket' "$T_TMP/err" | grep -qx 2 ||
	fail "expected two IPv6 icmp sockets"
expect6 8 11 8 11
ok "IPv6: dev and mark pick the uplink (icmp, tcp), counted on the far side"
# A device that does not exist is an error naming the target.
rc=0
err=$(nsx "$H" "$P" icmp 203.0.113.100 dev wan9 2>&1) || rc=$?
[ $rc -eq 2 ] && echo "$err" | grep -q 'dev wan9: No such device' ||
	fail "missing device: $rc $err"

# Blackhole wan1 upstream, every link still up.
nsx "$R1" nft add table inet bh
nsx "$R1" nft add chain inet bh f '{ type filter hook forward priority 0; policy drop; }'
rc=0
out=$(nsx "$H" "$P" -c 3 -i 10ms -t 300ms icmp 203.0.113.100 dev wan0 name w0 \
	icmp 203.0.113.100 dev wan1 name w1 icmp 203.0.113.100 mark 0x20 name m1 \
	icmp 2001:db8:99::100 dev wan0 name w0v6 \
	icmp 2001:db8:99::100 dev wan1 name w1v6 \
	tcp [2001:db8:99::100]:22 mark 0x20 name m1v6) || rc=$?
echo "$out"
[ $rc -eq 1 ] || fail "exit $rc with wan1 blackholed"
echo "$out" | awk -F'\t' '$1 == "s" && $3 == "w0" && $9 == "0.0" { f = 1 } END { exit !f }' ||
	fail "wan0 not clean"
echo "$out" | awk -F'\t' '$1 == "s" && $3 == "w1" && $9 == "100.0" { f = 1 } END { exit !f }' ||
	fail "wan1 not down"
echo "$out" | awk -F'\t' '$1 == "s" && $3 == "m1" && $9 == "100.0" { f = 1 } END { exit !f }' ||
	fail "marked probe not down"
for n in w1v6 m1v6; do
	echo "$out" | awk -F'\t' -v n="$n" '$1 == "s" && $3 == n && $9 == "100.0" { f = 1 }
	    END { exit !f }' || fail "$n not down"
done
echo "$out" | awk -F'\t' '$1 == "s" && $3 == "w0v6" && $9 == "0.0" { f = 1 }
    END { exit !f }' || fail "IPv6 wan0 not clean"
# wan0's counter rose by its own 3 probes only: nothing of wan1 leaked.
expect 11 13 5 8 0 8
expect6 11 11 8 11
ok "wan1 blackholed: its probes down, wan0 up, no leak"
