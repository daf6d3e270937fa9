#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-sni(8)'s systemd example run as written: its ExecStartPre route
# line, then its ExecStart with edge-sni.conf(5)'s example file, as an
# unprivileged user holding the unit's capabilities and nothing else
# (DynamicUser emulated by nobody, LogsDirectory and RuntimeDirectory by
# directories it owns); every listener of the file serves.  Then the
# man page's counters example and the unit's ExecReload.  Last, systemd
# socket activation (LISTEN_FDS).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sni-topo.sh"

command -v setpriv >/dev/null || skip "setpriv is missing"
MAN=$TOP/man/edge-sni.8
sni_topo
sni_nginx

unit=$(sni_example "$MAN" 4)
key() { sed -n "s/^$1=//p" <<<"$unit"; }
[ "$(key CapabilityBoundingSet)" = CAP_NET_BIND_SERVICE ] &&
	[ "$(key AmbientCapabilities)" = CAP_NET_BIND_SERVICE ] &&
	[ "$(key DynamicUser)" = yes ] ||
	fail "the man page's unit is not a dynamic user with CAP_NET_BIND_SERVICE alone: $unit"
pre=$(key ExecStartPre)
[ "${pre:0:1}" = + ] || fail "ExecStartPre does not run privileged: $pre"
read -r -a pre <<<"${pre:1}"
[ "${pre[*]:1}" = "-6 route replace local $NAT46/96 dev lo" ] ||
	fail "the unit's route line changed: ${pre[*]}"

# LogsDirectory=edge-sni and RuntimeDirectory=edge-sni: owned by the user
LOGS=$T_TMP/log/$(key LogsDirectory)
RUN=$T_TMP/run/$(key RuntimeDirectory)
mkdir -p "$LOGS" "$RUN"
chown nobody: "$LOGS" "$RUN"
chmod 755 "$T_TMP" "$T_TMP/log" "$T_TMP/run"
# edge-sni.conf(5)'s example as /etc/edgekit/sni.conf
sni_example "$TOP/man/edge-sni.conf.5" 1 |
	sed -e "s,/var/log/edge-sni,$LOGS," -e "s,/run/edge-sni,$RUN," >"$T_TMP/sni.conf"
chmod 644 "$T_TMP/sni.conf"
grep -q '^User' "$T_TMP/sni.conf" && fail "the example file sets User under a DynamicUser unit"

# The example's back ends: nginx (443, 80), SSH on [2001:db8:1::22]:22
bg SSH_PID "$NS_H" socat TCP6-LISTEN:22,bind=[2001:db8:1::22],reuseaddr,fork \
    SYSTEM:'echo "SSH-2.0-test $SOCAT_PEERADDR"; exec cat'
wait_for 20 nsx "$NS_H" bash -c "exec 3<>/dev/tcp/2001:db8:1::22/22" || fail "socat did not start"

