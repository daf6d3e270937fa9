#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-routes guards: an empty input (a failed download) is refused unless
# --allow-empty; a sync that would delete more than --max-delete percent
# (default 50) of the owned routes is refused unless --force.  A refused
# sync changes nothing.  The same for every emitter: -e ip prints nothing,
# -e bird compares with the include file there (checked by BIRD's parser),
# -e nft with the set's contents; -n plans and changes nothing, which
# edge-routes-cron's check of a download relies on.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/routes-lib.sh"

routes_ns NS g
for i in $(seq 0 99); do echo "10.0.$i.0/24"; done | sed -n '1~2p' > "$T_TMP/full"
[ "$(wc -l < "$T_TMP/full")" -eq 50 ] || fail "test data"
S=("$ER" sync -t 100 -g 192.0.2.1)
nsx "$NS" "${S[@]}" "$T_TMP/full" || fail sync
[ "$(rcount "$NS" table 100 proto 202)" -eq 50 ] || fail "50 routes expected"

monitor_start "$NS"
: > "$T_TMP/empty"
expect_rc 2 nsx "$NS" "${S[@]}" "$T_TMP/empty" 2> "$T_TMP/err"
grep -q 'no routes' "$T_TMP/err" || fail "empty: $(cat "$T_TMP/err")"
printf '# only comments\n\n' | expect_rc 2 nsx "$NS" "${S[@]}" 2>/dev/null
# A truncated download: 10 of 50 lines left, 80 % would go.
head -n 10 "$T_TMP/full" > "$T_TMP/trunc"
expect_rc 1 nsx "$NS" "${S[@]}" "$T_TMP/trunc" 2> "$T_TMP/err"
grep -q 'refusing to delete 40 of 50' "$T_TMP/err" || fail "max-delete: $(cat "$T_TMP/err")"
expect_rc 1 nsx "$NS" "${S[@]}" --max-delete 79 "$T_TMP/trunc" 2>/dev/null
monitor_quiet "refused syncs"
ok "empty and truncated inputs refused, nothing changed"

# Exactly the limit is allowed: 25 of 50 is 50 %.
head -n 25 "$T_TMP/full" > "$T_TMP/half"
nsx "$NS" "${S[@]}" "$T_TMP/half" || fail "50 % not allowed"
[ "$(rcount "$NS" table 100 proto 202)" -eq 25 ] || fail "25 routes expected"
nsx "$NS" "${S[@]}" "$T_TMP/full" || fail "resync"
nsx "$NS" "${S[@]}" --max-delete 80 "$T_TMP/trunc" || fail "--max-delete 80"
[ "$(rcount "$NS" table 100 proto 202)" -eq 10 ] || fail "10 routes expected"
nsx "$NS" "${S[@]}" "$T_TMP/full" || fail "resync"
nsx "$NS" "${S[@]}" --force "$T_TMP/trunc" || fail "--force"
[ "$(rcount "$NS" table 100 proto 202)" -eq 10 ] || fail "10 routes expected"
nsx "$NS" "${S[@]}" --allow-empty "$T_TMP/empty" 2>/dev/null && fail "empty with 100 % delete must still need --force"
nsx "$NS" "${S[@]}" --allow-empty --force "$T_TMP/empty" || fail "--allow-empty --force"
[ "$(rcount "$NS" table 100 proto 202)" -eq 0 ] || fail "table not emptied"
ok "--max-delete, --force and --allow-empty"

# xrc N OUT ERR cmd...: run cmd with its output in OUT and ERR; fail
# (with its message) unless it exits N.
xrc() {
	local want=$1 o=$2 e=$3 rc=0; shift 3
	"$@" > "$o" 2> "$e" || rc=$?
	[ "$rc" -eq "$want" ] || fail "exit $rc, expected $want: $* $([ -f "$e" ] && tail -c 300 "$e")"
}

