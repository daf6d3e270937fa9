#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-routes against its peers, in a private namespace, BENCH_RUNS
# (default 3) times each, medians printed with the ratios:
#
#   full sync of BENCH_ROUTES (default 1,000,000) IPv4 routes into an empty
#     table, against "ip -batch" adding the same routes (goal: >= 3x);
#   incremental sync of that table with 1 % churn (1 % removed, 1 % new),
#     reading the table included (goal: < 2 s); and a re-sync with no change;
#   peak RSS of the full sync (/usr/bin/time; goal: < 200 MB);
#   aggregate of BENCH_ROUTES random prefixes against iprange (goal: no
#     slower), with the two outputs compared.
source "$(dirname "$0")/../net/lib.sh"

N=${BENCH_ROUTES:-1000000}
RUNS=${BENCH_RUNS:-3}
T=1000
ER=$BIN/edge-routes
[ -x "$ER" ] || fail "$ER not built"

ns_make NS broutes
nsx "$NS" ip link add p0 type veth peer name p1
nsx "$NS" ip link set p0 up
nsx "$NS" ip link set p1 up
nsx "$NS" ip addr add 192.0.2.1/24 dev p0

# /30s eight addresses apart in 10.0.0.0/8: nothing aggregates.  The churn
# list drops the first 1 % and adds as many new ones.
python3 - "$N" "$T_TMP" <<'PY'
import random, sys
n, tmp = int(sys.argv[1]), sys.argv[2]
def p(i):
    a = 0x0a000000 + i * 8
    return "%d.%d.%d.%d/30" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255)
c = n // 100
with open(tmp + "/list", "w") as f, open(tmp + "/ip", "w") as g:
    for i in range(n):
        f.write(p(i) + "\n")
        g.write("route add %s via 192.0.2.2 table 1000 proto 202\n" % p(i))
with open(tmp + "/churn", "w") as f:
    for i in range(c, n + c):
        f.write(p(i) + "\n")
random.seed(1)
with open(tmp + "/random", "w") as f:
    for i in range(n):
        # Roughly a BGP table's mix of lengths.
        l = random.choice((24, 24, 24, 24, 24, 24, 22, 23, 32, 32, 20, 16,
                           random.randint(16, 30)))
        a = random.getrandbits(32) & ~((1 << (32 - l)) - 1)
        f.write("%d.%d.%d.%d/%d\n" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, l))
PY

count() { ip -n "$NS" route show table $T proto 202 2>/dev/null | wc -l; }
secs() { local s=$(date +%s.%N); "$@" >/dev/null || return 1
	awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", e - s }'; }
median() { sort -n | awk '{ v[NR] = $1 } END {
	print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
S=("$ER" sync -t $T -g 192.0.2.2)

for run in $(seq "$RUNS"); do
	# Full sync, with its peak memory.
	/usr/bin/time -f "%e %M" -o "$T_TMP/tv" ip netns exec "$NS" "${S[@]}" "$T_TMP/list" ||
		fail "sync failed"
	read -r e rss < "$T_TMP/tv"
	echo "$e" >> "$T_TMP/er-full"
	echo "$rss" >> "$T_TMP/er-rss"
	[ "$(count)" -eq "$N" ] || fail "sync: $(count) routes, want $N"

	secs nsx "$NS" "${S[@]}" "$T_TMP/list" >> "$T_TMP/er-same" || fail "re-sync"
	secs nsx "$NS" "${S[@]}" "$T_TMP/churn" >> "$T_TMP/er-churn" || fail "churn"
	secs nsx "$NS" "${S[@]}" "$T_TMP/list" >> "$T_TMP/er-churn" || fail "churn back"
	[ "$(count)" -eq "$N" ] || fail "churn: $(count) routes, want $N"
	nsx "$NS" "$ER" flush -t $T || fail flush
	[ "$(count)" -eq 0 ] || fail "flush left $(count)"

	secs nsx "$NS" ip -batch "$T_TMP/ip" >> "$T_TMP/ip-full" || fail "ip -batch"
	[ "$(count)" -eq "$N" ] || fail "ip -batch: $(count) routes, want $N"
	nsx "$NS" "$ER" flush -t $T || fail flush

	secs sh -c "'$ER' aggregate < '$T_TMP/random' > '$T_TMP/agg-er'" >> "$T_TMP/er-agg"
	secs sh -c "iprange < '$T_TMP/random' > '$T_TMP/agg-ip'" >> "$T_TMP/ip-agg"
done

# iprange prints a /32 as a bare address.
sed 's|^\([0-9.]*\)$|\1/32|' "$T_TMP/agg-ip" | sort > "$T_TMP/agg-ip.s"
sort "$T_TMP/agg-er" > "$T_TMP/agg-er.s"
cmp -s "$T_TMP/agg-ip.s" "$T_TMP/agg-er.s" ||
	fail "aggregate and iprange disagree: $(diff "$T_TMP/agg-ip.s" "$T_TMP/agg-er.s" | head -5)"

ef=$(median < "$T_TMP/er-full"); ipf=$(median < "$T_TMP/ip-full")
ea=$(median < "$T_TMP/er-agg"); ia=$(median < "$T_TMP/ip-agg")
awk -v n="$N" -v r="$RUNS" -v ef="$ef" -v ipf="$ipf" -v ec="$(median < "$T_TMP/er-churn")" \
    -v es="$(median < "$T_TMP/er-same")" -v rss="$(median < "$T_TMP/er-rss")" \
    -v ea="$ea" -v ia="$ia" -v agg="$(wc -l < "$T_TMP/agg-er")" 'BEGIN {
	printf "routes full sync %d: edge-routes %.2f s, ip -batch %.2f s (median of %d): %.1fx (goal >= 3x)\n", n, ef, ipf, r, ipf / ef
	printf "routes churn 1%% of %d: edge-routes %.2f s (median of %d; goal < 2 s)\n", n, ec, 2 * r
	printf "routes re-sync %d unchanged: edge-routes %.2f s\n", n, es
	printf "routes peak RSS of the full sync: %.0f MB (goal < 200 MB)\n", rss / 1024
	printf "routes aggregate %d random prefixes to %d: edge-routes %.2f s, iprange %.2f s: %.1fx (goal >= 1x)\n", n, agg, ea, ia, ia / ea
}'
