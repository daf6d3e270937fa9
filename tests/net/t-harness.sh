#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The namespace harness itself: ns_make, veth and bg create what they say,
# and when a test script ends -- by failing, by `set -e`, by `fail`, or by
# SIGTERM -- its namespaces and background processes are gone, and so is
# the host-side pair of a veth that failed half-way.  A sanitizer report
# written by a background daemon fails the test that started it, without
# replacing an earlier failure's status.
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
veth)	veth "\$A" y0 "\$T_ID-nosuchns" y1 ;;
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
	ip link show "$id-p" >/dev/null 2>&1 && fail "$1: veth peer left on host"
	ok "$1: namespaces, processes and files gone"
}

for how in exit errexit fail veth; do
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

# Sanitizer reports.  A daemon (ASan build) that leaks and is stopped by the
# harness: its leak report, written at exit after SIGTERM, fails a test
# that passed (exit 1) and leaves a failed test's status alone (exit 3).
if printf 'int main(void) { return 0; }' |
    cc -fsanitize=address,undefined -x c -o "$T_TMP/nop" - 2>/dev/null; then
	cat >"$T_TMP/leak.c" <<-'EOF'
	#include <signal.h>
	#include <stdio.h>
	#include <stdlib.h>
	static void *keep;
	int main(void) {
		sigset_t s;
		int sig;
		sigemptyset(&s);
		sigaddset(&s, SIGTERM);
		sigprocmask(SIG_BLOCK, &s, NULL);
		keep = malloc(4242);
		puts("up");
		fflush(stdout);
		sigwait(&s, &sig);
		keep = NULL;	/* lost: LeakSanitizer reports it at exit */
		return 0;
	}
	EOF
	cc -g -fsanitize=address,undefined -o "$T_TMP/leak" "$T_TMP/leak.c" ||
		fail "cannot build the leaking daemon"
	cat >"$T_TMP/san.sh" <<-SAN
	source "$TOP/tests/net/lib.sh"
	ns_make A a
	bg P "\$A" "$T_TMP/leak" >"\$T_TMP/leak.out"
	wait_for 10 grep -q up "\$T_TMP/leak.out"
	exit "\$1"
	SAN
	for want in "0 1" "3 3"; do
		set -- $want
		rc=0
		bash "$T_TMP/san.sh" "$1" >"$T_TMP/san-$1.log" 2>&1 || rc=$?
		[ $rc -eq "$2" ] ||
			fail "sanitizer report, test exiting $1: status $rc, want $2: $(cat "$T_TMP/san-$1.log")"
		grep -q "FAIL: sanitizer, pid [0-9]*: SUMMARY: AddressSanitizer: 4242 byte(s) leaked" \
		    "$T_TMP/san-$1.log" ||
			fail "no leak report shown: $(cat "$T_TMP/san-$1.log")"
	done
	ok "a background daemon's leak report fails the test (status 1, or its own)"
	# And no report, no failure: the same daemon, its leak suppressed.
	rc=0
	ASAN_OPTIONS=detect_leaks=0 bash "$T_TMP/san.sh" 0 >"$T_TMP/san-ok.log" 2>&1 || rc=$?
	[ $rc -eq 0 ] || fail "no report, yet status $rc: $(cat "$T_TMP/san-ok.log")"
	ok "options already in ASAN_OPTIONS are kept"
else
	echo "note: cc cannot build with -fsanitize=address: sanitizer reports not tested"
fi

# And names are unique per run.
ns_make X x
[[ $X == "$T_ID"-x ]] || fail "ns_make gave $X"
[[ $T_ID =~ ^ek[0-9a-f]+-[0-9a-f]{2}$ ]] || fail "T_ID $T_ID"
ok "harness"
