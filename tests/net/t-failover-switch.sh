#!/bin/bash
# SPDX-License-Identifier: ISC
#
# A home router with a primary uplink and a metered LTE backup, fed by the
# real edge-probe through a FIFO.  Blackholing the primary upstream (nft
# drop, carrier up) moves the default route to LTE within the time the
# hysteresis allows, and a LAN host's ping goes on through LTE; restoring
# it moves the route back only after UpAfter, and the LTE gateway's
# conntrack entries of the LAN's connections are gone after failback.
# The hook gets the gateway's loss on going down (at least DownLoss) and
# its latency, a number, on coming back.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/failover-lib.sh"

fo_lab wan0 lte0
cat >"$T_TMP/wan.conf" <<EOF
# primary and LTE backup
[Failover]
StateFile = $T_TMP/state
Hook = echo "\$EVENT \$GATEWAY \$STATE \$PREVIOUS loss=\$LOSS rtt=\$RTT route=\$ROUTE" >> $T_TMP/hook.log
DownAfter = 600ms
UpAfter = 3s
StreamTimeout = 3s
# A short window (10 results at 5/s), so that the loss the hook is given
# when the primary goes down is at least the 3 lost of those 10 however
# long the test ran before the cut.
Window = 2s

[Gateway]
Name = wan
Device = wan0
Via = 10.8.1.1
Tier = 1
Targets = wan0-far
# the primary masquerades too: its connections must move when it dies
FlushConntrack = yes

[Gateway]
Name = lte
Device = lte0
Via = 10.8.2.1
Tier = 2
Metered = yes
Targets = lte0-far
EOF

mkfifo "$T_TMP/stream"
bg FO "$FO_HOME" "$BIN/edge-failover" -v -f "$T_TMP/wan.conf" \
	-i "$T_TMP/stream" 2>"$T_TMP/fo.log"
fo_prober PROBE "$T_TMP/stream" wan0 lte0

fo_wait_route 5 "default via 10.8.1.1 dev wan0" ||
	{ cat "$T_TMP/fo.log"; fail "no route via wan0: $(fo_route)"; }
ok "route via the primary: $(fo_route)"

bg PING "$FO_LAN" sh -c "exec ping -n -D -i 0.05 $FO_SERVER >$T_TMP/ping.log"
sleep 1

# --- outage: blackhole the primary's upstream, carrier stays up ---
t0=$(fo_ms)
fo_blackhole 1 on
fo_wait_route 5 "default via 10.8.2.1 dev lte0" ||
	{ cat "$T_TMP/fo.log"; fail "no switch to LTE: $(fo_route)"; }
t1=$(fo_ms)
sw=$((t1 - t0))
echo "switch to LTE after $sw ms"
[ $sw -le 1500 ] || fail "switch took $sw ms"
ok "failover in $sw ms: $(fo_route)"

# The LAN's ping goes on through LTE: replies in the last second.
sleep 2
now=$(date +%s.%N)
n=$(awk -v t="$now" -F'[][]' '/bytes from/ && $2 > t - 1 { n++ } END { print n+0 }' \
	"$T_TMP/ping.log")
[ "$n" -ge 10 ] || fail "ping from the LAN stopped: $n replies in the last second"
ok "LAN ping continues via LTE ($n replies/s)"
grep -q "src=10.90.0.2 .*dst=10.8.2.2" <(nsx "$FO_HOME" cat /proc/net/nf_conntrack) ||
	fail "the LAN's ping is not masqueraded to LTE"
grep -q "gateway wan down up" "$T_TMP/hook.log" ||
	fail "hook not run: $(cat "$T_TMP/hook.log")"
grep -q "route=default via 10.8.2.1 dev lte0" "$T_TMP/hook.log" ||
	fail "hook's ROUTE: $(cat "$T_TMP/hook.log")"
# LOSS: the loss over the window when it went down, at least DownLoss
# (20 %) here; RTT: the average of the answered probes, or empty.
down=$(grep -m 1 "^gateway wan down up " "$T_TMP/hook.log")
loss=$(sed -n 's/.* loss=\([^ ]*\) .*/\1/p' <<<"$down")
rtt=$(sed -n 's/.* rtt=\([^ ]*\) .*/\1/p' <<<"$down")
[[ $loss =~ ^[0-9]+\.[0-9]$ ]] && awk -v l="$loss" 'BEGIN { exit !(l >= 20 && l <= 100) }' ||
	fail "hook's LOSS on going down is \"$loss\", not 20.0 to 100.0: $down"
