#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The OpenRC and sysvinit scripts, as installed: all pass sh -n; the
# sysvinit scripts run for real (start-stop-daemon is Debian's) in a
# namespace, their /etc/default files given through a private mount:
# edge-tunnel start/status/reload/stop on a wireguard-go tunnel, edge-sni
# start/status/reload/stop forwarding from the NAT46 prefix, the
# edge-failover pipeline start/status/reload/stop leaving nothing behind,
# started once with SIGHUP at its default and once with it ignored (as
# nohup leaves it: reload must work either way, whatever this test was
# started with).
# OpenRC (not installed, and not installed by the test): the real
# openrc-run from Debian's packages, unpacked into a cache and overlaid in
# a private mount namespace (tests/net/openrc-lib.sh), runs start, status,
# reload and stop of edge-failover (both ways, as above), edge-sni and
# edge-tunnel.NAME; without the packages, the scripts' functions run with
# stand-ins for ebegin/eend.  Either way the OpenRC edge-failover command
# runs as start-stop-daemon would start it, with HUP ignored, and reloads.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/glue-lib.sh"
source "$(dirname "$0")/openrc-lib.sh"

SV=$T_TMP/sysv
RUN_PRE=()
OR=$T_TMP/openrc
glue_install "$SV" INIT=sysvinit || { cat "$T_TMP/install.log"; fail "make install INIT=sysvinit"; }
glue_install "$OR" INIT=openrc || { cat "$T_TMP/install.log"; fail "make install INIT=openrc"; }
for f in "$SV"/etc/init.d/* "$OR"/etc/init.d/*; do
	sh -n "$f" || fail "${f#"$T_TMP"}: sh -n"
	grep -q '@[A-Z]*@' "$f" && fail "${f#"$T_TMP"}: placeholder left"
done
ok "sysvinit and OpenRC scripts pass sh -n"

glue_lab
mkdir -p "$T_TMP/default"

# rc NAME ARGS...: /etc/init.d/NAME (sysvinit) in H, with this test's
# /etc/default and /etc/wireguard.
rc() {
	local s=$1
	shift
	"${RUN_PRE[@]}" ip netns exec "$H" unshare -m sh -c 'mount --bind "$0/default" /etc/default &&
	    mount --bind "$0/etc" /etc/wireguard && exec "$@"' "$T_TMP" \
	    "$SV/etc/init.d/$s" "$@"
}

# --- sysvinit edge-tunnel ------------------------------------------------------
if glue_have edge-tunnel && command -v wireguard-go >/dev/null; then
	name=${T_ID}r
	T_WGIF+=("$name")
	glue_tunnel_conf "$T_TMP/etc/$name.conf" 10.77.1.2/24
	cat >"$T_TMP/default/edge-tunnel" <<-EOF
	TUNNELS="$name"
	EDGE_TUNNEL=$BIN/edge-tunnel
	EOF
	rc edge-tunnel status && fail "status: up before start"
	rc edge-tunnel start || fail "edge-tunnel start"
	nsx "$H" ip addr show dev "$name" | grep -q 'inet 10.77.1.2/24' ||
		fail "start: no $name"
	rc edge-tunnel status || fail "status after start: $?"
	sed -i 's,^Address = .*,Address = 10.77.1.3/24,' "$T_TMP/etc/$name.conf"
	rc edge-tunnel reload || fail "edge-tunnel reload"
	nsx "$H" ip addr show dev "$name" | grep -q 'inet 10.77.1.3/24' ||
		fail "reload: the edited address was not applied"
	rc edge-tunnel stop || fail "edge-tunnel stop"
	nsx "$H" ip link show "$name" >/dev/null 2>&1 && fail "stop: $name still there"
	set +e; rc edge-tunnel status; st=$?; set -e
	[ $st -eq 3 ] || fail "status after stop: $st, not 3"
	ok "sysvinit edge-tunnel: start, status, reload, stop, status 3"
else
	echo "edge-tunnel or wireguard-go missing: sysvinit edge-tunnel not run"
fi

# --- sysvinit edge-sni -----------------------------------------------------------
if glue_have edge-sni; then
	glue_sni_files
	cat >"$T_TMP/default/edge-sni" <<-EOF
	DAEMON=$BIN/edge-sni
	PIDFILE=$T_TMP/sni.pid
	EDGE_SNI_CONF=$T_TMP/sni.conf
	EDGE_SNI_OPTS="-u nobody"
	EOF
	rc edge-sni start || fail "edge-sni start"
	wait_for 5 glue_listening 443 || fail "edge-sni start: nothing on :443"
	rc edge-sni status || fail "edge-sni status after start"
	pid=$(cat "$T_TMP/sni.pid")
	[ "$(ps -o user= -p "$pid")" = nobody ] || fail "-u nobody: runs as $(ps -o user= -p "$pid")"
	got=$(glue_sni_source) || fail "no answer through edge-sni"
	[ "$got" = "64:ff9b:1::c000:20a" ] || fail "the backend saw $got"
	rc edge-sni reload || fail "edge-sni reload"
	glue_alive "$pid" || fail "edge-sni died on reload"
	got=$(glue_sni_source) || fail "no answer after reload"
	rc edge-sni stop || fail "edge-sni stop"
	glue_alive "$pid" && fail "edge-sni still running after stop"
	set +e; rc edge-sni status; st=$?; set -e
	[ $st -eq 3 ] || fail "status after stop: $st, not 3"
	echo '[Listener]' >"$T_TMP/bad.conf"
	echo "EDGE_SNI_CONF=$T_TMP/bad.conf" >>"$T_TMP/default/edge-sni"
	rc edge-sni start && fail "started on a configuration without Listen"
	glue_running edge-sni && fail "edge-sni running on a bad configuration"
	ok "sysvinit edge-sni: start (as nobody), status, reload, stop; a bad file is refused"
else
	echo "edge-sni not built: sysvinit edge-sni not run"
fi

# --- sysvinit edge-failover ------------------------------------------------------
# with_hup MODE FUNCTION ARGS...: FUNCTION (rc, orc) run with SIGHUP as
# MODE says, whatever this test was started with: "default", or "ignored"
# as nohup, a closed ssh session or a parent's trap '' HUP leave it;
# start-stop-daemon --background keeps it so for the pipeline, and a
# shell cannot trap a signal ignored when it started, so the scripts must
# reset it (the OpenRC stand-in below shows it for the OpenRC script:
# Debian 12's openrc-run resets HUP by itself).  The functions start their command through
# ${RUN_PRE[@]} (empty otherwise, set at the top).
with_hup() {
	local RUN_PRE
	case $1 in
	default) RUN_PRE=(env --default-signal=HUP) ;;
	ignored) RUN_PRE=(bash -c 'trap "" HUP; exec "$@"' _) ;;
	esac
	shift
	"$@"
}

# fo_reload_check GROUP-PREFIX RELOAD-CMD...: add a group for PREFIX to the
# file, reload; the group is routed by the same two processes, the
# default route stays; the file is put back and reloaded again.
fo_reload_check() {
	local dst=$1 pids
	shift
	pids="$(glue_pid edge-probe) $(glue_pid edge-failover)"
	cp "$T_TMP/failover.conf" "$T_TMP/failover.conf.orig"
	printf '\n[Group]\nName = inet\n\n[Group]\nName = extra\nDestination = %s\n' \
		"$dst" >>"$T_TMP/failover.conf"
	"$@" || fail "$mode: reload failed"
	wait_for 5 sh -c "ip -n $H route show proto 203 | grep -q '^$dst via 192.168.8.1'" ||
		fail "$mode: reload: the new group is not routed (SIGHUP $hup at start)"
	[ "$(glue_pid edge-probe) $(glue_pid edge-failover)" = "$pids" ] ||
		fail "$mode: reload restarted the pipeline"
	glue_fo_routed || fail "$mode: reload: the default route went"
	cp "$T_TMP/failover.conf.orig" "$T_TMP/failover.conf"
	"$@" || fail "$mode: second reload failed"
	wait_for 5 sh -c "! ip -n $H route show proto 203 | grep -q '^$dst'" ||
		fail "$mode: reload: the removed group's route stays"
}

if glue_have edge-probe && glue_have edge-failover; then
	glue_fo_files
	cat >"$T_TMP/default/edge-failover" <<-EOF
	SBIN=$BIN
	PIDFILE=$T_TMP/fo.pid
	EDGE_PROBE_OPTS="-i 0.2 -t 0.2 -R 0 -f $T_TMP/probes"
	EDGE_FAILOVER_OPTS="-f $T_TMP/failover.conf"
	EOF
	for hup in default ignored; do
		mode="sysvinit (HUP $hup)"
		with_hup "$hup" rc edge-failover start || fail "$mode: edge-failover start"
		wait_for 8 glue_fo_routed || fail "$mode: no route from the pipeline"
		rc edge-failover status || fail "$mode: status after start"
		# reload: HUP through the shell to edge-failover, which reads
		# the file again: a new group is routed; the same pipeline
		# goes on.
		fo_reload_check 10.123.0.0/16 rc edge-failover reload
		rc edge-failover stop || fail "$mode: edge-failover stop"
		wait_for 3 glue_gone edge-probe edge-failover ||
			fail "$mode: left running after stop: $(glue_pid edge-probe) $(glue_pid edge-failover)"
		set +e; rc edge-failover status; st=$?; set -e
		[ $st -eq 3 ] || fail "$mode: status after stop: $st, not 3"
		glue_fo_routed || fail "$mode: stop removed the route (it should stay)"
		ok "$mode edge-failover: the pipeline starts, routes, reloads its file, stops whole; routes stay"
	done
else
	echo "edge-probe or edge-failover not built: sysvinit edge-failover not run"
fi

# --- OpenRC ----------------------------------------------------------------------
# The real openrc-run (unpacked from Debian's packages, in a private mount
# namespace: tests/net/openrc-lib.sh) runs the installed scripts as
# /etc/init.d/NAME, the tools at their installed paths, each script's
# /etc/conf.d file, start-stop-daemon Debian's.  When the packages cannot
# be had (no network; or GLUE_OPENRC=shim), the scripts' functions run
# under stand-ins instead.
real_openrc() {
	local o=$T_TMP/orc t
	mkdir -p "$o/etc/init.d" "$o/etc/conf.d" "$o/etc/edgekit" "$o/usr/local/sbin"
	cp -a "$OR"/etc/init.d/. "$o/etc/init.d/"
	for t in "$BIN"/edge-*; do ln -s "$t" "$o/usr/local/sbin/${t##*/}"; done
	glue_fo_files
	sed -i '/^StateFile/d' "$T_TMP/failover.conf"	# the default, in /run/edgekit
	cat >"$o/etc/conf.d/edge-failover" <<-EOF
	EDGE_PROBE_OPTS="-i 0.2 -t 0.2 -R 0 -f $T_TMP/probes"
	EDGE_FAILOVER_OPTS="-f $T_TMP/failover.conf"
	EOF
	[ -f "$T_TMP/sni.conf" ] || glue_sni_files
	cp "$T_TMP/sni.conf" "$o/etc/edgekit/sni.conf"
	name=${T_ID}o
	glue_tunnel_conf "$T_TMP/etc/$name.conf" 10.77.2.2/24
	ln -s edge-tunnel "$o/etc/init.d/edge-tunnel.$name"
	openrc_holder "$H" "$o" || return 1
	# The tunnel's file in /etc/wireguard, a directory the test writes
	# (files of an overlay's lower layer must not change under it).
	openrc_in mount --bind "$T_TMP/etc" /etc/wireguard
}
orc() { openrc_in "/etc/init.d/$1" "$2"; }

