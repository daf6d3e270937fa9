#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-probe against fping(8), same targets, same run: 1,000 ICMP targets
# (every address of a /22 answers: a local route in the responder
# namespace) probed
#   1. once, unpaced (fping -i 0 -c 1), BENCH_RUNS (default 9) pairs;
#   2. once at 10 ms pacing (fping's default; about 10 s each),
#      BENCH_SLOW_RUNS (default 7) pairs, each beside the floor of a paced
#      pinger (tests/bench/icmp-floor.c: the sends and reads alone), since
#      both tools spend most of their time in the kernel's part;
#   3. continuously every second for BENCH_SECS (default 10) s,
#      BENCH_CONT_RUNS (default 3) rounds: CPU per 1,000 probes and the
#      share of a core of edge-probe -i 1s, of the issue's fping -l -p 1000
#      and of fping -l -p 1000 -i 1 (which probes as often; see 3 below).
# At the end, each of the issue's targets is printed as MET or MISSED,
# judged from the medians.
# Each pair runs both tools back to back, in alternating order, each under
# tests/bench/rusage.c inside the namespace: CPU is user + system time from
# wait4(2), of the tool alone.  Printed: medians, the ratio of the medians
# and the median (and range) of the per-pair ratios, fping / edge-probe
# (above 1: edge-probe is faster or cheaper); and, per probe, the page
# faults and voluntary context switches (wake-ups) of each, and for the
# paced runs, counts that do not depend on the machine's load: system
# calls, context switches, page faults, user-space instructions.
source "$(dirname "$0")/../net/lib.sh"

RUNS=${BENCH_RUNS:-9}
SLOW=${BENCH_SLOW_RUNS:-7}
CONT=${BENCH_CONT_RUNS:-3}
SECS=${BENCH_SECS:-10}
N=1000
P=$BIN/edge-probe
[ -x "$P" ] || fail "no $P"
command -v fping >/dev/null || skip "fping not installed"
cc -O2 -std=gnu11 -Wall -Wextra -Werror -o "$T_TMP/rusage" \
	"$TOP/tests/bench/rusage.c" || fail "cannot build rusage"
RU=$T_TMP/rusage
cc -O2 -std=gnu11 -Wall -Wextra -Werror -o "$T_TMP/icmp-floor" \
	"$TOP/tests/bench/icmp-floor.c" || fail "cannot build icmp-floor"

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

# m NAME [rusage options] cmd...: run cmd in A under rusage; its line
# (wall cpu user sys minflt nvcsw nivcsw status) is appended to $T_TMP/NAME,
# its output goes to $T_TMP/NAME.out and .err.
m() {
	local name=$1; shift
	nsx "$A" "$RU" -o "$T_TMP/$name.out" -e "$T_TMP/$name.err" "$@" \
		>> "$T_TMP/$name"
}
median() { sort -g | awk '{ v[NR] = $1 } END {
	print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$2" '{ print $c }' "$T_TMP/$1" | median; }
# pair E F COL: median, min and max of F/E over the pairs, column COL.
pair() {
	paste -d ' ' "$T_TMP/$1" "$T_TMP/$2" | awk -v c="$3" '{
		n = split($0, v, " "); h = n / 2
		print (v[c] > 0 ? v[h + c] / v[c] : 0) }' > "$T_TMP/ratio"
	printf '%s %s %s' "$(median < "$T_TMP/ratio")" \
	    "$(sort -g "$T_TMP/ratio" | head -n 1)" \
	    "$(sort -g "$T_TMP/ratio" | tail -n 1)"
}
# report E F PROBES: wall, CPU and per-probe counters of runs E and F.
report() {
	local e=$1 f=$2 n=$3
	awk -v ew="$(col "$e" 1)" -v fw="$(col "$f" 1)" \
	    -v ec="$(col "$e" 2)" -v fc="$(col "$f" 2)" \
	    -v wp="$(pair "$e" "$f" 1)" -v cp="$(pair "$e" "$f" 2)" \
	    -v epf="$(col "$e" 5)" -v fpf="$(col "$f" 5)" \
	    -v ecs="$(col "$e" 6)" -v fcs="$(col "$f" 6)" -v n="$n" 'BEGIN {
		split(wp, w, " "); split(cp, c, " ")
		printf "  wall: edge-probe %.3f s, fping %.3f s: %.2fx (pairs: median %.2fx, %.2f-%.2f)\n",
		    ew, fw, fw / ew, w[1], w[2], w[3]
		printf "  cpu:  edge-probe %.1f ms, fping %.1f ms: %.2fx (pairs: median %.2fx, %.2f-%.2f)\n",
		    ec * 1000, fc * 1000, (ec > 0 ? fc / ec : 0), c[1], c[2], c[3]
		printf "  per probe (edge-probe vs fping): page faults %.2f vs %.2f, wake-ups %.2f vs %.2f\n",
		    epf / n, fpf / n, ecs / n, fcs / n }'
}

