#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-probe against real responders in a namespace: icmp (v4, v6, ping and
# raw sockets), tcp, tls 1.3 and 1.2 (openssl s_server), http (expected
# status), dns (dnsmasq, expected answer); the exit codes; every output
# format parsed back (columns, jq, promtool).
source "$(dirname "$0")/lib.sh"

P=$BIN/edge-probe
[ -x "$P" ] || fail "no $P"
ns_make A probe
ns_make B srv
veth "$A" a0 "$B" b0
nsx "$A" ip addr add 192.0.2.1/24 dev a0
nsx "$B" ip addr add 192.0.2.2/24 dev b0
nsx "$A" ip addr add 2001:db8::1/64 dev a0 nodad
nsx "$B" ip addr add 2001:db8::2/64 dev b0 nodad

# Responders.
bg _ "$B" socat TCP-LISTEN:22,fork,reuseaddr SYSTEM:'sleep 0.5'
bg _ "$B" socat TCP6-LISTEN:22,fork,reuseaddr,ipv6only SYSTEM:'sleep 0.5'
# Read the request line first: closing on an unread request resets the
# connection and the response with it.
cat > "$T_TMP/http.sh" <<'EOF'
#!/bin/sh
read -r line
printf 'HTTP/1.1 %s\r\nContent-Length: 0\r\n\r\n' "$1"
sleep 0.2
EOF
cat > "$T_TMP/ssh.sh" <<'EOF'
#!/bin/sh
printf 'SSH-2.0-x\r\n'
sleep 0.2
EOF
chmod +x "$T_TMP/http.sh" "$T_TMP/ssh.sh"
bg _ "$B" socat TCP-LISTEN:80,fork,reuseaddr EXEC:"$T_TMP/http.sh 204"
bg _ "$B" socat TCP-LISTEN:81,fork,reuseaddr EXEC:"$T_TMP/http.sh 503"
bg _ "$B" socat TCP-LISTEN:82,fork,reuseaddr EXEC:"$T_TMP/ssh.sh"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj /CN=srv.example -days 1 -keyout "$T_TMP/k.pem" \
	-out "$T_TMP/c.pem" 2>/dev/null
bg _ "$B" openssl s_server -quiet -accept 443 -cert "$T_TMP/c.pem" \
	-key "$T_TMP/k.pem"
bg _ "$B" openssl s_server -quiet -accept 8443 -tls1_2 \
	-cert "$T_TMP/c.pem" -key "$T_TMP/k.pem"
bg _ "$B" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts \
	--listen-address=192.0.2.2 --bind-interfaces --port=53 \
	--address=/a.example/192.0.2.7 --address=/b.example/ --pid-file="$T_TMP/dnsmasq.pid" \
	--user=root --group=root
wait_for 5 nsx "$A" bash -c 'echo > /dev/tcp/192.0.2.2/443' ||
	fail "s_server did not start"
wait_for 5 nsx "$A" bash -c 'echo > /dev/tcp/192.0.2.2/8443' ||
	fail "s_server 1.2 did not start"
wait_for 5 nsx "$A" bash -c 'echo > /dev/tcp/192.0.2.2/80' ||
	fail "http did not start"

cat > "$T_TMP/probes" <<EOF
# every type, up
icmp 192.0.2.2 name v4 group g1
icmp 2001:db8::2 name v6 group g1
tcp 192.0.2.2:22 name tcp4
tcp [2001:db8::2]:22 name tcp6 timeout 2s
tls 192.0.2.2 sni srv.example name tls13
tls 192.0.2.2:8443 name tls12
http http://192.0.2.2/health name http expect 204
http 192.0.2.2:81 name http503 expect 503
dns 192.0.2.2 query a.example expect 192.0.2.7 name dns
EOF

# Once mode, all up: exit 0, a line per target with ten columns.
out=$(nsx "$A" "$P" -t 2s -f "$T_TMP/probes") || fail "exit $? with all up: $out"
echo "$out"
[ "$(echo "$out" | wc -l)" -eq 9 ] || fail "expected 9 lines"
echo "$out" | awk -F'\t' 'NF != 10 || $1 != "r" || $8 != "up" || $9 !~ /^[0-9]+$/ { bad = 1; print "bad: " $0 } END { exit bad }' ||
	fail "bad result lines"