# openrc_fo_command: the OpenRC edge-failover script's command, as
# start-stop-daemon would run it, started with HUP ignored: reload works,
# TERM stops it whole.  Run whether or not the real openrc-run is here
# (which itself hands its children HUP at its default).
openrc_fo_command() {
	local cmd hup mode
	glue_fo_files	# its own state file again, not the real OpenRC's default
	# The command start-stop-daemon would run: $command $command_args,
	# the arguments taken as openrc-run takes them (eval).
	mapfile -t cmd < <(env RC_SVCNAME=edge-failover \
		EDGE_PROBE_OPTS="-i 0.2 -t 0.2 -R 0 -f $T_TMP/probes" \
		EDGE_FAILOVER_OPTS="-f $T_TMP/failover.conf" bash -c '
		source "$0"
		eval "set -- $command_args"
		printf "%s\n" "$command" "$@"' "$OR/etc/init.d/edge-failover" |
		sed "s,/usr/local/sbin/,$BIN/,g")
	[ "${cmd[0]}" = /bin/sh ] && [ "${cmd[1]}" = -c ] ||
		fail "OpenRC edge-failover: command is ${cmd[*]:0:2}"
	ip -n "$H" route flush default
	# Started with HUP ignored, as start-stop-daemon would pass it on; the
	# pid stays the shell's through env's exec, as in the pid file.
	hup=ignored mode="OpenRC command (HUP ignored)"
	bg FO "$H" bash -c 'trap "" HUP; exec setsid "$@"' _ "${cmd[@]}"
	wait_for 8 glue_fo_routed || fail "OpenRC edge-failover: no route"
	fo_reload_check 10.124.0.0/16 kill -HUP "$FO"
	# OpenRC stops it with TERM to the shell's pid.
	kill -TERM "$FO"
	wait_for 3 glue_gone edge-probe edge-failover ||
		fail "left running after TERM: $(glue_pid edge-probe) $(glue_pid edge-failover)"
	kill -0 "$FO" 2>/dev/null && fail "the shell outlived TERM"
	ok "OpenRC edge-failover: the pipeline runs, reloads with HUP ignored at start, and TERM to the shell stops it whole"
}

