#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The EXAMPLES of edge-tunnel.conf(5), run as written: each literal block
# of the page is taken out of man/edge-tunnel.conf.5 (doc-lib.sh numbers
# them), only its <key> placeholders replaced by real keys, its names
# resolved through /etc/netns/NS/hosts, and brought up with edge-tunnel in
# namespaces; each layout is checked by traffic and a clean diff.
#   1, 2  a VPS routes an IPv6 /80 home; replies policy-routed back
#   3, 4  a routed subnet by its own table, masqueraded at the far end,
#         MTU 1380 for full-size packets, a forwarded port
#   5, 6  an endpoint node forwards a port to a home VM, ReturnMark
#   7     site 1 of a three-site mesh of VXLAN wires in STP bridges (sites
#         2 and 3 written here the same way)
# Then the EXAMPLES of edge-tunnel(8), each command line run as written
# (wg0 as a name: /etc/wireguard/wg0.conf), in a private mount namespace
# so that wg0's socket, state and file are this test's alone:
#   man/edge-tunnel.8 2  up; the crontab lines: diff || sync puts drift
#                        right, reresolve follows a name (every 30 s:
#                        the second line is the first half a minute late)
#   man/edge-tunnel.8 3  -n sync prints exactly the transcript's plan
#   man/edge-tunnel.8 4  save keeps changes made by hand, down removes all
# (block 1 is the show -s format, not a command line), and the README's
# edge-tunnel section (README 7): the demo's home router file, keys
# filled in, against a VPS, with its up, diff, sync and down lines.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"
source "$(dirname "$0")/doc-lib.sh"
command -v socat >/dev/null || skip "no socat"
command -v nsenter >/dev/null || skip "no nsenter"

# Block N of edge-tunnel.conf(5) (all its literal blocks are EXAMPLES).
block() { doc_block man/edge-tunnel.conf.5 "$1"; }
[ "$(doc_list man/edge-tunnel.conf.5 | grep -c $'\tEXAMPLES\t')" = 7 ] &&
    [ "$(doc_list man/edge-tunnel.conf.5 | wc -l)" = 7 ] ||
	fail "edge-tunnel.conf.5 no longer has 7 example blocks: update this test"
[ "$(doc_list man/edge-tunnel.8 | cut -f 1,2 | tr '\t\n' ' ;')" = "1 DESCRIPTION;2 EXAMPLES;3 EXAMPLES;4 EXAMPLES;" ] ||
	fail "edge-tunnel.8's examples moved: update this test: $(doc_list man/edge-tunnel.8)"
# example N IFNAME PRIV PUB: the block with its keys filled in.
example() {
	block "$1" | sed -e "s|^PrivateKey = <.*>\$|PrivateKey = $3|" \
	    -e "s|^PublicKey = <.*>\$|PublicKey = $4|" | tun_conf "$2"
}
made_dir=
[ -d /etc/netns ] || made_dir=1
HOSTS_NS=()
# LINKS: "NS IF" of tunnels not named by tun_name (wg0 and home below):
# deleted first, so their wireguard-go leaves (it would keep the
# namespace alive).
LINKS=()
trap 'rc=$?; set +e; for n in "${HOSTS_NS[@]}"; do rm -rf "/etc/netns/$n"; done;
    for l in "${LINKS[@]}"; do ip -n ${l% *} link del "${l#* }" 2>/dev/null || :; done;
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

# ---- edge-tunnel.8: wg0, by name, in a mount namespace of its own ----
# hold VAR NS DIR: a process in NS whose mount namespace has DIR/etc as
# /etc/wireguard, DIR/hosts as /etc/hosts and empty /run/wireguard and
# /run/edgekit (and /etc/edgekit, if there is one); in VAR its pid, for
# "inns PID cmd".  wireguard-go started from there lives there too.
hold() {
	local d=$3
	mkdir -p "$d/etc"
	[ -e "$d/hosts" ] || printf '127.0.0.1 localhost\n' > "$d/hosts"
	bg "$1" "$2" unshare -m --propagation private sh -c '
	    mount --bind "$0/etc" /etc/wireguard &&
	    mount --bind "$0/hosts" /etc/hosts &&
	    mount -t tmpfs none /run/wireguard && mount -t tmpfs none /run/edgekit &&
	    { [ ! -d /etc/edgekit ] || mount -t tmpfs none /etc/edgekit; } &&
	    touch /run/edgekit/.held && exec sleep 900' "$d"
	wait_for 5 inns "${!1}" test -e /run/edgekit/.held || fail "no private mounts in $2"
}
inns() { local p=$1; shift; nsenter -t "$p" -m -n -- env PATH="$BIN:$PATH" "$@"; }

