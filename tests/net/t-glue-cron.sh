#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The cron examples, as installed (DOCDIR/examples/edgekit.cron): every
# line is a comment, an environment line or a valid /etc/cron.d job (five
# time fields in range, a user, a command without a bare %); every edge-*
# command in them uses a real verb and real options of its tool; and the
# jobs run, in a namespace, against a real WireGuard tunnel named as in
# the file: reresolve, diff silent while in step, the probe of the far end
# silent while it answers and "tunnel down" when it does not, both
# edge-routes-cron jobs syncing their (saved) lists, and the failover
# status check silent while the gateway is up.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/glue-lib.sh"
source "$(dirname "$0")/doc-lib.sh"

R=$T_TMP/root
glue_install "$R" || { cat "$T_TMP/install.log"; fail "make install failed"; }
CRON=$R/usr/local/share/doc/edgekit/examples/edgekit.cron

# --- syntax -----------------------------------------------------------------------
python3 - "$CRON" >"$T_TMP/jobs" <<'PY' || fail "the cron examples do not parse"
import pwd, re, sys
MON = "jan feb mar apr may jun jul aug sep oct nov dec".split()
DOW = "sun mon tue wed thu fri sat".split()
FIELDS = [(0, 59, None), (0, 23, None), (1, 31, None), (1, 12, MON), (0, 7, DOW)]
errors = []

def value(s, lo, names):
    if names and s.lower() in names:
        return names.index(s.lower()) + (1 if names is MON else 0)
    if not re.fullmatch(r"\d+", s):
        raise ValueError(s)
    return int(s)

def field_ok(f, lo, hi, names):
    for item in f.split(","):
        m = re.fullmatch(r"(\*|[^/-]+(?:-[^/-]+)?)(?:/(\d+))?", item)
        if not m:
            return False
        rng, step = m.groups()
        if step is not None and int(step) < 1:
            return False
        if rng == "*":
            continue
        try:
            ends = [value(x, lo, names) for x in rng.split("-")]
        except ValueError:
            return False
        if any(not lo <= e <= hi for e in ends) or (len(ends) == 2 and ends[0] > ends[1]):
            return False
    return True

for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip("\n")
    if re.match(r"\s*(#.*)?$", line):
        continue
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", line):
        continue
    parts = line.split(None, 6)
    if len(parts) < 7:
        errors.append("%d: not five times, a user and a command" % n)
        continue
    for i, (lo, hi, names) in enumerate(FIELDS):
        if not field_ok(parts[i], lo, hi, names):
            errors.append("%d: field %d \"%s\" is not valid" % (n, i + 1, parts[i]))
    try:
        pwd.getpwnam(parts[5])
    except KeyError:
        errors.append("%d: no user %s" % (n, parts[5]))
    if re.search(r"(?<!\\)%", parts[6]):
        errors.append("%d: a bare %% (cron makes it a newline)" % n)
    print(parts[6])
if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
PY
njobs=$(wc -l <"$T_TMP/jobs")
[ "$njobs" -ge 5 ] || fail "only $njobs jobs"
path=$(sed -n 's/^PATH=//p' "$CRON")
[[ $path == /usr/local/sbin:* ]] || fail "PATH does not start with SBINDIR: $path"
ok "$njobs jobs: time fields, user, no bare %; PATH starts with SBINDIR"

# --- verbs and options ---------------------------------------------------------------
# Every simple command of every job that runs an edge tool, one a line,
# words separated by \x1f; edge-routes-cron's fetch command and its
# "edge-routes sync" options become commands of their own.
python3 - "$T_TMP/jobs" >"$T_TMP/cmds" <<'PY'
import shlex, sys
def emit(cmd):
    if not cmd or not cmd[0].startswith("edge-"):
        return
    if cmd[0] == "edge-routes-cron":
        emit(shlex.split(cmd[2]))
        emit(["edge-routes", "sync"] + cmd[3:])
    print("\x1f".join(cmd))
