#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Scenario "IPv6 for every service": a home whose servers have only
# addresses from a /80 routed down the tunnel by an endpoint node (the lab
# of scripts/lab).  IPv6 clients reach the servers directly and the
# replies are policy-routed back up the tunnel; IPv4 clients reach them
# through edge-sni on the node, with their address embedded (NAT46): HTTPS
# by SNI (curl), TLS PostgreSQL (psql sslmode=require to a real postgres),
# and plain HTTP by Host, so that an ACME HTTP-01 challenge reaches the
# server that asked for the certificate.
#
#   client4 --\                       /-- srv1 www   (nginx)
#   client6 ---inet--- vps ==wg== home--- srv2 blog, db (nginx, postgres)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
sc_need edge-tunnel edge-sni
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PGBIN/postgres" ] || skip "postgresql is not installed"

lab_up
lab_tunnel_conf
SC_TUN+=("$TUN_VPS" "$TUN_HOME")
sc_tunnel "$(lab_ns vps)" "$LAB_TMP/vps/$TUN_VPS.conf"
sc_tunnel "$(lab_ns home)" "$LAB_TMP/home/$TUN_HOME.conf"

# The tunnel: the /80 is routed down it, the replies come back by the rule.
sc_wait 10 lx client6 ping -c 1 -W 1 $V6_SRV1 ||
	fail "IPv6 client cannot reach $V6_SRV1 through the tunnel"
lx vps ip -6 route get $V6_SRV2 | grep -q "dev $TUN_VPS" ||
	fail "the VPS does not route the /80 down the tunnel: $(lx vps ip -6 route get $V6_SRV2)"
lx home ip -6 route get $V6_CLIENT from $V6_SRV1 iif lan0 | grep -q "dev $TUN_HOME" ||
	fail "replies from the /80 do not take the tunnel"
lx home ip -6 rule | grep -q "from $V6_HOME lookup 100 proto 201" ||
	fail "no policy rule for the /80: $(lx home ip -6 rule)"
lx home ip -4 route show default | grep -q "via $V4_PRIMARY_GW dev wan0" ||
	fail "the home router lost its own default route"
ok "the /80 is routed down the tunnel; replies are policy-routed back (table 100)"

# Services: nginx on both servers, postgres on srv2, names in the VPS.
lab_certs
lab_nginx srv1 "www on srv1"
lab_nginx srv2 "blog on srv2"
lab_dns "db.home.example,$V6_SRV2"
PGD=$T_TMP/pg
mkdir -p "$PGD"
chown postgres: "$PGD"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGD/data" -A trust >/dev/null 2>&1 ||
	fail "initdb failed"
install -o postgres -m 600 "$LAB_TMP/cert.pem" "$LAB_TMP/key.pem" "$PGD/"
printf 'hostssl all all ::/0 trust\nlocal all all trust\n' > "$PGD/data/pg_hba.conf"
bg PG_PID "$(lab_ns srv2)" setpriv --reuid=postgres --regid=postgres \
    --init-groups "$PGBIN/postgres" -D "$PGD/data" \
    -c listen_addresses=$V6_SRV2 -c port=5432 -c ssl=on \
    -c ssl_cert_file="$PGD/cert.pem" -c ssl_key_file="$PGD/key.pem" \
    -c unix_socket_directories="$PGD" -c logging_collector=off \
    -c fsync=off 2>"$T_TMP/pg.log"
lx vps ip -6 route add local ${NAT46}/96 dev lo
bg SNI_PID "$(lab_ns vps)" "$BIN/edge-sni" -d -resolver 127.0.0.53 \
    -listen tcp:443 -http-listen tcp:80 -postgres-listen tcp:5432 \
    -mode nat46 -nat46-prefix $NAT46 -backend-cidr $V6_HOME \
    -access-log "$T_TMP/access.log" 2>"$T_TMP/sni.log"
sc_wait 5 lx srv1 bash -c "exec 3<>/dev/tcp/$V6_SRV1/443" || fail "nginx on srv1 did not start"
sc_wait 5 lx srv2 bash -c "exec 3<>/dev/tcp/$V6_SRV2/443" || fail "nginx on srv2 did not start"
sc_wait 5 lx vps bash -c "exec 3<>/dev/tcp/$V4_VPS/443" || fail "edge-sni did not start"
sc_wait 10 lx srv2 runuser -u postgres -- "$PGBIN/pg_isready" -q -h "$PGD" ||
	fail "postgres did not start: $(cat "$T_TMP/pg.log")"

# The client's IPv4 address as the servers see it.
SRC46=$(printf '%s%x:%x' "$NAT46" $((192 * 256 + 0)) $((2 * 256 + 10)))