ns_make W wg0
LINKS+=("$W wg0")
ns_make WP wg0peer
veth "$W" up0 "$WP" up0
nsx "$W" ip addr add 192.0.2.33/29 dev up0
nsx "$WP" ip addr add 192.0.2.34/29 dev up0
nsx "$WP" ip addr add 192.0.2.35/29 dev up0
tun_name IW w
tun_key KW PW; tun_key KQ PQ
D=$T_TMP/wg0
mkdir -p "$D/etc"
# The peer of block 3's plan (its key as the page prints it) is not
# running; the peer.example.net one is, at first under a wrong address.
PX=$(doc_block man/edge-tunnel.8 3 | sed -n 's/^~ peer \([^:]*\): allowed-ips$/\1/p')
[ -n "$PX" ] || fail "no peer in edge-tunnel.8's block 3"
wg0conf() {
	cat > "$D/etc/wg0.conf" <<CONF
[Interface]
PrivateKey = $KW
ListenPort = 51820
Address = 10.97.0.1/24

[Peer]
PublicKey = $PQ
AllowedIPs = 10.97.0.2/32
Endpoint = peer.example.net:51820

[Peer]
PublicKey = $PX
AllowedIPs = 10.97.0.3/32$1
CONF
	chmod 600 "$D/etc/wg0.conf"
}
wg0conf ""
printf '127.0.0.1 localhost\n192.0.2.36 peer.example.net\n' > "$D/hosts"
CQ=$(tun_conf "$IW" <<CONF
[Interface]
PrivateKey = $KQ
ListenPort = 51820
Address = 10.97.0.2/24

[Peer]
PublicKey = $PW
AllowedIPs = 10.97.0.1/32
CONF
)
up "$WP" "$CQ"
hold HW "$W" "$D"
w() { inns "$HW" sh -c "$1"; }

# Block 2: "# command" lines are run as root; crontab lines are five
# time fields and a command, run as cron would (sh -c).
doc_block man/edge-tunnel.8 2 > "$T_TMP/b2"
grep -qx '\* \* \* \* \* edge-tunnel reresolve wg0' "$T_TMP/b2" &&
    grep -qx '\* \* \* \* \* sleep 30 && edge-tunnel reresolve wg0' "$T_TMP/b2" ||
	fail "block 2 does not re-resolve every 30 s: $(cat "$T_TMP/b2")"
