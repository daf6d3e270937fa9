# SPDX-License-Identifier: ISC
#
# Namespace harness, sourced by tests/net/t-*.sh and tests/bench/.
#
#   ns_new NAME            create a namespace; prints its full name
#   veth NS1 IF1 NS2 IF2   a veth pair with one end in each namespace, up
#   nsx NS cmd...          run cmd inside NS
#   bg NS cmd...           start cmd in NS in the background; its pid is
#                          recorded and killed on exit; prints the pid
#   wg_go NS IFNAME        start wireguard-go in the foreground in NS
#   wait_for SECS cmd...   retry cmd every 0.1 s until it succeeds, for at
#                          most SECS seconds of wall time
#   fail MSG / ok MSG / skip MSG
#
# Every namespace, process and temporary file is removed on every exit
# path (EXIT, INT, TERM).  Names carry the run's id, so parallel runs
# cannot collide.
set -eu

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$TOP/bin
T_ID=$(printf 'ek%x%x' $$ $((RANDOM % 256)))
T_TMP=$(mktemp -d "/tmp/$T_ID.XXXXXX")
T_NS=()
T_PIDS=()
T_WGIF=()

[ "$(id -u)" -eq 0 ] || { echo "namespace tests need root"; exit 77; }

t_cleanup() {
	local rc=$?
	set +e
	for p in "${T_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${T_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break; sleep 0.1
		done
		kill -9 "$p" 2>/dev/null
	done
	for n in "${T_NS[@]}"; do ip netns del "$n" 2>/dev/null; done
	for i in "${T_WGIF[@]}"; do rm -f "/var/run/wireguard/$i.sock"; done
	# edge-tunnel's state files of this run's tunnels (named from $T_ID)
	rm -f /run/edgekit/tunnel-"$T_ID"*.state
	rm -rf "$T_TMP"
	exit $rc
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
skip() { echo "$*"; exit 77; }

ns_new() {
	local n="$T_ID-$1"
	ip netns add "$n"
	T_NS+=("$n")
	ip -n "$n" link set lo up
	echo "$n"
}

# The namespace list must be extended in the calling shell, not in the
# $(...) subshell: use "ns_make VAR NAME" to set VAR.
ns_make() {
	local n="$T_ID-$2"
	ip netns add "$n"
	T_NS+=("$n")
	ip -n "$n" link set lo up
	printf -v "$1" '%s' "$n"
}

nsx() { local n=$1; shift; ip netns exec "$n" "$@"; }

veth() {
	ip link add "$T_ID-v" type veth peer name "$T_ID-p"
	ip link set "$T_ID-v" netns "$1" name "$2"
	ip link set "$T_ID-p" netns "$3" name "$4"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# bg VAR NS cmd...: start in the background, pid in VAR.
bg() {
	local var=$1 n=$2; shift 2
	ip netns exec "$n" "$@" &
	local p=$!
	T_PIDS+=("$p")
	printf -v "$var" '%s' "$p"
}

# wg_go NS IFNAME: wireguard-go in the foreground.  Its socket directory is
# global, so IFNAME must be unique per run: use names built from $T_ID.
wg_go() {
	local n=$1 i=$2 p
	WG_PROCESS_FOREGROUND=1 ip netns exec "$n" wireguard-go "$i" \
		>"$T_TMP/wg-$i.log" 2>&1 &
	p=$!
	T_PIDS+=("$p")
	T_WGIF+=("$i")
	wait_for 5 test -S "/var/run/wireguard/$i.sock" ||
		fail "wireguard-go $i did not start"
}

wait_for() {
	# Bounded by wall time, not by tries: a slow command (ping -W 1) must
	# not stretch the wait.
	local secs=$1 end; shift
	end=$(( $(date +%s%N) / 1000000 + secs * 1000 ))
	while ! "$@" >/dev/null 2>&1; do
		[ $(( $(date +%s%N) / 1000000 )) -ge $end ] && return 1
		sleep 0.1
	done
}
