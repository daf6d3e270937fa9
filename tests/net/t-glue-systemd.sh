#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The systemd units, as installed.  systemd itself is not installed here
# (and must not be), so:
#  - a parser reads every unit: known sections and keys only, valid values
#    (types, booleans, time spans, capability and address family names),
#    absolute Exec paths that name installed programs, specifiers only in
#    templates, timers with their service, dependencies on shipped units;
#    systemd-analyze verify runs too when it happens to be present;
#  - each unit's commands run as systemd would run them, in a namespace,
#    under the unit's own CapabilityBoundingSet/AmbientCapabilities and
#    user (setpriv), the file system read-only as its ProtectSystem= makes
#    it, with %i, Environment= and EnvironmentFile= expanded:
#    edge-tunnel@ up, reload (sync), reresolve and down on a real
#    wireguard-go tunnel; edge-sni as an unprivileged user with
#    CAP_NET_BIND_SERVICE alone binding :443 and connecting from the NAT46
#    prefix; the edge-failover pipeline with CAP_NET_ADMIN and CAP_NET_RAW
#    installing its default route, and ending when either side ends;
#    edge-routes@ fetching a saved list and syncing it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/glue-lib.sh"
source "$(dirname "$0")/doc-lib.sh"

R=$T_TMP/root
glue_install "$R" || { cat "$T_TMP/install.log"; fail "make install failed"; }
U=$R/lib/systemd/system
SBIN=/usr/local/sbin

# --- static checks ------------------------------------------------------------
python3 - "$U" "$R$SBIN" <<'PY' || fail "unit files do not parse"
import glob, os, re, shlex, sys

udir, sbin = sys.argv[1], sys.argv[2]
KEYS = {
    "Unit": "Description Documentation Wants Requires Requisite BindsTo PartOf "
            "After Before Conflicts ConditionPathExists AssertPathExists "
            "DefaultDependencies",
    "Service": "Type RemainAfterExit ExecStart ExecStartPre ExecStartPost ExecStop "
            "ExecStopPost ExecReload Restart RestartSec TimeoutStartSec "
            "TimeoutStopSec Environment EnvironmentFile User Group DynamicUser "
            "SupplementaryGroups AmbientCapabilities CapabilityBoundingSet "
            "NoNewPrivileges ProtectSystem ProtectHome PrivateTmp PrivateDevices "
            "ProtectKernelTunables ProtectKernelModules ProtectKernelLogs "
            "ProtectControlGroups ProtectClock ProtectHostname "
            "RestrictAddressFamilies RestrictNamespaces RestrictRealtime "
            "RestrictSUIDSGID LockPersonality MemoryDenyWriteExecute "
            "SystemCallArchitectures SystemCallFilter UMask LimitNOFILE "
            "StateDirectory RuntimeDirectory LogsDirectory ReadWritePaths KillMode",
    "Timer": "OnActiveSec OnBootSec OnStartupSec OnUnitActiveSec "
            "OnUnitInactiveSec OnCalendar AccuracySec RandomizedDelaySec "
            "Persistent Unit",
    "Install": "WantedBy RequiredBy Also Alias DefaultInstance",
}
KEYS = {s: set(v.split()) for s, v in KEYS.items()}
SECTIONS = {".service": ["Unit", "Service", "Install"],
            ".timer": ["Unit", "Timer", "Install"]}
BOOL = set("RemainAfterExit DynamicUser NoNewPrivileges PrivateTmp PrivateDevices "
           "ProtectKernelTunables ProtectKernelModules ProtectKernelLogs "
           "ProtectControlGroups ProtectClock ProtectHostname RestrictNamespaces "
           "RestrictRealtime RestrictSUIDSGID LockPersonality "
           "MemoryDenyWriteExecute Persistent DefaultDependencies".split())
ENUM = {"Type": "simple exec forking oneshot notify dbus idle",
        "Restart": "no on-success on-failure on-abnormal on-watchdog on-abort always",
        "ProtectSystem": "yes no true false full strict",
        "ProtectHome": "yes no true false read-only tmpfs",
        "KillMode": "control-group mixed process none",
        "SystemCallArchitectures": "native"}