# --emit ip: the guard comes before a single line is printed, so
# "sync -e ip truncated | ip -batch -" cannot empty the table.
nsx "$NS" "${S[@]}" "$T_TMP/full" || fail "resync"
xrc 1 "$T_TMP/trunc.ip" "$T_TMP/err" nsx "$NS" "${S[@]}" -e ip "$T_TMP/trunc"
grep -q 'refusing to delete 40 of 50' "$T_TMP/err" || fail "-e ip: $(cat "$T_TMP/err")"
[ ! -s "$T_TMP/trunc.ip" ] || fail "-e ip printed a script it refused: $(head -n 3 "$T_TMP/trunc.ip")"
xrc 2 "$T_TMP/empty.ip" /dev/null nsx "$NS" "${S[@]}" -e ip "$T_TMP/empty"
[ ! -s "$T_TMP/empty.ip" ] || fail "-e ip printed a script for an empty input"
nsx "$NS" "${S[@]}" -e ip -n "$T_TMP/trunc" > "$T_TMP/trunc.n" 2>/dev/null && fail "-n -e ip: the guard must refuse"
[ "$(grep -c '^- ' "$T_TMP/trunc.n")" -eq 40 ] || fail "-n -e ip plan: $(head -n 3 "$T_TMP/trunc.n")"
monitor_start "$NS"
nsx "$NS" ip -batch - < "$T_TMP/trunc.ip" || fail "ip -batch of nothing"
monitor_quiet "refused -e ip"
[ "$(rcount "$NS" table 100 proto 202)" -eq 50 ] || fail "50 routes expected after a refused -e ip"
nsx "$NS" "${S[@]}" -e ip --force "$T_TMP/trunc" | nsx "$NS" ip -batch - || fail "-e ip --force | ip -batch"
[ "$(rcount "$NS" table 100 proto 202)" -eq 10 ] || fail "-e ip --force: 10 routes expected"
ok "-e ip: a truncated list prints nothing (exit 1), an empty one exit 2; --force deletes"

# --emit bird: the guard compares with the include file there now; -n
# prints the plan and writes nothing.
B=$T_TMP/edge.conf
SB=("$ER" sync -e bird -4 -g 192.0.2.1 -o "$B")
xrc 0 "$T_TMP/plan" /dev/stderr nsx "$NS" "${SB[@]}" -n "$T_TMP/full"
[ ! -e "$B" ] || fail "-n -e bird wrote $B"
[ "$(grep -c '^+ route 10\.0\.[0-9]*\.0/24 via 192\.0\.2\.1;$' "$T_TMP/plan")" -eq 50 ] ||
	fail "-n -e bird plan: $(head -n 3 "$T_TMP/plan")"
nsx "$NS" "${SB[@]}" "$T_TMP/full" || fail "-e bird"
[ "$(grep -c '^route ' "$B")" -eq 50 ] || fail "bird file: $(head -n 3 "$B")"
cp "$B" "$T_TMP/edge.conf.0"
ino=$(stat -c %i "$B")
xrc 1 /dev/stdout "$T_TMP/err" nsx "$NS" "${SB[@]}" "$T_TMP/trunc"
grep -q 'refusing to delete 40 of 50 routes of the BIRD file' "$T_TMP/err" || fail "-e bird: $(cat "$T_TMP/err")"
xrc 1 "$T_TMP/plan" /dev/null nsx "$NS" "${SB[@]}" -n "$T_TMP/trunc"
[ "$(grep -c '^- route ' "$T_TMP/plan")" -eq 40 ] || fail "-n -e bird plan: $(head -n 3 "$T_TMP/plan")"
xrc 2 /dev/stdout /dev/null nsx "$NS" "${SB[@]}" "$T_TMP/empty"
sed 's|^10\.0\.0\.0/24$|10.0.0.0/24 via=192.0.2.7|' "$T_TMP/full" > "$T_TMP/moved"
xrc 0 "$T_TMP/plan" /dev/stderr nsx "$NS" "${SB[@]}" -n "$T_TMP/moved"
[ "$(cat "$T_TMP/plan")" = "~ route 10.0.0.0/24 via 192.0.2.7;" ] || fail "-n -e bird replace: $(cat "$T_TMP/plan")"
cmp -s "$B" "$T_TMP/edge.conf.0" && [ "$(stat -c %i "$B")" = "$ino" ] || fail "refused or -n -e bird changed $B"
nsx "$NS" "${SB[@]}" "$T_TMP/full" || fail "-e bird in step"
[ "$(stat -c %i "$B")" = "$ino" ] || fail "-e bird rewrote a file that was in step"
if command -v bird >/dev/null; then
	printf 'router id 192.0.2.2;\nprotocol device { }\nprotocol static s4 {\n\tipv4;\ninclude "%s";\n}\n' "$B" > "$T_TMP/bird.conf"
	bird -p -c "$T_TMP/bird.conf" || fail "BIRD does not parse $B"