cronjob() { sed -n "$1p" "$T_TMP/b2" | awk '{ $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }'; }
[ "$(sed -n 1p "$T_TMP/b2")" = "# edge-tunnel up wg0" ] || fail "block 2 line 1: $(sed -n 1p "$T_TMP/b2")"
w "$(sed -n 's/^# //p' "$T_TMP/b2")" 2> "$T_TMP/err" || fail "block 2: up: $(cat "$T_TMP/err")"
nsx "$W" ip link show wg0 | grep -q "mtu 1420" || fail "no wg0"
# Drift, then the diff || sync job puts it right.
nsx "$W" ip link set wg0 mtu 1300
nsx "$W" ip addr del 10.97.0.1/24 dev wg0
w "$(cronjob 2)" > "$T_TMP/out" 2>&1 || fail "block 2: $(cronjob 2): $(cat "$T_TMP/out")"
[ -s "$T_TMP/out" ] && fail "the diff || sync job printed: $(cat "$T_TMP/out")"
w "edge-tunnel diff wg0" > "$T_TMP/plan" || fail "still drifting after the job: $(cat "$T_TMP/plan")"
# The peer's name moves to where it is: the reresolve jobs follow it (it
# never completed a handshake).  The half-minute job without its sleep.
w "edge-tunnel show -s wg0" | grep -q "192.0.2.36:51820" || fail "the endpoint is not the name's first address"
printf '127.0.0.1 localhost\n192.0.2.34 peer.example.net\n' > "$D/hosts"
w "$(cronjob 3)" > "$T_TMP/out" 2>&1 || fail "block 2: $(cronjob 3): $(cat "$T_TMP/out")"
w "wg show wg0 endpoints" | grep -q "192.0.2.34:51820" || fail "reresolve did not follow the name"
wait_for 10 nsx "$W" ping -c 1 -W 1 10.97.0.2 || fail "no traffic after reresolve"
printf '127.0.0.1 localhost\n192.0.2.35 peer.example.net\n' > "$D/hosts"
w "$(cronjob 4 | sed 's/^sleep 30 && //')" > "$T_TMP/out" 2>&1 || fail "block 2: $(cronjob 4): $(cat "$T_TMP/out")"
w "wg show wg0 endpoints" | grep -q "192.0.2.34:51820" ||
	fail "reresolve moved a peer with a fresh handshake"
printf '127.0.0.1 localhost\n192.0.2.34 peer.example.net\n' > "$D/hosts"
ok "edge-tunnel.8 example 2: up wg0; diff || sync repairs drift; reresolve, twice a minute, follows a name"

# Block 3: the file gains 10.98.0.0/24 for the peer; -n sync prints the
# page's plan, line for line, and sync does it.
wg0conf ", 10.98.0.0/24"
doc_block man/edge-tunnel.8 3 > "$T_TMP/b3"
cmds=$(grep -c '^# ' "$T_TMP/b3")
[ "$cmds" = 2 ] || fail "block 3 has $cmds commands"
first=$(sed -n '1s/^# //p' "$T_TMP/b3")
w "$first" > "$T_TMP/out" 2> "$T_TMP/err" || fail "$first: $(cat "$T_TMP/err")"
sed -n '2,/^# /p' "$T_TMP/b3" | sed '$d' > "$T_TMP/want"
diff -u "$T_TMP/want" "$T_TMP/out" || fail "$first does not print the page's plan"
w "$(sed -n '$s/^# //p' "$T_TMP/b3")" 2> "$T_TMP/err" || fail "block 3: sync: $(cat "$T_TMP/err")"
nsx "$W" ip route show proto 201 | grep -q "^10.98.0.0/24 dev wg0" || fail "sync made no route"
w "edge-tunnel diff wg0" > "$T_TMP/plan" || fail "diff after sync: $(cat "$T_TMP/plan")"
ok "edge-tunnel.8 example 3: -n sync wg0 prints the page's two plan lines; sync does them"

# Block 4: changes made by hand, saved into the file, then down.
w "wg set wg0 peer $PX allowed-ips 10.97.0.3/32,10.98.0.0/24,10.96.0.0/24"
nsx "$W" ip addr add 10.95.0.1/24 dev wg0
doc_block man/edge-tunnel.8 4 > "$T_TMP/b4"
[ "$(cat "$T_TMP/b4")" = "$(printf '# edge-tunnel save wg0\n# edge-tunnel down wg0')" ] ||
	fail "block 4: $(cat "$T_TMP/b4")"
w "$(sed -n '1s/^# //p' "$T_TMP/b4")" 2> "$T_TMP/err" || fail "block 4: save: $(cat "$T_TMP/err")"
grep -q "10.96.0.0/24" "$D/etc/wg0.conf" && grep -q "^Address = .*10.95.0.1/24" "$D/etc/wg0.conf" ||
	fail "save did not keep the changes: $(sed 's/^PrivateKey.*/PrivateKey = (hidden)/' "$D/etc/wg0.conf")"