if [ "${GLUE_OPENRC:-}" != shim ] && command -v apt-get >/dev/null &&
    real_openrc 2>"$T_TMP/openrc.err"; then
	echo "OpenRC: the real openrc-run from $(openrc_root)"
	ip -n "$H" route flush default
	if glue_have edge-probe && glue_have edge-failover; then
		for hup in default ignored; do
			mode="OpenRC (HUP $hup)"
			with_hup "$hup" orc edge-failover start || fail "$mode: edge-failover start"
			wait_for 8 glue_fo_routed || fail "$mode: edge-failover: no route"
			orc edge-failover status || fail "$mode: edge-failover status"
			openrc_in "$BIN/edge-failover" status -S /run/edgekit/failover.state |
				grep -qP '^up\tup\t' || fail "$mode: no state in /run/edgekit/failover.state"
			fo_reload_check 10.124.0.0/16 orc edge-failover reload
			orc edge-failover stop || fail "$mode: edge-failover stop"
			wait_for 3 glue_gone edge-probe edge-failover ||
				fail "$mode: left running after stop: $(glue_pid edge-probe) $(glue_pid edge-failover)"
			set +e; orc edge-failover status; st=$?; set -e
			[ $st -eq 3 ] || fail "$mode: edge-failover status after stop: $st, not 3"
			glue_fo_routed || fail "$mode: stop removed the route (it should stay)"
			ok "$mode edge-failover: start, status, state in /run/edgekit, reload, stop whole, routes stay"
		done
	fi
	if glue_have edge-sni; then
		orc edge-sni checkconfig || fail "OpenRC edge-sni checkconfig"
		orc edge-sni start || fail "OpenRC edge-sni start"
		wait_for 5 glue_listening 443 || fail "OpenRC edge-sni: nothing on :443"
		got=$(glue_sni_source) || fail "OpenRC edge-sni: no answer"
		[ "$got" = "64:ff9b:1::c000:20a" ] || fail "OpenRC edge-sni: the backend saw $got"
		pid=$(glue_pid edge-sni)
		orc edge-sni reload || fail "OpenRC edge-sni reload"
		glue_alive "$pid" || fail "OpenRC edge-sni died on reload"
		orc edge-sni stop || fail "OpenRC edge-sni stop"
		wait_for 3 glue_gone edge-sni || fail "OpenRC edge-sni still running"
		ok "OpenRC edge-sni: checkconfig, start, NAT46 source $got, reload, stop"
	fi
	if glue_have edge-tunnel && command -v wireguard-go >/dev/null; then
		# wireguard-go's sockets are in the holder's own /run.
		set +e; orc edge-tunnel start 2>/dev/null; st=$?; set -e
		[ $st -ne 0 ] || fail "OpenRC edge-tunnel started without a tunnel name"
		orc "edge-tunnel.$name" start || fail "OpenRC edge-tunnel.$name start"
		nsx "$H" ip addr show dev "$name" | grep -q 'inet 10.77.2.2/24' || fail "start: no $name"
		sed -i 's,^Address = .*,Address = 10.77.2.3/24,' "$T_TMP/etc/$name.conf"
		orc "edge-tunnel.$name" reload || fail "OpenRC edge-tunnel reload"
		nsx "$H" ip addr show dev "$name" | grep -q 'inet 10.77.2.3/24' ||
			fail "OpenRC reload: the edited address was not applied"
		orc "edge-tunnel.$name" stop || fail "OpenRC edge-tunnel stop"
		nsx "$H" ip link show "$name" >/dev/null 2>&1 && fail "OpenRC stop: $name still there"
		ok "OpenRC edge-tunnel.NAME: start, reload (sync), stop (and no start without a name)"
	fi
	if glue_have edge-probe && glue_have edge-failover; then
		openrc_fo_command
	fi
	exit 0
