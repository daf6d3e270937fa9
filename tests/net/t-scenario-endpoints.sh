#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Scenario "endpoint nodes in front of a home": three endpoint nodes, each
# tunnelled to the one home router (three edge-tunnel interfaces there).
# - HTTPS is routed by SNI to the right server from any node (edge-sni,
#   NAT46 prefix 64:ff9b:K::/96 per node, routed home down tunnel K so
#   the replies go back through the node they came from);
# - a non-HTTPS port is mapped to a server: SSH-style on node 1 by
#   edge-sni's static mode, on node 2 by edge-tunnel's Forward (and a
#   Masquerade into the tunnel for the way back);
# - the LAN's outbound IPv4 leaves through a gateway group of the three
#   tunnels (edge-probe | edge-failover, table 300), chosen by health: a
#   node that dies is left out, and the internet sees the others' addresses;
# - the same edge-failover moves the home's default route to LTE when the
#   primary WAN dies upstream, and HTTPS through every node works again.
#
#   client4 -- inet -- vps (node1) ==wg1==\
#                 |--- vps2 (node2) ==wg2== home (wan0 + lte0) -- srv1, srv2
#                 |--- vps3 (node3) ==wg3==/
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
sc_need edge-tunnel edge-sni edge-probe edge-failover

lab_up
lab_node vps2 203.0.113.65 203.0.113.70
lab_node vps3 203.0.113.129 203.0.113.130
NODE=("" vps vps2 vps3)
NODE4=("" $V4_VPS 203.0.113.70 203.0.113.130)
# The internet's view: who is connecting, on 203.0.113.200:7.
lx inet ip addr add 203.0.113.200/32 dev lo
lx inet socat TCP-LISTEN:7,bind=203.0.113.200,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR' &
LAB_PIDS+=($!)

declare -a IH IV CH CV
for k in 1 2 3; do
	sc_tun_name "IH[$k]" "h$k"
	sc_tun_name "IV[$k]" "n$k"
	kh=$(wg genkey); kv=$(wg genkey)
	fwd=
	[ $k = 2 ] && fwd="Forward = tcp 2222 to 10.0.0.11:22
Masquerade = 0.0.0.0/0 oif ${IV[$k]}"
	CV[$k]=$(sc_conf "${IV[$k]}" <<-CONF
	# endpoint node $k
	[Interface]
	PrivateKey = $kv
	ListenPort = 51820
	Address = 10.99.$k.1/30, fd00:99:$k::1/64
	Masquerade = 10.0.0.0/24 oif wan0
	$fwd

	[Peer]
	PublicKey = $(echo "$kh" | wg pubkey)
	AllowedIPs = 10.99.$k.2/32, fd00:99:$k::2/128, $V6_HOME, 10.0.0.0/24
	CONF
	)
	rules=
	[ $k = 1 ] && rules="Rule = from 10.0.0.0/24 to 10.99.0.0/16 table main priority 290
Rule = from 10.0.0.0/24 to 10.0.0.0/24 table main priority 291
Rule = from 10.0.0.0/24 table 300 priority 300"
	CH[$k]=$(sc_conf "${IH[$k]}" <<-CONF
	# home's tunnel to node $k: node $k's NAT46 sources go back through it
	[Interface]
	PrivateKey = $kh
	Address = 10.99.$k.2/30, fd00:99:$k::2/64
	Table = off
	Route = 64:ff9b:$k::/96
	$rules

	[Peer]
	PublicKey = $(echo "$kv" | wg pubkey)
	Endpoint = ${NODE4[$k]}:51820
	AllowedIPs = 0.0.0.0/0, ::/0
	PersistentKeepalive = 2
	CONF
	)
	sc_tunnel "$(lab_ns "${NODE[$k]}")" "${CV[$k]}"
	sc_tunnel "$(lab_ns home)" "${CH[$k]}"
done
for k in 1 2 3; do
	sc_wait 5 lx home ping -c 1 -W 1 10.99.$k.1 || fail "tunnel $k does not carry traffic"
done
for k in 1 2 3; do
	lx home "$BIN/edge-tunnel" diff "${CH[$k]}" > "$T_TMP/plan" 2>&1 ||
		fail "home's tunnel $k differs from its file: $(cat "$T_TMP/plan")"
	lx "${NODE[$k]}" "$BIN/edge-tunnel" diff "${CV[$k]}" > "$T_TMP/plan" 2>&1 ||
		fail "node $k differs from its file: $(cat "$T_TMP/plan")"
done
ok "three endpoint nodes tunnelled to the home; edge-tunnel diff clean on all six ends"