# IPv6 clients directly: the server sees the client itself.
out=$(lx client6 curl -sS -m 5 --cacert "$LAB_TMP/cert.pem" \
    --resolve "www.home.example:443:[$V6_SRV1]" https://www.home.example/ 2>&1)
[ "$out" = "www on srv1" ] || fail "IPv6 client to www: $out"
sc_wait 3 grep -q "^$V6_CLIENT " "$LAB_TMP/nginx-srv1/access.log" ||
	fail "srv1 did not see $V6_CLIENT: $(cat "$LAB_TMP/nginx-srv1/access.log")"
ok "IPv6 client -> https://www.home.example/ directly, srv1 saw $V6_CLIENT"

# IPv4 clients, HTTPS through edge-sni by SNI, certificates verified.
for s in "www srv1" "blog srv2"; do
	set -- $s
	out=$(lx client4 curl -sS -m 5 --cacert "$LAB_TMP/cert.pem" \
	    --resolve "$1.home.example:443:$V4_VPS" "https://$1.home.example/" 2>&1)
	[ "$out" = "$1 on $2" ] || fail "IPv4 client to https://$1.home.example/: $out"
	sc_wait 3 grep -q "^$SRC46 .*\"GET / " "$LAB_TMP/nginx-$2/access.log" ||
		fail "$2 did not log $SRC46: $(cat "$LAB_TMP/nginx-$2/access.log")"
done
ok "IPv4 client -> https://www|blog.home.example/ via the VPS: the right server answered, saw $SRC46"

# TLS PostgreSQL: psql asks for TLS, edge-sni routes by the SNI libpq sends.
out=$(lx client4 timeout 10 psql -XAt \
    "host=db.home.example hostaddr=$V4_VPS port=5432 sslmode=require user=postgres dbname=postgres" \
    -c "select inet_client_addr(), ssl, inet_server_addr() from pg_stat_ssl where pid = pg_backend_pid()" 2>&1) ||
	fail "psql sslmode=require through edge-sni failed: $out"
[ "$out" = "$SRC46|t|$V6_SRV2" ] || fail "postgres saw: $out (expected $SRC46|t|$V6_SRV2)"
ok "psql sslmode=require -> db.home.example via the VPS: postgres on srv2 saw $SRC46 over TLS"

# ACME HTTP-01 over IPv4: the challenge reaches the server that asked.
TOKEN=Zm9vYmFyLXRva2VuLTEyMzQ
echo "$TOKEN.thumbprint-of-blog" > "$LAB_TMP/nginx-srv2/acme/.well-known/acme-challenge/$TOKEN"
out=$(lx client4 curl -sS -m 5 --resolve "blog.home.example:80:$V4_VPS" \
    "http://blog.home.example/.well-known/acme-challenge/$TOKEN" 2>&1)
[ "$out" = "$TOKEN.thumbprint-of-blog" ] || fail "ACME challenge for blog: $out"
grep -q "^$SRC46 .*GET /.well-known/acme-challenge/$TOKEN HTTP/1.1\" 200" \
    "$LAB_TMP/nginx-srv2/access.log" || fail "srv2 did not log the challenge"
code=$(lx client4 curl -sS -m 5 -o /dev/null -w '%{http_code}' \
    --resolve "www.home.example:80:$V4_VPS" \
    "http://www.home.example/.well-known/acme-challenge/$TOKEN" 2>&1)
[ "$code" = 404 ] || fail "the challenge for www was not answered by srv1 (HTTP $code)"
ok "GET /.well-known/acme-challenge/TOKEN over IPv4 by Host: blog's on srv2 (200), www's on srv1 (404)"

# edge-sni's own record of the three kinds of connection.
sc_wait 3 grep -q "	tcp:5432	db.home.example	\[$V6_SRV2\]:5432	" "$T_TMP/access.log" ||
	fail "edge-sni did not log the postgres connection: $(cat "$T_TMP/access.log")"
sc_wait 3 grep -q "	tcp:80	blog.home.example	\[$V6_SRV2\]:80	ok	" "$T_TMP/access.log" ||
	fail "edge-sni did not log the HTTP request: $(cat "$T_TMP/access.log")"
for e in "vps $LAB_TMP/vps/$TUN_VPS.conf" "home $LAB_TMP/home/$TUN_HOME.conf"; do
	set -- $e
	lx "$1" "$BIN/edge-tunnel" diff "$2" > "$T_TMP/plan" ||
		fail "edge-tunnel diff on $1: $(cat "$T_TMP/plan")"
done
ok "edge-sni logged every connection; both tunnel ends in step with their files"