SPAN = set("RestartSec TimeoutStartSec TimeoutStopSec OnActiveSec OnBootSec "
           "OnStartupSec OnUnitActiveSec OnUnitInactiveSec AccuracySec "
           "RandomizedDelaySec".split())
CAPS = set(re.findall(r"#define (CAP_[A-Z_]+)\s+\d+\s*$",
                      open("/usr/include/linux/capability.h").read(), re.M))
AFS = set(re.findall(r"#define\s+(AF_[A-Z0-9_]+)\s",
                     open("/usr/include/x86_64-linux-gnu/bits/socket.h").read()))
shipped = set(os.path.basename(f) for f in glob.glob(udir + "/*"))
errors = []

def err(f, n, msg):
    errors.append("%s:%d: %s" % (os.path.basename(f), n, msg))

def span_ok(v):
    return all(re.fullmatch(r"\d+(\.\d+)?(us|ms|s|sec|m|min|h|hr|d|w)?", w)
               for w in v.split()) and v.strip() != ""

def unit_ok(name, template):
    """A dependency: a shipped unit (instances of shipped templates too)
    or a systemd target."""
    if name.endswith(".target"):
        return True
    if template and "%i" in name:
        name = name.replace("%i", "")
    return re.sub(r"@[^.]*\.", "@.", name) in shipped

if not shipped:
    errors.append("no unit installed")
for f in sorted(glob.glob(udir + "/*")):
    base = os.path.basename(f)
    ext = os.path.splitext(base)[1]
    template = "@" in base
    if ext not in SECTIONS:
        err(f, 0, "unknown unit type")
        continue
    sect, seen = None, {}
    # systemd joins a line ending in a backslash with the next (a space
    # between); comments are never continued
    logical, cont = [], None
    for n, line in enumerate(open(f), 1):
        line = line.rstrip("\n")
        if cont is not None:
            line, n = cont[1] + " " + line, cont[0]
            cont = None
        if line.endswith("\\") and not re.match(r"\s*[#;]", line):
            cont = (n, line[:-1])
            continue
        logical.append((n, line))
    if cont is not None:
        err(f, cont[0], "the file ends in a continued line")
    for n, line in logical:
        if re.match(r"\s*([#;].*)?$", line):
            continue
        m = re.fullmatch(r"\[([A-Za-z]+)\]", line)
        if m:
            sect = m.group(1)
            if sect not in SECTIONS[ext]:
                err(f, n, "section [%s] in a %s" % (sect, ext))
            if sect in seen:
                err(f, n, "section [%s] twice" % sect)
            seen[sect] = {}
            continue
        m = re.fullmatch(r"([A-Za-z]+)=(.*)", line)
        if not m or sect is None:
            err(f, n, "not KEY=VALUE in a section: %r" % line)
            continue
        k, v = m.groups()
        if k not in KEYS.get(sect, ()):
            err(f, n, "unknown key %s in [%s]" % (k, sect))
            continue
        seen[sect].setdefault(k, []).append(v)
        if v == "":
            err(f, n, "%s is empty" % k)
        if k in BOOL and v not in ("yes", "no", "true", "false"):
            err(f, n, "%s=%s is not a boolean" % (k, v))
        if k in ENUM and v not in ENUM[k].split():
            err(f, n, "%s=%s: expected one of %s" % (k, v, ENUM[k]))
        if k in SPAN and not span_ok(v):
            err(f, n, "%s=%s is not a time span" % (k, v))
        if k in ("CapabilityBoundingSet", "AmbientCapabilities"):
            for c in v.lstrip("~").split():
                if c not in CAPS:
                    err(f, n, "unknown capability %s" % c)
        if k == "RestrictAddressFamilies":
            for a in v.lstrip("~").split():
                if a not in AFS:
                    err(f, n, "unknown address family %s" % a)
        for spec in re.findall(r"%(.)", v):
            if spec not in "iInNpPfHhtTSCLEuUgGmbBvaAwWoMj%":
                err(f, n, "unknown specifier %%%s" % spec)
            if spec in "iI" and not template:
                err(f, n, "%%%s in a unit that is not a template" % spec)
        if k.startswith("Exec"):
            cmd = v.lstrip("-@:+!")
            words = shlex.split(cmd)
            if not words or not words[0].startswith("/"):
                err(f, n, "%s: not an absolute path: %s" % (k, cmd))
                continue
            prog = words[0]
            if os.path.basename(prog).startswith("edge-"):
                if os.path.dirname(prog) != "/usr/local/sbin":
                    err(f, n, "%s not in SBINDIR" % prog)
                elif not os.path.exists(sbin + "/" + os.path.basename(prog)):
                    print("%s: %s not installed (not built?)" % (base, prog))
            elif prog not in ("/bin/sh", "/bin/kill"):
                err(f, n, "%s: unexpected program %s" % (k, prog))
            # Programs inside "sh -c": installed edge tools by full path.
            if prog == "/bin/sh":
                for p in re.findall(r"(/\S*/edge-[a-z-]+)", cmd):
                    if os.path.dirname(p) != "/usr/local/sbin":
                        err(f, n, "%s not in SBINDIR" % p)
        if k in ("Wants", "Requires", "Requisite", "BindsTo", "PartOf", "After",
                 "Before", "WantedBy", "RequiredBy", "Unit"):
            for u in v.split():
                if u.startswith("edge-") and not unit_ok(u, template):
                    err(f, n, "%s=%s: no such unit shipped" % (k, u))
                elif not u.startswith("edge-") and not u.endswith(".target"):
                    err(f, n, "%s=%s: neither shipped nor a target" % (k, u))
    s = seen.get("Service", {})
    if ext == ".service":
        if "ExecStart" not in s:
            err(f, 0, "no ExecStart")
        if "Description" not in seen.get("Unit", {}):
            err(f, 0, "no Description")
    if ext == ".timer":
        t = seen.get("Timer", {})
        if not any(k.startswith("On") for k in t):
            err(f, 0, "a timer without On...=")
        svc = t.get("Unit", [base[:-len(".timer")] + ".service"])[0]
        if not unit_ok(svc, template):
            err(f, 0, "its service %s is not shipped" % svc)
