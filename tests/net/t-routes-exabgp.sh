#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-routes --emit exabgp driven by a real ExaBGP: 50,000 routes
# announced to BIRD over eBGP arrive in BIRD's kernel table (no hang: the
# answers ExaBGP writes back are read as they come); then the list changes
# and only the difference is announced and withdrawn.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/routes-lib.sh"

command -v exabgp >/dev/null || skip "exabgp not installed"
command -v bird >/dev/null || skip "bird not installed"
ns_make X xa
ns_make B xb
veth "$X" eth0 "$B" eth0
nsx "$X" ip addr add 192.0.2.1/24 dev eth0
nsx "$B" ip addr add 192.0.2.2/24 dev eth0

N=50000
gen() { awk -v f="$1" -v n="$2" 'BEGIN { for (i = f; i < f + n; i++) { a = i * 32;
	printf "10.%d.%d.%d/28\n", int(a / 65536) % 256, int(a / 256) % 256, a % 256 } }'; }
gen 0 $N > "$T_TMP/list"

cat > "$T_TMP/exabgp.conf" <<C
process edge {
	run $ER sync -e exabgp -i 1 -g 192.0.2.1 $T_TMP/list;
	encoder text;
}
neighbor 192.0.2.2 {
	router-id 192.0.2.1;
	local-address 192.0.2.1;
	local-as 64501;
	peer-as 64502;
	family { ipv4 unicast; }
	api { processes [ edge ]; }
}
C
cat > "$T_TMP/b.conf" <<C
router id 192.0.2.2;
protocol device { }
protocol kernel {
	kernel table 100;
	ipv4 { export all; };
	merge paths off;
}
protocol bgp x {
	local 192.0.2.2 as 64502;
	neighbor 192.0.2.1 as 64501;
	ipv4 { import all; export none; };
}
C
bg PB "$B" bird -f -c "$T_TMP/b.conf" -s "$T_TMP/b.ctl" -P "$T_TMP/b.pid"
start=$(date +%s)
export exabgp_daemon_user=root exabgp_daemon_daemonize=false \
	exabgp_log_destination="$T_TMP/exabgp.log" exabgp_api_ack=true \
	exabgp_tcp_bind=192.0.2.1 exabgp_api_cli=false
bg PX "$X" sh -c "exec exabgp '$T_TMP/exabgp.conf' > '$T_TMP/exabgp.out' 2>&1"
n_in_b() { ip -n "$B" route show table 100 proto bird 2>/dev/null | wc -l; }
wait_for 120 sh -c "[ \$(ip -n '$B' route show table 100 proto bird 2>/dev/null | wc -l) -eq $N ]" ||
	fail "B has $(n_in_b) of $N routes; $(tail -n 5 "$T_TMP/exabgp.log")"
ok "$N routes through ExaBGP into BIRD's kernel table in $(( $(date +%s) - start )) s"

# 500 gone, 500 new: only those travel.
{ gen 500 $((N - 500)); gen $N 500; } > "$T_TMP/list.new"
mv "$T_TMP/list.new" "$T_TMP/list"
new=$(gen $N 1)
wait_for 60 sh -c "ip -n '$B' route show table 100 ${new%/*}/28 | grep -q . &&
	! ip -n '$B' route show table 100 10.0.0.0/28 | grep -q . &&
	[ \$(ip -n '$B' route show table 100 proto bird | wc -l) -eq $N ]" ||
	fail "change did not arrive: $(n_in_b) routes; $(tail -n 5 "$T_TMP/exabgp.log")"
wait_for 5 grep -q '500 announced, 500 withdrawn' "$T_TMP/exabgp.out" ||
	fail "edge-routes did not send only the difference: $(grep edge-routes "$T_TMP/exabgp.out")"
kill -0 "$PX" || fail "exabgp died"
ok "the change (500 withdrawn, 500 announced) arrived; ExaBGP still running"

# A truncated list is refused: nothing withdrawn, the old routes stay.
head -n 1000 "$T_TMP/list" > "$T_TMP/list.new"
mv "$T_TMP/list.new" "$T_TMP/list"
wait_for 10 grep -q 'refusing to withdraw 49000 of 50000' "$T_TMP/exabgp.out" ||
	fail "guard: $(grep edge-routes "$T_TMP/exabgp.out")"
sleep 1
[ "$(n_in_b)" -eq $N ] || fail "routes withdrawn after a truncated list: $(n_in_b)"
ok "a truncated list is refused and the routes stay"