for n in v4 v6 tcp4 tcp6 tls13 tls12 http http503 dns; do
	echo "$out" | awk -F'\t' -v n=$n '$3 == n { f = 1 } END { exit !f }' ||
		fail "no result for $n"
done
echo "$out" | awk -F'\t' '$3 == "tls13" && $10 == "TLSv1.3" { f = 1 } END { exit !f }' ||
	fail "tls 1.3 not reported"
echo "$out" | awk -F'\t' '$3 == "tls12" && $10 == "TLSv1.2" { f = 1 } END { exit !f }' ||
	fail "tls 1.2 not reported"
echo "$out" | awk -F'\t' '$3 == "dns" && $10 == "192.0.2.7" { f = 1 } END { exit !f }' ||
	fail "dns answer not reported"
echo "$out" | awk -F'\t' '$3 == "http" && $10 == "status=204" { f = 1 } END { exit !f }' ||
	fail "http status not reported"
ok "every probe type up, exit 0"

# Failures: exit 1, and each says why.
rc=0
out=$(nsx "$A" "$P" -t 500ms http 192.0.2.2:81 name h503 \
	http 192.0.2.2:82 name ssh tcp 192.0.2.2:23 name closed \
	tls 192.0.2.2:80 name plain dns 192.0.2.2 query a.example \
	expect 192.0.2.8 name wrong dns 192.0.2.2 \
	query c.example name refused dns 192.0.2.2 query b.example name nx \
	icmp 192.0.2.99 name nobody) || rc=$?
echo "$out"
[ $rc -eq 1 ] || fail "exit $rc with targets down"
chk() {	# name detail-pattern
	echo "$out" | awk -F'\t' -v n="$1" -v d="$2" \
		'$3 == n && $8 == "down" && $10 ~ d { f = 1 } END { exit !f }' ||
		fail "$1: expected down with $2"
}
chk h503 '^status=503$'
chk ssh '^not-http$'
chk closed '^refused$'
chk plain '^not-tls$'
chk wrong '^unexpected=192.0.2.7$'
chk refused '^rcode=REFUSED$'
chk nx '^rcode=NXDOMAIN$'
chk nobody '^(timeout|host-unreachable)$'
ok "down targets: exit 1, with reasons"

