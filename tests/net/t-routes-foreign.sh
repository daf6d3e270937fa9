#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-routes touches only its own routes: routes of other protocols in the
# synced table (even one with the same key), owned routes in tables it was
# not asked about, and main are left exactly as they were; -P keeps two
# independent owners apart in one table.
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