if errors:
    print("\n".join(errors))
    sys.exit(1)
PY
ok "every unit parses: sections, keys, values, Exec paths, specifiers, timers, dependencies"

# systemd-analyze warns (and still exits 0) on unknown keys and bad
# values: any output fails.  The installed programs are put in place in a
# private mount namespace, since verify checks that Exec paths exist.
# A program not built yet is stood in for by an empty script, for verify
# only (it checks that the file is executable).
if command -v systemd-analyze >/dev/null; then
	cp -a "$R$SBIN" "$T_TMP/sbin"
	for p in $(sed -n 's,.*\(/usr/local/sbin/edge-[a-z-]*\).*,\1,p' "$U"/*); do
		[ -e "$T_TMP/sbin/${p##*/}" ] && continue
		printf '#!/bin/sh\n' >"$T_TMP/sbin/${p##*/}"
		chmod 755 "$T_TMP/sbin/${p##*/}"
	done
	out=$(unshare -m sh -c 'mount --bind "$1/sbin" "$2" &&
	    exec systemd-analyze verify --man=no "$0"/lib/systemd/system/*' \
	    "$R" "$T_TMP" "$SBIN" 2>&1) && [ -z "$out" ] ||
		fail "systemd-analyze verify: $out"
	ok "systemd-analyze verify: silent"
else
	echo "systemd-analyze not installed: verify skipped"
fi

# edge-failover(8)'s example unit is the installed one, shortened: its
# lines, in order, are lines of edge-failover.service.
doc_block man/edge-failover.8 3 >"$T_TMP/man.unit"
python3 - "$T_TMP/man.unit" "$U/edge-failover.service" <<'PY' ||
import sys
want = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()]
have = open(sys.argv[2]).read().splitlines()
i = 0
for w in want:
    while i < len(have) and have[i] != w:
        i += 1
    if i == len(have):
        sys.exit("edge-failover.8 example 3: \"%s\" is not in edge-failover.service (in order)" % w)
    i += 1
PY
	fail "the man page's unit is not the installed one"
ok "edge-failover.8 example 3: every line is the installed edge-failover.service's"

# The units' claims about capabilities, checked against the code where it
# is here: edge-sni opens no raw, netlink or transparent socket and sets no
# mark, so CAP_NET_BIND_SERVICE is enough.
sni=$U/edge-sni.service
[ "$(unit_get "$sni" Service CapabilityBoundingSet)" = CAP_NET_BIND_SERVICE ] &&
	[ "$(unit_get "$sni" Service AmbientCapabilities)" = CAP_NET_BIND_SERVICE ] &&
	[ "$(unit_get "$sni" Service DynamicUser)" = yes ] ||
	fail "edge-sni.service: not DynamicUser with CAP_NET_BIND_SERVICE alone"
if [ -d "$TOP/cmd/edge-sni" ]; then
	if grep -n 'IP_TRANSPARENT\|IPV6_TRANSPARENT\|SO_MARK\|SOCK_RAW\|NETLINK_' \
	    "$TOP"/cmd/edge-sni/*.c; then
		fail "edge-sni now needs more than CAP_NET_BIND_SERVICE: revisit edge-sni.service"
	fi
fi
ok "edge-sni.service: a dynamic user with CAP_NET_BIND_SERVICE alone, as the code needs"

# --- running the units' commands -----------------------------------------------
# exec_line UNIT KEY INSTANCE: the unit's command line, %i expanded,
# installed paths mapped to this tree's programs, one word a line.
exec_line() {
	local v
	v=$(unit_get "$1" Service "$2" | head -n 1)
	v=${v#[-@:+!]}
	v=${v//%i/$3}
	v=${v//\$\$/\$}	# systemd's "$$" is a "$"
	unit_words "$v" | sed -e "s,^$SBIN/edge-\\([a-z-]*\\)$,@PROG@\\1," |
	while IFS= read -r w; do
		case $w in
		@PROG@*) w=edge-${w#@PROG@}
			if [ -x "$BIN/$w" ]; then echo "$BIN/$w"; else echo "$TOP/scripts/$w"; fi ;;
		*)	echo "${w//$SBIN\//$BIN/}" ;;
		esac
	done
}

# caps UNIT: setpriv options for the unit's capabilities and user.
caps() {
	local bset amb user o=(--no-new-privs)
	bset=$(unit_get "$1" Service CapabilityBoundingSet | tr 'A-Z ' 'a-z\n' |
		sed -n 's/^cap_/+/p' | paste -sd, -)
	amb=$(unit_get "$1" Service AmbientCapabilities | tr 'A-Z ' 'a-z\n' |
		sed -n 's/^cap_/+/p' | paste -sd, -)
	user=$(unit_get "$1" Service User)
	[ "$(unit_get "$1" Service DynamicUser)" = yes ] && user=nobody
	[ -n "$bset" ] && o+=(--bounding-set "-all,$bset")
	if [ -n "$user" ]; then
		o+=(--reuid "$user" --regid "$(id -gn "$user")" --clear-groups)
		[ -n "$amb" ] && o+=(--inh-caps "-all,$amb" --ambient-caps "-all,$amb")
	fi
	printf '%s\n' "${o[@]}"
}

# AS_SYSTEMD CMD...: CMD with the signal dispositions systemd gives a
# service: every signal at its default, then SIGPIPE ignored
# (IgnoreSIGPIPE=yes, its default).  First HUP is ignored, as nohup or a
# closed session would leave this test: systemd's reset is what lets the
# edge-failover.service shell trap HUP for its reload (a shell cannot
# trap a signal ignored when it started; the rc scripts reset it
# themselves, t-glue-rc), and without the reset here the test would fail
# when its parent ignores HUP, as systemd never does.
AS_SYSTEMD=(bash -c 'trap "" HUP; exec "$@"' _
	env --default-signal --ignore-signal=PIPE)

# run_unit NS UNIT KEY INSTANCE: run the command in NS as the unit would,
# /etc/wireguard replaced by this test's directory (a private mount
# namespace), so that a tunnel name means this test's file.
run_unit() {
	local ns=$1 unit=$2 key=$3 inst=$4 cmd opts
	mapfile -t cmd < <(exec_line "$unit" "$key" "$inst")
	mapfile -t opts < <(caps "$unit")
	echo "+ ${unit##*/} $key: ${cmd[*]}"
	ip netns exec "$ns" "${AS_SYSTEMD[@]}" unshare -m sh -c \
	    "$(protect "$unit") mount --bind \"\$0\" /etc/wireguard && exec \"\$@\"" \
	    "$T_TMP/etc" setpriv "${opts[@]}" "${cmd[@]}"
}

