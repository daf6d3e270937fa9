#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# make demo, as a test: the whole system end to end in namespaces (the
# README's command lines are the demo's).  The demo builds and removes its
# own lab; this only checks that it worked and left nothing behind.
source "$(dirname "$0")/lib.sh"
for t in edge-tunnel edge-sni edge-routes edge-probe edge-failover; do
	[ -x "$BIN/$t" ] || fail "$t is not built"
done
export LAB="$T_ID"
"$TOP/scripts/demo" || fail "the demo failed"
left=$(ip netns list | grep -c "^$LAB-" || true)
[ "$left" -eq 0 ] || fail "the demo left $left namespaces"
ok "demo: every step worked, nothing left behind"
