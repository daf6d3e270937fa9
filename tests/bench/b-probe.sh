#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-probe against fping(8), same targets, same run: 1,000 ICMP targets
# (every address of a /22 answers: a local route in the responder
# namespace) probed
#   1. once, unpaced (fping -i 0 -c 1), BENCH_RUNS (default 5) times;
#   2. once at 10 ms pacing (fping's default; about 10 s each),
#      BENCH_SLOW_RUNS (default 3) times;
#   3. continuously every second for BENCH_SECS (default 10) s,
#      BENCH_SLOW_RUNS times: CPU per 1,000 probes (fping -l -p 1000 -i 1,
#      edge-probe -i 1s).
# Wall and CPU (user + system) are medians; ratios are fping / edge-probe
# (above 1: edge-probe is faster or cheaper).
source "$(dirname "$0")/../net/lib.sh"

RUNS=${BENCH_RUNS:-5}
SLOW=${BENCH_SLOW_RUNS:-3}
SECS=${BENCH_SECS:-10}
N=1000
P=$BIN/edge-probe
[ -x "$P" ] || fail "no $P"
command -v fping >/dev/null || skip "fping not installed"

ns_make A probe
ns_make B resp
veth "$A" a0 "$B" b0
nsx "$A" ip addr add 192.0.2.1/24 dev a0
nsx "$B" ip addr add 192.0.2.2/24 dev b0
nsx "$B" ip route add local 10.77.0.0/22 dev lo
nsx "$A" ip route add 10.77.0.0/22 via 192.0.2.2
for i in $(seq 1 $N); do
	echo "10.77.$(( i / 256 )).$(( i % 256 ))"
done > "$T_TMP/addrs"
sed 's/^/icmp /' "$T_TMP/addrs" > "$T_TMP/probes"

# run NAME cmd...: wall, user, sys of cmd (and its children, to the
# millisecond: getrusage) appended to $T_TMP/NAME.
run() {
	local name=$1 TIMEFORMAT='%3R %3U %3S'; shift
	{ time "$@" > "$T_TMP/$name.out" 2> "$T_TMP/$name.err" ; } \
		2>> "$T_TMP/$name" || true
}
median() { sort -n | awk '{ v[NR] = $1 } END {
	print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$2" '{ print $c }' "$T_TMP/$1" | median; }
cpu() { awk '{ print $2 + $3 }' "$T_TMP/$1" | median; }

# Warm the neighbour cache and check that every target answers.
nsx "$A" fping -q -i 0 -c 1 -f "$T_TMP/addrs" 2>/dev/null || true
nsx "$A" "$P" -q -t 2s -f "$T_TMP/probes" ||
	fail "not every target answers edge-probe"

# 1. once, unpaced.
for r in $(seq "$RUNS"); do
	run ep1 ip netns exec "$A" "$P" -t 1s -f "$T_TMP/probes"
	run fp1 ip netns exec "$A" fping -q -i 0 -c 1 -t 1000 -f "$T_TMP/addrs"
done
up=$(awk -F'\t' '$8 == "up"' "$T_TMP/ep1.out" | wc -l)
fup=$(grep -c '/0%,' "$T_TMP/fp1.err" || true)
echo "once, unpaced, $N targets ($up answered edge-probe, $fup fping; median of $RUNS):"
awk -v ew="$(col ep1 1)" -v ec="$(cpu ep1)" -v fw="$(col fp1 1)" \
    -v fc="$(cpu fp1)" 'BEGIN {
	printf "  wall: edge-probe %.3f s, fping %.3f s: %.2fx\n", ew, fw, fw / ew
	printf "  cpu:  edge-probe %.3f s, fping %.3f s: %.2fx\n", ec, fc,
	    (ec > 0 ? fc / ec : 0) }'

# 2. once, at 10 ms pacing.
for r in $(seq "$SLOW"); do
	run ep2 ip netns exec "$A" "$P" -p 10ms -t 1s -f "$T_TMP/probes"
	run fp2 ip netns exec "$A" fping -q -i 10 -c 1 -t 1000 -f "$T_TMP/addrs"
done
up=$(awk -F'\t' '$8 == "up"' "$T_TMP/ep2.out" | wc -l)
echo "once, 10 ms pacing, $N targets ($up answered edge-probe; median of $SLOW):"
awk -v ew="$(col ep2 1)" -v ec="$(cpu ep2)" -v fw="$(col fp2 1)" \
    -v fc="$(cpu fp2)" 'BEGIN {
	printf "  wall: edge-probe %.3f s, fping %.3f s: %.2fx\n", ew, fw, fw / ew
	printf "  cpu:  edge-probe %.3f s, fping %.3f s: %.2fx\n", ec, fc,
	    (ec > 0 ? fc / ec : 0) }'

# 3. continuous, 1 s per target: CPU (ms) per 1,000 probes of each run.
for r in $(seq "$SLOW"); do
	run ep3 ip netns exec "$A" timeout -s INT "$SECS" "$P" -i 1s -R 0 \
		-f "$T_TMP/probes"
	en=$(grep -c '^r' "$T_TMP/ep3.out" || true)
	tail -n 1 "$T_TMP/ep3" | awk -v n="$en" '{ print ($2 + $3) * 1e6 / n, n }' \
		>> "$T_TMP/ep3k"
	run fp3 ip netns exec "$A" timeout -s INT "$SECS" fping -l -p 1000 -i 1 \
		-t 1000 -f "$T_TMP/addrs"
	fn=$(grep -c ' bytes, ' "$T_TMP/fp3.out" || true)
	tail -n 1 "$T_TMP/fp3" | awk -v n="$fn" '{ print ($2 + $3) * 1e6 / n, n }' \
		>> "$T_TMP/fp3k"
done
echo "continuous, $N targets every 1 s for $SECS s (last run: $en results edge-probe, $fn replies fping; median of $SLOW):"
awk -v e="$(col ep3k 1)" -v f="$(col fp3k 1)" -v ec="$(cpu ep3)" \
    -v fc="$(cpu fp3)" -v s="$SECS" 'BEGIN {
	printf "  cpu per 1,000 probes: edge-probe %.2f ms, fping %.2f ms: %.2fx\n",
	    e, f, (e > 0 ? f / e : 0)
	printf "  share of one core: edge-probe %.2f %%, fping %.2f %%\n",
	    100 * ec / s, 100 * fc / s }'
