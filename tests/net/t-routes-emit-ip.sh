#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-routes --emit ip: the plan as an ip(8) batch script.  Run through
# "ip -batch -" it leaves the table exactly as sync would (diff exits 0),
# including replacements and deletions, and routes keep edge-routes'
# protocol number.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/routes-lib.sh"

routes_ns NS e
cat > "$T_TMP/a" <<'L'
198.51.100.0/24
203.0.113.0/24 via=192.0.2.9 metric=7
192.0.2.128/25 type=blackhole
2001:db8:1::/48
10.1.0.0/16 via=2001:db8::1
L
printf '198.51.100.0/24 via=192.0.2.5\n2001:db8:2::/48 dev=e0\n10.2.0.0/16 type=unreachable\n' > "$T_TMP/b"
S=("$ER" sync -t 100 -g 192.0.2.1 -g 2001:db8::1)
nsx "$NS" "${S[@]}" -e ip "$T_TMP/a" > "$T_TMP/a.ip" || fail "emit a"
grep -qx 'route add 198.51.100.0/24 via 192.0.2.1 dev e0 metric 0 table 100 proto 202' "$T_TMP/a.ip" ||
	fail "script: $(cat "$T_TMP/a.ip")"
[ "$(rcount "$NS" table 100)" -eq 0 ] || fail "--emit ip changed the kernel"
nsx "$NS" ip -batch "$T_TMP/a.ip" || fail "ip -batch a"
expect_rc 0 nsx "$NS" "$ER" diff -t 100 -g 192.0.2.1 -g 2001:db8::1 "$T_TMP/a"
nsx "$NS" "${S[@]}" -e ip --force "$T_TMP/b" > "$T_TMP/b.ip" || fail "emit b"
grep -q '^route replace 198.51.100.0/24 via 192.0.2.5' "$T_TMP/b.ip" || fail "no replace: $(cat "$T_TMP/b.ip")"
grep -q '^route del 203.0.113.0/24 metric 7 table 100 proto 202' "$T_TMP/b.ip" || fail "no del: $(cat "$T_TMP/b.ip")"
nsx "$NS" ip -batch "$T_TMP/b.ip" || fail "ip -batch b"
expect_rc 0 nsx "$NS" "$ER" diff -t 100 -g 192.0.2.1 -g 2001:db8::1 "$T_TMP/b"
[ "$(ip -n "$NS" route show table 100 | grep -vc 'proto 202')" -eq 0 ] || fail "protocol lost"
ok "ip -batch of --emit ip equals sync ($(wc -l < "$T_TMP/a.ip") + $(wc -l < "$T_TMP/b.ip") lines)"
