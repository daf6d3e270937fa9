#!/bin/bash
# SPDX-License-Identifier: ISC
#
# History and report: a known history gives exact numbers (availability,
# p50/p95, longest outage); a live history through a router with a clean,
# a lossy and an interrupted target gives a summary that says so and an
# SVG that is well-formed XML and renders to PNG.
source "$(dirname "$0")/lib.sh"

P=$BIN/edge-probe
[ -x "$P" ] || fail "no $P"

# A known history: 20 answers of 1..20 ms, then 5 losses 100 ms apart,
# then one answer; a summary line in between is ignored.
{
	for i in $(seq 1 20); do
		printf 'r\t%d\tk\t-\ticmp\t192.0.2.9\t%d\tup\t%d\tttl=64\n' \
			$((1700000000000 + i * 100)) $i $((i * 1000))
	done
	printf 's\t1700000002000\tk\t-\ticmp\t1000\t10\t10\t0.0\t1\t1\tup\n'
	for i in $(seq 21 25); do
		printf 'r\t%d\tk\t-\ticmp\t192.0.2.9\t%d\tdown\t-\ttimeout\n' \
			$((1700000000000 + i * 100)) $i
	done
	printf 'r\t%d\tk\t-\ticmp\t192.0.2.9\t26\tup\t500\t-\n' $((1700000000000 + 2600))
} > "$T_TMP/known"
out=$("$P" report "$T_TMP/known") || fail "report failed"
echo "$out"
echo "$out" | awk -F'\t' '$1 == "k" { f = ($2 == "icmp" && $3 == 26 && $4 == 21 && $5 == "80.77" && $6 == 10000 && $7 == 19000 && $8 == 500) } END { exit !f }' ||
	fail "known history: wrong summary"
ok "report of a known history"

# Bad history lines name file:line.
printf 'r\t1\tx\n' > "$T_TMP/bad"
err=$("$P" report "$T_TMP/bad" 2>&1) && fail "bad history accepted"
echo "$err" | grep -q "$T_TMP/bad:1: not a result line" || fail "bad history: $err"

# A live history.
ns_make A probe
ns_make R router
ns_make B target
veth "$A" a0 "$R" r0
veth "$R" r1 "$B" b0
nsx "$A" ip addr add 192.0.2.1/24 dev a0
nsx "$R" ip addr add 192.0.2.254/24 dev r0
nsx "$R" ip addr add 198.51.100.254/24 dev r1
for i in 2 3 4; do nsx "$B" ip addr add 198.51.100.$i/24 dev b0; done
nsx "$A" ip route add default via 192.0.2.254
nsx "$B" ip route add default via 198.51.100.254
nsx "$R" sysctl -qw net.ipv4.ip_forward=1
nsx "$R" nft add table inet flt
nsx "$R" nft add chain inet flt f '{ type filter hook forward priority 0; }'
nsx "$R" nft add rule inet flt f ip daddr 198.51.100.3 numgen random mod 100 '<' 30 drop

bg pid "$A" "$P" -q -i 20ms -t 200ms -o "$T_TMP/hist" \
	icmp 198.51.100.2 name clean group lab \
	icmp 198.51.100.3 name lossy group lab \
	icmp 198.51.100.4 name outage group lab
sleep 1.5
nsx "$R" nft add rule inet flt f ip daddr 198.51.100.4 drop
sleep 1
nsx "$R" nft flush chain inet flt f
nsx "$R" nft add rule inet flt f ip daddr 198.51.100.3 numgen random mod 100 '<' 30 drop
sleep 1.5
kill -INT "$pid"
wait "$pid" || fail "edge-probe -o exited $?"

out=$("$P" report -s "$T_TMP/r.svg" "$T_TMP/hist") || fail "report failed"
echo "$out"
row() { echo "$out" | awk -F'\t' -v n="$1" '$1 == n'; }
row clean | awk -F'\t' '{ exit !($3 >= 150 && $5 == "100.00" && $8 == 0) }' ||
	fail "clean target"
row lossy | awk -F'\t' '{ exit !($5 >= 55 && $5 <= 85) }' || fail "lossy target"
row outage | awk -F'\t' '{ exit !($8 >= 800 && $8 <= 1400) }' ||
	fail "outage target: longest outage not ~1 s"
ok "report of a live history"

xmllint --noout "$T_TMP/r.svg" || fail "SVG is not well-formed XML"
rsvg-convert -o "$T_TMP/r.png" "$T_TMP/r.svg" || fail "rsvg-convert failed"
[ "$(head -c 8 "$T_TMP/r.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] ||
	fail "not a PNG"
grep -c '<rect' "$T_TMP/r.svg" | awk '{ exit !($1 > 100) }' || fail "empty chart"
[ -n "${KEEP_PNG:-}" ] && cp "$T_TMP/r.png" "$KEEP_PNG"
ok "SVG is XML and renders to PNG"
