#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-routes churn: 20,000 IPv4 and 5,000 IPv6 routes, then a list with
# about 1 % of them dropped, as many new ones and some next hops changed
# (IPv4 and IPv6 routes replaced in place);
# the sync adds, replaces and deletes exactly what diff planned, and the
# table read by ip(8) is the list afterwards.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/routes-lib.sh"

routes_ns NS c
# /30s eight addresses apart, so nothing aggregates.
gen() {	# first count
	awk -v f="$1" -v n="$2" 'BEGIN { for (i = f; i < f + n; i++) {
		a = i * 8; printf "10.%d.%d.%d/30\n", int(a / 65536) % 256,
		    int(a / 256) % 256, a % 256 } }'
	awk -v f="$1" -v n="$(($2 / 4))" 'BEGIN { for (i = f; i < f + n; i++)
		printf "2001:db8:%x:%x::/64\n", int(i / 256) + 1, (i % 256) * 2 + 2 }'
}
gen 0 20000 > "$T_TMP/a"
# Drop the first 200 IPv4 and some IPv6 prefixes, add 250 new ones, move
# 320 IPv4 and 256 IPv6 ones to another gateway.
{ gen 200 19800 | grep -v '^10\.0\.1[0-9]\.' | grep -v '^2001:db8:1:[0-9a-f]\{1,2\}::' |
	grep -v '^2001:db8:5:'
  gen 20000 200; gen 0 20000 | grep '^10\.0\.1[0-9]\.' | sed 's/$/ via=192.0.2.9/'
  gen 0 20000 | grep '^2001:db8:5:' | sed 's/$/ via=2001:db8::9/'
} > "$T_TMP/b0"
sort -u "$T_TMP/b0" > "$T_TMP/b"
nv4=$(grep -c '^10\.' "$T_TMP/a"); nv6=$(grep -c '^2001' "$T_TMP/a")
[ "$nv4" -eq 20000 ] && [ "$nv6" -eq 5000 ] || fail "test data $nv4 $nv6"

S=("$ER" sync -v -t 100 -g 192.0.2.1 -g 2001:db8::1)
nsx "$NS" "${S[@]}" "$T_TMP/a" 2> "$T_TMP/err" || fail "sync a: $(cat "$T_TMP/err")"
grep -q '25000 to add' "$T_TMP/err" || fail "$(cat "$T_TMP/err")"
[ "$(ip -n "$NS" -4 route show table 100 proto 202 | wc -l)" -eq 20000 ] || fail "v4 count"
[ "$(ip -n "$NS" -6 route show table 100 proto 202 | wc -l)" -eq 5000 ] || fail "v6 count"

nsx "$NS" "$ER" diff -t 100 -g 192.0.2.1 -g 2001:db8::1 "$T_TMP/b" > "$T_TMP/plan" && fail "diff said in step"
adds=$(grep -c '^+' "$T_TMP/plan"); dels=$(grep -c '^-' "$T_TMP/plan"); reps=$(grep -c '^~' "$T_TMP/plan")
echo "plan: $adds adds, $dels deletes, $reps replacements"
nsx "$NS" "${S[@]}" "$T_TMP/b" 2> "$T_TMP/err" || fail "sync b: $(cat "$T_TMP/err")"
grep -q "$adds to add, $reps to replace, $dels to delete" "$T_TMP/err" || fail "$(cat "$T_TMP/err")"
[ "$reps" -gt 0 ] && [ "$adds" -gt 0 ] && [ "$dels" -gt 0 ] || fail "churn plan empty"
expect_rc 0 nsx "$NS" "$ER" diff -t 100 -g 192.0.2.1 -g 2001:db8::1 "$T_TMP/b"

# The table, read by ip(8), is the list.
want=$(sed 's/ .*//' "$T_TMP/b" | sort)
have=$({ ip -n "$NS" -4 route show table 100 proto 202; ip -n "$NS" -6 route show table 100 proto 202; } |
	awk '{ print $1 }' | sort)
[ "$want" = "$have" ] || fail "table differs from the list: $(diff <(echo "$want") <(echo "$have") | head)"
r4=$(ip -n "$NS" -4 route show table 100 proto 202 | grep -c 'via 192.0.2.9 ')
r6=$(ip -n "$NS" -6 route show table 100 proto 202 | grep -c 'via 2001:db8::9 ')
[ "$r6" -eq 256 ] && [ $((r4 + r6)) -eq "$reps" ] || fail "replaced next hops: $r4 v4 + $r6 v6, planned $reps"
[ "$(grep -c '^~ 2001:db8:5:' "$T_TMP/plan")" -eq 256 ] || fail "v6 replacements planned: $(grep -c '^~ 2001' "$T_TMP/plan")"
ok "churn: $adds added, $reps replaced, $dels deleted; table equals the list"
