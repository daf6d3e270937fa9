#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The latency thresholds (DegradedLatency 200 ms, DownLatency 500 ms, the
# defaults) driven by real probes: edge-probe's http probe (time to the
# first byte) through the primary to a server in the "internet" namespace
# that answers each request after a delay it reads, per client address,
# from a file the test rewrites; the LTE backup is probed with icmp.
# Without netem this is how a slow uplink is made: the delay is the
# server's, so the probe's latency is the delay plus well under a
# millisecond of veth, and the test checks the probes saw it.
#
#   0 ms    the primary is up and carries the default route
#   300 ms  the primary is degraded (state file, log, hook with its RTT)
#           and stays so, never down; edge-failover(8): "A degraded
#           gateway carries traffic only when no gateway is up", so with
#           LTE up the route moves to LTE although LTE is of a worse tier,
#           and with LTE blackholed (down) it comes back to the degraded
#           primary, then moves to LTE again when LTE is back up
#   800 ms  the primary is down (hook: down from degraded); the route
#           stays on LTE
#   0 ms    the primary comes back and the route with it, no sooner than
#           UpAfter after the probes got fast
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/failover-lib.sh"

WAN_ADDR=10.8.1.2	# the primary's address, as the server sees it
PORT=8080
fo_lab wan0 lte0

# The slow server: one thread per connection; the delay in ms for a
# client is read from $T_TMP/delay-ADDR at each request (0 when missing).
cat >"$T_TMP/slow.py" <<'EOF'
import http.server, os, sys, time
d = sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def do_GET(self):
        try:
            with open(os.path.join(d, "delay-" + self.client_address[0])) as f:
                ms = int(f.read().strip() or 0)
        except FileNotFoundError:
            ms = 0
        time.sleep(ms / 1000)
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), H)
s.daemon_threads = True
s.serve_forever()
EOF
delay() { echo "$1" >"$T_TMP/delay-$WAN_ADDR.new"
	mv "$T_TMP/delay-$WAN_ADDR.new" "$T_TMP/delay-$WAN_ADDR"; }
delay 0
bg SRV "$FO_NET" python3 "$T_TMP/slow.py" "$FO_SERVER" $PORT "$T_TMP" \
	2>"$T_TMP/srv.log"
wait_for 5 nsx "$FO_NET" curl -sf -m 1 "http://$FO_SERVER:$PORT/" ||
	{ cat "$T_TMP/srv.log"; fail "the slow server did not start"; }

# A short window so that the average follows the delay within seconds;
# 3 s holds 15 results at 5/s, well above MinSamples (10): with 2 s the
# count wavers around 10, and below it a target counts as up whatever
# its latency.
cat >"$T_TMP/wan.conf" <<EOF
[Failover]
StateFile = $T_TMP/state
Hook = echo "\$EVENT \$GATEWAY \$STATE \$PREVIOUS rtt=\$RTT route=\$ROUTE" >> $T_TMP/hook.log
DownAfter = 600ms
UpAfter = 3s
StreamTimeout = 3s
Window = 3s

[Gateway]
Name = wan
Device = wan0
Via = 10.8.1.1
Targets = wan0-far

[Gateway]
Name = lte
Device = lte0
Via = 10.8.2.1
Tier = 2
Targets = lte0-far
EOF

mkfifo "$T_TMP/stream"
bg FO "$FO_HOME" "$BIN/edge-failover" -v -f "$T_TMP/wan.conf" \
	-i "$T_TMP/stream" 2>"$T_TMP/fo.log"
# The http probe's timeout is well above the slowest delay: a late answer
# is a latency, not a loss.  -o keeps every result for the checks below.
bg PROBE "$FO_HOME" "$BIN/edge-probe" -i 0.2 -t 0.2 -R 0 -o "$T_TMP/hist" \
	http "$FO_SERVER:$PORT/" dev wan0 timeout 1.5 name wan0-far group wan0 \
	icmp "$FO_SERVER" dev lte0 name lte0-far group lte0 \
	>"$T_TMP/stream" 2>"$T_TMP/probe.err"

show() {
	echo "--- edge-failover log"; cat "$T_TMP/fo.log"
	echo "--- hook"; cat "$T_TMP/hook.log" 2>/dev/null || true
	echo "--- status"; "$BIN/edge-failover" status -S "$T_TMP/state" || true
	echo "--- probe errors"; cat "$T_TMP/probe.err" || true
}
die() { show; fail "$*"; }
st() {	# GATEWAY: its state in the state file
	"$BIN/edge-failover" status -S "$T_TMP/state" 2>/dev/null |
		awk -v g="$1" '$1 == g { print $2 }'
}
hook() { grep -Eq "$1" "$T_TMP/hook.log" 2>/dev/null; }
# mean latency (ms) of the primary's last N answered probes
lat() {
	awk -F'\t' -v n="$1" '$3 == "wan0-far" && $8 == "up" { r[c++ % n] = $9 }
	END { for (i = 0; i < n && i < c; i++) s += r[i]
	      printf "%d\n", c ? s / (c < n ? c : n) / 1000 : -1 }' "$T_TMP/hist"
}
rtt_in() {	# HOOKLINE LO HI: the hook's RTT (us) within [LO, HI) ms
	local r
	r=$(sed -n 's/.* rtt=\([0-9]*\) .*/\1/p' <<<"$1")
	[ -n "$r" ] && [ "$r" -ge $(($2 * 1000)) ] && [ "$r" -lt $(($3 * 1000)) ]
}
WAN="default via 10.8.1.1 dev wan0"
LTE="default via 10.8.2.1 dev lte0"

