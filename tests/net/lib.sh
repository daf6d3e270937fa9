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
#   t_stop PID...          SIGTERM, wait (up to 10 s) until they are gone,
#                          then SIGKILL what is left
#   fail MSG / ok MSG / skip MSG
#
# Every namespace, host-side veth ($T_ID-*), process and temporary file is
# removed on every exit path (EXIT, INT, TERM).  Names carry the run's id
# (ek<pid>-<random>: at most 11 characters, so that "$T_ID-v" and the
# tests' "${T_ID}xyz" stay within the 15 of an interface name), so
# parallel runs cannot collide.
#
# Sanitizer reports (make check SANITIZE=1) of every process the test
# starts go to files, $T_SAN/report.PID, instead of to a stderr that
# nobody may read (a daemon in the background): a test with any report
# fails, and its exit status shows the head of each.  Processes are
# stopped with SIGTERM and waited for, so that the leak check at their
# exit runs.
set -eu

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$TOP/bin
[ "$(id -u)" -eq 0 ] || { echo "namespace tests need root"; exit 77; }
# The separator and the fixed-width random part keep one run's id from
# being the start of another's (the clean-up globs below rely on it).
T_ID=$(printf 'ek%x-%02x' $$ $((RANDOM % 256)))
T_TMP=$(mktemp -d "/tmp/$T_ID.XXXXXX")
T_NS=()
T_PIDS=()
T_WGIF=()

# A tool that drops privileges (edge-sni -user) must still be able to
# write its report: the directory is open to all, $T_TMP only searchable.
# Options already set stay; log_path, last, wins.
T_SAN=$T_TMP/san
mkdir -m 1777 "$T_SAN"
chmod 711 "$T_TMP"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T_SAN/report"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:log_path=$T_SAN/report"

t_alive() {	# PID: running (a zombie has already exited)
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

t_stop() {
	local p end
	for p in "$@"; do kill "$p" 2>/dev/null; done
	end=$(( $(date +%s) + 10 ))
	for p in "$@"; do
		while t_alive "$p" && [ "$(date +%s)" -lt $end ]; do
			sleep 0.1
		done
		if t_alive "$p"; then
			echo "note: pid $p ($(cat "/proc/$p/comm" 2>/dev/null))" \
			    "still running 10 s after SIGTERM: killed" >&2
			kill -9 "$p" 2>/dev/null
		fi
		# Reap it if it is this shell's child (its status is not
		# wanted here).
		wait "$p" 2>/dev/null
	done
}

t_cleanup() {
	local rc=$? n r l left=() san=0
	set +e
	# The harness's own processes, then whatever else still runs in this
	# run's namespaces (started with "&", or by a tool).
	t_stop "${T_PIDS[@]}"
	for n in "${T_NS[@]}"; do
		left+=($(ip netns pids "$n" 2>/dev/null))
	done
	t_stop "${left[@]}"
	for n in "${T_NS[@]}"; do ip netns del "$n" 2>/dev/null; done
	# A veth() (or a test's own "ip link add $T_ID-a") that failed
	# half-way leaves its pair on the host.
	for l in $(ip -o link show 2>/dev/null |
	    awk -v id="$T_ID-" '{ sub(/:$/, "", $2); sub(/@.*/, "", $2)
	    if (index($2, id) == 1) print $2 }'); do
		ip link del "$l" 2>/dev/null
	done
	for i in "${T_WGIF[@]}"; do rm -f "/var/run/wireguard/$i.sock"; done
	# edge-tunnel's state files of this run's tunnels (named from $T_ID)
	rm -f /run/edgekit/tunnel-"$T_ID"*.state
	for r in "$T_SAN"/report.*; do
		[ -e "$r" ] || continue
		san=$((san + 1))
		echo "--- sanitizer report ${r##*/}:" >&2
		head -n 60 "$r" >&2
	done
	if [ $san -gt 0 ]; then
		for r in "$T_SAN"/report.*; do
			echo "FAIL: sanitizer, pid ${r##*.}:" \
			    "$(grep -m 1 SUMMARY "$r" ||
			    grep -m 1 -E 'runtime error|ERROR' "$r")" >&2
		done
		# An earlier failure keeps its own status.
		[ $rc -eq 0 ] || [ $rc -eq 77 ] && rc=1
	fi
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
