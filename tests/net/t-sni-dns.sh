#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-sni and a name's addresses, from a responder that says exactly what
# it answers (sni-dns.py, which logs every query): a positive answer is
# kept for its TTL and asked again once it expires; the addresses are
# tried in the order given, and a connect timeout covers them all, each
# getting a share of it, so an address that never answers does not stop
# the next one from being tried.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sni-topo.sh"

sni_topo
sni_nginx
# a second back end that never answers (::99 is one already)
ip -n "$NS_H" -6 route add blackhole 2001:db8:1::98/128
bg DNS_PID "$NS_V" python3 "$TOP/tests/net/sni-dns.py" 127.0.0.1 5300 "$T_TMP/queries"
wait_for 20 test -e "$T_TMP/queries" || fail "sni-dns.py did not start"
sni_start -resolver 127.0.0.1:5300 -listen tcp:443 -nat46-prefix $NAT46 \
    -backend-cidr 2001:db8:1::/64 -connect-timeout 3

# get NAME: a request through edge-sni; it must be served
get() {
	local out
	out=$(ccurl -k --resolve "$1:443:$VPS4" "https://$1/") ||
		fail "$1: not served"
	[ "$out" = "from $CLIENT_NAT46 via $1 pp=" ] || fail "$1: got $out"
}
queries() { grep -c "^$1 28\$" "$T_TMP/queries" || true; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# TTL 3 s: a second request at once comes from the cache; the answer is
# asked again once 3 s have passed, not before.
n=a6-3-10.example.test
t0=$(ms)
get $n; get $n
[ $(( $(ms) - t0 )) -lt 2500 ] || skip "too slow to tell a 3 s TTL"
[ "$(queries $n)" -eq 1 ] || fail "$n: $(queries $n) queries for two requests within its TTL"
while [ "$(queries $n)" -eq 1 ] && [ $(( $(ms) - t0 )) -lt 20000 ]; do
	get $n
	sleep 0.2
done
el=$(( $(ms) - t0 ))
[ "$(queries $n)" -eq 2 ] || fail "$n: not asked again within 20 s"
[ $el -ge 2900 ] || fail "$n: asked again after $el ms, before its TTL of 3 s"
ok "a positive answer with TTL 3 s: cached, asked again after $el ms"

# The first address never answers: after its share of the 3 s (2 s, the
# least a share gets) the second is tried and serves.
n=a6-60-99-10.example.test
get $n
sni_logged "	$n	\[$WWW6\]:443	ok	[1-9][0-9]*	[1-9][0-9]*	[2-9][0-9][0-9][0-9]$"
grep -q "$n: connect to \[2001:db8:1::99\]:443: timed out, trying the next address" \
    "$T_TMP/sni.log" || fail "no message for the address that timed out"
ok "connect timeout on the first address: the next one is tried and serves"

# Two addresses that never answer: one timeout of 3 s for both, not 3 s each.
n=a6-60-99-98.example.test
t0=$(ms)
ccurl -k --resolve "$n:443:$VPS4" "https://$n/" >/dev/null 2>&1 &&
	fail "$n answered"
el=$(( $(ms) - t0 ))
sni_logged "	$n	\[2001:db8:1::98\]:443	connect-timeout	"
[ $el -ge 2900 ] && [ $el -lt 5000 ] ||
	fail "$n: connect-timeout after $el ms, for a timeout of 3 s"
ok "two silent addresses: both tried, connect-timeout after $el ms"

sni_stop
ok "SIGTERM: exit 0, no sanitizer report"
