#!/bin/bash
# SPDX-License-Identifier: ISC
#
# What edge-sni does per connection, counted rather than timed, so that a
# change can be judged on a noisy machine: system calls per connection
# (strace -c) and user-space instructions per connection (callgrind).
# Not part of "make bench" (no peer, no ratio); b-sni.sh is the benchmark.
#
# The same setup as b-sni.sh: nat46 mode, the name from the DNS cache
# (dnsmasq), a backend answering 100 bytes and closing, over loopback in a
# namespace of our own.
#
#   tests/bench/sni-count.sh [strace|callgrind|both]
#   tests/bench/sni-count.sh ab BINARY...
#	A/B: each binary (edge-sni builds kept aside) on its own port, runs
#	interleaved; medians of connections/s, context switches and the
#	proxy's CPU per connection (its run time over the run / connections),
#	SNI_RUNS (9) runs, and for each build the median of its per-round
#	ratio to the first.  SNI_SIMUL=1: in each round all builds at once,
#	each under its own load, so that the rest of a busy machine falls
#	on all of them in the same seconds: the paired ratios then vary by
#	about 1 % between copies of one build (one after the other: 5-10 %).
#
# Environment: SNI_CONC (8) connections in flight, SNI_SECS (2) seconds,
# SNI_Q=1 for the post-quantum hello, SNI_EXTRA: more lines for the
# listener's section.
source "$(dirname "$0")/../net/lib.sh"

WHAT=${1:-both}
CONC=${SNI_CONC:-8}
SECS=${SNI_SECS:-2}
NAME=www.example.test
BACK=2001:db8:1::10
Q=; [ "${SNI_Q:-0}" = 1 ] && Q=-q

cc -O2 -std=gnu11 -Wall -Wextra -Werror -o "$T_TMP/sniload" \
	"$TOP/tests/bench/sniload.c" || fail "cannot build sniload"
LOAD=$T_TMP/sniload
make -s -C "$TOP" bin/edge-sni >/dev/null || fail "edge-sni does not build"
command -v dnsmasq >/dev/null || skip "dnsmasq is not installed"

ns_make NS cnt
ip -n "$NS" -6 addr add $BACK/128 dev lo
ip -n "$NS" -6 route add local 64:ff9b:1::/96 dev lo
bg S1 "$NS" "$LOAD" server -r 100 $BACK 8443
cat >"$T_TMP/dnsmasq.conf" <<EOC
port=53
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
user=root
local=/example.test/
local-ttl=3600
host-record=$NAME,$BACK
EOC
bg DNS "$NS" dnsmasq -k -C "$T_TMP/dnsmasq.conf" \
	--pid-file="$T_TMP/dnsmasq.pid"
cat >"$T_TMP/sni.conf" <<EOC
[Global]
Resolver = 127.0.0.1
AccessLog = $T_TMP/access.log

[Listener]
Listen = tcp:127.0.0.1:9443
Mode = nat46
Nat46Prefix = 64:ff9b:1::
BackendCIDR = 2001:db8:1::/64
BackendPort = 8443
${SNI_EXTRA:-}
EOC
wait_for 5 nsx "$NS" bash -c "exec 3<>/dev/tcp/$BACK/8443" ||
	fail "the backend did not start"

# TCP segments sent in the namespace
segs() { nsx "$NS" awk '/^Tcp:/ && $11 ~ /^[0-9]+$/ { print $12 }' \
	/proc/net/snmp; }
load() { nsx "$NS" "$LOAD" cps $Q -c "$1" -d "$2" -r 100 127.0.0.1 9443; }