# Warm the neighbour cache and check that every target answers.
nsx "$A" fping -q -i 0 -c 1 -f "$T_TMP/addrs" 2>/dev/null || true
nsx "$A" "$P" -q -t 2s -f "$T_TMP/probes" ||
	fail "not every target answers edge-probe"

# 1. once, unpaced.
for r in $(seq "$RUNS"); do
	if [ $((r % 2)) -eq 1 ]; then
		m ep1 "$P" -t 1s -f "$T_TMP/probes"
		m fp1 fping -q -i 0 -c 1 -t 1000 -f "$T_TMP/addrs"
	else
		m fp1 fping -q -i 0 -c 1 -t 1000 -f "$T_TMP/addrs"
		m ep1 "$P" -t 1s -f "$T_TMP/probes"
	fi
done
up=$(awk -F'\t' '$8 == "up"' "$T_TMP/ep1.out" | wc -l)
fup=$(grep -c '/0%,' "$T_TMP/fp1.err" || true)
echo "once, unpaced, $N targets ($up answered edge-probe, $fup fping; $RUNS pairs):"
report ep1 fp1 $N

# 2. once, at 10 ms pacing; beside each pair the floor (icmp-floor.c: the
# same sends and reads with nothing else), in rotating order.
for r in $(seq "$SLOW"); do
	for k in 0 1 2; do
		case $(( (r + k) % 3 )) in
		0) m ep2 "$P" -p 10ms -t 1s -f "$T_TMP/probes" ;;
		1) m fp2 fping -q -i 10 -c 1 -t 1000 -f "$T_TMP/addrs" ;;
		2) m fl2 "$T_TMP/icmp-floor" $N 10 10.77 ;;
		esac
	done
done
up=$(awk -F'\t' '$8 == "up"' "$T_TMP/ep2.out" | wc -l)
fup=$(grep -c '/0%,' "$T_TMP/fp2.err" || true)
echo "once, 10 ms pacing, $N targets ($up answered edge-probe, $fup fping, $(cat "$T_TMP/fl2.err"); $SLOW pairs):"
report ep2 fp2 $N
# Above the floor: what each tool spends of its own, per run.
paste -d ' ' "$T_TMP/ep2" "$T_TMP/fl2" | awk '{ print $2 - $10 }' > "$T_TMP/ep2o"
paste -d ' ' "$T_TMP/fp2" "$T_TMP/fl2" | awk '{ print $2 - $10 }' > "$T_TMP/fp2o"
awk -v fl="$(col fl2 2)" -v eo="$(median < "$T_TMP/ep2o")" \
    -v fo="$(median < "$T_TMP/fp2o")" 'BEGIN {
	printf "  floor (sends and reads only): %.1f ms; above it: edge-probe %.1f ms, fping %.1f ms (medians of the differences)\n",
	    fl * 1000, eo * 1000, fo * 1000 }'

