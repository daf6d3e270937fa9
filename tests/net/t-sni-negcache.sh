#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-sni's negative DNS cache takes its time from the SOA record of the
# answer (RFC 2308: the lesser of the SOA's TTL and its MINIMUM field),
# capped by -negative-ttl.  A tiny authoritative responder (sni-dns.py)
# logs every query it gets, so the test sees which lookups were answered
# from the cache.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sni-topo.sh"

sni_topo
bg DNS_PID "$NS_V" python3 "$TOP/tests/net/sni-dns.py" 127.0.0.1 5300 "$T_TMP/queries"
wait_for 20 test -e "$T_TMP/queries" || fail "sni-dns.py did not start"
sni_start -resolver 127.0.0.1:5300 -listen tcp:443 -nat46-prefix $NAT46 \
    -backend-cidr 2001:db8:1::/64
bg SNI2_PID "$NS_V" "$BIN/edge-sni" -d -resolver 127.0.0.1:5300 \
    -access-log "$T_TMP/access2.log" -negative-ttl 1 -listen tcp:8443 \
    -nat46-prefix $NAT46 -backend-cidr 2001:db8:1::/64 2>"$T_TMP/sni2.log"
wait_for 20 grep -q "listener(s)" "$T_TMP/sni2.log" || fail "second edge-sni did not start"

# hello NAME [PORT]: a ClientHello for NAME; edge-sni refuses it
hello() {
	ccurl -k --resolve "$1:${2:-443}:$VPS4" "https://$1:${2:-443}/" >/dev/null 2>&1 || true
}
# queries NAME: how many AAAA queries the responder has seen for NAME
queries() { grep -c "^$1 28\$" "$T_TMP/queries" || true; }
# requeried NAME N [PORT]: ask again until the responder has seen N queries
requeried() { hello "$1" "${3:-443}"; [ "$(queries "$1")" -ge "$2" ]; }

# NXDOMAIN, SOA minimum 30 s: the second lookup comes from the cache
n=nx-3600-30.example.test
t0=$(date +%s)
hello $n; hello $n
wait_for 20 sh -c "[ \$(grep -c '	$n	-	nxdomain	' '$T_TMP/access.log') -eq 2 ]" ||
	fail "not two nxdomain lines: $(cat "$T_TMP/access.log")"
[ "$(queries $n)" -eq 1 ] || fail "$n: $(queries $n) queries for two lookups"
ok "NXDOMAIN with SOA minimum 30 s: cached (1 query for 2 lookups)"

# NODATA (no AAAA record), SOA minimum 30 s: cached too, "no-address"
n=nodata-3600-30.example.test
hello $n; hello $n
sni_logged "	$n	-	no-address	"
[ "$(queries $n)" -eq 1 ] || fail "$n: $(queries $n) queries for two lookups"
ok "NODATA with SOA minimum 30 s: cached (1 query for 2 lookups)"

# SOA minimum 1 s: asked again once it expired
n=nx-3600-1.example.test
hello $n
wait_for 20 requeried $n 2 || fail "$n: not asked again after 1 s: $(queries $n) queries"
ok "NXDOMAIN with SOA minimum 1 s: expired and asked again"
n=nodata-3600-1.example.test
hello $n
wait_for 20 requeried $n 2 || fail "$n: not asked again after 1 s: $(queries $n) queries"
ok "NODATA with SOA minimum 1 s: expired and asked again"

# SOA TTL 1 s below a minimum of an hour: the lesser counts
n=nx-1-3600.example.test
hello $n
wait_for 20 requeried $n 2 || fail "$n: not asked again after 1 s: $(queries $n) queries"
ok "SOA TTL 1 s, minimum 3600 s: kept for the lesser, 1 s"

# -negative-ttl 1 caps a SOA minimum of 10 minutes
n=nx-3600-600.example.test
hello $n 8443
wait_for 20 requeried $n 2 8443 || fail "$n: -negative-ttl 1 did not cap: $(queries $n) queries"
grep -q "	$n	-	nxdomain	" "$T_TMP/access2.log" || fail "no nxdomain line on the capped instance"
# and the uncapped instance keeps the same answer
c=$(queries $n)
hello $n; hello $n
sleep 1.2; hello $n
[ "$(queries $n)" -eq $((c + 1)) ] ||
	fail "the uncapped instance asked $(( $(queries $n) - c )) times for 3 lookups"
ok "-negative-ttl 1 caps a SOA minimum of 600 s; without it the answer is kept"

# Still cached once longer than the 5 s kept for an answer without an SOA
# has passed: the time came from the SOA.  (A run so slow that 25 s went by
# cannot tell.)
n=nx-3600-30.example.test
while [ $(( $(date +%s) - t0 )) -lt 7 ]; do sleep 0.5; done
hello $n
if [ $(( $(date +%s) - t0 )) -lt 25 ]; then
	[ "$(queries $n)" -eq 1 ] || fail "$n: asked again after $(( $(date +%s) - t0 )) s"
	ok "SOA minimum 30 s: still cached after $(( $(date +%s) - t0 )) s"
fi

sni_stop
ok "SIGTERM: exit 0, no sanitizer report"
