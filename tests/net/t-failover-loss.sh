#!/bin/bash
# SPDX-License-Identifier: ISC
#
# 30 % random loss on the primary's upstream (nft numgen, requests only)
# read by two edge-failover instances in dry-run mode (-n: decide and
# log, touch no route) from one probe stream: with pfSense's thresholds
# (degraded 10 %, down 20 %) it is down; with degraded 15 % and down 50 %
# it is degraded.  The routes stay untouched by either.  Probes every
# 100 ms put 100 results in the 10 s window: the measured share of a
# 30 % coin has a spread of about 4.6 points, so 15 % is over three
# spreads away (50 results at 200 ms against a 20 % bound failed one run
# in fifteen).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/failover-lib.sh"

fo_lab wan0 lte0
conf() {	# FILE extra-Failover-lines
	cat >"$1" <<EOF
[Failover]
$2

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
}
conf "$T_TMP/a.conf" "DownAfter = 600ms"
conf "$T_TMP/b.conf" "DownAfter = 3s
DegradedLoss = 15
DownLoss = 50"

mkfifo "$T_TMP/s0" "$T_TMP/s1" "$T_TMP/s2"
bg A "$FO_HOME" "$BIN/edge-failover" -n -f "$T_TMP/a.conf" -S "$T_TMP/a.state" \
	-i "$T_TMP/s1" 2>"$T_TMP/a.log"
bg B "$FO_HOME" "$BIN/edge-failover" -n -f "$T_TMP/b.conf" -S "$T_TMP/b.state" \
	-i "$T_TMP/s2" 2>"$T_TMP/b.log"
bg TEE "$FO_HOME" sh -c "exec tee $T_TMP/s1 >$T_TMP/s2 <$T_TMP/s0"
FO_INTERVAL=0.1 fo_prober PROBE "$T_TMP/s0" wan0 lte0

wait_for 5 grep -q "gateway wan: unknown -> up" "$T_TMP/a.log" ||
	{ cat "$T_TMP/a.log"; fail "wan not up at start"; }
isp=$(fo_isp 1)
nsx "$isp" nft add rule inet fo blk iifname cust numgen random mod 100 \< 30 drop
sleep 13

st() { "$BIN/edge-failover" status -S "$1" | awk -v g="$2" '$1 == g { print $2 " " $5 }'; }
a=$(st "$T_TMP/a.state" wan)
b=$(st "$T_TMP/b.state" wan)
echo "defaults: wan $a; 15/50 %: wan $b"
cat "$T_TMP/a.log" "$T_TMP/b.log"
[ "${a%% *}" = down ] || fail "with 10/20 %: wan is $a, wanted down"
[ "${b%% *}" = degraded ] || fail "with 15/50 %: wan is $b, wanted degraded"
loss=${b#* }
awk -v l="$loss" 'BEGIN { exit !(l >= 15 && l < 50) }' ||
	fail "measured loss $loss % for 30 %"
ok "30 % loss: down with 10/20 %, degraded with 15/50 % (loss $loss %)"

grep -q "would route" "$T_TMP/a.log" || fail "dry run decided nothing"
[ -z "$(fo_route)" ] || fail "a dry run changed routes: $(fo_route)"
ok "dry run logs decisions and touches no route"