w "$(sed -n '2s/^# //p' "$T_TMP/b4")" > /dev/null 2> "$T_TMP/err" || fail "block 4: down: $(cat "$T_TMP/err")"
nsx "$W" ip link show wg0 > /dev/null 2>&1 && fail "down left wg0"
[ -n "$(nsx "$W" ip route show table all proto 201)" ] && fail "down left routes"
inns "$HW" test -e /run/edgekit/tunnel-wg0.state && fail "down left the state file"
w "edge-tunnel up wg0" 2> "$T_TMP/err" || fail "up from the saved file: $(cat "$T_TMP/err")"
nsx "$W" ip addr show wg0 | grep -q "10.95.0.1/24" || fail "the saved address did not come back"
w "edge-tunnel down wg0" > /dev/null || fail "down"
ok "edge-tunnel.8 example 4: save keeps the hand-made changes, down removes everything, up brings them back"

# ---- README 7: the demo's home router, with its command lines ----
doc_block README 7 > "$T_TMP/r7"
grep -q '^Endpoint = 203.0.113.10:51820$' "$T_TMP/r7" || fail "README 7 is not the home router: $(cat "$T_TMP/r7")"
ns_make RV vps7
ns_make RH home7
LINKS+=("$RH home")
veth "$RV" up0 "$RH" up0
nsx "$RV" ip addr add 203.0.113.10/24 dev up0
nsx "$RH" ip addr add 203.0.113.2/24 dev up0
nsx "$RV" ip addr add 2001:db8:ffff::1/128 dev lo nodad
nsx "$RH" ip addr add 2001:db8:1:0:1::10/128 dev lo nodad
tun_name IV v7
tun_key KR7 PR7; tun_key KV7 PV7
R=$T_TMP/readme
mkdir -p "$R"
sed -n '/^edge-tunnel /q; p' "$T_TMP/r7" | sed -e '${/^$/d}' \
    -e "s|^PrivateKey = \.\.\.\$|PrivateKey = $KR7|" -e "s|^PublicKey = \.\.\.\$|PublicKey = $PV7|" > "$R/home.conf"
chmod 600 "$R/home.conf"
CV=$(tun_conf "$IV" <<CONF
[Interface]
PrivateKey = $KV7
ListenPort = 51820
Address = 10.99.0.1/30, fd00:99::1/64

[Peer]
PublicKey = $PR7
AllowedIPs = 10.99.0.2/32, fd00:99::2/128, 2001:db8:1:0:1::/80
CONF
)
up "$RV" "$CV"
hold HR "$RH" "$T_TMP/readme-ns"
grep '^edge-tunnel ' "$T_TMP/r7" > "$T_TMP/r7cmds"
[ "$(cut -d ' ' -f 2 "$T_TMP/r7cmds" | tr '\n' ' ')" = "up diff sync down " ] ||
	fail "README 7's commands: $(cat "$T_TMP/r7cmds")"
r7() { inns "$HR" sh -c "cd $R && $(sed -n "$1p" "$T_TMP/r7cmds")"; }
r7 1 2> "$T_TMP/err" || fail "README 7: $(sed -n 1p "$T_TMP/r7cmds"): $(cat "$T_TMP/err")"
# The VPS reaches the /80 at home from an address only table 100 leads
# back to: the reply is sent by the rule and table of the file.
wait_for 10 nsx "$RV" ping -c 1 -W 1 -I 2001:db8:ffff::1 2001:db8:1:0:1::10 ||
	fail "README 7: the /80 is not reached, or not answered through the tunnel"
nsx "$RH" ip -6 route show table 100 | grep -q "^default dev home proto 201" ||
	fail "README 7: table 100: $(nsx "$RH" ip -6 route show table 100)"
r7 2 > "$T_TMP/plan" || fail "README 7: diff: $(cat "$T_TMP/plan")"
r7 3 2> "$T_TMP/err" || fail "README 7: sync: $(cat "$T_TMP/err")"
r7 4 > /dev/null 2> "$T_TMP/err" || fail "README 7: down: $(cat "$T_TMP/err")"
nsx "$RH" ip link show dev home > /dev/null 2>&1 && fail "README 7: down left home"
nsx "$RH" ip -6 rule | grep -q "proto 201" && fail "README 7: down left rules"
ok "README 7: the home router file as written (keys filled in): up, the /80 answered by table 100, diff, sync, down"
