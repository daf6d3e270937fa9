#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-probe without CAP_NET_RAW (dropped with capsh) and with
# net.ipv4.ping_group_range excluding every group: no ICMP socket can be
# had, so the icmp targets (IPv4 and IPv6) are reported down with the reason
# "no-icmp-socket" while the tcp probe beside them keeps working; the once
# mode exits 1 (a target is down), not 2.  With ping_group_range opened to
# the caller's group the same run is all up through ping sockets, still
# without CAP_NET_RAW; a mark there (which needs CAP_NET_ADMIN or
# CAP_NET_RAW) is reported down the same way ("no-mark").
source "$(dirname "$0")/lib.sh"

P=$BIN/edge-probe
[ -x "$P" ] || fail "no $P"
command -v capsh >/dev/null || skip "capsh not installed"
ns_make A probe
ns_make B target
veth "$A" a0 "$B" b0
nsx "$A" ip addr add 192.0.2.1/24 dev a0
nsx "$B" ip addr add 192.0.2.2/24 dev b0
nsx "$A" ip addr add 2001:db8:1::1/64 dev a0 nodad
nsx "$B" ip addr add 2001:db8:1::2/64 dev b0 nodad
bg _ "$B" socat TCP-LISTEN:22,fork,reuseaddr,bind=192.0.2.2 SYSTEM:'sleep 0.2'
wait_for 5 nsx "$B" bash -c 'echo > /dev/tcp/192.0.2.2/22' ||
	fail "responder did not start"
nsx "$A" sysctl -qw net.ipv4.ping_group_range="1 0"

# run CAPS-TO-DROP edge-probe-arguments...: edge-probe in A without them;
# sets rc, out (stdout) and err (stderr).
run() {
	local drop=$1; shift
	rc=0
	nsx "$A" capsh --drop="$drop" -- -c '"$0" "$@"' "$P" "$@" \
		>"$T_TMP/out" 2>"$T_TMP/err" || rc=$?
	out=$(cat "$T_TMP/out")
	err=$(cat "$T_TMP/err")
	printf '%s\n' "$out" "$err"
}
# The capability is really gone in there.
eff=$(nsx "$A" capsh --drop=cap_net_raw -- -c 'grep CapEff /proc/self/status')
(( (0x${eff##*[[:space:]]} & 0x2000) == 0 )) || fail "cap_net_raw not dropped: $eff"

run cap_net_raw -c 2 -i 10ms icmp 192.0.2.2 name v4 icmp 2001:db8:1::2 name v6 \
	tcp 192.0.2.2:22 name ssh
[ $rc -eq 1 ] || fail "exit $rc, expected 1 (icmp down, nothing broken)"
for n in v4 v6; do
	echo "$out" | awk -F'\t' -v n="$n" '$1 == "r" && $3 == n &&
	    $8 == "down" && $10 == "no-icmp-socket" { c++ } END { exit c != 2 }' ||
		fail "$n: not two down results with reason no-icmp-socket"
done
echo "$out" | awk -F'\t' '$1 == "r" && $3 == "ssh" && $8 == "up" { c++ }
    END { exit c != 2 }' || fail "tcp probe not up beside the icmp ones"
echo "$err" | grep -q 'CAP_NET_RAW' || fail "no warning naming CAP_NET_RAW"
ok "no CAP_NET_RAW, no ping group: icmp down (no-icmp-socket), tcp up, exit 1"

# -S raw alone, JSON: the same reason.
run cap_net_raw -j -S raw icmp 192.0.2.2 name v4 tcp 192.0.2.2:22 name ssh
[ $rc -eq 1 ] || fail "-S raw: exit $rc"
echo "$out" | jq -s -e 'map(select(.name == "v4"))[0] |
    .status == "down" and .detail == "no-icmp-socket"' >/dev/null ||
	fail "-S raw: $out"
# Continuous: a down line per round, the run goes on until stopped.
run cap_net_raw -i 10ms -c 5 -R 0 icmp 192.0.2.2 name v4
[ $rc -eq 1 ] && [ "$(echo "$out" | grep -c 'no-icmp-socket')" -eq 5 ] ||
	fail "continuous: exit $rc"
ok "-S raw and the continuous mode report the same reason"

# Ping sockets allowed for the caller's group: up without CAP_NET_RAW.
nsx "$A" sysctl -qw net.ipv4.ping_group_range="0 0"
run cap_net_raw -v -c 2 -i 10ms icmp 192.0.2.2 name v4 icmp 2001:db8:1::2 name v6 \
	tcp 192.0.2.2:22 name ssh
[ $rc -eq 0 ] || fail "ping sockets: exit $rc"
echo "$err" | grep -q 'ping socket' || fail "not through ping sockets"
ok "ping_group_range allows it: all up through ping sockets"
# A mark needs CAP_NET_ADMIN or CAP_NET_RAW (ping sockets allowed): down with "no-mark", the rest goes on.
run cap_net_admin,cap_net_raw icmp 192.0.2.2 mark 0x20 name m tcp 192.0.2.2:22 name ssh
[ $rc -eq 1 ] || fail "no CAP_NET_ADMIN: exit $rc"
echo "$out" | awk -F'\t' '$3 == "m" && $8 == "down" && $10 == "no-mark" { f = 1 }
    END { exit !f }' || fail "mark without CAP_NET_ADMIN not reported"
echo "$out" | awk -F'\t' '$3 == "ssh" && $8 == "up" { f = 1 } END { exit !f }' ||
	fail "tcp probe not up beside the marked one"
ok "a mark without CAP_NET_ADMIN/RAW: down (no-mark), exit 1"

# Errors that are not about permission stay configuration errors.
run cap_net_raw icmp 192.0.2.2 dev nosuch0
[ $rc -eq 2 ] || fail "missing device: exit $rc"
ok "a missing device is still an error (exit 2)"
