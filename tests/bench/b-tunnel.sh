#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# edge-tunnel up against wg-quick up, on the same 50-peer configuration,
# both over wireguard-go (the host kernel has no WireGuard module), in
# fresh namespaces each run.  The file has addresses, a route per peer
# (AllowedIPs, Table = 1234) and 10 policy rules: wg-quick makes the rules
# in PostUp hooks with ip(8), edge-tunnel from Rule = lines; everything
# else is the same text.  Also: a sync with nothing changed must make no
# kernel change (checked with "ip monitor").  Prints medians and the ratio.
source "$(dirname "$0")/../net/lib.sh"

RUNS=${BENCH_RUNS:-7}
PEERS=${BENCH_PEERS:-50}
command -v wg-quick >/dev/null || skip "no wg-quick"
command -v wireguard-go >/dev/null || skip "no wireguard-go"

priv=$(wg genkey)
mkconf() {	# FILE rules|hooks
	umask 077
	{
		echo "[Interface]"
		echo "PrivateKey = $priv"
		echo "ListenPort = 51999"
		echo "Address = 10.200.0.1/16, fd00:200::1/64"
		echo "Table = 1234"
		for i in $(seq 1 10); do
			if [ "$2" = rules ]; then
				echo "Rule = from 10.201.$i.0/24 table 1234 priority $((1000 + i))"
			else
				echo "PostUp = ip rule add from 10.201.$i.0/24 table 1234 priority $((1000 + i))"
			fi
		done
		for i in $(seq 1 "$PEERS"); do
			echo
			echo "[Peer]"
			echo "PublicKey = $(head -c 32 /dev/urandom | base64)"
			echo "AllowedIPs = 10.$((100 + i / 250)).$((i % 250)).0/24, fd00:$i::/64"
			echo "Endpoint = 192.0.2.$((i % 250 + 1)):51820"
			echo "PersistentKeepalive = 25"
		done
	} > "$1"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s%N; }

# one_run TOOL: prints milliseconds for "up" in a fresh namespace.
one_run() {
	local tool=$1 ns name t0 t1
	name=b$(printf '%x' $((RANDOM * 32768 + RANDOM)) | cut -c1-8)
	ns_make ns "b$tool$RANDOM"
	mkdir -p "$T_TMP/$name"
	if [ "$tool" = wg-quick ]; then
		mkconf "$T_TMP/$name/$name.conf" hooks
		t0=$(now)
		WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
		    ip netns exec "$ns" wg-quick up "$T_TMP/$name/$name.conf" >/dev/null 2>&1 ||
			fail "wg-quick up failed"
		t1=$(now)
	else
		mkconf "$T_TMP/$name/$name.conf" rules
		t0=$(now)
		ip netns exec "$ns" "$BIN/edge-tunnel" up "$T_TMP/$name/$name.conf" ||
			fail "edge-tunnel up failed"
		t1=$(now)
	fi
	# Both must have made the same state.
	local nr nrule
	nr=$(ip -n "$ns" route show table 1234 | wc -l)
	nrule=$(ip -n "$ns" rule show | grep -c 'lookup 1234')
	[ "$nr" -ge "$PEERS" ] || fail "$tool: only $nr routes in table 1234"
	[ "$nrule" -eq 10 ] || fail "$tool: $nrule rules instead of 10"
	echo $(( (t1 - t0) / 1000000 )) > "$T_TMP/last"
	# The wireguard-go process lives in the namespace: stop it by pid.
	for p in $(ip netns pids "$ns"); do kill "$p"; done
	rm -f "/var/run/wireguard/$name.sock"
	ip netns del "$ns"
}

for tool in edge-tunnel wg-quick; do
	: > "$T_TMP/$tool.ms"
	for _ in $(seq 1 "$RUNS"); do
		one_run "$tool"
		cat "$T_TMP/last" >> "$T_TMP/$tool.ms"
	done
done
et=$(median < "$T_TMP/edge-tunnel.ms")
wq=$(median < "$T_TMP/wg-quick.ms")
printf 'up, %d peers, %d routes, 10 rules, over wireguard-go (median of %d):\n' \
    "$PEERS" $((PEERS * 2)) "$RUNS"
printf '  edge-tunnel  %6s ms   (runs: %s)\n' "$et" "$(tr '\n' ' ' < "$T_TMP/edge-tunnel.ms")"
printf '  wg-quick     %6s ms   (runs: %s)\n' "$wq" "$(tr '\n' ' ' < "$T_TMP/wg-quick.ms")"
awk -v a="$et" -v b="$wq" 'BEGIN { printf "  ratio: edge-tunnel is %.1fx faster than wg-quick (goal >= 5x)\n", b / a }'

# sync with nothing changed: zero kernel changes.
name=bs$$
ns_make ns bsync
mkdir -p "$T_TMP/$name"
mkconf "$T_TMP/$name/$name.conf" rules
ip netns exec "$ns" "$BIN/edge-tunnel" up "$T_TMP/$name/$name.conf"
ip netns exec "$ns" ip monitor link address route rule > "$T_TMP/monitor" 2>&1 &
mon=$!
T_PIDS+=("$mon")
sleep 0.3
t0=$(now)
ip netns exec "$ns" "$BIN/edge-tunnel" sync "$T_TMP/$name/$name.conf"
t1=$(now)
sleep 0.3
kill "$mon"
n=$(grep -cv '^$' "$T_TMP/monitor" || true)
printf 'sync with nothing changed: %d ms, %d kernel changes seen by ip monitor\n' \
    $(( (t1 - t0) / 1000000 )) "$n"
for p in $(ip netns pids "$ns"); do kill "$p"; done
rm -f "/var/run/wireguard/$name.sock"
[ "$n" -eq 0 ] || fail "sync with nothing changed changed the kernel: $(head -3 "$T_TMP/monitor")"
