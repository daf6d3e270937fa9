#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-sni as scripts/edge-sni.service runs it: an unprivileged user with
# CAP_NET_BIND_SERVICE and nothing else binds port 443 and still connects
# from NAT46 sources (IPV6_FREEBIND needs no capability); the unit's
# ExecStartPre route line is the one the forwarding depends on.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sni-topo.sh"

command -v setpriv >/dev/null || skip "setpriv is missing"
unit=$TOP/scripts/edge-sni.service
grep -q '^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$' "$unit" ||
	fail "the unit's capability set changed"
route=$(sed -n 's/^ExecStartPre=+\/sbin\/ip \(.*\)$/\1/p' "$unit")
[ -n "$route" ] || fail "the unit lost its local route line"

sni_topo
sni_nginx
# Take the route the topology made away; the unit's line must put it back.
ip -n "$NS_V" -6 route del local $NAT46/96 dev lo
nsx "$NS_V" ip $route
chmod 755 "$T_TMP"
touch "$T_TMP/access.log"; chmod 666 "$T_TMP/access.log"
bg SNI_PID "$NS_V" setpriv --reuid=nobody --regid=nogroup --clear-groups \
    --inh-caps=-all,+net_bind_service --ambient-caps=-all,+net_bind_service \
    --bounding-set=-all,+net_bind_service --no-new-privs \
    "$BIN/edge-sni" -d -resolver 127.0.0.1 -access-log "$T_TMP/access.log" \
    -listen tcp:443 -mode nat46 -nat46-prefix $NAT46 \
    -backend-cidr 2001:db8:1::/64 2>>"$T_TMP/sni.log"
wait_for 3 nsx "$NS_V" bash -c "exec 3<>/dev/tcp/$VPS4/443" ||
	fail "did not bind 443 with CAP_NET_BIND_SERVICE alone: $(cat "$T_TMP/sni.log")"
grep -q '^CapEff:	0000000000000400$' "/proc/$SNI_PID/status" ||
	fail "unexpected capabilities: $(grep Cap "/proc/$SNI_PID/status")"
[ "$(stat -c %U "/proc/$SNI_PID")" = nobody ] || fail "not running as nobody"
out=$(ccurl -k --resolve www.example.test:443:$VPS4 https://www.example.test/) ||
	fail "curl failed"
[ "$out" = "from $CLIENT_NAT46 via www.example.test pp=" ] || fail "backend saw: $out"
ok "nobody with CAP_NET_BIND_SERVICE only: port 443, NAT46 source $CLIENT_NAT46"

# Socket activation: systemd hands over the listening socket (LISTEN_FDS)
if command -v systemd-socket-activate >/dev/null; then
	bg ACT_PID "$NS_V" systemd-socket-activate -l $VPS4:8443 \
	    "$BIN/edge-sni" -d -resolver 127.0.0.1 -access-log "$T_TMP/act.log" \
	    -listen tcp:8443 -backend-port 443 -mode nat46 -nat46-prefix $NAT46 \
	    -backend-cidr 2001:db8:1::/64 2>>"$T_TMP/act.err"
	wait_for 3 nsx "$NS_V" bash -c "ss -Hltn 'sport = :8443' | grep -q 8443" ||
		fail "systemd-socket-activate did not listen"
	out=$(ccurl -k --resolve www.example.test:8443:$VPS4 https://www.example.test:8443/) ||
		fail "curl through a socket-activated edge-sni failed: $(cat "$T_TMP/act.err")"
	[ "$out" = "from $CLIENT_NAT46 via www.example.test pp=" ] || fail "backend saw: $out"
	ok "socket activation: the inherited socket serves"
fi