# --- fast: the primary carries the route ---
fo_wait_route 6 "$WAN" || die "no route via wan0: $(fo_route)"
wait_for 3 hook "^gateway lte up unknown" || die "LTE not up"
sleep 1
l=$(lat 5)
[ "$l" -ge 0 ] && [ "$l" -lt 50 ] || die "primary's latency $l ms with no delay"
ok "no delay (probes ${l} ms): $(fo_route)"

# --- 300 ms: degraded, and an up backup takes the traffic ---
t0=$(fo_ms)
delay 300
wait_for 8 hook "^gateway wan degraded up " ||
	die "primary not degraded with 300 ms"
t1=$(fo_ms)
line=$(grep -m 1 "^gateway wan degraded up " "$T_TMP/hook.log")
rtt_in "$line" 200 500 || die "hook's RTT on degrading not 200-500 ms: $line"
grep -q "gateway wan: up -> degraded" "$T_TMP/fo.log" || die "not logged"
fo_wait_route 2 "$LTE" || die "degraded primary kept the route: $(fo_route)"
ok "300 ms: degraded after $((t1 - t0)) ms ($line)"
# It stays degraded, never down, while the delay holds.
sleep 3
l=$(lat 10)
[ "$l" -ge 290 ] && [ "$l" -lt 400 ] || die "probes saw $l ms, not 300"
[ "$(st wan)" = degraded ] || die "wan is $(st wan) at 300 ms"
hook "^gateway wan down" && die "wan went down at 300 ms"
fo_route | grep -q "$LTE" || die "route left LTE: $(fo_route)"
ok "300 ms (probes $l ms): wan stays degraded; route via LTE"

# With no gateway up, the degraded one carries the traffic.
fo_blackhole 2 on
wait_for 4 hook "^gateway lte down up" || die "LTE not down when blackholed"
fo_wait_route 2 "$WAN" || die "no gateway up, route not on degraded wan: $(fo_route)"
[ "$(st wan)" = degraded ] || die "wan is $(st wan)"
ok "LTE down: the degraded primary carries the route: $(fo_route)"
fo_blackhole 2 off
fo_wait_route 6 "$LTE" || die "LTE back up, route stayed: $(fo_route)"
hook "^gateway lte up down" || die "no hook for LTE up"
ok "LTE up again: the route leaves the degraded primary: $(fo_route)"

# --- 800 ms: down ---
t0=$(fo_ms)
delay 800
wait_for 8 hook "^gateway wan down degraded " ||
	die "primary not down with 800 ms"
t1=$(fo_ms)
line=$(grep -m 1 "^gateway wan down degraded " "$T_TMP/hook.log")
rtt_in "$line" 500 1500 || die "hook's RTT on going down not >= 500 ms: $line"
grep -q "gateway wan: degraded -> down" "$T_TMP/fo.log" || die "not logged"
sleep 1
l=$(lat 5)
[ "$l" -ge 790 ] && [ "$l" -lt 900 ] || die "probes saw $l ms, not 800"
[ "$(st wan)" = down ] || die "wan is $(st wan) at 800 ms"
fo_route | grep -q "$LTE" || die "route not on LTE: $(fo_route)"
ok "800 ms (probes $l ms): down after $((t1 - t0)) ms ($line); route via LTE"

# --- fast again: failback, not before UpAfter (3 s) ---
# The window's average falls below 500 ms before it falls below 200 ms,
# so the primary comes back through degraded; it is up UpAfter after the
# average fell below 200 ms (within Window), not UpAfter after it became
# degraded: at most Window + UpAfter, plus slack for a busy machine.
t0=$(fo_ms)
delay 0
fo_wait_route 15 "$WAN" || die "no failback: $(fo_route)"
t1=$(fo_ms)
fb=$((t1 - t0))
[ $fb -ge 3000 ] || die "failback after $fb ms, before UpAfter"
[ $fb -le 9000 ] || die "failback took $fb ms (Window 3 s + UpAfter 3 s + slack)"
wait_for 2 hook "^gateway wan up " || die "no hook for the primary up"
[ "$(st wan)" = up ] || die "wan is $(st wan) after failback"
l=$(lat 5)
[ "$l" -ge 0 ] && [ "$l" -lt 50 ] || die "primary's latency $l ms after the delay"
ok "fast again: failback after $fb ms (UpAfter 3 s): $(fo_route)"
# Latency alone: not one probe of the primary was lost in the whole run.
n=$(awk -F'\t' '$3 == "wan0-far" && $8 == "down"' "$T_TMP/hist" | wc -l)
[ "$n" -eq 0 ] || die "$n probes of the primary lost: not a latency test"
ok "no probe of the primary lost"
grep "^gateway wan" "$T_TMP/hook.log"
exit 0
