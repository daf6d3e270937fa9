#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-sni's other listeners and modes, each against a real server on the
# IPv6-only home: HTTP Host routing (curl), PostgreSQL with TLS (psql
# sslmode=require to a real postgres), tcp mode with a PROXY v2 header
# (nginx proxy_protocol), static mode with server-speaks-first traffic
# (socat), a Postgres back end refusing TLS, and PROXY v1 and v2 headers
# accepted from a front balancer (HAProxy's send-proxy-v2 among them).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sni-topo.sh"

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PGBIN/postgres" ] || skip "postgresql is not installed"

sni_topo
sni_nginx
sni_start -listen tcp:443 -http-listen tcp:80 -postgres-listen tcp:5432 \
    -mode nat46 -nat46-prefix $NAT46 -backend-cidr 2001:db8:1::/64

# HTTP Host routing: ACME challenges and redirects for IPv4 clients
out=$(ccurl -H 'Host: WWW.example.test:80' \
    http://$VPS4/.well-known/acme-challenge/token) || fail "curl http failed"
[ "$out" = "from $CLIENT_NAT46 via www.example.test pp=" ] ||
	fail "http backend saw: $out"
sni_logged "	tcp:80	www.example.test	\[$WWW6\]:80	ok	"
ok "HTTP Host routing, NAT46 source"
out=$(printf 'GET / HTTP/1.0\r\n\r\n' | nsx "$NS_C" timeout 5 socat - TCP:$VPS4:80) || true
echo "$out" | grep -q "^HTTP/1.1 400" || fail "no 400 without Host: $out"
sni_logged "	tcp:80	-	-	no-host	"
ok "HTTP without Host: 400"

# PostgreSQL: SSLRequest answered, ClientHello routed, backend's S consumed
chmod 755 "$T_TMP"
PGD=$T_TMP/pg
mkdir -p "$PGD"
chown postgres: "$PGD"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGD/data" -A trust >/dev/null ||
	fail "initdb failed"
cp "$T_TMP/cert.pem" "$T_TMP/key.pem" "$PGD/"
chown postgres: "$PGD/cert.pem" "$PGD/key.pem"
chmod 600 "$PGD/key.pem"
echo "hostssl all all ::/0 trust" >"$PGD/data/pg_hba.conf"
echo "local all all trust" >>"$PGD/data/pg_hba.conf"
bg PG_PID "$NS_H" setpriv --reuid=postgres --regid=postgres --init-groups \
    "$PGBIN/postgres" -D "$PGD/data" \
    -c listen_addresses=2001:db8:1::20 -c port=5432 -c ssl=on \
    -c ssl_cert_file="$PGD/cert.pem" -c ssl_key_file="$PGD/key.pem" \
    -c unix_socket_directories="$PGD" -c logging_collector=off \
    2>"$T_TMP/pg.log"
wait_for 10 nsx "$NS_H" runuser -u postgres -- "$PGBIN/pg_isready" -q -h "$PGD" ||
	fail "postgres did not start"
out=$(nsx "$NS_C" timeout 10 psql -XAt \
    "host=db.example.test hostaddr=$VPS4 port=5432 sslmode=require user=postgres dbname=postgres" \
    -c "select inet_client_addr(), ssl from pg_stat_ssl where pid = pg_backend_pid()" 2>&1) ||
	fail "psql through edge-sni failed: $out"
[ "$out" = "$CLIENT_NAT46|t" ] || fail "postgres saw: $out"
# psql closes with a close_notify after its Terminate: postgres may reset.
sni_logged "	tcp:5432	db.example.test	\[2001:db8:1::20\]:5432	\(ok\|reset\)	[1-9]"
ok "psql sslmode=require through the forwarder; postgres saw $CLIENT_NAT46 over TLS"
out=$(nsx "$NS_C" timeout 10 psql -XAt \
    "host=$VPS4 port=5432 sslmode=disable user=postgres dbname=postgres" \
    -c "select 1" 2>&1) && fail "plain postgres startup was forwarded"
sni_logged "	tcp:5432	-	-	not-postgres	"
ok "Postgres without TLS: refused"
# A back end that does not take TLS answers our SSLRequest 'N': the
# client is closed, logged backend-no-tls.
bg PGN_PID "$NS_H" socat TCP6-LISTEN:5432,bind=[$WWW6],reuseaddr,fork \
    SYSTEM:"head -c 8 | od -An -tx1 >>'$T_TMP/pgn.got'; printf N; sleep 2"
wait_for 5 nsx "$NS_H" bash -c "ss -Hltn 'sport = :5432' | grep -q '$WWW6'" ||
	fail "the 'N' stand-in did not start"
out=$(nsx "$NS_C" timeout 10 psql -XAt \
    "host=www.example.test hostaddr=$VPS4 port=5432 sslmode=require user=postgres dbname=postgres" \
    -c "select 1" 2>&1) && fail "psql got through to a back end without TLS: $out"
sni_logged "	tcp:5432	www.example.test	\[$WWW6\]:5432	backend-no-tls	"
grep -q 'www.example.test: the backend does not take TLS ("N")' "$T_TMP/sni.log" ||
	fail "no message for the back end's N"
[ "$(head -n 1 "$T_TMP/pgn.got" | tr -d ' ')" = 0000000804d2162f ] ||
	fail "the back end did not get an SSLRequest: $(cat "$T_TMP/pgn.got")"
kill "$PGN_PID"
ok "a Postgres back end answering N: closed, logged backend-no-tls"

# tcp mode with a PROXY v2 header to the backend; a mapped port
bg SNI2_PID "$NS_V" "$BIN/edge-sni" -d -resolver 127.0.0.1 \
    -access-log "$T_TMP/access2.log" -listen tcp:9443 -mode tcp \
    -backend-port 8443 -proxy-proto -backend-cidr 2001:db8:1::/64 \
    2>>"$T_TMP/sni.log"
wait_for 3 nsx "$NS_V" bash -c "exec 3<>/dev/tcp/$VPS4/9443" || fail "tcp mode did not start"
out=$(ccurl -k --resolve www.example.test:9443:$VPS4 https://www.example.test:9443/) ||
	fail "curl via tcp mode failed"
case $out in
"from 2001:db8:ff::1 via www.example.test pp=$CLIENT4") ;;
*) fail "tcp mode backend saw: $out" ;;
esac
ok "tcp mode: PROXY v2 carries $CLIENT4 to nginx"

