#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-sni against sniproxy, HAProxy (req.ssl_sni) and nginx (ssl_preread),
# one worker each, all forwarding real ClientHellos from the same load
# generator (tests/bench/sni-load.c) to the same backend, in one network
# namespace over loopback.  edge-sni runs in its own nat46 mode (NAT46
# source, name from DNS via its cache, access log on); the peers connect
# from their own address to a fixed backend.
#
#   connections/s at saturation (SNI_CONC in flight, SNI_SECS seconds)
#   proxy CPU per connection: user+sys from /proc/PID/stat / connections
#   first-byte latency p50/p99 (one connection at a time) vs direct
#   bulk throughput of one connection vs direct
#   memory (RSS) per idle relayed connection at SNI_IDLE connections
#
# Medians of SNI_RUNS runs; ratios are edge-sni / best peer.
source "$(dirname "$0")/../net/lib.sh"

RUNS=${SNI_RUNS:-3}
SECS=${SNI_SECS:-4}
CONC=${SNI_CONC:-64}
IDLE=${SNI_IDLE:-5000}
BULK=${SNI_BULK:-2000000000}
PEERS=${SNI_PEERS:-sniproxy haproxy nginx}
HZ=$(getconf CLK_TCK)

for p in sniproxy haproxy nginx dnsmasq; do
	command -v $p >/dev/null || skip "$p is not installed"
done
[ -x "$BIN/edge-sni" ] || skip "build edge-sni first"
cc -O2 -o "$T_TMP/sni-load" "$TOP/tests/bench/sni-load.c" || fail "sni-load"
LOAD=$T_TMP/sni-load

ns_make NS bench
ip -n "$NS" -6 addr add 2001:db8:1::10/128 dev lo
ip -n "$NS" -6 route add local 64:ff9b:1::/96 dev lo
cat >"$T_TMP/dnsmasq.conf" <<EOC
port=53
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
user=root
local=/example.test/
local-ttl=3600
host-record=www.example.test,2001:db8:1::10
EOC
bg DNS_PID "$NS" dnsmasq -k -C "$T_TMP/dnsmasq.conf" --pid-file="$T_TMP/dnsmasq.pid" 2>/dev/null

# Backends: 8443 answers 100 bytes and closes (cps), 8444 sends BULK bytes,
# 8445 answers 1 byte and holds the connection (idle).
bg B1 "$NS" $LOAD server 2001:db8:1::10 8443 100 0 0
bg B2 "$NS" $LOAD server 2001:db8:1::10 8444 0 "$BULK" 0
bg B3 "$NS" $LOAD server 2001:db8:1::10 8445 1 0 1
sleep 0.5

PROXY_PID=
# start_proxy NAME LISTEN_PORT BACKEND_PORT: start it, set PROXY_PID
start_proxy() {
	local name=$1 lp=$2 bp=$3 c=$T_TMP/$1.conf
	case $name in
	edge-sni)
		# SNI_EDGE_MODE=tcp: its own source address, like the peers
		if [ "${SNI_EDGE_MODE:-nat46}" = tcp ]; then
			set -- -mode tcp
		else
			set -- -mode nat46 -nat46-prefix 64:ff9b:1::
		fi
		bg PROXY_PID "$NS" "$BIN/edge-sni" -d -resolver 127.0.0.1 \
		    -access-log "$T_TMP/edge-sni.access" -max-conns 6500 \
		    -listen tcp:127.0.0.1:$lp "$@" \
		    -backend-cidr 2001:db8:1::/64 -backend-port $bp 2>"$T_TMP/edge-sni.err"
		;;
	sniproxy)
		cat >"$c" <<EOC
user root
pidfile $T_TMP/sniproxy.pid
error_log {
	filename $T_TMP/sniproxy.err
	priority notice
}
listen 127.0.0.1:$lp {
	proto tls
	table t
}
table t {
	www\.example\.test [2001:db8:1::10]:$bp
}
EOC
		bg PROXY_PID "$NS" sniproxy -f -c "$c"
		;;
	haproxy)
		cat >"$c" <<EOC
global
	maxconn 6500
	nbthread 1
defaults
	mode tcp
	timeout connect 5s
	timeout client 60s
	timeout server 60s
frontend fe
	bind 127.0.0.1:$lp
	tcp-request inspect-delay 5s
	tcp-request content accept if { req.ssl_hello_type 1 }
	use_backend be if { req.ssl_sni -i www.example.test }
backend be
	server s1 [2001:db8:1::10]:$bp
EOC
		bg PROXY_PID "$NS" haproxy -db -f "$c"
		;;
	nginx)
		mkdir -p "$T_TMP/ngx"
		cat >"$c" <<EOC
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 19000;
pid $T_TMP/ngx/pid;
error_log $T_TMP/ngx/error.log;
events { worker_connections 13500; }
stream {
	map \$ssl_preread_server_name \$be {
		www.example.test [2001:db8:1::10]:$bp;
	}
	server {
		listen 127.0.0.1:$lp;
		ssl_preread on;
		proxy_pass \$be;
	}
}
EOC
		bg PROXY_PID "$NS" nginx -c "$c"
		;;
	esac
	wait_for 5 nsx "$NS" bash -c "exec 3<>/dev/tcp/127.0.0.1/$lp" ||
		fail "$name did not start"
}

