#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-routes --emit bird: two BIRD 2 instances in two namespaces with an
# eBGP session; A's static protocol includes the file edge-routes writes,
# B exports what it learns to its kernel table 100.  The routes arrive in
# B's kernel; a changed list, written again (atomically: a new file renamed
# over the old) and loaded with "birdc configure", arrives as well, and so
# does one from edge-routes-cron -e bird -r 'birdc configure'; bad
# input leaves the file alone.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/routes-lib.sh"
source "$(dirname "$0")/doc-lib.sh"

command -v bird >/dev/null || skip "bird not installed"
ns_make A ba
ns_make B bb
veth "$A" eth0 "$B" eth0
nsx "$A" ip addr add 192.0.2.1/24 dev eth0
nsx "$B" ip addr add 192.0.2.2/24 dev eth0

gen() { awk -v f="$1" -v n="$2" 'BEGIN { for (i = f; i < f + n; i++)
	printf "10.%d.%d.0/24\n", int(i * 2 / 256), (i * 2) % 256 }'; }
gen 0 200 > "$T_TMP/list"
echo '198.51.100.0/24 type=blackhole' >> "$T_TMP/list"
echo '2001:db8:1::/48' >> "$T_TMP/list"		# left out by -4
F=$T_TMP/edge-routes.conf
"$ER" sync -e bird -4 -g 192.0.2.9 -o "$F" "$T_TMP/list" || fail "emit"
[ "$(grep -c '^route ' "$F")" -eq 201 ] || fail "file: $(head "$F")"
grep -qx 'route 10.0.0.0/24 via 192.0.2.9;' "$F" || fail "file: $(head "$F")"
grep -qx 'route 198.51.100.0/24 blackhole;' "$F" || fail "blackhole line"
"$ER" sync -e bird -6 -d eth0 -o "$T_TMP/edge6.conf" "$T_TMP/list" || fail "emit v6"
grep -qx 'route 2001:db8:1::/48 via "eth0";' "$T_TMP/edge6.conf" || fail "v6 file: $(cat "$T_TMP/edge6.conf")"

# edge-routes(8) example 7: the include statement in bird.conf, as the
# page writes it (the file's path this test's).
doc_block man/edge-routes.8 7 >"$T_TMP/edge4.bird"
grep -q '^include "/etc/bird/edge-routes.conf";$' "$T_TMP/edge4.bird" ||
	fail "edge-routes.8 example 7 has no include line: $(cat "$T_TMP/edge4.bird")"
{
	echo 'router id 192.0.2.1;'
	echo 'protocol device { }'
	sed "s,/etc/bird/edge-routes.conf,$F," "$T_TMP/edge4.bird"
	cat <<C
protocol static edge6 {
	ipv6;
include "$T_TMP/edge6.conf";
}
protocol bgp b {
	local 192.0.2.1 as 64501;
	neighbor 192.0.2.2 as 64502;
	ipv4 { import none; export where proto = "edge4"; };
}
C
} > "$T_TMP/a.conf"
cat > "$T_TMP/b.conf" <<C
router id 192.0.2.2;
protocol device { }
protocol kernel {
	kernel table 100;
	ipv4 { export all; };
}
protocol bgp a {
	local 192.0.2.2 as 64502;
	neighbor 192.0.2.1 as 64501;
	ipv4 { import all; export none; };
}
C
bird -p -c "$T_TMP/a.conf" || fail "A's configuration (with the include) does not parse"
bg PA "$A" bird -f -c "$T_TMP/a.conf" -s "$T_TMP/a.ctl" -P "$T_TMP/a.pid"
bg PB "$B" bird -f -c "$T_TMP/b.conf" -s "$T_TMP/b.ctl" -P "$T_TMP/b.pid"

bgp_routes() { ip -n "$B" route show table 100 proto bird 2>/dev/null | wc -l; }
wait_for 30 sh -c "[ \$(ip -n '$B' route show table 100 proto bird 2>/dev/null | wc -l) -eq 201 ]" ||
	fail "B has $(bgp_routes) routes, expected 201; $(birdc -s "$T_TMP/b.ctl" show protocols 2>&1 | tail -2)"
ip -n "$B" route show table 100 | grep -q '^10.0.2.0/24 via 192.0.2' || fail "route in B: $(ip -n "$B" route show table 100 | head -3)"
ok "201 routes from edge-routes' file reached B's kernel over BGP"

