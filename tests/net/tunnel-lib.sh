# SPDX-License-Identifier: ISC
# shellcheck shell=bash
#
# Helpers for the edge-tunnel scenario tests (tests/net/t-tunnel-*.sh),
# sourced after lib.sh.
#
#   tun_key PRIV_VAR PUB_VAR     a new key pair (wg genkey | wg pubkey)
#   tun_name VAR SUFFIX          a unique interface name: $T_ID SUFFIX
#   tun_conf NAME <<EOF          write $T_TMP/NAME.conf, mode 600; prints path
#   et NS args...                edge-tunnel inside NS
#
# Interfaces named with tun_name are registered for clean-up: their
# wireguard-go sockets and edge-tunnel state files are removed on exit,
# after the namespaces (and so the tunnels) are gone.

ET=$BIN/edge-tunnel
[ -x "$ET" ] || { echo "no $ET (make first)"; exit 77; }
command -v wireguard-go >/dev/null || skip "no wireguard-go"
command -v wg >/dev/null || skip "no wg (wireguard-tools)"
umask 077

T_TUN=()

tun_cleanup() {
	local i n
	set +e
	for p in "${T_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	# Deleting the tun device ends its wireguard-go at once.
	for n in "${T_NS[@]}"; do
		for i in "${T_TUN[@]}"; do
			ip -n "$n" link del "$i" 2>/dev/null
		done
	done
	for n in "${T_NS[@]}"; do ip netns del "$n" 2>/dev/null; done
	for i in "${T_TUN[@]}"; do
		# wireguard-go leaves when its tun device goes with the netns.
		for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
			[ -e "/var/run/wireguard/$i.sock" ] || break
			sleep 0.1
		done
		rm -f "/var/run/wireguard/$i.sock" "/run/edgekit/tunnel-$i.state"
	done
}
trap 'rc=$?; tun_cleanup; (exit $rc); t_cleanup' EXIT

tun_key() {
	local k
	k=$(wg genkey)
	printf -v "$1" '%s' "$k"
	printf -v "$2" '%s' "$(printf '%s' "$k" | wg pubkey)"
}

tun_name() {
	printf -v "$1" '%s' "$T_ID$2"
	T_TUN+=("$T_ID$2")
	T_WGIF+=("$T_ID$2")
}

tun_conf() {
	cat > "$T_TMP/$1.conf"
	chmod 600 "$T_TMP/$1.conf"
	echo "$T_TMP/$1.conf"
}

et() { local n=$1; shift; ip netns exec "$n" "$ET" "$@"; }
