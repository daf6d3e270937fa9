#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The wg probe against a real wireguard-go tunnel: up while the peer's
# handshake is fresh (with its transfer counters), down once the peer has
# gone silent for longer than the age limit; a peer or device that does
# not exist is down with a reason.
source "$(dirname "$0")/lib.sh"

P=$BIN/edge-probe
[ -x "$P" ] || fail "no $P"
command -v wireguard-go >/dev/null || skip "wireguard-go not installed"
command -v wg >/dev/null || skip "wg not installed"
ns_make A home
ns_make B vps
veth "$A" a0 "$B" b0
nsx "$A" ip addr add 192.0.2.1/24 dev a0
nsx "$B" ip addr add 192.0.2.2/24 dev b0
IA=${T_ID}a
IB=${T_ID}b
wg_go "$A" "$IA"
wg_go "$B" "$IB"
ka=$(wg genkey); kb=$(wg genkey)
pa=$(echo "$ka" | wg pubkey); pb=$(echo "$kb" | wg pubkey)
echo "$ka" > "$T_TMP/ka"; echo "$kb" > "$T_TMP/kb"
nsx "$A" wg set "$IA" private-key "$T_TMP/ka" listen-port 51820 \
	peer "$pb" endpoint 192.0.2.2:51820 allowed-ips 10.99.0.2/32
nsx "$B" wg set "$IB" private-key "$T_TMP/kb" listen-port 51820 \
	peer "$pa" endpoint 192.0.2.1:51820 allowed-ips 10.99.0.1/32
nsx "$A" ip addr add 10.99.0.1/24 dev "$IA"
nsx "$B" ip addr add 10.99.0.2/24 dev "$IB"
nsx "$A" ip link set "$IA" up
nsx "$B" ip link set "$IB" up

# Before any handshake: down, "never".
rc=0
out=$(nsx "$A" "$P" wg "$IA" peer "$pb" age 4s name tun) || rc=$?
echo "$out"
[ $rc -eq 1 ] && echo "$out" | grep -q 'age=never' || fail "no handshake yet should be down"

# Traffic makes a handshake: up, with counters.
nsx "$A" ping -c 2 -W 2 10.99.0.2 >/dev/null || fail "no traffic through the tunnel"
out=$(nsx "$A" "$P" -t 2s wg "$IA" peer "$pb" age 4s name tun \
	icmp 10.99.0.2 dev "$IA" name inner) || fail "tunnel probe down: $out"
echo "$out"
echo "$out" | awk -F'\t' '$3 == "tun" && $5 == "wg" && $8 == "up" && $10 ~ /^age=[0-3]s,rx=[1-9][0-9]*,tx=[1-9][0-9]*$/ { f = 1 } END { exit !f }' ||
	fail "wg result"
ok "fresh handshake: up with counters"

# The peer goes silent: its wireguard-go is stopped.  Once the handshake is
# older than the limit the probe is down; the continuous stream shows the
# change.
for p in "${T_PIDS[@]}"; do
	if [ "$(cat /proc/"$p"/comm 2>/dev/null)" = wireguard-go ] &&
	    [ "$(ip netns identify "$p" 2>/dev/null)" = "$B" ]; then
		kill "$p"
	fi
done
bg pid "$A" "$P" -i 500ms -R 0 wg "$IA" peer "$pb" age 4s name tun \
	> "$T_TMP/stream"
sleep 6
kill -INT "$pid"
wait "$pid" || true
cat "$T_TMP/stream"
awk -F'\t' '$1 == "r" { s = s " " $8 } END { print s; exit !(s ~ /^( up)+( down)+$/) }' \
	"$T_TMP/stream" || fail "the stream did not go from up to down"
ok "silent peer: down after the age limit"

rc=0
out=$(nsx "$A" "$P" wg "$IA" peer "$(wg genkey | wg pubkey)" name nopeer \
	wg "${T_ID}zz" peer "$pb" name nodev) || rc=$?
echo "$out"
[ $rc -eq 1 ] || fail "exit $rc"
echo "$out" | awk -F'\t' '$3 == "nopeer" && $10 == "no-peer" { f = 1 } END { exit !f }' ||
	fail "unknown peer"
echo "$out" | awk -F'\t' '$3 == "nodev" && $8 == "down" { f = 1 } END { exit !f }' ||
	fail "unknown device"
ok "unknown peer and device: down"
