#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The namespace harness itself: ns_make, veth and bg create what they say,
# and when a test script ends -- by failing, by `set -e`, by `fail`, or by
# SIGTERM -- its namespaces and background processes are gone.
source "$(dirname "$0")/lib.sh"

inner=$T_TMP/inner.sh
state=$T_TMP/state
cat >"$inner" <<INNER
source "$TOP/tests/net/lib.sh"
ns_make A a
ns_make B b
veth "\$A" x0 "\$B" x1
nsx "\$A" ip addr add 192.0.2.1/24 dev x0
nsx "\$B" ip addr add 192.0.2.2/24 dev x1
bg P "\$A" sleep 300
# Everything is there while the test runs.
ip netns list | grep -q "^\$A\\b"
nsx "\$A" ip link show x0 >/dev/null
nsx "\$B" ip link show x1 >/dev/null
kill -0 "\$P"
ip netns identify "\$P" | grep -q "^\$A\$"
wait_for 5 nsx "\$A" ping -c 1 -W 1 192.0.2.2
echo "\$A \$B \$P \$T_TMP \$T_ID" >"$state"
case "\$1" in
exit)	exit 3 ;;
errexit) false ;;
fail)	fail "on purpose" ;;
term)	while :; do sleep 0.1; done ;;
esac
echo "not reached"
exit 0
INNER

check_gone() {	# how
	local a b p tmp id
	[ -s "$state" ] || fail "$1: inner test did not get going"
	read -r a b p tmp id <"$state"
	rm -f "$state"
	ip netns list | grep -q "^$a\b" && fail "$1: namespace $a left"
	ip netns list | grep -q "^$b\b" && fail "$1: namespace $b left"
	kill -0 "$p" 2>/dev/null && fail "$1: pid $p still running"
	[ -e "$tmp" ] && fail "$1: $tmp left"
	ip link show "$id-v" >/dev/null 2>&1 && fail "$1: veth left on host"
	ok "$1: namespaces, processes and files gone"
}

for how in exit errexit fail; do
	rc=0
	( bash "$inner" "$how" ) >"$T_TMP/$how.log" 2>&1 || rc=$?
	[ $rc -ne 0 ] || fail "$how: inner test passed"
	grep -q "not reached" "$T_TMP/$how.log" && fail "$how: kept running"
	check_gone "$how"
done

bash "$inner" term >"$T_TMP/term.log" 2>&1 &
pid=$!
wait_for 20 test -s "$state" || fail "term: inner test did not get going"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ $rc -eq 130 ] || fail "term: exit status $rc, want 130"
check_gone term

# And names are unique per run.
ns_make X x
[[ $X == "$T_ID"-x ]] || fail "ns_make gave $X"
ok "harness"
