#!/bin/bash
# SPDX-License-Identifier: ISC
#
# lib/nl batches against `ip -batch`: add and delete BENCH_ROUTES (default
# 100000; the real target is 1000000) IPv4 routes in a table above 255 in
# a private namespace, BENCH_RUNS (default 3) times each, and print the
# medians and the ratio (ip time / nl time: higher is better for nl).
source "$(dirname "$0")/../net/lib.sh"

N=${BENCH_ROUTES:-100000}
RUNS=${BENCH_RUNS:-3}
TABLE=1000
PROTO=202

make -s -C "$TOP" lib/libedge.a >/dev/null
cc -O2 -std=gnu11 -I"$TOP/lib" $(pkg-config --cflags libbsd-overlay) \
	-o "$T_TMP/nl-routes" "$TOP/tests/bench/nl-routes.c" \
	"$TOP/lib/libedge.a" $(pkg-config --libs libmnl libbsd-overlay) ||
	fail "cannot build nl-routes"

ns_make NS bench
nsx "$NS" ip link add p0 type veth peer name p1
nsx "$NS" ip link set p0 up
nsx "$NS" ip link set p1 up
nsx "$NS" ip addr add 192.0.2.1/24 dev p0

python3 - "$N" "$TABLE" "$PROTO" "$T_TMP" <<'PY'
import sys
n, table, proto, tmp = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with open(tmp + "/add", "w") as a, open(tmp + "/del", "w") as d:
    for i in range(n):
        ip = "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)
        a.write("route add %s/32 via 192.0.2.2 table %s proto %s\n" %
                (ip, table, proto))
        d.write("route del %s/32 table %s proto %s\n" % (ip, table, proto))
PY

count() { nsx "$NS" ip route show table $TABLE proto $PROTO | wc -l; }
secs() { local s=$(date +%s.%N); "$@" >/dev/null || return 1
	awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", e - s }'; }
median() { sort -n | awk '{ v[NR] = $1 } END {
	print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for run in $(seq "$RUNS"); do
	t=$(nsx "$NS" "$T_TMP/nl-routes" add "$N" $TABLE $PROTO) ||
		fail "nl add failed"
	echo "$t" >>"$T_TMP/nl-add"
	[ "$(count)" -eq "$N" ] || fail "nl add: $(count) routes, want $N"
	t=$(nsx "$NS" "$T_TMP/nl-routes" del "$N" $TABLE $PROTO) ||
		fail "nl del failed"
	echo "$t" >>"$T_TMP/nl-del"
	[ "$(count)" -eq 0 ] || fail "nl del: $(count) routes left"

	secs nsx "$NS" ip -batch "$T_TMP/add" >>"$T_TMP/ip-add" ||
		fail "ip -batch add failed"
	[ "$(count)" -eq "$N" ] || fail "ip add: $(count) routes, want $N"
	secs nsx "$NS" ip -batch "$T_TMP/del" >>"$T_TMP/ip-del" ||
		fail "ip -batch del failed"
	[ "$(count)" -eq 0 ] || fail "ip del: $(count) routes left"
done

for op in add del; do
	nl=$(median <"$T_TMP/nl-$op")
	ip=$(median <"$T_TMP/ip-$op")
	awk -v op="$op" -v n="$N" -v nl="$nl" -v ip="$ip" -v runs="$RUNS" \
	    'BEGIN { printf "routes %s %d: nl batch %.3f s, ip -batch %.3f s " \
	    "(median of %d): %.1fx\n", op, n, nl, ip, runs, ip / nl }'
done
