#!/bin/bash
# SPDX-License-Identifier: ISC
#
# A flapping primary (blackholed 1 s out of every 2 s for 12 s) costs one
# switch to the backup, not one per flap: coming back needs UpAfter (3 s)
# of answered probes.  Once it is steady, exactly one failback follows.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/failover-lib.sh"

fo_lab wan0 lte0
cat >"$T_TMP/wan.conf" <<EOF
[Failover]
StateFile = $T_TMP/state
DownAfter = 600ms
UpAfter = 3s

[Gateway]
Name = wan
Device = wan0
Via = 10.8.1.1
Tier = 1
Targets = wan0-far

[Gateway]
Name = lte
Device = lte0
Via = 10.8.2.1
Tier = 2
Targets = lte0-far
EOF

mkfifo "$T_TMP/stream"
bg FO "$FO_HOME" "$BIN/edge-failover" -f "$T_TMP/wan.conf" \
	-i "$T_TMP/stream" 2>"$T_TMP/fo.log"
fo_prober PROBE "$T_TMP/stream" wan0 lte0
fo_wait_route 5 "via 10.8.1.1 dev wan0" || fail "no route via wan0"
ok "route via the primary"

changes() { grep -c "group default: route" "$T_TMP/fo.log" || true; }
[ "$(changes)" -eq 1 ] || fail "$(changes) route changes at start"

for _ in 1 2 3 4 5 6; do
	fo_blackhole 1 on
	sleep 1
	fo_blackhole 1 off
	sleep 1
done
n=$(changes)
cat "$T_TMP/fo.log"
[ "$n" -eq 2 ] || fail "$n route changes while flapping, wanted 2 (start, away)"
fo_route | grep -q "dev lte0" || fail "not on LTE while flapping: $(fo_route)"
ok "six flaps: one switch to LTE"

fo_wait_route 6 "via 10.8.1.1 dev wan0" || fail "no failback once steady"
sleep 1
n=$(changes)
[ "$n" -eq 3 ] || fail "$n route changes in all, wanted 3"
ok "one failback once the primary is steady"
