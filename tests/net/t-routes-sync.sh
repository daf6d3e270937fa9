#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-routes sync: IPv4 and IPv6 in one list, per-line attributes (via,
# dev, metric, table, type), aggregation per attribute group and -A; a
# re-sync and "dump | sync" that make no kernel change at all; diff's exit
# status; -n prints the plan and changes nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/routes-lib.sh"

routes_ns NS r
cat > "$T_TMP/list" <<'L'
# breakout list
198.51.100.0/25
198.51.100.128/25		# merges with the line above into a /24
198.51.100.7/32			# covered by it: dropped
203.0.113.0/24 via=192.0.2.9 metric=7
203.0.113.0/25 dev=e0 table=101
192.0.2.128/25 type=blackhole
2001:db8:1::/48
2001:db8:1:8000::/49		# covered
2001:db8:2::/48 via=2001:db8::9 table=101
2001:db8:3::/48 type=blackhole
2001:db8:4::/48 dev=e0
10.1.0.0/16 via=2001:db8::1	# IPv4 over an IPv6 next hop
L
SYNC=("$ER" sync -t 100 -g 192.0.2.1 -g 2001:db8::1)

nsx "$NS" "${SYNC[@]}" "$T_TMP/list" || fail "sync"
r4() { ip -n "$NS" -4 route show "$@"; }
r6() { ip -n "$NS" -6 route show "$@"; }
r4 table 100 | grep -qx '198.51.100.0/24 via 192.0.2.1 dev e0 proto 202 ' ||
	fail "aggregated /24 missing: $(r4 table 100)"
[ "$(r4 table 100 | grep -c 198.51.100)" -eq 1 ] || fail "not aggregated"
r4 table 100 | grep -qx '203.0.113.0/24 via 192.0.2.9 dev e0 proto 202 metric 7 ' ||
	fail "metric route: $(r4 table 100)"
r4 table 101 | grep -qx '203.0.113.0/25 dev e0 proto 202 scope link ' ||
	fail "dev route in table 101: $(r4 table 101)"
r4 table 100 | grep -qx 'blackhole 192.0.2.128/25 proto 202 ' ||
	fail "blackhole: $(r4 table 100)"
r4 table 100 | grep -qx '10.1.0.0/16 via inet6 2001:db8::1 dev e0 proto 202 ' ||
	fail "v4 via v6: $(r4 table 100)"
r6 table 100 | grep -q '^2001:db8:1::/48 via 2001:db8::1 dev e0 proto 202 metric 1024' ||
	fail "v6 route: $(r6 table 100)"
[ "$(r6 table 100 | grep -c 2001:db8:1)" -eq 1 ] || fail "v6 not aggregated"
r6 table 101 | grep -q '^2001:db8:2::/48 via 2001:db8::9 dev e0 proto 202' ||
	fail "v6 route in table 101: $(r6 table 101)"
r6 table 100 | grep -q '^blackhole 2001:db8:3::/48 dev lo proto 202' ||
	fail "v6 blackhole: $(r6 table 100)"
r6 table 100 | grep -q '^2001:db8:4::/48 dev e0 proto 202' ||
	fail "v6 dev route: $(r6 table 100)"
[ "$(rcount "$NS" table all proto 202)" -eq 9 ] ||
	fail "expected 9 owned routes: $(ip -n "$NS" route show table all proto 202)"
ok "sync installed 9 routes from 12 lines"

# The same list again, and the tool's own dump fed back: no change at all.
monitor_start "$NS"
nsx "$NS" "${SYNC[@]}" "$T_TMP/list" || fail "re-sync"
nsx "$NS" "${SYNC[@]}" -v "$T_TMP/list" 2>&1 | grep -q '0 to add, 0 to replace, 0 to delete, 9 unchanged' ||
	fail "re-sync plan not empty"
expect_rc 0 nsx "$NS" "$ER" diff -t 100 -g 192.0.2.1 -g 2001:db8::1 "$T_TMP/list"
nsx "$NS" "$ER" dump -t 100 > "$T_TMP/dump100"
nsx "$NS" "$ER" dump -t 101 > "$T_TMP/dump101"
nsx "$NS" "$ER" sync -t 100 < "$T_TMP/dump100" || fail "dump | sync (100)"
nsx "$NS" "$ER" sync -t 101 < "$T_TMP/dump101" || fail "dump | sync (101)"
nsx "$NS" "$ER" dump -t 100 | nsx "$NS" "$ER" sync -t 100 || fail "dump | sync"
monitor_quiet "re-sync and dump | sync"
grep -qx '203.0.113.0/24 via=192.0.2.9 dev=e0 metric=7' "$T_TMP/dump100" ||
	fail "dump line: $(cat "$T_TMP/dump100")"
grep -qx '192.0.2.128/25 type=blackhole' "$T_TMP/dump100" || fail "dump blackhole"
grep -qx '2001:db8:3::/48 type=blackhole' "$T_TMP/dump100" || fail "dump v6 blackhole"
[ "$(wc -l < "$T_TMP/dump100")" -eq 7 ] || fail "dump -t 100: $(cat "$T_TMP/dump100")"
ok "re-sync, diff and dump | sync made no kernel change"