# ExecStartPre, with the topology's route taken away first
ip -n "$NS_V" -6 route del local $NAT46/96 dev lo
nsx "$NS_V" ip "${pre[@]:1}" || fail "ExecStartPre failed"
# ExecStart with the unit's capabilities, NoNewPrivileges
read -r -a cmd <<<"$(key ExecStart)"
[ "${cmd[0]}" = /usr/local/sbin/edge-sni ] || fail "ExecStart changed: ${cmd[*]}"
cmd[0]=$BIN/edge-sni
cmd=("${cmd[@]/#\/etc\/edgekit\/sni.conf/$T_TMP/sni.conf}")
cap=$(key AmbientCapabilities | tr 'A-Z' 'a-z'); cap=${cap#cap_}
nnp=; [ "$(key NoNewPrivileges)" = yes ] && nnp=--no-new-privs
echo "+ setpriv ... ${cmd[*]} -resolver 127.0.0.1"
bg SNI_PID "$NS_V" setpriv --reuid=nobody --regid=nogroup --clear-groups \
    --inh-caps=-all,+$cap --ambient-caps=-all,+$cap --bounding-set=-all,+$cap $nnp \
    "${cmd[@]}" -resolver 127.0.0.1 2>>"$T_TMP/sni.log"
wait_for 20 nsx "$NS_V" bash -c "exec 3<>/dev/tcp/$VPS4/443" ||
	fail "did not bind 443 with $cap alone: $(cat "$T_TMP/sni.log")"
grep -q '^CapEff:	0000000000000400$' "/proc/$SNI_PID/status" ||
	fail "unexpected capabilities: $(grep Cap "/proc/$SNI_PID/status")"
[ "$(stat -c %U "/proc/$SNI_PID")" = nobody ] || fail "not running as nobody"
ALOG=$LOGS/access.log

out=$(ccurl -k --resolve www.example.test:443:$VPS4 https://www.example.test/) || fail "curl 443 failed"
[ "$out" = "from $CLIENT_NAT46 via www.example.test pp=" ] || fail "443: backend saw $out"
out=$(ccurl --resolve www.example.test:80:$VPS4 http://www.example.test/) || fail "curl 80 failed"
[ "$out" = "from $CLIENT_NAT46 via www.example.test pp=" ] || fail "80: backend saw $out"
# 5432: the SSLRequest is answered "S" (psql through it: t-sni-modes.sh)
out=$(printf '\0\0\0\010\004\322\026\057' | nsx "$NS_C" timeout 5 socat -t 1 - TCP:$VPS4:5432 | head -c 1)
[ "$out" = S ] || fail "5432: SSLRequest answered \"$out\""
out=$( (sleep 0.5; echo hi; sleep 0.5) | nsx "$NS_C" timeout 10 socat -t 5 - TCP:$VPS4:2222)
[ "$out" = "$(printf 'SSH-2.0-test [0064:ff9b:0001:0000:0000:0000:c633:6402]\nhi')" ] ||
	fail "2222: got \"$out\""
ok "the man page's unit with edge-sni.conf(5)'s example: nobody with CAP_NET_BIND_SERVICE only; 443, 80, 5432 and 2222 serve, NAT46 source $CLIENT_NAT46"

# The counters example, a refusal first.  "systemctl kill -s USR1" is a
# signal to the main process: sent here by pid.
echo | nsx "$NS_C" timeout 5 openssl s_client -connect $VPS4:443 -noservername >/dev/null 2>&1 || true
mapfile -t ex < <(sni_example "$MAN" 5 | sni_cmd)
[ "${ex[0]}" = "systemctl kill -s USR1 edge-sni" ] || fail "the counters example changed: ${ex[0]}"
rm -f "$RUN/edge-sni.prom"
kill -USR1 "$SNI_PID"
wait_for 20 test -s "$RUN/edge-sni.prom" || fail "no statistics file after SIGUSR1"
out=$(bash -c "${ex[1]//\/run\/edge-sni/$RUN}") || fail "${ex[1]}: nothing"
echo "$out" | grep -q '^edge_sni_results_total{worker="0",result="ok"} [1-9]' ||
	fail "counters: $out"
wait_for 20 grep -q "	no-sni	" "$ALOG" || fail "the refusal is not logged: $(cat "$ALOG")"
# on a copy of the log: lines still coming (a probe's) don't race it
mkdir -p "$T_TMP/snap"
cp "$ALOG" "$T_TMP/snap/access.log"
out=$(bash -c "${ex[2]//\/var\/log\/edge-sni/$T_TMP/snap}")
all=$(wc -l <"$T_TMP/snap/access.log")
oks=$(cut -f 6 "$T_TMP/snap/access.log" | grep -c '^ok$')
[ "$(echo "$out" | wc -l)" -eq $((all - oks)) ] && [ "$oks" -ge 3 ] &&
	echo "$out" | grep -q "	tcp:443	-	-	no-sni	" &&
	! echo "$out" | cut -f 6 | grep -q '^ok$' ||
	fail "the refusals example printed: $out"
ok "counters example: SIGUSR1 writes the textfile, the awk line prints the $((all - oks)) refusals"

# ExecReload
reload=$(key ExecReload)
[ "$reload" = '/bin/kill -HUP $MAINPID' ] || fail "ExecReload changed: $reload"
# with a new listener below 1024: the ambient capability binds it
cat >>"$T_TMP/sni.conf" <<EOC

[Listener]
Listen = tcp:993
Mode = static
Backend = [2001:db8:1::22]:22
Nat46Prefix = $NAT46
EOC
MAINPID=$SNI_PID bash -c "$reload"
wait_for 20 grep -q "configuration reloaded, 5 listener" "$T_TMP/sni.log" ||
	fail "ExecReload did not reload: $(cat "$T_TMP/sni.log")"
grep -q "cannot listen" "$T_TMP/sni.log" && fail "the reload could not bind 993: $(cat "$T_TMP/sni.log")"
out=$( (sleep 0.5; echo hi; sleep 0.5) | nsx "$NS_C" timeout 10 socat -t 5 - TCP:$VPS4:993)
[ "$out" = "$(printf 'SSH-2.0-test [0064:ff9b:0001:0000:0000:0000:c633:6402]\nhi')" ] ||
	fail "993 after the reload: got \"$out\""
ccurl -k --resolve www.example.test:443:$VPS4 https://www.example.test/ >/dev/null ||
	fail "not serving after the reload"
ok "ExecReload: reloaded as nobody, still serving, and a new listener on port 993 bound"

# Socket activation: systemd hands over the listening socket (LISTEN_FDS)
if command -v systemd-socket-activate >/dev/null; then
	bg ACT_PID "$NS_V" systemd-socket-activate -l $VPS4:8443 \
	    "$BIN/edge-sni" -d -resolver 127.0.0.1 -access-log "$T_TMP/act.log" \
	    -listen tcp:8443 -backend-port 443 -mode nat46 -nat46-prefix $NAT46 \
	    -backend-cidr 2001:db8:1::/64 2>>"$T_TMP/act.err"
	wait_for 20 nsx "$NS_V" bash -c "ss -Hltn 'sport = :8443' | grep -q 8443" ||
		fail "systemd-socket-activate did not listen"
	out=$(ccurl -k --resolve www.example.test:8443:$VPS4 https://www.example.test:8443/) ||
		fail "curl through a socket-activated edge-sni failed: $(cat "$T_TMP/act.err")"
	[ "$out" = "from $CLIENT_NAT46 via www.example.test pp=" ] || fail "backend saw: $out"
	ok "socket activation: the inherited socket serves"
fi

# snid's "-listen fd:N": a listening socket left open for it, shared by
# two workers; a number that is no listening socket is a usage error.
bg FD_PID "$NS_V" python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(128)
os.dup2(s.fileno(), 5)
os.execv(sys.argv[3], sys.argv[3:])' $VPS4 8445 "$BIN/edge-sni" -d -j 2 \
    -resolver 127.0.0.1 -access-log "$T_TMP/fd.log" -listen proxy:fd:5 \
    -backend-port 443 -nat46-prefix $NAT46 -backend-cidr 2001:db8:1::/64 \
    2>>"$T_TMP/fd.err"
wait_for 20 sh -c "[ \$(grep -c 'listener(s)' '$T_TMP/fd.err') -eq 2 ]" ||
	fail "edge-sni -listen fd:5 did not start: $(cat "$T_TMP/fd.err")"
# curl's --haproxy-protocol sends the PROXY v1 header "proxy:" expects
for i in 1 2 3 4; do
	out=$(ccurl --haproxy-protocol -k --resolve www.example.test:8445:$VPS4 \
	    https://www.example.test:8445/) || fail "curl to fd:5 failed: $(cat "$T_TMP/fd.err")"
	[ "$out" = "from $CLIENT_NAT46 via www.example.test pp=" ] || fail "fd:5: backend saw $out"
done
wait_for 20 sh -c "[ \$(grep -c '	proxy:fd:5	www.example.test	.*	ok	' '$T_TMP/fd.log') -eq 4 ]" ||
	fail "fd:5: $(cat "$T_TMP/fd.log")"
set +e
nsx "$NS_V" "$BIN/edge-sni" -n -listen fd:9 -nat46-prefix $NAT46 \
    -backend-cidr 2001:db8:1::/64 2>"$T_TMP/fd9.err"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q '"fd:9": not a listening TCP socket' "$T_TMP/fd9.err" ||
	fail "-listen fd:9 (closed): rc $rc, $(cat "$T_TMP/fd9.err")"
ok "-listen proxy:fd:5: an inherited socket shared by two workers, PROXY header first; fd:9 refused"
