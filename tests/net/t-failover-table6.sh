#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Groups that program given prefixes in table 100, for IPv4 and IPv6:
# "six" spreads default6 and 2001:db8:ff::/48 over two IPv6 gateways of one
# tier (a weighted IPv6 multipath route), "four" fails 198.51.100.0/24
# and 203.0.113.0/24 over from one IPv4 gateway to another.  Blackholing
# the first uplink re-points both groups, and nothing lands in main.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/failover-lib.sh"

[ -x "$BIN/edge-probe" ] || skip "edge-probe is not built"
fo_lab c1 c2
S6=2001:db8:ff::10
nsx "$FO_NET" ip -6 addr add $S6/128 dev lo
nsx "$FO_HOME" sysctl -qw net.ipv6.conf.all.forwarding=1
for k in 1 2; do
	isp=$(fo_isp $k)
	nsx "$isp" sysctl -qw net.ipv6.conf.all.forwarding=1
	nsx "$FO_HOME" ip -6 addr add "2001:db8:8$k::2/64" dev "c$k" nodad
	nsx "$isp" ip -6 addr add "2001:db8:8$k::1/64" dev cust nodad
	nsx "$isp" ip -6 addr add "2001:db8:9$k::1/64" dev upl nodad
	nsx "$FO_NET" ip -6 addr add "2001:db8:9$k::2/64" dev "e$k" nodad
	nsx "$isp" ip -6 route add default via "2001:db8:9$k::2"
	nsx "$FO_NET" ip -6 route add "2001:db8:8$k::/64" via "2001:db8:9$k::1"
	nsx "$FO_HOME" ip -6 route add default via "2001:db8:8$k::1" dev "c$k" \
		metric $((100 + k))
done
# New links' link-local addresses go through DAD before neighbour
# discovery can run: wait until each uplink carries IPv6, or the first
# second of probes is lost and the gateways start down.
for k in 1 2; do
	wait_for 10 nsx "$FO_HOME" ping -6 -c 1 -W 1 -I c$k $S6 >/dev/null ||
		fail "no IPv6 through c$k"
done

cat >"$T_TMP/t.conf" <<EOF
[Failover]
StateFile = $T_TMP/state
DownAfter = 600ms

[Gateway]
Name = a6
Device = c1
Via = 2001:db8:81::1
Targets = c1-far6

[Gateway]
Name = b6
Device = c2
Via = 2001:db8:82::1
Weight = 2
Targets = c2-far6

[Gateway]
Name = a4
Device = c1
Via = 10.8.1.1
Targets = c1-far

[Gateway]
Name = b4
Device = c2
Via = 10.8.2.1
Tier = 2
Targets = c2-far

[Group]
Name = six
Gateways = a6, b6
Destination = default6, 2001:db8:ff::/48
Table = 100
Metric = 10

[Group]
Name = four
Gateways = a4, b4
Destination = 198.51.100.0/24, 203.0.113.0/24
Table = 100
Metric = 10
EOF

mkfifo "$T_TMP/stream"
bg FO "$FO_HOME" "$BIN/edge-failover" -f "$T_TMP/t.conf" \
	-i "$T_TMP/stream" 2>"$T_TMP/fo.log"
bg PROBE "$FO_HOME" "$BIN/edge-probe" -i 0.2 -t 0.2 -R 0 \
	icmp $FO_SERVER dev c1 name c1-far icmp $FO_SERVER dev c2 name c2-far \
	icmp $S6 dev c1 name c1-far6 icmp $S6 dev c2 name c2-far6 \
	>"$T_TMP/stream" 2>"$T_TMP/probe.err"

r6() { nsx "$FO_HOME" ip -6 route show table 100 proto 203 | tr -s ' \t\n' '   '; }
r4() { nsx "$FO_HOME" ip route show table 100 proto 203 | tr -s ' \t\n' '   '; }
m6="nexthop via 2001:db8:81::1 dev c1 weight 1 nexthop via 2001:db8:82::1 dev c2 weight 2"
wait_for 5 bash -c "[ \$(ip -n $FO_HOME -6 route show table 100 proto 203 | tr -s ' \t\n' '   ' | grep -o '$m6' | wc -l) -eq 2 ]" ||
	{ cat "$T_TMP/fo.log"; fail "IPv6 multipath: $(r6)"; }
r6 | grep -q "default metric 10" || fail "no default6 in table 100: $(r6)"
r6 | grep -q "2001:db8:ff::/48 metric 10" || fail "no /48: $(r6)"
ok "IPv6 multipath in table 100: $(r6)"
[ "$(r4)" = "198.51.100.0/24 via 10.8.1.1 dev c1 metric 10 203.0.113.0/24 via 10.8.1.1 dev c1 metric 10 " ] ||
	fail "IPv4 prefixes: '$(r4)'"
ok "IPv4 prefixes in table 100: $(r4)"
[ -z "$(nsx "$FO_HOME" ip route show proto 203; nsx "$FO_HOME" ip -6 route show proto 203)" ] ||
	fail "routes in main"

# traffic follows: the LAN... here home itself, through table 100
nsx "$FO_HOME" ip -6 rule add to 2001:db8:ff::/48 lookup 100 pref 100
wait_for 3 nsx "$FO_HOME" ping -6 -c 1 -W 1 $S6 || fail "no IPv6 path through table 100"

fo_blackhole 1 on
wait_for 4 bash -c "ip -n $FO_HOME -6 route show table 100 proto 203 | grep -q '^default via 2001:db8:82::1 dev c2 metric 10'" ||
	{ cat "$T_TMP/fo.log"; fail "IPv6 not re-pointed: $(r6)"; }
wait_for 2 bash -c "ip -n $FO_HOME route show table 100 proto 203 | grep -q '203.0.113.0/24 via 10.8.2.1 dev c2'" ||
	fail "IPv4 not failed over: $(r4)"
ok "after losing c1: $(r6) | $(r4)"
wait_for 3 nsx "$FO_HOME" ping -6 -c 1 -W 1 $S6 || fail "no IPv6 path after failover"
ok "IPv6 traffic through c2"

kill $FO
wait $FO 2>/dev/null || true
n=$(nsx "$FO_HOME" "$BIN/edge-failover" flush -f "$T_TMP/t.conf")
[ "$n" = 4 ] || fail "flush removed $n routes, wanted 4"
[ -z "$(r4)$(r6)" ] || fail "left after flush: $(r4) $(r6)"
nsx "$FO_HOME" ip -6 route show | grep -q "default via 2001:db8:81::1 dev c1 metric 101" ||
	fail "flush removed a route not its own"
ok "flush: the four routes of table 100 gone, the others kept"