# Drift: diff says so (exit 1) and -n shows the plan without applying it.
sed -i 's/^203.0.113.0\/24 via=192.0.2.9/203.0.113.0\/24 via=192.0.2.10/; /^10.1.0.0/d' "$T_TMP/list"
echo 198.18.0.0/15 >> "$T_TMP/list"
expect_rc 1 nsx "$NS" "$ER" diff -t 100 -g 192.0.2.1 -g 2001:db8::1 "$T_TMP/list" > "$T_TMP/diff"
grep -qx '+ 198.18.0.0/15 via=192.0.2.1 dev=e0' "$T_TMP/diff" || fail "diff +: $(cat "$T_TMP/diff")"
grep -qx '~ 203.0.113.0/24 via=192.0.2.10 dev=e0 metric=7' "$T_TMP/diff" || fail "diff ~: $(cat "$T_TMP/diff")"
grep -qx -- '- 10.1.0.0/16 via=2001:db8::1 dev=e0' "$T_TMP/diff" || fail "diff -: $(cat "$T_TMP/diff")"
[ "$(wc -l < "$T_TMP/diff")" -eq 3 ] || fail "diff: $(cat "$T_TMP/diff")"
nsx "$NS" "${SYNC[@]}" -n "$T_TMP/list" > "$T_TMP/plan" || fail "sync -n"
cmp -s "$T_TMP/diff" "$T_TMP/plan" || fail "sync -n differs from diff"
monitor_quiet "diff and sync -n"
ok "diff exits 1 on drift; -n prints the plan and changes nothing"

nsx "$NS" "${SYNC[@]}" "$T_TMP/list" || fail "sync after drift"
expect_rc 0 nsx "$NS" "$ER" diff -t 100 -g 192.0.2.1 -g 2001:db8::1 "$T_TMP/list"
r4 table 100 | grep -q '^203.0.113.0/24 via 192.0.2.10 ' || fail "replace"
r4 table 100 | grep -q '^10.1.0.0/16' && fail "stale route kept"
r4 table 100 | grep -q '^198.18.0.0/15 via 192.0.2.1' || fail "add"
ok "sync applied the drift"

# -A: no aggregation, the three 198.51.100 lines become three routes.
nsx "$NS" "${SYNC[@]}" -A "$T_TMP/list" || fail "sync -A"
[ "$(r4 table 100 | grep -c '^198.51.100')" -eq 3 ] || fail "-A: $(r4 table 100)"
[ "$(r6 table 100 | grep -c '^2001:db8:1')" -eq 2 ] || fail "-A v6: $(r6 table 100)"
ok "-A keeps prefixes as listed"

# dump | sync of a table synced with -A: the routes aggregate further, so
# only "sync -A" reads them back unchanged, and dump says so.
nsx "$NS" "$ER" dump -t 100 > "$T_TMP/dumpA" 2> "$T_TMP/err"
grep -q 'aggregate further' "$T_TMP/err" || fail "dump of a -A table: no warning: $(cat "$T_TMP/err")"
monitor_start "$NS"
nsx "$NS" "$ER" sync -t 100 -A < "$T_TMP/dumpA" || fail "dump | sync -A"
monitor_quiet "dump | sync -A of a -A table"
ok "dump of a -A table warns; dump | sync -A changes nothing"

# With the default aggregation, a line with via= only and a line with the
# same via= and its device are one next hop (the kernel picks that device,
# and dump names it): they aggregate together, so dump | sync is a no-op.
cat > "$T_TMP/nh" <<'L'
10.6.0.0/24
10.6.1.0/24 via=192.0.2.1 dev=e0
10.7.0.0/16 via=192.0.2.1 dev=e0
10.7.1.0/24
2001:db8:6::/49
2001:db8:6:8000::/49 via=2001:db8::1 dev=e0
L
nsx "$NS" "${SYNC[@]}" --force "$T_TMP/nh" || fail "sync nh"
[ "$(r4 table 100 | grep -c '^10\.[67]\.')" -eq 2 ] || fail "nh: $(r4 table 100)"
r4 table 100 | grep -q '^10.6.0.0/23 via 192.0.2.1 dev e0 proto 202' || fail "nh siblings: $(r4 table 100)"
r6 table 100 | grep -q '^2001:db8:6::/48 via 2001:db8::1 dev e0 proto 202' || fail "nh v6: $(r6 table 100)"
monitor_start "$NS"
nsx "$NS" "$ER" dump -t 100 2> "$T_TMP/err" | nsx "$NS" "$ER" sync -n -t 100 > "$T_TMP/plan" || fail "dump | sync -n"
[ ! -s "$T_TMP/plan" ] || fail "dump | sync plans changes: $(cat "$T_TMP/plan")"
[ ! -s "$T_TMP/err" ] || fail "dump warned: $(cat "$T_TMP/err")"
nsx "$NS" "$ER" dump -t 100 | nsx "$NS" "$ER" sync -t 100 || fail "dump | sync"
monitor_quiet "dump | sync after a default sync"
ok "via= and via= dev= aggregate as one next hop; dump | sync is a no-op"

# flush removes every owned route of a table and nothing else.
nsx "$NS" ip route add 198.51.100.0/24 via 192.0.2.1 table 100 proto static metric 9
nsx "$NS" "$ER" flush -t 100 || fail flush
[ "$(rcount "$NS" table 100 proto 202)" -eq 0 ] || fail "flush left routes"
[ "$(ip -n "$NS" -6 route show table 100 proto 202 | wc -l)" -eq 0 ] || fail "flush left v6 routes"
[ "$(rcount "$NS" table 100 proto static)" -eq 1 ] || fail "flush took a static route"
[ "$(rcount "$NS" table 101 proto 202)" -eq 1 ] || fail "flush took table 101"
ok "flush"
