#!/bin/bash
# SPDX-License-Identifier: ISC
#
# SIGHUP reads edge-failover's configuration again.  Gateways still
# configured keep their state: a primary held down by UpAfter stays down
# through the reload (a restart would take it back at its first good
# results).  Routes of destinations, tables and metrics no longer
# configured are removed at once (before, they stayed until "flush"),
# new ones appear, unchanged ones stay in place, other programs' routes
# in the same tables are untouched.  A file with an error changes
# nothing: the message names file:line and the daemon goes on.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/failover-lib.sh"

fo_lab wan0 lte0
conf=$T_TMP/failover.conf
gateways() {
	cat <<-EOF
	[Failover]
	StateFile = $T_TMP/state
	DownAfter = 600ms
	UpAfter = 30s
	StreamTimeout = 3s

	[Gateway]
	Name = wan
	Device = wan0
	Via = 10.8.1.1
	Targets = wan0-far

	[Gateway]
	Name = lte
	Device = lte0
	Via = 10.8.2.1
	Tier = 2
	Targets = lte0-far

	[Group]
	Name = inet
	EOF
}
{
	gateways
	cat <<-EOF

	[Group]
	Name = guests
	Table = 100

	[Group]
	Name = lists
	Destination = 192.0.2.0/24, 198.51.100.0/24
	EOF
} >"$conf"

# Other programs' routes in the same tables.
nsx "$FO_HOME" ip route add 203.0.113.0/24 via 10.8.1.1 table 100 proto static
nsx "$FO_HOME" ip route add 203.0.113.0/25 via 10.8.1.1 proto static

mkfifo "$T_TMP/stream"
bg FO "$FO_HOME" "$BIN/edge-failover" -f "$conf" -i "$T_TMP/stream" \
	2>"$T_TMP/fo.log"
fo_prober PROBE "$T_TMP/stream" wan0 lte0

routes() {	# TABLE: edge-failover's routes there, one line
	nsx "$FO_HOME" ip route show table "$1" proto 203 | tr -s ' \n' '  '
}
fo_wait_route 5 "default via 10.8.1.1 dev wan0" ||
	{ cat "$T_TMP/fo.log"; fail "no route via wan0: $(fo_route)"; }
wait_for 3 sh -c "ip -n $FO_HOME route show table 100 proto 203 | grep -q 'default via 10.8.1.1'" ||
	fail "no default route in table 100: $(routes 100)"
[ "$(nsx "$FO_HOME" ip route show proto 203 | wc -l)" -eq 3 ] ||
	fail "main: $(routes main)"
ok "three groups programmed: main: $(routes main); table 100: $(routes 100)"

# The primary dies and comes back: held down for UpAfter (30 s).
fo_blackhole 1 on
fo_wait_route 5 "default via 10.8.2.1 dev lte0" ||
	{ cat "$T_TMP/fo.log"; fail "no switch to LTE: $(fo_route)"; }
fo_blackhole 1 off
since() {	# GATEWAY: state and since-when from the state file
	"$BIN/edge-failover" status -S "$T_TMP/state" | awk -v g="$1" '$1 == g { print $2, $3 }'
}
read -r st0 since0 <<<"$(since wan)"
[ "$st0" = down ] || fail "wan is $st0 after the outage"
sleep 1	# good results again, still inside UpAfter

# --- reload: guests (table 100) gone, lists loses 192.0.2.0/24, a new
# group in table 200 ---
{
	gateways
	cat <<-EOF

	[Group]
	Name = lists
	Destination = 198.51.100.0/24

	[Group]
	Name = office
	Destination = 10.200.0.0/16
	Table = 200
	EOF
} >"$conf"
inet0=$(grep -c "group inet: route" "$T_TMP/fo.log")
kill -HUP "$FO"
wait_for 3 grep -q "reloaded $conf: 2 gateways, 3 groups, 2 routes no longer configured removed" \
	"$T_TMP/fo.log" || { cat "$T_TMP/fo.log"; fail "no reload"; }
[ -z "$(routes 100)" ] || fail "table 100 still has: $(routes 100)"
nsx "$FO_HOME" ip route show table 100 | grep -q "^203.0.113.0/24 via 10.8.1.1 .*proto static" ||
	fail "the static route in table 100 is gone"
nsx "$FO_HOME" ip route show | grep -q "^203.0.113.0/25 via 10.8.1.1 .*proto static" ||
	fail "the static route in main is gone"
nsx "$FO_HOME" ip route show proto 203 | grep -q "^192.0.2.0/24" &&
	fail "192.0.2.0/24 still routed: $(routes main)"
nsx "$FO_HOME" ip route show proto 203 | grep -q "^198.51.100.0/24 via 10.8.2.1 dev lte0" ||
	fail "198.51.100.0/24 lost: $(routes main)"
wait_for 3 sh -c "ip -n $FO_HOME route show table 200 proto 203 | grep -q '^10.200.0.0/16 via 10.8.2.1 dev lte0'" ||
	fail "table 200: \"$(routes 200)\""
ok "after SIGHUP: table 100 and 192.0.2.0/24 gone, static routes kept, table 200: $(routes 200)"

# The state moved over: wan still down, since the same time, and the
# default route still on LTE although wan answers again.
read -r st1 since1 <<<"$(since wan)"
[ "$st1" = down ] || fail "wan is $st1 after the reload, wanted down (held by UpAfter)"
[ $((since1 - since0)) -le 500 ] && [ $((since0 - since1)) -le 500 ] ||
	fail "wan down since $since0 before the reload, $since1 after"
sleep 3
fo_route | grep -q "default via 10.8.2.1 dev lte0" ||
	fail "the default route left LTE before UpAfter: $(fo_route)"
# Unchanged, the group was not reprogrammed by the reload.
[ "$(grep -c "group inet: route" "$T_TMP/fo.log")" -eq "$inet0" ] ||
	fail "inet reprogrammed: $(grep "group inet: route" "$T_TMP/fo.log")"
ok "gateway states kept: wan down since $since1 and still held, default via LTE"

# --- a bad file: nothing changes, the daemon goes on ---
before=$(routes main; routes 200)
printf '[Gateway]\nName = x\nDevice = x0\nWeight = 0\n' >"$conf"
kill -HUP "$FO"
wait_for 3 grep -q "reload: $conf:4: Weight \"0\"" "$T_TMP/fo.log" ||
	{ cat "$T_TMP/fo.log"; fail "no file:line error for the bad file"; }
grep -q "the running configuration stays" "$T_TMP/fo.log" || fail "no word that nothing changed"
kill -0 "$FO" || fail "edge-failover died on a bad file"
[ "$(routes main; routes 200)" = "$before" ] || fail "routes changed: $(routes main; routes 200)"
read -r st2 _ <<<"$(since wan)"
[ "$st2" = down ] || fail "wan is $st2 after the bad reload"
ok "a bad file on SIGHUP: $(grep -o "$conf:4: .*" "$T_TMP/fo.log" | head -n 1); nothing changed"
