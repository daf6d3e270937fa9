#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-sni with a configuration file: several listeners with different
# modes, two workers, JSON access log, SIGHUP reload (a new listener, a changed
# default hostname) without dropping an open connection, a listener on a
# busy port retried at the next reload, a broken file
# on reload keeps the running configuration, -n checks a file.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sni-topo.sh"

sni_topo
sni_nginx
CONF=$T_TMP/edge-sni.conf
cat >"$CONF" <<EOC
# edge-sni.conf for the test
[Global]
Workers = 2
Resolver = 127.0.0.1
LogFormat = json
AccessLog = $T_TMP/access.log
Stats = $T_TMP/sni.prom

[Listener]
Listen = tcp:443
Mode = nat46
Nat46Prefix = $NAT46/96
BackendCIDR = 2001:db8:1::/64

[Listener]
Listen = tcp:80
Protocol = http
Nat46Prefix = $NAT46
BackendCIDR = 2001:db8:1::/64
EOC
nsx "$NS_V" "$BIN/edge-sni" -n -f "$CONF" || fail "-n rejects a good file"

bg SNI_PID "$NS_V" "$BIN/edge-sni" -d -f "$CONF" 2>>"$T_TMP/sni.log"
wait_for 3 nsx "$NS_V" bash -c "exec 3<>/dev/tcp/$VPS4/80" || fail "edge-sni did not start"
out=$(ccurl -k --resolve www.example.test:443:$VPS4 https://www.example.test/) ||
	fail "TLS listener failed"
[ "$out" = "from $CLIENT_NAT46 via www.example.test pp=" ] || fail "got: $out"
out=$(ccurl http://www.example.test/ --resolve www.example.test:80:$VPS4) ||
	fail "HTTP listener failed"
sni_logged '"listener":"tcp:80","sni":"www.example.test","backend":"\[2001:db8:1::10\]:80","result":"ok"'
# The line of that request, not the last one: wait_for's probe, held back
# by TCP_DEFER_ACCEPT, may be logged after it.
line=$(grep '"listener":"tcp:80","sni":"www.example.test"' "$T_TMP/access.log" | tail -n 1)
jq -e '.bytes_up > 0 and .bytes_down > 0 and .duration_ms >= 0' >/dev/null <<<"$line" ||
	fail "access log line is not the JSON expected: $line"
ok "two listeners from the file, JSON access log"

# No SNI: refused before the reload
out=$(echo | nsx "$NS_C" timeout 5 openssl s_client -connect $VPS4:443 -noservername 2>&1) || true
echo "$out" | grep -q "subject=CN = www.example.test" && fail "served without SNI"

# A long-lived connection across the reload: a coprocess holding a TLS
# session that sends its request only after the reload
( sleep 3; printf 'GET / HTTP/1.0\r\nHost: www.example.test\r\n\r\n'; sleep 1 ) |
    nsx "$NS_C" timeout 8 openssl s_client -quiet -connect $VPS4:443 \
    -servername www.example.test >"$T_TMP/long.out" 2>/dev/null &
LONG=$!
sleep 1

cat >>"$CONF" <<EOC

[Listener]
Listen = tcp:2222
Mode = static
Backend = [$WWW6]:80
Nat46Prefix = $NAT46
EOC
sed -i "s/^Mode = nat46$/Mode = nat46\nDefaultHostname = web2.example.test/" "$CONF"
kill -HUP "$SNI_PID"
# the parent passes SIGHUP to both workers
wait_for 3 sh -c "[ \$(grep -c 'configuration reloaded' '$T_TMP/sni.log') -ge 2 ]" ||
	fail "not reloaded by both workers: $(cat "$T_TMP/sni.log")"
out=$(printf 'GET / HTTP/1.0\r\nHost: x.example.test\r\n\r\n' |
    nsx "$NS_C" timeout 5 socat - TCP:$VPS4:2222) || true
echo "$out" | grep -q "from $CLIENT_NAT46 via x.example.test" ||
	fail "the new static listener does not work: $out"
out=$(echo | nsx "$NS_C" timeout 5 openssl s_client -connect $VPS4:443 -noservername 2>&1) || true
echo "$out" | grep -q "subject=CN = www.example.test" ||
	fail "DefaultHostname not applied after reload"
sni_logged '"sni":"web2.example.test","backend":"\[2001:db8:1::10\]:443","result":"ok"'
ok "SIGHUP: new listener opened, default hostname applied"
wait "$LONG" || true
grep -q "from $CLIENT_NAT46 via www.example.test" "$T_TMP/long.out" ||
	fail "the connection open across the reload broke: $(cat "$T_TMP/long.out")"
ok "a connection open across the reload kept working"

# A listener whose port is busy at a reload: both workers say why, the
# rest serves; once the port is free the next reload opens it (it used
# to be taken for "kept" and never retried, logged with a wrong errno).
bg BUSY_PID "$NS_V" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 8081)); s.listen(1); time.sleep(120)'
wait_for 5 nsx "$NS_V" bash -c "exec 3<>/dev/tcp/127.0.0.1/8081" ||
	fail "the port holder did not start"
