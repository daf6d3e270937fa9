#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The failover examples of the documentation, taken from the pages
# themselves (tests/net/doc-lib.sh) and run in a lab whose addresses are
# theirs: an uplink wan0 to 192.0.2.1 and an LTE uplink lte0 to
# 198.51.100.1, the far end 203.0.113.10.
#  - edge-failover(8) example 1: the probes file, failover.conf and the
#    pipeline, as written (/etc/edgekit and /run private to the example,
#    so the default state file is its own): the default
#    route via wan0, LTE when wan0 dies upstream, the hook's logger line;
#    example 4: "edge-failover status" prints what the page shows;
#    edgekit(7)'s pipeline is the same command line.
#  - The README's probes, failover.conf and pipeline: LTE when the
#    primary dies, back after the 5 s hold time.
#  - edge-failover.conf(5) examples 1 and 2 (a table for the guests only):
#    table 100 follows, main is not touched, and when the primary and its
#    gateway die the LAN's masqueraded connections through it are deleted
#    (FlushConntrack) and its ping goes on through LTE.
# The three-carrier example is t-failover-carriers.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/failover-lib.sh"
source "$(dirname "$0")/glue-lib.sh"
source "$(dirname "$0")/doc-lib.sh"

FO_NETS=("192.0.2.1/24 192.0.2.2" "198.51.100.1/24 198.51.100.2")
fo_lab wan0 lte0
H=$FO_HOME	# for glue-lib's glue_pid/glue_gone

# The hook's logger: a stand-in that keeps the message.
mkdir -p "$T_TMP/bin"
cat >"$T_TMP/bin/logger" <<EOF
#!/bin/sh
[ "\$1" = -t ] && shift 2
printf '%s\n' "\$*" >>$T_TMP/logger.log
EOF
chmod 755 "$T_TMP/bin/logger"

# run_example DIR COMMAND: COMMAND as written, in home, in DIR, with the
# tools found in PATH, in a private mount namespace where /etc/edgekit is
# DIR (an overlay on /etc) and /run is empty (so that the default state
# file, /run/edgekit/failover.state, is this run's own).  DIR must be
# named .../edgekit.
run_example() {
	local dir=$1 cmd=$2
	echo "+ $cmd"
	bg PIPE "$FO_HOME" unshare -m sh -c 'mount -t tmpfs tmpfs /run &&
	    mount -t overlay overlay -o "lowerdir=${1%/edgekit}:/etc" /etc &&
	    cd "$1" && exec env PATH="$2" bash -c "$3"' _ "$dir" "$T_TMP/bin:$BIN:$PATH" "$cmd" \
		2>>"$T_TMP/fo.log"
	wait_for 5 glue_running edge-failover || { cat "$T_TMP/fo.log"; fail "not running: $cmd"; }
}
stop_example() {
	kill $(glue_pid edge-failover) $(glue_pid edge-probe) 2>/dev/null || true
	wait_for 5 glue_gone edge-failover edge-probe || fail "the pipeline did not stop"
	wait "$PIPE" 2>/dev/null || true
	fo_blackhole 1 off
	fo_blackhole 2 off
}
# in_example CMD...: CMD in the running example's namespaces (its /run).
in_example() {
	nsenter -t "$(glue_pid edge-failover | head -n 1)" -m -n "$@"
}

