#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-sni in nat46 mode: IPv4 clients (curl, openssl s_client) reach an
# IPv6-only nginx by SNI; the backend sees the client's IPv4 address
# inside the NAT46 prefix; every refusal closes with a log line.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sni-topo.sh"

sni_topo
sni_nginx
sni_start -listen tcp:443 -mode nat46 -nat46-prefix $NAT46 \
    -backend-cidr 2001:db8:1::/64 -dns-timeout 2 -stats "$T_TMP/sni.prom"

# curl: SNI routing, NAT46 source embedding the client's IPv4 address
out=$(ccurl -k --resolve www.example.test:443:$VPS4 https://www.example.test/) ||
	fail "curl through edge-sni failed"
[ "$out" = "from $CLIENT_NAT46 via www.example.test pp=" ] ||
	fail "backend saw: $out"
ok "curl: backend saw $CLIENT_NAT46"
grep -q "^$CLIENT_NAT46 " "$T_TMP/nginx/access.log" ||
	fail "nginx access log lacks the NAT46 source"
sni_logged "	$CLIENT4:[0-9]*	tcp:443	www.example.test	\[$WWW6\]:443	ok	[1-9][0-9]*	[1-9][0-9]*	"
ok "access log: one tab-separated line with bytes both ways"

# openssl s_client, upper case and a trailing dot in the SNI
out=$(echo | nsx "$NS_C" timeout 5 openssl s_client -connect $VPS4:443 \
    -servername WEB2.Example.Test. 2>&1) || true
echo "$out" | grep -q "subject=CN = www.example.test" ||
	{ echo "$out"; fail "openssl s_client got no certificate"; }
sni_logged "	web2.example.test	\[$WWW6\]:443	ok	"
ok "openssl s_client: name normalised, relayed"

# A second request: served from the DNS cache (SIGUSR1 logs counters
# and writes the Prometheus textfile)
ccurl -k --resolve www.example.test:443:$VPS4 https://www.example.test/ >/dev/null ||
	fail "second curl failed"
kill -USR1 "$SNI_PID"
wait_for 3 grep -q 'dns hit [1-9]' "$T_TMP/sni.log" ||
	{ cat "$T_TMP/sni.log"; fail "no DNS cache hit counted"; }
grep -q 'edge_sni_dns_lookups_total{worker="0",cache="hit"} [1-9]' "$T_TMP/sni.prom" ||
	fail "textfile lacks the cache hits"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T_TMP/sni.prom" || fail "promtool rejects the textfile"
fi
ok "DNS cache hit; counters on SIGUSR1 and in the textfile"

# Refusals: outside the backend CIDRs, ::1, link-local, into the prefix,
# no such name, IPv4-only name
for n in outside loop ll intoprefix; do
	ccurl -k --resolve $n.example.test:443:$VPS4 https://$n.example.test/ \
	    >/dev/null 2>&1 && fail "$n.example.test was forwarded"
	sni_logged "	$n.example.test	-	not-allowed	"
done
ok "refused: outside the CIDRs, ::1, link-local, the NAT46 prefix"
ccurl -k --resolve nx.example.test:443:$VPS4 https://nx.example.test/ \
    >/dev/null 2>&1 && fail "nx.example.test was forwarded"
sni_logged "	nx.example.test	-	nxdomain	"
ccurl -k --resolve v4only.example.test:443:$VPS4 https://v4only.example.test/ \
    >/dev/null 2>&1 && fail "v4only.example.test was forwarded"
sni_logged "	v4only.example.test	-	no-address	"
ok "refused: no such name, no AAAA record"

# No SNI and no default hostname: a TLS alert, then close
out=$(echo | nsx "$NS_C" timeout 5 openssl s_client -connect $VPS4:443 \
    -noservername 2>&1) || true
echo "$out" | grep -qi "alert unrecognized name\|unrecognized_name\|alert number 112" ||
	{ echo "$out"; fail "no unrecognized_name alert without SNI"; }
sni_logged "	-	-	no-sni	"
ok "no SNI: TLS alert"

# Not TLS at all
printf 'GET / HTTP/1.0\r\n\r\n' | nsx "$NS_C" timeout 5 socat - TCP:$VPS4:443 || true
sni_logged "	-	-	not-tls	"
ok "not TLS: closed"

# IPv6 clients are refused in nat46 mode (they should go direct)
ip -n "$NS_C" -6 addr add 2001:db8:c::2/64 dev eth0 nodad
ip -n "$NS_V" -6 addr add 2001:db8:c::1/64 dev eth0 nodad
ccurl -k --resolve "www.example.test:443:[2001:db8:c::1]" \
    https://www.example.test/ >/dev/null 2>&1 && fail "IPv6 client forwarded"
sni_logged "	ipv6-client	"
ok "IPv6 client refused"

# SIGTERM: a clean exit, status 0 (under ASan: nothing leaked)
kill "$SNI_PID"
rc=0; wait "$SNI_PID" || rc=$?
[ $rc -eq 0 ] || { tail "$T_TMP/sni.log"; fail "exit status $rc after SIGTERM"; }
ok "SIGTERM: exit 0"

# DNS failure (a resolver that cannot be reached) and timeout (one that
# never answers): closed cleanly, each with a log line
ip -n "$NS_V" route add blackhole 192.0.2.53/32
sni_start -listen tcp:443 -mode nat46 -nat46-prefix $NAT46 \
    -backend-cidr 2001:db8:1::/64 -dns-timeout 1 -resolver 192.0.2.53
ccurl -k --resolve www.example.test:443:$VPS4 https://www.example.test/ \
    >/dev/null 2>&1 && fail "forwarded without DNS"
sni_logged "	www.example.test	-	dns-fail	"
kill "$SNI_PID"; wait "$SNI_PID" 2>/dev/null || true
bg SILENT_PID "$NS_V" socat -u UDP-RECV:53,bind=127.0.0.2 OPEN:/dev/null
sni_start -listen tcp:443 -mode nat46 -nat46-prefix $NAT46 \
    -backend-cidr 2001:db8:1::/64 -dns-timeout 1 -resolver 127.0.0.2
ccurl -k --resolve www.example.test:443:$VPS4 https://www.example.test/ \
    >/dev/null 2>&1 && fail "forwarded without DNS"
sni_logged "	www.example.test	-	dns-timeout	"
ok "DNS failure and timeout: closed with a log line"

# The snid command line without a backend CIDR is refused (exit 2)
set +e
nsx "$NS_V" "$BIN/edge-sni" -listen tcp:4443 -mode nat46 -nat46-prefix $NAT46 \
    2>"$T_TMP/err"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "backend CIDR" "$T_TMP/err" ||
	fail "started without -backend-cidr (rc $rc)"
ok "never an open proxy: -backend-cidr required"
