# SPDX-License-Identifier: ISC
#
# The edge-sni test network, sourced by tests/net/t-sni-*.sh after lib.sh:
#
#   client (198.51.100.2) --v4-- vps (198.51.100.1, edge-sni, dnsmasq)
#                                 |  2001:db8:ff::1
#                                 +--v6 only-- home (2001:db8:ff::2)
#                                              services on 2001:db8:1::/64
#
# The vps routes 2001:db8:1::/64 to home and has the local route for the
# NAT46 prefix 64:ff9b:1::/96; home routes that prefix back to the vps.
# dnsmasq in the vps answers for *.example.test (and the man pages'
# www.example.net) on 127.0.0.1:53.
#
# sni_example FILE N prints the Nth literal display of man page FILE, and
# sni_readme the indented lines of README's edge-sni section, so that the
# tests run the examples as they are written.

NAT46=64:ff9b:1::
CLIENT4=198.51.100.2
VPS4=198.51.100.1
WWW6=2001:db8:1::10
# README's home server, in 2001:db8:1:0:1::/80
SRV1=2001:db8:1:0:1::11
# The client's address as the backend sees it.
CLIENT_NAT46=64:ff9b:1::c633:6402

sni_topo() {
	ns_make NS_C cl
	ns_make NS_V vps
	ns_make NS_H home
	veth "$NS_C" eth0 "$NS_V" eth0
	veth "$NS_V" eth1 "$NS_H" eth0
	ip -n "$NS_C" addr add $CLIENT4/24 dev eth0
	ip -n "$NS_V" addr add $VPS4/24 dev eth0
	ip -n "$NS_V" -6 addr add 2001:db8:ff::1/64 dev eth1 nodad
	ip -n "$NS_H" -6 addr add 2001:db8:ff::2/64 dev eth0 nodad
	ip -n "$NS_H" -6 addr add $WWW6/128 dev lo
	ip -n "$NS_H" -6 addr add 2001:db8:1::20/128 dev lo
	ip -n "$NS_H" -6 addr add 2001:db8:2::10/128 dev lo
	# the examples' hosts: README's srv1, edge-sni.conf(5)'s SSH server
	ip -n "$NS_H" -6 addr add $SRV1/128 dev lo
	ip -n "$NS_H" -6 addr add 2001:db8:1::22/128 dev lo
	ip -n "$NS_V" -6 route add 2001:db8:1::/64 via 2001:db8:ff::2
	ip -n "$NS_V" -6 route add 2001:db8:2::/64 via 2001:db8:ff::2
	ip -n "$NS_H" -6 route add $NAT46/96 via 2001:db8:ff::1
	# a back end that never answers: SYNs vanish without an ICMP error
	ip -n "$NS_H" -6 route add blackhole 2001:db8:1::99/128
	ip -n "$NS_V" -6 route add local $NAT46/96 dev lo
	nsx "$NS_V" sysctl -qw net.ipv6.conf.all.forwarding=1
	# Resolve the neighbours now, not on the first proxied SYN.
	nsx "$NS_V" ping -6 -c1 -W2 2001:db8:ff::2 >/dev/null || true
	nsx "$NS_C" ping -c1 -W2 $VPS4 >/dev/null || true
	# home has no IPv4 at all
	nsx "$NS_H" sysctl -qw net.ipv4.conf.all.disable_policy=1 || true

	cat >"$T_TMP/dnsmasq.conf" <<EOC
port=53
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
local=/example.test/
local-ttl=60
user=root
host-record=www.example.test,$WWW6
host-record=web2.example.test,$WWW6
host-record=db.example.test,2001:db8:1::20
host-record=ssh.example.test,2001:db8:1::20
host-record=outside.example.test,2001:db8:2::10
host-record=loop.example.test,::1
host-record=ll.example.test,fe80::1
host-record=intoprefix.example.test,64:ff9b:1::1
host-record=v4only.example.test,203.0.113.7
host-record=dual.example.test,203.0.113.7,2001:db8:2::10
host-record=dual2.example.test,203.0.113.7,2001:db8:1::20
host-record=dead.example.test,2001:db8:1::99
host-record=www.example.net,$WWW6
host-record=srv1.example.test,$SRV1
EOC
	bg DNSMASQ_PID "$NS_V" dnsmasq -k -C "$T_TMP/dnsmasq.conf" \
	    --pid-file="$T_TMP/dnsmasq.pid" --log-facility=- 2>"$T_TMP/dnsmasq.log"
	wait_for 20 nsx "$NS_V" bash -c 'exec 3<>/dev/tcp/127.0.0.1/53' ||
		fail "dnsmasq did not start"
}

