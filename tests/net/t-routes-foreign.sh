#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-routes touches only its own routes: routes of other protocols in the
# synced table (even one with the same key), owned routes in tables it was
# not asked about, and main are left exactly as they were; -P keeps two
# independent owners apart in one table.  main is never a default: without
# -t (or table= on every line) the kernel verbs are refused; -t main and
# -t 254 name it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/routes-lib.sh"

routes_ns NS f
add() { nsx "$NS" ip route add "$@"; }
add 198.51.100.0/24 via 192.0.2.1 table 100 proto static
add 203.0.113.0/24 via 192.0.2.1 table 100 proto bird metric 5
add 2001:db8:7::/48 via 2001:db8::1 table 100 proto static
add 198.51.100.0/24 via 192.0.2.1 table main proto 202	# ours, but in main
add 198.18.0.0/24 via 192.0.2.1 table 102 proto 202	# ours, other table
add 198.18.1.0/24 via 192.0.2.1 table 100 proto 77	# another tool's
snapshot() {
	{ ip -n "$NS" route show table all; ip -n "$NS" -6 route show table all; } |
		grep -v 'table 100 proto 202' | grep -v '^local\|^broadcast\|^multicast' | sort
}
before=$(snapshot)

printf '203.0.113.0/24 metric=5\n192.0.2.128/25\n2001:db8:8::/48\n' > "$T_TMP/list"
expect_rc 1 nsx "$NS" "$ER" sync -t 100 -g 192.0.2.1 -g 2001:db8::1 "$T_TMP/list" 2> "$T_TMP/err"
grep -q 'add 203.0.113.0/24.*File exists' "$T_TMP/err" ||
	fail "key clash not reported: $(cat "$T_TMP/err")"
[ "$(ip -n "$NS" route show table 100 proto 202 | wc -l)" -eq 1 ] ||
	fail "owned: $(ip -n "$NS" route show table 100 proto 202)"
ip -n "$NS" route show table 100 | grep -q '203.0.113.0/24 via 192.0.2.1 dev e0 proto bird metric 5' ||
	fail "the bird route was overwritten"
ok "a foreign route with the same key is reported and left alone"

# Now remove everything we own in table 100: the others stay.
nsx "$NS" "$ER" sync -t 100 -g 192.0.2.1 --allow-empty --force < /dev/null ||
	fail "sync to empty"
[ "$(ip -n "$NS" route show table 100 proto 202 | wc -l)" -eq 0 ] || fail "owned left"
[ "$(ip -n "$NS" -6 route show table 100 proto 202 | wc -l)" -eq 0 ] || fail "owned v6 left"
after=$(snapshot)
[ "$before" = "$after" ] || fail "foreign routes changed:
$(diff <(echo "$before") <(echo "$after"))"
ok "other protocols, other tables and main untouched"

# Two owners in one table, kept apart by -P.
printf '192.0.2.128/26\n' > "$T_TMP/a"
printf '192.0.2.192/26\n' > "$T_TMP/b"
nsx "$NS" "$ER" sync -t 100 -g 192.0.2.1 "$T_TMP/a" || fail "sync a"
nsx "$NS" "$ER" sync -t 100 -g 192.0.2.1 -P 203 "$T_TMP/b" || fail "sync b"
nsx "$NS" "$ER" sync -t 100 -g 192.0.2.1 -P 203 "$T_TMP/b" || fail "sync b"
[ "$(nsx "$NS" "$ER" dump -t 100)" = '192.0.2.128/26 via=192.0.2.1 dev=e0' ] ||
	fail "owner 202: $(nsx "$NS" "$ER" dump -t 100)"
[ "$(nsx "$NS" "$ER" dump -t 100 -P 203)" = '192.0.2.192/26 via=192.0.2.1 dev=e0' ] ||
	fail "owner 203: $(nsx "$NS" "$ER" dump -t 100 -P 203)"
ok "-P separates owners"

# main is never a default: without -t, and lines without table=, every
# verb that works on the kernel is a usage error (exit 2) naming -t, and
# nothing changes; lines that all name their table need no -t; main is
# synced only when named (-t main, -t 254, table=main).
all() { { ip -n "$NS" route show table all; ip -n "$NS" -6 route show table all; } | sort; }
before=$(all)
monitor_start "$NS"
printf '203.0.113.64/26\n' > "$T_TMP/m"
for v in sync diff; do
	expect_rc 2 nsx "$NS" "$ER" $v -g 192.0.2.1 "$T_TMP/m" 2> "$T_TMP/err"
	grep -q -- '-t is required' "$T_TMP/err" || fail "$v without -t: $(cat "$T_TMP/err")"
