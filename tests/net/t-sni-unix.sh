#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-sni's unix mode, snid's third mode: the back end is the UNIX socket
# named after the SNI name in the -unix-directory, else the wildcard one
# ("_" for the first label), with an optional PROXY v2 header.  Real
# back ends: nginx serving TLS on UNIX sockets; clients: curl over IPv4.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sni-topo.sh"

sni_topo
sni_cert
D=$T_TMP/sockets
P=$T_TMP/proxied
mkdir -p "$D" "$P" "$T_TMP/nginx-u"
cat >"$T_TMP/nginx-u.conf" <<EOC
daemon off;
master_process off;
worker_processes 1;
pid $T_TMP/nginx-u/pid;
error_log $T_TMP/nginx-u/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T_TMP/nginx-u;
	proxy_temp_path $T_TMP/nginx-u;
	fastcgi_temp_path $T_TMP/nginx-u;
	uwsgi_temp_path $T_TMP/nginx-u;
	scgi_temp_path $T_TMP/nginx-u;
	ssl_certificate $T_TMP/cert.pem;
	ssl_certificate_key $T_TMP/key.pem;
	server {
		listen unix:$D/www.example.test ssl;
		location / { return 200 "www socket via \$host\n"; }
	}
	server {
		listen unix:$D/_.example.test ssl;
		location / { return 200 "wildcard socket via \$host\n"; }
	}
	server {
		listen unix:$P/www.example.test ssl proxy_protocol;
		location / { return 200 "proxied socket via \$host pp=\$proxy_protocol_addr\n"; }
	}
}
EOC
bg NGINX_PID "$NS_V" nginx -c "$T_TMP/nginx-u.conf"
wait_for 20 test -S "$P/www.example.test" || fail "nginx did not start: $(cat "$T_TMP/nginx-u/error.log")"
# a socket nobody listens on any more
python3 -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" \
    "$D/stale.example.test"

sni_start -listen tcp:443 -mode unix -unix-directory "$D/"
bg SNI2_PID "$NS_V" "$BIN/edge-sni" -d -access-log "$T_TMP/access2.log" \
    -listen tcp:8443 -mode unix -unix-directory "$P" -proxy-proto \
    2>>"$T_TMP/sni.log"
wait_for 20 nsx "$NS_V" bash -c "exec 3<>/dev/tcp/$VPS4/8443" || fail "second edge-sni did not start"

out=$(ccurl -k --resolve www.example.test:443:$VPS4 https://WWW.Example.Test/) ||
	fail "curl through unix mode failed: $(cat "$T_TMP/sni.log")"
[ "$out" = "www socket via www.example.test" ] || fail "got: $out"
sni_logged "	$CLIENT4:[0-9]*	tcp:443	www.example.test	unix:$D/www.example.test	ok	[1-9]"
ok "unix mode: $D/www.example.test serves www.example.test"
# no NAT46 source to make: an IPv6 client is served too
out=$(nsx "$NS_H" curl -sS --max-time 10 -k --resolve "www.example.test:443:[2001:db8:ff::1]" \
    https://www.example.test/) || fail "IPv6 client in unix mode failed"
[ "$out" = "www socket via www.example.test" ] || fail "IPv6 client got: $out"
sni_logged "	\[2001:db8:ff::2\]:[0-9]*	tcp:443	www.example.test	unix:$D/www.example.test	ok	"
ok "unix mode: an IPv6 client is served (only nat46 refuses them)"

out=$(ccurl -k --resolve other.example.test:443:$VPS4 https://other.example.test/) ||
	fail "curl to the wildcard failed"
[ "$out" = "wildcard socket via other.example.test" ] || fail "got: $out"
sni_logged "	other.example.test	unix:$D/_.example.test	ok	"
ok "unix mode: no socket for other.example.test, the wildcard _.example.test serves it"

ccurl -k --resolve www.example.net:443:$VPS4 https://www.example.net/ >/dev/null 2>&1 &&
	fail "a name without a socket was served"
sni_logged "	www.example.net	-	no-address	"
grep -q "www.example.net: refused: no socket for it in $D" "$T_TMP/sni.log" ||
	fail "no log line for the missing socket"
ok "unix mode: neither the name's nor a wildcard socket: refused, logged"

ccurl -k --resolve stale.example.test:443:$VPS4 https://stale.example.test/ >/dev/null 2>&1 &&
	fail "a stale socket was served"
sni_logged "	stale.example.test	unix:$D/stale.example.test	connect-fail	"
ok "unix mode: a socket without a listener: connect-fail"

out=$(ccurl -k --resolve www.example.test:8443:$VPS4 https://www.example.test:8443/) ||
	fail "curl with -proxy-proto failed"
[ "$out" = "proxied socket via www.example.test pp=$CLIENT4" ] || fail "got: $out"
ok "unix mode with -proxy-proto: the back end learns the client $CLIENT4"

sni_stop
ok "SIGTERM: exit 0, no sanitizer report"
