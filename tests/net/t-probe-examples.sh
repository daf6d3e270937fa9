#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Every example of edge-probe(8) and of the README's edge-probe section,
# taken from the documents themselves and run in a lab that has what they
# name (uplinks wan0 and lte0 to a far host 203.0.113.10, a WireGuard
# tunnel to 10.99.0.1): only paths are moved into the test's directory,
# and the tunnel's interface name and key are this run's.  It fails when
# the page has more examples (or an example more steps) than it runs.
#   - the cron check of the tunnel: silent while it is up, "tunnel down"
#     once the peer is cut off;
#   - the history kept with -o and drawn by "edge-probe report": the SVG is
#     XML and renders to PNG, the summary names every target;
#   - the per-uplink stream into edge-failover, with the first example of
#     edge-failover.conf(5): the route follows wan0 and moves to lte0 when
#     wan0 dies upstream; the README's stream and failover.conf the same way.
source "$(dirname "$0")/lib.sh"

P=$BIN/edge-probe
[ -x "$P" ] || fail "no $P"
[ -x "$BIN/edge-failover" ] || fail "no edge-failover"
for c in wireguard-go wg socat xmllint rsvg-convert; do
	command -v $c >/dev/null || skip "$c not installed"
done

# man_ex FILE N: the N-th literal display of FILE's EXAMPLES, unescaped.
man_ex() {
	awk -v n="$2" '/^\.Sh EXAMPLES/ { e = 1; next } /^\.Sh / { e = 0 }
	    e && /^\.Bd -literal/ { k++; b = 1; next } b && /^\.Ed/ { b = 0; next }
	    b && k == n { gsub(/\\e/, "\\"); print }' "$1"
}
# man_nex FILE: how many literal displays FILE's EXAMPLES has.
man_nex() {
	awk '/^\.Sh EXAMPLES/ { e = 1; next } /^\.Sh / { e = 0 }
	    e && /^\.Bd -literal/ { k++ } END { print k + 0 }' "$1"
}
# readme_ex: the indented blocks of the README's edge-probe section.
readme_ex() {
	awk '/^### edge-probe\(8\)/ { e = 1; next } e && /^#/ { e = 0 }
	    e && /^    / { print substr($0, 5) }' "$TOP/README"
}
# steps DIR: a "$ cmd" / file-listing display on stdin becomes DIR/1.sh,
# DIR/2.sh, ...: one per command, "$ cat FILE" and the lines after it
# becoming a step that writes FILE.  Paths are moved into $T_TMP.
steps() {
	mkdir -p "$1"
	sed -e "s#/etc/edgekit/#$T_TMP/#g" -e "s#/var/lib/edgekit/#$T_TMP/#g" \
	    -e "s#/tmp/probe.svg#$T_TMP/probe.svg#g" | awk -v dir="$1" '
	function step() { if (f) close(f); f = dir "/" (++k) ".sh" }
	/^\$ cat / { if (cat) print "EXAMPLE" > f; step()
		print "cat > " substr($0, 7) " <<'\''EXAMPLE'\''" > f
		cat = 1; next }
	/^\$ / { if (cat) print "EXAMPLE" > f; cat = 0; step()
		print substr($0, 3) > f; cont = /\\$/; next }
	cont { print > f; cont = /\\$/; next }
	cat { print > f }
	END { if (cat) print "EXAMPLE" > f }'
}
# run NS STEP: run one step in NS, in $T_TMP, with the tools on PATH; what
# it leaves running in NS is stopped at the end (stop_all).
run() {
	nsx "$1" env PATH="$BIN:$PATH" sh -c "cd '$T_TMP' && . '$2'"
}

# This test runs examples 1-3 of edge-probe(8), each as a whole: a further
# example, or a further step in one, would go unrun, so either fails here.
n=$(man_nex "$TOP/man/edge-probe.8")
[ "$n" -eq 3 ] ||
	fail "edge-probe.8 has $n examples, this test runs 3: run the new one"

# The examples start pipelines through a shell: on every exit path stop
# whatever runs in this run's namespaces, then the harness cleans up.
stop_all() {
	local n p
	for n in "${T_NS[@]}"; do
		for p in $(ip netns pids "$n" 2>/dev/null); do kill "$p"; done
	done
	return 0
}
trap 'rc=$?; stop_all; (exit $rc); t_cleanup' EXIT