# protect UNIT: mount commands (for a private mount namespace) that make
# the file system as read-only as the unit's ProtectSystem= does: full,
# /usr and /etc; strict, everything (here /tmp too: what the tests run
# under strict only reads there).
protect() {
	case $(unit_get "$1" Service ProtectSystem) in
	full)	echo 'mount --bind /usr /usr && mount -o remount,bind,ro /usr &&
		    mount --bind /etc /etc && mount -o remount,bind,ro /etc &&' ;;
	strict)	echo 'mount -o remount,bind,ro / &&' ;;
	esac
}

# sandboxed UNIT CMD...: CMD in a private mount namespace protected as UNIT.
sandboxed() {
	local unit=$1
	shift
	exec unshare -m sh -c "$(protect "$unit") exec \"\$@\"" _ "$@"
}

glue_lab

# edge-tunnel@NAME: up, reload, reresolve, down --------------------------------
if glue_have edge-tunnel && command -v wireguard-go >/dev/null; then
	name=${T_ID}t
	T_WGIF+=("$name")
	glue_tunnel_conf "$T_TMP/etc/$name.conf" 10.77.0.2/24
	tu=$U/edge-tunnel@.service
	run_unit "$H" "$tu" ExecStart "$name" || fail "ExecStart (up) failed"
	nsx "$H" ip addr show dev "$name" | grep -q 'inet 10.77.0.2/24' ||
		fail "up: no $name with 10.77.0.2/24"
	sed -i 's,^Address = .*,Address = 10.77.0.3/24,' "$T_TMP/etc/$name.conf"
	run_unit "$H" "$tu" ExecReload "$name" || fail "ExecReload (sync) failed"
	nsx "$H" ip addr show dev "$name" | grep -q 'inet 10.77.0.3/24' ||
		fail "reload: the edited address was not applied"
	run_unit "$H" "$U/edge-tunnel-reresolve@.service" ExecStart "$name" ||
		fail "edge-tunnel-reresolve@: reresolve failed"
	wgpids=$(ip netns pids "$H")
	run_unit "$H" "$tu" ExecStop "$name" || fail "ExecStop (down) failed"
	nsx "$H" ip link show "$name" >/dev/null 2>&1 && fail "down: $name still there"
	for p in $wgpids; do
		wait_for 3 sh -c "! kill -0 $p" || { kill "$p"; fail "wireguard-go (pid $p) outlived down"; }
	done
	ok "edge-tunnel@: up, reload (sync), reresolve and down with the unit's capabilities"
