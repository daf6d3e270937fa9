#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-failover(8) example 2, taken from the page: three LTE carriers
# active-active (wwan0..2, next hops 10.64.K.1, weights 1:2:3, AllDown =
# all), with the sysctl the page asks for.  One weighted multipath route;
# a carrier dying leaves the other two with their weights; all of them
# dying spreads over all three again.  The file has no StateFile: the
# default, /run/edgekit/failover.state, in a private /run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/failover-lib.sh"
source "$(dirname "$0")/doc-lib.sh"

FO_NETS=("10.64.1.1/24 10.64.1.2" "10.64.2.1/24 10.64.2.2" "10.64.3.1/24 10.64.3.2")
fo_lab wwan0 wwan1 wwan2
nsx "$FO_HOME" sysctl -qw net.ipv4.fib_multipath_hash_policy=1

doc_block man/edge-failover.8 2 >"$T_TMP/carriers.conf"
grep -q '^AllDown = all$' "$T_TMP/carriers.conf" || fail "example 2 is not the carriers' file"
mkfifo "$T_TMP/stream"
bg FO "$FO_HOME" unshare -m sh -c 'mount -t tmpfs tmpfs /run &&
    exec "$0" -f "$1" -i "$2"' "$BIN/edge-failover" "$T_TMP/carriers.conf" \
	"$T_TMP/stream" 2>"$T_TMP/fo.log"
fo_prober PROBE "$T_TMP/stream" wwan0 wwan1 wwan2

w1="nexthop via 10.64.1.1 dev wwan0 weight 1"
w2="nexthop via 10.64.2.1 dev wwan1 weight 2"
w3="nexthop via 10.64.3.1 dev wwan2 weight 3"
fo_wait_route 8 "^default $w1 $w2 $w3 $" ||
	{ cat "$T_TMP/fo.log"; fail "no 1:2:3 multipath route: $(fo_route)"; }
ok "three carriers, one route: $(fo_route)"

fo_blackhole 2 on
fo_wait_route 5 "^default $w1 $w3 $" || fail "carrier 2 dead: $(fo_route)"
ok "carrier 2 dies: $(fo_route)"

fo_blackhole 1 on
fo_blackhole 3 on
fo_wait_route 5 "^default $w1 $w2 $w3 $" || fail "all dead, AllDown = all: $(fo_route)"
grep -q "gateway carrier3: up -> down" "$T_TMP/fo.log" || fail "carrier3 not down"
ok "all three die: AllDown = all spreads over all of them again"
# The default state file is where the page says.
nsenter -t "$FO" -m "$BIN/edge-failover" status -S /run/edgekit/failover.state |
	grep -qP '^carrier1\tdown\t' || fail "no state in /run/edgekit/failover.state"
ok "state in /run/edgekit/failover.state (made at start in an empty /run)"