done
expect_rc 2 nsx "$NS" "$ER" sync -e ip -g 192.0.2.1 "$T_TMP/m" > "$T_TMP/out" 2>/dev/null
[ ! -s "$T_TMP/out" ] || fail "-e ip without -t printed $(cat "$T_TMP/out")"
expect_rc 2 nsx "$NS" "$ER" sync -g 192.0.2.1 --allow-empty --force < /dev/null 2> "$T_TMP/err"
grep -q -- '-t is required' "$T_TMP/err" || fail "empty sync without -t: $(cat "$T_TMP/err")"
for v in dump flush; do
	expect_rc 2 nsx "$NS" "$ER" $v 2> "$T_TMP/err"
	grep -q -- '-t is required' "$T_TMP/err" || fail "$v without -t: $(cat "$T_TMP/err")"
done
# One line without table= among lines with: still refused, by file:line.
printf '198.18.0.0/24 table=102\n203.0.113.64/26\n' > "$T_TMP/m2"
expect_rc 2 nsx "$NS" "$ER" sync -g 192.0.2.1 "$T_TMP/m2" 2> "$T_TMP/err"
grep -q "m2:2: .*-t is required" "$T_TMP/err" || fail "mixed lines: $(cat "$T_TMP/err")"
monitor_quiet "verbs without -t"
[ "$(all)" = "$before" ] || fail "a refused run changed routes"
printf '198.18.0.0/24 table=102\n198.18.5.0/24 table=103\n' > "$T_TMP/m3"
nsx "$NS" "$ER" sync -g 192.0.2.1 "$T_TMP/m3" 2>/dev/null || fail "every line with table=, no -t"
[ "$(rcount "$NS" table 103 proto 202)" -eq 1 ] || fail "table=103"
# Every table=103 line gone: the run is not about table 103 any more; its
# owned route stays, with a warning naming it (and the other tables with
# owned routes: main and 100).
printf '198.18.0.0/24 table=102\n' > "$T_TMP/m4"
nsx "$NS" "$ER" sync -g 192.0.2.1 "$T_TMP/m4" 2> "$T_TMP/err" || fail "sync m4"
grep -q "table 103 holds 1 owned route that no line names.*'flush -t 103'" "$T_TMP/err" ||
	fail "no warning about table 103: $(cat "$T_TMP/err")"
grep -q "table 254 holds 1 owned route " "$T_TMP/err" || fail "no warning about main: $(cat "$T_TMP/err")"
grep -q "table 102 " "$T_TMP/err" && fail "warned about table 102: $(cat "$T_TMP/err")"
[ "$(rcount "$NS" table 103 proto 202)" -eq 1 ] || fail "table 103 route removed without -t"
nsx "$NS" "$ER" flush -t 103 || fail "flush -t 103"
nsx "$NS" "$ER" sync -g 192.0.2.1 "$T_TMP/m4" 2> "$T_TMP/err" || fail "sync m4 again"
grep -q "table 103" "$T_TMP/err" && fail "table 103 still warned about: $(cat "$T_TMP/err")"
ok "no -t: sync, diff, -e ip, dump, flush refused (exit 2) and nothing changed; table= on every line suffices; a table whose lines vanished is warned about"

printf '198.51.100.0/24\n' >> "$T_TMP/m"	# the owned route already in main
nsx "$NS" "$ER" sync -t main -g 192.0.2.1 "$T_TMP/m" || fail "sync -t main"
ip -n "$NS" route show table main | grep -q '^203.0.113.64/26 via 192.0.2.1 dev e0 proto 202' ||
	fail "-t main: $(ip -n "$NS" route show table main)"
[ "$(ip -n "$NS" route show table main proto 202 | wc -l)" -eq 2 ] ||
	fail "-t main: $(ip -n "$NS" route show table main proto 202)"
expect_rc 0 nsx "$NS" "$ER" diff -t 254 -g 192.0.2.1 "$T_TMP/m"
nsx "$NS" "$ER" flush -t 254 || fail "flush -t 254"
[ "$(ip -n "$NS" route show table main proto 202 | wc -l)" -eq 0 ] || fail "flush -t 254 left owned routes in main"
ip -n "$NS" route show table main | grep -q '^192.0.2.0/24 dev e0 proto kernel' || fail "flush touched the kernel's route"
ok "main only when named: -t main syncs it, -t 254 diffs and flushes it"