if [ "$WHAT" = ab ]; then
	shift
	BINS=("$@")
	RUNS=${SNI_RUNS:-9}
	# CPU time in ns (schedstat: not rounded to clock ticks, which are
	# 10 ms, about 2 % of a run here)
	cpu_ns() { awk '{print $1}' /proc/"$1"/schedstat; }
	# context switches, voluntary and not
	csw() { awk '/ctxt_switches/ { n += $2 } END { print n }' \
		/proc/"$1"/status; }
	i=0; declare -A P
	for b in "${BINS[@]}"; do
		i=$((i + 1))
		sed "s/:9443/:$((9443 + i))/" "$T_TMP/sni.conf" >"$T_TMP/sni.$i.conf"
		bg NEWPID "$NS" "$b" -d -f "$T_TMP/sni.$i.conf"
		P[$i]=$NEWPID
		wait_for 5 nsx "$NS" bash -c \
		    "exec 3<>/dev/tcp/127.0.0.1/$((9443 + i))" ||
			fail "$b did not start"
		nsx "$NS" "$LOAD" cps $Q -c 8 -d 0.5 -r 100 127.0.0.1 \
		    $((9443 + i)) >/dev/null
	done
	# One build's figures for a round: after the load that printed $1
	# (connections) and $2 (cps) ran against it.
	record() {
		echo "$2" >>"$T_TMP/cps.$j"
		awk -v a="${X0[$j]}" -v b="$(csw ${P[$j]})" -v n="$1" \
		    'BEGIN { printf "%.3f\n", (b - a) / n }' >>"$T_TMP/csw.$j"
		awk -v a="${T0[$j]}" -v b="$(cpu_ns ${P[$j]})" -v n="$1" \
		    'BEGIN { printf "%.1f\n", (b - a) / 1e3 / n }' \
		    >>"$T_TMP/cpu.$j"
	}
	declare -A T0 X0
	for _ in $(seq "$RUNS"); do
		if [ "${SNI_SIMUL:-0}" = 1 ]; then
			# All builds at once, each under its own load: what
			# the rest of the machine does falls on all of them in
			# the same seconds.
			lp=()
			for j in $(seq $i); do
				T0[$j]=$(cpu_ns ${P[$j]}); X0[$j]=$(csw ${P[$j]})
				nsx "$NS" "$LOAD" cps $Q -c "${SNI_CONC:-64}" \
				    -d "$SECS" -r 100 127.0.0.1 $((9443 + j)) \
				    >"$T_TMP/out.$j" &
				lp+=($!)
			done
			wait "${lp[@]}"
			for j in $(seq $i); do
				set -- $(cat "$T_TMP/out.$j")
				record "$@"
			done
			continue
		fi
		for j in $(seq $i); do
			T0[$j]=$(cpu_ns ${P[$j]}); X0[$j]=$(csw ${P[$j]})
			set -- $(nsx "$NS" "$LOAD" cps $Q -c "${SNI_CONC:-64}" \
			    -d "$SECS" -r 100 127.0.0.1 $((9443 + j)))
			record "$@"
		done
	done
	median() { sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
	j=0
	for b in "${BINS[@]}"; do
		j=$((j + 1))
		printf '%-32s cps %6s  csw/conn %5s  cpu/conn %5s us  (cpu runs: %s)\n' \
		    "$b" "$(median <"$T_TMP/cps.$j")" "$(median <"$T_TMP/csw.$j")" \
		    "$(median <"$T_TMP/cpu.$j")" \
		    "$(tr '\n' ' ' <"$T_TMP/cpu.$j")"
	done
	# Paired: each build against the first in the same round, so that
	# the machine's load, which moves from round to round, cancels out.
	for j in $(seq 2 $i); do
		printf '%-32s cpu/conn vs the first: median of per-round ratios %s\n' \
		    "${BINS[$((j - 1))]}" "$(paste "$T_TMP/cpu.$j" "$T_TMP/cpu.1" |
		    awk '{ printf "%.3f\n", $1 / $2 }' | median)"
	done
	exit 0
fi