# Usage and target errors: exit 2, naming the argument or file:line.
set +e
err=$("$P" icmp 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$err" | grep -q 'missing address' || fail "icmp without address: $rc $err"
printf 'icmp 192.0.2.2\ntcp 192.0.2.2 name x\n' > "$T_TMP/bad"
err=$("$P" -f "$T_TMP/bad" 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$err" | grep -q "$T_TMP/bad:2: tcp: \"192.0.2.2\" needs a port" ||
	fail "bad file: $rc $err"
err=$("$P" -i 5ms icmp 192.0.2.2 2>&1); rc=$?
[ $rc -eq 2 ] || fail "-i 5ms accepted"
err=$("$P" icmp 192.0.2.2 mark x 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$err" | grep -q 'bad mark' || fail "bad mark: $rc $err"
set -e
ok "usage errors exit 2"

# -n: the targets as parsed, nothing sent.
out=$("$P" -n -f "$T_TMP/probes") || fail "-n failed"
echo "$out"
[ "$(echo "$out" | wc -l)" -eq 9 ] || fail "-n: expected 9 targets"
echo "$out" | grep -q "^tcp6	-	tcp	\[2001:db8::2\]:22	dev=-	src=-	mark=-	timeout=2000$" ||
	fail "-n: tcp6 line"
ok "dry run"

# Ping sockets where ping_group_range allows, raw sockets otherwise.
nsx "$A" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
err=$(nsx "$A" "$P" -v -q icmp 192.0.2.2 icmp 2001:db8::2 2>&1) ||
	fail "ping sockets: $err"
echo "$err" | grep -q 'IPv4 ping socket' || fail "no IPv4 ping socket: $err"
echo "$err" | grep -q 'IPv6 ping socket' || fail "no IPv6 ping socket: $err"
nsx "$A" sysctl -qw net.ipv4.ping_group_range="1 0"
err=$(nsx "$A" "$P" -v -q icmp 192.0.2.2 icmp 2001:db8::2 2>&1) ||
	fail "raw sockets: $err"
echo "$err" | grep -q 'IPv4 raw socket' || fail "no IPv4 raw socket: $err"
# One socket per family and binding, not per target.
err=$(nsx "$A" "$P" -v -q icmp 192.0.2.2 icmp 192.0.2.1 icmp 127.0.0.1 \
	icmp 192.0.2.2 dev a0 2>&1) || fail "shared sockets: $err"
[ "$(echo "$err" | grep -c 'IPv4 raw socket')" -eq 2 ] ||
	fail "expected two sockets (one unbound, one dev a0): $err"
ok "ping and raw sockets, shared per binding"

# JSON lines: every line parses, results and summaries.
nsx "$A" "$P" -j -c 3 -i 20ms -R 30ms -W 1s icmp 192.0.2.2 name j \
	tcp 192.0.2.2:23 name jt > "$T_TMP/out.json" || true
jq -e -s 'length >= 6' "$T_TMP/out.json" >/dev/null || fail "json did not parse"
jq -e -s '[.[] | select(.kind == "result" and .name == "j" and .status == "up" and (.rtt_us | type) == "number")] | length == 3' \
	"$T_TMP/out.json" >/dev/null || fail "json results"
jq -e -s '[.[] | select(.kind == "result" and .name == "jt" and .status == "down" and .rtt_us == null and .detail == "refused")] | length == 3' \
	"$T_TMP/out.json" >/dev/null || fail "json down results"
jq -e -s '[.[] | select(.kind == "summary")] | length >= 2' "$T_TMP/out.json" \
	>/dev/null || fail "json summaries"
ok "JSON lines parse"

# Summaries with -c: loss and average.
out=$(nsx "$A" "$P" -c 4 -i 10ms -R 0 icmp 192.0.2.2 name s tcp 192.0.2.2:23 name d || true)
echo "$out" | awk -F'\t' '$1 == "s" && $3 == "s" && $7 == 4 && $8 == 4 && $9 == "0.0" && $10 ~ /^[0-9]+$/ && $12 == "up" { f = 1 } END { exit !f }' ||
	fail "summary of an up target: $out"
out=$(nsx "$A" "$P" -c 3 icmp 192.0.2.2 name s tcp 192.0.2.2:23 name d || true)
echo "$out" | awk -F'\t' '$1 == "s" && $3 == "d" && $7 == 3 && $8 == 0 && $9 == "100.0" && $10 == "-" && $12 == "down" { f = 1 } END { exit !f }' ||
	fail "summary of a down target: $out"
ok "summaries"

# Prometheus textfile, written atomically, accepted by promtool.
nsx "$A" "$P" -q -P "$T_TMP/probe.prom" -c 2 -i 10ms icmp 192.0.2.2 \
	name p group g tcp 192.0.2.2:23 name q || true
cat "$T_TMP/probe.prom"
promtool check metrics < "$T_TMP/probe.prom" || fail "promtool rejects the textfile"
grep -q '^edge_probe_up{name="p",group="g",type="icmp",target="192.0.2.2"} 1$' \
	"$T_TMP/probe.prom" || fail "edge_probe_up for p"
grep -q '^edge_probe_up{name="q",.*} 0$' "$T_TMP/probe.prom" ||
	fail "edge_probe_up for q"
grep -q '^edge_probe_sent_total{name="p".*} 2$' "$T_TMP/probe.prom" ||
	fail "sent_total"
[ -z "$(ls "$T_TMP" | grep 'probe.prom.tmp')" ] || fail "temporary file left"
# Continuous, without summaries: rewritten every second.
rm -f "$T_TMP/probe.prom"
bg pid "$A" "$P" -q -i 100ms -R 0 -P "$T_TMP/probe.prom" icmp 192.0.2.2 name c
wait_for 3 test -s "$T_TMP/probe.prom" || fail "no textfile in continuous mode"
kill -INT "$pid"; wait "$pid" || true
promtool check metrics < "$T_TMP/probe.prom" || fail "promtool rejects the textfile"
ok "prometheus textfile"

# Continuous mode writes line by line into a pipe.
nsx "$A" timeout -s INT 1 "$P" -i 100ms -R 0 icmp 192.0.2.2 | \
	cat > "$T_TMP/fifo.out" &
pid=$!
sleep 0.5
n=$(wc -l < "$T_TMP/fifo.out")
wait $pid || true
[ "$n" -ge 3 ] || fail "only $n lines after 0.5 s: not flushed per line"
ok "line-buffered output"