for job in open(sys.argv[1]):
    lex = shlex.shlex(job, posix=True, punctuation_chars="|&;<>")
    lex.whitespace_split = True
    cmd, skip = [], False
    for tok in list(lex) + [";"]:
        if tok in ("|", "||", "&&", ";", "&"):
            emit(cmd)
            cmd = []
        elif tok in (">", "<", ">>"):
            skip = True
        elif skip:
            skip = False
        else:
            cmd.append(tok)
PY
n=0
while IFS=$'\x1f' read -ra c; do
	t=${c[0]}
	case $t in
	edge-routes-cron)
		[ -x "$TOP/scripts/$t" ] || { echo "$t missing: not checked"; continue; }
		"$TOP/scripts/$t" -h 2>&1 | grep -q "^\(usage: \)\?$t \[" || fail "$t: no usage"
		;;
	edge-routes-fetch)
		[ -x "$TOP/scripts/$t" ] || { echo "$t missing: not checked"; continue; }
		"$TOP/scripts/$t" -h | grep -q "^usage: $t ${c[1]} " ||
			fail "${c[*]}: edge-routes-fetch has no list \"${c[1]}\""
		;;
	edge-tunnel|edge-routes|edge-probe|edge-failover|edge-sni)
		glue_have "$t" || { echo "$t not built: ${c[*]} not checked"; continue; }
		verbs=$("$BIN/$t" -h | usage_parse "$t" | sed -n 's/^verb //p')
		# The first word that is not an option is the verb, for the
		# tools whose verb is not optional.
		for w in "${c[@]:1}"; do
			case $w in -*) continue ;; esac
			case $t in edge-tunnel|edge-routes)
				grep -qxF "$w" <<<"$verbs" ||
					fail "${c[*]}: \"$w\" is not a verb of $t: $(echo $verbs)" ;;
			esac
			break
		done
		# The options parse: the tool stops at -h (edge-probe, whose
		# targets follow its options, checks all with -n).
		if [ "$t" = edge-probe ]; then
			out=$("$BIN/$t" -n "${c[@]:1}" 2>&1 >/dev/null) ||
				fail "${c[*]}: does not parse: $out"
		else
			out=$("$BIN/$t" "${c[@]:1}" -h 2>&1 >/dev/null) ||
				fail "${c[*]}: the options do not parse: $out"
		fi
		;;
	*)	fail "${c[*]}: no such edgekit program" ;;
	esac
	n=$((n + 1))
done <"$T_TMP/cmds"
ok "$n edge commands: real programs, verbs, options that parse"

# --- the jobs, run -------------------------------------------------------------------------
need="edge-tunnel edge-probe edge-routes edge-failover"
for t in $need; do glue_have "$t" || skip "$t not built: jobs not run"; done
command -v wireguard-go >/dev/null || skip "no wireguard-go: jobs not run"
[ -x "$TOP/scripts/edge-routes-cron" ] || skip "no edge-routes-cron: jobs not run"

# wg0 in the file: a unique name here (wireguard-go's sockets are global).
WG=${T_ID}c
glue_lab
ns_make P peer
veth "$G" wan "$P" wan
nsx "$G" ip addr add 203.0.113.1/24 dev wan
nsx "$P" ip addr add 203.0.113.10/24 dev wan
nsx "$H" ip route add default via 192.168.8.1
nsx "$P" ip route add default via 203.0.113.1
nsx "$G" sysctl -qw net.ipv4.ip_forward=1
kh=$(wg genkey) kp=$(wg genkey)
umask 077
mkdir -p "$T_TMP/etc" "$T_TMP/etcp"
cat >"$T_TMP/etc/$WG.conf" <<EOF
[Interface]
PrivateKey = $kh
Address = 10.99.0.2/24

