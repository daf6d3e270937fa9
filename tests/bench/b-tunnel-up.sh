#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-tunnel up against wg-quick up on the same 50-peer file (addresses,
# 50 routes, 4 rules written as wg-quick PostUp hooks), both over
# wireguard-go in a private namespace; BENCH_RUNS (default 3) runs each,
# down between runs.  Also edge-tunnel on the edgekit form of the file
# (Rule = lines instead of hooks), and a no-op sync.  Prints medians and
# the ratios (wg-quick time / edge-tunnel time: higher is better).
source "$(dirname "$0")/../net/lib.sh"
source "$(dirname "$0")/../net/tunnel-lib.sh"
command -v wg-quick >/dev/null || skip "no wg-quick"

RUNS=${BENCH_RUNS:-3}
PEERS=${BENCH_PEERS:-50}
ns_make NS bench
nsx "$NS" ip link add p0 type veth peer name p1
nsx "$NS" ip link set p0 up
nsx "$NS" ip link set p1 up
nsx "$NS" ip addr add 192.0.2.1/24 dev p0
tun_name IF w
tun_key K P

peers() {
	local i k
	for i in $(seq 1 "$PEERS"); do
		k=$(wg genkey | wg pubkey)
		printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.77.%d.%d/32, 10.%d.%d.0/24\nEndpoint = 192.0.2.%d:51820\n' \
		    "$k" $((i / 250)) $((i % 250 + 2)) $((100 + i / 250)) $((i % 250)) $((i % 200 + 2))
	done
}
peers > "$T_TMP/peers"
hooks() {
	local t
	for t in 101 102 103 104; do
		if [ "$1" = hook ]; then
			echo "PostUp = ip rule add from 10.$t.0.0/16 table $t priority $((1000 + t))"
			echo "PreDown = ip rule del from 10.$t.0.0/16 table $t priority $((1000 + t))"
		else
			echo "Rule = from 10.$t.0.0/16 table $t priority $((1000 + t))"
		fi
	done
}
mk() {	# form
	{ printf '[Interface]\nPrivateKey = %s\nListenPort = 51820\nAddress = 10.77.0.1/16, fd00:77::1/64\n' "$K"
	  hooks "$1"; cat "$T_TMP/peers"; } > "$T_TMP/$IF.conf.$1"
	chmod 600 "$T_TMP/$IF.conf.$1"
}
mk hook
mk rule
mkdir -p "$T_TMP/wq"
cp "$T_TMP/$IF.conf.hook" "$T_TMP/wq/$IF.conf"
cp "$T_TMP/$IF.conf.hook" "$T_TMP/$IF.conf"

secs() { local s=$EPOCHREALTIME; "$@" >/dev/null 2>&1 || return 1
	awk -v s="$s" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", e - s }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
check() {	# the tunnel is complete: 50 routes of ours or wg-quick's, 4 rules
	local r
	r=$(nsx "$NS" ip route show dev "$IF" | grep -c "^10.1")
	[ "$r" -eq "$PEERS" ] || fail "$1: $r routes, not $PEERS"
	r=$(nsx "$NS" ip rule | grep -c "lookup 10[1-4]")
	[ "$r" -eq 4 ] || fail "$1: $r rules, not 4"
}

for i in $(seq 1 "$RUNS"); do
	secs nsx "$NS" wg-quick up "$T_TMP/wq/$IF.conf" >> "$T_TMP/t.wq" || fail "wg-quick up"
	check wg-quick
	nsx "$NS" wg-quick down "$T_TMP/wq/$IF.conf" >/dev/null 2>&1 || fail "wg-quick down"
	cp "$T_TMP/$IF.conf.hook" "$T_TMP/$IF.conf"
	secs et "$NS" up "$T_TMP/$IF.conf" >> "$T_TMP/t.et" || fail "edge-tunnel up (hooks)"
	check "edge-tunnel (hooks)"
	et "$NS" down "$T_TMP/$IF.conf" >/dev/null 2>&1 || fail "edge-tunnel down"
	cp "$T_TMP/$IF.conf.rule" "$T_TMP/$IF.conf"
	secs et "$NS" up "$T_TMP/$IF.conf" >> "$T_TMP/t.er" || fail "edge-tunnel up (rules)"
	check "edge-tunnel (Rule =)"
	secs et "$NS" sync "$T_TMP/$IF.conf" >> "$T_TMP/t.sync" || fail "sync"
	et "$NS" down "$T_TMP/$IF.conf" >/dev/null 2>&1 || fail "edge-tunnel down"
	wait_for 5 test ! -e "/var/run/wireguard/$IF.sock" || fail "wireguard-go stayed"
done
wq=$(median < "$T_TMP/t.wq")
et1=$(median < "$T_TMP/t.et")
et2=$(median < "$T_TMP/t.er")
sy=$(median < "$T_TMP/t.sync")
echo "up, $PEERS peers, $PEERS routes, 4 rules, $RUNS runs, medians (wireguard-go):"
echo "  wg-quick up                 ${wq} s"
echo "  edge-tunnel up (same file)  ${et1} s   ratio $(awk -v a="$wq" -v b="$et1" 'BEGIN { printf "%.1f", a / b }')x"
echo "  edge-tunnel up (Rule =)     ${et2} s   ratio $(awk -v a="$wq" -v b="$et2" 'BEGIN { printf "%.1f", a / b }')x"
echo "  edge-tunnel sync (no-op)    ${sy} s"
