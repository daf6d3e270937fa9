#!/bin/bash
# SPDX-License-Identifier: ISC
#
# scripts/edge-routes-fetch on the saved samples in tests/data (AWS by
# service and region, Google goog.json and cloud.json by scope, Cloudflare
# v4+v6, RIPEstat for an ASN, per-ASN YAML), each list synced into a
# namespace; broken downloads fail and print nothing.  Then the man page's
# examples: scripts/edge-routes-cron fetching, checking, keeping the last
# good list through a broken and a truncated download, and syncing; the
# ASN list through wg0; diff for monitoring; aggregate.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/routes-lib.sh"
source "$(dirname "$0")/doc-lib.sh"

command -v jq >/dev/null || skip "jq not installed"
D=$TOP/tests/data
export PATH="$TOP/scripts:$BIN:$PATH" EDGE_ROUTES=$ER
F=edge-routes-fetch

lines() { grep -v '^#' | tr '\n' ' ' | sed 's/ $//'; }
check() {	# name expected command...
	local name=$1 want=$2 got; shift 2
	got=$("$@" | lines) || fail "$name: exit $?"
	[ "$got" = "$want" ] || fail "$name: got \"$got\", expected \"$want\""
}
check "aws EC2 eu-central-1" "3.120.0.0/14 18.156.0.0/14 2a05:d014::/36" \
	$F aws -s EC2 -r eu-central-1 "$D/aws-ip-ranges.json"
check "aws S3,CLOUDFRONT" "52.219.168.0/24 13.32.0.0/15 2600:9000::/28" \
	$F aws -s S3,CLOUDFRONT "$D/aws-ip-ranges.json"
check "aws region us-east-1" "52.94.248.0/28 2600:1f18::/33" \
	$F aws -r us-east-1 - < "$D/aws-ip-ranges.json"
[ "$($F aws "$D/aws-ip-ranges.json" | lines | wc -w)" -eq 10 ] || fail "aws: all"
check "google goog" "8.8.4.0/24 8.8.8.0/24 8.34.208.0/20 142.250.0.0/15 2001:4860::/32 2404:6800::/32" \
	$F google "$D/google-goog.json"
check "google cloud europe-west3" "35.198.64.0/18 35.242.192.0/18 2600:1900:4180::/44" \
	$F google -r europe-west3 "$D/google-cloud.json"
check "cloudflare" "173.245.48.0/20 103.21.244.0/22 103.22.200.0/22 104.16.0.0/13 104.24.0.0/14 172.64.0.0/13 2400:cb00::/32 2606:4700::/32 2803:f800::/32 2a06:98c0::/29" \
	$F cloudflare "$D/cloudflare-ips-v4.txt" "$D/cloudflare-ips-v6.txt"
check "ripestat" "1.1.1.0/24 1.0.0.0/24 104.16.0.0/20 104.16.16.0/20 2606:4700::/44 2606:4700:10::/44" \
	$F ripestat AS13335 "$D/ripestat-as13335.json"
check "asn-yaml 13335,15169" "1.1.1.0/24 104.16.0.0/13 8.8.8.0/24" \
	$F asn-yaml -a 13335,15169 "$D/asn.yaml"
check "asn-yaml all" "3.0.0.0/15 3.5.140.0/22 2600:1f18::/33 1.1.1.0/24 104.16.0.0/13 8.8.8.0/24" \
	$F asn-yaml "$D/asn.yaml"
ok "every fetcher read its sample"

nofetch() {	# name command...: must fail with nothing on stdout
	local name=$1 out rc=0; shift
	out=$("$@" 2>/dev/null) || rc=$?
	[ $rc -eq 1 ] && [ -z "$out" ] || fail "$name: exit $rc, output \"$out\""
}
nofetch "truncated json" $F aws "$D/aws-truncated.json"
nofetch "not aws" $F aws "$D/google-goog.json"
nofetch "nothing matches" $F aws -s NOPE "$D/aws-ip-ranges.json"
nofetch "wrong asn" $F ripestat 16509 "$D/ripestat-as13335.json"
nofetch "missing file" $F cloudflare "$D/nonexistent"
nofetch "html error page" $F cloudflare <(echo '<html>503</html>')
nofetch "unreachable url" $F cloudflare http://127.0.0.1:9/ips-v4
ok "broken downloads fail and print nothing"

