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
# meas NAME cmd...: run, append "elapsed cpu rss" (s, s, KB) to NAME.  CPU
# time (user + system, the kernel's work on our behalf included) is what
# the ratios also use: this machine is shared and wall-clock times swing.
meas() { local f=$1; shift
	/usr/bin/time -f '%e %U %S %M' -o "$T_TMP/tv" "$@" >/dev/null || return 1
	awk '{ printf "%.3f %.3f %d\n", $1, $2 + $3, $4 }' "$T_TMP/tv" >> "$T_TMP/$f"; }
median() { sort -n | awk '{ v[NR] = $1 } END {
	print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$2" '{ print $c }' "$T_TMP/$1" | median; }
X=(ip netns exec "$NS")
S=("${X[@]}" "$ER" sync -t $T -g 192.0.2.2)

for run in $(seq "$RUNS"); do
	meas er-full "${S[@]}" "$T_TMP/list" || fail "sync failed"
	[ "$(count)" -eq "$N" ] || fail "sync: $(count) routes, want $N"
	meas er-same "${S[@]}" "$T_TMP/list" || fail "re-sync"
	meas er-churn "${S[@]}" "$T_TMP/churn" || fail "churn"
	meas er-churn "${S[@]}" "$T_TMP/list" || fail "churn back"
	[ "$(count)" -eq "$N" ] || fail "churn: $(count) routes, want $N"
	"${X[@]}" "$ER" flush -t $T || fail flush
	[ "$(count)" -eq 0 ] || fail "flush left $(count)"

	meas ip-full "${X[@]}" ip -batch "$T_TMP/ip" || fail "ip -batch"
	[ "$(count)" -eq "$N" ] || fail "ip -batch: $(count) routes, want $N"
	"${X[@]}" "$ER" flush -t $T || fail flush

	meas er-agg sh -c "exec '$ER' aggregate < '$T_TMP/random' > '$T_TMP/agg-er'"
	meas ip-agg sh -c "exec iprange < '$T_TMP/random' > '$T_TMP/agg-ip'"
done

# iprange prints a /32 as a bare address.
sed 's|^\([0-9.]*\)$|\1/32|' "$T_TMP/agg-ip" | sort > "$T_TMP/agg-ip.s"
sort "$T_TMP/agg-er" > "$T_TMP/agg-er.s"
cmp -s "$T_TMP/agg-ip.s" "$T_TMP/agg-er.s" ||
	fail "aggregate and iprange disagree: $(diff "$T_TMP/agg-ip.s" "$T_TMP/agg-er.s" | head -5)"

awk -v n="$N" -v r="$RUNS" \
    -v ef="$(col er-full 1)" -v efc="$(col er-full 2)" -v rss="$(col er-full 3)" \
    -v ipf="$(col ip-full 1)" -v ipfc="$(col ip-full 2)" \
    -v ec="$(col er-churn 1)" -v ecc="$(col er-churn 2)" \
    -v es="$(col er-same 1)" -v esc="$(col er-same 2)" \
    -v ea="$(col er-agg 1)" -v eac="$(col er-agg 2)" \
    -v ia="$(col ip-agg 1)" -v iac="$(col ip-agg 2)" \
    -v agg="$(wc -l < "$T_TMP/agg-er")" 'BEGIN {
	printf "routes: medians of %d runs; wall-clock s (CPU s)\n", r
	printf "routes full sync %d: edge-routes %.2f (%.2f), ip -batch %.2f (%.2f): %.1fx wall, %.1fx CPU (goal >= 3x)\n", n, ef, efc, ipf, ipfc, ipf / ef, ipfc / efc
	printf "routes churn 1%% of %d: edge-routes %.2f (%.2f) (goal < 2 s)\n", n, ec, ecc
	printf "routes re-sync %d unchanged: edge-routes %.2f (%.2f)\n", n, es, esc
	printf "routes peak RSS of the full sync: %.0f MB (goal < 200 MB)\n", rss / 1024
	printf "routes aggregate %d random prefixes to %d: edge-routes %.2f (%.2f), iprange %.2f (%.2f): %.1fx wall, %.1fx CPU (goal >= 1x)\n", n, agg, ea, eac, ia, iac, ia / ea, iac / eac
}'
