#!/bin/bash
# SPDX-License-Identifier: ISC
#
# A ClientHello the size of a post-quantum one (1,800 bytes, the name at
# its end) fragmented over four TLS records and sent in six TCP segments
# 0.2 s apart, through edge-sni: the back end receives every byte, in
# order, and its answer comes back after the client's FIN (half-close).
# Then tcp mode falling back to the A record, an IPv4 back end, when the
# AAAA gives nothing to connect to (none, outside the CIDRs, no answer);
# and SIGHUP without -f reopening a rotated access log.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sni-topo.sh"

sni_topo
HELLO=$TOP/tests/net/sni-hello.py
# back ends that answer with the SHA-256 of what they received
bg SUM6_PID "$NS_H" socat TCP6-LISTEN:9000,bind=[$WWW6],reuseaddr,fork SYSTEM:sha256sum
# an IPv4 back end for v4only.example.test (203.0.113.7), beside the client
ip -n "$NS_C" addr add 203.0.113.7/32 dev lo
ip -n "$NS_V" route add 203.0.113.7/32 via $CLIENT4
bg SUM4_PID "$NS_C" socat TCP4-LISTEN:9000,bind=203.0.113.7,reuseaddr,fork SYSTEM:sha256sum
wait_for 20 nsx "$NS_H" bash -c "exec 3<>/dev/tcp/$WWW6/9000" || fail "socat (v6) did not start"
wait_for 20 nsx "$NS_C" bash -c "exec 3<>/dev/tcp/203.0.113.7/9000" || fail "socat (v4) did not start"

sni_start -listen tcp:443 -backend-port 9000 -nat46-prefix $NAT46 \
    -backend-cidr 2001:db8:1::/64
out=$(nsx "$NS_C" python3 "$HELLO" $VPS4 443 WWW.example.test. 1800 4 6) ||
	fail "the back end did not get the hello as sent: $out"
sni_logged "	tcp:443	www.example.test	\[$WWW6\]:9000	ok	1800	"
ok "a 1,800-byte hello in 4 records and 6 segments: every byte replayed, answer after the FIN"

# tcp mode: no AAAA, so the A record, from the proxy's own address
bg SNI2_PID "$NS_V" "$BIN/edge-sni" -d -resolver 127.0.0.1 -access-log "$T_TMP/access2.log" \
    -listen tcp:8443 -mode tcp -backend-port 9000 -backend-cidr 203.0.113.0/24 \
    -backend-cidr 2001:db8:1::/64 \
    2>>"$T_TMP/sni2.log"
wait_for 20 grep -q "listener(s)" "$T_TMP/sni2.log" || fail "tcp-mode edge-sni did not start"
out=$(nsx "$NS_C" python3 "$HELLO" $VPS4 8443 v4only.example.test 1800 2 3) ||
	fail "tcp mode to the A record failed: $out"
wait_for 20 grep -q "	tcp:8443	v4only.example.test	203.0.113.7:9000	ok	1800	" "$T_TMP/access2.log" ||
	fail "no ok line for the A record: $(cat "$T_TMP/access2.log")"
ok "tcp mode: no AAAA record, the A record's IPv4 back end served"
# As snid's dialer: the A record too when the AAAA is outside the CIDRs,
# or does not answer (nothing listens on [2001:db8:1::20]:9000)
for n in dual dual2; do
	out=$(nsx "$NS_C" python3 "$HELLO" $VPS4 8443 $n.example.test 700 1 2) ||
		fail "tcp mode, $n: $out"
	wait_for 20 grep -q "	tcp:8443	$n.example.test	203.0.113.7:9000	ok	700	" "$T_TMP/access2.log" ||
		fail "no ok line for $n: $(cat "$T_TMP/access2.log")"
done
nsx "$NS_C" python3 "$HELLO" $VPS4 8443 outside.example.test 700 1 1 >/dev/null &&
	fail "tcp mode served outside.example.test"
wait_for 20 grep -q "	tcp:8443	outside.example.test	-	not-allowed	" "$T_TMP/access2.log" ||
	fail "outside.example.test (AAAA outside, no A): $(cat "$T_TMP/access2.log")"
ok "tcp mode: the A record when the AAAA is outside the CIDRs or refuses the connection; AAAA outside and no A: not-allowed"

# Log rotation: rename the log, SIGHUP, the next line goes to a new file
mv "$T_TMP/access.log" "$T_TMP/access.log.1"
kill -HUP "$SNI_PID"
wait_for 20 grep -q "SIGHUP: logs reopened" "$T_TMP/sni.log" || fail "no reopen logged"
out=$(nsx "$NS_C" python3 "$HELLO" $VPS4 443 www.example.test 600 1 1) || fail "after the reopen: $out"
sni_logged "	tcp:443	www.example.test	\[$WWW6\]:9000	ok	600	"
grep -q "	ok	600	" "$T_TMP/access.log.1" && fail "the line went to the rotated file"
[ "$(wc -l <"$T_TMP/access.log")" -eq 1 ] || fail "the new log: $(cat "$T_TMP/access.log")"
ok "SIGHUP without -f: the rotated access log is reopened"

sni_stop
ok "SIGTERM: exit 0, no sanitizer report"
