#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-sni started as root with a configuration file and User = nobody:
# after the change of user it holds CAP_NET_BIND_SERVICE and nothing else
# (permitted, effective and bounding sets), in every worker, so a SIGHUP
# that adds a listener on port 80 opens it; started without a file it
# keeps no capability at all.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sni-topo.sh"

sni_topo
sni_nginx
CONF=$T_TMP/edge-sni.conf
cat >"$CONF" <<EOC
[Global]
User = nobody
Workers = 2
Stats = $T_TMP/st/sni.prom

[Listener]
Listen = tcp:443
Nat46Prefix = $NAT46
BackendCIDR = 2001:db8:1::/64
EOC
chmod 755 "$T_TMP"
chmod 644 "$CONF"
: >"$T_TMP/access.log"
chmod 666 "$T_TMP/access.log"
# The statistics files are written after the drop: a directory of nobody's.
mkdir -m 755 "$T_TMP/st"
chown nobody "$T_TMP/st"
sni_start -f "$CONF"

# caps PID: "uid CapPrm CapEff CapBnd" of a process
caps() {
	awk '/^Uid:/ { u = $2 } /^CapPrm:/ { p = $2 } /^CapEff:/ { e = $2 }
	    /^CapBnd:/ { b = $2 } END { print u, p, e, b }' "/proc/$1/status"
}
want="65534 0000000000000400 0000000000000400 0000000000000400"
# bg runs "ip netns exec", which execs edge-sni: SNI_PID is the parent.
workers=$(pgrep -P "$SNI_PID" -x edge-sni) || fail "no workers under $SNI_PID"
[ "$(echo "$workers" | wc -l)" -eq 2 ] || fail "not two workers: $workers"
for p in "$SNI_PID" $workers; do
	[ "$(caps "$p")" = "$want" ] ||
		fail "process $p: uid/CapPrm/CapEff/CapBnd $(caps "$p"), want $want"
done
out=$(ccurl -k --resolve www.example.test:443:$VPS4 https://www.example.test/) ||
	fail "curl to 443 failed"
[ "$out" = "from $CLIENT_NAT46 via www.example.test pp=" ] || fail "backend saw: $out"
ok "as nobody with CAP_NET_BIND_SERVICE alone, in the parent and both workers"
kill -USR1 "$SNI_PID"
for w in 0 1; do
	wait_for 5 test -s "$T_TMP/st/sni-w$w.prom" ||
		fail "worker $w wrote no statistics file in nobody's directory"
	[ "$(stat -c %U "$T_TMP/st/sni-w$w.prom")" = nobody ] ||
		fail "sni-w$w.prom is $(stat -c %U "$T_TMP/st/sni-w$w.prom")'s, not nobody's"
done
ok "the statistics files are created as nobody (opened after the drop)"

# A reload adds a listener below 1024: each worker binds it as nobody.
cat >>"$CONF" <<EOC

[Listener]
Listen = tcp:80
Protocol = http
Nat46Prefix = $NAT46
BackendCIDR = 2001:db8:1::/64
EOC
kill -HUP "$SNI_PID"
wait_for 20 sh -c "[ \$(grep -c 'configuration reloaded, 2 listener' '$T_TMP/sni.log') -ge 2 ]" ||
	fail "not reloaded by both workers: $(cat "$T_TMP/sni.log")"
grep -q "cannot listen" "$T_TMP/sni.log" && fail "reload could not bind: $(cat "$T_TMP/sni.log")"
[ "$(nsx "$NS_V" ss -Hltn 'sport = :80' | wc -l)" -eq 2 ] ||
	fail "port 80 is not bound by both workers: $(nsx "$NS_V" ss -Hltnp)"
out=$(ccurl http://www.example.test/ --resolve www.example.test:80:$VPS4) ||
	fail "curl to the new port 80 failed"
[ "$out" = "from $CLIENT_NAT46 via www.example.test pp=" ] || fail "backend saw: $out"
ok "SIGHUP after the drop to nobody: port 80 bound by both workers and serving"

# Without a file nothing can add a listener: no capability is kept.
bg SNI2_PID "$NS_V" "$BIN/edge-sni" -d -u nobody -resolver 127.0.0.1 -a '' \
    -listen tcp:8443 -backend-port 443 -nat46-prefix $NAT46 \
    -backend-cidr 2001:db8:1::/64 2>"$T_TMP/sni2.log"
wait_for 20 grep -q "listener(s)" "$T_TMP/sni2.log" || fail "second edge-sni did not start"
[ "$(caps "$SNI2_PID" | cut -d' ' -f1-3)" = "65534 0000000000000000 0000000000000000" ] ||
	fail "without -f: $(caps "$SNI2_PID")"
out=$(ccurl -k --resolve www.example.test:8443:$VPS4 https://www.example.test:8443/) ||
	fail "curl to 8443 failed"
ok "without -f: nobody with no capability at all"

sni_stop
ok "SIGTERM: exit 0, no sanitizer report"

# Started unprivileged with no capability at all: a reload that adds a
# port below 1024 says so, and the running listeners serve on.
cat >"$T_TMP/np.conf" <<EOC
[Listener]
Listen = tcp:8444
BackendPort = 443
Nat46Prefix = $NAT46
BackendCIDR = 2001:db8:1::/64
EOC
chmod 644 "$T_TMP/np.conf"
bg SNI_PID "$NS_V" setpriv --reuid=nobody --regid=nogroup --clear-groups \
    --inh-caps=-all --bounding-set=-all "$BIN/edge-sni" -d -resolver 127.0.0.1 \
    -a '' -f "$T_TMP/np.conf" 2>"$T_TMP/sni.log"
wait_for 20 grep -q "listener(s)" "$T_TMP/sni.log" || fail "unprivileged edge-sni did not start"
printf '\n[Listener]\nListen = tcp:81\nProtocol = http\nNat46Prefix = %s\nBackendCIDR = 2001:db8:1::/64\n' \
    $NAT46 >>"$T_TMP/np.conf"
kill -HUP "$SNI_PID"
wait_for 20 grep -q "tcp:81: cannot listen: Permission denied" "$T_TMP/sni.log" ||
	fail "no line for the port it cannot bind: $(cat "$T_TMP/sni.log")"
out=$(ccurl -k --resolve www.example.test:8444:$VPS4 https://www.example.test:8444/) ||
	fail "the old listener stopped serving"
[ "$out" = "from $CLIENT_NAT46 via www.example.test pp=" ] || fail "backend saw: $out"
ok "no capability: a reload adding port 81 logs \"cannot listen: Permission denied\", 8444 serves on"
sni_stop