# --- edge-failover(8), example 1 ------------------------------------------------
D=$T_TMP/man8/edgekit
mkdir -p "$D"
mapfile -t cmds < <(doc_block man/edge-failover.8 1 | doc_transcript "$D")
[ ${#cmds[@]} -eq 1 ] && [ -s "$D/probes" ] && [ -s "$D/failover.conf" ] ||
	fail "edge-failover.8 example 1: not a probes file, failover.conf and a command"
# edgekit(7) shows the same pipeline.
seven=$(doc_block man/edgekit.7 1 | sed 's/ *\\$//' | tr -s ' \n' '  ' | sed 's/ $//')
[ "$seven" = "${cmds[0]}" ] || fail "edgekit.7's pipeline \"$seven\" is not edge-failover.8's \"${cmds[0]}\""
run_example "$D" "${cmds[0]}"
fo_wait_route 8 "^default via 192.0.2.1 dev wan0" ||
	{ cat "$T_TMP/fo.log"; fail "edge-failover.8 example 1: no route via wan0: $(fo_route)"; }
fo_blackhole 1 on
fo_wait_route 5 "^default via 198.51.100.1 dev lte0" ||
	{ cat "$T_TMP/fo.log"; fail "edge-failover.8 example 1: no switch to LTE: $(fo_route)"; }
wait_for 3 grep -q "^wan up -> down: default via 198.51.100.1 dev lte0$" "$T_TMP/logger.log" ||
	fail "the example's hook logged: $(cat "$T_TMP/logger.log" 2>/dev/null)"
ok "edge-failover.8 example 1 (and edgekit.7's pipeline): wan0, then LTE; hook: $(tail -n 1 "$T_TMP/logger.log")"

# Example 4: "edge-failover status" (the default state file) looks like the
# page: the same lines, numbers where it has numbers.
mapfile -t st < <(doc_block man/edge-failover.8 4)
[ "${st[0]}" = '$ edge-failover status' ] || fail "example 4 is not \"edge-failover status\": ${st[0]}"
wan_down() { in_example "$BIN/edge-failover" status | grep -qP '^wan\tdown\t'; }
wait_for 3 wan_down || { in_example "$BIN/edge-failover" status; fail "status does not show wan down"; }
got=$(in_example "$BIN/edge-failover" status) && fail "status exit 0 with wan down"
echo "$got"
printf '%s\n' "${st[@]:1}" | python3 -c '
import re, sys
want = sys.stdin.read().splitlines()
got = sys.argv[1].splitlines()
num = r"(?:\d+(?:\.\d+)?|-)"
if len(want) != len(got):
    sys.exit("%d lines, the page shows %d" % (len(got), len(want)))
for w, g in zip(want, got):
    pat = "\t".join(num if re.fullmatch(num, t) else re.escape(t) for t in w.split())
    if w.startswith("group"):
        pat = r"group\t" + re.escape(w.split()[1]) + r"\t" + re.escape(" ".join(w.split()[2:]))
    if not re.fullmatch(pat, g):
        sys.exit("\"%s\" is not like the page'"'"'s \"%s\"" % (g, w))
' "$got" || fail "edge-failover.8 example 4"
ok "edge-failover.8 example 4: status as the page shows it, from /run/edgekit/failover.state"
stop_example
nsx "$FO_HOME" "$BIN/edge-failover" flush -f "$D/failover.conf" >/dev/null

# --- README ----------------------------------------------------------------------
n=$(doc_list README | awk -F'\t' '$2 ~ /^edge-probe\(8\) and edge-failover/ { print $1 }')
R=$T_TMP/readme/edgekit
mkdir -p "$R"
mapfile -t cmds < <(doc_block README "$n" | doc_transcript "$R")
[ ${#cmds[@]} -eq 1 ] && [ -s "$R/probes" ] && [ -s "$R/failover.conf" ] ||
	fail "README example $n: not a probes file, failover.conf and a command"
run_example "$R" "${cmds[0]}"
fo_wait_route 8 "^default via 192.0.2.1 dev wan0" ||
	{ cat "$T_TMP/fo.log"; fail "README: no route via wan0: $(fo_route)"; }
t0=$(fo_ms)
fo_blackhole 1 on
fo_wait_route 5 "^default via 198.51.100.1 dev lte0" || fail "README: no switch to LTE"
echo "README: LTE after $(( $(fo_ms) - t0 )) ms"
sleep 1
t0=$(fo_ms)
fo_blackhole 1 off
fo_wait_route 12 "^default via 192.0.2.1 dev wan0" || fail "README: no failback"
back=$(( $(fo_ms) - t0 ))
[ $back -ge 4500 ] || fail "README: failback after $back ms, before the 5 s hold time"
ok "README's failover files and pipeline: LTE when the primary dies, back after $back ms (UpAfter 5 s)"
stop_example
nsx "$FO_HOME" "$BIN/edge-failover" flush -f "$R/failover.conf" >/dev/null

# --- edge-failover.conf(5), examples 1 and 2 ---------------------------------------
C=$T_TMP/conf5/edgekit
mkdir -p "$C"
{ doc_block man/edge-failover.conf.5 1; echo; doc_block man/edge-failover.conf.5 2; } >"$C/failover.conf"
grep -q '^Targets = wan0-far, wan0-gw$' "$C/failover.conf" || fail "conf.5: Targets changed"
# wan0-far and lte0-far as in edge-failover(8), wan0-gw the ISP's router.
cat "$D/probes" - >"$C/probes" <<-EOF
icmp 192.0.2.1 dev wan0 name wan0-gw
EOF
# The guests' network is the LAN.
nsx "$FO_HOME" ip rule add iif lan0 lookup 100 priority 100
run_example "$C" "edge-probe -i 0.2 -t 0.2 -R 0 -f $C/probes | edge-failover -f $C/failover.conf"
wait_for 8 sh -c "ip -n $FO_HOME route show table 100 proto 203 | grep -q '^default via 192.0.2.1 dev wan0'" ||
	{ cat "$T_TMP/fo.log"; fail "conf.5: no route via wan0 in table 100: $(ip -n "$FO_HOME" route show table 100)"; }
[ -z "$(fo_route)" ] || fail "conf.5 example 2: main was touched: $(fo_route)"
bg PING "$FO_LAN" sh -c "exec ping -n -i 0.1 $FO_SERVER >$T_TMP/ping.log"
# the LAN's entries whose replies come to ADDR (the router's own probes
# through wan0 make entries of their own)
ct() { nsx "$FO_HOME" grep -c "^ipv4 .* icmp .* src=10.90.0.2 .* dst=$1 " /proc/net/nf_conntrack || true; }
ct_has() { [ "$(ct "$1")" -gt 0 ]; }
wait_for 3 ct_has 192.0.2.2 ||
	fail "the LAN's ping is not masqueraded to wan0: $(nsx "$FO_HOME" cat /proc/net/nf_conntrack)"
# The uplink dies upstream: wan0-gw still answers, so wan stays up.
fo_blackhole 1 on
sleep 2
ip -n "$FO_HOME" route show table 100 proto 203 | grep -q '^default via 192.0.2.1 dev wan0' ||
	fail "conf.5: wan left although wan0-gw answers: $(ip -n "$FO_HOME" route show table 100)"
# Its router dies too: down, table 100 to LTE, wan's entries deleted.
nsx "$(fo_isp 1)" nft add chain inet fo in '{ type filter hook input priority 0; }'
nsx "$(fo_isp 1)" nft add rule inet fo in drop
wait_for 5 sh -c "ip -n $FO_HOME route show table 100 proto 203 | grep -q '^default via 198.51.100.1 dev lte0'" ||
	{ cat "$T_TMP/fo.log"; fail "conf.5: table 100 did not move to LTE"; }
wait_for 3 ct_has 198.51.100.2 ||
	fail "the LAN's ping does not go on through LTE"
[ "$(ct 192.0.2.2)" -eq 0 ] || fail "wan0's conntrack entries are still there"
grep -q "gateway wan: deleted [1-9][0-9]* conntrack entries" "$T_TMP/fo.log" ||
	fail "no conntrack deletion logged"
[ -z "$(fo_route)" ] || fail "conf.5 example 2: main was touched: $(fo_route)"
ok "edge-failover.conf.5 examples 1 and 2: wan held by wan0-gw, then table 100 to LTE, main untouched, wan's masqueraded entries gone, the LAN's ping goes on"
