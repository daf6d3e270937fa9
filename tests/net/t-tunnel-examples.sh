#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The EXAMPLES of edge-tunnel.conf(5), run as written: each literal block
# of the page is taken out of man/edge-tunnel.conf.5, only its <key>
# placeholders replaced by real keys, its names resolved through
# /etc/netns/NS/hosts, and brought up with edge-tunnel in namespaces; each
# layout is checked by traffic and a clean diff.
#   1, 2  a VPS routes an IPv6 /80 home; replies policy-routed back
#   3, 4  a routed subnet by its own table, masqueraded at the far end,
#         MTU 1380 for full-size packets, a forwarded port
#   5, 6  an endpoint node forwards a port to a home VM, ReturnMark
#   7     site 1 of a three-site mesh of VXLAN wires in STP bridges (sites
#         2 and 3 written here the same way)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"
command -v socat >/dev/null || skip "no socat"
PAGE=$(dirname "$0")/../../man/edge-tunnel.conf.5

# Block N of the EXAMPLES section.
block() {
	awk -v want="$1" '/^\.Sh EXAMPLES/ { ex = 1 } /^\.Sh SEE ALSO/ { ex = 0 }
	    ex && /^\.Bd -literal/ { n++; on = n == want; next }
	    /^\.Ed/ { on = 0 } on' "$PAGE"
}
[ "$(awk '/^\.Sh EXAMPLES/{e=1} e && /^\.Bd -literal/{n++} END{print n}' "$PAGE")" = 7 ] ||
	fail "edge-tunnel.conf.5 no longer has 7 example blocks: update this test"
# example N IFNAME PRIV PUB: the block with its keys filled in.
example() {
	block "$1" | sed -e "s|^PrivateKey = <.*>\$|PrivateKey = $3|" \
	    -e "s|^PublicKey = <.*>\$|PublicKey = $4|" | tun_conf "$2"
}
made_dir=
[ -d /etc/netns ] || made_dir=1
HOSTS_NS=()
trap 'rc=$?; for n in "${HOSTS_NS[@]}"; do rm -rf "/etc/netns/$n"; done;
    [ -n "$made_dir" ] && rmdir /etc/netns 2>/dev/null; tun_cleanup; (exit $rc); t_cleanup' EXIT
hosts() { local n=$1; shift; mkdir -p "/etc/netns/$n"; HOSTS_NS+=("$n")
	printf '127.0.0.1 localhost\n' > "/etc/netns/$n/hosts"
	printf '%s\n' "$@" >> "/etc/netns/$n/hosts"; }
up() { et "$1" up "$2" 2>"$T_TMP/err" || fail "up $2: $(cat "$T_TMP/err")"; }
clean() { et "$1" diff "$2" > "$T_TMP/plan" || fail "diff $2: $(cat "$T_TMP/plan")"; }

# ---- 1, 2: the /80 ----
ns_make V vps
ns_make H home
veth "$V" up0 "$H" up0
nsx "$V" ip addr add 192.0.2.1/30 dev up0
nsx "$H" ip addr add 192.0.2.2/30 dev up0
hosts "$H" "192.0.2.1 vps.example.net"
tun_name I1 v; tun_name I2 h
tun_key KV PV; tun_key KH PH
C1=$(example 1 "$I1" "$KV" "$PH"); C2=$(example 2 "$I2" "$KH" "$PV")
grep -q '^AllowedIPs = fd00:1::2/128, 2001:db8:1:0:1::/80$' "$C1" || fail "block 1 is not the VPS: $(cat "$C1")"
up "$V" "$C1"; up "$H" "$C2"
nsx "$H" ip addr add 2001:db8:1:0:1::10/128 dev lo nodad
wait_for 10 nsx "$V" ping -c 1 -W 1 2001:db8:1:0:1::10 || fail "VPS cannot reach the /80 at home"
clean "$V" "$C1"; clean "$H" "$C2"
ok "examples 1, 2: the /80 routed home, replies back through the tunnel by rule and table 200"

