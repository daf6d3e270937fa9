#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-routes input errors: each bad line is reported as file:line with the
# reason, the exit status is 2 and the kernel is not touched; a route the
# kernel refuses is named, the rest lands, and the exit status is 1.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/routes-lib.sh"

routes_ns NS i
printf '198.51.100.0/24\n' > "$T_TMP/good"
nsx "$NS" "$ER" sync -t 100 -g 192.0.2.1 "$T_TMP/good" || fail "first sync"

bad() {	# expected-message line
	local want=$1 line=$2 rc=0
	printf '# a comment\n203.0.113.0/24\n%s\n' "$line" > "$T_TMP/bad"
	nsx "$NS" "$ER" sync -t 100 -g 192.0.2.1 "$T_TMP/bad" 2> "$T_TMP/err" ||
		rc=$?
	[ $rc -eq 2 ] || fail "\"$line\": exit $rc, expected 2"
	grep -q "$T_TMP/bad:3: .*$want" "$T_TMP/err" ||
		fail "\"$line\": message \"$(cat "$T_TMP/err")\" lacks file:line: $want"
}

monitor_start "$NS"
bad 'length'		'198.51.100.0/33'
bad 'host'		'198.51.100.1/24'
bad 'address\|prefix'	'banana'
bad 'via'		'192.0.2.0/25 via=banana'
bad 'unknown attribute' '192.0.2.0/25 colour=red'
bad 'expected key=value' '192.0.2.0/25 192.0.2.1'
bad 'metric'		'192.0.2.0/25 metric=-1'
bad 'metric'		'192.0.2.0/25 metric=4294967296'
bad 'table'		'192.0.2.0/25 table=0'
bad 'table'		'192.0.2.0/25 table=local'
bad 'type'		'192.0.2.0/25 type=anycast'
bad 'given twice'	'192.0.2.0/25 via=192.0.2.1 via=192.0.2.3'
bad 'IPv4 gateway'	'2001:db8:5::/48 via=192.0.2.1'
bad 'no next hop'	'2001:db8:5::/48'
bad 'takes no via'	'192.0.2.0/25 type=blackhole via=192.0.2.1'
bad 'interface name'	'192.0.2.0/25 dev=abcdefghijklmnopqrstuvwxyz'

# Two routes with one key but different next hops (only found once the
# whole list is read, so without a line number).
printf '203.0.113.0/24\n203.0.113.0/24 via=192.0.2.7\n' > "$T_TMP/conflict"
expect_rc 2 nsx "$NS" "$ER" sync -t 100 -g 192.0.2.1 "$T_TMP/conflict" 2> "$T_TMP/err"
grep -q "^edge-routes: $T_TMP/conflict:2: conflicting routes .* at $T_TMP/conflict:1\$" "$T_TMP/err" ||
	fail "conflict: $(cat "$T_TMP/err")"
# Found after aggregation (two /25s make the /24), and from stdin too.
printf '# c\n203.0.113.0/25\n203.0.113.128/25\n203.0.113.0/24 via=192.0.2.7\n' |
	expect_rc 2 nsx "$NS" "$ER" sync -t 100 -g 192.0.2.1 2> "$T_TMP/err"
grep -q '^edge-routes: stdin:4: conflicting routes .* at stdin:2$' "$T_TMP/err" ||
	fail "conflict on stdin: $(cat "$T_TMP/err")"

# Usage errors.
expect_rc 2 nsx "$NS" "$ER" sync -t 100 -P 0 "$T_TMP/good" 2>/dev/null
expect_rc 2 nsx "$NS" "$ER" sync -t 100 -M 150 "$T_TMP/good" 2>/dev/null
expect_rc 2 nsx "$NS" "$ER" sync -t 100 -e smoke "$T_TMP/good" 2>/dev/null
expect_rc 2 nsx "$NS" "$ER" frobnicate 2>/dev/null
expect_rc 2 nsx "$NS" "$ER" sync -t 100 "$T_TMP/nonexistent" 2>/dev/null
expect_rc 0 "$ER" -h > /dev/null

# A device that does not exist: nothing applied, exit 1.
printf '203.0.113.0/24 dev=nosuch0\n198.51.100.0/24\n' > "$T_TMP/nodev"
expect_rc 1 nsx "$NS" "$ER" sync -t 100 -g 192.0.2.1 "$T_TMP/nodev" 2> "$T_TMP/err"
grep -q 'nosuch0' "$T_TMP/err" || fail "no device named: $(cat "$T_TMP/err")"
monitor_quiet "bad input"
[ "$(rcount "$NS" table 100)" -eq 1 ] || fail "table changed"
ok "bad input: file:line, exit 2, nothing changed"

# A gateway the kernel cannot reach: that route is named, the others land.
printf '203.0.113.0/24 via=198.18.0.1\n198.51.100.0/24\n192.0.2.128/25 type=blackhole\n' > "$T_TMP/unreach"
expect_rc 1 nsx "$NS" "$ER" sync -t 100 -g 192.0.2.1 "$T_TMP/unreach" 2> "$T_TMP/err"
grep -q 'add 203.0.113.0/24 via=198.18.0.1.*unreachable' "$T_TMP/err" ||
	fail "failed route not named: $(cat "$T_TMP/err")"
ip -n "$NS" route show table 100 | grep -q 'blackhole 192.0.2.128/25' ||
	fail "the rest of the batch did not land"
ok "a refused route is named, exit 1, the rest lands"
