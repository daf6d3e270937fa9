#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-sni under stress: hundreds of clients trickling a ClientHello one
# byte a second don't stop new clients being served and are closed at the
# hello timeout; running out of descriptors pauses accepting without
# spinning and recovers; the connection cap holds; two SO_REUSEPORT
# workers under an unprivileged user.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sni-topo.sh"

SLOW="python3 $(dirname "$0")/sni-slow.py"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

sni_topo
sni_nginx
touch "$T_TMP/access.log"
chmod 666 "$T_TMP/access.log"
chmod 755 "$T_TMP"
sni_start -listen tcp:443 -mode nat46 -nat46-prefix $NAT46 \
    -backend-cidr 2001:db8:1::/64 -hello-timeout 10 -j 2 -u nobody
pgrep -P "$SNI_PID" >/dev/null || true
[ "$(ps -o user= --ppid "$SNI_PID" | sort -u | tr -d ' ')" = nobody ] ||
	fail "workers do not run as nobody: $(ps -o user=,pid= --ppid "$SNI_PID")"
ok "two workers, privileges dropped to nobody"

# 400 slow clients
bg SLOW_PID "$NS_C" $SLOW $VPS4 443 400 1 >"$T_TMP/slow.out"
wait_for 30 grep -q open "$T_TMP/slow.out" || fail "slow clients did not connect"
t0=$(date +%s%N)
for i in $(seq 20); do
	ccurl -k --max-time 10 --resolve www.example.test:443:$VPS4 \
	    https://www.example.test/ >/dev/null || fail "curl $i failed behind slow clients"
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# No wall-clock bound: the requests must be served while the slow clients
# still hold their connections (their 10 s hello timeout not yet reached).
# A machine so busy that they were cut first cannot tell.
if [ "$(grep -c '	hello-timeout	' "$T_TMP/access.log")" -eq 0 ] && [ $ms -lt 9000 ]; then
	ok "400 trickling clients held: 20 new requests served in $ms ms"
else
	echo "busy machine: the slow clients were cut before 20 requests ended ($ms ms): not conclusive"
fi
# and they are all cut at the hello timeout
wait_for 30 sh -c "[ \$(grep -c '	hello-timeout	' '$T_TMP/access.log') -ge 400 ]" ||
	fail "slow clients not closed at the hello timeout: $(grep -c '	hello-timeout	' "$T_TMP/access.log")"
ok "400 hello-timeout lines"
kill "$SLOW_PID"
sni_stop
[ "$(grep -c '	ok	' "$T_TMP/access.log")" -eq 20 ] || fail "not 20 ok lines"
! grep -qv '^[0-9]*\.[0-9]*	[^	]*	[^	]*	[^	]*	[^	]*	[^	]*	[0-9]*	[0-9]*	[0-9]*$' "$T_TMP/access.log" ||
	fail "torn access-log lines from two workers"
ok "two workers, one access log, no torn lines"

# Out of descriptors: 64 allowed, 100 slow clients.  Accepting pauses
# (no spinning), and resumes when they go.
: >"$T_TMP/access.log"
started=$(grep -c "listener(s)" "$T_TMP/sni.log")
bg SNI_PID "$NS_V" bash -c "ulimit -n 64 && exec '$BIN/edge-sni' -d -resolver 127.0.0.1 \
    -access-log '$T_TMP/access.log' -listen tcp:443 -mode nat46 \
    -nat46-prefix $NAT46 -backend-cidr 2001:db8:1::/64 -hello-timeout 30 \
    -max-conns 1000" 2>>"$T_TMP/sni.log"
wait_for 20 sh -c "[ \$(grep -c 'listener(s)' '$T_TMP/sni.log') -gt $started ]" ||
	fail "edge-sni (64 descriptors) did not start"
bg SLOW_PID "$NS_C" $SLOW $VPS4 443 100 1 >"$T_TMP/slow2.out"
wait_for 30 grep -q open "$T_TMP/slow2.out" || fail "slow clients did not connect"
sleep 0.5
c0=$(cpu_ticks "$SNI_PID")
ccurl -k --max-time 1 --resolve www.example.test:443:$VPS4 \
    https://www.example.test/ >/dev/null 2>&1 && fail "served with no descriptors left?"
sleep 2
c1=$(cpu_ticks "$SNI_PID")
[ $((c1 - c0)) -le 20 ] || fail "spinning while out of descriptors: $((c1 - c0)) ticks in 3 s"
grep -q "accept (paused" "$T_TMP/sni.log" || fail "no pause logged"
ok "out of descriptors: accept paused, $((c1 - c0)) ticks of CPU in 3 s"
kill "$SLOW_PID"
sleep 0.5
ccurl -k --max-time 10 --resolve www.example.test:443:$VPS4 \
    https://www.example.test/ >/dev/null || fail "no recovery after descriptors freed"
ok "recovered once descriptors were free"
kill "$SNI_PID"; wait "$SNI_PID" 2>/dev/null || true

# The connection cap: 5 held, the next waits in the backlog, not served
started=$(grep -c "listener(s)" "$T_TMP/sni.log")
bg SNI_PID "$NS_V" "$BIN/edge-sni" -d -resolver 127.0.0.1 \
    -access-log "$T_TMP/access.log" -listen tcp:443 -mode nat46 \
    -nat46-prefix $NAT46 -backend-cidr 2001:db8:1::/64 -hello-timeout 30 \
    -max-conns 5 2>>"$T_TMP/sni.log"
wait_for 20 sh -c "[ \$(grep -c 'listener(s)' '$T_TMP/sni.log') -gt $started ]" ||
	fail "edge-sni (cap 5) did not start"
bg SLOW_PID "$NS_C" $SLOW $VPS4 443 5 1 >"$T_TMP/slow3.out"
wait_for 30 grep -q open "$T_TMP/slow3.out" || fail "slow clients did not connect"
sleep 0.3
ccurl -k --max-time 1 --resolve www.example.test:443:$VPS4 \
    https://www.example.test/ >/dev/null 2>&1 && fail "cap of 5 exceeded"
kill "$SLOW_PID"
sleep 0.3
ccurl -k --max-time 10 --resolve www.example.test:443:$VPS4 \
    https://www.example.test/ >/dev/null || fail "not served once under the cap"
ok "connection cap holds and releases"

sni_stop
ok "SIGTERM: exit 0, no sanitizer report"