# The man page's examples, with the saved samples as sources.
routes_ns NS fe
nsx "$NS" ip link add name wg0 type veth peer name wg0p
nsx "$NS" sysctl -qw net.ipv6.conf.wg0.addr_gen_mode=1
nsx "$NS" sysctl -qw net.ipv6.conf.wg0p.addr_gen_mode=1
nsx "$NS" ip link set wg0 up
nsx "$NS" ip link set wg0p up
nsx "$NS" ip addr add 192.168.8.2/24 dev e0
ST=$T_TMP/state
# edge-routes(8) example 2, the cron job: its command, split as sh would,
# with a state directory of this test's; the fetch reads the saved sample.
mapfile -t job < <(doc_block man/edge-routes.8 2 | sed 's/ *\\$//' | tr -s ' \n' '  ' |
	python3 -c 'import shlex, sys; print("\n".join(shlex.split(sys.stdin.read())[5:]))')
[ "${job[0]} ${job[1]}" = "edge-routes-cron aws-eu" ] && [ ${#job[@]} -ge 4 ] ||
	fail "edge-routes.8 example 2 is not an edge-routes-cron job: ${job[*]}"
cron() { nsx "$NS" "${job[0]}" -d "$ST" "${job[1]}" "$1" "${job[@]:3}"; }
cron "${job[2]} $D/aws-ip-ranges.json" || fail "cron run 1"
[ "$(rcount "$NS" table 100 proto 202)" -eq 2 ] || fail "cron: $(ip -n "$NS" route show table 100)"
ip -n "$NS" route show table 100 | grep -q '^18.156.0.0/14 via 192.168.8.1 dev e0 proto 202' ||
	fail "cron route: $(ip -n "$NS" route show table 100)"
ip -n "$NS" -6 route show table 100 2>/dev/null | grep -q '^2a05:d014::/36' && fail "v6 route without a v6 gateway"
# example 3: the rule, as written, sends the AWS ranges out via the LTE
# router and nothing else.  Before it, a lookup never reaches table 100.
nsx "$NS" ip route get 18.156.0.1 2>&1 | grep -q 'table 100' && fail "table 100 used without a rule"
rule=$(doc_block man/edge-routes.8 3)
[ "${rule%% *}" = ip ] || fail "edge-routes.8 example 3: $rule"
nsx "$NS" $rule
for a in 18.156.0.1 3.120.9.9; do
	nsx "$NS" ip route get $a | grep -q "^$a via 192.168.8.1 dev e0 table 100" ||
		fail "$a does not go via the breakout: $(nsx "$NS" ip route get $a 2>&1)"
done
nsx "$NS" ip route get 192.0.2.77 | grep -q '^192.0.2.77 dev e0 src 192.0.2.2' ||
	fail "other traffic: $(nsx "$NS" ip route get 192.0.2.77 2>&1)"
# And packets do leave that way: a ping to an AWS address asks for the
# LTE router's address on e0 (nobody answers: no reply is expected).
nsx "$NS" ip neigh flush dev e0
nsx "$NS" ping -c 1 -W 1 18.156.0.1 >/dev/null 2>&1 || true
nsx "$NS" ip neigh show dev e0 | grep -q '^192.168.8.1 ' ||
	fail "no packet towards the LTE router: $(nsx "$NS" ip neigh show dev e0)"
ok "cron run 1 (edge-routes.8 example 2) synced the AWS sample; the rule of example 3 routes it via the LTE router"


good=$(cat "$ST/aws-eu.list")
monitor_start "$NS"
expect_rc 1 cron "edge-routes-fetch aws -s EC2 -r eu-central-1 $D/aws-truncated.json" 2>/dev/null
expect_rc 1 cron "edge-routes-fetch aws -s EC2 $D/nonexistent" 2>/dev/null
expect_rc 1 cron "echo 3.120.0.0/14" 2> "$T_TMP/err"	# a third of the list
grep -q 'only 1 routes' "$T_TMP/err" || fail "shrink: $(cat "$T_TMP/err")"
expect_rc 1 cron "printf '3.120.0.0/14\n18.156.0.0/14\n10.0.0.1/8\n'" 2>/dev/null	# bad line
expect_rc 1 cron "true" 2>/dev/null		# empty
monitor_quiet "cron with broken downloads"
[ "$(cat "$ST/aws-eu.list")" = "$good" ] || fail "the last good list was replaced"
ok "broken, truncated, shrunk, bad and empty downloads: last good list kept, nothing changed"

cron "edge-routes-fetch aws -s EC2,S3 -r eu-central-1 $D/aws-ip-ranges.json" || fail "cron run 3"
[ "$(rcount "$NS" table 100 proto 202)" -eq 3 ] || fail "cron 3: $(ip -n "$NS" route show table 100)"
# Lost routes (a reboot) come back even when the provider is unreachable.
nsx "$NS" "$ER" flush -t 100
expect_rc 1 cron "edge-routes-fetch aws http://127.0.0.1:9/ip-ranges.json" 2>/dev/null
[ "$(rcount "$NS" table 100 proto 202)" -eq 3 ] || fail "last good list not synced"
ok "a good list replaces the old; the last good list is synced when the fetch fails"

# An ASN's prefixes through wg0 (example 4, the fetch reading the saved
# sample), diff for monitoring (example 5), in this test's directory.
ex() { nsx "$NS" sh -c "cd '$T_TMP' && $1"; }
mapfile -t asn < <(doc_block man/edge-routes.8 4)
[ ${#asn[@]} -eq 2 ] || fail "edge-routes.8 example 4: ${asn[*]}"
ex "${asn[0]/ >/ $D/ripestat-as13335.json >}" || fail "example 4: ${asn[0]}"
ex "${asn[1]}" || fail "example 4: ${asn[1]}"
ip -n "$NS" route show table 101 | grep -q '^104.16.0.0/19 dev wg0 proto 202 scope link' ||
	fail "ASN routes (aggregated): $(ip -n "$NS" route show table 101)"
ip -n "$NS" -6 route show table 101 | grep -q '^2606:4700::/43 dev wg0 proto 202' ||
	fail "ASN v6 routes: $(ip -n "$NS" -6 route show table 101)"
mon=$(doc_block man/edge-routes.8 5)
expect_rc 0 ex "$mon"
nsx "$NS" ip route del 1.1.1.0/24 table 101
expect_rc 1 ex "$mon"
ok "ASN list through wg0, aggregated; diff finds a lost route"

printf '10.0.0.0/25\n10.0.0.128/25\n10.0.1.0/24\n10.0.0.7\n' > "$T_TMP/list.txt"
ex "$(doc_block man/edge-routes.8 8)" || fail "example 8"
[ "$(cat "$T_TMP/list.agg")" = "10.0.0.0/23" ] || fail "aggregate: $(cat "$T_TMP/list.agg")"
ok "aggregate"

# The README's edge-routes lines, as written (the fetch reading the saved
# sample), with an LTE uplink lte0 whose router is 198.51.100.1.
nsx "$NS" ip link add name lte0 type veth peer name lte0p
nsx "$NS" ip link set lte0 up
nsx "$NS" ip link set lte0p up
nsx "$NS" ip addr add 198.51.100.2/24 dev lte0
n=$(doc_list README | awk -F'\t' '$2 == "edge-routes(8)" { print $1 }')
mapfile -t rd < <(doc_block README "$n")
[ ${#rd[@]} -eq 4 ] && [ "${rd[0]%% *}" = edge-routes-fetch ] ||
	fail "README's edge-routes lines changed: ${rd[*]}"
ex "${rd[0]/ >/ $D/aws-ip-ranges.json >}" || fail "README: ${rd[0]}"
ex "${rd[1]}" || fail "README: ${rd[1]}"
[ "$(rcount "$NS" table 200 proto 202)" -eq 2 ] &&
	ip -n "$NS" route show table 200 | grep -q '^18.156.0.0/14 via 198.51.100.1 dev lte0 proto 202' ||
	fail "README sync: $(ip -n "$NS" route show table 200)"
expect_rc 0 ex "${rd[2]}"
ex "${rd[3]}" >/dev/null || fail "README: ${rd[3]}"
[ "$(rcount "$NS" table 200 proto 202)" -eq 0 ] || fail "README flush left routes"
ok "the README's edge-routes lines: fetch, sync via lte0 into table 200, diff in step, flush"