# static mode: no name needed, the server speaks first (like SSH), NAT46
# source kept
bg ECHO_PID "$NS_H" socat TCP6-LISTEN:2222,bind=[2001:db8:1::20],reuseaddr,fork \
    SYSTEM:'echo "SSH-2.0-test $SOCAT_PEERADDR"; exec cat'
bg SNI3_PID "$NS_V" "$BIN/edge-sni" -d -access-log "$T_TMP/access3.log" \
    -listen tcp:2222 -mode static -backend '[2001:db8:1::20]:2222' \
    -nat46-prefix $NAT46 -accept-proxy 2>>"$T_TMP/sni.log"
bg SNI4_PID "$NS_V" "$BIN/edge-sni" -d -access-log "$T_TMP/access4.log" \
    -listen tcp:2223 -mode static -backend '[2001:db8:1::20]:2222' \
    -nat46-prefix $NAT46 2>>"$T_TMP/sni.log"
wait_for 3 nsx "$NS_H" bash -c "exec 3<>/dev/tcp/2001:db8:1::20/2222" || fail "socat did not start"
sleep 0.3
out=$( (sleep 0.5; echo hello; sleep 0.5) | nsx "$NS_C" timeout 5 socat - TCP:$VPS4:2223)
# socat writes the peer address in full
[ "$out" = "$(printf 'SSH-2.0-test [0064:ff9b:0001:0000:0000:0000:c633:6402]\nhello')" ] ||
	fail "static mode: got \"$out\""
ok "static mode: server-first traffic both ways, NAT46 source"
# ... and with that prefix IPv6 clients are refused, as edge-sni(8) says
out=$(echo hi | nsx "$NS_V" timeout 5 socat - 'TCP6:[::1]:2223') || true
wait_for 3 grep -q "^[0-9.]*	\[::1\]:[0-9]*	tcp:2223	-	-	ipv6-client	" "$T_TMP/access4.log" ||
	fail "static mode with a NAT46 prefix took an IPv6 client: $out $(cat "$T_TMP/access4.log")"
ok "static mode with a NAT46 prefix: an IPv6 client is refused"

# Half-close: the client sends and shuts its side at once; the server
# answers a second later, through the half-open connection.
bg HALF_PID "$NS_H" socat -t 5 TCP6-LISTEN:2224,bind=[2001:db8:1::20],reuseaddr,fork \
    SYSTEM:'read l; sleep 1; echo "got $l"'