# What the paced runs cost per probe, counted rather than timed (times on
# this shared machine swing from run to run; counts do not; output to
# files, as in the timed runs): system calls,
# context switches and page faults (perf stat), and user-space
# instructions of an unpaced run (callgrind; fping copied, since valgrind
# will not run a binary with file capabilities).
if nsx "$A" perf stat -e raw_syscalls:sys_enter true >/dev/null 2>&1; then
	nsx "$A" perf stat -x, -o "$T_TMP/ep.perf" -e \
	    raw_syscalls:sys_enter,context-switches,page-faults \
	    "$P" -p 10ms -t 1s -f "$T_TMP/probes" >"$T_TMP/cnt.out" 2>&1 || true
	nsx "$A" perf stat -x, -o "$T_TMP/fp.perf" -e \
	    raw_syscalls:sys_enter,context-switches,page-faults \
	    fping -q -i 10 -c 1 -t 1000 -f "$T_TMP/addrs" >"$T_TMP/cnt.out" \
	    2>"$T_TMP/cnt.err" || true
	awk -F, -v n=$N '{ f = FILENAME ~ /ep.perf$/ ? 1 : 2 }
	    $3 ~ /sys_enter/ { s[f] = $1 } $3 ~ /context-switches/ { c[f] = $1 }
	    $3 ~ /page-faults/ { p[f] = $1 } END {
		printf "  counted per probe (edge-probe vs fping): system calls %.2f vs %.2f, context switches %.2f vs %.2f, page faults %.2f vs %.2f\n",
		    s[1] / n, s[2] / n, c[1] / n, c[2] / n, p[1] / n, p[2] / n }' \
	    "$T_TMP/ep.perf" "$T_TMP/fp.perf"
fi
if command -v valgrind >/dev/null; then
	cp "$(command -v fping)" "$T_TMP/fping"
	nsx "$A" valgrind --tool=callgrind --callgrind-out-file="$T_TMP/cg.ep" \
	    "$P" -t 1s -f "$T_TMP/probes" >"$T_TMP/cnt.out" 2>"$T_TMP/vg.ep" || true
	nsx "$A" valgrind --tool=callgrind --callgrind-out-file="$T_TMP/cg.fp" \
	    "$T_TMP/fping" -q -i 0 -c 1 -t 1000 -f "$T_TMP/addrs" \
	    >/dev/null 2>"$T_TMP/vg.fp" || true
	awk -v n=$N '/Collected/ { v[FILENAME ~ /vg.ep$/ ? 1 : 2] = $NF } END {
		if (v[1] && v[2])
			printf "  user-space instructions per probe (callgrind, unpaced; edge-probe vs fping): %d vs %d: %.2fx\n",
			    v[1] / n, v[2] / n, v[2] / v[1] }' "$T_TMP/vg.ep" "$T_TMP/vg.fp"
fi

# 3. continuous, 1 s per target, stopped by SIGINT: CPU per 1,000 probes,
# against the issue's peer command, fping -l -p 1000 (its timeout is then
# the period, 1 s, as edge-probe's -t), and against the same with -i 1:
# fping's default of 10 ms between any two sends lets it probe 1,000
# targets only every 10 s (100 probes a second), -i 1 lets it do what
# edge-probe -i 1s does (1,000 a second), the same work.  The three run in
# rotating order, as in 2.
for r in $(seq "$CONT"); do
	for k in 0 1 2; do
		case $(( (r + k) % 3 )) in
		0) m ep3 -i "$SECS" "$P" -i 1s -R 0 -f "$T_TMP/probes"
		   en=$(grep -c '^r' "$T_TMP/ep3.out" || true)
		   tail -n 1 "$T_TMP/ep3" |
			awk -v n="$en" '{ print $2 * 1e6 / n, n }' >> "$T_TMP/ep3k" ;;
		1) m fp3 -i "$SECS" fping -l -p 1000 -f "$T_TMP/addrs"
		   fn=$(grep -c ' bytes, ' "$T_TMP/fp3.out" || true)
		   tail -n 1 "$T_TMP/fp3" |
			awk -v n="$fn" '{ print $2 * 1e6 / n, n }' >> "$T_TMP/fp3k" ;;
		2) m fq3 -i "$SECS" fping -l -p 1000 -i 1 -f "$T_TMP/addrs"
		   qn=$(grep -c ' bytes, ' "$T_TMP/fq3.out" || true)
		   tail -n 1 "$T_TMP/fq3" |
			awk -v n="$qn" '{ print $2 * 1e6 / n, n }' >> "$T_TMP/fq3k" ;;
		esac
	done