else
	echo "edge-tunnel or wireguard-go missing: edge-tunnel@ not run"
fi

# edge-sni.service: nobody with CAP_NET_BIND_SERVICE; :443, NAT46 source ----------
if glue_have edge-sni; then
	glue_sni_files
	mapfile -t cmd < <(exec_line "$U/edge-sni.service" ExecStart "" |
		sed "s,^/etc/edgekit/sni.conf$,$T_TMP/sni.conf,")
	mapfile -t opts < <(caps "$U/edge-sni.service")
	echo "+ edge-sni.service: setpriv ${opts[*]} ${cmd[*]}"
	bg SNI "$H" "${AS_SYSTEMD[@]}" bash -c "$(declare -f protect sandboxed unit_get); sandboxed \"\$@\"" _ \
		"$U/edge-sni.service" setpriv "${opts[@]}" "${cmd[@]}" 2>"$T_TMP/sni.log"
	wait_for 5 glue_listening 443 ||
		{ cat "$T_TMP/sni.log"; fail "edge-sni does not listen on :443"; }
	u=$(ps -o user= -p "$(glue_pid edge-sni | head -n 1)")
	[ "$u" = nobody ] || fail "edge-sni runs as \"$u\", not nobody"
	awk '$5 == "/" && $6 ~ /^ro/ { ro = 1 } END { exit !ro }' \
		"/proc/$(glue_pid edge-sni | head -n 1)/mountinfo" ||
		fail "edge-sni does not run on a read-only file system"
	got=$(glue_sni_source) || { cat "$T_TMP/sni.log"; fail "no answer through edge-sni"; }
	[ "$got" = "64:ff9b:1::c000:20a" ] ||
		{ cat "$T_TMP/sni.log"; fail "the backend saw \"$got\", not 64:ff9b:1::c000:20a"; }
	kill "$SNI"
	ok "edge-sni.service: as nobody with CAP_NET_BIND_SERVICE only, on a read-only file system: :443 bound, NAT46 source $got"
	wait_for 3 glue_gone edge-sni || fail "edge-sni did not stop"
	if nsx "$H" setpriv --no-new-privs --reuid nobody --regid "$(id -gn nobody)" \
	    --clear-groups --bounding-set -all "${cmd[@]}" 2>"$T_TMP/sni-nocap.log"; then
		fail "edge-sni started without CAP_NET_BIND_SERVICE"
	fi
	grep -qi "permission denied" "$T_TMP/sni-nocap.log" ||
		{ cat "$T_TMP/sni-nocap.log"; fail "without the capability: no permission error"; }
	ok "without CAP_NET_BIND_SERVICE edge-sni cannot bind :443"
