#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-routes killed with SIGKILL halfway through a sync: the table holds
# part of the list, and the next run completes it (the plan is always made
# from what the kernel has, not from a state file).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/routes-lib.sh"

routes_ns NS k
N=200000
awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) { a = i * 8;
	printf "10.%d.%d.%d/30\n", int(a / 65536) % 256, int(a / 256) % 256, a % 256 } }' > "$T_TMP/list"
S=("$ER" sync -t 100 -g 192.0.2.1)

for attempt in 1 2 3; do
	ip netns exec "$NS" "${S[@]}" "$T_TMP/list" &
	pid=$!
	# Kill as soon as the first routes are in.
	wait_for 20 sh -c "ip -n '$NS' route show table 100 proto 202 10.0.0.0/30 | grep -q ." ||
		fail "sync never started"
	kill -9 $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	have=$(rcount "$NS" table 100 proto 202)
	echo "attempt $attempt: killed with $have of $N routes in"
	[ "$have" -lt $N ] && break
	nsx "$NS" "$ER" flush -t 100
done
[ "$have" -gt 0 ] && [ "$have" -lt $N ] || fail "could not kill the sync halfway"
expect_rc 1 nsx "$NS" "$ER" diff -t 100 -g 192.0.2.1 "$T_TMP/list" > /dev/null
nsx "$NS" "${S[@]}" -v "$T_TMP/list" || fail "second run"
[ "$(rcount "$NS" table 100 proto 202)" -eq $N ] || fail "not complete"
expect_rc 0 nsx "$NS" "$ER" diff -t 100 -g 192.0.2.1 "$T_TMP/list"
ok "killed at $have of $N routes; the next run completed the table"
