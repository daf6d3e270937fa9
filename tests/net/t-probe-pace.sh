#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Pacing (-p): 20 ICMP targets once with -p 20ms are sent 20 ms apart
# (the send times of the result lines, whole milliseconds: >= 19 ms
# between any two, even after a send the loaded machine delayed) and none
# ahead of the schedule, so the round takes at least 19 x 20 ms; without
# -p the same 20 go out at once.  In the continuous mode the pace holds
# across targets and rounds.
source "$(dirname "$0")/lib.sh"

P=$BIN/edge-probe
[ -x "$P" ] || fail "no $P"
ns_make A probe
ns_make B resp
veth "$A" a0 "$B" b0
nsx "$A" ip addr add 192.0.2.1/24 dev a0
nsx "$B" ip addr add 192.0.2.2/24 dev b0
nsx "$B" ip route add local 198.51.100.0/24 dev lo
nsx "$A" ip route add 198.51.100.0/24 via 192.0.2.2
wait_for 5 nsx "$A" ping -c 1 -W 1 198.51.100.1 || fail "no responder"
for i in $(seq 1 20); do echo "icmp 198.51.100.$i"; done > "$T_TMP/probes"

# gaps MIN-GAP: read result lines, print the send times' spread (first to
# last) and the smallest gap, in ms; fail unless every gap is at least
# MIN-GAP and send k is no earlier than send 0 + k * PACE (-1 ms: the
# times are whole milliseconds).
gaps() {
	awk -F'\t' -v pace="$1" '$1 == "r" { print $2 }' | sort -n |
	awk -v pace="$1" '
	NR == 1 { t0 = $1 }
	NR > 1 { g = $1 - prev; if (min == "" || g < min) min = g
		if ($1 - t0 < (NR - 1) * pace - 1) ahead++ }
	{ prev = $1 }
	END { printf "%d sends, %d ms first to last, smallest gap %d ms\n",
		NR, prev - t0, min
	      if (ahead) { printf "%d sends ahead of the schedule\n", ahead
		exit 1 }
	      exit min < pace - 1 }'
}

# Unpaced first: the 20 sends are not spread (or the test below could not
# tell pacing from a slow loop).
out=$(nsx "$A" "$P" -t 2s -f "$T_TMP/probes") || fail "unpaced: not all up"
s=$(echo "$out" | gaps 0) || fail "unpaced: $s"
echo "unpaced: $s"
spread=$(echo "$s" | sed -n 's/.*, \([0-9]*\) ms first to last.*/\1/p')
[ "$spread" -lt 100 ] || fail "unpaced sends spread over $spread ms"
ok "unpaced: 20 sends within $spread ms"

start=$(date +%s%N)
out=$(nsx "$A" "$P" -p 20ms -t 2s -f "$T_TMP/probes") || fail "paced: not all up"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "$out"
[ "$(echo "$out" | awk -F'\t' '$1 == "r" && $8 == "up"' | wc -l)" -eq 20 ] ||
	fail "paced: expected 20 results up"
s=$(echo "$out" | gaps 20) || fail "-p 20ms: $s"
echo "-p 20ms: $s, run $ms ms"
spread=$(echo "$s" | sed -n 's/.*, \([0-9]*\) ms first to last.*/\1/p')
[ "$spread" -ge 379 ] || fail "-p 20ms: sends spread over only $spread ms"
[ "$ms" -ge 380 ] || fail "-p 20ms: the run took only $ms ms"
ok "-p 20ms: 20 sends, gaps >= 19 ms, $spread ms first to last, run $ms ms"

# Continuous, with rounds: -i 100ms puts 20 targets two to a 10 ms slot,
# sent back to back; with -p 4ms (80 ms a round, within the interval) no
# two of the 60 sends, across targets and rounds, come closer than 4 ms
# (-1 ms, as above).
cgap() {
	awk -F'\t' '$1 == "r" { print $2 }' | sort -n |
	awk 'NR > 1 { g = $1 - p; if (m == "" || g < m) m = g } { p = $1 }
	END { print NR, m }'
}
out=$(nsx "$A" "$P" -i 100ms -c 3 -R 0 -t 2s -f "$T_TMP/probes") ||
	fail "continuous unpaced: not all up"
set -- $(echo "$out" | cgap)
echo "continuous unpaced: $1 sends, smallest gap $2 ms"
[ "$1" -eq 60 ] && [ "$2" -le 1 ] ||
	fail "continuous unpaced: expected 60 sends, some back to back"
out=$(nsx "$A" "$P" -i 100ms -c 3 -p 4ms -R 0 -t 2s -f "$T_TMP/probes") ||
	fail "continuous paced: not all up"
[ "$(echo "$out" | awk -F'\t' '$1 == "r" && $8 == "up"' | wc -l)" -eq 60 ] ||
	fail "continuous paced: expected 60 results up"
set -- $(echo "$out" | cgap)
[ "$2" -ge 3 ] || fail "continuous -p 4ms: a gap of $2 ms"
ok "continuous -i 100ms -p 4ms: 60 sends, smallest gap $2 ms"