else
	echo "edge-sni not built: edge-sni.service not run"
fi

# edge-failover.service: the pipeline --------------------------------------------
if glue_have edge-probe && glue_have edge-failover; then
	fo=$U/edge-failover.service
	glue_fo_files
	mapfile -t cmd < <(exec_line "$fo" ExecStart "" | sed \
		-e "s,/etc/edgekit/probes,$T_TMP/probes,g" \
		-e "s,/etc/edgekit/failover.conf,$T_TMP/failover.conf,g")
	mapfile -t opts < <(caps "$fo")
	[ "${cmd[0]}" = /bin/sh ] && [ "${cmd[1]}" = -c ] ||
		fail "edge-failover.service: not a sh -c pipeline: ${cmd[*]}"
	echo "+ edge-failover.service: setpriv ${opts[*]} ${cmd[*]}"

	start_pipeline() {
		bg FO "$H" "${AS_SYSTEMD[@]}" bash -c "$(declare -f protect sandboxed unit_get); sandboxed \"\$@\"" _ \
			"$fo" setpriv "${opts[@]}" "${cmd[@]}" 2>>"$T_TMP/fo.log"
		wait_for 5 glue_running edge-failover ||
			{ cat "$T_TMP/fo.log"; fail "the pipeline did not start"; }
	}
	start_pipeline
	awk '$5 == "/usr" && $6 ~ /^ro/ { ro = 1 } END { exit !ro }' \
		"/proc/$(glue_pid edge-failover | head -n 1)/mountinfo" ||
		fail "the pipeline does not run with /usr read-only"
	wait_for 8 glue_fo_routed ||
		{ cat "$T_TMP/fo.log"; fail "no default route from the pipeline: $(ip -n "$H" route)"; }
	ok "edge-failover.service: with CAP_NET_ADMIN+CAP_NET_RAW, /usr and /etc read-only, the pipeline routes via the live gateway"

	# ExecReload: HUP to the main process, the shell, which passes it on
	# to edge-failover: a group added to the file is routed, removed it
	# is gone again; the pipeline runs on, the same processes.
	[ "$(unit_get "$fo" Service ExecReload)" = '/bin/kill -HUP $MAINPID' ] ||
		fail "ExecReload is not a HUP to the main process"
	pids="$(glue_pid edge-probe) $(glue_pid edge-failover)"
	cp "$T_TMP/failover.conf" "$T_TMP/failover.conf.orig"
	printf '\n[Group]\nName = inet\n\n[Group]\nName = extra\nDestination = 10.123.0.0/16\n' >>"$T_TMP/failover.conf"
	kill -HUP "$FO"
	wait_for 5 sh -c "ip -n $H route show proto 203 | grep -q '^10.123.0.0/16 via 192.168.8.1 dev up0'" ||
		{ cat "$T_TMP/fo.log"; fail "reload: the new group is not routed"; }
	cp "$T_TMP/failover.conf.orig" "$T_TMP/failover.conf"
	kill -HUP "$FO"
	wait_for 5 sh -c "! ip -n $H route show proto 203 | grep -q '^10.123.0.0/16'" ||
		fail "reload: the removed group's route stays"
	[ "$(glue_pid edge-probe) $(glue_pid edge-failover)" = "$pids" ] && kill -0 "$FO" ||
		fail "the pipeline did not survive the reloads"
	glue_fo_routed || fail "the default route went with the reload"
	ok "edge-failover.service: reload (HUP to the shell) reads the file again; the pipeline runs on"

	# edge-failover ends: edge-probe's next write fails, the shell ends.
	kill "$(glue_pid edge-failover)"
	wait_for 5 sh -c "! kill -0 $FO" || fail "the pipeline outlived edge-failover"
	[ -z "$(glue_pid edge-probe)" ] || fail "edge-probe outlived edge-failover"
	# edge-probe ends: edge-failover exits 1 after StreamTimeout, and so
	# does the shell (Restart= restarts it).
	start_pipeline
	kill "$(glue_pid edge-probe)"
	wait_for 5 sh -c "! kill -0 $FO" || fail "the pipeline outlived edge-probe"
	set +e; wait "$FO"; st=$?; set -e
	[ "$st" -ne 0 ] || fail "the pipeline exited 0 after edge-probe died: no restart"
	[ "$(unit_get "$fo" Service Restart)" = always ] || fail "Restart is not always"
	ok "either end of the pipeline ending ends the service (status $st: restarted)"

	# Each capability is needed: without CAP_NET_RAW the ICMP probes
	# cannot be sent (this namespace allows no ping sockets), without
	# CAP_NET_ADMIN the route cannot be written.
	for drop in net_raw net_admin; do
		ip -n "$H" route del default 2>/dev/null || true
		keep=$(caps "$fo" | sed -n 's/^-all,//p' | tr , '\n' | grep -v "^+$drop$" | paste -sd, -)
		bg FO "$H" setpriv --no-new-privs --bounding-set "-all,$keep" "${cmd[@]}" \
			2>"$T_TMP/fo-$drop.log"
		sleep 3
		glue_fo_routed && { cat "$T_TMP/fo-$drop.log"; ip -n "$H" route; fail "the pipeline routed without CAP_${drop^^}"; }
		kill "$(glue_pid edge-probe)" "$(glue_pid edge-failover)" 2>/dev/null || true
		wait_for 3 glue_gone edge-probe edge-failover || fail "pipeline left running"
	done
	grep -qi "permitted\|denied" "$T_TMP/fo-net_admin.log" ||
		{ cat "$T_TMP/fo-net_admin.log"; fail "without CAP_NET_ADMIN: no permission error"; }
	ok "without CAP_NET_RAW or without CAP_NET_ADMIN the pipeline routes nothing"