# ---- 3, 4: the routed subnet ----
ns_make S host
ns_make F far
ns_make I inet
veth "$S" up0 "$F" up0
veth "$F" eth0 "$I" eth0
nsx "$S" ip addr add 192.0.2.6/30 dev up0
nsx "$F" ip addr add 192.0.2.5/30 dev up0
nsx "$F" ip addr add 198.51.100.1/24 dev eth0
nsx "$I" ip addr add 198.51.100.2/24 dev eth0
nsx "$F" sysctl -qw net.ipv4.ip_forward=1
nsx "$S" ip addr add 10.10.0.2/24 dev lo
hosts "$S" "192.0.2.5 far.example.net"
tun_name I3 s; tun_name I4 f
tun_key KS PS; tun_key KF PF
C3=$(example 3 "$I3" "$KS" "$PF"); C4=$(example 4 "$I4" "$KF" "$PS")
grep -q '^Masquerade = 10.10.0.0/24 oif eth0$' "$C4" || fail "block 4 is not the far end: $(cat "$C4")"
up "$F" "$C4"; up "$S" "$C3"
wait_for 10 nsx "$S" ping -c 1 -W 1 -I 10.10.0.2 198.51.100.2 || fail "the subnet does not reach the internet"
nsx "$S" ping -c 1 -W 1 198.51.100.2 >/dev/null 2>&1 && fail "the host's own traffic left through the tunnel (it keeps its default)"
nsx "$S" ping -c 2 -W 2 -M do -s 1352 -I 10.10.0.2 198.51.100.2 >/dev/null || fail "full-size packets at MTU 1380"
bg SSH "$S" socat TCP-LISTEN:22,bind=10.10.0.2,reuseaddr,fork SYSTEM:'echo "host sees \$SOCAT_PEERADDR"'
wait_for 5 nsx "$S" bash -c "exec 3<>/dev/tcp/10.10.0.2/22" || fail "socat on the host"
out=$(nsx "$I" timeout 3 socat -T 2 - TCP:198.51.100.1:2222 2>&1)
[ "$out" = "host sees 198.51.100.2" ] || fail "port 2222 at the far end: \"$out\""
clean "$S" "$C3"; clean "$F" "$C4"
ok "examples 3, 4: the subnet leaves by table 100, masqueraded, 1380-byte packets pass, port 2222 forwarded"

# ---- 5, 6: an endpoint node forwarding to a home VM ----
ns_make N node1
ns_make H2 home2
ns_make M vm
ns_make CL client
veth "$CL" up0 "$N" up0
veth "$N" dn0 "$H2" wan0
veth "$H2" lan0 "$M" eth0
nsx "$CL" ip addr add 203.0.113.2/24 dev up0
nsx "$N" ip addr add 203.0.113.1/24 dev up0
nsx "$N" ip addr add 192.0.2.9/30 dev dn0
nsx "$H2" ip addr add 192.0.2.10/30 dev wan0
nsx "$H2" ip addr add 10.0.0.1/24 dev lan0
nsx "$M" ip addr add 10.0.0.11/24 dev eth0
nsx "$M" ip route add default via 10.0.0.1
nsx "$N" sysctl -qw net.ipv4.ip_forward=1
nsx "$H2" sysctl -qw net.ipv4.ip_forward=1
hosts "$H2" "192.0.2.9 node1.example.net"
tun_name I5 n; tun_name I6 r
tun_key KN PN; tun_key KR PR
C5=$(example 5 "$I5" "$KN" "$PR"); C6=$(example 6 "$I6" "$KR" "$PN")
grep -q '^ReturnMark = 101$' "$C6" || fail "block 6 is not the home: $(cat "$C6")"
up "$N" "$C5"; up "$H2" "$C6"
bg VMS "$M" socat TCP-LISTEN:22,reuseaddr,fork SYSTEM:'echo "vm sees \$SOCAT_PEERADDR"'
wait_for 10 nsx "$H2" ping -c 1 -W 1 10.99.1.1 || fail "node 1's tunnel"
out=$(nsx "$CL" timeout 3 socat -T 2 - TCP:203.0.113.1:2222 2>&1)
[ "$out" = "vm sees 203.0.113.2" ] || fail "port 2222 on node 1: \"$out\""
clean "$N" "$C5"; clean "$H2" "$C6"
ok "examples 5, 6: node 1's port 2222 reaches the VM, which sees the client, and is answered back through node 1"

