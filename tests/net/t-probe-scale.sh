#!/bin/bash
# SPDX-License-Identifier: ISC
#
# 1,000 ICMP targets (a /22 routed as local in the responder) probed at
# once, unpaced, over one shared socket: every one answers, each reply is
# matched to its own target, and it is quick.  Then three rounds of the
# same with -c, for the summaries.
source "$(dirname "$0")/lib.sh"

P=$BIN/edge-probe
[ -x "$P" ] || fail "no $P"
ns_make A probe
ns_make B resp
veth "$A" a0 "$B" b0
nsx "$A" ip addr add 192.0.2.1/24 dev a0
nsx "$B" ip addr add 192.0.2.2/24 dev b0
nsx "$B" ip route add local 10.77.0.0/22 dev lo
nsx "$A" ip route add 10.77.0.0/22 via 192.0.2.2
for i in $(seq 1 1000); do
	echo "icmp 10.77.$(( i / 256 )).$(( i % 256 ))"
done > "$T_TMP/probes"

start=$(date +%s%N)
out=$(nsx "$A" "$P" -v -t 2s -f "$T_TMP/probes" 2>"$T_TMP/err") ||
	fail "not all up: $(echo "$out" | grep -c down) down"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$(grep -c 'raw socket' "$T_TMP/err")" -eq 1 ] || fail "expected one socket"
# Each line's target is its own name's address: no reply went astray.
echo "$out" | awk -F'\t' '$8 == "up" && $3 == "icmp/" $6 { n++ } END { exit n != 1000 }' ||
	fail "replies not matched to their targets"
[ "$ms" -lt 2000 ] || fail "took $ms ms"
ok "1,000 targets, one socket, all up in $ms ms"

out=$(nsx "$A" "$P" -c 3 -i 100ms -t 2s -f "$T_TMP/probes") || fail "rounds"
echo "$out" | awk -F'\t' '$1 == "s" && $7 == 3 && $8 == 3 { n++ } END { exit n != 1000 }' ||
	fail "summaries of three rounds"
ok "three rounds, 1,000 summaries"