stop_proxy() {
	kill "$PROXY_PID" 2>/dev/null || true
	wait "$PROXY_PID" 2>/dev/null || true
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# busy and total jiffies of the whole machine
sys_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# The proxied process: bg's pid is "ip netns exec", which execs.
declare -A CPS CPU P50 P99 MBPS MEM
port=9000
for name in edge-sni $PEERS; do
	port=$((port + 1))
	start_proxy $name $port 8443
	# warm up: DNS cache, pools, page cache
	nsx "$NS" $LOAD cps 127.0.0.1 $port www.example.test $CONC 1 100 >/dev/null
	: >"$T_TMP/cps" ; : >"$T_TMP/cpu"
	for r in $(seq "$RUNS"); do
		t0=$(ticks "$PROXY_PID"); s0=$(sys_ticks); b0=$(ticks "$B1")
		set -- $(nsx "$NS" $LOAD cps 127.0.0.1 $port www.example.test $CONC "$SECS" 100)
		t1=$(ticks "$PROXY_PID"); s1=$(sys_ticks); b1=$(ticks "$B1")
		echo "$s0 $s1 $1 $b0 $b1 $6" | awk -v hz="$HZ" '{printf "  machine %.0f%% busy; CPU/conn: load generator %.1f us, backend %.1f us\n", ($3 - $1) * 100 / ($4 - $2), $8, ($7 - $6) / hz * 1e6 / $5}' >&2
		[ "$5" -le $(( $1 / 100 )) ] || fail "$name: $5 errors in $1 connections"
		echo "$2" >>"$T_TMP/cps"
		echo "$t0 $t1 $1" | awk -v hz="$HZ" '{printf "%.1f\n", ($2 - $1) / hz * 1e6 / $3}' >>"$T_TMP/cpu"
	done
	CPS[$name]=$(median <"$T_TMP/cps")
	CPU[$name]=$(median <"$T_TMP/cpu")
	set -- $(nsx "$NS" $LOAD cps 127.0.0.1 $port www.example.test 1 2 100)
	P50[$name]=$3; P99[$name]=$4
	printf '%-9s %7s conn/s  %6s us CPU/conn  first byte p50 %s us p99 %s us\n' \
	    $name "${CPS[$name]}" "${CPU[$name]}" "${P50[$name]}" "${P99[$name]}"
	stop_proxy
done
set -- $(nsx "$NS" $LOAD cps 2001:db8:1::10 8443 www.example.test 1 2 100)
P50[direct]=$3; P99[direct]=$4

# Bulk: one connection, BULK bytes from the backend
bport=9100
for name in direct edge-sni $PEERS; do
	bport=$((bport + 1))
	: >"$T_TMP/mbps"
	if [ $name = direct ]; then
		for r in $(seq "$RUNS"); do
			nsx "$NS" $LOAD bulk 2001:db8:1::10 8444 www.example.test "$BULK" >>"$T_TMP/mbps"
		done
	else
		start_proxy $name $bport 8444
		for r in $(seq "$RUNS"); do
			nsx "$NS" $LOAD bulk 127.0.0.1 $bport www.example.test "$BULK" >>"$T_TMP/mbps"
		done
		stop_proxy
	fi
	MBPS[$name]=$(median <"$T_TMP/mbps")
done

# Memory per idle relayed connection
port=9200
for name in edge-sni $PEERS; do
	port=$((port + 1))
	start_proxy $name $port 8445
	nsx "$NS" $LOAD cps 127.0.0.1 $port www.example.test 8 0.5 1 >/dev/null 2>&1 || true
	m0=$(rss_kb "$PROXY_PID")
	bg IDLE_PID "$NS" $LOAD idle 127.0.0.1 $port www.example.test "$IDLE" >"$T_TMP/idle.out"
	wait_for 60 grep -q "^open $IDLE" "$T_TMP/idle.out" || fail "$name: $IDLE idle connections failed"
	sleep 0.5
	m1=$(rss_kb "$PROXY_PID")
	MEM[$name]=$(( (m1 - m0) * 1024 / IDLE ))
	kill "$IDLE_PID"; wait "$IDLE_PID" 2>/dev/null || true
	stop_proxy
done

best_cps=0 best_cpu=
for p in $PEERS; do
	best_cps=$(echo "$best_cps ${CPS[$p]}" | awk '{print ($2 > $1) ? $2 : $1}')
	[ -z "$best_cpu" ] && best_cpu=${CPU[$p]}
	best_cpu=$(echo "$best_cpu ${CPU[$p]}" | awk '{print ($2 < $1) ? $2 : $1}')
done
echo
echo "memory per idle connection at $IDLE:$(for p in edge-sni $PEERS; do printf ' %s %s B' $p "${MEM[$p]}"; done)"
echo "bulk, one connection, Mbit/s:$(for p in direct edge-sni $PEERS; do printf ' %s %s' $p "${MBPS[$p]}"; done)"
echo "first byte, one at a time: direct p50 ${P50[direct]} us p99 ${P99[direct]} us"
echo
awk -v c="${CPS[edge-sni]}" -v bc="$best_cps" -v u="${CPU[edge-sni]}" -v bu="$best_cpu" \
    -v m="${MBPS[edge-sni]}" -v d="${MBPS[direct]}" -v mem="${MEM[edge-sni]}" \
    -v p50="${P50[edge-sni]}" -v p99="${P99[edge-sni]}" -v d50="${P50[direct]}" -v d99="${P99[direct]}" 'BEGIN {
	printf "connections/s vs best peer:      %.2f  (target >= 1.00)\n", c / bc
	printf "CPU per connection vs best peer: %.2f  (target <= 0.80)\n", u / bu
	printf "bulk throughput vs direct:       %.2f  (target >= 0.90)\n", m / d
	printf "memory per idle connection:      %d B  (target <= 16384)\n", mem
	printf "first byte added: p50 %d us, p99 %d us\n", p50 - d50, p99 - d99
}'