[[ $rtt =~ ^[0-9]*$ ]] || fail "hook's RTT on going down is \"$rtt\": $down"
ok "hook ran: $(grep 'gateway wan down' "$T_TMP/hook.log")"

# --- both dead: AllDown = keep (the default) leaves the route alone ---
fo_blackhole 2 on
wait_for 3 grep -q "gateway lte down up" "$T_TMP/hook.log" || fail "LTE not down"
sleep 0.5
fo_route | grep -q "default via 10.8.2.1 dev lte0" ||
	fail "route changed with everything down: $(fo_route)"
"$BIN/edge-failover" status -S "$T_TMP/state" | grep -qP '^lte\tdown\t' ||
	fail "status does not show LTE down"
ok "everything down: the last route is kept"
fo_blackhole 2 off

# --- restore: failback only after UpAfter (3 s) of good probes ---
t2=$(fo_ms)
fo_blackhole 1 off
fo_wait_route 10 "default via 10.8.1.1 dev wan0" ||
	{ cat "$T_TMP/fo.log"; fail "no failback: $(fo_route)"; }
t3=$(fo_ms)
fb=$((t3 - t2))
echo "failback after $fb ms"
[ $fb -ge 3000 ] || fail "failback after $fb ms, before UpAfter"
[ $fb -le 5000 ] || fail "failback took $fb ms"
wait_for 3 grep -q "^gateway wan up down " "$T_TMP/hook.log" ||
	fail "no hook for the primary coming back: $(cat "$T_TMP/hook.log")"
up=$(grep -m 1 "^gateway wan up down " "$T_TMP/hook.log")
[[ $up =~ \ loss=[0-9]+\.[0-9]\ rtt=[1-9][0-9]*\  ]] ||
	fail "hook on failback: LOSS or RTT not numbers: $up"
echo "hook: $down; $up"
ok "failback after $fb ms (UpAfter 3 s)"

# The metered link's entries of the LAN's connections are gone, and the
# ping made a new one through the primary.
sleep 0.5
ct=$(nsx "$FO_HOME" cat /proc/net/nf_conntrack)
if grep -q "src=10.90.0.2 .*dst=10.8.2.2" <<<"$ct"; then
	fail "LTE conntrack entry left: $(grep 10.90.0.2 <<<"$ct")"
fi
grep -q "src=10.90.0.2 .*dst=10.8.1.2" <<<"$ct" ||
	fail "no new entry via the primary: $ct"
grep -q "gateway lte: deleted [1-9][0-9]* conntrack entries" "$T_TMP/fo.log" ||
	fail "no conntrack deletion logged"
ok "conntrack entries of LTE deleted on failback"

now=$(date +%s.%N)
n=$(awk -v t="$now" -F'[][]' '/bytes from/ && $2 > t - 0.4 { n++ } END { print n+0 }' \
	"$T_TMP/ping.log")
[ "$n" -ge 3 ] || fail "ping from the LAN stopped after failback"
ok "LAN ping continues via the primary"

# status verb
"$BIN/edge-failover" status -S "$T_TMP/state" >"$T_TMP/status" && rc=0 || rc=$?
cat "$T_TMP/status"
[ $rc -eq 0 ] || fail "status exit $rc with everything up"
grep -qP '^wan\tup\t[0-9]+\t[0-9]+\t[0-9.]+\t[0-9-]+\tyes$' "$T_TMP/status" ||
	fail "status line for wan"
grep -qP '^lte\tup\t.*\tno$' "$T_TMP/status" || fail "status line for lte"
ok "status"
grep "us after the decision" "$T_TMP/fo.log"

# A route deleted behind its back comes back within a few seconds.
nsx "$FO_HOME" ip route del default proto 203
fo_wait_route 4 "default via 10.8.1.1 dev wan0" || fail "deleted route not restored"
grep -q "a route was gone, programmed again" "$T_TMP/fo.log" || fail "not logged"
ok "a deleted route is put back"
exit 0