cat >>"$CONF" <<EOC

[Listener]
Listen = tcp:8081
Mode = static
Backend = [$WWW6]:80
Nat46Prefix = $NAT46
EOC
n=$(grep -c 'configuration reloaded' "$T_TMP/sni.log")
kill -HUP "$SNI_PID"
wait_for 3 sh -c "[ \$(grep -c 'configuration reloaded' '$T_TMP/sni.log') -ge $((n + 2)) ]" ||
	fail "not reloaded by both workers: $(tail -n 5 "$T_TMP/sni.log")"
[ "$(grep -c 'tcp:8081: cannot listen: Address already in use' "$T_TMP/sni.log")" -eq 2 ] ||
	fail "busy port not reported by both workers: $(tail -n 5 "$T_TMP/sni.log")"
ccurl -k --resolve www.example.test:443:$VPS4 https://www.example.test/ >/dev/null ||
	fail "not serving after a reload with a busy port"
kill "$BUSY_PID"
wait "$BUSY_PID" 2>/dev/null || true
m=$(grep -c 'cannot listen' "$T_TMP/sni.log")
kill -HUP "$SNI_PID"
wait_for 3 sh -c "[ \$(grep -c 'configuration reloaded' '$T_TMP/sni.log') -ge $((n + 4)) ]" ||
	fail "second reload not done by both workers"
[ "$(grep -c 'cannot listen' "$T_TMP/sni.log")" -eq "$m" ] ||
	fail "the freed port still not opened: $(grep 'cannot listen' "$T_TMP/sni.log" | tail -n 2)"
# Two workers, two sockets: a few connections reach both of them.
for i in 1 2 3 4; do
	out=$(printf 'GET / HTTP/1.0\r\nHost: y.example.test\r\n\r\n' |
	    nsx "$NS_C" timeout 5 socat - TCP:$VPS4:8081) || true
	echo "$out" | grep -q "from $CLIENT_NAT46 via y.example.test" ||
		fail "tcp:8081 not served after the port was freed: $out"
done
[ "$(nsx "$NS_V" ss -Hltn 'sport = :8081' | wc -l)" -eq 2 ] ||
	fail "not one socket per worker on 8081: $(nsx "$NS_V" ss -Hltnp 'sport = :8081')"
ok "SIGHUP with a busy port: reported, retried at the next reload, served"

# A broken file on SIGHUP: the running configuration stays
echo "Bogus = 1" >>"$CONF"
kill -HUP "$SNI_PID"
wait_for 3 sh -c "[ \$(grep -c 'reload failed' '$T_TMP/sni.log') -ge 2 ]" ||
	fail "broken reload not reported by both workers"
grep -q "edge-sni.conf:[0-9]*: unknown key \"Bogus\"" "$T_TMP/sni.log" ||
	fail "the error does not name file:line: $(tail -3 "$T_TMP/sni.log")"
ccurl -k --resolve www.example.test:443:$VPS4 https://www.example.test/ >/dev/null ||
	fail "not serving after a failed reload"
ok "broken reload: error names file:line, still serving"

set +e
nsx "$NS_V" "$BIN/edge-sni" -n -f "$CONF" 2>"$T_TMP/err"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "edge-sni.conf:[0-9]*:" "$T_TMP/err" ||
	fail "-n on a broken file: rc $rc, $(cat "$T_TMP/err")"
ok "-n: exit 2 naming file:line"

sni_stop
ok "SIGTERM: exit 0, no sanitizer report"
