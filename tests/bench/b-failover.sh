#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-failover: how fast a total outage of the primary moves the default
# route.  edge-probe probes every 200 ms (timeout 200 ms) through each
# uplink, edge-failover has DownAfter 600 ms.  Each run blackholes the
# primary's upstream at a random point of the probe cycle; the switch time
# is from the nft rule to the kernel's route change (ip -ts monitor), the
# programming time is edge-failover's own "us after the decision" (the
# netlink replace and its ACK).  Targets over RUNS runs (default 7):
# switch <= 1 s in every run (the median and the max), programming
# <= 10 ms (median).
#
# No peer runs here: pfSense/OPNsense (dpinger) and mwan3 are not Debian
# packages; their documented defaults notice a dead uplink in about 14-16 s
# (dpinger) and 60-120 s (mwan3).  The report quotes dpinger's 15 s for
# scale, labelled as a documented default: it is not a measurement.
source "$(dirname "$0")/../net/lib.sh"
source "$(dirname "$0")/../net/failover-lib.sh"
export TZ=UTC
RUNS=${RUNS:-7}

fo_lab wan0 lte0
cat >"$T_TMP/wan.conf" <<EOF
[Failover]
StateFile = $T_TMP/state
DownAfter = 600ms
UpAfter = 2s

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

bg MON "$FO_HOME" sh -c "exec ip -ts monitor route >$T_TMP/mon.log"
# The blackhole is switched by an nft session started beforehand: a new
# nft process takes 50-200 ms to start here, which would blur t0.
mkfifo "$T_TMP/nft"
bg NFT "$(fo_isp 1)" sh -c "exec nft -i <$T_TMP/nft >$T_TMP/nft.log 2>&1"
exec 7>"$T_TMP/nft"
blackhole() {	# on|off
	if [ "$1" = on ]; then
		echo "add rule inet fo blk drop" >&7
	else
		echo "flush chain inet fo blk" >&7
	fi
}
mkfifo "$T_TMP/stream"
bg FO "$FO_HOME" "$BIN/edge-failover" -f "$T_TMP/wan.conf" \
	-i "$T_TMP/stream" 2>"$T_TMP/fo.log"
fo_prober PROBE "$T_TMP/stream" wan0 lte0
fo_wait_route 5 "via 10.8.1.1 dev wan0" || fail "no route via wan0"
echo "prober: $FO_PROBER; load: $(cut -d" " -f1-3 /proc/loadavg) on $(nproc) cores"

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# epoch ms of the first proto-203 route change through DEV after T (s.ns)
route_time() {
	local t=$1 dev=$2
	while IFS= read -r line; do
		case $line in *"proto 203"*) ;; *) continue ;; esac
		case $line in Deleted*) continue ;; *"dev $dev "*) ;; *) continue ;; esac
		ts=${line%%]*}; ts=${ts#[}
		s=$(date -d "$ts" +%s.%N)
		awk -v a="$s" -v b="$t" 'BEGIN { exit !(a > b) }' || continue
		awk -v a="$s" 'BEGIN { printf "%.0f\n", a * 1000 }'
		return
	done <"$T_TMP/mon.log"
}

switch=() prog=() back=()
for i in $(seq "$RUNS"); do
	sleep "0.$((RANDOM % 200 + 800))"	# a random phase of the probes
	t0=$(date +%s.%N)
	blackhole on
	fo_wait_route 5 "via 10.8.2.1 dev lte0" || fail "run $i: no switch"
	sleep 0.1
	r=$(route_time "$t0" lte0)
	[ -n "$r" ] || fail "run $i: no route change seen"
	ms=$((r - $(awk -v a="$t0" 'BEGIN { printf "%.0f", a * 1000 }')))
	switch+=("$ms")
	t2=$(date +%s.%N)
	blackhole off
	fo_wait_route 8 "via 10.8.1.1 dev wan0" || fail "run $i: no failback"
	sleep 0.1
	r=$(route_time "$t2" wan0)
	back+=($((r - $(awk -v a="$t2" 'BEGIN { printf "%.0f", a * 1000 }'))))
	p=$(grep "dev lte0 (was" "$T_TMP/fo.log" | tail -n 1 |
		sed -n 's/.*, \([0-9]*\) us after the decision.*/\1/p')
	prog+=("$p")
	echo "run $i: outage -> route via LTE in $ms ms; programmed $p us after the decision; back ${back[-1]} ms after the repair"
done

ms_med=$(printf '%s\n' "${switch[@]}" | median)
ms_max=$(printf '%s\n' "${switch[@]}" | sort -n | tail -n 1)
us_med=$(printf '%s\n' "${prog[@]}" | median)
us_max=$(printf '%s\n' "${prog[@]}" | sort -n | tail -n 1)
echo "switch on total outage: median $ms_med ms, max $ms_max ms over $RUNS runs (target <= 1000 ms, every run)"
echo "for scale, not measured here: dpinger's documented default notices a dead uplink in about 15000 ms (14000-16000), $(awk -v m="$ms_med" 'BEGIN { printf "%.0f", 15000 / m }') times this median"
echo "failback after the repair: median $(printf '%s\n' "${back[@]}" | median) ms (UpAfter 2000 ms)"
echo "route programming after the decision: median $us_med us, max $us_max us (target <= 10000 us)"
b_min=$(printf '%s\n' "${back[@]}" | sort -n | head -n 1)
[ "$b_min" -ge 2000 ] || fail "failback after $b_min ms, before UpAfter"
slow=$(printf '%s\n' "${switch[@]}" | awk '$1 > 1000' | paste -sd, -)
[ -z "$slow" ] || fail "switch over 1000 ms in some runs: $slow ms (median $ms_med ms)"
awk -v u="$us_med" 'BEGIN { exit !(u <= 10000) }' ||
	fail "route programming: median $us_med us, over 10000 us"
