#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The probe stream is the only eye edge-failover has.  When it goes
# silent (the prober stopped) the alarm hook runs and the routes are
# held, even while the primary really fails; when it comes back, the hook
# says so and decisions resume.  When it ends (the prober died, stdin
# reads EOF), the hook runs after StreamTimeout, the routes stay, and
# edge-failover exits 1 so that a supervisor restarts the pipeline.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/failover-lib.sh"

fo_lab wan0 lte0
cat >"$T_TMP/wan.conf" <<EOF
[Failover]
StateFile = $T_TMP/state
Hook = echo "\$EVENT \$STATE \$PREVIOUS" >> $T_TMP/hook.log
DownAfter = 600ms
UpAfter = 2s
StreamTimeout = 1s

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
EOF
touch "$T_TMP/hook.log"

# --- silent: the prober is stopped ---
mkfifo "$T_TMP/stream"
bg FO "$FO_HOME" "$BIN/edge-failover" -f "$T_TMP/wan.conf" \
	-i "$T_TMP/stream" 2>"$T_TMP/fo.log"
fo_prober PROBE "$T_TMP/stream" wan0 lte0
fo_wait_route 5 "via 10.8.1.1 dev wan0" || fail "no route via wan0"
before=$(fo_route)

t0=$(fo_ms)
kill -STOP $PROBE
wait_for 3 grep -q "^stream silent ok" "$T_TMP/hook.log" ||
	{ cat "$T_TMP/fo.log"; fail "no alarm hook"; }
t1=$(fo_ms)
echo "alarm after $((t1 - t0)) ms (StreamTimeout 1 s)"
[ $((t1 - t0)) -ge 900 ] || fail "alarm before StreamTimeout"
"$BIN/edge-failover" status -S "$T_TMP/state" | grep -qP '^stream\tsilent' ||
	fail "status does not show the silent stream"
ok "silent stream: alarm hook after $((t1 - t0)) ms"

fo_blackhole 1 on
sleep 2
[ "$(fo_route)" = "$before" ] || fail "routes changed while blind: $(fo_route)"
ok "routes held while the stream is silent"

kill -CONT $PROBE
wait_for 3 grep -q "^stream ok silent" "$T_TMP/hook.log" ||
	fail "no hook when the stream came back"
fo_wait_route 4 "via 10.8.2.1 dev lte0" || fail "decisions did not resume"
ok "stream back: hook, and the dead primary is left"
kill $FO $PROBE
wait $FO 2>/dev/null || true
fo_blackhole 1 off

# --- ended: the prober dies; stdin reads EOF ---
: >"$T_TMP/hook.log"
mkfifo "$T_TMP/pipe"
bg FO2 "$FO_HOME" sh -c "exec $BIN/edge-failover -f $T_TMP/wan.conf \
	<$T_TMP/pipe 2>$T_TMP/fo2.log"
fo_prober PROBE2 "$T_TMP/pipe" wan0 lte0
fo_wait_route 5 "via 10.8.1.1 dev wan0" || fail "no route via wan0"
before=$(fo_route)
kill $PROBE2
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }
wait_for 5 gone $FO2 || fail "still running after the input ended"
rc=0
wait $FO2 || rc=$?
cat "$T_TMP/fo2.log"
[ $rc -eq 1 ] || fail "exit $rc after the input ended, wanted 1"
grep -q "^stream ended ok" "$T_TMP/hook.log" || fail "no hook at the end: $(cat "$T_TMP/hook.log")"
[ "$(fo_route)" = "$before" ] || fail "routes changed at exit: $(fo_route)"
ok "input ended: hook, exit 1, routes kept"

# flush removes exactly edge-failover's routes
others=$(nsx "$FO_HOME" ip route show | grep -v "proto 203")
n=$(nsx "$FO_HOME" "$BIN/edge-failover" flush -f "$T_TMP/wan.conf")
[ "$n" = 1 ] || fail "flush removed $n routes, wanted 1"
[ -z "$(fo_route)" ] || fail "routes left after flush: $(fo_route)"
[ "$(nsx "$FO_HOME" ip route show)" = "$others" ] || fail "flush touched other routes"
ok "flush removed its own route and nothing else"

# Input that ends before a single line: exit 1 after StreamTimeout, and
# the message says so (it used to count the time since the epoch of the
# monotonic clock: "input ended 51234567 ms ago").
rc=0
nsx "$FO_HOME" sh -c ": | exec $BIN/edge-failover -f $T_TMP/wan.conf" \
	2>"$T_TMP/fo3.log" || rc=$?
cat "$T_TMP/fo3.log"
[ $rc -eq 1 ] || fail "exit $rc on empty input, wanted 1"
ms=$(sed -n 's/.*input ended \([0-9]*\) ms ago without a single line: holding the routes$/\1/p' \
	"$T_TMP/fo3.log")
[ -n "$ms" ] || fail "no \"input ended N ms ago without a single line\""
[ "$ms" -ge 900 ] && [ "$ms" -le 5000 ] ||
	fail "input ended $ms ms ago, wanted about the 1 s StreamTimeout"
ok "empty input: \"input ended $ms ms ago without a single line\", exit 1"
