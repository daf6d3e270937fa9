#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Bad configuration lines: exit 2, a message naming file:line, and no
# route touched.  A good file passes, and "-n" decides without routes.
source "$(dirname "$0")/lib.sh"

ns_make NS cfg
ip link add "$T_ID-a" type veth peer name "$T_ID-b"
ip link set "$T_ID-a" netns "$NS" name wan0
ip -n "$NS" link set wan0 up
ip -n "$NS" addr add 10.8.1.2/24 dev wan0

good='[Failover]
DownAfter = 600ms

[Gateway]
Name = wan
Device = wan0
Via = 10.8.1.1
'
# expect LINE then the configuration; LINE "-" when no line applies
n=0
check() {
	local line=$1 pat=$2 text=$3 rc=0 out
	n=$((n + 1))
	printf '%s' "$text" >"$T_TMP/bad$n.conf"
	out=$(nsx "$NS" "$BIN/edge-failover" -f "$T_TMP/bad$n.conf" \
		-S "$T_TMP/state" </dev/null 2>&1) || rc=$?
	[ $rc -eq 2 ] || fail "case $n: exit $rc, wanted 2 ($out)"
	if [ "$line" = - ]; then
		grep -qF "$T_TMP/bad$n.conf: " <<<"$out" || fail "case $n: $out"
	else
		grep -qF "$T_TMP/bad$n.conf:$line: " <<<"$out" ||
			fail "case $n: wanted line $line: $out"
	fi
	grep -qi -- "$pat" <<<"$out" || fail "case $n: wanted '$pat': $out"
	echo "case $n: $out"
}

check 9 'unknown key "Colour"' "$good
Colour = red
"
check 7 "Via" "${good/Via = 10.8.1.1/Via = 10.8.1.300}"
check 9 "Weight" "$good
Weight = 0
"
check 10 "unknown section" "$good

[Gatway]
Name = x
"
check 4 "no Device" "${good/Device = wan0/}"
check 10 'no \[Gateway\] named "nosuch"' "$good
[Group]
Gateways = wan, nosuch
"
check 1 "DegradedLoss 30 is above DownLoss 20" "${good/DownAfter = 600ms/DownLoss = 20
DegradedLoss = 30}"
check 2 "DownAfter" "${good/600ms/fast}"
check 10 "AllDown" "$good
[Group]
AllDown = maybe
"
check 1 "" "Name = x
$good"
check 9 'already exists' "$good
[Gateway]
Name = wan
Device = wan0
"
check 12 "Tier" "$good
[Gateway]
Name = lte
Device = lte0
Tier = -1
"
check - "no \[Gateway\]" "[Failover]
DownAfter = 1s
"
check 10 "Destination" "$good
[Group]
Destination = 10.0.0.0/33
"
check 9 "no gateway has a next hop for ::/0" "$good
[Group]
Destination = default6
"
[ -z "$(ip -n "$NS" route show proto 203)" ] || fail "a route was added"
ok "$n bad configurations refused with file:line"

# A good one: dry run, fed two results by hand through a pipe.
printf '%s\n[Failover]\nStreamTimeout = 1s\n' "$good" >"$T_TMP/good.conf"
now=$(($(date +%s%N) / 1000000))
out=$( { printf 'r\t%s\twan\t-\ticmp\t203.0.113.10\t0\tup\t900\tttl=64\n' $now;
	sleep 0.2; } | nsx "$NS" "$BIN/edge-failover" -n -f "$T_TMP/good.conf" 2>&1 |
	head -n 5 ) || true
echo "$out"
grep -q "gateway wan: unknown -> up" <<<"$out" || fail "good config: $out"
grep -q "would route default via 10.8.1.1 dev wan0" <<<"$out" || fail "dry run: $out"
[ -z "$(ip -n "$NS" route show proto 203)" ] || fail "dry run added a route"
ok "good configuration, dry run"