else
	echo "edge-probe or edge-failover not built: edge-failover.service not run"
fi

# edge-routes@NAME: fetch a saved list, sync it --------------------------------------
if glue_have edge-routes && [ -x "$TOP/scripts/edge-routes-cron" ] &&
    [ -x "$TOP/scripts/edge-routes-fetch" ] && command -v jq >/dev/null; then
	ru=$U/edge-routes@.service
	inst=${T_ID}aws
	cat >"$T_TMP/aws.json" <<-EOF
	{"syncToken": "1", "createDate": "2026-11-22-00-00-00",
	 "prefixes": [
	  {"ip_prefix": "198.51.100.0/24", "region": "eu-central-1", "service": "EC2"},
	  {"ip_prefix": "203.0.113.0/25", "region": "eu-central-1", "service": "S3"},
	  {"ip_prefix": "203.0.113.128/25", "region": "us-east-1", "service": "EC2"}],
	 "ipv6_prefixes": [
	  {"ipv6_prefix": "2001:db8:aa::/48", "region": "eu-central-1", "service": "EC2"}]}
	EOF
	env=$(unit_get "$ru" Service EnvironmentFile)
	[ "$env" = "/etc/edgekit/routes-%i.env" ] || fail "EnvironmentFile is $env"
	# The env file of the unit's comment, FETCH given the saved sample as
	# its source instead of the provider's URL.
	sed -n 's/^#   \(FETCH=.*\|SYNC=.*\)$/\1/p' "$ru" >"$T_TMP/routes.env"
	[ "$(wc -l <"$T_TMP/routes.env")" -eq 2 ] ||
		fail "edge-routes@.service: no FETCH= and SYNC= example"
	sed -i "s,^FETCH=.*,& $T_TMP/aws.json," "$T_TMP/routes.env"
	# systemd's expansion: ${X} one word, $X split at spaces.
	# EnvironmentFile=: KEY=VALUE lines, the value taken whole.
	FETCH=$(sed -n 's/^FETCH=//p' "$T_TMP/routes.env")
	SYNC=$(sed -n 's/^SYNC=//p' "$T_TMP/routes.env")
	mapfile -t cmd < <(exec_line "$ru" ExecStart "$inst")
	words=()
	for w in "${cmd[@]}"; do
		case $w in
		'${FETCH}') words+=("$FETCH") ;;
		'$SYNC') read -ra s <<<"$SYNC"; words+=("${s[@]}") ;;
		*) words+=("$w") ;;
		esac
	done
	mapfile -t opts < <(caps "$ru")
	er=$(unit_get "$ru" Service Environment)
	[ "$er" = "EDGE_ROUTES=$SBIN/edge-routes" ] || fail "Environment=$er"
	sd=$(unit_get "$ru" Service StateDirectory)
	grep -q "^state=/var/lib/$sd\$" "$TOP/scripts/edge-routes-cron" ||
		fail "StateDirectory=$sd is not edge-routes-cron's state directory"
	echo "+ edge-routes@.service: ${words[*]}"
	# StateDirectory=: a private /var/lib for this run.
	ip netns exec "$H" unshare -m sh -c 'mount -t tmpfs none /var/lib && exec "$@"' _ \
		env PATH="$TOP/scripts:$BIN:$PATH" EDGE_ROUTES="$BIN/edge-routes" \
		setpriv "${opts[@]}" "${words[@]}" || fail "edge-routes@ failed"
	got=$(ip -n "$H" route show table 100 | sed 's/ *$//')
	[ "$got" = "198.51.100.0/24 via 192.168.8.1 dev up0 proto 202" ] ||
		fail "table 100: \"$got\""
	ok "edge-routes@: fetched, kept and synced with CAP_NET_ADMIN only: $got"
else
	echo "edge-routes or its scripts missing: edge-routes@ not run"
fi
