#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-probe through a router that misbehaves: the target blackholed by an
# nft drop rule with every link still up (once mode and the continuous
# stream going down and up again; a target's own timeout beside -t), 30 %
# random loss (nft numgen), and a slow responder (an HTTP server that
# answers late; several probes in flight at once, results still in
# sequence order).
source "$(dirname "$0")/lib.sh"

P=$BIN/edge-probe
[ -x "$P" ] || fail "no $P"
ns_make A probe
ns_make R router
ns_make B target
veth "$A" a0 "$R" r0
veth "$R" r1 "$B" b0
nsx "$A" ip addr add 192.0.2.1/24 dev a0
nsx "$R" ip addr add 192.0.2.254/24 dev r0
nsx "$R" ip addr add 198.51.100.254/24 dev r1
nsx "$B" ip addr add 198.51.100.2/24 dev b0
nsx "$A" ip route add default via 192.0.2.254
nsx "$B" ip route add default via 198.51.100.254
nsx "$R" sysctl -qw net.ipv4.ip_forward=1
nsx "$A" ip addr add 2001:db8:1::1/64 dev a0 nodad
nsx "$R" ip addr add 2001:db8:1::fe/64 dev r0 nodad
nsx "$R" ip addr add 2001:db8:2::fe/64 dev r1 nodad
nsx "$B" ip addr add 2001:db8:2::2/64 dev b0 nodad
nsx "$A" ip -6 route add default via 2001:db8:1::fe
nsx "$B" ip -6 route add default via 2001:db8:2::fe
nsx "$R" sysctl -qw net.ipv6.conf.all.forwarding=1
nsx "$R" nft add table inet flt
nsx "$R" nft add chain inet flt fw '{ type filter hook forward priority 0; }'

cat > "$T_TMP/slow.sh" <<'EOF'
#!/bin/sh
read -r line
sleep 0.3
printf 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'
sleep 0.2
EOF
chmod +x "$T_TMP/slow.sh"
bg _ "$B" socat TCP-LISTEN:80,fork,reuseaddr EXEC:"$T_TMP/slow.sh"
bg _ "$B" socat TCP-LISTEN:22,fork,reuseaddr SYSTEM:'sleep 0.2'
wait_for 5 nsx "$A" bash -c 'echo > /dev/tcp/198.51.100.2/22' ||
	fail "responder did not start"

# Up through the router.
nsx "$A" "$P" -q icmp 198.51.100.2 tcp 198.51.100.2:22 || fail "not up"
ok "up through the router"

# Blackholed upstream, links up: down (timeout), exit 1.
nsx "$R" nft add rule inet flt fw ip daddr 198.51.100.2 drop
rc=0
out=$(nsx "$A" "$P" -t 300ms icmp 198.51.100.2 tcp 198.51.100.2:22) || rc=$?
echo "$out"
[ $rc -eq 1 ] || fail "exit $rc while blackholed"
[ "$(echo "$out" | awk -F'\t' '$8 == "down" && $10 == "timeout"' | wc -l)" -eq 2 ] ||
	fail "expected two timeouts"
nsx "$A" ip link show a0 | grep -q 'state UP' || fail "link went down"

# A target's own timeout, beside -t 2s: still blackholed, the two probes
# with "timeout 100ms" are reported down ~100 ms after they were sent (the
# time each line reaches the pipe's far end), the one without after 2 s.
nsx "$A" "$P" -t 2s icmp 198.51.100.2 name fast timeout 100ms \
	tcp 198.51.100.2:22 name fastc timeout 100ms \
	icmp 198.51.100.2 name slow |
	while IFS= read -r l; do
		printf '%s\t%s\n' "$(( ${EPOCHREALTIME/./} / 1000 ))" "$l"
	done > "$T_TMP/own-timeout" || true
cat "$T_TMP/own-timeout"
# after NAME: ms from the send to the line, when it is a timeout
after() {
	awk -F'\t' -v n="$1" '$4 == n && $9 == "down" && $11 == "timeout" {
		print $1 - $3 }' "$T_TMP/own-timeout"
}
for n in fast fastc; do
	d=$(after $n)
	[ -n "$d" ] || fail "$n: no timeout line"
	[ "$d" -ge 99 ] && [ "$d" -lt 600 ] ||
		fail "$n (timeout 100ms): down after $d ms"
done
d=$(after slow)
[ -n "$d" ] && [ "$d" -ge 1999 ] || fail "slow (-t 2s): down after ${d:-?} ms"
nsx "$R" nft flush chain inet flt fw
ok "blackhole: down by timeout, exit 1; a target's own timeout 100ms beside -t 2s: down after $(after fast)/$(after fastc) ms, the other after $d ms"

