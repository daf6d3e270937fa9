#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# make demo, as a test: the whole system end to end in namespaces.  The
# demo builds and removes its own lab; this checks that it worked and
# left nothing behind.  Then its failure path: with edge-tunnel missing,
# the demo stops in step 2 with the step, what was expected and what was
# seen, exits 1 and still takes its lab down.  (make demo KEEP=1:
# t-demo-keep.sh.)
source "$(dirname "$0")/lib.sh"
for t in edge-tunnel edge-sni edge-routes edge-probe edge-failover; do
	[ -x "$BIN/$t" ] || fail "$t is not built"
done
export LAB="$T_ID"
# Whatever happens, no lab namespace outlives the test.
demo_cleanup() {
	local rc=$? n
	set +e
	for n in $(ip netns list | awk -v p="^$LAB-" '$1 ~ p { print $1 }'); do
		ip netns pids "$n" | xargs -r kill -9
		ip netns del "$n"
	done
	(exit "$rc")
	t_cleanup
}
trap demo_cleanup EXIT
left() { ip netns list | grep -c "^$LAB-" || true; }

"$TOP/scripts/demo" || fail "the demo failed"
[ "$(left)" -eq 0 ] || fail "the demo left $(left) namespaces"
ok "demo: every step worked, nothing left behind"

# A tool not built: step 2 (edge-tunnel) fails, it is not skipped.
mkdir "$T_TMP/bin"
for t in edge-sni edge-routes edge-probe edge-failover; do ln -s "$BIN/$t" "$T_TMP/bin/$t"; done
set +e
EDGEKIT_BIN=$T_TMP/bin "$TOP/scripts/demo" >"$T_TMP/demo.out" 2>&1
st=$?
set -e
cat "$T_TMP/demo.out"
[ $st -eq 1 ] || fail "the demo without edge-tunnel exited $st, not 1"
grep -q '^FAILED in step 2: edge-tunnel is needed for this step$' "$T_TMP/demo.out" &&
	grep -q "^   expected: $T_TMP/bin/edge-tunnel (make all builds it)\$" "$T_TMP/demo.out" &&
	grep -q '^   seen:     not built$' "$T_TMP/demo.out" ||
	fail "no FAILED / expected / seen lines for the missing tool"
grep -q 'every step worked' "$T_TMP/demo.out" && fail "the demo claims every step worked"
[ "$(left)" -eq 0 ] || fail "the failed demo left $(left) namespaces"
ok "without edge-tunnel: FAILED in step 2, what was expected and seen, exit 1, the lab taken down"
