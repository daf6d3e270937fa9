#!/bin/bash
# SPDX-License-Identifier: ISC
#
# lib/prefix aggregation against iprange(1): BENCH_PREFIXES (default
# 1000000) random IPv4 prefixes (/16 to /32, mostly /24 and /32, host bits
# clear), read, aggregated and printed, BENCH_RUNS (default 5) times each.
# Both must print the same set; prints the medians and the ratio
# (iprange time / lib time: higher is better for edgekit).
source "$(dirname "$0")/../net/lib.sh"

N=${BENCH_PREFIXES:-1000000}
RUNS=${BENCH_RUNS:-5}

command -v iprange >/dev/null || skip "iprange not installed"
make -s -C "$TOP" lib/libedge.a >/dev/null
cc -O2 -std=gnu11 -I"$TOP/lib" -o "$T_TMP/prefix-aggregate" \
	"$TOP/tests/bench/prefix-aggregate.c" "$TOP/lib/libedge.a" ||
	fail "cannot build prefix-aggregate"

python3 - "$N" "$T_TMP/in" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
random.seed(2)
lens = [16, 18, 20, 22, 23, 24, 24, 24, 24, 25, 26, 27, 28, 29, 30, 31,
        32, 32, 32, 32]
with open(path, "w") as f:
    for _ in range(n):
        l = random.choice(lens)
        a = random.getrandbits(32) & (0xffffffff << (32 - l)) & 0xffffffff
        f.write("%d.%d.%d.%d/%d\n" % (a >> 24, a >> 16 & 255, a >> 8 & 255,
                                      a & 255, l))
PY

secs() { local s=$(date +%s.%N); "$@" || return 1
	awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", e - s }' \
	    >>"$T_TMP/t"; }
median() { sort -n | awk '{ v[NR] = $1 } END {
	print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for run in $(seq "$RUNS"); do
	secs "$T_TMP/prefix-aggregate" "$T_TMP/in" >"$T_TMP/lib.out" \
	    2>>"$T_TMP/phases" || fail "prefix-aggregate failed"
	tail -n 1 "$T_TMP/t" >>"$T_TMP/lib"
	secs iprange "$T_TMP/in" >"$T_TMP/iprange.out" ||
		fail "iprange failed"
	tail -n 1 "$T_TMP/t" >>"$T_TMP/ipr"
done
# iprange writes single addresses without "/32".
sed 's,/32$,,' "$T_TMP/lib.out" | cmp -s - "$T_TMP/iprange.out" ||
	fail "lib/prefix and iprange disagree"

lib=$(median <"$T_TMP/lib")
ipr=$(median <"$T_TMP/ipr")
echo "lib phases (last run): $(tail -n 1 "$T_TMP/phases")"
awk -v n="$N" -v out="$(wc -l <"$T_TMP/lib.out")" -v lib="$lib" \
    -v ipr="$ipr" -v runs="$RUNS" 'BEGIN { printf "aggregate %d IPv4 " \
    "prefixes (%d out): lib/prefix %.3f s, iprange %.3f s (median of " \
    "%d): %.1fx\n", n, out, lib, ipr, runs, ipr / lib }'