done
echo "continuous, $N targets every 1 s for $SECS s ($CONT rounds of three; results of the last: edge-probe $en, fping -l -p 1000 $fn, fping -l -p 1000 -i 1 $qn):"
awk -v e="$(col ep3k 1)" -v f="$(col fp3k 1)" -v q="$(col fq3k 1)" \
    -v en="$(col ep3k 2)" -v fn="$(col fp3k 2)" -v qn="$(col fq3k 2)" \
    -v ec="$(col ep3 2)" -v fc="$(col fp3 2)" -v qc="$(col fq3 2)" \
    -v s="$SECS" -v fp="$(pair ep3k fp3k 1)" -v qp="$(pair ep3k fq3k 1)" 'BEGIN {
	split(fp, a, " "); split(qp, b, " ")
	printf "  probes a second: edge-probe %.0f, fping -l -p 1000 %.0f, fping -l -p 1000 -i 1 %.0f\n",
	    en / s, fn / s, qn / s
	printf "  cpu per 1,000 probes: edge-probe %.2f ms; fping -l -p 1000 %.2f ms: %.2fx (pairs: median %.2fx, %.2f-%.2f); fping -l -p 1000 -i 1 %.2f ms: %.2fx (pairs: median %.2fx, %.2f-%.2f)\n",
	    e, f, (e > 0 ? f / e : 0), a[1], a[2], a[3],
	    q, (e > 0 ? q / e : 0), b[1], b[2], b[3]
	printf "  cpu: edge-probe %.1f ms, fping -l -p 1000 %.1f ms, fping -l -p 1000 -i 1 %.1f ms\n",
	    ec * 1000, fc * 1000, qc * 1000
	printf "  share of one core: edge-probe %.2f %%, fping -l -p 1000 %.2f %%, fping -l -p 1000 -i 1 %.2f %%\n",
	    100 * ec / s, 100 * fc / s, 100 * qc / s }'

# The issue's targets, judged from the medians above: MET or MISSED.
verdict() {	# TEXT EDGE-PROBE FPING-OR-LIMIT UNIT: met when EDGE <= LIMIT
	awk -v t="$1" -v e="$2" -v f="$3" -v u="$4" 'BEGIN {
		printf "  %-6s %s: %g vs %g %s\n", (e <= f ? "MET" : "MISSED"),
		    t, e, f, u }'
}
ms() { awk -v v="$1" 'BEGIN { printf "%.1f", v * 1000 }'; }
echo "targets (edge-probe vs fping or the limit, medians):"
verdict "once, unpaced: wall time no worse than fping -i 0 -c1" \
	"$(ms "$(col ep1 1)")" "$(ms "$(col fp1 1)")" ms
verdict "once, unpaced: CPU no worse than fping -i 0 -c1" \
	"$(ms "$(col ep1 2)")" "$(ms "$(col fp1 2)")" ms
verdict "once, 10 ms pacing: wall time no worse than fping -i 10" \
	"$(ms "$(col ep2 1)")" "$(ms "$(col fp2 1)")" ms
verdict "once, 10 ms pacing: CPU no worse than fping -i 10" \
	"$(ms "$(col ep2 2)")" "$(ms "$(col fp2 2)")" ms
verdict "continuous at 1 s: under 5 % of one core" \
	"$(awk -v c="$(col ep3 2)" -v s="$SECS" 'BEGIN { printf "%.2f", 100 * c / s }')" \
	5 "% of a core"
verdict "continuous: CPU no more than fping -l -p 1000 (which probes a tenth as often)" \
	"$(ms "$(col ep3 2)")" "$(ms "$(col fp3 2)")" ms
verdict "continuous: CPU per 1,000 probes no more than fping -l -p 1000" \
	"$(printf %.2f "$(col ep3k 1)")" "$(printf %.2f "$(col fp3k 1)")" ms
verdict "continuous: CPU no more than fping -l -p 1000 -i 1 (the same work)" \
	"$(ms "$(col ep3 2)")" "$(ms "$(col fq3 2)")" ms
