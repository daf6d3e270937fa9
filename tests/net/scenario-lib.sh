# SPDX-License-Identifier: ISC
# shellcheck shell=bash
#
# Helpers for the scenario tests (tests/net/t-scenario-*.sh), sourced after
# lib.sh.  They use the lab of scripts/lab, with LAB set to this run's
# $T_ID so that namespaces, tunnel names and wireguard-go sockets are
# unique per run, and everything (lab_down, then the harness) removed on
# every exit path.
#
#   sc_need TOOL...         skip unless bin/TOOL is built
#   sc_tunnel NS CONF       edge-tunnel up CONF in NS (registers its name
#                           for clean-up), failing with its message
#   sc_tun_name VAR SUFFIX  a unique tunnel name: $T_ID SUFFIX
#   sc_conf NAME            write stdin to $T_TMP/NAME.conf (mode 600),
#                           print the path
#   sc_count NS TABLE CHAIN MATCH   packets of the nft rule whose line
#                           contains MATCH
#   sc_elapsed T0           milliseconds since T0 (from sc_ms)

LAB=$T_ID
LAB_TMP=$T_TMP/lab
# shellcheck source=scripts/lab
. "$TOP/scripts/lab"

command -v wireguard-go >/dev/null || skip "no wireguard-go"
command -v wg >/dev/null || skip "no wg (wireguard-tools)"
umask 077
chmod 755 "$T_TMP"

SC_TUN=()

sc_cleanup() {
	local n i
	set +e
	for p in "${T_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	lab_down >/dev/null 2>&1
	for n in "${T_NS[@]}"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	for n in "${T_NS[@]}"; do ip netns del "$n" 2>/dev/null; done
	for i in "${SC_TUN[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			[ -e "/var/run/wireguard/$i.sock" ] || break
			sleep 0.1
		done
		rm -f "/var/run/wireguard/$i.sock" "/run/edgekit/tunnel-$i.state"
	done
}
trap 'rc=$?; sc_cleanup; (exit $rc); t_cleanup' EXIT

sc_need() {
	local t
	for t in "$@"; do
		[ -x "$BIN/$t" ] || skip "$t is not built (make first)"
	done
}

sc_tun_name() {
	printf -v "$1" '%s' "$T_ID$2"
	SC_TUN+=("$T_ID$2")
}

sc_conf() {
	cat > "$T_TMP/$1.conf"
	chmod 600 "$T_TMP/$1.conf"
	echo "$T_TMP/$1.conf"
}

sc_tunnel() {
	local out
	out=$(ip netns exec "$1" "$BIN/edge-tunnel" up "$2" 2>&1) ||
		fail "edge-tunnel up $2 in $1: $out"
}

sc_count() {
	ip netns exec "$1" nft list chain "$2" "$3" |
		awk -v m="$4" 'index($0, m) { for (i = 1; i <= NF; i++)
			if ($i == "packets") { print $(i + 1); exit } }'
}

sc_ms() { echo $(($(date +%s%N) / 1000000)); }
sc_elapsed() { echo $(( $(sc_ms) - $1 )); }

# sc_wait SECS cmd...: retry cmd until it succeeds, for at most SECS
# seconds of wall time (however long each try takes).
sc_wait() {
	local end=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
	until "$@" >/dev/null 2>&1; do
		[ $(( $(date +%s%N) / 1000000 )) -ge "$end" ] && return 1
		sleep 0.1
	done
}