# A new list: 20 gone, 30 new; written again and loaded with configure.
{ gen 20 180; gen 1000 30; } > "$T_TMP/list2"
# edge-routes(8) example 6, as the page writes it: the list is aws.list,
# the file and birdc's socket this test's.
ino1=$(stat -c %i "$F")
cp "$T_TMP/list2" "$T_TMP/aws.list"
ex=$(doc_block man/edge-routes.8 6 | sed 's/ *\\$//' | tr -s ' \n' '  ')
case $ex in "edge-routes sync -e bird -4 -g 192.0.2.9 -o /etc/bird/edge-routes.conf aws.list && birdc configure ") ;;
*) fail "edge-routes.8 example 6 changed: $ex" ;; esac
ex=${ex//\/etc\/bird\/edge-routes.conf/$F}
ex=${ex//birdc configure/birdc -s $T_TMP/a.ctl configure}
(cd "$T_TMP" && PATH=$BIN:$PATH sh -c "$ex" >/dev/null) || fail "example 6: $ex"
ino2=$(stat -c %i "$F")
[ "$ino1" != "$ino2" ] || fail "file rewritten in place, not renamed over"
ls "$T_TMP" | grep -q 'edge-routes.conf.' && fail "temporary file left: $(ls "$T_TMP")"
wait_for 30 sh -c "[ \$(ip -n '$B' route show table 100 proto bird | wc -l) -eq 210 ]" ||
	fail "B has $(bgp_routes) routes after the change, expected 210"
ip -n "$B" route show table 100 | grep -q '^10.0.0.0/24' && fail "withdrawn route still in B"
ip -n "$B" route show table 100 | grep -q '^10.7.208.0/24' || fail "new route missing in B"
ok "changed list reached B: $(bgp_routes) routes"

# edge-routes-cron with -e bird: the check (sync -n) leaves the file
# alone, the sync writes it and -r runs birdc configure; the routes arrive.
# edge-routes(8) example 9, the cron line: its -r command and sync
# options as the page writes them, with this lab's birdc socket, file
# and list.
{ gen 20 180; gen 2000 40; } > "$T_TMP/list3"
mapfile -t job < <(doc_block man/edge-routes.8 9 |
	python3 -c 'import shlex, sys; print("\n".join(shlex.split(sys.stdin.read())))')
[ "${job[5]}" = edge-routes-cron ] && [ "${job[6]}" = -r ] &&
	[ "${job[7]}" = "birdc configure" ] && [ "${job[11]}" = bird ] ||
	fail "edge-routes.8 example 9 is not an edge-routes-cron -r job for BIRD: ${job[*]}"
opts=("${job[@]:10}")
opts=("${opts[@]/#\/etc\/bird\/edge-routes.conf/$F}")
CR=("$TOP/scripts/edge-routes-cron" -d "$T_TMP/state" -r "birdc -s $T_TMP/a.ctl ${job[7]#birdc }")
EDGE_ROUTES=$ER "${CR[@]}" edge4 "cat $T_TMP/list3" "${opts[@]}" > "$T_TMP/out" ||
	fail "edge-routes-cron -e bird -r: $(cat "$T_TMP/out")"
grep -q 'Reconfigur' "$T_TMP/out" || fail "birdc configure not run: $(cat "$T_TMP/out")"
wait_for 30 sh -c "[ \$(ip -n '$B' route show table 100 proto bird | wc -l) -eq 220 ]" ||
	fail "B has $(bgp_routes) routes after edge-routes-cron, expected 220"
ip -n "$B" route show table 100 | grep -q '^10.15.160.0/24' || fail "edge-routes-cron's new route missing in B"
# A shrunk download: refused by the check, the file and BIRD keep the list.
ino3=$(stat -c %i "$F")
EDGE_ROUTES=$ER "${CR[@]}" edge4 "cat $T_TMP/list3 | head -n 50" -e bird -4 -g 192.0.2.9 -o "$F" > /dev/null 2>&1 &&
	fail "edge-routes-cron took a shrunk list"
[ "$(stat -c %i "$F")" = "$ino3" ] || fail "the file was rewritten for a shrunk download"
[ "$(grep -c '^route ' "$F")" -eq 220 ] || fail "file after a shrunk download: $(grep -c '^route ' "$F") routes"
# A reload that fails makes the run fail.
EDGE_ROUTES=$ER "$TOP/scripts/edge-routes-cron" -d "$T_TMP/state" -r false edge4 "cat $T_TMP/list3" \
	-e bird -4 -g 192.0.2.9 -o "$F" 2> "$T_TMP/err" && fail "a failed reload went unnoticed"
grep -q 'reload command failed' "$T_TMP/err" || fail "reload failure: $(cat "$T_TMP/err")"
ok "edge-routes-cron -e bird -r 'birdc configure': 220 routes reached B; a shrunk download left the file alone"

# Bad input: exit 2, the file is not touched.
printf '10.0.0.0/24\n10.0.0.1/24\n' > "$T_TMP/bad"
ino2=$(stat -c %i "$F")
expect_rc 2 "$ER" sync -e bird -4 -g 192.0.2.9 -o "$F" "$T_TMP/bad" 2>/dev/null
[ "$(stat -c %i "$F")" = "$ino2" ] || fail "file replaced after bad input"
expect_rc 2 "$ER" sync -e bird -g 192.0.2.9 -d eth0 -o "$F" "$T_TMP/list" 2>/dev/null	# mixed families
[ "$(stat -c %i "$F")" = "$ino2" ] || fail "file replaced after mixed input"
ok "bad input leaves the include file alone"
