# SPDX-License-Identifier: ISC
#
# Shared by the edge-routes tests (tests/net/t-routes-*.sh), after lib.sh:
#
#   routes_ns VAR          a namespace with a veth pair e0/e1, 192.0.2.2/24
#                          and 2001:db8::2/64 on e0, so gateways in
#                          192.0.2.0/24 and 2001:db8::/64 are on-link
#   monitor_start NS       record every route change in NS from now on
#   monitor_quiet          fail unless nothing was recorded since the start
#   rcount NS ARGS...      number of routes "ip route show ARGS" lists
#   expect_rc N cmd...     run cmd; fail unless it exits N
ER=$BIN/edge-routes
[ -x "$ER" ] || fail "$ER not built"

routes_ns() {
	local rns_
	ns_make rns_ "$2"
	nsx "$rns_" ip link add name e0 type veth peer name e1
	# No link-local addresses: their routes would appear, late, in
	# the route monitor of tests that expect silence.
	nsx "$rns_" sysctl -qw net.ipv6.conf.e0.addr_gen_mode=1
	nsx "$rns_" sysctl -qw net.ipv6.conf.e1.addr_gen_mode=1
	nsx "$rns_" ip link set e0 up
	nsx "$rns_" ip link set e1 up
	nsx "$rns_" ip addr add 192.0.2.2/24 dev e0
	nsx "$rns_" ip addr add 2001:db8::2/64 dev e0 nodad
	printf -v "$1" '%s' "$rns_"
}

monitor_start() {
	MON_FILE=$T_TMP/monitor.$RANDOM
	: > "$MON_FILE"
	bg MON_PID "$1" sh -c "exec ip monitor route > '$MON_FILE'"
	sleep 0.3
}

monitor_quiet() {
	sleep 0.3
	if [ -s "$MON_FILE" ]; then
		head -n 5 "$MON_FILE" >&2
		fail "$1: the kernel saw route changes"
	fi
}

rcount() {
	local n=$1; shift
	ip -n "$n" route show "$@" 2>/dev/null | wc -l
}

expect_rc() {
	local want=$1 rc=0; shift
	"$@" || rc=$?
	[ "$rc" -eq "$want" ] || fail "exit $rc, expected $want: $*"
}