# One edge-failover for both jobs: the WAN (primary, then LTE) and the
# gateway group of the three nodes for the LAN's outbound traffic.
cat > "$T_TMP/probes" <<EOF
icmp $V4_VPS dev wan0 name wan0-far group wan0
icmp $V4_VPS dev lte0 name lte0-far group lte0
EOF
for k in 1 2 3; do echo "icmp 10.99.$k.1 dev ${IH[$k]} name node$k group node$k"; done >> "$T_TMP/probes"
cat > "$T_TMP/failover.conf" <<EOF
[Failover]
DownAfter = 600ms
UpAfter = 1s
Hook = echo "\$GATEWAY \$PREVIOUS -> \$STATE" >> $T_TMP/hook.log

[Gateway]
Name = wan
Device = wan0
Via = $V4_PRIMARY_GW
Targets = wan0
FlushConntrack = yes

[Gateway]
Name = lte
Device = lte0
Via = $V4_LTE_GW
Tier = 2
Metered = yes
Targets = lte0

[Gateway]
Name = node1
Device = ${IH[1]}

[Gateway]
Name = node2
Device = ${IH[2]}

[Gateway]
Name = node3
Device = ${IH[3]}

[Group]
Name = uplink
Gateways = wan, lte

[Group]
Name = nodes
Gateways = node1, node2, node3
Table = 300
AllDown = all
EOF
lx home sysctl -qw net.ipv4.fib_multipath_hash_policy=1
lx home sh -c "exec '$BIN/edge-probe' -i 0.2 -t 0.2 -R 0 -f '$T_TMP/probes' |
    exec '$BIN/edge-failover' -f '$T_TMP/failover.conf' -S '$T_TMP/state'" \
    2>"$T_TMP/failover.log" &
LAB_PIDS+=($!)
nodes3="^default nexthop dev ${IH[1]} weight 1 nexthop dev ${IH[2]} weight 1 nexthop dev ${IH[3]} weight 1 ?$"
t300() { lx home ip route show table 300 proto 203 | tr -s ' \t\n' '   '; }
sc_wait 6 bash -c "ip -n $(lab_ns home) route show table 300 proto 203 | tr -s ' \t\n' '   ' | grep -Eq '$nodes3'" ||
	fail "no gateway group route over the three nodes: $(t300); $(cat "$T_TMP/failover.log")"
sc_wait 3 bash -c "ip -n $(lab_ns home) route show default proto 203 | grep -q 'via $V4_PRIMARY_GW dev wan0'" ||
	fail "no default via the primary: $(lx home ip route show default)"
ok "edge-failover: default via the primary; table 300: $(t300)"

# Services: nginx on both servers, SSH-style banner on srv1:22, DNS and
# edge-sni on every node.
lab_certs
lab_nginx srv1 "www on srv1"
lab_nginx srv2 "blog on srv2"
lx srv1 socat TCP6-LISTEN:22,ipv6only=0,reuseaddr,fork \
    SYSTEM:'echo "SSH-2.0-srv1 $SOCAT_PEERADDR"' &
LAB_PIDS+=($!)
for k in 1 2 3; do
	n=${NODE[$k]}
	lx "$n" ip addr add 127.0.0.53/8 dev lo 2>/dev/null || true
	lx "$n" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	    --listen-address=127.0.0.53 --bind-interfaces --port=53 \
	    --pid-file="$T_TMP/dnsmasq$k.pid" \
	    --host-record=www.home.example,$V6_SRV1 \
	    --host-record=blog.home.example,$V6_SRV2 &
	LAB_PIDS+=($!)
	lx "$n" ip -6 route add local 64:ff9b:$k::/96 dev lo
	lx "$n" "$BIN/edge-sni" -d -resolver 127.0.0.53 -listen tcp:443 \
	    -mode nat46 -nat46-prefix 64:ff9b:$k:: -backend-cidr $V6_HOME \
	    -access-log "$T_TMP/sni$k.log" 2>"$T_TMP/sni$k.err" &
	LAB_PIDS+=($!)
done
lx vps "$BIN/edge-sni" -d -listen tcp:2222 -mode static \
    -backend "[$V6_SRV1]:22" -nat46-prefix 64:ff9b:1:: \
    -access-log "$T_TMP/sni-ssh.log" 2>"$T_TMP/sni-ssh.err" &
LAB_PIDS+=($!)
for k in 1 2 3; do
	sc_wait 5 lx "${NODE[$k]}" bash -c "exec 3<>/dev/tcp/${NODE4[$k]}/443" ||
		fail "edge-sni on node $k did not start: $(cat "$T_TMP/sni$k.err")"
done
sc_wait 5 lx srv1 bash -c "exec 3<>/dev/tcp/$V6_SRV1/443" || fail "nginx on srv1"
sc_wait 5 lx srv2 bash -c "exec 3<>/dev/tcp/$V6_SRV2/443" || fail "nginx on srv2"

