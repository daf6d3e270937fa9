#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Failing back off a metered LTE uplink deletes exactly its conntrack
# entries: a masqueraded flow (found by its reply tuple, addressed to the
# LTE device's address) and a routed, untranslated flow (found by the
# conntrack mark the firewall sets on LTE's traffic, ConntrackMark), while
# a flow that never used LTE stays.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/failover-lib.sh"

fo_lab wan0 lte0
# 10.90.0.3 is routed through LTE without NAT, its connections marked
nsx "$FO_LAN" ip addr add 10.90.0.3/24 dev eth0
nsx "$FO_HOME" nft insert rule ip fonat post ip saddr 10.90.0.3 accept
nsx "$(fo_isp 2)" ip route add 10.90.0.0/24 via 10.8.2.2
nsx "$FO_NET" ip route add 10.90.0.0/24 via 10.9.2.1
nsx "$FO_HOME" nft -f - <<EOF
table ip fomark {
	chain setmark {
		type filter hook forward priority 0;
		oifname "lte0" ct mark set 0x2
	}
}
EOF

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
Metered = yes
ConntrackMark = 0x2/0xff
Targets = lte0-far
EOF

mkfifo "$T_TMP/stream"
bg FO "$FO_HOME" "$BIN/edge-failover" -f "$T_TMP/wan.conf" \
	-i "$T_TMP/stream" 2>"$T_TMP/fo.log"
fo_prober PROBE "$T_TMP/stream" wan0 lte0
fo_wait_route 5 "via 10.8.1.1 dev wan0" || fail "no route via wan0"

fo_blackhole 1 on
fo_wait_route 4 "via 10.8.2.1 dev lte0" || fail "no switch to LTE"
nsx "$FO_LAN" ping -c 1 -W 1 $FO_SERVER >/dev/null || fail "no ping via LTE"
echo x | nsx "$FO_LAN" socat -u - UDP:$FO_SERVER:9,bind=10.90.0.3:5555
nsx "$FO_LAN" ping -c 1 -W 1 10.90.0.1 >/dev/null || fail "no ping to home"
ct() { nsx "$FO_HOME" cat /proc/net/nf_conntrack; }
masq="src=10.90.0.2 dst=$FO_SERVER .*dst=10.8.2.2"
routed="src=10.90.0.3 dst=$FO_SERVER .*sport=5555 .*mark=2 "
local_="src=10.90.0.2 dst=10.90.0.1 "
ct | grep -q "$masq" || fail "no masqueraded entry: $(ct)"
ct | grep -q "$routed" || fail "no marked routed entry: $(ct)"
ct | grep -q "$local_" || fail "no local entry: $(ct)"
ok "three flows tracked while on LTE"

fo_blackhole 1 off
fo_wait_route 5 "via 10.8.1.1 dev wan0" || fail "no failback"
sleep 0.3
cat "$T_TMP/fo.log"
! ct | grep -q "$masq" || fail "masqueraded LTE entry left"
! ct | grep -q "$routed" || fail "marked LTE entry left"
ct | grep -q "$local_" || fail "an entry that never used LTE was deleted"
ok "failback deleted the masqueraded and the marked LTE flows, kept the other"