fi
echo "OpenRC packages not available ($(tail -n 1 "$T_TMP/openrc.err" 2>/dev/null)): the scripts' functions under stand-ins"
# openrc NAME SVCNAME FUNCTION [VAR=VALUE...]: source the script as
# openrc-run would and call FUNCTION, in H.
openrc() {
	local s=$1 svc=$2 fn=$3
	shift 3
	ip netns exec "$H" unshare -m sh -c 'mount --bind "$0/etc" /etc/wireguard &&
	    exec "$@"' "$T_TMP" env "$@" RC_SVCNAME="$svc" bash -c '
		set -e
		ebegin() { echo "* $*"; }
		eend() { return "${1:-0}"; }
		eerror() { echo "error: $*" >&2; }
		source "$0"
		[ -n "${COMMAND:-}" ] && command=$COMMAND
		"$1"' "$OR/etc/init.d/$s" "$fn"
}

if glue_have edge-tunnel && command -v wireguard-go >/dev/null; then
	name=${T_ID}o
	T_WGIF+=("$name")
	glue_tunnel_conf "$T_TMP/etc/$name.conf" 10.77.2.2/24
	et=edge_tunnel=$BIN/edge-tunnel
	openrc edge-tunnel edge-tunnel start "$et" && fail "started without a tunnel name"
	openrc edge-tunnel "edge-tunnel.$name" start "$et" || fail "OpenRC edge-tunnel start"
	nsx "$H" ip link show "$name" >/dev/null || fail "start: no $name"
	openrc edge-tunnel "edge-tunnel.$name" reload "$et" || fail "OpenRC reload"
	openrc edge-tunnel "edge-tunnel.$name" stop "$et" || fail "OpenRC stop"
	nsx "$H" ip link show "$name" >/dev/null 2>&1 && fail "stop: $name still there"
	ok "OpenRC edge-tunnel.NAME: start, reload, stop (and no start without a name)"
fi

if glue_have edge-sni; then
	[ -f "$T_TMP/sni.conf" ] || glue_sni_files
	openrc edge-sni edge-sni checkconfig COMMAND="$BIN/edge-sni" \
		EDGE_SNI_CONF="$T_TMP/sni.conf" || fail "OpenRC edge-sni checkconfig"
	openrc edge-sni edge-sni checkconfig COMMAND="$BIN/edge-sni" \
		EDGE_SNI_CONF="$T_TMP/bad.conf" 2>/dev/null && fail "checkconfig passed a bad file"
	ok "OpenRC edge-sni: checkconfig passes the good file, fails the bad one"
fi

if glue_have edge-probe && glue_have edge-failover; then
	openrc_fo_command
fi