fi
nsx "$NS" "${SB[@]}" --force "$T_TMP/trunc" || fail "-e bird --force"
[ "$(grep -c '^route ' "$B")" -eq 10 ] || fail "bird --force: $(grep -c '^route ' "$B") routes"
ok "-e bird: a truncated list leaves the file alone (exit 1); -n plans and writes nothing; --force"

# --emit nft: the guard compares with the sets' contents now; -n prints the
# plan and sends nothing (not even the table).
SN=("$ER" sync -e nft -4)
set4() { nsx "$NS" nft list set inet edgekit_routes dst4 | grep -o '10\.0\.[0-9]*\.0/24' | wc -l; }
xrc 0 "$T_TMP/plan" /dev/stderr nsx "$NS" "${SN[@]}" -n "$T_TMP/full"
nsx "$NS" nft list tables | grep -q edgekit_routes && fail "-n -e nft created the table"
[ "$(grep -c '^+ dst4 10\.0\.[0-9]*\.0/24$' "$T_TMP/plan")" -eq 50 ] || fail "-n -e nft plan: $(head -n 3 "$T_TMP/plan")"
nsx "$NS" "${SN[@]}" "$T_TMP/full" || fail "-e nft"
[ "$(set4)" -eq 50 ] || fail "dst4 holds $(set4) of 50"
nsx "$NS" nft list set inet edgekit_routes dst4 > "$T_TMP/set.0"
xrc 1 /dev/stdout "$T_TMP/err" nsx "$NS" "${SN[@]}" "$T_TMP/trunc"
grep -q 'refusing to delete 40 of 50 ranges' "$T_TMP/err" || fail "-e nft: $(cat "$T_TMP/err")"
xrc 1 "$T_TMP/plan" /dev/null nsx "$NS" "${SN[@]}" -n "$T_TMP/trunc"
[ "$(grep -c '^- dst4 ' "$T_TMP/plan")" -eq 40 ] || fail "-n -e nft plan: $(head -n 3 "$T_TMP/plan")"
xrc 2 /dev/stdout /dev/null nsx "$NS" "${SN[@]}" "$T_TMP/empty"
# Merging neighbours is no deletion: 10.0.1.0/24 joins two ranges into one.
{ cat "$T_TMP/full"; echo 10.0.1.0/24; } > "$T_TMP/joined"
xrc 0 "$T_TMP/plan" /dev/stderr nsx "$NS" "${SN[@]}" -n "$T_TMP/joined"
[ "$(sort "$T_TMP/plan" | tr '\n' ' ')" = "+ dst4 10.0.0.0-10.0.2.255 - dst4 10.0.0.0/24 - dst4 10.0.2.0/24 " ] ||
	fail "-n -e nft join: $(cat "$T_TMP/plan")"
nsx "$NS" nft list set inet edgekit_routes dst4 | cmp -s - "$T_TMP/set.0" || fail "refused or -n -e nft changed dst4"
nsx "$NS" "${SN[@]}" --force "$T_TMP/trunc" || fail "-e nft --force"
[ "$(set4)" -eq 10 ] || fail "dst4 --force: $(set4) of 10"
ok "-e nft: a truncated list leaves the set alone (exit 1); -n plans and sends nothing; --force"

# edge-routes-cron validates a download with "sync -n": with -e nft that
# must not touch the set.  A shrunk download is refused and, the kept list
# being in step, the ruleset sees no change at all.
nsx "$NS" "${SN[@]}" --force "$T_TMP/full" || fail "-e nft resync"
export EDGE_ROUTES=$ER
CR=("$TOP/scripts/edge-routes-cron" -d "$T_TMP/state" nftlist)
nsx "$NS" "${CR[@]}" "cat $T_TMP/full" -e nft -4 || fail "cron -e nft"
bg NMON_PID "$NS" sh -c "exec nft monitor > '$T_TMP/nft.mon'"
sleep 0.3
xrc 1 /dev/stdout "$T_TMP/err" nsx "$NS" "${CR[@]}" "cat $T_TMP/trunc" -e nft -4
sleep 0.3
[ ! -s "$T_TMP/nft.mon" ] || fail "cron's check of a shrunk list changed the ruleset: $(head -n 3 "$T_TMP/nft.mon")"
[ "$(set4)" -eq 50 ] || fail "cron -e nft: dst4 holds $(set4)"
ok "edge-routes-cron -e nft: a shrunk download never reaches the set"
