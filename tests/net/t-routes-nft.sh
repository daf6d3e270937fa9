#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-routes --emit nft: the prefixes land in the interval sets dst4 and
# dst6 of table inet edgekit_routes, checked with "nft list set" and "nft
# get element"; a second run replaces the contents in one transaction; a
# rule of the administrator's that uses the set survives; -4 touches only
# dst4; a refused transaction changes nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/routes-lib.sh"

ns_make NS n
elements() {	# set -> its elements on one line, as nft prints them
	nsx "$NS" nft list set inet edgekit_routes "$1" | tr -d '\n\t' |
		sed -n 's/.*elements = { *\([^}]*\) *}.*/\1/p' | tr -s ' ' | sed 's/ *$//'
}
cat > "$T_TMP/list" <<'L'
198.51.100.0/25 via=192.0.2.1
198.51.100.128/25 dev=e0	# a sibling with other attributes: one range
203.0.113.0/24 type=blackhole
192.0.2.7
10.0.0.0/8
10.64.0.0/10			# covered
2001:db8::/33
2001:db8:8000::/33
2001:db8:ffff::/48 via=2001:db8::1
L
nsx "$NS" "$ER" sync -e nft -g 192.0.2.1 -g 2001:db8::1 "$T_TMP/list" || fail "sync"
[ "$(elements dst4)" = "10.0.0.0/8, 192.0.2.7, 198.51.100.0/24, 203.0.113.0/24" ] ||
	fail "dst4: $(elements dst4)"
[ "$(elements dst6)" = "2001:db8::/32" ] || fail "dst6: $(elements dst6)"
nsx "$NS" nft list set inet edgekit_routes dst4 | grep -q 'flags interval' || fail "not an interval set"
nsx "$NS" nft get element inet edgekit_routes dst4 '{ 10.1.2.3 }' >/dev/null || fail "lookup 10.1.2.3"
nsx "$NS" nft get element inet edgekit_routes dst4 '{ 192.0.2.8 }' >/dev/null 2>&1 && fail "192.0.2.8 matched"
ok "sets filled: $(elements dst4) | $(elements dst6)"

# The administrator's rule in our table uses the set; a new list replaces
# the contents and the rule stays.
nsx "$NS" nft add chain inet edgekit_routes marker '{ type filter hook prerouting priority mangle; }'
nsx "$NS" nft add rule inet edgekit_routes marker ip daddr @dst4 meta mark set 1
printf '198.18.0.0/15\n2001:db8:1::/48\n' > "$T_TMP/list2"
# A new list, not a shrunk one: --force (the guards count 5 old ranges gone).
# No -g or -d: the nft emitter needs no next hop.
nsx "$NS" "$ER" sync -e nft --force "$T_TMP/list2" || fail "second sync (no next hop)"
[ "$(elements dst4)" = "198.18.0.0/15" ] || fail "dst4 after: $(elements dst4)"
[ "$(elements dst6)" = "2001:db8:1::/48" ] || fail "dst6 after: $(elements dst6)"
nsx "$NS" nft list chain inet edgekit_routes marker | grep -q '@dst4' || fail "rule lost"

# -4: only dst4 changes.
printf '192.0.2.0/24\n2001:db8:2::/48\n' > "$T_TMP/list3"
nsx "$NS" "$ER" sync -e nft --force -4 -g 192.0.2.1 "$T_TMP/list3" || fail "-4 sync"
[ "$(elements dst4)" = "192.0.2.0/24" ] || fail "dst4 -4: $(elements dst4)"
[ "$(elements dst6)" = "2001:db8:1::/48" ] || fail "dst6 changed by -4"
ok "contents replaced, the rule kept, -4 left dst6 alone"

# A set of that name that is not an interval set: the transaction is
# refused as a whole, exit 1, and dst4 is unchanged.
nsx "$NS" nft add set inet edgekit_routes bad4 '{ type ipv4_addr; }'
nsx "$NS" nft add set inet edgekit_routes bad6 '{ type ipv6_addr; }'
nsx "$NS" nft add element inet edgekit_routes bad4 '{ 192.0.2.99 }'
expect_rc 1 nsx "$NS" "$ER" sync -e nft --force -S bad -g 192.0.2.1 -g 2001:db8::1 "$T_TMP/list" 2> "$T_TMP/err"
grep -q 'nftables' "$T_TMP/err" || fail "no message: $(cat "$T_TMP/err")"
[ "$(elements bad4)" = "192.0.2.99" ] || fail "bad4 changed: $(elements bad4)"
# Bad input: nothing sent at all.
echo '192.0.2.0/33' > "$T_TMP/broken"
expect_rc 2 nsx "$NS" "$ER" sync -e nft -g 192.0.2.1 "$T_TMP/broken" 2>/dev/null
[ "$(elements dst4)" = "192.0.2.0/24" ] || fail "dst4 changed by bad input"
ok "refused transaction and bad input change nothing"

# Many messages in one transaction (512 ranges per message, about 100):
# every answer is read, none dropped.
awk 'BEGIN { for (i = 0; i < 50000; i++) { a = i * 8;
	printf "10.%d.%d.%d/30\n", int(a / 65536) % 256, int(a / 256) % 256, a % 256 } }' > "$T_TMP/big"
nsx "$NS" "$ER" sync -e nft --force -4 -g 192.0.2.1 "$T_TMP/big" || fail "50,000 ranges"
n=$(nsx "$NS" nft list set inet edgekit_routes dst4 | grep -o '10\.[0-9.]*/30' | wc -l)
[ "$n" -eq 50000 ] || fail "dst4 holds $n of 50000 ranges"
nsx "$NS" nft get element inet edgekit_routes dst4 '{ 10.6.26.121 }' >/dev/null || fail "lookup in the big set"
ok "50,000 ranges in one transaction"
