# SPDX-License-Identifier: ISC
# shellcheck shell=bash
#
# Helpers for tests/net/t-glue-*.sh (the systemd units, rc scripts, cron
# examples and bash completion in scripts/), sourced after lib.sh:
#
#   glue_install DESTDIR [make variables...]
#        "make install" of this tree into DESTDIR, from a copy of the
#        Makefile, man/, scripts/ and bin/ (so that it neither rebuilds nor
#        rewrites the flags of the tree under test)
#   glue_have TOOL     true when bin/TOOL is built
#   unit_get FILE SECTION KEY   the values of KEY in SECTION, one a line
#   unit_words STRING  split a systemd command line into words, one a
#                      line (quotes as systemd reads them)
#   glue_tunnel_conf FILE ADDR/LEN   a minimal edge-tunnel file, mode 600

glue_install() {
	local dest=$1 src=$T_TMP/src t
	shift
	if [ ! -d "$src" ]; then
		mkdir -p "$src/cmd"
		cp -a "$TOP/Makefile" "$TOP/man" "$TOP/scripts" "$src/"
		[ -d "$TOP/bin" ] && cp -a "$TOP/bin" "$src/"
		for t in "$src"/bin/edge-*; do
			[ -e "$t" ] && mkdir -p "$src/cmd/${t##*/}"
		done
	fi
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -s --no-print-directory -o all -C "$src" install \
		DESTDIR="$dest" "$@" >"$T_TMP/install.log" 2>&1
}

glue_have() { [ -x "$BIN/$1" ]; }

# unit_get FILE SECTION KEY: every value of KEY in [SECTION], a line ending
# in a backslash joined with the next as systemd joins them (with a space).
unit_get() {
	awk -v s="[$2]" -v k="$3" '
		cont != "" { $0 = cont " " $0; cont = "" }
		/\\$/ && !/^[ \t]*[#;]/ { cont = substr($0, 1, length($0) - 1); next }
		/^[ \t]*[#;]/ || /^[ \t]*$/ { next }
		/^\[/ { in_s = ($0 == s); next }
		in_s {
			i = index($0, "=")
			key = substr($0, 1, i - 1); gsub(/[ \t]+$/, "", key)
			if (key == k) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v }
		}' "$1"
}

# unit_words STRING: systemd's splitting of a command line: words at
# spaces, '...' and "..." quote, \ escapes inside double quotes.
unit_words() {
	python3 - "$1" <<'PY'
import shlex, sys
for w in shlex.split(sys.argv[1], posix=True):
    print(w)
PY
}

glue_tunnel_conf() {
	local f=$1 addr=$2
	umask 077
	cat >"$f" <<EOF
[Interface]
PrivateKey = $(wg genkey)
Address = $addr
ListenPort = 51820

[Peer]
PublicKey = $(wg genkey | wg pubkey)
AllowedIPs = 10.77.0.0/24
Endpoint = 192.0.2.1:51820
EOF
	umask 022
}

# Programs the units start in turn start others (wireguard-go, the
# pipeline's two halves): on exit, everything still running in this test's
# namespaces goes too, before lib.sh's cleanup deletes them.
glue_cleanup() {
	local rc=$? n p
	set +e
	for n in "${T_NS[@]}"; do
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill "$p" 2>/dev/null
		done
	done
	# Up to 2 s for a clean exit (a sanitized build writes its leak
	# report then), before the stragglers are killed.
	for _ in $(seq 20); do
		for n in "${T_NS[@]}"; do
			[ -z "$(ip netns pids "$n" 2>/dev/null)" ] || { sleep 0.1; continue 2; }
		done
		break
	done
	for n in "${T_NS[@]}"; do
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
	done
	(exit "$rc")
	t_cleanup
}
trap glue_cleanup EXIT

# glue_lab: namespaces H (home) and G (its uplink's router), joined by
# H:up0 192.168.8.2/24 -- G:cust 192.168.8.1/24; $T_TMP/etc for tunnels.
glue_lab() {
	ns_make H home
	ns_make G isp
	veth "$H" up0 "$G" cust
	nsx "$H" ip addr add 192.168.8.2/24 dev up0
	nsx "$G" ip addr add 192.168.8.1/24 dev cust
	mkdir -p "$T_TMP/etc"
}

# glue_fo_files: $T_TMP/probes and $T_TMP/failover.conf: one gateway,
# 192.168.8.1 on up0, probed by ICMP through up0.
glue_fo_files() {
	cat >"$T_TMP/probes" <<-EOF
	icmp 192.168.8.1 dev up0 name up0-gw group up0
	EOF
	cat >"$T_TMP/failover.conf" <<-EOF
	[Failover]
	StateFile = $T_TMP/fo.state
	StreamTimeout = 1s
	UpAfter = 200ms

	[Gateway]
	Name = up
	Device = up0
	Via = 192.168.8.1
	Targets = up0-gw
	EOF
}

# glue_fo_routed: edge-failover's default route via the gateway is in H.
glue_fo_routed() {
	ip -n "$H" route show default | grep -q 'default via 192.168.8.1 dev up0'
}

# glue_sni_files: in H, an IPv6 backend on [2001:db8:e::1]:8080 that
# answers with the peer's address, the NAT46 prefix's local route, and
# $T_TMP/sni.conf forwarding 192.0.2.1:443 there from the prefix.
glue_sni_files() {
	nsx "$H" ip addr add 192.0.2.1/32 dev lo
	nsx "$H" ip addr add 192.0.2.10/32 dev lo
	nsx "$H" ip -6 addr add 2001:db8:e::1/128 dev lo nodad
	nsx "$H" ip -6 route add local 64:ff9b:1::/96 dev lo
	# An unprivileged edge-sni reads the file: world-readable, in reach.
	chmod 711 "$T_TMP"
	cat >"$T_TMP/sni.conf" <<-EOF
	[Listener]
	Listen = tcp:192.0.2.1:443
	Mode = static
	Backend = [2001:db8:e::1]:8080
	Nat46Prefix = 64:ff9b:1::/96
	EOF
	chmod 644 "$T_TMP/sni.conf"
	bg BE "$H" socat TCP6-LISTEN:8080,bind=[2001:db8:e::1],reuseaddr,fork \
		SYSTEM:'echo "$SOCAT_PEERADDR"'
	wait_for 5 glue_listening 8080 || fail "the backend does not listen"
}

glue_listening() {	# PORT: something in H listens on PORT
	ip netns exec "$H" ss -Htln "sport = :$1" | grep -q .
}

# glue_sni_source: connect from 192.0.2.10 to 192.0.2.1:443; print the
# source address the backend saw.
glue_sni_source() {
	local got
	got=$(nsx "$H" timeout 5 socat -T 3 - TCP4:192.0.2.1:443,bind=192.0.2.10 \
		</dev/null) || return 1
	got=${got#[}; got=${got%]}
	python3 -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]))' "$got"
}