# --- the lab ---
ns_make H home
ns_make I1 isp1
ns_make I2 isp2
ns_make N inet
ns_make V vps
veth "$H" wan0 "$I1" cust
veth "$H" lte0 "$I2" cust
veth "$I1" upl "$N" e1
veth "$I2" upl "$N" e2
veth "$H" ul0 "$V" ul0
nsx "$N" ip addr add 203.0.113.10/32 dev lo
nsx "$I1" ip addr add 10.9.1.1/24 dev upl
nsx "$N" ip addr add 10.9.1.2/24 dev e1
nsx "$I2" ip addr add 10.9.2.1/24 dev upl
nsx "$N" ip addr add 10.9.2.2/24 dev e2
for k in 1 2; do
	i="I$k"
	nsx "${!i}" sysctl -qw net.ipv4.ip_forward=1
	nsx "${!i}" ip route add default via "10.9.$k.2"
	nsx "${!i}" nft -f - <<-EOF
	table inet bh {
		chain fw { type filter hook forward priority 0; }
		chain in { type filter hook input priority 0; }
	}
	EOF
done
# blackhole K on|off: ISP K drops everything from its customer.
blackhole() {
	local i="I$1" c
	for c in fw in; do
		nsx "${!i}" nft flush chain inet bh $c
		[ "$2" = on ] && nsx "${!i}" nft add rule inet bh $c iifname cust drop
	done
	return 0
}
# addressing WAN-HOME WAN-ISP WAN-NET LTE-HOME LTE-ISP LTE-NET: the
# customer links' addresses (prefix lengths given), home's default routes
# through each (as DHCP would leave them), mark 0x10 through wan0, and the
# far host's way back.
addressing() {
	local k a
	nsx "$H" ip rule del fwmark 0x10 lookup 10 2>/dev/null || true
	for a in wan0 lte0; do nsx "$H" ip addr flush dev $a; done
	for a in "$I1" "$I2"; do nsx "$a" ip addr flush dev cust; done
	nsx "$N" ip route flush proto static
	nsx "$H" ip addr add "$1" dev wan0
	nsx "$I1" ip addr add "$2" dev cust
	nsx "$H" ip addr add "$4" dev lte0
	nsx "$I2" ip addr add "$5" dev cust
	nsx "$H" ip route add default via "${2%/*}" dev wan0 metric 101
	nsx "$H" ip route add default via "${5%/*}" dev lte0 metric 102
	nsx "$H" ip route add default via "${2%/*}" dev wan0 table 10
	nsx "$H" ip rule add fwmark 0x10 lookup 10
	nsx "$N" ip route add "$3" via 10.9.1.1 proto static
	nsx "$N" ip route add "$6" via 10.9.2.1 proto static
	for a in wan0 lte0; do
		wait_for 5 nsx "$H" ping -c 1 -W 1 -I $a 203.0.113.10 ||
			fail "lab: no way out through $a"
	done
}
fo_route() { nsx "$H" ip route show proto 203 | tr -s ' \t\n' '   '; }
wait_route() {
	wait_for "$1" bash -c "ip -n $H route show proto 203 | grep -q '$2'"
}

# --- the cron check of the tunnel ---
IA=${T_ID}w
IV=${T_ID}v
nsx "$H" ip addr add 192.168.77.1/24 dev ul0
nsx "$V" ip addr add 192.168.77.2/24 dev ul0
wg_go "$H" "$IA"
wg_go "$V" "$IV"
kh=$(wg genkey); kv=$(wg genkey)
ph=$(echo "$kh" | wg pubkey); pv=$(echo "$kv" | wg pubkey)
echo "$kh" > "$T_TMP/kh"; echo "$kv" > "$T_TMP/kv"
nsx "$H" wg set "$IA" private-key "$T_TMP/kh" listen-port 51820 \
	peer "$pv" endpoint 192.168.77.2:51820 allowed-ips 10.99.0.1/32
nsx "$V" wg set "$IV" private-key "$T_TMP/kv" listen-port 51820 \
	peer "$ph" endpoint 192.168.77.1:51820 allowed-ips 10.99.0.2/32
nsx "$H" ip addr add 10.99.0.2/24 dev "$IA"
nsx "$V" ip addr add 10.99.0.1/24 dev "$IV"
nsx "$H" ip link set "$IA" up
nsx "$V" ip link set "$IV" up
bg _ "$V" socat TCP-LISTEN:22,fork,reuseaddr,bind=10.99.0.1 SYSTEM:'sleep 0.2'
wait_for 10 nsx "$H" ping -c 1 -W 1 10.99.0.1 || fail "no tunnel"

line=$(man_ex "$TOP/man/edge-probe.8" 1)
echo "$line" | grep -q '^\*/5 \* \* \* \* edge-probe ' ||
	fail "the first example is not the cron line: $line"
key=$(echo "$line" | grep -o 'peer [A-Za-z0-9+/]*=' | cut -d' ' -f2)
# The cron fields off, this run's tunnel name and key in.
echo "$line" | sed -e '1s/^\([^ ]* \)\{5\}//' -e "s/\\bwg0\\b/$IA/g" \
	-e "s#$key#$pv#" > "$T_TMP/cron.sh"
cat "$T_TMP/cron.sh"
out=$(nsx "$H" env PATH="$BIN:$PATH" sh "$T_TMP/cron.sh") ||
	fail "cron check failed: $out"