# ---- 7: the mesh, site 1 as written ----
ns_make S1 site1; ns_make S2 site2; ns_make S3 site3
veth "$S1" u2 "$S2" u1
veth "$S1" u3 "$S3" u1
veth "$S2" u3 "$S3" u2
nsx "$S1" ip addr add 192.0.2.17/30 dev u2; nsx "$S2" ip addr add 192.0.2.18/30 dev u1
nsx "$S1" ip addr add 192.0.2.21/30 dev u3; nsx "$S3" ip addr add 192.0.2.22/30 dev u1
nsx "$S2" ip addr add 192.0.2.25/30 dev u3; nsx "$S3" ip addr add 192.0.2.26/30 dev u2
hosts "$S1" "192.0.2.18 site2.example.net" "192.0.2.22 site3.example.net"
tun_name J1 m1; tun_name J2 m2; tun_name J3 m3
tun_key K1 P1; tun_key K2 P2; tun_key K3 P3
C7=$(block 7 | sed -e "s|^PrivateKey = <key 1>\$|PrivateKey = $K1|" \
    -e "s|^PublicKey = <key 2>\$|PublicKey = $P2|" -e "s|^PublicKey = <key 3>\$|PublicKey = $P3|" |
    tun_conf "$J1")
grep -q '^Name = vx3$' "$C7" || fail "block 7 is not site 1: $(cat "$C7")"
site() {	# site K KEY, PEER A KEY ENDPOINT, PEER B KEY ENDPOINT
	local k=$1 a=$3 b=$6
	cat <<-CONF | tun_conf "$(eval echo "\$J$k")"
	[Interface]
	PrivateKey = $2
	ListenPort = 51820
	Address = 10.99.0.$k/24

	[Bridge]
	Name = br0
	STP = on
	ForwardDelay = 4
	MaxAge = 10
	Address = 10.200.0.$k/24

	[Peer]
	PublicKey = $4
	AllowedIPs = 10.99.0.$a/32
	$5

	[Wire]
	Name = vx$a
	VNI = $(( k < a ? 10 * k + a : 10 * a + k ))
	Local = 10.99.0.$k
	Remote = 10.99.0.$a
	Bridge = br0

	[Peer]
	PublicKey = $7
	AllowedIPs = 10.99.0.$b/32
	$8

	[Wire]
	Name = vx$b
	VNI = $(( k < b ? 10 * k + b : 10 * b + k ))
	Local = 10.99.0.$k
	Remote = 10.99.0.$b
	Bridge = br0
	CONF
}
C8=$(site 2 "$K2" 1 "$P1" "" 3 "$P3" "Endpoint = 192.0.2.26:51820")
C9=$(site 3 "$K3" 1 "$P1" "" 2 "$P2" "Endpoint = 192.0.2.25:51820")
up "$S2" "$C8"; up "$S3" "$C9"; up "$S1" "$C7"
reach() { nsx "$S1" ping -c 1 -W 1 10.200.0.2 && nsx "$S1" ping -c 1 -W 1 10.200.0.3; }
wait_for 30 reach || fail "site 1 does not reach sites 2 and 3 over the bridges"
clean "$S1" "$C7"
ok "example 7: site 1 as written joins the mesh; it reaches sites 2 and 3 over STP bridges"