[Peer]
PublicKey = $(wg pubkey <<<"$kp")
AllowedIPs = 10.99.0.0/24
Endpoint = 203.0.113.10:51820
PersistentKeepalive = 1
EOF
WGP=${T_ID}d
cat >"$T_TMP/etcp/$WGP.conf" <<EOF
[Interface]
PrivateKey = $kp
Address = 10.99.0.1/24
ListenPort = 51820

[Peer]
PublicKey = $(wg pubkey <<<"$kh")
AllowedIPs = 10.99.0.0/24
EOF
umask 022
T_WGIF+=("$WG" "$WGP")
nsx "$P" "$BIN/edge-tunnel" up "$T_TMP/etcp/$WGP.conf" >/dev/null 2>&1 || fail "peer up"
nsx "$H" "$BIN/edge-tunnel" up "$T_TMP/etc/$WG.conf" >/dev/null 2>&1 || fail "home up"
bg SSH "$P" socat TCP-LISTEN:22,bind=10.99.0.1,reuseaddr,fork SYSTEM:true
wait_for 10 nsx "$H" ping -c 1 -W 1 10.99.0.1 || fail "the tunnel does not carry"

# Saved lists for the fetchers: the jobs' fetch commands get them as SOURCE.
cat >"$T_TMP/aws.json" <<EOF
{"syncToken": "1", "createDate": "2026-11-22-00-00-00",
 "prefixes": [
  {"ip_prefix": "198.51.100.0/24", "region": "eu-central-1", "service": "EC2"},
  {"ip_prefix": "203.0.113.128/25", "region": "us-east-1", "service": "EC2"}],
 "ipv6_prefixes": []}
EOF
cat >"$T_TMP/ripe.json" <<EOF
{"status": "ok", "data": {"resource": "13335",
 "prefixes": [{"prefix": "198.18.0.0/24"}, {"prefix": "198.18.1.0/24"}]}}
EOF
glue_fo_files
sed -i "s,^StateFile = .*,StateFile = $T_TMP/fo.state," "$T_TMP/failover.conf"
bg FO "$H" sh -c "exec $BIN/edge-probe -i 0.2 -t 0.2 -R 0 -f $T_TMP/probes | exec $BIN/edge-failover -f $T_TMP/failover.conf"
wait_for 8 glue_fo_routed || fail "the failover pipeline did not route"
sleep 1

# job N: run job N as cron would (sh -c, the file's PATH, in H, the
# tunnel's files as /etc/wireguard) with this test's names and sources;
# its output in $T_TMP/job.out.
job() {
	local j
	j=$(sed -n "$1p" "$T_TMP/jobs" | sed \
		-e "s/\bwg0\b/$WG/g" \
		-e "s,'edge-routes-fetch aws [^']*,& $T_TMP/aws.json," \
		-e "s,'edge-routes-fetch ripestat [^']*,& $T_TMP/ripe.json," \
		-e "s,edge-failover status,edge-failover status -f $T_TMP/failover.conf,g" \
		-e "s,^sleep 30 \&\& ,,")
	echo "+ $j"
	ip netns exec "$H" unshare -m sh -c 'mount --bind "$0/etc" /etc/wireguard &&
	    mount -t tmpfs none /var/lib && exec "$@"' "$T_TMP" \
	    env PATH="$BIN:$TOP/scripts:$path" EDGE_ROUTES="$BIN/edge-routes" \
	    sh -c "$j" >"$T_TMP/job.out" 2>&1
}
jobno() { grep -n -- "$1" "$T_TMP/jobs" | head -n 1 | cut -d: -f1; }

for pat in 'edge-tunnel reresolve' 'edge-tunnel diff' 'edge-probe' 'edge-failover status'; do
	i=$(jobno "$pat")
	[ -n "$i" ] || fail "no \"$pat\" job"
	job "$i" || { cat "$T_TMP/job.out"; fail "job $i failed"; }
	[ -s "$T_TMP/job.out" ] && { cat "$T_TMP/job.out"; fail "job $i printed while all is well"; }