https_all() {	# every site through every node answers from the right server
	local k s out
	for k in 1 2 3; do for s in "www srv1" "blog srv2"; do
		set -- $s
		out=$(lx client4 curl -sS -m 3 --cacert "$LAB_TMP/cert.pem" \
		    --resolve "$1.home.example:443:${NODE4[$k]}" "https://$1.home.example/" 2>&1)
		[ "$out" = "$1 on $2" ] || { echo "node $k, $1: $out"; return 1; }
	done; done
}
out=$(https_all) || fail "HTTPS by SNI: $out"
for k in 1 2 3; do
	grep -q "^64:ff9b:$k::c000:20a " "$LAB_TMP/nginx-srv1/access.log" ||
		fail "srv1 never saw the client through node $k (64:ff9b:$k::c000:20a)"
done
ok "https://www|blog.home.example/ through each of the 3 nodes: the right server, the client seen as 64:ff9b:K::c000:20a"

# A non-HTTPS port mapped to srv1's port 22.
out=$(lx client4 timeout 5 socat -u TCP:$V4_VPS:2222 - 2>&1)
[ "$out" = "SSH-2.0-srv1 [0064:ff9b:0001:0000:0000:0000:c000:020a]" ] ||
	fail "node 1 port 2222 (edge-sni static): $out"
ok "node 1 :2222 -> srv1:22 by edge-sni static mode, the client's address embedded"
out=$(lx client4 timeout 5 socat -u TCP:203.0.113.70:2222 - 2>&1)
[ "$out" = "SSH-2.0-srv1 [0000:0000:0000:0000:0000:ffff:0a63:0201]" ] ||
	fail "node 2 port 2222 (edge-tunnel Forward): $out"
ok "node 2 :2222 -> 10.0.0.11:22 by edge-tunnel Forward (masqueraded into the tunnel: srv1 sees 10.99.2.1)"

# Outbound through the gateway group: the internet sees the nodes.
who() {	# N connections from srv1; print the distinct sources seen
	local i
	for i in $(seq "$1"); do lx srv1 timeout 3 socat -u TCP:203.0.113.200:7 - || echo failed; done |
		sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }'
}
seen=$(who 30)
case $seen in *failed*) fail "outbound through the nodes: $seen" ;; esac
for k in 1 2 3; do
	case $seen in *"${NODE4[$k]}:"*) ;; *) fail "no outbound flow left by node $k: $seen" ;; esac
done
ok "30 outbound connections from srv1 through the group, seen from: $seen"

# Node 2 dies (its upstream drops everything): left out of the group.
lx inet nft -f - <<EOF
table inet node2_cut {
	chain cut { type filter hook forward priority 0;
		iifname "eth-vps2" drop
		oifname "eth-vps2" drop
	}
}
EOF
t0=$(sc_ms)
two="^default nexthop dev ${IH[1]} weight 1 nexthop dev ${IH[3]} weight 1 ?$"
sc_wait 5 bash -c "ip -n $(lab_ns home) route show table 300 proto 203 | tr -s ' \t\n' '   ' | grep -Eq '$two'" ||
	fail "node 2 not left out: $(t300)"
ok "node 2 dead: table 300 is $(t300) after $(sc_elapsed "$t0") ms"
seen=$(who 20)
case $seen in *failed*|*203.0.113.70:*) fail "outbound after node 2 died: $seen" ;; esac
ok "20 outbound connections, all answered, seen from: $seen"
lx inet nft delete table inet node2_cut

# The primary WAN dies upstream: the default moves to LTE, the tunnels
# follow, HTTPS through every node works again.
sc_wait 6 bash -c "ip -n $(lab_ns home) route show table 300 proto 203 | tr -s ' \t\n' '   ' | grep -Eq '$nodes3'" ||
	fail "node 2 did not come back: $(t300)"
lab_cut_primary
t0=$(sc_ms)
sc_wait 5 bash -c "ip -n $(lab_ns home) route show default proto 203 | grep -q 'via $V4_LTE_GW dev lte0'" ||
	fail "no failover to LTE: $(lx home ip route show default)"
moved=$(sc_elapsed "$t0")
sc_wait 10 https_all || fail "HTTPS through the nodes after the WAN died: $(https_all)"
ok "WAN dead: default via LTE after $moved ms; HTTPS through all 3 nodes again after $(sc_elapsed "$t0") ms"
for k in 1 2 3; do
	ep=$(lx "${NODE[$k]}" wg show "${IV[$k]}" endpoints | awk '{print $2}')
	case $ep in 198.51.100.66:*) ;; *) fail "node $k still sends to '$ep', not the LTE address" ;; esac
done
ok "every node now reaches the home at its LTE address 198.51.100.66"
grep -q "wan up -> down" "$T_TMP/hook.log" || fail "the hook did not see the WAN go down"
