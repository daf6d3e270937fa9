#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Three carriers in one tier share traffic through one weighted multipath
# route (weights 1, 2, 3); losing one re-weights the route over the other
# two.  Flows from the LAN (L4 hash) are counted as they leave home.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/failover-lib.sh"

fo_lab c1 c2 c3
nsx "$FO_HOME" sysctl -qw net.ipv4.fib_multipath_hash_policy=1
{
	echo "[Failover]"
	echo "StateFile = $T_TMP/state"
	echo "DownAfter = 600ms"
	for k in 1 2 3; do
		printf '\n[Gateway]\nName = carrier%d\nDevice = c%d\n' $k $k
		printf 'Via = 10.8.%d.1\nWeight = %d\nTargets = c%d-far\n' $k $k $k
	done
	printf '\n[Group]\nName = internet\nAllDown = all\n'
} >"$T_TMP/c.conf"

mkfifo "$T_TMP/stream"
bg FO "$FO_HOME" "$BIN/edge-failover" -f "$T_TMP/c.conf" \
	-i "$T_TMP/stream" 2>"$T_TMP/fo.log"
fo_prober PROBE "$T_TMP/stream" c1 c2 c3

all3="nexthop via 10.8.1.1 dev c1 weight 1 nexthop via 10.8.2.1 dev c2 weight 2 nexthop via 10.8.3.1 dev c3 weight 3"
fo_wait_route 5 "$all3" || { cat "$T_TMP/fo.log"; fail "no 3-way route: $(fo_route)"; }
ok "weighted multipath: $(fo_route)"

# count UDP flows leaving home through each carrier
nsx "$FO_HOME" nft -f - <<EOF
table ip focount {
	chain post {
		type filter hook postrouting priority 0;
		oifname "c1" udp dport 9 counter
		oifname "c2" udp dport 9 counter
		oifname "c3" udp dport 9 counter
	}
}
EOF
flows() {	# N: N UDP flows from the LAN, each from its own port
	nsx "$FO_LAN" bash -c "for i in \$(seq $1); do echo x >/dev/udp/$FO_SERVER/9; done"
}
count() {
	nsx "$FO_HOME" nft list chain ip focount post |
		awk -v d="\"c$1\"" '$2 == d { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }'
}
flows 120
c1=$(count 1) c2=$(count 2) c3=$(count 3)
echo "flows per carrier: $c1 $c2 $c3"
[ "$c1" -gt 0 ] && [ "$c2" -gt 0 ] && [ "$c3" -gt 0 ] ||
	fail "a carrier got no flows: $c1 $c2 $c3"
[ "$c3" -gt "$c1" ] || fail "weight 3 got fewer flows than weight 1: $c3 <= $c1"
ok "flows spread by weight: $c1 $c2 $c3"

fo_blackhole 2 on
two="nexthop via 10.8.1.1 dev c1 weight 1 nexthop via 10.8.3.1 dev c3 weight 3"
fo_wait_route 3 "$two" || { cat "$T_TMP/fo.log"; fail "not re-weighted: $(fo_route)"; }
ok "carrier2 lost: $(fo_route)"
flows 60
d2=$(($(count 2) - c2))
[ "$d2" -eq 0 ] || fail "carrier2 still got $d2 flows"
ok "no new flows through carrier2"

# all three down: AllDown = all spreads over every carrier
fo_blackhole 1 on
fo_blackhole 3 on
fo_wait_route 3 "$all3" || { cat "$T_TMP/fo.log"; fail "AllDown = all: $(fo_route)"; }
ok "all down: every carrier ($(fo_route))"