done
i=$(jobno 'sleep 30')
grep -q 'sleep 30 && edge-tunnel reresolve wg0$' <<<"$(sed -n "${i}p" "$T_TMP/jobs")" ||
	fail "no half-minute reresolve job"
ok "reresolve, diff, probe and failover status jobs: exit 0 and silent while all is well"

for pat in "'edge-routes-fetch aws" "'edge-routes-fetch ripestat"; do
	i=$(jobno "$pat")
	[ -n "$i" ] || fail "no $pat job"
	job "$i" || { cat "$T_TMP/job.out"; fail "job $i failed"; }
done
got=$(ip -n "$H" route show table 100 | sed 's/ *$//')
[ "$got" = "198.51.100.0/24 via 192.168.8.1 dev up0 proto 202" ] || fail "table 100: $got"
got=$(ip -n "$H" route show table 101 | sed 's/ *$//' | tr '\n' ';')
[ "$got" = "198.18.0.0/23 dev $WG proto 202 scope link;" ] || fail "table 101: $got"
ok "edge-routes-cron jobs: the AWS list via 192.168.8.1 in table 100, the ASN's via the tunnel in 101"

# edgekit(7)'s crontab lines are jobs of this file (its root column out),
# so they ran above.
while IFS= read -r l; do
	sed 's/^#.*//' "$CRON" | awk -v l="$(echo "$l" | tr -s ' \t' '  ')" '
		NF > 6 { $6 = ""; x = $0; gsub(/[ \t]+/, " ", x); if (x == l) f = 1 }
		END { exit !f }' || fail "edgekit.7's \"$l\" is not a job of edgekit.cron"
done < <(doc_block man/edgekit.7 2)
ok "edgekit.7's crontab lines are edgekit.cron's jobs"

# edgekit(7)'s example: silent and 0 while the tunnel and table 100 are
# in step (aws.list: the same fetch as the job's, the saved sample).
(cd "$T_TMP" && "$TOP/scripts/edge-routes-fetch" aws -s EC2 -r eu-central-1 aws.json >aws.list) ||
	fail "fetch for edgekit.7's example"
ex7=$(doc_block man/edgekit.7 4 | tr -s ' \n' '  ' | sed "s/\bwg0\b/$WG/g")
run7() {
	echo "+ $ex7"
	ip netns exec "$H" unshare -m sh -c 'mount --bind "$0/etc" /etc/wireguard &&
	    cd "$0" && exec "$@"' "$T_TMP" env PATH="$BIN:$TOP/scripts:$PATH" \
	    sh -c "$ex7" >"$T_TMP/ex7.out" 2>&1
}
run7 || { cat "$T_TMP/ex7.out"; fail "edgekit.7's example: not in step"; }
[ -s "$T_TMP/ex7.out" ] && { cat "$T_TMP/ex7.out"; fail "edgekit.7's example printed"; }
nsx "$H" ip route del 198.51.100.0/24 table 100
set +e; run7; st=$?; set -e
[ $st -eq 1 ] || { cat "$T_TMP/ex7.out"; fail "edgekit.7's example: exit $st with a route lost"; }
nsx "$H" ip route add 198.51.100.0/24 via 192.168.8.1 dev up0 table 100 proto 202
ok "edgekit.7's example: exit 0 and silent in step, 1 with a route lost"

# Something wrong: the job prints.
nsx "$H" ip addr del 10.99.0.2/24 dev "$WG"
i=$(jobno 'edge-tunnel diff')
job "$i" || fail "diff job failed"
grep -q "differs" "$T_TMP/job.out" || { cat "$T_TMP/job.out"; fail "diff job silent on drift"; }
i=$(jobno 'edge-probe')
job "$i" || fail "probe job failed"
grep -qx "tunnel down" "$T_TMP/job.out" || { cat "$T_TMP/job.out"; fail "probe job silent"; }
ok "with the tunnel's address gone: the diff and probe jobs speak up"