# glue_pid NAME: the pids of program NAME in H.
glue_pid() {
	local p
	for p in $(ip netns pids "$H"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] && glue_alive "$p" &&
			echo "$p"
	done
	return 0
}
glue_running() { [ -n "$(glue_pid "$1")" ]; }
glue_gone() {	# NAME...: none of these programs runs in H
	local n
	for n in "$@"; do glue_running "$n" && return 1; done
	return 0
}
# glue_alive PID: running, not a zombie waiting to be reaped (daemons that
# start-stop-daemon started are reaped by init, some time after they end).
glue_alive() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# usage_parse TOOL: "verb X", "short -X", "long -word", "type X" and "topt X"
# lines from the tool's -h.
usage_parse() {
	python3 -c '
import re, sys
tool, text = sys.argv[1], sys.stdin.read()
out = set()
cur = None
for line in text.splitlines():
    s = line.strip()
    if s.startswith("usage: "):
        s = s[7:]
    if s.startswith(tool + " "):
        rest = s[len(tool) + 1:]
        while re.search(r"\[[^][]*\]", rest):
            rest = re.sub(r"\[[^][]*\]", " ", rest)
        toks = rest.split()
        if toks and re.fullmatch(r"[a-z]+", toks[0]):
            out.add("verb " + toks[0])
            i = 1
            while i + 1 < len(toks) and toks[i] == "|" and re.fullmatch(r"[a-z]+", toks[i + 1]):
                out.add("verb " + toks[i + 1]); i += 2
    if line.startswith(("types:", "options:")):
        cur = "type" if line.startswith("types:") else "topt"
        s = s.split(":", 1)[1]
    elif not line.startswith(" "):
        cur = None
    if cur and not s.startswith(tool):
        for w in re.findall(r"(?:^|,)\s*([a-z]+)\s+[A-Z]", s):
            out.add(cur + " " + w)
for m in re.finditer(r"\[-([A-Za-z0-9-]+)\]", text):
    g = m.group(1)
    if "-" in g:
        out.add("long -" + g)
    else:
        out.update("short -" + ch for ch in g)
for m in re.finditer(r"(?:^|[\s\[(|])-([A-Za-z0-9][A-Za-z0-9-]*)(?=[\s)])", text, re.M):
    g = m.group(1)
    out.add(("short -" if len(g) == 1 else "long -") + g)
print("\n".join(sorted(out)))
' "$1"
}