bg SNI5_PID "$NS_V" "$BIN/edge-sni" -d -access-log "$T_TMP/access5.log" \
    -listen tcp:2224 -mode static -backend '[2001:db8:1::20]:2224' \
    -nat46-prefix $NAT46 2>>"$T_TMP/sni.log"
wait_for 3 nsx "$NS_V" bash -c "ss -Hltn 'sport = :2224' | grep -q 2224" || fail "no listener"
out=$(echo hello | nsx "$NS_C" timeout 5 socat -t 5 - TCP:$VPS4:2224)
[ "$out" = "got hello" ] || fail "half-close: got \"$out\""
ok "half-close: the answer after the client's FIN arrives"

# A front balancer's PROXY v1 header names the real client: its address
# is the one embedded.
out=$( (printf 'PROXY TCP4 203.0.113.9 198.51.100.1 5555 2222\r\n'; sleep 0.5;
    echo hi; sleep 0.5) | nsx "$NS_C" timeout 5 socat - TCP:$VPS4:2222)
[ "$out" = "$(printf 'SSH-2.0-test [0064:ff9b:0001:0000:0000:0000:cb00:7109]\nhi')" ] ||
	fail "PROXY header not honoured: \"$out\""
wait_for 3 grep -q "^[0-9.]*	203.0.113.9:5555	tcp:2222	-	\[2001:db8:1::20\]:2222	ok" "$T_TMP/access3.log" ||
	fail "access log lacks the proxied client: $(cat "$T_TMP/access3.log")"
ok "PROXY v1 from a front balancer: the real client is embedded"

# PROXY v2 from a real front balancer: HAProxy's send-proxy-v2 in the vps,
# reaching edge-sni over loopback.  Without the header the embedded address
# would be 127.0.0.1's.
cat >"$T_TMP/haproxy.cfg" <<EOC
global
	maxconn 64
defaults
	mode tcp
	timeout connect 5s
	timeout client 10s
	timeout server 10s
listen front
	bind $VPS4:2322
	server edge 127.0.0.1:2222 send-proxy-v2
EOC
bg HAP_PID "$NS_V" haproxy -db -f "$T_TMP/haproxy.cfg"
wait_for 5 nsx "$NS_V" bash -c "ss -Hltn 'sport = :2322' | grep -q 2322" ||
	fail "haproxy did not start"
out=$( (sleep 0.5; echo v2; sleep 0.5) | nsx "$NS_C" timeout 5 socat - TCP:$VPS4:2322)
[ "$out" = "$(printf 'SSH-2.0-test [0064:ff9b:0001:0000:0000:0000:c633:6402]\nv2')" ] ||
	fail "HAProxy's PROXY v2 header not honoured: \"$out\""
wait_for 3 grep -q "^[0-9.]*	$CLIENT4:[0-9]*	tcp:2222	-	\[2001:db8:1::20\]:2222	ok" "$T_TMP/access3.log" ||
	fail "access log lacks the client behind HAProxy: $(cat "$T_TMP/access3.log")"
ok "PROXY v2 from HAProxy (send-proxy-v2): the real client is embedded"

# A v2 header made by hand: TCP over IPv4 with a TLV after the addresses
# (PP2_TYPE_AUTHORITY), the client's first bytes in the same segment.
out=$(nsx "$NS_C" timeout 5 python3 -c '
import socket, struct, sys, time
tlv = struct.pack("!BH", 2, 16) + b"ssh.example.test"
body = socket.inet_aton("203.0.113.10") + socket.inet_aton("198.51.100.1") + \
    struct.pack("!HH", 6666, 2222) + tlv
hdr = b"\r\n\r\n\0\r\nQUIT\n" + bytes([0x21, 0x11]) + struct.pack("!H", len(body)) + body
s = socket.create_connection((sys.argv[1], 2222), timeout=5)
s.sendall(hdr + b"crafted\n")
time.sleep(0.5)
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())' $VPS4)
[ "$out" = "$(printf 'SSH-2.0-test [0064:ff9b:0001:0000:0000:0000:cb00:710a]\ncrafted')" ] ||
	fail "a PROXY v2 header with a TLV not honoured: \"$out\""
wait_for 3 grep -q "^[0-9.]*	203.0.113.10:6666	tcp:2222	-	\[2001:db8:1::20\]:2222	ok" "$T_TMP/access3.log" ||
	fail "access log lacks the v2 header's client: $(cat "$T_TMP/access3.log")"
ok "PROXY v2 with a TLV: 203.0.113.10 embedded"

sni_stop
ok "SIGTERM: exit 0, no sanitizer report"