[ -z "$out" ] || fail "cron check said something while the tunnel is up: $out"
nsx "$V" nft add table inet cut
nsx "$V" nft add chain inet cut in '{ type filter hook input priority 0; policy drop; }'
out=$(nsx "$H" env PATH="$BIN:$PATH" sh "$T_TMP/cron.sh") ||
	fail "cron check failed: $out"
[ "$out" = "tunnel down" ] || fail "cron check with the peer cut off: $out"
ok "cron example: silent while up, \"tunnel down\" once the peer is cut off"

# --- the stream per uplink, the history ---
# The first example of edge-failover.conf(5) as failover.conf, with this run's
# state file.
addressing 192.0.2.2/24 192.0.2.1/24 192.0.2.0/24 \
	198.51.100.2/24 198.51.100.1/24 198.51.100.0/24
man_ex "$TOP/man/edge-failover.conf.5" 1 |
	sed "/^\[Failover\]/a StateFile = $T_TMP/fo.state" > "$T_TMP/failover.conf"
man_ex "$TOP/man/edge-probe.8" 2 | steps "$T_TMP/stream"
man_ex "$TOP/man/edge-probe.8" 3 | steps "$T_TMP/hist"
[ -e "$T_TMP/stream/2.sh" ] && [ -e "$T_TMP/hist/2.sh" ] &&
	! [ -e "$T_TMP/stream/3.sh" ] && ! [ -e "$T_TMP/hist/3.sh" ] ||
	fail "examples 2 and 3 are not two steps each"
run "$H" "$T_TMP/stream/1.sh"
[ "$(grep -c '^icmp' "$T_TMP/probes")" -ge 3 ] || fail "no probes file"

# History first (every uplink up): at least three rounds, then the report.
run "$H" "$T_TMP/hist/1.sh"
wait_for 10 bash -c "[ \$(wc -l < '$T_TMP/probe.log') -ge 9 ]" ||
	fail "no history written"
out=$(nsx "$H" env PATH="$BIN:$PATH" sh -c "cd '$T_TMP' && . hist/2.sh") ||
	fail "report: $out"
echo "$out"
for n in wan0-gw wan0-far lte0-far; do
	echo "$out" | grep -q "$n" || fail "report summary lacks $n"
done
xmllint --noout "$T_TMP/probe.svg" || fail "the report is not XML"
rsvg-convert -o "$T_TMP/probe.png" "$T_TMP/probe.svg" ||
	fail "the report does not render"
[ -s "$T_TMP/probe.png" ] || fail "empty PNG"
ok "history example: report summary, SVG is XML and renders to PNG"

bg _ "$H" env PATH="$BIN:$PATH" sh -c "cd '$T_TMP' && . stream/2.sh"
wait_route 10 'via 192.0.2.1 dev wan0' || fail "no route via wan0: $(fo_route)"
blackhole 1 on
wait_route 5 'via 198.51.100.1 dev lte0' ||
	fail "route did not move to lte0: $(fo_route)"
ok "man stream example: edge-failover follows wan0, then moves to lte0"
for p in $(ip netns pids "$H"); do
	case $(cat /proc/"$p"/comm 2>/dev/null) in
	edge-probe|edge-failover|sh) kill "$p" ;;
	esac
done
# (the old failover's exit is waited for: two must not fight over routes)
no_edge() {
	local p
	for p in $(ip netns pids "$H"); do
		case $(cat /proc/"$p"/comm 2>/dev/null) in edge-*) return 1 ;; esac
	done
}
wait_for 5 no_edge || fail "the first stream did not stop"
blackhole 1 off

# --- the README's stream ---
# (the README uses the man page's addresses)
addressing 192.0.2.2/24 192.0.2.1/24 192.0.2.0/24 \
	198.51.100.2/24 198.51.100.1/24 198.51.100.0/24
rm -f "$T_TMP/probes" "$T_TMP/failover.conf"
readme_ex | steps "$T_TMP/readme"
[ -e "$T_TMP/readme/3.sh" ] && ! [ -e "$T_TMP/readme/4.sh" ] ||
	fail "the README example is not three steps"
run "$H" "$T_TMP/readme/1.sh"
run "$H" "$T_TMP/readme/2.sh"
sed -i "/^\[Failover\]/a StateFile = $T_TMP/fo2.state" "$T_TMP/failover.conf"
bg _ "$H" env PATH="$BIN:$PATH" sh -c "cd '$T_TMP' && . readme/3.sh"
wait_route 10 'via 192.0.2.1 dev wan0' ||
	fail "README: no route via wan0: $(fo_route)"
blackhole 1 on
wait_route 5 'via 198.51.100.1 dev lte0' ||
	fail "README: route did not move to lte0: $(fo_route)"
ok "README stream example: edge-failover follows wan0, then moves to lte0"