# A certificate for *.example.test.
sni_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T_TMP/key.pem" -out "$T_TMP/cert.pem" -days 1 \
	    -subj /CN=www.example.test \
	    -addext "subjectAltName=DNS:*.example.test" 2>/dev/null
}

# nginx on home: TLS on [2001:db8:1::10]:443 and plain HTTP on :80, both
# answering with the address they see the client come from.
sni_nginx() {
	sni_cert
	mkdir -p "$T_TMP/nginx"
	cat >"$T_TMP/nginx.conf" <<EOC
daemon off;
master_process off;
worker_processes 1;
pid $T_TMP/nginx/pid;
error_log $T_TMP/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log $T_TMP/nginx/access.log;
	client_body_temp_path $T_TMP/nginx;
	proxy_temp_path $T_TMP/nginx;
	fastcgi_temp_path $T_TMP/nginx;
	uwsgi_temp_path $T_TMP/nginx;
	scgi_temp_path $T_TMP/nginx;
	server {
		listen [$WWW6]:443 ssl;
		listen [$WWW6]:80;
		listen [$WWW6]:8443 ssl proxy_protocol;
		listen [$SRV1]:443 ssl;
		listen [$SRV1]:80;
		ssl_certificate $T_TMP/cert.pem;
		ssl_certificate_key $T_TMP/key.pem;
		location / { return 200 "from \$remote_addr via \$host pp=\$proxy_protocol_addr\n"; }
		location /big { alias $T_TMP/big; }
	}
}
EOC
	bg NGINX_PID "$NS_H" nginx -c "$T_TMP/nginx.conf"
	wait_for 20 nsx "$NS_H" bash -c "exec 3<>/dev/tcp/$WWW6/443" ||
		fail "nginx did not start"
}

# edge-sni in the vps; extra arguments as given.  Access log in
# $T_TMP/access.log, messages in $T_TMP/sni.log.
# SNI_WRAP runs it under a tool, e.g.
#   SNI_WRAP="valgrind -q --error-exitcode=99 --leak-check=full"
sni_start() {
	local n
	n=$(grep -c "listener(s)" "$T_TMP/sni.log" 2>/dev/null || true)
	# shellcheck disable=SC2086
	bg SNI_PID "$NS_V" ${SNI_WRAP:-} "$BIN/edge-sni" -d -v -resolver 127.0.0.1 \
	    -access-log "$T_TMP/access.log" "$@" 2>>"$T_TMP/sni.log"
	# Ready once the worker has its listeners ("worker 0: 1 listener(s)")
	wait_for 30 sh -c "[ \$(grep -c 'listener(s)' '$T_TMP/sni.log') -gt ${n:-0} ]" ||
		{ cat "$T_TMP/sni.log"; fail "edge-sni did not start"; }
}

# Wait for an access-log line matching a pattern (the log is flushed
# every second).
sni_logged() {
	wait_for 20 grep -q -- "$1" "$T_TMP/access.log" || {
		echo "--- access.log"; cat "$T_TMP/access.log" 2>/dev/null
		echo "--- sni.log"; cat "$T_TMP/sni.log"
		fail "no access-log line matching: $1"
	}
}

ccurl() { nsx "$NS_C" curl -sS --max-time 5 "$@"; }

sni_example() {
	awk -v want="$2" '/^\.Bd -literal/ { n++; inb = 1; next }
	    /^\.Ed/ { inb = 0; next } inb && n == want' "$1" |
	    sed -e 's/\\e/\\/g' -e 's/\\&//g'
}

sni_readme() {
	awk '/^### edge-sni/ { inb = 1; next } /^###/ { inb = 0 }
	    inb && /^    / { print substr($0, 5) }' "$TOP/README"
}

# sni_cmd: shell lines on stdin, prompts ("# ", "$ ") dropped and "\"
# continuations joined, one command a line.
sni_cmd() {
	sed -e 's/^[#$] //' | sed -e ':a' -e '/\\$/{N;s/\\\n *//;ba' -e '}'
}

# sni_stop: SIGTERM to edge-sni ($SNI_PID) and wait: it must exit 0 with no
# sanitizer report in $T_TMP/sni.log, where its workers' reports land too
# (a worker's failure does not change the parent's status).
sni_stop() {
	local rc=0
	kill "$SNI_PID"
	wait "$SNI_PID" || rc=$?
	[ $rc -eq 0 ] || fail "edge-sni exited $rc on SIGTERM: $(tail -n 20 "$T_TMP/sni.log")"
	if grep -q "Sanitizer\|runtime error:" "$T_TMP/sni.log"; then
		grep -A 20 "Sanitizer\|runtime error:" "$T_TMP/sni.log" | head -n 40
		fail "sanitizer report from edge-sni"
	fi
}
