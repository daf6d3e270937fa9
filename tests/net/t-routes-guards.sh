#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-routes guards: an empty input (a failed download) is refused unless
# --allow-empty; a sync that would delete more than --max-delete percent
# (default 50) of the owned routes is refused unless --force.  A refused
# sync changes nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/routes-lib.sh"

routes_ns NS g
for i in $(seq 0 99); do echo "10.0.$i.0/24"; done | sed -n '1~2p' > "$T_TMP/full"
[ "$(wc -l < "$T_TMP/full")" -eq 50 ] || fail "test data"
S=("$ER" sync -t 100 -g 192.0.2.1)
nsx "$NS" "${S[@]}" "$T_TMP/full" || fail sync
[ "$(rcount "$NS" table 100 proto 202)" -eq 50 ] || fail "50 routes expected"

monitor_start "$NS"
: > "$T_TMP/empty"
expect_rc 2 nsx "$NS" "${S[@]}" "$T_TMP/empty" 2> "$T_TMP/err"
grep -q 'no routes' "$T_TMP/err" || fail "empty: $(cat "$T_TMP/err")"
printf '# only comments\n\n' | expect_rc 2 nsx "$NS" "${S[@]}" 2>/dev/null
# A truncated download: 10 of 50 lines left, 80 % would go.
head -n 10 "$T_TMP/full" > "$T_TMP/trunc"
expect_rc 1 nsx "$NS" "${S[@]}" "$T_TMP/trunc" 2> "$T_TMP/err"
grep -q 'refusing to delete 40 of 50' "$T_TMP/err" || fail "max-delete: $(cat "$T_TMP/err")"
expect_rc 1 nsx "$NS" "${S[@]}" --max-delete 79 "$T_TMP/trunc" 2>/dev/null
monitor_quiet "refused syncs"
ok "empty and truncated inputs refused, nothing changed"

# Exactly the limit is allowed: 25 of 50 is 50 %.
head -n 25 "$T_TMP/full" > "$T_TMP/half"
nsx "$NS" "${S[@]}" "$T_TMP/half" || fail "50 % not allowed"
[ "$(rcount "$NS" table 100 proto 202)" -eq 25 ] || fail "25 routes expected"
nsx "$NS" "${S[@]}" "$T_TMP/full" || fail "resync"
nsx "$NS" "${S[@]}" --max-delete 80 "$T_TMP/trunc" || fail "--max-delete 80"
[ "$(rcount "$NS" table 100 proto 202)" -eq 10 ] || fail "10 routes expected"
nsx "$NS" "${S[@]}" "$T_TMP/full" || fail "resync"
nsx "$NS" "${S[@]}" --force "$T_TMP/trunc" || fail "--force"
[ "$(rcount "$NS" table 100 proto 202)" -eq 10 ] || fail "10 routes expected"
nsx "$NS" "${S[@]}" --allow-empty "$T_TMP/empty" 2>/dev/null && fail "empty with 100 % delete must still need --force"
nsx "$NS" "${S[@]}" --allow-empty --force "$T_TMP/empty" || fail "--allow-empty --force"
[ "$(rcount "$NS" table 100 proto 202)" -eq 0 ] || fail "table not emptied"
ok "--max-delete, --force and --allow-empty"