# A router that says so: unreachable errors make the probe down at once,
# through raw sockets and through ping sockets (their error queue).
nsx "$R" nft add rule inet flt fw ip daddr 198.51.100.2 reject with icmp type host-unreachable
nsx "$R" nft add rule inet flt fw ip6 daddr 2001:db8:2::2 reject with icmpv6 type admin-prohibited
for mode in raw ping; do
	[ $mode = ping ] && nsx "$A" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
	rc=0
	out=$(nsx "$A" "$P" -v -S $mode -t 3s icmp 198.51.100.2 name u4 \
		icmp 2001:db8:2::2 name u6 2>"$T_TMP/err") || rc=$?
	echo "$out"
	grep -q "IPv4 $mode socket" "$T_TMP/err" || fail "not a $mode socket"
	[ $rc -eq 1 ] || fail "$mode: exit $rc with errors"
	echo "$out" | awk -F'\t' '$3 == "u4" && $10 == "host-unreachable" { f = 1 } END { exit !f }' ||
		fail "$mode: no host-unreachable"
	echo "$out" | awk -F'\t' '$3 == "u6" && $10 == "prohibited" { f = 1 } END { exit !f }' ||
		fail "$mode: no prohibited"
done
nsx "$R" nft flush chain inet flt fw
ok "ICMP errors: down at once, with the reason"

# The continuous stream follows an outage: up, down, up, in order.
bg pid "$A" "$P" -i 50ms -t 200ms -R 0 icmp 198.51.100.2 name gw \
	> "$T_TMP/stream"
sleep 0.7
nsx "$R" nft add rule inet flt fw ip daddr 198.51.100.2 drop
sleep 0.7
nsx "$R" nft flush chain inet flt fw
sleep 0.7
kill -INT $pid
wait $pid || fail "continuous mode did not exit 0 on SIGINT"
awk -F'\t' '
	$1 != "r" { next }
	$7 != n { print "out of order: " $0; bad = 1 }
	{ n = $7 + 1; s = $8 }
	s != last { runs = runs " " s; last = s }
	END { print "runs:" runs; exit bad || runs != " up down up" }
' "$T_TMP/stream" || fail "stream did not go up, down, up"
downs=$(awk -F'\t' '$8 == "down"' "$T_TMP/stream" | wc -l)
[ "$downs" -ge 6 ] && [ "$downs" -le 30 ] || fail "$downs down results for 0.7 s at 50 ms"
ok "stream: up, down ($downs), up, in sequence order"

# 30 % random loss: the summary says so.
nsx "$R" nft add rule inet flt fw ip daddr 198.51.100.2 \
	numgen random mod 100 '<' 30 drop
rc=0
out=$(nsx "$A" "$P" -c 300 -i 10ms -t 200ms -R 0 icmp 198.51.100.2 name lossy) || rc=$?
[ $rc -eq 0 ] || fail "exit $rc with 30 % loss (some answered)"
sum=$(echo "$out" | awk -F'\t' '$1 == "s"')
echo "$sum"
echo "$sum" | awk -F'\t' '$7 == 300 && $9 >= 18 && $9 <= 42 { f = 1 } END { exit !f }' ||
	fail "loss not about 30 %"
# And the sliding-window summaries of the continuous mode.
nsx "$A" timeout -s INT 3 "$P" -i 10ms -t 200ms -W 1s -R 500ms \
	icmp 198.51.100.2 name lossy > "$T_TMP/lossy" || true
awk -F'\t' '$1 == "s" && $6 == 1000 && $7 >= 80' "$T_TMP/lossy" > "$T_TMP/sums"
cat "$T_TMP/sums"
[ "$(wc -l < "$T_TMP/sums")" -ge 3 ] || fail "too few full-window summaries"
awk -F'\t' '$9 < 10 || $9 > 55 { bad = 1 } END { exit bad }' "$T_TMP/sums" ||
	fail "window loss far from 30 %"
nsx "$R" nft flush chain inet flt fw
ok "30 % loss measured"

# A slow responder: latency is the time to the first byte.
out=$(nsx "$A" "$P" -t 2s http 198.51.100.2 name slow) || fail "slow http down"
echo "$out"
echo "$out" | awk -F'\t' '$9 >= 300000 && $9 < 1000000 { f = 1 } END { exit !f }' ||
	fail "latency of the slow responder not ~300 ms"
rc=0
out=$(nsx "$A" "$P" -t 150ms http 198.51.100.2 name slow) || rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q 'timeout' || fail "slow http with 150 ms timeout: $rc $out"
# Probes every 100 ms, each 300 ms long: several in flight, in order.
out=$(nsx "$A" "$P" -c 8 -i 100ms -t 1s -R 0 http 198.51.100.2 name slow) ||
	fail "overlapping slow probes"
echo "$out"
echo "$out" | awk -F'\t' '$1 == "r" { if ($7 != n || $8 != "up") bad = 1; n++ } END { exit bad || n != 8 }' ||
	fail "overlapping probes out of order or down"
ok "slow responder: TTFB, timeout, overlapping probes"
