# SPDX-License-Identifier: ISC
# shellcheck shell=bash
#
# The edge-failover lab, sourced by tests/net/t-failover-*.sh and
# tests/bench/b-failover.sh after lib.sh:
#
#   lan (10.90.0.2) --- home ---- dev K --- ispK ---+
#                        |  masquerades             inet: 203.0.113.10
#                        +--- dev L --- ispL ------+
#
# fo_lab DEV...        home, lan, inet, and one ISP namespace per uplink
#                      device DEV (home side 10.8.K.2, ISP 10.8.K.1, K from
#                      1; FO_NETS=("ISP/LEN HOME" ...) sets other addresses,
#                      e.g. "192.0.2.1/24 192.0.2.2"); home keeps per-uplink
#                      default routes with metrics
#                      100+K (what DHCP would install), so that probes bound
#                      to a device leave through it whatever edge-failover's
#                      metric 0 route says
# fo_blackhole K on|off   drop everything the ISP K forwards (carrier up)
# fo_loss K PCT           drop PCT % at random in ISP K (nft numgen)
# fo_prober VAR OUT DEV...  start a prober in home writing edge-probe's
#                      stream to OUT, probing 203.0.113.10 through each DEV
#                      (probe name DEV-far, group DEV); the real edge-probe
# fo_route             edge-failover's routes in home, one line
# fo_wait_route SECS PATTERN   wait until fo_route matches PATTERN

FO_SERVER=203.0.113.10
FO_DEVS=()

fo_lab() {
	local k=0 d
	ns_make FO_HOME home
	ns_make FO_LAN lan
	ns_make FO_NET inet
	nsx "$FO_NET" ip addr add $FO_SERVER/32 dev lo
	veth "$FO_LAN" eth0 "$FO_HOME" lan0
	nsx "$FO_LAN" ip addr add 10.90.0.2/24 dev eth0
	nsx "$FO_HOME" ip addr add 10.90.0.1/24 dev lan0
	nsx "$FO_LAN" ip route add default via 10.90.0.1
	nsx "$FO_HOME" sysctl -qw net.ipv4.ip_forward=1
	for d in "$@"; do
		k=$((k + 1))
		FO_DEVS+=("$d")
		ns_make "FO_ISP$k" "isp$k"
		local isp_var="FO_ISP$k"
		local isp=${!isp_var}
		veth "$FO_HOME" "$d" "$isp" cust
		veth "$isp" upl "$FO_NET" "e$k"
		# "ISP/LEN HOME" addresses of uplink K, from FO_NETS or 10.8.K.x
		local gw=10.8.$k.1/24 me=10.8.$k.2
		[ -n "${FO_NETS[k - 1]:-}" ] && read -r gw me <<<"${FO_NETS[k - 1]}"
		nsx "$FO_HOME" ip addr add "$me/${gw#*/}" dev "$d"
		nsx "$isp" ip addr add "$gw" dev cust
		nsx "$isp" ip addr add "10.9.$k.1/24" dev upl
		nsx "$FO_NET" ip addr add "10.9.$k.2/24" dev "e$k"
		nsx "$isp" sysctl -qw net.ipv4.ip_forward=1
		nsx "$isp" ip route add default via "10.9.$k.2"
		nsx "$FO_NET" ip route add "$me/32" via "10.9.$k.1"
		nsx "$FO_HOME" ip route add default via "${gw%/*}" dev "$d" \
			metric $((100 + k))
		nsx "$isp" nft -f - <<-EOF
		table inet fo {
			chain blk {
				type filter hook forward priority 0;
			}
		}
		EOF
	done
	local devs
	devs=$(IFS=,; echo "$*")
	nsx "$FO_HOME" nft -f - <<-EOF
	table ip fonat {
		chain post {
			type nat hook postrouting priority 100;
			oifname { $devs } masquerade
		}
	}
	EOF
}

fo_isp() { local v="FO_ISP$1"; echo "${!v}"; }

fo_blackhole() {
	local isp
	isp=$(fo_isp "$1")
	nsx "$isp" nft flush chain inet fo blk
	[ "$2" = on ] && nsx "$isp" nft add rule inet fo blk drop
	return 0
}

fo_loss() {
	local isp
	isp=$(fo_isp "$1")
	nsx "$isp" nft flush chain inet fo blk
	nsx "$isp" nft add rule inet fo blk numgen random mod 100 \< "$2" drop
}

# fo_prober VAR OUT DEV...: the prober's pid in VAR.  The real edge-probe
# when it is built; until then a stand-in that turns ping -O output into
# edge-probe's result lines (FO_PROBER says which ran).
fo_prober() {
	local var=$1 out=$2; shift 2
	local args=() d
	if [ -x "$BIN/edge-probe" ] && [ -z "${FO_FAKE_PROBE:-}" ]; then
		FO_PROBER=edge-probe
		echo "prober: $BIN/edge-probe" >&2
		for d in "$@"; do
			args+=(icmp "$FO_SERVER" dev "$d" name "$d-far" group "$d")
		done
		bg "$var" "$FO_HOME" "$BIN/edge-probe" -i "${FO_INTERVAL:-0.2}" \
			-t "${FO_TIMEOUT:-0.2}" -R 0 "${args[@]}" >"$out" \
			2>>"$T_TMP/probe.err"
		return
	fi
	FO_PROBER=ping-stand-in
	# mawk reads a pipe in blocks unless told to be interactive
	FO_AWK=awk
	command -v mawk >/dev/null && FO_AWK="mawk -W interactive"
	echo "edge-probe not built: using a ping-based stand-in" >&2
	# one awk for every uplink, so that lines never interleave; each
	# ping's lines come prefixed with its device
	cat >"$T_TMP/probe.awk" <<-'EOF'
	function ms(s) { gsub(/[][]/, "", s); return int(s * 1000) }
	/no answer yet/ {
		split($NF, a, "="); lost[$1 " " a[2]] = 1
		printf "r\t%.0f\t%s-far\t%s\ticmp\t%s\t%d\tdown\t-\ttimeout\n", ms($2), $1, $1, t, a[2]
		fflush()
	}
	/bytes from/ {
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^icmp_seq=/) { split($i, a, "="); s = a[2] }
			if ($i ~ /^time=/) { split($i, b, "="); r = b[2] }
		}
		if (!(($1 " " s) in lost)) {
			printf "r\t%.0f\t%s-far\t%s\ticmp\t%s\t%d\tup\t%d\t-\n", ms($2), $1, $1, t, s, r * 1000
			fflush()
		}
	}
	EOF
	local pings=""
	for d in "$@"; do
		pings="$pings stdbuf -oL ping -n -D -O -i ${FO_INTERVAL:-0.2} -I $d \
		    $FO_SERVER 2>/dev/null | sed -u 's/^/$d /' &"
	done
	# awk is the process bg tracks; the pings die of SIGPIPE after it
	bg "$var" "$FO_HOME" bash -c "exec $FO_AWK -v t=$FO_SERVER \
	    -f $T_TMP/probe.awk >>$out < <($pings wait)"
}

fo_route() {
	nsx "$FO_HOME" ip route show table "${FO_TABLE:-main}" proto 203 |
		tr -s ' \t\n' '   '
}

fo_wait_route() {
	local secs=$1 pat=$2
	wait_for "$secs" bash -c "ip -n $FO_HOME route show table \
		${FO_TABLE:-main} proto 203 | tr -s ' \t\n' '   ' | grep -Eq '$pat'"
}

# now in milliseconds
fo_ms() { echo $(($(date +%s%N) / 1000000)); }