if [ "$WHAT" = perf ]; then
	# Where edge-sni's CPU goes, kernel included (cpu-clock samples).
	bg SNI "$NS" "$BIN/edge-sni" -d -f "$T_TMP/sni.conf"
	wait_for 5 nsx "$NS" bash -c "exec 3<>/dev/tcp/127.0.0.1/9443" ||
		fail "edge-sni did not start"
	load 4 0.5 >/dev/null
	perf record -q -e cpu-clock -F 4000 -g -o "$T_TMP/perf.data" \
		-p "$SNI" -- sleep "$SECS" >/dev/null 2>&1 &
	pp=$!
	load "${SNI_CONC:-64}" "$SECS" >/dev/null
	wait $pp || true
	perf report -q -i "$T_TMP/perf.data" --no-children --sort sym \
		--percent-limit 0.7 -g none 2>/dev/null | head -n "${SNI_PERF_TOP:-60}"
	perf report -q -i "$T_TMP/perf.data" --children --sort sym \
		-g none --percent-limit 0.5 2>/dev/null >"$T_TMP/children"
	echo "--- system calls, with what they cause (children):"
	grep -E '\[k\] __(x64|do)_sys_|\[k\] do_syscall_64|\[k\] __schedule|\[k\] handle_softirqs' \
		"$T_TMP/children"
	[ -n "${SNI_PERF_GREP:-}" ] && grep -E "$SNI_PERF_GREP" "$T_TMP/children"
	exit 0
fi

if [ "$WHAT" = strace ] || [ "$WHAT" = both ]; then
	command -v strace >/dev/null || skip "strace is not installed"
	bg SNI "$NS" "$BIN/edge-sni" -d -f "$T_TMP/sni.conf"
	wait_for 5 nsx "$NS" bash -c "exec 3<>/dev/tcp/127.0.0.1/9443" ||
		fail "edge-sni did not start"
	load 4 0.5 >/dev/null
	strace -c -f -q -o "$T_TMP/strace" -p "$SNI" &
	sp=$!
	sleep 0.5
	g0=$(segs)
	set -- $(load "$CONC" "$SECS")
	g1=$(segs)
	sleep 0.2
	kill -INT $sp; wait $sp 2>/dev/null || true
	echo "TCP segments per connection (client, edge-sni, backend):" \
		"$(awk -v a="$g0" -v b="$g1" -v n="$1" \
		'BEGIN { printf "%.2f", (b - a) / n }')"
	echo "syscalls per connection ($1 connections, $CONC in flight):"
	awk -v n="$1" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ &&
	    $NF != "total" { printf "  %-16s %6.2f\n", $NF, $4 / n }
	    $NF == "total" { printf "  %-16s %6.2f\n", "total", $4 / n }' \
	    "$T_TMP/strace" | sort -k2 -g -r
	kill "$SNI"; wait "$SNI" 2>/dev/null || true
fi

if [ "$WHAT" = callgrind ] || [ "$WHAT" = both ]; then
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	bg SNI "$NS" valgrind -q --tool=callgrind --instr-atstart=no \
		--callgrind-out-file="$T_TMP/cg.out" \
		"$BIN/edge-sni" -d -f "$T_TMP/sni.conf"
	wait_for 20 nsx "$NS" bash -c "exec 3<>/dev/tcp/127.0.0.1/9443" ||
		fail "edge-sni did not start under valgrind"
	load 4 1 >/dev/null
	callgrind_control -i on "$SNI" >/dev/null
	set -- $(load "$CONC" "$SECS")
	callgrind_control -i off "$SNI" >/dev/null
	callgrind_control -d "$SNI" >/dev/null
	kill "$SNI"; wait "$SNI" 2>/dev/null || true
	f=$T_TMP/cg.out.1	# the dump; cg.out is from the exit
	ir=$(callgrind_annotate "$f" 2>/dev/null |
		awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
	echo "user-space instructions per connection: $((ir / $1))" \
		"($1 connections under callgrind)"
	[ -n "${SNI_CG_TOP:-}" ] && callgrind_annotate "$f" 2>/dev/null |
		sed -n '/file:function/,$p' | head -n "$SNI_CG_TOP"
fi
exit 0
