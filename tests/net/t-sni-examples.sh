#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The command-line examples of edge-sni(8) and of README's edge-sni
# section, run as they are written (taken from the files, prompts dropped;
# edge-sni gets -d, the test's resolver and access log added), and the
# man page's claim about what the back end sees checked, and its list of
# access-log results compared with the code's.  The man page's
# systemd unit, its counters example and edge-sni.conf(5)'s example run in
# t-sni-caps.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sni-topo.sh"

MAN=$TOP/man/edge-sni.8

# ACCESS LOG lists every result the code can log, and only those.
doc=$(awk '/^The results are:/ { on = 1; next }
    on && /^\.Li/ { for (i = 2; i <= NF; i++) if ($i != ",") print $i; next }
    on && !/^and$/ { on = 0 }' "$MAN" | sort)
code=$(sed -n '/sni_results\[\] = {/,/};/p' "$TOP/cmd/edge-sni/accesslog.c" |
    grep -o '"[a-z0-9-]*"' | tr -d '"' | sort)
[ -n "$code" ] && [ "$doc" = "$code" ] ||
	fail "edge-sni(8) ACCESS LOG results differ from the code's: $(diff <(echo "$doc") <(echo "$code") | grep '^[<>]' | tr '\n' ' ')"
ok "edge-sni(8) lists the $(echo "$code" | wc -l) results of the access log"
sni_topo
sni_nginx
chmod 755 "$T_TMP"

# run_example LOG COMMAND: start an edge-sni example line in the vps
run_example() {
	local log=$1 cmd=$2
	[ "${cmd%% *}" = edge-sni ] || fail "not an edge-sni command: $cmd"
	: >"$T_TMP/$log"
	chmod 666 "$T_TMP/$log"
	echo "+ $cmd"
	bg EX_PID "$NS_V" bash -c "exec $BIN/$cmd -d -resolver 127.0.0.1 -access-log $T_TMP/$log" \
	    2>"$T_TMP/$log.err"
	wait_for 20 grep -q "listener(s)" "$T_TMP/$log.err" ||
		fail "$cmd did not start: $(cat "$T_TMP/$log.err")"
}
stop_example() {
	kill "$EX_PID"
	wait "$EX_PID" || fail "the example did not exit 0 on SIGTERM"
}

# edge-sni(8), DESCRIPTION: snid's command line, unchanged
cmd=$(sni_example "$MAN" 1 | sni_cmd)
case $cmd in *-default-hostname\ www.example.net*) ;; *) fail "the first example changed: $cmd" ;; esac
run_example desc.log "$cmd"
out=$(ccurl -k --resolve www.example.test:443:$VPS4 https://www.example.test/) ||
	fail "curl through the snid command line failed"
[ "$out" = "from $CLIENT_NAT46 via www.example.test pp=" ] || fail "backend saw: $out"
# a client without SNI goes to the default host name
out=$( (printf 'GET / HTTP/1.0\r\nHost: www.example.net\r\n\r\n'; sleep 1) |
    nsx "$NS_C" timeout 5 openssl s_client -quiet -connect $VPS4:443 -noservername 2>/dev/null |
    tail -n 1) || true
[ "$out" = "from $CLIENT_NAT46 via www.example.net pp=" ] || fail "no SNI: got $out"
wait_for 20 grep -q "	tcp:443	www.example.net	\[$WWW6\]:443	ok	" "$T_TMP/desc.log" ||
	fail "no-SNI client not logged as www.example.net: $(cat "$T_TMP/desc.log")"
stop_example
ok "edge-sni(8) snid command line: NAT46 source, default host name for a client without SNI"

# edge-sni(8), EXAMPLES: the local route, then the daemon as nobody
ip -n "$NS_V" -6 route del local $NAT46/96 dev lo
route=$(sni_example "$MAN" 2 | sni_cmd)
[ "$route" = "ip -6 route add local $NAT46/96 dev lo" ] || fail "the route example changed: $route"
nsx "$NS_V" $route || fail "$route failed"
cmd=$(sni_example "$MAN" 3 | sni_cmd)
run_example ex.log "$cmd"
[ "$(ps -o user= -p "$EX_PID")" = nobody ] || fail "-u nobody: runs as $(ps -o user= -p "$EX_PID")"
# "A client at 198.51.100.2 reaching https://www.example.net/ arrives at
# the back end from 64:ff9b:1::c633:6402."
claim=$(mandoc -T ascii "$MAN" | col -b | tr -s ' \n' '  ' |
    sed -n 's/.*A client at \([0-9.]*\) reaching \(https:[^ ]*\) arrives at the back end from \([0-9a-f:]*\)\..*/\1 \2 \3/p')
read -r c_ip url src <<<"$claim"
[ "$c_ip" = "$CLIENT4" ] && [ "$url" = https://www.example.net/ ] ||
	fail "the man page's claim changed: $claim"
out=$(ccurl -k --resolve www.example.net:443:$VPS4 "$url") || fail "curl $url failed"
[ "$out" = "from $src via www.example.net pp=" ] || fail "the back end saw \"$out\", the man page says $src"
out=$(ccurl --resolve www.example.net:80:$VPS4 http://www.example.net/.well-known/acme-challenge/x) ||
	fail "curl on port 80 failed"
[ "$out" = "from $src via www.example.net pp=" ] || fail "port 80: the back end saw \"$out\""
stop_example
ok "edge-sni(8) EXAMPLES: route, daemon as nobody on 443 and 80; $c_ip arrives from $src as the page says"

# README: the route and snid's command line for the demo's /80
ip -n "$NS_V" -6 route del local $NAT46/96 dev lo
mapfile -t lines < <(sni_readme | sni_cmd)
[ ${#lines[@]} -eq 2 ] || fail "README's edge-sni section: ${#lines[@]} commands"
nsx "$NS_V" ${lines[0]} || fail "${lines[0]} failed"
run_example readme.log "${lines[1]}"
out=$(ccurl -k --resolve srv1.example.test:443:$VPS4 https://srv1.example.test/) ||
	fail "curl to srv1 through README's command failed"
[ "$out" = "from $CLIENT_NAT46 via srv1.example.test pp=" ] || fail "srv1 saw: $out"
# www is outside README's /80: refused
ccurl -k --resolve www.example.test:443:$VPS4 https://www.example.test/ >/dev/null 2>&1 &&
	fail "README's command served a back end outside its /80"
wait_for 20 grep -q "	www.example.test	-	not-allowed	" "$T_TMP/readme.log" ||
	fail "no not-allowed line: $(cat "$T_TMP/readme.log")"
stop_example
ok "README: route and command; $SRV1 in the /80 served, $WWW6 outside it refused"
